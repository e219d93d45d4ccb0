#!/usr/bin/env bash
# Installs what the project's tests need on a fresh Debian 12 machine, and
# checks what it cannot install. Safe to rerun: each step is skipped or
# nearly free when already done. Installing needs root (apt-get); without
# root the script succeeds only if everything is already there, and
# otherwise names what is missing.
#
#   a C compiler       go test -race needs cgo (gcc, libc6-dev)
#   util-linux, coreutils, perl
#                      flock and sha256sum for the Collector build, mkfifo
#                      and perl for the pipe and munin-node tests
#   munin-node         munin-run and munin-node, to run the munin plugin
#   chromium           a real browser for the live page's test (browser/)
#   qemu-user          only where the kernel cannot execute 386 binaries:
#                      scripts/check-386.sh then runs the 386 tests under it
#   Go modules         of the root module (sub-modules fetch theirs in go test)
#   a Collector        built from the module proxy (examples/otelcol/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

command -v go >/dev/null || die "go is not in PATH: install Go 1.26 or later"
need_writable_dir "$(go env GOCACHE)" "Go's build cache" GOCACHE
need_writable_dir "$(go env GOMODCACHE)" "Go's module cache" GOMODCACHE
cache_dir >/dev/null

need_c_compiler
need_commands util-linux flock
need_commands coreutils sha256sum mkfifo
need_commands perl-base perl

# munin-run lives in /usr/sbin, often not in a non-root user's PATH.
if ! command -v munin-run >/dev/null && [ ! -x /usr/sbin/munin-run ]; then
	apt_install munin-node
fi

# Debian's chromium, driven headless by the page's test through the DevTools
# protocol (no driver needed).
need_commands chromium chromium

if can_run_386; then
	echo "== this kernel executes 386 binaries: the 386 tests run natively" >&2
elif q=$(emulator_386); then
	echo "== this kernel cannot execute 386 binaries: the 386 tests run under $q" >&2
else
	echo "== this kernel cannot execute 386 binaries: installing the qemu-i386 emulator" >&2
	apt_install qemu-user
	q=$(emulator_386) || die "qemu-user is installed, but qemu-i386 does not run a 386 Go program"
fi

# Modules only: no go.mod/go.sum change (unlike go get / go mod tidy).
go mod download

# Cached after the first build (a few minutes); callers get the path with
# bin=$(examples/otelcol/build.sh | tail -n 1).
bin=$(examples/otelcol/build.sh | tail -n 1)
echo "== OpenTelemetry Collector: $bin" >&2
