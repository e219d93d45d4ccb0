package httpjson_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

func serve(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func fixed(r report.Report) *httpjson.Handler {
	return httpjson.New(func(context.Context) (report.Report, error) { return r, nil })
}

func TestContentNegotiation(t *testing.T) {
	h := fixed(hard())
	const chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
	const firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		accept string
		html   bool
	}{
		{"", false},                                  // Go's client, statvent's scripts
		{"*/*", false},                               // curl, fetch
		{"application/json", false},                  // a client that says what it wants
		{"text/plain", false},                        // wants neither: JSON, as before
		{chromium, true},                             // browsers
		{firefox, true},                              //
		{"text/html", true},                          //
		{"TEXT/HTML; charset=utf-8", true},           // media types are case-insensitive
		{"application/xhtml+xml", true},              //
		{"text/html, application/json", false},       // as much JSON as HTML: JSON
		{"application/json, text/html;q=0.9", false}, // JSON preferred
		{"text/html;q=0.5, */*", false},              // anything rather than HTML
		{"text/html;q=0, */*", false},                // q=0: not HTML
		{"text/html;q=abc", false},                   // a range that does not parse counts for nothing
		{"text/html;;;, bad/", false},                // nor does garbage
		{"text/*", false},                            // a wildcard never asks for the page
		{"text/html;q=0.9, application/json;q=0.8, */*;q=0.1", true},
	}
	for _, tt := range tests {
		rec := serve(h, http.MethodGet, "/counters", "Accept", tt.accept)
		ctype := rec.Header().Get("Content-Type")
		if got := strings.HasPrefix(ctype, "text/html"); got != tt.html || rec.Code != http.StatusOK {
			t.Errorf("Accept %q: %d %s, want HTML %v", tt.accept, rec.Code, ctype, tt.html)
		}
		if v := rec.Header().Get("Vary"); v != "Accept" {
			t.Errorf("Accept %q: Vary %q, want Accept", tt.accept, v)
		}
		if !tt.html && rec.Body.String() != string(hard().AppendJSON(nil))+"\n" {
			t.Errorf("Accept %q: body is not the JSON report: %.80s", tt.accept, rec.Body)
		}
	}
	// The query chooses, whatever Accept says.
	if rec := serve(h, http.MethodGet, "/counters?format=json", "Accept", chromium); rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("format=json: %s", rec.Header().Get("Content-Type"))
	}
	if rec := serve(h, http.MethodGet, "/counters?format=html", "Accept", "*/*"); !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("format=html: %s", rec.Header().Get("Content-Type"))
	}
	for _, target := range []string{"/counters?format=xml", "/counters?asset=../httpjson.go", "/counters?asset=index.html", "/counters?asset=page"} {
		if rec := serve(h, http.MethodGet, target); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, rec.Code)
		}
	}
	if rec := serve(h, http.MethodPost, "/counters?format=html"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST of the page: %d", rec.Code)
	}
}

// TestPageSafe checks what keeps the page safe and offline: a
// Content-Security-Policy that allows no inline script or style and no other
// origin, and files that need neither.
func TestPageSafe(t *testing.T) {
	h := fixed(hard())
	parts := map[string]string{
		"/c?format=html":    "text/html; charset=utf-8",
		"/c?asset=page.js":  "text/javascript; charset=utf-8",
		"/c?asset=page.css": "text/css; charset=utf-8",
		"/c?asset=icon.svg": "image/svg+xml",
	}
	for target, ctype := range parts {
		rec := serve(h, http.MethodGet, target)
		hdr := rec.Header()
		if rec.Code != http.StatusOK || hdr.Get("Content-Type") != ctype {
			t.Errorf("%s: %d %q, want 200 %q", target, rec.Code, hdr.Get("Content-Type"), ctype)
		}
		csp := hdr.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", target, csp, want)
			}
		}
		for _, bad := range []string{"unsafe", "http:", "https:", "data:", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("%s: Content-Security-Policy %q allows %q", target, csp, bad)
			}
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("ETag") == "" {
			t.Errorf("%s: nosniff %q, ETag %q", target, hdr.Get("X-Content-Type-Options"), hdr.Get("ETag"))
		}
		body := rec.Body.String()
		if regexp.MustCompile(`(?i)(https?:)?//[a-z0-9]`).MatchString(strings.ReplaceAll(body, "http://www.w3.org/2000/svg", "")) {
			t.Errorf("%s names another origin: the page must work with no network", target)
		}
		// A second request with the ETag: 304, nothing sent again.
		again := serve(h, http.MethodGet, target, "If-None-Match", hdr.Get("ETag"))
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("%s with its ETag: %d, %d bytes", target, again.Code, again.Body.Len())
		}
		if head := serve(h, http.MethodHead, target); head.Code != http.StatusOK || head.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d, %d bytes", target, head.Code, head.Body.Len())
		}
	}

	html := serve(h, http.MethodGet, "/c?format=html").Body.String()
	for _, m := range regexp.MustCompile(`(?is)<script\b[^>]*>(.*?)</script>`).FindAllStringSubmatch(html, -1) {
		if strings.TrimSpace(m[1]) != "" || !strings.Contains(m[0], `src="?asset=page.js"`) {
			t.Errorf("inline script in the page: %s", m[0])
		}
	}
	for _, re := range []string{`(?i)<style`, `(?i)\sstyle=`, `(?i)\son[a-z]+=`, `(?i)javascript:`} {
		if regexp.MustCompile(re).MatchString(html) {
			t.Errorf("the page has inline code or style (%s)", re)
		}
	}
	// The script writes untrusted text as text: no HTML parsing anywhere.
	js := serve(h, http.MethodGet, "/c?asset=page.js").Body.String()
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout('", "srcdoc"} {
		if strings.Contains(js, sink) {
			t.Errorf("page.js uses %s", sink)
		}
	}
}

// history is the page's JSON, as the page reads it.
type history struct {
	Version  int     `json:"version"`
	Refresh  float64 `json:"refresh"`
	Keep     int     `json:"keep"`
	Times    []float64
	Counters []struct {
		Name, Kind, Unit string
		Window           float64
		Series           []struct {
			ID    string
			Attrs [][2]string
			Lines []struct {
				Key, Name string
				Quantile  float64
				Values    []*float64
			}
		}
	}
}

func getHistory(t *testing.T, h http.Handler, target string) (history, string) {
	t.Helper()
	rec := serve(h, http.MethodGet, target)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %d %s: %s", target, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var out history
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: %v\n%s", target, err, rec.Body)
	}
	return out, rec.Body.String()
}

func TestHistoryFormat(t *testing.T) {
	hostile := `</script><script>alert(1)</script>`
	attrs := attribute.NewSet(attribute.String("path", hostile), attribute.String("method", "GET"))
	base := time.Date(2026, 12, 4, 21, 0, 7, 250_000_000, time.UTC)
	mk := func(i int) report.Report {
		v := func(key, counter string, kind counters.Kind, q float64, x float64, ok bool) report.Value {
			return report.Value{Key: key, Counter: counter, Kind: kind, Window: 5 * time.Minute, Attrs: attrs, Quantile: q, Value: counters.Value{V: x, OK: ok}}
		}
		suffix := report.Key("", attrs)
		return report.Report{Time: base.Add(time.Duration(i) * 1370 * time.Millisecond), Values: []report.Value{
			v("lat.mean"+suffix, "lat", counters.Percentiles, 0, 0.02, true),
			v("lat.p50"+suffix, "lat", counters.Percentiles, 0.5, 0.01, true),
			v("lat.p99"+suffix, "lat", counters.Percentiles, 0.99, 0.09, i != 1),
			v("requests_time"+suffix, "requests_time", counters.AverageTime, 0, float64(i), i != 1),
			// A merged report's value: no attribute set, only the key.
			{Key: `size_max{path="a\"b\\c\nd"}`, Counter: "size_max", Kind: counters.Max, Value: counters.Value{V: 3, OK: true}},
		}}
	}
	h := fixed(mk(0))
	for i := range 3 {
		if err := h.Report(t.Context(), mk(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, raw := getHistory(t, h, "/c?format=history")
	if strings.Contains(raw, "<") || !strings.Contains(raw, `\u003c/script\u003e`) {
		t.Errorf("the JSON holds a raw <: %s", raw)
	}
	if got.Version != 1 || got.Refresh != 5 || got.Keep != httpjson.DefaultHistory || len(got.Times) != 3 {
		t.Fatalf("version %d, refresh %v, keep %d, %d times", got.Version, got.Refresh, got.Keep, len(got.Times))
	}
	for i, tm := range got.Times {
		if want := report.UnixSeconds(mk(i).Time); tm != want {
			t.Errorf("time %d = %v, want %v", i, tm, want)
		}
	}
	if len(got.Counters) != 3 {
		t.Fatalf("%d counters, want lat, requests_time, size_max: %+v", len(got.Counters), got.Counters)
	}
	lat, rt, size := got.Counters[0], got.Counters[1], got.Counters[2]
	if lat.Name != "lat" || lat.Kind != "percentiles" || lat.Window != 300 || lat.Unit != "" || len(lat.Series) != 1 {
		t.Errorf("lat: %+v", lat)
	}
	s := lat.Series[0]
	if s.ID != "lat"+report.Key("", attrs) || len(s.Attrs) != 2 || s.Attrs[0] != [2]string{"method", "GET"} || s.Attrs[1] != [2]string{"path", hostile} {
		t.Errorf("lat series: %q %q", s.ID, s.Attrs)
	}
	var names []string
	for _, l := range s.Lines {
		names = append(names, l.Name)
	}
	if strings.Join(names, " ") != "p50 p99 mean" {
		t.Errorf("lat lines %q, want p50 p99 mean", names)
	}
	if p99 := s.Lines[1].Values; len(p99) != 3 || p99[0] == nil || p99[1] != nil || *p99[0] != 0.09 || s.Lines[1].Quantile != 0.99 {
		t.Errorf("p99 %v: want 0.09, null (empty), 0.09", p99)
	}
	if rt.Name != "requests_time" || rt.Kind != "average_time" || rt.Unit != "s" || rt.Series[0].Lines[0].Name != "value" {
		t.Errorf("requests_time: %+v", rt)
	}
	if size.Name != "size_max" || len(size.Series) != 1 || size.Series[0].Attrs[0] != [2]string{"path", "a\"b\\c\nd"} {
		t.Errorf("size_max from its key alone: %+v", size)
	}

	// since: only what is newer.
	got, _ = getHistory(t, h, "/c?format=history&since="+strconvF(report.UnixSeconds(mk(1).Time)))
	if len(got.Times) != 1 || got.Times[0] != report.UnixSeconds(mk(2).Time) || len(got.Counters) != 3 {
		t.Errorf("since the second report: %v, %d counters", got.Times, len(got.Counters))
	}
	got, _ = getHistory(t, h, "/c?format=history&since="+strconvF(report.UnixSeconds(mk(2).Time)))
	if len(got.Times) != 0 || len(got.Counters) != 0 {
		t.Errorf("since the last report: %v, %d counters", got.Times, len(got.Counters))
	}
	for _, bad := range []string{"x", "NaN", ""} {
		if bad == "" {
			continue
		}
		if rec := serve(h, http.MethodGet, "/c?format=history&since="+bad); rec.Code != http.StatusBadRequest {
			t.Errorf("since=%s: %d", bad, rec.Code)
		}
	}
}

func strconvF(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// TestHistoryFromRequests checks the history of a handler that no reader
// reports to: what the page was answered with, each report once, until the
// first Report call, after which Report alone feeds it.
func TestHistoryFromRequests(t *testing.T) {
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	r := reader.New(reader.WithManualTicks(), reader.WithTick(100*time.Millisecond), reader.WithClock(func() time.Time { return now }),
		reader.WithCounters(counters.Definition{Name: "hits", Kind: counters.Event}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	h := httpjson.ForReader(r, httpjson.WithHistory(2))
	tick := func() {
		now = now.Add(1300 * time.Millisecond)
		if err := r.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := getHistory(t, h, "/c?format=history")
	if len(got.Times) != 1 || got.Refresh != 0.5 || got.Keep != httpjson.DefaultHistory {
		t.Errorf("first request: %d times, refresh %v (the tick, at least 0.5 s), keep %d", len(got.Times), got.Refresh, got.Keep)
	}
	getHistory(t, h, "/c?format=history") // the same snapshot: not kept twice
	tick()
	getHistory(t, h, "/c?format=history")
	tick()
	got, _ = getHistory(t, h, "/c?format=history")
	if len(got.Times) != 2 || got.Times[1] != report.UnixSeconds(now) {
		t.Errorf("after two ticks: %v, want the last two snapshots (WithHistory(2))", got.Times)
	}

	// A report through Report: from now on the history holds reports only.
	if err := h.Report(t.Context(), report.Report{Time: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	tick()
	tick()
	got, _ = getHistory(t, h, "/c?format=history")
	if len(got.Times) != 2 || got.Times[1] != report.UnixSeconds(now.Add(-1600*time.Millisecond)) {
		t.Errorf("after a Report: %v, want the last snapshot and the report", got.Times)
	}
	// A report that is not newer is left out.
	_ = h.Report(t.Context(), report.Report{Time: now.Add(-time.Hour)})
	if again, _ := getHistory(t, h, "/c?format=history"); len(again.Times) != 2 || again.Times[1] != got.Times[1] {
		t.Errorf("an older report changed the history: %v", again.Times)
	}
}
