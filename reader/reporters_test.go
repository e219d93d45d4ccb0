package reader_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

func TestRegisterReporter(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event},
	)})
	var a, b collector
	if err := h.r.RegisterReporter("a", &a); err != nil {
		t.Fatal(err)
	}
	if err := h.r.RegisterReporter("b", &b); err != nil {
		t.Fatal(err)
	}
	err := h.r.RegisterReporter("a", &b)
	if !errors.Is(err, reader.ErrDuplicateReporter) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("second RegisterReporter(a): %v, want ErrDuplicateReporter naming a", err)
	}
	if err := h.r.RegisterReporter("nil", nil); err == nil {
		t.Error("RegisterReporter with a nil reporter succeeded")
	}

	h.i64Counter("hits").Add(h.ctx, 4)
	h.clock.Advance(time.Second)
	if err := h.r.OutputReport(h.ctx); err != nil {
		t.Fatal(err)
	}
	if a.count() != 1 || b.count() != 1 {
		t.Fatalf("reports received: a %d, b %d; want 1 each", a.count(), b.count())
	}
	for name, c := range map[string]*collector{"a": &a, "b": &b} {
		rep := c.last()
		check(t, rep, "hits", num(4))
		if !rep.Time.Equal(h.clock.Now()) {
			t.Errorf("%s: report time %v, want %v", name, rep.Time, h.clock.Now())
		}
	}

	if !h.r.UnregisterReporter("a") {
		t.Error("UnregisterReporter(a) = false")
	}
	if h.r.UnregisterReporter("a") {
		t.Error("second UnregisterReporter(a) = true")
	}
	if err := h.r.ForceFlush(h.ctx); err != nil {
		t.Fatal(err)
	}
	if a.count() != 1 || b.count() != 2 {
		t.Errorf("after unregistering a: a has %d reports, b %d; want 1 and 2", a.count(), b.count())
	}
	// The name is free again.
	if err := h.r.RegisterReporter("a", &a); err != nil {
		t.Errorf("RegisterReporter(a) after unregistering: %v", err)
	}
}

// One reporter that fails, panics or hangs does not stop the others, and the
// error names it.
func TestReporterIsolation(t *testing.T) {
	const timeout = 50 * time.Millisecond
	h := newHarness(t, []reader.Option{reader.WithReportTimeout(timeout)})
	release := make(chan struct{})
	var slowCalls atomic.Int32
	var good collector
	reporters := map[string]report.Reporter{
		"failing": report.ReporterFunc(func(context.Context, report.Report) error { return errBroken }),
		"panicking": report.ReporterFunc(func(context.Context, report.Report) error {
			panic("reporter bug")
		}),
		// Ignores its context, as a reporter stuck in a write would.
		"blocking": report.ReporterFunc(func(context.Context, report.Report) error {
			slowCalls.Add(1)
			<-release
			return nil
		}),
		"good": &good,
	}
	for name, rep := range reporters {
		if err := h.r.RegisterReporter(name, rep); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)

	begin := time.Now()
	err := h.r.OutputReport(h.ctx)
	if took := time.Since(begin); took > 5*time.Second {
		t.Fatalf("OutputReport took %v with a report timeout of %v", took, timeout)
	}
	if good.count() != 1 {
		t.Errorf("good reporter got %d reports, want 1", good.count())
	}
	if !errors.Is(err, errBroken) {
		t.Errorf("error %v does not wrap the failing reporter's error", err)
	}
	for _, part := range []string{`reporter "failing"`, `reporter "panicking"`, "reporter bug", `reporter "blocking"`, "no answer within"} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("error %v does not contain %q", err, part)
		}
	}
	if err != nil && strings.Contains(err.Error(), `"good"`) {
		t.Errorf("error %v names the good reporter", err)
	}

	// Still busy: waited for up to the report timeout, then skipped, while
	// the others run again.
	err = h.r.OutputReport(h.ctx)
	if err == nil || !strings.Contains(err.Error(), `reporter "blocking": skipped, still busy with an earlier report after waiting for it`) {
		t.Errorf("second report: error %v, want the blocking reporter skipped", err)
	}
	if got := slowCalls.Load(); got != 1 {
		t.Errorf("blocking reporter called %d times while busy, want 1", got)
	}
	if good.count() != 2 {
		t.Errorf("good reporter got %d reports, want 2", good.count())
	}

	// Once it returns it is called again.
	unblock()
	if !h.r.UnregisterReporter("failing") || !h.r.UnregisterReporter("panicking") {
		t.Fatal("UnregisterReporter failed")
	}
	eventually(t, 5*time.Second, "the blocking reporter is called again", func() bool {
		return h.r.OutputReport(h.ctx) == nil && slowCalls.Load() >= 2
	})
}

// A reporter gets a context bounded by the report timeout, which it may
// honour to give up early.
func TestReporterContext(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithReportTimeout(time.Hour)})
	var deadline time.Time
	var hasDeadline bool
	if err := h.r.RegisterReporter("ctx", report.ReporterFunc(func(ctx context.Context, _ report.Report) error {
		deadline, hasDeadline = ctx.Deadline()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := h.r.OutputReport(h.ctx); err != nil {
		t.Fatal(err)
	}
	if !hasDeadline || time.Until(deadline) < 50*time.Minute {
		t.Errorf("reporter context deadline %v (set %v), want about an hour from now", deadline, hasDeadline)
	}
}

// A report honours its caller's context even when the report timeout is
// longer: a hung reporter cannot hold a caller (Shutdown, say) past its
// deadline.
func TestOutputReportHonoursContext(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithReportTimeout(time.Hour)})
	release := make(chan struct{})
	defer close(release)
	if err := h.r.RegisterReporter("hung", report.ReporterFunc(func(context.Context, report.Report) error {
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.r.OutputReport(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `reporter "hung"`) {
			t.Errorf("OutputReport: %v, want the hung reporter named with the context's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OutputReport ignored its context")
	}
}
