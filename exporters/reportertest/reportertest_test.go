package reportertest_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/otelcounters/otelcounters/exporters/reportertest"
	"github.com/otelcounters/otelcounters/report"
)

// memory is the simplest correct reporter: it keeps the latest report's
// values. The suite must pass it.
type memory struct {
	mu     sync.Mutex
	values map[string]*float64
}

func (m *memory) Report(ctx context.Context, r report.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	values := map[string]*float64{}
	for _, v := range r.Values {
		if report.IsMetadata(v.Key) {
			continue
		}
		if v.OK && !math.IsNaN(v.V) {
			f := v.V
			values[v.Key] = &f
		} else {
			values[v.Key] = nil
		}
	}
	m.mu.Lock()
	m.values = values
	m.mu.Unlock()
	return nil
}

func TestMemoryReporter(t *testing.T) {
	reportertest.Run(t, reportertest.Harness{
		New: func(t *testing.T) (report.Reporter, func(*testing.T) map[string]*float64) {
			m := &memory{}
			return m, func(*testing.T) map[string]*float64 {
				m.mu.Lock()
				defer m.mu.Unlock()
				return m.values
			}
		},
		Atomic: true,
	})
}
