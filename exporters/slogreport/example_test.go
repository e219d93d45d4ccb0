package slogreport_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/report"
)

func Example() {
	// Drop the time so that the output does not depend on the time zone.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	rep := slogreport.New(logger)
	err := rep.Report(context.Background(), report.Report{
		Time: time.Unix(1307115164, 880000000),
		Values: []report.Value{
			{Key: "posting", Value: counters.Value{V: 0.5893422365193, OK: true, Count: 12}},
			{Key: "requests_frequency", Value: counters.Value{V: 5, OK: true}},
			{Key: `requests_time{method="GET"}`, Value: counters.Value{V: 1e-05, OK: true, Count: 3}},
			{Key: "slowest", Value: counters.Value{}},
		},
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// level=INFO msg="posting 0.589342236519"
	// level=INFO msg="requests_frequency 5.0"
	// level=INFO msg="requests_time{method=\"GET\"} 1e-05"
	// level=INFO msg="slowest None"
}
