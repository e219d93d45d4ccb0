package host_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/internal/fakeclock"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// fakeClock moves only when told to.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }

// mergeable lists counters of every kind with a merge rule, on a duration
// histogram (timed events), a value histogram and an OTel counter, and a
// percentiles counter, whose mean and quantiles merge (the quantiles from
// the buckets the files carry). Last is left out: merged last values add up
// (statvent's summed gauges), which is not what one process would report.
var mergeable = []counters.Definition{
	{Name: "latency_avg", Kind: counters.AverageTime, Events: []string{"latency"}},
	{Name: "latency_max", Kind: counters.Max, Events: []string{"latency"}},
	{Name: "latency_min", Kind: counters.Min, Events: []string{"latency"}},
	{Name: "latency_events", Kind: counters.Event, Events: []string{"latency"}},
	{Name: "latency_rate", Kind: counters.Frequency, Events: []string{"latency"}},
	{Name: "latency_count", Kind: counters.Count, Events: []string{"latency"}},
	{Name: "size_avg", Kind: counters.Average, Events: []string{"size"}},
	{Name: "size_total", Kind: counters.Total, Events: []string{"size"}},
	{Name: "size_window", Kind: counters.WindowSum, Events: []string{"size"}},
	{Name: "size_max", Kind: counters.Max, Events: []string{"size"}},
	{Name: "size_pct", Kind: counters.Percentiles, Events: []string{"size"}},
	{Name: "hits", Kind: counters.Event, Events: []string{"hits"}},
	{Name: "hits_rate", Kind: counters.Frequency, Events: []string{"hits"}},
	{Name: "hits_window", Kind: counters.WindowSum, Events: []string{"hits"}},
}

// proc is one simulated process: a manual reader on a fake clock, its
// MeterProvider and instruments.
type proc struct {
	r       *reader.Reader
	mp      *sdkmetric.MeterProvider
	latency metric.Float64Histogram
	size    metric.Float64Histogram
	hits    metric.Int64Counter
}

func newProc(clock *fakeClock, defs ...counters.Definition) (*proc, error) {
	if defs == nil {
		defs = mergeable
	}
	r := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(clock.Now), reader.WithCounters(defs...))
	p := &proc{r: r, mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))}
	m := p.mp.Meter("host_test")
	var errs [3]error
	p.latency, errs[0] = m.Float64Histogram("latency", metric.WithUnit("s"))
	p.size, errs[1] = m.Float64Histogram("size")
	p.hits, errs[2] = m.Int64Counter("hits")
	return p, errors.Join(errs[:]...)
}

// event is one measurement: on which instrument, with which value and
// attributes.
type event struct {
	inst  int // 0 latency, 1 size, 2 hits
	v     float64
	attrs attribute.Set
}

func (p *proc) record(ctx context.Context, e event) {
	opt := metric.WithAttributeSet(e.attrs)
	switch e.inst {
	case 0:
		p.latency.Record(ctx, e.v, opt)
	case 1:
		p.size.Record(ctx, e.v, opt)
	default:
		p.hits.Add(ctx, int64(e.v), opt)
	}
}

var seriesAttrs = []attribute.Set{
	*attribute.EmptySet(),
	attribute.NewSet(attribute.String("method", "GET")),
	attribute.NewSet(attribute.String("method", "POST"), attribute.Int("code", 500)),
}

// busyEvents draws one busy process's events, tick by tick: for every
// instrument and series it uses, a power-of-two number of events (so that
// the process's averages are exact) of dyadic values (so that every sum is
// exact), always including the series without attributes (so that no
// process reports a counter's bare name where the all-seeing process would
// not).
func busyEvents(rng *rand.Rand, ticks int) [][]event {
	out := make([][]event, ticks)
	for inst := range 3 {
		for s, attrs := range seriesAttrs {
			if s > 0 && rng.IntN(2) == 0 {
				continue
			}
			for range 1 << rng.IntN(4) {
				v := float64(rng.IntN(6400)+1) / 64
				if inst == 2 {
					v = float64(rng.IntN(10) + 1)
				}
				tick := rng.IntN(ticks)
				out[tick] = append(out[tick], event{inst, v, attrs})
			}
		}
	}
	return out
}

// ticks is the length of every simulated run: a power of two of seconds,
// so that rates over it are exact.
const ticks = 64

// run runs events through a fresh process on its own fake clock, which
// starts where every other simulated process's starts, and returns its
// report at the end. The events of several processes given together are
// those of one process that saw them all.
func run(events ...[][]event) (report.Report, error) {
	ctx := context.Background()
	clock := newFakeClock()
	p, err := newProc(clock)
	defer func() { _ = p.mp.Shutdown(ctx) }()
	if err != nil {
		return report.Report{}, err
	}
	for tick := range ticks {
		for _, evs := range events {
			for _, e := range evs[tick] {
				p.record(ctx, e)
			}
		}
		clock.Advance(time.Second)
		if err := p.r.Tick(ctx); err != nil {
			return report.Report{}, err
		}
	}
	return p.r.Report(ctx)
}

func simulate(t *testing.T, events ...[][]event) report.Report {
	t.Helper()
	r, err := run(events...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// endTime is the time of every simulated report.
func endTime() time.Time { return newFakeClock().Now().Add(ticks * time.Second) }

func writeReport(t *testing.T, dir, name string, r report.Report) {
	t.Helper()
	rep, err := host.NewReporter(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Report(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// TestMergeEqualsOneProcess is the property: the merge of the reports of N
// processes equals the report of one process that saw all their events,
// exactly, for every kind with a merge rule. One of the processes stays
// idle.
func TestMergeEqualsOneProcess(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			n := 3 + rng.IntN(4)
			events := make([][][]event, n)
			for i := range n - 1 {
				events[i] = busyEvents(rng, ticks)
			}
			events[n-1] = make([][]event, ticks) // idle
			dir := t.TempDir()
			parts := make([]report.Report, n)
			for i, evs := range events {
				parts[i] = simulate(t, evs)
				writeReport(t, dir, fmt.Sprintf("worker%d", i), parts[i])
			}
			res, err := host.Merge(dir, host.WithClock(at(endTime())))
			if err != nil {
				t.Fatal(err)
			}
			if res.Included() != n {
				t.Fatalf("merged %d of %d reports; sources %+v", res.Included(), n, res.Sources)
			}
			if merged := checkMerge(t, res, parts, simulate(t, events...)); merged == 0 {
				t.Error("no quantile in several processes: the workload tests less than it should")
			}
		})
	}
}

// checkMerge checks that res, the merge of the reports parts, equals all,
// the report of one process that saw all their events, every key of it,
// quantiles included (merged from the buckets the files carry: the same
// buckets as the one process's, so the same values). It returns the number
// of quantiles that several parts had a value for.
func checkMerge(t *testing.T, res *host.Result, parts []report.Report, all report.Report) int {
	t.Helper()
	have := map[string]int{} // parts with a value, by key
	for _, r := range parts {
		for _, v := range r.Values {
			if v.OK {
				have[v.Key]++
			}
		}
	}
	merged := 0
	for _, v := range all.Values {
		if v.Kind == counters.Percentiles && v.Quantile != 0 && have[v.Key] > 1 {
			merged++
		}
	}
	if len(res.Unmerged) != 0 {
		t.Errorf("unmerged %q, want none", res.Unmerged)
	}
	sameValues(t, res.Report, all)
	return merged
}

// sameValues checks that got holds exactly want's keys, kinds and values.
func sameValues(t *testing.T, got, want report.Report) {
	t.Helper()
	if len(got.Values) != len(want.Values) {
		t.Errorf("merged report has %d keys, one process %d:\n%v\n%v", len(got.Values), len(want.Values), keysOf(got), keysOf(want))
	}
	for _, w := range want.Values {
		g, ok := got.Lookup(w.Key)
		switch {
		case !ok:
			t.Errorf("%s missing from the merged report", w.Key)
		case g.Kind != w.Kind || g.Quantile != w.Quantile:
			t.Errorf("%s: kind %v, want %v", w.Key, g.Kind, w.Kind)
		case g.OK != w.OK || g.V != w.V && !(w.Kind == counters.Frequency && math.Abs(g.V-w.V) <= 1e-12*math.Abs(w.V)):
			// Merged rates are events over time: exact but for rounding.
			t.Errorf("%s (%v): merged %v (ok %v), one process %v (ok %v)", w.Key, w.Kind, g.V, g.OK, w.V, w.OK)
		case (w.Kind == counters.Average || w.Kind == counters.AverageTime || w.Kind == counters.Percentiles && w.Quantile == 0) && g.Count != w.Count:
			t.Errorf("%s: merged count %d, one process %d", w.Key, g.Count, w.Count)
		}
	}
}

func keysOf(r report.Report) []string {
	ks := make([]string, len(r.Values))
	for i, v := range r.Values {
		ks[i] = v.Key
	}
	return ks
}

// shortWindows are the mergeable counters with a 16 s window, so that a
// run of 64 ticks has processes both younger and older than their window.
func shortWindows() []counters.Definition {
	defs := slices.Clone(mergeable)
	for i := range defs {
		if defs[i].Kind.Windowed() {
			defs[i].Window = 16 * time.Second
		}
	}
	return defs
}

// runFrom runs events through a process started start ticks after the
// others' common origin (it hears the events of its ticks only) and returns
// its report at the end of the run.
func runFrom(start int, defs []counters.Definition, events ...[][]event) (report.Report, error) {
	ctx := context.Background()
	clock := newFakeClock()
	clock.Advance(time.Duration(start) * time.Second)
	p, err := newProc(clock, defs...)
	defer func() { _ = p.mp.Shutdown(ctx) }()
	if err != nil {
		return report.Report{}, err
	}
	for tick := start; tick < ticks; tick++ {
		for _, evs := range events {
			for _, e := range evs[tick] {
				p.record(ctx, e)
			}
		}
		clock.Advance(time.Second)
		if err := p.r.Tick(ctx); err != nil {
			return report.Report{}, err
		}
	}
	return p.r.Report(ctx)
}

// TestMergeStartedApart: processes that started at different times (whole
// ticks apart, as processes ticking at the same instants are), some younger
// than their window and some older, merge into the report of one process
// that started with the first of them and saw every event. Rates are every
// event over the time the oldest window covers, not a sum of young rates.
func TestMergeStartedApart(t *testing.T) {
	defs := shortWindows()
	young, quantiles := 0, 0
	for seed := range uint64(16) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			n := 2 + rng.IntN(4)
			events := make([][][]event, n)
			starts := make([]int, n)
			first := ticks
			for i := range n {
				starts[i] = rng.IntN(ticks - 1)
				if i == 0 && rng.IntN(2) == 0 {
					starts[i] = ticks - 1 - rng.IntN(8) // a process younger than the window
				}
				first = min(first, starts[i])
				events[i] = busyEvents(rng, ticks)
				for tick := range starts[i] { // nothing before it started
					events[i][tick] = nil
				}
				// The series without attributes of every instrument, so
				// that no process reports a counter's bare name empty
				// where the all-seeing process has only other series.
				for inst := range 3 {
					events[i][starts[i]] = append(events[i][starts[i]], event{inst, 2, seriesAttrs[0]})
				}
				if ticks-starts[i] < 16 {
					young++
				}
			}
			dir := t.TempDir()
			parts := make([]report.Report, n)
			for i, evs := range events {
				var err error
				if parts[i], err = runFrom(starts[i], defs, evs); err != nil {
					t.Fatal(err)
				}
				writeReport(t, dir, fmt.Sprintf("worker%d", i), parts[i])
			}
			res, err := host.Merge(dir, host.WithClock(at(endTime())))
			if err != nil {
				t.Fatal(err)
			}
			if res.Included() != n {
				t.Fatalf("merged %d of %d reports", res.Included(), n)
			}
			all, err := runFrom(first, defs, events...)
			if err != nil {
				t.Fatal(err)
			}
			quantiles += checkMerge(t, res, parts, all)
		})
	}
	if quantiles == 0 {
		t.Error("no quantile in several processes")
	}
	if young == 0 {
		t.Error("no process younger than its window")
	}
}

// Files without covered times (earlier versions) still merge rates as
// sums, as they did.
func TestMergeRatesWithoutCovered(t *testing.T) {
	dir := t.TempDir()
	for i, body := range []string{
		`{"r": 2, "__collection_time__": 100, "__pid__": 11, "__counters__": {"r": {"kind": "frequency"}}}`,
		`{"r": 3, "__collection_time__": 100, "__pid__": 12, "__counters__": {"r": {"kind": "frequency", "covered": 10}}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("w.%d.json", 11+i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := host.Merge(dir, host.WithoutPIDCheck(), host.WithMaxAge(0))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res.Report.Lookup("r"); !ok || v.V != 5 {
		t.Errorf("r = %+v, want the sum 5", v)
	}
}

// Quantiles merge only from buckets every process gave and that decode: a
// file without them (an earlier version) or with broken ones leaves the
// quantile unmerged, as before, and breaks nothing else.
func TestMergeQuantilesBadBuckets(t *testing.T) {
	good := func() string {
		h := counters.Histogram{Scale: counters.DefaultScale}
		h.Insert(4, 1)
		d := counters.Distribution{Histogram: h, Count: 1, Min: 4, Max: 4}
		return base64.StdEncoding.EncodeToString(d.AppendBinary(nil))
	}()
	for name, other := range map[string]string{
		"no buckets":      `"p.mean": {"kind": "percentiles", "count": 1}`,
		"not base64":      `"p.mean": {"kind": "percentiles", "count": 1, "buckets": "!!!"}`,
		"broken encoding": `"p.mean": {"kind": "percentiles", "count": 1, "buckets": "AQEAAAAAAAAQQAAAAAAAABBAAAAB"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for i, meta := range []string{`"p.mean": {"kind": "percentiles", "count": 1, "buckets": "` + good + `"}`, other} {
				body := `{"p.p50": 4, "p.mean": 4, "__collection_time__": 100, "__pid__": ` + fmt.Sprint(11+i) +
					`, "__counters__": {"p.p50": {"kind": "percentiles", "quantile": 0.5}, ` + meta + `}}`
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("w.%d.json", 11+i)), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, err := host.Merge(dir, host.WithoutPIDCheck(), host.WithMaxAge(0))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Unmerged, []string{"p.p50"}) {
				t.Errorf("unmerged %q, want p.p50", res.Unmerged)
			}
			if v, ok := res.Report.Lookup("p.mean"); !ok || v.V != 4 || v.Count != 2 {
				t.Errorf("p.mean = %+v, want 4 of 2", v)
			}
		})
	}
	// Both with good buckets: the quantile merges.
	dir := t.TempDir()
	for i := range 2 {
		body := `{"p.p50": 4, "p.mean": 4, "__collection_time__": 100, "__pid__": ` + fmt.Sprint(11+i) +
			`, "__counters__": {"p.p50": {"kind": "percentiles", "quantile": 0.5}, "p.mean": {"kind": "percentiles", "count": 1, "buckets": "` + good + `"}}}`
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("w.%d.json", 11+i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := host.Merge(dir, host.WithoutPIDCheck(), host.WithMaxAge(0))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res.Report.Lookup("p.p50"); !ok || v.V != 4 || v.Count != 2 || len(res.Unmerged) != 0 {
		t.Errorf("p.p50 = %+v (unmerged %q), want 4 of 2", v, res.Unmerged)
	}
}
