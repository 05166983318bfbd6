#!/usr/bin/env bash
# A Citus cluster on loopback, for the Citus suite (tests/citus/run.sh) and benchmark (bench/citus.sh):
# a coordinator and two workers, each a PostgreSQL 15 cluster of its own (scripts/cluster.sh) on ports
# $PGPORT+40, +41 and +42, with citus and clinical_ner installed in the database $CITUS_DB.
# Citus is built from the vendored source in ../shared/vendor (13.2.2, AGPL-3.0, unmodified upstream;
# see its SOURCE.md): it is not packaged for Debian 12 in the registries these machines reach. It is
# run by the tests only; no Citus code goes into the extension.
#   scripts/citus.sh install                       build and install Citus (skipped when this
#                                                  source's build is installed); a few minutes, once
#   scripts/citus.sh start [--inference-worker]    start the three nodes, install the extensions and
#                                                  add the workers; --inference-worker gives each
#                                                  worker node the shared inference worker
#   scripts/citus.sh stop
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CITUS_SOURCE="$ROOT/../shared/vendor/citus-13.2.2.tar.gz"
CITUS_DB=clinical_ner_citus
BUILD_DIR="$ROOT/target/citus"

citus_node_dir() { echo "$CLUSTER_DIR/citus$1"; }
citus_node_port() { echo $((PGPORT + 40 + $1)); }
# on_citus_node N [psql arguments]: psql on node N (0 is the coordinator), in $CITUS_DB unless -d says.
on_citus_node() {
    local n="$1"; shift
    psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$(citus_node_dir "$n")/run" -p "$(citus_node_port "$n")" -d "$CITUS_DB" "$@"
}
citus_node_cluster() {
    CLINICAL_NER_CLUSTER="$(citus_node_dir "$1")" CLINICAL_NER_PORT="$(citus_node_port "$1")" "$ROOT/scripts/cluster.sh" "$2"
}

install_citus() {
    local stamp pkglib wanted
    pkglib="$("$PG_CONFIG" --pkglibdir)"
    stamp="$("$PG_CONFIG" --sharedir)/extension/citus.clinical_ner-build"
    wanted="$(sha256sum "$CITUS_SOURCE" | cut -d' ' -f1)"
    [ -f "$pkglib/citus.so" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && return
    step "Citus from $(basename "$CITUS_SOURCE") (a few minutes, once)"
    local packages=(libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev) missing=() p
    for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    rm -rf "$BUILD_DIR"; mkdir -p "$BUILD_DIR"
    tar -xzf "$CITUS_SOURCE" -C "$BUILD_DIR" --strip-components=1
    # Recent PostgreSQL 15 minor releases (15.20 here) export have_createdb_privilege() from
    # commands/dbcommands.h; Citus 13.2.2 still defines a static fallback of that name for PostgreSQL
    # before 16, and the two collide. Its one caller includes dbcommands.h, so the fallback goes.
    if grep -q "have_createdb_privilege" "$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h"; then
        perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)\n\{.*?\n\}\n//s' \
            "$BUILD_DIR/src/include/pg_version_compat.h"
    fi
    (cd "$BUILD_DIR" && ./configure --quiet PG_CONFIG="$PG_CONFIG" >/dev/null &&
        make -s -j"$(nproc)" with_llvm=no >/dev/null && make -s install with_llvm=no >/dev/null)
    echo "$wanted" > "$stamp"
}

# set_inference_worker N on|off: restarts node N with or without the shared inference worker (the
# coordinator runs no extraction of a distributed table: Citus sends the function calls to the shards).
set_inference_worker() {
    local n="$1" libraries=citus setting="ALTER SYSTEM RESET clinical_ner.inference_worker"
    # (Off is the default, and left unset: a node that loads clinical_ner only when a query first calls
    # it warns about a server-start setting it finds in its configuration.)
    [ "$2" = on ] && { libraries="citus, clinical_ner"; setting="ALTER SYSTEM SET clinical_ner.inference_worker = on"; }
    psql -X -q -h "$(citus_node_dir "$n")/run" -p "$(citus_node_port "$n")" -d postgres \
        -c "LOAD 'clinical_ner'" -c "ALTER SYSTEM SET shared_preload_libraries = $libraries" -c "$setting"
    citus_node_cluster "$n" stop
    citus_node_cluster "$n" start
}

# wait_for_inference_workers: until the inference worker of each worker node answers (it loads the
# model after its node starts), 60 s at most; the extension must be installed.
wait_for_inference_workers() {
    local n
    for n in 1 2; do
        for _ in $(seq 1 300); do
            [ "$(on_citus_node "$n" -c "SELECT count(*) FROM clinical_ner_inference_worker()" 2>/dev/null)" = 1 ] && continue 2
            sleep 0.2
        done
        echo "the inference worker of node $n never answered" >&2
        return 1
    done
}

start_citus() {
    local inference_worker=off n
    [ "${1:-}" = --inference-worker ] && inference_worker=on
    for n in 0 1 2; do
        # Fresh clusters: nothing left from an earlier run (a node's settings, its runs) counts.
        citus_node_cluster "$n" stop
        rm -rf "$(citus_node_dir "$n")"
        citus_node_cluster "$n" start >/dev/null
        if [ "$n" = 0 ]; then set_inference_worker "$n" off; else set_inference_worker "$n" "$inference_worker"; fi
        on_citus_node "$n" -d postgres -c "SET client_min_messages = warning" \
            -c "DROP DATABASE IF EXISTS $CITUS_DB" -c "CREATE DATABASE $CITUS_DB"
        on_citus_node "$n" -c "CREATE EXTENSION citus"
    done
    on_citus_node 0 -c "SELECT citus_set_coordinator_host('localhost', $(citus_node_port 0))" >/dev/null
    for n in 1 2; do
        on_citus_node 0 -c "SELECT citus_add_node('localhost', $(citus_node_port "$n"))" >/dev/null
    done
    # Created on the coordinator after the workers joined: Citus creates it on the workers too.
    on_citus_node 0 -c "CREATE EXTENSION clinical_ner"
}

stop_citus() {
    local n
    for n in 0 1 2; do citus_node_cluster "$n" stop; done
}

# Sourced by the suite and the benchmark for the functions above; run, it does as it is told.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case "${1:-}" in
        install) install_citus ;;
        start) shift; start_citus "$@" ;;
        stop) stop_citus ;;
        *) echo "usage: $0 install | start [--inference-worker] | stop" >&2; exit 2 ;;
    esac
fi
