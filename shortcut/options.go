package shortcut

import (
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelcounters/otelcounters/counters"
)

// Auto chooses the counter a shortcut registers for its event when no
// counter of the event's name exists. The zero Auto is the shortcut's own
// choice (see the package documentation) with [counters.DefaultWindow].
type Auto struct {
	// Off registers no counter: the shortcut only records the event, as
	// PyCounters' auto_add_counter=None.
	Off bool
	// Kind replaces the shortcut's default kind; zero keeps it.
	Kind counters.Kind
	// Window is the window of a windowed kind; zero means
	// counters.DefaultWindow.
	Window time.Duration
	// By and Without select the attributes that make the counter's series,
	// as in counters.Definition: with neither (the default), attributes
	// given with metric.WithAttributes are aggregated over and the counter
	// has one series under the event's name.
	By, Without []string
}

type config struct {
	auto    Auto
	autoFor map[string]Auto
	now     func() time.Time
	handle  func(error)
}

func newConfig(opts []Option) config {
	c := config{handle: otel.Handle} // now: nil reads time.Now directly
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures [New].
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithAuto sets the automatic counter of every call that gives none (default:
// the zero Auto, each shortcut's PyCounters default).
func WithAuto(a Auto) Option {
	return optionFunc(func(c config) config {
		c.auto = a
		return c
	})
}

// WithAutoFor sets the automatic counter of the event name, for whichever
// shortcut meets it first (PyCounters' auto_add_counter on one call). It
// wins over [WithAuto] for that name.
func WithAutoFor(name string, a Auto) Option {
	return optionFunc(func(c config) config {
		m := make(map[string]Auto, len(c.autoFor)+1)
		for k, v := range c.autoFor {
			m[k] = v
		}
		m[name] = a
		c.autoFor = m
		return c
	})
}

// WithClock sets the clock timings are read with (default time.Now, whose
// monotonic readings make timings immune to wall-clock jumps).
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c config) config {
		if now != nil {
			c.now = now
		}
		return c
	})
}

// WithErrorHandler sets where misuse and bad values are reported (default
// otel.Handle).
func WithErrorHandler(h func(error)) Option {
	return optionFunc(func(c config) config {
		if h != nil {
			c.handle = h
		}
		return c
	})
}
