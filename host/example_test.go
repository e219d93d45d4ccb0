package host_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/report"
)

func Example() {
	dir, err := os.MkdirTemp("", "counters")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// Each process reports to its own file; here one process plays two.
	for _, p := range []struct {
		name            string
		time, rate, max float64
		requests        uint64
	}{
		{"web", 0.25, 3, 1.5, 300},
		{"worker", 0.5, 1, 0.75, 100},
	} {
		rep, err := host.NewReporter(dir, p.name)
		if err != nil {
			panic(err)
		}
		err = rep.Report(context.Background(), report.Report{Time: time.Now(), Values: []report.Value{
			{Key: "requests_frequency", Kind: counters.Frequency, Value: counters.Value{V: p.rate, OK: true}},
			{Key: "requests_time", Kind: counters.AverageTime, Value: counters.Value{V: p.time, OK: true, Count: p.requests}},
			{Key: "slowest", Kind: counters.Max, Value: counters.Value{V: p.max, OK: true}},
		}})
		if err != nil {
			panic(err)
		}
	}

	res, err := host.Merge(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Included(), "processes")
	for _, v := range res.Report.Values {
		fmt.Println(v.Key, v.V)
	}
	// Output:
	// 2 processes
	// requests_frequency 4
	// requests_time 0.3125
	// slowest 1.5
}
