#!/usr/bin/env bash
# Vets and tests the root module on 32-bit x86, where 64-bit atomic
# operations need 8-byte alignment that the compiler guarantees only for
# the first word of an allocation (or for sync/atomic's typed values): a
# misaligned atomic.AddInt64 panics there. The race detector does not exist
# on 386, so the tests run without it.
#
# Some amd64 kernels execute 386 binaries and some are built without 32-bit
# support. The script builds and runs a tiny 386 program to tell which: if it
# runs, the tests run natively; if not, they run under Debian's qemu-i386
# (package qemu-user, installed here when missing, as root). It says which
# way it ran them, lists every test skipped under the emulator with its
# reason, and fails if neither way works.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

if can_run_386; then
	mode=natively
	exec_flags=()
else
	if ! q=$(emulator_386); then
		echo "check-386.sh: this kernel cannot execute 386 binaries; installing the qemu-i386 emulator" >&2
		apt_install qemu-user
		q=$(emulator_386) ||
			die "this kernel cannot execute 386 binaries, and neither qemu-i386 nor qemu-i386-static runs a 386 Go program"
	fi
	mode="under the emulator $q"
	exec_flags=(-exec "$(emulated_exec "$q")")
fi
echo "check-386.sh: running the GOARCH=386 tests $mode"

export GOARCH=386
go vet ./...

log=$(mktemp)
out=$(mktemp)
trap 'rm -f "$log" "$out"' EXIT
if [ "$mode" = natively ]; then
	# -v, for the list of skipped tests; the log is printed whole on failure.
	if ! go test -v -count=1 ./... >"$log" 2>&1; then
		cat "$log"
		die "GOARCH=386 tests failed ($mode)"
	fi
else
	# qemu-user 7.2 now and then crashes a Go program in its own signal
	# handling even with asyncpreemptoff=1 (about once in 20 package runs on
	# a loaded machine; never in 20 runs of the same package alone). A
	# package whose run died that way, with no test failing, runs again, at
	# most three times in all; each retry is said. A test that fails is never
	# run again.
	crash='qemu: uncaught target signal|fatal: morestack on g(0|signal)|fatal: bad g in signal handler|fatal error: unlock of unlocked lock|syscall frame is no longer valid'
	failed=()
	for pkg in $(go list ./...); do
		for try in 1 2 3; do
			if go test -v -count=1 "${exec_flags[@]}" "$pkg" >"$out" 2>&1; then
				break
			fi
			if grep -q -e '^ *--- FAIL' "$out" || ! grep -qE "$crash" "$out" || [ "$try" -eq 3 ]; then
				cat "$out"
				failed+=("$pkg")
				break
			fi
			echo "check-386.sh: $pkg: the emulator crashed ($(grep -oE "$crash" "$out" | head -n 1)), no test failed: running it again" >&2
		done
		cat "$out" >>"$log"
	done
	if [ ${#failed[@]} -gt 0 ]; then
		die "GOARCH=386 tests failed ($mode): ${failed[*]}"
	fi
fi
grep -E '^(ok|FAIL|\?) ' "$log" || true

# Every skip, with the last line the test logged (its reason). go test -v
# names the test whose output follows in "=== RUN/CONT/NAME" lines.
skips=$(awk '
	/^=== (RUN|CONT|NAME) / { cur = $3; next }
	/^ *--- SKIP: / { print "  " $3 ": " reason[$3]; next }
	/^    [^ ].*_test\.go:[0-9]+: / { r = $0; sub(/^ +[^ ]+: /, "", r); reason[cur] = r }
' "$log")
if [ -n "$skips" ]; then
	echo "check-386.sh: $(grep -c . <<<"$skips") tests skipped on GOARCH=386 ($mode):"
	echo "$skips"
fi
echo "check-386.sh: vet and tests pass on GOARCH=386 ($mode)"
