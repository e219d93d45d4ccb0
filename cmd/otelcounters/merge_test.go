package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/internal/testenv"
	"github.com/otelcounters/otelcounters/report"
)

// hostFolder writes the reports of two processes (this one, under two
// names) into a new folder, and returns it.
func hostFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, name := range []string{"web", "worker"} {
		rep, err := host.NewReporter(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		err = rep.Report(context.Background(), report.Report{Time: time.Now(), Values: []report.Value{
			{Key: "requests_frequency", Kind: counters.Frequency, Value: counters.Value{V: float64(i + 1), OK: true}},
			{Key: "requests_time", Kind: counters.AverageTime, Value: counters.Value{V: float64(i + 1), OK: true, Count: uint64(3 - 2*i)}},
			{Key: "size.p50", Kind: counters.Percentiles, Quantile: 0.5, Value: counters.Value{V: 10, OK: true}},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMerge(t *testing.T) {
	dir := hostFolder(t)
	out := filepath.Join(t.TempDir(), "merged.json")
	code, stdout, stderr := runTool("", "merge", "--dir", dir, "--out", out)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	s, err := jsonfile.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Rates add up, averages weigh by their counts (1·3 + 2·1)/4, the
	// quantile that two processes have is left out.
	if len(s.Values) != 2 || *s.Values["requests_frequency"] != 3 || *s.Values["requests_time"] != 1.25 {
		t.Errorf("merged values %v", s.Values)
	}
	if nodes := string(s.Meta["__node_reports__"]); !strings.Contains(nodes, fmt.Sprintf(`"web.%d":{`, os.Getpid())) || !strings.Contains(nodes, `"size.p50":10`) {
		t.Errorf("__node_reports__ = %s", nodes)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("merged file mode: %v, %v", st, err)
	}

	code, _, stderr = runTool("", "merge", "-v", "--dir", dir, "--out", out)
	for _, want := range []string{
		"included " + filepath.Join(dir, fmt.Sprintf("web.%d.json", os.Getpid())),
		"left out, with values in several processes that cannot be merged: size.p50",
		"wrote 2 values from 2 reports to " + out,
	} {
		if code != 0 || !strings.Contains(stderr, want) {
			t.Errorf("-v: status %d, stderr %q does not say %q", code, stderr, want)
		}
	}
}

func TestMergeDeadAndStale(t *testing.T) {
	testenv.NeedsProcesses(t)
	dir := hostFolder(t)
	// A report of a process that has ended, and a stale one.
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`{"requests_frequency": 100, "__counters__": {"requests_frequency": {"kind": "frequency"}}, "__collection_time__": %d}`,
		time.Now().Add(-time.Hour).Unix())
	for _, name := range []string{fmt.Sprintf("gone.%d.json", dead.Process.Pid), fmt.Sprintf("old.%d.json", os.Getpid())} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "merged.json")
	check := func(args []string, want float64) {
		t.Helper()
		code, _, stderr := runTool("", append([]string{"merge", "--dir", dir, "--out", out}, args...)...)
		s, err := jsonfile.ReadFile(out)
		if got := s.Values["requests_frequency"]; code != 0 || err != nil || got == nil || *got != want {
			t.Errorf("%q: status %d, stderr %q, values %v, %v; want requests_frequency %v", args, code, stderr, s.Values, err, want)
		}
	}
	check(nil, 3)
	check([]string{"--max-age", "2h"}, 103)
	check([]string{"--max-age", "0", "--pid-check=false"}, 203)
	check([]string{"--prune"}, 3)
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("gone.%d.json", dead.Process.Pid))); !os.IsNotExist(err) {
		t.Errorf("--prune left the dead process's report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("old.%d.json", os.Getpid()))); err != nil {
		t.Errorf("--prune removed a live process's stale report: %v", err)
	}
}

func TestMergeNothingFresh(t *testing.T) {
	out := filepath.Join(t.TempDir(), "merged.json")
	code, _, stderr := runTool("", "merge", "--dir", t.TempDir(), "--out", out)
	if code != 0 || !strings.Contains(stderr, "no fresh report") {
		t.Errorf("status %d, stderr %q", code, stderr)
	}
	if s, err := jsonfile.ReadFile(out); err != nil || len(s.Values) != 0 || time.Since(s.Time) > time.Minute {
		t.Errorf("merged file %+v, %v; want no values, written now", s, err)
	}
}

func TestMergeErrors(t *testing.T) {
	dir := hostFolder(t)
	out := filepath.Join(t.TempDir(), "merged.json")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", out}, 2, "--dir and --out are required"},
		{[]string{"--dir", dir}, 2, "--dir and --out are required"},
		{[]string{"--dir", filepath.Join(dir, "missing"), "--out", out}, 2, "no such file"},
		{[]string{"--dir", dir, "--out", out, "--max-age", "soon"}, 2, "--max-age"},
		{[]string{"--dir", dir, "--out", out, "extra"}, 2, "unexpected argument"},
		{[]string{"--dir", dir, "--out", filepath.Join(dir, "missing", "m.json")}, 1, "missing"},
		{[]string{"-h"}, 0, "usage: otelcounters merge"},
	} {
		code, _, stderr := runTool("", append([]string{"merge"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
