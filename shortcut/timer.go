package shortcut

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

var errZeroTimer = errors.New("otelcounters: shortcut: stop of a Timer that was never started (zero Timer)")

// Timer is one timing in progress, returned by [Shortcuts.Time] and
// [Shortcuts.Start]. Stop it once; its zero value is a timing that was never
// started. A Timer is a small value: keep it in a variable and stop that
// variable (copies are not told about each other's Stop).
type Timer struct {
	e       *entry
	ctx     context.Context
	opts    []metric.RecordOption // attributes, recorded at Stop
	start   time.Time
	stopped bool
}

// Stop records the seconds since the timing started, with the context it
// started with, and returns them. A second Stop, or a Stop of a zero Timer,
// records nothing, returns 0 and is reported to the error handler (of the
// Shortcuts that started it, otel.Handle for a zero Timer).
func (t *Timer) Stop() time.Duration {
	if t.e == nil {
		otel.Handle(errZeroTimer)
		return 0
	}
	s := t.e.s
	if t.stopped {
		s.cfg.handle(fmt.Errorf("otelcounters: shortcut: timing of event %q stopped twice; the second stop is ignored", t.e.name))
		return 0
	}
	t.stopped = true
	var d time.Duration
	if s.cfg.now == nil {
		d = time.Since(t.start) // the monotonic clock alone: cheaper than Now
	} else {
		d = s.cfg.now().Sub(t.start)
	}
	t.e.hist.Record(t.ctx, d.Seconds(), t.opts...)
	return d
}
