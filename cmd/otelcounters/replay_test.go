package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// runTool runs the tool as main would, with stdin as standard input.
func runTool(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// num formats an expected number as the JSON reports do: the shortest
// decimal that reads back to the same float64.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

const tutorialConfig = `# PyCounters' tutorial, steps 5 and 6
tick: 1s
counters:
  - {name: requests_time, kind: AverageTimeCounter, events: [request]}
  - {name: requests_frequency, kind: FrequencyCounter, events: [request]}
  - {name: requests_data_len, kind: TotalCounter}
  - {name: requests_data_len_avg, kind: AverageWindowCounter, events: [requests_data_len], window_size: 900}
  - {name: requests_data_len_total, kind: WindowCounter, events: [requests_data_len], window_size: 900}
  - {name: requests_data_len_max, kind: MaxWindowCounter, events: [requests_data_len], window_size: 900}
  - {name: requests_data_len_min, kind: MinWindowCounter, events: [requests_data_len], window_size: 900}
reporters:
  - {type: json_file, path: /tmp/server.counters.json}
`

// tutorialTrace is four requests to the tutorial's echo server: each a timed
// block "request" that reports the length of the data it echoed.
const tutorialTrace = `{"t": 10, "event": "request", "type": "start"}
{"t": 10.25, "event": "requests_data_len", "type": "value", "value": 100}
{"t": 10.5, "event": "request", "type": "end"}
{"t": 20, "event": "request", "type": "start"}
{"t": 20.125, "event": "requests_data_len", "type": "value", "value": 50}
{"t": 20.25, "event": "request", "type": "end"}

{"t": 200, "event": "request", "type": "start"}
{"t": 200.5, "event": "requests_data_len", "type": "value", "value": 300}
{"t": 201, "event": "request", "type": "end"}
{"t": 400, "event": "request", "type": "start"}
{"t": 400.125, "event": "requests_data_len", "type": "value", "value": 20}
{"t": 400.25, "event": "request", "type": "end"}
`

func TestReplayTutorial(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "server.yaml", tutorialConfig)
	code, out, errs := runTool(tutorialTrace, "replay", "--config", cfg, "--at", "1200,300,600", "-")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	// Worked out by hand. requests_time and requests_frequency have the
	// default 300 s window: at 300 it holds the requests ending at 10.5,
	// 20.25 and 201 (0.5 s, 0.25 s, 1 s); at 600 the one ending at 400.25;
	// at 1200 none. The 900 s windows hold every length at 300 and 600,
	// and at 1200 the lengths after 300: only 20. The total never forgets.
	line := func(total, avg, max, min, sum float64, freq float64, reqTime string, at int) string {
		return fmt.Sprintf(`{"requests_data_len": %s, "requests_data_len_avg": %s, "requests_data_len_max": %s, "requests_data_len_min": %s, "requests_data_len_total": %s, "requests_frequency": %s, "requests_time": %s, "__collection_time__": %d}`,
			num(total), num(avg), num(max), num(min), num(sum), num(freq), reqTime, at)
	}
	want := line(450, 450.0/3, 300, 50, 450, 3.0/300, num(1.75/3), 300) + "\n" +
		line(470, 470.0/4, 300, 20, 470, 1.0/300, num(0.25), 600) + "\n" +
		line(470, 20, 20, 20, 20, 0, "null", 1200) + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if errs != "" {
		t.Errorf("stderr: %s", errs)
	}
}

// replayOne runs a trace against counters over one event and returns the
// reports, decoded.
func replayOne(t *testing.T, config, trace string, args ...string) []map[string]any {
	t.Helper()
	cfg := writeFile(t, t.TempDir(), "c.yaml", config)
	code, out, errs := runTool(trace, append(append([]string{"replay", "--config", cfg}, args...), "-")...)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	var reps []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad output line %q: %v", l, err)
		}
		reps = append(reps, m)
	}
	return reps
}

func TestReplayTickAlignment(t *testing.T) {
	config := "tick: 1s\ncounters:\n  - {name: s, kind: window_sum, events: [v], window: 4s}\n"
	// The event at 1 belongs to the interval (0, 1] and leaves the window
	// at 5; the one at 0 counts as in the first interval too.
	trace := `{"t": 0, "event": "v", "type": "value", "value": 8}
{"t": 1, "event": "v", "type": "value", "value": 1}
{"t": 1.5, "event": "v", "type": "value", "value": 2}
{"t": 5, "event": "v", "type": "value", "value": 4}
`
	for _, tc := range []struct {
		at   string
		want []float64
	}{
		{"1,2,3,4,5", []float64{9, 11, 11, 11, 6}},
		// Without a report at every tick, only the ticks place events.
		{"4,5", []float64{11, 6}},
		{"5", []float64{6}},
	} {
		reps := replayOne(t, config, trace, "--at", tc.at)
		if len(reps) != len(tc.want) {
			t.Fatalf("--at %s: got %d reports, want %d", tc.at, len(reps), len(tc.want))
		}
		for i, w := range tc.want {
			if reps[i]["s"] != w {
				t.Errorf("--at %s: report %d = %v, want s=%v", tc.at, i, reps[i], w)
			}
		}
	}
}

func TestReplayNestingWithoutIDs(t *testing.T) {
	config := "counters:\n  - {name: mx, kind: max, events: [db], by: all}\n  - {name: mn, kind: min, events: [db], by: all}\n  - {name: n, kind: count, events: [db], by: all}\n"
	// Starts without id pair with ends innermost first, per event name
	// and attributes: the GET block is its own stack.
	trace := `{"t": 1, "event": "db", "type": "start"}
{"t": 2, "event": "db", "type": "start"}
{"t": 2.5, "event": "db", "type": "start", "attrs": {"q": "GET"}}
{"t": 3, "event": "db", "type": "end"}
{"t": 5, "event": "db", "type": "end"}
{"t": 12.5, "event": "db", "type": "end", "attrs": {"q": "GET"}}
`
	reps := replayOne(t, config, trace, "--at", "20")
	got := reps[0]
	want := map[string]any{"mx": 4.0, "mn": 1.0, "n": 2.0, `mx{q="GET"}`: 10.0, `mn{q="GET"}`: 10.0, `n{q="GET"}`: 1.0, "__collection_time__": 20.0}
	if !equalMaps(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReplayIDsAcrossInterleaving(t *testing.T) {
	config := "counters:\n  - {name: avg, kind: average_time, events: [req], by: [m]}\n  - {name: mx, kind: max, events: [req], by: [m]}\n  - {name: mn, kind: min, events: [req], by: [m]}\n"
	// a1 and a2 overlap without nesting: only ids pair them right.
	trace := `{"t": 1, "event": "req", "type": "start", "id": "a1", "attrs": {"m": "GET"}}
{"t": 2, "event": "req", "type": "start", "id": "a2"}
{"t": 3, "event": "req", "type": "end", "id": "a1"}
{"t": 4, "event": "req", "type": "start", "id": "a1", "attrs": {"m": "GET"}}
{"t": 7, "event": "req", "type": "end", "id": "a2"}
{"t": 8, "event": "req", "type": "end", "id": "a1", "attrs": {"m": "GET"}}
`
	reps := replayOne(t, config, trace, "--at", "10")
	want := map[string]any{
		"avg": 5.0, "mx": 5.0, "mn": 5.0,
		`avg{m="GET"}`: 3.0, `mx{m="GET"}`: 4.0, `mn{m="GET"}`: 2.0,
		"__collection_time__": 10.0,
	}
	if !equalMaps(reps[0], want) {
		t.Errorf("got %v, want %v", reps[0], want)
	}
}

func equalMaps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestReplayUnendedStartWarns(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "c.yaml", "counters: [{name: n, kind: count, events: [req]}]\n")
	trace := `{"t": 1, "event": "req", "type": "start", "id": "x"}
{"t": 2, "event": "req", "type": "start"}
{"t": 3, "event": "req", "type": "start"}
{"t": 4, "event": "req", "type": "end"}
`
	code, out, errs := runTool(trace, "replay", "--config", cfg, "--every", "10", "-")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	if out != `{"n": 1, "__collection_time__": 10}`+"\n" {
		t.Errorf("stdout %q", out)
	}
	want := "otelcounters replay: stdin:1: warning: start of \"req\" (id \"x\") never ended\notelcounters replay: stdin:2: warning: start of \"req\" never ended\n"
	if errs != want {
		t.Errorf("stderr %q, want %q", errs, want)
	}
}

func TestReplayEvery(t *testing.T) {
	for _, tc := range []struct {
		n, last time.Duration
		want    []time.Duration
	}{
		{300 * time.Second, 610 * time.Second, []time.Duration{300 * time.Second, 600 * time.Second, 900 * time.Second}},
		{300 * time.Second, 600 * time.Second, []time.Duration{300 * time.Second, 600 * time.Second}},
		{60 * time.Second, 0, []time.Duration{60 * time.Second}},
		{60 * time.Second, time.Second, []time.Duration{60 * time.Second}},
	} {
		if got := everyTimes(tc.n, tc.last); !slices.Equal(got, tc.want) {
			t.Errorf("everyTimes(%v, %v) = %v, want %v", tc.n, tc.last, got, tc.want)
		}
	}
}

func TestReplayTraceFileAndFlagOrder(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.json", `{"counters": [{"name": "hits", "kind": "event"}]}`)
	tr := writeFile(t, dir, "t.jsonl", `{"t": 2, "event": "hits", "type": "occurrence"}`+"\n")
	// The trace before the flags, report times as durations and out of
	// order, a report long after the last event.
	code, out, errs := runTool("", "replay", tr, "--config", cfg, "--at", "1h,1,2")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	want := `{"hits": null, "__collection_time__": 1}` + "\n" + `{"hits": 1, "__collection_time__": 2}` + "\n" + `{"hits": 1, "__collection_time__": 3600}` + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", "counters:\n  - {name: a, kind: average, events: [v]}\n")
	badKind := writeFile(t, dir, "kind.yaml", "tick: 1s\ncounters:\n  - name: a\n    kind: Foo\n")
	badWindow := writeFile(t, dir, "window.yaml", "counters:\n  - name: a\n    kind: max\n    window: 15 min\n")
	trace := writeFile(t, dir, "trace.jsonl", `{"t": 1, "event": "v", "type": "value", "value": 1}`+"\n")
	v := func(t string) string { return `{"t": ` + t + `, "event": "v", "type": "value", "value": 1}` }
	for _, tc := range []struct {
		name  string
		trace string
		args  []string // after "replay"; nil: --config good --at 10 trace.jsonl
		want  string   // in stderr
	}{
		{"invalid JSON", v("1") + "\n{\"t\": 2,\n", nil, "trace.jsonl:2: invalid JSON"},
		{"not an object", "[1, 2]\n", nil, "trace.jsonl:1: want a JSON object"},
		{"unknown field", `{"t": 1, "event": "v", "type": "value", "value": 1, "tag": "x"}`, nil, "trace.jsonl:1: tag: unknown field"},
		{"unknown type", `{"t": 1, "event": "v", "type": "stop"}`, nil, `trace.jsonl:1: type: unknown type "stop"`},
		{"missing type", `{"t": 1, "event": "v"}`, nil, "trace.jsonl:1: type: missing"},
		{"missing t", `{"event": "v", "type": "occurrence"}`, nil, "trace.jsonl:1: t: missing"},
		{"t not a number", `{"t": "1", "event": "v", "type": "occurrence"}`, nil, `trace.jsonl:1: t: want a number, got "1"`},
		{"negative t", `{"t": -1, "event": "v", "type": "occurrence"}`, nil, "trace.jsonl:1: t: negative time"},
		{"huge t", `{"t": 1e300, "event": "v", "type": "occurrence"}`, nil, "trace.jsonl:1: t: 1e+300 is too late"},
		{"backwards", v("1") + "\n" + v("3") + "\n" + v("2.5") + "\n", nil, "trace.jsonl:3: t: time goes backwards: 2.5 after 3"},
		{"missing event", `{"t": 1, "type": "occurrence"}`, nil, "trace.jsonl:1: event: missing"},
		{"empty event", `{"t": 1, "event": "", "type": "occurrence"}`, nil, "trace.jsonl:1: event: empty"},
		{"event not a string", `{"t": 1, "event": 3, "type": "occurrence"}`, nil, "trace.jsonl:1: event: want a string, got 3"},
		{"bad instrument name", `{"t": 1, "event": "1v", "type": "occurrence"}`, nil, "trace.jsonl:1: event: invalid instrument name"},
		{"end with no start", `{"t": 1, "event": "r", "type": "start"}` + "\n" + `{"t": 2, "event": "r", "type": "end", "attrs": {"m": "GET"}}`, nil,
			`trace.jsonl:2: event: end of "r" with no start`},
		{"end of an id never started", `{"t": 1, "event": "r", "type": "start", "id": "a"}` + "\n" + `{"t": 2, "event": "r", "type": "end", "id": "b"}`, nil,
			`trace.jsonl:2: id: end of "r" with no start: no open start has id "b"`},
		{"id started twice", `{"t": 1, "event": "r", "type": "start", "id": "a"}` + "\n" + `{"t": 2, "event": "r", "type": "start", "id": "a"}`, nil,
			`trace.jsonl:2: id: id "a" is already open (started at line 1)`},
		{"id ends another event", `{"t": 1, "event": "r", "type": "start", "id": "a"}` + "\n" + `{"t": 2, "event": "q", "type": "end", "id": "a"}`, nil,
			`trace.jsonl:2: event: end of "q", but id "a" started "r" at line 1`},
		{"id end with other attrs", `{"t": 1, "event": "r", "type": "start", "id": "a", "attrs": {"m": 1}}` + "\n" + `{"t": 2, "event": "r", "type": "end", "id": "a", "attrs": {"m": 2}}`, nil,
			"trace.jsonl:2: attrs: differ from those of the start at line 1"},
		{"missing value", `{"t": 1, "event": "v", "type": "value"}`, nil, "trace.jsonl:1: value: missing"},
		{"extra value", `{"t": 1, "event": "v", "type": "occurrence", "value": 2}`, nil, "trace.jsonl:1: value: only value events take a value"},
		{"value not a number", `{"t": 1, "event": "v", "type": "value", "value": "2"}`, nil, `trace.jsonl:1: value: want a number, got "2"`},
		{"value null", `{"t": 1, "event": "v", "type": "value", "value": null}`, nil, `trace.jsonl:1: value: want a number, got null`},
		{"non-finite value", `{"t": 1, "event": "v", "type": "value", "value": -1e999}`, nil, "trace.jsonl:1: value: -1e999 is not a finite number"},
		{"id on a value", `{"t": 1, "event": "v", "type": "value", "value": 1, "id": "a"}`, nil, "trace.jsonl:1: id: only start and end events take an id"},
		{"attrs not an object", `{"t": 1, "event": "v", "type": "occurrence", "attrs": ["m"]}`, nil, "trace.jsonl:1: attrs: want an object"},
		{"nested attr", `{"t": 1, "event": "v", "type": "occurrence", "attrs": {"a": "x", "m": {"x": 1}}}`, nil, "trace.jsonl:1: attrs.m: want a string, number or boolean"},
		{"event measured two ways", v("1") + "\n" + `{"t": 2, "event": "v", "type": "start"}`, nil,
			`trace.jsonl:2: type: event "v" is timed (start/end) here but value at line 1`},
		{"unknown counter kind", v("1"), []string{"--config", badKind, "--at", "10", "-"}, `kind.yaml:4: counters[0].kind: unknown counter kind "Foo"`},
		{"bad duration", v("1"), []string{"--config", badWindow, "--at", "10", "-"}, `window.yaml:4: counters[0].window: bad duration "15 min"`},
		{"missing config", v("1"), []string{"--config", filepath.Join(dir, "none.yaml"), "--at", "10", "-"}, "none.yaml: no such file"},
		{"missing trace", "", []string{"--config", good, "--at", "10", filepath.Join(dir, "none.jsonl")}, "none.jsonl: no such file"},
		{"no report times", v("1"), []string{"--config", good, "-"}, "give one of --at and --every"},
		{"both report flags", v("1"), []string{"--config", good, "--at", "1", "--every", "1", "-"}, "give one of --at and --every"},
		{"bad --at", v("1"), []string{"--config", good, "--at", "1,x", "-"}, `--at: "x": want a number of seconds`},
		{"negative --at", v("1"), []string{"--config", good, "--at", "-5", "-"}, `--at: "-5": want seconds between 0`},
		{"zero --every", v("1"), []string{"--config", good, "--every", "0", "-"}, `--every "0": want a positive number of seconds`},
		{"bad --tick", v("1"), []string{"--config", good, "--tick", "fast", "--at", "1", "-"}, `--tick "fast": want a positive duration`},
		{"too many reports", `{"t": 100000, "event": "v", "type": "occurrence"}`, []string{"--config", good, "--every", "1ns", "--tick", "1h", "-"}, "too many"},
		{"too many ticks", v("1"), []string{"--config", good, "--tick", "1us", "--at", "3600", "-"}, "too many"},
		{"no config", v("1"), []string{"--at", "1", "-"}, "--config is required"},
		{"no trace", v("1"), []string{"--config", good, "--at", "1"}, "want one TRACE argument, got 0"},
		{"two traces", v("1"), []string{"--config", good, "--at", "1", "-", "-"}, "want one TRACE argument, got 2"},
		{"unknown flag", v("1"), []string{"--config", good, "--at", "1", "--window", "5", "-"}, "flag provided but not defined: -window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				p := writeFile(t, t.TempDir(), "trace.jsonl", tc.trace)
				args = []string{"--config", good, "--at", "10", p}
			}
			code, out, errs := runTool(tc.trace, append([]string{"replay"}, args...)...)
			if code != 2 {
				t.Errorf("status %d, want 2 (stderr %q)", code, errs)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.want)
			}
		})
	}
	// The good trace and config do work: the failures above are theirs.
	if code, _, errs := runTool("", "replay", "--config", good, "--at", "10", trace); code != 0 {
		t.Errorf("good input: status %d: %s", code, errs)
	}
}

func TestRunDispatch(t *testing.T) {
	// Help asked for exits 0, as Go's flag package does; misuse exits 2.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: otelcounters <command>"},
		{[]string{"help"}, 0, "usage: otelcounters <command>"},
		{[]string{"--help"}, 0, "  replay "},
		{[]string{"-h"}, 0, "  replay "},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help", "replay"}, 0, "usage: otelcounters replay --config FILE"},
		{[]string{"replay", "-h"}, 0, "-every N"},
		{[]string{"replay", "--help"}, 0, "-every N"},
		{[]string{"replay", "--no-such-flag"}, 2, "-every N"},
		{[]string{"demo", "-h"}, 0, "Usage: otelcounters demo"},
		{[]string{"munin", "--help"}, 0, "usage: otelcounters munin"},
		{[]string{"merge", "-help"}, 0, "usage: otelcounters merge"},
		{[]string{"serve", "-h"}, 0, "usage: otelcounters serve"},
	} {
		code, out, errs := runTool("", tc.args...)
		if code != tc.code || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want %d, nothing, %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
}

// refEvent is a measurement of the random traces, times in eighths of a
// second so that the reference's arithmetic is exact.
type refEvent struct {
	t8    int64
	event string            // "v" (values), "req" (timed), "hit" (occurrences)
	attrs map[string]string // the measurement's attributes
	value float64
}

// refAttrs are the attributes of the random traces and their values.
var refAttrs = []struct {
	key    string
	values []string
}{
	{"m", []string{"GET", "POST"}},
	{"route", []string{"/", "/users/{id}", "/static"}},
	{"port", []string{"80", "8080"}},
}

// refSelection is a counter's attribute selection in the random traces.
type refSelection struct {
	by, without []string // by [*]: every attribute; neither: one series
}

// yaml returns the selection as the configuration file writes it.
func (s refSelection) yaml() string {
	switch {
	case len(s.by) == 1 && s.by[0] == counters.AllAttributes:
		return ", by: all"
	case len(s.by) > 0:
		return ", by: [" + strings.Join(s.by, ", ") + "]"
	case len(s.without) > 0:
		return ", without: [" + strings.Join(s.without, ", ") + "]"
	}
	return ""
}

// key returns the report key of the series that a measurement with attrs
// belongs to.
func (s refSelection) key(name string, attrs map[string]string) string {
	var kvs []attribute.KeyValue
	for k, v := range attrs {
		keep := len(s.by) == 1 && s.by[0] == counters.AllAttributes ||
			slices.Contains(s.by, k) ||
			len(s.without) > 0 && !slices.Contains(s.without, k)
		if keep {
			kvs = append(kvs, attribute.String(k, v))
		}
	}
	return report.Key(name, attribute.NewSet(kvs...))
}

// randomSelection picks none, all, a few attributes to keep (sometimes one
// no measurement has) or a few to drop.
func randomSelection(rng *rand.Rand) refSelection {
	some := func() []string {
		var names []string
		for _, a := range refAttrs {
			if rng.IntN(2) == 0 {
				names = append(names, a.key)
			}
		}
		if len(names) == 0 || rng.IntN(5) == 0 {
			names = append(names, "zone")
		}
		return names
	}
	switch rng.IntN(4) {
	case 1:
		return refSelection{by: []string{counters.AllAttributes}}
	case 2:
		return refSelection{by: some()}
	case 3:
		return refSelection{without: some()}
	}
	return refSelection{}
}

// refCounters are the counters of the random traces.
var refCounters = []struct {
	name, event string
	kind        counters.Kind
}{
	{"v_avg", "v", counters.Average},
	{"v_max", "v", counters.Max},
	{"v_min", "v", counters.Min},
	{"v_count", "v", counters.Count},
	{"v_sum", "v", counters.WindowSum},
	{"v_freq", "v", counters.Frequency},
	{"v_total", "v", counters.Total},
	{"req_time", "req", counters.AverageTime},
	{"req_freq", "req", counters.Frequency},
	{"req_max", "req", counters.Max},
	{"req_events", "req", counters.Event},
	{"hit_sum", "hit", counters.WindowSum},
	{"hit_freq", "hit", counters.Frequency},
	{"hit_events", "hit", counters.Event},
}

// reference computes by brute force what a report at r8 holds: for each
// window counter and series, the events in (⌈r/s⌉·s − W, r] for slot width s
// (the events of (r−W, r] at every slot boundary); for totals, every event
// up to r; frequencies over r − max(that edge, 0), and at least a tick. A series with attributes is gone once it has been idle (no event
// in its slot or later) for more than twice the window, as the reader
// forgets it; a counter with no series reports its empty value under its
// name.
func reference(evs []refEvent, sels []refSelection, w8, slot8, tick8, r8 int64) map[string]any {
	out := map[string]any{"__collection_time__": float64(r8) / 8}
	edge8 := (r8+slot8-1)/slot8*slot8 - w8
	covered8 := max(tick8, r8-max(edge8, 0))
	for ci, c := range refCounters {
		type acc struct {
			n, sum, all, allN float64
			mx, mn            float64
			last              int64
			any               bool
		}
		series := map[string]*acc{}
		for _, e := range evs {
			if e.event != c.event || e.t8 > r8 {
				continue
			}
			key := sels[ci].key(c.name, e.attrs)
			a := series[key]
			if a == nil {
				a = &acc{}
				series[key] = a
			}
			a.last = max(a.last, e.t8)
			x := e.value
			if c.event != "v" && (c.kind == counters.Frequency || c.kind == counters.WindowSum || c.kind == counters.Event) {
				x = 1 // counting kinds count timed events and occurrences
			}
			a.all += x
			a.allN++
			if e.t8 <= edge8 {
				continue
			}
			if !a.any || e.value > a.mx {
				a.mx = e.value
			}
			if !a.any || e.value < a.mn {
				a.mn = e.value
			}
			a.any = true
			a.n++
			a.sum += x
		}
		windowed := c.kind.Windowed()
		reported := false
		for key, a := range series {
			lastSlotEnd := (a.last + slot8 - 1) / slot8 * slot8
			if windowed && key != c.name && r8-lastSlotEnd > 2*w8 {
				continue
			}
			out[key] = refValue(c.kind, a.n, a.sum, a.mx, a.mn, a.all, a.allN > 0, covered8)
			reported = true
		}
		if !reported {
			out[c.name] = refValue(c.kind, 0, 0, 0, 0, 0, false, covered8)
		}
	}
	return out
}

func refValue(k counters.Kind, n, sum, mx, mn, all float64, seen bool, covered8 int64) any {
	switch k {
	case counters.Average, counters.AverageTime:
		if n == 0 {
			return nil
		}
		return sum / n
	case counters.Max:
		if n == 0 {
			return nil
		}
		return mx
	case counters.Min:
		if n == 0 {
			return nil
		}
		return mn
	case counters.Count:
		return n
	case counters.WindowSum:
		return sum
	case counters.Frequency:
		return sum / (float64(covered8) / 8)
	case counters.Total, counters.Event:
		if !seen {
			return nil
		}
		return all
	}
	panic("kind")
}

// TestReplayMatchesReference runs random traces through the tool and
// compares every report with the brute-force reference. Values and times
// are multiples of 1/8; report times are multiples of the slot width (where
// a window holds exactly (R−W, R]) or any eighth of a second, between ticks.
// Measurements carry random attribute sets and each counter a random
// attribute selection, so the reference also checks that series aggregate
// exactly over the attributes they leave out.
func TestReplayMatchesReference(t *testing.T) {
	traces := 200
	if testing.Short() {
		traces = 40
	}
	dir := t.TempDir()
	failures := 0
	for seed := range uint64(traces) {
		rng := rand.New(rand.NewPCG(seed, 0x7e1c0))
		tick8 := []int64{4, 8, 16}[rng.IntN(3)]
		// A window that is a whole number of slots, which the reader's
		// windows are exact for.
		var wSec, slot8 int64
		for wSec == 0 {
			wSec = []int64{4, 10, 30, 60, 90, 150, 240}[rng.IntN(7)]
			c, err := counters.New(counters.Definition{Name: "x", Kind: counters.Average, Window: time.Duration(wSec) * time.Second}, time.Duration(tick8)*time.Second/8, 0)
			if err != nil {
				t.Fatal(err)
			}
			if c.Window() != time.Duration(wSec)*time.Second {
				wSec = 0
				continue
			}
			slot8 = int64(c.Slot() / (time.Second / 8))
		}
		w8 := wSec * 8
		span8 := w8/2 + rng.Int64N(3*w8)

		type line struct {
			t8   int64
			text string
		}
		var lines []line
		var evs []refEvent
		attrs := func(a map[string]string) string {
			if len(a) == 0 {
				return ""
			}
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			return `, "attrs": ` + string(b)
		}
		randomAttrs := func() map[string]string {
			a := map[string]string{}
			for _, ra := range refAttrs {
				if rng.IntN(3) > 0 {
					a[ra.key] = ra.values[rng.IntN(len(ra.values))]
				}
			}
			return a
		}
		sels := make([]refSelection, len(refCounters))
		for i := range sels {
			sels[i] = randomSelection(rng)
		}
		ts := func(t8 int64) string { return num(float64(t8) / 8) }
		for i := range rng.IntN(60) {
			t8 := 1 + rng.Int64N(span8)
			attr := randomAttrs()
			switch rng.IntN(3) {
			case 0:
				v := float64(rng.Int64N(816)-16) / 8
				lines = append(lines, line{t8, fmt.Sprintf(`{"t": %s, "event": "v", "type": "value", "value": %s%s}`, ts(t8), num(v), attrs(attr))})
				evs = append(evs, refEvent{t8, "v", attr, v})
			case 1:
				lines = append(lines, line{t8, fmt.Sprintf(`{"t": %s, "event": "hit", "type": "occurrence"%s}`, ts(t8), attrs(attr))})
				evs = append(evs, refEvent{t8, "hit", attr, 1})
			case 2:
				d8 := rng.Int64N(41)
				lines = append(lines,
					line{t8, fmt.Sprintf(`{"t": %s, "event": "req", "type": "start", "id": "r%d"%s}`, ts(t8), i, attrs(attr))},
					line{t8 + d8, fmt.Sprintf(`{"t": %s, "event": "req", "type": "end", "id": "r%d"}`, ts(t8+d8), i)})
				evs = append(evs, refEvent{t8 + d8, "req", attr, float64(d8) / 8})
			}
		}
		// Stable: a start stays before its end at the same time.
		slices.SortStableFunc(lines, func(a, b line) int { return int(a.t8 - b.t8) })
		var trace strings.Builder
		for _, l := range lines {
			trace.WriteString(l.text + "\n")
		}

		var reports []int64
		for range 1 + rng.IntN(8) {
			if rng.IntN(2) == 0 {
				reports = append(reports, slot8*(1+rng.Int64N((span8+2*w8)/slot8+1)))
			} else {
				reports = append(reports, 1+rng.Int64N(span8+2*w8))
			}
		}
		slices.Sort(reports)
		reports = slices.Compact(reports)
		var at []string
		for _, r := range reports {
			at = append(at, ts(r))
		}

		var cfg strings.Builder
		fmt.Fprintf(&cfg, "tick: %s\ncounters:\n", ts(tick8))
		for i, c := range refCounters {
			window := ""
			if c.kind.Windowed() {
				window = fmt.Sprintf(", window: %ds", wSec)
			}
			fmt.Fprintf(&cfg, "  - {name: %s, kind: %s, events: [%s]%s%s}\n", c.name, c.kind, c.event, window, sels[i].yaml())
		}
		cfgPath := writeFile(t, dir, "c.yaml", cfg.String())
		code, out, errs := runTool(trace.String(), "replay", "--config", cfgPath, "--at", strings.Join(at, ","), "-")
		if code != 0 {
			t.Fatalf("seed %d: status %d: %s", seed, code, errs)
		}
		outLines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(outLines) != len(reports) {
			t.Fatalf("seed %d: %d reports, want %d", seed, len(outLines), len(reports))
		}
		for i, r := range reports {
			var got map[string]any
			if err := json.Unmarshal([]byte(outLines[i]), &got); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			want := reference(evs, sels, w8, slot8, tick8, r)
			if !equalMaps(got, want) {
				failures++
				t.Errorf("seed %d (tick %s s, window %d s, slot %s s), report at %s:\n got  %v\n want %v\nconfig:\n%s\ntrace:\n%s",
					seed, ts(tick8), wSec, ts(slot8), ts(r), got, want, cfg.String(), trace.String())
			}
		}
		if failures >= 3 {
			t.Fatal("stopping after 3 failures")
		}
	}
}

// A steady 10 events a second reads 10 at any report time, on a tick or
// between ticks; a 61 s window counts 61 s of them; a counter read just
// after the start does not spike; a window that is not a whole number of
// ticks is refused with windows that work.
func TestReplaySteadyRatesAndExactWindows(t *testing.T) {
	var trace strings.Builder
	for i := 1; i <= 4000; i++ { // every 0.1 s up to 400 s
		fmt.Fprintf(&trace, `{"t": %s, "event": "hit", "type": "occurrence"}`+"\n", num(float64(i)/10))
	}
	cfg := `tick: 1s
counters:
  - {name: rate, kind: frequency, events: [hit], window: 300s}
  - {name: rate7, kind: frequency, events: [hit], window: 7s}
  - {name: n61, kind: window_sum, events: [hit], window: 61s}
  - {name: n301, kind: window_sum, events: [hit], window: 301s}
`
	at := []float64{2.5, 61, 301, 302, 307.5, 350.3, 399.9} // on the events' 0.1 s grid, so that the count is exact
	var ats []string
	for _, a := range at {
		ats = append(ats, num(a))
	}
	reps := replayOne(t, cfg, trace.String(), "--at", strings.Join(ats, ","))
	for i, rep := range reps {
		for _, k := range []string{"rate", "rate7"} {
			if v := rep[k].(float64); math.Abs(v-10) > 10*0.002 {
				t.Errorf("at %v: %s = %v, want 10 within 0.2%%", at[i], k, v)
			}
		}
		// On whole seconds the windows hold exactly their length of events.
		if at[i] == math.Trunc(at[i]) && at[i] >= 61 {
			if v := rep["n61"].(float64); v != 610 {
				t.Errorf("at %v: n61 = %v, want 610", at[i], v)
			}
		}
		if at[i] >= 301 && at[i] == math.Trunc(at[i]) {
			if v := rep["n301"].(float64); v != 3010 {
				t.Errorf("at %v: n301 = %v, want 3010", at[i], v)
			}
		}
	}
	young := replayOne(t, "tick: 1s\ncounters:\n  - {name: rate, kind: frequency, events: [hit]}\n",
		`{"t": 0.001, "event": "hit", "type": "occurrence"}`+"\n"+`{"t": 0.002, "event": "hit", "type": "occurrence"}`+"\n", "--at", "0.003,0.01")
	for _, rep := range young {
		if v := rep["rate"].(float64); v != 2 {
			t.Errorf("two events just after the start: rate %v, want 2 (over one tick)", v)
		}
	}
	path := writeFile(t, t.TempDir(), "c.yaml", "tick: 5s\ncounters:\n  - {name: r, kind: frequency, events: [hit], window: 7s}\n")
	code, _, errs := runTool(`{"t": 1, "event": "hit", "type": "occurrence"}`+"\n", "replay", "--config", path, "--at", "10", "-")
	if code != 2 || !strings.Contains(errs, "window 7s is not a whole number of ticks of 5s: use 5s or 10s") {
		t.Errorf("a 7 s window with a 5 s tick: status %d, %s", code, errs)
	}
}
