package httpjson

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

func reportOf(t time.Time, n int, f float64) report.Report {
	r := report.Report{Time: t, Values: make([]report.Value, n)}
	for i := range r.Values {
		r.Values[i] = report.Value{Key: "c" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Kind: counters.Max, Value: counters.Value{V: f, OK: true}}
	}
	return r
}

func TestHistoryRing(t *testing.T) {
	base := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	h := newHistory(5)
	for i := range 12 {
		if !h.record(reportOf(base.Add(time.Duration(i)*time.Second), 3, float64(i)), false) {
			t.Fatalf("report %d not kept", i)
		}
	}
	all := h.since(math.Inf(-1))
	if len(all) != 5 || !all[0].time.Equal(base.Add(7*time.Second)) || all[4].vals[0] != 11 {
		t.Fatalf("kept %d reports from %v, want the last 5", len(all), all[0].time)
	}
	// One description for reports with the same series.
	for _, e := range all[1:] {
		if e.layout != all[0].layout {
			t.Error("reports with the same keys do not share their layout")
		}
	}
	if h.record(reportOf(base.Add(11*time.Second), 3, 99), false) || h.record(reportOf(base, 3, 99), false) {
		t.Error("a report not newer than the newest was kept")
	}
	if got := h.since(report.UnixSeconds(base.Add(9 * time.Second))); len(got) != 2 || got[0].vals[0] != 10 {
		t.Errorf("since the 10th: %d reports", len(got))
	}

	// The bound on numbers: fewer reports when they are large.
	h = newHistory(100)
	h.maxValues = 10
	for i := range 6 {
		h.record(reportOf(base.Add(time.Duration(i)*time.Second), 4, float64(i)), false)
	}
	if got := h.since(math.Inf(-1)); len(got) != 2 || h.values != 8 || got[1].vals[0] != 5 {
		t.Errorf("with at most 10 numbers: %d reports of 4, %d numbers held", len(got), h.values)
	}
	h.record(reportOf(base.Add(time.Hour), 25, 1), false) // larger than the bound: kept alone
	if got := h.since(math.Inf(-1)); len(got) != 1 || h.values != 25 {
		t.Errorf("a report above the bound: %d reports, %d numbers", len(got), h.values)
	}
	// Series that change get a description of their own.
	h.record(reportOf(base.Add(2*time.Hour), 24, 1), false)
	if got := h.since(math.Inf(-1)); len(got) != 1 || len(got[0].layout.values) != 24 {
		t.Errorf("after a change of series: %+v", got)
	}
}

func TestHistoryEmptyValues(t *testing.T) {
	r := report.Report{Time: time.Unix(1, 0), Values: []report.Value{
		{Key: "a"}, {Key: "b", Value: counters.Value{V: math.NaN(), OK: true}},
		{Key: "c", Value: counters.Value{V: math.Inf(1), OK: true}}, {Key: "d", Value: counters.Value{V: -2.5, OK: true}},
	}}
	h := newHistory(1)
	h.record(r, false)
	b := buildHistory(h.since(0), config{}, 1)
	var got []string
	for _, c := range b.Counters {
		got = append(got, string(c.Series[0].Lines[0].Values))
	}
	if strings.Join(got, " ") != "[null] [null] [null] [-2.5]" {
		t.Errorf("values %q: empty, NaN and infinity must read as null", got)
	}
}

// TestDescribeMatchesKey checks, on random attribute values, that the page
// reads back from a report key the attributes report.Key wrote into it: the
// only way a merged report's values carry their attributes.
func TestDescribeMatchesKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 4))
	alphabet := []string{"a", "Z", "0", " ", `"`, `\`, "\n", "{", "}", ",", "=", `="`, "<", ">", "&", "é", "\x00", "\xff", "\xe2\x82", "✓", "\\x41"}
	for i := range 2000 {
		n := 1 + rng.IntN(3)
		kvs := make([]attribute.KeyValue, n)
		for j := range kvs {
			var b strings.Builder
			for range rng.IntN(8) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			kvs[j] = attribute.String(string(rune('k'+j)), b.String())
		}
		set := attribute.NewSet(kvs...)
		name := "requests_time"
		kind, q := counters.AverageTime, 0.0
		if i%2 == 1 {
			name, kind, q = "lat.p99", counters.Percentiles, 0.99
		}
		key := report.Key(name, set)
		for _, v := range []report.Value{
			{Key: key, Counter: strings.TrimSuffix(name, ".p99"), Kind: kind, Attrs: set, Quantile: q}, // from a reader
			{Key: key, Counter: name, Kind: kind, Quantile: q},                                         // from a merge: the key alone
		} {
			d := describe(v)
			if d.counter != strings.TrimSuffix(name, ".p99") || d.series != d.counter+report.Key("", set) {
				t.Fatalf("%q: counter %q, series %q", key, d.counter, d.series)
			}
			if len(d.attrs) != set.Len() {
				t.Fatalf("%q: attributes %q", key, d.attrs)
			}
			for j, kv := range set.ToSlice() {
				want := strings.ToValidUTF8(kv.Value.Emit(), string(utf8.RuneError))
				if d.attrs[j] != [2]string{string(kv.Key), want} {
					t.Fatalf("%q: attribute %d = %q, want %q=%q", key, j, d.attrs[j], kv.Key, want)
				}
			}
		}
	}
	// Keys that are not name{k="v"}: the whole key names the counter.
	for _, key := range []string{`a{`, `a{}`, `a{k}`, `a{k="v}`, `a{k="v"x}`, `a{k="\q"}`, `a{k="\x4"}`, `{k="v"}`} {
		if d := describe(report.Value{Key: key}); d.counter != key || d.attrs != nil || d.series != key {
			t.Errorf("%q: %+v", key, d)
		}
	}
}

func TestHistoryConcurrentSafe(t *testing.T) {
	h := newHistory(50)
	base := time.Unix(1_800_000_000, 0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				h.record(reportOf(base.Add(time.Duration(i*4+g)*time.Millisecond), 5, 1), g%2 == 0)
				_ = buildHistory(h.since(float64(i)), config{history: 50}, 1)
			}
		})
	}
	wg.Wait()
	got := h.since(math.Inf(-1))
	if len(got) > 50 || len(got) == 0 {
		t.Fatalf("%d reports kept, want 1 to 50", len(got))
	}
	for i := 1; i < len(got); i++ {
		if !got[i].time.After(got[i-1].time) {
			t.Fatal("the history is not in time order")
		}
	}
}
