# shellcheck shell=bash
# Source this in your shell to get a throwaway PostgreSQL on 127.0.0.1 and RATHAUS_TEST_POSTGRES_URL:
#
#   source scripts/pg-test-env.sh      # starts the cluster, exports RATHAUS_TEST_POSTGRES_URL
#   cargo test -p rathaus-store        # tests use it
#   rathaus_pg_stop                    # stop + delete it (also done when the shell exits)
#
# Needs the Debian package `postgresql` (server binaries under /usr/lib/postgresql/*/bin).
# Works as a normal user, or as root (the server then runs as the `postgres` OS user).
if [ -z "${BASH_VERSION:-}" ]; then
  echo "pg-test-env.sh: source it from bash" >&2
  return 1 2>/dev/null || exit 1
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "pg-test-env.sh: source it (\`source scripts/pg-test-env.sh\`), don't execute it" >&2
  exit 1
fi

# shellcheck source=lib/postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/postgres.sh"

if rathaus_pg_start; then
  # Stop it when this shell exits, unless the shell already has an EXIT trap of its own.
  if [ -z "$(trap -p EXIT)" ]; then trap rathaus_pg_stop EXIT; fi
  echo "PostgreSQL running in $RATHAUS_TEST_PG_DATA"
  echo "RATHAUS_TEST_POSTGRES_URL=$RATHAUS_TEST_POSTGRES_URL"
  echo "stop it with: rathaus_pg_stop"
else
  echo "pg-test-env.sh: could not start PostgreSQL" >&2
  return 1
fi
