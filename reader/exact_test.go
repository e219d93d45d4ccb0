package reader_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// event is one measurement of the reference trace: its series, its value and
// the time it was recorded.
type event struct {
	series string // "" or an attribute value
	v      float64
	at     time.Duration
}

// refWindow is the brute-force reading of one series' events at time at,
// for a window whose old edge is edge: the events recorded in (edge, at].
type refWindow struct {
	n, sum, counted float64 // counted: +1 per event (what timed counting kinds add)
	lo, hi          float64
	values          []float64
	total, totalN   float64 // since the start, for event and total
	seen            bool
	last            float64
}

func refRead(events []event, series string, edge, at time.Duration) refWindow {
	w := refWindow{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, e := range events {
		if e.series != series || e.at > at {
			continue
		}
		w.seen = true
		w.total += e.v
		w.totalN++
		w.last = e.v
		if e.at <= edge {
			continue
		}
		w.n++
		w.sum += e.v
		w.counted++
		w.lo, w.hi = min(w.lo, e.v), max(w.hi, e.v)
		w.values = append(w.values, e.v)
	}
	return w
}

// reference is what a counter of kind k must read, by the documented
// semantics: the window at R holds the events recorded in (⌈R/s⌉·s − W, R]
// for slot width s (the tick, for windows of at most MaxSlots ticks), and
// Frequency divides by R minus that edge (or the counter's start, when
// later), but by at least a tick.
func reference(k counters.Kind, counting bool, w refWindow, covered time.Duration) counters.Value {
	sum := w.sum
	if counting {
		sum = w.counted
	}
	switch k {
	case counters.Event:
		if counting {
			return counters.Value{V: w.totalN, OK: w.seen}
		}
		return counters.Value{V: w.total, OK: w.seen}
	case counters.Total:
		return counters.Value{V: w.total, OK: w.seen}
	case counters.Last:
		return counters.Value{V: w.last, OK: w.seen}
	case counters.Average, counters.AverageTime:
		if w.n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: w.sum / w.n, OK: true}
	case counters.Count:
		return counters.Value{V: w.n, OK: true}
	case counters.WindowSum:
		return counters.Value{V: sum, OK: true}
	case counters.Frequency:
		return counters.Value{V: sum / covered.Seconds(), OK: true}
	case counters.Max:
		if w.n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: w.hi, OK: true}
	case counters.Min:
		if w.n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: w.lo, OK: true}
	}
	panic("no reference for " + k.String())
}

// nearestRank is the exact quantile q of sorted values: the value of rank
// ⌈q·n⌉.
func nearestRank(sorted []float64, q float64) float64 {
	r := int(math.Ceil(q*float64(len(sorted)) - 1e-9))
	return sorted[min(max(r, 1), len(sorted))-1]
}

type exactCase struct {
	tick, window time.Duration
	reg          time.Duration // when the counters are registered
	seed         uint64
}

func (c exactCase) String() string {
	return fmt.Sprintf("seed=%d,tick=%v,window=%v,reg=%v", c.seed, c.tick, c.window, c.reg)
}

// Seeded random traces recorded through the real SDK on a simulated clock,
// with events at random times, ticks at every multiple of the tick and
// reports at random times — on ticks and between them, while the counters
// are younger than their window and long after — compared with the
// brute-force reference for every kind. Values are binary fractions, so
// sums are exact and so must every figure be; quantiles are within the
// bucket bound of the exact nearest-rank value.
func TestWindowExactness(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	cases := []exactCase{
		{time.Second, 10 * time.Second, 0, 1},
		{time.Second, 61 * time.Second, 0, 2},
		{5 * time.Second, 300 * time.Second, 0, 3}, // the defaults
		{2 * time.Second, 8 * time.Second, 3 * time.Second, 4},
		{time.Second, 1030 * time.Second, 0, 5}, // slots of two ticks
		{500 * time.Millisecond, 1500 * time.Millisecond, 0, 6},
	}
	for i := range 14 {
		tick := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 250 * time.Millisecond}[r.IntN(4)]
		n := []int{1, 2, 3, 7, 30, 100}[r.IntN(6)] + r.IntN(3)
		reg := time.Duration(0)
		if r.IntN(2) == 0 {
			reg = time.Duration(r.Int64N(int64(5 * tick)))
		}
		cases = append(cases, exactCase{tick, tick * time.Duration(n), reg, uint64(100 + i)})
	}
	var st exactStats
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) { exactness(t, c, &st) })
	}
	t.Logf("%+v", st)
	for name, v := range map[string]int{
		"reads at ticks":                st.aligned,
		"reads between ticks":           st.unaligned,
		"reads of young windows":        st.young,
		"reads of full windows":         st.full,
		"empty windows":                 st.empty,
		"quantiles compared":            st.quantiles,
		"values compared":               st.values,
		"reads in a tick of wide slots": st.inSlot,
	} {
		if v < 20 {
			t.Errorf("only %d %s", v, name)
		}
	}
}

type exactStats struct {
	aligned, unaligned, young, full, empty, quantiles, values, inSlot int
}

func exactness(t *testing.T, c exactCase, st *exactStats) {
	kinds := []struct {
		name string
		kind counters.Kind
		of   counters.Of
	}{
		{"average", counters.Average, counters.OfAuto},
		{"average_time", counters.AverageTime, counters.OfAuto},
		{"max", counters.Max, counters.OfAuto},
		{"min", counters.Min, counters.OfAuto},
		{"count", counters.Count, counters.OfAuto},
		{"window", counters.WindowSum, counters.OfAuto},
		{"window_count", counters.WindowSum, counters.OfCount},
		{"frequency", counters.Frequency, counters.OfAuto},
		{"frequency_sum", counters.Frequency, counters.OfSum},
		{"event", counters.Event, counters.OfAuto},
		{"total", counters.Total, counters.OfAuto},
		{"percentiles", counters.Percentiles, counters.OfAuto},
	}
	quantiles := []float64{0.01, 0.5, 0.9, 0.99}
	// v: a value histogram with explicit buckets; x: the same through a
	// small exponential histogram; d: durations (unit s), which counting
	// kinds count, through the reader's default aggregation; g: a gauge,
	// for last.
	events := []string{"v", "x", "d"}
	var defs []counters.Definition
	for _, ev := range events {
		for _, k := range kinds {
			if k.kind == counters.Percentiles && ev != "d" {
				continue // explicit and coarse buckets: not the bound checked here
			}
			d := counters.Definition{By: []string{counters.AllAttributes}, Name: ev + "." + k.name, Kind: k.kind, Of: k.of, Events: []string{ev}, Window: c.window}
			if k.kind == counters.Percentiles {
				d.Quantiles = quantiles
			}
			defs = append(defs, d)
		}
	}
	defs = append(defs, counters.Definition{Name: "g.last", Kind: counters.Last, Events: []string{"g"}})
	probe, err := counters.New(defs[0], c.tick, c.reg)
	if err != nil {
		t.Fatal(err)
	}
	slot := probe.Slot()
	explicit := sdkmetric.NewView(sdkmetric.Instrument{Name: "v"},
		sdkmetric.Stream{Aggregation: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})
	expo := sdkmetric.NewView(sdkmetric.Instrument{Name: "x"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})
	h := newHarness(t, []reader.Option{reader.WithTick(c.tick)}, sdkmetric.WithView(explicit, expo))
	inst := map[string]metric.Float64Histogram{
		"v": h.f64Histogram("v"),
		"x": h.f64Histogram("x"),
		"d": h.f64Histogram("d", metric.WithUnit("s")),
	}
	gauge, err := h.meter.Float64Gauge("g")
	if err != nil {
		t.Fatal(err)
	}
	seriesNames := []string{"", "a", "b"}
	opts := map[string][]metric.RecordOption{"": nil}
	for _, s := range seriesNames[1:] {
		opts[s] = []metric.RecordOption{metric.WithAttributes(attribute.String("s", s))}
	}
	key := func(counter, series string) string {
		if series == "" {
			return counter
		}
		return report.Key(counter, attribute.NewSet(attribute.String("s", series)))
	}

	rng := rand.New(rand.NewPCG(c.seed, c.seed^0x5eed))
	trace := map[string][]event{}
	start := c.reg / c.tick * c.tick // the beginning of the interval the counters first hear
	end := c.reg + 3*c.window + 9*c.tick
	var lastTick time.Duration
	// advance moves the clock to at, ticking at every multiple of the tick
	// before it (at is then in the interval of the next tick).
	advance := func(at time.Duration) {
		for next := (lastTick/c.tick + 1) * c.tick; next < at; next += c.tick {
			h.tickTo(next)
			lastTick = next
		}
		h.clock.Advance(at - h.elapsed())
	}
	registered := false
	if c.reg == 0 {
		h.register(defs...)
		registered = true
	}
	if c.reg%c.tick == 0 && c.reg != 0 {
		t.Fatal("test model: registration exactly at a tick")
	}
	for now := time.Duration(0); now < end; {
		// The next thing: an event, or a report.
		if rng.IntN(4) == 0 { // exactly at the next tick
			now = (now/c.tick + 1) * c.tick
		} else {
			now += 1 + time.Duration(rng.Int64N(int64(c.tick)))
		}
		quiet := now > c.reg+c.window && now <= c.reg+2*c.window+c.tick // longer than the window: it empties
		if !registered && now > c.reg {
			advance(c.reg)
			h.register(defs...)
			registered = true
		}
		advance(now)
		if rng.IntN(6) > 0 {
			if quiet {
				continue
			}
			for _, ev := range events {
				for _, s := range seriesNames {
					for range rng.IntN(3) {
						v := float64(rng.IntN(4097)-2048) / 256
						if ev == "d" { // durations from 1/256 s to 8 s
							v = math.Abs(v) + 1.0/256
						}
						inst[ev].Record(h.ctx, v, opts[s]...)
						// A counter hears the interval it is registered in.
						if now > start {
							trace[ev] = append(trace[ev], event{series: s, v: v, at: now})
						}
					}
				}
			}
			v := float64(rng.IntN(100)) / 4
			gauge.Record(h.ctx, v)
			if now > start {
				trace["g"] = append(trace["g"], event{v: v, at: now})
			}
			continue
		}
		if !registered {
			continue
		}
		// A report at now: it collects the interval up to now itself.
		rep := h.report()
		edge := (now+slot-1)/slot*slot - c.window
		covered := max(now-max(edge, start), c.tick)
		if now%c.tick == 0 {
			st.aligned++
		} else {
			st.unaligned++
		}
		if now%slot != 0 && now%c.tick == 0 {
			st.inSlot++
		}
		if edge < start {
			st.young++
		} else {
			st.full++
		}
		for _, ev := range events {
			for _, k := range kinds {
				name := ev + "." + k.name
				if k.kind == counters.Percentiles && ev != "d" {
					continue
				}
				for _, s := range seriesNames {
					w := refRead(trace[ev], s, edge, now)
					if w.n == 0 {
						st.empty++
					}
					counting := ev == "d" && k.of == counters.OfAuto || k.of == counters.OfCount
					if k.kind == counters.Percentiles {
						comparePercentiles(t, rep, key, name, s, w, quantiles, now, st)
						continue
					}
					want := reference(k.kind, counting, w, covered)
					got, ok := rep.Lookup(key(name, s))
					if !ok {
						// Only a series idle for twice the window may be absent
						// (and any series before its first event).
						if w.seen && (s == "" || !k.kind.Windowed() || w.n > 0) {
							t.Fatalf("at %v: %s missing, want %s", now, key(name, s), show(want))
						}
						continue
					}
					st.values++
					if got.OK != want.OK || want.OK && got.V != want.V {
						t.Fatalf("at %v (edge %v, covered %v): %s = %s, want %s", now, edge, covered, key(name, s), show(got.Value), show(want))
					}
					if k.kind.Windowed() && got.Window != c.window {
						t.Fatalf("%s: window %v, want %v", name, got.Window, c.window)
					}
				}
			}
		}
		w := refRead(trace["g"], "", edge, now)
		if got, _ := rep.Lookup("g.last"); got.OK != w.seen || w.seen && got.V != w.last {
			t.Fatalf("at %v: g.last = %s, want %v (seen %v)", now, show(got.Value), w.last, w.seen)
		}
	}
}

// comparePercentiles checks a percentiles series: its mean exactly, its
// quantiles within the bucket bound (0.54% at scale 6) of the exact
// nearest-rank values of the window.
func comparePercentiles(t *testing.T, rep report.Report, key func(string, string) string, name, s string, w refWindow, qs []float64, at time.Duration, st *exactStats) {
	t.Helper()
	mean, ok := rep.Lookup(key(name+".mean", s))
	if !ok {
		if w.n > 0 || s == "" && w.seen {
			t.Fatalf("at %v: %s missing", at, key(name+".mean", s))
		}
		return
	}
	st.values++
	if w.n == 0 {
		if mean.OK {
			t.Fatalf("at %v: %s = %v, want null", at, key(name+".mean", s), mean.V)
		}
		return
	}
	if !mean.OK || mean.V != w.sum/w.n {
		t.Fatalf("at %v: %s = %s, want %v", at, key(name+".mean", s), show(mean.Value), w.sum/w.n)
	}
	sorted := slices.Clone(w.values)
	slices.Sort(sorted)
	for _, q := range qs {
		k := key(name+"."+counters.QuantileLabel(q), s)
		got, ok := rep.Lookup(k)
		exact := nearestRank(sorted, q)
		if !ok || !got.OK || math.Abs(got.V-exact) > 0.0055*math.Abs(exact) {
			t.Fatalf("at %v: %s = %s, want %v within 0.54%% (%d values)", at, k, show(got.Value), exact, len(sorted))
		}
		st.quantiles++
	}
}

// A steady rate reads true within 0.2% at any report time, on ticks and
// between them, young and old: 10,000 events a second, counted through a
// counter instrument, in windows of 2 to 300 ticks.
func TestFrequencySteadyAnyTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tick := range []time.Duration{time.Second, 5 * time.Second, 250 * time.Millisecond} {
		windows := []time.Duration{2 * tick, 7 * tick, 60 * tick, 300 * tick}
		var defs []counters.Definition
		for _, w := range windows {
			defs = append(defs, counters.Definition{Name: fmt.Sprintf("f%v", w), Kind: counters.Frequency, Events: []string{"hits"}, Window: w})
		}
		h := newHarness(t, []reader.Option{reader.WithTick(tick), reader.WithCounters(defs...)})
		hits := h.i64Counter("hits")
		const rate = 10000 // one event every 100 µs
		var now, lastTick time.Duration
		// record adds the events of (now, to] and moves the clock there.
		record := func(to time.Duration) {
			if n := int64(to/(100*time.Microsecond)) - int64(now/(100*time.Microsecond)); n > 0 {
				hits.Add(h.ctx, n)
			}
			h.clock.Advance(to - now)
			now = to
		}
		reads := 0
		for now < 2*windows[len(windows)-1] {
			at := now + 1 + time.Duration(r.Int64N(int64(3*tick)))
			if r.IntN(3) == 0 {
				at = (now/tick + 1) * tick // on a tick
			}
			for next := (lastTick/tick + 1) * tick; next < at; next += tick {
				record(next)
				if err := h.r.Tick(h.ctx); err != nil {
					t.Fatal(err)
				}
				lastTick = next
			}
			record(at)
			if at < tick {
				continue // the first tick divides by a whole tick
			}
			rep := h.report()
			for _, d := range defs {
				v, _ := rep.Lookup(d.Name)
				if math.Abs(v.V-rate) > rate*0.002 {
					t.Fatalf("tick %v window %v: frequency at %v = %v, want %v within 0.2%%", tick, d.Window, at, v.V, rate)
				}
				reads++
			}
		}
		if reads < 100 {
			t.Fatalf("only %d reads", reads)
		}
	}
}
