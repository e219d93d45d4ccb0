// Package counters is the window arithmetic of otelcounters: PyCounters'
// counter kinds computed from per-interval samples (count, sum, min, max),
// and window percentiles from per-interval histograms.
//
// It uses only the standard library, starts no goroutines and reads no
// clock: every call takes the elapsed time since the owner's origin, so the
// owner (package reader, or a test) decides what time it is.
//
// # Model
//
// A [Counter] is a registered counter's layout, made by [New] from a
// [Definition]. It makes a [Series] for each set of attributes its owner
// keeps (the definition's By and Without say which; package reader
// selects). Every tick the owner adds to each series the [Sample] of the
// interval that just ended, and at report time asks each series for its
// [Value].
//
// # Window precision
//
// A window is a ring of slots. A slot is a whole number of ticks wide: one
// tick when the window spans at most [MaxSlots] ticks, wider otherwise (a
// 300 s window with a 5 s tick has 60 slots of 5 s; with a 1 s tick, 60 slots
// of 5 s too). The interval that ends at elapsed time t is kept in the slot
// that holds t, so the window read at time t holds the slots whose intervals
// end in (t−W, t]. At times that are a whole number of slots, that is
// exactly the events in (t−W, t]; in between, the window's old edge is up to
// one slot newer (the window holds the intervals that end after the next slot
// boundary minus W). PyCounters kept an event exactly W seconds old; here it
// has just left.
//
// # Values
//
// Empty windows read as PyCounters read them: no value (None, JSON null) for
// Average, AverageTime, Max and Min, and 0 for Frequency, WindowSum and
// Count. Event and Total have no value until their first event.
//
// Frequency is the window sum divided by the time the window covers: the
// whole window, or, while the counter is younger than its window, the time
// since the beginning of the first interval it heard. (PyCounters divided by
// the age of the oldest event in the window, so one event read 0.1 s later
// was 10 per second.)
//
// Sums are exact float64 sums of per-interval sums: exact whenever the
// values are (integers, or binary fractions of moderate size).
//
// # Percentiles
//
// A Percentiles series keeps, beside count, sum, min and max, each slot's
// base-2 exponential histogram ([Histogram], OpenTelemetry's layout, fed by
// [Series.AddHistogram]), compactly: only the buckets that count something,
// as varints. [Series.Quantiles] merges the window's slots and returns the
// nearest-rank quantiles (the value of rank ⌈q·n⌉) as bucket midpoints
// clamped to the window's exact extremes: within 0.54% of the exact values at
// [DefaultScale]. [Series.Value] is the window's mean. Quantiles of several
// processes do not merge from values: see [Merge].
//
// # Concurrency
//
// A Counter is immutable and safe for concurrent use. A Series is not: its
// owner serialises Add and Value.
package counters
