// Package scoped records per-request statistics through context.Context:
// while a context carries a [Recording], every synchronous measurement made
// with it through the OpenTelemetry metrics API is also added to the
// recording, so a slow request can report what it did (database calls,
// cache misses, time per stage) after the fact. It follows the model of
// Python's scopedstats.
//
// # Model
//
// [Wrap] wraps a metric.MeterProvider (usually the SDK's). Its synchronous
// instruments pass every measurement on to the wrapped provider, exactly as
// made, and add it to the recordings the measurement's context carries.
// [Start] puts a recording into a context; [Recording.Stop] ends it and
// returns a [Result]: per instrument and attribute set, the count, sum,
// min, max and last value, plus the recording's duration, by a clock that
// [WithClock] can replace. [Result.Flat] gives scopedstats' flat map
// (counters' sums, histograms' name.count and name.total_dur or name.sum,
// gauges' last values, total_recording_duration), optionally filtered by
// attributes; [Result.Require] fails with [ErrNothingRecorded] when the
// recording saw nothing.
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
// A recording started from a context that already carries one is nested in
// it: a measurement counts in the innermost recording and in every active
// recording around it. A stopped recording takes nothing more, even from
// goroutines that still hold its context.
//
// Goroutines spawned with the request's context add to the same recording;
// each recording has one mutex. Without a recording in the context, a
// wrapped instrument costs one ctx.Value walk on top of the SDK: no lock, no
// allocation.
//
// # What it is not
//
// Observable instruments and callbacks are passed through unwrapped (the SDK
// rejects observables it did not create) and are not recorded: they run
// during collection, outside any request. Recordings are not exported
// anywhere; the caller decides what to do with a Result (log it when the
// request was slow, for instance).
package scoped
