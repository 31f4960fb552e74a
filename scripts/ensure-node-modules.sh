#!/usr/bin/env bash
# The project brings its own Node LTS (the `node` package from the npm registry, a devDependency):
# a fresh clone installs it, and every command then runs on it, whatever the system Node is.
# "Stale" means the lock file's content changed since the last install (a content hash, not file
# times: a checkout or a second work tree gives files new times without changing what they say).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.installed-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
