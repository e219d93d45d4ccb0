package scoped_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/scoped"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setup returns an SDK provider's ManualReader, the wrapper of that
// provider and a meter of the wrapper.
func setup(t *testing.T) (*sdkmetric.ManualReader, *scoped.MeterProvider, metric.Meter) {
	t.Helper()
	rd := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	t.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	mp := scoped.Wrap(sdk)
	return rd, mp, mp.Meter("test")
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// collect reads the SDK's data into the flat key format, computed from the
// SDK's own aggregation: sums and gauges under their report key, histograms
// as name.count and name.sum.
func collect(t *testing.T, rd *sdkmetric.ManualReader) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[report.Key(m.Name, p.Attributes)] = float64(p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					out[report.Key(m.Name, p.Attributes)] = p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[report.Key(m.Name, p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					out[report.Key(m.Name, p.Attributes)] = p.Value
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					out[report.Key(m.Name+".count", p.Attributes)] = float64(p.Count)
					out[report.Key(m.Name+".sum", p.Attributes)] = float64(p.Sum)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[report.Key(m.Name+".count", p.Attributes)] = float64(p.Count)
					out[report.Key(m.Name+".sum", p.Attributes)] = p.Sum
				}
			default:
				t.Fatalf("unexpected data %T for %s", m.Data, m.Name)
			}
		}
	}
	return out
}

func flatWithout(res scoped.Result, filter ...attribute.KeyValue) map[string]float64 {
	m := res.Flat(filter...)
	delete(m, scoped.TotalDurationKey)
	return m
}

func TestInsideAndOutside(t *testing.T) {
	rd, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("requests"))
	ctx, rec := mp.Start(context.Background())
	c.Add(ctx, 2)
	c.Add(context.Background(), 5)
	c.Add(context.WithValue(ctx, struct{ k int }{1}, 1), 3) // derived context
	res := rec.Stop()
	if got := flatWithout(res); !maps.Equal(got, map[string]float64{"requests": 5}) {
		t.Errorf("recording = %v, want requests 5 (2 + 3 from derived context)", got)
	}
	if got := collect(t, rd)["requests"]; got != 10 {
		t.Errorf("SDK requests = %v, want 10", got)
	}
}

func TestResultKeys(t *testing.T) {
	_, mp, m := setup(t)
	must2 := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ic, err := m.Int64Counter("db.calls")
	must2(err)
	fu, err := m.Float64UpDownCounter("inflight")
	must2(err)
	hs, err := m.Float64Histogram("db.query", metric.WithUnit("s"))
	must2(err)
	hms, err := m.Int64Histogram("render", metric.WithUnit("ms"))
	must2(err)
	hb, err := m.Int64Histogram("payload", metric.WithUnit("By"))
	must2(err)
	g, err := m.Float64Gauge("queue.depth")
	must2(err)

	clock := newClock()
	ctx, rec := mp.Start(context.Background(), scoped.WithClock(clock.Now))
	get := metric.WithAttributes(attribute.String("method", "GET"))
	ic.Add(ctx, 1)
	ic.Add(ctx, 1)
	ic.Add(ctx, 4, get)
	fu.Add(ctx, 3)
	fu.Add(ctx, -1)
	hs.Record(ctx, 0.25)
	hs.Record(ctx, 0.5)
	hms.Record(ctx, 12)
	hb.Record(ctx, 100)
	hb.Record(ctx, 300)
	g.Record(ctx, 7)
	g.Record(ctx, 3)
	clock.Advance(1500 * time.Millisecond)
	res := rec.Stop()

	want := map[string]float64{
		"db.calls":               1 + 1,
		`db.calls{method="GET"}`: 4,
		"inflight":               3 - 1,
		"db.query.count":         2,
		"db.query.total_dur":     0.25 + 0.5,
		"render.count":           1,
		"render.total_dur":       12,
		"payload.count":          2,
		"payload.sum":            100 + 300,
		"queue.depth":            3,
		scoped.TotalDurationKey:  1.5,
	}
	if got := res.Flat(); !maps.Equal(got, want) {
		t.Errorf("Flat() = %v\nwant %v", got, want)
	}
	if res.Duration != 1500*time.Millisecond {
		t.Errorf("Duration = %v", res.Duration)
	}
	for i := 1; i < len(res.Series); i++ {
		if res.Series[i-1].Key >= res.Series[i].Key {
			t.Errorf("series not sorted: %q before %q", res.Series[i-1].Key, res.Series[i].Key)
		}
	}
	for _, s := range res.Series {
		if s.Name == "payload" && (s.Kind != scoped.Histogram || s.Min != 100 || s.Max != 300 || s.Last != 300 || s.Unit != "By") {
			t.Errorf("payload series = %+v", s)
		}
		if s.Name == "queue.depth" && (s.Kind != scoped.Gauge || s.Count != 2) {
			t.Errorf("queue.depth series = %+v", s)
		}
	}
}

func TestTagFilter(t *testing.T) {
	_, mp, m := setup(t)
	calls := must[metric.Int64Counter](t)(m.Int64Counter("api.calls"))
	lat := must[metric.Float64Histogram](t)(m.Float64Histogram("api.latency", metric.WithUnit("s")))
	temp := must[metric.Float64Gauge](t)(m.Float64Gauge("temp"))
	clock := newClock()
	ctx, rec := mp.Start(context.Background(), scoped.WithClock(clock.Now))
	users := metric.WithAttributes(attribute.String("endpoint", "/users"), attribute.String("method", "GET"))
	items := metric.WithAttributes(attribute.String("endpoint", "/items"), attribute.String("method", "GET"))
	posts := metric.WithAttributes(attribute.String("endpoint", "/posts"), attribute.String("method", "POST"))
	calls.Add(ctx, 1, users)
	calls.Add(ctx, 1, posts)
	calls.Add(ctx, 2, items)
	lat.Record(ctx, 0.5, users)
	lat.Record(ctx, 0.25, items)
	lat.Record(ctx, 4, posts)
	temp.Record(ctx, 10, items)
	temp.Record(ctx, 20, users) // the latest GET value
	temp.Record(ctx, 30, posts)
	clock.Advance(time.Second)
	res := rec.Stop()

	get := map[string]float64{
		"api.calls":             1 + 2,
		"api.latency.count":     2,
		"api.latency.total_dur": 0.5 + 0.25,
		"temp":                  20,
		scoped.TotalDurationKey: 1,
	}
	if got := res.Flat(attribute.String("method", "GET")); !maps.Equal(got, get) {
		t.Errorf("Flat(method=GET) = %v\nwant %v", got, get)
	}
	// scopedstats' own example: one GET call among a GET and a POST.
	one := map[string]float64{"api.calls": 1, "api.latency.count": 1, "api.latency.total_dur": 0.5, "temp": 20, scoped.TotalDurationKey: 1}
	if got := res.Flat(attribute.String("method", "GET"), attribute.String("endpoint", "/users")); !maps.Equal(got, one) {
		t.Errorf("Flat(GET /users) = %v\nwant %v", got, one)
	}
	if got := res.Flat(attribute.String("method", "PUT")); !maps.Equal(got, map[string]float64{scoped.TotalDurationKey: 1}) {
		t.Errorf("Flat(method=PUT) = %v, want only the duration", got)
	}
	// A repeated key keeps its last value, like attribute.NewSet.
	if got := flatWithout(res, attribute.String("method", "GET"), attribute.String("method", "POST")); got["api.calls"] != 1 || got["api.latency.total_dur"] != 4 {
		t.Errorf("Flat(method=GET, method=POST) = %v, want the POST series", got)
	}
}

func TestRequire(t *testing.T) {
	_, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("c"))

	_, rec := mp.Start(context.Background(), scoped.WithName("GET /users"))
	res := rec.Stop()
	err := res.Require()
	if !errors.Is(err, scoped.ErrNothingRecorded) {
		t.Fatalf("Require() = %v, want ErrNothingRecorded", err)
	}
	if !strings.Contains(err.Error(), `"GET /users"`) {
		t.Errorf("error %q does not name the recording", err)
	}
	if got := res.Flat(); len(got) != 1 || len(res.Series) != 0 {
		t.Errorf("empty recording: Flat() = %v, Series = %v", got, res.Series)
	}

	_, rec = mp.Start(context.Background())
	err = rec.Stop().Require()
	if !errors.Is(err, scoped.ErrNothingRecorded) || !strings.Contains(err.Error(), "unnamed") {
		t.Errorf("unnamed: Require() = %v", err)
	}

	ctx, rec := mp.Start(context.Background(), scoped.WithName("ok"))
	c.Add(ctx, 1)
	if err := rec.Stop().Require(); err != nil {
		t.Errorf("Require() after a measurement = %v", err)
	}

	// A provider that is not wrapped never reaches the recording.
	plain := sdkmetric.NewMeterProvider()
	t.Cleanup(func() { _ = plain.Shutdown(context.Background()) })
	pc := must[metric.Int64Counter](t)(plain.Meter("x").Int64Counter("c"))
	ctx, rec = mp.Start(context.Background(), scoped.WithName("unwrapped"))
	pc.Add(ctx, 1)
	if err := rec.Stop().Require(); !errors.Is(err, scoped.ErrNothingRecorded) {
		t.Errorf("unwrapped provider: Require() = %v", err)
	}
}

func TestStopTwice(t *testing.T) {
	_, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("c"))
	clock := newClock()
	ctx, rec := mp.Start(context.Background(), scoped.WithClock(clock.Now))
	c.Add(ctx, 1)
	clock.Advance(time.Second)
	first := rec.Stop()
	c.Add(ctx, 1) // after Stop: not recorded
	clock.Advance(time.Second)
	second := rec.Stop()
	if !maps.Equal(first.Flat(), second.Flat()) || first.Duration != second.Duration || first.Duration != time.Second {
		t.Errorf("second Stop = %v (%v), first = %v (%v)", second.Flat(), second.Duration, first.Flat(), first.Duration)
	}
	if first.Flat()["c"] != 1 {
		t.Errorf("c = %v, want 1", first.Flat()["c"])
	}
	// Results do not share their Series with each other.
	second.Series[0].Sum = 100
	if third := rec.Stop(); third.Series[0].Sum != 1 {
		t.Errorf("a caller's change leaked into the recording: %v", third.Series[0].Sum)
	}
}

func TestGoroutines(t *testing.T) {
	rd, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("work"))
	h := must[metric.Float64Histogram](t)(m.Float64Histogram("step", metric.WithUnit("s")))
	ctx, rec := mp.Start(context.Background())
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attrs := metric.WithAttributes(attribute.Int("worker", w%2))
			for range each {
				c.Add(ctx, 1, attrs)
				h.Record(ctx, 0.5)
				c.Add(context.Background(), 1, attrs) // outside
			}
		}()
	}
	wg.Wait()
	got := flatWithout(rec.Stop())
	want := map[string]float64{
		`work{worker="0"}`: workers / 2 * each,
		`work{worker="1"}`: workers / 2 * each,
		"step.count":       workers * each,
		"step.total_dur":   workers * each * 0.5,
	}
	if !maps.Equal(got, want) {
		t.Errorf("recording = %v\nwant %v", got, want)
	}
	if sdk := collect(t, rd); sdk[`work{worker="0"}`] != 2*want[`work{worker="0"}`] {
		t.Errorf("SDK = %v, want twice the recording's work", sdk)
	}
}

func TestConcurrentStartStop(t *testing.T) {
	_, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("c"))
	outer, rec := mp.Start(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				ctx, inner := mp.Start(outer)
				c.Add(ctx, 1)
				if got := inner.Stop().Flat()["c"]; got != 1 {
					t.Errorf("inner c = %v", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := rec.Stop().Flat()["c"]; got != 400 {
		t.Errorf("outer c = %v, want 400", got)
	}
}

func TestNested(t *testing.T) {
	_, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("c"))
	ctx0, outer := mp.Start(context.Background(), scoped.WithName("outer"))
	c.Add(ctx0, 1)
	ctx1, middle := mp.Start(ctx0, scoped.WithName("middle"))
	c.Add(ctx1, 10)
	ctx2, inner := mp.Start(ctx1, scoped.WithName("inner"))
	c.Add(ctx2, 100)
	// A sibling of middle sees nothing of middle's measurements.
	sctx, sibling := mp.Start(ctx0)
	c.Add(sctx, 1000)

	// middle stops first: inner's measurements still reach outer.
	if got := middle.Stop().Flat()["c"]; got != 110 {
		t.Errorf("middle = %v, want 110", got)
	}
	c.Add(ctx2, 100)
	if got := inner.Stop().Flat()["c"]; got != 200 {
		t.Errorf("inner = %v, want 200", got)
	}
	if got := sibling.Stop().Flat()["c"]; got != 1000 {
		t.Errorf("sibling = %v, want 1000", got)
	}
	if got := outer.Stop().Flat()["c"]; got != 1+10+100+1000+100 {
		t.Errorf("outer = %v, want 1211", got)
	}
}

func TestSeriesLimit(t *testing.T) {
	_, mp, m := setup(t)
	c := must[metric.Int64Counter](t)(m.Int64Counter("c"))
	ctx, rec := mp.Start(context.Background(), scoped.WithSeriesLimit(3))
	for i := range 10 {
		c.Add(ctx, 1, metric.WithAttributes(attribute.Int("i", i)))
	}
	c.Add(ctx, 1, metric.WithAttributes(attribute.Int("i", 0))) // existing series
	got := flatWithout(rec.Stop())
	want := map[string]float64{
		`c{i="0"}`: 2, `c{i="1"}`: 1, `c{i="2"}`: 1,
		`c{otel.metric.overflow="true"}`: 7,
	}
	if !maps.Equal(got, want) {
		t.Errorf("Flat() = %v\nwant %v", got, want)
	}
}

func TestSameNameMerges(t *testing.T) {
	rd := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	mp := scoped.Wrap(sdk)
	a := must[metric.Int64Counter](t)(mp.Meter("a").Int64Counter("hits"))
	b := must[metric.Int64Counter](t)(mp.Meter("b").Int64Counter("hits"))
	a2 := must[metric.Int64Counter](t)(mp.Meter("a").Int64Counter("hits"))
	ctx, rec := mp.Start(context.Background())
	a.Add(ctx, 1)
	b.Add(ctx, 2)
	a2.Add(ctx, 4)
	res := rec.Stop()
	if len(res.Series) != 1 || res.Series[0].Sum != 7 || res.Series[0].Count != 3 {
		t.Errorf("series = %+v, want one of sum 7", res.Series)
	}
}

func TestSDKReceivesEverything(t *testing.T) {
	rd, mp, m := setup(t)
	ic := must[metric.Int64Counter](t)(m.Int64Counter("ic"))
	fc := must[metric.Float64Counter](t)(m.Float64Counter("fc"))
	iu := must[metric.Int64UpDownCounter](t)(m.Int64UpDownCounter("iu"))
	fu := must[metric.Float64UpDownCounter](t)(m.Float64UpDownCounter("fu"))
	ih := must[metric.Int64Histogram](t)(m.Int64Histogram("ih"))
	fh := must[metric.Float64Histogram](t)(m.Float64Histogram("fh"))
	ig := must[metric.Int64Gauge](t)(m.Int64Gauge("ig"))
	fg := must[metric.Float64Gauge](t)(m.Float64Gauge("fg"))

	ctx, rec := mp.Start(context.Background())
	for i := range 20 {
		a := metric.WithAttributes(attribute.String("p", fmt.Sprint(i%3)), attribute.Bool("odd", i%2 == 1))
		ic.Add(ctx, int64(i), a)
		fc.Add(ctx, float64(i)/4, a)
		iu.Add(ctx, int64(10-i), a)
		fu.Add(ctx, float64(10-i)/8, a)
		ih.Record(ctx, int64(i*i), a)
		fh.Record(ctx, float64(i)/16, a)
		ig.Record(ctx, int64(i), a)
		fg.Record(ctx, float64(-i), a)
	}
	got := flatWithout(rec.Stop())
	want := collect(t, rd)
	if len(want) == 0 || !maps.Equal(got, want) {
		t.Errorf("recording and SDK differ\nrecording %v\nSDK       %v", got, want)
	}
}

func TestEnabled(t *testing.T) {
	// No reader: the SDK drops everything, a recording still wants it.
	sdk := sdkmetric.NewMeterProvider()
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	mp := scoped.Wrap(sdk)
	c := must[metric.Int64Counter](t)(mp.Meter("x").Int64Counter("c"))
	if c.Enabled(context.Background()) {
		t.Error("Enabled without reader or recording = true")
	}
	ctx, rec := mp.Start(context.Background())
	if !c.Enabled(ctx) {
		t.Error("Enabled with a recording = false")
	}
	if c.Enabled(context.Background()) {
		t.Error("Enabled with a recording in another context = true")
	}
	c.Add(ctx, 3)
	if got := rec.Stop().Flat()["c"]; got != 3 {
		t.Errorf("c = %v, want 3", got)
	}
	if c.Enabled(ctx) {
		t.Error("Enabled with a stopped recording = true")
	}

	_, _, m := setup(t)
	h := must[metric.Float64Histogram](t)(m.Float64Histogram("h"))
	if !h.Enabled(context.Background()) {
		t.Error("Enabled with a reader = false")
	}
}

// hasScoped is a provider with a wrapper of its own, as the bridge's.
type hasScoped struct {
	metric.MeterProvider
	s *scoped.MeterProvider
}

func (h hasScoped) Scoped() *scoped.MeterProvider { return h.s }

func TestWrap(t *testing.T) {
	sdk := sdkmetric.NewMeterProvider()
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	w := scoped.Wrap(sdk)
	if scoped.Wrap(w) != w {
		t.Error("Wrap(Wrap(mp)) wraps twice")
	}
	if w.Unwrap() != sdk {
		t.Error("Unwrap does not return the wrapped provider")
	}
	if got := scoped.Wrap(hasScoped{sdk, w}); got != w {
		t.Error("Wrap of a provider with a wrapper of its own wraps it again")
	}
	if got := scoped.Wrap(hasScoped{sdk, nil}); got == w || got.Unwrap() != (hasScoped{sdk, nil}) {
		t.Error("Wrap of a provider without a wrapper of its own does not wrap it")
	}
	// A nil provider, typed or not, still feeds recordings.
	for _, inner := range []metric.MeterProvider{nil, (*scoped.MeterProvider)(nil)} {
		mp := scoped.Wrap(inner)
		c := must[metric.Float64Counter](t)(mp.Meter("x").Float64Counter("c"))
		ctx, rec := mp.Start(context.Background())
		c.Add(ctx, 0.5)
		if got := rec.Stop().Flat()["c"]; got != 0.5 {
			t.Errorf("Wrap(%#v): c = %v, want 0.5", inner, got)
		}
	}
}

// A recording takes the measurements of the provider that started it, not
// those of another wrapper, even one of the same SDK provider.
func TestProvidersApart(t *testing.T) {
	rd, a, ma := setup(t)
	b := scoped.Wrap(a.Unwrap())
	ca := must[metric.Int64Counter](t)(ma.Int64Counter("c"))
	cb := must[metric.Int64Counter](t)(b.Meter("test").Int64Counter("c"))
	actx, arec := a.Start(context.Background())
	bctx, brec := b.Start(actx) // carries both recordings
	ca.Add(bctx, 1)
	cb.Add(bctx, 10)
	cb.Add(actx, 100)
	if got := arec.Stop().Flat()["c"]; got != 1 {
		t.Errorf("a's recording: c = %v, want 1", got)
	}
	if got := brec.Stop().Flat()["c"]; got != 10 {
		t.Errorf("b's recording: c = %v, want 10", got)
	}
	if got := collect(t, rd)["c"]; got != 111 {
		t.Errorf("SDK c = %v, want 111", got)
	}
}

// countingContext counts the lookups made in it.
type countingContext struct {
	context.Context
	mu      sync.Mutex
	lookups int
}

func (c *countingContext) Value(key any) any {
	c.mu.Lock()
	c.lookups++
	c.mu.Unlock()
	return c.Context.Value(key)
}

func (c *countingContext) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.lookups
	c.lookups = 0
	return n
}

// While the provider has no active recording, its instruments do not look
// into the context at all; while it has one, they do, and find nothing in
// a context that does not carry it.
func TestNoLookupWithoutRecording(t *testing.T) {
	mp := scoped.Wrap(nil) // the no-op provider does not look into contexts
	c := must[metric.Int64Counter](t)(mp.Meter("x").Int64Counter("c"))
	h := must[metric.Float64Histogram](t)(mp.Meter("x").Float64Histogram("h"))
	ctx := &countingContext{Context: context.Background()}
	measure := func() {
		c.Add(ctx, 1)
		h.Record(ctx, 0.5)
		_ = c.Enabled(ctx)
	}
	measure()
	if n := ctx.take(); n != 0 {
		t.Errorf("no active recording: %d context lookups, want 0", n)
	}
	_, rec := mp.Start(context.Background())
	measure()
	if n := ctx.take(); n == 0 {
		t.Error("a recording is active: no context lookup")
	}
	if got := rec.Stop(); len(got.Series) != 0 {
		t.Errorf("the recording took measurements of another context: %v", got.Flat())
	}
	measure()
	if n := ctx.take(); n != 0 {
		t.Errorf("after Stop: %d context lookups, want 0", n)
	}
}

func TestObservablesPassThrough(t *testing.T) {
	rd, _, m := setup(t)
	oc := must[metric.Int64ObservableCounter](t)(m.Int64ObservableCounter("oc"))
	og := must[metric.Float64ObservableGauge](t)(m.Float64ObservableGauge("og"))
	ou := must[metric.Float64ObservableUpDownCounter](t)(m.Float64ObservableUpDownCounter("ou"))
	_ = must[metric.Int64ObservableGauge](t)(m.Int64ObservableGauge("cb", metric.WithInt64Callback(
		func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(9, metric.WithAttributes(attribute.String("k", "v")))
			return nil
		})))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(oc, 42)
		o.ObserveFloat64(og, 1.5)
		o.ObserveFloat64(ou, -2)
		return nil
	}, oc, og, ou)
	if err != nil {
		t.Fatalf("RegisterCallback through the wrapper: %v", err)
	}
	got := collect(t, rd)
	want := map[string]float64{"oc": 42, "og": 1.5, "ou": -2, `cb{k="v"}`: 9}
	if !maps.Equal(got, want) {
		t.Errorf("collected %v\nwant %v", got, want)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, rd); got["og"] != 0 || got[`cb{k="v"}`] != 9 {
		t.Errorf("after Unregister: %v, want only cb", got)
	}
}

func TestNoRecordingAllocatesNothing(t *testing.T) {
	mp := scoped.Wrap(nil)
	c := must[metric.Int64Counter](t)(mp.Meter("x").Int64Counter("c"))
	h := must[metric.Float64Histogram](t)(mp.Meter("x").Float64Histogram("h"))
	opts := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("k", "v")))}
	ctx := context.WithValue(context.Background(), struct{ k int }{1}, 1)
	allocs := func() float64 {
		return testing.AllocsPerRun(100, func() {
			c.Add(ctx, 1)
			h.Record(ctx, 0.5, opts...)
		})
	}
	if n := allocs(); n != 0 {
		t.Errorf("no recording: %v allocs per measurement pair, want 0", n)
	}
	// A recording active elsewhere: the context is looked into, in vain.
	_, rec := mp.Start(context.Background())
	defer rec.Stop()
	if n := allocs(); n != 0 {
		t.Errorf("a recording in another context: %v allocs per measurement pair, want 0", n)
	}
	// The context carries the recording, whose series exist already.
	ctx, inner := mp.Start(ctx)
	defer inner.Stop()
	c.Add(ctx, 1)
	h.Record(ctx, 0.5, opts...)
	if n := allocs(); n != 0 {
		t.Errorf("recording known series: %v allocs per measurement pair, want 0", n)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[scoped.Kind]string{
		scoped.Counter: "Counter", scoped.UpDownCounter: "UpDownCounter",
		scoped.Histogram: "Histogram", scoped.Gauge: "Gauge", scoped.Kind(9): "Kind(9)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
