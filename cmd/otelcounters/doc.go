// Command otelcounters is the project's tool: otelcounters <command> [flags].
//
// # Commands
//
//   - demo: PyCounters' tutorial server made real: an upper-casing TCP echo
//     server on loopback, instrumented through the OpenTelemetry API, under a
//     built-in load, reporting log lines and a JSON file every few seconds,
//     with a live page of its counters for a browser. See
//     docs/getting-started.md.
//   - replay: run an event trace through the real pipeline (an OpenTelemetry
//     MeterProvider and the otelcounters reader) on a simulated clock, and
//     print the reports PyCounters' JSON file reporter would have written.
//     See docs/replay.md.
//   - munin: a munin plugin graphing a JSON report file, or a folder of
//     per-process reports, from a graph configuration in PyCounters' format.
//     Called as otelcounters_<anything> (a symlink in munin's plugin
//     folder), or by munin under any name but otelcounters, the binary is
//     that plugin; under every other name it is the tool. See docs/munin.md.
//   - merge: merge the fresh per-process reports of a folder into one JSON
//     report by PyCounters' merge rules. See docs/multiprocess.md.
//   - serve: serve the merged reports of a folder as JSON over HTTP, and as
//     a live page to browsers, on loopback by default. See
//     docs/http-and-pipe.md.
//
// otelcounters help lists the commands; otelcounters help <command> shows
// a command's flags.
//
// # Exit status
//
// 0 when the command did its job or help was asked for (-h, --help,
// otelcounters help), 1 when it failed at run time (a write error, a peer
// that went away), 2 for bad usage or bad input (flags, a configuration
// file, a trace). Messages go to standard error; standard
// output carries only the command's output.
package main
