package scoped_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/scoped"
)

// Compare the sub-benchmarks of one run as ratios: "sdk" measures straight
// through the SDK, "wrapped" through scoped.Wrap of the same provider. Both
// sides use the same SDK instrument (same meter, name and options: the SDK
// hands out one instrument for them), so that the difference is the
// wrapper's alone, not that of two aggregators placed differently in
// memory.

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

// benchProvider returns a meter of an SDK provider with a ManualReader, the
// wrapper of that provider and a meter of the wrapper.
func benchProvider(b *testing.B) (metric.Meter, *scoped.MeterProvider, metric.Meter) {
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	mp := scoped.Wrap(sdk)
	return sdk.Meter("bench"), mp, mp.Meter("bench")
}

func BenchmarkFloat64HistogramRecord(b *testing.B) {
	sdkMeter, mp, wrappedMeter := benchProvider(b)
	direct, err := sdkMeter.Float64Histogram("h", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	wrapped, err := wrappedMeter.Float64Histogram("h", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	attrs := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String("method", "GET"), attribute.String("route", "/users")))}
	bg, deep := context.Background(), requestContext(b)

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
	rec, recording := mp.Start(deep)
	defer recording.Stop()
	run("wrapped/request-ctx/recording-elsewhere", wrapped, deep)
	run("wrapped/recording", wrapped, rec)
	run("wrapped/recording/2-attrs", wrapped, rec, attrs...)
}

func BenchmarkInt64CounterAdd(b *testing.B) {
	sdkMeter, mp, wrappedMeter := benchProvider(b)
	direct, err := sdkMeter.Int64Counter("c")
	if err != nil {
		b.Fatal(err)
	}
	wrapped, err := wrappedMeter.Int64Counter("c")
	if err != nil {
		b.Fatal(err)
	}
	attrs := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String("method", "GET"), attribute.String("route", "/users")))}
	bg, deep := context.Background(), requestContext(b)

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
	rec, recording := mp.Start(deep)
	defer recording.Stop()
	run("wrapped/request-ctx/recording-elsewhere", wrapped, deep)
	run("wrapped/recording", wrapped, rec)
	run("wrapped/recording/2-attrs", wrapped, rec, attrs...)
}

// BenchmarkNestedRecording measures a counter through three nested
// recordings: each active recording on the chain takes the measurement.
func BenchmarkNestedRecording(b *testing.B) {
	_, mp, wrappedMeter := benchProvider(b)
	c, err := wrappedMeter.Int64Counter("c")
	if err != nil {
		b.Fatal(err)
	}
	ctx := requestContext(b)
	for range 3 {
		var r *scoped.Recording
		ctx, r = mp.Start(ctx)
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
	_, mp, wrappedMeter := benchProvider(b)
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
		ctx, rec := mp.Start(parent)
		c.Add(ctx, 1)
		h.Record(ctx, 0.01, stages[0])
		h.Record(ctx, 0.02, stages[1])
		_ = rec.Stop().Flat()
	}
}

// BenchmarkOverhead isolates the wrapper's own cost: the wrapped provider
// is a no-op one, so the difference is what the wrapper adds, without the
// SDK around it. "sdk" in the metrics' names is the no-op provider here.
func BenchmarkOverhead(b *testing.B) {
	inner := noop.NewMeterProvider()
	mp := scoped.Wrap(inner)
	direct, _ := inner.Meter("bench").Float64Histogram("h")
	wrapped, _ := mp.Meter("bench").Float64Histogram("h")
	bg, deep := context.Background(), requestContext(b)
	paired(b, "noop-vs-wrapped",
		func() { direct.Record(bg, 0.25) }, func() { wrapped.Record(bg, 0.25) })
	paired(b, "noop-vs-wrapped/request-ctx",
		func() { direct.Record(deep, 0.25) }, func() { wrapped.Record(deep, 0.25) })
	// Another request's recording is active: this one's context is walked.
	_, rec := mp.Start(bg)
	defer rec.Stop()
	paired(b, "noop-vs-wrapped/recording-elsewhere",
		func() { direct.Record(bg, 0.25) }, func() { wrapped.Record(bg, 0.25) })
	paired(b, "noop-vs-wrapped/request-ctx/recording-elsewhere",
		func() { direct.Record(deep, 0.25) }, func() { wrapped.Record(deep, 0.25) })
}

// paired runs a sub-benchmark that alternates blocks of calls to direct
// and to wrapped (which one goes first alternates too), so both see the
// same load on a busy machine. It reports the medians over the blocks of
// each one's time per call and of the difference (extra-ns/op): the
// wrapper's cost. Medians, because a block that a busy neighbour
// interrupted would otherwise weigh on the mean.
func paired(b *testing.B, name string, direct, wrapped func()) {
	b.Run(name, func(b *testing.B) {
		const block = 256
		// The blocks' times in ns, kept in a ring so that the loop
		// allocates nothing once it is full.
		const keep = 1 << 14
		sdkNs := make([]float64, 0, keep)
		wrappedNs := make([]float64, 0, keep)
		extraNs := make([]float64, 0, keep)
		run := func(f func()) float64 {
			t0 := time.Now()
			for range block {
				f()
			}
			return float64(time.Since(t0).Nanoseconds()) / block
		}
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			var d, w float64
			if n%2 == 0 {
				d, w = run(direct), run(wrapped)
			} else {
				w, d = run(wrapped), run(direct)
			}
			if len(sdkNs) < keep {
				sdkNs, wrappedNs, extraNs = append(sdkNs, d), append(wrappedNs, w), append(extraNs, w-d)
			} else {
				i := n % keep
				sdkNs[i], wrappedNs[i], extraNs[i] = d, w, w-d
			}
			n++
		}
		b.ReportMetric(median(sdkNs), "sdk-ns/op")
		b.ReportMetric(median(wrappedNs), "wrapped-ns/op")
		b.ReportMetric(median(extraNs), "extra-ns/op")
	})
}

// BenchmarkPaired compares, with [paired], measurements straight through
// the SDK and through the wrapper, with and without an active recording.
func BenchmarkPaired(b *testing.B) {
	sdkMeter, mp, wrappedMeter := benchProvider(b)
	dh, _ := sdkMeter.Float64Histogram("h", metric.WithUnit("s"))
	wh, _ := wrappedMeter.Float64Histogram("h", metric.WithUnit("s"))
	dc, _ := sdkMeter.Int64Counter("c")
	wc, _ := wrappedMeter.Int64Counter("c")
	bg, deep := context.Background(), requestContext(b)
	cases := func(suffix string) {
		paired(b, "Float64Histogram.Record"+suffix,
			func() { dh.Record(bg, 0.25) }, func() { wh.Record(bg, 0.25) })
		paired(b, "Float64Histogram.Record/request-ctx"+suffix,
			func() { dh.Record(deep, 0.25) }, func() { wh.Record(deep, 0.25) })
		paired(b, "Int64Counter.Add"+suffix,
			func() { dc.Add(bg, 1) }, func() { wc.Add(bg, 1) })
		paired(b, "Int64Counter.Add/request-ctx"+suffix,
			func() { dc.Add(deep, 1) }, func() { wc.Add(deep, 1) })
	}
	// The method's own noise: the SDK against itself.
	paired(b, "Float64Histogram.Record/sdk-vs-sdk",
		func() { dh.Record(deep, 0.25) }, func() { dh.Record(deep, 0.25) })
	paired(b, "Int64Counter.Add/sdk-vs-sdk",
		func() { dc.Add(deep, 1) }, func() { dc.Add(deep, 1) })

	// No recording active on the provider: the fast path.
	cases("")

	// Another request's recording is active: the contexts are looked into
	// and carry none.
	_, other := mp.Start(context.Background())
	cases("/recording-elsewhere")
	other.Stop()

	// The context carries the recording: what recording costs on top of
	// the SDK.
	recBg, recording := mp.Start(bg)
	defer recording.Stop()
	recDeep, deepRecording := mp.Start(deep)
	defer deepRecording.Stop()
	set := attribute.NewSet(attribute.String("method", "GET"), attribute.String("route", "/users"))
	recordAttrs := []metric.RecordOption{metric.WithAttributeSet(set)}
	addAttrs := []metric.AddOption{metric.WithAttributeSet(set)}
	paired(b, "Float64Histogram.Record/recording",
		func() { dh.Record(bg, 0.25) }, func() { wh.Record(recBg, 0.25) })
	paired(b, "Float64Histogram.Record/request-ctx/recording",
		func() { dh.Record(deep, 0.25) }, func() { wh.Record(recDeep, 0.25) })
	paired(b, "Float64Histogram.Record/request-ctx/recording/2-attrs",
		func() { dh.Record(deep, 0.25, recordAttrs...) }, func() { wh.Record(recDeep, 0.25, recordAttrs...) })
	paired(b, "Int64Counter.Add/recording",
		func() { dc.Add(bg, 1) }, func() { wc.Add(recBg, 1) })
	paired(b, "Int64Counter.Add/request-ctx/recording",
		func() { dc.Add(deep, 1) }, func() { wc.Add(recDeep, 1) })
	paired(b, "Int64Counter.Add/request-ctx/recording/2-attrs",
		func() { dc.Add(deep, 1, addAttrs...) }, func() { wc.Add(recDeep, 1, addAttrs...) })
}

// median returns the median of xs, which it sorts; 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}
