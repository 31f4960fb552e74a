#!/usr/bin/env bash
# `npm test`: complete on a fresh machine. Installs what is missing, type-checks, runs every ava test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-modules.sh
use_node_modules
bash scripts/ensure-system-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
echo "node $(node --version) (project runtime), system node: $(/usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin node --version 2>/dev/null || echo none)"
tsc -p .
ava "$@"
