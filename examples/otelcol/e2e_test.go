package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// e2eRequests is how many requests each run records: half per route. With
// the demo's pattern the window values are known in advance.
const e2eRequests = 20

type routeWant struct {
	avg, max, bytes float64
	size            int64
}

var e2eWant = map[string]routeWant{
	"/cart":     {avg: 0.25, max: 0.375, bytes: 100 * e2eRequests / 2, size: 100},
	"/checkout": {avg: 0.5, max: 0.75, bytes: 1000 * e2eRequests / 2, size: 1000},
}

// The demo, run in each of its set-ups over gRPC and HTTP, delivers the raw
// metrics and the window values to a real Collector, with the names, units,
// attributes and values the recorded pattern implies. Not parallel: the runs
// use the process environment (OTEL_*), as a deployed service would.
func TestCollectorEndToEnd(t *testing.T) {
	bin := needCollector(t)
	col := startCollector(t, bin)
	for _, c := range []struct {
		name, setup, protocol string
		delta                 bool
	}{
		{"one-pipeline/grpc", "one", "grpc", false},
		{"one-pipeline/http-delta", "one", "http/protobuf", true},
		{"two-readers/grpc", "two", "grpc", false},
		// Not delta: the SDK's PeriodicReader cancels an export in flight
		// when it shuts down, and with delta temporality that interval is
		// lost (the one pipeline waits for it, within Shutdown's context).
		{"two-readers/http", "two", "http/protobuf", false},
		{"autoexport/http", "autoexport", "http/protobuf", false},
		{"autoexport/grpc", "autoexport", "grpc", false},
		{"otelconf/http", "otelconf", "http/protobuf", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			service := "e2e-" + strings.ReplaceAll(c.name, "/", "-")
			t.Setenv("OTEL_SERVICE_NAME", service)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.endpoint(c.protocol))
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", c.protocol) // autoexport's choice
			t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
			t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "300") // autoexport's and otelconf's readers
			t.Setenv("OTELCOUNTERS_OTLP_HTTP_ENDPOINT", col.endpoint("http/protobuf"))
			if c.delta {
				t.Setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")
			} else {
				t.Setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "cumulative")
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), config{
				setup: c.setup, protocol: c.protocol, otelconfFile: "otelconf.yaml",
				duration: 1200 * time.Millisecond, requests: e2eRequests,
				tick: 200 * time.Millisecond, exportInterval: 300 * time.Millisecond, reportInterval: 300 * time.Millisecond,
				stdout: &stdout, stderr: &stderr,
			})
			if err != nil {
				t.Fatalf("run: %v\n%s", err, stderr.String())
			}
			// The program's last line is the final report in the JSON-file format.
			for _, want := range []string{`"request_count{http.route=\"/cart\"}": 10`, `"request_time{http.route=\"/checkout\"}": 0.5`} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("final report %q lacks %s", stdout.String(), want)
				}
			}
			if !strings.Contains(stderr.String(), `request_max{http.route=\"/cart\"} 0.375`) {
				t.Errorf("the log reporter did not log request_max:\n%s", stderr.String())
			}
			waitFor(t, col, 10*time.Second, func(pts []point) []string { return checkDemoOutput(pts, service, c.delta) })
		})
	}
}

// checkDemoOutput returns what is wrong with (or still missing from) what a
// run of the demo delivered to the Collector.
func checkDemoOutput(pts []point, service string, delta bool) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for route, w := range e2eWant {
		route := map[string]string{"http.route": route}
		gauge := func(name, unit, kind string, window bool) (float64, bool) {
			p, ok := latest(series(pts, service, name, route))
			if !ok {
				bad("%s %v: no point", name, route)
				return 0, false
			}
			if p.kind != "gauge" || p.unit != unit || p.attrs["otelcounters.kind"] != kind ||
				(window && p.attrs["otelcounters.window"] != "300s") || (!window && p.attrs["otelcounters.window"] != "") {
				bad("%s %v: %s unit %q attributes %v, want a gauge of unit %q, kind %s", name, route, p.kind, p.unit, p.attrs, unit, kind)
			}
			if p.scope != "github.com/otelcounters/otelcounters/exporters/windowproducer" {
				bad("%s: scope %q", name, p.scope)
			}
			return p.value, true
		}
		if v, ok := gauge("request_time", "s", "average_time", true); ok && v != w.avg {
			bad("request_time %v = %v, want %v", route, v, w.avg)
		}
		if v, ok := gauge("request_max", "s", "max", true); ok && v != w.max {
			bad("request_max %v = %v, want %v", route, v, w.max)
		}
		if v, ok := gauge("request_count", "", "count", true); ok && v != e2eRequests/2 {
			bad("request_count %v = %v, want %d", route, v, e2eRequests/2)
		}
		// The rate depends on the run's timing: only its sign is known.
		if v, ok := gauge("request_rate", "1/s", "frequency", true); ok && (v <= 0 || math.IsNaN(v)) {
			bad("request_rate %v = %v, want > 0", route, v)
		}
		if v, ok := gauge("request_bytes_total", "By", "total", false); ok && v != w.bytes {
			bad("request_bytes_total %v = %v, want %v", route, v, w.bytes)
		}

		// The raw histograms, exported as the exporter's temporality asks.
		for _, raw := range []struct {
			name, unit string
			sum        float64
		}{
			{durationName, "s", w.avg * e2eRequests / 2},
			{bodySizeName, "By", float64(w.size) * e2eRequests / 2},
		} {
			ps := series(pts, service, raw.name, route)
			if len(ps) == 0 {
				bad("%s %v: no point", raw.name, route)
				continue
			}
			var count uint64
			var sum float64
			if delta {
				for _, p := range ps {
					count += p.count
					sum += p.sum
				}
			} else {
				p, _ := latest(ps)
				count, sum = p.count, p.sum
			}
			wantTemp := 2
			if delta {
				wantTemp = 1
			}
			for _, p := range ps {
				if p.kind != "histogram" || p.unit != raw.unit || p.temporality != wantTemp {
					bad("%s: %s unit %q temporality %d, want a histogram of unit %q, temporality %d", raw.name, p.kind, p.unit, p.temporality, raw.unit, wantTemp)
					break
				}
			}
			if count != e2eRequests/2 || sum != raw.sum {
				bad("%s %v: count %d sum %v, want %d and %v", raw.name, route, count, sum, e2eRequests/2, raw.sum)
			}
		}
	}
	return problems
}
