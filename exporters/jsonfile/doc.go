// Package jsonfile reports window counters to a JSON file, the file
// PyCounters' JSONFileReporter wrote and its munin helper read, and reads
// such files back.
//
//	{"requests_frequency": 0.0142, "requests_time": 0.00039, "__collection_time__": 1307115164.88}
//
// # Format
//
// One flat JSON object on one line, then a newline: every report key with
// its number, null for an empty counter, and __collection_time__ (Unix
// seconds) last. The encoding is [report.Report.AppendJSON]'s; it is version
// 1 of the format, and later versions add only new metadata keys (keys that
// start and end with "__"). [WithMetadata] adds such keys of the caller's
// (the per-process reports of package host carry counter kinds and sample
// counts this way), before __collection_time__. docs/formats.md describes it in full and
// compares it with PyCounters' file.
//
// # Atomic replacement
//
// A [Reporter] writes each report to a temporary file in the same folder
// (named ".<file>.tmp-<pid>-<random>", created with O_EXCL, locked with
// flock while written), sets its mode to 0644, syncs it and renames
// it over the file, then syncs the folder. A reader therefore always sees a
// whole report, never an empty or torn file, and a write that fails (full
// disk, unwritable folder) or a crash mid-write leaves the previous report in
// place. PyCounters truncated and rewrote the file in place under flock, so
// readers could see an empty file.
//
// A crash (kill -9, power cut) between creating and renaming the temporary
// file leaves it behind; the next [New] for the same path removes it. It
// removes only files of its own naming pattern, in the same folder, that
// are regular files of this process's user and that no descriptor holds
// locked, and of those only the ones whose pid (in the name) is no longer
// running or is this process's own (a restarted container's pid 1), or that
// are older than [StaleTempAge]. Another user's file, or a file still being
// written, is left alone.
//
// # Concurrency
//
// A Reporter is safe for concurrent use: reports are written one at a time,
// and a caller waiting for its turn gives up when its context is done. Two
// Reporters (or processes) writing one path do not corrupt it, but the last
// rename wins.
//
// # Reading
//
// [ReadFile] and [Parse] read a file back into a [Snapshot]: the values by
// key, the collection time and any other metadata. They reject anything
// that is not such a file with an error naming the offending key.
//
// # What it is not
//
// It does not schedule reports (the reader does) and it is not a general
// JSON metrics exporter: for OTLP or stdout use the OpenTelemetry exporters.
package jsonfile
