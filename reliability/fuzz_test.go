package reliability_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// FuzzReportRoundTrip writes a report with any key and number as the JSON
// file does and reads it back as the munin plugin and the host merge do:
// the output is always valid JSON that parses, and every value comes back
// exactly (null for empty and non-finite ones) under its key as
// encoding/json reads it.
func FuzzReportRoundTrip(f *testing.F) {
	f.Add("requests_time", 0.00039249658584594727, true, "b{path=\"/x\"}", -1.5)
	f.Add("", math.NaN(), true, "\xff\xfe", math.Inf(1))
	f.Add("__pid__", 1.0, true, report.CollectionTimeKey, 5e-324)
	f.Add("a\u2028b\x00\"\\", math.MaxFloat64, false, "tag\U000e0001", -0.0)
	f.Fuzz(func(t *testing.T, k1 string, v1 float64, ok1 bool, k2 string, v2 float64) {
		if k1 == k2 || report.IsMetadata(k1) || report.IsMetadata(k2) {
			return // keys are unique; metadata keys are not values
		}
		r := report.Report{Time: time.Unix(1_750_000_000, 123_456_000), Values: []report.Value{
			{Key: k1, Value: counters.Value{V: v1, OK: ok1}},
			{Key: k2, Value: counters.Value{V: v2, OK: true}},
		}}
		out := r.AppendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		snap, err := jsonfile.Parse(out)
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		if !snap.Time.Equal(r.Time) {
			t.Errorf("time %v read back as %v", r.Time, snap.Time)
		}
		if asJSON(t, k1) == asJSON(t, k2) {
			return // invalid UTF-8 made the two keys one (see docs/reliability.md)
		}
		for _, v := range r.Values {
			got, ok := snap.Values[asJSON(t, v.Key)]
			finite := v.OK && !math.IsNaN(v.V) && !math.IsInf(v.V, 0)
			switch {
			case !ok:
				t.Errorf("%q: missing from %q", v.Key, out)
			case finite && (got == nil || *got != v.V):
				t.Errorf("%q: %v read back as %v", v.Key, v.V, got)
			case !finite && got != nil:
				t.Errorf("%q: %v read back as %v, want null", v.Key, v.Value, *got)
			}
		}
	})
}

// FuzzRecordAndReport records any two values under any instrument name and
// attribute value through the SDK into the reader, and checks the report:
// no error or panic, no NaN or infinity as a value, a running total equal
// to the sum of the finite values (the SDK drops the others from
// histograms) unless that sum overflows, and a report whose JSON parses.
func FuzzRecordAndReport(f *testing.F) {
	f.Add("req", "GET", 0.25, 0.5)
	f.Add("req", "\xff", math.NaN(), math.Inf(-1))
	f.Add(strings.Repeat("x", 300), "", 1e308, 1e308)
	f.Add("1 bad name", "v\"\\\n", -3.0, 5e-324)
	// Warnings about non-finite intervals are expected; keep them quiet.
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	f.Cleanup(func() { otel.SetErrorHandler(prev) })
	f.Fuzz(func(t *testing.T, name, attr string, a, b float64) {
		if strings.TrimSpace(name) == "" {
			return // no counter listens to an empty name: TestNames
		}
		ctx := context.Background()
		now := time.Unix(1_750_000_000, 0)
		r := reader.New(reader.WithManualTicks(), reader.WithClock(func() time.Time { return now }),
			reader.WithTick(time.Second), reader.WithCounters(
				counters.Definition{By: []string{counters.AllAttributes}, Name: name, Kind: counters.Total},
				counters.Definition{By: []string{counters.AllAttributes}, Name: name + ".avg", Kind: counters.Average, Events: []string{name}},
				counters.Definition{By: []string{counters.AllAttributes}, Name: name + ".max", Kind: counters.Max, Events: []string{name}},
			))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
		defer func() { _ = mp.Shutdown(ctx) }()
		// Invalid names give an error and a working instrument.
		h, _ := mp.Meter("fuzz").Float64Histogram(name)
		set := metric.WithAttributeSet(attribute.NewSet(attribute.String("a", attr)))
		h.Record(ctx, a, set)
		h.Record(ctx, b, set)
		now = now.Add(time.Second)
		rep, err := r.Report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		var n int
		for _, x := range []float64{a, b} {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				sum += x
				n++
			}
		}
		key := report.Key(name, attribute.NewSet(attribute.String("a", attr)))
		v, ok := rep.Lookup(key)
		switch {
		case n == 0 || math.IsInf(sum, 0):
			if ok && v.OK {
				t.Errorf("%q = %v, want no value (values %v, %v)", key, v.V, a, b)
			}
		case !ok || !v.OK || v.V != sum:
			t.Errorf("%q = %v (ok %v), want %v", key, v.V, v.OK, sum)
		}
		for _, x := range rep.Values {
			if x.OK && (math.IsNaN(x.V) || math.IsInf(x.V, 0)) {
				t.Errorf("%q = %v", x.Key, x.V)
			}
		}
		if _, err := jsonfile.Parse(rep.AppendJSON(nil)); err != nil {
			t.Errorf("report JSON: %v", err)
		}
	})
}
