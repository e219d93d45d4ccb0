package bridge_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/scoped"
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

// slowRequests records every request with sp and logs the breakdown of
// those that took at least threshold. now is the recordings' clock
// (time.Now in a program).
func slowRequests(sp *scoped.MeterProvider, next http.Handler, logger *slog.Logger, threshold time.Duration, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, rec := sp.Start(r.Context(), scoped.WithName(r.Method+" "+r.URL.Path), scoped.WithClock(now))
		defer rec.Stop() // a no-op after the Stop below; stops it if next panics
		next.ServeHTTP(w, r.WithContext(ctx))
		res := rec.Stop()
		if res.Duration < threshold {
			return
		}
		flat := res.Flat()
		stats := make([]slog.Attr, 0, len(flat))
		for _, k := range slices.Sorted(maps.Keys(flat)) {
			stats = append(stats, slog.Float64(k, flat[k]))
		}
		logger.LogAttrs(ctx, slog.LevelWarn, "slow request",
			slog.String("request", res.Name), slog.Any("stats", slog.GroupValue(stats...)))
	})
}

// Window counters and per-request breakdowns from one drop-in: with
// WithScoped, the provider's Meters also record into the recordings that a
// net/http middleware starts from mp.Scoped(), and the middleware logs the
// breakdown of the slow requests. The window counters count every request,
// recorded or not, as without WithScoped. A program would also call
// otel.SetMeterProvider(mp), so that third-party instrumentation is
// recorded too; a fake clock and manual ticks make the example
// deterministic.
func ExampleWithScoped() {
	ctx := context.Background()
	now := time.Unix(1307115164, 0)
	clock := func() time.Time { return now }
	work := func(d time.Duration) { now = now.Add(d) } // stands for real work

	logger := stdoutLogger()
	mp, err := bridge.NewMeterProvider(
		bridge.WithScoped(),
		bridge.WithCounters(
			counters.Definition{Name: "db_calls", Kind: counters.Total, Events: []string{"db.calls"}},
			counters.Definition{Name: "stage_max", Kind: counters.Max, Events: []string{"stage.duration"}, By: []string{"stage"}},
		),
		bridge.WithReporter("log", slogreport.New(logger)),
		bridge.WithReaderOptions(reader.WithManualTicks(), reader.WithClock(clock)),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	meter := mp.Meter("shop")
	dbCalls, _ := meter.Int64Counter("db.calls")
	cacheMisses, _ := meter.Int64Counter("cache.misses")
	stageTime, _ := meter.Float64Histogram("stage.duration", metric.WithUnit("s"))
	stage := func(ctx context.Context, name string, f func()) {
		start := clock()
		f()
		stageTime.Record(ctx, clock().Sub(start).Seconds(), metric.WithAttributes(attribute.String("stage", name)))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		stage(ctx, "cache", func() {
			work(2 * time.Millisecond)
			cacheMisses.Add(ctx, 1)
		})
		stage(ctx, "db", func() {
			var wg sync.WaitGroup // two queries in parallel, with the request's context
			for range 2 {
				wg.Go(func() { dbCalls.Add(ctx, 1) })
			}
			wg.Wait()
			if r.PathValue("id") == "42" {
				work(250 * time.Millisecond) // a slow query
			} else {
				work(5 * time.Millisecond)
			}
		})
		stage(ctx, "render", func() { work(8 * time.Millisecond) })
		fmt.Fprintln(w, "user", r.PathValue("id"))
	})

	h := slowRequests(mp.Scoped(), mux, logger, 100*time.Millisecond, clock)
	for _, path := range []string{"/users/7", "/users/42"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	// Shutdown sends a final report of the window counters, then stops.
	if err := mp.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// level=WARN msg="slow request" request="GET /users/42" stats.cache.misses=1 stats.db.calls=2 "stats.stage.duration.count{stage=\"cache\"}"=1 "stats.stage.duration.count{stage=\"db\"}"=1 "stats.stage.duration.count{stage=\"render\"}"=1 "stats.stage.duration.total_dur{stage=\"cache\"}"=0.002 "stats.stage.duration.total_dur{stage=\"db\"}"=0.25 "stats.stage.duration.total_dur{stage=\"render\"}"=0.008 stats.total_recording_duration=0.26
	// level=INFO msg="db_calls 4.0"
	// level=INFO msg="stage_max{stage=\"cache\"} 0.002"
	// level=INFO msg="stage_max{stage=\"db\"} 0.25"
	// level=INFO msg="stage_max{stage=\"render\"} 0.008"
}
