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
	"syscall"
	"time"

	"github.com/otelcounters/otelcounters/exporters/httpjson"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/report"
)

const serveSummary = "serve the merged per-process reports of a folder as JSON over HTTP"

const serveUsage = `usage: otelcounters serve --dir DIR [--addr 127.0.0.1:8125] [--max-age AGE] [--pid-check=false]

statvent's web service: answers GET / with the merge of the fresh reports
of the live processes in DIR (files named <name>.<pid>.json, written by
host.NewReporter), made at each request, as PyCounters' flat JSON object.
It listens on loopback unless told otherwise. Ctrl-C or SIGTERM stops it.

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
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "otelcounters serve: --dir %s is not a folder (%v)\n", *dir, err)
		return 2
	}
	opts := []host.Option{host.WithMaxAge(age)}
	if !*pidCheck {
		opts = append(opts, host.WithoutPIDCheck())
	}
	folder := *dir
	merge := func(context.Context) (report.Report, error) {
		res, err := host.Merge(folder, opts...)
		if err != nil {
			return report.Report{}, err
		}
		return res.Report, nil
	}
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
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "otelcounters serve: shutdown: %v\n", err)
		return 1
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "otelcounters serve: %v\n", err)
		return 1
	}
	return 0
}
