package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/report"
)

// TestServePage checks serve's page: the JSON stays the answer for
// scripts, a browser gets the page, and the page's history holds a merge
// per --interval, stamped with the time of the merge, with the series'
// attributes read back from the merged keys.
func TestServePage(t *testing.T) {
	dir := t.TempDir()
	rep, err := host.NewReporter(dir, "web")
	if err != nil {
		t.Fatal(err)
	}
	attrs := attribute.NewSet(attribute.String("http.route", "/items/{id}"), attribute.String("client", `<b>"x"</b>`))
	write := func(v float64) {
		err := rep.Report(context.Background(), report.Report{Time: time.Now().Add(-time.Second), Values: []report.Value{
			{Key: report.Key("requests_time", attrs), Kind: counters.AverageTime, Value: counters.Value{V: v, OK: true, Count: 3}},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(0.25)
	start := time.Now()
	addr := startServe(t, "--dir", dir, "--interval", "200ms")

	resp, body := getWith(t, "http://"+addr+"/", "*/*")
	if resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"requests_time{client=\"<b>\\\"x\\\"</b>\",http.route=\"/items/{id}\"}": 0.25`) {
		t.Errorf("GET / for */*: %s %s", resp.Header.Get("Content-Type"), body)
	}
	resp, _ = getWith(t, "http://"+addr+"/", "text/html,*/*;q=0.8")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET / for a browser: %s", resp.Header.Get("Content-Type"))
	}
	if resp, _ := getWith(t, "http://"+addr+"/?asset=page.js", "*/*"); resp.StatusCode != 200 {
		t.Errorf("the page's script: %s", resp.Status)
	}

	type hist struct {
		Refresh  float64
		Times    []float64
		Counters []struct {
			Name, Kind, Unit string
			Series           []struct {
				Attrs [][2]string
				Lines []struct{ Values []*float64 }
			}
		}
	}
	var h hist
	deadline := time.Now().Add(10 * time.Second)
	for {
		write(0.5)
		_, body = getWith(t, "http://"+addr+"/?format=history", "*/*")
		h = hist{}
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatal(err)
		}
		if len(h.Times) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(h.Times) < 3 || h.Refresh != 0.5 {
		t.Fatalf("history %v, refresh %v: want a merge every 200 ms, pages asking every 0.5 s (the least)", h.Times, h.Refresh)
	}
	for i, tm := range h.Times {
		if at := time.Unix(0, int64(tm*1e9)); at.Before(start) || at.After(time.Now()) {
			t.Errorf("history time %d = %v: not the time of a merge", i, at)
		}
	}
	if len(h.Counters) != 1 || h.Counters[0].Name != "requests_time" || h.Counters[0].Kind != "average_time" || h.Counters[0].Unit != "s" {
		t.Fatalf("counters %+v", h.Counters)
	}
	s := h.Counters[0].Series
	if len(s) != 1 || len(s[0].Attrs) != 2 || s[0].Attrs[0] != [2]string{"client", `<b>"x"</b>`} || s[0].Attrs[1] != [2]string{"http.route", "/items/{id}"} {
		t.Errorf("series %+v", s)
	}
	vals := s[0].Lines[0].Values
	if last := vals[len(vals)-1]; last == nil || *last != 0.5 {
		t.Errorf("values %v, want the latest merge's 0.5 last", vals)
	}
}

func TestServeBadInterval(t *testing.T) {
	for _, iv := range []string{"0s", "10ms", "2h", "often"} {
		var stderr syncBuffer
		if code := serveMain(context.Background(), []string{"--dir", t.TempDir(), "--interval", iv}, &stderr, nil); code != 2 || !strings.Contains(stderr.String(), "interval") {
			t.Errorf("--interval %s: status %d, %q", iv, code, stderr.String())
		}
	}
}
