//go:build unix

package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/host"
)

// within runs f, failing the test when it does not return within d (a
// merge hung on a FIFO never returns: the goroutine is left behind).
func within[T any](t *testing.T, d time.Duration, what string, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
		panic("unreachable")
	}
}

// TestMergeHostileEntries puts what another user of a shared folder can
// make beside a real report: a FIFO nobody writes (which hangs a plain
// read), a symbolic link to /dev/zero (which a plain read follows until
// memory runs out), a link to a valid report elsewhere, a file over the
// size limit and a socket. Merge lists each as Invalid with its reason and
// merges the real report, at once.
func TestMergeHostileEntries(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, fmt.Sprintf("a.%d.json", self), processReport(self, `"x": 1`, `"x": {"kind": "total"}`, 0))
	fifo := filepath.Join(dir, fmt.Sprintf("evil.%d.json", self))
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, fmt.Sprintf("zero.%d.json", self))
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	elsewhere := writeFile(t, t.TempDir(), "real.json", processReport(self, `"x": 10`, `"x": {"kind": "total"}`, 0))
	link := filepath.Join(dir, fmt.Sprintf("link.%d.json", self))
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, dir, fmt.Sprintf("big.%d.json", self), processReport(self, `"x": 100`+strings.Repeat(`, "pad": 0`, 200), `"x": {"kind": "total"}`, 0))

	res := within(t, 10*time.Second, "Merge", func() *host.Result {
		return mergeDir(t, dir, host.WithMaxFileSize(1000))
	})
	want := map[string]string{
		good: "",
		fifo: "is a named pipe (FIFO), not a regular file",
		zero: "is a symbolic link, which is not followed",
		link: "is a symbolic link, which is not followed",
		big:  "bytes, over the limit of 1000 (host.WithMaxFileSize)",
	}
	if len(res.Sources) != len(want) {
		t.Fatalf("sources %+v, want %d", res.Sources, len(want))
	}
	for _, s := range res.Sources {
		w, ok := want[s.Path]
		switch {
		case !ok:
			t.Errorf("unexpected source %+v", s)
		case w == "" && s.Status != host.Included:
			t.Errorf("%s: %v %v, want it included", s.Path, s.Status, s.Err)
		case w != "" && (s.Status != host.Invalid || s.Err == nil || !strings.Contains(s.Err.Error(), w) || !strings.Contains(s.Err.Error(), s.Path)):
			t.Errorf("%s: %v %v, want invalid: %q", s.Path, s.Status, s.Err, w)
		}
	}
	if v := value(t, res.Report, "x"); v.V != 1 {
		t.Errorf("x = %v, want the one real report's 1", v.V)
	}
	// The default limit takes the big file in.
	if v := value(t, mergeDir(t, dir).Report, "x"); v.V != 101 {
		t.Errorf("x = %v with the default size limit, want 101", v.V)
	}
}

// TestReadHostileFile: a report named by path may be a link (followed),
// but what it leads to must be a regular file within the limit.
func TestReadHostileFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "counters.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	real := writeFile(t, dir, "real.json", `{"x": 1, "__collection_time__": 1700000000}`)
	link := filepath.Join(dir, "current.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{zero, "is a character device, not a regular file"}, // the link is followed, its target refused
	} {
		err := within(t, 10*time.Second, "Read "+c.path, func() error {
			_, err := host.Read(c.path, host.WithClock(at(now)))
			return err
		})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("Read(%s) = %v, want %q", c.path, err, c.want)
		}
	}
	res, err := host.Read(link, host.WithClock(at(now)))
	if err != nil || value(t, res.Report, "x").V != 1 {
		t.Errorf("Read through a link to a report = %+v, %v", res, err)
	}
	if _, err := host.Read(real, host.WithMaxFileSize(10)); err == nil || !strings.Contains(err.Error(), "over the limit of 10") {
		t.Errorf("Read of a file over the limit = %v", err)
	}
}

// TestNewReporterRemovesStaleTemps: the temporary files that earlier
// processes of the same name left when killed mid-write (under their own
// pids) are removed by the next NewReporter of that name; other names'
// are left alone.
func TestNewReporterRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	const gone = 2147483646 // above any pid Linux hands out
	mk := func(name string) string {
		return writeFile(t, dir, name, `{"x": 1`)
	}
	removed := []string{
		mk(fmt.Sprintf(".web.%d.json.tmp-%d-123", gone, gone)),
		mk(fmt.Sprintf(".web.%d.json.tmp-%d-456", gone-1, gone-1)),
	}
	kept := []string{
		mk(fmt.Sprintf(".worker.%d.json.tmp-%d-123", gone, gone)),  // another name's
		mk(fmt.Sprintf(".web.api.%d.json.tmp-%d-123", gone, gone)), // "web.api" is another name
		mk(".web.1.json.tmp-1-123"),                                // pid 1 runs: maybe its write
		mk(fmt.Sprintf("web.%d.json", gone)),                       // a report, not a temporary file
	}
	if _, err := host.NewReporter(dir, "web"); err != nil {
		t.Fatal(err)
	}
	for _, p := range removed {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s: not removed", filepath.Base(p))
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: removed, want it left alone", filepath.Base(p))
		}
	}
}
