package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/report"
)

// sampleMerges gives the page's history a merge every interval, stamped
// with the time it was made (a merged report's own time is the oldest of
// its processes', which may stand still while others move), until ctx is
// done. A failure is written to stderr when it differs from the last one.
func sampleMerges(ctx context.Context, interval time.Duration, merge func(context.Context) (report.Report, error), h *httpjson.Handler, stderr io.Writer) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	var last string
	for {
		r, err := merge(ctx)
		switch {
		case err != nil && err.Error() != last:
			last = err.Error()
			fmt.Fprintf(stderr, "otelcounters serve: history: %v\n", err)
		case err == nil:
			last = ""
			r.Time = time.Now()
			_ = h.Report(ctx, r) // never fails
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}
