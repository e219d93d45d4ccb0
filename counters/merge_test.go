package counters_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// mergeStats counts what the merge property test exercised.
type mergeStats struct {
	reads, someEmpty, allEmpty       int
	exactAverages, boundedAverages   int
	exactFrequencies, boundedFreqs   int
	multiSeries, nonEmptyMultiSeries int
}

// TestMergeMatchesOneSeries checks that merging the values of N series
// gives the value of one series fed all their samples (two samples at one
// tick add up): exactly for sums, counts, minima, maxima and totals, and for
// averages and frequencies whenever the division of each part is exact;
// within a few ulps otherwise.
func TestMergeMatchesOneSeries(t *testing.T) {
	n := 700
	if testing.Short() {
		n = 70
	}
	var st mergeStats
	failed := 0
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 0x6d65726765))
		tr := genTrace(1_000_000+seed, 1+r.IntN(5))
		if !checkMerge(t, tr, r, &st) {
			if failed++; failed == 5 {
				t.Fatal("too many failing traces")
			}
		}
	}
	t.Logf("%+v", st)
	for name, v := range map[string]int{
		"reads with an empty series":                      st.someEmpty,
		"reads with every series empty":                   st.allEmpty,
		"exact merged averages of several parts":          st.exactAverages,
		"merged averages of several parts within a bound": st.boundedAverages,
		"exact merged frequencies":                        st.exactFrequencies,
		"merged frequencies within a bound":               st.boundedFreqs,
		"reads of several non-empty series":               st.nonEmptyMultiSeries,
		"reads of several series (any values)":            st.multiSeries,
	} {
		if v < 10 {
			t.Errorf("only %d cases of %s", v, name)
		}
	}
}

func checkMerge(t *testing.T, tr *trace, r *rand.Rand, st *mergeStats) bool {
	t.Helper()
	kinds := counters.Kinds()
	nSeries := len(tr.events)
	cs := make([]*counters.Counter, len(kinds))
	parts := make([][]*counters.Series, len(kinds)) // per kind, one series per part
	union := make([]*counters.Series, len(kinds))   // per kind, fed every part
	for i, k := range kinds {
		c, err := counters.New(counters.Definition{Name: "m", Kind: k, Window: tr.window}, tr.tick, tr.reg)
		if err != nil {
			t.Fatalf("%v: %v", tr, err)
		}
		cs[i], union[i] = c, c.NewSeries()
		for range nSeries {
			parts[i] = append(parts[i], c.NewSeries())
		}
	}
	slot, w := cs[counters.Average-1].Slot(), cs[counters.Average-1].Window()
	start := tr.start()
	o := newOwner(tr)
	vals := make([]counters.Value, nSeries)
	rev := make([]counters.Value, nSeries)
	aggs := make([]agg, nSeries)
	const eps = 0x1p-52

	check := func(t0 time.Duration) bool {
		st.reads++
		e := edge(t0, slot, w)
		covered := min(w, t0-start)
		abs := 0.0 // sum of |v| over the window's events, for error bounds
		for s := range nSeries {
			aggs[s] = tr.agg(s, e, o.fed)
			abs += aggs[s].absSum
		}
		for i, k := range kinds {
			empty := 0
			for s := range nSeries {
				vals[s] = parts[i][s].Value(t0)
				if !vals[s].OK {
					empty++
				}
			}
			if k == counters.Average {
				if empty > 0 {
					st.someEmpty++
				}
				if empty == nSeries {
					st.allEmpty++
				}
				if nSeries > 1 {
					st.multiSeries++
					if nSeries-empty > 1 {
						st.nonEmptyMultiSeries++
					}
				}
			}
			got := counters.Merge(k, vals...)
			var exp counters.Value
			if k == counters.Last {
				// Last values add up, like statvent's summed gauges.
				for s := range nSeries {
					if o.seen[s] {
						exp.V += o.last[s]
						exp.OK = true
					}
				}
			} else {
				exp = union[i].Value(t0)
			}
			switch k {
			case counters.Average, counters.AverageTime:
				if got.OK != exp.OK || got.Count != exp.Count {
					t.Errorf("%v: at %v Merge(%v, %+v) = %+v, one series reads %+v", tr, t0, k, vals, got, exp)
					return false
				}
				// Exact when every part's mean times its count gives its
				// sum back (a constant series, a power-of-two count...).
				exact := true
				for s, a := range aggs {
					if uint64(a.n) != vals[s].Count {
						t.Errorf("%v: at %v part %d of %v counts %d, reference %d", tr, t0, s, k, vals[s].Count, a.n)
						return false
					}
					if a.n > 0 && vals[s].V*float64(vals[s].Count) != a.sum {
						exact = false
					}
				}
				if !exp.OK {
					break
				}
				if exact {
					if k == counters.Average && nSeries-empty > 1 {
						st.exactAverages++
					}
					if got.V != exp.V {
						t.Errorf("%v: at %v Merge(%v, %+v) = %+v, one series reads %+v (exact)", tr, t0, k, vals, got, exp)
						return false
					}
				} else {
					if k == counters.Average && nSeries-empty > 1 {
						st.boundedAverages++
					}
					tol := float64(nSeries+3) * eps * (abs/float64(exp.Count) + math.Abs(exp.V))
					if math.Abs(got.V-exp.V) > tol {
						t.Errorf("%v: at %v Merge(%v, %+v) = %+v, one series reads %+v (off by %g > %g)",
							tr, t0, k, vals, got, exp, got.V-exp.V, tol)
						return false
					}
				}
			case counters.Frequency:
				if got.OK != exp.OK || got.Count != exp.Count || !got.OK {
					t.Errorf("%v: at %v Merge(%v, %+v) = %+v, one series reads %+v", tr, t0, k, vals, got, exp)
					return false
				}
				// Exact when the covered time is a power of two seconds.
				if frac, _ := math.Frexp(covered.Seconds()); covered <= 0 || frac == 0.5 {
					st.exactFrequencies++
					if got.V != exp.V {
						t.Errorf("%v: at %v (covered %v) Merge(%v, %+v) = %+v, one series reads %+v (exact)", tr, t0, covered, k, vals, got, exp)
						return false
					}
				} else {
					st.boundedFreqs++
					tol := float64(nSeries+2) * eps * (abs/covered.Seconds() + math.Abs(exp.V))
					if math.Abs(got.V-exp.V) > tol {
						t.Errorf("%v: at %v Merge(%v, %+v) = %+v, one series reads %+v (off by %g > %g)",
							tr, t0, k, vals, got, exp, got.V-exp.V, tol)
						return false
					}
				}
			case counters.Percentiles:
				// The one part that has a value keeps it; several give
				// none, since quantiles do not merge.
				want := counters.Value{}
				if nSeries-empty == 1 {
					want = exp
				}
				if got != want {
					t.Errorf("%v: at %v Merge(%v, %+v) = %+v, want %+v (%d of %d parts empty)", tr, t0, k, vals, got, want, empty, nSeries)
					return false
				}
			default:
				if got != exp {
					t.Errorf("%v: at %v Merge(%v, %+v) = %+v, one series reads %+v", tr, t0, k, vals, got, exp)
					return false
				}
				// The order of the parts does not matter.
				rev = append(rev[:0], vals...)
				slices.Reverse(rev)
				if again := counters.Merge(k, rev...); again != got {
					t.Errorf("%v: at %v Merge(%v) depends on the order: %+v, reversed %+v", tr, t0, k, got, again)
					return false
				}
			}
		}
		return true
	}

	for o.tick(func(s int, at time.Duration, x counters.Sample, newest float64) {
		for i, k := range kinds {
			x := feedSample(k, x, newest)
			parts[i][s].Add(at, x)
			union[i].Add(at, x)
		}
	}) {
		if (o.fed%slot == 0 && r.IntN(2) == 0 || r.IntN(20) == 0) && !check(o.fed) {
			return false
		}
	}
	for _, d := range []time.Duration{tr.tick, w - slot, w, w + slot} {
		if d > 0 && !check(tr.end+d) {
			return false
		}
	}
	return true
}

func TestMergeEmpty(t *testing.T) {
	zero := counters.Value{OK: true}
	want := map[counters.Kind]counters.Value{
		counters.Event:       {},
		counters.Total:       {},
		counters.Average:     {},
		counters.AverageTime: {},
		counters.Frequency:   zero,
		counters.WindowSum:   zero,
		counters.Max:         {},
		counters.Min:         {},
		counters.Count:       zero,
		counters.Last:        {},
		counters.Percentiles: {},
	}
	if len(want) != len(counters.Kinds()) {
		t.Fatalf("table covers %d kinds of %d", len(want), len(counters.Kinds()))
	}
	for _, k := range counters.Kinds() {
		for _, vals := range [][]counters.Value{
			nil,
			{{}},
			// Empty values are skipped, whatever else they hold.
			{{V: 3, Count: 2}, {V: math.Inf(1)}, {V: -1, Count: 1}},
		} {
			if got := counters.Merge(k, vals...); got != want[k] {
				t.Errorf("Merge(%v, %+v) = %+v, want %+v", k, vals, got, want[k])
			}
		}
		// An empty series' value merges to the same.
		c, err := counters.New(counters.Definition{Name: "e", Kind: k}, time.Second, 0)
		if err != nil {
			t.Fatal(err)
		}
		v := c.NewSeries().Value(time.Hour)
		if got := counters.Merge(k, v, v); got != want[k] || v != want[k] {
			t.Errorf("%v: an empty series reads %+v; two merge to %+v; want %+v", k, v, got, want[k])
		}
	}
}

func TestMergeTable(t *testing.T) {
	ok := func(v float64) counters.Value { return counters.Value{V: v, OK: true} }
	okN := func(v float64, n uint64) counters.Value { return counters.Value{V: v, OK: true, Count: n} }
	tests := []struct {
		name string
		k    counters.Kind
		in   []counters.Value
		want counters.Value
	}{
		{"average weighted by count", counters.Average, []counters.Value{okN(0.5, 2), okN(2, 1)}, okN(1, 3)},
		{"average time weighted by count", counters.AverageTime, []counters.Value{okN(0.25, 3), {}, okN(1.25, 1)}, okN(0.5, 4)},
		{"average skips empty values", counters.Average, []counters.Value{{V: 100, Count: 4}, okN(1, 1)}, okN(1, 1)},
		{"average skips weightless values", counters.Average, []counters.Value{ok(5), okN(-1, 2)}, okN(-1, 2)},
		{"average of one", counters.Average, []counters.Value{okN(-0.125, 7)}, okN(-0.125, 7)},
		{"max of negatives", counters.Max, []counters.Value{ok(-5), ok(-3), {}}, ok(-3)},
		{"max skips empty values", counters.Max, []counters.Value{{V: 100}, ok(-1)}, ok(-1)},
		{"max of zero", counters.Max, []counters.Value{ok(0), ok(-1)}, ok(0)},
		{"min", counters.Min, []counters.Value{ok(2), ok(-1), {V: -100}}, ok(-1)},
		{"min of positives", counters.Min, []counters.Value{{}, ok(7), ok(3)}, ok(3)},
		{"window sum", counters.WindowSum, []counters.Value{ok(1.5), ok(-0.5), {V: 9}}, ok(1)},
		{"window sum of zeros", counters.WindowSum, []counters.Value{ok(0), ok(0)}, ok(0)},
		{"frequency", counters.Frequency, []counters.Value{ok(0.5), ok(0.25), {}}, ok(0.75)},
		{"count", counters.Count, []counters.Value{okN(3, 3), okN(2, 2), okN(0, 0)}, okN(5, 5)},
		{"event", counters.Event, []counters.Value{{}, ok(2)}, ok(2)},
		{"total", counters.Total, []counters.Value{ok(2), ok(-2)}, ok(0)},
		{"last adds up", counters.Last, []counters.Value{ok(1), ok(2), {V: 5}}, ok(3)},
	}
	for _, tt := range tests {
		if got := counters.Merge(tt.k, tt.in...); got != tt.want {
			t.Errorf("%s: Merge(%v, %+v) = %+v, want %+v", tt.name, tt.k, tt.in, got, tt.want)
		}
	}
}
