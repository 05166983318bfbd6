#!/usr/bin/env bash
# Faults and load against the local cluster (scripts/cluster.sh start first), each a check that can
# fail: an ONNX Runtime library too old for the engine (a clear error), a model folder replaced while a
# session uses it (kept whole; a half-written one refused), a vocabulary index replaced while a session
# maps it, truncated or damaged inside (errors, never a crash), a terminated backend, a
# backend killed with SIGKILL (the server restarts, committed rows stay), populate_entities cancelled
# and killed mid-fill and then resumed (no row lost or done twice), DROP EXTENSION during a fill (a
# clear error, no half-written row), private memory over many calls,
# and 8 concurrent clients (no errors, the same results as one client).
# Usage: tests/faults/run.sh [LOAD_SECONDS=20] [CALLS=2000]   (the longer run: 300 10000)
source "$(dirname "$0")/../../scripts/common.sh"
LOAD_SECONDS="${1:-20}"
CALLS="${2:-2000}"
DB=clinical_ner_faults
BIN="$("$PG_CONFIG" --bindir)"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -tAc "$1"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
LONG_NOTE="repeat('The patient walked in the garden with her family. ', 60000) || 'Started metformin.'"

wait_until_active() {
    for _ in $(seq 1 100); do
        pid="$(sql "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%fault-probe%'
                    AND pid <> pg_backend_pid() LIMIT 1")"
        [ -n "$pid" ] && { echo "$pid"; return; }
        sleep 0.1
    done
    fail "the long extraction never became active"
}

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql "CREATE EXTENSION clinical_ner"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$ROOT/sql/examples/sample_notes.sql"
single_client="$(sql "SELECT md5(string_agg(array_to_string(extract_medications(note) || extract_diseases(note)
                                                            || extract_symptoms(note), '|'), '#' ORDER BY id))
                      FROM sample_notes")"

step "an ONNX Runtime library too old for the engine: a clear ERROR naming it, and the backend lives on"
too_old="$CLUSTER_DIR/too-old-onnxruntime/$(basename "$TOO_OLD_ORT_LIBRARY")"
install -D -m 0644 "$TOO_OLD_ORT_LIBRARY" "$too_old"
chmod a+rx "$(dirname "$too_old")"
out="$(psql -X -d "$DB" -c "SET clinical_ner.onnxruntime_library = '$too_old'" \
            -c "SELECT extract_medications('Started aspirin.')" \
            -c "RESET clinical_ner.onnxruntime_library" -c "SELECT extract_medications('Started aspirin.')" 2>&1)"
grep -q "ERROR:  clinical_ner: could not load the ONNX Runtime library \"$too_old\".*but got '$TOO_OLD_ONNXRUNTIME_VERSION'" <<< "$out" \
    || fail "unexpected answer to a too-old library: $out"
grep -q "{aspirin}" <<< "$out" || fail "the same session did not extract with the right library afterwards"
echo "ONNX Runtime $TOO_OLD_ONNXRUNTIME_VERSION refused with a clear error; the same session then extracts"

step "a model folder replaced on disk while a session uses it: that session keeps the old model whole"
model="$CLUSTER_DIR/replaced-model"
rm -rf "$model"; cp -r "$SHIPPED_MODEL" "$model"; chmod -R a+rX "$model"
shipped_version="$(sed -n '0,/"version": "/s/.*"version": "\([^"]*\)".*/\1/p' "$model/manifest.json")"
# One session: load the model, then (\! runs in the client) a half-written replacement lands on disk.
out="$(psql -X -q -tA -v ON_ERROR_STOP=1 -d "$DB" <<SQL 2>&1
SET clinical_ner.model_path = '$model';
SELECT 'before: ' || version FROM clinical_ner_models();
\! sed -i 's/"version": "$shipped_version"/"version": "replaced"/' "$model/manifest.json" && head -c 100000 "$SHIPPED_MODEL/model.onnx" > "$model/model.onnx"
SELECT 'after: ' || version FROM clinical_ner_models();
SELECT 'extracts: ' || array_to_string(extract_medications('Started aspirin.'), ',');
SQL
)"
grep -q "^before: $shipped_version$" <<< "$out" && grep -q "^after: $shipped_version$" <<< "$out" \
    && grep -q "^extracts: aspirin$" <<< "$out" || fail "the session using the model did not keep it: $out"
# A new session sees the half-written folder: a clear error, not a crash or a mix of old and new.
out="$(psql -X -d "$DB" -c "SET clinical_ner.model_path = '$model'" -c "SELECT extract_medications('Started aspirin.')" 2>&1 || true)"
grep -q "ERROR:  clinical_ner: model file \"$model/model.onnx\" does not match the checksum in its manifest" <<< "$out" \
    || fail "a half-written model folder was not refused clearly: $out"
# Once the replacement is complete, new sessions load it.
cp "$SHIPPED_MODEL/model.onnx" "$model/model.onnx"
[ "$(psql -X -q -tA -d "$DB" -c "SET clinical_ner.model_path = '$model'" -c "SELECT version FROM clinical_ner_models()")" = replaced ] \
    || fail "a new session did not load the replaced model"
rm -rf "$model"
echo "the running session kept model $shipped_version whole; a half-written folder was refused; new sessions load the replacement"

step "a vocabulary index replaced while a session maps it, then truncated, then damaged inside: errors, never a crash"
installed_vocabulary="$("$PG_CONFIG" --sharedir)/clinical_ner/vocabulary"
vocabulary="$CLUSTER_DIR/replaced-vocabulary"
rm -rf "$vocabulary"; cp -r "$installed_vocabulary" "$vocabulary"; chmod -R a+rX "$vocabulary"
started="$(sql "SELECT pg_postmaster_start_time()")"
code_of_aspirin="SELECT coalesce(code, 'none') FROM extract_entities('Started aspirin.')"
# A new index is renamed over the old one, as clinical-ner-train vocabulary writes it (here a
# truncated file): the session that mapped the old file keeps reading it.
out="$(psql -X -q -tA -v ON_ERROR_STOP=1 -d "$DB" <<SQL 2>&1
SET clinical_ner.vocabulary_path = '$vocabulary';
$code_of_aspirin;
\! head -c 1000 "$vocabulary/index.bin" > "$vocabulary/index.bin.new" && mv "$vocabulary/index.bin.new" "$vocabulary/index.bin"
$code_of_aspirin;
SQL
)"
[ "$(sort -u <<< "$out")" = DB00945 ] || fail "the session mapping the index did not keep it: $out"
out="$(psql -X -d "$DB" -c "SET clinical_ner.vocabulary_path = '$vocabulary'" -c "$code_of_aspirin" -c "RESET clinical_ner.vocabulary_path" \
            -c "$code_of_aspirin" 2>&1 || true)"
grep -q "ERROR:  clinical_ner: invalid vocabulary file \"$vocabulary/index.bin\": .*runs past the end" <<< "$out" \
    || fail "a truncated index was not refused clearly: $out"
grep -q "DB00945" <<< "$out" || fail "the session did not link with the installed vocabulary afterwards: $out"
# Damage inside a table that every lookup reads (the code systems' names, table 1): the lookup
# stops with an error that says so, and the session and the server live on.
cp "$installed_vocabulary/index.bin" "$vocabulary/index.bin"
names_at="$(od -An -t u8 -j 32 -N 8 "$vocabulary/index.bin" | tr -d ' ')"
names_length="$(od -An -t u8 -j 40 -N 8 "$vocabulary/index.bin" | tr -d ' ')"
head -c "$names_length" /dev/zero | tr '\0' '\377' | dd of="$vocabulary/index.bin" bs=1 seek="$names_at" conv=notrunc status=none
out="$(psql -X -d "$DB" -c "SET clinical_ner.vocabulary_path = '$vocabulary'" -c "$code_of_aspirin" -c "RESET clinical_ner.vocabulary_path" \
            -c "$code_of_aspirin" 2>&1 || true)"
grep -q "ERROR:  clinical_ner: the vocabulary index is damaged: rebuild it" <<< "$out" || fail "a damaged index gave no clear error: $out"
grep -q "DB00945" <<< "$out" || fail "the session did not live on after a damaged index: $out"
[ "$(sql "SELECT pg_postmaster_start_time()")" = "$started" ] || fail "the server restarted"
rm -rf "$vocabulary"
echo "a replaced index left the session that mapped it unchanged; a truncated one was refused by name; a damaged one was an ERROR saying so, the session and server lived on"

step "pg_terminate_backend during an extraction"
started="$(sql "SELECT pg_postmaster_start_time()")"
psql -X -d "$DB" -c "SET clinical_ner.max_note_size = '8MB'" \
    -c "SELECT /* fault-probe */ count(*) FROM extract_entities($LONG_NOTE)" > "$CLUSTER_DIR/terminated.out" 2>&1 &
client=$!
pid="$(wait_until_active)"
sql "SELECT pg_terminate_backend($pid)" | grep -q t || fail "pg_terminate_backend refused"
wait "$client" && fail "the terminated query succeeded"
grep -q "terminating connection due to administrator command" "$CLUSTER_DIR/terminated.out" \
    || fail "unexpected client message: $(head -3 "$CLUSTER_DIR/terminated.out")"
[ "$(sql "SELECT pg_postmaster_start_time()")" = "$started" ] || fail "the server restarted"
sql "SELECT extract_medications('Started aspirin.')" | grep -q aspirin || fail "no extraction after terminate"
echo "terminated backend $pid; server not restarted; next session extracts"

step "SIGKILL of a backend during an extraction: the server resets, committed rows are kept"
sql "CREATE TABLE committed_fill AS SELECT id, extract_medications(note) AS medications FROM sample_notes"
psql -X -d "$DB" -c "SET clinical_ner.max_note_size = '8MB'" \
    -c "SELECT /* fault-probe */ count(*) FROM extract_entities($LONG_NOTE)" > "$CLUSTER_DIR/killed.out" 2>&1 &
client=$!
pid="$(wait_until_active)"
kill -9 "$pid"
wait "$client" && fail "the killed query succeeded"
for _ in $(seq 1 100); do "$BIN/pg_isready" -q && sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
grep -q "server process (PID $pid) was terminated by signal 9" "$CLUSTER_DIR/postgres.log" \
    || fail "the server log does not show the killed backend"
[ "$(sql "SELECT count(*) FROM committed_fill")" = 12 ] || fail "committed rows lost"
[ "$(sql "SELECT count(*) FROM committed_fill, sample_notes s WHERE s.id = committed_fill.id
           AND committed_fill.medications = extract_medications(s.note)")" = 12 ] || fail "committed rows changed"
echo "killed backend $pid; server recovered; 12 of 12 committed rows intact"

step "populate_entities stopped by a cancel and by SIGKILL, then called again: no row lost, none done twice"
sql "CREATE TABLE fill_target (id int PRIMARY KEY, note text, entities jsonb);
     INSERT INTO fill_target SELECT copy * 100 + id, note || ' Copy ' || copy || '.'
     FROM sample_notes, generate_series(1, 25) AS copy;
     CREATE TABLE fill_audit (id int);
     CREATE FUNCTION audit_fill() RETURNS trigger LANGUAGE plpgsql AS
         \$\$ BEGIN INSERT INTO fill_audit VALUES (NEW.id); RETURN NEW; END \$\$;
     CREATE TRIGGER audit_fill AFTER UPDATE ON fill_target FOR EACH ROW EXECUTE FUNCTION audit_fill();"
total="$(sql "SELECT count(*) FROM fill_target")"
# Starts a fill and returns once it has committed a few batches and is still running.
start_fill() {
    psql -X -d "$DB" -c "CALL /* fault-probe */ populate_entities('fill_target', 'note', 'entities', 4)" \
        > "$CLUSTER_DIR/fill.out" 2>&1 &
    fill_client=$!
    fill_pid="$(wait_until_active)"
    for _ in $(seq 1 200); do
        [ "$(sql "SELECT count(entities) FROM fill_target")" -ge "$(( $1 + 8 ))" ] && return
        sleep 0.1
    done
    fail "the fill never got going"
}
start_fill 0
sql "SELECT pg_cancel_backend($fill_pid)" | grep -q t || fail "pg_cancel_backend refused"
wait "$fill_client" && fail "the cancelled fill succeeded"
grep -q "canceling statement due to user request" "$CLUSTER_DIR/fill.out" || fail "unexpected cancel message"
after_cancel="$(sql "SELECT count(entities) FROM fill_target")"
start_fill "$after_cancel"
kill -9 "$fill_pid"
wait "$fill_client" && fail "the killed fill succeeded"
for _ in $(seq 1 100); do "$BIN/pg_isready" -q && sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
after_kill="$(sql "SELECT count(entities) FROM fill_target")"
[ "$(sql "SELECT count(*) FROM clinical_ner_populate_progress WHERE state = 'stopped'")" = 2 ] \
    || fail "the progress view does not show both stopped runs"
sql "CALL populate_entities('fill_target', 'note', 'entities', 4)"
[ "$(sql "SELECT count(*) FROM fill_target WHERE entities = extract_entities_json(note)")" = "$total" ] \
    || fail "rows missing or wrong after the fill was resumed"
[ "$(sql "SELECT count(*) FROM fill_audit")" = "$total" ] \
    || fail "$(sql "SELECT count(*) - count(DISTINCT id) FROM fill_audit") rows were filled twice"
[ "$(sql "SELECT count(DISTINCT id) FROM fill_audit")" = "$total" ] || fail "rows never filled"
echo "cancelled at $after_cancel of $total rows, killed at $after_kill; resumed: $total of $total rows filled, each once, equal to per-row results"

step "DROP EXTENSION during a fill: it waits for the batch in flight, and the fill stops with a clear error"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${DB}_dropped" -c "CREATE DATABASE ${DB}_dropped"
dropped_sql() { psql -X -q -v ON_ERROR_STOP=1 -d "${DB}_dropped" -tAc "$1"; }
dropped_sql "CREATE EXTENSION clinical_ner;
     CREATE TABLE dropped_fill (id int PRIMARY KEY, note text, entities jsonb);
     INSERT INTO dropped_fill SELECT i, repeat('Started metformin for type 2 diabetes; denies chest pain. ', 20) || i
     FROM generate_series(1, 2000) AS i;"
psql -X -d "${DB}_dropped" -c "CALL /* fault-probe */ populate_entities('dropped_fill', 'note', 'entities', 2)" \
    > "$CLUSTER_DIR/dropped.out" 2>&1 &
fill_client=$!
for _ in $(seq 1 200); do
    [ "$(dropped_sql "SELECT count(entities) FROM dropped_fill")" -ge 8 ] && break
    sleep 0.1
done
dropped_sql "DROP EXTENSION clinical_ner"
wait "$fill_client" && fail "the fill went on without its extension"
grep -q "ERROR:  clinical_ner: the extension was dropped while populate_entities ran" "$CLUSTER_DIR/dropped.out" \
    || fail "unexpected message: $(head -3 "$CLUSTER_DIR/dropped.out")"
written="$(dropped_sql "SELECT count(entities) FROM dropped_fill")"
[ "$written" -ge 8 ] && [ "$written" -lt 2000 ] || fail "$written rows written"
[ "$(dropped_sql "SELECT count(*) FROM dropped_fill WHERE entities IS NOT NULL AND jsonb_typeof(entities) <> 'array'")" = 0 ] \
    || fail "a row was half-written"
psql -X -q -d postgres -c "DROP DATABASE ${DB}_dropped"
echo "DROP EXTENSION waited for the batch in flight; the fill stopped with a clear error after $written of 2000 rows, each whole"

step "resident memory over $CALLS calls in one backend: flat after warm-up (no leak)"
# Private memory (RssAnon) after a warm-up of 500 calls, then after every $CALLS / 4 more.
memory="$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE TEMP TABLE rss (calls int, kib bigint);
DO \$\$ DECLARE note text; BEGIN
  FOR round IN 1 .. 500 + $CALLS LOOP
    SELECT s.note INTO note FROM sample_notes AS s WHERE s.id = round % 12 + 1;
    PERFORM extract_entities_json(note);
    IF round >= 500 AND (round - 500) % ($CALLS / 4) = 0 THEN
      INSERT INTO rss SELECT round - 500,
        substring(pg_read_file('/proc/self/status') FROM 'RssAnon:\s+(\d+)')::bigint;
    END IF;
  END LOOP; END \$\$;
SELECT string_agg(calls || ':' || kib, ' ' ORDER BY calls) || ' growth_kib=' || (max(kib) FILTER (WHERE calls = $CALLS) - min(kib) FILTER (WHERE calls = 0))
FROM rss;
SQL
)"
echo "calls:RssAnon KiB after warm-up: $memory"
growth="${memory##*growth_kib=}"
[ "$growth" -le 2048 ] || fail "private memory grew by $growth KiB over $CALLS calls"

step "$LOAD_SECONDS s of 8 concurrent clients (pgbench), then 8 clients comparing results"
crashes_before_load="$(grep -c "was terminated by signal" "$CLUSTER_DIR/postgres.log")"
cat > "$CLUSTER_DIR/extract.pgbench" <<'BENCH'
\set id random(1, 12)
SELECT extract_medications(note), extract_diseases(note), extract_symptoms(note) FROM sample_notes WHERE id = :id;
BENCH
"$BIN/pgbench" -n -c 8 -j 2 -T "$LOAD_SECONDS" -f "$CLUSTER_DIR/extract.pgbench" "$DB" > "$CLUSTER_DIR/pgbench.out" 2>&1 \
    || { cat "$CLUSTER_DIR/pgbench.out"; fail "pgbench reported errors"; }
grep -E "number of (transactions actually processed|failed transactions)|tps" "$CLUSTER_DIR/pgbench.out"
grep -q "number of failed transactions: 0" "$CLUSTER_DIR/pgbench.out" || fail "failed transactions under load"
for client in $(seq 1 8); do
    sql "SELECT md5(string_agg(array_to_string(extract_medications(note) || extract_diseases(note)
                                               || extract_symptoms(note), '|'), '#' ORDER BY id))
         FROM sample_notes" > "$CLUSTER_DIR/client-$client.md5" &
done
wait
for client in $(seq 1 8); do
    [ "$(cat "$CLUSTER_DIR/client-$client.md5")" = "$single_client" ] || fail "client $client saw other results"
done
[ "$(grep -c "was terminated by signal" "$CLUSTER_DIR/postgres.log")" = "$crashes_before_load" ] \
    || fail "a backend crashed under load"
echo "8 concurrent clients: results identical to a single client ($single_client)"
psql -X -q -d postgres -c "DROP DATABASE $DB"
