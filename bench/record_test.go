package bench

import (
	"context"
	"testing"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	hmetrics "github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
	gometrics "github.com/rcrowley/go-metrics"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// nopExporter lets a PeriodicReader stand for a user's export pipeline
// without doing IO; its interval is long enough never to fire in a run.
type nopExporter struct{}

func (nopExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (nopExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (nopExporter) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (nopExporter) ForceFlush(context.Context) error                          { return nil }
func (nopExporter) Shutdown(context.Context) error                            { return nil }

// windowCounters are the tutorial's four window counters on one event, plus
// a frequency: what a PyCounters user registers for a request timer. They
// keep every attribute (a series per attribute set), as the peers' labelled
// metrics do.
func windowCounters(event string) []counters.Definition {
	all := []string{counters.AllAttributes}
	return []counters.Definition{
		{Name: event + ".average", Kind: counters.AverageTime, Events: []string{event}, By: all},
		{Name: event + ".frequency", Kind: counters.Frequency, Events: []string{event}, By: all},
		{Name: event + ".max", Kind: counters.Max, Events: []string{event}, By: all},
		{Name: event + ".min", Kind: counters.Min, Events: []string{event}, By: all},
	}
}

var twoAttrs = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(
	attribute.String("method", "GET"), attribute.String("route", "/users")))}

func otelHistogram(b *testing.B, r sdkmetric.Reader) (metric.Float64Histogram, func()) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	h, err := mp.Meter("bench").Float64Histogram("request.duration", metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	return h, func() { _ = mp.Shutdown(context.Background()) }
}

// recorder is one library's way to record a request duration.
type recorder struct {
	name  string
	setup func(b *testing.B) (record func(v float64), done func())
}

func recorders() []recorder {
	ctx := context.Background()
	return []recorder{
		{"otel-sdk/0attr", func(b *testing.B) (func(float64), func()) {
			h, done := otelHistogram(b, sdkmetric.NewPeriodicReader(nopExporter{}, sdkmetric.WithInterval(time.Hour)))
			return func(v float64) { h.Record(ctx, v) }, done
		}},
		{"otelcounters/0attr", func(b *testing.B) (func(float64), func()) {
			h, done := otelHistogram(b, reader.New(reader.WithCounters(windowCounters("request.duration")...), reader.WithReportInterval(0)))
			return func(v float64) { h.Record(ctx, v) }, done
		}},
		{"otel-sdk/2attr", func(b *testing.B) (func(float64), func()) {
			h, done := otelHistogram(b, sdkmetric.NewPeriodicReader(nopExporter{}, sdkmetric.WithInterval(time.Hour)))
			return func(v float64) { h.Record(ctx, v, twoAttrs...) }, done
		}},
		{"otelcounters/2attr", func(b *testing.B) (func(float64), func()) {
			h, done := otelHistogram(b, reader.New(reader.WithCounters(windowCounters("request.duration")...), reader.WithReportInterval(0)))
			return func(v float64) { h.Record(ctx, v, twoAttrs...) }, done
		}},
		{"prometheus-summary", func(b *testing.B) (func(float64), func()) {
			s := prometheus.NewSummary(prometheus.SummaryOpts{
				Name: "request_duration_seconds", MaxAge: 5 * time.Minute,
				Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001},
			})
			return s.Observe, func() {}
		}},
		{"prometheus-histogram", func(b *testing.B) (func(float64), func()) {
			h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "request_duration_seconds"})
			return h.Observe, func() {}
		}},
		{"victoriametrics-summary", func(b *testing.B) (func(float64), func()) {
			set := vm.NewSet()
			s := set.NewSummaryExt("request_duration_seconds", 5*time.Minute, []float64{0.5, 0.9, 0.99})
			return s.Update, func() { set.UnregisterAllMetrics() }
		}},
		{"rcrowley-meter", func(b *testing.B) (func(float64), func()) {
			m := gometrics.NewMeter()
			return func(float64) { m.Mark(1) }, m.Stop
		}},
		{"rcrowley-timer", func(b *testing.B) (func(float64), func()) {
			t := gometrics.NewTimer()
			return func(v float64) { t.Update(time.Duration(v * 1e9)) }, t.Stop
		}},
		{"hashicorp-inmem", func(b *testing.B) (func(float64), func()) {
			sink := hmetrics.NewInmemSink(10*time.Second, 5*time.Minute)
			key := []string{"request", "duration"}
			return func(v float64) { sink.AddSample(key, float32(v)) }, func() {}
		}},
	}
}

// BenchmarkRecord is the cost of recording one measurement, serial.
func BenchmarkRecord(b *testing.B) {
	for _, rc := range recorders() {
		b.Run(rc.name, func(b *testing.B) {
			record, done := rc.setup(b)
			defer done()
			b.ReportAllocs()
			v := 0.0
			for b.Loop() {
				v += 0.001
				record(v)
			}
		})
	}
}

// BenchmarkRecordParallel is the same from GOMAXPROCS goroutines at once.
func BenchmarkRecordParallel(b *testing.B) {
	for _, rc := range recorders() {
		b.Run(rc.name, func(b *testing.B) {
			record, done := rc.setup(b)
			defer done()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				v := 0.0
				for pb.Next() {
					v += 0.001
					record(v)
				}
			})
		})
	}
}
