package jsonfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
)

// StaleTempAge is the age past which a temporary file of a Reporter's
// path that no process holds open for writing is removed at [New], whatever
// the process named in it. No write takes that long.
const StaleTempAge = 10 * time.Minute

// tempPattern is the name of a temporary file of the file base written by
// process pid; os.CreateTemp puts a random number in place of the star.
func tempPattern(base string, pid int) string {
	return "." + base + ".tmp-" + strconv.Itoa(pid) + "-*"
}

// tempPID returns the pid in a temporary file's name after the
// ".<base>.tmp-" prefix, 0 for a name without one (earlier versions wrote
// ".<base>.tmp-<random>").
func tempPID(rest string) int {
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// removeStaleTemps removes the temporary files of the Reporter's path (and
// of the files also matches, if not nil) that a process killed mid-write
// (kill -9, a crash, a power cut) left behind: files of the Reporter's own
// naming pattern, in its folder, regular files of this process's user,
// that no live writer holds (see removeIfStale). Anything else, anyone
// else's file above all, is left alone.
func (rp *Reporter) removeStaleTemps(now time.Time, also func(string) bool) {
	entries, err := os.ReadDir(rp.dir)
	if err != nil {
		return // New has checked the folder; a write will say what is wrong
	}
	for _, e := range entries {
		file, rest, ok := tempOf(e.Name())
		if !ok || !e.Type().IsRegular() || (file != rp.base && (also == nil || !also(file))) {
			continue
		}
		path := filepath.Join(rp.dir, e.Name())
		if err := removeIfStale(path, tempPID(rest), now); err != nil {
			otel.Handle(fmt.Errorf("jsonfile: remove stale temporary file: %w", err))
		}
	}
}

// tempOf splits the name of a temporary file, ".<file>.tmp-<rest>", into
// file and rest.
func tempOf(name string) (file, rest string, ok bool) {
	hidden, ok := strings.CutPrefix(name, ".")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(hidden, ".tmp-")
	if i <= 0 {
		return "", "", false
	}
	return hidden[:i], hidden[i+len(".tmp-"):], true
}
