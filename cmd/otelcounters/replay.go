package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/reader"
)

const (
	// defaultReplayTick is the tick when neither --tick nor the
	// configuration gives one: fine enough for most traces.
	defaultReplayTick = time.Second
	// maxReplayTicks bounds the simulated ticks, each a real collection.
	maxReplayTicks = 10_000_000
)

const replayUsage = `usage: otelcounters replay --config FILE (--at T1,T2,... | --every N) [--tick D] TRACE

Runs the events of TRACE (a file of JSON lines, or - for standard input)
through a real OpenTelemetry MeterProvider and the otelcounters reader on a
simulated clock that starts at 0, with the counters of the configuration
file, and prints one report per report time: the JSON object the JSON file
reporter writes, with __collection_time__ in seconds since the start of the
trace. Nothing is printed unless the whole trace is valid.

Times are seconds (300, 0.5) or Go durations (5m, 1m30s).

flags:
`

// badInput marks problems with the user's input (exit status 2), as
// opposed to failures of the run (exit status 1).
type badInput struct{ error }

func (b badInput) Unwrap() error { return b.error }

func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, replayUsage)
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "", "the configuration `file` (YAML or JSON) whose counters to register")
	at := fs.String("at", "", "report at these `times`, comma-separated")
	every := fs.String("every", "", "report every `N` seconds, up to the first report at or after the last event")
	tickFlag := fs.String("tick", "", "the reader's tick (`duration`; default: the configuration's tick, else 1s)")

	// Flags may come before or after the trace.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return parseStatus(err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otelcounters replay: "+format+"\n", a...)
		return 2
	}
	switch {
	case len(positional) != 1:
		fs.Usage()
		return fail("want one TRACE argument, got %d", len(positional))
	case *configPath == "":
		return fail("--config is required")
	case (*at == "") == (*every == ""):
		return fail("give one of --at and --every")
	}

	cfg, err := config.Load(*configPath)
	if err != nil {
		return fail("%v", err)
	}
	tick := defaultReplayTick
	if cfg.Tick > 0 {
		tick = cfg.Tick
	}
	if *tickFlag != "" {
		if tick, err = parseSeconds(*tickFlag); err != nil || tick <= 0 {
			return fail("--tick %q: want a positive duration", *tickFlag)
		}
	}

	var in io.Reader = stdin
	source := "stdin"
	if name := positional[0]; name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fail("%v", err)
		}
		defer f.Close()
		in, source = f, name
	}
	tr, err := parseTrace(in, source)
	if err != nil {
		return fail("%v", err)
	}

	var reports []time.Duration
	if *at != "" {
		if reports, err = parseTimes(*at); err != nil {
			return fail("--at: %v", err)
		}
	} else {
		n, err := parseSeconds(*every)
		if err != nil || n <= 0 {
			return fail("--every %q: want a positive number of seconds", *every)
		}
		if k := tr.last / n; k > maxReplayTicks {
			return fail("--every %q: %d reports to the last event at %v: too many (at most %d)", *every, k, tr.last, maxReplayTicks)
		}
		reports = everyTimes(n, tr.last)
	}
	if last := reports[len(reports)-1]; last/tick > maxReplayTicks {
		return fail("%d ticks of %v to the last report at %v: too many (at most %d); use a longer --tick", last/tick, tick, last, maxReplayTicks)
	}

	for _, w := range tr.warnings {
		fmt.Fprintln(stderr, "otelcounters replay: "+w)
	}
	if cfg.Defaults.Enabled {
		fmt.Fprintf(stderr, "otelcounters replay: %s: default_counters is not applied; only the counters listed are registered\n", *configPath)
	}
	out, err := simulate(cfg, tick, tr, reports)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters replay: %v\n", err)
		if errors.As(err, new(badInput)) {
			return 2
		}
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "otelcounters replay: %v\n", err)
		return 1
	}
	return 0
}

// parseSeconds reads a time as a number of seconds or a Go duration.
func parseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || f < 0 || f > maxTraceSeconds {
			return 0, fmt.Errorf("%q: want seconds between 0 and %g", s, float64(maxTraceSeconds))
		}
		return time.Duration(math.Round(f * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a number of seconds or a duration such as 5m", s)
	}
	if d < 0 || d > time.Duration(maxTraceSeconds)*time.Second {
		return 0, fmt.Errorf("%q: want a time between 0 and %g seconds", s, float64(maxTraceSeconds))
	}
	return d, nil
}

// parseTimes reads comma-separated report times, in any order.
func parseTimes(s string) ([]time.Duration, error) {
	var ts []time.Duration
	for _, f := range strings.Split(s, ",") {
		t, err := parseSeconds(f)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts, nil
}

// everyTimes returns n, 2n, ... up to the first multiple of n at or after
// last: at least one report, and every event is in one.
func everyTimes(n, last time.Duration) []time.Duration {
	k := max((last+n-1)/n, 1)
	ts := make([]time.Duration, 0, k)
	for i := time.Duration(1); i <= k; i++ {
		ts = append(ts, i*n)
	}
	return ts
}

// instrument is the OTel instrument an event is recorded with.
type instrument struct {
	hist metric.Float64Histogram
	ctr  metric.Int64Counter
}

// simulate runs the trace through a MeterProvider with the otelcounters
// reader on a simulated clock, and returns the reports, one JSON object a
// line.
//
// Ticks happen at every multiple of tick. An event at time t is recorded
// after every tick at a time before t, so an event exactly at a tick's time
// belongs to the interval that tick closes. A report at time R comes after
// every event at or before R and every tick at or before R.
func simulate(cfg *config.Config, tick time.Duration, tr *trace, reports []time.Duration) (out []byte, err error) {
	var now time.Duration
	opts := []reader.Option{
		reader.WithManualTicks(),
		reader.WithClock(func() time.Time { return time.Unix(0, 0).Add(now) }),
		reader.WithTick(tick),
	}
	if cfg.SeriesLimit != 0 {
		opts = append(opts, reader.WithSeriesLimit(cfg.SeriesLimit))
	}
	r := reader.New(opts...)
	for _, def := range cfg.Counters {
		if err := r.Register(def); err != nil {
			return nil, badInput{fmt.Errorf("counter %q: %w", def.Name, err)}
		}
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	ctx := context.Background()
	defer func() {
		if e := mp.Shutdown(ctx); e != nil && err == nil {
			err = e
		}
	}()

	meter := mp.Meter("github.com/otelcounters/otelcounters/cmd/otelcounters/replay")
	insts := map[string]instrument{}
	for _, m := range tr.ms {
		if _, ok := insts[m.event]; ok {
			continue
		}
		var inst instrument
		var err error
		switch m.kind {
		case timed:
			inst.hist, err = meter.Float64Histogram(m.event, metric.WithUnit("s"))
		case valued:
			inst.hist, err = meter.Float64Histogram(m.event)
		case occurred:
			inst.ctr, err = meter.Int64Counter(m.event)
		}
		if err != nil {
			return nil, badInput{fmt.Errorf("%s:%d: event: %w", tr.source, m.line, err)}
		}
		insts[m.event] = inst
	}

	next := tick // the next tick's time
	tickUntil := func(t time.Duration, inclusive bool) error {
		for next < t || inclusive && next == t {
			now = next
			if err := r.Tick(ctx); err != nil {
				return fmt.Errorf("tick at %v: %w", now, err)
			}
			next += tick
		}
		return nil
	}
	i := 0
	for _, at := range reports {
		for ; i < len(tr.ms) && tr.ms[i].at <= at; i++ {
			m := &tr.ms[i]
			if err := tickUntil(m.at, false); err != nil {
				return nil, err
			}
			now = m.at
			inst := insts[m.event]
			if m.kind == occurred {
				inst.ctr.Add(ctx, 1, metric.WithAttributeSet(m.attrs))
			} else {
				inst.hist.Record(ctx, m.value, metric.WithAttributeSet(m.attrs))
			}
		}
		if err := tickUntil(at, true); err != nil {
			return nil, err
		}
		now = at
		rep, err := r.Report(ctx)
		if err != nil {
			return nil, fmt.Errorf("report at %v: %w", at, err)
		}
		out = rep.AppendJSON(out)
		out = append(out, '\n')
	}
	return out, nil
}
