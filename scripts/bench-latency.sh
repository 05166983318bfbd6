#!/usr/bin/env bash
# Per-note latency on this machine, side by side in one run: the engine alone (no PostgreSQL) and
# per-row SQL calls in the demo cluster, on the same MTSamples notes (real note-length text).
# Usage: scripts/bench-latency.sh [NOTES=200]   (after scripts/demo.sh)
source "$(dirname "$0")/common.sh"
NOTES="${1:-200}"
MTSAMPLES="$DATA_DIR/mtsamples/mtsamples.csv.gz"

step "engine alone: $NOTES notes"
(cd "$ROOT" && cargo run -q --release -p clinical_ner_engine --example latency -- \
    "$SHIPPED_MODEL" "$ORT_LIBRARY" "$MTSAMPLES" transcription "$NOTES" 0)

step "per-row SQL: the same $NOTES notes, one extract_entities_json call each"
psql -X -q -d clinical_ner_demo -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE bench_notes (note_id int, description text, medical_specialty text, sample_name text,
                               transcription text, keywords text);
\copy bench_notes FROM PROGRAM 'gzip -dc $MTSAMPLES' WITH (FORMAT csv, HEADER true)
DELETE FROM bench_notes WHERE btrim(coalesce(transcription, '')) = '';
CREATE TEMP TABLE sample AS SELECT note_id, transcription FROM bench_notes ORDER BY note_id LIMIT $NOTES;
SELECT count(*) FROM (SELECT extract_entities_json(transcription) FROM sample) AS warm_up \gset
CREATE TEMP TABLE timings (ms double precision);
DO \$\$
DECLARE r record; t0 timestamptz;
BEGIN
  FOR r IN SELECT transcription FROM sample LOOP
    t0 := clock_timestamp();
    PERFORM extract_entities_json(r.transcription);
    INSERT INTO timings VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END \$\$;
SELECT count(*) AS notes,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p95_ms,
       round((count(*) / (sum(ms) / 1000))::numeric, 1) AS notes_per_s
FROM timings;
SQL
