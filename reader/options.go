package reader

import (
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
)

// Defaults of a [Reader].
const (
	DefaultTick           = 5 * time.Second
	DefaultReportInterval = 300 * time.Second
	DefaultReportTimeout  = 10 * time.Second
	DefaultSeriesLimit    = 2000
)

// OverflowKey is the attribute of the series that takes the measurements of
// attribute sets beyond a counter's series limit, as the SDK's own overflow.
const OverflowKey = "otel.metric.overflow"

type config struct {
	tick           time.Duration
	reportInterval time.Duration
	reportTimeout  time.Duration
	seriesLimit    int
	manual         bool
	clock          func() time.Time
	origin         time.Time // zero: the clock at New
	defs           []counters.Definition
	export         exportConfig // see pipeline.go

	histogram sdkmetric.Aggregation // see percentiles.go; nil: the default
}

func newConfig(opts []Option) config {
	c := config{
		tick:           DefaultTick,
		reportInterval: DefaultReportInterval,
		reportTimeout:  DefaultReportTimeout,
		seriesLimit:    DefaultSeriesLimit,
		clock:          time.Now,
	}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures a [Reader].
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithTick sets how often the reader collects the interval's measurements
// into the windows (default [DefaultTick]). It is also the finest slot width:
// see package counters on window precision. Non-positive values are ignored.
func WithTick(d time.Duration) Option {
	return optionFunc(func(c config) config {
		if d > 0 {
			c.tick = d
		}
		return c
	})
}

// WithReportInterval sets how often the reader sends a report to its
// reporters (default [DefaultReportInterval], PyCounters' 300 s). The first
// report is sent at the first tick; the interval is counted in ticks, rounded
// to the nearest whole number of them (at least one). Zero or negative turns automatic
// reporting off; reports then happen only on demand and at Shutdown.
func WithReportInterval(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.reportInterval = d
		return c
	})
}

// WithReportTimeout bounds how long one reporter may take with one report
// (default [DefaultReportTimeout]). A reporter still busy after it is
// skipped by the periodic reports until it returns, and the others go on;
// [Reader.OutputReport], ForceFlush and Shutdown wait for it up to the
// report timeout, then give it their report.
func WithReportTimeout(d time.Duration) Option {
	return optionFunc(func(c config) config {
		if d > 0 {
			c.reportTimeout = d
		}
		return c
	})
}

// WithSeriesLimit bounds the number of series (attribute sets) each counter
// keeps (default [DefaultSeriesLimit]). Measurements of further attribute
// sets go to one series with the attribute otel.metric.overflow="true".
// Zero or negative means no limit.
func WithSeriesLimit(n int) Option {
	return optionFunc(func(c config) config {
		c.seriesLimit = n
		return c
	})
}

// WithCounters registers counters at construction; [New] panics if one is
// invalid, as a program error. Use [Reader.Register] for counters that come
// from run-time input.
func WithCounters(defs ...counters.Definition) Option {
	return optionFunc(func(c config) config {
		c.defs = append(c.defs, defs...)
		return c
	})
}

// WithClock sets the clock the windows are read with (default time.Now).
// Windows use the difference between readings, so a clock with monotonic
// readings (time.Now's) makes them immune to wall-clock jumps.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c config) config {
		if now != nil {
			c.clock = now
		}
		return c
	})
}

// WithManualTicks starts no goroutine: the owner calls [Reader.Tick] at each
// tick and asks for reports itself. For simulations and tests.
func WithManualTicks() Option {
	return optionFunc(func(c config) config {
		c.manual = true
		return c
	})
}

// WithDeltaSums has the SDK keep counter and up-down counter sums as
// deltas, as the windows use them, instead of cumulative.
//
// By default the SDK keeps sums cumulative, as its PeriodicReader does, and
// the reader takes each tick's differences itself: a counter's Add then
// costs what it costs with the SDK's default reader, where the SDK's delta
// sums cost 10–20% more per Add. The price of the default is the one a
// service's own cumulative export already pays: the SDK never forgets a
// series of a sum (its cardinality limit bounds them), and a float counter
// that once adds NaN or an infinity stays so, with its windows. With delta
// sums idle series leave the SDK, and only the interval that held the NaN
// is left out.
func WithDeltaSums() Option {
	return optionFunc(func(c config) config {
		c.export.deltaSums = true
		return c
	})
}
