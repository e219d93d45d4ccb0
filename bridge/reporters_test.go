package bridge_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/host"
)

// A configuration file can name the per-process report and the named pipe;
// the provider's Shutdown writes the last report and removes the pipe.
func TestConfigProcessFileAndPipe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("named pipes are for Unix")
	}
	dir := t.TempDir()
	reports, pipes := filepath.Join(dir, "reports"), filepath.Join(dir, "pipes")
	if err := os.Mkdir(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "counters.yaml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `counters:
  - {name: hits, kind: event}
reporters:
  - {type: process_file, name: myapp, path: %q}
  - {type: pipe, path: %q}
`, reports, pipes), 0o644); err != nil {
		t.Fatal(err)
	}
	mp, err := bridge.NewMeterProvider(bridge.WithConfigFile(conf))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := mp.Meter("t").Int64Counter("hits")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 3)
	fifo := filepath.Join(pipes, fmt.Sprintf("%d.stats", os.Getpid()))
	if st, err := os.Stat(fifo); err != nil || st.Mode().Type() != os.ModeNamedPipe {
		t.Fatalf("the pipe %s: %v, %v", fifo, st, err)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := host.Read(filepath.Join(reports, fmt.Sprintf("myapp.%d.json", os.Getpid())))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res.Report.Lookup("hits"); !ok || v.V != 3 {
		t.Errorf("hits in the per-process report = %v, %v; want 3", v, ok)
	}
	if _, err := os.Stat(fifo); !os.IsNotExist(err) {
		t.Errorf("the pipe is still there after Shutdown: %v", err)
	}
}
