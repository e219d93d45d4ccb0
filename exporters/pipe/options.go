package pipe

import "time"

// Defaults of a [Reporter].
const (
	DefaultPollInterval = 100 * time.Millisecond
	DefaultWriteTimeout = 5 * time.Second
)

type config struct {
	poll         time.Duration
	writeTimeout time.Duration
}

// Option configures a [Reporter].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithPollInterval sets how often the writer looks for a reader, and how
// long it waits after each reader before looking again (default
// [DefaultPollInterval]): a reader waits for its report up to this long,
// and it is long enough for a reader to see the end of its report rather
// than a second copy. Non-positive means the default.
func WithPollInterval(d time.Duration) Option {
	return optionFunc(func(c config) config {
		if d > 0 {
			c.poll = d
		}
		return c
	})
}

// WithWriteTimeout bounds the time the writer waits for a reader that has
// opened the pipe to read a report (default [DefaultWriteTimeout]).
// Non-positive means the default.
func WithWriteTimeout(d time.Duration) Option {
	return optionFunc(func(c config) config {
		if d > 0 {
			c.writeTimeout = d
		}
		return c
	})
}
