package httpjson

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel"

	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// Handler serves a report as JSON. Make one with [New] or [ForReader]; it
// is safe for concurrent use.
type Handler struct {
	src func(context.Context) (report.Report, error)
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler serving the report src returns, called once per
// request with the request's context. It panics if src is nil.
func New(src func(ctx context.Context) (report.Report, error)) *Handler {
	if src == nil {
		panic("httpjson.New: nil report function")
	}
	return &Handler{src: src}
}

// ForReader returns a Handler serving r's values as of its last tick. It
// panics if r is nil.
func ForReader(r *reader.Reader) *Handler {
	if r == nil {
		panic("httpjson.ForReader: nil reader")
	}
	return New(func(context.Context) (report.Report, error) { return r.Snapshot(), nil })
}

// ServeHTTP answers GET and HEAD with the report as JSON.
func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r, err := h.src(req.Context())
	if err != nil {
		otel.Handle(fmt.Errorf("httpjson: report for %s: %w", req.URL.Path, err))
		http.Error(w, "no report available", http.StatusServiceUnavailable)
		return
	}
	body := append(r.AppendJSON(nil), '\n')
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body) // the client went away: nothing to do
}
