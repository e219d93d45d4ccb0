package main

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/internal/fakeclock"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// quantileReport records values into a percentiles counter of a reader of
// its own, over 10 ticks, and returns its report.
func quantileReport(t *testing.T, values [][]float64) report.Report {
	t.Helper()
	ctx := context.Background()
	clock := fakeclock.New()
	r := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(clock.Now),
		reader.WithCounters(counters.Definition{Name: "lat", Kind: counters.Percentiles, Window: 10 * time.Second}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer func() { _ = mp.Shutdown(ctx) }()
	h, err := mp.Meter("t").Float64Histogram("lat")
	if err != nil {
		t.Fatal(err)
	}
	for _, tick := range values {
		for _, v := range tick {
			h.Record(ctx, v)
		}
		clock.Advance(time.Second)
		if err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := r.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// otelcounters merge gives the quantiles of a host's processes from the
// buckets their files carry: those of one process that saw every value.
func TestMergeQuantilesFromBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := [2][][]float64{}
	all := make([][]float64, 10)
	for p := range parts {
		parts[p] = make([][]float64, 10)
		for tick := range 10 {
			for range 20 + 200*p { // one slow process, one busy fast one
				v := (0.9 - 0.88*float64(p)) * (1 + rng.Float64())
				parts[p][tick] = append(parts[p][tick], v)
				all[tick] = append(all[tick], v)
			}
		}
	}
	dir := t.TempDir()
	for p, name := range []string{"slow", "fast"} {
		rep, err := host.NewReporter(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Report(context.Background(), quantileReport(t, parts[p])); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "merged.json")
	// The fake clocks' reports are old: no age limit for this test.
	if code, _, stderr := runTool("", "merge", "--dir", dir, "--out", out, "--max-age", "0"); code != 0 {
		t.Fatalf("merge: status %d: %s", code, stderr)
	}
	got, err := jsonfile.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := quantileReport(t, all)
	for _, k := range []string{"lat.p50", "lat.p90", "lat.p99", "lat.mean"} {
		w, _ := want.Lookup(k)
		g := got.Values[k]
		if g == nil || !w.OK || *g != w.V && !(k == "lat.mean" && math.Abs(*g-w.V) <= 1e-12*w.V) {
			t.Errorf("merged %s = %v, one process %v", k, g, w.V)
		}
	}
}
