# shellcheck shell=bash
# Throwaway PostgreSQL cluster on 127.0.0.1, shared by scripts/test.sh and scripts/pg-test-env.sh.
#
# Functions (no `set -e` assumptions; each returns non-zero on failure):
#   rathaus_pg_bindir  - print the directory holding initdb/pg_ctl/psql (highest /usr/lib/postgresql/N/bin)
#   rathaus_pg_start   - init + start a cluster in a fresh temp dir on a free loopback port, create
#                        role/database, export RATHAUS_TEST_POSTGRES_URL (+ RATHAUS_TEST_PG_* bookkeeping)
#   rathaus_pg_stop    - stop the cluster started by rathaus_pg_start and delete its directory (idempotent)
#
# Auth: superuser `postgres` over the Unix socket inside the data dir only (trust); TCP listens on
# 127.0.0.1 only and requires a password (scram-sha-256) for role `rathaus` (CREATEDB, so tests may
# create their own databases). Postgres refuses to run as root, so as root the server runs as the
# `postgres` OS user via runuser, and the data dir is owned by it.

rathaus_pg_bindir() {
  local d best=""
  # Prefer Debian's versioned layout; pick the highest major version that has initdb + pg_ctl.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4n); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then best=$d; fi
  done
  if [ -z "$best" ] && command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then best=$d; fi
  fi
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    best=$(dirname "$(readlink -f "$(command -v initdb)")")
  fi
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

# Print a TCP port on 127.0.0.1 that is free right now.
_rathaus_pg_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    # connection refused => nobody listens there
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then printf '%s\n' "$p"; return 0; fi
  done
  return 1
}

# Run a command as the postgres OS user when we are root, as ourselves otherwise.
_rathaus_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

rathaus_pg_start() {
  local bindir dir port attempt pw db user
  if [ -n "${RATHAUS_TEST_PG_DATA:-}" ] && [ -d "${RATHAUS_TEST_PG_DATA}" ]; then
    echo "rathaus_pg_start: a cluster is already running in $RATHAUS_TEST_PG_DATA (call rathaus_pg_stop first)" >&2
    return 1
  fi
  bindir=$(rathaus_pg_bindir) || {
    echo "rathaus_pg_start: PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian package 'postgresql'" >&2
    return 1
  }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "rathaus_pg_start: running as root but there is no 'postgres' OS user to run the server as" >&2
    return 1
  fi
  user=rathaus
  pw=rathaus
  db=rathaus_test
  dir=$(mktemp -d "${TMPDIR:-/tmp}/rathaus-pg.XXXXXX") || return 1
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir" || { rm -rf "$dir"; return 1; }; fi
  export RATHAUS_TEST_PG_DATA=$dir RATHAUS_TEST_PG_BINDIR=$bindir

  if ! _rathaus_pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 -N >"$dir/initdb.log" 2>&1; then
    echo "rathaus_pg_start: initdb failed:" >&2; cat "$dir/initdb.log" >&2
    rathaus_pg_stop; return 1
  fi
  # Loopback only; no fsync & co. (throwaway data).
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir'"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "max_connections = 200"
  } | _rathaus_pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null

  for attempt in 1 2 3 4 5; do
    port=$(_rathaus_pg_free_port) || { echo "rathaus_pg_start: no free port" >&2; rathaus_pg_stop; return 1; }
    if _rathaus_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
         -o "-p $port" start >/dev/null 2>&1; then
      break
    fi
    port=""
    echo "rathaus_pg_start: start attempt $attempt failed; server log tail:" >&2
    tail -n 5 "$dir/server.log" >&2 2>/dev/null || true
  done
  if [ -z "$port" ]; then rathaus_pg_stop; return 1; fi
  export RATHAUS_TEST_PG_PORT=$port

  if ! "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE $user LOGIN CREATEDB PASSWORD '$pw'" \
        -c "CREATE DATABASE $db OWNER $user" >"$dir/setup.log" 2>&1; then
    echo "rathaus_pg_start: creating role/database failed:" >&2; cat "$dir/setup.log" >&2
    rathaus_pg_stop; return 1
  fi
  export RATHAUS_TEST_POSTGRES_URL="postgres://$user:$pw@127.0.0.1:$port/$db"
}

rathaus_pg_stop() {
  local dir=${RATHAUS_TEST_PG_DATA:-} bindir=${RATHAUS_TEST_PG_BINDIR:-}
  [ -n "$dir" ] || return 0
  if [ -n "$bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
    _rathaus_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  case "$dir" in
    */rathaus-pg.*) rm -rf -- "$dir" ;;
  esac
  unset RATHAUS_TEST_PG_DATA RATHAUS_TEST_PG_BINDIR RATHAUS_TEST_PG_PORT RATHAUS_TEST_POSTGRES_URL
  return 0
}
