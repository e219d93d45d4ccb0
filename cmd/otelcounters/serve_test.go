package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/report"
)

type serveResult struct {
	code   int
	stderr string
}

// startServe runs the serve command on a free loopback port until the test
// ends, and returns its address.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan serveResult, 1)
	go func() {
		var stderr syncBuffer
		code := serveMain(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), &stderr, func(a string) { addrc <- a })
		done <- serveResult{code, stderr.String()}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case r := <-done:
			if r.code != 0 {
				t.Errorf("serve ended with status %d: %s", r.code, r.stderr)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case a := <-addrc:
		return a
	case r := <-done:
		t.Fatalf("serve ended with status %d: %s", r.code, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServe(t *testing.T) {
	dir := hostFolder(t)
	addr := startServe(t, "--dir", dir)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("listening on %s, want loopback", addr)
	}
	code, body := httpGet(t, "http://"+addr+"/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d %s", code, body)
	}
	s, err := jsonfile.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Values) != 2 || *s.Values["requests_frequency"] != 3 || *s.Values["requests_time"] != 1.25 {
		t.Errorf("served %s", body)
	}
	// Each request merges anew.
	rep, err := host.NewReporter(dir, "batch")
	if err != nil {
		t.Fatal(err)
	}
	err = rep.Report(t.Context(), report.Report{Time: time.Now(), Values: []report.Value{
		{Key: "requests_frequency", Kind: counters.Frequency, Value: counters.Value{V: 4, OK: true}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := httpGet(t, "http://"+addr+"/"); !strings.Contains(body, `"requests_frequency": 7,`) {
		t.Errorf("served after a new report: %s", body)
	}
	if code, _ := httpGet(t, "http://"+addr+"/other"); code != http.StatusNotFound {
		t.Errorf("GET /other: %d", code)
	}
}

func TestServeErrors(t *testing.T) {
	dir := hostFolder(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--dir is required"},
		{[]string{"--dir", dir + "/missing"}, "is not a folder"},
		{[]string{"--dir", dir, "--addr", "127.0.0.1:-1"}, "--addr"},
		{[]string{"--dir", dir, "--max-age", "x"}, "--max-age"},
		{[]string{"--dir", dir, "extra"}, "unexpected argument"},
		{[]string{"--dir", dir, "--timeout", "0s"}, "--timeout 0s: want a positive duration"},
		{[]string{"--dir", dir, "--max-file-size", "1MB"}, "--max-file-size"},
	} {
		var stderr strings.Builder
		code := serveMain(context.Background(), c.args, &stderr, nil)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: status %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}
