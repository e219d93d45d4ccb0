package reader_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// defs returns one counter per (name suffix, kind, of) on event ev, named
// ev.suffix.
func defs(ev string, specs ...spec) []counters.Definition {
	out := make([]counters.Definition, len(specs))
	for i, s := range specs {
		out[i] = counters.Definition{By: []string{counters.AllAttributes}, Name: ev + "." + s.name, Kind: s.kind, Of: s.of, Events: []string{ev}}
	}
	return out
}

type spec struct {
	name string
	kind counters.Kind
	of   counters.Of
}

// Every instrument kind of the SDK, read by every counter kind that applies
// to it. Each instrument is recorded over two ticks; the report is read at
// 2 s, so a frequency is its window sum divided by 2.
func TestInstrumentKinds(t *testing.T) {
	valueCounters := []spec{
		{"avg", counters.Average, counters.OfAuto},
		{"max", counters.Max, counters.OfAuto},
		{"min", counters.Min, counters.OfAuto},
		{"count", counters.Count, counters.OfAuto},
		{"event", counters.Event, counters.OfAuto},
		{"event_count", counters.Event, counters.OfCount},
		{"event_sum", counters.Event, counters.OfSum},
		{"total", counters.Total, counters.OfAuto},
		{"window", counters.WindowSum, counters.OfAuto},
		{"window_sum", counters.WindowSum, counters.OfSum},
		{"freq", counters.Frequency, counters.OfAuto},
		{"freq_count", counters.Frequency, counters.OfCount},
	}
	sumCounters := []spec{
		{"event", counters.Event, counters.OfAuto},
		{"event_count", counters.Event, counters.OfCount},
		{"total", counters.Total, counters.OfAuto},
		{"window", counters.WindowSum, counters.OfAuto},
		{"freq", counters.Frequency, counters.OfAuto},
	}
	var all []counters.Definition
	for _, ev := range []string{"hist_s", "hist_bytes", "hist_plain", "int_hist_ms", "expo_s", "expo_plain"} {
		all = append(all, defs(ev, valueCounters...)...)
	}
	all = append(all, defs("int_counter", sumCounters...)...)
	all = append(all, defs("updown", sumCounters...)...)
	all = append(all, defs("gauge",
		spec{"avg", counters.Average, counters.OfAuto},
		spec{"max", counters.Max, counters.OfAuto},
		spec{"min", counters.Min, counters.OfAuto},
		spec{"count", counters.Count, counters.OfAuto},
		spec{"last", counters.Last, counters.OfAuto},
	)...)
	all = append(all, defs("int_gauge", spec{"last", counters.Last, counters.OfAuto})...)

	// hist_* get the SDK's default explicit buckets, expo_* a small
	// exponential histogram, int_hist_ms the reader's default aggregation.
	explicit := sdkmetric.NewView(sdkmetric.Instrument{Name: "hist_*"},
		sdkmetric.Stream{Aggregation: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})
	expo := sdkmetric.NewView(sdkmetric.Instrument{Name: "expo_*"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})
	h := newHarness(t, []reader.Option{reader.WithCounters(all...)}, sdkmetric.WithView(explicit, expo))

	// Float histograms get 0.25 and 1.5, then 0.5: three values summing to 2.25.
	floats := map[string]metric.Float64Histogram{}
	for _, f := range []struct {
		name string
		opts []metric.Float64HistogramOption
	}{
		{"hist_s", []metric.Float64HistogramOption{metric.WithUnit("s")}},
		{"hist_bytes", []metric.Float64HistogramOption{metric.WithUnit("By")}},
		{"hist_plain", nil},
		{"expo_s", []metric.Float64HistogramOption{metric.WithUnit("s")}},
		{"expo_plain", nil},
	} {
		i := h.f64Histogram(f.name, f.opts...)
		floats[f.name] = i
		i.Record(h.ctx, 0.25)
		i.Record(h.ctx, 1.5)
	}
	ih, err := h.meter.Int64Histogram("int_hist_ms", metric.WithUnit("ms"))
	if err != nil {
		t.Fatal(err)
	}
	ih.Record(h.ctx, 3)
	ih.Record(h.ctx, 10)
	ic := h.i64Counter("int_counter")
	ic.Add(h.ctx, 2)
	ic.Add(h.ctx, 3)
	ud, err := h.meter.Float64UpDownCounter("updown")
	if err != nil {
		t.Fatal(err)
	}
	ud.Add(h.ctx, 2.5)
	ud.Add(h.ctx, -1)
	g, err := h.meter.Float64Gauge("gauge")
	if err != nil {
		t.Fatal(err)
	}
	g.Record(h.ctx, 3)
	g.Record(h.ctx, 7) // the interval's value: the last one
	ig, err := h.meter.Int64Gauge("int_gauge")
	if err != nil {
		t.Fatal(err)
	}
	ig.Record(h.ctx, 4)
	h.ticks(1)

	ih.Record(h.ctx, 5)
	ic.Add(h.ctx, 5)
	ud.Add(h.ctx, 0.25)
	g.Record(h.ctx, 5)
	ig.Record(h.ctx, -6)
	for _, i := range floats {
		i.Record(h.ctx, 0.5)
	}
	h.ticks(1)
	rep := h.report()

	// A histogram of durations counts its measurements; any other sums them.
	for _, ev := range []string{"hist_s", "hist_bytes", "hist_plain", "expo_s", "expo_plain"} {
		timed := ev == "hist_s" || ev == "expo_s"
		auto := 2.25
		if timed {
			auto = 3
		}
		check(t, rep, ev+".avg", num(0.75))
		check(t, rep, ev+".max", num(1.5))
		check(t, rep, ev+".min", num(0.25))
		check(t, rep, ev+".count", num(3))
		check(t, rep, ev+".event", num(auto))
		check(t, rep, ev+".event_count", num(3))
		check(t, rep, ev+".event_sum", num(2.25))
		check(t, rep, ev+".total", num(2.25))
		check(t, rep, ev+".window", num(auto))
		check(t, rep, ev+".window_sum", num(2.25))
		check(t, rep, ev+".freq", num(auto/2))
		check(t, rep, ev+".freq_count", num(1.5))
	}
	// Milliseconds are a duration too.
	check(t, rep, "int_hist_ms.avg", num(6))
	check(t, rep, "int_hist_ms.max", num(10))
	check(t, rep, "int_hist_ms.min", num(3))
	check(t, rep, "int_hist_ms.count", num(3))
	check(t, rep, "int_hist_ms.event", num(3))
	check(t, rep, "int_hist_ms.event_sum", num(18))
	check(t, rep, "int_hist_ms.total", num(18))
	check(t, rep, "int_hist_ms.window", num(3))
	check(t, rep, "int_hist_ms.window_sum", num(18))
	check(t, rep, "int_hist_ms.freq", num(1.5))

	// A counter instrument's increments count as their amount.
	check(t, rep, "int_counter.event", num(10))
	check(t, rep, "int_counter.event_count", num(10))
	check(t, rep, "int_counter.total", num(10))
	check(t, rep, "int_counter.window", num(10))
	check(t, rep, "int_counter.freq", num(5))
	check(t, rep, "updown.event", num(1.75))
	check(t, rep, "updown.total", num(1.75))
	check(t, rep, "updown.window", num(1.75))
	check(t, rep, "updown.freq", num(0.875))

	// A gauge gives one value per interval: its last.
	check(t, rep, "gauge.avg", num(6))
	check(t, rep, "gauge.max", num(7))
	check(t, rep, "gauge.min", num(5))
	check(t, rep, "gauge.count", num(2))
	check(t, rep, "gauge.last", num(5))
	check(t, rep, "int_gauge.last", num(-6))
}

// Counters that cannot read an instrument say so once through otel.Handle
// and report their empty value.
func TestWarnings(t *testing.T) {
	log := captureErrors(t)
	noMinMax := sdkmetric.NewView(sdkmetric.Instrument{Name: "coarse"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{1, 10}, NoMinMax: true}})
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits_avg", Kind: counters.Average, Events: []string{"hits"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits_total", Kind: counters.Total, Events: []string{"hits"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "coarse_max", Kind: counters.Max, Events: []string{"coarse"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "coarse_avg", Kind: counters.Average, Events: []string{"coarse"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "lat_last", Kind: counters.Last, Events: []string{"lat"}},
	)}, sdkmetric.WithView(noMinMax))
	hits := h.i64Counter("hits")
	coarse := h.f64Histogram("coarse")
	lat := h.f64Histogram("lat")
	for range 3 {
		hits.Add(h.ctx, 2)
		coarse.Record(h.ctx, 4)
		lat.Record(h.ctx, 0.5)
		lat.Record(h.ctx, 0.25)
		h.ticks(1)
	}
	rep := h.report()
	check(t, rep, "hits_avg", null)
	check(t, rep, "hits_total", num(6))
	check(t, rep, "coarse_max", null)
	check(t, rep, "coarse_avg", num(4)) // needs count and sum only
	check(t, rep, "lat_last", null)

	for _, w := range [][]string{
		{`counter "hits_avg"`, `event "hits"`, "individual values"},
		{`counter "coarse_max"`, `event "coarse"`, "min and max"},
		{`counter "lat_last"`, `event "lat"`, "gauge"},
	} {
		if got := log.matching(w...); len(got) != 1 {
			t.Errorf("warnings matching %q: %q, want exactly one (all: %q)", w, got, log.all())
		}
	}
	if got := log.matching(`"hits_total"`); len(got) != 0 {
		t.Errorf("unexpected warnings for hits_total: %q", got)
	}
}

// With explicit buckets, an interval holding NaN or an infinity is left out
// with a warning; what the window held before stays, and later intervals
// count again. The exponential histogram (the reader's default) drops such
// measurements itself: the rest of their interval counts.
func TestNonFiniteIntervals(t *testing.T) {
	log := captureErrors(t)
	explicit := sdkmetric.NewView(sdkmetric.Instrument{Name: "v"},
		sdkmetric.Stream{Aggregation: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.Average, Events: []string{"v"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: []string{"v"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: []string{"v"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "g", Kind: counters.Average, Events: []string{"g"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "e", Kind: counters.Average, Events: []string{"e"}},
	)}, sdkmetric.WithView(explicit))
	v := h.f64Histogram("v")
	e := h.f64Histogram("e")
	g, err := h.meter.Float64Gauge("g")
	if err != nil {
		t.Fatal(err)
	}
	other := metric.WithAttributes(attribute.String("s", "other"))
	v.Record(h.ctx, 1)
	v.Record(h.ctx, 8, other)
	g.Record(h.ctx, 2)
	e.Record(h.ctx, 1)
	h.ticks(1)
	v.Record(h.ctx, 3)
	v.Record(h.ctx, math.NaN())
	v.Record(h.ctx, 16, other)
	v.Record(h.ctx, math.Inf(1), other)
	g.Record(h.ctx, math.Inf(-1))
	e.Record(h.ctx, 3)
	e.Record(h.ctx, math.NaN())
	e.Record(h.ctx, math.Inf(1))
	h.ticks(1)
	rep := h.report()
	check(t, rep, "avg", num(1))
	check(t, rep, "max", num(1))
	check(t, rep, "total", num(1))
	check(t, rep, `avg{s="other"}`, num(8))
	check(t, rep, `max{s="other"}`, num(8))
	check(t, rep, "g", num(2))
	check(t, rep, "e", num(2))
	for _, c := range []string{"avg", "max", "total", "g"} {
		if got := log.matching(`counter "`+c+`"`, "NaN or infinite"); len(got) != 1 {
			t.Errorf("warnings for %s: %q, want one (all: %q)", c, got, log.all())
		}
	}
	if got := log.matching(`counter "e"`); len(got) != 0 {
		t.Errorf("warnings for e: %q, want none", got)
	}

	v.Record(h.ctx, 5)
	v.Record(h.ctx, 32, other)
	h.ticks(1)
	rep = h.report()
	check(t, rep, "avg", num(3)) // 1 and 5
	check(t, rep, "max", num(5))
	check(t, rep, "total", num(6))
	check(t, rep, `avg{s="other"}`, num(20))
}

// Every kind leaves out the same intervals, with the same warning: counters
// of every kind on an instrument whose second interval holds NaN read what
// the same counters read on an instrument that never had that interval.
func TestNonFiniteEveryKind(t *testing.T) {
	log := captureErrors(t)
	explicit := func(name string) sdkmetric.View {
		return sdkmetric.NewView(sdkmetric.Instrument{Name: name},
			sdkmetric.Stream{Aggregation: sdkmetric.DefaultAggregationSelector(sdkmetric.InstrumentKindHistogram)})
	}
	var defs []counters.Definition
	for _, k := range counters.Kinds() {
		for _, ev := range []string{"bad", "good"} {
			if k == counters.Last {
				ev += "_gauge"
			}
			defs = append(defs, counters.Definition{Name: ev + "." + k.String(), Kind: k, Events: []string{ev}, Window: 10 * time.Second})
		}
	}
	h := newHarness(t, []reader.Option{reader.WithCounters(defs...)}, sdkmetric.WithView(explicit("bad"), explicit("good")))
	bad, good := h.f64Histogram("bad", metric.WithUnit("s")), h.f64Histogram("good", metric.WithUnit("s"))
	badG, err := h.meter.Float64Gauge("bad_gauge")
	if err != nil {
		t.Fatal(err)
	}
	goodG, err := h.meter.Float64Gauge("good_gauge")
	if err != nil {
		t.Fatal(err)
	}
	for i, vals := range [][]float64{{1, 2}, {3, math.NaN()}, {5}, {math.Inf(1)}, {0.5}} {
		for _, v := range vals {
			bad.Record(h.ctx, v)
			badG.Record(h.ctx, v)
		}
		if i%2 == 0 { // the intervals without NaN or infinities
			for _, v := range vals {
				good.Record(h.ctx, v)
				goodG.Record(h.ctx, v)
			}
		}
		h.ticks(1)
	}
	rep := h.report()
	compared := 0
	for _, v := range rep.Values {
		name, ok := strings.CutPrefix(v.Key, "bad")
		if !ok {
			continue
		}
		g, ok := rep.Lookup("good" + name)
		if !ok || g.Value != v.Value {
			t.Errorf("%s = %+v, good%s = %+v", v.Key, v.Value, name, g.Value)
		}
		compared++
	}
	if compared < len(counters.Kinds()) {
		t.Errorf("compared %d values", compared)
	}
	for _, k := range counters.Kinds() {
		name := "bad." + k.String()
		if k == counters.Last {
			name = "bad_gauge.last"
		}
		if got := log.matching(`counter "`+name+`"`, "NaN or infinite"); len(got) != 1 {
			t.Errorf("warnings for %s: %q, want one", name, got)
		}
	}
	if got := log.matching(`counter "good`, "NaN"); len(got) != 0 {
		t.Errorf("warnings for the good counters: %q", got)
	}
}
