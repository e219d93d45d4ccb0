// Package bench measures otelcounters next to the libraries users would pick
// instead, in one process run so that the figures compare as ratios on a
// shared, noisy machine.
//
// It is its own module so that the peers (Prometheus client_golang,
// VictoriaMetrics/metrics, rcrowley/go-metrics, hashicorp/go-metrics) never
// enter the library's dependencies. Run it with run.sh, which prints a ratio
// table; docs/performance.md keeps the latest one.
package bench
