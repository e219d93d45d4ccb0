// Package host merges the reports of the processes of one host: each
// process writes its own JSON report file into a shared folder, and [Merge]
// combines the fresh ones into the report a single process that saw all
// their events would have written. It replaces PyCounters'
// configure_multi_process_collection, with no leader election, no port and
// no pickles: only files.
//
//	rep, err := host.NewReporter("/run/myapp/counters", "web") // /run/myapp/counters/web.<pid>.json
//	...
//	res, err := host.Merge("/run/myapp/counters")
//	err = res.WriteFile(ctx, "/var/lib/myapp/counters.json")
//
// # Per-process files
//
// [NewReporter] returns a [jsonfile.Reporter] writing DIR/<name>.<pid>.json:
// PyCounters' flat JSON object (so PyCounters' munin helper still reads it),
// plus two metadata keys that merging needs:
//
//	"__pid__": 1234,
//	"__counters__": {"requests_time": {"kind": "average_time", "count": 12}, ...}
//
// __counters__ gives every key's counter kind and, where the value stands
// for measurements (averages, counts), how many; for a frequency, the
// seconds its window's data covered ("covered"), which makes merged rates
// exact. [Merge] reads every file of
// the folder named <name>.<pid>.json (pid a positive number); other files
// are not process reports and are left alone, so a merged file can be
// written into the same folder under another name.
//
// # Merge rules
//
// A key with a value (not null) in one process only keeps that value,
// whatever its kind. A key with values in several processes is merged by
// PyCounters' rules ([counters.Merge]): totals, rates, window sums, counts
// and last values add up, averages (and a percentiles counter's mean) are
// weighted by their sample counts, maxima and minima take the largest and
// smallest; nulls are skipped. A key with values in several processes that
// cannot be merged is left out of the merged report and listed in
// [Result.Unmerged]: its kind is unknown (a file without __counters__),
// differs between processes, it is an average without a sample count, or a
// percentiles counter's quantile without the buckets that merge it.
//
// A percentiles counter's quantiles merge from buckets: each process's
// file gives, on the series' mean, the window's values as buckets
// ("buckets" in __counters__, [counters.Distribution] in base64), and the
// quantile is read from their union ([counters.MergeDistributions]) as one
// process that saw every value would read it. Quantiles of processes whose
// files have no buckets (earlier versions), or broken ones, stay unmerged:
// the quantiles of parts do not give the quantile of the whole. Every process's own values
// stay available in the merged file's __node_reports__, as PyCounters'
// leader wrote them.
//
// Rates (frequency counters) merge as every event over the time the host's
// window covers: each process's rate times its covered time, summed, over
// the longest covered time among the processes reporting the counter. That
// is the rate one process that saw every event would report, also when the
// processes started at different times (whole ticks apart). Files without
// covered times (earlier versions) merge rates as sums, as before.
//
// # Dead and stale processes
//
// A report whose process is gone (kill(pid, 0) fails with ESRCH) is
// ignored, and with [WithPrune] removed; so is, without being removed, a
// report older than the maximum age ([DefaultMaxAge], [WithMaxAge]), which
// also covers a pid reused by another process. The pid check assumes the
// merging process sees the writers' pids: in containers sharing a folder but
// not a pid namespace, use [WithoutPIDCheck] and rely on the age.
//
// # What it is not
//
// It merges one host's processes. Past one host, export to an
// OpenTelemetry Collector (OTLP) and aggregate there.
package host
