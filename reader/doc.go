// Package reader is the OpenTelemetry metric reader that turns a
// MeterProvider's measurements into PyCounters-style window counters and
// reports them.
//
// A [Reader] is an sdkmetric.Reader: give it to sdkmetric.WithReader, next
// to any other reader the provider has. Applications keep recording through
// the OpenTelemetry API; the reader adds nothing to a measurement's path.
//
// # Data flow
//
// Every tick (default 5 s) the reader collects the interval's data from the
// SDK (delta for histograms and gauges; sums are kept cumulative in the SDK,
// as its PeriodicReader keeps them, and the reader takes the differences),
// and adds each series' count, sum, minimum and maximum to the windows of
// the counters listening to its instrument (package counters). Instruments
// no counter listens to cost no window memory. Every report interval
// (default 300 s), on demand ([Reader.OutputReport]) and at
// [Reader.Shutdown], it computes every counter's value per series and hands
// the [report.Report] to its reporters; [Reader.Report] returns one without
// reporting it, [Reader.Snapshot] one as of the last tick without collecting.
//
// # Counters and series
//
// Counters are registered and unregistered at run time, one per name; several
// may listen to one event (an instrument name) and one to several events.
// A counter's attribute selection (counters.Definition's By and Without)
// decides its series: by default one, reported under the counter's name and
// aggregated over every attribute; with By or Without one per combination of
// the attributes kept, reported as name{k="v",...}. Selection happens at the
// tick, when the interval's data points are added to the windows, and
// aggregates exactly: counts and sums add, extremes combine, histograms merge
// bucket-wise, last values take the newest. A windowed series with
// attributes idle for twice its window is forgotten; running totals, last
// values and the plain series are kept. Past the series limit (default 2000
// per counter, counted after selection) further attribute sets share the
// series otel.metric.overflow="true".
//
// # Reporters
//
// Reporters run concurrently and independently: one that fails, panics or
// outlives the report timeout does not stop the others, and its error,
// naming it, goes to otel.Handle (or is returned by OutputReport). The final
// report of [Reader.Shutdown] reaches every reporter, one still busy with an
// earlier report too, as long as Shutdown's context allows.
//
// When the SDK's own cardinality limit folds new attribute sets of an
// instrument into its otel.metric.overflow="true" set, the reader says so
// once per instrument through otel.Handle.
//
// # Export
//
// With [WithExporter] the reader's collected data also feeds an SDK exporter
// (OTLP, say), so that a service exporting raw metrics and keeping window
// counters pays the SDK's aggregation once per measurement, not twice.
//
// # Concurrency and lifecycle
//
// A Reader is safe for concurrent use. It owns one goroutine (two with
// [WithExporter]); [Reader.Shutdown], which the MeterProvider's Shutdown
// calls, stops them after a final report and export. With [WithManualTicks]
// it starts none, and the owner calls [Reader.Tick]: simulations and tests
// drive it that way, with [WithClock].
package reader
