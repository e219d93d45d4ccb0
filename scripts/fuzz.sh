#!/usr/bin/env bash
# Fuzzes every Fuzz target of the root module for a short time each.
#
#   scripts/fuzz.sh                 every target, FUZZTIME (default 20000x) each
#   FUZZTIME=2000000x FUZZMINIMIZETIME=60s scripts/fuzz.sh   a longer hunt
#   scripts/fuzz.sh FuzzParse       only targets whose name matches (grep -E)
#
# Targets are found with grep: every `func FuzzX(` in a _test.go file of the
# root module (modules in subfolders, such as bench/ and examples/otelcol/,
# are left out). Each target runs on its own, as `go test -fuzz` wants one
# target of one package at a time. The committed corpus of a target lives
# in its package's testdata/fuzz/FuzzX/ and runs as part of `go test`.
#
# The script fails if a target finds a failing input. Go then writes that
# input to testdata/fuzz/FuzzX/ in the target's package: the script lists
# the new files. Fix the bug and commit the file, so that the input stays
# in every later `go test` run.
set -euo pipefail
cd "$(dirname "$0")/.."

# A count (20000x) rather than a duration: with a duration, Go 1.26's fuzz
# coordinator can race its own deadline on a busy machine and report a
# spurious "context deadline exceeded" with no failing input (Go issue 75804).
fuzztime=${FUZZTIME:-20000x}
# Minimizing each new input can stall a short run; a long hunt wants it.
minimize=${FUZZMINIMIZETIME:-0}
filter=${1:-.}

# Folders holding another module are not part of this one.
prune=()
while IFS= read -r mod; do
	prune+=(-path "./$(dirname "${mod#./}")" -prune -o)
done < <(find . -mindepth 2 -name go.mod -not -path './.git/*')

targets=()
while IFS= read -r file; do
	pkg=$(dirname "$file")
	while IFS= read -r name; do
		targets+=("$pkg $name")
	done < <(grep -hoE '^func Fuzz[A-Za-z0-9_]*\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\($/\1/')
done < <(find . "${prune[@]}" -name '*_test.go' -print | sort)

if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz.sh: no Fuzz targets found" >&2
	exit 1
fi

failed=()
ran=0
for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	if ! grep -qE -- "$filter" <<<"$name"; then
		continue
	fi
	ran=$((ran + 1))
	before=$(find "$pkg/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
	echo "== $pkg $name ($fuzztime)"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg"; then
		failed+=("$pkg $name")
		after=$(find "$pkg/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
		new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
		if [ -n "$new" ]; then
			echo "fuzz.sh: $name: failing input written to:" >&2
			echo "$new" | sed 's/^/  /' >&2
		fi
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "fuzz.sh: no Fuzz target matches $filter" >&2
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: ${#failed[@]} of $ran targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: $ran targets, $fuzztime each: no failure"
