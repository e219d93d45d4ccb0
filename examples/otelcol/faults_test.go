package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/report"
)

// handledErrors counts what reaches otel.Handle. The handler is
// process-wide: the tests that use it do not run in parallel.
type handledErrors struct {
	mu   sync.Mutex
	errs []string
}

func (h *handledErrors) Handle(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err.Error())
	h.mu.Unlock()
}

func (h *handledErrors) count(part string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.errs {
		if strings.Contains(e, part) {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The Collector down at start, killed mid-run and restarted: recording never
// blocks, the reporters keep reporting, export errors go to otel.Handle,
// export resumes once the Collector is back, and Shutdown leaves no
// goroutine behind.
func TestCollectorFaults(t *testing.T) {
	bin := needCollector(t)
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(strings.ReplaceAll(protocol, "/", "-"), func(t *testing.T) { faults(t, bin, protocol) })
	}
}

func faults(t *testing.T, bin, protocol string) {
	errs := &handledErrors{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(errs)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	col := newCollector(t, bin) // ports chosen, nothing listening yet
	service := "faults-" + strings.ReplaceAll(protocol, "/", "-")
	t.Setenv("OTEL_SERVICE_NAME", service)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.endpoint(protocol))
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "cumulative")
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1000") // the exporter's own bound, retries included
	t.Setenv("OTEL_METRIC_EXPORT_TIMEOUT", "1500") // the reader's bound on one export

	baseline := runtime.NumGoroutine()
	ctx := context.Background()
	tel, err := newTelemetry(ctx, config{
		setup: "one", protocol: protocol,
		tick: 100 * time.Millisecond, exportInterval: 200 * time.Millisecond, reportInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	shut := false
	defer func() {
		if !shut {
			_ = tel.shutdown(ctx)
		}
	}()
	var reports atomic.Int64
	if err := tel.reader.RegisterReporter("count", report.ReporterFunc(func(context.Context, report.Report) error {
		reports.Add(1)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	// The JSON file must end with every request, the Collector's death
	// notwithstanding.
	jsonPath := filepath.Join(t.TempDir(), "counters.json")
	jf, err := jsonfile.New(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.reader.RegisterReporter("json", jf); err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(tel.meterProvider)
	if err != nil {
		t.Fatal(err)
	}

	// The service records all along, pausing briefly now and then so as not
	// to starve the 2 cores; a blocked record path would stop the count.
	var recorded atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			srv.serve(ctx, i)
			recorded.Add(1)
			if i%100 == 99 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	stopRecording := sync.OnceFunc(func() { close(stop); <-done })
	defer stopRecording()

	goesOn := func(phase string) {
		t.Helper()
		r0, p0 := recorded.Load(), reports.Load()
		waitUntil(t, 20*time.Second, phase+": recording goes on", func() bool { return recorded.Load() >= r0+2000 })
		waitUntil(t, 20*time.Second, phase+": the reporters go on", func() bool { return reports.Load() >= p0+3 })
	}
	exportErrors := func() int { return errs.count("otelcounters: export") }

	// 1. The Collector is down at start.
	waitUntil(t, 20*time.Second, "down at start: an export error reaches otel.Handle", func() bool { return exportErrors() >= 1 })
	goesOn("down at start")

	// 2. It comes up: data arrives.
	if err := col.start(); err != nil {
		t.Fatal(err)
	}
	up := uint64(time.Now().UnixNano())
	waitFor(t, col, 30*time.Second, arrivedSince(service, up))

	// 3. It dies mid-run.
	col.kill()
	e0 := exportErrors()
	waitUntil(t, 20*time.Second, "killed: an export error reaches otel.Handle", func() bool { return exportErrors() > e0 })
	goesOn("killed")

	// 4. It is restarted on the same ports: export resumes.
	if err := col.start(); err != nil {
		t.Fatal(err)
	}
	restarted := uint64(time.Now().UnixNano())
	waitFor(t, col, 30*time.Second, arrivedSince(service, restarted))
	goesOn("restarted")

	// 5. Shutdown leaves no goroutine behind (the Collector is stopped
	// first, so that no idle connection to it keeps one alive).
	stopRecording()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := tel.shutdown(sctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	shut = true
	col.stop()
	snap, err := jsonfile.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	n := recorded.Load()
	var sizes = map[string]float64{}
	for i := range n {
		p := pattern[i%int64(len(pattern))]
		sizes[p.route] += float64(p.size)
	}
	for route, want := range sizes {
		key := fmt.Sprintf(`request_bytes_total{http.route=%q}`, route)
		if got := snap.Values[key]; got == nil || *got != want {
			t.Errorf("the final JSON file has %s = %v, want %v from the %d requests recorded", key, got, want, n)
		}
	}
	waitUntil(t, 20*time.Second, fmt.Sprintf("goroutines back to the %d before the set-up", baseline), func() bool {
		return runtime.NumGoroutine() <= baseline
	})
	t.Logf("%s: %d requests recorded, %d reports, %d export errors handled", protocol, recorded.Load(), reports.Load(), exportErrors())
}

// arrivedSince checks that window values and raw metrics of the service
// reached the Collector with a time at or after since.
func arrivedSince(service string, since uint64) func([]point) []string {
	return func(pts []point) []string {
		var problems []string
		for _, name := range []string{"request_count", "request_time", durationName} {
			p, ok := latest(series(pts, service, name, map[string]string{"http.route": "/cart"}))
			if !ok || p.time < since {
				problems = append(problems, fmt.Sprintf("%s: nothing since %d (latest %d)", name, since, p.time))
			}
		}
		return problems
	}
}
