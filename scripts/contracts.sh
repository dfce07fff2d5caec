#!/usr/bin/env bash
# Starts a fresh mockprove binary on a free loopback port, runs
# `contracts verify` against it, and stops it. Used by `make contracts`.
# Usage: scripts/contracts.sh BIN_DIR [extra verify flags...]
set -euo pipefail
bin=$1
shift
go=${GO:-go}

log=$(mktemp)
"$bin/mockprove" -addr 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT INT TERM

url=
for _ in $(seq 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "contracts.sh: mockprove exited before it listened:" >&2
    cat "$log" >&2
    exit 1
  fi
  url=$(sed -n 's/^mockprove listening on \(http[^ ]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "contracts.sh: mockprove did not say where it listens within 10 s:" >&2
  cat "$log" >&2
  exit 1
fi

echo "contracts verify -target $url"
$go run ./contracts/cmd/contracts verify -target "$url" "$@"
