package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/report"
)

const serveSummary = "serve the merged per-process reports of a folder as JSON over HTTP"

const serveUsage = `usage: otelcounters serve --dir DIR [--addr 127.0.0.1:8125] [--max-age AGE] [--pid-check=false] [--timeout 10s] [--max-file-size 64MiB]

statvent's web service: answers GET / with the merge of the fresh reports
of the live processes in DIR (files named <name>.<pid>.json, written by
host.NewReporter), made at each request, as PyCounters' flat JSON object.
It listens on loopback unless told otherwise. A request that cannot be
answered within the timeout gets 503; at most two merges run at a time.
Ctrl-C or SIGTERM stops it within 5 seconds.

flags:
`

func runServe(args []string, _ io.Reader, _, stderr io.Writer) int {
	return serveMain(context.Background(), args, stderr, nil)
}

// serveMain runs the server until ctx is done or the process is
// interrupted; ready, if not nil, gets the address it listens on.
func serveMain(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, serveUsage)
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "the `folder` of per-process reports")
	interval := fs.Duration("interval", 5*time.Second, "how often the live page (what a browser gets at /) takes the merge into its history, and asks for new values")
	addr := fs.String("addr", "127.0.0.1:8125", "the `address` to listen on")
	maxAge := fs.String("max-age", "900", "leave out reports older than this `age`: seconds or a duration (15m); 0: no limit")
	pidCheck := fs.Bool("pid-check", true, "leave out the reports of dead processes (turn off when the writers run in another pid namespace)")
	timeout := fs.Duration("timeout", defaultServeTimeout, "answer each request within this `duration`, with 503 if the merge is not done")
	maxSize := fs.String("max-file-size", "64MiB", "leave out report files larger than this `size`: bytes, or with KiB, MiB or GiB")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otelcounters serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "otelcounters serve: --dir is required")
		return 2
	}
	if *interval < 100*time.Millisecond || *interval > time.Hour {
		fmt.Fprintf(stderr, "otelcounters serve: --interval must be between 100ms and 1h, got %v\n", *interval)
		return 2
	}
	age, err := parseAge(*maxAge)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters serve: --max-age: %v\n", err)
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "otelcounters serve: --timeout %v: want a positive duration\n", *timeout)
		return 2
	}
	size, err := parseSize(*maxSize)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters serve: --max-file-size: %v\n", err)
		return 2
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "otelcounters serve: --dir %s is not a folder (%v)\n", *dir, err)
		return 2
	}
	opts := []host.Option{host.WithMaxAge(age), host.WithMaxFileSize(size)}
	if !*pidCheck {
		opts = append(opts, host.WithoutPIDCheck())
	}
	folder := *dir
	// Every merge, a request's or the live page's history's, is bounded.
	merge := bounded("merge of "+folder, *timeout, func() (report.Report, error) {
		res, err := host.Merge(folder, opts...)
		if err != nil {
			return report.Report{}, err
		}
		return res.Report, nil
	})
	merged := httpjson.New(merge, httpjson.WithRefresh(*interval))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters serve: --addr: %v\n", err)
		return 2
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		fmt.Fprintf(stderr, "otelcounters serve: warning: %s is not a loopback address: whoever reaches it can read the counters\n", ln.Addr())
	}
	mux := http.NewServeMux()
	mux.Handle("/{$}", merged)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: time.Minute}
	closeUnused(srv)
	fmt.Fprintf(stderr, "otelcounters serve: serving the merged reports of %s at http://%s/\n", folder, ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sampleMerges(ctx, *interval, merge, merged, stderr)
	}()
	defer func() {
		stop() // ends sampleMerges on every way out
		<-sampled
	}()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "otelcounters serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Stop all the same: whatever a request is doing, the operator
		// asked for the process to end.
		_ = srv.Close()
		fmt.Fprintf(stderr, "otelcounters serve: shutdown: requests still running after %v were cut short (%v)\n", serveShutdownTimeout, err)
		return 0
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "otelcounters serve: %v\n", err)
		return 1
	}
	return 0
}

const (
	// defaultServeTimeout bounds the answer to one request.
	defaultServeTimeout = 10 * time.Second
	// serveShutdownTimeout bounds the wait for requests in progress at
	// SIGTERM.
	serveShutdownTimeout = 5 * time.Second
	// serveMerges is the most merges that run at a time: a folder slow to
	// read (a hung network file system) holds at most this many threads,
	// however many requests come.
	serveMerges = 2
)

// bounded returns the report source of serve: merge, called once per
// request and answered within timeout. A merge still running at the
// deadline is left to finish on its own and keeps its place among the
// serveMerges, so that requests cannot pile up threads behind a folder that
// hangs.
func bounded(what string, timeout time.Duration, merge func() (report.Report, error)) func(context.Context) (report.Report, error) {
	slots := make(chan struct{}, serveMerges)
	type result struct {
		rep report.Report
		err error
	}
	return func(ctx context.Context) (report.Report, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return report.Report{}, fmt.Errorf("%s: %d still running after %v: %w", what, serveMerges, timeout, ctx.Err())
		}
		done := make(chan result, 1)
		go func() {
			defer func() { <-slots }()
			rep, err := merge()
			done <- result{rep, err}
		}()
		select {
		case r := <-done:
			return r.rep, r.err
		case <-ctx.Done():
			return report.Report{}, fmt.Errorf("%s: not done within %v: %w", what, timeout, ctx.Err())
		}
	}
}

// closeUnused makes srv's Shutdown close the connections that have not
// carried a request yet (HTTP clients open spares): Shutdown would
// otherwise wait for each of them for 5 s before taking it for idle.
func closeUnused(srv *http.Server) {
	var mu sync.Mutex
	unused := map[net.Conn]struct{}{}
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		if st == http.StateNew {
			unused[c] = struct{}{}
		} else {
			delete(unused, c)
		}
	}
	// Shutdown runs this once it has closed the listener.
	srv.RegisterOnShutdown(func() {
		mu.Lock()
		defer mu.Unlock()
		for c := range unused {
			_ = c.Close()
		}
	})
}
