package httpjson

import (
	"maps"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// Defaults of a [Handler]'s page.
const (
	// DefaultHistory is how many reports a Handler keeps for a page that
	// opens: with reports every 2 s, six minutes.
	DefaultHistory = 180
	// DefaultRefresh is how often the page asks for new reports when the
	// Handler has no reader to take the tick from.
	DefaultRefresh = 5 * time.Second
)

// maxHistoryValues bounds the numbers the history holds, all reports
// together (8 bytes each): with many series the history keeps fewer reports
// rather than growing without bound.
const maxHistoryValues = 1 << 20

// minRefresh is the shortest refresh a page is told to use: a reader ticking
// every few milliseconds (in tests) must not make every open page poll as
// fast.
const minRefresh = 500 * time.Millisecond

type config struct {
	history int
	refresh time.Duration
	units   map[string]string
}

func newConfig(opts []Option) config {
	c := config{history: DefaultHistory}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures a [Handler].
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithHistory sets how many recent reports the Handler keeps, so that a
// page that opens starts with a history (default [DefaultHistory]; 0 keeps
// none, and a page then starts with the current report alone). Fewer are
// kept when they would hold more than 2^20 numbers together.
func WithHistory(n int) Option {
	return optionFunc(func(c config) config {
		c.history = max(n, 0)
		return c
	})
}

// WithRefresh sets how often the page asks for new reports: the interval at
// which the values change (default the reader's tick for [ForReader],
// [DefaultRefresh] otherwise; at least 500 ms).
func WithRefresh(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.refresh = max(d, 0) // 0: the default
		return c
	})
}

// refreshOr returns the refresh set, or def when none was.
func (c config) refreshOr(def time.Duration) time.Duration {
	d := c.refresh
	if d == 0 {
		d = def
	}
	return max(d, minRefresh)
}

// unit returns the unit the page shows for a counter's values.
func (c config) unit(counter string, k counters.Kind) string {
	if u, ok := c.units[counter]; ok {
		return u
	}
	return k.Unit()
}

// WithUnit sets the unit the page shows for one counter (UCUM, as
// OpenTelemetry units: "s", "By", "{request}/s"), overriding the default:
// "s" for average_time, "1/s" for frequency, none otherwise.
func WithUnit(counter, unit string) Option {
	return optionFunc(func(c config) config {
		units := maps.Clone(c.units)
		if units == nil {
			units = map[string]string{}
		}
		units[counter] = unit
		c.units = units
		return c
	})
}
