package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/otelcounters/otelcounters/config"
)

// FuzzParse checks that no input makes Parse panic, that every error is
// located in the source, and that what it accepts is valid.
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
	})
}
