//go:build unix

package pipe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func mkfifo(path string, mode uint32) error { return syscall.Mkfifo(path, mode) }

// openWriteNow opens the FIFO for writing without waiting: it fails with
// errNoReader when nobody has it open for reading. The file is in
// non-blocking mode, so writes honour deadlines and Close cuts them short.
// A symbolic link in its place is not followed, and what was opened must be
// a FIFO of this process's user ([checkFIFO]): otherwise whoever swapped it
// would have us write the report over a file of their choosing.
func openWriteNow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	switch {
	case errors.Is(err, syscall.ENXIO):
		return nil, errNoReader
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("%s: %w: it is a symbolic link", path, errImpostor)
	case err != nil:
		return nil, err
	}
	if err := checkFIFO(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// makeFIFO makes the FIFO and gives it Mode whatever the umask, through
// the file it opened rather than by path, so that nothing swapped in
// between has its mode changed.
func makeFIFO(path string) error {
	if err := mkfifo(path, uint32(Mode)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := checkFIFO(f); err != nil {
		return err
	}
	return f.Chmod(Mode)
}

// checkFIFO insists that f is a FIFO owned by this process's user.
func checkFIFO(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Mode().Type() != fs.ModeNamedPipe {
		return fmt.Errorf("%s: %w: it is %v, not a named pipe", f.Name(), errImpostor, st.Mode().Type())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("%s: %w: it belongs to user %d, not to this process's user %d", f.Name(), errImpostor, sys.Uid, os.Geteuid())
	}
	return nil
}

// checkFolder refuses a folder in which another user could put something
// in place of the FIFO: one owned by another user (root excepted: root can
// do anything anyway), one that others can write to, unless it is sticky
// (like /tmp) and ours, and a symbolic link (whose target nobody checked).
func checkFolder(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("folder %s is a symbolic link: give the folder it leads to", dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	me := os.Geteuid()
	ours := int(sys.Uid) == me
	if !ours && sys.Uid != 0 {
		return fmt.Errorf("folder %s belongs to user %d, not to this process's user %d or root: whoever owns it could swap the pipe for a link", dir, sys.Uid, me)
	}
	perm := st.Mode().Perm()
	if perm&0o022 != 0 && !(ours && st.Mode()&fs.ModeSticky != 0) {
		return fmt.Errorf("folder %s is writable by other users (mode %v): they could swap the pipe for a link; use a folder only its owner can write (0755)", dir, perm)
	}
	return nil
}
