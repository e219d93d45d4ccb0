//go:build unix

package pids

import (
	"errors"
	"syscall"
)

// Alive reports whether a process with this pid exists: signal 0 checks
// without signalling. EPERM means it exists but belongs to another user.
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
