package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/shortcut"
)

const demoSummary = "run PyCounters' tutorial server, instrumented, under load, reporting to stdout and a JSON file"

// demoConfig holds the demo's flags.
type demoConfig struct {
	addr           string
	pageAddr       string
	jsonPath       string
	duration       time.Duration
	reportInterval time.Duration
	tick           time.Duration
	window         time.Duration
	clients        int
	rate           float64
	maxLen         int
}

func demoFlags(out io.Writer) (*flag.FlagSet, *demoConfig) {
	c := &demoConfig{}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "`address` the echo server listens on (port 0: any free port)")
	fs.StringVar(&c.pageAddr, "page", "127.0.0.1:0", "`address` of the live page of the counters, for a browser (logged at the start); empty: none")
	fs.StringVar(&c.jsonPath, "json", "otelcounters-demo.json", "`path` of the JSON file the reports are written to (its folder must exist)")
	fs.DurationVar(&c.duration, "duration", time.Minute, "how long to run; 0 runs until interrupted (Ctrl-C)")
	fs.DurationVar(&c.reportInterval, "report-interval", 2*time.Second, "how often a report goes to stdout and the JSON file")
	fs.DurationVar(&c.tick, "tick", time.Second, "how often measurements are collected into the windows")
	fs.DurationVar(&c.window, "window", 15*time.Minute, "window of the four requests_data_len counters (the tutorial's 900 s)")
	fs.IntVar(&c.clients, "clients", 4, "concurrent clients of the load generator (0: none, connect your own)")
	fs.Float64Var(&c.rate, "rate", 50, "requests per second of each client")
	fs.IntVar(&c.maxLen, "max-len", 100, "longest request, in bytes; each is a random string of 1 to max-len letters")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: otelcounters demo [flags]

The server of PyCounters' tutorial, made real: a TCP server on loopback that
answers each line it receives upper-cased. Its handler records through the
OpenTelemetry API (the shortcuts Time and Frequency, and a histogram for the
length of each request); the window reader turns that into

  requests_time            average time per request, in seconds (5 minutes)
  requests_frequency       requests per second (5 minutes)
  requests_data_len        total length of the requests since the start, in bytes
  requests_data_len_avg    average length of a request, in bytes (--window)
  requests_data_len_total  total length of the requests (--window)
  requests_data_len_max    longest request (--window)
  requests_data_len_min    shortest request (--window)

The first three are the tutorial's counters, under the tutorial's names: its
munin graph configuration plots them unchanged. A built-in load generator
keeps it busy. Every report is logged to stdout ("<counter> <value>") and
written to the JSON file PyCounters' munin helper reads. Ctrl-C stops it
early, with a final report.

Flags (one dash or two):
`)
		fs.PrintDefaults()
	}
	return fs, c
}

func (c *demoConfig) check() error {
	switch {
	case c.duration < 0:
		return fmt.Errorf("--duration must not be negative, got %v", c.duration)
	case c.tick <= 0:
		return fmt.Errorf("--tick must be positive, got %v", c.tick)
	case c.reportInterval <= 0:
		return fmt.Errorf("--report-interval must be positive, got %v", c.reportInterval)
	case c.window <= 0:
		return fmt.Errorf("--window must be positive, got %v", c.window)
	case c.clients < 0 || c.clients > 1000:
		return fmt.Errorf("--clients must be between 0 and 1000, got %d", c.clients)
	case c.clients > 0 && !(c.rate > 0 && c.rate <= 10000):
		return fmt.Errorf("--rate must be above 0 and at most 10000, got %v", c.rate)
	case c.maxLen < 1 || c.maxLen > 1<<16:
		return fmt.Errorf("--max-len must be between 1 and 65536, got %d", c.maxLen)
	}
	return nil
}

// runDemo is the demo command: see demoFlags' usage.
func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return demoMain(context.Background(), args, stdout, stderr)
}

// demoMain parses the flags and runs the demo until its duration is over,
// ctx is done or the process is interrupted, then sends a final report.
func demoMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := demoFlags(stderr)
	if err := fs.Parse(args); err != nil {
		return parseStatus(err) // the flag package has said what is wrong, or printed the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otelcounters demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := c.check(); err != nil {
		fmt.Fprintf(stderr, "otelcounters demo: %v\n", err)
		return 2
	}
	if err := demo(ctx, c, stdout); err != nil {
		fmt.Fprintf(stderr, "otelcounters demo: %v\n", err)
		var usage usageError
		if errors.As(err, &usage) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is an error in what the flags name (a path, an address).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// demo runs the demo configured by c, logging to stdout.
func demo(ctx context.Context, c *demoConfig, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}

	logger := slog.New(slog.NewTextHandler(stdout, nil))
	jf, err := jsonfile.New(c.jsonPath)
	if err != nil {
		return usageError{fmt.Errorf("--json: %w", err)}
	}
	data := []string{"requests_data_len"}
	mp, err := bridge.NewMeterProvider(
		bridge.WithCounters(
			// The tutorial's step 4: the total of the data processed, the
			// counter its munin graph requests_total_data plots.
			counters.Definition{Name: "requests_data_len", Kind: counters.Total},
			// Its step 6: four counters on the same event, over 900 s.
			counters.Definition{Name: "requests_data_len_avg", Kind: counters.Average, Events: data, Window: c.window},
			counters.Definition{Name: "requests_data_len_total", Kind: counters.WindowSum, Events: data, Window: c.window},
			counters.Definition{Name: "requests_data_len_max", Kind: counters.Max, Events: data, Window: c.window},
			counters.Definition{Name: "requests_data_len_min", Kind: counters.Min, Events: data, Window: c.window},
		),
		bridge.WithReporter("log", slogreport.New(logger)),
		bridge.WithReporter("json_file", jf),
		bridge.WithTick(c.tick),
		bridge.WithReportInterval(c.reportInterval),
	)
	if err != nil {
		return err
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return mp.Shutdown(sctx)
	}

	meter := mp.Meter("github.com/otelcounters/otelcounters/cmd/otelcounters/demo")
	dataLen, err := meter.Int64Histogram("requests_data_len", metric.WithUnit("By"),
		metric.WithDescription("length of a request, in bytes"))
	if err != nil {
		_ = shutdown()
		return err
	}
	srv := &echoServer{s: shortcut.New(meter, mp.Reader()), dataLen: dataLen, maxLen: c.maxLen, conns: map[net.Conn]struct{}{}}

	var page *demoPage
	if c.pageAddr != "" {
		page, err = startDemoPage(ctx, c.pageAddr, mp.Reader(), c.reportInterval, logger)
		if err != nil {
			_ = shutdown()
			return err
		}
		logger.Info("demo: live page", "url", page.url)
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.addr)
	if err != nil {
		stopPage(page)
		_ = shutdown()
		return usageError{fmt.Errorf("--addr: %w", err)}
	}
	logger.Info("demo: echo server listening", "addr", ln.Addr().String(), "json", jf.Path(),
		"report_interval", c.reportInterval, "duration", c.duration)

	var wg sync.WaitGroup
	wg.Go(func() { srv.serve(ln) })
	for i := range c.clients {
		wg.Go(func() { client(ctx, ln.Addr().String(), c.rate, c.maxLen, uint64(i), logger) })
	}
	<-ctx.Done()
	srv.close(ln)
	wg.Wait()
	stopPage(page)

	// The final report (log and JSON), then stop.
	err = shutdown()
	logger.Info("demo: stopped", "requests", srv.served.Load(), "json", jf.Path())
	if err != nil {
		return fmt.Errorf("final report: %w", err)
	}
	return nil
}

// maxRequest bounds one request line; a longer one closes the connection.
const maxRequest = 1 << 16

// echoServer is the tutorial's TCP handler: each line in, the line
// upper-cased out.
type echoServer struct {
	s       *shortcut.Shortcuts
	dataLen metric.Int64Histogram
	maxLen  int
	served  atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup // connection handlers
}

// serve accepts connections until ln is closed, then waits for their
// handlers.
func (e *echoServer) serve(ln net.Listener) {
	defer e.wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		if !e.track(conn) {
			conn.Close()
			return
		}
		e.wg.Go(func() {
			defer e.untrack(conn)
			e.handleConn(conn)
		})
	}
}

func (e *echoServer) track(c net.Conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.conns[c] = struct{}{}
	return true
}

func (e *echoServer) untrack(c net.Conn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.conns, c)
}

// close stops accepting and closes every open connection.
func (e *echoServer) close(ln net.Listener) {
	ln.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	for c := range e.conns {
		c.Close()
	}
}

func (e *echoServer) handleConn(conn net.Conn) {
	defer conn.Close()
	// Measurements outlive the demo's context: the final report counts them.
	ctx := context.Background()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 4096), maxRequest)
	w := bufio.NewWriter(conn)
	for sc.Scan() {
		if err := e.handle(ctx, sc.Bytes(), w); err != nil {
			return
		}
	}
}

// handle serves one request, instrumented as in PyCounters' tutorial:
// @time("requests_time"), @frequency("requests_frequency") and
// report_value("requests_data_len", len(data)).
func (e *echoServer) handle(ctx context.Context, data []byte, w *bufio.Writer) error {
	t := e.s.Time(ctx, "requests_time")
	defer t.Stop()
	defer e.s.Frequency(ctx, "requests_frequency")
	e.dataLen.Record(ctx, int64(len(data)))
	w.Write(bytes.ToUpper(data))
	w.WriteByte('\n')
	e.served.Add(1)
	return w.Flush()
}

const letters = "abcdefghijklmnopqrstuvwxyz"

// client sends random lowercase lines to the server at a steady rate until
// ctx is done, and checks each answer.
func client(ctx context.Context, addr string, rate float64, maxLen int, seed uint64, logger *slog.Logger) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() == nil {
			logger.Warn("demo: client cannot connect", "err", err)
		}
		return
	}
	defer conn.Close()
	unblock := context.AfterFunc(ctx, func() { conn.Close() })
	defer unblock()
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	r := bufio.NewReader(conn)
	tk := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tk.Stop()
	req := make([]byte, 0, maxLen+1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		req = req[:0]
		for range 1 + rng.IntN(maxLen) {
			req = append(req, letters[rng.IntN(len(letters))])
		}
		req = append(req, '\n')
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(req); err != nil {
			clientFailed(ctx, logger, err)
			return
		}
		answer, err := r.ReadSlice('\n')
		if err != nil {
			clientFailed(ctx, logger, err)
			return
		}
		if !bytes.Equal(answer, bytes.ToUpper(req)) {
			logger.Warn("demo: wrong answer", "sent", string(req), "got", string(answer))
		}
	}
}

func clientFailed(ctx context.Context, logger *slog.Logger, err error) {
	if ctx.Err() == nil {
		logger.Warn("demo: client stopped", "err", err)
	}
}
