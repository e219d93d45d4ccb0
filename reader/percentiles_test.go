package reader_test

import (
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// pctBound is the documented error bound at the default scale 6:
// √(2^(1/64)) − 1, about 0.54%.
var pctBound = math.Exp2(1.0/128) - 1

// pctExact is the reference quantile: the value of rank ⌈q·n⌉ of the sorted
// values, with q·n computed exactly from q's decimal form.
func pctExact(sorted []float64, q float64) float64 {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(q, 'f', -1, 64))
	r.Mul(r, new(big.Rat).SetInt64(int64(len(sorted))))
	k := new(big.Int).Quo(r.Num(), r.Denom())
	if !r.IsInt() {
		k.Add(k, big.NewInt(1))
	}
	return sorted[max(int(k.Int64()), 1)-1]
}

func pctRelErr(got, x float64) float64 {
	if x == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-x) / math.Abs(x)
}

// recorded is one measurement and the end of the interval it was collected in.
type recorded struct {
	series string
	v      float64
	end    time.Duration
}

// Through the real SDK and the reader's default aggregation: values spanning
// three decades, two attribute series, a window that slides over a change
// of regime. Every quantile is within 0.54% of the exact one, the mean
// within rounding, and the report fields say what each value is.
func TestPercentilesThroughSDK(t *testing.T) {
	qs := []float64{0.01, 0.25, 0.5, 0.9, 0.99, 0.999}
	const window = 30 * time.Second
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles, Events: []string{"http.lat"}, Window: window, Quantiles: qs},
	)})
	lat := h.f64Histogram("http.lat", metric.WithUnit("s"))
	opts := map[string]metric.RecordOption{
		"GET":  metric.WithAttributes(attribute.String("method", "GET")),
		"POST": metric.WithAttributes(attribute.String("method", "POST")),
	}
	r := rand.New(rand.NewPCG(1, 2))
	var rec []recorded
	reads := 0
	for tick := 1; tick <= 100; tick++ {
		end := time.Duration(tick) * time.Second
		for _, m := range []string{"GET", "POST"} {
			n := r.IntN(40)
			if m == "POST" && tick%20 < 5 {
				n = 0 // quiet spells: its window empties now and then
			}
			for range n {
				v := math.Pow(10, -3+3*r.Float64()) // 1 ms to 1 s
				if tick > 50 {
					v = math.Pow(10, -2+r.Float64()) // then 10 ms to 100 ms
				}
				lat.Record(h.ctx, v, opts[m])
				rec = append(rec, recorded{m, v, end})
			}
		}
		h.tickTo(end)
		if tick%7 != 0 {
			continue
		}
		rep := h.report()
		for _, m := range []string{"GET", "POST"} {
			var in []float64
			for _, x := range rec {
				if x.series == m && x.end > end-window && x.end <= end {
					in = append(in, x.v)
				}
			}
			slices.Sort(in)
			suffix := `{method="` + m + `"}`
			for _, q := range qs {
				key := "lat." + counters.QuantileLabel(q) + suffix
				v, ok := rep.Lookup(key)
				if !ok {
					t.Fatalf("at %v: %s not in the report: %q", end, key, keys(rep))
				}
				if v.Kind != counters.Percentiles || v.Counter != "lat" || v.Quantile != q || v.Window != window {
					t.Errorf("%s: kind %v counter %q quantile %v window %v", key, v.Kind, v.Counter, v.Quantile, v.Window)
				}
				if got, _ := v.Attrs.Value("method"); got.AsString() != m {
					t.Errorf("%s: attributes %v", key, v.Attrs)
				}
				if len(in) == 0 {
					if v.OK {
						t.Errorf("at %v: %s = %v, want null for an empty window", end, key, v.V)
					}
					continue
				}
				x := pctExact(in, q)
				if !v.OK || v.Count != uint64(len(in)) || pctRelErr(v.V, x) > pctBound*(1+1e-9) {
					t.Errorf("at %v: %s = %+v, exact %v of %d values (error %.4g)", end, key, v.Value, x, len(in), pctRelErr(v.V, x))
				}
			}
			mean, ok := rep.Lookup("lat.mean" + suffix)
			if !ok || mean.Quantile != 0 || mean.Kind != counters.Percentiles {
				t.Fatalf("lat.mean%s: %+v, %v", suffix, mean, ok)
			}
			if len(in) == 0 {
				if mean.OK {
					t.Errorf("at %v: mean of an empty window %v", end, mean.V)
				}
				continue
			}
			reads++
			var sum float64
			for _, v := range in {
				sum += v
			}
			if want := sum / float64(len(in)); !mean.OK || math.Abs(mean.V-want) > 1e-12*want {
				t.Errorf("at %v: lat.mean%s = %v, want %v", end, suffix, mean.V, want)
			}
		}
		if got := len(keysOf(rep, "lat")); got != 2*(len(qs)+1) {
			t.Errorf("lat reported under %d keys, want %d: %q", got, 2*(len(qs)+1), keysOf(rep, "lat"))
		}
	}
	if reads < 20 {
		t.Errorf("only %d reads of a non-empty window", reads)
	}
}

// A percentiles counter with no data reports null for each quantile and the
// mean, under its name's keys only.
func TestPercentilesEmpty(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles},
	)})
	h.ticks(2)
	rep := h.report()
	want := []string{"lat.mean", "lat.p50", "lat.p90", "lat.p99"}
	if got := keys(rep); !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
	for _, k := range want {
		check(t, rep, k, null)
	}
	if v, _ := rep.Lookup("lat.p99"); v.Quantile != 0.99 || v.Window != counters.DefaultWindow {
		t.Errorf("lat.p99: quantile %v window %v", v.Quantile, v.Window)
	}
	// The JSON report carries them as null.
	if got := string(rep.AppendJSON(nil)); !strings.Contains(got, `"lat.p50": null`) || !strings.Contains(got, `"lat.mean": null`) {
		t.Errorf("JSON %s", got)
	}
}

// The reader's default aggregation keeps scale 6 over nine decades (and up
// to 32 octaves) within one interval; past that the SDK lowers the scale.
func TestDefaultHistogramAggregationScale(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		scale  int32
	}{
		{0.001, 1, 6},           // three decades
		{1, 1000, 6},            // three decades
		{1, math.Exp2(31.9), 6}, // almost 32 octaves
		{1, math.Exp2(32.1), 5}, // past 2048 buckets of scale 6
		{1e-3, 1e3, 6},          // six decades
		{1e-6, 1e3, 6},          // nine decades: 1 µs to 1000 s
	} {
		mr := sdkmetric.NewManualReader(sdkmetric.WithAggregationSelector(func(sdkmetric.InstrumentKind) sdkmetric.Aggregation {
			return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: reader.DefaultHistogramMaxSize, MaxScale: reader.DefaultHistogramMaxScale}
		}))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(mr))
		hist, err := mp.Meter("t").Float64Histogram("h")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := range 1000 {
			hist.Record(ctx, tt.lo*math.Pow(tt.hi/tt.lo, float64(i)/999))
		}
		var rm metricdata.ResourceMetrics
		if err := mr.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		dp := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0]
		if dp.Scale != tt.scale {
			t.Errorf("values %v..%v: scale %d with %d buckets, want %d", tt.lo, tt.hi, dp.Scale, len(dp.PositiveBucket.Counts), tt.scale)
		}
		_ = mp.Shutdown(ctx)
	}
}

// With explicit buckets the quantiles are as precise as the buckets: each
// bucket counts as one value inside it, narrowed by the interval's min and
// max, and the reader says so once.
func TestPercentilesExplicitBuckets(t *testing.T) {
	log := captureErrors(t)
	bounds := []float64{0.01, 0.1, 1}
	h := newHarness(t, []reader.Option{
		reader.WithHistogramAggregation(sdkmetric.AggregationExplicitBucketHistogram{Boundaries: bounds}),
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles, Quantiles: []float64{0.1, 0.5, 0.9}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "same", Kind: counters.Percentiles},
		),
	})
	lat := h.f64Histogram("lat")
	same := h.f64Histogram("same")
	var vals []float64
	for i := range 100 {
		v := 0.002 * math.Pow(1000, float64(i)/99) // 2 ms to 2 s
		lat.Record(h.ctx, v)
		vals = append(vals, v)
		same.Record(h.ctx, 0.042)
	}
	h.ticks(1)
	rep := h.report()
	// bucketOf returns the bucket (a, b] holding v.
	bucketOf := func(v float64) (float64, float64) {
		a := math.Inf(-1)
		for _, b := range bounds {
			if v <= b {
				return a, b
			}
			a = b
		}
		return a, math.Inf(1)
	}
	for _, q := range []float64{0.1, 0.5, 0.9} {
		v, _ := rep.Lookup("lat." + counters.QuantileLabel(q))
		x := pctExact(vals, q)
		a, b := bucketOf(x)
		a, b = max(a, vals[0]), min(b, vals[len(vals)-1])
		if !v.OK || v.V < a || v.V > b {
			t.Errorf("q%v = %+v, want within the bucket of %v: [%v, %v]", q, v.Value, x, a, b)
		}
	}
	// All values equal: min and max pin the bucket.
	for _, k := range []string{"same.p50", "same.p99"} {
		check(t, rep, k, num(0.042))
	}
	if v, _ := rep.Lookup("same.mean"); !v.OK || math.Abs(v.V-0.042) > 1e-12 {
		t.Errorf("same.mean = %+v, want 0.042 up to rounding", v.Value)
	}
	h.ticks(3)
	if got := log.matching(`counter "lat"`, "explicit-bucket"); len(got) != 1 {
		t.Errorf("warnings about explicit buckets for lat: %q, want one", got)
	}
}

// Without min and max in the aggregation nothing clamps, and nothing
// infinite comes out.
func TestPercentilesNoMinMax(t *testing.T) {
	h := newHarness(t, []reader.Option{
		reader.WithHistogramAggregation(sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 1024, MaxScale: 6, NoMinMax: true}),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles, Quantiles: []float64{0.01, 0.5, 0.99}}),
	})
	lat := h.f64Histogram("lat")
	var vals []float64
	for i := 1; i <= 200; i++ {
		v := float64(i) / 10
		lat.Record(h.ctx, v)
		vals = append(vals, v)
	}
	h.ticks(1)
	rep := h.report()
	for _, q := range []float64{0.01, 0.5, 0.99} {
		v, _ := rep.Lookup("lat." + counters.QuantileLabel(q))
		if x := pctExact(vals, q); !v.OK || math.IsInf(v.V, 0) || pctRelErr(v.V, x) > pctBound*(1+1e-9) {
			t.Errorf("q%v = %+v, exact %v", q, v.Value, x)
		}
	}
}

// Integer histograms, gauges (each value known) and counters (no values).
func TestPercentilesInstruments(t *testing.T) {
	log := captureErrors(t)
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "size", Kind: counters.Percentiles, Quantiles: []float64{0.5, 0.999}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "temp", Kind: counters.Percentiles, Quantiles: []float64{0.5, 0.999}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Percentiles},
	)})
	size, err := h.meter.Int64Histogram("size", metric.WithUnit("By"))
	if err != nil {
		t.Fatal(err)
	}
	temp, err := h.meter.Float64Gauge("temp")
	if err != nil {
		t.Fatal(err)
	}
	hits := h.i64Counter("hits")
	var sizes, temps []float64
	for i := 1; i <= 10; i++ {
		for j := range 50 {
			v := int64(100 * (j + i))
			size.Record(h.ctx, v)
			sizes = append(sizes, float64(v))
		}
		temp.Record(h.ctx, 20+float64(i)/4)
		temps = append(temps, 20+float64(i)/4)
		hits.Add(h.ctx, 3)
		h.ticks(1)
	}
	rep := h.report()
	slices.Sort(sizes)
	slices.Sort(temps)
	for _, tt := range []struct {
		name string
		vals []float64
	}{{"size", sizes}, {"temp", temps}} {
		for _, q := range []float64{0.5, 0.999} {
			v, _ := rep.Lookup(tt.name + "." + counters.QuantileLabel(q))
			if x := pctExact(tt.vals, q); !v.OK || pctRelErr(v.V, x) > pctBound*(1+1e-9) {
				t.Errorf("%s q%v = %+v, exact %v", tt.name, q, v.Value, x)
			}
		}
	}
	// The gauge's last value is its maximum here: exact.
	check(t, rep, "temp.p99_9", num(22.5))
	check(t, rep, "hits.p50", null)
	if got := log.matching(`counter "hits"`, "individual values"); len(got) != 1 {
		t.Errorf("warnings for hits: %q, want one", got)
	}
}

// A percentiles counter's keys must not clash with another counter's.
func TestPercentilesKeyConflicts(t *testing.T) {
	h := newHarness(t, nil)
	h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles})
	for _, d := range []counters.Definition{
		{Name: "lat.p99", Kind: counters.Average},
		{Name: "lat.mean", Kind: counters.Max},
	} {
		if err := h.r.Register(d); !errors.Is(err, reader.ErrDuplicateCounter) {
			t.Errorf("Register(%s) beside percentiles lat: %v, want ErrDuplicateCounter", d.Name, err)
		}
	}
	h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: "lat.p75", Kind: counters.Average}) // lat has no p75
	if err := h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles, Quantiles: []float64{0.75}, Events: []string{"x"}}); !errors.Is(err, reader.ErrDuplicateCounter) {
		t.Errorf("a second lat: %v", err)
	}
	h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: "x.p90", Kind: counters.Count})
	err := h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "x", Kind: counters.Percentiles})
	if !errors.Is(err, reader.ErrDuplicateCounter) || !strings.Contains(err.Error(), `"x.p90"`) {
		t.Errorf("percentiles x beside counter x.p90: %v, want ErrDuplicateCounter naming x.p90", err)
	}
	h.r.Unregister("x.p90")
	if err := h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "x", Kind: counters.Percentiles}); err != nil {
		t.Errorf("x refused once x.p90 is gone: %v", err)
	}
}

// WithHistogramAggregation wins over an exporter's choice, and without it
// the exporter's choice stands.
func TestHistogramAggregationWithExporter(t *testing.T) {
	for _, tt := range []struct {
		opts []reader.Option
		exp  bool // the export carries an exponential histogram
	}{
		{nil, false},
		{[]reader.Option{reader.WithHistogramAggregation(sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 1024, MaxScale: 6})}, true},
	} {
		got := make(chan metricdata.Aggregation, 10)
		exp := &pctExporter{got: got}
		h := newHarness(t, append([]reader.Option{reader.WithExporter(exp, time.Hour)}, tt.opts...))
		h.f64Histogram("lat").Record(h.ctx, 0.25)
		h.ticks(1)
		if err := h.r.ForceFlush(h.ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			_, isExp := d.(metricdata.ExponentialHistogram[float64])
			if isExp != tt.exp {
				t.Errorf("options %d: exported %T, want exponential %v", len(tt.opts), d, tt.exp)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("nothing exported")
		}
	}
}

// pctExporter sends the data of every metric it exports to got.
type pctExporter struct{ got chan metricdata.Aggregation }

func (e *pctExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (e *pctExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (e *pctExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			select {
			case e.got <- m.Data:
			default:
			}
		}
	}
	return nil
}
func (e *pctExporter) ForceFlush(context.Context) error { return nil }
func (e *pctExporter) Shutdown(context.Context) error   { return nil }

// Record cost of the reader's histogram aggregations, two attributes, one
// run: compare the sub-benchmarks as a ratio.
func BenchmarkPercentilesRecord(b *testing.B) {
	for _, bc := range []struct {
		name string
		agg  sdkmetric.Aggregation
	}{
		{"exponential", sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: reader.DefaultHistogramMaxSize, MaxScale: reader.DefaultHistogramMaxScale}},
		{"explicit", sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// Recording does not depend on the counters (they work at
			// ticks); a count keeps the explicit case from warning.
			r := reader.New(reader.WithManualTicks(), reader.WithHistogramAggregation(bc.agg), reader.WithCounters(
				counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"req"}},
			))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
			b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			hist, err := mp.Meter("bench").Float64Histogram("req", metric.WithUnit("s"))
			if err != nil {
				b.Fatal(err)
			}
			opts := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(
				attribute.String("method", "GET"), attribute.Int("status", 200)))}
			vals := make([]float64, 1024)
			rnd := rand.New(rand.NewPCG(1, 1))
			for i := range vals {
				vals[i] = math.Pow(10, -3+3*rnd.Float64())
			}
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				hist.Record(ctx, vals[i&1023], opts...)
				i++
			}
		})
	}
}

// Cost of a report per percentiles series with a full window (60 slots of
// 100 values each over three decades): what a report adds per series.
func BenchmarkPercentilesReport(b *testing.B) {
	const series = 100
	h := newHarness(b, []reader.Option{reader.WithTick(5 * time.Second), reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles},
	)})
	hist := h.f64Histogram("lat", metric.WithUnit("s"))
	opts := make([]metric.RecordOption, series)
	for i := range opts {
		opts[i] = metric.WithAttributeSet(attribute.NewSet(attribute.Int("route", i)))
	}
	rnd := rand.New(rand.NewPCG(2, 2))
	for range 60 {
		for _, o := range opts {
			for range 100 {
				hist.Record(h.ctx, math.Pow(10, -3+3*rnd.Float64()), o)
			}
		}
		h.ticks(1)
	}
	var rep report.Report
	b.ReportAllocs()
	for b.Loop() {
		rep = h.report()
	}
	if len(rep.Values) != series*4 {
		b.Fatalf("%d values, want %d", len(rep.Values), series*4)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/series, "ns/series")
}

// Values spread over 3, 6 and 9 decades within one tick (1 µs to 1000 s is
// nine), through the real SDK with the reader's default aggregation, read
// between ticks and on them: every quantile within 0.54% of the exact
// nearest-rank value of the window, so within the 1% the kind promises.
func TestPercentilesDecades(t *testing.T) {
	qs := []float64{0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999}
	const window = 30 * time.Second // 30 slots of the 1 s tick
	for _, decades := range []float64{3, 6, 9} {
		h := newHarness(t, []reader.Option{reader.WithCounters(counters.Definition{
			Name: "lat", Kind: counters.Percentiles, Events: []string{"lat"}, Window: window, Quantiles: qs,
		})})
		hist := h.f64Histogram("lat", metric.WithUnit("s"))
		r := rand.New(rand.NewPCG(uint64(decades), 9))
		type value struct {
			v    float64
			slot int // the tick whose interval collected it
		}
		var trace []value
		worst, reads := 0.0, 0
		check := func(at time.Duration) {
			rep := h.report()
			newest := int((at + time.Second - 1) / time.Second)
			var win []float64
			for _, e := range trace {
				if e.slot > newest-int(window/time.Second) {
					win = append(win, e.v)
				}
			}
			slices.Sort(win)
			for _, q := range qs {
				got, _ := rep.Lookup("lat." + counters.QuantileLabel(q))
				exact := pctExact(win, q)
				e := pctRelErr(got.V, exact)
				worst = max(worst, e)
				if !got.OK || e > pctBound {
					t.Fatalf("%v decades: at %v p%v = %v, exact %v (%.3f%%, %d values)", decades, at, q*100, got.V, exact, 100*e, len(win))
				}
			}
			reads++
		}
		for tick := 1; tick <= 90; tick++ {
			for range 200 {
				v := 1e-6 * math.Pow(10, decades*r.Float64())
				if r.IntN(50) == 0 { // the ends of the range, in most ticks
					v = 1e-6 * math.Pow(10, decades*float64(r.IntN(2)))
				}
				hist.Record(h.ctx, v)
				trace = append(trace, value{v, tick})
			}
			end := time.Duration(tick) * time.Second
			if tick%2 == 0 { // a report between ticks collects first
				h.clock.Advance(end - time.Duration(1+r.Int64N(int64(time.Second-1))) - h.elapsed())
				check(h.elapsed())
			}
			h.tickTo(end)
			if tick%3 == 0 {
				check(end)
			}
		}
		if reads < 60 {
			t.Fatalf("%v decades: %d reads", decades, reads)
		}
		t.Logf("%v decades in every tick: worst relative error %.3f%%", decades, 100*worst)
	}
}
