package httpjson

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// benchReport is a report of 10 counters × 100 series, attributes as
// otelhttp sets them, made at t.
func benchReport(t time.Time) report.Report {
	r := report.Report{Time: t}
	for c := range 10 {
		name := "counter_" + strconv.Itoa(c)
		for s := range 100 {
			attrs := attribute.NewSet(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/items/"+strconv.Itoa(s)),
				attribute.Int("http.response.status_code", 200), attribute.String("server.address", "127.0.0.1"))
			r.Values = append(r.Values, report.Value{Key: report.Key(name, attrs), Counter: name, Kind: counters.Average, Window: 5 * time.Minute,
				Attrs: attrs, Value: counters.Value{V: float64(s) / 7, OK: s%10 != 0}})
		}
	}
	return r
}

// BenchmarkRecord is the cost a report adds when the handler is registered
// with the reader: keeping it in the history.
func BenchmarkRecord(b *testing.B) {
	base := time.Unix(1_800_000_000, 0)
	r := benchReport(base)
	h := newHistory(DefaultHistory)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Time = base.Add(time.Duration(i) * time.Second)
		h.record(r, false)
	}
}

// BenchmarkServe compares the answers: the flat JSON of one report, the
// page's history of 180 reports (a page that opens) and of one (a page
// that asks for the next).
func BenchmarkServe(b *testing.B) {
	base := time.Unix(1_800_000_000, 0)
	now := benchReport(base.Add(DefaultHistory * time.Second))
	h := New(func(context.Context) (report.Report, error) { return now, nil })
	for i := range DefaultHistory {
		_ = h.Report(context.Background(), benchReport(base.Add(time.Duration(i)*time.Second)))
	}
	since := strconv.FormatFloat(report.UnixSeconds(base.Add((DefaultHistory-2)*time.Second)), 'f', -1, 64)
	for _, bc := range []struct{ name, target string }{
		{"json", "/?format=json"},
		{"history=180", "/?format=history"},
		{"history=1", "/?format=history&since=" + since},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.target, nil))
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
				n = rec.Body.Len()
			}
			b.ReportMetric(float64(n), "bytes/answer")
		})
	}
}
