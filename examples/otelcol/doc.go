// Command otelcol-demo is a small instrumented service that records requests
// through the OpenTelemetry metrics API, keeps PyCounters-style window
// counters of them, and exports both the raw metrics and the window values
// over OTLP (gRPC or HTTP) to an OpenTelemetry Collector. It records a fixed
// pattern of requests for a bounded time, then shuts down cleanly.
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 go run . -protocol grpc -duration 10s
//
// The standard OTEL_EXPORTER_OTLP_* variables configure the exporters as
// usual (endpoint, headers, timeout, temporality preference...). Without an
// endpoint in the environment it sends to the Collector's default ports on
// 127.0.0.1, without TLS. See README.md for the whole walk-through.
//
// The recorded pattern makes the window values known in advance: requests
// alternate between the routes /cart and /checkout; /cart takes 0.125 s and
// 0.375 s in turn (average 0.25 s, max 0.375 s) with 100-byte bodies,
// /checkout 0.25 s and 0.75 s (average 0.5 s, max 0.75 s) with 1000-byte
// bodies.
package main
