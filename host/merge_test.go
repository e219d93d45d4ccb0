package host_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/reportertest"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/report"
)

// now is the merge time of the tests that write files by hand; t0 is
// __collection_time__ 1700000000 and is fresh at now.
var (
	t0  = time.Unix(1700000000, 0)
	now = t0.Add(time.Minute)
)

func at(tm time.Time) func() time.Time { return func() time.Time { return tm } }

// writeFile writes a file of dir, readable by everyone.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// self is this process's pid, alive for the whole test.
var self = os.Getpid()

// processReport is a per-process file's content: values (a JSON object's
// members), __counters__ and the collection time t0 + age.
func processReport(pid int, values, info string, age time.Duration) string {
	return fmt.Sprintf(`{%s, "__counters__": {%s}, "__pid__": %d, "__collection_time__": %d}`,
		values, info, pid, t0.Add(age).Unix())
}

func mergeDir(t *testing.T, dir string, opts ...host.Option) *host.Result {
	t.Helper()
	res, err := host.Merge(dir, append([]host.Option{host.WithClock(at(now))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func value(t *testing.T, r report.Report, key string) report.Value {
	t.Helper()
	v, ok := r.Lookup(key)
	if !ok {
		t.Fatalf("key %q missing from %v", key, keysOf(r))
	}
	return v
}

func TestMergeRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, fmt.Sprintf("web.%d.json", self), processReport(self,
		`"avg": 2, "avg_nocount": 1, "max": 5, "min": null, "total": 3, "rate": 0.5, "only_here": 7, "pct.p50": 10, "pct.mean": 3, "mixed": 1, "bare": 1, "half": null, "empty_avg": null, "single_nocount": 4`,
		`"avg": {"kind": "average", "count": 3}, "avg_nocount": {"kind": "average"}, "max": {"kind": "max"}, "min": {"kind": "min"}, "total": {"kind": "total"}, "rate": {"kind": "FrequencyCounter"}, "only_here": {"kind": "percentiles", "quantile": 0.9}, "pct.p50": {"kind": "percentiles", "quantile": 0.5}, "pct.mean": {"kind": "percentiles", "count": 3}, "mixed": {"kind": "max"}, "empty_avg": {"kind": "average"}, "single_nocount": {"kind": "average"}`,
		0))
	writeFile(t, dir, fmt.Sprintf("worker.%d.json", self), processReport(self,
		`"avg": 4, "avg_nocount": 3, "max": 4, "min": 6, "total": 4, "rate": 0.25, "pct.p50": 20, "pct.mean": 7, "mixed": 2, "bare": 2, "half": 5, "empty_avg": 8, "future": 1`,
		`"avg": {"kind": "average", "count": 1}, "avg_nocount": {"kind": "average", "count": 2}, "max": {"kind": "max"}, "min": {"kind": "min"}, "total": {"kind": "total"}, "rate": {"kind": "frequency"}, "pct.p50": {"kind": "percentiles", "quantile": 0.5}, "pct.mean": {"kind": "percentiles", "count": 1}, "mixed": {"kind": "min"}, "empty_avg": {"kind": "average", "count": 2}, "future": {"kind": "hyperloglog", "shape": [1, 2]}`,
		30*time.Second))
	res := mergeDir(t, dir)

	if res.Included() != 2 {
		t.Fatalf("included %d reports, want 2: %+v", res.Included(), res.Sources)
	}
	for _, c := range []struct {
		key      string
		kind     counters.Kind
		quantile float64
		v        float64
		count    uint64
	}{
		{"avg", counters.Average, 0, (2*3 + 4*1) / 4.0, 4},
		{"max", counters.Max, 0, 5, 0},
		{"min", counters.Min, 0, 6, 0},
		{"total", counters.Total, 0, 7, 0},
		{"rate", counters.Frequency, 0, 0.75, 0},
		// A value in one process only is kept, whatever its kind.
		{"only_here", counters.Percentiles, 0.9, 7, 0},
		{"half", 0, 0, 5, 0},
		{"empty_avg", counters.Average, 0, 8, 2},
		{"single_nocount", counters.Average, 0, 4, 0},
		{"future", 0, 0, 1, 0},
		// A percentiles counter's mean merges as an average.
		{"pct.mean", counters.Percentiles, 0, (3*3 + 7*1) / 4.0, 4},
	} {
		v := value(t, res.Report, c.key)
		if v.Kind != c.kind || v.Quantile != c.quantile || v.V != c.v || !v.OK || v.Count != c.count || v.Counter != c.key {
			t.Errorf("%s = %+v, want kind %v quantile %v value %v count %d", c.key, v, c.kind, c.quantile, c.v, c.count)
		}
	}
	wantUnmerged := []string{"avg_nocount", "bare", "mixed", "pct.p50"}
	if !slices.Equal(res.Unmerged, wantUnmerged) {
		t.Errorf("Unmerged = %q, want %q", res.Unmerged, wantUnmerged)
	}
	for _, k := range wantUnmerged {
		if _, ok := res.Report.Lookup(k); ok {
			t.Errorf("unmerged key %q is in the report", k)
		}
	}
	if len(res.Report.Values)+len(res.Unmerged) != 15 {
		t.Errorf("%d keys merged and %d not, want 15 in all", len(res.Report.Values), len(res.Unmerged))
	}
	if !res.Report.Time.Equal(t0) {
		t.Errorf("merged time %v, want the oldest report's %v", res.Report.Time, t0)
	}
	if !slices.IsSortedFunc(res.Report.Values, func(a, b report.Value) int { return strings.Compare(a.Key, b.Key) }) {
		t.Errorf("merged values not sorted: %v", keysOf(res.Report))
	}
	if got := value(t, res.Report, `pct.mean`); got.Counter != "pct.mean" {
		t.Errorf("counter of pct.mean: %q", got.Counter)
	}
	if got := counterOf(t, `t{m="GET"}`); got != "t" {
		t.Errorf("counter of t{m=\"GET\"}: %q", got)
	}
}

// counterOf returns the Counter a merge gives a key.
func counterOf(t *testing.T, key string) string {
	t.Helper()
	d := t.TempDir()
	writeFile(t, d, fmt.Sprintf("a.%d.json", self), processReport(self, strconv.Quote(key)+": 1", "", 0))
	return value(t, mergeDir(t, d).Report, key).Counter
}

func TestMergeSources(t *testing.T) {
	dir := t.TempDir()
	fresh := writeFile(t, dir, fmt.Sprintf("a.%d.json", self), processReport(self, `"x": 1`, `"x": {"kind": "total"}`, 0))
	stale := writeFile(t, dir, fmt.Sprintf("b.%d.json", self), processReport(self, `"x": 10`, `"x": {"kind": "total"}`, -15*time.Minute))
	corrupt := writeFile(t, dir, fmt.Sprintf("c.%d.json", self), `{"x": 1`)
	badPID := writeFile(t, dir, fmt.Sprintf("d.%d.json", self), `{"x": 1, "__pid__": "me", "__collection_time__": 1700000000}`)
	merged := writeFile(t, dir, fmt.Sprintf("e.%d.json", self), `{"x": 100, "__node_reports__": {}, "__collection_time__": 1700000000}`)
	// Not process reports: other names, hidden and temporary files, folders.
	writeFile(t, dir, "merged.json", `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, fmt.Sprintf(".f.%d.json.tmp-123", self), `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, fmt.Sprintf(".f.%d.json", self), `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, "g.0.json", `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, "h.012.json", `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, "1234.json", `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, "i.99999999999.json", `{"x": 1000, "__collection_time__": 1700000000}`)
	writeFile(t, dir, fmt.Sprintf("j.%d.txt", self), `{"x": 1000, "__collection_time__": 1700000000}`)
	if err := os.Mkdir(filepath.Join(dir, fmt.Sprintf("k.%d.json", self)), 0o755); err != nil {
		t.Fatal(err)
	}

	res := mergeDir(t, dir)
	want := []struct {
		path   string
		status host.Status
		err    string
	}{
		{fresh, host.Included, ""},
		{stale, host.Stale, ""},
		{corrupt, host.Invalid, corrupt},
		{badPID, host.Invalid, "__pid__"},
		{merged, host.Invalid, "merged report"},
	}
	if len(res.Sources) != len(want) {
		t.Fatalf("sources %+v, want %d", res.Sources, len(want))
	}
	for i, w := range want {
		s := res.Sources[i]
		if s.Path != w.path || s.Status != w.status || (w.err == "") != (s.Err == nil) || (s.Err != nil && !strings.Contains(s.Err.Error(), w.err)) {
			t.Errorf("source %d = %+v, want %s %v with error mentioning %q", i, s, w.path, w.status, w.err)
		}
		if s.PID != self {
			t.Errorf("source %d: pid %d, want %d", i, s.PID, self)
		}
	}
	if v := value(t, res.Report, "x"); v.V != 1 {
		t.Errorf("x = %v, want the only fresh report's 1", v.V)
	}
	if !res.Sources[1].Time.Equal(t0.Add(-15 * time.Minute)) {
		t.Errorf("stale source's time %v", res.Sources[1].Time)
	}

	// A larger maximum age takes the stale report in; none takes any age.
	for _, opt := range []host.Option{host.WithMaxAge(20 * time.Minute), host.WithMaxAge(0)} {
		if v := value(t, mergeDir(t, dir, opt).Report, "x"); v.V != 11 {
			t.Errorf("x = %v with a larger maximum age, want 11", v.V)
		}
	}
}

func TestMergeNothing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, fmt.Sprintf("a.%d.json", self), processReport(self, `"x": 1`, `"x": {"kind": "total"}`, -time.Hour))
	res := mergeDir(t, dir)
	if res.Included() != 0 || len(res.Report.Values) != 0 || !res.Report.Time.Equal(now) {
		t.Errorf("merge of a stale folder = %+v, want no values at the merge time", res)
	}
	if _, err := host.Merge(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Merge of a missing folder: %v", err)
	}
}

func TestMergeDeadPID(t *testing.T) {
	dir := t.TempDir()
	pid := deadPID(t)
	dead := writeFile(t, dir, fmt.Sprintf("a.%d.json", pid), processReport(pid, `"x": 1`, `"x": {"kind": "total"}`, 0))
	// The pid in the file counts, not the one in the name.
	deadInside := writeFile(t, dir, fmt.Sprintf("b.%d.json", self), processReport(pid, `"x": 2`, `"x": {"kind": "total"}`, 0))
	writeFile(t, dir, fmt.Sprintf("c.%d.json", self), processReport(self, `"x": 4`, `"x": {"kind": "total"}`, 0))

	res := mergeDir(t, dir)
	if v := value(t, res.Report, "x"); v.V != 4 {
		t.Errorf("x = %v, want the live process's 4", v.V)
	}
	for _, i := range []int{0, 1} {
		if s := res.Sources[i]; s.Status != host.Dead || s.PID != pid {
			t.Errorf("source %d = %+v, want dead pid %d", i, s, pid)
		}
	}
	if v := value(t, mergeDir(t, dir, host.WithoutPIDCheck()).Report, "x"); v.V != 7 {
		t.Errorf("x = %v without the pid check, want 7", v.V)
	}
	// Pruning removes the dead processes' files, and only those.
	mergeDir(t, dir, host.WithPrune())
	for _, p := range []string{dead, deadInside} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s not pruned: %v", p, err)
		}
	}
	if res := mergeDir(t, dir); len(res.Sources) != 1 || res.Sources[0].Status != host.Included {
		t.Errorf("after pruning: %+v", res.Sources)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "server.counters.json", `{"requests_time": 0.25, "slowest": null, "__collection_time__": 1700000000}`)
	res, err := host.Read(file, host.WithClock(at(now)))
	if err != nil {
		t.Fatal(err)
	}
	if v := value(t, res.Report, "requests_time"); v.V != 0.25 || !v.OK || v.Kind != 0 {
		t.Errorf("requests_time = %+v", v)
	}
	if v := value(t, res.Report, "slowest"); v.OK {
		t.Errorf("slowest = %+v, want null", v)
	}
	if len(res.Sources) != 1 || res.Sources[0].Status != host.Included || !res.Report.Time.Equal(t0) {
		t.Errorf("Read = %+v", res)
	}

	res, err = host.Read(file, host.WithClock(at(t0.Add(16*time.Minute))))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Values) != 0 || res.Sources[0].Status != host.Stale {
		t.Errorf("Read of a stale file = %+v, want no values and a stale source", res)
	}

	// A folder is merged.
	writeFile(t, dir, fmt.Sprintf("a.%d.json", self), processReport(self, `"x": 1`, `"x": {"kind": "total"}`, 0))
	res, err = host.Read(dir, host.WithClock(at(now)))
	if err != nil || res.Included() != 1 {
		t.Errorf("Read of a folder = %+v, %v", res, err)
	}

	for _, bad := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), "no such file"},
		{writeFile(t, dir, "empty.json", ""), "empty"},
		{writeFile(t, dir, "list.json", "[1]"), "not a JSON object"},
	} {
		if _, err := host.Read(bad.path); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Read(%s) = %v, want an error mentioning %q", bad.path, err, bad.want)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, fmt.Sprintf("a.%d.json", self), processReport(self, `"avg": 2, "x": 1`, `"avg": {"kind": "average", "count": 3}, "x": {"kind": "total"}`, 0))
	writeFile(t, dir, fmt.Sprintf("b.%d.json", self), processReport(self, `"avg": 4, "y": null`, `"avg": {"kind": "average", "count": 1}`, 0))
	res := mergeDir(t, dir)
	out := filepath.Join(dir, "merged.json")
	if err := res.WriteFile(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"avg": 2.5, "x": 1, "y": null, `+
		`"__counters__": {"avg":{"kind":"average","count":4},"x":{"kind":"total"}}, `+
		`"__node_reports__": {"a.%[1]d":{"avg":2,"x":1},"b.%[1]d":{"avg":4,"y":null}}, `+
		`"__collection_time__": 1700000000}`+"\n", self)
	if string(got) != want {
		t.Errorf("merged file:\n%s\nwant\n%s", got, want)
	}
	// The merged file is not taken for a process's report by the next merge,
	// even when named like one.
	if err := os.Rename(out, filepath.Join(dir, fmt.Sprintf("all.%d.json", self))); err != nil {
		t.Fatal(err)
	}
	if res := mergeDir(t, dir); res.Included() != 2 || value(t, res.Report, "x").V != 1 {
		t.Errorf("merge with a merged file in the folder: %+v", res)
	}
	if err := res.WriteFile(t.Context(), filepath.Join(dir, "missing", "m.json")); err == nil {
		t.Error("WriteFile into a missing folder succeeded")
	}
}

func TestNewReporter(t *testing.T) {
	dir := t.TempDir()
	rep, err := host.NewReporter(dir, "web")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, fmt.Sprintf("web.%d.json", self)); rep.Path() != want {
		t.Errorf("Path() = %s, want %s", rep.Path(), want)
	}
	r := report.Report{Time: t0, Values: []report.Value{
		{Key: "plain", Value: counters.Value{V: 1, OK: true}},
		{Key: "t", Kind: counters.AverageTime, Value: counters.Value{V: 0.5, OK: true, Count: 8}},
		{Key: `t{m="GET"}`, Kind: counters.Max, Value: counters.Value{}},
	}}
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(rep.Path())
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"plain": 1, "t": 0.5, "t{m=\"GET\"}": null, `+
		`"__counters__": {"t":{"kind":"average_time","count":8},"t{m=\"GET\"}":{"kind":"max"}}, "__pid__": %d, `+
		`"__collection_time__": 1700000000}`+"\n", self)
	if string(got) != want {
		t.Errorf("process report:\n%s\nwant\n%s", got, want)
	}
	// PyCounters' readers see the flat values.
	s, err := jsonfile.ReadFile(rep.Path())
	if err != nil || len(s.Values) != 3 || *s.Values["t"] != 0.5 {
		t.Errorf("read back %+v, %v", s, err)
	}

	for _, bad := range []string{"", ".hidden", "a/b", `a\b`} {
		if _, err := host.NewReporter(dir, bad); err == nil {
			t.Errorf("NewReporter(%q) succeeded", bad)
		}
	}
	if _, err := host.NewReporter(filepath.Join(dir, "missing"), "web"); err == nil {
		t.Error("NewReporter into a missing folder succeeded")
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[host.Status]string{host.Included: "included", host.Stale: "stale", host.Dead: "dead", host.Invalid: "invalid", 0: "Status(0)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
}

func TestReporterConformance(t *testing.T) {
	reportertest.Run(t, reportertest.Harness{
		New: func(t *testing.T) (report.Reporter, func(*testing.T) map[string]*float64) {
			rep, err := host.NewReporter(t.TempDir(), "conformance")
			if err != nil {
				t.Fatal(err)
			}
			return rep, func(t *testing.T) map[string]*float64 {
				s, err := jsonfile.ReadFile(rep.Path())
				if err != nil {
					t.Fatal(err)
				}
				return s.Values
			}
		},
		Atomic: true,
	})
}
