package slogreport

import "log/slog"

type config struct {
	level slog.Level
	attrs bool
}

// Option configures a [Reporter].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithLevel sets the level of the records; the default is [slog.LevelInfo],
// PyCounters' level.
func WithLevel(level slog.Level) Option {
	return optionFunc(func(c config) config {
		c.level = level
		return c
	})
}

// WithValueAttrs adds to each record the attribute "key" (the report key)
// and, when the value is a finite number, the attribute "value" (a float64),
// for log pipelines that read attributes rather than messages. By default a
// record has only its message, as PyCounters' log lines had.
func WithValueAttrs() Option {
	return optionFunc(func(c config) config {
		c.attrs = true
		return c
	})
}
