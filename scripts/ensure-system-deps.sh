#!/usr/bin/env bash
# Installs the system packages the tests need on a fresh Debian or Ubuntu machine (as root, with apt),
# or stops at once and says what to install. Nothing here is needed to run the sandbox gateway.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The Sentinel failover test runs Debian's redis-sentinel (issue 14).
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
# The registry's contract suite runs on a throwaway PostgreSQL cluster (initdb) unless DATABASE_URL is set.
if [ -z "${DATABASE_URL:-}" ] && ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
# nginx: the PDP's auth_request example is tested against Debian's nginx (issue 4).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# SoftHSM2: the PKCS#11 signing tests keep the gateway's keys in a throwaway SoftHSM token (issue 14);
# opensc brings pkcs11-tool, which the operations runbook uses to inspect a token.
[ -e /usr/lib/softhsm/libsofthsm2.so ] || command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi

[ ${#need[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else SUDO=none; fi
  if [ "${SUDO:-}" != none ]; then
    echo "installing missing test dependencies: ${need[*]}" >&2
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    exit 0
  fi
fi
echo "The tests need these system packages: ${need[*]}" >&2
echo "Install them, e.g.: sudo apt-get install ${need[*]}   (or set CHROMIUM_PATH to a Chromium binary, DATABASE_URL to a PostgreSQL server)" >&2
exit 1
