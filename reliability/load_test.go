package reliability_test

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/reader"
)

// TestLoad has 16 goroutines record into 5000 series (two instruments)
// while another ticks and writes reports to a real JSON file and real log
// lines, and a third registers and unregisters counters of every kind on
// the same events. Afterwards the counters registered for the whole run are
// exact, series by series, and the JSON file holds the final report. Run
// with -race.
func TestLoad(t *testing.T) {
	const (
		recorders = 16
		nSeries   = 5000
		perG      = 2000 // iterations per goroutine, two measurements each
		rounds    = 6    // each recorder waits for the driver this many times
		window    = 24 * time.Hour
	)
	if testing.Short() {
		t.Skip("load test")
	}
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{
		reader.WithSeriesLimit(2 * nSeries),
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Event, Events: []string{"req"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "seconds", Kind: counters.Total, Events: []string{"req"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: []string{"req"}, Window: window},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event, Events: []string{"hits"}},
		),
	}, sdkmetric.WithCardinalityLimit(2*nSeries))

	path := filepath.Join(t.TempDir(), "counters.json")
	jf, err := jsonfile.New(path)
	if err != nil {
		t.Fatal(err)
	}
	jsonRep := &counted{rep: jf}
	logRep := &counted{rep: slogreport.New(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	for name, rep := range map[string]*counted{"json": jsonRep, "log": logRep} {
		if err := m.r.RegisterReporter(name, rep); err != nil {
			t.Fatal(err)
		}
	}

	req := mustF64Histogram(t, m.meter, "req", metric.WithUnit("s"))
	hits := mustI64Counter(t, m.meter, "hits")
	routes := []string{"/", "/api", "/login", "/static", "/search", "/cart", "/pay", "/admin"}
	recOpts := make([][]metric.RecordOption, nSeries)
	addOpts := make([][]metric.AddOption, nSeries)
	for s := range nSeries {
		set := attribute.NewSet(attribute.Int("id", s), attribute.String("route", routes[s%len(routes)]))
		recOpts[s] = []metric.RecordOption{metric.WithAttributeSet(set)}
		addOpts[s] = []metric.AddOption{metric.WithAttributeSet(set)}
	}
	// Series, durations (binary fractions, so that every sum is exact) and
	// increments follow from the goroutine and iteration.
	seriesOf := func(g, i int) int { return (i*7919 + g*613) % nSeries }
	duration := func(g, i int) float64 { return float64((g*perG+i)%64) / 16 }
	amount := func(g, i int) int64 { return int64(1 + (g+i)%3) }

	var (
		stop       atomic.Bool
		iterations atomic.Int64 // rounds of the driver
		background sync.WaitGroup
		errs       = make(chan error, 16)
	)
	background.Add(2)
	go func() { // the driver: ticks, and every third round writes reports
		defer background.Done()
		defer iterations.Add(math.MaxInt32) // never leave a recorder waiting
		for i := 0; !stop.Load(); i++ {
			m.clock.Advance(250 * time.Millisecond)
			var err error
			if i%3 == 2 {
				err = m.r.OutputReport(m.ctx)
			} else {
				err = m.r.Tick(m.ctx)
			}
			if err != nil {
				errs <- err
				return
			}
			iterations.Add(1)
		}
	}()
	var churned atomic.Int64
	go func() { // counters of every kind come and go on the same events
		defer background.Done()
		kinds := counters.Kinds()
		seen := int64(-1)
		for i := 0; !stop.Load(); i++ {
			// Once per round of the driver: counters come and go as
			// configuration changes, not thousands of times a second.
			for iterations.Load() == seen && !stop.Load() {
				runtime.Gosched()
			}
			seen = iterations.Load()
			name := fmt.Sprintf("tmp%d", i%3)
			m.r.Unregister(name)
			def := counters.Definition{By: []string{counters.AllAttributes}, Name: name, Kind: kinds[i%len(kinds)], Events: []string{"req", "hits"}, Window: time.Minute}
			if err := m.r.Register(def); err != nil {
				errs <- err
				return
			}
			churned.Add(1)
		}
	}()

	begin := time.Now()
	var recording sync.WaitGroup
	for g := range recorders {
		recording.Add(1)
		go func() {
			defer recording.Done()
			for i := range perG {
				// Wait for the driver now and then, so that ticks and
				// reports happen while recording however goroutines are
				// scheduled.
				if i%(perG/rounds) == 0 {
					for iterations.Load() < int64(i/(perG/rounds)) {
						runtime.Gosched()
					}
				}
				s := seriesOf(g, i)
				req.Record(m.ctx, duration(g, i), recOpts[s]...)
				hits.Add(m.ctx, amount(g, i), addOpts[s]...)
			}
		}()
	}
	recording.Wait()
	took := time.Since(begin)
	reportsDuring := jsonRep.n.Load()
	stop.Store(true)
	background.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	const measurements = 2 * recorders * perG
	t.Logf("%d goroutines, %d series: %d measurements in %v (%.0f per second) while %d reports were written and %d counters registered",
		recorders, nSeries, measurements, took.Round(time.Millisecond), measurements/took.Seconds(), reportsDuring, churned.Load())
	if reportsDuring == 0 || churned.Load() == 0 {
		t.Errorf("%d reports and %d registrations during the recording, want some of each", reportsDuring, churned.Load())
	}

	// The expected values, computed apart.
	var wantN, wantSeconds, wantMax, wantHits [nSeries]float64
	for g := range recorders {
		for i := range perG {
			s := seriesOf(g, i)
			wantN[s]++
			wantSeconds[s] += duration(g, i)
			wantMax[s] = max(wantMax[s], duration(g, i))
			wantHits[s] += float64(amount(g, i))
		}
	}
	m.clock.Advance(250 * time.Millisecond)
	if err := m.r.OutputReport(m.ctx); err != nil {
		t.Fatal(err)
	}
	final := jsonRep.lastReport()
	if logRep.n.Load() != jsonRep.n.Load() {
		t.Errorf("%d log reports, %d JSON reports: a report went missing", logRep.n.Load(), jsonRep.n.Load())
	}
	total, series := sumOf(final, "n")
	if total != recorders*perG || series != nSeries {
		t.Errorf("n adds up to %v over %d series, want %d measurements over %d series", total, series, recorders*perG, nSeries)
	}
	var totalHits float64
	for s := range nSeries {
		key := func(name string) string { return fmt.Sprintf(`%s{id="%d",route="%s"}`, name, s, routes[s%len(routes)]) }
		expect(t, final, key("n"), wantN[s])
		expect(t, final, key("seconds"), wantSeconds[s])
		expect(t, final, key("max"), wantMax[s])
		expect(t, final, key("hits"), wantHits[s])
		totalHits += wantHits[s]
		if t.Failed() {
			t.FailNow() // one series is enough to see what is wrong
		}
	}
	if got, _ := sumOf(final, "hits"); got != totalHits {
		t.Errorf("hits add up to %v, want %v", got, totalHits)
	}

	// The file holds the final report, whole.
	snap, err := jsonfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := snap.Time.Sub(final.Time); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("file written at %v, final report at %v", snap.Time, final.Time)
	}
	if len(snap.Values) != len(final.Values) {
		t.Errorf("file holds %d values, the final report %d", len(snap.Values), len(final.Values))
	}
	for _, v := range final.Values {
		got, ok := snap.Values[v.Key]
		switch {
		case !ok:
			t.Fatalf("%s: not in the file", v.Key)
		case !v.OK && got != nil, v.OK && (got == nil || *got != v.V):
			t.Fatalf("%s: file holds %v, report %v", v.Key, got, v.Value)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d files, want only the report (no temporary file left)", len(entries))
	}
	// Counters on the wrong instrument kind warn (a max on a counter
	// instrument); nothing else may reach otel.Handle.
	for _, err := range errLog.matching() {
		msg := err.Error()
		if !strings.Contains(msg, `counter "tmp`) {
			t.Errorf("unexpected error: %v", err)
		}
	}
}
