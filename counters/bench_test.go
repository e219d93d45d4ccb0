package counters_test

import (
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// benchSeries returns an Average series of 60 one-second slots.
func benchSeries(b *testing.B) *counters.Series {
	c, err := counters.New(counters.Definition{Name: "b", Kind: counters.Average, Window: time.Minute}, time.Second, 0)
	if err != nil {
		b.Fatal(err)
	}
	return c.NewSeries()
}

// BenchmarkSeriesAdd adds one interval per tick, moving the ring on.
func BenchmarkSeriesAdd(b *testing.B) {
	s := benchSeries(b)
	x := counters.Sample{Count: 3, Sum: 1.5, Min: 0.25, Max: 1}
	b.ReportAllocs()
	at := time.Duration(0)
	for b.Loop() {
		at += time.Second
		s.Add(at, x)
	}
}

// BenchmarkSeriesValue reads a full 60-slot window.
func BenchmarkSeriesValue(b *testing.B) {
	s := benchSeries(b)
	for i := 1; i <= 120; i++ {
		s.Add(time.Duration(i)*time.Second, counters.Sample{Count: 3, Sum: 1.5, Min: 0.25, Max: 1})
	}
	b.ReportAllocs()
	var v counters.Value
	for b.Loop() {
		v = s.Value(120 * time.Second)
	}
	if v.Count != 180 {
		b.Fatalf("value %+v, want 60 slots of 3", v)
	}
}
