#!/usr/bin/env bash
# The whole system on embedded defaults (see README): installs dependencies when the lockfile changed, then
# runs `hera dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec node bin/hera.js dev "$@"
