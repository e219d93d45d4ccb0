package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/report"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "otelcol-demo:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.stdout, cfg.stderr = os.Stdout, os.Stderr
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "otelcol-demo:", err)
		os.Exit(1)
	}
}

// config is what the flags set, plus what tests add.
type config struct {
	setup          string // one, two, autoexport or otelconf: see telemetry.go
	protocol       string // grpc or http/protobuf
	otelconfFile   string
	jsonFile       string
	duration       time.Duration
	requests       int
	tick           time.Duration
	exportInterval time.Duration
	reportInterval time.Duration

	stdout, stderr io.Writer
	reporters      []report.Reporter // extra reporters (tests)
	recorded       *atomic.Int64     // counts completed requests (tests)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("otelcol-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.setup, "setup", "one", "how the window counters join the export: one (one SDK pipeline, reader.WithExporter), two (a PeriodicReader with the window producer beside the window reader), autoexport (contrib autoexport), otelconf (contrib otelconf, declarative configuration)")
	fs.StringVar(&c.protocol, "protocol", defaultProtocol(), "OTLP transport: grpc or http/protobuf (default: $OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, $OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)")
	fs.StringVar(&c.otelconfFile, "otelconf", "otelconf.yaml", "configuration file of the otelconf setup ($OTEL_CONFIG_FILE takes precedence)")
	fs.StringVar(&c.jsonFile, "json", "", "also write the window values to this JSON file at every report, as PyCounters' JSONFileReporter (for munin)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to record before shutting down")
	fs.IntVar(&c.requests, "requests", 40, "requests to record, spread evenly over the duration")
	fs.DurationVar(&c.tick, "tick", time.Second, "window tick: how often the window reader collects")
	fs.DurationVar(&c.exportInterval, "export-interval", 2*time.Second, "how often metrics are exported over OTLP (autoexport and otelconf read theirs from the environment and the configuration file)")
	fs.DurationVar(&c.reportInterval, "report-interval", 5*time.Second, "how often the window values are logged")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch c.protocol {
	case "grpc", "http/protobuf":
	case "http":
		c.protocol = "http/protobuf"
	default:
		return c, fmt.Errorf("-protocol %q: want grpc or http/protobuf", c.protocol)
	}
	switch c.setup {
	case "one", "two", "autoexport", "otelconf":
	default:
		return c, fmt.Errorf("-setup %q: want one, two, autoexport or otelconf", c.setup)
	}
	if c.requests < 0 || c.duration <= 0 {
		return c, fmt.Errorf("-requests must be >= 0 and -duration positive")
	}
	return c, nil
}

func defaultProtocol() string {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "http/protobuf" // the specification's default, and autoexport's
}

// Instrument and counter names. The window counters listen to the
// semantic-convention instruments by name, without any change to them.
const (
	durationName = "http.server.request.duration"
	bodySizeName = "http.server.request.body.size"
	routeKey     = attribute.Key("http.route")
)

// windowCounters are the counters the demo keeps, PyCounters' tutorial
// counters on today's instruments, one series per route.
func windowCounters() []counters.Definition {
	by := []string{string(routeKey)}
	return []counters.Definition{
		{Name: "request_time", Kind: counters.AverageTime, Events: []string{durationName}, By: by},
		{Name: "request_max", Kind: counters.Max, Events: []string{durationName}, By: by},
		{Name: "request_count", Kind: counters.Count, Events: []string{durationName}, By: by},
		{Name: "request_rate", Kind: counters.Frequency, Events: []string{durationName}, By: by},
		{Name: "request_bytes_total", Kind: counters.Total, Events: []string{bodySizeName}, By: by},
	}
}

// pattern of the recorded requests: route, duration in seconds, body size.
// The values are binary fractions, so sums and averages are exact.
var pattern = []struct {
	route    string
	duration float64
	size     int64
}{
	{"/cart", 0.125, 100},
	{"/checkout", 0.25, 1000},
	{"/cart", 0.375, 100},
	{"/checkout", 0.75, 1000},
}

// server holds the instruments of the demo, with their option slices built
// once: passing prebuilt options allocates nothing per measurement.
type server struct {
	duration metric.Float64Histogram
	size     metric.Int64Histogram
	opts     [][]metric.RecordOption // per pattern entry
}

func newServer(mp metric.MeterProvider) (*server, error) {
	m := mp.Meter("github.com/otelcounters/otelcounters/examples/otelcol")
	d, err := m.Float64Histogram(durationName, metric.WithUnit("s"), metric.WithDescription("Duration of HTTP server requests."),
		// The semantic conventions' advice: the SDK's default boundaries
		// suit milliseconds, not seconds.
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	if err != nil {
		return nil, err
	}
	s, err := m.Int64Histogram(bodySizeName, metric.WithUnit("By"), metric.WithDescription("Size of HTTP server request bodies."))
	if err != nil {
		return nil, err
	}
	srv := &server{duration: d, size: s}
	for _, p := range pattern {
		srv.opts = append(srv.opts, []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(routeKey.String(p.route)))})
	}
	return srv, nil
}

// serve records request number i of the pattern.
func (s *server) serve(ctx context.Context, i int) {
	k := i % len(pattern)
	s.duration.Record(ctx, pattern[k].duration, s.opts[k]...)
	s.size.Record(ctx, pattern[k].size, s.opts[k]...)
}

func run(ctx context.Context, cfg config) error {
	if cfg.stdout == nil {
		cfg.stdout = io.Discard
	}
	if cfg.stderr == nil {
		cfg.stderr = io.Discard
	}
	tel, err := newTelemetry(ctx, cfg)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(cfg.stderr, nil))
	if err := tel.reader.RegisterReporter("log", slogreport.New(logger)); err != nil {
		return errors.Join(err, tel.shutdown(context.Background()))
	}
	if cfg.jsonFile != "" {
		jf, err := jsonfile.New(cfg.jsonFile)
		if err == nil {
			err = tel.reader.RegisterReporter("json", jf)
		}
		if err != nil {
			return errors.Join(err, tel.shutdown(context.Background()))
		}
	}
	for i, rep := range cfg.reporters {
		if err := tel.reader.RegisterReporter(fmt.Sprintf("extra%d", i), rep); err != nil {
			return errors.Join(err, tel.shutdown(context.Background()))
		}
	}
	srv, err := newServer(tel.meterProvider)
	if err != nil {
		return errors.Join(err, tel.shutdown(context.Background()))
	}
	logger.Info("recording", "setup", cfg.setup, "protocol", cfg.protocol, "requests", cfg.requests, "duration", cfg.duration)

	// Spread the requests evenly, then wait out the duration, so that the
	// exports and reports of a whole run happen.
	start := time.Now()
	deadline := start.Add(cfg.duration)
	var interrupted bool
	for i := 0; i < cfg.requests && !interrupted; i++ {
		at := start.Add(cfg.duration * time.Duration(i) / time.Duration(cfg.requests))
		interrupted = !sleepUntil(ctx, at)
		if !interrupted {
			srv.serve(ctx, i)
			if cfg.recorded != nil {
				cfg.recorded.Add(1)
			}
		}
	}
	if !interrupted {
		sleepUntil(ctx, deadline)
	}

	// Shutdown reports and exports one last time, with the values of every
	// request recorded.
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := tel.shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	final := tel.reader.Snapshot()
	fmt.Fprintf(cfg.stdout, "%s\n", final.AppendJSON(nil))
	return nil
}

// sleepUntil waits until t and reports whether ctx is still alive.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// endpointFromEnv reports whether the environment names an OTLP endpoint.
func endpointFromEnv() bool {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		if strings.TrimSpace(os.Getenv(k)) != "" {
			return true
		}
	}
	return false
}
