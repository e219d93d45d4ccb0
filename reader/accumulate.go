package reader

import (
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
)

// accumulator merges the per-tick delta data of the embedded SDK reader into
// what the next export of WithExporter sends: the deltas since the last
// export, or running totals, per metric as the exporter's temporality
// selector asks. It copies everything it keeps, since the SDK reuses what
// Collect fills. It is not safe for concurrent use.
type accumulator struct {
	temporality sdkmetric.TemporalitySelector
	limit       int // series per metric kept in running totals; <= 0: no limit
	res         *resource.Resource
	last        time.Time // newest point time seen: the time of running totals
	scopes      []*scopeAcc
}

type scopeAcc struct {
	scope   instrumentation.Scope
	metrics []*metricAcc
	byKey   map[metricKey][]*metricAcc // several when one name has several data types
}

type metricKey struct{ name, description, unit string }

type metricAcc struct {
	key  metricKey
	data aggregate
}

// aggregate is one metric's accumulated data.
type aggregate interface {
	// merge adds one interval's data; false when a is of another type.
	merge(a metricdata.Aggregation, limit int) bool
	// collect returns the data of an export (false when there is none) and,
	// for delta temporality, starts over. What it returns shares nothing
	// that merge changes later.
	collect(now time.Time) (metricdata.Aggregation, bool)
}

func newAccumulator(t sdkmetric.TemporalitySelector, limit int) *accumulator {
	return &accumulator{temporality: t, limit: limit}
}

func sameScope(a, b instrumentation.Scope) bool {
	return a.Name == b.Name && a.Version == b.Version && a.SchemaURL == b.SchemaURL &&
		a.Attributes.Equals(&b.Attributes)
}

func (a *accumulator) add(rm *metricdata.ResourceMetrics) {
	if rm.Resource != nil {
		a.res = rm.Resource
	}
	for i := range rm.ScopeMetrics {
		sm := &rm.ScopeMetrics[i]
		var s *scopeAcc
		for _, x := range a.scopes {
			if sameScope(x.scope, sm.Scope) {
				s = x
				break
			}
		}
		if s == nil {
			s = &scopeAcc{scope: sm.Scope, byKey: map[metricKey][]*metricAcc{}}
			a.scopes = append(a.scopes, s)
		}
		for j := range sm.Metrics {
			a.addMetric(s, &sm.Metrics[j])
		}
	}
}

func (a *accumulator) addMetric(s *scopeAcc, m *metricdata.Metrics) {
	a.noteTime(m.Data)
	k := metricKey{m.Name, m.Description, m.Unit}
	for _, x := range s.byKey[k] {
		if x.data.merge(m.Data, a.limit) {
			return
		}
	}
	agg := a.newAggregate(m.Data)
	if agg == nil || !agg.merge(m.Data, a.limit) {
		return // a kind of data the SDK's instruments do not produce
	}
	x := &metricAcc{key: k, data: agg}
	s.byKey[k] = append(s.byKey[k], x)
	s.metrics = append(s.metrics, x)
}

// noteTime keeps the newest end time of the interval's points.
func (a *accumulator) noteTime(d metricdata.Aggregation) {
	var t time.Time
	switch d := d.(type) {
	case metricdata.Sum[int64]:
		t = newest(d.DataPoints, func(p *metricdata.DataPoint[int64]) time.Time { return p.Time })
	case metricdata.Sum[float64]:
		t = newest(d.DataPoints, func(p *metricdata.DataPoint[float64]) time.Time { return p.Time })
	case metricdata.Gauge[int64]:
		t = newest(d.DataPoints, func(p *metricdata.DataPoint[int64]) time.Time { return p.Time })
	case metricdata.Gauge[float64]:
		t = newest(d.DataPoints, func(p *metricdata.DataPoint[float64]) time.Time { return p.Time })
	case metricdata.Histogram[int64]:
		t = newest(d.DataPoints, func(p *metricdata.HistogramDataPoint[int64]) time.Time { return p.Time })
	case metricdata.Histogram[float64]:
		t = newest(d.DataPoints, func(p *metricdata.HistogramDataPoint[float64]) time.Time { return p.Time })
	case metricdata.ExponentialHistogram[int64]:
		t = newest(d.DataPoints, func(p *metricdata.ExponentialHistogramDataPoint[int64]) time.Time { return p.Time })
	case metricdata.ExponentialHistogram[float64]:
		t = newest(d.DataPoints, func(p *metricdata.ExponentialHistogramDataPoint[float64]) time.Time { return p.Time })
	}
	if t.After(a.last) {
		a.last = t
	}
}

func newest[P any](ps []P, at func(*P) time.Time) time.Time {
	var t time.Time
	for i := range ps {
		if x := at(&ps[i]); x.After(t) {
			t = x
		}
	}
	return t
}

func (a *accumulator) newAggregate(d metricdata.Aggregation) aggregate {
	cum := func(k sdkmetric.InstrumentKind) bool {
		return a.temporality(k) != metricdata.DeltaTemporality
	}
	switch d := d.(type) {
	case metricdata.Sum[int64]:
		return &sumAgg[int64]{mono: d.IsMonotonic, cum: cum(sumKind(d.IsMonotonic)), pts: newPoints[metricdata.DataPoint[int64]]()}
	case metricdata.Sum[float64]:
		return &sumAgg[float64]{mono: d.IsMonotonic, cum: cum(sumKind(d.IsMonotonic)), pts: newPoints[metricdata.DataPoint[float64]]()}
	case metricdata.Gauge[int64]:
		return &gaugeAgg[int64]{cum: cum(sdkmetric.InstrumentKindGauge), pts: newPoints[metricdata.DataPoint[int64]]()}
	case metricdata.Gauge[float64]:
		return &gaugeAgg[float64]{cum: cum(sdkmetric.InstrumentKindGauge), pts: newPoints[metricdata.DataPoint[float64]]()}
	case metricdata.Histogram[int64]:
		return &histAgg[int64]{cum: cum(sdkmetric.InstrumentKindHistogram), pts: newPoints[metricdata.HistogramDataPoint[int64]]()}
	case metricdata.Histogram[float64]:
		return &histAgg[float64]{cum: cum(sdkmetric.InstrumentKindHistogram), pts: newPoints[metricdata.HistogramDataPoint[float64]]()}
	case metricdata.ExponentialHistogram[int64]:
		return &expAgg[int64]{cum: cum(sdkmetric.InstrumentKindHistogram), pts: newPoints[metricdata.ExponentialHistogramDataPoint[int64]]()}
	case metricdata.ExponentialHistogram[float64]:
		return &expAgg[float64]{cum: cum(sdkmetric.InstrumentKindHistogram), pts: newPoints[metricdata.ExponentialHistogramDataPoint[float64]]()}
	}
	return nil
}

// sumKind is the instrument kind asked about for a sum's temporality.
// Observable counters cannot be told apart from synchronous ones in
// collected data; exporters that choose differently for them are rare.
func sumKind(monotonic bool) sdkmetric.InstrumentKind {
	if monotonic {
		return sdkmetric.InstrumentKindCounter
	}
	return sdkmetric.InstrumentKindUpDownCounter
}

// collect returns the data of an export. Scopes and metrics keep their
// order of first appearance, series theirs.
func (a *accumulator) collect() metricdata.ResourceMetrics {
	rm := metricdata.ResourceMetrics{Resource: a.res}
	if rm.Resource == nil {
		rm.Resource = resource.Empty()
	}
	for _, s := range a.scopes {
		sm := metricdata.ScopeMetrics{Scope: s.scope}
		for _, m := range s.metrics {
			if d, ok := m.data.collect(a.last); ok {
				sm.Metrics = append(sm.Metrics, metricdata.Metrics{
					Name: m.key.name, Description: m.key.description, Unit: m.key.unit, Data: d,
				})
			}
		}
		if len(sm.Metrics) > 0 {
			rm.ScopeMetrics = append(rm.ScopeMetrics, sm)
		}
	}
	return rm
}

// points holds one metric's series in the order they first appeared.
type points[P any] struct {
	order []attribute.Distinct
	m     map[attribute.Distinct]*P
}

func newPoints[P any]() points[P] {
	return points[P]{m: map[attribute.Distinct]*P{}}
}

// get returns the point of attrs, or, beyond limit series, the overflow
// point; fresh is true for a point just made (zero apart from attributes,
// which set stores).
func (ps *points[P]) get(attrs attribute.Set, limit int, set func(*P, attribute.Set)) (p *P, fresh bool) {
	d := attrs.Equivalent()
	if p, ok := ps.m[d]; ok {
		return p, false
	}
	if limit > 0 && len(ps.m) >= limit {
		attrs = attribute.NewSet(attribute.Bool(OverflowKey, true))
		d = attrs.Equivalent()
		if p, ok := ps.m[d]; ok {
			return p, false
		}
	}
	p = new(P)
	set(p, attrs)
	ps.m[d] = p
	ps.order = append(ps.order, d)
	return p, true
}

func (ps *points[P]) each(f func(*P)) {
	for _, d := range ps.order {
		f(ps.m[d])
	}
}

func (ps *points[P]) len() int { return len(ps.order) }

func (ps *points[P]) reset() {
	clear(ps.m)
	ps.order = ps.order[:0]
}

// cloneExemplars copies exemplars: the SDK reuses their slices.
func cloneExemplars[N int64 | float64](src []metricdata.Exemplar[N]) []metricdata.Exemplar[N] {
	if len(src) == 0 {
		return nil
	}
	out := make([]metricdata.Exemplar[N], len(src))
	for i, e := range src {
		e.FilteredAttributes = slices.Clone(e.FilteredAttributes)
		e.SpanID = slices.Clone(e.SpanID)
		e.TraceID = slices.Clone(e.TraceID)
		out[i] = e
	}
	return out
}

// Exemplars kept are those of the newest interval that had any; they are
// replaced, never changed in place, so collect may share them.

type sumAgg[N int64 | float64] struct {
	mono, cum bool
	pts       points[metricdata.DataPoint[N]]
}

func setDataPointAttrs[N int64 | float64](p *metricdata.DataPoint[N], a attribute.Set) {
	p.Attributes = a
}

func (s *sumAgg[N]) merge(a metricdata.Aggregation, limit int) bool {
	d, ok := a.(metricdata.Sum[N])
	if !ok || d.IsMonotonic != s.mono {
		return false
	}
	for i := range d.DataPoints {
		dp := &d.DataPoints[i]
		p, fresh := s.pts.get(dp.Attributes, limit, setDataPointAttrs[N])
		if fresh {
			p.StartTime = dp.StartTime
		}
		p.Value += dp.Value
		p.Time = dp.Time
		if len(dp.Exemplars) > 0 {
			p.Exemplars = cloneExemplars(dp.Exemplars)
		}
	}
	return true
}

func (s *sumAgg[N]) collect(now time.Time) (metricdata.Aggregation, bool) {
	if s.pts.len() == 0 {
		return nil, false
	}
	out := metricdata.Sum[N]{IsMonotonic: s.mono, Temporality: temporality(s.cum), DataPoints: make([]metricdata.DataPoint[N], 0, s.pts.len())}
	s.pts.each(func(p *metricdata.DataPoint[N]) {
		c := *p
		if s.cum {
			c.Time = now
		}
		out.DataPoints = append(out.DataPoints, c)
	})
	if !s.cum {
		s.pts.reset()
	}
	return out, true
}

func temporality(cum bool) metricdata.Temporality {
	if cum {
		return metricdata.CumulativeTemporality
	}
	return metricdata.DeltaTemporality
}

// gaugeAgg keeps the last value of each series: of the export interval
// (delta), or ever (cumulative, as the SDK's cumulative gauges).
type gaugeAgg[N int64 | float64] struct {
	cum bool
	pts points[metricdata.DataPoint[N]]
}

func (g *gaugeAgg[N]) merge(a metricdata.Aggregation, limit int) bool {
	d, ok := a.(metricdata.Gauge[N])
	if !ok {
		return false
	}
	for i := range d.DataPoints {
		dp := &d.DataPoints[i]
		p, fresh := g.pts.get(dp.Attributes, limit, setDataPointAttrs[N])
		if fresh {
			p.StartTime = dp.StartTime
		}
		p.Value = dp.Value
		p.Time = dp.Time
		if len(dp.Exemplars) > 0 {
			p.Exemplars = cloneExemplars(dp.Exemplars)
		}
	}
	return true
}

func (g *gaugeAgg[N]) collect(now time.Time) (metricdata.Aggregation, bool) {
	if g.pts.len() == 0 {
		return nil, false
	}
	out := metricdata.Gauge[N]{DataPoints: make([]metricdata.DataPoint[N], 0, g.pts.len())}
	g.pts.each(func(p *metricdata.DataPoint[N]) {
		c := *p
		if g.cum {
			c.Time = now
		}
		out.DataPoints = append(out.DataPoints, c)
	})
	if !g.cum {
		g.pts.reset()
	}
	return out, true
}

func minExtrema[N int64 | float64](a, b metricdata.Extrema[N]) metricdata.Extrema[N] {
	av, aok := a.Value()
	bv, bok := b.Value()
	if !aok || (bok && bv < av) {
		return b
	}
	return a
}

func maxExtrema[N int64 | float64](a, b metricdata.Extrema[N]) metricdata.Extrema[N] {
	av, aok := a.Value()
	bv, bok := b.Value()
	if !aok || (bok && bv > av) {
		return b
	}
	return a
}

type histAgg[N int64 | float64] struct {
	cum bool
	pts points[metricdata.HistogramDataPoint[N]]
}

func setHistAttrs[N int64 | float64](p *metricdata.HistogramDataPoint[N], a attribute.Set) {
	p.Attributes = a
}

func (h *histAgg[N]) merge(a metricdata.Aggregation, limit int) bool {
	d, ok := a.(metricdata.Histogram[N])
	if !ok {
		return false
	}
	for i := range d.DataPoints {
		dp := &d.DataPoints[i]
		p, fresh := h.pts.get(dp.Attributes, limit, setHistAttrs[N])
		if fresh || !slices.Equal(p.Bounds, dp.Bounds) || len(p.BucketCounts) != len(dp.BucketCounts) {
			// New, or its boundaries changed (a new view): start over.
			attrs, start := p.Attributes, dp.StartTime
			*p = metricdata.HistogramDataPoint[N]{
				Attributes: attrs, StartTime: start,
				Bounds:       slices.Clone(dp.Bounds),
				BucketCounts: make([]uint64, len(dp.BucketCounts)),
			}
		}
		p.Count += dp.Count
		p.Sum += dp.Sum
		for j, c := range dp.BucketCounts {
			p.BucketCounts[j] += c
		}
		p.Min = minExtrema(p.Min, dp.Min)
		p.Max = maxExtrema(p.Max, dp.Max)
		p.Time = dp.Time
		if len(dp.Exemplars) > 0 {
			p.Exemplars = cloneExemplars(dp.Exemplars)
		}
	}
	return true
}

func (h *histAgg[N]) collect(now time.Time) (metricdata.Aggregation, bool) {
	if h.pts.len() == 0 {
		return nil, false
	}
	out := metricdata.Histogram[N]{Temporality: temporality(h.cum), DataPoints: make([]metricdata.HistogramDataPoint[N], 0, h.pts.len())}
	h.pts.each(func(p *metricdata.HistogramDataPoint[N]) {
		c := *p
		if h.cum {
			// The running counts keep changing while the exporter reads.
			c.BucketCounts = slices.Clone(p.BucketCounts)
			c.Time = now
		}
		out.DataPoints = append(out.DataPoints, c)
	})
	if !h.cum {
		h.pts.reset()
	}
	return out, true
}

// maxExpBuckets bounds the buckets of a merged exponential histogram, as the
// SDK's default MaxSize: merging downscales until both sides fit.
const maxExpBuckets = 160

type expAgg[N int64 | float64] struct {
	cum bool
	pts points[metricdata.ExponentialHistogramDataPoint[N]]
}

func setExpAttrs[N int64 | float64](p *metricdata.ExponentialHistogramDataPoint[N], a attribute.Set) {
	p.Attributes = a
}

func (h *expAgg[N]) merge(a metricdata.Aggregation, limit int) bool {
	d, ok := a.(metricdata.ExponentialHistogram[N])
	if !ok {
		return false
	}
	for i := range d.DataPoints {
		dp := &d.DataPoints[i]
		p, fresh := h.pts.get(dp.Attributes, limit, setExpAttrs[N])
		if fresh {
			attrs := p.Attributes
			*p = *dp
			p.Attributes = attrs
			p.PositiveBucket.Counts = slices.Clone(dp.PositiveBucket.Counts)
			p.NegativeBucket.Counts = slices.Clone(dp.NegativeBucket.Counts)
			p.Exemplars = cloneExemplars(dp.Exemplars)
			continue
		}
		scale := min(p.Scale, dp.Scale)
		limitBuckets := max(maxExpBuckets, len(p.PositiveBucket.Counts), len(p.NegativeBucket.Counts),
			len(dp.PositiveBucket.Counts), len(dp.NegativeBucket.Counts))
		for scale > -10 && (span(p.PositiveBucket, p.Scale-scale, dp.PositiveBucket, dp.Scale-scale) > limitBuckets ||
			span(p.NegativeBucket, p.Scale-scale, dp.NegativeBucket, dp.Scale-scale) > limitBuckets) {
			scale--
		}
		p.PositiveBucket = mergeBuckets(p.PositiveBucket, p.Scale-scale, dp.PositiveBucket, dp.Scale-scale)
		p.NegativeBucket = mergeBuckets(p.NegativeBucket, p.Scale-scale, dp.NegativeBucket, dp.Scale-scale)
		p.Scale = scale
		p.Count += dp.Count
		p.Sum += dp.Sum
		p.ZeroCount += dp.ZeroCount
		p.ZeroThreshold = max(p.ZeroThreshold, dp.ZeroThreshold)
		p.Min = minExtrema(p.Min, dp.Min)
		p.Max = maxExtrema(p.Max, dp.Max)
		p.Time = dp.Time
		if len(dp.Exemplars) > 0 {
			p.Exemplars = cloneExemplars(dp.Exemplars)
		}
	}
	return true
}

// bucketRange returns the first and last index of b's buckets after
// dropping shift scales; ok is false for no buckets.
func bucketRange(b metricdata.ExponentialBucket, shift int32) (lo, hi int32, ok bool) {
	if len(b.Counts) == 0 {
		return 0, 0, false
	}
	return b.Offset >> shift, (b.Offset + int32(len(b.Counts)) - 1) >> shift, true
}

// span is the number of buckets the merge of a and b (downscaled by sa and
// sb) needs.
func span(a metricdata.ExponentialBucket, sa int32, b metricdata.ExponentialBucket, sb int32) int {
	alo, ahi, aok := bucketRange(a, sa)
	blo, bhi, bok := bucketRange(b, sb)
	switch {
	case !aok && !bok:
		return 0
	case !aok:
		return int(bhi - blo + 1)
	case !bok:
		return int(ahi - alo + 1)
	}
	return int(max(ahi, bhi) - min(alo, blo) + 1)
}

// mergeBuckets returns a new bucket set holding a downscaled by sa plus b
// downscaled by sb. An index at a lower scale is the old index shifted right:
// bucket i at scale s covers buckets 2i and 2i+1 at scale s+1.
func mergeBuckets(a metricdata.ExponentialBucket, sa int32, b metricdata.ExponentialBucket, sb int32) metricdata.ExponentialBucket {
	alo, ahi, aok := bucketRange(a, sa)
	blo, bhi, bok := bucketRange(b, sb)
	var lo, hi int32
	switch {
	case !aok && !bok:
		return metricdata.ExponentialBucket{}
	case !aok:
		lo, hi = blo, bhi
	case !bok:
		lo, hi = alo, ahi
	default:
		lo, hi = min(alo, blo), max(ahi, bhi)
	}
	out := metricdata.ExponentialBucket{Offset: lo, Counts: make([]uint64, hi-lo+1)}
	for i, c := range a.Counts {
		out.Counts[((a.Offset+int32(i))>>sa)-lo] += c
	}
	for i, c := range b.Counts {
		out.Counts[((b.Offset+int32(i))>>sb)-lo] += c
	}
	return out
}

func (h *expAgg[N]) collect(now time.Time) (metricdata.Aggregation, bool) {
	if h.pts.len() == 0 {
		return nil, false
	}
	out := metricdata.ExponentialHistogram[N]{Temporality: temporality(h.cum), DataPoints: make([]metricdata.ExponentialHistogramDataPoint[N], 0, h.pts.len())}
	h.pts.each(func(p *metricdata.ExponentialHistogramDataPoint[N]) {
		c := *p
		if h.cum {
			// No copy of the buckets: merges replace them, never change them.
			c.Time = now
		}
		out.DataPoints = append(out.DataPoints, c)
	})
	if !h.cum {
		h.pts.reset()
	}
	return out, true
}
