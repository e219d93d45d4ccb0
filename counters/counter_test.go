package counters_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// This file checks every kind against a brute-force reference that keeps
// every event, on thousands of seeded random traces. The test plays the
// owner: events are grouped into intervals ending at each tick k·tick (an
// event at exactly a tick time belongs to the interval ending there), and at
// every tick the interval's Sample is added to each series, skipping empty
// intervals as a real reader does. Values are multiples of 1/8 of moderate
// size, so every float sum is exact and the comparisons are exact.

// event is one measurement: when it happened and its value.
type event struct {
	at time.Duration
	v  float64
}

// trace is one random scenario: a counter layout, a registration time and
// the events of one or more series.
type trace struct {
	seed   uint64
	tick   time.Duration
	window time.Duration // as defined; the counter may round it up
	reg    time.Duration // registration time
	end    time.Duration // the last tick the owner feeds (a multiple of tick)
	events [][]event     // per series, sorted by time, all in (start, end]
	modes  []int         // per series, the value mode (for messages)
}

func (tr *trace) start() time.Duration { return tr.reg / tr.tick * tr.tick }

func (tr *trace) String() string {
	n := make([]int, len(tr.events))
	for i, e := range tr.events {
		n[i] = len(e)
	}
	return fmt.Sprintf("seed=%d tick=%v window=%v reg=%v end=%v events=%v modes=%v",
		tr.seed, tr.tick, tr.window, tr.reg, tr.end, n, tr.modes)
}

// Value modes of a series.
const (
	valuesNonNegative = iota // multiples of 1/8 in [0, 1000]
	valuesMixed              // multiples of 1/8 in [-1000, 1000]
	valuesSmallInts          // integers in [-3, 3]: many ties and zeros
	valuesConstant           // one value for the whole series
	valueModes
)

// genTrace returns the random trace of seed with nSeries series.
func genTrace(seed uint64, nSeries int) *trace {
	r := rand.New(rand.NewPCG(seed, 0x636f756e74657273))
	tr := &trace{seed: seed}
	ticks := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second}
	tr.tick = ticks[r.IntN(len(ticks))]
	tick := tr.tick
	const maxSlots = counters.MaxSlots
	switch r.IntN(8) {
	case 0, 1: // a few ticks: the edges matter most
		tr.window = tick * time.Duration(1+r.IntN(8))
	case 2: // up to a hundred ticks
		tr.window = tick * time.Duration(1+r.IntN(100))
	case 3: // one tick
		tr.window = tick
	case 4: // longer than MaxSlots ticks: slots of whole ticks that divide it
		for {
			tr.window = tick * time.Duration(maxSlots+1+r.IntN(2*maxSlots))
			if counters.CheckWindow(tr.window, tick) == nil {
				break
			}
		}
	case 5: // up to a third of MaxSlots ticks
		tr.window = tick * time.Duration(1+r.IntN(maxSlots/3))
	case 6: // a power of two seconds
		tr.tick = time.Duration(1+r.IntN(2)) * time.Second
		tick = tr.tick
		tr.window = time.Second << (4 + r.IntN(3)) // 16 s, 32 s, 64 s
	case 7: // exactly MaxSlots ticks, or half of it
		tr.window = tick * maxSlots >> r.IntN(2)
	}
	if r.IntN(3) > 0 {
		tr.reg = time.Duration(r.Int64N(int64(30*tick)/1e6)) * time.Millisecond
	}
	probe, err := counters.New(counters.Definition{Name: "probe", Kind: counters.Average, Window: tr.window}, tick, tr.reg)
	if err != nil {
		panic(err)
	}
	slot, w := probe.Slot(), probe.Window()
	start := tr.start()
	tr.end = start + tick*time.Duration(1+r.Int64N(2*int64(w/tick)+20))
	tr.events = make([][]event, nSeries)
	tr.modes = make([]int, nSeries)
	for s := range nSeries {
		nmax := []int{0, 3, 40, 250}[r.IntN(4)]
		n := r.IntN(nmax + 1)
		mode := r.IntN(valueModes)
		tr.modes[s] = mode
		c := float64(r.IntN(16001)-8000) / 8
		// Events fall in one to three ranges, leaving gaps (often longer
		// than the window) between them.
		type span struct{ a, b time.Duration } // (a, b]
		spans := make([]span, 1+r.IntN(3))
		for i := range spans {
			a := start + time.Duration(r.Int64N(int64(tr.end-start)))
			b := a + 1 + time.Duration(r.Int64N(int64(tr.end-a)))
			spans[i] = span{a, b}
		}
		evs := make([]event, 0, n)
		for range n {
			sp := spans[r.IntN(len(spans))]
			at := sp.a + 1 + time.Duration(r.Int64N(int64(sp.b-sp.a)))
			switch r.IntN(10) {
			case 0, 1, 2: // exactly at a tick: the interval ending there
				at = (at + tick - 1) / tick * tick
			case 3: // just after a tick: the next interval
				at = (at-1)/tick*tick + 1
			case 4: // exactly at a slot boundary
				if b := (at + slot - 1) / slot * slot; b <= tr.end {
					at = b
				}
			}
			var v float64
			switch mode {
			case valuesNonNegative:
				v = float64(r.IntN(8001)) / 8
			case valuesMixed:
				v = float64(r.IntN(16001)-8000) / 8
			case valuesSmallInts:
				v = float64(r.IntN(7) - 3)
			case valuesConstant:
				v = c
			}
			evs = append(evs, event{at, v})
		}
		slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.at, b.at) })
		for _, e := range evs {
			if e.at <= start || e.at > tr.end {
				panic(fmt.Sprintf("%v: event at %v outside (%v, %v]", tr, e.at, start, tr.end))
			}
		}
		tr.events[s] = evs
	}
	return tr
}

// agg is the brute-force reference over a set of events.
type agg struct {
	n       int
	sum     float64
	lo, hi  float64
	absSum  float64 // sum of |v|, for error bounds
	present bool
}

// agg aggregates the events of series s with time in (lo, hi].
func (tr *trace) agg(s int, lo, hi time.Duration) agg {
	evs := tr.events[s]
	i := sort.Search(len(evs), func(i int) bool { return evs[i].at > lo })
	a := agg{lo: math.Inf(1), hi: math.Inf(-1)}
	for ; i < len(evs) && evs[i].at <= hi; i++ {
		v := evs[i].v
		a.n++
		a.sum += v
		a.absSum += math.Abs(v)
		a.lo = math.Min(a.lo, v)
		a.hi = math.Max(a.hi, v)
	}
	a.present = a.n > 0
	return a
}

// owner feeds the series of a trace tick by tick, as a reader does.
type owner struct {
	tr   *trace
	next []int // per series, the first event not fed yet
	fed  time.Duration
	// Per series, the running reference of the kinds without a window.
	total []float64
	last  []float64
	seen  []bool
}

func newOwner(tr *trace) *owner {
	n := len(tr.events)
	return &owner{tr: tr, next: make([]int, n), fed: tr.start(),
		total: make([]float64, n), last: make([]float64, n), seen: make([]bool, n)}
}

// tick collects the interval ending at the next tick and calls add for
// every series that had events in it, with the interval's sample and its
// newest value. It returns false past the trace's end.
func (o *owner) tick(add func(s int, at time.Duration, x counters.Sample, newest float64)) bool {
	if o.fed >= o.tr.end {
		return false
	}
	at := o.fed + o.tr.tick
	for s, evs := range o.tr.events {
		j := o.next[s]
		x := counters.Sample{Min: math.Inf(1), Max: math.Inf(-1)}
		var newest float64
		for ; j < len(evs) && evs[j].at <= at; j++ {
			v := evs[j].v
			x.Count++
			x.Sum += v
			x.Min = math.Min(x.Min, v)
			x.Max = math.Max(x.Max, v)
			newest = v
		}
		o.next[s] = j
		if x.Count == 0 {
			continue // a reader hears nothing of an empty interval
		}
		o.total[s] += x.Sum
		o.last[s] = newest
		o.seen[s] = true
		add(s, at, x, newest)
	}
	o.fed = at
	return true
}

func feedSample(k counters.Kind, x counters.Sample, newest float64) counters.Sample {
	if k == counters.Last {
		return counters.Sample{Count: 1, Sum: newest}
	}
	return x
}

// edge returns the old edge of the window read at t: the window holds the
// intervals (and so the events) in (edge, t]. At whole slots edge is t−W; in
// between, it is the slot boundary above t minus W.
func edge(t, slot, w time.Duration) time.Duration {
	return (t+slot-1)/slot*slot - w
}

// want returns what a counter of kind k should read for the window
// reference a, the running references, and the covered time.
func want(k counters.Kind, a agg, total, last float64, seen bool, covered time.Duration) counters.Value {
	switch k {
	case counters.Event, counters.Total:
		return counters.Value{V: total, OK: seen}
	case counters.Last:
		return counters.Value{V: last, OK: seen}
	case counters.Average, counters.AverageTime, counters.Percentiles:
		// A percentiles counter's Value is its mean (its quantiles are
		// checked in percentile_test.go).
		if a.n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: a.sum / float64(a.n), OK: true, Count: uint64(a.n)}
	case counters.Frequency:
		if covered <= 0 {
			return counters.Value{OK: true}
		}
		return counters.Value{V: a.sum / covered.Seconds(), OK: true}
	case counters.WindowSum:
		return counters.Value{V: a.sum, OK: true}
	case counters.Count:
		return counters.Value{V: float64(a.n), OK: true, Count: uint64(a.n)}
	case counters.Max:
		if a.n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: a.hi, OK: true}
	case counters.Min:
		if a.n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: a.lo, OK: true}
	}
	panic("unknown kind " + k.String())
}

// refStats counts what the reference test exercised, so that it can fail
// when a case it claims to check never happened.
type refStats struct {
	traces, wideSlots                  int
	alignedReads, unalignedReads       int
	emptyWindows, fullWindows          int
	edgeDropped, edgeAboveLower        int
	idle, negativeMin, youngFrequency  int
	slotsInTicks, eventsAtTicks, reads int
}

// checkTrace runs one single-series trace against the reference; it
// reports the first mismatch and returns false.
func checkTrace(t *testing.T, tr *trace, st *refStats) bool {
	t.Helper()
	kinds := counters.Kinds()
	cs := make([]*counters.Counter, len(kinds))
	ss := make([]*counters.Series, len(kinds))
	empty := make([]*counters.Series, len(kinds)) // never fed
	for i, k := range kinds {
		c, err := counters.New(counters.Definition{Name: "c", Kind: k, Window: tr.window}, tr.tick, tr.reg)
		if err != nil {
			t.Fatalf("%v: New(%v): %v", tr, k, err)
		}
		cs[i], ss[i], empty[i] = c, c.NewSeries(), c.NewSeries()
	}
	avg := cs[counters.Average-1]
	slot, w := avg.Slot(), avg.Window()
	for i, c := range cs {
		if !kinds[i].Windowed() {
			if c.Slot() != 0 || c.Window() != 0 {
				t.Errorf("%v: %v has slot %v window %v, want none", tr, kinds[i], c.Slot(), c.Window())
				return false
			}
			continue
		}
		if c.Slot() != slot || c.Window() != w {
			t.Errorf("%v: %v has slot %v window %v, Average %v %v", tr, kinds[i], c.Slot(), c.Window(), slot, w)
			return false
		}
	}
	st.traces++
	if slot > tr.tick {
		st.wideSlots++
	}
	if w != tr.window {
		t.Errorf("%v: window %v, want the one defined", tr, w)
		return false
	}
	start := tr.start()
	o := newOwner(tr)
	r := rand.New(rand.NewPCG(tr.seed, 0x7265616473))

	// check reads every kind at t, when the owner has fed every interval
	// up to o.fed.
	check := func(t0 time.Duration) bool {
		st.reads++
		e := edge(t0, slot, w)
		aligned := t0%slot == 0
		a := tr.agg(0, e, o.fed)
		// Frequency divides by the time from the window's old edge (or the
		// counter's start) to t, and by at least a tick.
		covered := max(t0-max(e, start), tr.tick)
		if aligned {
			st.alignedReads++
			if e != t0-w {
				t.Errorf("%v: test model: edge %v at aligned %v", tr, e, t0)
				return false
			}
		} else {
			st.unalignedReads++
			// The documented bound: the window holds at least
			// (t−W+slot, t] and at most (t−W−slot, t]. In fact the edge
			// is strictly between t−W and t−W+slot.
			if !(t0-w < e && e < t0-w+slot) {
				t.Errorf("%v: test model: edge %v at %v outside (t-W, t-W+slot)", tr, e, t0)
				return false
			}
			got := ss[counters.Count-1].Value(t0)
			lower := tr.agg(0, t0-w+slot, o.fed).n
			exact := tr.agg(0, t0-w, o.fed).n
			upper := tr.agg(0, t0-w-slot, o.fed).n
			if n := int(got.V); !(lower <= n && n <= exact && exact <= upper) {
				t.Errorf("%v: count at unaligned %v = %v, want within [%d (t-W+slot,t], %d (t-W,t]] (at most %d in (t-W-slot,t])",
					tr, t0, got.V, lower, exact, upper)
				return false
			}
			if a.n < exact {
				st.edgeDropped++
			}
			if a.n > lower {
				st.edgeAboveLower++
			}
		}
		if a.n == 0 {
			st.emptyWindows++
		} else if e >= start {
			st.fullWindows++
		}
		if a.present && a.lo < 0 {
			st.negativeMin++
		}
		if e < start && a.n > 0 {
			st.youngFrequency++
		}
		twice := r.IntN(8) == 0
		for i, k := range kinds {
			got := ss[i].Value(t0)
			exp := want(k, a, o.total[0], o.last[0], o.seen[0], covered)
			if got != exp {
				t.Errorf("%v: %v.Value(%v) = %+v, want %+v (slot %v, window %v, events in (%v, %v]: n=%d sum=%v min=%v max=%v)",
					tr, k, t0, got, exp, slot, w, e, o.fed, a.n, a.sum, a.lo, a.hi)
				return false
			}
			if twice {
				if again := ss[i].Value(t0); again != got {
					t.Errorf("%v: %v.Value(%v) read twice: %+v then %+v", tr, k, t0, got, again)
					return false
				}
			}
			idle := ss[i].Idle(t0, w)
			if !k.Windowed() {
				if idle {
					t.Errorf("%v: %v series idle at %v", tr, k, t0)
					return false
				}
				continue
			}
			if idle {
				st.idle++
				// Forgetting an idle series loses nothing.
				if fresh := empty[i].Value(t0); got != fresh {
					t.Errorf("%v: %v idle at %v (for %v) but reads %+v, a fresh series %+v", tr, k, t0, w, got, fresh)
					return false
				}
			}
		}
		return true
	}

	if !check(start) {
		return false
	}
	for o.tick(func(s int, at time.Duration, x counters.Sample, newest float64) {
		if at%tr.tick != 0 {
			panic("interval not ending at a tick")
		}
		if tr.events[s][o.next[s]-1].at == at {
			st.eventsAtTicks++
		}
		for i, k := range kinds {
			ss[i].Add(at, feedSample(k, x, newest))
		}
	}) {
		if slot > tr.tick && o.fed%slot != 0 {
			st.slotsInTicks++
		}
		// Half the whole slots, at random; now and then a tick inside a slot
		// (by the edge model) and a time between ticks, before the next
		// interval is fed.
		if (o.fed%slot == 0 && r.IntN(2) == 0 || r.IntN(20) == 0) && !check(o.fed) {
			return false
		}
		if r.IntN(20) == 0 && !check(o.fed+1+time.Duration(r.Int64N(int64(tr.tick-1)))) {
			return false
		}
	}
	// After the last event, without further samples, up to and past the
	// window's end.
	for _, d := range []time.Duration{slot, w / 2, w - slot, w, w + 1, w + slot, 3 * w} {
		if d > 0 && !check(tr.end+d) {
			return false
		}
	}
	return true
}

func TestValuesMatchReference(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	var st refStats
	failed := 0
	for seed := range uint64(n) {
		if !checkTrace(t, genTrace(seed, 1), &st) {
			if failed++; failed == 5 {
				t.Fatal("too many failing traces")
			}
		}
	}
	t.Logf("%+v", st)
	// The test claims to cover these; make sure the traces did.
	for name, v := range map[string]int{
		"traces with slots wider than a tick":               st.wideSlots,
		"reads at whole slots":                              st.alignedReads,
		"reads between slots":                               st.unalignedReads,
		"empty windows":                                     st.emptyWindows,
		"full windows":                                      st.fullWindows,
		"unaligned reads that lost events of (t-W, t]":      st.edgeDropped,
		"unaligned reads with more than (t-W+slot, t]":      st.edgeAboveLower,
		"idle series":                                       st.idle,
		"negative minima":                                   st.negativeMin,
		"frequencies of counters younger than their window": st.youngFrequency,
		"ticks inside a slot":                               st.slotsInTicks,
		"events exactly at a tick":                          st.eventsAtTicks,
	} {
		if v < 10 {
			t.Errorf("only %d cases of %s", v, name)
		}
	}
}

// newSeries returns a fresh series of a counter of kind k with window w,
// tick 1 s, registered at 0.
func newSeries(t *testing.T, k counters.Kind, w time.Duration) *counters.Series {
	t.Helper()
	c, err := counters.New(counters.Definition{Name: "t", Kind: k, Window: w}, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c.NewSeries()
}

func sec(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

func TestWindowEdges(t *testing.T) {
	// 10 s window, 1 s tick: slots of 1 s.
	s := newSeries(t, counters.WindowSum, 10*time.Second)
	s.Add(sec(1), counters.Sample{Count: 1, Sum: 1})
	s.Add(sec(5), counters.Sample{Count: 1, Sum: 2})
	s.Add(sec(10), counters.Sample{Count: 1, Sum: 4})
	for _, tt := range []struct {
		at   time.Duration
		want float64
	}{
		{0, 0},
		{sec(1), 1},
		{sec(10), 7},
		{sec(10.5), 6}, // between slots the old edge is the slot boundary above t minus W: (1, 10.5]
		{sec(11), 6},   // the interval ending at 1 s is exactly W old: gone
		{sec(14), 6},
		{sec(14.001), 4}, // (5, 14.001]: the 5 s interval has left a little early
		{sec(15), 4},
		{sec(19), 4},
		{sec(20), 0},
		{sec(1000), 0},
		{sec(5), 3}, // reading the past is allowed: the slots still there
	} {
		if got := s.Value(tt.at); got != (counters.Value{V: tt.want, OK: true}) {
			t.Errorf("window sum at %v = %+v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestAddOrder(t *testing.T) {
	s := newSeries(t, counters.Count, 10*time.Second)
	s.Add(sec(20), counters.Sample{Count: 1})
	// Two samples at one time add up.
	s.Add(sec(20), counters.Sample{Count: 2})
	if v := s.Value(sec(20)); v.V != 3 {
		t.Fatalf("count = %v, want 3", v.V)
	}
	// A sample older than the window is ignored...
	s.Add(sec(10), counters.Sample{Count: 100})
	s.Add(sec(5), counters.Sample{Count: 100})
	if v := s.Value(sec(20)); v.V != 3 {
		t.Fatalf("count after adding samples older than the window = %v, want 3", v.V)
	}
	// ... one inside it still counts.
	s.Add(sec(11), counters.Sample{Count: 4})
	if v := s.Value(sec(20)); v.V != 7 {
		t.Fatalf("count = %v, want 7", v.V)
	}
	if v := s.Value(sec(21)); v.V != 3 {
		t.Fatalf("count at 21 s = %v, want 3", v.V)
	}
}

// Counter instruments give samples with a sum and no count: they count for
// the kinds that add up sums. A sample with neither changes nothing.
func TestAddSumWithoutCount(t *testing.T) {
	for _, tt := range []struct {
		k    counters.Kind
		want counters.Value
	}{
		{counters.Event, counters.Value{V: 5, OK: true}},
		{counters.Total, counters.Value{V: 5, OK: true}},
		{counters.WindowSum, counters.Value{V: 5, OK: true}},
		{counters.Frequency, counters.Value{V: 2.5, OK: true}},
		{counters.Last, counters.Value{V: 5, OK: true}},
		{counters.Count, counters.Value{OK: true}},
	} {
		s := newSeries(t, tt.k, time.Minute)
		s.Add(sec(1), counters.Sample{})
		if v, empty := s.Value(sec(2)), newSeries(t, tt.k, time.Minute).Value(sec(2)); v != empty {
			t.Errorf("%v: an empty sample changed the value to %+v, want %+v", tt.k, v, empty)
		}
		if !s.Idle(sec(2), 0) && tt.k.Windowed() {
			t.Errorf("%v: an empty sample made the series active", tt.k)
		}
		s.Add(sec(2), counters.Sample{Sum: 5})
		if v := s.Value(sec(2)); v != tt.want {
			t.Errorf("%v: after Sample{Sum: 5}: %+v, want %+v", tt.k, v, tt.want)
		}
	}
}

// Min and Max of a sample are meaningful only when it counts measurements.
func TestMinMaxIgnoreSamplesWithoutCount(t *testing.T) {
	for _, k := range []counters.Kind{counters.Max, counters.Min} {
		s := newSeries(t, k, time.Minute)
		s.Add(sec(1), counters.Sample{Sum: 5})
		if v := s.Value(sec(1)); v.OK {
			t.Errorf("%v after a sample without measurements = %+v, want none", k, v)
		}
		s.Add(sec(2), counters.Sample{Count: 1, Sum: -3, Min: -3, Max: -3})
		s.Add(sec(3), counters.Sample{Sum: 5})
		if v := s.Value(sec(3)); v != (counters.Value{V: -3, OK: true}) {
			t.Errorf("%v = %+v, want -3", k, v)
		}
	}
}

func TestTotals(t *testing.T) {
	for _, k := range []counters.Kind{counters.Event, counters.Total} {
		s := newSeries(t, k, 0)
		if v := s.Value(0); v.OK {
			t.Errorf("%v before any event = %+v, want none", k, v)
		}
		// A measured zero is an event: the total is 0, not none.
		s.Add(sec(1), counters.Sample{Count: 1})
		if v := s.Value(sec(1)); v != (counters.Value{OK: true}) {
			t.Errorf("%v after a zero = %+v, want 0", k, v)
		}
		s.Add(sec(2), counters.Sample{Count: 2, Sum: 2.5})
		s.Add(sec(1e6), counters.Sample{Count: 1, Sum: -0.5})
		for _, at := range []time.Duration{sec(1e6), sec(1e9), 0} {
			if v := s.Value(at); v != (counters.Value{V: 2, OK: true}) {
				t.Errorf("%v at %v = %+v, want 2 (no window)", k, at, v)
			}
		}
	}
	s := newSeries(t, counters.Last, 0)
	s.Add(sec(1), counters.Sample{Count: 1, Sum: 7})
	s.Add(sec(2), counters.Sample{Count: 1, Sum: 0})
	if v := s.Value(sec(1e9)); v != (counters.Value{OK: true}) {
		t.Errorf("last = %+v, want 0 (the newest, kept forever)", v)
	}
}

// Frequency divides by the whole window once the counter is older than it,
// and by the time since the beginning of its first interval before.
func TestFrequencyYoung(t *testing.T) {
	c, err := counters.New(counters.Definition{Name: "f", Kind: counters.Frequency, Window: 10 * time.Second}, time.Second, sec(20.5))
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewSeries()
	for _, tt := range []struct {
		at   time.Duration
		add  float64 // events in the interval ending at, fed before reading
		want float64
	}{
		{sec(20), 0, 0},
		{sec(20.25), 0, 0},
		{sec(20.5), 0, 0},
		{sec(21), 12, 12},        // 12 events in the first second (20, 21]
		{sec(21.5), 0, 12 / 1.5}, // between ticks, young: the time since the start
		{sec(22), 0, 6},          // 12 in 2 s
		{sec(23), 6, 6},          // 18 in 3 s
		{sec(30), 0, 1.8},        // 18 in the whole window
		{sec(31), 0, 0.6},        // the first interval has left
		{sec(31.5), 0, 6 / 9.5},  // between ticks: (22, 31.5], 9.5 s
		{sec(33), 0, 0},          // so has the second
		{sec(1000), 0, 0},        // long idle
	} {
		if tt.add > 0 {
			s.Add(tt.at, counters.Sample{Count: uint64(tt.add), Sum: tt.add})
		}
		if v := s.Value(tt.at); v != (counters.Value{V: tt.want, OK: true}) {
			t.Errorf("frequency at %v = %+v, want %v", tt.at, v, tt.want)
		}
	}
}

func TestIdle(t *testing.T) {
	c, err := counters.New(counters.Definition{Name: "i", Kind: counters.Average, Window: 300 * time.Second}, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Slot() != time.Second {
		t.Fatalf("slot %v", c.Slot())
	}
	s := c.NewSeries()
	if !s.Idle(0, time.Hour) {
		t.Error("a series that never had data is not idle")
	}
	s.Add(sec(12), counters.Sample{Count: 1, Sum: 1, Min: 1, Max: 1})
	// Idle time counts from the end of the slot that holds the data (12 s),
	// so a series is never forgotten early.
	for _, tt := range []struct {
		at, d time.Duration
		want  bool
	}{
		{sec(12), 0, false},
		{sec(12) + 1, 0, true},
		{sec(312), 300 * time.Second, false},
		{sec(312) + 1, 300 * time.Second, true},
	} {
		if got := s.Idle(tt.at, tt.d); got != tt.want {
			t.Errorf("Idle(%v, %v) = %v, want %v", tt.at, tt.d, got, tt.want)
		}
	}
	// Once idle for a window, the series reads as a new one. (It is empty
	// earlier: the 12 s interval is in the window up to 311 s.)
	for at, ok := range map[time.Duration]bool{sec(311): true, sec(311) + 1: false, sec(312) + 1: false} {
		if v := s.Value(at); v.OK != ok {
			t.Errorf("value at %v = %+v, want OK %v", at, v, ok)
		}
	}
	for _, k := range []counters.Kind{counters.Event, counters.Total, counters.Last} {
		s := newSeries(t, k, 0)
		if s.Idle(sec(1e9), 0) {
			t.Errorf("%v: an empty series is idle; totals are never forgotten", k)
		}
		s.Add(sec(1), counters.Sample{Count: 1, Sum: 1})
		if s.Idle(sec(1e9), time.Second) {
			t.Errorf("%v: series idle", k)
		}
	}
}

// A counter read in its first moments divides by at least one tick: two
// events just after the start read 2 per second, not 200.
func TestFrequencyNoYoungSpike(t *testing.T) {
	s := newSeries(t, counters.Frequency, 5*time.Minute)
	s.Add(sec(0.01), counters.Sample{Count: 2, Sum: 2})
	for _, at := range []time.Duration{sec(0.003), sec(0.01), sec(0.5), sec(1)} {
		if v := s.Value(at); v != (counters.Value{V: 2, OK: true}) {
			t.Errorf("frequency at %v = %+v, want 2 (two events over one tick)", at, v)
		}
	}
	if v := s.Value(sec(2)); v != (counters.Value{V: 1, OK: true}) {
		t.Errorf("frequency at 2 s = %+v, want 1", v)
	}
}

// A steady rate reads true at any time, between ticks too: the window
// divides by the time its slots cover. (A window of one tick, read between
// ticks, covers less than a tick and is divided by one: it reads low, as a
// counter in its first tick does.)
func TestFrequencySteadyUnaligned(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		tick := time.Duration(1+r.IntN(5)) * time.Second
		w := tick * time.Duration(2+r.IntN(120))
		c, err := counters.New(counters.Definition{Name: "f", Kind: counters.Frequency, Window: w}, tick, 0)
		if err != nil {
			t.Fatal(err)
		}
		s := c.NewSeries()
		const rate = 10.0 // per second; each interval adds rate × its length
		var fed time.Duration
		feed := func(to time.Duration) {
			if to > fed {
				s.Add(to, counters.Sample{Count: 1, Sum: rate * (to - fed).Seconds()})
				fed = to
			}
		}
		end := tick * time.Duration(1+r.IntN(int(3*w/tick)+3))
		for at := tick; at <= end; at += tick { // from the first tick on
			feed(at)
			// A report between this tick and the next collects first.
			rep := at + time.Duration(r.Int64N(int64(tick)))
			feed(rep)
			if v := s.Value(rep); math.Abs(v.V-rate) > rate*1e-9 {
				t.Fatalf("window %v tick %v: frequency at %v = %v, want %v", w, tick, rep, v.V, rate)
			}
		}
	}
}
