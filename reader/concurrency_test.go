package reader_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// Many goroutines record into many series while one ticks and reports and
// another registers and unregisters counters. Nothing is lost: the counters
// registered for the whole run end exact. Run with -race.
func TestConcurrentSafe(t *testing.T) {
	const (
		recorders = 8
		perG      = 2000
		nSeries   = 64
	)
	const window = 24 * time.Hour // the run stays inside one window
	// Counters registered on the wrong instruments warn; keep that quiet.
	captureErrors(t)
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Event, Events: []string{"req"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "count", Kind: counters.Count, Events: []string{"req"}, Window: window},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "sum", Kind: counters.Total, Events: []string{"req"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: []string{"req"}, Window: window},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event, Events: []string{"hits"}},
	)})
	var c collector
	if err := h.r.RegisterReporter("c", &c); err != nil {
		t.Fatal(err)
	}
	req := h.f64Histogram("req", metric.WithUnit("s"))
	hits := h.i64Counter("hits")
	opts := make([][]metric.RecordOption, nSeries)
	addOpts := make([][]metric.AddOption, nSeries)
	for i := range opts {
		set := attribute.NewSet(attribute.Int("id", i))
		opts[i] = []metric.RecordOption{metric.WithAttributeSet(set)}
		addOpts[i] = []metric.AddOption{metric.WithAttributeSet(set)}
	}
	value := func(g, i int) float64 { return float64((g*perG+i)%16) / 8 } // exact binary fractions

	var recording sync.WaitGroup
	var stop atomic.Bool
	// Recorders wait for a tick every round, so that ticks and reports
	// happen while they record, however the goroutines are scheduled.
	const round = 200
	var iterations atomic.Int64
	var background sync.WaitGroup
	errs := make(chan error, 100)

	background.Add(2)
	go func() { // ticks and reports
		defer background.Done()
		defer iterations.Add(1 << 40) // never leave a recorder waiting
		for i := 0; !stop.Load(); i++ {
			h.clock.Advance(100 * time.Millisecond)
			var err error
			switch i % 3 {
			case 0:
				err = h.r.Tick(h.ctx)
			case 1:
				_, err = h.r.Report(h.ctx)
			case 2:
				err = h.r.OutputReport(h.ctx)
			}
			iterations.Add(1)
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() { // registers and unregisters
		defer background.Done()
		kinds := counters.Kinds()
		for i := 0; !stop.Load(); i++ {
			name := fmt.Sprintf("tmp%d", i%5)
			h.r.Unregister(name)
			def := counters.Definition{By: []string{counters.AllAttributes}, Name: name, Kind: kinds[i%len(kinds)], Events: []string{"req", "hits"}, Window: time.Minute}
			if err := h.r.Register(def); err != nil {
				errs <- err
				return
			}
			if err := h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count}); !errors.Is(err, reader.ErrDuplicateCounter) {
				errs <- fmt.Errorf("duplicate Register of n: %v", err)
				return
			}
			_ = h.r.Counters()
		}
	}()
	for g := range recorders {
		recording.Add(1)
		go func() {
			defer recording.Done()
			for i := range perG {
				for i%round == 0 && iterations.Load() < int64(i/round) {
					runtime.Gosched()
				}
				s := (g*perG + i) % nSeries
				req.Record(h.ctx, value(g, i), opts[s]...)
				hits.Add(h.ctx, 1, addOpts[s]...)
			}
		}()
	}
	recording.Wait()
	stop.Store(true)
	background.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	wantN := make([]float64, nSeries)
	wantSum := make([]float64, nSeries)
	wantMax := make([]float64, nSeries)
	for g := range recorders {
		for i := range perG {
			s := (g*perG + i) % nSeries
			wantN[s]++
			wantSum[s] += value(g, i)
			wantMax[s] = max(wantMax[s], value(g, i))
		}
	}
	rep := h.report()
	var total float64
	for _, v := range rep.Values {
		if v.Counter == "n" {
			total += v.V
		}
	}
	if total != recorders*perG {
		t.Errorf("n adds up to %v over its series, want %d measurements", total, recorders*perG)
	}
	for s := range nSeries {
		key := func(name string) string { return fmt.Sprintf(`%s{id="%d"}`, name, s) }
		check(t, rep, key("n"), num(wantN[s]))
		check(t, rep, key("count"), num(wantN[s]))
		check(t, rep, key("hits"), num(wantN[s]))
		check(t, rep, key("sum"), num(wantSum[s]))
		check(t, rep, key("max"), num(wantMax[s]))
	}
	if c.count() == 0 {
		t.Error("the reporter received no report during the run")
	}
}
