// Command otelhttp is an existing net/http service instrumented with
// otelhttp, given PyCounters' tutorial counters by a configuration file and
// nothing else: the recipe of docs/getting-started.md ("an existing otelhttp
// service → munin in five minutes").
//
// Its test runs the recipe end to end with real parts: the server on
// loopback, otelhttp v0.72.0, the counters from a configuration file with no
// attribute options, the JSON file, and the tutorial's munin graphs through
// the otelcounters munin plugin under munin-run.
//
// It is a module of its own so that otelhttp's dependencies stay out of the
// module a munin user downloads.
package main
