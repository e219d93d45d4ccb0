package windowproducer

type config struct {
	prefix   string
	units    map[string]string
	empty    float64
	hasEmpty bool // WithEmptyValue: export empty values as empty
}

func newConfig(opts []Option) config {
	c := config{units: map[string]string{}}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures a [Producer].
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithPrefix puts prefix before every counter's name to make the metric
// name, e.g. "app.window." (default none).
func WithPrefix(prefix string) Option {
	return optionFunc(func(c config) config {
		c.prefix = prefix
		return c
	})
}

// WithUnit sets the unit of one counter's metric (UCUM, as OpenTelemetry
// units: "s", "By", "{request}/s"), overriding the default ("s" for
// average_time, "1/s" for frequency, none otherwise).
func WithUnit(counter, unit string) Option {
	return optionFunc(func(c config) config {
		units := make(map[string]string, len(c.units)+1)
		for k, v := range c.units {
			units[k] = v
		}
		units[counter] = unit
		c.units = units
		return c
	})
}

// WithEmptyValue exports a series that has no value (an empty window) as
// the number v, where by default its point is left out: math.NaN() for
// OTLP backends that draw NaN as a gap and keep the series (stdoutmetric
// cannot encode NaN), or a number the backend knows to mean "none". See the
// package doc on empty windows before choosing 0.
func WithEmptyValue(v float64) Option {
	return optionFunc(func(c config) config {
		c.empty, c.hasEmpty = v, true
		return c
	})
}
