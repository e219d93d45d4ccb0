package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/windowproducer"
	"github.com/otelcounters/otelcounters/reader"
)

// The hot path of three set-ups, compared as ratios within one run
// (go test -bench Record -benchmem, then bench/cmd/ratios -ref baseline):
//
//   - baseline: what the service had, one PeriodicReader with the OTLP/HTTP
//     exporter;
//   - one-pipeline: the window reader exporting through the same OTLP
//     exporter (reader.WithExporter) with the window values (InExport);
//   - two-readers: the baseline plus the window reader, the window values
//     added to the PeriodicReader by the producer.
//
// The exporter points at an unused 127.0.0.1 port and every interval and
// tick is an hour: nothing is exported or collected during a run, so what is
// measured is the cost of one measurement.

func unusedAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func benchExporter(b *testing.B) sdkmetric.Exporter {
	exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL("http://"+unusedAddr(b)+"/v1/metrics"))
	if err != nil {
		b.Fatal(err)
	}
	return exp
}

var benchSetups = []struct {
	name string
	make func(b *testing.B) *sdkmetric.MeterProvider
}{
	{"baseline", func(b *testing.B) *sdkmetric.MeterProvider {
		return sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(benchExporter(b), sdkmetric.WithInterval(time.Hour))))
	}},
	// The window reader ticks once per default window, the longest tick
	// its windows take: never during a benchmark.
	{"one-pipeline", func(b *testing.B) *sdkmetric.MeterProvider {
		r := reader.New(reader.WithCounters(windowCounters()...), reader.WithTick(counters.DefaultWindow), reader.WithReportInterval(0),
			reader.WithExporter(benchExporter(b), time.Hour), windowproducer.InExport())
		return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	}},
	{"two-readers", func(b *testing.B) *sdkmetric.MeterProvider {
		r := reader.New(reader.WithCounters(windowCounters()...), reader.WithTick(counters.DefaultWindow), reader.WithReportInterval(0))
		p := sdkmetric.NewPeriodicReader(benchExporter(b), sdkmetric.WithInterval(time.Hour), sdkmetric.WithProducer(windowproducer.New(r)))
		return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithReader(p))
	}},
}

// forEachSetup runs the benchmark body once per set-up, shutting each down
// (with a short deadline: the final export goes nowhere) outside the timing.
func forEachSetup(b *testing.B, body func(b *testing.B, mp *sdkmetric.MeterProvider)) {
	for _, s := range benchSetups {
		b.Run(s.name, func(b *testing.B) {
			mp := s.make(b)
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_ = mp.Shutdown(ctx)
			}()
			b.ReportAllocs()
			body(b, mp)
		})
	}
}

var routeOpts = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(routeKey.String("/checkout")))}

func BenchmarkRecordHistogram(b *testing.B) {
	forEachSetup(b, func(b *testing.B, mp *sdkmetric.MeterProvider) {
		h, _ := mp.Meter("bench").Float64Histogram(durationName, metric.WithUnit("s"))
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			h.Record(ctx, float64(i&1023)/1024, routeOpts...)
		}
	})
}

func BenchmarkRecordHistogramParallel(b *testing.B) {
	forEachSetup(b, func(b *testing.B, mp *sdkmetric.MeterProvider) {
		h, _ := mp.Meter("bench").Float64Histogram(durationName, metric.WithUnit("s"))
		ctx := context.Background()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				h.Record(ctx, float64(i&1023)/1024, routeOpts...)
			}
		})
	})
}

func BenchmarkRecordCounter(b *testing.B) {
	forEachSetup(b, func(b *testing.B, mp *sdkmetric.MeterProvider) {
		c, _ := mp.Meter("bench").Int64Counter("http.server.requests")
		opts := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(routeKey.String("/checkout")))}
		ctx := context.Background()
		b.ResetTimer()
		for b.Loop() {
			c.Add(ctx, 1, opts...)
		}
	})
}

// BenchmarkServe records what one request of the demo records: a duration
// and a body size.
func BenchmarkServe(b *testing.B) {
	forEachSetup(b, func(b *testing.B, mp *sdkmetric.MeterProvider) {
		srv, err := newServer(mp)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			srv.serve(ctx, i)
		}
	})
}

// BenchmarkTick is the background cost the one pipeline adds to each tick
// (every 5 s by default): collecting 100 series of a histogram, feeding five
// window counters, and merging the interval into the next export, against
// the window reader alone.
func BenchmarkTick(b *testing.B) {
	for _, withExport := range []bool{false, true} {
		name := "window-reader"
		if withExport {
			name = "one-pipeline"
		}
		b.Run(name, func(b *testing.B) {
			opts := []reader.Option{reader.WithCounters(windowCounters()...), reader.WithManualTicks(), reader.WithReportInterval(0)}
			if withExport {
				opts = append(opts, reader.WithExporter(benchExporter(b), time.Hour))
			}
			r := reader.New(opts...)
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_ = mp.Shutdown(ctx)
			}()
			h, _ := mp.Meter("bench").Float64Histogram(durationName, metric.WithUnit("s"))
			var series [100][]metric.RecordOption
			for i := range series {
				series[i] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(routeKey.String(fmt.Sprintf("/r%d", i))))}
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				for i := range series {
					h.Record(ctx, 0.25, series[i]...)
				}
				b.StartTimer()
				if err := r.Tick(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInterleaved measures the three set-ups in alternating chunks of
// measurements, rotating their order, so that the load of other processes on
// a shared machine falls on all three alike. It reports, per set-up, the
// median and the fastest chunk's ns per measurement, and the ratios of both
// to the baseline (the fastest chunks are the least disturbed, so their
// ratio is the steadiest). The serial ratios quoted in docs/otlp.md come
// from here.
func BenchmarkInterleaved(b *testing.B) {
	for _, instrument := range []string{"histogram", "counter"} {
		b.Run(instrument, func(b *testing.B) {
			ctx := context.Background()
			var record []func(i int)
			for _, s := range benchSetups {
				mp := s.make(b)
				defer func() {
					sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
					defer cancel()
					_ = mp.Shutdown(sctx)
				}()
				m := mp.Meter("bench")
				if instrument == "histogram" {
					h, _ := m.Float64Histogram(durationName, metric.WithUnit("s"))
					record = append(record, func(i int) { h.Record(ctx, float64(i&1023)/1024, routeOpts...) })
				} else {
					c, _ := m.Int64Counter("http.server.requests")
					opts := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(routeKey.String("/checkout")))}
					record = append(record, func(int) { c.Add(ctx, 1, opts...) })
				}
			}
			const chunk = 256
			chunks := make([][]time.Duration, len(record))
			rounds := 0
			b.ReportAllocs()
			for b.Loop() {
				for k := range record {
					s := (k + rounds) % len(record)
					start := time.Now()
					for i := range chunk {
						record[s](i)
					}
					chunks[s] = append(chunks[s], time.Since(start))
				}
				rounds++
			}
			median := make([]float64, len(record))
			fastest := make([]float64, len(record))
			for s, d := range chunks {
				slices.Sort(d)
				median[s] = float64(d[len(d)/2].Nanoseconds()) / chunk
				fastest[s] = float64(d[0].Nanoseconds()) / chunk
				b.ReportMetric(median[s], benchSetups[s].name+"-median-ns/meas")
				b.ReportMetric(fastest[s], benchSetups[s].name+"-fastest-ns/meas")
			}
			b.ReportMetric(median[1]/median[0], "one/baseline-median")
			b.ReportMetric(fastest[1]/fastest[0], "one/baseline-fastest")
			b.ReportMetric(median[2]/median[0], "two/baseline-median")
			b.ReportMetric(fastest[2]/fastest[0], "two/baseline-fastest")
		})
	}
}
