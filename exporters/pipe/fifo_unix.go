//go:build unix

package pipe

import (
	"errors"
	"os"
	"syscall"
)

func mkfifo(path string, mode uint32) error { return syscall.Mkfifo(path, mode) }

// openWriteNow opens the FIFO for writing without waiting: it fails with
// errNoReader when nobody has it open for reading. The file is in
// non-blocking mode, so writes honour deadlines and Close cuts them short.
func openWriteNow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return nil, errNoReader
	}
	return f, err
}
