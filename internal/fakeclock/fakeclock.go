package fakeclock

import (
	"sync/atomic"
	"time"
)

// start is where a clock made by [New] starts: a fixed time, so that test
// output is the same every run.
var start = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// Clock is a clock that moves only when told to, possibly backwards. It is
// safe for concurrent use: components read it from their own goroutines.
type Clock struct{ ns atomic.Int64 }

// New returns a clock at 2026-11-21 12:00:00 UTC.
func New() *Clock {
	c := &Clock{}
	c.ns.Store(start.UnixNano())
	return c
}

// Now returns the clock's time; pass c.Now where a func() time.Time is wanted.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock by d, backwards when d is negative.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
