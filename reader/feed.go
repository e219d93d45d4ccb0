package reader

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
)

// Point is one data point reduced to what counters read: what [Reader.Feed]
// takes from data that does not come through a MeterProvider, such as a
// Collector's pipeline.
//
// A histogram point has Values set, Count measurements adding up to Sum,
// their extremes when MinMax is set, and its buckets, exponential or
// explicit; a gauge point is one value ([GaugePoint]); a sum point is an
// increment, in Sum, with Count zero.
type Point struct {
	Attrs    attribute.Set
	Count    uint64
	Sum      float64
	Min, Max float64
	MinMax   bool // Min and Max are known
	Values   bool // Count, Min and Max describe individual values

	// Exponential holds the buckets of an exponential histogram; nil for
	// others. Percentiles counters read them.
	Exponential *counters.Histogram
	// Bounds and BucketCounts hold the buckets of an explicit-bucket
	// histogram; nil for others.
	Bounds       []float64
	BucketCounts []uint64
}

// GaugePoint returns the point of a gauge's value v.
func GaugePoint(attrs attribute.Set, v float64) Point {
	return Point{Attrs: attrs, Count: 1, Sum: v, Min: v, Max: v, MinMax: true, Values: true}
}

// WithOrigin has elapsed times, and so the windows' slots, count from t
// instead of from the clock's reading at [New]: slot k holds the data of
// the intervals ending in (t+(k-1)·slot, t+k·slot]. With the Unix epoch as
// origin, slots line up with the wall clock, across restarts and across
// processes, which [Reader.RestoreState] and a fleet of Collectors rely on.
func WithOrigin(t time.Time) Option {
	return optionFunc(func(c config) config {
		c.origin = t
		return c
	})
}

// Listens reports whether a registered counter listens to event, so that a
// caller of [Reader.Feed] skips converting the data of other instruments.
func (r *Reader) Listens(event string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byEvent[event]) > 0
}

// Feed adds p, a data point of the instrument event measured in unit, from
// resource res (read by selections that name resource attributes; nil for
// none), to every counter that listens to event, as data of the interval
// that ended at time t. Sums and histograms are deltas: the change over that
// interval. A counter leaves out data older than its window at the newest
// time it has data for, and the data of a Reader that a MeterProvider also
// feeds interleaves with the SDK's.
//
// Feed is safe for concurrent use; it reads p's slices during the call only.
func (r *Reader) Feed(t time.Time, res *resource.Resource, event, unit string, p *Point) {
	at := t.Sub(r.origin)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shut {
		return
	}
	for _, e := range r.byEvent[event] {
		r.feed(at, e, event, unit, res, p)
	}
}
