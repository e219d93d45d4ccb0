package reader_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// The tutorial's scenario: a request timer with an average and a frequency,
// and a value event with a maximum per method.
func TestRequestTimerScenario(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "req_time", Kind: counters.AverageTime, Events: []string{"req"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "req_freq", Kind: counters.Frequency, Events: []string{"req"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "len_max", Kind: counters.Max, Events: []string{"len"}},
	)})
	req := h.f64Histogram("req", metric.WithUnit("s"))
	ln, err := h.meter.Int64Histogram("len")
	if err != nil {
		t.Fatal(err)
	}
	get := metric.WithAttributes(attribute.String("m", "GET"))
	for i := range 10 {
		req.Record(h.ctx, 0.5)
		ln.Record(h.ctx, int64(i), get)
		h.ticks(1)
	}
	rep := h.report()
	check(t, rep, "req_time", num(0.5))
	check(t, rep, "req_freq", num(1)) // 10 requests in 10 s
	check(t, rep, `len_max{m="GET"}`, num(9))
	if got, want := keys(rep), []string{`len_max{m="GET"}`, "req_freq", "req_time"}; !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	if !rep.Time.Equal(h.clock.Now()) {
		t.Errorf("report time %v, want the clock's %v", rep.Time, h.clock.Now())
	}
}

func TestRegisterAndUnregister(t *testing.T) {
	h := newHarness(t, nil)
	h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"e"}})
	err := h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Max, Events: []string{"other"}})
	if !errors.Is(err, reader.ErrDuplicateCounter) {
		t.Fatalf("second Register of n: %v, want ErrDuplicateCounter", err)
	}
	if !strings.Contains(err.Error(), `"n"`) {
		t.Errorf("error %q does not name the counter", err)
	}
	if err := h.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "bad", Kind: counters.Average, Window: -time.Second}); err == nil || errors.Is(err, reader.ErrDuplicateCounter) {
		t.Errorf("Register with a negative window: %v, want a validation error", err)
	}
	if h.r.Has("bad") {
		t.Error("an invalid counter was registered")
	}
	h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: "a", Kind: counters.Event, Events: []string{"e"}})
	var names []string
	for _, d := range h.r.Counters() {
		names = append(names, d.Name)
	}
	if want := []string{"a", "n"}; !slices.Equal(names, want) {
		t.Errorf("Counters() = %q, want %q", names, want)
	}

	e := h.f64Histogram("e")
	e.Record(h.ctx, 2)
	h.ticks(1)
	rep := h.report()
	check(t, rep, "n", num(1))
	check(t, rep, "a", num(2))

	if !h.r.Unregister("n") {
		t.Fatal("Unregister(n) = false")
	}
	if h.r.Unregister("n") {
		t.Error("second Unregister(n) = true")
	}
	if h.r.Has("n") {
		t.Error("Has(n) after Unregister")
	}
	// Measurements of the event keep reaching the other counter, and the
	// unregistered one keeps no series for them.
	e.Record(h.ctx, 3, metric.WithAttributes(attribute.String("k", "v")))
	h.ticks(1)
	rep = h.report()
	if ks := keysOf(rep, "n"); len(ks) != 0 {
		t.Errorf("unregistered counter still reported: %q", ks)
	}
	check(t, rep, "a", num(2))
	check(t, rep, `a{k="v"}`, num(3))

	// Registered again, it starts empty: nothing was kept for it meanwhile.
	h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"e"}})
	rep = h.report()
	if got := keysOf(rep, "n"); !slices.Equal(got, []string{"n"}) {
		t.Errorf("re-registered counter reported under %q, want only its bare name", got)
	}
	check(t, rep, "n", num(0))

	// An event nobody listens to any more costs no series.
	if !h.r.Unregister("a") || !h.r.Unregister("n") {
		t.Fatal("Unregister failed")
	}
	for i := range 50 {
		e.Record(h.ctx, 1, metric.WithAttributes(attribute.Int("i", i)))
	}
	h.ticks(1)
	if rep := h.report(); len(rep.Values) != 0 {
		t.Errorf("report of a reader with no counters has %d values: %q", len(rep.Values), keys(rep))
	}
}

// A counter registered at run time hears the interval it was registered in
// and counts its frequency from the beginning of that interval.
func TestRegisterAtRunTime(t *testing.T) {
	h := newHarness(t, nil)
	e := h.i64Counter("hits")
	e.Add(h.ctx, 100) // heard by nobody: collected before the counter exists
	h.tickTo(10 * time.Second)
	h.clock.Advance(500 * time.Millisecond)
	h.register(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "rate", Kind: counters.Frequency, Events: []string{"hits"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: []string{"hits"}},
	)
	e.Add(h.ctx, 3)
	h.tickTo(12 * time.Second)
	rep := h.report()
	check(t, rep, "total", num(3))
	check(t, rep, "rate", num(1.5)) // 3 over the 2 s since the tick at 10 s
}

func TestSeveralCountersOnOneEvent(t *testing.T) {
	ev := []string{"req"}
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.AverageTime, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "freq", Kind: counters.Frequency, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "min", Kind: counters.Min, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "count", Kind: counters.Count, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "event", Kind: counters.Event, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "window", Kind: counters.WindowSum, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: ev},
	)})
	req := h.f64Histogram("req", metric.WithUnit("s"))
	req.Record(h.ctx, 0.25)
	req.Record(h.ctx, 1.5)
	h.ticks(1)
	req.Record(h.ctx, 0.5)
	h.ticks(1)
	rep := h.report()
	check(t, rep, "avg", num(0.75))
	check(t, rep, "freq", num(1.5)) // 3 requests in 2 s
	check(t, rep, "max", num(1.5))
	check(t, rep, "min", num(0.25))
	check(t, rep, "count", num(3))
	check(t, rep, "event", num(3))
	check(t, rep, "window", num(3))
	check(t, rep, "total", num(2.25)) // a total adds up values, timed or not
	if v, _ := rep.Lookup("avg"); v.Count != 3 {
		t.Errorf("avg carries weight %d, want 3", v.Count)
	}
}

func TestCounterOnSeveralEvents(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event, Events: []string{"a", "b"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "biggest", Kind: counters.Max, Events: []string{"x", "y"}},
	)})
	a, b := h.i64Counter("a"), h.i64Counter("b")
	x, y := h.f64Histogram("x"), h.f64Histogram("y")
	get := metric.WithAttributes(attribute.String("m", "GET"))
	a.Add(h.ctx, 2)
	b.Add(h.ctx, 5)
	a.Add(h.ctx, 1, get)
	b.Add(h.ctx, 10, get)
	x.Record(h.ctx, 4)
	y.Record(h.ctx, 3)
	h.ticks(1)
	x.Record(h.ctx, 1, get)
	y.Record(h.ctx, 8, get)
	h.ticks(1)
	rep := h.report()
	check(t, rep, "hits", num(7))
	check(t, rep, `hits{m="GET"}`, num(11)) // one series across both events
	check(t, rep, "biggest", num(4))
	check(t, rep, `biggest{m="GET"}`, num(8))
	if got := keysOf(rep, "hits"); len(got) != 2 {
		t.Errorf("hits has keys %q, want two series", got)
	}
}

func TestSeriesKeys(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Count, Events: []string{"e"}},
	)})
	e := h.f64Histogram("e")
	e.Record(h.ctx, 1)
	e.Record(h.ctx, 1, metric.WithAttributes(attribute.String("z", "2"), attribute.String("a", "1")))
	e.Record(h.ctx, 1, metric.WithAttributes(attribute.String("path", "a\"b\\c\nd")))
	e.Record(h.ctx, 1, metric.WithAttributes(attribute.Int("code", 500), attribute.Bool("ok", false)))
	e.Record(h.ctx, 1, metric.WithAttributes(attribute.String("a", "1"), attribute.String("z", "2")))
	h.ticks(1)
	rep := h.report()
	want := []string{
		"n",
		`n{a="1",z="2"}`,
		`n{code="500",ok="false"}`,
		`n{path="a\"b\\c\nd"}`,
	}
	if got := keys(rep); !slices.Equal(got, want) {
		t.Fatalf("keys\n%q\nwant\n%q", got, want)
	}
	check(t, rep, `n{a="1",z="2"}`, num(2)) // attribute order does not matter
	v, _ := rep.Lookup(`n{path="a\"b\\c\nd"}`)
	if got := v.Attrs.Len(); got != 1 {
		t.Errorf("series carries %d attributes, want 1", got)
	}
	if val, _ := v.Attrs.Value("path"); val.AsString() != "a\"b\\c\nd" {
		t.Errorf("series attribute path = %q", val.AsString())
	}
}

// A counter with no series is reported under its bare name with its empty
// value: null for values and running totals, 0 for counts and rates.
func TestEmptyValues(t *testing.T) {
	wants := map[counters.Kind]want{
		counters.Event:       null,
		counters.Total:       null,
		counters.Average:     null,
		counters.AverageTime: null,
		counters.Frequency:   num(0),
		counters.WindowSum:   num(0),
		counters.Max:         null,
		counters.Min:         null,
		counters.Count:       num(0),
		counters.Last:        null,
	}
	h := newHarness(t, nil)
	for k := range wants {
		h.register(counters.Definition{By: []string{counters.AllAttributes}, Name: k.String(), Kind: k, Events: []string{"quiet"}})
	}
	h.ticks(3)
	rep := h.report()
	if len(rep.Values) != len(wants) {
		t.Errorf("report has %d values for %d counters: %q", len(rep.Values), len(wants), keys(rep))
	}
	for k, w := range wants {
		check(t, rep, k.String(), w)
		v, _ := rep.Lookup(k.String())
		if v.Kind != k || v.Counter != k.String() {
			t.Errorf("%v reported as counter %q of kind %v", k, v.Counter, v.Kind)
		}
		wantWindow := time.Duration(0)
		if k.Windowed() {
			wantWindow = counters.DefaultWindow
		}
		if v.Window != wantWindow {
			t.Errorf("%v: window %v, want %v", k, v.Window, wantWindow)
		}
	}
}

// Windows and ticks that would overflow, or that are not whole ticks, are
// errors from Register that say what is wrong; nothing panics, and the
// reader goes on with its other counters.
func TestRegisterBounds(t *testing.T) {
	h := newHarness(t, nil)
	for _, tt := range []struct {
		def  counters.Definition
		want string
	}{
		{counters.Definition{Name: "huge", Kind: counters.Count, Window: math.MaxInt64}, "is longer than"},
		{counters.Definition{Name: "years", Kind: counters.Max, Window: 2530000 * time.Hour}, "is longer than"},
		{counters.Definition{Name: "odd", Kind: counters.Average, Window: 1500 * time.Millisecond}, "use 1s or 2s"},
		{counters.Definition{Name: "prime", Kind: counters.WindowSum, Window: 1031 * time.Second}, "use 17m10s or 17m12s"},
	} {
		err := h.r.Register(tt.def)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.def.Name) {
			t.Errorf("Register(%s): %v, want an error naming it and containing %q", tt.def.Name, err, tt.want)
		}
	}
	r := reader.New(reader.WithManualTicks(), reader.WithTick(math.MaxInt64))
	defer func() { _ = r.Shutdown(context.Background()) }()
	if err := r.Register(counters.Definition{Name: "n", Kind: counters.Count}); err == nil || !strings.Contains(err.Error(), "tick") {
		t.Errorf("a counter on a reader with a tick of 292 years: %v", err)
	}
	h.register(counters.Definition{Name: "ok", Kind: counters.Count, Events: []string{"e"}, Window: 10 * time.Second})
	e := h.f64Histogram("e")
	e.Record(h.ctx, 1)
	check(t, h.report(), "ok", num(1))
}
