package pipe_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/pipe"
	"github.com/otelcounters/otelcounters/exporters/reportertest"
	"github.com/otelcounters/otelcounters/report"
)

func num(f float64) counters.Value { return counters.Value{V: f, OK: true} }

func newReporter(t *testing.T, opts ...pipe.Option) *pipe.Reporter {
	t.Helper()
	p, err := pipe.New(filepath.Join(t.TempDir(), "stats-pipe"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return p
}

// cat reads the FIFO as cat does: open (which waits for the writer), read
// to the end, close. A generous bound turns a hang into a failure.
func cat(t *testing.T, path string) string {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		data, err := io.ReadAll(f)
		_ = f.Close()
		ch <- result{data, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return string(r.data)
	case <-time.After(30 * time.Second):
		t.Fatalf("reading %s did not end", path)
		return ""
	}
}

func TestCat(t *testing.T) {
	p := newReporter(t)
	if want := fmt.Sprintf("%d.stats", os.Getpid()); filepath.Base(p.Path()) != want {
		t.Errorf("path %s, want a file named %s", p.Path(), want)
	}
	st, err := os.Stat(p.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Type() != fs.ModeNamedPipe || st.Mode().Perm() != pipe.Mode {
		t.Errorf("mode %v, want a named pipe with %v", st.Mode(), pipe.Mode)
	}
	if got := cat(t, p.Path()); got != "" {
		t.Errorf("before any report, read %q", got)
	}

	first := report.Report{Time: time.Unix(1307115164, 0), Values: []report.Value{
		{Key: "__node__", Value: num(1)},
		{Key: "a.b.c.d", Value: num(42)},
		{Key: "My Nice Stat", Value: num(123.45)},
		{Key: `requests_time{method="GET",note="a: b"}`, Value: num(0.5893422365193)},
		{Key: "slowest"},
		{Key: "two\nlines", Value: num(1e-05)},
	}}
	if err := p.Report(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	want := "a.b.c.d: 42.0\nMy Nice Stat: 123.45\nrequests_time{method=\"GET\",note=\"a: b\"}: 0.589342236519\nslowest: None\ntwo\\nlines: 1e-05\n"
	if got := cat(t, p.Path()); got != want {
		t.Errorf("read\n%q\nwant\n%q", got, want)
	}

	second := report.Report{Time: time.Unix(1307115464, 0), Values: []report.Value{{Key: "a.b.c.d", Value: num(43)}}}
	if err := p.Report(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	// Every read sees the latest report, whole, once.
	for range 3 {
		if got := cat(t, p.Path()); got != "a.b.c.d: 43.0\n" {
			t.Errorf("read %q, want the second report once", got)
		}
	}
}

// TestLargeReport reads a report many times the size of a pipe's buffer:
// the writer fills the pipe as the reader empties it, and the reader gets
// every line whole.
func TestLargeReport(t *testing.T) {
	p := newReporter(t)
	r := bigReport(20000)
	if err := p.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got := cat(t, p.Path())
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(got) < 1<<18 || len(lines) != len(r.Values) || !strings.HasSuffix(got, "\n") {
		t.Fatalf("read %d bytes in %d lines, want %d lines", len(got), len(lines), len(r.Values))
	}
	for i, l := range lines {
		if want := fmt.Sprintf("%s: %d.0", r.Values[i].Key, i); l != want {
			t.Fatalf("line %d = %q, want %q", i, l, want)
		}
	}
}

func bigReport(n int) report.Report {
	r := report.Report{Time: time.Unix(1307115164, 0)}
	for i := range n {
		r.Values = append(r.Values, report.Value{Key: fmt.Sprintf("counter_with_a_rather_long_name_%06d", i), Value: num(float64(i))})
	}
	return r
}

func TestConformance(t *testing.T) {
	reportertest.Run(t, reportertest.Harness{
		New: func(t *testing.T) (report.Reporter, func(*testing.T) map[string]*float64) {
			p := newReporter(t)
			return p, func(t *testing.T) map[string]*float64 {
				out := map[string]*float64{}
				for _, l := range strings.Split(strings.TrimSuffix(cat(t, p.Path()), "\n"), "\n") {
					if l == "" {
						continue
					}
					i := strings.LastIndex(l, ": ")
					if i < 0 {
						t.Fatalf("line %q has no \": \"", l)
					}
					key := l[:i]
					if l[i+2:] == "None" {
						out[key] = nil
						continue
					}
					f, err := strconv.ParseFloat(l[i+2:], 64)
					if err != nil {
						t.Fatalf("line %q: %v", l, err)
					}
					out[key] = &f
				}
				return out
			}
		},
		Digits: 12,
		Atomic: true,
	})
}

// TestReportWithoutReader shows that Report never waits for a reader: a
// thousand reports return while nobody reads, checked by counting
// scheduler yields rather than by a clock.
func TestReportWithoutReader(t *testing.T) {
	p := newReporter(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			_ = p.Report(context.Background(), report.Report{Values: []report.Value{{Key: "x", Value: num(float64(i))}}})
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			if got := cat(t, p.Path()); got != "x: 999.0\n" {
				t.Errorf("read %q, want the last report", got)
			}
			return
		default:
		}
		if i > 1_000_000 {
			t.Fatal("1000 reports without a reader did not return")
		}
		runtime.Gosched()
	}
}

func BenchmarkReportWithoutReader(b *testing.B) {
	p, err := pipe.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	r := bigReport(100)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Report(ctx, r)
	}
}

// goroutines returns the stacks of the goroutines running this package's
// code.
func goroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var ours []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("exporters/pipe.(*Reporter)")) {
			ours = append(ours, string(g))
		}
	}
	return strings.Join(ours, "\n\n")
}

// gone waits, by a bounded number of scheduler yields, for the Reporter's
// goroutine to leave.
func gone(t *testing.T) {
	t.Helper()
	for range 100000 {
		if goroutines() == "" {
			return
		}
		runtime.Gosched()
	}
	t.Errorf("goroutines left after Shutdown:\n%s", goroutines())
}

func TestShutdown(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, p *pipe.Reporter)
	}{
		// The writer polls for a reader that never comes.
		{"no reader", func(t *testing.T, p *pipe.Reporter) {}},
		// The writer waits in write for a reader that opened the pipe and
		// does not read a report larger than the pipe's buffer.
		{"reader not reading", func(t *testing.T, p *pipe.Reporter) {
			if err := p.Report(t.Context(), bigReport(20000)); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p.Path())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			// Wait until the writer has filled the pipe.
			if _, err := f.Read(make([]byte, 1)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A long write timeout: only Shutdown can free the writer.
			p, err := pipe.New(t.TempDir(), pipe.WithWriteTimeout(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			c.setup(t, p)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			gone(t)
			if _, err := os.Lstat(p.Path()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("FIFO left after Shutdown: %v", err)
			}
			if err := p.Report(t.Context(), report.Report{}); !errors.Is(err, pipe.ErrShutdown) {
				t.Errorf("Report after Shutdown: %v", err)
			}
			if err := p.Shutdown(ctx); err != nil {
				t.Errorf("second Shutdown: %v", err)
			}
		})
	}
}

func TestShutdownContext(t *testing.T) {
	p, err := pipe.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Either the goroutine ended at once or Shutdown says ctx ended first;
	// the goroutine ends in both cases.
	if err := p.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with a done context: %v", err)
	}
	gone(t)
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, fmt.Sprintf("%d.stats", os.Getpid()))
	// A FIFO left by an earlier process of this pid is replaced.
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := pipe.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != pipe.Mode {
		t.Errorf("replaced FIFO: %v, %v", st.Mode(), err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Anything else is left alone.
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pipe.New(dir); err == nil || !strings.Contains(err.Error(), "not a named pipe") {
		t.Errorf("New over a regular file: %v", err)
	}
	if _, err := pipe.New(""); err == nil {
		t.Error("New with no folder succeeded")
	}
	if _, err := pipe.New(filepath.Join(path, "sub")); err == nil {
		t.Error("New under a file succeeded")
	}
}

// TestRecreated shows that the writer makes its FIFO again when something
// removes it.
func TestRecreated(t *testing.T) {
	p := newReporter(t, pipe.WithPollInterval(time.Millisecond))
	if err := p.Report(t.Context(), report.Report{Values: []report.Value{{Key: "x", Value: num(1)}}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p.Path()); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if st, err := os.Stat(p.Path()); err == nil && st.Mode().Type() == fs.ModeNamedPipe {
			break
		}
		if i > 10_000_000 {
			t.Fatal("the FIFO was not made again")
		}
		runtime.Gosched()
	}
	if got := cat(t, p.Path()); got != "x: 1.0\n" {
		t.Errorf("read %q from the new FIFO", got)
	}
}
