#!/usr/bin/env bash
# Installs what the project's tests need on a fresh Debian 12 machine: munin
# (munin-run, to run the project's munin plugins), the Go modules, and an
# OpenTelemetry Collector built from the module proxy. Safe to rerun: each step
# is skipped or nearly free when already done. Installing munin needs root;
# without root the script succeeds only if munin is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# munin-run lives in /usr/sbin, often not in a non-root user's PATH.
if ! command -v munin-run >/dev/null && [ ! -x /usr/sbin/munin-run ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps.sh: munin-run is missing and installing munin-node needs root;" >&2
		echo "  run this script as root, or: sudo apt-get install munin-node" >&2
		exit 1
	fi
	echo "== installing munin-node" >&2
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends munin-node >&2
fi

# Modules only: no go.mod/go.sum change (unlike go get / go mod tidy).
go mod download

# Cached after the first build (a few minutes); callers get the path with
# bin=$(examples/otelcol/build.sh | tail -n 1).
bin=$(examples/otelcol/build.sh | tail -n 1)
echo "== OpenTelemetry Collector: $bin" >&2
