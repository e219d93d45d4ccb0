// Package windowproducer publishes the window counters of a reader as
// OpenTelemetry metric data: a [go.opentelemetry.io/otel/sdk/metric.Producer]
// that any reader the service already has (OTLP over gRPC or HTTP,
// stdoutmetric, Prometheus) adds to each of its collections.
//
//	r := reader.New(reader.WithCounters(defs...))
//	otlp := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithProducer(windowproducer.New(r)))
//	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithReader(otlp))
//
// With the reader's own export ([reader.WithExporter], one SDK pipeline
// instead of two), [InExport] adds the window values to that export.
//
// # What is produced
//
// One gauge (Gauge[float64]) per counter (a Summary for percentiles), named after the counter (with an
// optional prefix, [WithPrefix]), with one point per series of the counter:
// the value the counter has at the reader's last tick, as [reader.Reader.Snapshot]
// returns it, timed at that tick. A value read between two exports covers the
// counter's window as it stood at that tick, so it is neither a delta nor a
// cumulative sum: a gauge is the only honest type for it.
//
// Each point carries the series' attributes plus two that say what the value
// means, so that a reader of the data in any backend can tell, even where
// metric descriptions are lost (Prometheus labels, for one):
//
//   - otelcounters.kind: the counter kind ("average_time", "frequency",
//     "window_sum", "max", "min", "count", "average", "percentiles", "event",
//     "total", "last");
//   - otelcounters.window: the window in seconds ("300s"), for windowed
//     kinds only.
//
// The description says the same in words ("average_time over the last 300s
// (otelcounters)"). The unit is "s" for average_time, "1/s" for frequency and
// empty otherwise, unless [WithUnit] names one. The instrumentation scope is
// [ScopeName].
//
// A counter named like the instrument it listens to (PyCounters' default)
// gives a gauge of the same name as the raw instrument in the same export:
// give such counters other names, or a prefix.
//
// # Empty windows
//
// A counter with nothing in its window (an average, maximum or minimum with
// no event; an event or total counter before its first event) has no value:
// PyCounters' None, null in the JSON file. By default its point is left out
// of the export, so that every exporter takes the data: stdoutmetric encodes
// with encoding/json, which has no NaN, and one NaN fails its whole export.
// [WithEmptyValue] keeps the point with a number instead: math.NaN() for
// OTLP backends that draw NaN as a gap and keep the series (Prometheus), so
// that series do not come and go with empty windows (VictoriaMetrics/metrics
// #120), or a number the backend knows to mean "none". Not 0: it would claim
// an average duration or a maximum that never happened. Frequency,
// window_sum and count read 0 when empty, as they do in every other report.
//
// # Percentiles
//
// A percentiles counter becomes a Summary (both OTLP exporters encode it):
// one point per series with the counter's quantiles, and the count and sum
// of the measurements in the window (the sum is the window mean times the
// count). An empty window gives count 0, sum 0 and no quantiles (with
// [WithEmptyValue], its number for every quantile, as Prometheus' own
// summaries give NaN). Every other kind is a gauge.
//
// # Concurrency
//
// A [Producer] is safe for concurrent use: several readers may share one.
// Produce never collects, so it neither consumes the reader's interval nor
// waits for a tick.
//
// # What it is not
//
// It does not export by itself: the reader it is attached to does, on its
// own schedule. For the classic log lines and the JSON file use the
// reporters of this project.
package windowproducer
