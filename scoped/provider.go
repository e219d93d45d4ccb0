package scoped

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	"go.opentelemetry.io/otel/metric/noop"
)

// MeterProvider is a metric.MeterProvider that adds the synchronous
// measurements made with the context of one of its recordings (see
// [MeterProvider.Start]) to that recording, and passes every call on to the
// provider it wraps. Make one with [Wrap]; the zero value is not usable. It
// is safe for concurrent use.
type MeterProvider struct {
	embedded.MeterProvider
	inner metric.MeterProvider
	// active counts the recordings started and not yet stopped. While it is
	// zero, instruments skip the ctx.Value walk: one atomic load is the
	// whole cost of the wrapper.
	active atomic.Int64
}

var _ metric.MeterProvider = (*MeterProvider)(nil)

// Wrap returns a MeterProvider that delegates to mp, usually the SDK's.
// Wrapping a provider Wrap returned gives it back unchanged, and so does
// wrapping a provider that has a wrapper of its own (a method
// Scoped() *MeterProvider that returns non-nil, as the bridge's provider
// made with bridge.WithScoped has): no measurement is recorded twice. A nil
// mp stands for a no-op provider: the measurements then reach recordings
// only.
func Wrap(mp metric.MeterProvider) *MeterProvider {
	switch w := mp.(type) {
	case *MeterProvider:
		if w != nil {
			return w
		}
		mp = nil
	case interface{ Scoped() *MeterProvider }:
		if s := w.Scoped(); s != nil {
			return s
		}
	}
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	return &MeterProvider{inner: mp}
}

// Start begins a recording and returns a context that carries it. Every
// synchronous measurement made through p's instruments with that context,
// or one derived from it, is added to the recording and to every active
// recording of p that ctx already carries (recordings nest). Measurements
// made with other contexts, or through another provider, are not. Call
// [Recording.Stop] to end it, always (defer it): until the last recording
// of p stops, every measurement through p looks for one in its context.
func (p *MeterProvider) Start(ctx context.Context, opts ...Option) (context.Context, *Recording) {
	c := newConfig(opts)
	r := &Recording{
		p:      p,
		parent: p.fromContext(ctx),
		name:   c.name,
		now:    c.now,
		limit:  c.limit,
	}
	r.start = r.now()
	// Counted before the context exists: whoever measures with it got it
	// after this increment, so sees a non-zero count.
	p.active.Add(1)
	return context.WithValue(ctx, ctxKey{p}, r), r
}

// Meter returns a wrapped Meter of the inner provider's Meter.
func (p *MeterProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return &meter{p: p, inner: p.inner.Meter(name, opts...)}
}

// Unwrap returns the provider p delegates to.
func (p *MeterProvider) Unwrap() metric.MeterProvider { return p.inner }

// meter wraps the synchronous instruments. Observable instruments and
// callbacks are passed through untouched: the SDK only accepts observables
// it created itself, and their callbacks run in the reader's collection, not
// within any request.
type meter struct {
	embedded.Meter
	p     *MeterProvider
	inner metric.Meter
}

var _ metric.Meter = (*meter)(nil)

func (m *meter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	i, err := m.inner.Int64Counter(name, opts...)
	if i == nil {
		i = noop.Int64Counter{}
	}
	unit := metric.NewInt64CounterConfig(opts...).Unit()
	return &int64Counter{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: Counter}}, err
}

func (m *meter) Int64UpDownCounter(name string, opts ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	i, err := m.inner.Int64UpDownCounter(name, opts...)
	if i == nil {
		i = noop.Int64UpDownCounter{}
	}
	unit := metric.NewInt64UpDownCounterConfig(opts...).Unit()
	return &int64UpDownCounter{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: UpDownCounter}}, err
}

func (m *meter) Int64Histogram(name string, opts ...metric.Int64HistogramOption) (metric.Int64Histogram, error) {
	i, err := m.inner.Int64Histogram(name, opts...)
	if i == nil {
		i = noop.Int64Histogram{}
	}
	unit := metric.NewInt64HistogramConfig(opts...).Unit()
	return &int64Histogram{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: Histogram}}, err
}

func (m *meter) Int64Gauge(name string, opts ...metric.Int64GaugeOption) (metric.Int64Gauge, error) {
	i, err := m.inner.Int64Gauge(name, opts...)
	if i == nil {
		i = noop.Int64Gauge{}
	}
	unit := metric.NewInt64GaugeConfig(opts...).Unit()
	return &int64Gauge{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: Gauge}}, err
}

func (m *meter) Float64Counter(name string, opts ...metric.Float64CounterOption) (metric.Float64Counter, error) {
	i, err := m.inner.Float64Counter(name, opts...)
	if i == nil {
		i = noop.Float64Counter{}
	}
	unit := metric.NewFloat64CounterConfig(opts...).Unit()
	return &float64Counter{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: Counter}}, err
}

func (m *meter) Float64UpDownCounter(name string, opts ...metric.Float64UpDownCounterOption) (metric.Float64UpDownCounter, error) {
	i, err := m.inner.Float64UpDownCounter(name, opts...)
	if i == nil {
		i = noop.Float64UpDownCounter{}
	}
	unit := metric.NewFloat64UpDownCounterConfig(opts...).Unit()
	return &float64UpDownCounter{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: UpDownCounter}}, err
}

func (m *meter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	i, err := m.inner.Float64Histogram(name, opts...)
	if i == nil {
		i = noop.Float64Histogram{}
	}
	unit := metric.NewFloat64HistogramConfig(opts...).Unit()
	return &float64Histogram{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: Histogram}}, err
}

func (m *meter) Float64Gauge(name string, opts ...metric.Float64GaugeOption) (metric.Float64Gauge, error) {
	i, err := m.inner.Float64Gauge(name, opts...)
	if i == nil {
		i = noop.Float64Gauge{}
	}
	unit := metric.NewFloat64GaugeConfig(opts...).Unit()
	return &float64Gauge{inner: i, in: &instrument{p: m.p, name: name, unit: unit, kind: Gauge}}, err
}

func (m *meter) Int64ObservableCounter(name string, opts ...metric.Int64ObservableCounterOption) (metric.Int64ObservableCounter, error) {
	return m.inner.Int64ObservableCounter(name, opts...)
}

func (m *meter) Int64ObservableUpDownCounter(name string, opts ...metric.Int64ObservableUpDownCounterOption) (metric.Int64ObservableUpDownCounter, error) {
	return m.inner.Int64ObservableUpDownCounter(name, opts...)
}

func (m *meter) Int64ObservableGauge(name string, opts ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	return m.inner.Int64ObservableGauge(name, opts...)
}

func (m *meter) Float64ObservableCounter(name string, opts ...metric.Float64ObservableCounterOption) (metric.Float64ObservableCounter, error) {
	return m.inner.Float64ObservableCounter(name, opts...)
}

func (m *meter) Float64ObservableUpDownCounter(name string, opts ...metric.Float64ObservableUpDownCounterOption) (metric.Float64ObservableUpDownCounter, error) {
	return m.inner.Float64ObservableUpDownCounter(name, opts...)
}

func (m *meter) Float64ObservableGauge(name string, opts ...metric.Float64ObservableGaugeOption) (metric.Float64ObservableGauge, error) {
	return m.inner.Float64ObservableGauge(name, opts...)
}

func (m *meter) RegisterCallback(f metric.Callback, instruments ...metric.Observable) (metric.Registration, error) {
	return m.inner.RegisterCallback(f, instruments...)
}

// rawAttributes is the SDK's experimental option interface for attributes
// given as a raw slice; the SDK merges them after the option's set, so the
// recording does too, to see the series the SDK sees.
type rawAttributes interface {
	RawAttributes() []attribute.KeyValue
}

func addAttributes(opts []metric.AddOption) attribute.Set {
	return withRaw(metric.NewAddConfig(opts).Attributes(), opts)
}

func recordAttributes(opts []metric.RecordOption) attribute.Set {
	return withRaw(metric.NewRecordConfig(opts).Attributes(), opts)
}

func withRaw[O any](set attribute.Set, opts []O) attribute.Set {
	var raw []attribute.KeyValue
	for _, o := range opts {
		if r, ok := any(o).(rawAttributes); ok {
			raw = append(raw, r.RawAttributes()...)
		}
	}
	if len(raw) == 0 {
		return set
	}
	// NewSet keeps the last of duplicate keys: raw attributes win.
	return attribute.NewSet(append(set.ToSlice(), raw...)...)
}
