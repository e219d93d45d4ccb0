package windowproducer_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/windowproducer"
	"github.com/otelcounters/otelcounters/reader"
)

// The window values join what an existing reader exports, here to
// stdoutmetric. A fake clock, manual ticks and a manual reader make the
// output deterministic; a service keeps reader.New's defaults and its
// PeriodicReader, and adds the same one-line sdkmetric.WithProducer.
func Example() {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	r := reader.New(
		reader.WithManualTicks(), reader.WithTick(time.Second),
		reader.WithClock(func() time.Time { return now }),
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "request_time", Kind: counters.AverageTime, Events: []string{"request.duration"}, Window: time.Minute},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "request_max", Kind: counters.Max, Events: []string{"request.duration"}, Window: time.Minute},
		),
	)
	existing := sdkmetric.NewManualReader(sdkmetric.WithProducer(windowproducer.New(r)))
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(resource.Empty()),
		sdkmetric.WithReader(r),
		sdkmetric.WithReader(existing),
	)
	defer mp.Shutdown(ctx)

	duration, _ := mp.Meter("shop").Float64Histogram("request.duration", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(1))
	for _, d := range []float64{0.25, 0.5, 0.75} {
		duration.Record(ctx, d)
	}
	now = now.Add(time.Second)
	_ = r.Tick(ctx) // the reader's goroutine does this every tick

	exp, _ := stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout), stdoutmetric.WithoutTimestamps())
	var rm metricdata.ResourceMetrics
	if err := existing.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
	}
	if err := exp.Export(ctx, &rm); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"Resource":null,"ScopeMetrics":[{"Scope":{"Name":"shop","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"request.duration","Description":"","Unit":"s","Data":{"DataPoints":[{"Attributes":[],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Count":3,"Bounds":[1],"BucketCounts":[3,0],"Min":0.25,"Max":0.75,"Sum":1.5}],"Temporality":"CumulativeTemporality"}}]},{"Scope":{"Name":"github.com/otelcounters/otelcounters/exporters/windowproducer","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"request_max","Description":"max over the last 60s (otelcounters)","Unit":"","Data":{"DataPoints":[{"Attributes":[{"Key":"otelcounters.kind","Value":{"Type":"STRING","Value":"max"}},{"Key":"otelcounters.window","Value":{"Type":"STRING","Value":"60s"}}],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":0.75}]}},{"Name":"request_time","Description":"average_time over the last 60s (otelcounters)","Unit":"s","Data":{"DataPoints":[{"Attributes":[{"Key":"otelcounters.kind","Value":{"Type":"STRING","Value":"average_time"}},{"Key":"otelcounters.window","Value":{"Type":"STRING","Value":"60s"}}],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":0.5}]}}]}]}
}

// An empty window has no value, and by default no point: every exporter
// takes that, stdoutmetric (which cannot encode NaN) included. Here the
// maximum of an empty window is left out and the frequency, 0 when empty,
// is there.
func ExampleNew_emptyWindow() {
	ctx := context.Background()
	r := reader.New(reader.WithManualTicks(), reader.WithCounters(
		counters.Definition{Name: "queue_max", Kind: counters.Max, Events: []string{"queue.length"}},
		counters.Definition{Name: "queue_rate", Kind: counters.Frequency, Events: []string{"queue.length"}},
	))
	existing := sdkmetric.NewManualReader(sdkmetric.WithProducer(windowproducer.New(r)))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(resource.Empty()), sdkmetric.WithReader(r), sdkmetric.WithReader(existing))
	defer mp.Shutdown(ctx)

	exp, _ := stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout), stdoutmetric.WithoutTimestamps())
	var rm metricdata.ResourceMetrics
	if err := existing.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
	}
	if err := exp.Export(ctx, &rm); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"Resource":null,"ScopeMetrics":[{"Scope":{"Name":"github.com/otelcounters/otelcounters/exporters/windowproducer","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"queue_rate","Description":"frequency over the last 300s (otelcounters)","Unit":"1/s","Data":{"DataPoints":[{"Attributes":[{"Key":"otelcounters.kind","Value":{"Type":"STRING","Value":"frequency"}},{"Key":"otelcounters.window","Value":{"Type":"STRING","Value":"300s"}}],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":0}]}}]}]}
}

// With WithEmptyValue an empty window keeps its point, with the number
// given: math.NaN() for OTLP backends that draw it as a gap (stdoutmetric
// cannot encode NaN and fails the whole export on one), or a number such
// as -1 that the backend knows to mean "none".
func ExampleWithEmptyValue() {
	ctx := context.Background()
	r := reader.New(reader.WithManualTicks(), reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "queue_max", Kind: counters.Max, Events: []string{"queue.length"}},
	))
	existing := sdkmetric.NewManualReader(sdkmetric.WithProducer(windowproducer.New(r, windowproducer.WithEmptyValue(-1))))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(resource.Empty()), sdkmetric.WithReader(r), sdkmetric.WithReader(existing))
	defer mp.Shutdown(ctx)

	exp, _ := stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout), stdoutmetric.WithoutTimestamps())
	var rm metricdata.ResourceMetrics
	if err := existing.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
	}
	if err := exp.Export(ctx, &rm); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"Resource":null,"ScopeMetrics":[{"Scope":{"Name":"github.com/otelcounters/otelcounters/exporters/windowproducer","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"queue_max","Description":"max over the last 300s (otelcounters)","Unit":"","Data":{"DataPoints":[{"Attributes":[{"Key":"otelcounters.kind","Value":{"Type":"STRING","Value":"max"}},{"Key":"otelcounters.window","Value":{"Type":"STRING","Value":"300s"}}],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":-1}]}}]}]}
}

// One SDK pipeline for both: the window reader exports the raw data it
// collects through the service's exporter (here stdoutmetric, asking for
// delta temporality) and adds the window values to each export. ForceFlush
// exports at once; a service relies on the export interval instead.
func ExampleInExport() {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	exp, _ := stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout), stdoutmetric.WithoutTimestamps(),
		stdoutmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
			return metricdata.DeltaTemporality
		}))
	r := reader.New(
		reader.WithManualTicks(), reader.WithTick(time.Second),
		reader.WithClock(func() time.Time { return now }),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "requests_per_second", Kind: counters.Frequency, Events: []string{"requests"}, Window: time.Minute}),
		reader.WithExporter(exp, time.Minute),
		windowproducer.InExport(),
	)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(resource.Empty()), sdkmetric.WithReader(r))

	requests, _ := mp.Meter("shop").Int64Counter("requests")
	requests.Add(ctx, 30)
	now = now.Add(10 * time.Second)
	if err := mp.ForceFlush(ctx); err != nil {
		fmt.Println(err)
	}
	// Shutdown exports once more: no raw data, nothing was recorded since,
	// but the window values, which do not vanish from an export.
	if err := mp.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"Resource":null,"ScopeMetrics":[{"Scope":{"Name":"shop","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"requests","Description":"","Unit":"","Data":{"DataPoints":[{"Attributes":[],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":30}],"Temporality":"DeltaTemporality","IsMonotonic":true}}]},{"Scope":{"Name":"github.com/otelcounters/otelcounters/exporters/windowproducer","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"requests_per_second","Description":"frequency over the last 60s (otelcounters)","Unit":"1/s","Data":{"DataPoints":[{"Attributes":[{"Key":"otelcounters.kind","Value":{"Type":"STRING","Value":"frequency"}},{"Key":"otelcounters.window","Value":{"Type":"STRING","Value":"60s"}}],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":3}]}}]}]}
	// {"Resource":null,"ScopeMetrics":[{"Scope":{"Name":"github.com/otelcounters/otelcounters/exporters/windowproducer","Version":"","SchemaURL":"","Attributes":null},"Metrics":[{"Name":"requests_per_second","Description":"frequency over the last 60s (otelcounters)","Unit":"1/s","Data":{"DataPoints":[{"Attributes":[{"Key":"otelcounters.kind","Value":{"Type":"STRING","Value":"frequency"}},{"Key":"otelcounters.window","Value":{"Type":"STRING","Value":"60s"}}],"StartTime":"0001-01-01T00:00:00Z","Time":"0001-01-01T00:00:00Z","Value":3}]}}]}]}
}
