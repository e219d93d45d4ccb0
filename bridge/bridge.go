package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"

	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/pipe"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/scoped"
)

// plan is what the sources ask for, gathered in order before anything is
// built.
type plan struct {
	getenv    func(string) string
	defs      []plannedCounter
	reporters []plannedReporter
	tick      time.Duration // 0: reader default
	interval  time.Duration // 0: reader default; -1: off
	limit     int           // 0: reader default; -1: none
	defaults  config.Defaults
	errs      []error
}

type plannedCounter struct {
	def    counters.Definition
	source string
}

type plannedReporter struct {
	name, source string
	rep          report.Reporter // nil for one a configuration names
	conf         config.Reporter
}

func (p *plan) addCounter(d counters.Definition, source string) {
	n, err := d.Normalized()
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("bridge: %s: %w", source, err))
		return
	}
	p.defs = append(p.defs, plannedCounter{n, source})
}

// apply takes what a configuration sets.
func (p *plan) apply(c *config.Config, source string) {
	for _, d := range c.Counters {
		p.addCounter(d, source)
	}
	if c.Tick > 0 {
		p.tick = c.Tick
	}
	switch {
	case c.ReportInterval > 0:
		p.interval = c.ReportInterval
	case c.ReportInterval < 0:
		p.interval = -1
	}
	switch {
	case c.SeriesLimit > 0:
		p.limit = c.SeriesLimit
	case c.SeriesLimit < 0:
		p.limit = -1
	}
	for _, r := range c.Reporters {
		name := r.Name
		if name == "" {
			name = r.Type
		}
		src := source
		if r.Line > 0 {
			src = fmt.Sprintf("%s:%d", source, r.Line)
		}
		p.reporters = append(p.reporters, plannedReporter{name: name, source: src, conf: r})
	}
	if c.Defaults.Enabled {
		p.defaults = c.Defaults
	}
}

// check reports duplicate names.
func (p *plan) check() {
	seen := map[string]string{}
	for _, c := range p.defs {
		if prev, ok := seen[c.def.Name]; ok {
			p.errs = append(p.errs, fmt.Errorf("bridge: counter %q defined twice (%s and %s): %w", c.def.Name, prev, c.source, reader.ErrDuplicateCounter))
			continue
		}
		seen[c.def.Name] = c.source
	}
	seen = map[string]string{}
	for _, r := range p.reporters {
		if prev, ok := seen[r.name]; ok {
			p.errs = append(p.errs, fmt.Errorf("bridge: reporter %q defined twice (%s and %s): %w", r.name, prev, r.source, reader.ErrDuplicateReporter))
			continue
		}
		seen[r.name] = r.source
	}
}

// build makes the reporters a configuration names.
func (p *plan) build(logger func() *slog.Logger) {
	for i := range p.reporters {
		r := &p.reporters[i]
		if r.rep != nil {
			continue
		}
		rep, err := newReporter(r.conf, logger)
		if err != nil {
			p.errs = append(p.errs, fmt.Errorf("bridge: %s: reporter %q: %w", r.source, r.name, err))
			continue
		}
		r.rep = rep
	}
}

func newReporter(c config.Reporter, logger func() *slog.Logger) (report.Reporter, error) {
	switch c.Type {
	case "log":
		level := slog.LevelInfo
		if c.Level != "" {
			if err := level.UnmarshalText([]byte(c.Level)); err != nil {
				return nil, fmt.Errorf("level: %w", err)
			}
		}
		return slogreport.New(logger(), slogreport.WithLevel(level)), nil
	case "json_file":
		return jsonfile.New(c.Path)
	case "process_file":
		// The entry's name tells programs apart in a shared folder.
		return host.NewReporter(c.Path, c.Name)
	case "pipe":
		return pipe.New(c.Path)
	}
	return nil, fmt.Errorf("reporter type %q is not supported here (want one of %s)", c.Type, strings.Join(config.KnownReporterTypes(), ", "))
}

func (p *plan) readerOptions() []reader.Option {
	var opts []reader.Option
	if p.tick > 0 {
		opts = append(opts, reader.WithTick(p.tick))
	}
	switch {
	case p.interval > 0:
		opts = append(opts, reader.WithReportInterval(p.interval))
	case p.interval < 0:
		opts = append(opts, reader.WithReportInterval(0))
	}
	switch {
	case p.limit > 0:
		opts = append(opts, reader.WithSeriesLimit(p.limit))
	case p.limit < 0:
		opts = append(opts, reader.WithSeriesLimit(0))
	}
	return opts
}

// Bridge is a window reader with the counters and reporters its sources
// named, ready to be added to a MeterProvider, and the view that gives
// default counters to instruments. Make one with [New]; it is safe for
// concurrent use.
type Bridge struct {
	r        *reader.Reader
	defaults config.Defaults
}

// New builds the reader from the options' sources. Errors name the source
// and what is wrong with it; on error nothing is left running.
func New(opts ...Option) (*Bridge, error) {
	b, _, err := newBridge(opts)
	return b, err
}

func newBridge(opts []Option) (*Bridge, options, error) {
	o := newOptions(opts)
	p := &plan{getenv: o.getenv}
	for _, s := range o.steps {
		if err := s(p); err != nil {
			p.errs = append(p.errs, err)
		}
	}
	p.check()
	if len(p.errs) > 0 {
		return nil, o, errors.Join(p.errs...)
	}
	logger := func() *slog.Logger {
		if o.logger == nil {
			o.logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
		return o.logger
	}
	p.build(logger)
	if len(p.errs) > 0 {
		return nil, o, errors.Join(p.errs...)
	}
	r := reader.New(append(p.readerOptions(), o.readerOpts...)...)
	fail := func(err error) (*Bridge, options, error) {
		// The reader has no reporter yet: its shutdown writes nothing.
		_ = r.Shutdown(context.Background())
		return nil, o, err
	}
	for _, c := range p.defs {
		if err := r.Register(c.def); err != nil {
			return fail(fmt.Errorf("bridge: %s: %w", c.source, err))
		}
	}
	for _, pr := range p.reporters {
		if err := r.RegisterReporter(pr.name, pr.rep); err != nil {
			return fail(fmt.Errorf("bridge: %s: %w", pr.source, err))
		}
	}
	return &Bridge{r: r, defaults: p.defaults}, o, nil
}

// Reader returns the window reader, an sdkmetric.Reader: give it to
// sdkmetric.WithReader, register counters and reporters, ask for reports.
func (b *Bridge) Reader() *reader.Reader { return b.r }

// View returns the view that gives default counters to the instruments the
// bridge's defaults select. It changes no stream (it never matches), so it
// may go into any provider's view list; it does nothing when default
// counters are off.
func (b *Bridge) View() sdkmetric.View { return b.observe }

// MeterProviderOptions returns what to add to sdkmetric.NewMeterProvider:
// the reader and, when default counters are on, the view.
func (b *Bridge) MeterProviderOptions() []sdkmetric.Option {
	opts := []sdkmetric.Option{sdkmetric.WithReader(b.r)}
	if b.defaults.Enabled {
		opts = append(opts, sdkmetric.WithView(b.View()))
	}
	return opts
}

// Shutdown shuts the reader down, with a final report. A MeterProvider the
// reader was given to does this from its own Shutdown; call it only for a
// bridge no provider owns. Later calls return the first one's result.
func (b *Bridge) Shutdown(ctx context.Context) error { return b.r.Shutdown(ctx) }

// MeterProvider is an SDK MeterProvider with the bridge's reader (and
// view): a metric.MeterProvider to pass to otel.SetMeterProvider or to
// instrumentation. Its Shutdown, the SDK's, sends a final report and stops
// the reader. With [WithScoped], its Meters are those of a
// scoped.MeterProvider around the SDK's (see [MeterProvider.Scoped]). Make
// one with [NewMeterProvider]; it is safe for concurrent use.
type MeterProvider struct {
	*sdkmetric.MeterProvider
	b      *Bridge
	scoped *scoped.MeterProvider // nil without WithScoped
}

var _ metric.MeterProvider = (*MeterProvider)(nil)

// NewMeterProvider builds the bridge as [New] does and a MeterProvider
// around it, with the options given by [WithMeterProviderOptions] and, with
// [WithScoped], the wrapper for per-request recordings. Exemplars are off
// unless OTEL_METRICS_EXEMPLAR_FILTER or the given options turn them on.
func NewMeterProvider(opts ...Option) (*MeterProvider, error) {
	b, o, err := newBridge(opts)
	if err != nil {
		return nil, err
	}
	// Exemplars off unless the caller's options or the standard variable
	// turn them on: window counters use none, and under delta temporality
	// the SDK would build a reservoir for every series every interval (half
	// the cost of a report).
	var mpOpts []sdkmetric.Option
	if os.Getenv("OTEL_METRICS_EXEMPLAR_FILTER") == "" {
		mpOpts = append(mpOpts, sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter))
	}
	mpOpts = append(append(mpOpts, o.mpOpts...), b.MeterProviderOptions()...)
	mp := &MeterProvider{MeterProvider: sdkmetric.NewMeterProvider(mpOpts...), b: b}
	if o.scoped {
		mp.scoped = scoped.Wrap(mp.MeterProvider)
	}
	return mp, nil
}

// Meter returns a Meter of the SDK provider or, with [WithScoped], of its
// scoped wrapper, whose synchronous instruments also add to the recordings
// the measurement's context carries. Either way the SDK gets every
// measurement.
func (mp *MeterProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	if mp.scoped != nil {
		return mp.scoped.Meter(name, opts...)
	}
	return mp.MeterProvider.Meter(name, opts...)
}

// Scoped returns the scoped.MeterProvider that mp's Meters come from with
// [WithScoped]; its Start begins a per-request recording. It is nil without
// WithScoped. scoped.Wrap(mp) returns it too, rather than wrapping twice.
func (mp *MeterProvider) Scoped() *scoped.MeterProvider { return mp.scoped }

// Reader returns the provider's window reader.
func (mp *MeterProvider) Reader() *reader.Reader { return mp.b.r }

// durationUnits are the units that make a histogram a timed event, as the
// reader counts them.
func isDuration(unit string) bool {
	switch unit {
	case "s", "ms", "us", "µs", "ns", "min", "h":
		return true
	}
	return false
}

// defaultCounters returns the default counters of an instrument.
func defaultCounters(name string, kind sdkmetric.InstrumentKind, unit string) []counters.Definition {
	var kinds []counters.Kind
	switch kind {
	case sdkmetric.InstrumentKindHistogram:
		if isDuration(unit) {
			kinds = []counters.Kind{counters.AverageTime, counters.Frequency, counters.Max, counters.Min}
		} else {
			kinds = []counters.Kind{counters.Average, counters.WindowSum, counters.Max, counters.Min}
		}
	case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindObservableCounter:
		kinds = []counters.Kind{counters.Frequency, counters.Total}
	case sdkmetric.InstrumentKindUpDownCounter, sdkmetric.InstrumentKindObservableUpDownCounter:
		kinds = []counters.Kind{counters.Total}
	case sdkmetric.InstrumentKindGauge, sdkmetric.InstrumentKindObservableGauge:
		kinds = []counters.Kind{counters.Last}
	}
	defs := make([]counters.Definition, len(kinds))
	for i, k := range kinds {
		suffix := k.String()
		if k == counters.AverageTime {
			suffix = counters.Average.String()
		}
		defs[i] = counters.Definition{Name: name + "." + suffix, Kind: k, Events: []string{name}}
	}
	return defs
}

// observe is the view: it registers default counters for inst when they are
// on, inst is selected and no counter listens to it, and matches nothing.
func (b *Bridge) observe(inst sdkmetric.Instrument) (sdkmetric.Stream, bool) {
	if !b.defaults.Selects(inst.Name) || b.heard(inst.Name) {
		return sdkmetric.Stream{}, false
	}
	var errs []error
	for _, d := range defaultCounters(inst.Name, inst.Kind, inst.Unit) {
		err := b.r.Register(d)
		if err != nil && !errors.Is(err, reader.ErrDuplicateCounter) && !errors.Is(err, reader.ErrShutdown) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		otel.Handle(fmt.Errorf("otelcounters: default counters of instrument %q: %w", inst.Name, errors.Join(errs...)))
	}
	return sdkmetric.Stream{}, false
}

// heard reports whether a registered counter listens to the event.
func (b *Bridge) heard(event string) bool {
	for _, d := range b.r.Counters() {
		for _, e := range d.Events {
			if e == event {
				return true
			}
		}
	}
	return false
}
