// Package pipe reports to a named pipe that anyone on the host can read
// with cat: statvent's deployer API. Each process writes to its own FIFO,
// DIR/<pid>.stats, one "name: value" line per report key, every time a
// reader opens it:
//
//	$ cat /tmp/stats-pipe/1234.stats
//	requests_frequency: 4.1
//	requests_time: 0.0131
//	requests_time{method="GET"}: 0.0092
//	slowest: None
//
// # Format
//
// One line per report key, in key order, metadata keys left out: the key,
// a colon and a space, the value as PyCounters' log lines print it (12
// significant digits, None for an empty counter; see package slogreport),
// a newline. Keys escape a newline as \n, so every line is one value; a
// key may contain ": " (inside attribute values), so split a line at its
// last ": ". A reader that opens the pipe before the first report gets
// nothing.
//
// # Costs and blocking
//
// [Reporter.Report] only keeps the report (under a mutex; no allocation,
// no system call): it never waits for a reader. A goroutine of the
// Reporter looks for a reader every poll interval ([WithPollInterval],
// 100 ms) by opening the FIFO for writing without blocking, which fails at
// once while nobody has it open for reading; when a reader is there it
// writes the latest report, closes the pipe so that the reader sees the
// end, and waits one interval before looking again (so that the same
// reader sees end of file rather than a second copy). While nobody reads,
// this costs one failed open system call per interval. A reader waits for
// its report at most one interval. A reader that opens the pipe and does
// not read holds the writer up to the write timeout ([WithWriteTimeout])
// when the report exceeds the pipe's buffer (64 KiB on Linux).
//
// Polling rather than a blocking open (statvent's way) keeps the writer
// free of any open it cannot cancel: a FIFO removed while a blocked open
// waits on it would hold that goroutine forever, and Shutdown with it.
//
// # Lifecycle
//
// [New] creates the folder (0755, whatever the umask) if needed and the
// FIFO (0644), replacing a FIFO left by an earlier process of the same pid,
// and makes it again if something removes it; [Reporter.Shutdown] stops the
// goroutine and removes the FIFO.
//
// # Shared folders
//
// Whoever can write to the folder could put a symbolic link in place of the
// FIFO and have the report written over a file of their choosing (a root
// process would overwrite root's files). So New refuses an existing folder
// that belongs to another user (root excepted) or that other users can
// write to, unless it is sticky (like /tmp) and ours, and the writer opens
// the FIFO with O_NOFOLLOW and checks that what it opened is a FIFO of this
// process's user before writing. Anything else found in its place is
// reported through otel.Handle, removed, and replaced by a new FIFO. A process that dies without
// Shutdown leaves its FIFO behind, and a reader opening it waits for a
// writer that never comes: readers should skip pids that are not running
// (or open with a timeout). One Reporter per process and folder.
//
// # What it is not
//
// It serves one process. For the merged counters of a host's processes
// over HTTP, use per-process JSON files (package host) and command
// otelcounters serve. FIFOs need a Unix system; elsewhere New fails.
package pipe
