#!/usr/bin/env bash
# `npm start`: installs the project's own Node runtime on first use, then starts the gateway. With no
# configuration this is the sandbox (in-memory store, generated keys, BankID simulator, demo app).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-modules.sh
use_node_modules
exec "$PWD/node_modules/.bin/node" src/main.ts "$@"
