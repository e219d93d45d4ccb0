package jsonfile

import "github.com/otelcounters/otelcounters/report"

type config struct {
	fs      FS
	meta    func(report.Report) map[string]any
	tempsOf func(file string) bool
}

// Option configures a [Reporter].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithFS makes the Reporter write through fs instead of the os package; a
// nil fs means the os package. New still checks the path with the os
// package.
func WithFS(fs FS) Option {
	return optionFunc(func(c config) config {
		c.fs = fs
		return c
	})
}

// WithMetadata adds metadata keys to every report the Reporter writes: fn
// is called with the report and returns the keys to add, each of which must
// start and end with "__" and must not be __collection_time__, with values
// that encoding/json can encode (a key whose value is nil is left out).
// They are written in key order after the values and before
// __collection_time__, which stays last. A report for which fn returns a bad
// key or a value that cannot be encoded is not written, and Report returns
// an error naming it. fn runs on the caller's goroutine, one report at a
// time, and must not keep the report. Readers that know only the flat
// values (PyCounters' munin helper) skip such keys; [Parse] returns them in
// [Snapshot.Meta].
func WithMetadata(fn func(report.Report) map[string]any) Option {
	return optionFunc(func(c config) config {
		c.meta = fn
		return c
	})
}

// WithStaleTempsOf makes [New] also remove the stale temporary files of the
// other files of its folder for which match(name) is true (name is the
// file's name without its folder), by the rules it applies to its own
// path's: for writers whose file name changes with each process, such as
// package host's <name>.<pid>.json, whose stale temporary files no later
// process would otherwise look for.
func WithStaleTempsOf(match func(name string) bool) Option {
	return optionFunc(func(c config) config {
		c.tempsOf = match
		return c
	})
}
