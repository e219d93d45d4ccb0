package reader

import (
	"fmt"
	"math"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// The histogram aggregation the reader asks the SDK for by default: base-2
// exponential, at most [DefaultHistogramMaxScale], in at most
// [DefaultHistogramMaxSize] buckets per sign. At scale 6 a bucket spans a
// factor 2^(1/64), so percentiles read from it are within 0.54% of the exact
// value; 2048 buckets keep scale 6 for values spanning up to 32 octaves (9.6
// decades: 1 µs to 4000 s) within one tick, and the SDK lowers the scale
// (doubling the error bound each time) only past that. The SDK allocates
// only the populated range, so the bound costs nothing where values are
// narrower; recording costs no more than into its default explicit buckets.
const (
	DefaultHistogramMaxSize  = 2048
	DefaultHistogramMaxScale = counters.DefaultScale
)

// WithHistogramAggregation sets the aggregation the reader's own SDK
// pipeline uses for histogram instruments. It changes what this reader
// collects only: other readers of the MeterProvider keep theirs (a view
// would change them all).
//
// The default is a base-2 exponential histogram (see
// [DefaultHistogramMaxSize]) when the reader has no exporter, and the
// exporter's choice with [WithExporter], so that what is exported stays what
// the exporter asked for; this option overrides both. Only percentiles
// counters read the buckets: every other kind works from the count, sum,
// minimum and maximum that every histogram aggregation keeps (NoMinMax takes
// the extremes away from max and min counters). With explicit buckets,
// percentiles are only as precise as the buckets are narrow (the SDK's
// default boundaries put every duration under 5 seconds in one bucket), and
// the reader says so once per counter through otel.Handle.
func WithHistogramAggregation(a sdkmetric.Aggregation) Option {
	return optionFunc(func(c config) config {
		c.histogram = a
		return c
	})
}

// aggregation is the embedded SDK reader's aggregation selector.
func (c config) aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	if k == sdkmetric.InstrumentKindHistogram {
		switch {
		case c.histogram != nil:
			return c.histogram
		case c.export.exp == nil:
			return sdkmetric.AggregationBase2ExponentialHistogram{
				MaxSize:  DefaultHistogramMaxSize,
				MaxScale: DefaultHistogramMaxScale,
			}
		}
	}
	return c.export.aggregation(k)
}

// expHistogram returns the buckets of an exponential histogram point. They
// share the SDK's slices: valid during the tick only.
func expHistogram(scale int32, zero uint64, pos, neg metricdata.ExponentialBucket) counters.Histogram {
	return counters.Histogram{
		Scale:     scale,
		ZeroCount: zero,
		Positive:  counters.Buckets{Offset: pos.Offset, Counts: pos.Counts},
		Negative:  counters.Buckets{Offset: neg.Offset, Counts: neg.Counts},
	}
}

// feedPercentiles adds one data point to a percentiles counter.
func (r *Reader) feedPercentiles(at time.Duration, e *entry, event string, res *resource.Resource, p *Point) {
	if !p.Values {
		e.warn(event, "percentiles needs individual values, which a counter instrument does not keep; record them with a histogram")
		return
	}
	if !e.finite(event, p) {
		return
	}
	x := counters.Sample{Count: p.Count, Sum: p.Sum, Min: p.Min, Max: p.Max}
	if !p.MinMax {
		// Unknown extremes clamp nothing.
		x.Min, x.Max = math.Inf(-1), math.Inf(1)
	}
	s := e.seriesFor(p.Attrs, res, r.cfg.seriesLimit)
	switch {
	case p.Exponential != nil:
		s.s.AddHistogram(at, x, *p.Exponential)
	case p.BucketCounts != nil:
		e.warn(event, "percentiles from an explicit-bucket histogram are only as precise as its buckets; "+
			"the reader's default exponential aggregation keeps them within 0.54% (see reader.WithHistogramAggregation)")
		s.s.AddHistogram(at, x, fromExplicit(p.Bounds, p.BucketCounts, x.Min, x.Max))
	default: // a gauge: its one value is known
		s.s.Add(at, x)
	}
}

// fromExplicit turns explicit buckets into an exponential histogram: each
// bucket's count goes to one value inside it, the geometric midpoint (the
// arithmetic one across zero) of the bucket narrowed to the interval's
// extremes lo and hi. A quantile read from it is off by up to the bucket's
// width, and exact when the extremes pin the bucket to one value.
func fromExplicit(bounds []float64, counts []uint64, lo, hi float64) counters.Histogram {
	h := counters.Histogram{Scale: counters.DefaultScale}
	for j, n := range counts {
		if n == 0 {
			continue
		}
		a, b := math.Inf(-1), math.Inf(1)
		if j > 0 && j-1 < len(bounds) {
			a = bounds[j-1]
		}
		if j < len(bounds) {
			b = bounds[j]
		}
		h.Insert(representative(max(a, lo), min(b, hi)), n)
	}
	return h
}

func representative(a, b float64) float64 {
	switch {
	case math.IsInf(a, -1):
		return b
	case math.IsInf(b, 1):
		return a
	case a > 0:
		return math.Sqrt(a * b)
	case b < 0:
		return -math.Sqrt(a * b)
	}
	return (a + b) / 2
}

// appendPercentiles appends the values of a percentiles counter: per
// series, one per quantile and the mean. v holds what they share. The
// caller holds r.mu.
func appendPercentiles(vals []report.Value, e *entry, v report.Value, at time.Duration) []report.Value {
	def := e.c.Definition()
	names := reportNames(def) // the quantiles', then the mean's
	var buf [8]counters.Value
	add := func(s *counters.Series, key string, attrs attribute.Set) {
		suffix := key[len(def.Name):] // the attributes, {k="v",...}, or nothing
		v.Attrs = attrs
		d := s.Distribution(at)
		for i, q := range d.Quantiles(def.Quantiles, buf[:0]) {
			v.Key, v.Quantile, v.Value = names[i]+suffix, def.Quantiles[i], q
			vals = append(vals, v)
		}
		v.Key, v.Quantile, v.Value = names[len(names)-1]+suffix, 0, s.Value(at)
		v.Distribution = &d
		vals = append(vals, v)
		v.Distribution = nil
	}
	if len(e.series) == 0 {
		add(e.empty, def.Name, attribute.Set{})
	}
	for _, s := range e.sorted() {
		add(s.s, s.key, s.attrs)
	}
	return vals
}

// reportNames returns the names a counter's values are reported under
// (before any attributes): its name, or for a percentiles counter
// name.<quantile label> per quantile and name.mean.
func reportNames(def counters.Definition) []string {
	if def.Kind != counters.Percentiles {
		return []string{def.Name}
	}
	names := make([]string, 0, len(def.Quantiles)+1)
	for _, q := range def.Quantiles {
		names = append(names, def.Name+"."+counters.QuantileLabel(q))
	}
	return append(names, def.Name+"."+counters.MeanLabel)
}

// checkNamesLocked returns an error wrapping [ErrDuplicateCounter] when c
// would report a value under a name another counter reports under (a
// counter named lat.p99 beside a percentiles counter named lat). The caller
// holds r.mu.
func (r *Reader) checkNamesLocked(c *counters.Counter) error {
	var mine []string
	for other, e := range r.counters {
		if c.Kind() != counters.Percentiles && e.c.Kind() != counters.Percentiles {
			continue // distinct names make distinct keys
		}
		if mine == nil {
			mine = reportNames(c.Definition())
		}
		for _, theirs := range reportNames(e.c.Definition()) {
			if slices.Contains(mine, theirs) {
				return fmt.Errorf("counter %q would report under %q, as counter %q does: %w", c.Name(), theirs, other, ErrDuplicateCounter)
			}
		}
	}
	return nil
}
