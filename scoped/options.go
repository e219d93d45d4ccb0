package scoped

import "time"

// defaultSeriesLimit is the number of series a recording keeps unless
// WithSeriesLimit says otherwise: enough for any sane request, small enough
// that a runaway attribute cannot make a request hold megabytes.
const defaultSeriesLimit = 1000

type config struct {
	name  string
	now   func() time.Time
	limit int
}

func newConfig(opts []Option) config {
	c := config{now: time.Now, limit: defaultSeriesLimit}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures a recording made by [MeterProvider.Start].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithName names the recording, as [Result.Name] and in the error of
// [Result.Require]: a request's method and route, for example.
func WithName(name string) Option {
	return optionFunc(func(c config) config {
		c.name = name
		return c
	})
}

// WithClock sets the clock that times the recording (time.Now by default),
// for deterministic tests. A nil clock keeps the default.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c config) config {
		if now != nil {
			c.now = now
		}
		return c
	})
}

// WithSeriesLimit bounds the number of series (instrument and attribute
// set) the recording keeps, 1000 by default. Past the limit,
// a measurement of a new series is folded into its instrument's overflow
// series, whose only attribute is otel.metric.overflow=true, as the SDK
// does. A limit below 1 keeps the default.
func WithSeriesLimit(n int) Option {
	return optionFunc(func(c config) config {
		if n > 0 {
			c.limit = n
		}
		return c
	})
}
