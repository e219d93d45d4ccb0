package bridge_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
	"github.com/otelcounters/otelcounters/shortcut"
)

// clock is a fake time source safe for the reader's use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1307115164, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// manual makes a bridge deterministic: manual ticks of one second on a fake clock.
func manual(c *clock) []bridge.Option {
	return []bridge.Option{
		bridge.WithTick(time.Second),
		bridge.WithReaderOptions(reader.WithManualTicks(), reader.WithClock(c.Now)),
	}
}

// lockedBuffer collects log output written from reporter goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// collect is a reporter that keeps the reports it gets.
type collect struct {
	mu   sync.Mutex
	reps []report.Report
}

func (c *collect) Report(_ context.Context, r report.Report) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reps = append(c.reps, r)
	return nil
}

func (c *collect) last(t *testing.T) report.Report {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reps) == 0 {
		t.Fatal("no report")
	}
	return c.reps[len(c.reps)-1]
}

func lookup(t *testing.T, r report.Report, key string) counters.Value {
	t.Helper()
	v, ok := r.Lookup(key)
	if !ok {
		t.Fatalf("no %q in the report (keys: %v)", key, keys(r))
	}
	return v.Value
}

func keys(r report.Report) []string {
	var ks []string
	for _, v := range r.Values {
		ks = append(ks, v.Key)
	}
	return ks
}

func tick(t *testing.T, c *clock, r *reader.Reader, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		c.Advance(time.Second)
		if err := r.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

const duration = "http.server.request.duration"

// Existing instrumentation (here a plain instrument named as otelhttp's)
// gets counters without a change.
func TestNewMeterProvider(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	got := &collect{}
	mp, err := bridge.NewMeterProvider(append(manual(c),
		bridge.WithCounters(
			counters.Definition{By: []string{counters.AllAttributes}, Name: "requests_time", Kind: counters.AverageTime, Events: []string{duration}},
			counters.Definition{By: []string{counters.AllAttributes}, Name: "requests_frequency", Kind: counters.Frequency, Events: []string{duration}},
		),
		bridge.WithReporter("collect", got),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mp.Meter("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp").Float64Histogram(duration, metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		h.Record(ctx, 0.5)
		h.Record(ctx, 1.5)
		tick(t, c, mp.Reader(), 1)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rep := got.last(t)
	if v := lookup(t, rep, "requests_time"); v.V != 1 || v.Count != 8 {
		t.Errorf("requests_time = %+v, want 1 over 8", v)
	}
	if v := lookup(t, rep, "requests_frequency"); v.V != 2 {
		t.Errorf("requests_frequency = %+v, want 2", v)
	}
	// Shutdown is the SDK's, and it shut the reader down.
	if err := mp.Reader().Register(counters.Definition{By: []string{counters.AllAttributes}, Name: "late", Kind: counters.Max}); !errors.Is(err, reader.ErrShutdown) {
		t.Errorf("Register after Shutdown: %v", err)
	}
}

// The drop-in into an existing NewMeterProvider call: the provider's own
// readers keep working next to the window reader.
func TestExistingProvider(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	b, err := bridge.New(append(manual(c),
		bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "jobs", Kind: counters.Event}),
		bridge.WithDefaults(config.Defaults{Enabled: true}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	theirs := sdkmetric.NewManualReader()
	existing := []sdkmetric.Option{sdkmetric.WithReader(theirs)}
	mp := sdkmetric.NewMeterProvider(append(existing, b.MeterProviderOptions()...)...)
	defer func() { _ = mp.Shutdown(ctx) }()
	cnt, _ := mp.Meter("app").Int64Counter("jobs")
	lat, _ := mp.Meter("app").Float64Histogram("latency", metric.WithUnit("ms"))
	cnt.Add(ctx, 3)
	lat.Record(ctx, 12)
	rep, err := b.Reader().Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v := lookup(t, rep, "jobs"); v.V != 3 {
		t.Errorf("jobs = %v", v)
	}
	if v := lookup(t, rep, "latency.average"); v.V != 12 {
		t.Errorf("latency.average = %v", v)
	}
	var rm metricdata.ResourceMetrics
	if err := theirs.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	// The view changed no stream: the other reader sees the instruments as they are.
	if !slices.Equal(names, []string{"jobs", "latency"}) {
		t.Errorf("the provider's own reader saw %v", names)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "counters.json")
	path := writeFile(t, "counters.yaml", `
tick: 2s
report_interval: 10s
counters:
  - {name: requests_data_len_avg, kind: AverageWindowCounter, events: [requests_data_len], window_size: 900}
  - {name: requests_data_len_max, kind: max, events: [requests_data_len], window: 15m}
reporters:
  - type: log
    level: warn
  - type: json_file
    path: `+jsonPath+`
`)
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	c := newClock()
	mp, err := bridge.NewMeterProvider(
		bridge.WithConfigFile(path),
		bridge.WithLogger(logger),
		bridge.WithReaderOptions(reader.WithManualTicks(), reader.WithClock(c.Now)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := mp.Reader().TickInterval(); got != 2*time.Second {
		t.Errorf("tick = %v, want the file's 2s", got)
	}
	h, _ := mp.Meter("server").Float64Histogram("requests_data_len")
	for _, v := range []float64{10, 20, 30} {
		h.Record(ctx, v)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{`level=WARN msg="requests_data_len_avg 20.0"`, `level=WARN msg="requests_data_len_max 30.0"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	snap, err := jsonfile.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if v := snap.Values["requests_data_len_avg"]; v == nil || *v != 20 {
		t.Errorf("JSON requests_data_len_avg = %v", v)
	}
	if v := snap.Values["requests_data_len_max"]; v == nil || *v != 30 {
		t.Errorf("JSON requests_data_len_max = %v", v)
	}
	if !snap.Time.Equal(c.Now()) {
		t.Errorf("collection time %v, want %v", snap.Time, c.Now())
	}
}

func TestEnv(t *testing.T) {
	path := writeFile(t, "env.yaml", "counters:\n  - {name: from_env, kind: total}\n")
	var asked []string
	env := func(v string) func(string) string {
		return func(k string) string {
			asked = append(asked, k)
			if k == config.EnvVar {
				return v
			}
			return ""
		}
	}
	b, err := bridge.New(bridge.WithGetenv(env(path)), bridge.WithEnv(), bridge.WithReaderOptions(reader.WithManualTicks()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())
	if !b.Reader().Has("from_env") {
		t.Error("the file named by the environment was not applied")
	}

	asked = nil
	b2, err := bridge.New(bridge.WithGetenv(env("")), bridge.WithEnv(), bridge.WithReaderOptions(reader.WithManualTicks()))
	if err != nil {
		t.Fatalf("an unset variable is not an error: %v", err)
	}
	defer b2.Shutdown(context.Background())
	if len(b2.Reader().Counters()) != 0 || !slices.Equal(asked, []string{config.EnvVar}) {
		t.Errorf("unset variable: counters %v, looked up %v", b2.Reader().Counters(), asked)
	}

	asked = nil
	b3, err := bridge.New(bridge.WithGetenv(env(path)), bridge.WithReaderOptions(reader.WithManualTicks()))
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Shutdown(context.Background())
	if len(asked) != 0 || b3.Reader().Has("from_env") {
		t.Errorf("without WithEnv the environment was read: %v", asked)
	}

	_, err = bridge.New(bridge.WithGetenv(env(filepath.Join(t.TempDir(), "missing.yaml"))), bridge.WithEnv())
	if err == nil || !strings.Contains(err.Error(), config.EnvVar) {
		t.Errorf("a missing file named by the environment: %v", err)
	}
}

// Later sources win for tick and report interval; reader options win over all.
func TestPrecedence(t *testing.T) {
	path := writeFile(t, "t.yaml", "tick: 3s\n")
	for _, c := range []struct {
		opts []bridge.Option
		want time.Duration
	}{
		{nil, reader.DefaultTick},
		{[]bridge.Option{bridge.WithTick(time.Second)}, time.Second},
		{[]bridge.Option{bridge.WithTick(time.Second), bridge.WithConfigFile(path)}, 3 * time.Second},
		{[]bridge.Option{bridge.WithConfigFile(path), bridge.WithTick(time.Second)}, time.Second},
		{[]bridge.Option{bridge.WithReaderOptions(reader.WithTick(7 * time.Second)), bridge.WithConfigFile(path)}, 7 * time.Second},
	} {
		b, err := bridge.New(append(c.opts, bridge.WithReaderOptions(reader.WithManualTicks()))...)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Reader().TickInterval(); got != c.want {
			t.Errorf("tick = %v, want %v", got, c.want)
		}
		_ = b.Shutdown(context.Background())
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, "broken.yaml", "counters:\n  - name: a\n    kind: average\n  - name: [oops\n")
	unknownKind := writeFile(t, "kind.yaml", "counters:\n  - name: a\n    kind: MedianCounter\n")
	dupFile := writeFile(t, "dup.yaml", "counters:\n  - name: requests_time\n    kind: average_time\n")
	noFolder := writeFile(t, "nofolder.yaml", "reporters:\n  - type: json_file\n    path: "+filepath.Join(dir, "missing", "out.json")+"\n")
	logs := writeFile(t, "log.yaml", "reporters:\n  - type: log\n")
	for _, c := range []struct {
		name string
		opts []bridge.Option
		want []string
	}{
		{"broken file", []bridge.Option{bridge.WithConfigFile(broken)}, []string{broken + ":", "syntax error"}},
		{"unknown kind in a file", []bridge.Option{bridge.WithConfigFile(unknownKind)}, []string{unknownKind + ":3", "counters[0].kind", `"MedianCounter"`}},
		{"unknown kind in Go", []bridge.Option{bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "x", Kind: 99})}, []string{"WithCounters", `"x"`, "unknown kind"}},
		{"missing file", []bridge.Option{bridge.WithConfigFile(filepath.Join(dir, "nope.yaml"))}, []string{"nope.yaml"}},
		{"duplicate counter across sources", []bridge.Option{
			bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "requests_time", Kind: counters.AverageTime}),
			bridge.WithConfigFile(dupFile),
		}, []string{`"requests_time" defined twice`, "WithCounters", dupFile}},
		{"duplicate counter in Go", []bridge.Option{
			bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "a", Kind: counters.Max}, counters.Definition{By: []string{counters.AllAttributes}, Name: "a", Kind: counters.Min}),
		}, []string{`"a" defined twice`}},
		{"duplicate reporter", []bridge.Option{
			bridge.WithReporter("log", &collect{}),
			bridge.WithConfigFile(logs),
		}, []string{`reporter "log" defined twice`, "WithReporter", logs + ":2"}},
		{"json folder missing", []bridge.Option{bridge.WithConfigFile(noFolder)}, []string{noFolder + ":2", `reporter "json_file"`, "missing"}},
		{"nil reporter", []bridge.Option{bridge.WithReporter("x", nil)}, []string{`"x" is nil`}},
		{"nil config", []bridge.Option{bridge.WithConfig(nil)}, []string{"nil *config.Config"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := bridge.New(c.opts...)
			if err == nil {
				_ = b.Shutdown(context.Background())
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			mp, err2 := bridge.NewMeterProvider(c.opts...)
			if err2 == nil || mp != nil {
				t.Errorf("NewMeterProvider: %v, %v", mp, err2)
			}
		})
	}
	// Errors are typed where callers may branch on them.
	_, err := bridge.New(bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "a", Kind: counters.Max}, counters.Definition{By: []string{counters.AllAttributes}, Name: "a", Kind: counters.Max}))
	if !errors.Is(err, reader.ErrDuplicateCounter) {
		t.Errorf("duplicate: %v is not ErrDuplicateCounter", err)
	}
	var cerr *config.Error
	if _, err := bridge.New(bridge.WithConfigFile(unknownKind)); !errors.As(err, &cerr) || cerr.Line != 3 {
		t.Errorf("config error not a *config.Error at line 3: %v", err)
	}
}

// A JSON file that cannot be written at report time: the error names the
// reporter, the other reporters still get the report, and the previous file
// stays.
func TestJSONWriteFailure(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "c.json")
	c := newClock()
	got := &collect{}
	mp, err := bridge.NewMeterProvider(append(manual(c),
		bridge.WithConfig(&config.Config{Reporters: []config.Reporter{{Type: "json_file", Name: "munin", Path: jsonPath}}}),
		bridge.WithReporter("collect", got),
		bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "n", Kind: counters.Total}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = mp.Shutdown(ctx) }()
	cnt, _ := mp.Meter("t").Int64Counter("n")
	cnt.Add(ctx, 5)
	if err := mp.Reader().OutputReport(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	// Make the folder unwritable in a way that holds even for root: replace
	// it by a file, keeping the previous report aside.
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cnt.Add(ctx, 2)
	err = mp.Reader().OutputReport(ctx)
	if err == nil || !strings.Contains(err.Error(), `reporter "munin"`) {
		t.Errorf("OutputReport error %v does not name the reporter", err)
	}
	if v := lookup(t, got.last(t), "n"); v.V != 7 {
		t.Errorf("the other reporter got n = %v, want 7", v)
	}
	after, err := os.ReadFile(filepath.Join(dir+".old", "c.json"))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the previous report changed: %s → %s (%v)", before, after, err)
	}
}

func TestDefaults(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	mp, err := bridge.NewMeterProvider(append(manual(c),
		bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "mine", Kind: counters.Max, Events: []string{"app.heard"}}),
		bridge.WithDefaults(config.Defaults{Enabled: true, Include: []string{"app.*"}, Exclude: []string{"*.internal"}}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = mp.Shutdown(ctx) }()
	m := mp.Meter("app")
	dur, _ := m.Float64Histogram("app.duration", metric.WithUnit("ms"))
	size, _ := m.Int64Histogram("app.size", metric.WithUnit("By"))
	reqs, _ := m.Int64Counter("app.requests")
	queue, _ := m.Int64UpDownCounter("app.queue")
	temp, _ := m.Float64Gauge("app.temperature")
	_, _ = m.Float64ObservableGauge("app.load", metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
		o.Observe(0.75)
		return nil
	}))
	heard, _ := m.Float64Histogram("app.heard")
	_, _ = m.Int64Counter("app.cache.internal")
	_, _ = m.Int64Counter("other.requests")
	// Shortcuts register their counter before creating the instrument.
	s := shortcut.New(m, mp.Reader())
	s.Value(ctx, "app.shortcut", 1)

	var names []string
	for _, d := range mp.Reader().Counters() {
		names = append(names, d.Name)
	}
	want := []string{
		"app.duration.average", "app.duration.frequency", "app.duration.max", "app.duration.min",
		"app.load.last",
		"app.queue.total",
		"app.requests.frequency", "app.requests.total",
		"app.shortcut",
		"app.size.average", "app.size.max", "app.size.min", "app.size.window_sum",
		"app.temperature.last",
		"mine",
	}
	if !slices.Equal(names, want) {
		t.Errorf("counters:\n got %v\nwant %v", names, want)
	}
	kinds := map[string]counters.Kind{}
	for _, d := range mp.Reader().Counters() {
		kinds[d.Name] = d.Kind
	}
	if kinds["app.duration.average"] != counters.AverageTime || kinds["app.size.average"] != counters.Average {
		t.Errorf("average kinds: %v, %v", kinds["app.duration.average"], kinds["app.size.average"])
	}

	for i := 1; i <= 4; i++ {
		dur.Record(ctx, float64(10*i))
		size.Record(ctx, int64(i))
		reqs.Add(ctx, 2)
		queue.Add(ctx, 1)
		temp.Record(ctx, float64(20+i))
		heard.Record(ctx, float64(i))
		tick(t, c, mp.Reader(), 1)
	}
	queue.Add(ctx, -3)
	rep, err := mp.Reader().Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]float64{
		"app.duration.average":   25, // in the instrument's unit, ms
		"app.duration.frequency": 1,  // four measurements in four seconds
		"app.duration.max":       40,
		"app.duration.min":       10,
		"app.size.average":       2.5,
		"app.size.window_sum":    10,
		"app.size.max":           4,
		"app.size.min":           1,
		"app.requests.frequency": 2,
		"app.requests.total":     8,
		"app.queue.total":        1,
		"app.temperature.last":   24,
		"app.load.last":          0.75,
		"mine":                   4,
	} {
		if v := lookup(t, rep, key); !v.OK || v.V != want {
			t.Errorf("%s = %+v, want %v", key, v, want)
		}
	}
}

func TestDefaultsOffByDefault(t *testing.T) {
	ctx := context.Background()
	b, err := bridge.New(bridge.WithReaderOptions(reader.WithManualTicks()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.MeterProviderOptions()); n != 1 {
		t.Errorf("%d provider options without defaults, want the reader alone", n)
	}
	// The view does nothing when defaults are off, even if added.
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(b.Reader()), sdkmetric.WithView(b.View()))
	defer func() { _ = mp.Shutdown(ctx) }()
	_, _ = mp.Meter("x").Float64Histogram("latency", metric.WithUnit("s"))
	if n := len(b.Reader().Counters()); n != 0 {
		t.Errorf("%d default counters while off", n)
	}
}

// A bridge never given to a provider still shuts down cleanly, with its
// final report.
func TestBridgeShutdown(t *testing.T) {
	got := &collect{}
	b, err := bridge.New(bridge.WithReporter("c", got), bridge.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "x", Kind: counters.Max}),
		bridge.WithReportInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := lookup(t, got.last(t), "x"); v.OK {
		t.Errorf("x = %+v, want empty", v)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}
