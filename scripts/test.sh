#!/usr/bin/env bash
# Every test, on a fresh machine: installs dependencies, finds or builds the Temporal CLI, type-checks, then
# runs Jest in band. Jest's global setup starts a Temporal dev server, a fresh database (embedded PostgreSQL,
# or a new database on DATABASE_URL's server when that is set) and a worker, and stops them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
TEMPORAL_CLI="$(node bin/hera.js temporal cli-path)"
export TEMPORAL_CLI
npx tsc --noEmit -p .
npx jest --runInBand "$@"
