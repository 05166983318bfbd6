#!/usr/bin/env bash
# PostgreSQL's own sharding machinery on loopback: the local cluster as coordinator plus two shard
# clusters; a partitioned table whose partitions are postgres_fdw foreign tables; the extension on
# all three and named in each foreign server's `extensions` option, so that the extraction functions
# are shipped to the shards. Checks that EXPLAIN VERBOSE shows the function in the remote SQL, that
# the shards are scanned at once (async append), and that the results equal a single-node run's.
# Usage: tests/multinode/run.sh   (scripts/cluster.sh start first; the shards are stopped at the end)
source "$(dirname "$0")/../../scripts/common.sh"
COORDINATOR_DB=clinical_ner_coordinator
SHARD_DB=clinical_ner_shard
fail() { echo "FAILED: $*" >&2; exit 1; }
shard_dir() { echo "$CLUSTER_DIR/shard$1"; }
shard_port() { echo $((PGPORT + $1)); }
on_shard() { local n="$1"; shift; psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$(shard_dir "$n")/run" -p "$(shard_port "$n")" "$@"; }
on_coordinator() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$COORDINATOR_DB" "$@"; }
stop_shards() {
    for n in 1 2; do CLINICAL_NER_CLUSTER="$(shard_dir "$n")" CLINICAL_NER_PORT="$(shard_port "$n")" "$ROOT/scripts/cluster.sh" stop; done
}
trap stop_shards EXIT

step "two shard clusters on ports $(shard_port 1) and $(shard_port 2), each with the extension"
for n in 1 2; do
    CLINICAL_NER_CLUSTER="$(shard_dir "$n")" CLINICAL_NER_PORT="$(shard_port "$n")" "$ROOT/scripts/cluster.sh" start
    on_shard "$n" -d postgres -c "DROP DATABASE IF EXISTS $SHARD_DB" -c "CREATE DATABASE $SHARD_DB"
    on_shard "$n" -d "$SHARD_DB" -c "CREATE EXTENSION clinical_ner" \
        -c "CREATE TABLE notes (id int PRIMARY KEY, site text NOT NULL, note text)"
done

step "the coordinator: a table partitioned by site, one foreign partition per shard"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $COORDINATOR_DB" -c "CREATE DATABASE $COORDINATOR_DB"
on_coordinator -f "$ROOT/sql/examples/sample_notes.sql" >/dev/null
on_coordinator <<SQL
CREATE EXTENSION clinical_ner;
CREATE EXTENSION postgres_fdw;
CREATE TABLE notes (id int, site text NOT NULL, note text) PARTITION BY LIST (site);
SQL
for n in 1 2; do
    on_coordinator <<SQL
CREATE SERVER shard$n FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$(shard_dir "$n")/run', port '$(shard_port "$n")', dbname '$SHARD_DB',
             extensions 'clinical_ner', async_capable 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard$n OPTIONS (user 'postgres');
CREATE FOREIGN TABLE notes_site$n PARTITION OF notes FOR VALUES IN ('site$n')
    SERVER shard$n OPTIONS (table_name 'notes');
SQL
done
# Rows go to the shards through the coordinator: odd ids to site 1, even ids to site 2.
on_coordinator -c "INSERT INTO notes SELECT id, 'site' || (2 - id % 2), note FROM sample_notes"
for n in 1 2; do
    [ "$(on_shard "$n" -d "$SHARD_DB" -c "SELECT count(*) FROM notes")" = 6 ] || fail "shard $n does not hold 6 notes"
done

step "the extraction is shipped to the shards"
plan="$(on_coordinator -c "EXPLAIN (VERBOSE, COSTS OFF)
    SELECT id FROM notes WHERE extract_medications(note) @> ARRAY['aspirin']")"
echo "$plan"
[ "$(grep -c "Remote SQL: .*extract_medications(note)" <<< "$plan")" = 2 ] \
    || fail "extract_medications is not in both shards' remote SQL"
grep -q "Async Foreign Scan" <<< "$plan" || fail "the shards are not scanned at once"
step "results equal a single-node run"
sharded="$(on_coordinator -c "SELECT md5(string_agg(id || ':' || extract_entities_json(note)::text, '#' ORDER BY id))
                               FROM notes WHERE extract_entities_json(note) <> '[]'")"
single="$(on_coordinator -c "SELECT md5(string_agg(id || ':' || extract_entities_json(note)::text, '#' ORDER BY id))
                              FROM sample_notes WHERE extract_entities_json(note) <> '[]'")"
[ "$sharded" = "$single" ] || fail "sharded results differ from the single-node run"
aspirin_sharded="$(on_coordinator -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM notes
                                       WHERE extract_medications(note) @> ARRAY['aspirin']")"
aspirin_single="$(on_coordinator -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM sample_notes
                                      WHERE extract_medications(note) @> ARRAY['aspirin']")"
[ -n "$aspirin_single" ] && [ "$aspirin_sharded" = "$aspirin_single" ] \
    || fail "notes with aspirin: sharded '$aspirin_sharded', single node '$aspirin_single'"
echo "12 notes over 2 shards: entities identical to the single node ($sharded); notes with aspirin: $aspirin_sharded"
psql -X -q -d postgres -c "DROP DATABASE $COORDINATOR_DB"
