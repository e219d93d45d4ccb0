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

// A Shutdown whose context ends while the loop is busy (here: waiting for a
// reporter that does not answer) returns the context's error, and still
// leaves the reader shut and its goroutine ending.
func TestShutdownDeadlineWhileBusy(t *testing.T) {
	before := loopGoroutines()
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
	if err := r.Register(counters.Definition{Name: "late", Kind: counters.Count}); !errors.Is(err, reader.ErrShutdown) {
		t.Errorf("Register after Shutdown = %v, want ErrShutdown", err)
	}
	release <- struct{}{}
	eventually(t, 10*time.Second, "the loop ends", func() bool { return loopGoroutines() <= before })
}
