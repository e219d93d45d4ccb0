package scoped_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/scoped"
)

// Compare the sub-benchmarks of one run as ratios: "sdk" measures straight
// through the SDK, "wrapped" through scoped.Wrap of the same provider.

type benchKey int

// requestContext is a context as deep as a net/http request's behind a
// couple of middlewares: ctx.Value walks all of it to find no recording.
func requestContext(b *testing.B) context.Context {
	ctx := context.Background()
	for i := range 4 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(context.WithValue(ctx, benchKey(i), i))
		b.Cleanup(cancel)
	}
	return ctx
}

func benchProvider(b *testing.B) (metric.Meter, metric.Meter) {
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	return sdk.Meter("bench"), scoped.Wrap(sdk).Meter("bench")
}

func BenchmarkFloat64HistogramRecord(b *testing.B) {
	sdkMeter, wrappedMeter := benchProvider(b)
	direct, err := sdkMeter.Float64Histogram("direct", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	wrapped, err := wrappedMeter.Float64Histogram("wrapped", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	attrs := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String("method", "GET"), attribute.String("route", "/users")))}
	bg, deep := context.Background(), requestContext(b)
	rec, recording := scoped.Start(deep)
	defer recording.Stop()

	run := func(name string, h metric.Float64Histogram, ctx context.Context, opts ...metric.RecordOption) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.Record(ctx, 0.25, opts...)
			}
		})
	}
	run("sdk", direct, bg)
	run("wrapped", wrapped, bg)
	run("sdk/request-ctx", direct, deep)
	run("wrapped/request-ctx", wrapped, deep)
	run("sdk/2-attrs", direct, deep, attrs...)
	run("wrapped/2-attrs", wrapped, deep, attrs...)
	run("wrapped/recording", wrapped, rec)
	run("wrapped/recording/2-attrs", wrapped, rec, attrs...)
}

func BenchmarkInt64CounterAdd(b *testing.B) {
	sdkMeter, wrappedMeter := benchProvider(b)
	direct, err := sdkMeter.Int64Counter("direct")
	if err != nil {
		b.Fatal(err)
	}
	wrapped, err := wrappedMeter.Int64Counter("wrapped")
	if err != nil {
		b.Fatal(err)
	}
	attrs := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String("method", "GET"), attribute.String("route", "/users")))}
	bg, deep := context.Background(), requestContext(b)
	rec, recording := scoped.Start(deep)
	defer recording.Stop()

	run := func(name string, c metric.Int64Counter, ctx context.Context, opts ...metric.AddOption) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Add(ctx, 1, opts...)
			}
		})
	}
	run("sdk", direct, bg)
	run("wrapped", wrapped, bg)
	run("sdk/request-ctx", direct, deep)
	run("wrapped/request-ctx", wrapped, deep)
	run("sdk/2-attrs", direct, deep, attrs...)
	run("wrapped/2-attrs", wrapped, deep, attrs...)
	run("wrapped/recording", wrapped, rec)
	run("wrapped/recording/2-attrs", wrapped, rec, attrs...)
}

// BenchmarkNestedRecording measures a counter through three nested
// recordings: each active recording on the chain takes the measurement.
func BenchmarkNestedRecording(b *testing.B) {
	_, wrappedMeter := benchProvider(b)
	c, err := wrappedMeter.Int64Counter("c")
	if err != nil {
		b.Fatal(err)
	}
	ctx := requestContext(b)
	for range 3 {
		var r *scoped.Recording
		ctx, r = scoped.Start(ctx)
		defer r.Stop()
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Add(ctx, 1)
	}
}

// BenchmarkStartStop is the fixed cost of a recording per request, with a
// handful of series.
func BenchmarkStartStop(b *testing.B) {
	_, wrappedMeter := benchProvider(b)
	c, err := wrappedMeter.Int64Counter("db.calls")
	if err != nil {
		b.Fatal(err)
	}
	h, err := wrappedMeter.Float64Histogram("stage.duration", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	stages := []metric.RecordOption{
		metric.WithAttributeSet(attribute.NewSet(attribute.String("stage", "db"))),
		metric.WithAttributeSet(attribute.NewSet(attribute.String("stage", "render"))),
	}
	parent := requestContext(b)
	b.ReportAllocs()
	for b.Loop() {
		ctx, rec := scoped.Start(parent)
		c.Add(ctx, 1)
		h.Record(ctx, 0.01, stages[0])
		h.Record(ctx, 0.02, stages[1])
		_ = rec.Stop().Flat()
	}
}

// BenchmarkOverhead isolates the wrapper's own cost on the no-recording
// path: the wrapped provider is a no-op one, so "wrapped" minus "noop" is
// what the wrapper adds, without the SDK's noise around it.
func BenchmarkOverhead(b *testing.B) {
	inner := noop.NewMeterProvider()
	direct, _ := inner.Meter("bench").Float64Histogram("h")
	wrapped, _ := scoped.Wrap(inner).Meter("bench").Float64Histogram("h")
	bg, deep := context.Background(), requestContext(b)
	run := func(name string, h metric.Float64Histogram, ctx context.Context) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.Record(ctx, 0.25)
			}
		})
	}
	run("noop", direct, bg)
	run("wrapped", wrapped, bg)
	run("noop/request-ctx", direct, deep)
	run("wrapped/request-ctx", wrapped, deep)
}

// BenchmarkPaired alternates blocks of calls straight through the SDK and
// through the wrapper, so both see the same load on a busy machine, and
// reports each one's time per call and the difference (extra-ns/op): the
// wrapper's cost with no recording in the context.
func BenchmarkPaired(b *testing.B) {
	sdkMeter, wrappedMeter := benchProvider(b)
	dh, _ := sdkMeter.Float64Histogram("dh", metric.WithUnit("s"))
	wh, _ := wrappedMeter.Float64Histogram("wh", metric.WithUnit("s"))
	dc, _ := sdkMeter.Int64Counter("dc")
	wc, _ := wrappedMeter.Int64Counter("wc")
	bg, deep := context.Background(), requestContext(b)
	paired := func(name string, direct, wrapped func()) {
		b.Run(name, func(b *testing.B) {
			const block = 256
			var sdkTime, wrappedTime time.Duration
			calls := 0
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				for range block {
					direct()
				}
				t1 := time.Now()
				for range block {
					wrapped()
				}
				wrappedTime += time.Since(t1)
				sdkTime += t1.Sub(t0)
				calls += block
			}
			b.ReportMetric(float64(sdkTime.Nanoseconds())/float64(calls), "sdk-ns/op")
			b.ReportMetric(float64(wrappedTime.Nanoseconds())/float64(calls), "wrapped-ns/op")
			b.ReportMetric(float64((wrappedTime-sdkTime).Nanoseconds())/float64(calls), "extra-ns/op")
		})
	}
	paired("Float64Histogram.Record",
		func() { dh.Record(bg, 0.25) }, func() { wh.Record(bg, 0.25) })
	paired("Float64Histogram.Record/request-ctx",
		func() { dh.Record(deep, 0.25) }, func() { wh.Record(deep, 0.25) })
	paired("Int64Counter.Add",
		func() { dc.Add(bg, 1) }, func() { wc.Add(bg, 1) })
	paired("Int64Counter.Add/request-ctx",
		func() { dc.Add(deep, 1) }, func() { wc.Add(deep, 1) })

	// With a recording: what recording costs on top of the SDK.
	rec, recording := scoped.Start(deep)
	defer recording.Stop()
	set := attribute.NewSet(attribute.String("method", "GET"), attribute.String("route", "/users"))
	recordAttrs := []metric.RecordOption{metric.WithAttributeSet(set)}
	addAttrs := []metric.AddOption{metric.WithAttributeSet(set)}
	paired("Float64Histogram.Record/recording",
		func() { dh.Record(deep, 0.25) }, func() { wh.Record(rec, 0.25) })
	paired("Float64Histogram.Record/recording/2-attrs",
		func() { dh.Record(deep, 0.25, recordAttrs...) }, func() { wh.Record(rec, 0.25, recordAttrs...) })
	paired("Int64Counter.Add/recording",
		func() { dc.Add(deep, 1) }, func() { wc.Add(rec, 1) })
	paired("Int64Counter.Add/recording/2-attrs",
		func() { dc.Add(deep, 1, addAttrs...) }, func() { wc.Add(rec, 1, addAttrs...) })
}
