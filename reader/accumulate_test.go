package reader

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMergeBuckets(t *testing.T) {
	b := func(off int32, counts ...uint64) metricdata.ExponentialBucket {
		return metricdata.ExponentialBucket{Offset: off, Counts: counts}
	}
	for _, c := range []struct {
		name   string
		a      metricdata.ExponentialBucket
		sa     int32
		b      metricdata.ExponentialBucket
		sb     int32
		want   metricdata.ExponentialBucket
		wantSp int
	}{
		// Indices 2,3,4 at one scale higher are 1,1,2; index 1 adds 5.
		{"downscale one side", b(2, 1, 2, 3), 1, b(1, 5), 0, b(1, 8, 3), 2},
		// Negative indices floor: -3,-2,-1 become -2,-1,-1.
		{"negative indices", b(-3, 1, 1, 1), 1, b(0), 0, b(-2, 1, 2), 2},
		{"disjoint", b(0, 1), 0, b(3, 2), 0, b(0, 1, 0, 0, 2), 4},
		{"one side empty", b(0), 0, b(7, 4, 4), 0, b(7, 4, 4), 2},
		{"both empty", b(0), 0, b(0), 0, metricdata.ExponentialBucket{}, 0},
	} {
		got := mergeBuckets(c.a, c.sa, c.b, c.sb)
		if got.Offset != c.want.Offset || !slices.Equal(got.Counts, c.want.Counts) {
			t.Errorf("%s: merged %d %v, want %d %v", c.name, got.Offset, got.Counts, c.want.Offset, c.want.Counts)
		}
		if sp := span(c.a, c.sa, c.b, c.sb); sp != c.wantSp {
			t.Errorf("%s: span %d, want %d", c.name, sp, c.wantSp)
		}
	}
}

// Two buckets too far apart for the bucket limit are merged at a lower
// scale, where they fit.
func TestExpMergeDownscalesToFit(t *testing.T) {
	a := newAccumulator(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }, 0)
	pt := func(off int32) metricdata.ExponentialHistogram[float64] {
		return metricdata.ExponentialHistogram[float64]{Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{{
			Count: 1, Scale: 0, PositiveBucket: metricdata.ExponentialBucket{Offset: off, Counts: []uint64{1}},
		}}}
	}
	rm := func(h metricdata.ExponentialHistogram[float64]) *metricdata.ResourceMetrics {
		return &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{Name: "h", Data: h}}}}}
	}
	a.add(rm(pt(0)))
	a.add(rm(pt(200)))
	out := a.collect().ScopeMetrics[0].Metrics[0].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0]
	if out.Scale != -1 || out.Count != 2 {
		t.Fatalf("scale %d count %d, want -1 and 2", out.Scale, out.Count)
	}
	if n := len(out.PositiveBucket.Counts); n != 101 || out.PositiveBucket.Offset != 0 ||
		out.PositiveBucket.Counts[0] != 1 || out.PositiveBucket.Counts[100] != 1 {
		t.Errorf("buckets offset %d len %d, want 0 and 101 with 1 at both ends", out.PositiveBucket.Offset, n)
	}
}

// Exponential histograms of two intervals, merged, hold what one interval
// with all the values holds, at the same scale.
func TestExpMergeMatchesOneInterval(t *testing.T) {
	ctx := context.Background()
	expo := sdkmetric.WithAggregationSelector(func(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
		return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}
	})
	delta := sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality })
	collect := func(batches ...[]float64) []metricdata.ExponentialHistogramDataPoint[float64] {
		r := sdkmetric.NewManualReader(expo, delta)
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
		defer mp.Shutdown(ctx)
		h, _ := mp.Meter("t").Float64Histogram("h")
		var out []metricdata.ExponentialHistogramDataPoint[float64]
		for _, b := range batches {
			for _, v := range b {
				h.Record(ctx, v)
				h.Record(ctx, -v)
			}
			var rm metricdata.ResourceMetrics
			if err := r.Collect(ctx, &rm); err != nil {
				t.Fatal(err)
			}
			out = append(out, rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0])
		}
		return out
	}
	first, second := []float64{1, 2, 3, 4}, []float64{0.25, 1024, 3}
	parts := collect(first, second)
	whole := collect(append(append([]float64(nil), first...), second...))[0]

	agg := &expAgg[float64]{pts: newPoints[metricdata.ExponentialHistogramDataPoint[float64]]()}
	for _, p := range parts {
		agg.merge(metricdata.ExponentialHistogram[float64]{DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{p}}, 0)
	}
	got, _ := agg.collect(whole.Time)
	m := got.(metricdata.ExponentialHistogram[float64]).DataPoints[0]
	if parts[0].Scale == parts[1].Scale {
		t.Fatalf("both intervals at scale %d: the test needs different scales", parts[0].Scale)
	}
	if m.Scale > whole.Scale {
		t.Fatalf("merged scale %d finer than the whole's %d", m.Scale, whole.Scale)
	}
	shift := whole.Scale - m.Scale
	for _, side := range []struct {
		name      string
		got, want metricdata.ExponentialBucket
	}{{"positive", m.PositiveBucket, whole.PositiveBucket}, {"negative", m.NegativeBucket, whole.NegativeBucket}} {
		want := mergeBuckets(side.want, shift, metricdata.ExponentialBucket{}, 0)
		if side.got.Offset != want.Offset || !slices.Equal(side.got.Counts, want.Counts) {
			t.Errorf("%s buckets %d %v, want %d %v", side.name, side.got.Offset, side.got.Counts, want.Offset, want.Counts)
		}
	}
	if m.Count != whole.Count || m.Sum != whole.Sum || m.Min != whole.Min || m.Max != whole.Max || m.ZeroCount != whole.ZeroCount {
		t.Errorf("merged count %d sum %v min %v max %v zero %d, want %d %v %v %v %d",
			m.Count, m.Sum, m.Min, m.Max, m.ZeroCount, whole.Count, whole.Sum, whole.Min, whole.Max, whole.ZeroCount)
	}
}

// Running totals keep at most limit series per metric; the rest add up in
// one overflow series, as the SDK's own cardinality limit does.
func TestCumulativeSeriesLimit(t *testing.T) {
	a := newAccumulator(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.CumulativeTemporality }, 2)
	for i, name := range []string{"a", "b", "c", "d", "a"} {
		a.add(&metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
			Name: "n", Data: metricdata.Sum[int64]{IsMonotonic: true, Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.DataPoint[int64]{
				{Attributes: attribute.NewSet(attribute.String("k", name)), Value: int64(i + 1)},
			}},
		}}}}})
	}
	pts := a.collect().ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints
	got := map[string]int64{}
	for _, p := range pts {
		got[p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
	}
	want := map[string]int64{"k=a": 1 + 5, "k=b": 2, OverflowKey + "=true": 3 + 4}
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// The SDK reuses what it collects into: exemplars (and their slices) are
// copied, so later changes to the source do not reach the export.
func TestAccumulatorCopies(t *testing.T) {
	a := newAccumulator(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }, 0)
	attrs := []attribute.KeyValue{attribute.String("user", "x")}
	trace := []byte{1, 2, 3}
	counts := []uint64{1, 2}
	rm := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
		{Name: "s", Data: metricdata.Sum[float64]{IsMonotonic: true, DataPoints: []metricdata.DataPoint[float64]{{
			Value: 1, Exemplars: []metricdata.Exemplar[float64]{{FilteredAttributes: attrs, TraceID: trace, Value: 1}},
		}}}},
		{Name: "h", Data: metricdata.Histogram[float64]{DataPoints: []metricdata.HistogramDataPoint[float64]{{
			Count: 3, Bounds: []float64{1}, BucketCounts: counts,
		}}}},
	}}}}
	a.add(rm)
	attrs[0] = attribute.String("user", "changed")
	trace[0] = 9
	counts[0] = 99
	out := a.collect().ScopeMetrics[0].Metrics
	e := out[0].Data.(metricdata.Sum[float64]).DataPoints[0].Exemplars[0]
	if e.FilteredAttributes[0].Value.AsString() != "x" || e.TraceID[0] != 1 {
		t.Errorf("exemplar changed with its source: %v %v", e.FilteredAttributes, e.TraceID)
	}
	if c := out[1].Data.(metricdata.Histogram[float64]).DataPoints[0].BucketCounts; c[0] != 1 {
		t.Errorf("bucket counts changed with their source: %v", c)
	}
}

// Two instruments of one name but different kinds stay two metrics.
func TestSameNameDifferentData(t *testing.T) {
	a := newAccumulator(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }, 0)
	a.add(&metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
		{Name: "x", Data: metricdata.Sum[int64]{IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{{Value: 1}}}},
		{Name: "x", Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Value: 2}}}},
	}}}})
	if n := len(a.collect().ScopeMetrics[0].Metrics); n != 2 {
		t.Errorf("%d metrics, want 2", n)
	}
}
