package reader_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/reader"
)

// The README's example: window counters on an instrument that existing
// instrumentation (here, otelhttp's request duration) already records, and
// PyCounters' log lines at shutdown. A fake clock and manual ticks make the
// output exact; a real program leaves both out.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	r := reader.New(
		reader.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "requests_time", Kind: counters.AverageTime, Events: []string{"http.server.request.duration"}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "requests_frequency", Kind: counters.Frequency, Events: []string{"http.server.request.duration"}},
		),
		reader.WithManualTicks(), reader.WithClock(func() time.Time { return now }),
	)
	// Drop the time attribute so that the output is the same every run.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	if err := r.RegisterReporter("log", slogreport.New(logger)); err != nil {
		panic(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	h, _ := mp.Meter("app").Float64Histogram("http.server.request.duration", metric.WithUnit("s"))

	h.Record(ctx, 0.012)
	h.Record(ctx, 0.018)
	now = now.Add(time.Minute)
	_ = mp.Shutdown(ctx) // the final report
	// Output:
	// level=INFO msg="requests_frequency 0.0333333333333"
	// level=INFO msg="requests_time 0.015"
}
