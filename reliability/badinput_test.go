package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// valueCounters listens with the usual kinds to the event "v".
func valueCounters() reader.Option {
	ev := []string{"v"}
	return reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "total", Kind: counters.Total, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "avg", Kind: counters.Average, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "max", Kind: counters.Max, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "min", Kind: counters.Min, Events: ev},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "sum", Kind: counters.WindowSum, Events: ev},
	)
}

var other = metric.WithAttributes(attribute.String("s", "other"))

// NaN and the infinities recorded into a histogram with the reader's
// default aggregation (base-2 exponential) are dropped by the SDK itself,
// silently: the finite values of the same interval count as if they were
// alone.
func TestNonFiniteHistogramValuesDropped(t *testing.T) {
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{valueCounters()})
	v := mustF64Histogram(t, m.meter, "v")
	for _, x := range []float64{2, math.NaN(), math.Inf(1), 6, math.Inf(-1)} {
		v.Record(m.ctx, x)
	}
	m.tick(time.Second)
	rep := m.report()
	for key, want := range map[string]float64{"total": 8, "avg": 4, "max": 6, "min": 2, "sum": 8} {
		expect(t, rep, key, want)
	}
	if n := len(errLog.matching()); n != 0 {
		t.Errorf("%d errors for values the SDK drops:%s", n, errLog)
	}
}

// With explicit buckets (the SDK's default aggregation, which the reader
// takes when an exporter given with WithExporter asks for it), the SDK
// keeps NaN and infinities in the interval's sum, min and max: the reader
// leaves that interval of that series out for every counter, says so once
// per counter through otel.Handle, and counts later intervals again. Other
// series are not touched. A counter instrument behaves the same way with
// reader.WithDeltaSums: one NaN increment loses its series' whole interval
// (by default sums are cumulative: see the next test).
func TestNonFiniteIntervalsLeftOut(t *testing.T) {
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{
		valueCounters(),
		reader.WithDeltaSums(),
		reader.WithHistogramAggregation(sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{1, 10}}),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "c_total", Kind: counters.Total, Events: []string{"c"}}),
	})
	v := mustF64Histogram(t, m.meter, "v")
	c := mustF64Counter(t, m.meter, "c")
	v.Record(m.ctx, 3)
	v.Record(m.ctx, 5, other)
	c.Add(m.ctx, 1)
	m.tick(time.Second)
	for i, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		v.Record(m.ctx, 100)
		v.Record(m.ctx, bad)
		v.Record(m.ctx, 7, other)
		c.Add(m.ctx, 100)
		c.Add(m.ctx, bad)
		m.tick(time.Second)
		rep := m.report()
		for key, want := range map[string]float64{
			"total": 3, "avg": 3, "max": 3, "min": 3, "sum": 3, "c_total": 1,
			`total{s="other"}`: 5 + 7*float64(i+1), `max{s="other"}`: 7,
		} {
			expect(t, rep, key, want)
		}
	}
	for _, name := range []string{"total", "avg", "max", "min", "sum", "c_total"} {
		if got := errLog.matching(`counter "`+name+`"`, "NaN or infinite values was left out"); len(got) != 1 {
			t.Errorf("%s: %d warnings, want one:%s", name, len(got), errLog)
		}
	}
	v.Record(m.ctx, 9)
	c.Add(m.ctx, 2)
	m.tick(time.Second)
	rep := m.report()
	for key, want := range map[string]float64{"total": 12, "avg": 6, "max": 9, "min": 3, "sum": 12, "c_total": 3} {
		expect(t, rep, key, want)
	}
}

// By default, and so also with an exporter (reader.WithExporter), the SDK keeps counter instruments' sums cumulative, as the service's own
// cumulative export always did: a float counter that once adds NaN or an
// infinity stays so for good, and the counters on it keep their last good
// value, with one warning. Integer counters and histograms are not
// affected.
func TestNonFiniteCounterUnderCumulativeExport(t *testing.T) {
	for name, cumulative := range map[string]reader.Option{
		"exporter": reader.WithExporter(&exporter{cum: true}, time.Hour),
		"default":  reader.WithTick(time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			errLog := captureErrors(t)
			m := newManual(t, []reader.Option{
				cumulative,
				reader.WithCounters(
					counters.Definition{By: []string{counters.AllAttributes}, Name: "f_total", Kind: counters.Total, Events: []string{"f"}},
					counters.Definition{By: []string{counters.AllAttributes}, Name: "i_total", Kind: counters.Total, Events: []string{"i"}},
					counters.Definition{By: []string{counters.AllAttributes}, Name: "v_total", Kind: counters.Total, Events: []string{"v"}},
				),
			})
			f := mustF64Counter(t, m.meter, "f")
			i := mustI64Counter(t, m.meter, "i")
			v := mustF64Histogram(t, m.meter, "v")
			f.Add(m.ctx, 1.5)
			m.tick(time.Second)
			f.Add(m.ctx, math.NaN())
			v.Record(m.ctx, math.NaN())
			m.tick(time.Second)
			for range 3 {
				f.Add(m.ctx, 2)
				i.Add(m.ctx, 3)
				v.Record(m.ctx, 4)
				m.tick(time.Second)
			}
			rep := m.report()
			expect(t, rep, "f_total", 1.5)
			expect(t, rep, "i_total", 9)
			expect(t, rep, "v_total", 12)
			if got := errLog.matching(`counter "f_total"`, "NaN or infinite"); len(got) != 1 {
				t.Errorf("%d warnings for f_total, want one:%s", len(got), errLog)
			}
		})
	}
}

// The SDK does not reject negative increments of a counter instrument
// (the API says increments are non-negative, and leaves checking to no
// one): running totals, window sums and rates take them as given and can
// go down. Negative values of a histogram are ordinary values, and a
// negative duration still counts as one timed event.
func TestNegativeValues(t *testing.T) {
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{valueCounters(), reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "i_total", Kind: counters.Event, Events: []string{"i"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "f_total", Kind: counters.Total, Events: []string{"f"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "f_sum", Kind: counters.WindowSum, Events: []string{"f"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "d_events", Kind: counters.Event, Events: []string{"d"}},
		counters.Definition{By: []string{counters.AllAttributes}, Name: "d_avg", Kind: counters.AverageTime, Events: []string{"d"}},
	)})
	i := mustI64Counter(t, m.meter, "i")
	f := mustF64Counter(t, m.meter, "f")
	v := mustF64Histogram(t, m.meter, "v")
	d := mustF64Histogram(t, m.meter, "d", metric.WithUnit("s"))
	i.Add(m.ctx, 5)
	i.Add(m.ctx, -7)
	f.Add(m.ctx, 1.5)
	f.Add(m.ctx, -4)
	v.Record(m.ctx, -3)
	v.Record(m.ctx, 1)
	d.Record(m.ctx, -0.5)
	d.Record(m.ctx, 1.5)
	m.tick(time.Second)
	rep := m.report()
	for key, want := range map[string]float64{
		"i_total": -2, "f_total": -2.5, "f_sum": -2.5,
		"total": -2, "avg": -1, "max": 1, "min": -3, "sum": -2,
		"d_events": 2, "d_avg": 0.5,
	} {
		expect(t, rep, key, want)
	}
	if n := len(errLog.matching()); n != 0 {
		t.Errorf("%d errors for negative values:%s", n, errLog)
	}
}

// Huge values: a sum that overflows float64 within one interval makes the
// interval non-finite, which is left out with a warning; sums that
// overflow only across intervals read +Inf, which the JSON file writes as
// null and the log line as inf; a running total that overflowed stays
// +Inf. Integer counters wrap around as Go's int64 does in the SDK.
func TestHugeValues(t *testing.T) {
	errLog := captureErrors(t)
	m := newManual(t, []reader.Option{valueCounters(), reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "i_total", Kind: counters.Total, Events: []string{"i"}},
	)})
	v := mustF64Histogram(t, m.meter, "v")
	v.Record(m.ctx, 1e308)
	v.Record(m.ctx, 1e308)
	m.tick(time.Second)
	rep := m.report()
	for _, key := range []string{"total", "avg", "max", "min"} {
		expect(t, rep, key, null)
	}
	expect(t, rep, "sum", 0)
	if got := errLog.matching(`counter "total"`, "NaN or infinite"); len(got) != 1 {
		t.Errorf("%d warnings for the overflowing interval, want one:%s", len(got), errLog)
	}

	// One per interval: each interval is finite, their sum is not.
	v.Record(m.ctx, 1e308)
	m.tick(time.Second)
	v.Record(m.ctx, 1e308)
	m.tick(time.Second)
	rep = m.report()
	for key, want := range map[string]float64{
		"total": math.Inf(1), "sum": math.Inf(1), "avg": math.Inf(1), "max": 1e308, "min": 1e308,
	} {
		expect(t, rep, key, want)
	}
	out := rep.AppendJSON(nil)
	snap, err := jsonfile.Parse(out)
	if err != nil {
		t.Fatalf("JSON with infinite values %s: %v", out, err)
	}
	if snap.Values["sum"] != nil || snap.Values["max"] == nil || *snap.Values["max"] != 1e308 {
		t.Errorf("JSON %s: want sum null and max 1e308", out)
	}
	var logged bytes.Buffer
	lr := slogreport.New(slog.New(slog.NewTextHandler(&logged, nil)))
	if err := lr.Report(m.ctx, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), `msg="sum inf"`) {
		t.Errorf("log lines %s: want sum as inf", logged.String())
	}
	v.Record(m.ctx, -1e308)
	m.tick(time.Second)
	expect(t, m.report(), "total", math.Inf(1))

	i := mustI64Counter(t, m.meter, "i")
	i.Add(m.ctx, math.MaxInt64)
	i.Add(m.ctx, 1)
	m.tick(time.Second)
	wrapped := int64(math.MaxInt64)
	wrapped++ // what the SDK's int64 sum does
	expect(t, m.report(), "i_total", float64(wrapped))
}

// Instrument names: the SDK returns ErrInstrumentName for an empty name, a
// name longer than 255 characters or one with characters outside
// [A-Za-z0-9_.-/], but still returns a working instrument, whose
// measurements a counter listening to that name hears. A counter cannot
// listen to an empty name. Long names work end to end: counter names have
// no length limit of their own, and the JSON file and log lines carry them
// whole.
func TestNames(t *testing.T) {
	m := newManual(t, nil)
	invalid := []string{strings.Repeat("n", 256), "1starts_with_digit", "has space"}
	for i, name := range append([]string{""}, invalid...) {
		inst, err := m.meter.Int64Counter(name)
		if !errors.Is(err, sdkmetric.ErrInstrumentName) {
			t.Errorf("Int64Counter(%.20q): error %v, want ErrInstrumentName", name, err)
		}
		if inst == nil {
			t.Fatalf("Int64Counter(%.20q): no instrument", name)
		}
		if name == "" {
			inst.Add(m.ctx, 1) // goes nowhere, and must not fail
			continue
		}
		if err := m.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: fmt.Sprintf("heard%d", i), Kind: counters.Event, Events: []string{name}}); err != nil {
			t.Fatal(err)
		}
		inst.Add(m.ctx, 3)
	}
	for _, def := range []counters.Definition{
		{Name: "", Kind: counters.Event},
		{Name: "  ", Kind: counters.Event},
		{Name: "x", Kind: counters.Event, Events: []string{""}},
	} {
		if err := m.r.Register(def); err == nil {
			t.Errorf("Register(%+v) accepted an empty name", def)
		}
	}

	long := strings.Repeat("long_counter_name.", 600) // 10,800 bytes
	event := strings.Repeat("e", 255)                 // the longest valid instrument name
	if err := m.r.Register(counters.Definition{By: []string{counters.AllAttributes}, Name: long, Kind: counters.Event, Events: []string{event}}); err != nil {
		t.Fatal(err)
	}
	mustI64Counter(t, m.meter, event).Add(m.ctx, 2, metric.WithAttributes(attribute.String(strings.Repeat("k", 1000), strings.Repeat("v", 5000))))
	m.tick(time.Second)
	rep := m.report()
	for i := range invalid {
		expect(t, rep, fmt.Sprintf("heard%d", i+1), 3)
	}
	longKey := long + `{` + strings.Repeat("k", 1000) + `="` + strings.Repeat("v", 5000) + `"}`
	expect(t, rep, longKey, 2)

	path := filepath.Join(t.TempDir(), "counters.json")
	jf, err := jsonfile.New(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jf.Report(m.ctx, rep); err != nil {
		t.Fatal(err)
	}
	snap, err := jsonfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Values[longKey]; got == nil || *got != 2 {
		t.Errorf("the long key reads back as %v", got)
	}
	var logged bytes.Buffer
	if err := slogreport.New(slog.New(slog.NewJSONHandler(&logged, nil))).Report(m.ctx, rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for line := range bytes.Lines(logged.Bytes()) {
		var rec struct{ Msg string }
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line %.80q: %v", line, err)
		}
		found = found || rec.Msg == longKey+" 2.0"
	}
	if !found {
		t.Error("no log line carries the long key whole")
	}
}

// asJSON returns s as encoding/json reads it back after writing it: each
// invalid byte replaced by U+FFFD.
func asJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back string
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// Invalid UTF-8 in attribute values and keys, which neither the attribute
// package nor the SDK checks: report keys carry a value's invalid bytes as
// \xNN escapes (so values differing only in them keep distinct keys) and an
// attribute key's as they are; the JSON file stays valid JSON,
// each invalid byte written as U+FFFD as encoding/json does, and so do log
// lines from slog's JSON handler; slog's text handler quotes the bytes.
func TestInvalidUTF8Attributes(t *testing.T) {
	if a, b := report.Key("hits", attribute.NewSet(attribute.String("p", "\xff"))),
		report.Key("hits", attribute.NewSet(attribute.String("p", "\xfe"))); a == b {
		t.Errorf("values differing only in invalid bytes share the key %q", a)
	}
	m := newManual(t, []reader.Option{reader.WithCounters(
		counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event},
	)})
	hits := mustI64Counter(t, m.meter, "hits")
	bad := []attribute.KeyValue{
		attribute.String("path", "/caf\xe9"),          // Latin-1, not UTF-8
		attribute.String("\xff\xfekey", "ok"),         // an invalid key
		attribute.String("trunc", "\xe2\x82"),         // a truncated sequence
		attribute.String("surrogate", "\xed\xa0\x80"), // an encoded surrogate half
	}
	for i, kv := range bad {
		hits.Add(m.ctx, int64(i+1), metric.WithAttributes(kv))
	}
	m.tick(time.Second)
	rep := m.report()
	keys := map[string]float64{}
	rawKeys := 0
	for i, kv := range bad {
		key := report.Key("hits", attribute.NewSet(kv))
		if !utf8.ValidString(key) {
			rawKeys++
		}
		expect(t, rep, key, float64(i+1))
		keys[asJSON(t, key)] = float64(i + 1)
	}
	expect(t, rep, `hits{path="/caf\xe9"}`, 1)
	if rawKeys == 0 {
		t.Fatal("every report key is valid UTF-8: the JSON encoding is not exercised")
	}

	out := rep.AppendJSON(nil)
	if !json.Valid(out) || !utf8.Valid(out) {
		t.Fatalf("report JSON is not valid: %q", out)
	}
	snap, err := jsonfile.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range keys {
		if got := snap.Values[key]; got == nil || *got != want {
			t.Errorf("%q reads back as %v, want %v", key, got, want)
		}
	}

	var jsonLines, textLines bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&jsonLines, nil), slog.NewTextHandler(&textLines, nil)} {
		if err := slogreport.New(slog.New(h), slogreport.WithValueAttrs()).Report(context.Background(), rep); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(&jsonLines)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		if !json.Valid(sc.Bytes()) || !utf8.Valid(sc.Bytes()) {
			t.Errorf("slog JSON line is not valid JSON: %q", sc.Bytes())
		}
	}
	if lines != len(rep.Values) {
		t.Errorf("%d JSON log lines, want %d", lines, len(rep.Values))
	}
	if !utf8.Valid(textLines.Bytes()) {
		t.Errorf("slog text lines are not valid UTF-8: %q", textLines.Bytes())
	}
}
