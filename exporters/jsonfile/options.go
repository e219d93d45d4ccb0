package jsonfile

type config struct {
	fs FS
}

// Option configures a [Reporter].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithFS makes the Reporter write through fs instead of the os package; a
// nil fs means the os package. New still checks the path with the os
// package.
func WithFS(fs FS) Option {
	return optionFunc(func(c config) config {
		c.fs = fs
		return c
	})
}
