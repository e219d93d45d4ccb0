package reader_test

import (
	"context"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// Benchmarks of the core. scripts/bench-core.sh runs them and prints the
// ratios that docs/performance.md records; compare figures only within one
// run.

// nopExporter stands for a user's export pipeline without doing any IO.
type nopExporter struct{}

func (nopExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (nopExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (nopExporter) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (nopExporter) ForceFlush(context.Context) error                          { return nil }
func (nopExporter) Shutdown(context.Context) error                            { return nil }

// benchProvider returns a MeterProvider whose only reader is either this
// project's reader, with window counters on both instruments, or the SDK's
// PeriodicReader with an exporter that never runs during a benchmark.
func benchProvider(b *testing.B, rd readerCase) (*sdkmetric.MeterProvider, metric.Float64Histogram, metric.Int64Counter) {
	b.Helper()
	var r sdkmetric.Reader
	if rd.ours {
		// Manual ticks keep the runs alike; a tick every 5 s costs what
		// BenchmarkTick measures, spread over all the measurements between.
		opts := []reader.Option{reader.WithManualTicks(), reader.WithHistogramAggregation(rd.histogram)}
		if rd.deltaSums {
			opts = append(opts, reader.WithDeltaSums())
		}
		r = reader.New(append(opts, reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "req.avg", Kind: counters.AverageTime, Events: []string{"req"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "req.freq", Kind: counters.Frequency, Events: []string{"req"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "req.max", Kind: counters.Max, Events: []string{"req"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "req.min", Kind: counters.Min, Events: []string{"req"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "hits.total", Kind: counters.Event, Events: []string{"hits"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "hits.freq", Kind: counters.Frequency, Events: []string{"hits"}},
		))...)
	} else {
		r = sdkmetric.NewPeriodicReader(nopExporter{}, sdkmetric.WithInterval(time.Hour))
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	m := mp.Meter("bench")
	h, err := m.Float64Histogram("req", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	c, err := m.Int64Counter("hits")
	if err != nil {
		b.Fatal(err)
	}
	return mp, h, c
}

var benchAttrs = attribute.NewSet(attribute.String("method", "GET"), attribute.String("route", "/users/{id}"))

type recordCase struct {
	name string
	op   func(ctx context.Context, h metric.Float64Histogram, c metric.Int64Counter, v float64)
}

func recordCases() []recordCase {
	recOpts := []metric.RecordOption{metric.WithAttributeSet(benchAttrs)}
	addOpts := []metric.AddOption{metric.WithAttributeSet(benchAttrs)}
	return []recordCase{
		{"Float64Histogram/0attr", func(ctx context.Context, h metric.Float64Histogram, _ metric.Int64Counter, v float64) {
			h.Record(ctx, v)
		}},
		{"Float64Histogram/2attr", func(ctx context.Context, h metric.Float64Histogram, _ metric.Int64Counter, v float64) {
			h.Record(ctx, v, recOpts...)
		}},
		{"Int64Counter/0attr", func(ctx context.Context, _ metric.Float64Histogram, c metric.Int64Counter, _ float64) {
			c.Add(ctx, 1)
		}},
		{"Int64Counter/2attr", func(ctx context.Context, _ metric.Float64Histogram, c metric.Int64Counter, _ float64) {
			c.Add(ctx, 1, addOpts...)
		}},
	}
}

// readerCase is the reader of a provider: this project's (with its default
// histogram aggregation, or another), or the SDK's PeriodicReader.
type readerCase struct {
	name      string
	ours      bool
	histogram sdkmetric.Aggregation // nil: the reader's default
	deltaSums bool                  // reader.WithDeltaSums
}

// readersFor lists the readers to compare on a case: for histograms also
// this reader with the SDK's default explicit buckets, the aggregation the
// PeriodicReader uses, to tell the reader's cost from the aggregation's.
func readersFor(rc recordCase) []readerCase {
	rs := []readerCase{{name: "otelcounters", ours: true}}
	if strings.HasPrefix(rc.name, "Float64Histogram") {
		rs = append(rs, readerCase{name: "otelcounters-explicit", ours: true,
			histogram: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})
	}
	if strings.HasPrefix(rc.name, "Int64Counter") {
		rs = append(rs, readerCase{name: "otelcounters-deltasums", ours: true, deltaSums: true})
	}
	return append(rs, readerCase{name: "sdk-periodic"})
}

// BenchmarkRecord is the cost of one measurement through a MeterProvider
// whose only reader is this project's, against the SDK's PeriodicReader.
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	for _, rc := range recordCases() {
		for _, rd := range readersFor(rc) {
			b.Run(rc.name+"/"+rd.name, func(b *testing.B) {
				_, h, c := benchProvider(b, rd)
				b.ReportAllocs()
				v := 0.0
				for b.Loop() {
					v = nextValue(v)
					rc.op(ctx, h, c, v)
				}
			})
		}
	}
}

// nextValue steps through durations from 1 ms to 1 s, as a request timer
// would record them.
func nextValue(v float64) float64 {
	v += 0.001
	if v >= 1 {
		v = 0.001
	}
	return v
}

// BenchmarkRecordInterleaved is BenchmarkRecord with the readers compared
// inside every iteration: each records a chunk of measurements in turn, so
// that all of them run within the same milliseconds and share whatever load
// the machine has. Its figures are custom metrics: ns per measurement for
// each reader, and each of this project's readers as a ratio to
// sdk-periodic.
func BenchmarkRecordInterleaved(b *testing.B) {
	const chunk = 500
	ctx := context.Background()
	for _, rc := range recordCases() {
		b.Run(rc.name, func(b *testing.B) {
			rs := readersFor(rc)
			type side struct {
				h metric.Float64Histogram
				c metric.Int64Counter
				d time.Duration
			}
			sides := make([]side, len(rs))
			for i, rd := range rs {
				_, h, c := benchProvider(b, rd)
				sides[i] = side{h: h, c: c}
			}
			b.ReportAllocs()
			v, turn := 0.0, 0
			for b.Loop() {
				turn++
				for j := range sides {
					s := &sides[(j+turn)%len(sides)] // no reader always goes first
					start := time.Now()
					for range chunk {
						v = nextValue(v)
						rc.op(ctx, s.h, s.c, v)
					}
					s.d += time.Since(start)
				}
			}
			n := float64(b.N * chunk)
			sdk := sides[len(sides)-1].d
			for i, rd := range rs {
				b.ReportMetric(float64(sides[i].d.Nanoseconds())/n, "ns/"+rd.name)
				if i < len(rs)-1 {
					b.ReportMetric(float64(sides[i].d)/float64(sdk), "x/"+rd.name)
				}
			}
		})
	}
}

// BenchmarkRecordParallel is the same from GOMAXPROCS goroutines at once.
func BenchmarkRecordParallel(b *testing.B) {
	ctx := context.Background()
	for _, rc := range recordCases() {
		for _, rd := range readersFor(rc) {
			b.Run(rc.name+"/"+rd.name, func(b *testing.B) {
				_, h, c := benchProvider(b, rd)
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					v := 0.0
					for pb.Next() {
						v = nextValue(v)
						rc.op(ctx, h, c, v)
					}
				})
			})
		}
	}
}

// seriesBench is a reader with an average and a frequency counter on one
// duration histogram (or, without counters, a plain delta ManualReader), and
// one prebuilt attribute set per series.
type seriesBench struct {
	ctx   context.Context
	clock *fakeClock
	r     *reader.Reader // nil for the SDK alone
	h     metric.Float64Histogram
	opts  [][]metric.RecordOption
	tick  func() error
}

func newSeriesBench(b *testing.B, n int, mpOpts []sdkmetric.Option, defs ...counters.Definition) *seriesBench {
	b.Helper()
	s := &seriesBench{ctx: context.Background(), clock: newFakeClock(), opts: seriesOptions(n)}
	var sr sdkmetric.Reader
	if len(defs) > 0 {
		s.r = reader.New(reader.WithManualTicks(), reader.WithClock(s.clock.Now), reader.WithSeriesLimit(0), reader.WithCounters(defs...))
		sr, s.tick = s.r, func() error { return s.r.Tick(s.ctx) }
	} else {
		// The reader's own SDK pipeline, without the reader.
		mr := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
			return metricdata.DeltaTemporality
		}), sdkmetric.WithAggregationSelector(func(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
			if k == sdkmetric.InstrumentKindHistogram {
				return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: reader.DefaultHistogramMaxSize, MaxScale: reader.DefaultHistogramMaxScale}
			}
			return sdkmetric.DefaultAggregationSelector(k)
		}))
		var rm metricdata.ResourceMetrics
		sr, s.tick = mr, func() error { return mr.Collect(s.ctx, &rm) }
	}
	opts := append([]sdkmetric.Option{sdkmetric.WithReader(sr), sdkmetric.WithCardinalityLimit(0)}, mpOpts...)
	mp := sdkmetric.NewMeterProvider(opts...)
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	h, err := mp.Meter("bench").Float64Histogram("req", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	s.h = h
	return s
}

func seriesOptions(n int) [][]metric.RecordOption {
	opts := make([][]metric.RecordOption, n)
	for i := range opts {
		opts[i] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("id", strconv.Itoa(i))))}
	}
	return opts
}

var avgAndFreq = []counters.Definition{
	{By: []string{counters.AllAttributes}, Name: "req.avg", Kind: counters.AverageTime, Events: []string{"req"}},
	{By: []string{counters.AllAttributes}, Name: "req.freq", Kind: counters.Frequency, Events: []string{"req"}},
}

// interval records one measurement into every series and moves the clock on
// by one tick.
func (s *seriesBench) interval(round int) {
	for i, o := range s.opts {
		s.h.Record(s.ctx, float64((i+round)%100)/100, o...)
	}
	s.clock.Advance(reader.DefaultTick)
}

func (s *seriesBench) collect(b *testing.B) {
	if err := s.tick(); err != nil {
		b.Fatal(err)
	}
}

var seriesCounts = []int{1000, 10000, 100000}

// exemplarsOff turns the SDK's exemplars off: window counters read none.
var exemplarsOff = []sdkmetric.Option{sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter)}

// BenchmarkTick is one tick (collect, then add every series' interval to
// its windows) when every series had a measurement in the interval. At 10k
// series more rows split the cost: sdk-collect-only is the SDK's delta
// Collect of the same data into a plain ManualReader; exemplars-off turns
// the SDK's exemplar filter off (the SDK otherwise makes an exemplar
// reservoir afresh for every series on every delta collect).
func BenchmarkTick(b *testing.B) {
	type variant struct {
		name   string
		n      int
		mpOpts []sdkmetric.Option
		defs   []counters.Definition
	}
	var vs []variant
	for _, n := range seriesCounts {
		vs = append(vs, variant{"series=" + strconv.Itoa(n), n, nil, avgAndFreq})
	}
	vs = append(vs, variant{"series=10000/sdk-collect-only", 10000, nil, nil})
	for _, n := range seriesCounts {
		vs = append(vs, variant{"series=" + strconv.Itoa(n) + "/exemplars-off", n, exemplarsOff, avgAndFreq})
	}
	vs = append(vs, variant{"series=10000/exemplars-off/sdk-collect-only", 10000, exemplarsOff, nil})
	for _, v := range vs {
		b.Run(v.name, func(b *testing.B) {
			s := newSeriesBench(b, v.n, v.mpOpts, v.defs...)
			s.interval(0)
			s.collect(b) // the series exist from here on
			b.ReportAllocs()
			round := 1
			for b.Loop() {
				b.StopTimer()
				s.interval(round)
				round++
				b.StartTimer()
				s.collect(b)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(v.n), "ns/series")
		})
	}
}

// BenchmarkReport is one report of 10k series (10k attribute sets with two
// counters each, so 20k values): with-collect when measurements arrived
// since the last tick (the report collects them first), after-tick when they
// were already collected.
func BenchmarkReport(b *testing.B) {
	const n = 10000
	for _, c := range []struct {
		name      string
		collected bool
		mpOpts    []sdkmetric.Option
	}{
		{"series=10000/with-collect", false, nil},
		{"series=10000/after-tick", true, nil},
		{"series=10000/with-collect/exemplars-off", false, exemplarsOff},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := newSeriesBench(b, n, c.mpOpts, avgAndFreq...)
			s.interval(0)
			s.collect(b)
			b.ReportAllocs()
			round := 1
			for b.Loop() {
				b.StopTimer()
				s.interval(round)
				round++
				if c.collected {
					s.collect(b)
				}
				b.StartTimer()
				rep, err := s.r.Report(s.ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Values) != 2*n {
					b.Fatalf("%d values, want %d", len(rep.Values), 2*n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/series")
		})
	}
}

// BenchmarkMemoryPerSeries is the heap held per active series at the default
// window (300 s) and tick (5 s), after three intervals with a measurement in
// every series: the SDK's state, the collected interval the reader keeps for
// reuse, and the reader's windows. sdk-delta is the same provider with a
// plain delta ManualReader whose collected data is kept: the difference is
// what the windows cost. The exemplars-off rows turn the SDK's exemplar
// filter off, which drops the SDK's per-series exemplar reservoirs; the
// spread rows record ten durations from 1 ms to 1 s per series and interval,
// which fill more buckets of the reader's default exponential histogram
// (explicit-buckets: with the SDK's default explicit buckets instead).
func BenchmarkMemoryPerSeries(b *testing.B) {
	const n = 10000
	for _, c := range []struct {
		name   string
		kind   counters.Kind // zero: the SDK alone
		off    bool
		spread bool // ten durations from 1 ms to 1 s per interval, not one
	}{
		{"average", counters.Average, false, false},
		{"max", counters.Max, false, false},
		{"sdk-delta", 0, false, false},
		{"average/exemplars-off", counters.Average, true, false},
		{"max/exemplars-off", counters.Max, true, false},
		{"sdk-delta/exemplars-off", 0, true, false},
		{"average/spread", counters.Average, false, true},
		{"sdk-delta/spread", 0, false, true},
		{"average/spread/explicit-buckets", counters.Average, false, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var mpOpts []sdkmetric.Option
			if c.off {
				mpOpts = exemplarsOff
			}
			if strings.HasSuffix(c.name, "/explicit-buckets") {
				// The SDK's default buckets, which a PeriodicReader would use.
				mpOpts = append(mpOpts, sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "req"},
					sdkmetric.Stream{Aggregation: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})))
			}
			var perSeries float64
			for b.Loop() {
				perSeries = memoryPerSeries(b, n, c.kind, mpOpts, c.spread)
			}
			b.ReportMetric(perSeries, "B/series")
		})
	}
}

func memoryPerSeries(b *testing.B, n int, kind counters.Kind, mpOpts []sdkmetric.Option, spread bool) float64 {
	var defs []counters.Definition
	if kind != 0 {
		defs = []counters.Definition{{Name: "req." + kind.String(), Kind: kind, Events: []string{"req"}}}
	}
	before := heapAlloc()
	s := newSeriesBench(b, n, mpOpts, defs...)
	optsHeap := heapAlloc() - before // the benchmark's own attribute options
	for round := range 3 {
		if spread {
			for i, o := range s.opts {
				for k := range 10 {
					s.h.Record(s.ctx, 0.001*math.Pow(1000, float64((i+k)%10)/9), o...)
				}
			}
			s.clock.Advance(reader.DefaultTick)
		} else {
			s.interval(round)
		}
		s.collect(b)
	}
	after := heapAlloc()
	runtime.KeepAlive(s)
	return (float64(after) - float64(before) - float64(optsHeap)) / float64(n)
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkTickSelection is one tick of 10k attribute sets (route, of ten,
// and id) when every counter keeps them all (kept: 10k series), folds them
// into one series per route (by-route: 10 series) or into one series
// (plain). Selection happens here, at the tick: a measurement costs the
// same in every case.
func BenchmarkTickSelection(b *testing.B) {
	const n = 10000
	for _, v := range []struct {
		name string
		by   []string
	}{
		{"kept", []string{counters.AllAttributes}},
		{"by-route", []string{"route"}},
		{"plain", nil},
	} {
		b.Run(v.name, func(b *testing.B) {
			defs := []counters.Definition{
				{Name: "req.avg", Kind: counters.AverageTime, Events: []string{"req"}, By: v.by},
				{Name: "req.freq", Kind: counters.Frequency, Events: []string{"req"}, By: v.by},
			}
			s := newSeriesBench(b, n, exemplarsOff, defs...)
			for i := range s.opts {
				s.opts[i] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(
					attribute.String("route", "/r"+strconv.Itoa(i%10)), attribute.String("id", strconv.Itoa(i))))}
			}
			s.interval(0)
			s.collect(b)
			b.ReportAllocs()
			round := 1
			for b.Loop() {
				b.StopTimer()
				s.interval(round)
				round++
				b.StartTimer()
				s.collect(b)
			}
			rep, err := s.r.Report(s.ctx)
			if err != nil {
				b.Fatal(err)
			}
			if want := map[string]int{"kept": 2 * n, "by-route": 20, "plain": 2}[v.name]; len(rep.Values) != want {
				b.Fatalf("%d values, want %d", len(rep.Values), want)
			}
		})
	}
}
