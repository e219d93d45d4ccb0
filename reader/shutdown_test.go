package reader_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// A Shutdown whose context ends while the loop is busy (here: waiting for a
// reporter that does not answer) returns the context's error, and still
// leaves the reader shut and its goroutine ending.
func TestShutdownDeadlineWhileBusy(t *testing.T) {
	eventually(t, 5*time.Second, "earlier loops end", func() bool { return loopGoroutines() == 0 })
	before := 0
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	r := reader.New(reader.WithTick(5*time.Millisecond), reader.WithReportInterval(5*time.Millisecond),
		reader.WithReportTimeout(time.Minute))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	if err := r.RegisterReporter("stuck", report.ReporterFunc(func(context.Context, report.Report) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop never reported")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := mp.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown while the loop is stuck = %v, want the deadline", err)
	}
	if err := r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "late", Kind: counters.Count}); !errors.Is(err, reader.ErrShutdown) {
		t.Errorf("Register after Shutdown = %v, want ErrShutdown", err)
	}
	release <- struct{}{}
	eventually(t, 10*time.Second, "the loop ends", func() bool { return loopGoroutines() <= before })
}

// stoppable is a reporter with something to stop.
type stoppable struct {
	reports, stops int
	err            error
}

func (s *stoppable) Report(context.Context, report.Report) error { s.reports++; return nil }
func (s *stoppable) Shutdown(context.Context) error              { s.stops++; return s.err }

// Shutdown shuts down the reporters that have a Shutdown method, after the
// final report, once; their errors name them.
func TestShutdownStopsReporters(t *testing.T) {
	r := reader.New(reader.WithManualTicks())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	ok, failing := &stoppable{}, &stoppable{err: errors.New("pipe busy")}
	plain := 0
	for name, rep := range map[string]report.Reporter{
		"ok": ok, "failing": failing,
		"plain": report.ReporterFunc(func(context.Context, report.Report) error { plain++; return nil }),
	} {
		if err := r.RegisterReporter(name, rep); err != nil {
			t.Fatal(err)
		}
	}
	err := mp.Shutdown(context.Background())
	if err == nil || !strings.Contains(err.Error(), `reporter "failing": shutdown: pipe busy`) {
		t.Errorf("Shutdown = %v, want the failing reporter's error, named", err)
	}
	_ = r.Shutdown(context.Background())
	if ok.reports != 1 || ok.stops != 1 || failing.stops != 1 || plain != 1 {
		t.Errorf("reports %d, stops %d and %d, plain reports %d; want a final report each and one stop each", ok.reports, ok.stops, failing.stops, plain)
	}
}
