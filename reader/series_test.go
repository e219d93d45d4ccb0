package reader_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// A windowed series with attributes is forgotten once idle for twice its
// window; the series without attributes and running totals never are.
func TestIdleSeriesEviction(t *testing.T) {
	const w = 10 * time.Second // ten slots of one tick
	ev := []string{"e"}
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.Average, Events: ev, Window: w},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: []string{"only_attrs"}, Window: w},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "event", Kind: counters.Event, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: ev},
	)})
	e := h.f64Histogram("e")
	oa := h.f64Histogram("only_attrs")
	a := metric.WithAttributes(attribute.String("id", "a"))
	b := metric.WithAttributes(attribute.String("id", "b"))
	e.Record(h.ctx, 2)
	e.Record(h.ctx, 4, a)
	e.Record(h.ctx, 6, b)
	oa.Record(h.ctx, 1, a)
	h.tickTo(time.Second) // the data's slot ends at 1 s
	// b stays busy until 5 s.
	for at := 2; at <= 5; at++ {
		e.Record(h.ctx, 6, b)
		h.tickTo(time.Duration(at) * time.Second)
	}

	// At 21 s, a has been idle for exactly 2w: kept, with its empty value.
	h.tickTo(21 * time.Second)
	rep := h.report()
	check(t, rep, `avg{id="a"}`, null)
	check(t, rep, `avg{id="b"}`, null)
	check(t, rep, `max{id="a"}`, null)
	check(t, rep, "avg", null)

	// Past 2w it is forgotten; b, busy until 5 s, is not yet.
	h.tickTo(22 * time.Second)
	rep = h.report()
	if got, want := keysOf(rep, "avg"), []string{"avg", `avg{id="b"}`}; !slices.Equal(got, want) {
		t.Errorf("avg keys at 22 s: %q, want %q", got, want)
	}
	// A counter left without series is reported under its bare name.
	if got, want := keysOf(rep, "max"), []string{"max"}; !slices.Equal(got, want) {
		t.Errorf("max keys at 22 s: %q, want %q", got, want)
	}
	check(t, rep, "max", null)

	h.tickTo(100 * time.Second)
	rep = h.report()
	if got, want := keysOf(rep, "avg"), []string{"avg"}; !slices.Equal(got, want) {
		t.Errorf("avg keys at 100 s: %q, want %q (the series without attributes is kept)", got, want)
	}
	check(t, rep, "avg", null)
	check(t, rep, "event", num(2))
	check(t, rep, `event{id="a"}`, num(4))
	check(t, rep, `event{id="b"}`, num(30))
	check(t, rep, `total{id="b"}`, num(30))

	// A forgotten series that comes back starts afresh.
	e.Record(h.ctx, 8, a)
	h.tickTo(101 * time.Second)
	rep = h.report()
	check(t, rep, `avg{id="a"}`, num(8))
	check(t, rep, `event{id="a"}`, num(12))
}

// Attribute sets beyond a counter's series limit share one overflow series;
// the series without attributes and the existing series are not affected.
func TestSeriesLimit(t *testing.T) {
	log := captureErrors(t)
	h := newHarness(t, []reader.Option{reader.WithSeriesLimit(3), reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"e"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: []string{"e"}},
	)})
	e := h.f64Histogram("e")
	id := func(i int) metric.RecordOption { return metric.WithAttributes(attribute.Int("id", i)) }
	for i := range 3 {
		e.Record(h.ctx, 1, id(i))
	}
	h.ticks(1)
	for i := 3; i < 10; i++ {
		e.Record(h.ctx, float64(i), id(i))
	}
	e.Record(h.ctx, 100, id(0))
	e.Record(h.ctx, 1000)
	h.ticks(1)
	rep := h.report()
	want := []string{"n", `n{id="0"}`, `n{id="1"}`, `n{id="2"}`, `n{otel.metric.overflow="true"}`}
	if got := keysOf(rep, "n"); !slices.Equal(got, want) {
		t.Fatalf("keys of n: %q, want %q", got, want)
	}
	check(t, rep, `n{id="0"}`, num(2))
	check(t, rep, `n{otel.metric.overflow="true"}`, num(7))
	check(t, rep, `total{otel.metric.overflow="true"}`, num(3+4+5+6+7+8+9))
	check(t, rep, `total{id="0"}`, num(101))
	check(t, rep, "total", num(1000))
	if got := log.matching(`counter "n"`, "more than 3 series", `n{otel.metric.overflow="true"}`); len(got) != 1 {
		t.Errorf("overflow warnings for n: %q, want one (all: %q)", got, log.all())
	}
}

// Without a limit, a counter keeps as many series as the SDK delivers.
func TestNoSeriesLimit(t *testing.T) {
	const n = 2500 // more than the SDK's and the reader's default limits
	h := newHarness(t, []reader.Option{reader.WithSeriesLimit(0), reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"e"}},
	)}, sdkmetric.WithCardinalityLimit(0))
	e := h.f64Histogram("e")
	for i := range n {
		e.Record(h.ctx, 1, metric.WithAttributes(attribute.Int("id", i)))
	}
	h.ticks(1)
	rep := h.report()
	if got := len(keysOf(rep, "n")); got != n {
		t.Errorf("%d series, want %d", got, n)
	}
	check(t, rep, fmt.Sprintf(`n{id="%d"}`, n-1), num(1))
}

// Report collects the interval in progress: a report needs no tick first.
func TestReportCollectsPartialInterval(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"e"}, Window: 10 * time.Second},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "freq", Kind: counters.Frequency, Events: []string{"e"}, Window: 10 * time.Second},
	)})
	e := h.f64Histogram("e", metric.WithUnit("s"))
	e.Record(h.ctx, 1)
	e.Record(h.ctx, 1)
	h.clock.Advance(500 * time.Millisecond)
	rep := h.report()
	check(t, rep, "n", num(2))
	check(t, rep, "freq", num(2)) // 2 events, over at least a tick: no spike in the first moments
	e.Record(h.ctx, 1)
	h.clock.Advance(250 * time.Millisecond)
	rep = h.report()
	check(t, rep, "n", num(3))
	check(t, rep, "freq", num(3)) // 3 events, over a tick
	// A tick after the reports finds nothing left to add.
	h.tickTo(time.Second)
	check(t, h.report(), "n", num(3))
	e.Record(h.ctx, 1)
	h.clock.Advance(time.Second)
	rep = h.report()
	check(t, rep, "n", num(4))
	check(t, rep, "freq", num(2)) // 4 events in the 2 s since the counter began
}
