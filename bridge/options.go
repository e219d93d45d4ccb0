package bridge

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

type options struct {
	steps      []func(*plan) error // the sources, in the order given
	logger     *slog.Logger
	getenv     func(string) string
	readerOpts []reader.Option
	mpOpts     []sdkmetric.Option
	scoped     bool
}

// Option configures [New] and [NewMeterProvider].
type Option interface{ apply(options) options }

type optionFunc func(options) options

func (f optionFunc) apply(o options) options { return f(o) }

func step(f func(*plan) error) Option {
	return optionFunc(func(o options) options {
		o.steps = append(o.steps, f)
		return o
	})
}

// WithCounters registers counters given as Go values.
func WithCounters(defs ...counters.Definition) Option {
	defs = append([]counters.Definition(nil), defs...)
	return step(func(p *plan) error {
		for _, d := range defs {
			p.addCounter(d, "WithCounters")
		}
		return nil
	})
}

// WithConfig applies a parsed configuration: its counters, tick, report
// interval, series limit, reporters and default counters.
func WithConfig(c *config.Config) Option {
	return step(func(p *plan) error {
		if c == nil {
			return fmt.Errorf("bridge: WithConfig: nil *config.Config")
		}
		p.apply(c, "WithConfig")
		return nil
	})
}

// WithConfigFile loads and applies the configuration file at path (YAML or
// JSON; see package config).
func WithConfigFile(path string) Option {
	return step(func(p *plan) error {
		c, err := config.Load(path)
		if err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
		p.apply(c, path)
		return nil
	})
}

// WithEnv loads and applies the configuration file named by the environment
// variable OTELCOUNTERS_CONFIG ([config.EnvVar]), when it is set. Without
// WithEnv the environment is not read.
func WithEnv() Option {
	return step(func(p *plan) error {
		c, err := config.FromEnv(p.getenv)
		if err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
		if c != nil {
			p.apply(c, p.getenv(config.EnvVar)+" (named by "+config.EnvVar+")")
		}
		return nil
	})
}

// WithReporter adds a reporter under name (which identifies it in errors and
// in reader.UnregisterReporter).
func WithReporter(name string, r report.Reporter) Option {
	return step(func(p *plan) error {
		if r == nil {
			return fmt.Errorf("bridge: WithReporter: reporter %q is nil", name)
		}
		p.reporters = append(p.reporters, plannedReporter{name: name, source: "WithReporter", rep: r})
		return nil
	})
}

// WithLogger sets the logger of the "log" reporters a configuration names
// (default: a text handler on standard error).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o options) options {
		if l != nil {
			o.logger = l
		}
		return o
	})
}

// WithTick sets how often the reader collects (reader.WithTick; default
// reader.DefaultTick). Non-positive values are ignored.
func WithTick(d time.Duration) Option {
	return step(func(p *plan) error {
		if d > 0 {
			p.tick = d
		}
		return nil
	})
}

// WithReportInterval sets how often reports go out (default
// reader.DefaultReportInterval, 300 s); zero or negative turns automatic
// reports off (reports then come on demand and at shutdown).
func WithReportInterval(d time.Duration) Option {
	return step(func(p *plan) error {
		if d <= 0 {
			d = -1
		}
		p.interval = d
		return nil
	})
}

// WithDefaults gives default counters to the instruments it selects that
// have none (see the package documentation). Off unless asked for.
func WithDefaults(d config.Defaults) Option {
	d.Include = append([]string(nil), d.Include...)
	d.Exclude = append([]string(nil), d.Exclude...)
	return step(func(p *plan) error {
		p.defaults = d
		return nil
	})
}

// WithReaderOptions passes options to reader.New after those the bridge
// derives from its sources, so they win: a clock, manual ticks, a report
// timeout.
func WithReaderOptions(opts ...reader.Option) Option {
	return optionFunc(func(o options) options {
		o.readerOpts = append(o.readerOpts, opts...)
		return o
	})
}

// WithMeterProviderOptions passes options to sdkmetric.NewMeterProvider in
// [NewMeterProvider] (a resource, views, other readers); [New] ignores them.
func WithMeterProviderOptions(opts ...sdkmetric.Option) Option {
	return optionFunc(func(o options) options {
		o.mpOpts = append(o.mpOpts, opts...)
		return o
	})
}

// WithScoped makes the provider of [NewMeterProvider] hand out the Meters
// of a scoped.MeterProvider that wraps the SDK's, so that measurements made
// with the context of a per-request recording started from
// [MeterProvider.Scoped] are added to it too, whether the instrumentation
// got its Meter from the provider itself or through otel.SetMeterProvider.
// The SDK, and so the window reader, still gets every measurement exactly
// as made. [New] ignores it: wrap an existing provider with scoped.Wrap.
func WithScoped() Option {
	return optionFunc(func(o options) options {
		o.scoped = true
		return o
	})
}

// withGetenv replaces os.Getenv, for tests.
func withGetenv(f func(string) string) Option {
	return optionFunc(func(o options) options {
		o.getenv = f
		return o
	})
}

func newOptions(opts []Option) options {
	o := options{getenv: os.Getenv}
	for _, opt := range opts {
		o = opt.apply(o)
	}
	return o
}
