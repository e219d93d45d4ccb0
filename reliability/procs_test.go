//go:build unix

package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/internal/testenv"
	"github.com/otelcounters/otelcounters/report"
)

// childEnv makes the test binary a child process of a test instead of
// running the tests: its value names what the child does (see TestMain).
const childEnv = "OTELCOUNTERS_RELIABILITY_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		code := m.Run()
		if bin, err := otelcountersBin(); err == nil && built.Load() {
			_ = os.RemoveAll(filepath.Dir(bin))
		}
		os.Exit(code)
	case "writer":
		os.Exit(writerChild(os.Getenv("DIR"), true))
	case "writer-once":
		os.Exit(writerChild(os.Getenv("DIR"), false))
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// bigReport is a report of n values: about 60 bytes each in the file, so
// that writing one takes long enough to be killed in the middle of.
func bigReport(n int, seq int) report.Report {
	r := report.Report{Time: time.Now()}
	for i := range n {
		r.Values = append(r.Values, report.Value{
			Key: fmt.Sprintf("counter_with_a_longish_name_%06d", i), Kind: counters.Total,
			Value: counters.Value{V: float64(seq), OK: true},
		})
	}
	return r
}

// writerChild writes reports of 2,000 values to DIR/web.<pid>.json (a
// host reporter) and DIR/counters.json (a JSON reporter). With forever, it
// stops in the middle of its second write of counters.json, says
// "mid-write" and waits there to be killed; without, it writes one report
// each, says "done" and ends.
func writerChild(dir string, forever bool) int {
	var opts []jsonfile.Option
	if forever {
		opts = append(opts, jsonfile.WithFS(&pausingFS{}))
	}
	jf, err := jsonfile.New(filepath.Join(dir, "counters.json"), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hr, err := host.NewReporter(dir, "web")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	for seq := 1; ; seq++ {
		r := bigReport(2000, seq)
		for _, rep := range []report.Reporter{hr, jf} {
			if err := rep.Report(ctx, r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		if !forever {
			fmt.Println("done")
			return 0
		}
	}
}

// pausingFS is the os package, except that the second temporary file's
// write stops half way, says so on stdout and never returns: the moment a
// kill leaves a temporary file behind, made certain instead of hoped for.
type pausingFS struct{ files int }

func (p *pausingFS) CreateTemp(dir, pattern string) (jsonfile.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	p.files++
	if p.files < 2 {
		return f, nil
	}
	return pausingFile{f}, nil
}

func (p *pausingFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (p *pausingFS) Remove(name string) error             { return os.Remove(name) }

type pausingFile struct{ *os.File }

func (f pausingFile) Write(b []byte) (int, error) {
	n, err := f.File.Write(b[:len(b)/2])
	if err != nil {
		return n, err
	}
	fmt.Println("mid-write")
	select {} // until killed
}

// startChild starts the test binary as a child doing what, with env added.
func startChild(t *testing.T, what string, env ...string) *exec.Cmd {
	t.Helper()
	testenv.NeedsProcesses(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+what), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// built says whether a test asked for the otelcounters binary.
var built atomic.Bool

// otelcountersBin builds the otelcounters command once per test binary,
// into a folder every user can read, and returns its path.
var otelcountersBin = sync.OnceValues(func() (string, error) {
	if !built.Load() {
		return "", errors.New("not built")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			return "", fmt.Errorf("no go command to build otelcounters with: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "otelcounters-bin-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "otelcounters")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "../cmd/otelcounters")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// buildOtelcounters returns the otelcounters binary, removed when the test
// binary's tests are done.
func buildOtelcounters(t *testing.T) string {
	t.Helper()
	testenv.NeedsProcesses(t)
	built.Store(true)
	bin, err := otelcountersBin()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// nobody is the unprivileged user that plays another user of the host.
const nobodyUID = 65534

// asNobody returns a command running argv as user nobody, through setpriv
// (or runuser); the test skips, saying why, when it does not run as root
// or neither tool is there.
func asNobody(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	testenv.NeedsProcesses(t)
	if os.Geteuid() != 0 {
		t.Skip("playing a second user (nobody) needs root, to switch to it with setpriv or runuser")
	}
	if p, err := exec.LookPath("setpriv"); err == nil {
		return exec.Command(p, append([]string{fmt.Sprintf("--reuid=%d", nobodyUID), fmt.Sprintf("--regid=%d", nobodyUID), "--clear-groups", "--"}, argv...)...)
	}
	if p, err := exec.LookPath("runuser"); err == nil {
		return exec.Command(p, append([]string{"-u", "nobody", "--"}, argv...)...)
	}
	t.Skip("neither setpriv nor runuser to play a second user with (util-linux)")
	return nil
}

// runAsNobody runs a shell script as nobody and returns its output and
// whether it succeeded.
func runAsNobody(t *testing.T, script string) (string, bool) {
	t.Helper()
	cmd := asNobody(t, "/bin/sh", "-c", script)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// sharedDir returns a new folder that every user can reach (t.TempDir's
// are private), removed when the test ends.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "otelcounters-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
