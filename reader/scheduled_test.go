package reader

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/internal/fakeclock"
)

// The loop's ticks fire a little after each multiple of the tick. Read as
// scheduled, a window at an automatic report spans exactly its length and a
// steady rate reads true; read as the clock says, every interval would land
// one slot late and the rate would read a tick's worth too high.
func TestScheduledTicksLate(t *testing.T) {
	clock := fakeclock.New()
	origin := clock.Now()
	const tick = time.Second
	w := 10 * tick
	r := New(WithManualTicks(), WithTick(tick), WithClock(clock.Now), WithCounters(
		counters.Definition{Name: "f", Kind: counters.Frequency, Events: []string{"hits"}, Window: w},
		counters.Definition{Name: "n", Kind: counters.WindowSum, Events: []string{"hits"}, Window: w},
	))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	hits, err := mp.Meter("t").Int64Counter("hits")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	var now time.Duration
	for n := 1; n <= 40; n++ {
		late := time.Duration(rng.Int64N(int64(tick / 5))) // up to 200 ms late
		at := time.Duration(n)*tick + late
		hits.Add(ctx, 100) // 100 per tick
		clock.Advance(at - now)
		now = at
		if n%7 != 0 {
			if err := r.scheduledTick(ctx); err != nil {
				t.Fatal(err)
			}
			continue
		}
		r.tickMu.Lock()
		rep, err := r.report(ctx, r.scheduled())
		r.tickMu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		want := float64(min(n, 10) * 100)
		if v, _ := rep.Lookup("n"); v.V != want {
			t.Errorf("tick %d (%v late): window sum %v, want %v", n, late, v.V, want)
		}
		if v, _ := rep.Lookup("f"); math.Abs(v.V-100) > 1e-9 {
			t.Errorf("tick %d (%v late): frequency %v, want 100", n, late, v.V)
		}
		if got := rep.Time.Sub(origin); got != time.Duration(n)*tick {
			t.Errorf("tick %d: report time %v, want the scheduled %v", n, got, time.Duration(n)*tick)
		}
	}
}
