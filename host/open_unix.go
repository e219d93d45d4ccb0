//go:build unix

package host

import (
	"errors"
	"os"
	"syscall"
)

// openReport opens a report file for reading without waiting: a FIFO
// opened O_NONBLOCK does not wait for a writer, so the fstat that follows
// can refuse it. With nofollow, a symbolic link is refused (ELOOP) rather
// than followed.
func openReport(path string, nofollow bool) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if nofollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if nofollow && errors.Is(err, syscall.ELOOP) {
		return nil, errSymlink
	}
	return f, err
}
