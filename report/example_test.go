package report_test

import (
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

func ExampleReport_AppendJSON() {
	get := attribute.NewSet(attribute.String("method", "GET"))
	r := report.Report{
		Time: time.Unix(1307115164, 0),
		Values: []report.Value{
			{Key: "requests_time", Value: counters.Value{V: 0.25, OK: true, Count: 4}},
			{Key: report.Key("requests_time", get), Attrs: get, Value: counters.Value{V: 0.5, OK: true, Count: 2}},
			{Key: "slowest", Value: counters.Value{}},
		},
	}
	fmt.Println(string(r.AppendJSON(nil)))
	// Output:
	// {"requests_time": 0.25, "requests_time{method=\"GET\"}": 0.5, "slowest": null, "__collection_time__": 1307115164}
}
