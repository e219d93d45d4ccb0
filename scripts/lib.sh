# Shell functions shared by the project's scripts: source it, don't run it.
#
#   . "$(dirname "$0")/lib.sh"
#
# Each function says what it needs, installs it with apt-get when it can
# (as root), and otherwise fails with a message that names the missing part
# and the command that would bring it.

# die prints its arguments, prefixed with the calling script's name, and exits 1.
die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# apt_install installs Debian packages by name. It needs root; apt-get update
# runs once per script run, and a lock held by another apt-get (a second
# script, an unattended upgrade) is waited for rather than failed on.
apt_install() {
	[ "$(id -u)" -eq 0 ] ||
		die "installing $* needs root: run this script as root, or: sudo apt-get install $*"
	command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
	local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
	if [ -z "${_apt_updated:-}" ]; then
		echo "== apt-get update" >&2
		"${apt[@]}" update >&2 || die "apt-get update failed"
		_apt_updated=1
	fi
	echo "== installing $*" >&2
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "$@" >&2 ||
		die "apt-get install $* failed"
}

# need_commands installs the Debian package $1 unless every command after it
# is on PATH.
need_commands() {
	local pkg=$1 c
	shift
	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			apt_install "$pkg"
			for c in "$@"; do
				command -v "$c" >/dev/null || die "$c is still missing after installing $pkg"
			done
			return
		fi
	done
}

# need_c_compiler makes sure the C compiler that go's cgo uses exists: the
# race detector (go test -race) needs cgo.
need_c_compiler() {
	local cc
	cc=$(go env CC)
	if ! command -v "${cc%% *}" >/dev/null; then
		apt_install gcc libc6-dev
		command -v "${cc%% *}" >/dev/null || die "C compiler $cc still missing after installing gcc"
	fi
	[ "$(go env CGO_ENABLED)" = 1 ] ||
		die "CGO_ENABLED is 0, and go test -race needs cgo: unset CGO_ENABLED or set it to 1"
}

# need_writable_dir creates folder $1 if needed and checks that it can be
# written; $2 says what it is for.
need_writable_dir() {
	mkdir -p "$1" 2>/dev/null && [ -w "$1" ] ||
		die "$2 folder $1 cannot be created or written: fix its permissions, or point ${3:-HOME} elsewhere"
}

# cache_dir prints the project's cache folder (the Collector build, the 386
# probe), creating it: $OTELCOUNTERS_CACHE, else the user's cache folder.
cache_dir() {
	local d=${OTELCOUNTERS_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set: set HOME or OTELCOUNTERS_CACHE}/.cache}/otelcounters}
	need_writable_dir "$d" "the cache" OTELCOUNTERS_CACHE
	echo "$d"
}

# _probe_386 builds (once per script run) a tiny GOARCH=386 program that
# starts a goroutine, and prints its path. The first call must not be in a
# subshell (can_run_386 is not), so that a failed build ends the script.
_probe_386() {
	if [ -z "${_probe386:-}" ]; then
		local d
		d=$(cache_dir)/probe-386
		mkdir -p "$d" || die "cannot create $d"
		printf 'package main\n\nfunc main() {\n\tc := make(chan int)\n\tgo func() { c <- 386 }()\n\tif <-c != 386 {\n\t\tpanic("386")\n\t}\n}\n' >"$d/main.go"
		(cd "$d" && GOWORK=off GOFLAGS= GOOS=linux GOARCH=386 CGO_ENABLED=0 go build -o probe main.go) >&2 ||
			die "cannot build a GOARCH=386 program (see above)"
		_probe386=$d/probe
	fi
}

# can_run_386 says whether this machine's kernel executes 386 binaries.
can_run_386() {
	_probe_386
	"$_probe386" 2>/dev/null
}

# emulated_exec prints the command line that runs a 386 Go binary under the
# user-mode emulator $1. Go's asynchronous preemption signals crash Go
# programs under qemu-user 7.2 ("morestack on gsignal", "bad g in signal
# handler"), so the emulated program runs with asyncpreemptoff=1: goroutines
# are then preempted at function calls only. OTELCOUNTERS_EMULATOR tells
# tests that start processes, which cannot work there, to skip (see
# internal/testenv).
emulated_exec() {
	echo "env GODEBUG=${GODEBUG:+$GODEBUG,}asyncpreemptoff=1 OTELCOUNTERS_EMULATOR=$1 $1"
}

# emulator_386 prints the name of an installed user-mode emulator that runs
# 386 Go binaries here; it prints nothing and fails if there is none.
emulator_386() {
	local q
	_probe_386
	for q in qemu-i386 qemu-i386-static; do
		command -v "$q" >/dev/null || continue
		if $(emulated_exec "$q") "$_probe386" 2>/dev/null; then
			echo "$q"
			return 0
		fi
	done
	return 1
}
