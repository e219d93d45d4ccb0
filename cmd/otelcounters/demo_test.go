package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/exporters/jsonfile"
)

// syncBuffer is written by the demo's reporters while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var demoCounters = []string{
	"requests_time", "requests_frequency", "requests_data_len",
	"requests_data_len_avg", "requests_data_len_total", "requests_data_len_max", "requests_data_len_min",
}

// reportedValues returns, per counter, the numbers of its log lines in order.
func reportedValues(t *testing.T, out string) map[string][]float64 {
	t.Helper()
	re := regexp.MustCompile(`level=INFO msg="(requests_[a-z_]+) ([^"]+)"`)
	got := map[string][]float64{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		if m[2] == "None" {
			got[m[1]] = append(got[m[1]], -1)
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Errorf("log line for %s holds %q, not a number", m[1], m[2])
			continue
		}
		got[m[1]] = append(got[m[1]], v)
	}
	return got
}

var listenRE = regexp.MustCompile(`msg="demo: echo server listening" addr=(\S+)`)

func TestDemo(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "demo.json")
	var stdout, stderr syncBuffer
	start := time.Now()
	code := demoMain(context.Background(), []string{"--duration", "3s", "--json", jsonPath}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr.String())
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("a 3 s demo took %v", took)
	}
	out := stdout.String()

	// The server listened on loopback only.
	m := listenRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no listening line in:\n%s", out)
	}
	host, _, err := net.SplitHostPort(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("listened on %s, want a loopback address", m[1])
	}
	// And it is closed now.
	if c, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
		c.Close()
		t.Errorf("the server still accepts connections at %s", m[1])
	}

	// Log lines: every counter, a number in each report; at least the first
	// report (at the first tick) and the final one.
	vals := reportedValues(t, out)
	for _, name := range demoCounters {
		vs := vals[name]
		if len(vs) < 2 {
			t.Errorf("%s: %d log lines, want at least 2:\n%s", name, len(vs), out)
			continue
		}
		if last := vs[len(vs)-1]; !(last > 0) {
			t.Errorf("%s: final value %v, want a positive number", name, last)
		}
	}
	if n := len(vals["requests_time"]); n > 0 {
		if v := vals["requests_data_len_max"][n-1]; v > 100 {
			t.Errorf("longest request %v bytes, but --max-len is 100", v)
		}
		if v := vals["requests_data_len_min"][n-1]; v < 1 {
			t.Errorf("shortest request %v bytes, want at least 1", v)
		}
		// Three seconds are well inside the 15 minute window: the total
		// since the start is the window's.
		if a, b := vals["requests_data_len"][n-1], vals["requests_data_len_total"][n-1]; a != b {
			t.Errorf("requests_data_len %v, requests_data_len_total %v: want the same", a, b)
		}
		if v := vals["requests_time"][n-1]; v > 1 {
			t.Errorf("an upper-casing takes %v s on average", v)
		}
	}
	if !regexp.MustCompile(`msg="demo: stopped" requests=[1-9]`).MatchString(out) {
		t.Errorf("no final line with a request count:\n%s", out)
	}

	// The JSON file: the same counters and the collection time, the final
	// report's values.
	snap, err := jsonfile.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Values) != len(demoCounters) {
		t.Errorf("JSON keys %v, want %v", snap.Values, demoCounters)
	}
	for _, name := range demoCounters {
		v, ok := snap.Values[name]
		if !ok || v == nil {
			t.Errorf("JSON %s = %v, want a number", name, v)
			continue
		}
		if vs := vals[name]; len(vs) > 0 && !closeTo(*v, vs[len(vs)-1]) {
			t.Errorf("JSON %s = %v, final log line %v", name, *v, vs[len(vs)-1])
		}
	}
	if d := time.Since(snap.Time); d < 0 || d > time.Minute {
		t.Errorf("collection time %v is not the final report's", snap.Time)
	}
	if stderr.String() != "" {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// closeTo compares a JSON number with its 12-digit log line.
func closeTo(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(a, b, 1e-300) || d < 1e-15
}

// With --duration 0 the demo runs until interrupted (here, ctx is
// cancelled as Ctrl-C would), then sends its final report.
func TestDemoInterrupted(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "demo.json")
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- demoMain(ctx, []string{"--duration", "0", "--json", jsonPath, "--tick", "200ms", "--report-interval", "200ms"}, &stdout, &stderr)
	}()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(stdout.String(), `msg="requests_time `) {
		select {
		case code := <-done:
			t.Fatalf("the demo ended on its own (status %d):\n%s%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("no report within 10 s:\n%s", stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	before := len(reportedValues(t, stdout.String())["requests_time"])
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("status %d after interruption; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop within 15 s of the interruption")
	}
	if after := len(reportedValues(t, stdout.String())["requests_time"]); after <= before {
		t.Errorf("no final report after the interruption (%d reports before, %d after)", before, after)
	}
	if _, err := jsonfile.ReadFile(jsonPath); err != nil {
		t.Error(err)
	}
}

func TestDemoHelpNamesEveryFlag(t *testing.T) {
	var stdout, stderr syncBuffer
	if code := demoMain(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 {
		t.Errorf("--help: status %d, want 0 as for every command", code)
	}
	help := stderr.String()
	fs, _ := demoFlags(&bytes.Buffer{})
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if !strings.Contains(help, "-"+f.Name+" ") {
			t.Errorf("--help does not document -%s", f.Name)
		}
	})
	if n < 9 || !strings.Contains(help, "requests_data_len_total") {
		t.Errorf("help:\n%s", help)
	}
	if stdout.String() != "" {
		t.Errorf("help on stdout: %s", stdout.String())
	}
}

func TestDemoBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--json", filepath.Join(dir, "missing", "x.json")}, "--json"},
		{[]string{"--duration", "-1s"}, "--duration"},
		{[]string{"--tick", "0s"}, "--tick"},
		{[]string{"--clients", "-1"}, "--clients"},
		{[]string{"--max-len", "0"}, "--max-len"},
		{[]string{"--addr", "127.0.0.1:notaport", "--json", filepath.Join(dir, "a.json")}, "--addr"},
		{[]string{"extra"}, `"extra"`},
		{[]string{"--nope"}, "-nope"},
	} {
		var stdout, stderr syncBuffer
		code := demoMain(context.Background(), c.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: status %d, stderr %q; want 2 and a message naming %s", c.args, code, stderr.String(), c.want)
		}
	}
}
