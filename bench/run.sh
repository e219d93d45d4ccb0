#!/usr/bin/env bash
# Runs the peer benchmarks in one process run and prints the ratio table.
# COUNT and BENCHTIME trade time for steadier medians.
set -euo pipefail
cd "$(dirname "$0")"
count=${COUNT:-5}
benchtime=${BENCHTIME:-300ms}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GOMAXPROCS=${GOMAXPROCS:-2} go test -run '^$' -bench 'Record' -benchmem -count "$count" -benchtime "$benchtime" . | tee "$out" >&2
GOMAXPROCS=${GOMAXPROCS:-2} go test -run '^$' -bench 'Report|MemoryPerSeries' -benchmem -count "$count" -benchtime 20x . | tee -a "$out" >&2
echo "# $(date -u +%Y-%m-%d), $(go version | cut -d' ' -f3-), $(nproc) cores"
go run ./cmd/ratios -ref otelcounters <"$out"
