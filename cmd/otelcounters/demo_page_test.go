package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/exporters/jsonfile"
)

var pageRE = regexp.MustCompile(`msg="demo: live page" url=(\S+)`)

func getWith(t *testing.T, target, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestDemoPage runs the demo until it has reported twice, and reads its
// page's address from its log: JSON for scripts, the page for browsers, and
// the page's history of the reports.
func TestDemoPage(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "demo.json")
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- demoMain(ctx, []string{"--duration", "0", "--json", jsonPath, "--tick", "200ms", "--report-interval", "300ms"}, &stdout, &stderr)
	}()
	deadline := time.After(15 * time.Second)
	for len(reportedValues(t, stdout.String())["requests_time"]) < 2 {
		select {
		case code := <-done:
			t.Fatalf("the demo ended on its own (status %d):\n%s%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("not two reports within 15 s:\n%s", stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	m := pageRE.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no page address in the log:\n%s", stdout.String())
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() || u.Path != "/" {
		t.Errorf("page at %s, want / on a loopback address", m[1])
	}

	resp, body := getWith(t, m[1], "*/*")
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET / for */*: %s", resp.Header.Get("Content-Type"))
	}
	snap, err := jsonfile.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range demoCounters {
		if v, ok := snap.Values[name]; !ok || v == nil {
			t.Errorf("the page's JSON: %s = %v, want a number", name, v)
		}
	}
	resp, body = getWith(t, m[1], "text/html,application/xhtml+xml,*/*;q=0.8")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `src="?asset=page.js"`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("GET / for a browser: %s, CSP %q", resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
	}
	_, body = getWith(t, m[1]+"?format=history", "*/*")
	var hist struct {
		Refresh  float64
		Times    []float64
		Counters []struct{ Name, Unit string }
	}
	if err := json.Unmarshal([]byte(body), &hist); err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, c := range hist.Counters {
		units[c.Name] = c.Unit
	}
	if len(hist.Times) < 2 || hist.Refresh != 0.5 || len(units) != len(demoCounters) {
		t.Errorf("history: %d reports, refresh %v (the report interval, at least 0.5 s), counters %v", len(hist.Times), hist.Refresh, units)
	}
	for name, unit := range units {
		want := "By"
		switch {
		case name == "requests_time":
			want = "s"
		case name == "requests_frequency":
			want = "1/s"
		}
		if unit != want {
			t.Errorf("%s in %q, want %q", name, unit, want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("status %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop")
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("the page still accepts connections at %s", u.Host)
	}
}

func TestDemoWithoutPage(t *testing.T) {
	var stdout, stderr syncBuffer
	code := demoMain(context.Background(), []string{"--duration", "500ms", "--page", "", "--json", filepath.Join(t.TempDir(), "d.json")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr.String())
	}
	if pageRE.MatchString(stdout.String()) {
		t.Errorf("--page '' served a page:\n%s", stdout.String())
	}
	code = demoMain(context.Background(), []string{"--duration", "500ms", "--page", "127.0.0.1:notaport", "--json", filepath.Join(t.TempDir(), "e.json")}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--page") {
		t.Errorf("a bad --page: status %d, stderr %q", code, stderr.String())
	}
}
