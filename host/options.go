package host

import "time"

// DefaultMaxAge is the age past which a report is stale and left out of a
// merge: PyCounters' munin helper's max_file_age_in_seconds.
const DefaultMaxAge = 900 * time.Second

type config struct {
	maxAge   time.Duration
	now      func() time.Time
	checkPID bool
	prune    bool
	// maxFileSize bounds the report files read, in bytes.
	maxFileSize int64
}

func newConfig(opts []Option) config {
	c := config{maxAge: DefaultMaxAge, now: time.Now, checkPID: true, maxFileSize: DefaultMaxFileSize}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures [Merge] and [Read].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithMaxAge sets the age past which a report is stale and left out
// (default [DefaultMaxAge]); zero or negative means no limit.
func WithMaxAge(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.maxAge = d
		return c
	})
}

// WithClock sets the clock that reports' ages are measured with (default
// time.Now); a nil clock means time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c config) config {
		if now == nil {
			now = time.Now
		}
		c.now = now
		return c
	})
}

// WithoutPIDCheck keeps the reports of processes that look dead: for
// writers in another pid namespace (containers sharing only the folder).
// Their reports still go stale.
func WithoutPIDCheck() Option {
	return optionFunc(func(c config) config {
		c.checkPID = false
		return c
	})
}

// WithPrune makes [Merge] remove the reports of dead processes, which
// otherwise pile up as processes restart under new pids.
func WithPrune() Option {
	return optionFunc(func(c config) config {
		c.prune = true
		return c
	})
}

// WithMaxFileSize sets the largest report file, in bytes, that [Merge] and
// [Read] read (default [DefaultMaxFileSize]); a larger one is Invalid.
// Zero or negative means the default.
func WithMaxFileSize(n int64) Option {
	return optionFunc(func(c config) config {
		if n > 0 {
			c.maxFileSize = n
		}
		return c
	})
}
