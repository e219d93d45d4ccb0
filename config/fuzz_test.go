package config_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/config"
	"github.com/otelcounters/otelcounters/reader"
)

// FuzzParse checks that no input makes Parse panic, that every error is
// located in the source, and that what it accepts is valid: a reader with
// the file's tick registers every counter it accepts, and reports.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullYAML))
	f.Add([]byte(fullJSON))
	f.Add([]byte("a: &a [*a]\ncounters: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, "fuzz.yaml")
		if err != nil {
			if cfg != nil {
				t.Fatal("a config with an error")
			}
			var ce *config.Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("unlocated error %q", err)
			}
			return
		}
		names := map[string]bool{}
		for _, d := range cfg.Counters {
			n, err := d.Normalized()
			if err != nil || len(n.Events) != len(d.Events) || n.Window != d.Window {
				t.Fatalf("accepted %+v: not normalised (%v)", d, err)
			}
			if names[d.Name] {
				t.Fatalf("duplicate counter %q accepted", d.Name)
			}
			names[d.Name] = true
		}
		reps := map[string]bool{}
		for _, r := range cfg.Reporters {
			if r.Name == "" || reps[r.Name] || r.Line <= 0 {
				t.Fatalf("bad reporter accepted: %+v", r)
			}
			reps[r.Name] = true
		}
		if cfg.Tick < 0 || cfg.ReportInterval < -1 || cfg.SeriesLimit < -1 {
			t.Fatalf("bad timing accepted: %+v", cfg)
		}
		r := reader.New(reader.WithManualTicks(), reader.WithTick(cfg.Tick),
			reader.WithReportInterval(cfg.ReportInterval), reader.WithSeriesLimit(cfg.SeriesLimit))
		defer func() { _ = r.Shutdown(context.Background()) }()
		for _, d := range cfg.Counters {
			// Report keys of percentiles counters may clash with names of
			// other counters, which only a reader knows.
			if err := r.Register(d); err != nil && !errors.Is(err, reader.ErrDuplicateCounter) {
				t.Fatalf("accepted %+v, but Register: %v", d, err)
			}
		}
		if _, err := r.Report(context.Background()); err != nil && !errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			t.Fatalf("Report: %v", err)
		}
	})
}
