package reader_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/internal/fakeclock"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// fakeClock moves only when told to.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }

// harness is a reader driven by hand with a fake clock, the MeterProvider it
// reads and a meter of that provider.
type harness struct {
	t     testing.TB
	ctx   context.Context
	clock *fakeClock
	start time.Time
	r     *reader.Reader
	mp    *sdkmetric.MeterProvider
	meter metric.Meter
}

// newHarness returns a harness with a manual reader ticking every second
// unless opts say otherwise. The provider is shut down when the test ends.
func newHarness(t testing.TB, opts []reader.Option, mpOpts ...sdkmetric.Option) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: newFakeClock()}
	h.start = h.clock.Now()
	all := append([]reader.Option{reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(h.clock.Now)}, opts...)
	h.r = reader.New(all...)
	h.mp = sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(h.r)}, mpOpts...)...)
	h.meter = h.mp.Meter("test")
	t.Cleanup(func() { _ = h.mp.Shutdown(context.Background()) })
	return h
}

// elapsed is the fake time since the reader was made.
func (h *harness) elapsed() time.Duration { return h.clock.Now().Sub(h.start) }

// tickTo advances the clock to elapsed time at and ticks.
func (h *harness) tickTo(at time.Duration) {
	h.t.Helper()
	h.clock.Advance(at - h.elapsed())
	if err := h.r.Tick(h.ctx); err != nil {
		h.t.Fatalf("Tick at %v: %v", at, err)
	}
}

// ticks advances the clock by one tick n times, ticking each time.
func (h *harness) ticks(n int) {
	h.t.Helper()
	for range n {
		h.tickTo(h.elapsed() + h.r.TickInterval())
	}
}

func (h *harness) report() report.Report {
	h.t.Helper()
	rep, err := h.r.Report(h.ctx)
	if err != nil {
		h.t.Fatalf("Report: %v", err)
	}
	return rep
}

func (h *harness) register(defs ...counters.Definition) {
	h.t.Helper()
	for _, d := range defs {
		if err := h.r.Register(d); err != nil {
			h.t.Fatalf("Register(%+v): %v", d, err)
		}
	}
}

func (h *harness) f64Histogram(name string, opts ...metric.Float64HistogramOption) metric.Float64Histogram {
	h.t.Helper()
	i, err := h.meter.Float64Histogram(name, opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	return i
}

func (h *harness) i64Counter(name string, opts ...metric.Int64CounterOption) metric.Int64Counter {
	h.t.Helper()
	i, err := h.meter.Int64Counter(name, opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	return i
}

// keys returns the keys of a report in order.
func keys(rep report.Report) []string {
	ks := make([]string, len(rep.Values))
	for i, v := range rep.Values {
		ks[i] = v.Key
	}
	return ks
}

// keysOf returns the keys a counter is reported under.
func keysOf(rep report.Report, counter string) []string {
	var ks []string
	for _, v := range rep.Values {
		if v.Counter == counter {
			ks = append(ks, v.Key)
		}
	}
	return ks
}

// want is an expected counter value: a number, or empty (null).
type want struct {
	v  float64
	ok bool
}

func num(v float64) want { return want{v, true} }

var null = want{}

func (w want) String() string {
	if !w.ok {
		return "null"
	}
	return fmt.Sprint(w.v)
}

func show(v counters.Value) string {
	if !v.OK {
		return "null"
	}
	return fmt.Sprint(v.V)
}

// check compares the value reported under key with w, exactly.
func check(t testing.TB, rep report.Report, key string, w want) {
	t.Helper()
	v, ok := rep.Lookup(key)
	if !ok {
		t.Errorf("%s: not in the report; keys %q", key, keys(rep))
		return
	}
	if v.OK != w.ok || (w.ok && v.V != w.v) {
		t.Errorf("%s = %s, want %s", key, show(v.Value), w)
	}
}

// errorLog collects what is sent to otel.Handle while a test runs. Tests that
// use it must not run in parallel: the error handler is process-wide.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) Handle(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// matching returns the messages containing every one of parts.
func (l *errorLog) matching(parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, err := range l.errs {
		for _, p := range parts {
			if !strings.Contains(err.Error(), p) {
				continue next
			}
		}
		out = append(out, err.Error())
	}
	return out
}

func (l *errorLog) all() []string { return l.matching() }

func captureErrors(t *testing.T) *errorLog {
	l := &errorLog{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(l)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return l
}

// loopGoroutines counts the goroutines running a reader's background loop.
func loopGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "reader.(*Reader).loop(")
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(time.Millisecond)
	}
}

// collector is a reporter that keeps every report it receives.
type collector struct {
	mu   sync.Mutex
	reps []report.Report
}

func (c *collector) Report(_ context.Context, r report.Report) error {
	c.mu.Lock()
	c.reps = append(c.reps, r)
	c.mu.Unlock()
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reps)
}

func (c *collector) last() report.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reps) == 0 {
		return report.Report{}
	}
	return c.reps[len(c.reps)-1]
}

var errBroken = errors.New("broken pipe")
