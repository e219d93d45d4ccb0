package reader

import (
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// watchSDKOverflow says once per instrument, through otel.Handle, when the
// SDK's own cardinality limit starts folding new attribute sets into its
// otel.metric.overflow="true" set: from then on the windows of those sets
// are one series, and nothing else would tell the operator. The caller
// holds tickMu.
func (r *Reader) watchSDKOverflow(rm *metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for i := range sm.Metrics {
			m := &sm.Metrics[i]
			n, over := overflowed(m.Data)
			if !over {
				continue
			}
			id := sm.Scope.Name + "\x00" + m.Name
			if r.sdkOverflow[id] {
				continue
			}
			r.sdkOverflow[id] = true
			// With the overflow set in it, a collection holds exactly the
			// limit's number of sets.
			otel.Handle(fmt.Errorf("otelcounters: instrument %q of meter %q reached the SDK's cardinality limit of %d attribute sets: "+
				"new attribute sets are folded into {%s=\"true\"}; raise the limit with sdkmetric.WithCardinalityLimit on the MeterProvider "+
				"(or OTEL_GO_X_CARDINALITY_LIMIT), and the reader's series limit with it (reader.WithSeriesLimit, series_limit)",
				m.Name, sm.Scope.Name, n, OverflowKey))
		}
	}
}

// overflowed returns the number of data points of an instrument's data and
// whether one of them is the SDK's overflow set.
func overflowed(data metricdata.Aggregation) (points int, over bool) {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		return scan(d.DataPoints, func(p metricdata.DataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.Sum[float64]:
		return scan(d.DataPoints, func(p metricdata.DataPoint[float64]) attribute.Set { return p.Attributes })
	case metricdata.Gauge[int64]:
		return scan(d.DataPoints, func(p metricdata.DataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.Gauge[float64]:
		return scan(d.DataPoints, func(p metricdata.DataPoint[float64]) attribute.Set { return p.Attributes })
	case metricdata.Histogram[int64]:
		return scan(d.DataPoints, func(p metricdata.HistogramDataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.Histogram[float64]:
		return scan(d.DataPoints, func(p metricdata.HistogramDataPoint[float64]) attribute.Set { return p.Attributes })
	case metricdata.ExponentialHistogram[int64]:
		return scan(d.DataPoints, func(p metricdata.ExponentialHistogramDataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.ExponentialHistogram[float64]:
		return scan(d.DataPoints, func(p metricdata.ExponentialHistogramDataPoint[float64]) attribute.Set { return p.Attributes })
	}
	return 0, false
}

func scan[P any](pts []P, attrs func(P) attribute.Set) (int, bool) {
	for _, p := range pts {
		if isOverflowSet(attrs(p)) {
			return len(pts), true
		}
	}
	return len(pts), false
}

// isOverflowSet reports whether s is {otel.metric.overflow=true}.
func isOverflowSet(s attribute.Set) bool {
	if s.Len() != 1 {
		return false
	}
	v, ok := s.Value(OverflowKey)
	return ok && v.Type() == attribute.BOOL && v.AsBool()
}
