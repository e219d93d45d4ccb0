package scoped

import (
	"context"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
)

// The wrapped synchronous instruments. Each measures through the inner
// instrument, then, only when the context carries a recording of the
// instrument's provider, works out the attribute set and adds the
// measurement to the recording. While the provider has no active recording
// the cost is one atomic load; while it has some, one ctx.Value walk for
// the measurements whose context carries none. Neither locks or allocates.
//
// Enabled is the inner instrument's answer, or true when the context
// carries a recording: a recording processes the measurement even when the
// SDK would drop it (no reader, or a view that drops the instrument), so
// instrumentation that skips expensive work when disabled still feeds it.

type int64Counter struct {
	embedded.Int64Counter
	inner metric.Int64Counter
	in    *instrument
}

func (i *int64Counter) Add(ctx context.Context, v int64, opts ...metric.AddOption) {
	i.inner.Add(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), addAttributes(opts))
	}
}

func (i *int64Counter) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type int64UpDownCounter struct {
	embedded.Int64UpDownCounter
	inner metric.Int64UpDownCounter
	in    *instrument
}

func (i *int64UpDownCounter) Add(ctx context.Context, v int64, opts ...metric.AddOption) {
	i.inner.Add(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), addAttributes(opts))
	}
}

func (i *int64UpDownCounter) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type int64Histogram struct {
	embedded.Int64Histogram
	inner metric.Int64Histogram
	in    *instrument
}

func (i *int64Histogram) Record(ctx context.Context, v int64, opts ...metric.RecordOption) {
	i.inner.Record(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), recordAttributes(opts))
	}
}

func (i *int64Histogram) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type int64Gauge struct {
	embedded.Int64Gauge
	inner metric.Int64Gauge
	in    *instrument
}

func (i *int64Gauge) Record(ctx context.Context, v int64, opts ...metric.RecordOption) {
	i.inner.Record(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), recordAttributes(opts))
	}
}

func (i *int64Gauge) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type float64Counter struct {
	embedded.Float64Counter
	inner metric.Float64Counter
	in    *instrument
}

func (i *float64Counter) Add(ctx context.Context, v float64, opts ...metric.AddOption) {
	i.inner.Add(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), addAttributes(opts))
	}
}

func (i *float64Counter) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type float64UpDownCounter struct {
	embedded.Float64UpDownCounter
	inner metric.Float64UpDownCounter
	in    *instrument
}

func (i *float64UpDownCounter) Add(ctx context.Context, v float64, opts ...metric.AddOption) {
	i.inner.Add(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), addAttributes(opts))
	}
}

func (i *float64UpDownCounter) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type float64Histogram struct {
	embedded.Float64Histogram
	inner metric.Float64Histogram
	in    *instrument
}

func (i *float64Histogram) Record(ctx context.Context, v float64, opts ...metric.RecordOption) {
	i.inner.Record(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), recordAttributes(opts))
	}
}

func (i *float64Histogram) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

type float64Gauge struct {
	embedded.Float64Gauge
	inner metric.Float64Gauge
	in    *instrument
}

func (i *float64Gauge) Record(ctx context.Context, v float64, opts ...metric.RecordOption) {
	i.inner.Record(ctx, v, opts...)
	if r := i.in.recording(ctx); r != nil {
		observe(r, i.in, float64(v), recordAttributes(opts))
	}
}

func (i *float64Gauge) Enabled(ctx context.Context) bool {
	return i.inner.Enabled(ctx) || i.in.recording(ctx) != nil
}

var (
	_ metric.Int64Counter         = (*int64Counter)(nil)
	_ metric.Int64UpDownCounter   = (*int64UpDownCounter)(nil)
	_ metric.Int64Histogram       = (*int64Histogram)(nil)
	_ metric.Int64Gauge           = (*int64Gauge)(nil)
	_ metric.Float64Counter       = (*float64Counter)(nil)
	_ metric.Float64UpDownCounter = (*float64UpDownCounter)(nil)
	_ metric.Float64Histogram     = (*float64Histogram)(nil)
	_ metric.Float64Gauge         = (*float64Gauge)(nil)
)
