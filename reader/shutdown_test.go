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

// A reporter busy with an earlier report when Shutdown comes (a slow disk,
// a slow network) gets the final report once it finishes: Shutdown waits
// for it within its context, rather than skipping it, and the final report
// holds every measurement.
func TestShutdownWaitsForBusyReporter(t *testing.T) {
	r := reader.New(reader.WithManualTicks(), reader.WithReportTimeout(time.Minute),
		reader.WithCounters(counters.Definition{Name: "hits", Kind: counters.Event}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	hits, err := mp.Meter("t").Int64Counter("hits")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var got []float64
	if err := r.RegisterReporter("slow", report.ReporterFunc(func(_ context.Context, rep report.Report) error {
		if len(got) == 0 {
			entered <- struct{}{}
			<-release
		}
		v, _ := rep.Lookup("hits")
		got = append(got, v.V)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	hits.Add(context.Background(), 3)
	first := make(chan error, 1)
	go func() { first <- r.OutputReport(context.Background()) }()
	<-entered
	hits.Add(context.Background(), 4) // after the first report: only the final one has it
	shut := make(chan error, 1)
	go func() { shut <- mp.Shutdown(context.Background()) }()
	// Give a Shutdown that would skip the busy reporter the time to return
	// (the one that waits passes whatever this time is).
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned while the reporter was busy: %v", err)
	case err := <-first:
		t.Fatalf("the first report returned while its reporter was busy: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first report: %v", err)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown did not return after the reporter finished")
	}
	if len(got) != 2 || got[0] != 3 || got[1] != 7 {
		t.Errorf("the reporter got %v, want the first report (3) and the final one (7)", got)
	}
}

// When Shutdown's context ends before a busy reporter finishes, Shutdown
// returns, and its error names the reporter that missed the final report.
func TestShutdownNamesReportersWithoutFinal(t *testing.T) {
	r := reader.New(reader.WithManualTicks(), reader.WithReportTimeout(time.Minute))
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	calls := 0
	if err := r.RegisterReporter("stuck", report.ReporterFunc(func(context.Context, report.Report) error {
		calls++
		entered <- struct{}{}
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterReporter("fine", report.ReporterFunc(func(context.Context, report.Report) error { return nil })); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.OutputReport(context.Background()) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := r.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `final report: otelcounters: reporter "stuck": skipped, still busy with an earlier report`) {
		t.Errorf("Shutdown = %v, want the stuck reporter named as missing the final report", err)
	}
	if err != nil && strings.Contains(err.Error(), `"fine"`) {
		t.Errorf("Shutdown = %v names the reporter that got the final report", err)
	}
	if calls != 1 {
		t.Errorf("the stuck reporter was called %d times, want once", calls)
	}
}

// OutputReport, like Shutdown, gives its report to a reporter busy with an
// earlier one once that ends within the report timeout, instead of
// skipping it.
func TestOutputReportWaitsForBusyReporter(t *testing.T) {
	r := reader.New(reader.WithManualTicks(), reader.WithReportTimeout(time.Minute))
	defer r.Shutdown(context.Background())
	entered, release := make(chan struct{}, 1), make(chan struct{})
	calls := make(chan int, 10) // room for the final report of the deferred Shutdown
	n := 0
	if err := r.RegisterReporter("slow", report.ReporterFunc(func(context.Context, report.Report) error {
		n++
		if n == 1 {
			entered <- struct{}{}
			<-release
		}
		calls <- n
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { errs <- r.OutputReport(context.Background()) }()
	<-entered
	go func() { errs <- r.OutputReport(context.Background()) }()
	select {
	case err := <-errs:
		t.Fatalf("a report returned while the reporter was busy with the first: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	for range 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("OutputReport: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("OutputReport did not return after the reporter finished")
		}
	}
	if got := len(calls); got != 2 {
		t.Errorf("the reporter got %d reports, want both", got)
	}
}
