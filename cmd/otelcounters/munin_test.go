package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/munin"
	"github.com/otelcounters/otelcounters/report"
)

// muninGraphs plots the tutorial's counters, a series with attributes, a
// name munin cannot take as it is, and percentiles.
const muninGraphs = `# graphs of the tests
- id: requests_per_sec
  global: {title: Request Frequency, category: PyCounters example}
  data:
    - {counter: requests_frequency, label: requests per second, draw: LINE2}
- id: requests.time
  global: {title: Request Average Handling Time, category: PyCounters example, vlabel: seconds}
  data:
    - {counter: requests_time, label: all, draw: LINE2}
    - {counter: 'requests_time{method="GET"}', label: GET}
    - {counter: 5xx.rate}
- id: size
  global: {title: Request size}
  data:
    - {counter: size.p99, label: p99}
    - {counter: size.mean, label: mean}
`

const muninGraphsConfig = `multigraph requests_per_sec
graph_title Request Frequency
graph_category PyCounters example
requests_frequency.label requests per second
requests_frequency.draw LINE2

multigraph requests_time
graph_title Request Average Handling Time
graph_category PyCounters example
graph_vlabel seconds
requests_time.label all
requests_time.draw LINE2
requests_time_method_GET.label GET
_5xx_rate.label 5xx.rate

multigraph size
graph_title Request size
size_p99.label p99
size_mean.label mean

`

// muninReport is a report with every key of muninGraphs but size.p99.
func muninReport(at time.Time) report.Report {
	v := func(f float64, n uint64) counters.Value { return counters.Value{V: f, OK: true, Count: n} }
	return report.Report{Time: at, Values: []report.Value{
		{Key: "5xx.rate", Kind: counters.Frequency, Value: v(0.5, 0)},
		{Key: "requests_frequency", Kind: counters.Frequency, Value: v(0.014266581369872909, 0)},
		{Key: "requests_time", Kind: counters.AverageTime, Value: v(0.5893422365193, 4)},
		{Key: `requests_time{method="GET"}`, Kind: counters.AverageTime},
		{Key: "size.mean", Kind: counters.Percentiles, Value: v(2, 8)},
	}}
}

const muninReportFetch = `multigraph requests_per_sec
requests_frequency.value 0.0142665813699
multigraph requests_time
requests_time.value 0.589342236519
requests_time_method_GET.value U
_5xx_rate.value 0.5
multigraph size
size_p99.value U
size_mean.value 2.0
`

const muninUnknown = `multigraph requests_per_sec
requests_frequency.value U
multigraph requests_time
requests_time.value U
requests_time_method_GET.value U
_5xx_rate.value U
multigraph size
size_p99.value U
size_mean.value U
`

// muninFixture is a folder holding the graph configuration.
type muninFixture struct {
	dir, graphs string
	now         time.Time
	env         map[string]string
}

func newMuninFixture(t *testing.T) *muninFixture {
	t.Helper()
	f := &muninFixture{dir: t.TempDir(), now: time.Now()}
	f.graphs = filepath.Join(f.dir, "graphs.yaml")
	if err := os.WriteFile(f.graphs, []byte(muninGraphs), 0o644); err != nil {
		t.Fatal(err)
	}
	f.env = map[string]string{muninConfigEnv: f.graphs}
	return f
}

// writeReport writes r as a JSON report file of the fixture's folder.
func (f *muninFixture) writeReport(t *testing.T, name string, r report.Report) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, append(r.AppendJSON(nil), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *muninFixture) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	env := muninEnv{getenv: func(k string) string { return f.env[k] }, now: func() time.Time { return f.now }}
	code = muninMain(args, env, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMuninConfig(t *testing.T) {
	f := newMuninFixture(t)
	code, out, errs := f.run("config")
	if code != 0 || out != muninGraphsConfig || errs != "" {
		t.Errorf("config: status %d, stderr %q, output\n%s\nwant\n%s", code, errs, out, muninGraphsConfig)
	}
	// The configuration does not need the report.
	f.env[muninReportEnv] = filepath.Join(f.dir, "missing.json")
	if code, out, _ := f.run("config"); code != 0 || out != muninGraphsConfig {
		t.Errorf("config without a report: status %d\n%s", code, out)
	}
}

func TestMuninFetch(t *testing.T) {
	f := newMuninFixture(t)
	f.env[muninReportEnv] = f.writeReport(t, "counters.json", muninReport(f.now.Add(-time.Minute)))
	for _, args := range [][]string{nil, {"fetch"}} {
		code, out, errs := f.run(args...)
		if code != 0 || out != muninReportFetch {
			t.Errorf("%q: status %d, output\n%s\nwant\n%s", args, code, out, muninReportFetch)
		}
		if errs != "otelcounters munin: size.p99 is not in the report; its value is U\n" {
			t.Errorf("%q: stderr %q, want size.p99 named as missing", args, errs)
		}
	}
}

func TestMuninUnknown(t *testing.T) {
	f := newMuninFixture(t)
	stale := f.writeReport(t, "stale.json", muninReport(f.now.Add(-16*time.Minute)))
	for _, c := range []struct {
		name, report, maxAge, want string
		setup                      func()
	}{
		{"stale", stale, "", "the report " + stale + " is stale: written 16m0s ago", nil},
		{"stale, shorter age", f.writeReport(t, "recent.json", muninReport(f.now.Add(-2*time.Minute))), "60", "is stale: written 2m0s ago", nil},
		{"missing", filepath.Join(f.dir, "missing.json"), "", "cannot read the report: host: stat " + filepath.Join(f.dir, "missing.json") + ": no such file or directory", nil},
		{"corrupt", f.writeReport(t, "corrupt.json", report.Report{}), "", "corrupt.json: report file: unexpected end of JSON input", func() {
			_ = os.WriteFile(filepath.Join(f.dir, "corrupt.json"), []byte(`{"requests_time": 0.25,`), 0o644)
		}},
		{"empty file", filepath.Join(f.dir, "empty.json"), "", "empty report file", func() {
			_ = os.WriteFile(filepath.Join(f.dir, "empty.json"), nil, 0o644)
		}},
		{"unreadable", filepath.Join(f.dir, "folder.json", "x"), "", "not a directory", func() {
			_ = os.WriteFile(filepath.Join(f.dir, "folder.json"), nil, 0o644)
		}},
		{"empty folder", t.TempDir(), "", "no report in", nil},
		{"no report setting", "", "", "no report: set env." + muninReportEnv, nil},
	} {
		if c.setup != nil {
			c.setup()
		}
		f.env[muninReportEnv] = c.report
		f.env[muninMaxAgeEnv] = c.maxAge
		code, out, errs := f.run()
		if code != 0 || out != muninUnknown {
			t.Errorf("%s: status %d, output\n%s\nwant every value U", c.name, code, out)
		}
		if !strings.Contains(errs, c.want) || !strings.HasSuffix(errs, "every value is U\n") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: stderr %q, want one line mentioning %q", c.name, errs, c.want)
		}
	}
	// No maximum age: an old report is read.
	f.env[muninReportEnv], f.env[muninMaxAgeEnv] = stale, "0"
	if code, out, _ := f.run(); code != 0 || out != muninReportFetch {
		t.Errorf("with no maximum age: status %d\n%s", code, out)
	}
}

func TestMuninFolder(t *testing.T) {
	f := newMuninFixture(t)
	dir := filepath.Join(f.dir, "reports")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f.env[muninReportEnv] = dir
	for _, name := range []string{"web", "worker"} {
		rep, err := host.NewReporter(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		r := muninReport(f.now.Add(-time.Minute))
		r.Values = append(r.Values, report.Value{Key: "size.p99", Kind: counters.Percentiles, Quantile: 0.99, Value: counters.Value{V: 7, OK: true}})
		if err := rep.Report(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.1.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := f.run()
	want := strings.NewReplacer(
		"requests_frequency.value 0.0142665813699", "requests_frequency.value 0.0285331627397",
		"_5xx_rate.value 0.5", "_5xx_rate.value 1.0",
	).Replace(muninReportFetch)
	if code != 0 || out != want {
		t.Errorf("status %d, output\n%s\nwant\n%s", code, out, want)
	}
	for _, w := range []string{
		"left out " + filepath.Join(dir, "broken.1.json"),
		"size.p99 has values in several processes that cannot be merged; its value is U",
	} {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr %q does not say %q", errs, w)
		}
	}

	// Reports of processes that look dead are left out, unless told not to.
	f.env[muninReportEnv] = filepath.Join(f.dir, "dead")
	if err := os.Mkdir(f.env[muninReportEnv], 0o755); err != nil {
		t.Fatal(err)
	}
	dead := muninReport(f.now)
	f.writeReport(t, "dead/web.2147483646.json", dead)
	if code, out, errs := f.run(); code != 0 || out != muninUnknown || !strings.Contains(errs, "no fresh report in "+f.env[muninReportEnv]+": 0 stale, 1 of dead processes, 0 invalid") {
		t.Errorf("dead process: status %d, stderr %q\n%s", code, errs, out)
	}
	f.env[muninPIDCheckEnv] = "no"
	if code, out, _ := f.run(); code != 0 || !strings.Contains(out, "requests_time.value 0.589342236519") {
		t.Errorf("without the pid check: status %d\n%s", code, out)
	}
}

func TestMuninAutoconfSuggest(t *testing.T) {
	f := newMuninFixture(t)
	good := f.writeReport(t, "counters.json", muninReport(f.now))
	bad := filepath.Join(f.dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- id: a\n  globals: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(f.dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte(`{"requests_time": 0.5, "__collection_ti`), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(f.dir, "reports")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "web.1.json"), []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	stale := f.writeReport(t, "stale.json", muninReport(f.now.Add(-time.Hour)))
	for _, c := range []struct{ config, report, want string }{
		{f.graphs, good, "yes\n"},
		{f.graphs, stale, "yes\n"}, // it can become fresh
		{f.graphs, corrupt, "no (host: " + corrupt + ": report file: ...)\n"},
		{f.graphs, folder, "no (" + filepath.Join(folder, "web.1.json") + ": ...)\n"},
		{f.graphs, f.dir, "yes\n"},
		{"", good, "no (no graph configuration: set env." + muninConfigEnv + " in the plugin's munin settings, or --config)\n"},
		{bad, good, "no (" + bad + `: munin: graph configuration: graph 1 ("a"): "globals": unknown key (want id, global and data))` + "\n"},
		{f.graphs, "", "no (no report: set env." + muninReportEnv + ")\n"},
		{f.graphs, filepath.Join(f.dir, "missing.json"), "no (stat " + filepath.Join(f.dir, "missing.json") + ": no such file or directory)\n"},
	} {
		f.env[muninConfigEnv], f.env[muninReportEnv] = c.config, c.report
		code, out, errs := f.run("autoconf")
		ok := out == c.want
		if prefix, cut := strings.CutSuffix(c.want, "...)\n"); cut {
			ok = strings.HasPrefix(out, prefix) && strings.HasSuffix(out, ")\n") && len(out) > len(prefix)+2
		}
		if code != 0 || !ok || errs != "" {
			t.Errorf("autoconf with %q, %q: status %d, %q (stderr %q), want %q", c.config, c.report, code, out, errs, c.want)
		}
	}
	if code, out, errs := f.run("suggest"); code != 0 || out != "" || errs != "" {
		t.Errorf("suggest: status %d, %q, %q", code, out, errs)
	}
}

func TestMuninErrors(t *testing.T) {
	f := newMuninFixture(t)
	f.env[muninReportEnv] = f.writeReport(t, "counters.json", muninReport(f.now))
	bad := filepath.Join(f.dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`[{"id": "a", "data": [{"counter": "c", "value": 1}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"bogus"}, nil, `unknown command "bogus"`},
		{[]string{"config", "fetch"}, nil, "one command at most"},
		{[]string{"--max-age", "soon"}, nil, `maximum age (--max-age or OTELCOUNTERS_MUNIN_MAX_AGE): "soon"`},
		{nil, map[string]string{muninMaxAgeEnv: "-5"}, `"-5": want a number of seconds`},
		{nil, map[string]string{muninPIDCheckEnv: "maybe"}, `"maybe": want yes or no`},
		{[]string{"--nope"}, nil, "flag provided but not defined"},
		{[]string{"config"}, map[string]string{muninConfigEnv: bad}, "value is not an attribute"},
		{nil, map[string]string{muninConfigEnv: bad}, "value is not an attribute"},
		{[]string{"config"}, map[string]string{muninConfigEnv: ""}, "no graph configuration"},
		{[]string{"config"}, map[string]string{muninConfigEnv: filepath.Join(f.dir, "missing.yaml")}, "no such file"},
		{[]string{"generate", "x"}, nil, "unexpected argument"},
		{[]string{"generate"}, map[string]string{muninReportEnv: ""}, "no report: give --report"},
		{[]string{"generate", "--report", filepath.Join(f.dir, "missing.json")}, nil, "no such file"},
	} {
		saved := map[string]string{}
		for k, v := range c.env {
			saved[k] = f.env[k]
			f.env[k] = v
		}
		code, out, errs := f.run(c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%q %v: status %d, stdout %q, stderr %q; want 2 and an error mentioning %q", c.args, c.env, code, out, errs, c.want)
		}
		for k, v := range saved {
			f.env[k] = v
		}
	}
	if code, _, errs := f.run("-h"); code != 0 || !strings.Contains(errs, "usage: otelcounters munin") {
		t.Errorf("-h: status %d, %q", code, errs)
	}
}

func TestMuninFlagsWin(t *testing.T) {
	f := newMuninFixture(t)
	fresh := f.writeReport(t, "fresh.json", muninReport(f.now))
	f.env[muninConfigEnv] = filepath.Join(f.dir, "missing.yaml")
	f.env[muninReportEnv] = filepath.Join(f.dir, "missing.json")
	f.env[muninMaxAgeEnv] = "bogus"
	code, out, _ := f.run("--config", f.graphs, "--report", fresh, "--max-age", "15m", "fetch")
	if code != 0 || out != muninReportFetch {
		t.Errorf("status %d\n%s", code, out)
	}
}

func TestMuninGenerate(t *testing.T) {
	f := newMuninFixture(t)
	r := muninReport(f.now.Add(-time.Hour)) // however old
	path := f.writeReport(t, "counters.json", r)
	code, out, errs := f.run("generate", "--report", path, "--category", "myapp")
	if code != 0 || errs != "" {
		t.Fatalf("status %d, stderr %q", code, errs)
	}
	graphs, err := munin.ParseConfig([]byte(out))
	if err != nil {
		t.Fatalf("generated configuration does not parse: %v\n%s", err, out)
	}
	// One graph per counter, every key plotted, in the category given.
	var ids, keys []string
	for _, g := range graphs {
		ids = append(ids, g.ID)
		if fmt.Sprint(g.Global[1]) != "{category myapp}" {
			t.Errorf("graph %s: %v", g.ID, g.Global)
		}
		for _, d := range g.Data {
			keys = append(keys, d.Counter)
		}
	}
	if want := "[_5xx_rate requests_frequency requests_time size_mean]"; fmt.Sprint(ids) != want {
		t.Errorf("graphs %v, want %s", ids, want)
	}
	if want := `[5xx.rate requests_frequency requests_time requests_time{method="GET"} size.mean]`; fmt.Sprint(keys) != want {
		t.Errorf("keys %v, want %s", keys, want)
	}
	// Its output works as the plugin's configuration.
	if err := os.WriteFile(f.graphs, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	f.env[muninReportEnv] = path
	f.env[muninMaxAgeEnv] = "0"
	if code, out, errs := f.run(); code != 0 || errs != "" || strings.Count(out, ".value ") != 5 {
		t.Errorf("fetch with the generated configuration: status %d, stderr %q\n%s", code, errs, out)
	}
	empty := f.writeReport(t, "empty.json", report.Report{Time: f.now})
	if code, _, errs := f.run("generate", "--report", empty); code != 2 || !strings.Contains(errs, "holds no counter") {
		t.Errorf("generate from an empty report: status %d, %q", code, errs)
	}
}

func TestParseAge(t *testing.T) {
	for s, want := range map[string]time.Duration{"900": 900 * time.Second, "0.5": 500 * time.Millisecond, "15m": 15 * time.Minute, "0": 0} {
		if got, err := parseAge(s); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "-1m", "NaN", "1e300", "soon"} {
		if _, err := parseAge(s); err == nil {
			t.Errorf("parseAge(%q) succeeded", s)
		}
	}
}
