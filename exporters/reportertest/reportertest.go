package reportertest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// Harness connects the suite to one kind of reporter.
type Harness struct {
	// New makes a fresh reporter for one subtest, and a function that reads
	// back, by report key, the values the reporter output since the previous
	// read (or since it was made): a number, or nil for null or None. When
	// a key was output more than once the latest value counts. Keys that the
	// latest report did not hold may be left out or kept. Metadata keys must
	// be left out. read fails t when the output cannot be read.
	New func(t *testing.T) (rep report.Reporter, read func(t *testing.T) map[string]*float64)
	// Digits is the number of significant digits the output keeps; zero
	// means every float64 must come back exactly.
	Digits int
	// Atomic says that a read sees whole reports only: every value it
	// returns comes from one report, even while reports are being written.
	Atomic bool
}

// Run runs the conformance suite as subtests of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("reportertest: Harness.New is nil")
	}
	t.Run("Values", func(t *testing.T) { testValues(t, h) })
	t.Run("NonFinite", func(t *testing.T) { testNonFinite(t, h) })
	t.Run("Metadata", func(t *testing.T) { testMetadata(t, h) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, h) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, h) })
	t.Run("Many", func(t *testing.T) { testMany(t, h) })
	t.Run("ConcurrentSafe", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("DoneContext", func(t *testing.T) { testDoneContext(t, h) })
}

// reportTime has a fraction of a second, as real collection times do.
var reportTime = time.Unix(1307115164, 880000000)

func num(f float64) counters.Value { return counters.Value{V: f, OK: true, Count: 1} }

func attrs(kvs ...attribute.KeyValue) attribute.Set { return attribute.NewSet(kvs...) }

func value(name string, set attribute.Set, v counters.Value) report.Value {
	return report.Value{Key: report.Key(name, set), Counter: name, Kind: counters.Average, Window: 5 * time.Minute, Attrs: set, Value: v}
}

func newReport(vs ...report.Value) report.Report {
	vs = slices.Clone(vs)
	slices.SortFunc(vs, func(a, b report.Value) int { return strings.Compare(a.Key, b.Key) })
	return report.Report{Time: reportTime, Values: vs}
}

// sample is a report with numbers that are hard to print and keys that are
// hard to quote.
func sample() report.Report {
	none := *attribute.EmptySet()
	return newReport(
		value("requests_time", none, num(0.5893422365193)),
		value("requests_count", none, num(5)),
		value("small", none, num(1e-05)),
		value("large", none, num(123456789012345)),
		value("point_three", none, num(0.1+0.2)),
		value("negative", none, num(-2.75)),
		value("negative_small", none, num(-0.000123456789)),
		value("huge", none, num(1e16)),
		value("zero", none, num(0)),
		value("subnormal", none, num(5e-324)),
		value("max_float", none, num(math.MaxFloat64)),
		value("third", none, num(1.0/3)),
		value("empty", none, counters.Value{}),
		value("requests_time", attrs(attribute.String("path", `/a "quoted" \ path`), attribute.String("method", "GET")), num(0.25)),
		value("requests_time", attrs(attribute.String("note", "two words\nand a newline"), attribute.Int("code", 200)), num(42)),
		value("requests_time", attrs(attribute.String("city", "Zürich"), attribute.Bool("cached", true)), num(7.5e-7)),
		value("requests_time", attrs(attribute.String("path", `/idle "x"`)), counters.Value{}),
	)
}

// expect checks that got holds every non-metadata value of r.
func expect(t *testing.T, h Harness, r report.Report, got map[string]*float64) {
	t.Helper()
	for _, v := range r.Values {
		if report.IsMetadata(v.Key) {
			continue
		}
		g, ok := got[v.Key]
		switch {
		case !ok:
			t.Errorf("key %q missing from the output", v.Key)
		case !v.OK:
			if g != nil {
				t.Errorf("key %q: got %v, want null", v.Key, *g)
			}
		case g == nil:
			t.Errorf("key %q: got null, want %v", v.Key, v.V)
		case !near(h.Digits, *g, v.V):
			t.Errorf("key %q: got %v, want %v (%d significant digits)", v.Key, *g, v.V, h.Digits)
		}
	}
}

func near(digits int, got, want float64) bool {
	if digits == 0 || got == want {
		return got == want
	}
	return math.Abs(got-want) <= math.Abs(want)*math.Pow(10, float64(1-digits))
}

func mustReport(t *testing.T, rep report.Reporter, r report.Report) {
	t.Helper()
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatalf("Report: %v", err)
	}
}

func testValues(t *testing.T, h Harness) {
	rep, read := h.New(t)
	r := sample()
	mustReport(t, rep, r)
	got := read(t)
	expect(t, h, r, got)
	if len(got) != len(r.Values) {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Errorf("output has %d keys, want %d: %q", len(got), len(r.Values), keys)
	}
}

func testNonFinite(t *testing.T, h Harness) {
	rep, read := h.New(t)
	none := *attribute.EmptySet()
	r := newReport(
		value("nan", none, num(math.NaN())),
		value("inf", none, num(math.Inf(1))),
		value("minus_inf", none, num(math.Inf(-1))),
		value("finite", none, num(1.5)),
	)
	mustReport(t, rep, r)
	got := read(t)
	for _, v := range r.Values {
		g, ok := got[v.Key]
		if !ok {
			t.Errorf("key %q missing from the output", v.Key)
			continue
		}
		if math.IsNaN(v.V) || math.IsInf(v.V, 0) {
			// Formats without non-finite numbers (JSON) write null.
			if g != nil && !(math.IsNaN(*g) && math.IsNaN(v.V)) && *g != v.V {
				t.Errorf("key %q: got %v, want %v or null", v.Key, *g, v.V)
			}
			continue
		}
		if g == nil || *g != v.V {
			t.Errorf("key %q: got %v, want %v", v.Key, g, v.V)
		}
	}
}

func testMetadata(t *testing.T, h Harness) {
	rep, read := h.New(t)
	none := *attribute.EmptySet()
	r := newReport(
		value("__extra__", none, num(3)),
		value("visible", none, num(4)),
	)
	mustReport(t, rep, r)
	got := read(t)
	expect(t, h, r, got)
	for k := range got {
		if report.IsMetadata(k) {
			t.Errorf("metadata key %q came out as a value", k)
		}
	}
}

func testEmpty(t *testing.T, h Harness) {
	rep, read := h.New(t)
	mustReport(t, rep, report.Report{Time: reportTime})
	if got := read(t); len(got) != 0 {
		t.Errorf("an empty report output %d values: %v", len(got), got)
	}
}

func testReplace(t *testing.T, h Harness) {
	rep, read := h.New(t)
	none := *attribute.EmptySet()
	first := newReport(value("a", none, num(1)), value("b", none, counters.Value{}), value("c", none, num(3)))
	second := newReport(value("a", none, num(10)), value("b", none, num(20)), value("c", none, counters.Value{}))
	second.Time = first.Time.Add(5 * time.Minute)
	mustReport(t, rep, first)
	expect(t, h, first, read(t))
	mustReport(t, rep, second)
	expect(t, h, second, read(t))
}

func testMany(t *testing.T, h Harness) {
	rep, read := h.New(t)
	vs := make([]report.Value, 1000)
	for i := range vs {
		set := attrs(attribute.Int("shard", i))
		vs[i] = value("sharded", set, num(float64(i)/7))
	}
	r := newReport(vs...)
	mustReport(t, rep, r)
	got := read(t)
	expect(t, h, r, got)
	if len(got) != len(vs) {
		t.Errorf("output has %d keys, want %d", len(got), len(vs))
	}
}

func testConcurrent(t *testing.T, h Harness) {
	rep, read := h.New(t)
	const writers, reports, keys = 4, 20, 8
	// Report i of writer w holds w*1000+i under every key, so a value
	// names the report that wrote it.
	make1 := func(w, i int) report.Report {
		vs := make([]report.Value, keys)
		for k := range vs {
			vs[k] = value(fmt.Sprintf("key_%d", k), *attribute.EmptySet(), num(float64(w*1000+i)))
		}
		r := newReport(vs...)
		r.Time = reportTime.Add(time.Duration(w*1000+i) * time.Second)
		return r
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*reports)
	for w := range writers {
		wg.Go(func() {
			for i := range reports {
				if err := rep.Report(t.Context(), make1(w, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Report: %v", err)
	}
	got := read(t)
	seen := map[float64]bool{}
	for k := range keys {
		key := fmt.Sprintf("key_%d", k)
		g, ok := got[key]
		if !ok || g == nil {
			t.Errorf("key %q: missing or null after concurrent reports", key)
			continue
		}
		w, i := int(*g)/1000, int(*g)%1000
		if *g != float64(int(*g)) || w >= writers || i >= reports {
			t.Errorf("key %q: %v is no value any report wrote", key, *g)
		}
		seen[*g] = true
	}
	if h.Atomic && len(seen) > 1 {
		t.Errorf("one read mixes values of %d reports: %v", len(seen), seen)
	}
}

func testDoneContext(t *testing.T, h Harness) {
	rep, read := h.New(t)
	r := sample()
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), reportTime)
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"cancelled", cancelled, context.Canceled}, {"expired", expired, context.DeadlineExceeded}} {
		done := make(chan error, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- fmt.Errorf("panic: %v", p)
				}
			}()
			done <- rep.Report(c.ctx, r)
		}()
		timer := time.NewTimer(10 * time.Second)
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, c.want) {
				t.Errorf("%s context: Report returned %v, want nil or an error wrapping %v", c.name, err, c.want)
			}
		case <-timer.C:
			t.Fatalf("%s context: Report did not return within 10s", c.name)
		}
		timer.Stop()
	}
	// Whatever a done context left behind, the reporter still works.
	next := newReport(value("after", *attribute.EmptySet(), num(2)))
	mustReport(t, rep, next)
	expect(t, h, next, read(t))
}
