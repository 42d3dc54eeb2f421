#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the integration tests: its own data directory, socket
# directory and port, started on demand and removed afterwards. Installs PostgreSQL if missing.
#
#   source scripts/pg-test-cluster.sh && nightjar_pg_start   # exports NIGHTJAR_TEST_PG_DSN
#   nightjar_pg_stop
set -euo pipefail

nightjar_pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

nightjar_pg_start() {
    local bindir
    if ! bindir=$(nightjar_pg_bindir); then
        echo "installing PostgreSQL for the integration tests" >&2
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
        bindir=$(nightjar_pg_bindir)
    fi
    NIGHTJAR_PG_DIR=$(mktemp -d /tmp/nightjar-pg.XXXXXX)
    export NIGHTJAR_PG_DIR
    local port=$(( 55000 + RANDOM % 5000 ))
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        chown postgres "$NIGHTJAR_PG_DIR"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bindir/initdb" -D "$NIGHTJAR_PG_DIR/data" -U nightjar --auth=trust -E UTF8 --no-sync >/dev/null
    "${run[@]}" "$bindir/pg_ctl" -D "$NIGHTJAR_PG_DIR/data" -l "$NIGHTJAR_PG_DIR/log" -w \
        -o "-p $port -k $NIGHTJAR_PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    export NIGHTJAR_TEST_PG_DSN="host=$NIGHTJAR_PG_DIR port=$port user=nightjar dbname=postgres"
    echo "PostgreSQL test cluster: $NIGHTJAR_TEST_PG_DSN" >&2
}

nightjar_pg_stop() {
    [ -n "${NIGHTJAR_PG_DIR:-}" ] || return 0
    local bindir run=()
    bindir=$(nightjar_pg_bindir) || return 0
    [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$bindir/pg_ctl" -D "$NIGHTJAR_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$NIGHTJAR_PG_DIR"
}

# Restarts the cluster as a server restart in production would (fast shutdown: every session is
# ended), with the options it was started with.
nightjar_pg_restart() {
    local bindir run=()
    bindir=$(nightjar_pg_bindir)
    [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$bindir/pg_ctl" -D "$NIGHTJAR_PG_DIR/data" -l "$NIGHTJAR_PG_DIR/log" -w -m fast restart >/dev/null
}
