package reader_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// Shutdown sends a final report holding the interval in progress, is
// idempotent, and makes later calls fail with ErrShutdown.
func TestShutdown(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event},
	)})
	var c collector
	if err := h.r.RegisterReporter("c", &c); err != nil {
		t.Fatal(err)
	}
	h.i64Counter("hits").Add(h.ctx, 3)
	h.clock.Advance(time.Second)

	if err := h.mp.Shutdown(h.ctx); err != nil { // shuts the reader down
		t.Fatal(err)
	}
	if c.count() != 1 {
		t.Fatalf("%d reports at shutdown, want 1", c.count())
	}
	check(t, c.last(), "hits", num(3))
	if err := h.r.Shutdown(h.ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if c.count() != 1 {
		t.Errorf("second Shutdown sent a report: %d reports", c.count())
	}

	for name, call := range map[string]func() error{
		"Register": func() error {
			return h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "late", Kind: counters.Count})
		},
		"RegisterReporter": func() error { return h.r.RegisterReporter("late", &c) },
		"Tick":             func() error { return h.r.Tick(h.ctx) },
		"Report":           func() error { _, err := h.r.Report(h.ctx); return err },
		"OutputReport":     func() error { return h.r.OutputReport(h.ctx) },
		"ForceFlush":       func() error { return h.r.ForceFlush(h.ctx) },
	} {
		if err := call(); !errors.Is(err, reader.ErrShutdown) {
			t.Errorf("%s after Shutdown: %v, want ErrShutdown", name, err)
		}
	}
	if c.count() != 1 {
		t.Errorf("reports after Shutdown: %d, want still 1", c.count())
	}
	// Removing things is harmless after Shutdown.
	if !h.r.UnregisterReporter("c") || !h.r.Unregister("hits") {
		t.Error("Unregister after Shutdown found nothing")
	}
}

// The background goroutine exists until Shutdown, and no longer after it.
func TestShutdownStopsGoroutine(t *testing.T) {
	// Loops of earlier tests' readers may still be on their way out.
	eventually(t, 5*time.Second, "earlier loops end", func() bool { return loopGoroutines() == 0 })
	before := 0
	r := reader.New(reader.WithTick(time.Hour))
	eventually(t, 5*time.Second, "the loop starts", func() bool { return loopGoroutines() == before+1 })
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	var c collector
	if err := r.RegisterReporter("c", &c); err != nil {
		t.Fatal(err)
	}
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.count() != 1 {
		t.Errorf("%d final reports, want 1", c.count())
	}
	eventually(t, 5*time.Second, "the loop ends", func() bool { return loopGoroutines() == before })

	// A manual reader starts none.
	m := reader.New(reader.WithManualTicks())
	if n := loopGoroutines(); n != before {
		t.Errorf("a manual reader runs %d loops, want %d", n, before)
	}
	if err := m.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// Shutdown gives up when its context ends before a hung reporter returns.
func TestShutdownHonoursContext(t *testing.T) {
	r := reader.New(reader.WithManualTicks(), reader.WithReportTimeout(time.Hour))
	release := make(chan struct{})
	defer close(release)
	if err := r.RegisterReporter("hung", report.ReporterFunc(func(context.Context, report.Report) error {
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v, want the context's deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown ignored its context")
	}
}

// With real time, the goroutine collects every tick and reports every
// report interval without being asked.
func TestBackgroundLoop(t *testing.T) {
	r := reader.New(reader.WithTick(10*time.Millisecond), reader.WithReportInterval(30*time.Millisecond),
		reader.WithReportTimeout(time.Hour),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	type delivery struct {
		rep         report.Report
		deadline    time.Time
		hasDeadline bool
		at          time.Time
	}
	got := make(chan delivery, 1000)
	if err := r.RegisterReporter("chan", report.ReporterFunc(func(ctx context.Context, rep report.Report) error {
		d := delivery{rep: rep, at: time.Now()}
		d.deadline, d.hasDeadline = ctx.Deadline()
		select {
		case got <- d:
		default:
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	hits, err := mp.Meter("t").Int64Counter("hits")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hits.Add(ctx, 5)

	// waitFor returns the first report in which hits has value v.
	waitFor := func(v float64) delivery {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case d := <-got:
				if x, ok := d.rep.Lookup("hits"); ok && x.OK && x.V == v {
					return d
				}
			case <-timeout:
				t.Fatalf("no report with hits = %v within 10 s", v)
			}
		}
	}
	first := waitFor(5)
	hits.Add(ctx, 3)
	second := waitFor(8)
	if !second.rep.Time.After(first.rep.Time) {
		t.Errorf("report times %v then %v", first.rep.Time, second.rep.Time)
	}
	// Reporters get the report timeout, not the tick, to do their work.
	if !second.hasDeadline || second.deadline.Sub(second.at) < 50*time.Minute {
		t.Errorf("reporter deadline %v after the call (set: %v), want about the report timeout of 1h",
			second.deadline.Sub(second.at), second.hasDeadline)
	}
}
