package reliability_test

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

const clockWindow = time.Minute // 60 slots of one tick

func clockCounters() reader.Option {
	ev := []string{"v"}
	return reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "count", Kind: counters.Count, Events: ev, Window: clockWindow},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "sum", Kind: counters.WindowSum, Events: ev, Window: clockWindow},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.Average, Events: ev, Window: clockWindow},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: ev, Window: clockWindow},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "min", Kind: counters.Min, Events: ev, Window: clockWindow},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "freq", Kind: counters.Frequency, Events: ev, Window: clockWindow},
	)
}

// recorded keeps what a clock test recorded, to check reports against.
type recorded struct {
	vals     []float64 // of the series without attributes
	sum      float64
	lo, hi   float64
	sumAttrs float64 // of the series with attributes
}

func (r *recorded) add(v float64) {
	if len(r.vals) == 0 {
		r.lo, r.hi = v, v
	}
	r.vals = append(r.vals, v)
	r.sum += v
	r.lo, r.hi = min(r.lo, v), max(r.hi, v)
}

// sane checks what must hold of any report, whatever the clock did: no
// value is NaN or infinite; windows hold no more than was recorded, and
// averages, maxima and minima lie within what was recorded; running totals
// are exact.
func sane(t *testing.T, rep report.Report, rec *recorded, when string) {
	t.Helper()
	for _, v := range rep.Values {
		if v.OK && (math.IsNaN(v.V) || math.IsInf(v.V, 0)) {
			t.Fatalf("%s: %s = %v", when, v.Key, v.V)
		}
	}
	n := float64(len(rec.vals))
	check := func(key string, ok func(float64) bool) {
		t.Helper()
		if v := value(t, rep, key); v.OK && !ok(v.V) {
			t.Fatalf("%s: %s = %v, out of bounds (%d recorded, sum %v, in [%v, %v])", when, key, v.V, len(rec.vals), rec.sum, rec.lo, rec.hi)
		}
	}
	check("count", func(x float64) bool { return x >= 0 && x <= n })
	check("sum", func(x float64) bool { return x >= 0 && x <= rec.sum })
	check("avg", func(x float64) bool { return x >= rec.lo && x <= rec.hi })
	check("max", func(x float64) bool { return x >= rec.lo && x <= rec.hi })
	check("min", func(x float64) bool { return x >= rec.lo && x <= rec.hi })
	check("freq", func(x float64) bool { return x >= 0 })
	expect(t, rep, "total", rec.sum)
	if rec.sumAttrs > 0 {
		expect(t, rep, `total{s="a"}`, rec.sumAttrs)
	}
}

// TestClockBackwards turns the reader's clock back, by less than a window
// and by an hour (to before the reader began), while events keep coming.
// Nothing panics or errs, every report stays sane, running totals lose
// nothing, and once the clock has passed the time it had reached before
// the jump by a window, the window counters are exact again.
func TestClockBackwards(t *testing.T) {
	for _, back := range []time.Duration{30 * time.Second, time.Hour} {
		t.Run(back.String(), func(t *testing.T) {
			m := newManual(t, []reader.Option{clockCounters()})
			v := mustF64Histogram(t, m.meter, "v")
			attrs := metric.WithAttributes(attribute.String("s", "a"))
			var rec recorded
			value := func(i int) float64 { return float64(1 + i%8) }
			step := func(i int) {
				t.Helper()
				x := value(i)
				v.Record(m.ctx, x)
				rec.add(x)
				if i%10 == 0 {
					v.Record(m.ctx, 1, attrs) // a series of its own
					rec.sumAttrs++
				}
				m.tick(time.Second)
			}
			i := 0
			for ; i < 100; i++ {
				step(i)
			}
			sane(t, m.report(), &rec, "before the jump")

			m.clock.Advance(-back)
			m.tick(0)
			sane(t, m.report(), &rec, "just after the jump")
			// Back to where the clock was, and one window further.
			behind := back + clockWindow
			for s := time.Duration(0); s <= behind; s += time.Second {
				step(i)
				i++
				sane(t, m.report(), &rec, "while catching up")
			}
			// Now the window holds only what came after the jump: exact.
			var win recorded
			for j := i - int(clockWindow/time.Second); j < i; j++ {
				win.add(value(j))
			}
			rep := m.report()
			expect(t, rep, "count", float64(len(win.vals)))
			expect(t, rep, "sum", win.sum)
			expect(t, rep, "avg", win.sum/float64(len(win.vals)))
			expect(t, rep, "max", win.hi)
			expect(t, rep, "min", win.lo)
			expect(t, rep, "freq", win.sum/clockWindow.Seconds())
		})
	}
}

// TestClockForwardJump moves the clock an hour forward at once, as after a
// suspended laptop or a paused virtual machine with a clock that counts
// the pause: the windows empty (averages, maxima and minima null; counts,
// sums and rates 0), running totals keep their value, idle series with
// attributes are forgotten, and new events count from the next tick.
func TestClockForwardJump(t *testing.T) {
	m := newManual(t, []reader.Option{clockCounters()})
	v := mustF64Histogram(t, m.meter, "v")
	attrs := metric.WithAttributes(attribute.String("s", "a"))
	for i := range 10 {
		v.Record(m.ctx, float64(i))
		v.Record(m.ctx, 1, attrs)
		m.tick(time.Second)
	}
	rep := m.report()
	expect(t, rep, "count", 10)
	expect(t, rep, `count{s="a"}`, 10)

	m.tick(time.Hour)
	rep = m.report()
	for key, want := range map[string]float64{
		"count": 0, "sum": 0, "freq": 0, "avg": null, "max": null, "min": null,
		"total": 45, `total{s="a"}`: 10,
	} {
		expect(t, rep, key, want)
	}
	if _, ok := rep.Lookup(`count{s="a"}`); ok {
		t.Error(`count{s="a"}: still reported after an hour idle, want it forgotten after twice its window`)
	}

	v.Record(m.ctx, 4)
	v.Record(m.ctx, 2, attrs)
	m.tick(time.Second)
	rep = m.report()
	for key, want := range map[string]float64{
		"count": 1, "sum": 4, "avg": 4, "max": 4, "min": 4, "freq": 4 / clockWindow.Seconds(),
		"total": 49, `count{s="a"}`: 1, `total{s="a"}`: 12,
	} {
		expect(t, rep, key, want)
	}
}
