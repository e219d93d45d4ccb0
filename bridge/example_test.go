package bridge_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// stdoutLogger logs to standard output without the time, so that the
// example's output does not depend on when it runs.
func stdoutLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// Window counters for instrumentation that exists already: otelhttp
// records every request into http.server.request.duration (seconds); two
// counters listen to it. Manual ticks and a fake clock make the example
// deterministic; a program leaves them out.
func Example() {
	ctx := context.Background()
	now := time.Unix(1307115164, 0)
	mp, err := bridge.NewMeterProvider(
		bridge.WithCounters(
			counters.Definition{Name: "requests_time", Kind: counters.AverageTime, Events: []string{"http.server.request.duration"}},
			counters.Definition{Name: "requests_frequency", Kind: counters.Frequency, Events: []string{"http.server.request.duration"}},
		),
		bridge.WithReporter("log", slogreport.New(stdoutLogger())),
		bridge.WithTick(time.Second),
		bridge.WithReaderOptions(reader.WithManualTicks(), reader.WithClock(func() time.Time { return now })),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	// What the instrumentation does, unchanged.
	h, _ := mp.Meter("otelhttp").Float64Histogram("http.server.request.duration", metric.WithUnit("s"))
	for i := 0; i < 10; i++ {
		h.Record(ctx, 0.020)
		h.Record(ctx, 0.030)
		now = now.Add(time.Second)
		_ = mp.Reader().Tick(ctx)
	}

	// Shutdown sends a final report, then stops.
	if err := mp.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// level=INFO msg="requests_frequency 2.0"
	// level=INFO msg="requests_time 0.025"
}

// The drop-in for a program that builds its own MeterProvider: one more
// line. Default counters give every selected instrument that has no counter
// the usual ones, named <instrument>.<suffix>.
func ExampleBridge_MeterProviderOptions() {
	ctx := context.Background()
	b, err := bridge.New(
		bridge.WithDefaults(config.Defaults{Enabled: true, Include: []string{"db.*"}}),
		bridge.WithReaderOptions(reader.WithManualTicks()),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	yours := []sdkmetric.Option{ /* resource, other readers, views … */ }
	mp := sdkmetric.NewMeterProvider(append(yours, b.MeterProviderOptions()...)...)
	defer mp.Shutdown(ctx)

	m := mp.Meter("db")
	q, _ := m.Float64Histogram("db.query.duration", metric.WithUnit("s"))
	_, _ = m.Int64Counter("db.errors")
	_, _ = m.Int64Counter("cache.hits") // not selected
	q.Record(ctx, 0.004)

	for _, d := range b.Reader().Counters() {
		fmt.Println(d.Name, d.Kind)
	}
	// Output:
	// db.errors.frequency frequency
	// db.errors.total total
	// db.query.duration.average average_time
	// db.query.duration.frequency frequency
	// db.query.duration.max max
	// db.query.duration.min min
}

// Counters and reporters from a configuration, here parsed from text; a
// program would name a file with WithConfigFile or the environment with
// WithEnv.
func ExampleWithConfig() {
	ctx := context.Background()
	cfg, err := config.Parse([]byte(`
counters:
  - {name: requests_data_len_avg, kind: AverageWindowCounter, events: [requests_data_len], window_size: 900}
  - {name: requests_data_len_max, kind: MaxWindowCounter, events: [requests_data_len], window_size: 900}
report_interval: off
`), "counters.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	printJSON := report.ReporterFunc(func(_ context.Context, r report.Report) error {
		r.Time = time.Unix(1307115164, 880000000)
		fmt.Println(string(r.AppendJSON(nil)))
		return nil
	})
	mp, err := bridge.NewMeterProvider(bridge.WithConfig(cfg), bridge.WithReporter("print", printJSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := mp.Meter("server").Int64Histogram("requests_data_len", metric.WithUnit("By"))
	for _, n := range []int64{12, 40, 8} {
		h.Record(ctx, n)
	}
	_ = mp.Shutdown(ctx)
	// Output:
	// {"requests_data_len_avg": 20, "requests_data_len_max": 40, "__collection_time__": 1307115164.88}
}
