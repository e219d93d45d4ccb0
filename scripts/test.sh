#!/usr/bin/env bash
# The project's whole test run on a fresh machine: installs what the tests
# need (Go modules, munin, a Collector built from the module proxy), then
# checks formatting, vets, and runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
OTELCOL_BIN=$(examples/otelcol/build.sh | tail -n 1)
export OTELCOL_BIN
# Tests of the real Collector and munin fail, rather than skip, when these are missing.
export OTELCOUNTERS_E2E=1
export OTELCOUNTERS_MUNIN=1

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

# Every go test run is also written to a log, for the closing count.
log=$(mktemp)
trap 'rm -f "$log"' EXIT

go vet ./...
go test -race -count=1 ./... | tee -a "$log"

for mod in $(find . -mindepth 2 -name go.mod -not -path './.git/*' | sort); do
	dir=$(dirname "$mod")
	echo "== module $dir"
	(cd "$dir" && go vet ./... && go test -race -count=1 ./...) | tee -a "$log"
done

# 32-bit x86: 64-bit atomics alignment.
scripts/check-386.sh | tee -a "$log"

# Short fuzzing of every parser (20000 inputs each); see scripts/fuzz.sh for longer runs.
scripts/fuzz.sh

# The closing count, in packages (each failure has stopped the run before).
echo "packages: $(grep -c '^ok ' "$log") passed, $(grep -c '^FAIL' "$log") failed"
