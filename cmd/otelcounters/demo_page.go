package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/reader"
)

// demoPage is the demo's web server: the live page and the JSON of the
// demo's counters, on a loopback port.
type demoPage struct {
	srv  *http.Server
	url  string
	done chan error
}

// startDemoPage serves the page for r's counters on addr, with a history
// fed by r's reports (every reportInterval). The counters of request
// lengths are in bytes.
func startDemoPage(ctx context.Context, addr string, r *reader.Reader, reportInterval time.Duration, logger *slog.Logger) (*demoPage, error) {
	opts := []httpjson.Option{httpjson.WithRefresh(reportInterval)}
	for _, d := range r.Counters() {
		if !slices.Contains(d.Events, "requests_data_len") {
			continue
		}
		switch d.Kind {
		case counters.Frequency:
			opts = append(opts, httpjson.WithUnit(d.Name, "By/s"))
		case counters.Count, counters.Event:
		default:
			opts = append(opts, httpjson.WithUnit(d.Name, "By"))
		}
	}
	h := httpjson.ForReader(r, opts...)
	if err := r.RegisterReporter("page", h); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		r.UnregisterReporter("page")
		return nil, usageError{fmt.Errorf("--page: %w", err)}
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		logger.Warn("demo: the page's address is not a loopback one: whoever reaches it can read the counters", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.Handle("/{$}", h)
	p := &demoPage{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: time.Minute},
		url:  "http://" + ln.Addr().String() + "/",
		done: make(chan error, 1),
	}
	go func() { p.done <- p.srv.Serve(ln) }()
	return p, nil
}

// stop closes the server, letting requests in flight finish while ctx
// allows.
func (p *demoPage) stop(ctx context.Context) error {
	err := p.srv.Shutdown(ctx)
	if serr := <-p.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// stopPage stops p, if there is one, within a few seconds.
func stopPage(p *demoPage) {
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.stop(ctx) // the demo is ending: nothing waits for the page
}
