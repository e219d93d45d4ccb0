package windowproducer

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// ScopeName is the instrumentation scope of the produced metrics.
const ScopeName = "github.com/otelcounters/otelcounters/exporters/windowproducer"

// The attributes every produced point carries besides its series'.
const (
	// KindKey holds the counter kind, e.g. "average_time".
	KindKey = attribute.Key("otelcounters.kind")
	// WindowKey holds the window of windowed kinds in seconds, e.g. "300s".
	WindowKey = attribute.Key("otelcounters.window")
)

// Source is what a [Producer] reads: a [reader.Reader], or anything else
// that can tell the current values without collecting.
type Source interface {
	Snapshot() report.Report
}

// Producer is a metric producer of window counter values. Make it with [New].
// It is safe for concurrent use.
type Producer struct {
	src Source
	cfg config
}

var _ sdkmetric.Producer = (*Producer)(nil)

// New returns a producer of src's counter values, for
// sdkmetric.WithProducer: src is typically the [reader.Reader] given to the
// same MeterProvider. src must not be nil.
func New(src Source, opts ...Option) *Producer {
	if src == nil {
		panic("windowproducer.New: nil source")
	}
	return &Producer{src: src, cfg: newConfig(opts)}
}

// InExport returns a reader option that adds the window values to every
// export of the reader's own pipeline ([reader.WithExporter]):
//
//	r := reader.New(reader.WithCounters(defs...), reader.WithExporter(exp, time.Minute), windowproducer.InExport())
func InExport(opts ...Option) reader.Option {
	return reader.WithExportProducer(func(r *reader.Reader) sdkmetric.Producer { return New(r, opts...) })
}

// Produce returns one metric per counter with a point per series, the
// values as of the source's last tick: a gauge, or for percentiles counters
// a summary. It never fails.
func (p *Producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	rep := p.src.Snapshot()
	if len(rep.Values) == 0 {
		return nil, nil
	}
	// Values are sorted by key, which does not keep a counter's series
	// together ("a{...}" sorts after "a_b"): group by counter, in the order
	// of each counter's first key.
	index := map[string]int{}
	var ms []metricdata.Metrics
	summaries := map[summaryKey]int{} // a series' point in its summary
	for i := range rep.Values {
		v := &rep.Values[i]
		j, ok := index[v.Counter]
		if !ok {
			j = len(ms)
			index[v.Counter] = j
			m := metricdata.Metrics{
				Name:        p.cfg.prefix + v.Counter,
				Description: description(v.Kind, v.Window),
				Unit:        p.cfg.unit(v.Counter, v.Kind),
				Data:        metricdata.Gauge[float64]{},
			}
			if v.Kind == counters.Percentiles {
				m.Data = metricdata.Summary{}
			}
			ms = append(ms, m)
		}
		switch d := ms[j].Data.(type) {
		case metricdata.Gauge[float64]:
			if !v.OK && !p.cfg.hasEmpty {
				continue // no value: no point
			}
			d.DataPoints = append(d.DataPoints, metricdata.DataPoint[float64]{
				Attributes: pointAttrs(v),
				Time:       rep.Time,
				Value:      p.cfg.number(v.Value),
			})
			ms[j].Data = d
		case metricdata.Summary:
			// The report has one value per quantile plus the mean (with
			// its count) per series: one summary point gathers them.
			k := summaryKey{v.Counter, v.Attrs.Equivalent()}
			n, ok := summaries[k]
			if !ok {
				n = len(d.DataPoints)
				summaries[k] = n
				d.DataPoints = append(d.DataPoints, metricdata.SummaryDataPoint{Attributes: pointAttrs(v), Time: rep.Time})
			}
			pt := &d.DataPoints[n]
			if v.Quantile > 0 && !v.OK && !p.cfg.hasEmpty {
				// An empty window: count 0, no quantiles.
			} else if v.Quantile > 0 {
				pt.QuantileValues = append(pt.QuantileValues, metricdata.QuantileValue{Quantile: v.Quantile, Value: p.cfg.number(v.Value)})
			} else if v.OK {
				pt.Count = v.Count
				pt.Sum = v.V * float64(v.Count)
			}
			ms[j].Data = d
		}
	}
	kept := ms[:0]
	for _, m := range ms {
		switch d := m.Data.(type) {
		case metricdata.Summary:
			for _, pt := range d.DataPoints {
				slices.SortFunc(pt.QuantileValues, func(a, b metricdata.QuantileValue) int { return cmp.Compare(a.Quantile, b.Quantile) })
			}
		case metricdata.Gauge[float64]:
			if len(d.DataPoints) == 0 {
				continue // every series empty
			}
		}
		kept = append(kept, m)
	}
	if len(kept) == 0 {
		return nil, nil
	}
	return []metricdata.ScopeMetrics{{Scope: instrumentation.Scope{Name: ScopeName}, Metrics: kept}}, nil
}

type summaryKey struct {
	counter string
	attrs   attribute.Distinct
}

func (c config) number(v counters.Value) float64 {
	if !v.OK {
		return c.empty
	}
	return v.V
}

func (c config) unit(counter string, k counters.Kind) string {
	if u, ok := c.units[counter]; ok {
		return u
	}
	return k.Unit()
}

// windowText writes a window as seconds: "300s", "0.5s".
func windowText(w time.Duration) string {
	return strconv.FormatFloat(w.Seconds(), 'f', -1, 64) + "s"
}

func description(k counters.Kind, w time.Duration) string {
	switch {
	case k.Windowed():
		return k.String() + " over the last " + windowText(w) + " (otelcounters)"
	case k == counters.Last:
		return k.String() + ": the most recent value (otelcounters)"
	}
	return k.String() + ": running total since the counter was registered (otelcounters)"
}

// pointAttrs returns the series' attributes plus the kind and window, which
// take precedence over series attributes of the same names.
func pointAttrs(v *report.Value) attribute.Set {
	kvs := make([]attribute.KeyValue, 0, v.Attrs.Len()+2)
	kvs = append(kvs, v.Attrs.ToSlice()...)
	kvs = append(kvs, KindKey.String(v.Kind.String()))
	if v.Kind.Windowed() {
		kvs = append(kvs, WindowKey.String(windowText(v.Window)))
	}
	return attribute.NewSet(kvs...)
}
