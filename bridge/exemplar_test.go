package bridge_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/bridge"
)

// exemplarCount records one value through a bridge provider that also has a
// plain ManualReader and returns how many exemplars that reader saw.
func exemplarCount(t *testing.T) int {
	t.Helper()
	manual := sdkmetric.NewManualReader()
	mp, err := bridge.NewMeterProvider(bridge.WithMeterProviderOptions(sdkmetric.WithReader(manual)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	h, err := mp.Meter("t").Float64Histogram("h")
	if err != nil {
		t.Fatal(err)
	}
	h.Record(context.Background(), 1)
	var rm metricdata.ResourceMetrics
	if err := manual.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				n += len(dp.Exemplars)
			}
		}
	}
	return n
}

func TestExemplarsOffByDefault(t *testing.T) {
	if n := exemplarCount(t); n != 0 {
		t.Errorf("exemplars with no filter asked for: %d, want 0", n)
	}
	t.Setenv("OTEL_METRICS_EXEMPLAR_FILTER", "always_on")
	if n := exemplarCount(t); n != 1 {
		t.Errorf("exemplars with OTEL_METRICS_EXEMPLAR_FILTER=always_on: %d, want 1", n)
	}
}
