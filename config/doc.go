// Package config reads otelcounters' declarative configuration file: the
// counters to register, the reader's timing, the reporters and the default
// counters, written in YAML or JSON.
//
// The file is read by [Parse], [Load] or [FromEnv] (the file named by the
// OTELCOUNTERS_CONFIG environment variable) into a [Config], a plain value
// that the drop-in (package bridge) and the command-line tool turn into a
// reader and reporters. docs/configuration.md describes the format.
//
// # Format
//
// The keys are snake_case: tick, report_interval, series_limit, counters,
// reporters and default_counters. JSON is read by the YAML parser (JSON is
// YAML), so both give line numbers. Unknown keys, duplicate keys, values of
// the wrong type, unknown counter kinds and reporter types, and duplicate
// counter or reporter names are errors: a typo must not silently leave a
// counter out.
//
// # Errors
//
// Every error is an [*Error] naming the source, the line and the field path
// (zero-based list indexes), as in
//
//	server.yaml:12: counters[2].kind: unknown counter kind "Foo" (want one of ...)
//
// [Parse] reports every problem it finds (joined with errors.Join), not only
// the first.
//
// # What it is not
//
// It builds nothing: no reader, no reporter, and it opens no file but the
// one it is asked to read. Its values are plain data, safe to copy and to
// share once returned.
package config
