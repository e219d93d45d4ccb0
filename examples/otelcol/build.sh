#!/usr/bin/env bash
# Builds the OpenTelemetry Collector described by manifest.yaml (no Debian or
# npm package exists) and caches it. The last line of stdout is the binary's
# absolute path:   bin=$(examples/otelcol/build.sh | tail -n 1)
# Build logs go to stderr. A cache hit (binary present, manifest unchanged)
# returns at once; a cold build takes a few minutes and ~1.2 GB of Go caches.
set -euo pipefail

version=v0.162.0 # pinned: newer collectors need modules the proxy refuses
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/manifest.yaml"
cache="${OTELCOUNTERS_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set: set HOME or OTELCOUNTERS_CACHE}/.cache}/otelcounters}/otelcol-$version"
bin="$cache/otelcol-otelcounters"
stamp="$cache/manifest.sha256"

fail() {
	echo "build.sh: $*" >&2
	exit 1
}

command -v go >/dev/null || fail "go is not in PATH"
mkdir -p "$cache" || fail "cannot create cache folder $cache"

# One build at a time per cache folder: parallel callers wait, then hit the cache.
exec 9>"$cache/.lock"
flock 9

sum=$(sha256sum "$manifest" | cut -d ' ' -f 1)
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
	echo "$bin"
	exit 0
fi

# Work in the cache folder with workspaces off, so neither the project's
# go.mod nor a go.work is read or changed; an empty GOFLAGS keeps a user's
# flags (e.g. -mod=vendor) away from the generated module.
cd "$cache"
export GOWORK=off GOFLAGS= CGO_ENABLED=0

{
	echo "== installing ocb $version into $cache/bin"
	GOBIN="$cache/bin" go install "go.opentelemetry.io/collector/cmd/builder@$version" ||
		fail "go install of the Collector Builder $version failed"

	echo "== generating the Collector sources in $cache/dist"
	rm -rf dist tmp && mkdir tmp
	# ocb reads config overrides from env vars named after the keys; this one
	# keeps its output out of the repository whatever the working directory.
	# TMPDIR: ocb leaves an empty temp folder behind on every run.
	# Its own "go mod tidy" fails with the contrib file exporter (the proxy
	# refuses a module only that exporter's tests use), so its exit status is
	# ignored and its output checked instead.
	env "dist.output_path=$cache/dist" TMPDIR="$cache/tmp" \
		"$cache/bin/builder" --config="$manifest" --skip-compilation ||
		echo "== ocb exited non-zero (expected with the contrib file exporter); checking what it generated"
	rm -rf tmp
	[ -f dist/components.go ] && [ -f dist/go.mod ] ||
		fail "ocb did not generate dist/components.go and dist/go.mod (see the log above)"

	echo "== compiling (takes a few minutes on a cold cache)"
	cd dist
	go mod tidy -e || fail "go mod tidy failed in $cache/dist"
	# tidy -e quietly swaps a module it cannot fetch for the newest version:
	# insist on the manifest's pins, and build without touching go.mod again.
	while read -r mod want; do
		got=$(go list -m -f '{{.Version}}' "$mod") || fail "$mod is missing from $cache/dist/go.mod"
		[ "$got" = "$want" ] || fail "$mod resolved to $got, but manifest.yaml pins $want"
	done < <(sed -n 's/^ *- gomod: *//p' "$manifest")
	go build -mod=readonly -trimpath -ldflags='-s -w' -o "$bin.tmp" . || fail "go build failed in $cache/dist"
} >&2

# Publish atomically, stamp last: an interrupted build is never taken as cached.
mv -f "$bin.tmp" "$bin"
echo "$sum" >"$stamp"
echo "$bin"
