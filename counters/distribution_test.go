package counters_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// The windows of several series (processes) merge into the distribution of
// one series that heard every interval: equal quantiles, count and
// extremes; and the encoding round-trips.
func TestMergeDistributions(t *testing.T) {
	qs := []float64{0.01, 0.5, 0.9, 0.99, 0.999}
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 3))
		def := counters.Definition{Name: "p", Kind: counters.Percentiles, Window: 20 * time.Second, Quantiles: qs}
		c, err := counters.New(def, time.Second, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 1 + r.IntN(5)
		parts := make([]*counters.Series, n)
		for i := range parts {
			parts[i] = c.NewSeries()
		}
		all := c.NewSeries()
		decades := []float64{1, 3, 6, 9}[r.IntN(4)]
		end := time.Duration(5+r.IntN(60)) * time.Second
		for at := time.Second; at <= end; at += time.Second {
			var sum counters.Sample
			hAll := counters.Histogram{Scale: counters.DefaultScale}
			sum.Min, sum.Max = math.Inf(1), math.Inf(-1)
			for i, s := range parts {
				if r.IntN(3) == 0 {
					continue
				}
				h := counters.Histogram{Scale: counters.DefaultScale}
				x := counters.Sample{Min: math.Inf(1), Max: math.Inf(-1)}
				for range r.IntN(50) {
					v := 1e-6 * math.Pow(10, decades*r.Float64())
					if i == 0 && r.IntN(10) == 0 {
						v = -v
					}
					h.Insert(v, 1)
					hAll.Insert(v, 1)
					x.Count++
					x.Sum += v
					x.Min, x.Max = min(x.Min, v), max(x.Max, v)
				}
				if x.Count == 0 {
					continue
				}
				s.AddHistogram(at, x, h)
				sum.Count += x.Count
				sum.Sum += x.Sum
				sum.Min, sum.Max = min(sum.Min, x.Min), max(sum.Max, x.Max)
			}
			if sum.Count > 0 {
				all.AddHistogram(at, sum, hAll)
			}
		}
		read := end - time.Duration(r.IntN(2))*500*time.Millisecond
		ds := make([]counters.Distribution, n)
		for i, s := range parts {
			ds[i] = s.Distribution(read)
			back, err := counters.ParseDistribution(ds[i].AppendBinary(nil))
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if !sameDistribution(back, ds[i]) {
				t.Fatalf("seed %d: round trip %+v, want %+v", seed, back, ds[i])
			}
			ds[i] = back
		}
		got := counters.MergeDistributions(ds...)
		want := all.Distribution(read)
		if got.Count != want.Count || got.Min != want.Min || got.Max != want.Max {
			t.Fatalf("seed %d: merged count %d [%v, %v], one series %d [%v, %v]", seed, got.Count, got.Min, got.Max, want.Count, want.Min, want.Max)
		}
		gq, wq := got.Quantiles(qs, nil), want.Quantiles(qs, nil)
		bound := math.Exp2(1.0/128) - 1
		if got.Scale < counters.DefaultScale {
			bound = math.Exp2(math.Ldexp(0.5, -int(got.Scale))) - 1
		}
		for i := range qs {
			// The same buckets give the same values; a histogram built
			// over all values at once may be a scale lower.
			if got.Scale == want.Scale && gq[i] != wq[i] || gq[i].OK != wq[i].OK || math.Abs(gq[i].V-wq[i].V) > 2*bound*math.Abs(wq[i].V) {
				t.Fatalf("seed %d: q%v merged %+v, one series %+v", seed, qs[i], gq[i], wq[i])
			}
		}
	}
}

func sameDistribution(a, b counters.Distribution) bool {
	trim := func(d counters.Distribution) counters.Distribution {
		d.Positive.Counts = trimZeros(&d.Positive)
		d.Negative.Counts = trimZeros(&d.Negative)
		if len(d.Positive.Counts) == 0 {
			d.Positive = counters.Buckets{}
		}
		if len(d.Negative.Counts) == 0 {
			d.Negative = counters.Buckets{}
		}
		return d
	}
	return reflect.DeepEqual(trim(a), trim(b))
}

func trimZeros(b *counters.Buckets) []uint64 {
	c := b.Counts
	for len(c) > 0 && c[0] == 0 {
		c = c[1:]
		b.Offset++
	}
	for len(c) > 0 && c[len(c)-1] == 0 {
		c = c[:len(c)-1]
	}
	return c
}

// Corrupt or hostile encodings are errors, never panics or huge
// allocations; what parses encodes back to itself.
func FuzzParseDistribution(f *testing.F) {
	h := counters.Histogram{Scale: 6}
	for _, v := range []float64{0.001, 0.5, -3, 0, 1e6} {
		h.Insert(v, 2)
	}
	f.Add(counters.Distribution{Histogram: h, Count: 10, Min: -3, Max: 1e6}.AppendBinary(nil))
	f.Add(counters.Distribution{Min: math.Inf(1), Max: math.Inf(-1)}.AppendBinary(nil))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := counters.ParseDistribution(b)
		if err != nil {
			return
		}
		if len(d.Positive.Counts) > 4096 || len(d.Negative.Counts) > 4096 {
			t.Fatalf("%d and %d buckets", len(d.Positive.Counts), len(d.Negative.Counts))
		}
		again, err := counters.ParseDistribution(d.AppendBinary(nil))
		if err != nil || !sameDistribution(again, d) {
			t.Fatalf("re-encoding: %v, %+v vs %+v", err, again, d)
		}
		_ = d.Quantiles([]float64{0.5, 0.99}, nil)
		_ = counters.MergeDistributions(d, d)
	})
}
