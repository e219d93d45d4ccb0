//go:build unix

package pipe_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelcounters/otelcounters/exporters/pipe"
	"github.com/otelcounters/otelcounters/report"
)

// handled collects what reaches otel.Handle; tests using it are not
// parallel.
type handled struct {
	mu   sync.Mutex
	errs []string
}

func (h *handled) Handle(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err.Error())
	h.mu.Unlock()
}

func (h *handled) has(part string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.errs {
		if strings.Contains(e, part) {
			return true
		}
	}
	return false
}

func captureHandled(t *testing.T) *handled {
	h := &handled{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(h)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return h
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFolderMode: the folder New creates has FolderMode whatever the
// umask (a service's UMask=0077 made it 0700).
func TestFolderMode(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "stats-pipe")
	p, err := pipe.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != pipe.FolderMode {
		t.Errorf("folder mode %v (%v), want %v", st.Mode().Perm(), err, pipe.FolderMode)
	}
	if st, err := os.Stat(p.Path()); err != nil || st.Mode().Perm() != pipe.Mode {
		t.Errorf("FIFO mode %v (%v), want %v", st.Mode().Perm(), err, pipe.Mode)
	}
}

// TestRefusedFolders: a folder others can write to, or that belongs to
// another user, is refused with an error naming it and the problem; a
// sticky folder of ours is fine.
func TestRefusedFolders(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cases := []struct {
		dir, want string
	}{
		{mk("open", 0o777), "is writable by other users (mode -rwxrwxrwx)"},
		{mk("group", 0o775), "is writable by other users (mode -rwxrwxr-x)"},
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(mk("target", 0o755), link); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct{ dir, want string }{link, "is a symbolic link"})
	if os.Geteuid() == 0 {
		other := mk("other", 0o755)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ dir, want string }{other, "belongs to user 65534"})
	}
	for _, c := range cases {
		p, err := pipe.New(c.dir)
		if err == nil {
			_ = p.Shutdown(context.Background())
			t.Errorf("New(%s) succeeded, want %q", c.dir, c.want)
			continue
		}
		if !strings.Contains(err.Error(), "folder "+c.dir) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%s) = %v, want the folder named and %q", c.dir, err, c.want)
		}
		if entries, _ := os.ReadDir(c.dir); len(entries) != 0 {
			t.Errorf("New(%s) left %d entries", c.dir, len(entries))
		}
	}
	sticky := mk("sticky", 0o777|fs.ModeSticky)
	p, err := pipe.New(sticky)
	if err != nil {
		t.Fatalf("New in a sticky folder of ours: %v", err)
	}
	_ = p.Shutdown(context.Background())
}

// TestSwappedForLink: a FIFO swapped for a symbolic link is never written
// through: the writer says so through otel.Handle, takes the link away and
// makes its FIFO again; the link's target keeps its content.
func TestSwappedForLink(t *testing.T) {
	h := captureHandled(t)
	p := newReporter(t, pipe.WithPollInterval(time.Millisecond))
	if err := p.Report(t.Context(), report.Report{Values: []report.Value{{Key: "hits", Value: num(46)}}}); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p.Path()); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, p.Path()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the link is reported", func() bool { return h.has(p.Path() + ": not this process's named pipe: it is a symbolic link") })
	waitFor(t, "the FIFO is made again", func() bool {
		st, err := os.Lstat(p.Path())
		return err == nil && st.Mode().Type() == fs.ModeNamedPipe
	})
	if got, err := os.ReadFile(victim); err != nil || string(got) != "secret\n" {
		t.Errorf("the link's target holds %q (%v), want it untouched", got, err)
	}
	if got := cat(t, p.Path()); got != "hits: 46.0\n" {
		t.Errorf("read %q from the new FIFO", got)
	}
}

// TestSwappedForOthersFIFO: a FIFO of another user in place of ours, with
// its reader waiting, gets no report.
func TestSwappedForOthersFIFO(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a FIFO to another user needs root")
	}
	h := captureHandled(t)
	p := newReporter(t, pipe.WithPollInterval(time.Millisecond))
	if err := p.Report(t.Context(), report.Report{Values: []report.Value{{Key: "hits", Value: num(46)}}}); err != nil {
		t.Fatal(err)
	}
	tmp := p.Path() + ".other"
	if err := syscall.Mkfifo(tmp, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(tmp, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.Rename(tmp, p.Path()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other user's FIFO is reported", func() bool {
		return h.has(fmt.Sprintf("%s: not this process's named pipe: it belongs to user 65534", p.Path()))
	})
	buf := make([]byte, 100)
	if n, err := r.Read(buf); n > 0 || (err != nil && !errors.Is(err, syscall.EAGAIN) && err.Error() != "EOF") {
		t.Errorf("the other user's reader got %q (%v)", buf[:n], err)
	}
}
