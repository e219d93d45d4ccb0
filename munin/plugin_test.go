package munin_test

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/munin"
	"github.com/otelcounters/otelcounters/report"
)

// tutorial is the graph configuration of PyCounters' tutorial, as the
// Python dict it was written as: JSON with comments and trailing commas.
const tutorial = `[
    {
        "id" : "requests_per_sec",
        "global" : {
            # graph global options: http://munin-monitoring.org/wiki/protocol-config
            "title" : "Request Frequency",
            "category" : "PyCounters example"
        },
        "data" : [
            {
                "counter" : "requests_frequency",
                "label" : "requests per second",
                "draw" : "LINE2",
            }
        ]
    },
    {
        "id" : "requests_time",
        "global" : {
            "title" : "Request Average Handling Time",
            "category" : "PyCounters example"
        },
        "data" : [
            {
                "counter" : "requests_time",
                "label" : "Average time per request",
                "draw" : "LINE2",
            }
        ]
    },
    {
        "id" : "requests_total_data",
        "global" : {
            "title" : "Total data processed",
            "category" : "PyCounters example"
        },
        "data" : [
            {
                "counter" : "requests_data_len",
                "label" : "total bytes",
                "draw" : "LINE2",
            }
        ]
    }
]`

const tutorialConfig = `multigraph requests_per_sec
graph_title Request Frequency
graph_category PyCounters example
requests_frequency.label requests per second
requests_frequency.draw LINE2

multigraph requests_time
graph_title Request Average Handling Time
graph_category PyCounters example
requests_time.label Average time per request
requests_time.draw LINE2

multigraph requests_total_data
graph_title Total data processed
graph_category PyCounters example
requests_data_len.label total bytes
requests_data_len.draw LINE2

`

func plugin(t *testing.T, config string) *munin.Plugin {
	t.Helper()
	graphs, err := munin.ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	p, err := munin.New(graphs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func configOf(t *testing.T, p *munin.Plugin) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.WriteConfig(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func values(t *testing.T, p *munin.Plugin, r report.Report) (string, []string) {
	t.Helper()
	var b bytes.Buffer
	missing, err := p.WriteValues(&b, r)
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), missing
}

func num(f float64) counters.Value { return counters.Value{V: f, OK: true} }

// rep returns a report of the given key and value pairs, sorted by key.
func rep(kvs ...any) report.Report {
	r := report.Report{Time: time.Unix(1307115164, 0)}
	for i := 0; i < len(kvs); i += 2 {
		v := report.Value{Key: kvs[i].(string)}
		if kvs[i+1] != nil {
			v.Value = num(kvs[i+1].(float64))
		}
		r.Values = append(r.Values, v)
	}
	slices.SortFunc(r.Values, func(a, b report.Value) int { return strings.Compare(a.Key, b.Key) })
	return r
}

func TestTutorial(t *testing.T) {
	p := plugin(t, tutorial)
	if got := configOf(t, p); got != tutorialConfig {
		t.Errorf("config:\n%s\nwant\n%s", got, tutorialConfig)
	}
	got, missing := values(t, p, rep("requests_frequency", 0.014266581369872909, "requests_time", 0.00039249658584594727, "requests_data_len", 5.0))
	want := `multigraph requests_per_sec
requests_frequency.value 0.0142665813699
multigraph requests_time
requests_time.value 0.000392496585846
multigraph requests_total_data
requests_data_len.value 5.0
`
	if got != want || len(missing) != 0 {
		t.Errorf("fetch:\n%s\nwant\n%s\nmissing %q", got, want, missing)
	}
}

func TestUnknownValues(t *testing.T) {
	p := plugin(t, tutorial)
	got, missing := values(t, p, rep("requests_frequency", math.Inf(1), "requests_time", nil))
	want := `multigraph requests_per_sec
requests_frequency.value U
multigraph requests_time
requests_time.value U
multigraph requests_total_data
requests_data_len.value U
`
	if got != want {
		t.Errorf("fetch:\n%s\nwant\n%s", got, want)
	}
	if !slices.Equal(missing, []string{"requests_data_len"}) {
		t.Errorf("missing %q, want requests_data_len only (the others are in the report)", missing)
	}
	got, missing = values(t, p, report.Report{})
	if strings.Count(got, ".value U\n") != 3 || len(missing) != 3 {
		t.Errorf("fetch with no report:\n%s\nmissing %q", got, missing)
	}
}

func TestFieldNames(t *testing.T) {
	for key, want := range map[string]string{
		"requests_time":                          "requests_time",
		"requests.time per request":              "requests_time_per_request",
		"a..b":                                   "a__b",
		`requests_time{method="GET"}`:            "requests_time_method_GET",
		`requests_time{code="200",method="GET"}`: "requests_time_code_200_method_GET",
		`t{path="/a \"b\"",x="1\n2"}`:            "t_path__a__b__x_1_2",
		`size.p99_9{m="GET"}`:                    "size_p99_9_m_GET",
		"5xx":                                    "_5xx",
		`5xx{a="b"}`:                             "_5xx_a_b",
		"root":                                   "_root",
		"":                                       "_",
		"Zürich":                                 "Z_rich",
		`broken{a="b`:                            "broken_a__b",
		`x{a="1"}{b}`:                            "x_a__1___b_",
		"_private":                               "_private",
		strings.Repeat("a", 64):                  strings.Repeat("a", 64),
		`trailing{a="1",}`:                       "trailing_a__1___",
		`open{`:                                  "open_",
		`no_value{a=}`:                           "no_value_a__",
		`{a="1"}`:                                "_a__1__",
		`escaped{a="back\\slash"}`:               "escaped_a_back_slash",
		`twoquotes{a="x"b="y"}`:                  "twoquotes_a__x_b__y__",
		`spaced{a="1", b="2"}`:                   "spaced_a_1__b_2",
		`long{a="` + strings.Repeat("v", 80) + `"}`: "long_a_" + strings.Repeat("v", 48),
	} {
		got := munin.FieldName(key)
		if strings.HasPrefix(key, "long") {
			if !strings.HasPrefix(got, want) || len(got) != 64 {
				t.Errorf("FieldName(%q) = %q, want %q and a hash, 64 characters", key, got, want)
			}
			continue
		}
		if got != want {
			t.Errorf("FieldName(%q) = %q, want %q", key, got, want)
		}
	}
	long := strings.Repeat("a", 65)
	if a, b := munin.FieldName(long), munin.FieldName(long+"b"); len(a) != 64 || len(b) != 64 || a == b || a[:55] != long[:55] {
		t.Errorf("long names %q and %q: want 64 characters each, different, starting alike", a, b)
	}
}

func TestCollisions(t *testing.T) {
	config := `- id: requests
  data:
    - {counter: "requests time"}
    - {counter: requests_time}
    - {counter: "requests.time"}
    - {counter: 'requests_time{method="GET"}', label: GET}
    - {counter: 'requests_time_method_GET'}
    - {counter: "5xx"}
    - {counter: "_5xx"}
- id: other
  data:
    - {counter: "requests time"}
`
	p := plugin(t, config)
	got := configOf(t, p)
	names := fieldNames(got)
	want := []string{
		"requests_time_" + hex(t, got, "requests time"),
		"requests_time",
		"requests_time_" + hex(t, got, "requests.time"),
		"requests_time_method_GET_" + hex(t, got, `requests_time{method="GET"}`),
		"requests_time_method_GET",
		"_5xx_" + hex(t, got, "5xx"),
		"_5xx",
		"requests_time", // alone in its graph
	}
	if !slices.Equal(names, want) {
		t.Errorf("field names %q, want %q; config:\n%s", names, want, got)
	}
	// The same configuration gives the same names, whatever else it holds.
	again := configOf(t, plugin(t, config+"- id: third\n  data: [{counter: x}]\n"))
	if !strings.HasPrefix(again, got) {
		t.Errorf("names changed with an added graph:\n%s\nthen\n%s", got, again)
	}
	if out, _ := values(t, p, rep("requests time", 1.0, "requests_time", 2.0, "requests.time", 3.0)); !strings.Contains(out, "\nrequests_time.value 2.0\n") {
		t.Errorf("fetch:\n%s", out)
	}
}

// fieldNames returns the field of every label line of a config output.
func fieldNames(config string) []string {
	var names []string
	for _, l := range strings.Split(config, "\n") {
		if f, _, ok := strings.Cut(l, ".label "); ok {
			names = append(names, f)
		}
	}
	return names
}

// hex returns the suffix the config output gives the field labelled with
// counter (a field without a label of its own is labelled with its key),
// checking that it is six hex digits.
func hex(t *testing.T, config, counter string) string {
	t.Helper()
	for _, l := range strings.Split(config, "\n") {
		f, label, ok := strings.Cut(l, ".label ")
		if !ok || (label != counter && !(counter == `requests_time{method="GET"}` && label == "GET")) {
			continue
		}
		h := f[strings.LastIndexByte(f, '_')+1:]
		if len(h) != 6 || strings.Trim(h, "0123456789abcdef") != "" {
			t.Errorf("field %s of %q: no hash suffix", f, counter)
		}
		return h
	}
	t.Fatalf("no field labelled %q in\n%s", counter, config)
	return ""
}

func TestConfigFormats(t *testing.T) {
	jsonConfig := `[{"id": "g.1", "global": {"graph_title": "T \u00e9\/", "args": "--base 1000", "scale": false, "order": 2},
	  "data": [{"counter": "c", "label": "L", "min": 0, "warning": 1.5e3, "graph": true}]}]`
	yamlConfig := `
# the same graph, in YAML
- id: g.1
  global:
    graph_title: "T é/"
    args: --base 1000
    scale: false
    order: 2
  data:
    - counter: c
      label: L
      min: 0
      warning: 1.5e3
      graph: true
`
	anchors := `
- id: g.1
  global: &common
    graph_title: "T é/"
    args: --base 1000
    scale: false
    order: 2
  data:
    - &field
      counter: c
      label: L
      min: 0
      warning: 1.5e3
      graph: true
- id: g.2
  global:
    <<: *common
    order: 3
  data:
    - *field
`
	want := `multigraph g_1
graph_title T é/
graph_args --base 1000
graph_scale no
graph_order 2
c.label L
c.min 0
c.warning 1.5e3
c.graph yes

`
	for name, config := range map[string]string{"json": jsonConfig, "yaml": yamlConfig, "anchors": anchors} {
		got := configOf(t, plugin(t, config))
		if name == "anchors" {
			want2 := want + strings.NewReplacer("g_1", "g_2", "graph_order 2", "graph_order 3").Replace(want)
			if got != want2 {
				t.Errorf("%s config:\n%s\nwant\n%s", name, got, want2)
			}
			continue
		}
		if got != want {
			t.Errorf("%s config:\n%s\nwant\n%s", name, got, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ config, want string }{
		{``, "empty"},
		{`   `, "empty"},
		{`{"id": "a"}`, "an object, want a list of graphs"},
		{`[]`, "no graph"},
		{`[1]`, "graph 1: a number, want an object"},
		{`[{"global": {}}]`, `graph 1: no "id"`},
		{`[{"id": "a", "globals": {}}]`, `graph 1 ("a"): "globals": unknown key`},
		{`[{"id": ["a"]}]`, `"id": a list, want text`},
		{`[{"id": null}]`, `"id": null`},
		{`[{"id": ""}]`, "empty id"},
		{`[{"id": "a", "global": []}]`, `"global": a list, want an object`},
		{`[{"id": "a", "global": {"title": {"x": 1}}}]`, `"title": an object, want text`},
		{`[{"id": "a", "global": {"ti tle": "x"}}]`, `key "ti tle"`},
		{`[{"id": "a", "global": {"title": "x", "graph_title": "y"}}]`, "graph_title given twice"},
		{`[{"id": "a", "global": {"title": "two\nlines"}}]`, "spans lines"},
		{`[{"id": "a", "data": {}}]`, `"data": an object, want a list`},
		{`[{"id": "a", "data": [1]}]`, "entry 1: a number"},
		{`[{"id": "a", "data": [{"label": "x"}]}]`, `entry 1: no "counter"`},
		{`[{"id": "a", "data": [{"counter": ""}]}]`, "empty counter"},
		{`[{"id": "a", "data": [{"counter": "c", "value": 1}]}]`, "value is not an attribute"},
		{`[{"id": "a", "data": [{"counter": "c", "dr-aw": 1}]}]`, `key "dr-aw"`},
		{`[{"id": "a", "data": [{"counter": "c"}, {"counter": "c"}]}]`, `data entries 1 and 2 both plot "c"`},
		{`[{"id": "a", "data": [{"counter": "c\nd"}]}]`, "spans lines"},
		{`[{"id": "a b"}, {"id": "a.b"}]`, `graphs "a b" and "a.b" both have the munin id a_b`},
		{`[{"id": "a", "id": "b"}]`, `"id" given twice`},
		{`[{"id": "a"}] [1]`, "neither JSON"},
		{"- id: a\n---\n- id: b\n", "more than one YAML document"},
		{"- id: a\n  global: *missing\n", "unknown anchor"},
		{"- &a [*a]\n", "nested too deeply"},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested too deeply"},
		{"- id: a\n  global: {<<: [1]}\n", "<< merges a number"},
		{"- id: a\n  global: {[1]: x}\n", "a key must be text"},
	} {
		_, err := munin.ParseConfig([]byte(c.config))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseConfig(%q) = %v, want an error mentioning %q", c.config, err, c.want)
		}
	}
}

func TestNewChecksGraphs(t *testing.T) {
	for _, c := range []struct {
		graphs []munin.Graph
		want   string
	}{
		{nil, "no graph"},
		{[]munin.Graph{{ID: "a\nb"}}, "spans lines"},
		{[]munin.Graph{{ID: "a", Data: []munin.Data{{Counter: "c", Attrs: []munin.Attr{{"label", "x"}, {"label", "y"}}}}}}, "label given twice"},
		{[]munin.Graph{{ID: "a", Data: []munin.Data{{Counter: "c", Attrs: []munin.Attr{{"", "x"}}}}}}, `key ""`},
	} {
		if _, err := munin.New(c.graphs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error mentioning %q", c.graphs, err, c.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	r := report.Report{Values: []report.Value{
		{Key: "__collection_time__"},
		{Key: "a.b", Value: num(1)},
		{Key: "a_b", Value: num(1)},
		{Key: "requests_frequency", Kind: counters.Frequency, Value: num(1)},
		{Key: "requests_time", Kind: counters.AverageTime, Value: num(1)},
		{Key: `requests_time{method="GET"}`, Kind: counters.AverageTime, Value: num(1)},
		{Key: "size.mean", Kind: counters.Percentiles, Value: num(1)},
		{Key: "size.p50", Kind: counters.Percentiles, Quantile: 0.5, Value: num(1)},
		{Key: `size.p99{path="/x y"}`, Kind: counters.Percentiles, Quantile: 0.99, Value: num(1)},
	}}
	graphs := munin.Generate(r, "")
	got := string(munin.AppendConfig(nil, graphs))
	want := `[
  {
    "id": "a_b",
    "global": {
      "title": "a.b",
      "category": "otelcounters"
    },
    "data": [
      {"counter": "a.b", "label": "a.b", "draw": "LINE2"}
    ]
  },
  {
    "id": "a_b_` + fmt.Sprintf("%06x", fnv32a("a_b")&0xffffff) + `",
    "global": {
      "title": "a_b",
      "category": "otelcounters"
    },
    "data": [
      {"counter": "a_b", "label": "a_b", "draw": "LINE2"}
    ]
  },
  {
    "id": "requests_frequency",
    "global": {
      "title": "requests_frequency",
      "category": "otelcounters",
      "vlabel": "per second"
    },
    "data": [
      {"counter": "requests_frequency", "label": "requests_frequency", "draw": "LINE2"}
    ]
  },
  {
    "id": "requests_time",
    "global": {
      "title": "requests_time",
      "category": "otelcounters",
      "vlabel": "seconds"
    },
    "data": [
      {"counter": "requests_time", "label": "requests_time", "draw": "LINE2"},
      {"counter": "requests_time{method=\"GET\"}", "label": "method=GET", "draw": "LINE2"}
    ]
  },
  {
    "id": "size",
    "global": {
      "title": "size",
      "category": "otelcounters"
    },
    "data": [
      {"counter": "size.mean", "label": "mean", "draw": "LINE2"},
      {"counter": "size.p50", "label": "p50", "draw": "LINE2"},
      {"counter": "size.p99{path=\"/x y\"}", "label": "p99 path=/x y", "draw": "LINE2"}
    ]
  }
]
`
	if got != want {
		t.Errorf("generated:\n%s\nwant\n%s", got, want)
	}
	// It reads back as it was written, and munin takes it.
	back, err := munin.ParseConfig([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back) != fmt.Sprint(graphs) {
		t.Errorf("read back\n%v\nwant\n%v", back, graphs)
	}
	if s := string(munin.AppendConfig(nil, munin.Generate(report.Report{}, "x"))); s != "[\n]\n" {
		t.Errorf("empty report gives %q", s)
	}
}

func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
