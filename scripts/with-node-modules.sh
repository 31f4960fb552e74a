#!/usr/bin/env bash
# Runs a command of the project (bench, CLI, audit:verify, ...) from an up-to-date node_modules, holding
# the shared lock while it runs so that no other command reinstalls node_modules under it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-modules.sh
use_node_modules
export PATH="$PWD/node_modules/.bin:$PATH"
exec "$@"
