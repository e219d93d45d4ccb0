package jsonfile_test

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/report"
)

func ptr(f float64) *float64 { return &f }

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in     string
		time   time.Time
		values map[string]*float64
		meta   map[string]string
	}{
		{
			in:     `{"requests_time": 0.00039249658584594727, "slowest": null, "__collection_time__": 1307115164.88}`,
			time:   time.Unix(1307115164, 880000000),
			values: map[string]*float64{"requests_time": ptr(0.00039249658584594727), "slowest": nil},
		},
		{
			in:     "\n {\"__collection_time__\": 0} \n",
			time:   time.Unix(0, 0),
			values: map[string]*float64{},
		},
		{
			in:     `{"a{k=\"v \\\\ w\"}": -1.5e-7, "__node_reports__": {"host-1": {"a": 1}}, "__collection_time__": 1307115164}`,
			time:   time.Unix(1307115164, 0),
			values: map[string]*float64{`a{k="v \\ w"}`: ptr(-1.5e-7)},
			meta:   map[string]string{"__node_reports__": `{"host-1": {"a": 1}}`},
		},
		{
			in:     `{"__collection_time__": 1307115164.000001, "__version__": 1, "____": [2], "___": 3}`,
			time:   time.Unix(1307115164, 1000),
			values: map[string]*float64{"___": ptr(3)}, // too short to start and end with "__"
			meta:   map[string]string{"__version__": "1", "____": "[2]"},
		},
	} {
		s, err := jsonfile.Parse([]byte(c.in))
		if err != nil {
			t.Errorf("Parse(%s): %v", c.in, err)
			continue
		}
		if !s.Time.Equal(c.time) {
			t.Errorf("Parse(%s): time %v, want %v", c.in, s.Time, c.time)
		}
		if len(s.Values) != len(c.values) {
			t.Errorf("Parse(%s): %d values, want %d", c.in, len(s.Values), len(c.values))
		}
		for k, want := range c.values {
			got, ok := s.Values[k]
			if !ok || (got == nil) != (want == nil) || (got != nil && *got != *want) {
				t.Errorf("Parse(%s): value %q = %v (present %v), want %v", c.in, k, got, ok, want)
			}
		}
		if len(s.Meta) != len(c.meta) {
			t.Errorf("Parse(%s): %d metadata keys, want %d", c.in, len(s.Meta), len(c.meta))
		}
		for k, want := range c.meta {
			if got := string(s.Meta[k]); got != want {
				t.Errorf("Parse(%s): meta %q = %s, want %s", c.in, k, got, want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{" \n", "empty"},
		{"[1, 2]", "not a JSON object"},
		{"null", "not a JSON object"},
		{`"a"`, "not a JSON object"},
		{"42", "not a JSON object"},
		{`{"a": 1, "__collection_ti`, "unexpected end"},
		{`{"a": 1, "__collection_time__": 1} {}`, "invalid character"},
		{`{"a": 1}`, `"__collection_time__" missing`},
		{`{"a": "fast", "__collection_time__": 1}`, `key "a": "fast" is a string`},
		{`{"a": true, "__collection_time__": 1}`, `key "a": true is a boolean`},
		{`{"a": {"b": 1}, "__collection_time__": 1}`, `key "a": {"b": 1} is a object`},
		{`{"a": [1], "__collection_time__": 1}`, `key "a": [1] is a array`},
		{`{"a": 1e400, "__collection_time__": 1}`, `key "a": number 1e400 out of range`},
		{`{"__collection_time__": null}`, `key "__collection_time__": null`},
		{`{"__collection_time__": "now"}`, `key "__collection_time__": "now" is a string`},
		{`{"__collection_time__": 1e300}`, `key "__collection_time__": 1e+300 seconds out of range`},
	} {
		_, err := jsonfile.Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestReadFileErrorNamesPath(t *testing.T) {
	path := t.TempDir() + "/missing.json"
	if _, err := jsonfile.ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile(%q) = %v, want an error naming the path", path, err)
	}
}

// TestRoundTrip parses what report.AppendJSON writes.
func TestRoundTrip(t *testing.T) {
	vs := []report.Value{
		{Key: "a", Value: counters.Value{V: 0.1 + 0.2, OK: true}},
		{Key: `b{path="/x \"y\""}`, Value: counters.Value{V: -math.MaxFloat64, OK: true}},
		{Key: "c", Value: counters.Value{}},
		{Key: "d", Value: counters.Value{V: 5e-324, OK: true}},
		{Key: "e", Value: counters.Value{V: math.NaN(), OK: true}},
		{Key: "f", Value: counters.Value{V: 1e21, OK: true}},
	}
	for _, tm := range []time.Time{time.Unix(1307115164, 880000000), time.Unix(1750000000, 123456789), time.Unix(0, 0)} {
		r := report.Report{Time: tm, Values: vs}
		s, err := jsonfile.Parse(r.AppendJSON(nil))
		if err != nil {
			t.Fatal(err)
		}
		if d := s.Time.Sub(tm); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("time %v came back as %v", tm, s.Time)
		}
		for _, v := range vs {
			got, ok := s.Values[v.Key]
			switch {
			case !ok:
				t.Errorf("key %q missing", v.Key)
			case !v.OK || math.IsNaN(v.V):
				if got != nil {
					t.Errorf("key %q = %v, want null", v.Key, *got)
				}
			case got == nil || *got != v.V:
				t.Errorf("key %q = %v, want %v", v.Key, got, v.V)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"requests_time": 0.00039249658584594727, "slowest": null, "__collection_time__": 1307115164.88}`))
	f.Add([]byte(`{"a{k=\"v\"}": 1, "__node_reports__": {"n": {"a": 1}}, "__collection_time__": 1}`))
	f.Add([]byte(`{"a": 1, "__collection_ti`))
	f.Add([]byte(`{"__collection_time__": -1e15}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := jsonfile.Parse(data)
		if err != nil {
			return
		}
		if s.Values == nil || s.Meta == nil {
			t.Fatal("Parse succeeded with a nil map")
		}
		for k := range s.Meta {
			if !report.IsMetadata(k) || k == report.CollectionTimeKey {
				t.Errorf("Meta holds %q", k)
			}
		}
		// What parses writes back and parses to the same values.
		keys := make([]string, 0, len(s.Values))
		for k, v := range s.Values {
			if report.IsMetadata(k) {
				t.Errorf("Values holds metadata key %q", k)
			}
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				t.Errorf("Values holds %v under %q", *v, k)
			}
			if !json.Valid(strconv.AppendQuote(nil, k)) {
				// Keys are quoted Go's way: a control character or an
				// unprintable rune beyond U+FFFF would not write back.
				return
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		r := report.Report{Time: time.Unix(1307115164, 0)}
		for _, k := range keys {
			v := counters.Value{}
			if p := s.Values[k]; p != nil {
				v = counters.Value{V: *p, OK: true}
			}
			r.Values = append(r.Values, report.Value{Key: k, Value: v})
		}
		back, err := jsonfile.Parse(r.AppendJSON(nil))
		if err != nil {
			t.Fatalf("the values of %q do not write back: %v", data, err)
		}
		for k, v := range s.Values {
			w, ok := back.Values[k]
			if !ok || (v == nil) != (w == nil) || (v != nil && *v != *w) {
				t.Errorf("key %q: %v came back as %v", k, v, w)
			}
		}
	})
}
