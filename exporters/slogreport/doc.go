// Package slogreport reports window counters as log lines through
// [log/slog], the way PyCounters' LogReporter did: one record per counter
// value, message "<key> <value>".
//
//	time=2011-06-03T18:12:44.881Z level=INFO msg="posting 0.589342236519"
//
// # Format
//
// Records come in report order (sorted by key); metadata keys such as
// __collection_time__ are skipped. The value is printed as PyCounters
// printed a float: 12 significant digits, ".0" on whole numbers, an exponent
// of at least two digits for very small or large numbers, and None for an
// empty counter (see [AppendValue]). Values are always floats here, so a
// count prints as 5.0 where PyCounters' integer counters printed 5. A record's
// time is the report's time, so lines of a delayed report still say when the
// values were taken. By default a record carries only its message (plus
// whatever the logger adds); [WithValueAttrs] adds the key and the number as
// attributes. docs/formats.md describes the line format and its stability.
//
// # Concurrency
//
// A [Reporter] is immutable and safe for concurrent use; it calls the
// handler once per record, so the handler's own guarantees (one write per
// record for the standard handlers) carry over. Lines of two concurrent
// reports may interleave.
//
// # What it is not
//
// It does not configure logging: output, format, level filtering and
// rotation belong to the [slog.Handler] the caller passes in.
package slogreport
