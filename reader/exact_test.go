package reader_test

import (
	"fmt"
	"math"
	"math/rand/v2"
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
// the end of the interval it was recorded in.
type event struct {
	series string // "" or an attribute value
	v      float64
	end    time.Duration
}

// reference computes what every counter kind must read at elapsed time at
// from every event, by brute force: the window holds the events of (at−w, at].
func reference(kind counters.Kind, of counters.Of, timed bool, events []event, series string, at, w time.Duration) counters.Value {
	var n, sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	var seen bool
	// Counting kinds count a duration's measurements unless told otherwise;
	// a total and the kinds that read values always take the values.
	counting := kind == counters.Event || kind == counters.Frequency || kind == counters.WindowSum
	counted := counting && (timed && of == counters.OfAuto || of == counters.OfCount)
	for _, e := range events {
		if e.series != series || e.end > at {
			continue
		}
		if !kind.Windowed() {
			seen = true
			if counted {
				sum++
			} else {
				sum += e.v
			}
			continue
		}
		if e.end <= at-w {
			continue
		}
		n++
		if counted {
			sum++
		} else {
			sum += e.v
		}
		lo, hi = min(lo, e.v), max(hi, e.v)
	}
	switch kind {
	case counters.Event, counters.Total:
		return counters.Value{V: sum, OK: seen}
	case counters.Average, counters.AverageTime:
		if n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: sum / n, OK: true}
	case counters.Count:
		return counters.Value{V: n, OK: true}
	case counters.WindowSum:
		return counters.Value{V: sum, OK: true}
	case counters.Frequency:
		return counters.Value{V: sum / min(w, at).Seconds(), OK: true}
	case counters.Max:
		if n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: hi, OK: true}
	case counters.Min:
		if n == 0 {
			return counters.Value{}
		}
		return counters.Value{V: lo, OK: true}
	}
	panic("no reference for " + kind.String())
}

// Seeded random traces recorded through the real SDK over simulated time,
// compared at every slot boundary with the brute-force reference. Values are
// binary fractions, so sums are exact and so must every figure be.
func TestWindowExactness(t *testing.T) {
	for _, c := range []struct {
		tick, window time.Duration
		effective    time.Duration // the window as whole slots
		slot         time.Duration // a whole number of ticks, at most MaxSlots per window
		seed         uint64
	}{
		{time.Second, 10 * time.Second, 10 * time.Second, time.Second, 1},
		{time.Second, 90 * time.Second, 90 * time.Second, 2 * time.Second, 2},
		{5 * time.Second, 300 * time.Second, 300 * time.Second, 5 * time.Second, 3}, // the defaults
		{2 * time.Second, 7 * time.Second, 8 * time.Second, 2 * time.Second, 4},
	} {
		t.Run(fmt.Sprintf("tick=%v,window=%v", c.tick, c.window), func(t *testing.T) {
			exactness(t, c.tick, c.window, c.effective, c.slot, c.seed)
		})
	}
}

func exactness(t *testing.T, tick, window, effective, slot time.Duration, seed uint64) {
	kinds := []struct {
		name string
		kind counters.Kind
		of   counters.Of
	}{
		{"average", counters.Average, counters.OfAuto},
		{"max", counters.Max, counters.OfAuto},
		{"min", counters.Min, counters.OfAuto},
		{"count", counters.Count, counters.OfAuto},
		{"window", counters.WindowSum, counters.OfAuto},
		{"window_count", counters.WindowSum, counters.OfCount},
		{"frequency", counters.Frequency, counters.OfAuto},
		{"frequency_sum", counters.Frequency, counters.OfSum},
		{"event", counters.Event, counters.OfAuto},
		{"total", counters.Total, counters.OfAuto},
	}
	// v: a value histogram with explicit buckets; x: the same through a
	// small exponential histogram; d: durations (unit s), which counting
	// kinds count, through the reader's default aggregation.
	events := []string{"v", "x", "d"}
	var defs []counters.Definition
	for _, ev := range events {
		for _, k := range kinds {
			defs = append(defs, counters.Definition{By: []string{counters.AllAttributes}, Name: ev + "." + k.name, Kind: k.kind, Of: k.of, Events: []string{ev}, Window: window})
		}
	}
	explicit := sdkmetric.NewView(sdkmetric.Instrument{Name: "v"},
		sdkmetric.Stream{Aggregation: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})
	expo := sdkmetric.NewView(sdkmetric.Instrument{Name: "x"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})
	h := newHarness(t, []reader.Option{reader.WithTick(tick), reader.WithCounters(defs...)}, sdkmetric.WithView(explicit, expo))
	inst := map[string]metric.Float64Histogram{
		"v": h.f64Histogram("v"),
		"x": h.f64Histogram("x"),
		"d": h.f64Histogram("d", metric.WithUnit("s")),
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

	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	trace := map[string][]event{}
	steps := int(3*effective/tick) + 7
	checked := 0
	for j := 1; j <= steps; j++ {
		end := time.Duration(j) * tick
		// A quiet stretch longer than the window empties it.
		quiet := end > effective && end <= effective*23/10
		if !quiet {
			for _, ev := range events {
				for _, s := range seriesNames {
					for range rng.IntN(4) {
						v := float64(rng.IntN(4097)-2048) / 256
						if ev == "d" {
							v = math.Abs(v)
						}
						inst[ev].Record(h.ctx, v, opts[s]...)
						trace[ev] = append(trace[ev], event{series: s, v: v, end: end})
					}
				}
			}
		}
		aligned := end%slot == 0
		if !aligned || rng.IntN(2) == 0 {
			h.tickTo(end)
		} else {
			// Report collects the interval itself.
			h.clock.Advance(end - h.elapsed())
		}
		if !aligned {
			continue
		}
		rep := h.report()
		for _, ev := range events {
			for _, k := range kinds {
				name := ev + "." + k.name
				for _, s := range seriesNames {
					want := reference(k.kind, k.of, ev == "d", trace[ev], s, end, effective)
					got, ok := rep.Lookup(key(name, s))
					if !ok {
						if len(keysOf(rep, name)) == 0 {
							t.Fatalf("at %v: %s not reported at all", end, name)
						}
						// Only a series idle for twice the window may be absent
						// (and the one without attributes only before its first event).
						for _, e := range trace[ev] {
							if e.series == s && e.end <= end && (s == "" || !k.kind.Windowed() || e.end > end-2*effective) {
								t.Fatalf("at %v: %s missing, want %s", end, key(name, s), show(want))
							}
						}
						continue
					}
					checked++
					if got.OK != want.OK || want.OK && got.V != want.V {
						t.Fatalf("at %v: %s = %s, want %s", end, key(name, s), show(got.Value), show(want))
					}
					if k.kind.Windowed() && got.Window != effective {
						t.Fatalf("%s: window %v, want %v", name, got.Window, effective)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing compared")
	}
}
