#!/usr/bin/env bash
# Vets and tests the root module on 32-bit x86, where 64-bit atomic
# operations need 8-byte alignment that the compiler guarantees only for
# the first word of an allocation (or for sync/atomic's typed values): a
# misaligned atomic.AddInt64 panics there. The race detector does not exist
# on 386, so the tests run without it. Linux on amd64 runs 386 binaries
# natively.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOARCH=386
go vet ./...
go test -count=1 ./...
echo "check-386.sh: vet and tests pass on GOARCH=386"
