package reader_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// feedDefs are counters of every kind that reads a histogram or a counter
// instrument.
func feedDefs() []counters.Definition {
	w := 10 * time.Second
	return []counters.Definition{
		{Name: "avg", Kind: counters.AverageTime, Events: []string{"lat"}, Window: w},
		{Name: "rate", Kind: counters.Frequency, Events: []string{"lat"}, Window: w},
		{Name: "max", Kind: counters.Max, Events: []string{"lat"}, Window: w},
		{Name: "min", Kind: counters.Min, Events: []string{"lat"}, Window: w},
		{Name: "n", Kind: counters.Count, Events: []string{"lat"}, Window: w},
		{Name: "sum", Kind: counters.WindowSum, Events: []string{"bytes"}, Window: w},
		{Name: "total", Kind: counters.Total, Events: []string{"bytes"}},
	}
}

// Data fed point by point equals the same measurements made through a
// MeterProvider, tick by tick, for every kind: Feed is the SDK path's
// engine, not a second one.
func TestFeedEqualsTheSDKPath(t *testing.T) {
	h := newHarness(t, []reader.Option{reader.WithCounters(feedDefs()...)})
	fed := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(h.clock.Now),
		reader.WithOrigin(h.start), reader.WithCounters(feedDefs()...))
	lat := h.f64Histogram("lat", metric.WithUnit("s"))
	bytes := h.i64Counter("bytes")
	rng := rand.New(rand.NewPCG(1, 2))
	for tick := 1; tick <= 40; tick++ {
		// Measurements during the second ending at this tick.
		for range rng.IntN(5) {
			v := float64(rng.IntN(1000)) / 1024
			lat.Record(h.ctx, v)
			p := reader.Point{Count: 1, Sum: v, Min: v, Max: v, MinMax: true, Values: true}
			fed.Feed(h.start.Add(time.Duration(tick)*time.Second), nil, "lat", "s", &p)
		}
		if rng.IntN(2) == 0 {
			n := int64(rng.IntN(100))
			bytes.Add(h.ctx, n)
			fed.Feed(h.start.Add(time.Duration(tick)*time.Second), nil, "bytes", "", &reader.Point{Sum: float64(n)})
		}
		h.tickTo(time.Duration(tick) * time.Second)
		// Read between ticks too: at a time that is not a whole second.
		h.clock.Advance(time.Second / 3)
		want := h.report()
		got, err := fed.Report(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Values) != len(want.Values) {
			t.Fatalf("tick %d: %d values fed, %d through the SDK", tick, len(got.Values), len(want.Values))
		}
		for i, w := range want.Values {
			g := got.Values[i]
			if g.Key != w.Key || g.Value != w.Value || g.Covered != w.Covered {
				t.Fatalf("tick %d: fed %s = %+v (covered %v), through the SDK %s = %+v (covered %v)",
					tick, g.Key, g.Value, g.Covered, w.Key, w.Value, w.Covered)
			}
		}
		h.clock.Advance(-time.Second / 3)
	}
}

// Under By, the resource fills in what points lack, per point: points of
// two services with equal attributes go to two series, whatever order they
// come in.
func TestFeedSelectsResourceAttributesPerPoint(t *testing.T) {
	fed := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithOrigin(time.Unix(0, 0)),
		reader.WithCounters(counters.Definition{Name: "n", Kind: counters.Count, Events: []string{"lat"},
			Window: time.Minute, By: []string{"service.name", "route"}}))
	svc := func(name string) *resource.Resource {
		return resource.NewSchemaless(attribute.String("service.name", name))
	}
	a, b := svc("a"), svc("b")
	attrs := attribute.NewSet(attribute.String("route", "/x"), attribute.String("method", "GET"))
	now := time.Now()
	for i, res := range []*resource.Resource{a, b, a, a, b} {
		p := reader.Point{Attrs: attrs, Count: uint64(i + 1), Sum: 1, Values: true}
		fed.Feed(now, res, "lat", "s", &p)
	}
	fed.Feed(now, nil, "other", "s", &reader.Point{Count: 1, Values: true}) // nobody listens
	rep, err := fed.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, rep, `n{route="/x",service.name="a"}`, num(1+3+4))
	check(t, rep, `n{route="/x",service.name="b"}`, num(2+5))
	if len(rep.Values) != 2 {
		t.Errorf("keys %q, want two series", keys(rep))
	}
	if !fed.Listens("lat") || fed.Listens("other") {
		t.Errorf("Listens(lat) = %v, Listens(other) = %v", fed.Listens("lat"), fed.Listens("other"))
	}
}

// A reader no MeterProvider registers still forgets idle series at its
// ticks.
func TestFeedWithoutProviderEvicts(t *testing.T) {
	clock := newFakeClock()
	fed := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(clock.Now),
		reader.WithCounters(counters.Definition{Name: "n", Kind: counters.Count, Events: []string{"lat"}, Window: 5 * time.Second, By: []string{"k"}}))
	p := reader.Point{Attrs: attribute.NewSet(attribute.String("k", "v")), Count: 1, Values: true}
	fed.Feed(clock.Now(), nil, "lat", "s", &p)
	clock.Advance(time.Second)
	_ = fed.Tick(context.Background())
	rep, _ := fed.Report(context.Background())
	check(t, rep, `n{k="v"}`, num(1))
	clock.Advance(20 * time.Second)
	_ = fed.Tick(context.Background())
	rep, _ = fed.Report(context.Background())
	if ks := keys(rep); len(ks) != 1 || ks[0] != "n" {
		t.Errorf("keys after the series went idle: %q, want [n]", ks)
	}
}
