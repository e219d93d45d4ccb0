package httpjson_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

func num(f float64) counters.Value { return counters.Value{V: f, OK: true} }

// hard is a report with keys hard to quote and numbers hard to print.
func hard() report.Report {
	return report.Report{Time: time.Unix(1307115164, 880000000), Values: []report.Value{
		{Key: "empty"},
		{Key: "huge", Value: num(math.MaxFloat64)},
		{Key: "requests_time", Value: num(0.5893422365193)},
		{Key: `requests_time{city="Zürich",note="two words\nand a newline",path="/a \"q\" \\ p"}`, Value: num(7.5e-7)},
		{Key: "subnormal", Value: num(5e-324)},
		{Key: "third", Value: num(1.0 / 3)},
		{Key: "tiny_negative", Value: num(-0.000123456789)},
	}}
}

func get(t *testing.T, url, method string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// matches checks that body parses as JSON and holds exactly r.
func matches(t *testing.T, body []byte, r report.Report) {
	t.Helper()
	var any map[string]any
	if err := json.Unmarshal(body, &any); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	s, err := jsonfile.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Time.Equal(r.Time) {
		t.Errorf("time %v, want %v", s.Time, r.Time)
	}
	if len(s.Values) != len(r.Values) {
		t.Errorf("%d values, want %d", len(s.Values), len(r.Values))
	}
	for _, v := range r.Values {
		got, ok := s.Values[v.Key]
		switch {
		case !ok:
			t.Errorf("%q missing", v.Key)
		case !v.OK && got != nil:
			t.Errorf("%q = %v, want null", v.Key, *got)
		case v.OK && (got == nil || *got != v.V):
			t.Errorf("%q = %v, want %v", v.Key, got, v.V)
		}
	}
}

func TestServe(t *testing.T) {
	h := httpjson.New(func(ctx context.Context) (report.Report, error) { return hard(), nil })
	srv := httptest.NewServer(h) // 127.0.0.1
	defer srv.Close()

	resp, body := get(t, srv.URL, http.MethodGet)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %s", resp.Status, body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if want := string(hard().AppendJSON(nil)) + "\n"; string(body) != want {
		t.Errorf("body\n%s\nwant the JSON file's\n%s", body, want)
	}
	matches(t, body, hard())

	resp, body = get(t, srv.URL, http.MethodHead)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.ContentLength != int64(len(hard().AppendJSON(nil))+1) {
		t.Errorf("HEAD: %s, %d bytes, length %d", resp.Status, len(body), resp.ContentLength)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		resp, _ := get(t, srv.URL, m)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %s, Allow %q", m, resp.Status, resp.Header.Get("Allow"))
		}
	}
}

func TestRequestContext(t *testing.T) {
	type key struct{}
	var got any
	h := httpjson.New(func(ctx context.Context) (report.Report, error) {
		got = ctx.Value(key{})
		return hard(), nil
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	h.ServeHTTP(httptest.NewRecorder(), req.WithContext(context.WithValue(req.Context(), key{}, "mine")))
	if got != "mine" {
		t.Errorf("the report function got a context holding %v, not the request's", got)
	}
}

func TestSourceError(t *testing.T) {
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	defer otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))

	secret := errors.New("open /secret/path: permission denied")
	h := httpjson.New(func(context.Context) (report.Report, error) { return report.Report{}, secret })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/counters", nil))
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("status %d, body %q", rec.Code, rec.Body.String())
	}
	if len(handled) != 1 || !errors.Is(handled[0], secret) || !strings.Contains(handled[0].Error(), "/counters") {
		t.Errorf("handled %v, want the error, naming the path", handled)
	}
}

func TestForReader(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(clock),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "size", Kind: counters.Max}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	hist, err := mp.Meter("test").Float64Histogram("size")
	if err != nil {
		t.Fatal(err)
	}
	hist.Record(t.Context(), 7.5, metric.WithAttributes(attribute.String("method", "GET")))
	hist.Record(t.Context(), 2)
	now = now.Add(time.Second)
	if err := r.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpjson.ForReader(r))
	defer srv.Close()
	// Reading does not consume the interval: every request sees the same.
	for range 3 {
		_, body := get(t, srv.URL, http.MethodGet)
		want := r.Snapshot()
		if len(want.Values) != 2 {
			t.Fatalf("snapshot %+v, want two series", want)
		}
		matches(t, body, want)
	}
}

func TestNilSourcePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"New":       func() { httpjson.New(nil) },
		"ForReader": func() { httpjson.ForReader(nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(nil) did not panic", name)
				}
			}()
			f()
		}()
	}
}
