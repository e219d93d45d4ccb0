package windowproducer_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/windowproducer"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

type sourceFunc func() report.Report

func (f sourceFunc) Snapshot() report.Report { return f() }

type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newReader(t *testing.T, c *clock, opts ...reader.Option) (*reader.Reader, metric.Meter) {
	c.ns.Store(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC).UnixNano())
	r := reader.New(append([]reader.Option{reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(c.now)}, opts...)...)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return r, mp.Meter("test")
}

func produce(t *testing.T, p *windowproducer.Producer) map[string]metricdata.Metrics {
	t.Helper()
	sms, err := p.Produce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range sms {
		if sm.Scope.Name != windowproducer.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, windowproducer.ScopeName)
		}
		for _, m := range sm.Metrics {
			if _, dup := out[m.Name]; dup {
				t.Errorf("metric %q produced twice", m.Name)
			}
			out[m.Name] = m
		}
	}
	return out
}

func set(kvs ...attribute.KeyValue) attribute.Set { return attribute.NewSet(kvs...) }

var (
	kind   = windowproducer.KindKey.String
	window = windowproducer.WindowKey.String
)

// Every counter kind becomes a gauge named after the counter, its series
// the counter's, each point telling its kind and window, timed at the tick.
func TestProduceKinds(t *testing.T) {
	var c clock
	r, m := newReader(t, &c, reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "req_time", Kind: counters.AverageTime, Events: []string{"req"}, Window: time.Minute},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "req_rate", Kind: counters.Frequency, Events: []string{"req"}, Window: 10 * time.Second},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "req_max", Kind: counters.Max, Events: []string{"req"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "req_count", Kind: counters.Count, Events: []string{"req"}, Window: 2 * time.Second},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "bytes_total", Kind: counters.Total, Events: []string{"bytes"}},
	))
	ctx := context.Background()
	req, _ := m.Float64Histogram("req", metric.WithUnit("s"))
	bytes, _ := m.Int64Counter("bytes")
	get := metric.WithAttributes(attribute.String("method", "GET"))
	post := metric.WithAttributes(attribute.String("method", "POST"))
	req.Record(ctx, 0.1, get)
	req.Record(ctx, 0.3, get)
	req.Record(ctx, 2, post)
	bytes.Add(ctx, 512)
	c.advance(time.Second)
	if err := r.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	tickTime := c.now()
	c.advance(300 * time.Millisecond) // produced values are those of the tick

	got := produce(t, windowproducer.New(r))
	if len(got) != 5 {
		t.Fatalf("%d metrics, want 5", len(got))
	}
	gauge := func(pts ...metricdata.DataPoint[float64]) metricdata.Gauge[float64] {
		for i := range pts {
			pts[i].Time = tickTime
		}
		return metricdata.Gauge[float64]{DataPoints: pts}
	}
	getA, postA := attribute.String("method", "GET"), attribute.String("method", "POST")
	for _, c := range []struct {
		name, desc, unit string
		data             metricdata.Gauge[float64]
	}{
		{"req_time", "average_time over the last 60s (otelcounters)", "s", gauge(
			metricdata.DataPoint[float64]{Attributes: set(getA, kind("average_time"), window("60s")), Value: 0.2},
			metricdata.DataPoint[float64]{Attributes: set(postA, kind("average_time"), window("60s")), Value: 2},
		)},
		// One second covered of the 10 s window: 2 and 1 events per second.
		{"req_rate", "frequency over the last 10s (otelcounters)", "1/s", gauge(
			metricdata.DataPoint[float64]{Attributes: set(getA, kind("frequency"), window("10s")), Value: 2},
			metricdata.DataPoint[float64]{Attributes: set(postA, kind("frequency"), window("10s")), Value: 1},
		)},
		{"req_max", "max over the last 300s (otelcounters)", "", gauge(
			metricdata.DataPoint[float64]{Attributes: set(getA, kind("max"), window("300s")), Value: 0.3},
			metricdata.DataPoint[float64]{Attributes: set(postA, kind("max"), window("300s")), Value: 2},
		)},
		// A window of two ticks.
		{"req_count", "count over the last 2s (otelcounters)", "", gauge(
			metricdata.DataPoint[float64]{Attributes: set(getA, kind("count"), window("2s")), Value: 2},
			metricdata.DataPoint[float64]{Attributes: set(postA, kind("count"), window("2s")), Value: 1},
		)},
		{"bytes_total", "total: running total since the counter was registered (otelcounters)", "", gauge(
			metricdata.DataPoint[float64]{Attributes: set(kind("total")), Value: 512},
		)},
	} {
		want := metricdata.Metrics{Name: c.name, Description: c.desc, Unit: c.unit, Data: c.data}
		metricdatatest.AssertEqual(t, want, got[c.name])
	}
}

// An empty counter has no point by default, NaN or another number with
// WithEmptyValue; counting kinds read 0 when empty, as in every report.
func TestProduceEmpty(t *testing.T) {
	var c clock
	r, _ := newReader(t, &c, reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.Average},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "sum", Kind: counters.WindowSum},
	))
	value := func(ms map[string]metricdata.Metrics, name string) float64 {
		pts := ms[name].Data.(metricdata.Gauge[float64]).DataPoints
		if len(pts) != 1 {
			t.Fatalf("%s: %d points, want 1 (an empty counter keeps its point)", name, len(pts))
		}
		return pts[0].Value
	}
	plain := produce(t, windowproducer.New(r))
	for _, name := range []string{"avg", "max", "total"} {
		if m, ok := plain[name]; ok {
			t.Errorf("empty %s exported by default: %+v", name, m)
		}
	}
	if v := value(plain, "sum"); v != 0 {
		t.Errorf("empty window sum = %v, want 0", v)
	}
	nan := produce(t, windowproducer.New(r, windowproducer.WithEmptyValue(math.NaN())))
	for _, name := range []string{"avg", "max", "total"} {
		if v := value(nan, name); !math.IsNaN(v) {
			t.Errorf("empty %s = %v, want NaN", name, v)
		}
	}
	if v := value(nan, "sum"); v != 0 {
		t.Errorf("empty window sum = %v, want 0", v)
	}
	minus := produce(t, windowproducer.New(r, windowproducer.WithEmptyValue(-1)))
	for _, name := range []string{"avg", "max", "total"} {
		if v := value(minus, name); v != -1 {
			t.Errorf("empty %s with WithEmptyValue(-1) = %v", name, v)
		}
	}
	if v := value(minus, "sum"); v != 0 {
		t.Errorf("empty window sum with WithEmptyValue(-1) = %v, want 0", v)
	}
}

// Values of one counter stay together although report keys interleave them
// with other counters ("a{...}" sorts after "a_b"); options rename and set
// units; the kind and window attributes win over series attributes of the
// same name.
func TestProduceGroupingAndOptions(t *testing.T) {
	now := time.Unix(100, 0)
	src := sourceFunc(func() report.Report {
		return report.Report{Time: now, Values: []report.Value{
			{Key: "a", Counter: "a", Kind: counters.Last, Value: counters.Value{V: 1, OK: true}},
			{Key: "a_b", Counter: "a_b", Kind: counters.Event, Value: counters.Value{V: 2, OK: true}},
			{Key: `a{otelcounters.kind="mine",x="1"}`, Counter: "a", Kind: counters.Last,
				Attrs: set(attribute.String("otelcounters.kind", "mine"), attribute.String("x", "1")), Value: counters.Value{V: 3, OK: true}},
		}}
	})
	got := produce(t, windowproducer.New(src, windowproducer.WithPrefix("app."), windowproducer.WithUnit("a", "By"), windowproducer.WithUnit("a_b", "{request}")))
	if len(got) != 2 {
		t.Fatalf("metrics %v, want app.a and app.a_b", got)
	}
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: "app.a", Description: "last: the most recent value (otelcounters)", Unit: "By",
		Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{
			{Attributes: set(kind("last")), Time: now, Value: 1},
			{Attributes: set(kind("last"), attribute.String("x", "1")), Time: now, Value: 3},
		}},
	}, got["app.a"])
	if u := got["app.a_b"].Unit; u != "{request}" {
		t.Errorf("app.a_b unit %q, want {request}", u)
	}
	if sms, err := windowproducer.New(sourceFunc(func() report.Report { return report.Report{} })).Produce(context.Background()); err != nil || len(sms) != 0 {
		t.Errorf("no counters: %v, %v; want nothing", sms, err)
	}
}

// Producing never collects: the interval in progress stays the windows'.
func TestProduceDoesNotConsume(t *testing.T) {
	var c clock
	r, m := newReader(t, &c, reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.WindowSum, Events: []string{"ev"}}))
	ctx := context.Background()
	ev, _ := m.Int64Counter("ev")
	p := windowproducer.New(r)
	ev.Add(ctx, 3)
	for range 3 {
		if v := produce(t, p)["n"].Data.(metricdata.Gauge[float64]).DataPoints[0].Value; v != 0 {
			t.Errorf("before the tick n = %v, want 0", v)
		}
	}
	c.advance(time.Second)
	if err := r.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if v := produce(t, p)["n"].Data.(metricdata.Gauge[float64]).DataPoints[0].Value; v != 3 {
		t.Errorf("after the tick n = %v, want 3", v)
	}
}

// InExport puts the window values into the reader's own export, next to
// the raw data, in one export.
func TestInExport(t *testing.T) {
	exp := &chanExporter{exports: make(chan metricdata.ResourceMetrics, 10)}
	var c clock
	r, m := newReader(t, &c,
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "req_time", Kind: counters.AverageTime, Events: []string{"req"}}),
		reader.WithExporter(exp, time.Second),
		windowproducer.InExport(windowproducer.WithPrefix("w.")),
	)
	ctx := context.Background()
	req, _ := m.Float64Histogram("req", metric.WithUnit("s"))
	req.Record(ctx, 0.5)
	req.Record(ctx, 1.5)
	c.advance(time.Second)
	if err := r.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	select {
	case rm = <-exp.exports:
	case <-time.After(10 * time.Second):
		t.Fatal("no export")
	}
	names := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names[m.Name] = m.Data
		}
	}
	if h, ok := names["req"].(metricdata.Histogram[float64]); !ok || h.DataPoints[0].Count != 2 {
		t.Errorf("raw req: %#v, want a histogram of 2", names["req"])
	}
	if g, ok := names["w.req_time"].(metricdata.Gauge[float64]); !ok || g.DataPoints[0].Value != 1 {
		t.Errorf("w.req_time: %#v, want a gauge of 1", names["w.req_time"])
	}
}

type chanExporter struct {
	exports chan metricdata.ResourceMetrics
}

func (e *chanExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

func (e *chanExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *chanExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	e.exports <- *rm
	return nil
}
func (e *chanExporter) ForceFlush(context.Context) error { return nil }
func (e *chanExporter) Shutdown(context.Context) error   { return nil }

// Producers, ticks and recording run concurrently (run with -race).
func TestProduceConcurrentSafe(t *testing.T) {
	var c clock
	r, m := newReader(t, &c, reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.WindowSum, Events: []string{"ev"}}))
	ev, _ := m.Int64Counter("ev")
	p := windowproducer.New(r)
	ctx := context.Background()
	var wg sync.WaitGroup
	var produced atomic.Int64
	for range 3 {
		wg.Go(func() {
			for range 200 {
				if _, err := p.Produce(ctx); err != nil {
					t.Error(err)
				}
				produced.Add(1)
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			ev.Add(ctx, 1, metric.WithAttributes(attribute.Int("i", i%5)))
		}
	})
	wg.Go(func() {
		for range 50 {
			c.advance(time.Second)
			_ = r.Tick(ctx)
		}
	})
	wg.Wait()
	if err := r.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, pt := range produce(t, p)["n"].Data.(metricdata.Gauge[float64]).DataPoints {
		total += pt.Value
	}
	if total != 200 || produced.Load() != 600 {
		t.Errorf("window sums add up to %v after %d produces, want 200 after 600", total, produced.Load())
	}
}

// A percentiles counter is a summary: per series its quantiles in order,
// the count and the sum (mean × count); an empty series keeps its point
// with count 0 and no quantiles (the number of WithEmptyValue for each,
// with that option).
func TestProducePercentiles(t *testing.T) {
	now := time.Unix(200, 0)
	get := set(attribute.String("m", "GET"))
	lat := func(key string, attrs attribute.Set, q float64, v counters.Value) report.Value {
		return report.Value{Key: key, Counter: "lat", Kind: counters.Percentiles, Window: time.Minute, Attrs: attrs, Quantile: q, Value: v}
	}
	src := sourceFunc(func() report.Report {
		return report.Report{Time: now, Values: []report.Value{
			lat("lat.mean", attribute.Set{}, 0, counters.Value{}),
			lat("lat.mean{m=\"GET\"}", get, 0, counters.Value{V: 0.5, OK: true, Count: 4}),
			lat("lat.p50", attribute.Set{}, 0.5, counters.Value{}),
			lat("lat.p50{m=\"GET\"}", get, 0.5, counters.Value{V: 0.4, OK: true}),
			lat("lat.p99", attribute.Set{}, 0.99, counters.Value{}),
			lat("lat.p99{m=\"GET\"}", get, 0.99, counters.Value{V: 0.9, OK: true}),
			lat("lat.p9{m=\"GET\"}", get, 0.9, counters.Value{V: 0.8, OK: true}), // sorts last by key
		}}
	})
	got := produce(t, windowproducer.New(src, windowproducer.WithEmptyValue(-1)))["lat"]
	metricdatatest.AssertEqual(t, metricdata.Metrics{Name: "lat", Description: "percentiles over the last 60s (otelcounters)", Data: metricdata.Summary{
		DataPoints: []metricdata.SummaryDataPoint{
			{Attributes: set(kind("percentiles"), window("60s")), Time: now,
				QuantileValues: []metricdata.QuantileValue{{Quantile: 0.5, Value: -1}, {Quantile: 0.99, Value: -1}}},
			{Attributes: set(attribute.String("m", "GET"), kind("percentiles"), window("60s")), Time: now, Count: 4, Sum: 2,
				QuantileValues: []metricdata.QuantileValue{{Quantile: 0.5, Value: 0.4}, {Quantile: 0.9, Value: 0.8}, {Quantile: 0.99, Value: 0.9}}},
		},
	}}, got)
	empty := produce(t, windowproducer.New(src, windowproducer.WithEmptyValue(math.NaN())))["lat"].Data.(metricdata.Summary).DataPoints[0]
	for _, q := range empty.QuantileValues {
		if !math.IsNaN(q.Value) {
			t.Errorf("empty series quantile %v = %v, want NaN", q.Quantile, q.Value)
		}
	}
	if len(empty.QuantileValues) != 2 {
		t.Errorf("empty series with WithEmptyValue: %d quantiles, want 2", len(empty.QuantileValues))
	}
	plain := produce(t, windowproducer.New(src))["lat"].Data.(metricdata.Summary).DataPoints[0]
	if plain.Count != 0 || plain.Sum != 0 || len(plain.QuantileValues) != 0 {
		t.Errorf("empty series by default: %+v, want count 0 and no quantiles", plain)
	}
}

// Through a real reader: a percentiles counter's summary has its count, sum
// and the default quantiles.
func TestProducePercentilesFromReader(t *testing.T) {
	var c clock
	r, m := newReader(t, &c, reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles, Events: []string{"req"}}))
	ctx := context.Background()
	req, _ := m.Float64Histogram("req", metric.WithUnit("s"))
	for i := 1; i <= 100; i++ {
		req.Record(ctx, float64(i))
	}
	c.advance(time.Second)
	if err := r.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	pts := produce(t, windowproducer.New(r))["lat"].Data.(metricdata.Summary).DataPoints
	if len(pts) != 1 || pts[0].Count != 100 || pts[0].Sum != 5050 {
		t.Fatalf("summary %+v, want one point of count 100, sum 5050", pts)
	}
	qs := pts[0].QuantileValues
	want := counters.DefaultQuantiles()
	if len(qs) != len(want) {
		t.Fatalf("quantiles %v, want %v", qs, want)
	}
	for i, q := range qs {
		exact := want[i] * 100
		if q.Quantile != want[i] || math.Abs(q.Value-exact) > 0.02*exact+1 {
			t.Errorf("quantile %v = %v, want about %v", q.Quantile, q.Value, exact)
		}
	}
}
