#!/usr/bin/env bash
# The project brings its own Node LTS (the `node` package from the npm registry, a devDependency):
# a fresh clone installs it, and every command then runs on it, whatever the system Node is.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
