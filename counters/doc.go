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
// A window is a ring of slots. A window of at most [MaxSlots] ticks has one
// slot per tick; a longer one has slots of a whole number of ticks, the
// narrowest that divide it into at most MaxSlots slots (and at least 128: a
// window no such width divides is refused, as is one that is not a whole
// number of ticks; the errors name windows that would do). A 300 s window
// with a 5 s tick has 60 slots of 5 s; with a 1 s tick, 300 slots of 1 s; a
// day with a 5 s tick, 960 slots of 90 s. The window is always exactly as
// long as defined.
//
// The interval that ends at elapsed time t is kept in slot ⌈t/s⌉ for slot
// width s, so the window read at time R holds the intervals that end in
// (⌈R/s⌉·s − W, R]. At times that are a whole number of slots — every tick,
// when a slot is a tick — that is exactly the intervals in (R−W, R]. In
// between, the window's old edge is the next slot boundary minus W: it holds
// between W−s and W of data, never anything older than W. PyCounters kept an
// event exactly W seconds old; here it has just left.
//
// # Values
//
// Empty windows read as PyCounters read them: no value (None, JSON null) for
// Average, AverageTime, Max and Min, and 0 for Frequency, WindowSum and
// Count. Event and Total have no value until their first event.
//
// Frequency is the window sum divided by the time the window's data covers
// ([Counter.Covered]): from its old edge, or from the beginning of the first
// interval the counter heard when that is later, to the time read; but by
// at least one tick, so that a counter read in its first moments (or a
// window of one tick read between ticks) reads low rather than spikes. A
// steady rate therefore reads true at any time past the first tick, on a
// slot boundary or not. (PyCounters divided by the age of the oldest event
// in the window, so one event read 0.1 s later was 10 per second.)
//
// Sums are exact float64 sums of per-interval sums: exact whenever the
// values are (integers, or binary fractions of moderate size).
//
// # Percentiles
//
// A Percentiles series keeps, beside count, sum, min and max, each slot's
// base-2 exponential histogram ([Histogram], OpenTelemetry's layout, fed by
// [Series.AddHistogram]), compactly: only the buckets that count something,
// bit-packed, all slots in one buffer. [Series.Quantiles] merges the window's slots and returns the
// nearest-rank quantiles (the value of rank ⌈q·n⌉) as bucket midpoints
// clamped to the window's exact extremes: within 0.54% of the exact values at
// [DefaultScale]. [Series.Value] is the window's mean. Quantiles of several
// processes do not merge from values (see [Merge]) but from their windows'
// buckets: [Series.Distribution], [MergeDistributions].
//
// # Concurrency
//
// A Counter is immutable and safe for concurrent use. A Series is not: its
// owner serialises Add and Value.
package counters
