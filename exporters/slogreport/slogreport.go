package slogreport

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/otelcounters/otelcounters/report"
)

// Reporter writes each report as log records, one per counter value. Its
// zero value is not usable: make one with [New]. A Reporter is immutable and
// safe for concurrent use; the records of concurrent reports may interleave.
type Reporter struct {
	h     slog.Handler
	level slog.Level
	attrs bool
}

var _ report.Reporter = (*Reporter)(nil)

// New returns a Reporter that hands its records to logger's handler, with
// the attributes and groups the logger carries. A nil logger is a programming
// error and panics: there is no implicit default logger.
func New(logger *slog.Logger, opts ...Option) *Reporter {
	if logger == nil {
		panic("slogreport: New needs a *slog.Logger, got nil")
	}
	cfg := config{level: slog.LevelInfo}
	for _, o := range opts {
		cfg = o.apply(cfg)
	}
	return &Reporter{h: logger.Handler(), level: cfg.level, attrs: cfg.attrs}
}

// Report logs one record per value of r, in r's order (sorted by key),
// skipping metadata keys. Each record's message is "<key> <value>" as
// [AppendValue] prints the value, its time is r.Time and its level the
// Reporter's. When the handler is not enabled at that level nothing is
// formatted. Report stops at the first handler error, and before the next
// record once ctx is done, returning an error that wraps the cause.
func (rp *Reporter) Report(ctx context.Context, r report.Report) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("slogreport: %w", err)
	}
	if !rp.h.Enabled(ctx, rp.level) {
		return nil
	}
	var msg []byte
	for _, v := range r.Values {
		if report.IsMetadata(v.Key) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("slogreport: stopped before %q: %w", v.Key, err)
		}
		msg = append(msg[:0], v.Key...)
		msg = append(msg, ' ')
		msg = AppendValue(msg, v.Value)
		rec := slog.NewRecord(r.Time, rp.level, string(msg), 0)
		if rp.attrs {
			rec.AddAttrs(slog.String("key", v.Key))
			// JSON handlers cannot encode NaN or infinities: those, like
			// empty counters, have only the message.
			if v.OK && !math.IsNaN(v.V) && !math.IsInf(v.V, 0) {
				rec.AddAttrs(slog.Float64("value", v.V))
			}
		}
		if err := rp.h.Handle(ctx, rec); err != nil {
			return fmt.Errorf("slogreport: logging %q: %w", v.Key, err)
		}
	}
	return nil
}
