package config

import (
	"testing"

	"github.com/otelcounters/otelcounters/reader"
)

// Windows of a file without a tick are checked against the reader's default.
func TestDefaultTick(t *testing.T) {
	if defaultTick != reader.DefaultTick {
		t.Errorf("defaultTick %v, reader.DefaultTick %v", defaultTick, reader.DefaultTick)
	}
}
