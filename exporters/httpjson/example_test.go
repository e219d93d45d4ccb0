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

// A browser gets the live page, everyone else the JSON; the page's parts
// and data are on the same path.
func ExampleHandler_page() {
	h := httpjson.New(func(context.Context) (report.Report, error) {
		return report.Report{Time: time.Unix(1307115164, 880000000), Values: []report.Value{
			{Key: "requests_time", Counter: "requests_time", Kind: counters.AverageTime, Window: 5 * time.Minute, Value: counters.Value{V: 0.012, OK: true}},
		}}, nil
	})
	for _, accept := range []string{"*/*", "application/json", "text/html,application/xhtml+xml,*/*;q=0.8"} {
		req := httptest.NewRequest(http.MethodGet, "/debug/counters", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Printf("%-44s %s\n", accept, rec.Header().Get("Content-Type"))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/counters?format=history", nil))
	fmt.Print(rec.Body.String())
	// Output:
	// */*                                          application/json
	// application/json                             application/json
	// text/html,application/xhtml+xml,*/*;q=0.8    text/html; charset=utf-8
	// {"version":1,"refresh":5,"keep":180,"times":[1307115164.88],"counters":[{"name":"requests_time","kind":"average_time","window":300,"unit":"s","series":[{"id":"requests_time","attrs":[],"lines":[{"key":"requests_time","name":"value","quantile":0,"values":[0.012]}]}]}]}
}
