#!/usr/bin/env bash
# Installs node_modules (npm ci) when it is missing or stale, and does nothing when it is up to date:
# see scripts/node-modules.sh for what "up to date" means and how running commands are protected.
# The project brings its own Node LTS (the `node` package from the npm registry, a devDependency):
# a fresh clone installs it, and every command then runs on it, whatever the system Node is.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-modules.sh
ensure_node_modules
