#!/usr/bin/env bash
# The local PostgreSQL 15 cluster of the demo and the tests: start | stop | status.
# It lives in .cluster/ inside the checkout, runs as the postgres user (PostgreSQL refuses root),
# listens on a Unix socket in .cluster/run and on localhost:$PGPORT, and trusts local connections:
# it is a development cluster, never a production one.
source "$(dirname "$0")/common.sh"

BIN="$("$PG_CONFIG" --bindir)"
DATA="$CLUSTER_DIR/data"
LOG="$CLUSTER_DIR/postgres.log"
as_postgres() { runuser -u postgres -- "$@"; }

start() {
    mkdir -p "$CLUSTER_DIR/run"
    chown postgres "$CLUSTER_DIR" "$CLUSTER_DIR/run"
    if ! as_postgres test -w "$CLUSTER_DIR"; then
        echo "the postgres user cannot reach $CLUSTER_DIR: let it traverse the checkout's parent folders," >&2
        echo "or set CLINICAL_NER_CLUSTER to a folder it can write" >&2
        exit 1
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        step "initdb $DATA"
        as_postgres "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust >/dev/null
        cat >> "$DATA/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = 'localhost'
unix_socket_directories = '$CLUSTER_DIR/run'
# A failing statement can hold note text (protected health information): keep statements out of the log.
log_min_error_statement = panic
CONF
    fi
    if as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then return; fi
    step "start PostgreSQL on port $PGPORT"
    # RUST_BACKTRACE is set on many servers (and here): the extension must keep Rust backtraces out of
    # the errors clients see (tests/pg_regress/sql/cancel.sql), so the cluster runs with it.
    as_postgres env RUST_BACKTRACE=1 "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null
}

stop() {
    [ -f "$DATA/PG_VERSION" ] || return 0
    as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

status() { as_postgres "$BIN/pg_ctl" -D "$DATA" status; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
