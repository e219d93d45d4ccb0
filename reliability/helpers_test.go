package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/internal/fakeclock"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// fakeClock moves only when told to.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }

// manual is a reader ticked by hand on a fake clock, with its provider.
type manual struct {
	t     testing.TB
	ctx   context.Context
	clock *fakeClock
	r     *reader.Reader
	mp    *sdkmetric.MeterProvider
	meter metric.Meter
}

// newManual returns a reader with manual ticks of one second on a fake
// clock; opts come after those defaults. The provider is shut down when the
// test ends.
func newManual(t testing.TB, opts []reader.Option, mpOpts ...sdkmetric.Option) *manual {
	t.Helper()
	m := &manual{t: t, ctx: context.Background(), clock: newFakeClock()}
	all := append([]reader.Option{reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(m.clock.Now)}, opts...)
	m.r = reader.New(all...)
	m.mp = sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(m.r)}, mpOpts...)...)
	m.meter = m.mp.Meter("reliability")
	t.Cleanup(func() { _ = m.mp.Shutdown(context.Background()) })
	return m
}

// tick advances the clock by d and ticks.
func (m *manual) tick(d time.Duration) {
	m.t.Helper()
	m.clock.Advance(d)
	if err := m.r.Tick(m.ctx); err != nil {
		m.t.Fatalf("Tick: %v", err)
	}
}

func (m *manual) report() report.Report {
	m.t.Helper()
	rep, err := m.r.Report(m.ctx)
	if err != nil {
		m.t.Fatalf("Report: %v", err)
	}
	return rep
}

func mustF64Histogram(t testing.TB, m metric.Meter, name string, opts ...metric.Float64HistogramOption) metric.Float64Histogram {
	t.Helper()
	h, err := m.Float64Histogram(name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustI64Counter(t testing.TB, m metric.Meter, name string) metric.Int64Counter {
	t.Helper()
	c, err := m.Int64Counter(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustF64Counter(t testing.TB, m metric.Meter, name string) metric.Float64Counter {
	t.Helper()
	c, err := m.Float64Counter(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// value returns the value reported under key; it fails the test when the
// key is missing.
func value(t testing.TB, rep report.Report, key string) report.Value {
	t.Helper()
	v, ok := rep.Lookup(key)
	if !ok {
		t.Fatalf("%s: not in the report (%d keys)", key, len(rep.Values))
	}
	return v
}

// expect checks the value under key: want is a number, or NaN for null.
func expect(t testing.TB, rep report.Report, key string, want float64) {
	t.Helper()
	v, ok := rep.Lookup(key)
	switch {
	case !ok:
		t.Errorf("%s: not in the report", key)
	case math.IsNaN(want) && v.OK:
		t.Errorf("%s = %v, want null", key, v.V)
	case !math.IsNaN(want) && (!v.OK || v.V != want):
		t.Errorf("%s = %v (ok %v), want %v", key, v.V, v.OK, want)
	}
}

// null is the expected value of an empty counter in expect.
var null = math.NaN()

// sumOf adds the values of every series of a counter.
func sumOf(rep report.Report, counter string) (sum float64, series int) {
	for _, v := range rep.Values {
		if v.Counter == counter && v.OK {
			sum += v.V
			series++
		}
	}
	return sum, series
}

// errorLog collects what reaches otel.Handle while a test runs. Tests that
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

// matching returns the errors whose message holds every one of parts.
func (l *errorLog) matching(parts ...string) []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []error
next:
	for _, err := range l.errs {
		for _, p := range parts {
			if !strings.Contains(err.Error(), p) {
				continue next
			}
		}
		out = append(out, err)
	}
	return out
}

// is counts the errors that wrap target.
func (l *errorLog) is(target error, parts ...string) int {
	n := 0
	for _, err := range l.matching(parts...) {
		if errors.Is(err, target) {
			n++
		}
	}
	return n
}

func (l *errorLog) String() string {
	var b strings.Builder
	for i, err := range l.matching() {
		if i == 10 {
			fmt.Fprintf(&b, "\n  ... (%d in all)", len(l.matching()))
			break
		}
		fmt.Fprintf(&b, "\n  %v", err)
	}
	return b.String()
}

func captureErrors(t *testing.T) *errorLog {
	l := &errorLog{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(l)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return l
}

// counted wraps a reporter and counts the reports it took without error,
// keeping the last one.
type counted struct {
	rep  report.Reporter
	n    atomic.Int64
	mu   sync.Mutex
	last report.Report
}

func (c *counted) Report(ctx context.Context, r report.Report) error {
	if err := c.rep.Report(ctx, r); err != nil {
		return err
	}
	c.mu.Lock()
	c.last = r
	c.mu.Unlock()
	c.n.Add(1)
	return nil
}

func (c *counted) lastReport() report.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// discard is a reporter that only counts.
func discard() *counted {
	return &counted{rep: report.ReporterFunc(func(context.Context, report.Report) error { return nil })}
}

// eventually polls cond until it holds, failing the test after within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(time.Millisecond)
	}
}

// projectGoroutines returns the stacks of the goroutines with a frame in
// one of this project's packages, this suite's excepted.
func projectGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			// Function lines, not file lines (tab) nor the header.
			if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "goroutine ") {
				continue
			}
			if strings.Contains(line, "github.com/otelcounters/otelcounters/") &&
				!strings.Contains(line, "github.com/otelcounters/otelcounters/reliability") {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// goroutineBaseline returns the number of goroutines now, after waiting for
// those of earlier tests of the project to end, and a check that fails the
// test unless the count comes back to it within a bounded wait, with no
// goroutine of the project left.
func goroutineBaseline(t *testing.T) (check func(what string)) {
	t.Helper()
	eventually(t, 10*time.Second, "goroutines of earlier tests end", func() bool { return len(projectGoroutines()) == 0 })
	base := runtime.NumGoroutine()
	return func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > base || len(projectGoroutines()) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d goroutines, %d before; the project's:\n%s",
					what, runtime.NumGoroutine(), base, strings.Join(projectGoroutines(), "\n\n"))
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// receive waits (bounded) for a value on ch.
func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: not within 20s", what)
		panic("unreachable")
	}
}
