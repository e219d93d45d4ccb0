package browser_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// hostile is a client name that an application copies from a request
// header into an attribute: untrusted text that must reach the page as text.
const hostile = `<script>window.pwned=1;document.title="pwned"</script><img src=x onerror="window.pwned=2">`

// app is a real instrumented HTTP server: otelhttp records every request's
// duration and body sizes through the OpenTelemetry API, with the client's
// name (a request header) as an extra attribute, into a window reader that
// ticks when the test says, on a clock the test moves.
type app struct {
	now   time.Time
	r     *reader.Reader
	srv   *httptest.Server
	slow  metric.Float64Histogram
	round int
}

func newApp(t *testing.T) *app {
	t.Helper()
	// Report times that are not round numbers.
	a := &app{now: time.Date(2026, 12, 4, 21, 7, 3, 417_000_000, time.UTC)}
	// Every attribute set is a series (by: all), so that the page has many,
	// and the hostile client name among their attributes.
	all := []string{counters.AllAttributes}
	a.r = reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(func() time.Time { return a.now }),
		reader.WithCounters(
			counters.Definition{Name: "requests_time", Kind: counters.AverageTime, Events: []string{"http.server.request.duration"}, Window: time.Minute, By: all},
			counters.Definition{Name: "requests_frequency", Kind: counters.Frequency, Events: []string{"http.server.request.duration"}, Window: time.Minute, By: all},
			counters.Definition{Name: "request_latency", Kind: counters.Percentiles, Events: []string{"http.server.request.duration"}, Window: time.Minute, By: all},
			counters.Definition{Name: "response_size_max", Kind: counters.Max, Events: []string{"http.server.response.body.size"}, Window: time.Minute, By: all},
			// A window of one tick: empty in a round without slow work.
			counters.Definition{Name: "slow_work", Kind: counters.Max, Events: []string{"app.slow_work"}, Window: time.Second},
		))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(a.r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	var err error
	a.slow, err = mp.Meter("app").Float64Histogram("app.slow_work", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("GET /search", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("result\n", len(r.URL.Query().Get("q")))))
	})
	a.srv = httptest.NewServer(otelhttp.NewHandler(mux, "app", otelhttp.WithMeterProvider(mp),
		otelhttp.WithMetricAttributesFn(func(r *http.Request) []attribute.KeyValue {
			return []attribute.KeyValue{attribute.String("client", r.Header.Get("X-Client"))}
		})))
	t.Cleanup(a.srv.Close)
	return a
}

// step sends a round of requests, moves the clock 1.37 s and makes a
// report, as the reader's loop would every report interval.
func (a *app) step(t *testing.T) {
	t.Helper()
	a.round++
	for i := range 3 + a.round {
		for _, client := range []string{"billing", hostile} {
			path := "/items/" + strconv.Itoa(i)
			if i%2 == 1 {
				path = "/search?q=" + strings.Repeat("x", i+a.round)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Client", client)
			resp, err := a.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	if a.round != 2 { // round 2 has no slow work: an empty window
		a.slow.Record(t.Context(), 0.25*float64(a.round))
	}
	a.now = a.now.Add(1370 * time.Millisecond)
	if err := a.r.OutputReport(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// shown is one value as the page shows it.
type shown struct {
	Key   string `json:"key"`
	Value string `json:"value"` // the number as JavaScript writes it; empty for an empty window
	Num   string `json:"num"`
	Unit  string `json:"unit"`
}

const shownJS = `[...document.querySelectorAll('[data-key]')].map((e) => ({
	key: e.getAttribute('data-key'), value: e.getAttribute('data-value'),
	num: (e.querySelector('.num') || {}).textContent || '', unit: (e.querySelector('.unit') || {}).textContent || ''}))`

// scale is what a unit shown on the page multiplies its number by.
func scale(unit string) float64 {
	for _, p := range []struct {
		prefix string
		f      float64
	}{{"ns", 1e-9}, {"µs", 1e-6}, {"ms", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
		if strings.HasPrefix(unit, p.prefix) {
			return p.f
		}
	}
	return 1
}

// checkValues checks that the page shows every value of r, and nothing
// else: the exact number, and a rounded one for people.
func checkValues(t *testing.T, b *browser, r report.Report) {
	t.Helper()
	got := map[string]shown{}
	for _, s := range eval[[]shown](t, b, shownJS) {
		if _, dup := got[s.Key]; dup {
			t.Errorf("key %q shown twice", s.Key)
		}
		got[s.Key] = s
	}
	if len(got) != len(r.Values) {
		t.Errorf("the page shows %d values, the report has %d", len(got), len(r.Values))
	}
	for _, v := range r.Values {
		s, ok := got[v.Key]
		switch {
		case !ok:
			t.Errorf("%q is not shown", v.Key)
		case !v.OK:
			if s.Value != "" || s.Num != "—" {
				t.Errorf("%q is empty, shown as %+v", v.Key, s)
			}
		default:
			f, err := strconv.ParseFloat(s.Value, 64)
			if err != nil || f != v.V {
				t.Errorf("%q = %v, shown as %q", v.Key, v.V, s.Value)
			}
			n, err := strconv.ParseFloat(s.Num, 64)
			if n *= scale(s.Unit); err != nil || math.Abs(n-v.V) > 5e-4*math.Abs(v.V) {
				t.Errorf("%q = %v, shown to people as %q %q", v.Key, v.V, s.Num, s.Unit)
			}
		}
	}
}

// plots returns the number of series r has (a plot each) among the values
// that match.
func plots(r report.Report, match func(report.Value) bool) int {
	series := map[string]bool{}
	for _, v := range r.Values {
		if match(v) {
			series[v.Counter+report.Key("", v.Attrs)] = true
		}
	}
	return len(series)
}

func all(report.Value) bool { return true }

func fromHostile(v report.Value) bool {
	c, ok := v.Attrs.Value("client")
	return ok && c.AsString() == hostile
}

func percentiles(v report.Value) bool { return v.Kind == counters.Percentiles }

func TestLivePage(t *testing.T) {
	b := newBrowser(t)
	a := newApp(t)
	h := httpjson.ForReader(a.r, httpjson.WithRefresh(time.Second), httpjson.WithUnit("response_size_max", "By"), httpjson.WithUnit("request_latency", "s"))
	if err := a.r.RegisterReporter("page", h); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /debug/counters", h)
	srv := httptest.NewServer(mux) // 127.0.0.1
	defer srv.Close()              // also closed at the end of the test: a second Close is harmless

	// Three reports before the page opens: it starts with them.
	for range 3 {
		a.step(t)
	}
	snap := a.r.Snapshot()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(srv.URL+"/debug/counters")); err != nil {
		t.Fatal(err)
	}
	since := report.UnixSeconds(snap.Time)
	waitFor(t, b, "the page has the third report",
		fmt.Sprintf(`document.getElementById('counters').getAttribute('data-since') === String(%v)`, since))
	if n := eval[string](t, b, `document.getElementById('counters').getAttribute('data-reports')`); n != "3" {
		t.Errorf("the page started with %s reports, want the 3 kept", n)
	}
	if n, want := eval[int](t, b, `document.querySelectorAll('figure.plot').length`), plots(snap, all); n != want || want < 12 {
		t.Errorf("%d plots, want one per series: %d", n, want)
	}
	if n := eval[int](t, b, `document.querySelectorAll('section.counter').length`); n != 5 {
		t.Errorf("%d counters shown, want 5", n)
	}
	checkValues(t, b, snap)

	// The hostile client name is text: it ran nothing, added no element.
	if title := eval[string](t, b, `document.title`); title != "otelcounters" {
		t.Errorf("title %q", title)
	}
	if n := eval[int](t, b, `document.scripts.length + document.images.length`); n != 1 {
		t.Errorf("%d scripts and images, want the page's one script", n)
	}
	if p := eval[string](t, b, `String(window.pwned)`); p != "undefined" {
		t.Errorf("window.pwned = %s: the attribute value ran as code", p)
	}
	shownAsText := fmt.Sprintf(`[...document.querySelectorAll('figcaption .attr .v')].filter((e) => e.textContent === %s).length`, jsString(hostile))
	if n, want := eval[int](t, b, shownAsText), plots(snap, fromHostile); n != want || want == 0 {
		t.Errorf("the hostile client name is shown as text in %d plots, want %d", n, want)
	}

	// Percentiles: p50 to p90 and p90 to p99 as bands, in one plot per series.
	bands := eval[[]int](t, b, `[...document.querySelectorAll('section.counter')].filter((s) => s.querySelector('h2 .name').textContent === 'request_latency')
		.flatMap((s) => [...s.querySelectorAll('figure.plot')]).map((f) => f.querySelectorAll('path.band').length)`)
	if want := plots(snap, percentiles); len(bands) != want || want == 0 {
		t.Errorf("%d percentiles plots, want %d", len(bands), want)
	}
	for i, n := range bands {
		if n != 2 {
			t.Errorf("percentiles plot %d has %d bands, want 2 (p50–p90, p90–p99)", i, n)
		}
	}

	// slow_work's window was empty in the second report: a gap, not a zero.
	const slowMarks = `(() => { const f = [...document.querySelectorAll('figure.plot')].find((f) => f.getAttribute('data-series') === 'slow_work');
		return [f.querySelectorAll('path.line').length, f.querySelectorAll('circle.dot.line').length]; })()`
	if got := eval[[]int](t, b, slowMarks); len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("slow_work plot: %v lines and dots, want [0 2]: two reports with a gap between", got)
	}

	// The next report reaches the open page.
	a.step(t)
	snap = a.r.Snapshot()
	waitFor(t, b, "the page has the fourth report",
		fmt.Sprintf(`document.getElementById('counters').getAttribute('data-since') === String(%v)`, report.UnixSeconds(snap.Time)))
	if n := eval[string](t, b, `document.getElementById('counters').getAttribute('data-reports')`); n != "4" {
		t.Errorf("the page has %s reports, want 4", n)
	}
	if n, want := eval[int](t, b, `document.querySelectorAll('figure.plot').length`), plots(snap, all); n != want {
		t.Errorf("%d plots, want %d", n, want)
	}
	checkValues(t, b, snap)
	if got := eval[[]int](t, b, slowMarks); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("slow_work plot: %v lines and dots, want [1 1]", got)
	}
	// The pointer over a plot reads out the report under it: the empty
	// window of the second report, the last report's value at the right.
	const hover = `((at) => { const f = [...document.querySelectorAll('figure.plot')].find((f) => f.getAttribute('data-series') === 'slow_work');
		const svg = f.querySelector('svg.chart'), box = svg.getBoundingClientRect();
		svg.dispatchEvent(new MouseEvent('mousemove', {clientX: box.left + at * box.width, clientY: box.top + box.height / 2, bubbles: true}));
		return f.querySelector('.readout').textContent; })`
	if got := eval[string](t, b, hover+`(0.4)`); !strings.HasSuffix(got, " · empty") {
		t.Errorf("over the second report: %q, want the empty window", got)
	}
	if got := eval[string](t, b, hover+`(0.99)`); !strings.HasSuffix(got, " · 1") {
		t.Errorf("over the last report: %q, want its value 1", got)
	}
	screenshot(t, b, "live-page-attributes.png")
	if p := b.problems(); len(p) > 0 {
		t.Errorf("console: %q", p)
	}
	if out, all := b.requestsOutside(srv.URL); len(out) > 0 || all < 5 {
		t.Errorf("the page requested other origins: %q (of %d requests)", out, all)
	}

	// The server goes away: the page says so, and keeps what it has.
	srv.Close()
	waitFor(t, b, "the page says the server does not answer", `document.getElementById('status').classList.contains('bad')`)
	if got := eval[string](t, b, `document.getElementById('status').textContent`); !strings.HasPrefix(got, "no answer since ") {
		t.Errorf("status %q", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll('figure.plot').length`); n != plots(snap, all) {
		t.Errorf("%d plots left after the server went away, want %d", n, plots(snap, all))
	}
}
