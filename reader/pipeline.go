package reader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/report"
)

// Defaults of the export set up by [WithExporter], those of the SDK's
// PeriodicReader.
const (
	DefaultExportInterval = 60 * time.Second
	DefaultExportTimeout  = 30 * time.Second
)

// Snapshot returns every counter's value as of the last tick, without
// collecting: unlike [Reader.Report] it never consumes the interval in
// progress, so any number of readers of the values (a metric producer on
// every export, a status page) can call it at any time. Its Time is the time
// of the last tick (the reader's creation before the first one). Snapshot is
// safe for concurrent use and also works after Shutdown.
func (r *Reader) Snapshot() report.Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.valuesLocked(r.origin.Add(r.lastAt), r.lastAt)
}

type exportConfig struct {
	deltaSums bool // WithDeltaSums
	exp       sdkmetric.Exporter
	interval  time.Duration
	timeout   time.Duration
	producers []func(*Reader) sdkmetric.Producer
}

// aggregation is the embedded SDK reader's aggregation selector: the
// exporter's, so that the raw data exported is what the exporter asked for.
func (c exportConfig) aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	if c.exp != nil {
		if a := c.exp.Aggregation(k); a != nil {
			return a
		}
	}
	return sdkmetric.DefaultAggregationSelector(k)
}

// WithExporter makes the reader also the service's metric export: one SDK
// pipeline feeds both the windows and exp, so each measurement is aggregated
// once, where a PeriodicReader beside this reader would be a second SDK
// pipeline that aggregates every measurement again (about 1.6 times the
// recording cost of one).
//
// Every tick's interval data is merged into the next export: delta data
// (sums added, histograms merged, last gauge values) when exp.Temporality
// asks for delta for the instrument's kind, running totals per series
// otherwise. Monotonic sums are treated as Counters, other sums as
// UpDownCounters, when asking exp. The data of the producers given with
// [WithExportProducer] is added to each export.
//
// An export is due every interval, at the first tick at or after it; a
// non-positive interval means OTEL_METRIC_EXPORT_INTERVAL (milliseconds) or
// [DefaultExportInterval]. Exports run on their own goroutine, bounded by the
// export timeout ([WithExportTimeout]): an exporter stuck on a dead endpoint
// delays neither the ticks nor the reports, and data keeps merging into the
// next export meanwhile. Export errors go to otel.Handle. The reader's
// Shutdown exports what is left and shuts exp down; its ForceFlush exports
// at once. The goroutine exists also with [WithManualTicks].
//
// The embedded SDK reader takes exp's aggregation selector, so the windows
// are fed from the aggregations exp asks for (an exponential histogram
// serves them as well as an explicit one); [WithHistogramAggregation]
// overrides it for histograms, in the export too.
func WithExporter(exp sdkmetric.Exporter, interval time.Duration) Option {
	return optionFunc(func(c config) config {
		c.export.exp = exp
		c.export.interval = interval
		return c
	})
}

// WithExportTimeout bounds one export of [WithExporter]. Non-positive means
// OTEL_METRIC_EXPORT_TIMEOUT (milliseconds) or [DefaultExportTimeout].
func WithExportTimeout(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.export.timeout = d
		return c
	})
}

// WithExportProducer adds the data of a producer to every export of
// [WithExporter]. It takes a constructor, called once by [New] with the new
// reader, because the producer that matters here, the window values of
// package windowproducer, reads the reader it is given to. Without
// WithExporter it does nothing.
func WithExportProducer(newProducer func(*Reader) sdkmetric.Producer) Option {
	return optionFunc(func(c config) config {
		if newProducer != nil {
			c.export.producers = append(c.export.producers, newProducer)
		}
		return c
	})
}

// pipeline is the export of WithExporter. The tick path only merges into
// acc (under mu) and, when an export is due, wakes the export goroutine.
type pipeline struct {
	exp       sdkmetric.Exporter
	interval  time.Duration
	timeout   time.Duration
	producers []sdkmetric.Producer

	mu   sync.Mutex // guards acc, next, since and warned
	acc  *accumulator
	next time.Duration // elapsed time at which the next export is due
	// since is when the export in progress began (zero when none is), and
	// warned whether its overrun was reported: an exporter that ignores its
	// context would otherwise hold exports up without a word.
	since  time.Time
	warned bool

	kick chan struct{} // capacity 1: an export is due
	sem  chan struct{} // capacity 1: one export at a time, waited for with a context
	stop chan struct{}
	done chan struct{}
	// ctx is the base of every export's context; shutdown cancels it when
	// its own context ends before an export does.
	ctx    context.Context
	cancel context.CancelFunc

	shutOnce sync.Once
	shutErr  error
	shut     chan struct{} // closed once shutdown has begun
}

func newPipeline(r *Reader) *pipeline {
	c := r.cfg.export
	if c.exp == nil {
		return nil
	}
	p := &pipeline{
		exp:      c.exp,
		interval: durationFromEnv(c.interval, "OTEL_METRIC_EXPORT_INTERVAL", DefaultExportInterval),
		timeout:  durationFromEnv(c.timeout, "OTEL_METRIC_EXPORT_TIMEOUT", DefaultExportTimeout),
		acc:      newAccumulator(c.exp.Temporality, r.cfg.seriesLimit),
		kick:     make(chan struct{}, 1),
		sem:      make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		shut:     make(chan struct{}),
	}
	p.next = p.interval
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for _, newProducer := range c.producers {
		if pr := newProducer(r); pr != nil {
			p.producers = append(p.producers, pr)
		}
	}
	go p.run()
	return p
}

// durationFromEnv returns d if positive, else the milliseconds in the
// environment variable key if valid and positive, else def.
func durationFromEnv(d time.Duration, key string, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	if v := os.Getenv(key); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
		otel.Handle(fmt.Errorf("otelcounters: %s=%q is not a positive number of milliseconds; using %v", key, v, def))
	}
	return def
}

// add merges one tick's collected data (which the SDK reuses: the
// accumulator copies what it keeps) and wakes the exporter when due.
func (p *pipeline) add(at time.Duration, rm *metricdata.ResourceMetrics) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.acc.add(rm)
	due := at >= p.next
	if due {
		p.next = at + p.interval
	}
	stuck := !p.since.IsZero() && !p.warned && time.Since(p.since) > p.timeout
	if stuck {
		p.warned = true
	}
	p.mu.Unlock()
	if stuck {
		otel.Handle(fmt.Errorf("otelcounters: export: the exporter has not returned for more than %v (it ignores its context); exports wait for it", p.timeout))
	}
	if due {
		select {
		case p.kick <- struct{}{}:
		default: // an export is already pending; it will take this data too
		}
	}
}

func (p *pipeline) run() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		}
		ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
		if err := p.export(ctx); err != nil {
			otel.Handle(err)
		}
		cancel()
	}
}

// export sends everything merged so far, plus the producers' data.
func (p *pipeline) export(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("otelcounters: export: waiting for the export in progress: %w", ctx.Err())
	}
	defer func() { <-p.sem }()
	p.mu.Lock()
	rm := p.acc.collect()
	p.since = time.Now()
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.since, p.warned = time.Time{}, false
		p.mu.Unlock()
	}()
	var errs []error
	for _, pr := range p.producers {
		sm, err := pr.Produce(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("otelcounters: export: producer: %w", err))
		}
		rm.ScopeMetrics = append(rm.ScopeMetrics, sm...)
	}
	if len(rm.ScopeMetrics) > 0 {
		if err := p.exp.Export(ctx, &rm); err != nil {
			errs = append(errs, fmt.Errorf("otelcounters: export: %w", err))
		}
	}
	return errors.Join(errs...)
}

// flush exports now and flushes the exporter.
func (p *pipeline) flush(ctx context.Context) error {
	if p == nil {
		return nil
	}
	select {
	case <-p.shut:
		return ErrShutdown
	default:
	}
	return errors.Join(p.export(ctx), p.exp.ForceFlush(ctx))
}

// shutdown stops the export goroutine, exports what is left and shuts the
// exporter down. If ctx ends first, the export in progress is cancelled and
// nothing more is exported.
func (p *pipeline) shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.shutOnce.Do(func() {
		close(p.shut)
		close(p.stop)
		defer p.cancel()
		select {
		case <-p.done:
		case <-ctx.Done():
			p.cancel()
			p.shutErr = errors.Join(fmt.Errorf("otelcounters: export: shutdown: %w", ctx.Err()), p.exp.Shutdown(ctx))
			return
		}
		err := p.export(ctx)
		p.shutErr = errors.Join(err, p.exp.Shutdown(ctx))
	})
	return p.shutErr
}

// temporality is the embedded SDK reader's temporality selector: delta,
// except for sums, which stay cumulative unless [WithDeltaSums].
//
// The windows need each interval's data: delta. But the SDK's delta sums
// swap a hot and a cold map on every measurement, which makes a Counter's
// Add 10–20% dearer than the cumulative sums of the SDK's PeriodicReader.
// So the SDK keeps the sums cumulative, exactly as that PeriodicReader does,
// and the reader takes the per-tick differences itself ([sumDeltas]). The
// price is the one a cumulative export pays anyway: a float counter that
// once adds NaN or an infinity stays so, and its window with it, where
// under delta only that interval is left out. Histograms and gauges stay
// delta: the windows need each interval's minimum, maximum and last value.
func (c exportConfig) temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	switch k {
	case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindUpDownCounter,
		sdkmetric.InstrumentKindObservableCounter, sdkmetric.InstrumentKindObservableUpDownCounter:
		if !c.deltaSums {
			return metricdata.CumulativeTemporality
		}
	}
	return metricdata.DeltaTemporality
}

// sumDeltas turns the cumulative sums of each collect into the deltas since
// the previous one, in place, so that everything downstream (windows, the
// export's accumulator) sees delta data only. Series that did not change are
// left out, as the SDK leaves out untouched series under delta. It keeps
// the last total of every series, as the SDK's cumulative sums themselves
// do (bounded by the SDK's cardinality limit). It is not safe for concurrent
// use: tick serialises it.
type sumDeltas struct {
	last map[sumKey]sumTotal
}

type sumKey struct {
	scope, version, schema string
	scopeAttrs             attribute.Distinct
	name, unit             string
	attrs                  attribute.Distinct
}

type sumTotal struct {
	i int64
	f float64
	t time.Time // the collect that saw it
}

func (s *sumDeltas) toDelta(rm *metricdata.ResourceMetrics) {
	for i := range rm.ScopeMetrics {
		sm := &rm.ScopeMetrics[i]
		for j := range sm.Metrics {
			m := &sm.Metrics[j]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if d.Temporality == metricdata.CumulativeTemporality {
					d.DataPoints = deltaPoints(s, sm, m, d.DataPoints,
						func(t sumTotal, v int64) (int64, sumTotal) { return v - t.i, sumTotal{i: v} })
					d.Temporality = metricdata.DeltaTemporality
					m.Data = d
				}
			case metricdata.Sum[float64]:
				if d.Temporality == metricdata.CumulativeTemporality {
					d.DataPoints = deltaPoints(s, sm, m, d.DataPoints,
						func(t sumTotal, v float64) (float64, sumTotal) { return v - t.f, sumTotal{f: v} })
					d.Temporality = metricdata.DeltaTemporality
					m.Data = d
				}
			}
		}
	}
}

// deltaPoints replaces each point's total by its change since the last
// collect and drops the points that did not change. It swaps rather than
// copies points: the SDK reuses each point's exemplar slice.
func deltaPoints[N int64 | float64](s *sumDeltas, sm *metricdata.ScopeMetrics, m *metricdata.Metrics, pts []metricdata.DataPoint[N],
	diff func(sumTotal, N) (N, sumTotal)) []metricdata.DataPoint[N] {
	if s.last == nil {
		s.last = map[sumKey]sumTotal{}
	}
	k := sumKey{scope: sm.Scope.Name, version: sm.Scope.Version, schema: sm.Scope.SchemaURL,
		scopeAttrs: sm.Scope.Attributes.Equivalent(), name: m.Name, unit: m.Unit}
	n := 0
	for i := range pts {
		p := &pts[i]
		k.attrs = p.Attributes.Equivalent()
		prev, seen := s.last[k]
		d, total := diff(prev, p.Value)
		total.t = p.Time
		s.last[k] = total
		if d == 0 {
			continue
		}
		p.Value = d
		if seen {
			p.StartTime = prev.t
		}
		pts[n], pts[i] = pts[i], pts[n]
		n++
	}
	return pts[:n]
}
