package counters_test

import (
	"fmt"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// An AverageWindowCounter over one minute, fed every second by its owner
// with the sample of the interval that just ended, and read at report time.
func Example() {
	c, err := counters.New(counters.Definition{
		Name:   "request_time",
		Kind:   counters.Average, // PyCounters' AverageWindowCounter
		Window: time.Minute,
	}, time.Second, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println("slot", c.Slot(), "window", c.Window())

	s := c.NewSeries()
	// Two requests in the interval ending at 1 s, one ending at 2 s, one
	// ending at 30 s. Empty intervals are not added.
	s.Add(1*time.Second, counters.Sample{Count: 2, Sum: 0.5, Min: 0.125, Max: 0.375})
	s.Add(2*time.Second, counters.Sample{Count: 1, Sum: 1, Min: 1, Max: 1})
	s.Add(30*time.Second, counters.Sample{Count: 1, Sum: 0.25, Min: 0.25, Max: 0.25})

	for _, at := range []time.Duration{30 * time.Second, 61 * time.Second, 62 * time.Second, 90 * time.Second} {
		if v := s.Value(at); v.OK {
			fmt.Printf("at %v: mean %g, count %d\n", at, v.V, v.Count)
		} else {
			fmt.Printf("at %v: none\n", at)
		}
	}
	// Output:
	// slot 1s window 1m0s
	// at 30s: mean 0.4375, count 4
	// at 1m1s: mean 0.625, count 2
	// at 1m2s: mean 0.25, count 1
	// at 1m30s: none
}

// Merging the values of several processes gives what one process that saw
// every event would report.
func ExampleMerge() {
	a := counters.Value{V: 0.5, OK: true, Count: 2} // mean of 2 requests
	b := counters.Value{V: 2, OK: true, Count: 1}   // mean of 1 request
	none := counters.Value{}                        // an empty window

	fmt.Println(counters.Merge(counters.Average, a, b, none))
	fmt.Println(counters.Merge(counters.Max, counters.Value{V: -3, OK: true}, none, counters.Value{V: -7, OK: true}))
	fmt.Println(counters.Merge(counters.Frequency, counters.Value{V: 0.25, OK: true}, counters.Value{V: 1.5, OK: true}))
	fmt.Println(counters.Merge(counters.Average, none, none))
	fmt.Println(counters.Merge(counters.WindowSum, none))
	// Output:
	// {1 true 3}
	// {-3 true 0}
	// {1.75 true 0}
	// {0 false 0}
	// {0 true 0}
}
