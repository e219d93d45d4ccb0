package bridge_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/scoped"
)

// scopedCounters listen to the instruments of workload.
var scopedCounters = bridge.WithCounters(
	counters.Definition{By: []string{counters.AllAttributes}, Name: "db_calls", Kind: counters.Total, Events: []string{"db.calls"}},
	counters.Definition{By: []string{counters.AllAttributes}, Name: "db_frequency", Kind: counters.Frequency, Events: []string{"db.calls"}},
	counters.Definition{By: []string{counters.AllAttributes}, Name: "stage_time", Kind: counters.AverageTime, Events: []string{"stage.duration"}},
	counters.Definition{By: []string{counters.AllAttributes}, Name: "stage_max", Kind: counters.Max, Events: []string{"stage.duration"}},
	counters.Definition{By: []string{counters.AllAttributes}, Name: "stage_count", Kind: counters.Event, Events: []string{"stage.duration"}},
	counters.Definition{By: []string{counters.AllAttributes}, Name: "queue", Kind: counters.Last, Events: []string{"queue.depth"}},
)

// workload measures through m's instruments, with ctx (possibly carrying
// a recording) and with a context that carries none, over four ticks. It
// returns what it measured with ctx, in the recording's flat form.
func workload(t *testing.T, m metric.Meter, ctx context.Context, c *clock, r *reader.Reader) map[string]float64 {
	t.Helper()
	calls, err := m.Int64Counter("db.calls")
	if err != nil {
		t.Fatal(err)
	}
	stage, err := m.Float64Histogram("stage.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	// Observable instruments pass through the wrapper untouched.
	if _, err := m.Int64ObservableGauge("queue.depth", metric.WithInt64Callback(
		func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(3)
			return nil
		})); err != nil {
		t.Fatal(err)
	}
	db := metric.WithAttributes(attribute.String("stage", "db"))
	outside := context.Background()
	want := map[string]float64{}
	for i := 1; i <= 4; i++ {
		var wg sync.WaitGroup // the request's goroutines
		for range 2 {
			wg.Go(func() { calls.Add(ctx, int64(i)) })
		}
		wg.Wait()
		want["db.calls"] += float64(2 * i)
		stage.Record(ctx, 0.125*float64(i), db)
		want[`stage.duration.count{stage="db"}`]++
		want[`stage.duration.total_dur{stage="db"}`] += 0.125 * float64(i)

		calls.Add(outside, 10)
		stage.Record(outside, 2, db)
		c.Advance(time.Second)
		if err := r.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func reportOf(t *testing.T, mp *bridge.MeterProvider) report.Report {
	t.Helper()
	rep, err := mp.Reader().Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// Through bridge.WithScoped, measurements made inside a recording reach
// both the recording and the window counters, and the window counters come
// out exactly as from a provider without the wrapper fed the same
// measurements.
func TestScoped(t *testing.T) {
	ctx := context.Background()
	plainClock, scopedClock := newClock(), newClock()
	plain, err := bridge.NewMeterProvider(append(manual(plainClock), scopedCounters)...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = plain.Shutdown(ctx) }()
	mp, err := bridge.NewMeterProvider(append(manual(scopedClock), scopedCounters, bridge.WithScoped())...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = mp.Shutdown(ctx) }()
	if plain.Scoped() != nil {
		t.Error("Scoped() without WithScoped is not nil")
	}
	if mp.Scoped() == nil || scoped.Wrap(mp) != mp.Scoped() {
		t.Error("scoped.Wrap of a WithScoped provider does not give its own wrapper")
	}

	workload(t, plain.Meter("app"), ctx, plainClock, plain.Reader())
	rctx, rec := mp.Scoped().Start(ctx, scoped.WithName("request"), scoped.WithClock(scopedClock.Now))
	want := workload(t, mp.Meter("app"), rctx, scopedClock, mp.Reader())
	res := rec.Stop()

	// The recording saw what was measured with its context, and nothing else.
	want[scoped.TotalDurationKey] = 4
	if got := res.Flat(); !maps.Equal(got, want) {
		t.Errorf("recording = %v\nwant %v", got, want)
	}

	// The window counters saw everything, as without the wrapper.
	got, base := reportOf(t, mp), reportOf(t, plain)
	if len(got.Values) != len(base.Values) || len(got.Values) == 0 {
		t.Fatalf("%d values through the wrapper, %d without", len(got.Values), len(base.Values))
	}
	for i, v := range got.Values {
		if b := base.Values[i]; v.Key != b.Key || v.Value != b.Value {
			t.Errorf("%s = %+v through the wrapper, %s = %+v without", v.Key, v.Value, b.Key, b.Value)
		}
	}
	// And they count both the recorded and the other measurements.
	inside, outside := want["db.calls"], 4*10.0
	for key, w := range map[string]float64{
		"db_calls":                inside + outside,
		`stage_count{stage="db"}`: 8,
		`stage_max{stage="db"}`:   2,
		`stage_time{stage="db"}`:  (want[`stage.duration.total_dur{stage="db"}`] + 4*2) / 8,
		"queue":                   3,
	} {
		if v := lookup(t, got, key); !v.OK || v.V != w {
			t.Errorf("%s = %+v, want %v", key, v, w)
		}
	}
}

// A provider without WithScoped hands out the SDK's Meters: a recording
// started from a wrapper of it sees nothing made through them.
func TestScopedOff(t *testing.T) {
	ctx := context.Background()
	mp, err := bridge.NewMeterProvider(bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Total}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = mp.Shutdown(ctx) }()
	n, _ := mp.Meter("app").Int64Counter("n")
	w := scoped.Wrap(mp)
	rctx, rec := w.Start(ctx)
	n.Add(rctx, 1)
	if err := rec.Stop().Require(); err == nil {
		t.Error("a recording saw a measurement made through the unwrapped Meter")
	}
	// Wrapping it explicitly works as for any provider.
	wn, _ := w.Meter("app").Int64Counter("n")
	rctx, rec = w.Start(ctx)
	wn.Add(rctx, 2)
	if got := rec.Stop().Flat()["n"]; got != 2 {
		t.Errorf("through scoped.Wrap(mp): n = %v, want 2", got)
	}
	if v := lookup(t, reportOf(t, mp), "n"); v.V != 3 {
		t.Errorf("window counter n = %v, want 3", v)
	}
}

// Instrumentation that takes its Meter from the global provider is
// recorded too. otel.SetMeterProvider is process state: this test restores
// it and does not run in parallel. (The OTel default provider delegates, for
// good, to the first provider ever set; only otel.Meter after
// SetMeterProvider is checked here, which holds however often it runs.)
func TestScopedGlobal(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	mp, err := bridge.NewMeterProvider(append(manual(c), scopedCounters, bridge.WithScoped())...)
	if err != nil {
		t.Fatal(err)
	}
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	t.Cleanup(func() {
		otel.SetMeterProvider(prev)
		_ = mp.Shutdown(ctx)
	})

	rctx, rec := mp.Scoped().Start(ctx, scoped.WithClock(c.Now))
	want := workload(t, otel.Meter("third-party"), rctx, c, mp.Reader())
	res := rec.Stop()
	if err := res.Require(); err != nil {
		t.Fatal(err)
	}
	want[scoped.TotalDurationKey] = 4
	if got := res.Flat(); !maps.Equal(got, want) {
		t.Errorf("recording through the global provider = %v\nwant %v", got, want)
	}
	if v := lookup(t, reportOf(t, mp), "db_calls"); v.V != want["db.calls"]+40 {
		t.Errorf("db_calls = %v, want %v", v, want["db.calls"]+40)
	}
}
