package reliability_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// The memory one series of a counter may take, by kind, beyond its window's
// slots: the counters.Series and the reader's record of it, the map entry,
// the attribute set the SDK made (kept as the series' attributes) and the
// report key. Measured at about 260 bytes for one attribute; 512 leaves
// room for longer keys and map growth.
const seriesOverhead = 512

// seriesBytes is the bound on one series of a counter at the default window
// and tick: its slots (one float64 per lane per slot, a slot per tick) plus
// the overhead.
func seriesBytes(k counters.Kind) int {
	lanes := map[counters.Kind]int{
		counters.Average: 2, counters.AverageTime: 2, counters.Frequency: 1, counters.WindowSum: 1,
		counters.Max: 1, counters.Min: 1, counters.Count: 1,
	}[k]
	slots := int(counters.DefaultWindow / reader.DefaultTick)
	return lanes*slots*8 + seriesOverhead
}

// heapInUse returns the bytes of live heap objects after a full collection.
func heapInUse() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC() // the second one frees what the first one's finalizers left
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestAttributeExplosion records 100,000 distinct attribute sets, 1,000 new
// ones per tick as an attribute carrying a request ID would, with the SDK's
// and the reader's default limits. The reader keeps its series limit of
// series per counter and folds the rest into the otel.metric.overflow="true"
// series, says so once per counter through otel.Handle, and its heap stays
// under limit × bytes per series + slack however many more sets come; the
// counts stay exact.
func TestAttributeExplosion(t *testing.T) {
	const (
		sets    = 100_000
		perTick = 1_000 // below the SDK's own limit per interval (2000)
		limit   = reader.DefaultSeriesLimit
		// slack covers what is not series: the SDK's per-interval state
		// (up to perTick series of three instruments), the counter
		// layouts, the report the test holds, and the heap's own noise.
		slack = 4 << 20
	)
	errLog := captureErrors(t)
	defs := []counters.Definition{
		{By: []string{counters.AllAttributes}, Name: "requests", Kind: counters.Event, Events: []string{"req"}},
		{By: []string{counters.AllAttributes}, Name: "latency", Kind: counters.AverageTime, Events: []string{"req"}},
		{By: []string{counters.AllAttributes}, Name: "latency_max", Kind: counters.Max, Events: []string{"req"}},
	}
	// The default tick too: the windows are the default 60 slots.
	m := newManual(t, []reader.Option{reader.WithTick(reader.DefaultTick), reader.WithCounters(defs...)}) // default limits
	req := mustF64Histogram(t, m.meter, "req", metric.WithUnit("s"))
	bound := int64(slack)
	for _, d := range defs {
		bound += int64(limit+1) * int64(seriesBytes(d.Kind)) // +1: the overflow series
	}

	explode := func(from, to int) {
		for i := from; i < to; i++ {
			req.Record(m.ctx, 0.25, metric.WithAttributes(attribute.String("request_id", fmt.Sprintf("r-%08d", i))))
			if (i+1)%perTick == 0 {
				m.tick(time.Second)
			}
		}
	}
	before := heapInUse()
	explode(0, sets/5)
	at20k := heapInUse()
	explode(sets/5, sets)
	at100k := heapInUse()
	growth := at100k - before
	t.Logf("heap: %d KiB after %d sets, %d KiB after %d (bound %d KiB): %.0f bytes per kept series",
		(at20k-before)>>10, sets/5, growth>>10, sets, bound>>10, float64(growth)/float64(len(defs)*(limit+1)))
	if growth > bound {
		t.Errorf("heap grew by %d bytes for %d attribute sets, bound %d", growth, sets, bound)
	}
	// Past the limit, more sets cost nothing more than noise.
	if late := at100k - at20k; late > slack/4 {
		t.Errorf("heap grew by %d bytes between %d and %d sets, want it flat past the limit", late, sets/5, sets)
	}

	rep := m.report()
	overflow := `requests{otel.metric.overflow="true"}`
	for _, d := range defs {
		n := 0
		for _, v := range rep.Values {
			if v.Counter == d.Name {
				n++
			}
		}
		if n != limit+1 {
			t.Errorf("%s: %d series, want the limit %d plus the overflow series", d.Name, n, limit)
		}
		if got := errLog.matching(fmt.Sprintf("counter %q", d.Name), fmt.Sprintf("more than %d series", limit), `otel.metric.overflow="true"`); len(got) != 1 {
			t.Errorf("%s: %d overflow warnings, want one:%s", d.Name, len(got), errLog)
		}
	}
	expect(t, rep, overflow, sets-limit)
	expect(t, rep, `requests{request_id="r-00000000"}`, 1)
	if total, _ := sumOf(rep, "requests"); total != sets {
		t.Errorf("requests add up to %v, want %d", total, sets)
	}
	expect(t, rep, `latency{otel.metric.overflow="true"}`, 0.25)
	expect(t, rep, `latency_max{otel.metric.overflow="true"}`, 0.25)
	if v := value(t, rep, `latency{otel.metric.overflow="true"}`); v.Count != sets-limit {
		t.Errorf("the overflow average stands for %d measurements, want %d", v.Count, sets-limit)
	}
}

// TestAttributeBurst records 10,000 distinct attribute sets within one
// tick, then one more set. The SDK's own cardinality limit (2000 per
// instrument and interval) folds the burst's excess into its
// otel.metric.overflow="true" set before the reader sees it; the reader
// keeps that set as the overflow series it makes itself once its own limit
// is reached, so the report has one overflow key and exact totals.
func TestAttributeBurst(t *testing.T) {
	const sets = 10_000
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "requests", Kind: counters.Event, Events: []string{"req"}},
	)})
	req := mustI64Counter(t, m.meter, "req")
	id := func(i int) metric.AddOption { return metric.WithAttributes(attribute.Int("request_id", i)) }
	for i := range sets {
		req.Add(m.ctx, 2, id(i))
	}
	m.tick(time.Second)
	// A set the reader has not seen, while it holds its limit of series,
	// the SDK's overflow set among them.
	req.Add(m.ctx, 5, id(sets))
	for i := range sets {
		req.Add(m.ctx, 1, id(i))
	}
	m.tick(time.Second)
	rep := m.report()
	const want = 3*sets + 5
	if total, series := sumOf(rep, "requests"); total != want || series > reader.DefaultSeriesLimit+1 {
		t.Errorf("requests add up to %v over %d series, want %d over at most %d", total, series, want, reader.DefaultSeriesLimit+1)
	}
	if v := value(t, rep, `requests{otel.metric.overflow="true"}`); !v.OK || v.V < 3*(sets-reader.DefaultSeriesLimit) {
		t.Errorf("the overflow series holds %v, want at least the %d measurements past the limit", v.V, 3*(sets-reader.DefaultSeriesLimit))
	}
	// The SDK's fold is said once, with its limit (the SDK's default).
	if got := errLog.matching(`instrument "req" of meter "reliability" reached the SDK's cardinality limit of 2000 attribute sets`, "sdkmetric.WithCardinalityLimit"); len(got) != 1 {
		t.Errorf("%d messages about the SDK's limit, want one:%s", len(got), errLog)
	}
}

// TestSDKOverflowSaid: when the SDK's own cardinality limit (here 50, set
// on the provider) folds new attribute sets into its overflow set, one
// message per instrument reaches otel.Handle, naming the instrument, the
// limit and how to raise it, whether a counter listens to the instrument
// or not; the next ticks, overflowing again, say nothing more. Below the
// limit, nothing is said.
func TestSDKOverflowSaid(t *testing.T) {
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{reader.WithCounters(
		counters.Definition{Name: "requests", Kind: counters.Event, Events: []string{"req"}},
	)}, sdkmetric.WithCardinalityLimit(50))
	req := mustI64Counter(t, m.meter, "req")
	lat := mustF64Histogram(t, m.meter, "lat", metric.WithUnit("s"))
	quiet := mustI64Counter(t, m.meter, "quiet")
	id := func(i int) metric.MeasurementOption { return metric.WithAttributes(attribute.Int("request_id", i)) }
	for i := range 49 { // 49 sets and none more: at the limit, not past it
		quiet.Add(m.ctx, 1, id(i))
	}
	for round := range 3 {
		for i := range 200 {
			req.Add(m.ctx, 1, id(round*200+i))
			lat.Record(m.ctx, 0.1, id(round*200+i))
		}
		m.tick(1300 * time.Millisecond)
	}
	for _, name := range []string{"req", "lat"} {
		got := errLog.matching(fmt.Sprintf(`instrument %q of meter "reliability" reached the SDK's cardinality limit of 50 attribute sets`, name),
			`otel.metric.overflow="true"`, "sdkmetric.WithCardinalityLimit", "OTEL_GO_X_CARDINALITY_LIMIT", "reader.WithSeriesLimit")
		if len(got) != 1 {
			t.Errorf("%s: %d messages about the SDK's limit, want one:%s", name, len(got), errLog)
		}
	}
	if got := errLog.matching(`instrument "quiet"`); len(got) != 0 {
		t.Errorf("an instrument below the limit is said to overflow:%s", errLog)
	}
	if total, _ := sumOf(m.report(), "requests"); total != 600 {
		t.Errorf("requests add up to %v, want 600", total)
	}
}
