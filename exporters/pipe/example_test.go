package pipe_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/pipe"
	"github.com/otelcounters/otelcounters/report"
)

func Example() {
	dir, err := os.MkdirTemp("", "stats-pipe")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	p, err := pipe.New(dir)
	if err != nil {
		panic(err)
	}
	defer p.Shutdown(context.Background())
	// Usually registered with the reader: bridge.WithReporter("pipe", p).
	err = p.Report(context.Background(), report.Report{Time: time.Now(), Values: []report.Value{
		{Key: "requests_frequency", Value: counters.Value{V: 4.1, OK: true}},
		{Key: `requests_time{method="GET"}`, Value: counters.Value{V: 0.0092, OK: true}},
		{Key: "slowest"},
	}})
	if err != nil {
		panic(err)
	}

	// What cat shows.
	f, err := os.Open(p.Path())
	if err != nil {
		panic(err)
	}
	defer f.Close()
	lines, err := io.ReadAll(f)
	if err != nil {
		panic(err)
	}
	fmt.Print(string(lines))
	// Output:
	// requests_frequency: 4.1
	// requests_time{method="GET"}: 0.0092
	// slowest: None
}
