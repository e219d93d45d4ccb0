package httpjson

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// Handler serves a report as JSON, and a page that plots the recent
// reports. Make one with [New] or [ForReader]; it is safe for concurrent
// use.
type Handler struct {
	src     func(context.Context) (report.Report, error)
	cfg     config
	refresh float64 // seconds, as the page is told
	hist    *history
	page    *page
}

var (
	_ http.Handler    = (*Handler)(nil)
	_ report.Reporter = (*Handler)(nil)
)

// New returns a Handler serving the report src returns, called once per
// request with the request's context. It panics if src is nil.
func New(src func(ctx context.Context) (report.Report, error), opts ...Option) *Handler {
	if src == nil {
		panic("httpjson.New: nil report function")
	}
	return newHandler(src, newConfig(opts), DefaultRefresh)
}

// ForReader returns a Handler serving r's values as of its last tick; the
// page asks for new values once per tick unless [WithRefresh] says
// otherwise. It panics if r is nil.
func ForReader(r *reader.Reader, opts ...Option) *Handler {
	if r == nil {
		panic("httpjson.ForReader: nil reader")
	}
	return newHandler(func(context.Context) (report.Report, error) { return r.Snapshot(), nil }, newConfig(opts), r.TickInterval())
}

func newHandler(src func(context.Context) (report.Report, error), cfg config, refresh time.Duration) *Handler {
	return &Handler{src: src, cfg: cfg, refresh: cfg.refreshOr(refresh).Seconds(), hist: newHistory(cfg.history), page: newPage()}
}

// Report adds r to the history the page starts with, unless it is not
// newer than the newest report there. Register the Handler as a reporter
// (reader.Reader.RegisterReporter, bridge.WithReporter) to keep a history
// while no page is open: from its first report on, the history holds
// these alone. Until then it holds the reports pages were answered with.
// It never fails.
func (h *Handler) Report(_ context.Context, r report.Report) error {
	h.hist.record(r, false)
	return nil
}

// ServeHTTP answers GET and HEAD: with the report as JSON, or the page when
// the request asks for HTML, or one of the page's parts (see the package
// doc).
func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := req.URL.Query()
	if name := q.Get("asset"); name != "" {
		h.page.serveAsset(w, req, name)
		return
	}
	switch f := q.Get("format"); f {
	case "":
		w.Header().Set("Vary", "Accept")
		if wantsHTML(req.Header.Get("Accept")) {
			h.page.serveIndex(w, req)
			return
		}
		h.serveJSON(w, req)
	case "json":
		h.serveJSON(w, req)
	case "html":
		h.page.serveIndex(w, req)
	case "history":
		h.serveHistory(w, req)
	default:
		http.Error(w, "unknown format: want json, html or history", http.StatusNotFound)
	}
}

// current returns the report src gives, or answers 503.
func (h *Handler) current(w http.ResponseWriter, req *http.Request) (report.Report, bool) {
	r, err := h.src(req.Context())
	if err != nil {
		otel.Handle(fmt.Errorf("httpjson: report for %s: %w", req.URL.Path, err))
		http.Error(w, "no report available", http.StatusServiceUnavailable)
		return report.Report{}, false
	}
	return r, true
}

func (h *Handler) serveJSON(w http.ResponseWriter, req *http.Request) {
	r, ok := h.current(w, req)
	if !ok {
		return
	}
	writeJSON(w, req, append(r.AppendJSON(nil), '\n'))
}

// serveHistory answers the page: the reports kept that are newer than the
// query's since (Unix seconds), and the current one unless the history is
// fed by Report.
func (h *Handler) serveHistory(w http.ResponseWriter, req *http.Request) {
	since := math.Inf(-1)
	if s := req.URL.Query().Get("since"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) {
			http.Error(w, "since: want a time in Unix seconds", http.StatusBadRequest)
			return
		}
		since = f
	}
	if !h.hist.isFed() {
		r, ok := h.current(w, req)
		if !ok {
			return
		}
		h.hist.record(r, true)
	}
	body, err := json.Marshal(buildHistory(h.hist.since(since), h.cfg, h.refresh))
	if err != nil { // not for these types; kept so that a change cannot go unnoticed
		otel.Handle(fmt.Errorf("httpjson: history for %s: %w", req.URL.Path, err))
		http.Error(w, "no report available", http.StatusInternalServerError)
		return
	}
	writeJSON(w, req, append(body, '\n'))
}

func writeJSON(w http.ResponseWriter, req *http.Request, body []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body) // the client went away: nothing to do
}
