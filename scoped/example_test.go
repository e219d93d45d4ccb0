package scoped_test

import (
	"context"
	"errors"
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

	"github.com/otelcounters/otelcounters/scoped"
)

// slowRequests records every request with mp and logs the breakdown of
// those that took at least threshold. now is the recordings' clock.
func slowRequests(mp *scoped.MeterProvider, next http.Handler, logger *slog.Logger, threshold time.Duration, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, rec := mp.Start(r.Context(), scoped.WithName(r.Method+" "+r.URL.Path), scoped.WithClock(now))
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

// A middleware starts a recording per request and logs, with slog, what the
// slow requests did: database calls, cache misses and time per stage. The
// handler's instruments come from the wrapper that starts the recordings,
// as third-party instrumentation's would through otel.SetMeterProvider.
func Example_slowRequests() {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	work := func(d time.Duration) { now = now.Add(d) } // stands for real work

	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	mp := scoped.Wrap(sdk)
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
			work(250 * time.Millisecond)
		})
		stage(ctx, "render", func() { work(8 * time.Millisecond) })
		fmt.Fprintln(w, "user", r.PathValue("id"))
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		work(time.Millisecond)
		fmt.Fprintln(w, "ok")
	})

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // deterministic output
			}
			return a
		},
	}))
	h := slowRequests(mp, mux, logger, 100*time.Millisecond, clock)
	for _, path := range []string{"/health", "/users/42"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	// Output:
	// level=WARN msg="slow request" request="GET /users/42" stats.cache.misses=1 stats.db.calls=2 "stats.stage.duration.count{stage=\"cache\"}"=1 "stats.stage.duration.count{stage=\"db\"}"=1 "stats.stage.duration.count{stage=\"render\"}"=1 "stats.stage.duration.total_dur{stage=\"cache\"}"=0.002 "stats.stage.duration.total_dur{stage=\"db\"}"=0.25 "stats.stage.duration.total_dur{stage=\"render\"}"=0.008 stats.total_recording_duration=0.26
}

// scopedstats' tag filter example: without a filter every attribute set has
// its own key; with one, the matching measurements are summed under the bare
// name.
func ExampleResult_Flat() {
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	mp := scoped.Wrap(sdk)
	calls, _ := mp.Meter("api").Int64Counter("api.calls")

	now := time.Unix(1_700_000_000, 0)
	ctx, rec := mp.Start(context.Background(), scoped.WithClock(func() time.Time { return now }))
	calls.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", "/users"), attribute.String("method", "GET")))
	calls.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", "/posts"), attribute.String("method", "POST")))
	now = now.Add(time.Millisecond)
	res := rec.Stop()

	fmt.Println(res.Flat())
	fmt.Println(res.Flat(attribute.String("method", "GET")))
	// Output:
	// map[api.calls{endpoint="/posts",method="POST"}:1 api.calls{endpoint="/users",method="GET"}:1 total_recording_duration:0.001]
	// map[api.calls:1 total_recording_duration:0.001]
}

// Require fails when a recording saw nothing: here the measurement was made
// with another context.
func ExampleResult_Require() {
	mp := scoped.Wrap(sdkmetric.NewMeterProvider())
	hits, _ := mp.Meter("app").Int64Counter("hits")
	ctx, rec := mp.Start(context.Background(), scoped.WithName("GET /users"))
	_ = ctx
	hits.Add(context.Background(), 1)
	err := rec.Stop().Require()
	fmt.Println(errors.Is(err, scoped.ErrNothingRecorded))
	fmt.Println(err)
	// Output:
	// true
	// scoped: recording "GET /users": nothing recorded: no measurement made with the recording's context went through the wrapped MeterProvider that started it
}
