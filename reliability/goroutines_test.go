package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/pipe"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/exporters/windowproducer"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/scoped"
	"github.com/otelcounters/otelcounters/shortcut"
)

// Every test here takes the goroutine count before making a component,
// uses it (ticks, reports, exports), shuts it down, and waits (bounded) for
// the count to come back, with no goroutine of the project left. They must
// not run in parallel: the count is the process's.

func shutdown(t *testing.T, what string, f func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		t.Fatalf("%s: Shutdown: %v", what, err)
	}
}

func record(t *testing.T, mp metric.MeterProvider) {
	t.Helper()
	h := mustF64Histogram(t, mp.Meter("goroutines"), "req", metric.WithUnit("s"))
	h.Record(context.Background(), 0.5)
}

// The reader's own goroutine (ticks and reports) and the goroutines that
// call its reporters end with the MeterProvider's Shutdown.
func TestNoGoroutineLeftReader(t *testing.T) {
	check := goroutineBaseline(t)
	r := reader.New(reader.WithTick(time.Millisecond), reader.WithReportInterval(time.Millisecond),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "req", Kind: counters.AverageTime}))
	rep := discard()
	if err := r.RegisterReporter("count", rep); err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	record(t, mp)
	eventually(t, waitLong, "reports from the reader's goroutine", func() bool { return rep.n.Load() >= 3 })
	shutdown(t, "MeterProvider", mp.Shutdown)
	check("after the reader's Shutdown")
}

// The export goroutine of reader.WithExporter ends with Shutdown, with
// background ticks and with manual ones, and with a window producer in
// the export.
func TestNoGoroutineLeftExport(t *testing.T) {
	for _, manual := range []bool{false, true} {
		check := goroutineBaseline(t)
		exp := &exporter{entered: make(chan struct{}, 1)}
		opts := []reader.Option{
			reader.WithExporter(exp, time.Millisecond), windowproducer.InExport(),
			reader.WithTick(time.Millisecond),
			reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "req", Kind: counters.AverageTime}),
		}
		if manual {
			opts = append(opts, reader.WithManualTicks())
		}
		r := reader.New(opts...)
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
		record(t, mp)
		if manual {
			if err := r.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		receive(t, exp.entered, "a first export")
		shutdown(t, "MeterProvider", mp.Shutdown)
		check("after Shutdown of a reader with an exporter")
	}
}

// A reporter that blocks ignoring its context keeps the goroutine that
// called it, and nothing else, until it returns; the reader's Shutdown does
// not wait for it. Once it returns, nothing is left.
func TestNoGoroutineLeftBlockedReporter(t *testing.T) {
	check := goroutineBaseline(t)
	r := reader.New(reader.WithManualTicks(), reader.WithReportTimeout(10*time.Millisecond))
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	entered := make(chan struct{}, 1)
	if err := r.RegisterReporter("blocking", report.ReporterFunc(func(context.Context, report.Report) error {
		entered <- struct{}{}
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := r.OutputReport(context.Background()); err == nil {
		t.Fatal("OutputReport: no error from a reporter that does not answer")
	}
	receive(t, entered, "the reporter is called")
	if err := r.Shutdown(context.Background()); err == nil {
		t.Error("Shutdown: no error while the reporter is still busy")
	}
	if n := len(projectGoroutines()); n != 1 {
		t.Errorf("%d goroutines of the project while one reporter blocks, want 1 (its caller)", n)
	}
	unblock()
	check("after the blocked reporter returned")
}

// The drop-in's provider, built from a configuration file with a JSON file
// and a log reporter, and a bridge no provider owns, leave nothing after
// Shutdown.
func TestNoGoroutineLeftBridge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "counters.json")
	conf := filepath.Join(dir, "counters.yaml")
	yaml := "tick: 1ms\nreport_interval: 1ms\ncounters:\n  - name: req\n    kind: average_time\nreporters:\n  - type: log\n  - type: json_file\n    path: " + path + "\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var logged syncBuffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))

	check := goroutineBaseline(t)
	mp, err := bridge.NewMeterProvider(bridge.WithConfigFile(conf), bridge.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	record(t, mp)
	eventually(t, waitLong, "the JSON file", func() bool { _, err := jsonfile.ReadFile(path); return err == nil })
	shutdown(t, "bridge MeterProvider", mp.Shutdown)
	check("after the bridge MeterProvider's Shutdown")
	if logged.Len() == 0 {
		t.Error("the log reporter wrote nothing")
	}

	b, err := bridge.New(bridge.WithConfigFile(conf), bridge.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, "Bridge", b.Shutdown)
	check("after a Bridge's Shutdown")
}

// A window producer on the SDK's own PeriodicReader: the SDK's goroutine
// and the reader's end with the provider's Shutdown.
func TestNoGoroutineLeftWindowProducer(t *testing.T) {
	check := goroutineBaseline(t)
	r := reader.New(reader.WithTick(time.Millisecond),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "req", Kind: counters.AverageTime}))
	exp := &exporter{entered: make(chan struct{}, 1)}
	periodic := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Millisecond),
		sdkmetric.WithProducer(windowproducer.New(r)))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithReader(periodic))
	record(t, mp)
	receive(t, exp.entered, "a first export")
	shutdown(t, "MeterProvider", mp.Shutdown)
	check("after Shutdown of a provider with a window producer")
}

// The named-pipe reporter's goroutine ends with its Shutdown, after it
// served a reader, and with a reader that opened the pipe and never reads
// (Shutdown cuts the write short).
func TestNoGoroutineLeftPipe(t *testing.T) {
	for _, stalled := range []bool{false, true} {
		check := goroutineBaseline(t)
		m := newManual(t, []reader.Option{reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "req", Kind: counters.AverageTime})})
		p, err := pipe.New(t.TempDir(), pipe.WithPollInterval(time.Millisecond), pipe.WithWriteTimeout(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.r.RegisterReporter("pipe", p); err != nil {
			t.Fatal(err)
		}
		record(t, m.mp)
		m.tick(time.Second)
		if stalled {
			// A report larger than the pipe's buffer, and a reader that
			// opens the pipe and reads nothing.
			big := report.Report{Time: time.Unix(1, 0)}
			for i := range 20_000 {
				big.Values = append(big.Values, report.Value{Key: fmt.Sprintf("key_%06d", i), Value: counters.Value{V: 1, OK: true}})
			}
			if err := p.Report(m.ctx, big); err != nil {
				t.Fatal(err)
			}
		} else if err := m.r.OutputReport(m.ctx); err != nil {
			t.Fatal(err)
		}
		type result struct {
			data []byte
			err  error
		}
		got := make(chan result, 1)
		opened := make(chan *os.File, 1)
		go func() {
			f, err := os.Open(p.Path()) // waits for the writer
			if err != nil {
				got <- result{err: err}
				return
			}
			opened <- f
			if stalled {
				return
			}
			data, err := io.ReadAll(f)
			got <- result{data, err}
		}()
		var f *os.File
		select {
		case f = <-opened:
		case r := <-got:
			t.Fatalf("open: %v", r.err)
		case <-time.After(waitLong):
			t.Fatal("the pipe reporter never opened the pipe")
		}
		if !stalled {
			r := receive(t, got, "the pipe's report")
			if r.err != nil || !bytes.Contains(r.data, []byte("req: 0.5")) {
				t.Fatalf("read %q, %v", r.data, r.err)
			}
		}
		shutdown(t, "MeterProvider", m.mp.Shutdown) // the final report, then
		shutdown(t, "pipe reporter", p.Shutdown)
		_ = f.Close()
		check(fmt.Sprintf("after the pipe reporter's Shutdown (stalled reader: %v)", stalled))
	}
}

// Components that own no goroutine start none: the reporters, the
// per-process files and their merge, scoped recordings, shortcuts.
func TestNoGoroutineStarted(t *testing.T) {
	check := goroutineBaseline(t)
	ctx := context.Background()
	dir := t.TempDir()
	m := newManual(t, []reader.Option{reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "req", Kind: counters.AverageTime})})

	s := shortcut.New(m.meter, m.r)
	s.Value(ctx, "size", 3)
	tm := s.Time(ctx, "work")
	tm.Stop()

	sp := scoped.Wrap(m.mp)
	rctx, rec := sp.Start(ctx)
	h := mustF64Histogram(t, sp.Meter("scoped"), "req", metric.WithUnit("s"))
	h.Record(rctx, 0.25)
	if got := rec.Stop().Flat(); len(got) == 0 {
		t.Error("the scoped recording saw nothing")
	}

	m.tick(time.Second)
	rep := m.report()
	jf, err := jsonfile.New(filepath.Join(dir, "counters.json"))
	if err != nil {
		t.Fatal(err)
	}
	hr, err := host.NewReporter(dir, "web")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	for _, r := range []report.Reporter{jf, hr, slogreport.New(slog.New(slog.NewTextHandler(&logged, nil)))} {
		if err := r.Report(ctx, rep); err != nil {
			t.Fatal(err)
		}
	}
	res, err := host.Merge(dir, host.WithClock(m.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if res.Included() != 1 {
		t.Errorf("merged %d processes, want this one", res.Included())
	}
	if _, err := windowproducer.New(m.r).Produce(ctx); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	httpjson.ForReader(m.r).ServeHTTP(w, httptest.NewRequest("GET", "/counters", nil))
	if w.Code != 200 || !json.Valid(w.Body.Bytes()) {
		t.Errorf("httpjson: %d %q", w.Code, w.Body.Bytes())
	}
	shutdown(t, "MeterProvider", m.mp.Shutdown)
	check("after using the components without goroutines")
}

// syncBuffer is a bytes.Buffer safe for the reader's reporting goroutine
// and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
