#!/usr/bin/env bash
# Benchmarks of the core (package reader), sized for a small (2-core) machine:
# the cost of a measurement next to the SDK's own PeriodicReader, the cost of
# a tick and of a report by number of series, and the memory per series.
# Prints the raw `go test -bench` output, then the tables docs/performance.md
# records. Figures compare only within one run: on a shared machine absolute
# times move with the load, printed at the start and at the end.
#
# The time benchmarks run in COUNT rounds of one run each, so that the
# readers compared run seconds apart and share the machine's load; ratios
# are taken within each round, and their median printed. Times are printed
# as the median and the minimum of the rounds: on a busy machine the minimum
# is the run least disturbed by other work. Memory is measured COUNT times.
#
# Usage: scripts/bench-core.sh [raw-output-file]
# COUNT (default 3) and RECORD_BENCHTIME (default 300ms) override the run.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-3}
record_time=${RECORD_BENCHTIME:-300ms}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw=${1:-$tmp/raw.txt}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version | cut -d' ' -f3-) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test -c -o "$tmp/reader.test" ./reader/
bench() { # pattern benchtime [count]
	"$tmp/reader.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2" -test.count "${3:-$count}" -test.benchmem
}
{
	for _ in $(seq "$count"); do
		bench '^BenchmarkRecord$' "$record_time" 1
		bench '^BenchmarkRecordInterleaved$' "$record_time" 1
		bench '^BenchmarkRecordParallel$' "$record_time" 1
		bench '^BenchmarkTick$' 10x 1
		bench '^BenchmarkReport$' 20x 1
	done
	bench '^BenchmarkMemoryPerSeries$' 1x
} | tee "$raw"

# Medians per benchmark; for BenchmarkRecord*, the ratio of each reader to
# sdk-periodic on the same instrument and attributes.
awk '
function minimum(s,    n, a, i, m) {
	n = split(s, a, " "); m = a[1] + 0
	for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0
	return m
}
function median(s,    n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[++rows] = name }
	for (i = 3; i < NF; i += 2) {
		unit = $(i + 1)
		val[name, unit] = val[name, unit] " " $i
		units[name] = units[name] (index(units[name], " " unit " ") ? "" : " " unit " ")
	}
}
END {
	print ""
	print "## Measurement cost against the SDK PeriodicReader (median of runs)"
	print ""
	print "| benchmark | reader | ns/op | sdk-periodic ns/op | ratio (median of rounds) | allocs/op (reader, sdk) |"
	print "|---|---|---:|---:|---:|---:|"
	for (r = 1; r <= rows; r++) {
		name = order[r]
		if (name !~ /^BenchmarkRecord(Parallel)?\// || name ~ /\/sdk-periodic$/) continue
		base = name; sub(/\/[^\/]*$/, "", base)
		rd = substr(name, length(base) + 2)
		other = base "/sdk-periodic"
		if (!((other, "ns/op") in val)) continue
		a = median(val[name, "ns/op"]); b = median(val[other, "ns/op"])
		n = split(val[name, "ns/op"], x, " "); split(val[other, "ns/op"], y, " ")
		ratios = ""
		for (i = 1; i <= n; i++) ratios = ratios " " x[i] / y[i]
		printf "| %s | %s | %.1f | %.1f | %.3f | %s, %s |\n", base, rd, a, b, median(ratios), median(val[name, "allocs/op"]), median(val[other, "allocs/op"])
	}
	print ""
	print "## Measurement cost, readers interleaved within each iteration (median of rounds)"
	print ""
	print "| benchmark | reader | ns/op | sdk-periodic ns/op | ratio |"
	print "|---|---|---:|---:|---:|"
	for (r = 1; r <= rows; r++) {
		name = order[r]
		if (name !~ /^BenchmarkRecordInterleaved\//) continue
		n = split(units[name], us, " ")
		for (i = 1; i <= n; i++) {
			if (us[i] !~ /^x\//) continue
			rd = substr(us[i], 3)
			printf "| %s | %s | %.1f | %.1f | %.3f |\n", name, rd, median(val[name, "ns/" rd]), median(val[name, "ns/sdk-periodic"]), median(val[name, us[i]])
		}
	}
	print ""
	print "## Ticks, reports and memory (median of runs; minimum in parentheses)"
	print ""
	print "| benchmark | ms/op | per series | B/op | allocs/op |"
	print "|---|---:|---:|---:|---:|"
	for (r = 1; r <= rows; r++) {
		name = order[r]
		if (name ~ /^BenchmarkRecord/) continue
		per = "—"
		if (index(units[name], " ns/series ")) per = sprintf("%.0f ns (%.0f)", median(val[name, "ns/series"]), minimum(val[name, "ns/series"]))
		if (index(units[name], " B/series ")) per = sprintf("%.0f B", median(val[name, "B/series"]))
		ms = (index(units[name], " B/series ")) ? "—" : sprintf("%.2f (%.2f)", median(val[name, "ns/op"]) / 1e6, minimum(val[name, "ns/op"]) / 1e6)
		bop = index(units[name], " B/op ") ? median(val[name, "B/op"]) : "—"
		aop = index(units[name], " allocs/op ") ? median(val[name, "allocs/op"]) : "—"
		printf "| %s | %s | %s | %s | %s |\n", name, ms, per, bop, aop
	}
}' "$raw"
echo
echo "# load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
