package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRatios(t *testing.T) {
	in := `goos: linux
BenchmarkRecord/otel-sdk/0attr-2   100  120.0 ns/op  0 B/op  0 allocs/op
BenchmarkRecord/otelcounters/0attr-2   100  100.0 ns/op  0 B/op  0 allocs/op
BenchmarkRecord/otelcounters/0attr-2   100  140.0 ns/op  0 B/op  0 allocs/op
BenchmarkRecord/otelcounters/0attr-2   100  110.0 ns/op  0 B/op  0 allocs/op
BenchmarkMemoryPerSeries/peer-2  5  10 ns/op  3000 B/series
BenchmarkMemoryPerSeries/otelcounters-2  5  10 ns/op  1500 B/series
`
	var out bytes.Buffer
	if err := run(strings.NewReader(in), &out, "otelcounters"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| otel-sdk/0attr | 120 | 0 | 1.09 |",     // 120 / median(100,140,110)=110
		"| otelcounters/0attr | 110 | 0 | 1.00 |", // the median of three runs
		"| peer | 3000 | — | 2.00 |",              // per-series memory compared, not ns/op
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
	if err := run(strings.NewReader("nothing"), &out, "x"); err == nil {
		t.Error("want an error for input without benchmarks")
	}
}
