//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package jsonfile

import (
	"errors"
	"syscall"
)

// tryLock takes an exclusive lock on fd without waiting. inUse: another
// descriptor holds one; locks: the file system keeps locks at all.
func tryLock(fd uintptr) (inUse, locks bool) {
	err := syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return false, true
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, true
	}
	return false, false
}
