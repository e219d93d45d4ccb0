package jsonfile_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/report"
)

func TestWithMetadata(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counters.json")
	calls := 0
	rep := newReporter(t, path, jsonfile.WithMetadata(func(r report.Report) map[string]any {
		calls++
		return map[string]any{
			"__pid__":      42,
			"__counters__": map[string]any{`a{k="<v>"}`: map[string]any{"kind": "average", "count": 3}},
			"__skipped__":  nil,
		}
	}))
	r := report.Report{Time: time.Unix(1307115164, 500000000), Values: []report.Value{
		{Key: `a{k="<v>"}`, Value: val(0.25)},
		{Key: `sneaky "__collection_time__": `, Value: val(1)},
	}}
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("metadata function called %d times for one report", calls)
	}
	want := `{"a{k=\"<v>\"}": 0.25, "sneaky \"__collection_time__\": ": 1, ` +
		`"__counters__": {"a{k=\"<v>\"}":{"count":3,"kind":"average"}}, "__pid__": 42, ` +
		`"__collection_time__": 1307115164.5}` + "\n"
	wantFile(t, path, []byte(want))

	s, err := jsonfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Meta["__pid__"]) != "42" || len(s.Values) != 2 || !s.Time.Equal(r.Time) {
		t.Errorf("read back %+v", s)
	}
}

func TestWithMetadataErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		meta map[string]any
		want string
	}{
		{"not metadata", map[string]any{"pid": 1}, `"pid"`},
		{"time key", map[string]any{report.CollectionTimeKey: 1}, report.CollectionTimeKey},
		{"not encodable", map[string]any{"__nan__": math.NaN()}, `"__nan__"`},
	} {
		path := filepath.Join(t.TempDir(), "counters.json")
		rep := newReporter(t, path, jsonfile.WithMetadata(func(report.Report) map[string]any { return c.meta }))
		err := rep.Report(t.Context(), numbered(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Report = %v, want an error naming %s", c.name, err, c.want)
		}
		if _, err := jsonfile.ReadFile(path); err == nil {
			t.Errorf("%s: a report with bad metadata was written", c.name)
		}
	}
}

func TestWithMetadataEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counters.json")
	rep := newReporter(t, path, jsonfile.WithMetadata(func(report.Report) map[string]any { return nil }))
	r := numbered(3)
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, encoded(r))
}
