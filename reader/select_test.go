package reader_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// otelhttpAttrs are the attributes otelhttp v0.72.0 puts on
// http.server.request.duration, for a route, a method, a status and a
// server port.
func otelhttpAttrs(route, method string, status, port int) metric.MeasurementOption {
	return metric.WithAttributes(
		attribute.String("http.request.method", method),
		attribute.Int("http.response.status_code", status),
		attribute.String("http.route", route),
		attribute.String("network.protocol.name", "http"),
		attribute.String("network.protocol.version", "1.1"),
		attribute.String("server.address", "127.0.0.1"),
		attribute.Int("server.port", port),
		attribute.String("url.scheme", "http"),
	)
}

// A counter with no selection has one series under its plain name,
// whatever attributes the instrumentation sets; by, without and all choose.
func TestSelectionKeys(t *testing.T) {
	const ev = "http.server.request.duration"
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "requests_time", Kind: counters.AverageTime, Events: []string{ev}},
		counters.Definition{Name: "by_route", Kind: counters.Count, Events: []string{ev}, By: []string{"http.route"}},
		counters.Definition{Name: "by_route_method", Kind: counters.Max, Events: []string{ev}, By: []string{"http.route", "http.request.method", "no.such.attribute"}},
		counters.Definition{Name: "without", Kind: counters.Count, Events: []string{ev}, Without: []string{
			"http.response.status_code", "network.protocol.name", "network.protocol.version", "server.address", "server.port", "url.scheme"}},
		counters.Definition{Name: "all", Kind: counters.Count, Events: []string{ev}, By: []string{counters.AllAttributes}},
	)})
	d := h.f64Histogram(ev, metric.WithUnit("s"))
	d.Record(h.ctx, 0.25, otelhttpAttrs("/users/{id}", "GET", 200, 8080))
	d.Record(h.ctx, 0.5, otelhttpAttrs("/users/{id}", "GET", 404, 8081))
	d.Record(h.ctx, 0.75, otelhttpAttrs("/", "POST", 200, 8080))
	d.Record(h.ctx, 1.5, otelhttpAttrs("/", "GET", 500, 8080))
	h.tickTo(time.Second)
	rep := h.report()
	for counter, want := range map[string][]string{
		"requests_time":   {"requests_time"},
		"by_route":        {`by_route{http.route="/"}`, `by_route{http.route="/users/{id}"}`},
		"by_route_method": {`by_route_method{http.request.method="GET",http.route="/"}`, `by_route_method{http.request.method="GET",http.route="/users/{id}"}`, `by_route_method{http.request.method="POST",http.route="/"}`},
		"without":         {`without{http.request.method="GET",http.route="/"}`, `without{http.request.method="GET",http.route="/users/{id}"}`, `without{http.request.method="POST",http.route="/"}`},
	} {
		if got := keysOf(rep, counter); !slices.Equal(got, want) {
			t.Errorf("%s: keys %q, want %q", counter, got, want)
		}
	}
	if n := len(keysOf(rep, "all")); n != 4 {
		t.Errorf("all: %d series, want one per attribute set (4)", n)
	}
	check(t, rep, "requests_time", num(0.75))
	check(t, rep, `by_route{http.route="/users/{id}"}`, num(2))
	check(t, rep, `by_route{http.route="/"}`, num(2))
	check(t, rep, `by_route_method{http.request.method="GET",http.route="/users/{id}"}`, num(0.5))
	check(t, rep, `without{http.request.method="GET",http.route="/"}`, num(1))
}

// The series limit counts series after selection: many ports, two routes,
// a limit of two, and no overflow.
func TestSelectionSeriesLimit(t *testing.T) {
	const ev = "http.server.request.duration"
	log := captureErrors(t)
	h := newHarness(t, []reader.Option{reader.WithSeriesLimit(2), reader.WithCounters(
		counters.Definition{Name: "n", Kind: counters.Count, Events: []string{ev}, By: []string{"http.route"}},
		counters.Definition{Name: "all", Kind: counters.Count, Events: []string{ev}, By: []string{counters.AllAttributes}},
	)})
	d := h.f64Histogram(ev, metric.WithUnit("s"))
	for port := range 50 {
		d.Record(h.ctx, 0.1, otelhttpAttrs("/a", "GET", 200, 9000+port))
		d.Record(h.ctx, 0.1, otelhttpAttrs("/b", "GET", 200, 9000+port))
	}
	h.tickTo(time.Second)
	rep := h.report()
	if got, want := keysOf(rep, "n"), []string{`n{http.route="/a"}`, `n{http.route="/b"}`}; !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	check(t, rep, `n{http.route="/a"}`, num(50))
	check(t, rep, `n{http.route="/b"}`, num(50))
	if got := keysOf(rep, "all"); len(got) != 3 || got[2] != `all{otel.metric.overflow="true"}` {
		t.Errorf("all: keys %q, want 2 and the overflow series", got)
	}
	check(t, rep, `all{otel.metric.overflow="true"}`, num(98))
	if m := log.matching(`counter "n"`); len(m) != 0 {
		t.Errorf("warnings for the selected counter: %q", m)
	}
}

// Names of by that the measurements lack come from the resource.
func TestSelectionResourceAttributes(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "shop"), attribute.String("http.route", "from-resource"))
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "n", Kind: counters.Count, Events: []string{"e"}, By: []string{"service.name", "http.route"}},
		counters.Definition{Name: "w", Kind: counters.Count, Events: []string{"e"}, Without: []string{"http.route"}},
	)}, sdkmetric.WithResource(res))
	e := h.f64Histogram("e")
	e.Record(h.ctx, 1, metric.WithAttributes(attribute.String("http.route", "/a"), attribute.Int("server.port", 1)))
	e.Record(h.ctx, 1, metric.WithAttributes(attribute.Int("server.port", 2)))
	h.tickTo(time.Second)
	rep := h.report()
	// A point's own attribute wins over the resource's.
	check(t, rep, `n{http.route="/a",service.name="shop"}`, num(1))
	check(t, rep, `n{http.route="from-resource",service.name="shop"}`, num(1))
	// without selects among the point's attributes only.
	check(t, rep, `w{server.port="1"}`, num(1))
	check(t, rep, `w{server.port="2"}`, num(1))
}

// Points past the SDK's own cardinality limit carry no attribute a
// selection could place: they go to the overflow series.
func TestSelectionSDKOverflow(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "n", Kind: counters.Count, Events: []string{"e"}, By: []string{"k"}},
		counters.Definition{Name: "plain", Kind: counters.Count, Events: []string{"e"}},
	)}, sdkmetric.WithCardinalityLimit(3))
	e := h.f64Histogram("e")
	for i := range 10 {
		e.Record(h.ctx, 1, metric.WithAttributes(attribute.String("k", strconv.Itoa(i))))
	}
	h.tickTo(time.Second)
	rep := h.report()
	var total float64
	for _, k := range keysOf(rep, "n") {
		v, _ := rep.Lookup(k)
		total += v.V
	}
	if total != 10 {
		t.Errorf("series of n add up to %v, want 10: %q", total, keysOf(rep, "n"))
	}
	if _, ok := rep.Lookup(`n{otel.metric.overflow="true"}`); !ok {
		t.Errorf("no overflow series: %q", keysOf(rep, "n"))
	}
	check(t, rep, "plain", num(10))
}

// A last counter folding several attribute sets takes the value of the
// newest interval; within one interval, the greatest.
func TestSelectionLast(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "g", Kind: counters.Last, Events: []string{"queue"}},
	)})
	g, err := h.meter.Float64Gauge("queue")
	if err != nil {
		t.Fatal(err)
	}
	w := func(n string) metric.RecordOption {
		return metric.WithAttributes(attribute.String("worker", n))
	}
	g.Record(h.ctx, 5, w("a"))
	g.Record(h.ctx, 9, w("b"))
	g.Record(h.ctx, 7, w("c"))
	h.tickTo(time.Second)
	check(t, h.report(), "g", num(9))
	g.Record(h.ctx, 2, w("a"))
	h.tickTo(2 * time.Second)
	check(t, h.report(), "g", num(2))
	h.tickTo(3 * time.Second) // nothing set: the last value stays
	check(t, h.report(), "g", num(2))
}

// Percentiles of a folded series are those of its attribute sets' buckets
// merged: the same as a twin instrument recorded without the attributes
// left out, at every report, on random data.
func TestSelectionPercentilesMerge(t *testing.T) {
	const window = 20 * time.Second
	qs := []float64{0.1, 0.5, 0.9, 0.99}
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "folded", Kind: counters.Percentiles, Events: []string{"lat"}, Window: window, Quantiles: qs, By: []string{"route"}},
		counters.Definition{Name: "twin", Kind: counters.Percentiles, Events: []string{"lat_twin"}, Window: window, Quantiles: qs, By: []string{counters.AllAttributes}},
	)})
	lat := h.f64Histogram("lat", metric.WithUnit("s"))
	twin := h.f64Histogram("lat_twin", metric.WithUnit("s"))
	rng := rand.New(rand.NewPCG(7, 11))
	routes := []string{"/a", "/b"}
	compared := 0
	for tick := 1; tick <= 60; tick++ {
		for range rng.IntN(30) {
			route := routes[rng.IntN(2)]
			v := math.Pow(10, -3+2*rng.Float64())
			lat.Record(h.ctx, v, metric.WithAttributes(attribute.String("route", route),
				attribute.Int("status", 200+rng.IntN(3)*100), attribute.Int("port", rng.IntN(20))))
			twin.Record(h.ctx, v, metric.WithAttributes(attribute.String("route", route)))
		}
		h.tickTo(time.Duration(tick) * time.Second)
		if tick%3 != 0 {
			continue
		}
		rep := h.report()
		for _, route := range routes {
			suffix := `{route="` + route + `"}`
			for _, name := range []string{"p10", "p50", "p90", "p99", "mean"} {
				a, okA := rep.Lookup("folded." + name + suffix)
				b, okB := rep.Lookup("twin." + name + suffix)
				same := a.Value == b.Value
				if name == "mean" && a.OK && b.OK && a.Count == b.Count {
					// Sums of the same values in another order.
					same = math.Abs(a.V-b.V) <= 1e-12*math.Abs(b.V)
				}
				if okA != okB || !same {
					t.Fatalf("at %ds: folded.%s%s = %+v (%v), twin %+v (%v)", tick, name, suffix, a.Value, okA, b.Value, okB)
				}
				if a.OK {
					compared++
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("nothing compared")
	}
}

// A frequency counter with of: auto sums the values of a histogram without
// a duration unit (PyCounters' rule for value events), and says so once; a
// duration histogram, of: sum, of: count and totals need no word.
func TestOfAutoSumsSaysSo(t *testing.T) {
	log := captureErrors(t)
	h := newHarness(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "rate", Kind: counters.Frequency, Events: []string{"latency"}},
		counters.Definition{Name: "sums", Kind: counters.Frequency, Events: []string{"latency"}, Of: counters.OfSum},
		counters.Definition{Name: "counted", Kind: counters.Frequency, Events: []string{"latency"}, Of: counters.OfCount},
		counters.Definition{Name: "timed", Kind: counters.Frequency, Events: []string{"timed"}},
		counters.Definition{Name: "total", Kind: counters.Total, Events: []string{"latency"}},
		counters.Definition{Name: "window", Kind: counters.WindowSum, Events: []string{"latency"}},
	)})
	lat := h.f64Histogram("latency")
	timed := h.f64Histogram("timed", metric.WithUnit("s"))
	for range 3 {
		lat.Record(h.ctx, 0.012)
		timed.Record(h.ctx, 0.012)
		h.ticks(1)
	}
	rep := h.report()
	check(t, rep, "counted", num(1)) // 3 measurements in 3 s
	if got := log.matching(`of auto adds up the values`); len(got) != 1 || !strings.Contains(got[0], `counter "rate", event "latency"`) || !strings.Contains(got[0], "of: count") {
		t.Errorf("messages %q, want one about counter rate", got)
	}
	if n := len(log.all()); n != 1 {
		t.Errorf("%d messages, want 1: %q", n, log.all())
	}
}
