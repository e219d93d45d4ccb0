package counters_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// scaleBound is the documented relative error bound of a quantile read from
// buckets at scale s: half a bucket in log space, √(2^(2^−s)) − 1.
func scaleBound(s int) float64 { return math.Exp2(math.Ldexp(0.5, -s)) - 1 }

// exactQuantile is the reference: the value of rank ⌈q·n⌉ of the sorted
// values, with q·n computed exactly from q's decimal form.
func exactQuantile(sorted []float64, q float64) float64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(q, 'f', -1, 64))
	if !ok {
		panic("bad quantile")
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(len(sorted))))
	k := new(big.Int).Quo(r.Num(), r.Denom()) // floor, r > 0
	if !r.IsInt() {
		k.Add(k, big.NewInt(1))
	}
	i := max(int(k.Int64()), 1)
	return sorted[i-1]
}

// relErr is the error of got against the exact x, relative to |x| (absolute
// for x = 0, where every quantile must be exact).
func relErr(got, x float64) float64 {
	if x == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-x) / math.Abs(x)
}

// histOf returns the histogram of vs at scale.
func histOf(scale int32, vs ...float64) counters.Histogram {
	h := counters.Histogram{Scale: scale}
	for _, v := range vs {
		h.Insert(v, 1)
	}
	return h
}

// sampleOf returns the Sample of vs.
func sampleOf(vs ...float64) counters.Sample {
	x := counters.Sample{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, v := range vs {
		x.Count++
		x.Sum += v
		x.Min = min(x.Min, v)
		x.Max = max(x.Max, v)
	}
	return x
}

func newPercentiles(t testing.TB, window, tick time.Duration, qs ...float64) *counters.Series {
	t.Helper()
	c, err := counters.New(counters.Definition{Name: "p", Kind: counters.Percentiles, Window: window, Quantiles: qs}, tick, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c.NewSeries()
}

var manyQuantiles = []float64{0.001, 0.01, 0.07, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}

// windowModel feeds a series interval by interval and keeps every value, to
// compare the series' quantiles with exact ones.
type windowModel struct {
	t      *testing.T
	s      *counters.Series
	qs     []float64
	tick   time.Duration
	window time.Duration // a whole number of slots
	at     time.Duration
	ends   []time.Duration // per interval fed, its end
	vals   [][]float64     // per interval fed, its values
	worst  float64         // the largest relative error seen
	reads  int
}

func newWindowModel(t *testing.T, window, tick time.Duration) *windowModel {
	return &windowModel{t: t, s: newPercentiles(t, window, tick, manyQuantiles...), qs: manyQuantiles, tick: tick, window: window}
}

// interval feeds the values of the next interval (none: nothing is added,
// as a reader hears nothing of an empty interval).
func (m *windowModel) interval(scale int32, vs ...float64) {
	m.at += m.tick
	if len(vs) == 0 {
		return
	}
	m.s.AddHistogram(m.at, sampleOf(vs...), histOf(scale, vs...))
	m.ends = append(m.ends, m.at)
	m.vals = append(m.vals, vs)
}

// check reads the series at the current time, which must be a slot
// boundary, and compares every quantile with the window's exact one within
// bound; the mean within float rounding.
func (m *windowModel) check(bound float64) bool {
	m.t.Helper()
	var in []float64
	for i, end := range m.ends {
		if end > m.at-m.window && end <= m.at {
			in = append(in, m.vals[i]...)
		}
	}
	slices.Sort(in)
	got := m.s.Quantiles(m.at, nil)
	if len(got) != len(m.qs) {
		m.t.Errorf("at %v: %d quantiles, want %d", m.at, len(got), len(m.qs))
		return false
	}
	mean := m.s.Value(m.at)
	if len(in) == 0 {
		for i, v := range got {
			if v.OK {
				m.t.Errorf("at %v: empty window: q%v = %+v, want none", m.at, m.qs[i], v)
				return false
			}
		}
		if mean.OK {
			m.t.Errorf("at %v: empty window: mean %+v, want none", m.at, mean)
			return false
		}
		return true
	}
	m.reads++
	var sum float64
	for _, v := range in {
		sum += v
	}
	if !mean.OK || mean.Count != uint64(len(in)) || math.Abs(mean.V-sum/float64(len(in))) > 1e-9*math.Abs(sum/float64(len(in)))+1e-300 {
		m.t.Errorf("at %v: mean %+v, want %v of %d values", m.at, mean, sum/float64(len(in)), len(in))
		return false
	}
	for i, q := range m.qs {
		x := exactQuantile(in, q)
		v := got[i]
		if !v.OK || v.Count != uint64(len(in)) {
			m.t.Errorf("at %v: q%v = %+v, want a value of %d values", m.at, q, v, len(in))
			return false
		}
		e := relErr(v.V, x)
		m.worst = max(m.worst, e)
		if e > bound*(1+1e-9) {
			m.t.Errorf("at %v: q%v = %v, exact %v: relative error %.4g > %.4g (%d values, min %v, max %v)",
				m.at, q, v.V, x, e, bound, len(in), in[0], in[len(in)-1])
			return false
		}
	}
	return true
}

// Random data spanning three decades, in several shapes, read against exact
// sorting as the window slides: every quantile within the bound of scale 6
// (0.54%, under the 1% target).
func TestQuantilesAccuracyRandom(t *testing.T) {
	bound := scaleBound(counters.DefaultScale)
	if bound > 0.0055 || bound < 0.0054 {
		t.Fatalf("bound of scale 6 = %v, want 0.54%%", bound)
	}
	shapes := []struct {
		name string
		gen  func(r *rand.Rand) float64
	}{
		{"log-uniform 1ms..1s", func(r *rand.Rand) float64 { return math.Pow(10, -3+3*r.Float64()) }},
		{"uniform 1..1000", func(r *rand.Rand) float64 { return 1 + 999*r.Float64() }},
		{"lognormal clipped to 3 decades", func(r *rand.Rand) float64 {
			return min(max(0.05*math.Exp(1.2*r.NormFloat64()), 0.001), 1)
		}},
		{"integers 1..1000", func(r *rand.Rand) float64 { return float64(1 + r.IntN(1000)) }},
		{"bimodal: fast hits and slow misses", func(r *rand.Rand) float64 {
			if r.IntN(10) == 0 {
				return 0.5 + 0.5*r.Float64()
			}
			return 0.001 + 0.002*r.Float64()
		}},
	}
	layouts := []struct{ window, tick time.Duration }{
		{60 * time.Second, time.Second},            // one tick per slot
		{90 * time.Second, 500 * time.Millisecond}, // 180 slots of half a second
	}
	for _, sh := range shapes {
		for _, lay := range layouts {
			r := rand.New(rand.NewPCG(uint64(len(sh.name)), uint64(lay.tick)))
			m := newWindowModel(t, lay.window, lay.tick)
			slot := lay.tick // both layouts are at most MaxSlots ticks
			for i := range 250 {
				n := r.IntN(60)
				if i%50 < 10 {
					n = 0 // quiet stretches
				}
				vs := make([]float64, n)
				for j := range vs {
					vs[j] = sh.gen(r)
				}
				m.interval(counters.DefaultScale, vs...)
				if m.at%slot == 0 && !m.check(bound) {
					t.Fatalf("%s, window %v tick %v", sh.name, lay.window, lay.tick)
				}
			}
			if m.reads < 40 {
				t.Errorf("%s: only %d reads of a non-empty window", sh.name, m.reads)
			}
			t.Logf("%-36s window %v tick %v: worst relative error %.4f%%", sh.name, lay.window, lay.tick, 100*m.worst)
		}
	}
}

// Hand-picked data that breaks careless percentile code.
func TestQuantilesAdversarial(t *testing.T) {
	bound := scaleBound(counters.DefaultScale)
	rep := func(v float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	ramp := func(n int, f func(i int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name  string
		ticks [][]float64 // values per interval
		exact bool        // every quantile must be exact
	}{
		{"all values equal", [][]float64{rep(0.123, 50), rep(0.123, 7)}, true},
		{"a single value", [][]float64{{0.0421}}, true},
		{"two values", [][]float64{{3}, {1000}}, true},
		{"one outlier among 999", [][]float64{rep(0.01, 999), {1e6}}, false},
		{"one outlier among 99 (p99 is not it)", [][]float64{rep(0.2, 99), {500}}, false},
		{"repeated values", [][]float64{rep(1, 30), rep(2, 30), rep(3, 30), rep(1000, 10)}, false},
		{"many ties at bucket edges (powers of two)", [][]float64{ramp(64, func(i int) float64 { return math.Exp2(float64(i%10 - 5)) })}, false},
		{"negative values", [][]float64{ramp(100, func(i int) float64 { return -math.Pow(10, 3*float64(i)/99) })}, false},
		{"mixed signs and zeros", [][]float64{ramp(101, func(i int) float64 { return float64(i-50) / 7 }), rep(0, 20)}, false},
		{"zeros only", [][]float64{rep(0, 10)}, true},
		{"zeros and one value", [][]float64{rep(0, 98), {5}, {0}}, false},
		{"tiny and huge", [][]float64{{1e-300, 1e300, 1, 2, 3}}, false},
		{"subnormal", [][]float64{{5e-324, 1e-310, 1e-320}}, false},
	}
	for _, tt := range tests {
		s := newPercentiles(t, time.Minute, time.Second, manyQuantiles...)
		var all []float64
		for i, vs := range tt.ticks {
			s.AddHistogram(time.Duration(i+1)*time.Second, sampleOf(vs...), histOf(counters.DefaultScale, vs...))
			all = append(all, vs...)
		}
		slices.Sort(all)
		at := time.Duration(len(tt.ticks)) * time.Second
		got := s.Quantiles(at, nil)
		for i, q := range manyQuantiles {
			x := exactQuantile(all, q)
			// Beyond 64 octaves the buckets are downscaled; the bound
			// doubles per scale lost.
			b := bound
			if tt.name == "tiny and huge" || tt.name == "subnormal" {
				b = math.Inf(1)
			}
			if !got[i].OK || got[i].Count != uint64(len(all)) {
				t.Errorf("%s: q%v = %+v, want a value of %d", tt.name, q, got[i], len(all))
				continue
			}
			if tt.exact && got[i].V != x {
				t.Errorf("%s: q%v = %v, want exactly %v", tt.name, q, got[i].V, x)
			}
			if e := relErr(got[i].V, x); e > b*(1+1e-9) {
				t.Errorf("%s: q%v = %v, exact %v: relative error %.4g > %.4g", tt.name, q, got[i].V, x, e, b)
			}
			// Quantiles never leave the window's range and never decrease.
			if got[i].V < all[0] || got[i].V > all[len(all)-1] || i > 0 && got[i].V < got[i-1].V {
				t.Errorf("%s: q%v = %v outside [%v, %v] or below q%v = %v", tt.name, q, got[i].V, all[0], all[len(all)-1], manyQuantiles[max(i-1, 0)], got[max(i-1, 0)].V)
			}
		}
		// The extremes are exact: the first and last rank.
		ends := newPercentiles(t, time.Minute, time.Second, 1e-9, 1-1e-9)
		for i, vs := range tt.ticks {
			ends.AddHistogram(time.Duration(i+1)*time.Second, sampleOf(vs...), histOf(counters.DefaultScale, vs...))
		}
		if e := ends.Quantiles(at, nil); e[0].V != all[0] || e[1].V != all[len(all)-1] {
			t.Errorf("%s: first and last rank %v, %v; want the exact min %v and max %v", tt.name, e[0].V, e[1].V, all[0], all[len(all)-1])
		}
	}
}

// The nearest-rank rule on values far enough apart that the bucket error
// cannot hide a wrong rank.
func TestQuantilesRank(t *testing.T) {
	tests := []struct {
		vals []float64
		q    float64
		want float64 // the value of the expected rank
	}{
		{[]float64{1, 10, 100, 1000}, 0.5, 10},    // ⌈2⌉ = 2
		{[]float64{1, 10, 100, 1000}, 0.51, 100},  // ⌈2.04⌉ = 3
		{[]float64{1, 10, 100, 1000}, 0.25, 1},    // ⌈1⌉ = 1
		{[]float64{1, 10, 100, 1000}, 0.26, 10},   // ⌈1.04⌉ = 2
		{[]float64{1, 10, 100, 1000}, 0.75, 100},  // ⌈3⌉ = 3
		{[]float64{1, 10, 100, 1000}, 0.99, 1000}, // ⌈3.96⌉ = 4
		{[]float64{1, 10, 100, 1000}, 0.01, 1},    // ⌈0.04⌉ = 1
		{[]float64{5, 50}, 0.5, 5},
	}
	// q·n that floating point puts just above an integer: 0.07·100 is
	// 7.000000000000001, and the rank is still 7. The values are 20%
	// apart, far more than the bucket error.
	var hundred []float64
	for i := range 100 {
		hundred = append(hundred, math.Pow(1.2, float64(i)))
	}
	for _, q := range []float64{0.07, 0.14, 0.28, 0.29, 0.57, 0.58} {
		tests = append(tests, struct {
			vals []float64
			q    float64
			want float64
		}{hundred, q, exactQuantile(hundred, q)})
	}
	if exactQuantile(hundred, 0.07) != math.Pow(1.2, 6) {
		t.Fatal("reference: rank of 0.07 of 100 is not 7")
	}
	for _, tt := range tests {
		s := newPercentiles(t, 2*time.Minute, time.Second, tt.q)
		// One value per interval, in decreasing order: the order of
		// arrival does not matter.
		for i, v := range slices.Backward(tt.vals) {
			s.AddHistogram(time.Duration(len(tt.vals)-i)*time.Second, sampleOf(v), histOf(counters.DefaultScale, v))
		}
		got := s.Quantiles(time.Duration(len(tt.vals))*time.Second, nil)
		if got[0].Count != uint64(len(tt.vals)) {
			t.Fatalf("q%v: window holds %d values, want %d", tt.q, got[0].Count, len(tt.vals))
		}
		if e := relErr(got[0].V, tt.want); e > scaleBound(counters.DefaultScale) {
			t.Errorf("q%v of %v = %v, want %v (rank ⌈q·n⌉)", tt.q, tt.vals, got[0].V, tt.want)
		}
	}
}

// Values leave the window as it slides, and an empty window reads none.
func TestQuantilesSlide(t *testing.T) {
	s := newPercentiles(t, 10*time.Second, time.Second)
	if got := s.Quantiles(0, nil); len(got) != 3 || got[0].OK || got[1].OK || got[2].OK {
		t.Fatalf("new series: %+v, want three empty values", got)
	}
	big := []float64{100, 200, 300}
	small := []float64{1, 2, 3}
	s.AddHistogram(time.Second, sampleOf(big...), histOf(counters.DefaultScale, big...))
	s.AddHistogram(5*time.Second, sampleOf(small...), histOf(counters.DefaultScale, small...))
	check := func(at time.Duration, want []float64) {
		t.Helper()
		got := s.Quantiles(at, nil)
		for i, w := range want {
			if math.IsNaN(w) {
				if got[i].OK {
					t.Errorf("at %v: q%d = %+v, want none", at, i, got[i])
				}
				continue
			}
			if !got[i].OK || relErr(got[i].V, w) > scaleBound(counters.DefaultScale) {
				t.Errorf("at %v: quantile %d = %+v, want %v", at, i, got[i], w)
			}
		}
	}
	none := math.NaN()
	// p50, p90, p99 of 1, 2, 3, 100, 200, 300: ranks 3, 6, 6.
	check(10*time.Second, []float64{3, 300, 300})
	// The interval ending at 1 s leaves at 11 s.
	check(11*time.Second, []float64{2, 3, 3})
	check(14*time.Second, []float64{2, 3, 3})
	check(15*time.Second, []float64{none, none, none})
	if v := s.Value(15 * time.Second); v.OK {
		t.Errorf("mean of an empty window: %+v", v)
	}
	// A sample older than the window is ignored, with its buckets.
	s.AddHistogram(30*time.Second, sampleOf(7), histOf(counters.DefaultScale, 7))
	s.AddHistogram(10*time.Second, sampleOf(1000), histOf(counters.DefaultScale, 1000))
	check(30*time.Second, []float64{7, 7, 7})
}

// Slots at different scales merge at the smallest, and the bound is that
// scale's.
func TestQuantilesMixedScales(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, scales := range [][]int32{{6, 3}, {6, 5}, {2, 6, 4}, {0, 6}, {-2, 6}} {
		s := newPercentiles(t, time.Minute, time.Second, manyQuantiles...)
		var all []float64
		for i := range 30 {
			scale := scales[i%len(scales)]
			vs := make([]float64, 20)
			for j := range vs {
				vs[j] = math.Pow(10, -2+4*r.Float64())
			}
			s.AddHistogram(time.Duration(i+1)*time.Second, sampleOf(vs...), histOf(scale, vs...))
			all = append(all, vs...)
		}
		slices.Sort(all)
		bound := scaleBound(int(slices.Min(scales)))
		got := s.Quantiles(30*time.Second, nil)
		for i, q := range manyQuantiles {
			x := exactQuantile(all, q)
			if e := relErr(got[i].V, x); e > bound*(1+1e-9) {
				t.Errorf("scales %v: q%v = %v, exact %v, error %.4g > %.4g", scales, q, got[i].V, x, e, bound)
			}
		}
	}
}

// Samples without buckets: the values a Sample tells exactly (one value, or
// two) count; larger samples count towards the mean only.
func TestQuantilesFromSamples(t *testing.T) {
	s := newPercentiles(t, time.Minute, time.Second, 0.5, 0.99)
	s.Add(time.Second, counters.Sample{Count: 1, Sum: 0.25, Min: 0.25, Max: 0.25})
	s.Add(2*time.Second, counters.Sample{Count: 2, Sum: 4.5, Min: 0.5, Max: 4})
	got := s.Quantiles(2*time.Second, nil)
	if relErr(got[0].V, 0.5) > scaleBound(counters.DefaultScale) || got[1].V != 4 || got[0].Count != 3 {
		t.Errorf("quantiles of 0.25, 0.5, 4 = %+v, want about 0.5 and exactly 4 (the maximum), count 3", got)
	}
	// Three values in a Sample: the mean hears them, the quantiles do not.
	s.Add(3*time.Second, counters.Sample{Count: 3, Sum: 300, Min: 99, Max: 101})
	if v := s.Value(3 * time.Second); v.V != (0.25+4.5+300)/6 || v.Count != 6 {
		t.Errorf("mean = %+v, want that of 6 values", v)
	}
	got = s.Quantiles(3*time.Second, nil)
	if !got[0].OK || got[0].V > 4 || got[0].Count != 6 {
		t.Errorf("after a sample without buckets: %+v, want the quantiles of the known values", got)
	}
	// A series of another kind ignores buckets and takes the sample.
	c, err := counters.New(counters.Definition{Name: "a", Kind: counters.Average}, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := c.NewSeries()
	a.AddHistogram(time.Second, sampleOf(1, 3), histOf(counters.DefaultScale, 1, 3))
	if v := a.Value(time.Second); v.V != 2 || v.Count != 2 {
		t.Errorf("average fed by AddHistogram: %+v", v)
	}
	if q := a.Quantiles(time.Second, nil); len(q) != 0 {
		t.Errorf("average has quantiles: %+v", q)
	}
}

// Unknown extremes (an aggregation without min and max) clamp nothing and
// never leak infinities.
func TestQuantilesUnknownExtremes(t *testing.T) {
	s := newPercentiles(t, time.Minute, time.Second, 0.001, 0.5, 0.999)
	vs := []float64{1, 2, 3, 4, 5}
	x := sampleOf(vs...)
	x.Min, x.Max = math.Inf(-1), math.Inf(1)
	s.AddHistogram(time.Second, x, histOf(counters.DefaultScale, vs...))
	for i, v := range s.Quantiles(time.Second, nil) {
		want := []float64{1, 3, 5}[i]
		if !v.OK || math.IsInf(v.V, 0) || relErr(v.V, want) > scaleBound(counters.DefaultScale) {
			t.Errorf("quantile %d = %+v, want about %v", i, v, want)
		}
	}
}

// Insert puts every value in a bucket that holds it, downscaling when the
// buckets of one sign would span more than 4096.
func TestHistogramInsert(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		scale := int32(r.IntN(31) - 10)
		v := math.Exp2(r.Float64()*200 - 100)
		if r.IntN(2) == 0 {
			v = -v
		}
		h := counters.Histogram{Scale: scale}
		h.Insert(v, 3)
		b := h.Positive
		if v < 0 {
			b = h.Negative
		}
		if len(b.Counts) != 1 || b.Counts[0] != 3 {
			t.Fatalf("Insert(%v, 3) at scale %d: %+v", v, scale, h)
		}
		lo := math.Exp2(math.Ldexp(float64(b.Offset), -int(scale)))
		hi := math.Exp2(math.Ldexp(float64(b.Offset+1), -int(scale)))
		if a := math.Abs(v); a <= lo*(1-1e-12) || a > hi*(1+1e-12) {
			t.Fatalf("Insert(%v) at scale %d: bucket %d is (%v, %v]", v, scale, b.Offset, lo, hi)
		}
	}
	h := counters.Histogram{Scale: 6}
	h.Insert(1, 1)
	h.Insert(0, 2)
	h.Insert(math.NaN(), 1)
	h.Insert(math.Inf(1), 1)
	h.Insert(5, 0)
	if h.ZeroCount != 2 || len(h.Positive.Counts) != 1 || len(h.Negative.Counts) != 0 || h.Scale != 6 {
		t.Errorf("zeros, NaN, infinity and n = 0: %+v", h)
	}
	// 1e-30 to 1e30 is 199 octaves: at scale 6 that is 12,756 buckets.
	h.Insert(1e-30, 1)
	h.Insert(1e30, 1)
	if h.Scale != 4 || len(h.Positive.Counts) > 4096 {
		t.Errorf("200 octaves: scale %d with %d buckets, want scale 4 (at most 4096 buckets)", h.Scale, len(h.Positive.Counts))
	}
	var total uint64
	for _, c := range h.Positive.Counts {
		total += c
	}
	if total != 3 {
		t.Errorf("downscaling lost counts: %d, want 3", total)
	}
}

func TestQuantileLabel(t *testing.T) {
	for q, want := range map[float64]string{
		0.5: "p50", 0.9: "p90", 0.99: "p99", 0.999: "p99_9", 0.9999: "p99_99", 0.25: "p25",
		0.05: "p5", 0.001: "p0_1", 0.125: "p12_5", 0.07: "p7", 0.1: "p10", 1e-7: "p0_00001",
	} {
		if got := counters.QuantileLabel(q); got != want {
			t.Errorf("QuantileLabel(%v) = %q, want %q", q, got, want)
		}
	}
}

func TestQuantilesDefinition(t *testing.T) {
	d, err := counters.Definition{Name: "lat", Kind: counters.Percentiles}.Normalized()
	if err != nil || !slices.Equal(d.Quantiles, []float64{0.5, 0.9, 0.99}) {
		t.Errorf("default quantiles: %v, %v", d.Quantiles, err)
	}
	in := []float64{0.99, 0.5, 0.99, 0.75}
	d, err = counters.Definition{Name: "lat", Kind: counters.Percentiles, Quantiles: in}.Normalized()
	if err != nil || !slices.Equal(d.Quantiles, []float64{0.5, 0.75, 0.99}) {
		t.Errorf("sorted and deduplicated: %v, %v", d.Quantiles, err)
	}
	if !slices.Equal(in, []float64{0.99, 0.5, 0.99, 0.75}) {
		t.Errorf("Normalized changed the caller's slice: %v", in)
	}
	// The defaults are fresh each time.
	counters.DefaultQuantiles()[0] = 0.1
	if counters.DefaultQuantiles()[0] != 0.5 {
		t.Error("DefaultQuantiles shares its slice")
	}
	for _, bad := range []float64{0, 1, -0.5, 1.5, math.NaN(), math.Inf(1)} {
		_, err := counters.Definition{Name: "lat", Kind: counters.Percentiles, Quantiles: []float64{0.5, bad}}.Normalized()
		if err == nil {
			t.Errorf("quantile %v accepted", bad)
		}
	}
	_, err = counters.Definition{Name: "lat", Kind: counters.Average, Quantiles: []float64{0.5}}.Normalized()
	if err == nil {
		t.Error("quantiles on an average counter accepted")
	}
	if k, err := counters.ParseKind("record"); err != nil || k != counters.Percentiles || !k.Windowed() || !k.NeedsValues() {
		t.Errorf("ParseKind(record) = %v, %v", k, err)
	}
}

func TestMergePercentiles(t *testing.T) {
	ok := func(v float64, n uint64) counters.Value { return counters.Value{V: v, OK: true, Count: n} }
	tests := []struct {
		vals []counters.Value
		want counters.Value
	}{
		{nil, counters.Value{}},
		{[]counters.Value{{}, {}}, counters.Value{}},
		{[]counters.Value{{}, ok(0.25, 4), {}}, ok(0.25, 4)}, // one process keeps its value
		{[]counters.Value{ok(0.25, 4), ok(0.5, 1)}, counters.Value{}},
	}
	for _, tt := range tests {
		if got := counters.Merge(counters.Percentiles, tt.vals...); got != tt.want {
			t.Errorf("Merge(percentiles, %+v) = %+v, want %+v", tt.vals, got, tt.want)
		}
	}
}

// A percentiles counter over a minute, fed every second with the interval's
// exponential histogram (what the SDK collects) and read at report time.
func ExampleSeries_Quantiles() {
	c, err := counters.New(counters.Definition{
		Name:      "request_time",
		Kind:      counters.Percentiles, // statvent's record
		Window:    time.Minute,
		Quantiles: []float64{0.5, 0.9, 0.99},
	}, time.Second, 0)
	if err != nil {
		panic(err)
	}
	s := c.NewSeries()
	// 100 requests of 10 ms to 1 s in the interval ending at 1 s.
	h := counters.Histogram{Scale: counters.DefaultScale}
	x := counters.Sample{Min: math.Inf(1), Max: math.Inf(-1)}
	for i := 1; i <= 100; i++ {
		v := float64(i) / 100
		h.Insert(v, 1)
		x.Count++
		x.Sum += v
		x.Min, x.Max = min(x.Min, v), max(x.Max, v)
	}
	s.AddHistogram(time.Second, x, h)

	for i, v := range s.Quantiles(time.Second, nil) {
		q := c.Definition().Quantiles[i]
		fmt.Printf("%s.%s %.2f\n", c.Name(), counters.QuantileLabel(q), v.V)
	}
	fmt.Printf("%s.%s %.3f\n", c.Name(), counters.MeanLabel, s.Value(time.Second).V)
	// Output:
	// request_time.p50 0.50
	// request_time.p90 0.90
	// request_time.p99 0.99
	// request_time.mean 0.505
}
