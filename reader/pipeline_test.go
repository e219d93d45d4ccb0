package reader_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// testExporter is an sdkmetric.Exporter that hands every export to the test.
// With block set, Export waits for it (or its context) before returning.
type testExporter struct {
	temporality metricdata.Temporality
	aggregation sdkmetric.AggregationSelector
	err         error
	block       chan struct{}

	exports   chan metricdata.ResourceMetrics
	entered   chan struct{} // receives when a blocked Export begins
	cancelled atomic.Int32  // exports that returned because their context ended
	flushes   atomic.Int32
	shutdowns atomic.Int32
}

func newTestExporter(t metricdata.Temporality) *testExporter {
	return &testExporter{
		temporality: t,
		exports:     make(chan metricdata.ResourceMetrics, 100),
		entered:     make(chan struct{}, 100),
	}
}

func (e *testExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return e.temporality
}

func (e *testExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	if e.aggregation != nil {
		return e.aggregation(k)
	}
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *testExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if e.block != nil {
		e.entered <- struct{}{}
		select {
		case <-e.block:
		case <-ctx.Done():
			e.cancelled.Add(1)
			return ctx.Err()
		}
	}
	e.exports <- *rm
	return e.err
}

func (e *testExporter) ForceFlush(context.Context) error { e.flushes.Add(1); return nil }
func (e *testExporter) Shutdown(context.Context) error   { e.shutdowns.Add(1); return nil }

// next waits (boundedly) for the next export.
func (e *testExporter) next(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	select {
	case rm := <-e.exports:
		return rm
	case <-time.After(10 * time.Second):
		t.Fatal("no export within 10s")
		return metricdata.ResourceMetrics{}
	}
}

// none checks that no export is waiting.
func (e *testExporter) none(t *testing.T) {
	t.Helper()
	select {
	case rm := <-e.exports:
		t.Fatalf("unexpected export: %+v", rm)
	default:
	}
}

// pipeClock is a clock that moves only when told to.
type pipeClock struct{ ns atomic.Int64 }

func (c *pipeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *pipeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

type pipeHarness struct {
	t     *testing.T
	clock *pipeClock
	r     *reader.Reader
	mp    *sdkmetric.MeterProvider
	meter metric.Meter
}

func newPipeHarness(t *testing.T, opts ...reader.Option) *pipeHarness {
	h := &pipeHarness{t: t, clock: &pipeClock{}}
	h.clock.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	base := []reader.Option{reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(h.clock.now)}
	h.r = reader.New(append(base, opts...)...)
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.r))
	h.meter = h.mp.Meter("test")
	t.Cleanup(func() { _ = h.mp.Shutdown(context.Background()) })
	return h
}

// tick advances the clock by one tick and ticks.
func (h *pipeHarness) tick() {
	h.t.Helper()
	h.clock.advance(time.Second)
	if err := h.r.Tick(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func findMetric(t *testing.T, rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

func mustMetric(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	m, ok := findMetric(t, rm, name)
	if !ok {
		t.Fatalf("no metric %q in the export", name)
	}
	return m
}

// Snapshot reads the values as of the last tick and never collects: what is
// recorded after the tick shows only after the next one, and calling it
// does not take the interval away from the windows.
func TestSnapshotDoesNotCollect(t *testing.T) {
	h := newPipeHarness(t, reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.WindowSum, Events: []string{"ev"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.Average, Events: []string{"v"}},
	))
	ctx := context.Background()
	c, _ := h.meter.Int64Counter("ev")
	v, _ := h.meter.Float64Histogram("v")

	empty := h.r.Snapshot()
	if got, _ := empty.Lookup("avg"); got.OK {
		t.Errorf("avg before any event = %v, want no value", got.V)
	}

	c.Add(ctx, 2)
	v.Record(ctx, 3)
	h.tick()
	tickTime := h.clock.now()
	c.Add(ctx, 5) // after the tick: not in the snapshot
	v.Record(ctx, 7)
	h.clock.advance(500 * time.Millisecond)
	for range 3 {
		s := h.r.Snapshot()
		if got, _ := s.Lookup("n"); got.V != 2 {
			t.Errorf("n = %v, want 2 (the data of the last tick only)", got.V)
		}
		if got, _ := s.Lookup("avg"); got.V != 3 {
			t.Errorf("avg = %v, want 3", got.V)
		}
		if !s.Time.Equal(tickTime) {
			t.Errorf("snapshot time %v, want the tick's %v", s.Time, tickTime)
		}
	}
	h.tick()
	s := h.r.Snapshot()
	if got, _ := s.Lookup("n"); got.V != 7 {
		t.Errorf("after the next tick n = %v, want 7: snapshots must not consume the interval", got.V)
	}
	if got, _ := s.Lookup("avg"); got.V != 5 {
		t.Errorf("after the next tick avg = %v, want 5", got.V)
	}
}

// With a delta exporter, each export holds the sum of the ticks' deltas since
// the previous export, histograms merged bucket by bucket with the interval's
// min and max, gauges' last value; series idle since the last export are
// left out.
func TestExporterDelta(t *testing.T) {
	exp := newTestExporter(metricdata.DeltaTemporality)
	h := newPipeHarness(t, reader.WithExporter(exp, 3*time.Second))
	ctx := context.Background()
	c, _ := h.meter.Int64Counter("requests")
	hist, _ := h.meter.Float64Histogram("duration", metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(1, 10))
	g, _ := h.meter.Float64Gauge("temp")
	get := metric.WithAttributes(attribute.String("m", "GET"))
	put := metric.WithAttributes(attribute.String("m", "PUT"))

	// Interval 1: ticks at 1s, 2s, 3s; the export is due at 3s.
	c.Add(ctx, 1, get)
	hist.Record(ctx, 0.5)
	g.Record(ctx, 20)
	h.tick()
	c.Add(ctx, 2, get)
	c.Add(ctx, 10, put)
	hist.Record(ctx, 5)
	g.Record(ctx, 21)
	h.tick()
	exp.none(t)
	c.Add(ctx, 4, get)
	hist.Record(ctx, 50)
	h.tick()
	first := exp.next(t)

	metricdatatest.AssertAggregationsEqual(t, metricdata.Sum[int64]{
		Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
		DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: attribute.NewSet(attribute.String("m", "GET")), Value: 7},
			{Attributes: attribute.NewSet(attribute.String("m", "PUT")), Value: 10},
		},
	}, mustMetric(t, first, "requests").Data, metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertAggregationsEqual(t, metricdata.Histogram[float64]{
		Temporality: metricdata.DeltaTemporality,
		DataPoints: []metricdata.HistogramDataPoint[float64]{{
			Count: 3, Sum: 55.5, Bounds: []float64{1, 10}, BucketCounts: []uint64{1, 1, 1},
			Min: metricdata.NewExtrema(0.5), Max: metricdata.NewExtrema(50.0),
		}},
	}, mustMetric(t, first, "duration").Data, metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertAggregationsEqual(t, metricdata.Gauge[float64]{
		DataPoints: []metricdata.DataPoint[float64]{{Value: 21}},
	}, mustMetric(t, first, "temp").Data, metricdatatest.IgnoreTimestamp())
	if u := mustMetric(t, first, "duration").Unit; u != "s" {
		t.Errorf("unit %q, want s", u)
	}

	// Interval 2: only GET moves; PUT, the histogram and the gauge are idle.
	c.Add(ctx, 100, get)
	h.tick()
	h.tick()
	h.tick()
	second := exp.next(t)
	metricdatatest.AssertAggregationsEqual(t, metricdata.Sum[int64]{
		Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
		DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: attribute.NewSet(attribute.String("m", "GET")), Value: 100},
		},
	}, mustMetric(t, second, "requests").Data, metricdatatest.IgnoreTimestamp())
	// Consecutive deltas do not overlap: the merged point starts where the
	// first interval of its export started.
	p1 := mustMetric(t, first, "requests").Data.(metricdata.Sum[int64]).DataPoints[0]
	p2 := mustMetric(t, second, "requests").Data.(metricdata.Sum[int64]).DataPoints[0]
	if !p1.StartTime.Before(p1.Time) || p2.StartTime.Before(p1.Time) || !p2.StartTime.Before(p2.Time) {
		t.Errorf("delta points [%v, %v] and [%v, %v] overlap or are empty", p1.StartTime, p1.Time, p2.StartTime, p2.Time)
	}
	for _, name := range []string{"duration", "temp"} {
		if _, ok := findMetric(t, second, name); ok {
			t.Errorf("idle %s exported in a delta export", name)
		}
	}
	if second.Resource == nil || second.Resource.Len() == 0 {
		t.Error("the export lost the MeterProvider's resource")
	}
}

// With a cumulative exporter, each export holds running totals since the
// first measurement, including series idle since.
func TestExporterCumulative(t *testing.T) {
	exp := newTestExporter(metricdata.CumulativeTemporality)
	h := newPipeHarness(t, reader.WithExporter(exp, 2*time.Second))
	ctx := context.Background()
	c, _ := h.meter.Float64UpDownCounter("inflight")
	hist, _ := h.meter.Int64Histogram("size", metric.WithExplicitBucketBoundaries(10))
	a := metric.WithAttributes(attribute.String("q", "a"))
	b := metric.WithAttributes(attribute.String("q", "b"))

	c.Add(ctx, 3, a)
	hist.Record(ctx, 5)
	h.tick()
	c.Add(ctx, -1, a)
	c.Add(ctx, 2, b)
	hist.Record(ctx, 20)
	h.tick()
	first := exp.next(t)
	firstHist := mustMetric(t, first, "size").Data.(metricdata.Histogram[int64])
	firstCounts := append([]uint64(nil), firstHist.DataPoints[0].BucketCounts...)

	c.Add(ctx, 10, a)
	hist.Record(ctx, 1)
	h.tick()
	h.tick()
	second := exp.next(t)

	metricdatatest.AssertAggregationsEqual(t, metricdata.Sum[float64]{
		Temporality: metricdata.CumulativeTemporality, IsMonotonic: false,
		DataPoints: []metricdata.DataPoint[float64]{
			{Attributes: attribute.NewSet(attribute.String("q", "a")), Value: 12},
			{Attributes: attribute.NewSet(attribute.String("q", "b")), Value: 2},
		},
	}, mustMetric(t, second, "inflight").Data, metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertAggregationsEqual(t, metricdata.Histogram[int64]{
		Temporality: metricdata.CumulativeTemporality,
		DataPoints: []metricdata.HistogramDataPoint[int64]{{
			Count: 3, Sum: 26, Bounds: []float64{10}, BucketCounts: []uint64{2, 1},
			Min: metricdata.NewExtrema[int64](1), Max: metricdata.NewExtrema[int64](20),
		}},
	}, mustMetric(t, second, "size").Data, metricdatatest.IgnoreTimestamp())

	// Running totals keep their start and all carry the newest time.
	pts := mustMetric(t, second, "inflight").Data.(metricdata.Sum[float64]).DataPoints
	fp := mustMetric(t, first, "inflight").Data.(metricdata.Sum[float64]).DataPoints
	if !pts[0].StartTime.Equal(fp[0].StartTime) {
		t.Errorf("cumulative start moved from %v to %v", fp[0].StartTime, pts[0].StartTime)
	}
	if !pts[1].Time.Equal(pts[0].Time) || !pts[0].Time.After(fp[0].Time) {
		t.Errorf("cumulative times %v, %v after %v: want one newer time", pts[0].Time, pts[1].Time, fp[0].Time)
	}
	// What an earlier export handed out does not change later.
	if got := firstHist.DataPoints[0].BucketCounts; !equalCounts(got, firstCounts) || firstHist.DataPoints[0].Count != 2 {
		t.Errorf("the first export changed after later merges: %v (count %d), was %v", got, firstHist.DataPoints[0].Count, firstCounts)
	}
}

func equalCounts(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The windows and the export come from one SDK pipeline: the windows still
// see every measurement, and the embedded reader uses the exporter's
// aggregation (here exponential histograms).
func TestExporterSharesThePipeline(t *testing.T) {
	exp := newTestExporter(metricdata.DeltaTemporality)
	exp.aggregation = func(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
		if k == sdkmetric.InstrumentKindHistogram {
			return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}
		}
		return sdkmetric.DefaultAggregationSelector(k)
	}
	h := newPipeHarness(t,
		reader.WithExporter(exp, 2*time.Second),
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "t_avg", Kind: counters.AverageTime, Events: []string{"t"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "t_max", Kind: counters.Max, Events: []string{"t"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "t_count", Kind: counters.Count, Events: []string{"t"}},
		))
	ctx := context.Background()
	hist, _ := h.meter.Float64Histogram("t", metric.WithUnit("s"))
	for _, v := range []float64{1, 2, 4} {
		hist.Record(ctx, v)
	}
	h.tick()
	for _, v := range []float64{0.25, 1024} {
		hist.Record(ctx, v)
	}
	h.tick()
	rm := exp.next(t)
	eh, ok := mustMetric(t, rm, "t").Data.(metricdata.ExponentialHistogram[float64])
	if !ok {
		t.Fatalf("exported %T, want the exporter's exponential histogram", mustMetric(t, rm, "t").Data)
	}
	dp := eh.DataPoints[0]
	var inBuckets uint64
	for _, n := range dp.PositiveBucket.Counts {
		inBuckets += n
	}
	if dp.Count != 5 || dp.Sum != 1031.25 || inBuckets+dp.ZeroCount != 5 {
		t.Errorf("merged count %d sum %v buckets %d, want 5, 1031.25, 5", dp.Count, dp.Sum, inBuckets+dp.ZeroCount)
	}
	if lo, _ := dp.Min.Value(); lo != 0.25 {
		t.Errorf("merged min %v, want 0.25", lo)
	}
	if hi, _ := dp.Max.Value(); hi != 1024 {
		t.Errorf("merged max %v, want 1024", hi)
	}
	s := h.r.Snapshot()
	for key, want := range map[string]float64{"t_avg": 1031.25 / 5, "t_max": 1024, "t_count": 5} {
		if v, _ := s.Lookup(key); !v.OK || v.V != want {
			t.Errorf("%s = %v, want %v", key, v, want)
		}
	}
}

// What WithExportProducer makes is called with the reader, and its data
// joins every export.
func TestExportProducer(t *testing.T) {
	exp := newTestExporter(metricdata.DeltaTemporality)
	var got *reader.Reader
	h := newPipeHarness(t,
		reader.WithExporter(exp, time.Second),
		reader.WithExportProducer(func(r *reader.Reader) sdkmetric.Producer {
			got = r
			return producerFunc(func(context.Context) ([]metricdata.ScopeMetrics, error) {
				return []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
					Name: "produced", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 42}}},
				}}}}, nil
			})
		}))
	if got != h.r {
		t.Fatal("the producer constructor did not get the reader")
	}
	h.tick() // nothing recorded: the export holds the producer's data only
	rm := exp.next(t)
	metricdatatest.AssertAggregationsEqual(t, metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 42}}},
		mustMetric(t, rm, "produced").Data)
}

type producerFunc func(context.Context) ([]metricdata.ScopeMetrics, error)

func (f producerFunc) Produce(ctx context.Context) ([]metricdata.ScopeMetrics, error) { return f(ctx) }

// exportErrors collects what reaches otel.Handle. The handler is global:
// tests using it must not run in parallel.
type exportErrors struct {
	mu   sync.Mutex
	errs []string
}

func (l *exportErrors) Handle(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err.Error())
	l.mu.Unlock()
}

func (l *exportErrors) with(part string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.errs {
		if strings.Contains(e, part) {
			n++
		}
	}
	return n
}

func handleExportErrors(t *testing.T) *exportErrors {
	l := &exportErrors{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(l)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return l
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// An exporter stuck on a dead endpoint holds neither the ticks, nor the
// reports, nor the recording: data merges into the next export meanwhile,
// and the stuck export ends at its timeout with an error to otel.Handle.
func TestExporterStuck(t *testing.T) {
	errs := handleExportErrors(t)
	exp := newTestExporter(metricdata.DeltaTemporality)
	exp.block = make(chan struct{})
	h := newPipeHarness(t, reader.WithExporter(exp, time.Second), reader.WithExportTimeout(time.Hour),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.WindowSum, Events: []string{"ev"}}))
	var reports atomic.Int32
	if err := h.r.RegisterReporter("count", report.ReporterFunc(func(context.Context, report.Report) error {
		reports.Add(1)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, _ := h.meter.Int64Counter("ev")

	c.Add(ctx, 1)
	h.tick() // due: the export goroutine takes this and blocks
	<-exp.entered
	for i := range 5 {
		for range 1000 {
			c.Add(ctx, 1)
		}
		h.tick()
		if err := h.r.OutputReport(ctx); err != nil {
			t.Fatal(err)
		}
		if got := reports.Load(); got != int32(i+1) {
			t.Fatalf("%d reports after %d while the export is stuck", got, i+1)
		}
	}
	if v, _ := h.r.Snapshot().Lookup("n"); v.V != 5001 {
		t.Errorf("window sum %v while the export is stuck, want 5001", v.V)
	}
	close(exp.block) // the endpoint recovers
	if rm := exp.next(t); mustMetric(t, rm, "ev").Data.(metricdata.Sum[int64]).DataPoints[0].Value != 1 {
		t.Error("the first export lost its data")
	}
	// Everything recorded meanwhile goes out in the next export, not lost.
	h.tick()
	rm := exp.next(t)
	if got := mustMetric(t, rm, "ev").Data.(metricdata.Sum[int64]).DataPoints[0].Value; got != 5000 {
		t.Errorf("the export after the stuck one holds %d, want the 5000 recorded meanwhile", got)
	}
	if n := errs.with("export"); n != 0 {
		t.Errorf("%d export errors, want none", n)
	}
}

// Export errors, and exports ended by their timeout, go to otel.Handle.
func TestExporterErrors(t *testing.T) {
	errs := handleExportErrors(t)
	exp := newTestExporter(metricdata.DeltaTemporality)
	exp.err = errors.New("connection refused")
	h := newPipeHarness(t, reader.WithExporter(exp, time.Second))
	c, _ := h.meter.Int64Counter("ev")
	c.Add(context.Background(), 1)
	h.tick()
	exp.next(t)
	waitUntil(t, "the export error reaches otel.Handle", func() bool { return errs.with("connection refused") == 1 })

	stuck := newTestExporter(metricdata.DeltaTemporality)
	stuck.block = make(chan struct{}) // released only at the end: the export times out
	h2 := newPipeHarness(t, reader.WithExporter(stuck, time.Second), reader.WithExportTimeout(20*time.Millisecond))
	t.Cleanup(func() { close(stuck.block) }) // before the harness's Shutdown
	c2, _ := h2.meter.Int64Counter("ev")
	c2.Add(context.Background(), 1)
	h2.tick()
	waitUntil(t, "the timeout reaches otel.Handle", func() bool { return errs.with(context.DeadlineExceeded.Error()) == 1 })
	if stuck.cancelled.Load() != 1 {
		t.Errorf("%d exports saw their context end, want 1", stuck.cancelled.Load())
	}
}

func pipeGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "reader.(*pipeline).run(")
}

// Shutdown exports what is left (including the final tick's interval),
// shuts the exporter down and ends the export goroutine; ForceFlush exports
// at once. A Shutdown whose context ends first cancels a stuck export and
// still leaves no goroutine behind.
func TestExporterShutdownAndFlush(t *testing.T) {
	// Earlier tests' export goroutines end after their cleanups, some a
	// moment later (a stuck exporter released at cleanup): wait for them.
	waitUntil(t, "earlier export goroutines end", func() bool { return pipeGoroutines() == 0 })
	before := 0
	exp := newTestExporter(metricdata.CumulativeTemporality)
	h := newPipeHarness(t, reader.WithExporter(exp, time.Hour))
	ctx := context.Background()
	c, _ := h.meter.Int64Counter("ev")
	waitUntil(t, "the export goroutine starts", func() bool { return pipeGoroutines() == before+1 })
	c.Add(ctx, 1)
	h.tick()
	exp.none(t)
	if err := h.mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mustMetric(t, exp.next(t), "ev").Data.(metricdata.Sum[int64]).DataPoints[0].Value; got != 1 {
		t.Errorf("flushed %d, want 1", got)
	}
	if exp.flushes.Load() != 1 {
		t.Errorf("exporter flushed %d times, want 1", exp.flushes.Load())
	}
	c.Add(ctx, 2) // not ticked yet: Shutdown's final report collects it
	if err := h.mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mustMetric(t, exp.next(t), "ev").Data.(metricdata.Sum[int64]).DataPoints[0].Value; got != 3 {
		t.Errorf("final export %d, want the running total 3", got)
	}
	if exp.shutdowns.Load() != 1 {
		t.Errorf("exporter shut down %d times, want 1", exp.shutdowns.Load())
	}
	if err := h.r.Shutdown(ctx); err != nil || exp.shutdowns.Load() != 1 {
		t.Errorf("second Shutdown: %v, exporter shut down %d times", err, exp.shutdowns.Load())
	}
	if err := h.r.ForceFlush(ctx); err == nil {
		t.Error("ForceFlush after Shutdown did not fail")
	}
	waitUntil(t, "the export goroutine ends", func() bool { return pipeGoroutines() == before })

	// A stuck export and a Shutdown with a short deadline.
	stuck := newTestExporter(metricdata.DeltaTemporality)
	stuck.block = make(chan struct{})
	h2 := newPipeHarness(t, reader.WithExporter(stuck, time.Second), reader.WithExportTimeout(time.Hour))
	c2, _ := h2.meter.Int64Counter("ev")
	c2.Add(ctx, 1)
	h2.tick()
	<-stuck.entered
	sctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := h2.r.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a stuck export: %v, want the deadline", err)
	}
	waitUntil(t, "the stuck export is cancelled", func() bool { return stuck.cancelled.Load() == 1 })
	waitUntil(t, "the export goroutine ends", func() bool { return pipeGoroutines() == before })
}

// The export interval comes from OTEL_METRIC_EXPORT_INTERVAL when the
// option gives none, as for the SDK's PeriodicReader.
func TestExportIntervalFromEnv(t *testing.T) {
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "3000")
	exp := newTestExporter(metricdata.DeltaTemporality)
	h := newPipeHarness(t, reader.WithExporter(exp, 0))
	c, _ := h.meter.Int64Counter("ev")
	for _, n := range []int64{1, 10, 100} {
		c.Add(context.Background(), n)
		h.tick()
	}
	// One export at 3s holding all three ticks; an earlier one would have
	// taken part of the data.
	rm := exp.next(t)
	if got := mustMetric(t, rm, "ev").Data.(metricdata.Sum[int64]).DataPoints[0].Value; got != 111 {
		t.Errorf("first export holds %d, want 111 (the three ticks up to 3s)", got)
	}
}

// Sums reach the windows as per-interval changes, and the export as changes
// or totals, from synchronous and observable counters alike: the SDK keeps
// them cumulative (cheaper per measurement) and the reader takes the
// differences.
func TestSumsAsDeltas(t *testing.T) {
	for _, temp := range []metricdata.Temporality{metricdata.DeltaTemporality, metricdata.CumulativeTemporality} {
		t.Run(temp.String(), func(t *testing.T) { sumsAsDeltas(t, temp) })
	}
}

func sumsAsDeltas(t *testing.T, temp metricdata.Temporality) {
	exp := newTestExporter(temp)
	h := newPipeHarness(t, reader.WithExporter(exp, time.Second),
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "obs_sum", Kind: counters.WindowSum, Events: []string{"obs"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "udc_sum", Kind: counters.WindowSum, Events: []string{"udc"}},
		))
	ctx := context.Background()
	var observed atomic.Int64
	if _, err := h.meter.Int64ObservableCounter("obs", metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(observed.Load())
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	udc, _ := h.meter.Float64UpDownCounter("udc")
	value := func(rm metricdata.ResourceMetrics, name string) (float64, metricdata.Temporality) {
		switch d := mustMetric(t, rm, name).Data.(type) {
		case metricdata.Sum[int64]:
			return float64(d.DataPoints[0].Value), d.Temporality
		case metricdata.Sum[float64]:
			return d.DataPoints[0].Value, d.Temporality
		default:
			t.Fatalf("%s: %T", name, d)
		}
		return 0, 0
	}
	steps := []struct {
		observe int64
		add     float64
	}{{5, 2}, {12, -0.5}, {12, 0}, {20, 1}}
	var added float64
	for i, s := range steps {
		observed.Store(s.observe)
		if s.add != 0 {
			udc.Add(ctx, s.add)
		}
		added += s.add
		h.tick()
		if s.add == 0 && temp == metricdata.DeltaTemporality {
			// Nothing changed: the SDK keeps sums cumulative and the
			// reader leaves unchanged series out of the deltas, so there
			// is nothing to export.
			continue
		}
		rm := exp.next(t)
		wantObs, wantUdc := float64(s.observe), added
		if temp == metricdata.DeltaTemporality {
			wantObs, wantUdc = float64(s.observe), s.add
			if i > 0 {
				wantObs -= float64(steps[i-1].observe)
			}
		}
		if v, got := value(rm, "obs"); v != wantObs || got != temp {
			t.Errorf("step %d: obs exported %v (%v), want %v", i, v, got, wantObs)
		}
		if v, got := value(rm, "udc"); v != wantUdc || got != temp {
			t.Errorf("step %d: udc exported %v (%v), want %v", i, v, got, wantUdc)
		}
	}
	snap := h.r.Snapshot()
	if v, _ := snap.Lookup("obs_sum"); v.V != 20 {
		t.Errorf("obs_sum = %v, want 20 (the observed total)", v.V)
	}
	if v, _ := snap.Lookup("udc_sum"); v.V != 2.5 {
		t.Errorf("udc_sum = %v, want 2.5", v.V)
	}
}
