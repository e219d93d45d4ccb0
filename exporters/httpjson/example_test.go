package httpjson_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/report"
)

func ExampleNew() {
	h := httpjson.New(func(context.Context) (report.Report, error) {
		return report.Report{Time: time.Unix(1307115164, 880000000), Values: []report.Value{
			{Key: "requests_frequency", Value: counters.Value{V: 0.25, OK: true}},
			{Key: `requests_time{method="GET"}`, Value: counters.Value{V: 0.5, OK: true}},
			{Key: "slowest"},
		}}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("GET /debug/counters", h)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/counters", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 200 application/json
	// {"requests_frequency": 0.25, "requests_time{method=\"GET\"}": 0.5, "slowest": null, "__collection_time__": 1307115164.88}
}
