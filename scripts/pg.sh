#!/usr/bin/env bash
# scripts/pg.sh — a throwaway PostgreSQL server for the test suite.
#
#   eval "$(scripts/pg.sh start)"    # starts a cluster, prints the export lines below
#   ...run the tests...
#   scripts/pg.sh stop               # stops it and removes its folder ($STRATA_PG_DIR)
#
# `start` prints exactly two lines on stdout (everything else goes to stderr):
#   export STRATA_TEST_PG_URL=postgresql://strata@127.0.0.1:<port>/strata_test
#   export STRATA_PG_DIR=<temporary folder>
# and, when STRATA_PG_ENV_FILE is set, writes the same two lines to that file.
# `stop [DIR]` stops the server in DIR (default $STRATA_PG_DIR) and deletes DIR.
# `restart [DIR]` restarts it on the same port and data (fast shutdown: open
# connections are dropped), for tests of what clients do when a server restarts.
#
# Installs nothing: PostgreSQL must be installed (Debian: apt-get install postgresql).
# The cluster lives in a temporary folder, runs as an unprivileged user (the
# `postgres` account when started as root, since root cannot run postgres),
# listens on 127.0.0.1 on a free port and on a unix socket inside the folder,
# and trusts local connections: it is for tests only.
set -euo pipefail

log() { echo "pg.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$dir" && -x "$dir/initdb" ]] || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    echo "$dir"
}

# Runs a command as the cluster's owner.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local bin dir port attempt
    bin=$(pg_bindir)
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (created by the postgresql package)"
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/strata-pg.XXXXXX")
    chmod 755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"

    as_owner "$bin/initdb" -D "$dir/data" -U strata -A trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }

    # A port can be taken between choosing and binding it: retry on a few random ports.
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 40000))
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB \
                -c max_connections=100" >/dev/null 2>&1; then
            break
        fi
        log "could not start on port $port (attempt $attempt), retrying"
        port=""
    done
    [[ -n "$port" ]] || { cat "$dir/server.log" >&2 || true; die "could not start the server (log above, folder $dir)"; }

    "$bin/createdb" -h 127.0.0.1 -p "$port" -U strata strata_test \
        || { stop_dir "$dir"; die "createdb strata_test failed"; }

    local lines
    lines="export STRATA_TEST_PG_URL=postgresql://strata@127.0.0.1:$port/strata_test
export STRATA_PG_DIR=$dir"
    if [[ -n "${STRATA_PG_ENV_FILE:-}" ]]; then
        echo "$lines" >"$STRATA_PG_ENV_FILE"
    fi
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running on 127.0.0.1:$port and socket $dir (log: $dir/server.log)"
    echo "$lines"
}

stop_dir() {
    local dir=$1 bin
    bin=$(pg_bindir)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

# The folder named by the argument or $STRATA_PG_DIR, checked to be one 'start' made.
cluster_dir() {
    local verb=$1 dir=${2:-${STRATA_PG_DIR:-}}
    [[ -n "$dir" ]] || die "$verb: give the folder or set STRATA_PG_DIR (printed by 'start')"
    [[ "$(basename "$dir")" == strata-pg.* ]] || die "$verb: $dir is not a folder made by 'pg.sh start'"
    echo "$dir"
}

stop() {
    local dir
    dir=$(cluster_dir stop "$@")
    [[ -d "$dir" ]] || { log "stop: $dir is already gone"; return 0; }
    stop_dir "$dir"
    log "stopped and removed $dir"
}

restart() {
    local dir bin
    dir=$(cluster_dir restart "$@")
    bin=$(pg_bindir)
    [[ -f "$dir/data/postmaster.pid" ]] || die "restart: no server is running in $dir"
    # pg_ctl restart starts the server again with the options it was started with.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null 2>&1 \
        || { cat "$dir/server.log" >&2 || true; die "restart failed in $dir"; }
    log "restarted the server in $dir"
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    restart) shift; restart "$@" ;;
    *) echo "usage: $0 start | stop [DIR] | restart [DIR]" >&2; exit 2 ;;
esac
