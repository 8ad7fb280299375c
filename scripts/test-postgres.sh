#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: a fresh cluster in a temporary folder, on a local port, trust auth.
#   scripts/test-postgres.sh start [port]   prints `export STRATAFOLIO_POSTGRES_URL=…` (eval it) and the folder
#   scripts/test-postgres.sh stop           stops the cluster and removes its folder
#   scripts/test-postgres.sh restart        restarts it in place (the data survives; used by the reconnect test)
# The folder is remembered in $STRATAFOLIO_PG_STATE (default /tmp/stratafolio-test-postgres.state).
# Needs Debian's `postgresql` package (or initdb/pg_ctl on PATH). As root the server runs as the `postgres` user.
set -euo pipefail
STATE="${STRATAFOLIO_PG_STATE:-/tmp/stratafolio-test-postgres.state}"

find_bin() {
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
    echo "test-postgres: no PostgreSQL server binaries found; install them (Debian: apt-get install -y postgresql)" >&2
    exit 1
  fi
  echo "$dir"
}

# Runs a server binary as a non-root user: PostgreSQL refuses to run as root.
as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local port="${1:-54329}"
  local bin dir
  bin="$(find_bin)"
  dir="$(mktemp -d /tmp/stratafolio-pg.XXXXXX)"
  chmod 755 "$dir"
  if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  printf '%s\n%s\n%s\n' "$dir" "$bin" "$port" >"$STATE"
  echo "export STRATAFOLIO_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
}

read_state() {
  if [ ! -f "$STATE" ]; then echo "test-postgres: no cluster started ($STATE missing)" >&2; exit 1; fi
  { read -r DIR; read -r BIN; read -r PORT; } <"$STATE"
}

stop() {
  [ -f "$STATE" ] || return 0
  read_state
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR" "$STATE"
}

restart() {
  read_state
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  restart) restart ;;
  *) echo "usage: $0 start [port] | stop | restart" >&2; exit 2 ;;
esac
