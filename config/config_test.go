package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/counters"
)

const fullYAML = `# the tutorial's server
tick: 5s
report_interval: 300
series_limit: 100
counters:
  - name: requests_time
    kind: AverageTimeCounter
    events: [request]
  - name: requests_frequency
    kind: frequency
    events: [request]
    window: 15m
  - name: requests_data_len
    kind: total
  - name: bytes_per_second
    kind: frequency
    events: [requests_data_len]
    window_size: 60
    of: sum
reporters:
  - type: log
  - type: json_file
    name: munin
    path: /var/lib/app/counters.json
  - type: log
    name: debug_log
    level: DEBUG
default_counters:
  include: ["http.*"]
  exclude: ["http.client.?"]
`

const fullJSON = `{
	"tick": "5s",
	"report_interval": 300,
	"series_limit": 100,
	"counters": [
		{"name": "requests_time", "kind": "AverageTimeCounter", "events": ["request"]},
		{"name": "requests_frequency", "kind": "frequency", "events": ["request"], "window": "15m"},
		{"name": "requests_data_len", "kind": "total"},
		{"name": "bytes_per_second", "kind": "frequency", "events": ["requests_data_len"], "window_size": 60, "of": "sum"}
	],
	"reporters": [
		{"type": "log"},
		{"type": "json_file", "name": "munin", "path": "/var/lib/app/counters.json"},
		{"type": "log", "name": "debug_log", "level": "DEBUG"}
	],
	"default_counters": {"include": ["http.*"], "exclude": ["http.client.?"]}
}
`

func fullWant() *config.Config {
	return &config.Config{
		Tick:           5 * time.Second,
		ReportInterval: 300 * time.Second,
		SeriesLimit:    100,
		Counters: []counters.Definition{
			{Name: "requests_time", Kind: counters.AverageTime, Events: []string{"request"}, Window: 300 * time.Second},
			{Name: "requests_frequency", Kind: counters.Frequency, Events: []string{"request"}, Window: 15 * time.Minute},
			{Name: "requests_data_len", Kind: counters.Total, Events: []string{"requests_data_len"}, Window: 300 * time.Second},
			{Name: "bytes_per_second", Kind: counters.Frequency, Events: []string{"requests_data_len"}, Window: time.Minute, Of: counters.OfSum},
		},
		Reporters: []config.Reporter{
			{Type: "log", Name: "log", Level: "info"},
			{Type: "json_file", Name: "munin", Path: "/var/lib/app/counters.json"},
			{Type: "log", Name: "debug_log", Level: "debug"},
		},
		Defaults: config.Defaults{Enabled: true, Include: []string{"http.*"}, Exclude: []string{"http.client.?"}},
	}
}

func TestParseFull(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		lines      []int
	}{
		{"yaml", fullYAML, []int{21, 22, 25}},
		{"json", fullJSON, []int{12, 13, 14}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := config.Parse([]byte(tc.data), "server."+tc.name)
			if err != nil {
				t.Fatal(err)
			}
			want := fullWant()
			for i, l := range tc.lines {
				want.Reporters[i].Line = l
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		data string
		want config.Config
	}{
		{"", config.Config{}},
		{"# only a comment\n", config.Config{}},
		{"~\n", config.Config{}},
		{"{}", config.Config{}},
		{"tick:\n", config.Config{}},
		{"tick: 1.5\n", config.Config{Tick: 1500 * time.Millisecond}},
		{"tick: 250ms\n", config.Config{Tick: 250 * time.Millisecond}},
		{"report_interval: off\n", config.Config{ReportInterval: -1}},
		{"report_interval: OFF\n", config.Config{ReportInterval: -1}},
		{"report_interval: 1m30s\n", config.Config{ReportInterval: 90 * time.Second}},
		{"report_interval: 0.5\n", config.Config{ReportInterval: 500 * time.Millisecond}},
		{"series_limit: none\n", config.Config{SeriesLimit: -1}},
		{"series_limit: 0x10\n", config.Config{SeriesLimit: 16}},
		{"default_counters: {enabled: false, include: [a]}\n", config.Config{Defaults: config.Defaults{Include: []string{"a"}}}},
		{"default_counters: {}\n", config.Config{Defaults: config.Defaults{Enabled: true}}},
		{"default_counters:\n", config.Config{}},
		{"tick: 250ms\ncounters: [{name: w, kind: WindowCounter, window_size: 0.5}]\n", config.Config{Tick: 250 * time.Millisecond, Counters: []counters.Definition{
			{Name: "w", Kind: counters.WindowSum, Events: []string{"w"}, Window: 500 * time.Millisecond}}}},
		{"counters: [{name: 404, kind: count, events: [a, b]}]\n", config.Config{Counters: []counters.Definition{
			{Name: "404", Kind: counters.Count, Events: []string{"a", "b"}, Window: counters.DefaultWindow}}}},
		{"counters: [{name: e, kind: EventCounter, of: count}]\n", config.Config{Counters: []counters.Definition{
			{Name: "e", Kind: counters.Event, Events: []string{"e"}, Window: counters.DefaultWindow, Of: counters.OfCount}}}},
	} {
		got, err := config.Parse([]byte(tc.data), "t.yaml")
		if err != nil {
			t.Errorf("%q: %v", tc.data, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%q:\ngot  %+v\nwant %+v", tc.data, *got, tc.want)
		}
	}
}

func TestParseAliases(t *testing.T) {
	data := `
counters:
  - &avg {name: a, kind: average, events: &ev [x, y]}
  - {name: b, kind: max, events: *ev}
`
	got, err := config.Parse([]byte(data), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Counters) != 2 || !reflect.DeepEqual(got.Counters[1].Events, []string{"x", "y"}) {
		t.Errorf("got %+v", got.Counters)
	}
}

// TestParseAliasBomb checks that aliases expanding to far more nodes than
// the file holds end in an error, quickly.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("e: &e [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("x")
		b.WriteString(strings.Repeat("y", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("z", i/26))
	}
	b.WriteString("]\ncounters:\n")
	data := strings.Replace(b.String(), "e: &e", "default_counters: {include: &e", 1)
	data = strings.Replace(data, "]\ncounters:", "]}\ncounters:", 1)
	var sb strings.Builder
	sb.WriteString(data)
	for i := range 1000 {
		sb.WriteString("  - {name: c")
		sb.WriteString(strings.Repeat("i", i))
		sb.WriteString(", kind: max, events: *e}\n")
	}
	_, err := config.Parse([]byte(sb.String()), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("want a too-large error, got %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	_, kindErr := counters.ParseKind("Foo")
	for _, tc := range []struct {
		data string
		want string // the whole message, or its start when it ends in "..."
	}{
		{"tick: [1\n", "t.yaml:1: syntax error: ..."},
		{"tick: 1s\n---\ntick: 2s\n", "t.yaml:2: more than one YAML document"},
		{"- tick\n", "t.yaml:1: want a mapping of settings (tick, report_interval, series_limit, counters, reporters, default_counters), got a list"},
		{"tikc: 5s\n", "t.yaml:1: tikc: unknown key (want one of tick, report_interval, series_limit, counters, reporters, default_counters)"},
		{"tick: 1s\ntick: 2s\n", "t.yaml:2: tick: duplicate key (first at line 1)"},
		{"[1]: 2\n", "t.yaml:1: want a key name, got a list"},
		{"tick: 5x\n", `t.yaml:1: tick: bad duration "5x": want a Go duration such as 300s or 5m or a number of seconds`},
		{"tick: -1s\n", "t.yaml:1: tick: want a positive duration, got -1s"},
		{"tick: 0\n", "t.yaml:1: tick: want a positive duration, got 0"},
		{"tick: 1e-12\n", "t.yaml:1: tick: want a positive duration, got 1e-12"},
		{"tick: 1e300\n", "t.yaml:1: tick: 1e300 seconds is too long"},
		{"tick: .inf\n", "t.yaml:1: tick: want a finite number, got .inf"},
		{"tick: true\n", "t.yaml:1: tick: want a duration such as 300s, got boolean true"},
		{"tick: 2000000h\n", "t.yaml:1: tick: tick 2000000h0m0s is longer than 438000h0m0s"},
		{"counters: [{name: w, kind: WindowCounter, window_size: 0.5}]\n", "t.yaml:1: counters[0].window_size: window 500ms is not a whole number of ticks of 5s: use 5s, or a tick that divides it (checked against the default tick)"},
		{"tick: 2s\ncounters:\n  - {name: w, kind: max, window: 7s}\n", "t.yaml:3: counters[0].window: window 7s is not a whole number of ticks of 2s: use 6s or 8s, or a tick that divides it (checked against the file's tick)"},
		{"tick: 7s\ncounters:\n  - {name: w, kind: max}\n", "t.yaml:3: counters[0]: the default window 5m0s is not a whole number of ticks of 7s: use 4m54s or 5m1s, or a tick that divides it (checked against the file's tick)"},
		{"tick: 1s\ncounters:\n  - {name: w, kind: max, window: 1031s}\n", "t.yaml:3: counters[0].window: window 17m11s is 1031 ticks of 1s: ..."},
		{"counters:\n  - {name: w, kind: max, window: 2530000h}\n", "t.yaml:2: counters[0]: counter \"w\": window 2530000h0m0s is longer than 438000h0m0s"},
		{"report_interval: 0\n", "t.yaml:1: report_interval: 0 is ambiguous: write off to turn automatic reports off, or leave the key out for the default"},
		{"report_interval: [1]\n", "t.yaml:1: report_interval: want a duration such as 300s, got a list"},
		{"report_interval: never\n", `t.yaml:1: report_interval: bad duration "never": want a Go duration such as 300s or 5m or a number of seconds`},
		{"series_limit: 1.5\n", "t.yaml:1: series_limit: want a positive whole number or none, got number 1.5"},
		{"series_limit: -3\n", "t.yaml:1: series_limit: want a positive whole number or none, got -3"},
		{"series_limit: lots\n", `t.yaml:1: series_limit: want a positive whole number or none, got "lots"`},
		{"counters: {a: 1}\n", "t.yaml:1: counters: want a list of counters, got a mapping"},
		{"counters:\n  - x\n", `t.yaml:2: counters[0]: want a counter (a mapping with name and kind), got "x"`},
		{"counters:\n  - kind: max\n", "t.yaml:2: counters[0]: missing required key name"},
		{"counters:\n  - name: a\n", "t.yaml:2: counters[0]: missing required key kind"},
		{"counters:\n  - {name: '  ', kind: max}\n", "t.yaml:2: counters[0].name: empty"},
		{"counters:\n  - {name: [a], kind: max}\n", "t.yaml:2: counters[0].name: want a string, got a list"},
		{"counters:\n  - {name: a, kind: max}\n  - {name: b, kind: max}\n  - name: c\n    kind: Foo\n",
			"t.yaml:5: counters[2].kind: " + kindErr.Error()},
		{"counters:\n  - {name: a, kind: {x: 1}}\n", "t.yaml:2: counters[0].kind: want a counter kind, got a mapping"},
		{"counters:\n  - {name: a, kind: max, knd: x}\n", "t.yaml:2: counters[0].knd: unknown key (want one of name, kind, events, window, window_size, of, quantiles, by, without)"},
		{"counters:\n  - name: a\n    kind: max\n    window: 60s\n    window_size: 60\n",
			"t.yaml:5: counters[0].window_size: window (line 4) and window_size both given: use one"},
		{"counters:\n  - {name: a, kind: max, window: 900}\n", "t.yaml:2: counters[0].window: want a duration with a unit, such as 900s"},
		{"counters:\n  - {name: a, kind: max, window: 15}\n", "t.yaml:2: counters[0].window: want a duration with a unit, such as 15s"},
		{"counters:\n  - {name: a, kind: max, window: 15 minutes}\n", `t.yaml:2: counters[0].window: bad duration "15 minutes": want a Go duration such as 300s or 5m`},
		{"counters:\n  - {name: a, kind: max, window: -5m}\n", "t.yaml:2: counters[0].window: want a positive duration, got -5m"},
		{"counters:\n  - {name: a, kind: max, window_size: 15m}\n", `t.yaml:2: counters[0].window_size: want a number, got "15m"`},
		{"counters:\n  - {name: a, kind: max, window_size: 0}\n", "t.yaml:2: counters[0].window_size: want a positive duration, got 0"},
		{"counters:\n  - {name: a, kind: max, window_size: -1}\n", "t.yaml:2: counters[0].window_size: want a positive duration, got -1"},
		{"counters:\n  - name: a\n    kind: total\n    window: 5m\n", "t.yaml:4: counters[0].window: total counters have no window"},
		{"counters:\n  - {name: a, kind: event, window_size: 60}\n", "t.yaml:2: counters[0].window_size: event counters have no window"},
		{"counters:\n  - {name: a, kind: max, events: []}\n", "t.yaml:2: counters[0].events: empty list of event names"},
		{"counters:\n  - {name: a, kind: max, events: x}\n", `t.yaml:2: counters[0].events: want a list of event names, got "x"`},
		{"counters:\n  - name: a\n    kind: max\n    events:\n      - x\n      - ''\n", "t.yaml:6: counters[0].events[1]: empty"},
		{"counters:\n  - name: a\n    kind: max\n    events:\n      - x\n      - x\n", `t.yaml:6: counters[0].events[1]: "x" listed twice (first at line 5)`},
		{"counters:\n  - {name: a, kind: frequency, of: bytes}\n", `t.yaml:2: counters[0].of: unknown value "bytes" for of (want auto, count or sum)`},
		{"counters:\n  - {name: a, kind: frequency, of: [sum]}\n", "t.yaml:2: counters[0].of: want auto, count or sum, got a list"},
		{"counters:\n  - {name: a, kind: average, of: sum}\n", `t.yaml:2: counters[0]: counter "a": of applies to event, total, frequency and window_sum counters, not average`},
		{"counters:\n  - {name: a, kind: max}\n  - {name: b, kind: min}\n  - {name: a, kind: min}\n",
			`t.yaml:4: counters[2].name: duplicate counter name "a" (first defined at line 2)`},
		{"reporters: log\n", `t.yaml:1: reporters: want a list of reporters, got "log"`},
		{"reporters:\n  - name: x\n", "t.yaml:2: reporters[0]: missing required key type (one of log, json_file, process_file, pipe)"},
		{"reporters:\n  - type: syslog\n", `t.yaml:2: reporters[0].type: unknown reporter type "syslog" (want one of log, json_file, process_file, pipe)`},
		{"reporters:\n  - type: log\n    path: x.log\n", "t.yaml:3: reporters[0].path: does not apply to a log reporter"},
		{"reporters:\n  - type: log\n    address: 127.0.0.1:1\n", "t.yaml:3: reporters[0].address: does not apply to a log reporter"},
		{"reporters:\n  - type: json_file\n", "t.yaml:2: reporters[0]: missing required key path for a json_file reporter"},
		{"reporters:\n  - type: json_file\n    path: ''\n", "t.yaml:3: reporters[0].path: empty"},
		{"reporters:\n  - type: json_file\n    level: info\n    path: a\n", "t.yaml:3: reporters[0].level: does not apply to a json_file reporter"},
		{"reporters:\n  - type: log\n    level: loud\n", `t.yaml:3: reporters[0].level: unknown level "loud" (want one of debug, info, warn, error)`},
		{"reporters:\n  - type: log\n  - type: log\n", `t.yaml:3: reporters[1].name: duplicate reporter name "log" (first at line 2); give each reporter of one type its own name`},
		{"reporters:\n  - {type: log, name: a}\n  - {type: json_file, name: a, path: x}\n", `t.yaml:3: reporters[1].name: duplicate reporter name "a" (first at line 2); give each reporter of one type its own name`},
		{"reporters:\n  - {type: log, colour: red}\n", "t.yaml:2: reporters[0].colour: unknown key (want one of type, name, path, level, address)"},
		{"default_counters: yes\n", `t.yaml:1: default_counters: want a mapping with enabled, include and exclude, got "yes"`},
		{"default_counters: {enabled: 1}\n", "t.yaml:1: default_counters.enabled: want true or false, got number 1"},
		{"default_counters: {include: http.*}\n", `t.yaml:1: default_counters.include: want a list of name patterns, got "http.*"`},
		{"default_counters: {exclude: ['']}\n", "t.yaml:1: default_counters.exclude[0]: empty"},
		{"default_counters: {only: [a]}\n", "t.yaml:1: default_counters.only: unknown key (want one of enabled, include, exclude)"},
		// JSON, with its lines.
		{"{\n  \"counters\": [\n    {\"name\": \"a\",\n     \"kind\": \"Foo\"}\n  ]\n}\n", "t.yaml:4: counters[0].kind: " + kindErr.Error()},
		{"{\"tick\": 5}\n{\"tick\": 6}\n", "t.yaml:2: syntax error: ..."},
		{"{\n  \"tick\": \"5s\",\n  \"tick\": \"6s\"\n}\n", "t.yaml:3: tick: duplicate key (first at line 2)"},
		{"{\n  \"counters\": [{\"name\": \"a\", \"kind\": \"max\", \"window_size\": \"900\"}]\n}\n", `t.yaml:2: counters[0].window_size: want a number, got "900"`},
	} {
		cfg, err := config.Parse([]byte(tc.data), "t.yaml")
		if err == nil {
			t.Errorf("%q: no error, got %+v", tc.data, cfg)
			continue
		}
		if cfg != nil {
			t.Errorf("%q: a config with the error", tc.data)
		}
		got := err.Error()
		if want, ok := strings.CutSuffix(tc.want, "..."); ok {
			if !strings.HasPrefix(got, want) {
				t.Errorf("%q:\ngot  %s\nwant %s...", tc.data, got, want)
			}
		} else if got != tc.want {
			t.Errorf("%q:\ngot  %s\nwant %s", tc.data, got, tc.want)
		}
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Source != "t.yaml" || ce.Line == 0 && !strings.Contains(got, "syntax") {
			t.Errorf("%q: error %#v is not a located *config.Error", tc.data, ce)
		}
	}
}

func TestParseSeveralErrors(t *testing.T) {
	data := "tick: 5x\ncounters:\n  - {name: a, kind: Foo}\n  - {name: a, kind: max}\nreporters:\n  - type: nope\n"
	_, err := config.Parse([]byte(data), "t.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"t.yaml:1: tick:", "t.yaml:3: counters[0].kind:", "t.yaml:4: counters[1].name: duplicate", "t.yaml:6: reporters[0].type:"}
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("error %d = %q, want it to start with %q", i, lines[i], want[i])
		}
	}
}

func TestParseTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("counters:\n")
	for range 50 {
		b.WriteString("  - {name: a, kind: Foo}\n")
	}
	_, err := config.Parse([]byte(b.String()), "t.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || lines[20] != "t.yaml: too many errors" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestErrorWithoutSource(t *testing.T) {
	_, err := config.Parse([]byte("tick: x\n"), "")
	if err == nil || !strings.HasPrefix(err.Error(), "line 1: tick: bad duration") {
		t.Errorf("got %v", err)
	}
}

func TestKnownReporterTypes(t *testing.T) {
	types := config.KnownReporterTypes()
	for _, want := range []string{"log", "json_file"} {
		found := false
		for _, ty := range types {
			found = found || ty == want
		}
		if !found {
			t.Errorf("%q missing from %v", want, types)
		}
	}
	types[0] = "changed"
	if config.KnownReporterTypes()[0] == "changed" {
		t.Error("KnownReporterTypes returns shared state")
	}
}

func TestDefaultsSelects(t *testing.T) {
	d := config.Defaults{Enabled: true, Include: []string{"http.*", "db.?.time"}, Exclude: []string{"*.client.*"}}
	for name, want := range map[string]bool{
		"http.server.request.duration": true,
		"http.client.request.duration": false,
		"http.":                        true,
		"http":                         false,
		"db.a.time":                    true,
		"db.ab.time":                   false,
		"db.é.time":                    true,
		"grpc.server":                  false,
	} {
		if got := d.Selects(name); got != want {
			t.Errorf("Selects(%q) = %v, want %v", name, got, want)
		}
	}
	all := config.Defaults{Enabled: true, Exclude: []string{"*_total", "a*b*c"}}
	for name, want := range map[string]bool{"x": true, "": true, "x_total": false, "aXbYc": false, "abc": false, "aXbY": true, "acb": true} {
		if got := all.Selects(name); got != want {
			t.Errorf("all.Selects(%q) = %v, want %v", name, got, want)
		}
	}
	if (config.Defaults{Include: []string{"*"}}).Selects("x") {
		t.Error("a disabled Defaults selects")
	}
}

func TestLoadAndFromEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.yaml")
	if err := os.WriteFile(path, []byte(fullYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil || len(cfg.Counters) != 4 {
		t.Fatalf("Load: %v, %+v", err, cfg)
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if cfg, err := config.FromEnv(getenv); cfg != nil || err != nil {
		t.Errorf("FromEnv unset = %v, %v", cfg, err)
	}
	env[config.EnvVar] = path
	if cfg, err := config.FromEnv(getenv); err != nil || cfg.Tick != 5*time.Second {
		t.Errorf("FromEnv = %+v, %v", cfg, err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := config.Load(missing); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v", err)
	}
	env[config.EnvVar] = missing
	if _, err := config.FromEnv(getenv); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), config.EnvVar) {
		t.Errorf("FromEnv(missing) = %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("tick: 1s\nticks: 2s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env[config.EnvVar] = bad
	if _, err := config.FromEnv(getenv); err == nil || err.Error() != bad+":2: ticks: unknown key (want one of tick, report_interval, series_limit, counters, reporters, default_counters)" {
		t.Errorf("FromEnv(bad) = %v", err)
	}
}

func TestQuantiles(t *testing.T) {
	c, err := config.Parse([]byte("counters:\n  - name: latency\n    kind: percentiles\n    quantiles: [0.99, 0.5]\n"), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Counters[0].Quantiles; len(got) != 2 || got[0] != 0.5 || got[1] != 0.99 {
		t.Errorf("quantiles = %v, want [0.5 0.99] (sorted by Normalized)", got)
	}
	for src, want := range map[string]string{
		"counters:\n  - name: l\n    kind: percentiles\n    quantiles: [1.5]\n":   "q.yaml:4: counters[0].quantiles[0]: quantile 1.5 is not between 0 and 1",
		"counters:\n  - name: l\n    kind: percentiles\n    quantiles: []\n":      "q.yaml:4: counters[0].quantiles: want a list of quantiles",
		"counters:\n  - name: l\n    kind: average\n    quantiles: [0.5]\n":       "q.yaml:4: counters[0].quantiles: only percentiles counters have quantiles, not average",
		"counters:\n  - name: l\n    kind: percentiles\n    quantiles: [\"x\"]\n": "q.yaml:4: counters[0].quantiles[0]:",
	} {
		_, err := config.Parse([]byte(src), "q.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", src, err, want)
		}
	}
}

func TestAttributeSelection(t *testing.T) {
	src := `counters:
  - {name: plain, kind: frequency, events: [http.server.request.duration]}
  - {name: routes, kind: average_time, events: [http.server.request.duration], by: [http.route, http.request.method]}
  - {name: all, kind: max, events: [x], by: all}
  - {name: star, kind: max, events: [x], by: "*"}
  - {name: listed, kind: max, events: [x], by: [all]}
  - {name: most, kind: count, events: [x], without: [server.port, server.address]}
`
	c, err := config.Parse([]byte(src), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type sel struct{ by, without []string }
	want := []sel{
		{nil, nil},
		{[]string{"http.request.method", "http.route"}, nil}, // sorted
		{[]string{counters.AllAttributes}, nil},
		{[]string{counters.AllAttributes}, nil},
		{[]string{counters.AllAttributes}, nil},
		{nil, []string{"server.address", "server.port"}},
	}
	for i, d := range c.Counters {
		if got := (sel{d.By, d.Without}); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s: by %q without %q, want by %q without %q", d.Name, d.By, d.Without, want[i].by, want[i].without)
		}
	}
	for src, want := range map[string]string{
		"counters:\n  - name: l\n    kind: max\n    by: [a]\n    without: [b]\n": "s.yaml:5: counters[0].without: by (line 4) and without both given: use one",
		"counters:\n  - name: l\n    kind: max\n    by: some\n":                  `s.yaml:4: counters[0].by: want all or a list of attribute names such as [http.route], got "some"`,
		"counters:\n  - name: l\n    kind: max\n    by: []\n":                    "s.yaml:4: counters[0].by: empty list of attribute names",
		"counters:\n  - name: l\n    kind: max\n    by: [all, a]\n":              "s.yaml:4: counters[0].by: all (every attribute) with other names",
		"counters:\n  - name: l\n    kind: max\n    by: ['']\n":                  "s.yaml:4: counters[0].by[0]: empty",
		"counters:\n  - name: l\n    kind: max\n    without: '*'\n":              `s.yaml:4: counters[0].without: want a list of attribute names, got "*"`,
		"counters:\n  - name: l\n    kind: max\n    without: ['*']\n":            `s.yaml:4: counters[0].without: "*" would drop every attribute`,
		"counters:\n  - name: l\n    kind: max\n    by: {a: 1}\n":                "s.yaml:4: counters[0].by: want a list of attribute names, got a mapping",
		"counters:\n  - name: l\n    kind: max\n    by: [a, a]\n":                `s.yaml:4: counters[0].by[1]: "a" listed twice`,
	} {
		_, err := config.Parse([]byte(src), "s.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", src, err, want)
		}
	}
}

// A syntax error names the line it is on, the first line too.
func TestSyntaxErrorLines(t *testing.T) {
	for src, want := range map[string]string{
		"a: b: c\n":                   "y.yaml:1: syntax error: mapping values are not allowed in this context",
		"tick: 5s\ncounters: [a, b\n": "y.yaml:2: syntax error: did not find expected ',' or ']'",
		"tick: 5s\ncounters:\n  - {name: a, kind: max\n": "y.yaml:3: syntax error: did not find expected ',' or '}'",
		"tick: 5s\n\tcounters: x\n":                      "y.yaml:2: syntax error: found a tab character that violates indentation",
		"tick: 5s\ncounters:\n  - name: \"abc\n":         "y.yaml:3: syntax error: found unexpected end of stream",
		"tick: 1\n  x: 2\n":                              "y.yaml:2: syntax error: mapping values are not allowed in this context",
		"counters:\n  - name: a\n   kind: max\n":         "y.yaml:2: syntax error: did not find expected '-' indicator", // where the list begins
		"counters:\n- a\n b\n- c\n  d: e\n":              "y.yaml:5: syntax error: mapping values are not allowed in this context",
		"tick: [1\n":                                     "y.yaml:1: syntax error: did not find expected ',' or ']'",
	} {
		_, err := config.Parse([]byte(src), "y.yaml")
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %s", src, err, want)
		}
	}
}
