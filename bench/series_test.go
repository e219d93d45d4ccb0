package bench

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"

	"github.com/otelcounters/otelcounters/reader"
)

const seriesN = 1000

// windowed is one library's set of seriesN windowed request timers: record
// one value into series i, and produce a report of all of them.
type windowed struct {
	name  string
	setup func(b *testing.B) (record func(i int, v float64), report func(), done func())
}

func windowedPeers() []windowed {
	ctx := context.Background()
	return []windowed{
		{"otelcounters", func(b *testing.B) (func(int, float64), func(), func()) {
			r := reader.New(reader.WithManualTicks(), reader.WithSeriesLimit(0),
				reader.WithCounters(windowCounters("request.duration")...))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithCardinalityLimit(0),
				// Window counters use no exemplars; a delta reader would re-create a
				// reservoir per series every interval.
				sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter))
			h, err := mp.Meter("bench").Float64Histogram("request.duration", metric.WithUnit("s"))
			if err != nil {
				b.Fatal(err)
			}
			opts := make([][]metric.RecordOption, seriesN)
			for i := range opts {
				opts[i] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("id", strconv.Itoa(i))))}
			}
			record := func(i int, v float64) { h.Record(ctx, v, opts[i]...) }
			report := func() {
				if _, err := r.Report(ctx); err != nil {
					b.Fatal(err)
				}
			}
			return record, report, func() { _ = mp.Shutdown(ctx) }
		}},
		{"prometheus-summary", func(b *testing.B) (func(int, float64), func(), func()) {
			reg := prometheus.NewRegistry()
			vec := prometheus.NewSummaryVec(prometheus.SummaryOpts{
				Name: "request_duration_seconds", MaxAge: 5 * time.Minute,
				Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001},
			}, []string{"id"})
			reg.MustRegister(vec)
			obs := make([]prometheus.Observer, seriesN)
			for i := range obs {
				obs[i] = vec.WithLabelValues(strconv.Itoa(i))
			}
			report := func() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
			return func(i int, v float64) { obs[i].Observe(v) }, report, func() {}
		}},
		{"victoriametrics-summary", func(b *testing.B) (func(int, float64), func(), func()) {
			set := vm.NewSet()
			s := make([]*vm.Summary, seriesN)
			for i := range s {
				s[i] = set.NewSummaryExt(`request_duration_seconds{id="`+strconv.Itoa(i)+`"}`, 5*time.Minute, []float64{0.5, 0.9, 0.99})
			}
			return func(i int, v float64) { s[i].Update(v) }, func() { set.WritePrometheus(io.Discard) }, set.UnregisterAllMetrics
		}},
	}
}

// BenchmarkReport is the cost of one report (for otelcounters: collect the
// interval and compute every window) over seriesN series that all had data.
func BenchmarkReport(b *testing.B) {
	for _, w := range windowedPeers() {
		b.Run(w.name, func(b *testing.B) {
			record, report, done := w.setup(b)
			defer done()
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := range seriesN {
					record(i, 0.01*float64(i%100))
				}
				b.StartTimer()
				report()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/seriesN, "ns/series")
		})
	}
}

// BenchmarkMemoryPerSeries is the heap each library holds per active series
// after a few values were recorded into every one.
func BenchmarkMemoryPerSeries(b *testing.B) {
	for _, w := range windowedPeers() {
		b.Run(w.name, func(b *testing.B) {
			var perSeries float64
			for b.Loop() {
				b.StopTimer()
				before := heap()
				record, report, done := w.setup(b)
				for round := range 3 {
					for i := range seriesN {
						record(i, 0.01*float64(round+i%100))
					}
					report()
				}
				perSeries = float64(heap()-before) / seriesN
				runtime.KeepAlive(record)
				done()
				b.StartTimer()
			}
			b.ReportMetric(perSeries, "B/series")
		})
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
