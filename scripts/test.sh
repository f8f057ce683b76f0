#!/usr/bin/env bash
# Every test, on a fresh machine: installs dependencies, finds or builds the Temporal CLI, type-checks, then runs
# three Jest processes side by side, each printed when it ends:
# - `integration`, in two shards balanced by test/support/sequencer.js. Each shard runs its files in band; its
#   global setup starts a Temporal dev server, a fresh database (embedded PostgreSQL, or a new database on
#   DATABASE_URL's server when that is set) and a worker of its own, and stops them afterwards.
# - `workflow`: the instance workflow on a dev server of its own with in-memory activities (no database).
# Arguments go to each (e.g. a file pattern: a process with no file matching it passes). Exits non-zero if any fails;
# interrupted, it stops all three and what they started.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
# test/temporalUi.test.ts drives the Temporal UI in Debian's Chromium: installed here, never skipped.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is missing and installing it needs root: run 'sudo apt-get install -y chromium', then again" >&2
    exit 1
  fi
  apt-get update && apt-get install -y chromium
fi
TEMPORAL_CLI="$(node bin/hera.js temporal cli-path)"
export TEMPORAL_CLI
npx tsc --noEmit -p .
# With no arguments every process must find its tests; with a pattern some legitimately find none.
filtered=()
if [ "$#" -gt 0 ]; then filtered=(--passWithNoTests); fi
logs="$(mktemp -d)"
trap 'trap - INT TERM; rm -rf "$logs"; kill 0' INT TERM
npx jest --runInBand "${filtered[@]}" "$@" --shard=1/2 --selectProjects integration >"$logs/shard1" 2>&1 &
shard1=$!
npx jest --runInBand "${filtered[@]}" "$@" --shard=2/2 --selectProjects integration >"$logs/shard2" 2>&1 &
shard2=$!
npx jest "${filtered[@]}" "$@" --selectProjects workflow >"$logs/workflow" 2>&1 &
tier=$!
status=0
for job in "$shard1:shard1" "$shard2:shard2" "$tier:workflow"; do
  wait "${job%%:*}" || status=$?
  echo "==== ${job#*:}"
  cat "$logs/${job#*:}"
done
rm -rf "$logs"
exit "$status"
