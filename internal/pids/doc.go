// Package pids answers questions about other processes of the host
// that several packages ask: whether a process id is alive. It is internal:
// a detail of how report files are merged and cleaned up.
package pids
