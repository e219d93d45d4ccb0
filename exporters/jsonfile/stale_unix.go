//go:build unix

package jsonfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/otelcounters/otelcounters/internal/pids"
)

// lockTemp takes a lock on a temporary file being written, so that
// [removeIfStale] in another process (or another Reporter) leaves it
// alone; the lock ends with the file's descriptor, whatever ends the
// writer. Best effort: a file system without locks, or an [FS] whose files
// have no descriptor, is covered by the pid in the name.
func lockTemp(f File) {
	if sc, ok := f.(syscallConn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { _, _ = tryLock(fd) })
		}
	}
}

type syscallConn interface {
	SyscallConn() (syscall.RawConn, error)
}

// removeIfStale removes a temporary file left by a writer that is gone. It
// opens the file without following links and checks what it opened: a
// regular file of this process's user. A file another descriptor holds
// locked is being written. An unlocked one is stale when the pid in its
// name is this process's (an earlier process with the same pid: a
// restarted container's pid 1) or no longer runs; a file with no pid in its
// name, or whose locks this file system does not keep, only past
// StaleTempAge.
func removeIfStale(path string, pid int, now time.Time) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil // gone, or not a file we may open: not ours to remove
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != os.Geteuid() {
		return nil // another user's: never ours to remove
	}
	old := now.Sub(st.ModTime()) > StaleTempAge
	var inUse, locks bool
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { inUse, locks = tryLock(fd) })
	}
	dead := pid != 0 && (pid == os.Getpid() || !pids.Alive(pid))
	switch {
	case inUse:
		return nil
	case locks && (dead || old):
	case !locks && old:
	case !locks && dead && pid != os.Getpid():
	default:
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
