// Package scoped records per-request statistics through context.Context:
// while a context carries a [Recording], every synchronous measurement made
// with it through the OpenTelemetry metrics API is also added to the
// recording, so a slow request can report what it did (database calls,
// cache misses, time per stage) after the fact. It follows the model of
// Python's scopedstats.
//
// # Model
//
// [Wrap] wraps a metric.MeterProvider (usually the SDK's; bridge.WithScoped
// does it for the bridge's provider). Its synchronous instruments pass every
// measurement on to the wrapped provider, exactly as made, and add it to
// the recordings the measurement's context carries. [MeterProvider.Start]
// puts a recording into a context; [Recording.Stop] ends it and returns a
// [Result]: per instrument and attribute set, the count, sum, min, max and
// last value, plus the recording's duration, by a clock that [WithClock]
// can replace. [Result.Flat] gives scopedstats' flat map (counters' sums,
// histograms' name.count and name.total_dur or name.sum, gauges' last
// values, total_recording_duration), optionally filtered by attributes;
// [Result.Require] fails with [ErrNothingRecorded] when the recording saw
// nothing.
//
// Recordings start from the provider, not from a package function, because
// the provider counts its active recordings: while it has none, its
// instruments do not look into the context at all. A recording therefore
// takes the measurements made through its own provider's instruments, not
// through another wrapper's. Install one wrapper where the provider is
// installed (otel.SetMeterProvider, or the provider given to
// instrumentation) and start every recording from it.
//
// A wrapped instrument's Enabled is the wrapped one's answer, or true when
// the context carries a recording: the recording wants the measurement even
// when the SDK would drop it.
//
// The recording sees measurements as the instrumentation made them: SDK
// views (renames, attribute filters, drops) and the SDK's cardinality limit
// do not apply to it; [WithSeriesLimit] bounds it instead.
//
// # Nesting and concurrency
//
// A recording started from a context that already carries one of the same
// provider is nested in it: a measurement counts in the innermost recording
// and in every active recording around it. A stopped recording takes
// nothing more, even from goroutines that still hold its context.
//
// Goroutines spawned with the request's context add to the same recording;
// each recording has one mutex. While the provider has no active recording,
// a wrapped instrument costs one atomic load on top of the SDK; while it
// has some, one ctx.Value walk for measurements whose context carries none.
// Neither locks or allocates. A recording that is never stopped keeps every
// measurement on the ctx.Value walk: stop each one, with defer.
//
// # What it is not
//
// Observable instruments and callbacks are passed through unwrapped (the SDK
// rejects observables it did not create) and are not recorded: they run
// during collection, outside any request. Recordings are not exported
// anywhere; the caller decides what to do with a Result (log it when the
// request was slow, for instance).
package scoped
