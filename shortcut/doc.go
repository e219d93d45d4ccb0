// Package shortcut records PyCounters-style events through the
// OpenTelemetry metrics API and adds the usual counter for each event the
// first time it is used, as PyCounters' shortcuts count, frequency, time,
// value and occurrence did.
//
//	s := shortcut.New(mp.Meter("server"), r) // r: the *reader.Reader (or nil)
//
//	func handle(ctx context.Context) {
//		t := s.Time(ctx, "requests_time")       // average time per request
//		defer t.Stop()
//		defer s.Frequency(ctx, "requests_frequency") // requests per second
//		...
//		s.Value(ctx, "requests_data_len", float64(len(data)))
//	}
//
// # Events and instruments
//
// Every shortcut records through an OTel instrument named after the event,
// created on first use and cached (a few nanoseconds per call afterwards,
// no allocation):
//
//	Time, TimeFunc, Start/End          Float64Histogram, unit "s" (seconds)
//	Value                              Float64Histogram, no unit
//	Count, Frequency, Occurrence       Int64Counter, Add(1)
//
// Any other code (or instrumentation library) that records into an
// instrument of that name feeds the same counters: the shortcuts are a
// convenience over the OTel API, not a separate path. Using one name with two
// kinds of instrument (Time("x") and Count("x")) makes the SDK warn about a
// conflicting instrument; give each event one kind.
//
// # Automatic counters
//
// The first call of a shortcut for a name registers, in the [Registry], the
// counter PyCounters' shortcut would add, named like the event:
//
//	Count       event         (running total of calls)
//	Frequency   frequency     (calls per second over the window)
//	Occurrence  frequency
//	Time        average_time  (mean seconds over the window)
//	Value       average       (mean value over the window)
//
// A counter of that name that already exists, of any kind, is kept. If it
// does not listen to the event (a configuration file's requests_time on the
// event "request"), its value would stay empty and the shortcut's
// measurements reach no counter of that name: the error handler is told
// once, with both definitions. [Auto]
// switches the automatic counter off or picks another kind, window or
// attribute selection, for every name ([WithAuto]) or for one
// ([WithAutoFor]). Start and End report events only, as
// report_start/report_end did: they add no counter.
//
// # Attributes
//
// Every shortcut takes OpenTelemetry's options after its arguments, as the
// instrument calls do: s.Count(ctx, "hits", metric.WithAttributes(...)).
// The attributes reach the instrument, and so every reader and exporter of
// the provider. The automatic counter follows the rules of every counter
// (counters.Definition's By and Without): by default it has one series,
// under the event's name, aggregated over the attributes; an Auto with By
// or Without keeps series per attribute. A call without options allocates
// nothing.
//
// # Timing
//
// [Shortcuts.Time] and [Shortcuts.Start] return a [Timer], a small value
// that holds the start of one timing; [Timer.Stop] (or [Shortcuts.End])
// records the seconds since. Each call pairs with its own Timer, so timings
// nest and overlap correctly, on one goroutine or across several (hand the
// Timer over). A Timer is a value rather than a func to stop so that timing
// allocates nothing.
//
// Count and Frequency count when they are called. Deferred, they count at the
// end of the block, as PyCounters' decorators did:
//
//	defer s.Frequency(ctx, "requests_frequency")
//
// # Misuse and bad values
//
// Nothing here panics in the caller. Stopping a Timer twice, stopping a zero
// Timer (never started), a NaN or infinite value and an automatic counter
// that cannot be registered are reported to the error handler
// ([WithErrorHandler], otel.Handle by default) with the event's name, and
// nothing is recorded: a NaN would otherwise spoil the whole interval of the
// window it falls in. Negative values are accepted and recorded as they are
// (a negative change, a temperature below zero); counters that average,
// sum, or take the maximum or minimum treat them as any other number.
//
// # Concurrency
//
// A Shortcuts value is safe for concurrent use. A Timer may be handed to
// another goroutine and stopped there, but must not be stopped by two
// goroutines at the same time.
package shortcut
