package shortcut_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/shortcut"
)

// rig is a reader with manual ticks and a fake clock, its provider, and
// shortcuts reading the same clock and collecting their errors.
type rig struct {
	t    *testing.T
	ctx  context.Context
	mu   sync.Mutex
	now  time.Time
	errs []error
	r    *reader.Reader
	mp   *sdkmetric.MeterProvider
	s    *shortcut.Shortcuts
}

func newRig(t *testing.T, opts ...shortcut.Option) *rig {
	t.Helper()
	g := &rig{t: t, ctx: context.Background(), now: time.Unix(1000, 0)}
	g.r = reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(g.clock))
	g.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(g.r))
	t.Cleanup(func() { _ = g.mp.Shutdown(context.Background()) })
	opts = append([]shortcut.Option{shortcut.WithClock(g.clock), shortcut.WithErrorHandler(g.handle)}, opts...)
	g.s = shortcut.New(g.mp.Meter("test"), g.r, opts...)
	return g
}

func (g *rig) clock() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

func (g *rig) advance(d time.Duration) {
	g.mu.Lock()
	g.now = g.now.Add(d)
	g.mu.Unlock()
}

func (g *rig) handle(err error) {
	g.mu.Lock()
	g.errs = append(g.errs, err)
	g.mu.Unlock()
}

func (g *rig) errors() []error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]error(nil), g.errs...)
}

// tickFor advances the clock by d, one tick (second) at a time.
func (g *rig) tickFor(d time.Duration) {
	g.t.Helper()
	for ; d > 0; d -= time.Second {
		g.advance(time.Second)
		if err := g.r.Tick(g.ctx); err != nil {
			g.t.Fatal(err)
		}
	}
}

func (g *rig) report() report.Report {
	g.t.Helper()
	rep, err := g.r.Report(g.ctx)
	if err != nil {
		g.t.Fatal(err)
	}
	return rep
}

func (g *rig) value(key string) counters.Value {
	g.t.Helper()
	v, ok := g.report().Lookup(key)
	if !ok {
		g.t.Fatalf("no counter %q in the report", key)
	}
	return v.Value
}

func (g *rig) kind(name string) counters.Kind {
	for _, d := range g.r.Counters() {
		if d.Name == name {
			return d.Kind
		}
	}
	return 0
}

func TestAutomaticCounters(t *testing.T) {
	g := newRig(t)
	ctx := g.ctx
	for i := 0; i < 10; i++ {
		tm := g.s.Time(ctx, "requests_time")
		g.advance(time.Duration(i+1) * 10 * time.Millisecond) // 10 ms … 100 ms
		if d := tm.Stop(); d != time.Duration(i+1)*10*time.Millisecond {
			t.Fatalf("Stop returned %v", d)
		}
		g.s.Frequency(ctx, "requests_frequency")
		g.s.Count(ctx, "requests")
		g.s.Occurrence(ctx, "cache_miss")
		g.s.Value(ctx, "requests_data_len", float64(i))
		// Each round lasts one second in all.
		g.advance(time.Second - time.Duration(i+1)*10*time.Millisecond)
		if err := g.r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]counters.Kind{
		"requests_time":      counters.AverageTime,
		"requests_frequency": counters.Frequency,
		"requests":           counters.Event,
		"cache_miss":         counters.Frequency,
		"requests_data_len":  counters.Average,
	} {
		if got := g.kind(name); got != want {
			t.Errorf("automatic counter %q: kind %v, want %v", name, got, want)
		}
	}
	rep := g.report()
	check := func(key string, want float64) {
		t.Helper()
		v, ok := rep.Lookup(key)
		if !ok || !v.OK || math.Abs(v.V-want) > 1e-9 {
			t.Errorf("%s = %+v, want %v", key, v.Value, want)
		}
	}
	// Ten calls over ten seconds: 1 per second.
	check("requests_time", 0.055)
	check("requests_frequency", 1)
	check("cache_miss", 1)
	check("requests", 10)
	check("requests_data_len", 4.5)
	if errs := g.errors(); len(errs) > 0 {
		t.Errorf("unexpected errors: %v", errs)
	}
}

func TestExistingCounterIsKept(t *testing.T) {
	g := newRig(t)
	if err := g.r.Register(counters.Definition{Name: "requests_data_len", Kind: counters.Total}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{3, 4, 5} {
		g.s.Value(g.ctx, "requests_data_len", v)
	}
	if k := g.kind("requests_data_len"); k != counters.Total {
		t.Errorf("kind %v, want the registered total", k)
	}
	if v := g.value("requests_data_len"); v.V != 12 {
		t.Errorf("total = %v, want 12", v)
	}
	if errs := g.errors(); len(errs) > 0 {
		t.Errorf("a kept counter is not an error: %v", errs)
	}
}

func TestAutoChoices(t *testing.T) {
	g := newRig(t,
		shortcut.WithAutoFor("off", shortcut.Auto{Off: true}),
		shortcut.WithAutoFor("total", shortcut.Auto{Kind: counters.Total}),
		shortcut.WithAutoFor("windowed", shortcut.Auto{Kind: counters.WindowSum, Window: 10 * time.Second}))
	ctx := g.ctx
	g.s.Value(ctx, "off", 1)
	g.s.Value(ctx, "total", 2)
	g.s.Value(ctx, "total", 3)
	g.s.Count(ctx, "windowed")
	if g.r.Has("off") {
		t.Error("Auto{Off: true} added a counter")
	}
	if k := g.kind("total"); k != counters.Total {
		t.Errorf("Auto{Kind: Total} gave %v", k)
	}
	for _, d := range g.r.Counters() {
		if d.Name == "windowed" && (d.Kind != counters.WindowSum || d.Window != 10*time.Second) {
			t.Errorf("windowed: %+v", d)
		}
	}
	if v := g.value("total"); v.V != 5 {
		t.Errorf("total = %v, want 5", v)
	}

	off := newRig(t, shortcut.WithAuto(shortcut.Auto{Off: true}), shortcut.WithAutoFor("f", shortcut.Auto{}))
	tm := off.s.Time(ctx, "t")
	tm.Stop()
	off.s.Count(ctx, "c")
	if n := len(off.r.Counters()); n != 0 {
		t.Errorf("WithAuto(Off) still added %d counters", n)
	}
	// A name may still ask for one.
	off.s.Frequency(ctx, "f")
	if !off.r.Has("f") {
		t.Error("WithAutoFor did not override WithAuto")
	}
}

func TestNilRegistryAndMeter(t *testing.T) {
	s := shortcut.New(nil, nil)
	s.Count(context.Background(), "x")
	tm := s.Time(context.Background(), "y")
	if tm.Stop() < 0 {
		t.Error("negative duration")
	}
}

func TestStartAddsNoCounter(t *testing.T) {
	g := newRig(t)
	if err := g.r.Register(counters.Definition{Name: "db_max", Kind: counters.Max, Events: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	tok := g.s.Start(g.ctx, "db")
	g.advance(250 * time.Millisecond)
	g.s.End(&tok)
	if g.r.Has("db") {
		t.Error("Start added a counter")
	}
	if v := g.value("db_max"); v.V != 0.25 {
		t.Errorf("db_max = %v, want 0.25", v)
	}
}

// PyCounters kept one timer per thread: an outer 0.15 s block around an inner
// 0.05 s one gave 0.05 and 0.10. Here each call pairs with its own Timer.
func TestTimingsNest(t *testing.T) {
	g := newRig(t)
	for _, k := range []counters.Kind{counters.Max, counters.Min} {
		if err := g.r.Register(counters.Definition{Name: "work_" + k.String(), Kind: k, Events: []string{"work"}}); err != nil {
			t.Fatal(err)
		}
	}
	outer := g.s.Time(g.ctx, "work")
	g.advance(50 * time.Millisecond)
	inner := g.s.Time(g.ctx, "work")
	g.advance(50 * time.Millisecond)
	inner.Stop()
	g.advance(50 * time.Millisecond)
	outer.Stop()
	if v := g.value("work_max"); math.Abs(v.V-0.15) > 1e-12 {
		t.Errorf("max = %v, want 0.15", v)
	}
	if v := g.value("work_min"); math.Abs(v.V-0.05) > 1e-12 {
		t.Errorf("min = %v, want 0.05", v)
	}
	if v := g.value("work"); math.Abs(v.V-0.1) > 1e-12 || v.Count != 2 {
		t.Errorf("average = %+v, want 0.1 over 2", v)
	}
}

func TestTimerAcrossGoroutines(t *testing.T) {
	g := newRig(t)
	const n = 50
	toks := make(chan shortcut.Timer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks <- g.s.Start(g.ctx, "job")
		}()
	}
	wg.Wait()
	close(toks)
	g.advance(time.Second)
	var ends sync.WaitGroup
	for tok := range toks {
		ends.Add(1)
		go func() {
			defer ends.Done()
			g.s.End(&tok)
		}()
	}
	ends.Wait()
	if err := g.r.Register(counters.Definition{Name: "job_count", Kind: counters.Count, Events: []string{"job"}}); err != nil {
		t.Fatal(err)
	}
	// The counter was registered after the timings, within the same interval.
	if v := g.value("job_count"); v.V != n {
		t.Errorf("job_count = %v, want %d", v, n)
	}
	if errs := g.errors(); len(errs) > 0 {
		t.Errorf("errors: %v", errs)
	}
}

func TestMisuse(t *testing.T) {
	g := newRig(t)
	tm := g.s.Time(g.ctx, "requests_time")
	g.advance(time.Second)
	if d := tm.Stop(); d != time.Second {
		t.Fatalf("first Stop = %v", d)
	}
	if d := tm.Stop(); d != 0 {
		t.Errorf("second Stop = %v, want 0", d)
	}
	g.s.End(&tm)
	var zero shortcut.Timer
	g.s.End(&zero)
	g.s.End(nil)
	errs := g.errors()
	if len(errs) != 4 {
		t.Fatalf("got %d errors, want 4: %v", len(errs), errs)
	}
	for i, want := range []string{`"requests_time" stopped twice`, `"requests_time" stopped twice`, "never started", "nil Timer"} {
		if !strings.Contains(errs[i].Error(), want) {
			t.Errorf("error %d = %q, want it to say %q", i, errs[i], want)
		}
	}
	if v := g.value("requests_time"); v.Count != 1 || v.V != 1 {
		t.Errorf("requests_time = %+v, want one timing of 1 s", v)
	}
}

// A zero Timer has no Shortcuts: its Stop goes to otel.Handle.
func TestZeroTimerStopGoesToOtelHandle(t *testing.T) {
	var got []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { got = append(got, err) }))
	defer otel.SetErrorHandler(prev)
	var zero shortcut.Timer
	if d := zero.Stop(); d != 0 {
		t.Errorf("zero Stop = %v", d)
	}
	if len(got) != 1 || !strings.Contains(got[0].Error(), "never started") {
		t.Errorf("otel.Handle got %v", got)
	}
}

func TestTimeFunc(t *testing.T) {
	g := newRig(t)
	boom := errors.New("boom")
	err := g.s.TimeFunc(g.ctx, "step", func() error {
		g.advance(2 * time.Second)
		return boom
	})
	if err != boom {
		t.Errorf("TimeFunc returned %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		_ = g.s.TimeFunc(g.ctx, "step", func() error {
			g.advance(4 * time.Second)
			panic("inside")
		})
	}()
	if v := g.value("step"); v.V != 3 || v.Count != 2 {
		t.Errorf("step = %+v, want two timings averaging 3 s", v)
	}
}

func TestBadValues(t *testing.T) {
	g := newRig(t)
	for _, v := range []float64{4, math.NaN(), math.Inf(1), math.Inf(-1), -2} {
		g.s.Value(g.ctx, "temperature", v)
	}
	errs := g.errors()
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3 (NaN, +Inf, -Inf): %v", len(errs), errs)
	}
	for _, err := range errs {
		if !strings.Contains(err.Error(), `"temperature"`) {
			t.Errorf("error does not name the event: %v", err)
		}
	}
	// The good values are all there: a NaN recorded would have voided them.
	if v := g.value("temperature"); v.V != 1 || v.Count != 2 {
		t.Errorf("temperature = %+v, want mean 1 of 2 values", v)
	}
}

func TestRegistrationErrorIsReported(t *testing.T) {
	g := newRig(t, shortcut.WithAutoFor("bad_window", shortcut.Auto{Window: -time.Second}))
	g.s.Value(g.ctx, "bad_window", 1)
	errs := g.errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `"bad_window"`) || !strings.Contains(errs[0].Error(), "negative window") {
		t.Errorf("errors = %v", errs)
	}
	if g.r.Has("bad_window") {
		t.Error("a bad counter was registered")
	}
}

func TestInvalidInstrumentName(t *testing.T) {
	g := newRig(t)
	g.s.Count(g.ctx, "no spaces allowed")
	errs := g.errors()
	if len(errs) == 0 || !strings.Contains(errs[len(errs)-1].Error(), `"no spaces allowed"`) {
		t.Errorf("errors = %v", errs)
	}
}

func TestConcurrentUse(t *testing.T) {
	g := newRig(t)
	names := []string{"a", "b", "c", "d"}
	const perG = 200
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < perG; j++ {
				n := names[(i+j)%len(names)]
				tm := g.s.Time(g.ctx, n+"_time")
				g.s.Count(g.ctx, n)
				g.s.Value(g.ctx, n+"_len", float64(j))
				tm.Stop()
			}
		}()
	}
	wg.Wait()
	rep := g.report()
	var total float64
	for _, n := range names {
		v, _ := rep.Lookup(n)
		total += v.V
		tv, _ := rep.Lookup(n + "_time")
		lv, _ := rep.Lookup(n + "_len")
		if tv.Count != lv.Count || tv.Count == 0 {
			t.Errorf("%s: %d timings, %d values", n, tv.Count, lv.Count)
		}
	}
	if total != 8*perG {
		t.Errorf("counted %v calls, want %d", total, 8*perG)
	}
	if errs := g.errors(); len(errs) > 0 {
		t.Errorf("errors: %v", errs)
	}
}

// Names built at run time (new bytes on every call) find the same
// instrument as literals, and never another one.
func TestDynamicNames(t *testing.T) {
	g := newRig(t)
	const n = 300 // more names than the fast cache has slots
	for round := 0; round < 3; round++ {
		for i := 0; i < n; i++ {
			name := strings.Clone("job_" + strconv.Itoa(i))
			for j := 0; j <= i%3; j++ {
				g.s.Count(g.ctx, name)
			}
		}
	}
	rep := g.report()
	for i := 0; i < n; i++ {
		key := "job_" + strconv.Itoa(i)
		v, ok := rep.Lookup(key)
		if want := float64(3 * (i%3 + 1)); !ok || v.V != want {
			t.Fatalf("%s = %+v, want %v", key, v.Value, want)
		}
	}
}

// Attributes reach the instruments; the automatic counters aggregate over
// them unless their Auto selects some, by the rules of every counter.
func TestAttributes(t *testing.T) {
	g := newRig(t,
		shortcut.WithAutoFor("by_route", shortcut.Auto{By: []string{"route"}}),
		shortcut.WithAutoFor("without_port", shortcut.Auto{Without: []string{"port"}}),
		shortcut.WithAutoFor("bad", shortcut.Auto{By: []string{"a"}, Without: []string{"b"}}))
	ctx := g.ctx
	at := func(route string, port int) metric.MeasurementOption {
		return metric.WithAttributes(attribute.String("route", route), attribute.Int("port", port))
	}
	for i, route := range []string{"/a", "/b", "/a", "/a"} {
		o := at(route, 8000+i)
		tm := g.s.Time(ctx, "time", o)
		g.advance(time.Duration(i+1) * time.Millisecond)
		tm.Stop()
		if err := g.s.TimeFunc(ctx, "by_route", func() error { g.advance(time.Millisecond); return nil }, o); err != nil {
			t.Fatal(err)
		}
		g.s.Value(ctx, "value", float64(i), o)
		g.s.Count(ctx, "without_port", o)
		g.s.Frequency(ctx, "freq", o)
		g.s.Occurrence(ctx, "occ", o)
		st := g.s.Start(ctx, "time", o) // no counter of its own
		g.s.End(&st)
		g.s.Count(ctx, "bad", o)
	}
	g.tickFor(time.Second)
	rep := g.report()
	for key, want := range map[string]float64{
		"time":                     0.0025 / 2, // (1+2+3+4) ms and four Start/End of no time, / 8
		`by_route{route="/a"}`:     0.001,
		`by_route{route="/b"}`:     0.001,
		"value":                    1.5,
		`without_port{route="/a"}`: 3,
		`without_port{route="/b"}`: 1,
		"freq":                     4 / 1.014, // over the 1.014 s since the start
		"occ":                      4 / 1.014,
	} {
		v, ok := rep.Lookup(key)
		if !ok {
			t.Errorf("%s not in the report: %v", key, rep.Values)
			continue
		}
		if math.Abs(v.V-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", key, v.V, want)
		}
	}
	for _, name := range []string{"time", "value", "freq", "occ"} {
		for _, v := range rep.Values {
			if v.Counter == name && v.Key != name {
				t.Errorf("%s has a series %s: the default is one series", name, v.Key)
			}
		}
	}
	if errs := g.errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `"bad"`) || !strings.Contains(errs[0].Error(), "by and without both given") {
		t.Errorf("errors = %v, want one naming the bad Auto", errs)
	}
}

// A counter named like a shortcut's event but listening to other events
// (a file's requests_time on the event "request") is kept, and the
// shortcut says that its measurements reach no counter of that name,
// naming both definitions.
func TestExistingCounterOnOtherEvents(t *testing.T) {
	g := newRig(t)
	if err := g.r.Register(counters.Definition{Name: "requests_time", Kind: counters.AverageTime, Events: []string{"request"}}); err != nil {
		t.Fatal(err)
	}
	if err := g.r.Register(counters.Definition{Name: "requests_frequency", Kind: counters.Frequency, Events: []string{"requests_frequency", "other"}}); err != nil {
		t.Fatal(err)
	}
	tm := g.s.Time(g.ctx, "requests_time")
	tm.Stop()
	tm = g.s.Time(g.ctx, "requests_time") // said once, at the first use
	tm.Stop()
	g.s.Frequency(g.ctx, "requests_frequency")
	errs := g.errors()
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	for _, want := range []string{`shortcut Time, event "requests_time"`, `(average_time of events ["request"])`, `(average_time of event "requests_time")`} {
		if !strings.Contains(errs[0].Error(), want) {
			t.Errorf("error %q does not say %q", errs[0], want)
		}
	}
	if k := g.kind("requests_time"); k != counters.AverageTime {
		t.Errorf("the existing counter is not kept: %v", k)
	}
}
