package reader_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// TestReportOrder: reports are sorted by key even where the keys of two
// counters interleave, and stay sorted as series come and go.
func TestReportOrder(t *testing.T) {
	now := time.Unix(0, 0)
	r := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(func() time.Time { return now }),
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "a", Kind: counters.Max, Events: []string{"x"}, Window: 2 * time.Second},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "a.b", Kind: counters.Count, Events: []string{"x"}, Window: 2 * time.Second},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "lat", Kind: counters.Percentiles, Events: []string{"x"}, Window: 2 * time.Second},
		))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	ctx := context.Background()
	h, err := mp.Meter("t").Float64Histogram("x")
	if err != nil {
		t.Fatal(err)
	}
	byKey := func(a, b report.Value) int { return strings.Compare(a.Key, b.Key) }
	for round, vals := range [][]string{{"z", "m"}, {"a", "zz"}, {"b"}, {}, {"m", "q", "c"}} {
		for _, v := range vals {
			h.Record(ctx, 1, metric.WithAttributes(attribute.String("k", v)))
		}
		h.Record(ctx, 2)
		now = now.Add(time.Second)
		rep, err := r.Report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]string, len(rep.Values))
		for i, v := range rep.Values {
			keys[i] = v.Key
		}
		if !slices.IsSortedFunc(rep.Values, byKey) {
			t.Errorf("round %d: report not sorted: %q", round, keys)
		}
		if len(slices.Compact(slices.Clone(keys))) != len(keys) {
			t.Errorf("round %d: duplicate keys: %q", round, keys)
		}
		if _, ok := rep.Lookup("a.b"); !ok {
			t.Errorf("round %d: a.b missing from %q", round, keys)
		}
		if v, ok := rep.Lookup(`a{k="` + vals0(vals) + `"}`); len(vals) > 0 && (!ok || v.V != 1) {
			t.Errorf("round %d: a{k=%q} = %v, %v", round, vals0(vals), v, ok)
		}
	}
}

func vals0(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
