package reader_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

func TestSmoke(t *testing.T) {
	now := time.Unix(1000, 0)
	r := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(func() time.Time { return now }),
		reader.WithCounters(
			counters.Definition{Name: "req_time", Kind: counters.AverageTime, Events: []string{"req"}},
			counters.Definition{Name: "req_freq", Kind: counters.Frequency, Events: []string{"req"}},
			counters.Definition{Name: "len_max", Kind: counters.Max, Events: []string{"len"}},
		))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	ctx := context.Background()
	m := mp.Meter("t")
	h, _ := m.Float64Histogram("req", metric.WithUnit("s"))
	l, _ := m.Int64Histogram("len")
	for i := 0; i < 10; i++ {
		h.Record(ctx, 0.5)
		l.Record(ctx, int64(i), metric.WithAttributes(attribute.String("m", "GET")))
		now = now.Add(time.Second)
		if err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := r.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", rep.AppendJSON(nil))
	if v, _ := rep.Lookup("req_time"); v.V != 0.5 {
		t.Errorf("req_time = %v", v)
	}
	if v, _ := rep.Lookup("req_freq"); v.V != 1 {
		t.Errorf("req_freq = %v", v)
	}
	if v, _ := rep.Lookup(`len_max{m="GET"}`); v.V != 9 {
		t.Errorf("len_max = %v", v)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
