package jsonfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/reportertest"
	"github.com/otelcounters/otelcounters/report"
)

func TestConformance(t *testing.T) {
	reportertest.Run(t, reportertest.Harness{
		New: func(t *testing.T) (report.Reporter, func(*testing.T) map[string]*float64) {
			rep, err := jsonfile.New(filepath.Join(t.TempDir(), "counters.json"))
			if err != nil {
				t.Fatal(err)
			}
			return rep, func(t *testing.T) map[string]*float64 {
				s, err := jsonfile.ReadFile(rep.Path())
				if err != nil {
					t.Fatal(err)
				}
				return s.Values
			}
		},
		Atomic: true,
	})
}

func val(f float64) counters.Value { return counters.Value{V: f, OK: true} }

// numbered is report i: every key holds i and the time is i seconds after a
// fixed origin, so a file names the report that wrote it.
func numbered(i int) report.Report {
	vs := make([]report.Value, 5)
	for k := range vs {
		vs[k] = report.Value{Key: fmt.Sprintf("counter_%d", k), Value: val(float64(i))}
	}
	return report.Report{Time: time.Unix(1307115164+int64(i), 0), Values: vs}
}

func newReporter(t *testing.T, path string, opts ...jsonfile.Option) *jsonfile.Reporter {
	t.Helper()
	rep, err := jsonfile.New(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// leftovers returns the temporary files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func wantFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds\n%s\nwant\n%s", path, got, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("%s has mode %v, want 0644", path, st.Mode().Perm())
	}
}

func encoded(r report.Report) []byte { return append(r.AppendJSON(nil), '\n') }

func TestReportWritesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "counters.json")
	// A file with another mode is replaced by one with mode 0644.
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := newReporter(t, path)
	r := numbered(7)
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, encoded(r))
	if l := leftovers(t, dir); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
	s, err := jsonfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Time.Equal(r.Time) {
		t.Errorf("read back time %v, want %v", s.Time, r.Time)
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, want string }{
		{"empty path", "", "empty path"},
		{"missing folder", filepath.Join(dir, "missing", "c.json"), filepath.Join(dir, "missing")},
		{"folder is a file", filepath.Join(file, "c.json"), "not a folder"},
		{"path is a folder", dir, "is a folder"},
	} {
		_, err := jsonfile.New(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New(%q) = %v, want an error mentioning %q", c.name, c.path, err, c.want)
		}
	}
}

func TestPathIsAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rep := newReporter(t, "counters.json")
	want := filepath.Join(dir, "counters.json")
	if rep.Path() != want {
		t.Errorf("Path() = %q, want %q", rep.Path(), want)
	}
	// A later change of working folder does not move the file.
	t.Chdir(t.TempDir())
	if err := rep.Report(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	wantFile(t, want, encoded(numbered(1)))
}

// faultFS is the real file system with one step failing.
type faultFS struct {
	step string // create, write, short, chmod, sync, close, rename, syncdir
	err  error
	// onSync, when set, runs when the temporary file is synced.
	onSync func()
}

func (f *faultFS) CreateTemp(dir, pattern string) (jsonfile.File, error) {
	if f.step == "create" {
		return nil, f.err
	}
	file, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if f.step == "rename" {
		return f.err
	}
	return os.Rename(oldpath, newpath)
}

func (f *faultFS) Remove(name string) error { return os.Remove(name) }

func (f *faultFS) SyncDir(string) error {
	if f.step == "syncdir" {
		return f.err
	}
	return nil
}

type faultFile struct {
	*os.File
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	switch f.fs.step {
	case "write": // the disk fills up halfway
		n, _ := f.File.Write(p[:len(p)/2])
		return n, f.fs.err
	case "short":
		return f.File.Write(p[:len(p)/2])
	}
	return f.File.Write(p)
}

func (f *faultFile) Chmod(mode os.FileMode) error {
	if f.fs.step == "chmod" {
		return f.fs.err
	}
	return f.File.Chmod(mode)
}

func (f *faultFile) Sync() error {
	if f.fs.onSync != nil {
		f.fs.onSync()
	}
	if f.fs.step == "sync" {
		return f.fs.err
	}
	return nil // durability is not what these tests check
}

func (f *faultFile) Close() error {
	err := f.File.Close()
	if f.fs.step == "close" {
		return f.fs.err
	}
	return err
}

func TestFailedWriteKeepsPrevious(t *testing.T) {
	injected := errors.New("injected: no space left on device")
	for _, c := range []struct {
		step, says string
		want       error
	}{
		{"create", "create temporary file", injected},
		{"write", "write temporary file", injected},
		{"short", "write temporary file", io.ErrShortWrite},
		{"chmod", "set mode of temporary file", injected},
		{"sync", "sync temporary file", injected},
		{"close", "close temporary file", injected},
		{"rename", "rename temporary file", injected},
	} {
		t.Run(c.step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "counters.json")
			if err := newReporter(t, path).Report(t.Context(), numbered(1)); err != nil {
				t.Fatal(err)
			}
			rep := newReporter(t, path, jsonfile.WithFS(&faultFS{step: c.step, err: injected}))
			err := rep.Report(t.Context(), numbered(2))
			if !errors.Is(err, c.want) {
				t.Fatalf("Report = %v, want an error wrapping %v", err, c.want)
			}
			for _, s := range []string{path, c.says} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			wantFile(t, path, encoded(numbered(1)))
			if l := leftovers(t, dir); len(l) != 0 {
				t.Errorf("temporary files left: %v", l)
			}
		})
	}
}

func TestUnwritableFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "counters.json")
	rep := newReporter(t, path)
	if err := rep.Report(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Permissions do not stop root: inject the error the kernel
		// would return instead.
		t.Log("running as root: chmod 0555 does not stop writes, injecting EACCES through WithFS")
		rep = newReporter(t, path, jsonfile.WithFS(&faultFS{step: "create", err: &os.PathError{Op: "open", Path: dir, Err: syscall.EACCES}}))
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	}
	err := rep.Report(t.Context(), numbered(2))
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Report = %v, want a permission error naming %s", err, path)
	}
	wantFile(t, path, encoded(numbered(1)))
	if l := leftovers(t, dir); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestSyncDirError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "counters.json")
	injected := errors.New("injected: I/O error")
	err := newReporter(t, path, jsonfile.WithFS(&faultFS{step: "syncdir", err: injected})).Report(t.Context(), numbered(1))
	if !errors.Is(err, injected) || !strings.Contains(err.Error(), "report written") {
		t.Errorf("Report = %v, want an error wrapping %v that says the report was written", err, injected)
	}
	wantFile(t, path, encoded(numbered(1)))
	// File systems that cannot sync folders are not an error.
	err = newReporter(t, path, jsonfile.WithFS(&faultFS{step: "syncdir", err: syscall.EINVAL})).Report(t.Context(), numbered(2))
	if err != nil {
		t.Errorf("Report with EINVAL from the folder sync = %v, want nil", err)
	}
	wantFile(t, path, encoded(numbered(2)))
}

func TestCancelledMidWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "counters.json")
	if err := newReporter(t, path).Report(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rep := newReporter(t, path, jsonfile.WithFS(&faultFS{onSync: cancel}))
	if err := rep.Report(ctx, numbered(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("Report = %v, want an error wrapping context.Canceled", err)
	}
	wantFile(t, path, encoded(numbered(1)))
	if l := leftovers(t, dir); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestWaitingHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counters.json")
	entered, release := make(chan struct{}), make(chan struct{})
	fs := &faultFS{onSync: func() {
		entered <- struct{}{}
		<-release
	}}
	rep := newReporter(t, path, jsonfile.WithFS(fs))
	first := make(chan error, 1)
	go func() { first <- rep.Report(context.Background(), numbered(1)) }()
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := rep.Report(ctx, numbered(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("Report waiting behind another = %v, want an error wrapping context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, encoded(numbered(1)))
}

// TestReadersNeverSeeTornFiles reads the file in a tight loop while it is
// rewritten thousands of times. Temporary files are not synced here: what
// keeps readers safe is the rename, and 3000 real syncs would take seconds.
func TestReadersNeverSeeTornFiles(t *testing.T) {
	const writes = 3000
	path := filepath.Join(t.TempDir(), "counters.json")
	rep := newReporter(t, path, jsonfile.WithFS(&faultFS{}))
	if err := rep.Report(t.Context(), numbered(0)); err != nil {
		t.Fatal(err)
	}
	var (
		done               atomic.Bool
		reads, empty, torn int
		firstErr           error
		distinct           = map[float64]bool{}
		started            = make(chan struct{})
		wg                 sync.WaitGroup
	)
	wg.Go(func() {
		for i := 0; !done.Load(); i++ {
			if i == 1 {
				close(started)
			}
			data, err := os.ReadFile(path)
			reads++
			if err == nil && len(data) == 0 {
				empty++
				continue
			}
			s, perr := jsonfile.Parse(data)
			if err == nil {
				err = perr
			}
			if err == nil {
				err = consistent(s)
			}
			if err != nil {
				torn++
				if firstErr == nil {
					firstErr = fmt.Errorf("%w in %q", err, data)
				}
				continue
			}
			distinct[*s.Values["counter_0"]] = true
		}
	})
	<-started
	for i := 1; i <= writes; i++ {
		if err := rep.Report(t.Context(), numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	t.Logf("%d reads during %d writes, %d distinct reports seen", reads, writes, len(distinct))
	if empty != 0 || torn != 0 {
		t.Errorf("%d empty and %d unreadable or mixed files in %d reads; first: %v", empty, torn, reads, firstErr)
	}
	if len(distinct) < 2 {
		t.Errorf("the reader saw %d distinct reports: it did not overlap the writes", len(distinct))
	}
	wantFile(t, path, encoded(numbered(writes)))
}

// consistent checks that s is one whole report written by numbered.
func consistent(s jsonfile.Snapshot) error {
	if len(s.Values) != 5 {
		return fmt.Errorf("%d values, want 5", len(s.Values))
	}
	i := float64(s.Time.Unix() - 1307115164)
	for k, v := range s.Values {
		if v == nil || *v != i {
			return fmt.Errorf("key %s = %v in the report of time %v", k, v, s.Time)
		}
	}
	return nil
}

func BenchmarkJSONFileReport(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			vs := make([]report.Value, n)
			for i := range vs {
				vs[i] = report.Value{Key: fmt.Sprintf("counter_%05d", i), Value: val(float64(i) / 7)}
			}
			r := report.Report{Time: time.Unix(1307115164, 880000000), Values: vs}
			rep, err := jsonfile.New(filepath.Join(b.TempDir(), "counters.json"))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(r.AppendJSON(nil)) + 1))
			b.ReportAllocs()
			for b.Loop() {
				if err := rep.Report(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
