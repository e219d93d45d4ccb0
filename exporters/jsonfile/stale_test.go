//go:build unix

package jsonfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/exporters/jsonfile"
)

// noSuchPID is above any pid Linux hands out (at most 2^22): never alive.
const noSuchPID = 2147483646

// TestStaleTempsRemoved: New removes the temporary files of its path that
// dead writers left, and nothing else.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * jsonfile.StaleTempAge)
	file := func(name string, mtime time.Time) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(`{"x": 1`), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return path
	}
	now := time.Now()
	removed := []string{
		file(fmt.Sprintf(".counters.json.tmp-%d-111", noSuchPID), now),   // its writer is gone
		file(fmt.Sprintf(".counters.json.tmp-%d-222", os.Getpid()), now), // an earlier process with our pid
		file(".counters.json.tmp-1-333", old),                            // pid alive (init), but no write takes that long
		file(".counters.json.tmp-4444444", old),                          // an earlier version's name, old
	}
	kept := []string{
		file(".counters.json.tmp-1-555", now),                          // pid alive: maybe its write
		file(".counters.json.tmp-6666666", now),                        // an earlier version's name, fresh
		file(fmt.Sprintf(".other.json.tmp-%d-777", noSuchPID), now),    // another file's
		file(fmt.Sprintf("counters.json.tmp-%d-888", noSuchPID), now),  // not the pattern
		file(fmt.Sprintf(".counters.json.tmp-%d-999", noSuchPID), now), // locked below: being written
	}
	lockedFile, err := os.Open(kept[len(kept)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer lockedFile.Close()
	if err := syscall.Flock(int(lockedFile.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, fmt.Sprintf(".counters.json.tmp-%d-1010", noSuchPID))
	if err := os.Symlink(kept[0], link); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, link)
	if os.Geteuid() == 0 {
		other := file(fmt.Sprintf(".counters.json.tmp-%d-1111", noSuchPID), now)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, other)
	}

	newReporter(t, filepath.Join(dir, "counters.json"))
	for _, p := range removed {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s: not removed", filepath.Base(p))
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: removed (%v), want it left alone", filepath.Base(p), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != len(kept) {
		t.Errorf("left %v, want the %d kept", names, len(kept))
	}
}

// TestTempNamesCarryPID: a Reporter's temporary files name its process, and
// are locked while written, which is what tells them apart from litter.
func TestTempNamesCarryPID(t *testing.T) {
	dir := t.TempDir()
	fsys := &recordingFS{}
	rep := newReporter(t, filepath.Join(dir, "counters.json"), jsonfile.WithFS(fsys))
	if err := rep.Report(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(".counters.json.tmp-%d-", os.Getpid())
	if len(fsys.created) != 1 || len(filepath.Base(fsys.created[0])) <= len(want) || filepath.Base(fsys.created[0])[:len(want)] != want {
		t.Errorf("temporary files %v, want one named %s<random>", fsys.created, want)
	}
	if !fsys.lockedWhileWritten {
		t.Error("the temporary file was not locked while written")
	}
}

// recordingFS is the os package, recording the temporary files made and
// whether another descriptor could lock them while they were written.
type recordingFS struct {
	created            []string
	lockedWhileWritten bool
}

func (r *recordingFS) CreateTemp(dir, pattern string) (jsonfile.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	r.created = append(r.created, f.Name())
	return &probedFile{File: f, fs: r}, nil
}

func (r *recordingFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (r *recordingFS) Remove(name string) error             { return os.Remove(name) }

// probedFile checks, at its first write, that another descriptor cannot
// take the file's lock.
type probedFile struct {
	*os.File
	fs *recordingFS
}

func (p *probedFile) Write(b []byte) (int, error) {
	other, err := os.Open(p.Name())
	if err == nil {
		err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		p.fs.lockedWhileWritten = err == syscall.EWOULDBLOCK
		_ = other.Close()
	}
	return p.File.Write(b)
}
