//go:build !unix

package jsonfile

import "time"

// lockTemp does nothing here: see removeIfStale.
func lockTemp(File) {}

// removeIfStale leaves every file alone on this system, which cannot tell
// whose a file is.
func removeIfStale(string, int, time.Time) error { return nil }
