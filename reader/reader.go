package reader

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// ErrDuplicateCounter is returned by [Reader.Register] for a name that is
// already registered.
var ErrDuplicateCounter = errors.New("counter already registered")

// ErrShutdown is returned by calls made after [Reader.Shutdown].
var ErrShutdown = errors.New("reader is shut down")

// sdkReader keeps the embedded field unexported, so that nobody drains the
// delta intervals behind the reader's back.
type sdkReader = sdkmetric.Reader

// Reader is an OpenTelemetry metric reader that turns the measurements of a
// MeterProvider into PyCounters-style window counters. Give it to
// sdkmetric.WithReader; it serves one MeterProvider.
//
// A Reader is safe for concurrent use. Unless made with [WithManualTicks] it
// owns one goroutine, which collects every tick and reports every report
// interval, and which [Reader.Shutdown] stops; [WithExporter] adds one that
// exports, which Shutdown stops too.
type Reader struct {
	sdkReader
	manual *sdkmetric.ManualReader
	cfg    config
	origin time.Time

	// tickMu serialises collection: each delta Collect consumes the interval.
	tickMu sync.Mutex
	rm     metricdata.ResourceMetrics // reused between ticks; guarded by tickMu
	pipe   *pipeline                  // the export of WithExporter; nil without
	sums   sumDeltas                  // guarded by tickMu
	// sdkOverflow: the instruments (meter and name) whose SDK overflow
	// set has been reported; guarded by tickMu.
	sdkOverflow map[string]bool

	mu        sync.Mutex // guards the fields below
	counters  map[string]*entry
	byEvent   map[string][]*entry
	reporters []namedReporter
	busy      map[string]chan struct{} // reporters running a report; closed when it ends
	shut      bool
	lastAt    time.Duration      // elapsed time of the last tick, which Snapshot reads at
	res       *resource.Resource // of the data being fed; guarded by tickMu and mu

	stop     chan struct{}
	done     chan struct{}
	shutOnce sync.Once
	shutErr  error
}

var _ sdkmetric.Reader = (*Reader)(nil)

type namedReporter struct {
	name string
	rep  report.Reporter
}

// entry is one registered counter and its series.
type entry struct {
	c      *counters.Counter
	sel    selection
	series map[attribute.Distinct]*series // by the attributes selected
	// memo maps the attributes of data points to their series, so that
	// selecting costs a map look-up per point once the attribute sets are
	// known. It is a cache: cleared whenever series go, or when it grows
	// past memoLimit.
	memo     map[memoKey]*series
	empty    *counters.Series // read when the counter has no series yet
	overflow *series
	warned   map[string]bool // problems already sent to otel.Handle
	summing  map[string]bool // events a frequency counter with of: auto was said to sum
	order    []*series       // series sorted by key, rebuilt when stale
	stale    bool            // series were added or removed since order
}

// sorted returns the counter's series in key order. Series come and go
// rarely, so keeping the order spares each report most of its sorting.
func (e *entry) sorted() []*series {
	if e.stale || len(e.order) != len(e.series) {
		e.order = e.order[:0]
		for _, s := range e.series {
			e.order = append(e.order, s)
		}
		slices.SortFunc(e.order, func(a, b *series) int { return strings.Compare(a.key, b.key) })
		e.stale = false
	}
	return e.order
}

// memoKey is what a data point's series depends on: its attributes, and
// under By the resource's, which fill in what the point lacks.
type memoKey struct{ res, attrs attribute.Distinct }

type series struct {
	s     *counters.Series
	attrs attribute.Set
	key   string
	// lastAt is the tick of the newest value a last counter took, which
	// several attribute sets folded into one series may each bring.
	lastAt time.Duration
}

// memoLimit bounds an entry's memo: well past the SDK's default cardinality
// limit (2000 attribute sets per instrument and interval).
const memoLimit = 1 << 14

// New returns a Reader. It panics if a counter given with [WithCounters] is
// invalid or duplicated (a programming error).
func New(opts ...Option) *Reader {
	cfg := newConfig(opts)
	if cfg.origin.IsZero() {
		cfg.origin = cfg.clock()
	}
	manual := sdkmetric.NewManualReader(
		sdkmetric.WithTemporalitySelector(cfg.export.temporality), // see pipeline.go
		sdkmetric.WithAggregationSelector(cfg.aggregation),
	)
	r := &Reader{
		sdkReader: manual,
		manual:    manual,
		cfg:       cfg,
		origin:    cfg.origin,
		counters:  map[string]*entry{},
		byEvent:   map[string][]*entry{},
		busy:      map[string]chan struct{}{},

		sdkOverflow: map[string]bool{},
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	for _, d := range cfg.defs {
		if err := r.Register(d); err != nil {
			panic("reader.New: " + err.Error())
		}
	}
	r.pipe = newPipeline(r)
	if cfg.manual {
		close(r.done)
	} else {
		go r.loop()
	}
	return r
}

// TickInterval returns the reader's tick.
func (r *Reader) TickInterval() time.Duration { return r.cfg.tick }

func (r *Reader) elapsed() time.Duration { return r.cfg.clock().Sub(r.origin) }

// Register adds a counter. Its name must be unique among the registered
// counters ([ErrDuplicateCounter] otherwise); several counters may listen to
// one event. The counter hears measurements from the current interval on.
func (r *Reader) Register(def counters.Definition) error {
	c, err := counters.New(def, r.cfg.tick, r.elapsed())
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shut {
		return ErrShutdown
	}
	name := c.Name()
	if _, ok := r.counters[name]; ok {
		return fmt.Errorf("counter %q: %w", name, ErrDuplicateCounter)
	}
	if err := r.checkNamesLocked(c); err != nil {
		return err
	}
	e := &entry{c: c, sel: newSelection(c.Definition()), series: map[attribute.Distinct]*series{},
		empty: c.NewSeries(), warned: map[string]bool{}}
	r.counters[name] = e
	for _, ev := range c.Definition().Events {
		r.byEvent[ev] = append(r.byEvent[ev], e)
	}
	return nil
}

// Unregister removes the counter named name and forgets its series. It
// reports whether such a counter was registered.
func (r *Reader) Unregister(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.counters[name]
	if !ok {
		return false
	}
	delete(r.counters, name)
	for _, ev := range e.c.Definition().Events {
		l := slices.DeleteFunc(r.byEvent[ev], func(x *entry) bool { return x == e })
		if len(l) == 0 {
			delete(r.byEvent, ev)
		} else {
			r.byEvent[ev] = l
		}
	}
	return true
}

// Counters returns the definitions of the registered counters, sorted by name.
func (r *Reader) Counters() []counters.Definition {
	r.mu.Lock()
	defer r.mu.Unlock()
	defs := make([]counters.Definition, 0, len(r.counters))
	for _, e := range r.counters {
		defs = append(defs, e.c.Definition())
	}
	slices.SortFunc(defs, func(a, b counters.Definition) int { return strings.Compare(a.Name, b.Name) })
	return defs
}

// Has reports whether a counter named name is registered.
func (r *Reader) Has(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.counters[name]
	return ok
}

// Tick collects the measurements of the interval since the previous tick and
// adds them to the windows. The reader's goroutine calls it every tick; call
// it yourself only with [WithManualTicks].
func (r *Reader) Tick(ctx context.Context) error {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	return r.tick(ctx, r.elapsed())
}

// scheduled returns the elapsed time a tick of the reader's own loop stands
// for: the multiple of the tick nearest the clock. The loop's ticker fires a
// little after each multiple (its goroutine starts after New, and wakes late
// under load); read as the clock says, every interval would land in the slot
// after the tick it closes, and a window read at a tick would cover a tick
// less than it should, which Frequency would divide by.
func (r *Reader) scheduled() time.Duration {
	t := r.cfg.tick
	return (r.elapsed() + t/2) / t * t
}

// tick collects the interval since the previous tick and adds it to the
// windows as the interval ending at elapsed time at.
func (r *Reader) tick(ctx context.Context, at time.Duration) error {
	if err := r.manual.Collect(ctx, &r.rm); err != nil {
		if errors.Is(err, sdkmetric.ErrReaderShutdown) {
			return ErrShutdown
		}
		if errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			// Fed by Feed alone: the windows still move on.
			r.mu.Lock()
			r.evict(at)
			r.lastAt = at
			r.mu.Unlock()
		}
		return err
	}
	r.sums.toDelta(&r.rm)
	r.watchSDKOverflow(&r.rm)
	r.mu.Lock()
	r.res = r.rm.Resource
	for _, sm := range r.rm.ScopeMetrics {
		for i := range sm.Metrics {
			m := &sm.Metrics[i]
			if l := r.byEvent[m.Name]; len(l) > 0 {
				r.feedMetric(at, m, l)
			}
		}
	}
	r.evict(at)
	r.lastAt = at
	r.mu.Unlock()
	r.pipe.add(at, &r.rm)
	return nil
}

// evict forgets the windowed series idle for twice their window: by then they
// have reported their empty value for a whole window.
func (r *Reader) evict(at time.Duration) {
	for _, e := range r.counters {
		if !e.c.Kind().Windowed() {
			continue
		}
		idle := 2 * e.c.Window()
		for k, s := range e.series {
			if s.attrs.Len() > 0 && s.s.Idle(at, idle) {
				delete(e.series, k)
				e.stale = true
				clear(e.memo) // it may lead to the series gone
				if s == e.overflow {
					e.overflow = nil
				}
			}
		}
	}
}

func (r *Reader) feedMetric(at time.Duration, m *metricdata.Metrics, l []*entry) {
	var p Point
	var h counters.Histogram // the buckets of exponential points, on the stack
	feed := func() {
		for _, e := range l {
			r.feed(at, e, m.Name, m.Unit, r.res, &p)
		}
	}
	switch d := m.Data.(type) {
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			p = histPoint(dp.Attributes, dp.Count, dp.Sum, dp.Min, dp.Max)
			p.Bounds, p.BucketCounts = dp.Bounds, dp.BucketCounts
			feed()
		}
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			p = histPoint(dp.Attributes, dp.Count, float64(dp.Sum), toFloat(dp.Min), toFloat(dp.Max))
			p.Bounds, p.BucketCounts = dp.Bounds, dp.BucketCounts
			feed()
		}
	case metricdata.ExponentialHistogram[float64]:
		for _, dp := range d.DataPoints {
			p = histPoint(dp.Attributes, dp.Count, dp.Sum, dp.Min, dp.Max)
			h = expHistogram(dp.Scale, dp.ZeroCount, dp.PositiveBucket, dp.NegativeBucket)
			p.Exponential = &h
			feed()
		}
	case metricdata.ExponentialHistogram[int64]:
		for _, dp := range d.DataPoints {
			p = histPoint(dp.Attributes, dp.Count, float64(dp.Sum), toFloat(dp.Min), toFloat(dp.Max))
			h = expHistogram(dp.Scale, dp.ZeroCount, dp.PositiveBucket, dp.NegativeBucket)
			p.Exponential = &h
			feed()
		}
	case metricdata.Sum[float64]:
		for _, dp := range d.DataPoints {
			p = Point{Attrs: dp.Attributes, Sum: dp.Value}
			feed()
		}
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			p = Point{Attrs: dp.Attributes, Sum: float64(dp.Value)}
			feed()
		}
	case metricdata.Gauge[float64]:
		for _, dp := range d.DataPoints {
			p = GaugePoint(dp.Attributes, dp.Value)
			feed()
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			p = GaugePoint(dp.Attributes, float64(dp.Value))
			feed()
		}
	}
}

func histPoint(attrs attribute.Set, n uint64, sum float64, lo, hi metricdata.Extrema[float64]) Point {
	p := Point{Attrs: attrs, Count: n, Sum: sum, Values: true}
	var okLo, okHi bool
	p.Min, okLo = lo.Value()
	p.Max, okHi = hi.Value()
	p.MinMax = okLo && okHi
	return p
}

func toFloat(e metricdata.Extrema[int64]) metricdata.Extrema[float64] {
	if v, ok := e.Value(); ok {
		return metricdata.NewExtrema(float64(v))
	}
	return metricdata.Extrema[float64]{}
}

// isDuration reports whether unit is a unit of time, which makes a histogram
// a timed event.
func isDuration(unit string) bool {
	switch unit {
	case "s", "ms", "us", "µs", "ns", "min", "h":
		return true
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// feed adds one data point to one counter, translated to what its kind reads.
// An interval whose sum or extremes are not finite is left out of every kind
// alike, with the same warning, before any kind reads it.
func (r *Reader) feed(at time.Duration, e *entry, event, unit string, res *resource.Resource, p *Point) {
	kind := e.c.Kind()
	if kind == counters.Percentiles {
		r.feedPercentiles(at, e, event, res, p)
		return
	}
	var x counters.Sample
	switch {
	case kind == counters.Last:
		if !p.Values || p.Count != 1 {
			e.warn(event, "last needs a gauge instrument (its values are not kept by "+instrumentWord(p)+")")
			return
		}
		if !e.finite(event, p) {
			return
		}
		x = counters.Sample{Count: 1, Sum: p.Sum}
	case kind.NeedsValues():
		if !p.Values {
			e.warn(event, kind.String()+" needs individual values, which a counter instrument does not keep; record them with a histogram")
			return
		}
		if (kind == counters.Max || kind == counters.Min) && !p.MinMax {
			e.warn(event, kind.String()+" needs the histogram's min and max, which its aggregation does not keep")
			return
		}
		if !e.finite(event, p) {
			return
		}
		if kind == counters.Count {
			x = counters.Sample{Count: p.Count}
			break
		}
		x = counters.Sample{Count: p.Count, Sum: p.Sum, Min: p.Min, Max: p.Max}
	default: // Event, Total, Frequency, WindowSum
		if !e.finite(event, p) {
			return
		}
		of := e.c.Definition().Of
		if of == counters.OfAuto {
			of = counters.OfSum
			switch {
			case isDuration(unit) && p.Values && kind != counters.Total:
				of = counters.OfCount
			case p.Values && kind == counters.Frequency && !e.summing[event]:
				// PyCounters' rule (value events add their value: bytes per
				// second), which surprises on a latency histogram without a
				// unit, where a rate of requests was meant: say it, once.
				// Sums and totals of values are what the tutorial's step 6
				// wants.
				if e.summing == nil {
					e.summing = map[string]bool{}
				}
				e.summing[event] = true
				e.warn(event, fmt.Sprintf("of auto adds up the values of this histogram, whose unit %q is not a duration; "+
					"write of: count to count its measurements, or of: sum to keep the sums and silence this", unit))
			}
		}
		if of == counters.OfCount && p.Values {
			x = counters.Sample{Count: p.Count, Sum: float64(p.Count)}
		} else {
			x = counters.Sample{Count: p.Count, Sum: p.Sum}
		}
	}
	s := e.seriesFor(p.Attrs, res, r.cfg.seriesLimit)
	if kind == counters.Last {
		// The SDK keeps no time per gauge value: of the values several
		// attribute sets folded into one series set in one interval, none
		// is known to be the newest. Take the greatest, so that the
		// result does not depend on the order the SDK lists them in.
		if v := s.s.Value(at); v.OK && s.lastAt == at && v.V >= x.Sum {
			return
		}
		s.lastAt = at
	}
	s.s.Add(at, x)
}

// finite reports whether the interval of p is one every kind keeps: its sum,
// and its extremes where known, are finite. If not, it warns once.
func (e *entry) finite(event string, p *Point) bool {
	if finite(p.Sum) && (!p.MinMax || finite(p.Min) && finite(p.Max)) {
		return true
	}
	e.warn(event, "an interval holding NaN or infinite values was left out")
	return false
}

func instrumentWord(p *Point) string {
	if p.Values {
		return "a histogram"
	}
	return "a counter instrument"
}

// warn sends a problem with a counter's input to otel.Handle once.
func (e *entry) warn(event, msg string) {
	k := event + "\x00" + msg
	if e.warned[k] {
		return
	}
	e.warned[k] = true
	otel.Handle(fmt.Errorf("otelcounters: counter %q, event %q: %s", e.c.Name(), event, msg))
}

// seriesFor returns the series a data point with attrs belongs to, after
// the counter's selection; past the series limit, the overflow series.
func (e *entry) seriesFor(attrs attribute.Set, res *resource.Resource, limit int) *series {
	if e.sel.mode == selectAll {
		return e.seriesOf(attrs, limit)
	}
	d := memoKey{attrs: attrs.Equivalent()}
	if res != nil && e.sel.mode == selectBy {
		d.res = res.Equivalent() // By may read the resource
	}
	if s, ok := e.memo[d]; ok {
		return s
	}
	s := e.seriesOf(e.sel.apply(attrs, res), limit)
	if e.memo == nil || len(e.memo) >= memoLimit {
		e.memo = make(map[memoKey]*series)
	}
	e.memo[d] = s
	return s
}

// seriesOf returns the series of the selected attributes attrs, made if
// need be; past the series limit, the overflow series.
func (e *entry) seriesOf(attrs attribute.Set, limit int) *series {
	d := attrs.Equivalent()
	if s, ok := e.series[d]; ok {
		return s
	}
	if limit > 0 && len(e.series) >= limit && attrs.Len() > 0 {
		if e.overflow == nil {
			o := attribute.NewSet(attribute.Bool(OverflowKey, true))
			// The SDK's own overflow set may already be a series here:
			// keep it, and what it holds.
			if e.overflow = e.series[o.Equivalent()]; e.overflow == nil {
				e.overflow = e.newSeries(o)
				e.series[o.Equivalent()] = e.overflow
				e.stale = true
			}
			e.warn("", fmt.Sprintf("more than %d series: further attribute sets are reported as %s", limit, e.overflow.key))
		}
		return e.overflow
	}
	s := e.newSeries(attrs)
	e.series[d] = s
	e.stale = true
	return s
}

func (e *entry) newSeries(attrs attribute.Set) *series {
	return &series{s: e.c.NewSeries(), attrs: attrs, key: report.Key(e.c.Name(), attrs)}
}

// Report collects the measurements made since the last tick and returns the
// current value of every counter's every series, sorted by key. A counter
// with no series yet is reported under its name with its empty value.
func (r *Reader) Report(ctx context.Context) (report.Report, error) {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	return r.report(ctx, r.elapsed())
}

// report collects the interval up to elapsed time at and reads every window
// at that time.
func (r *Reader) report(ctx context.Context, at time.Duration) (report.Report, error) {
	if err := r.tick(ctx, at); err != nil && !errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
		return report.Report{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.valuesLocked(r.origin.Add(at), at), nil
}

// valuesLocked returns every series' value at elapsed time at, as a report
// made at now. The caller holds r.mu.
func (r *Reader) valuesLocked(now time.Time, at time.Duration) report.Report {
	n := 0
	for _, e := range r.counters {
		n += max(len(e.series), 1)
	}
	rep := report.Report{Time: now, Values: make([]report.Value, 0, n)}
	entries := make([]*entry, 0, len(r.counters))
	for _, e := range r.counters {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.c.Name(), b.c.Name()) })
	for _, e := range entries {
		def := e.c.Definition()
		v := report.Value{Counter: def.Name, Kind: def.Kind}
		if def.Kind.Windowed() {
			v.Window = e.c.Window()
		}
		if def.Kind == counters.Frequency {
			v.Covered = e.c.Covered(at)
		}
		if def.Kind == counters.Percentiles {
			rep.Values = appendPercentiles(rep.Values, e, v, at)
			continue
		}
		if len(e.series) == 0 {
			v.Key = def.Name
			v.Value = e.empty.Value(at)
			rep.Values = append(rep.Values, v)
			continue
		}
		for _, s := range e.sorted() {
			v.Key, v.Attrs, v.Value = s.key, s.attrs, s.s.Value(at)
			rep.Values = append(rep.Values, v)
		}
	}
	// Counters in name order, each's series in key order: sorted already,
	// unless keys of two counters interleave ("a{...}" sorts after "a.b").
	if !slices.IsSortedFunc(rep.Values, func(a, b report.Value) int { return strings.Compare(a.Key, b.Key) }) {
		rep.Values = sortByKey(rep.Values)
	}
	return rep
}

// sortByKey sorts values by key. Values are large, so it sorts small
// (key, index) pairs and copies once: twice as fast as sorting in place.
func sortByKey(vs []report.Value) []report.Value {
	type ref struct {
		key string
		i   int
	}
	refs := make([]ref, len(vs))
	for i := range vs {
		refs[i] = ref{vs[i].Key, i}
	}
	slices.SortFunc(refs, func(a, b ref) int { return strings.Compare(a.key, b.key) })
	out := make([]report.Value, len(vs))
	for i, r := range refs {
		out[i] = vs[r.i]
	}
	return out
}

// Shutdown stops the reader's goroutine, sends a final report to the
// reporters, shuts down those that have a Shutdown(context.Context) error
// method (such as the named-pipe reporter), makes the last export of
// [WithExporter] and shuts its exporter down, and shuts the embedded SDK
// reader down. Only the first call does
// anything; later calls return its result. The MeterProvider calls it from
// its own Shutdown.
//
// The final report reaches every reporter, one still busy with an earlier
// report too, when it finishes: Shutdown returns once every reporter has
// answered or ctx ends, and its error names the reporters that did not get
// the final report. A ctx without a deadline stands for the report
// timeout: Shutdown then waits for a busy reporter, and for its answer, at
// most the report timeout each.
func (r *Reader) Shutdown(ctx context.Context) error {
	r.shutOnce.Do(func() {
		close(r.stop)
		select {
		case <-r.done:
		case <-ctx.Done():
			// No time for a final report; still leave nothing running: the
			// loop sees stop (or a shut reader) at its next step and ends.
			r.mu.Lock()
			r.shut = true
			r.mu.Unlock()
			r.shutErr = errors.Join(ctx.Err(), r.pipe.shutdown(ctx), r.manual.Shutdown(context.Background()))
			return
		}
		rep, err := r.Report(ctx)
		if err != nil {
			err = fmt.Errorf("otelcounters: final report: %w", err)
		} else if err = r.deliver(ctx, rep, finalReport, nil); err != nil {
			err = fmt.Errorf("otelcounters: final report: %w", err)
		}
		r.mu.Lock()
		r.shut = true
		reps := slices.Clone(r.reporters)
		r.mu.Unlock()
		r.shutErr = errors.Join(err, shutdownReporters(ctx, reps), r.pipe.shutdown(ctx), r.manual.Shutdown(ctx))
	})
	return r.shutErr
}

// shutdownReporters shuts down the reporters that own something to stop
// (a goroutine, a named pipe): those with a Shutdown method.
func shutdownReporters(ctx context.Context, reps []namedReporter) error {
	var errs []error
	for _, nr := range reps {
		if s, ok := nr.rep.(interface{ Shutdown(context.Context) error }); ok {
			if err := s.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("otelcounters: reporter %q: shutdown: %w", nr.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// periodicReport is the loop's report, read at its tick's scheduled time: a
// reporter still busy with the previous one is skipped, and Shutdown does
// not wait for the reporters to answer (it sends them its final report
// instead).
func (r *Reader) periodicReport(ctx context.Context) error {
	r.tickMu.Lock()
	rep, err := r.report(ctx, r.scheduled())
	r.tickMu.Unlock()
	if err != nil {
		return fmt.Errorf("otelcounters: report: %w", err)
	}
	err = r.deliver(ctx, rep, periodicReport, r.stop)
	select {
	case <-r.stop:
		return nil // Shutdown's final report says what matters
	default:
	}
	return err
}

// ForceFlush sends a report to the reporters now, and exports now with
// [WithExporter]; the MeterProvider calls it from its own ForceFlush.
func (r *Reader) ForceFlush(ctx context.Context) error {
	return errors.Join(r.OutputReport(ctx), r.pipe.flush(ctx))
}

func (r *Reader) loop() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.tick)
	defer t.Stop()
	// Reports are scheduled in ticks, not by reading the clock: ticker
	// jitter would otherwise make every report one tick late.
	every := 0
	if r.cfg.reportInterval > 0 {
		// Rounded to the nearest tick without overflowing on huge intervals.
		n, rest := r.cfg.reportInterval/r.cfg.tick, r.cfg.reportInterval%r.cfg.tick
		if rest >= r.cfg.tick-r.cfg.tick/2 {
			n++
		}
		every = int(max(1, min(n, math.MaxInt32)))
	}
	for n := 0; ; n++ {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		due := every > 0 && n%every == 0 // the first report at the first tick
		timeout := r.cfg.tick
		if due {
			// Reporters get their whole report timeout after the collect.
			timeout += r.cfg.reportTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		if due {
			if err := r.periodicReport(ctx); err != nil {
				otel.Handle(err)
			}
		} else if err := r.scheduledTick(ctx); err != nil && !errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			otel.Handle(fmt.Errorf("otelcounters: tick: %w", err))
		}
		cancel()
	}
}

// scheduledTick is the loop's tick, at its scheduled time.
func (r *Reader) scheduledTick(ctx context.Context) error {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	return r.tick(ctx, r.scheduled())
}
