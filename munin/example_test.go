package munin_test

import (
	"fmt"
	"os"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/munin"
	"github.com/otelcounters/otelcounters/report"
)

func Example() {
	graphs, err := munin.ParseConfig([]byte(`
- id: requests
  global: {title: Requests, category: myapp, vlabel: seconds}
  data:
    - {counter: requests_time, label: all, draw: LINE2}
    - {counter: 'requests_time{method="GET"}', label: GET}
`))
	if err != nil {
		panic(err)
	}
	p, err := munin.New(graphs)
	if err != nil {
		panic(err)
	}
	if err := p.WriteConfig(os.Stdout); err != nil {
		panic(err)
	}
	missing, err := p.WriteValues(os.Stdout, report.Report{Time: time.Now(), Values: []report.Value{
		{Key: "requests_time", Value: counters.Value{V: 0.5893422365193, OK: true}},
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println("missing:", missing)
	// Output:
	// multigraph requests
	// graph_title Requests
	// graph_category myapp
	// graph_vlabel seconds
	// requests_time.label all
	// requests_time.draw LINE2
	// requests_time_method_GET.label GET
	//
	// multigraph requests
	// requests_time.value 0.589342236519
	// requests_time_method_GET.value U
	// missing: [requests_time{method="GET"}]
}

func ExampleFieldName() {
	for _, key := range []string{"requests_time", "requests.time", `requests_time{method="GET"}`, "5xx_errors", "size.p99_9"} {
		fmt.Println(munin.FieldName(key))
	}
	// Output:
	// requests_time
	// requests_time
	// requests_time_method_GET
	// _5xx_errors
	// size_p99_9
}
