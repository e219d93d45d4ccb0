// Package reliability holds otelcounters' reliability suite: tests that
// cross package boundaries to check that the whole path — OpenTelemetry
// instruments, the SDK, the window reader, the reporters — holds up under
// load, attribute explosions, faults and bad input, and that every
// component leaves no goroutine behind. It has no code of its own; each
// package's own tests check its contract, this suite checks them together.
//
// # What runs where
//
// Everything is a Go test of this package, run by CI with -race and
// bounded to seconds on two cores: fake clocks and manual ticks where
// the outcome must be exact, short real ticks (milliseconds) with
// bounded waits where the background goroutines themselves are under
// test. Native fuzz targets (Fuzz...) run their seed corpus as ordinary
// tests; scripts/fuzz.sh fuzzes every target of the module for a while
// and scripts/check-386.sh builds and tests on a 32-bit platform.
//
//   - load: many goroutines record into thousands of series while
//     reports are written (JSON file and log lines) and counters come
//     and go; totals are checked exactly afterwards.
//   - cardinality: an attribute explosion stays within a memory bound
//     derived from the series limit, the excess goes to the
//     otel.metric.overflow="true" series, totals stay exact.
//   - faults: a full disk, an unwritable folder, a reporter that blocks
//     or panics, an exporter whose endpoint is down or hangs, a clock
//     that jumps backwards or forwards.
//   - bad input: NaN, infinities, negative and huge values, empty and
//     very long names, invalid UTF-8 in attributes.
//   - goroutines: none is left after Shutdown of any component.
//   - shared folders and hostile files, with real processes: a second
//     user (nobody, where the suite runs as root) against the pipe
//     reporter's folder and FIFO; a FIFO and a /dev/zero link in a report
//     folder for the otelcounters binary's merge, serve and munin fetch;
//     writers killed mid-write and restarted; a reporter slower than its
//     report timeout at Shutdown.
//
// docs/reliability.md lists what is tested, the figures measured, and what
// is not tested yet.
//
// # What it is not
//
// It is not a benchmark (see the bench module) and not an end-to-end test
// with a real OpenTelemetry Collector (see examples/otelcol).
package reliability
