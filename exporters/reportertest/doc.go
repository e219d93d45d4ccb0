// Package reportertest is the conformance suite every reporter of
// otelcounters runs, as [testing/slogtest] is for slog handlers: a reporter's
// own tests call [Run] with a [Harness] that makes the reporter and reads back
// what it output.
//
// # What it checks
//
// Values come out under their report keys, including keys with attributes
// whose values hold quotes, backslashes, newlines, spaces and non-ASCII
// text; empty counters come out as null (nil); metadata keys do not come out
// as values; a later report replaces an earlier one; concurrent calls to
// Report are safe (run the suite with -race) and leave a value that some
// report wrote; a done context makes Report return nil or an error wrapping
// the context's error, never panic or hang, and leaves the reporter usable.
//
// # What it is not
//
// It checks no output format byte for byte: each reporter's own tests and
// examples do that.
package reportertest
