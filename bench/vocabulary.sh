#!/usr/bin/env bash
# What codes cost a backend: in fresh sessions of the local cluster (after scripts/demo.sh), alternating
# with and without the linking vocabulary (clinical_ner.vocabulary_path = ''):
#   - link: a session's first clinical_ner_link call (the vocabulary's load and one lookup) and its
#     second (the lookup alone), and the session's peak and private memory after them;
#   - model + codes: a session that extracts from one sample note without codes (the model's load),
#     then with codes (extract_entities: the vocabulary's load and the linking of the note's mentions),
#     then again; the time of each codes call and the session's memory.
# Memory: the session's peak resident set (VmHWM), its anonymous memory (RssAnon: what no other process
# can share, such as a vocabulary read into the heap) and the pages of the mapped index.bin it has in
# its resident set (page cache, shared by every backend that maps the file). How many index pages a
# lookup brings in depends on the page cache: a file just written sits in large folios, which a page
# fault maps whole; after a reboot, pages come one at a time.
# Prints each round and the medians.      Usage: bench/vocabulary.sh [ROUNDS=5]
source "$(dirname "$0")/../scripts/common.sh"
source "$ROOT/bench/notes.sh"
ROUNDS="${1:-5}"
DB=clinical_ner_bench_vocabulary
VOCABULARY="$("$PG_CONFIG" --sharedir)/clinical_ner/vocabulary"
[ -f "$VOCABULARY/manifest.json" ] || { echo "no vocabulary in $VOCABULARY: run scripts/demo.sh first" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB"' EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
write_bench_notes 1 "$WORK/notes.csv"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE EXTENSION clinical_ner;
CREATE TABLE sample_notes (id int, note text);
\copy sample_notes FROM '$WORK/notes.csv' WITH (FORMAT csv, HEADER)
CREATE VIEW backend_memory AS SELECT
    substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::float8 / 1024 AS peak_mb,
    substring(pg_read_file('/proc/self/status') FROM 'RssAnon:\s+(\d+)')::float8 / 1024 AS anon_mb,
    coalesce(substring(pg_read_file('/proc/self/smaps')
        FROM '/index\.bin\nSize:[^\n]*\nKernelPageSize:[^\n]*\nMMUPageSize:[^\n]*\nRss:\s+(\d+)')::float8 / 1024, 0) AS index_mb;
SQL

# session VOCABULARY_PATH STATEMENT...: the statements in one fresh session; prints each one's
# milliseconds, then the session's peak, anonymous and index MB.
session() {
    local path="$1"; shift
    {
        echo "SET clinical_ner.vocabulary_path = '$path';"
        echo '\timing on'
        printf '%s\n' "$@"
        echo '\timing off'
        echo 'SELECT peak_mb, anon_mb, index_mb FROM backend_memory;'
    } | psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -tA -F ' ' \
        | awk '/^Time:/ { printf "%s ", $2; next } /^[0-9.]+ [0-9.]+ [0-9.]+$/ { print $1, $2, $3 }'
}
LINK="SELECT clinical_ner_link('metformin', 'medication') IS NOT NULL;"
WITHOUT_CODES="SELECT count(*) FROM sample_notes, extract_medications(note);"
WITH_CODES="SELECT count(code) FROM sample_notes, extract_entities(note);"

printf '%-5s %-5s | %11s %11s %8s %8s %9s | %12s %12s %8s %8s %9s\n' round codes "link 1st ms" "link 2nd ms" "peak MB" "anon MB" "index MB" \
    "codes 1st ms" "codes 2nd ms" "peak MB" "anon MB" "index MB"
for round in $(seq 1 "$ROUNDS"); do
    for codes in on off; do
        path="$VOCABULARY"; [ "$codes" = off ] && path=""
        # link: 2 times then memory; model + codes: 3 times (the first without codes) then memory.
        read -r -a link < <(session "$path" "$LINK" "$LINK")
        read -r -a model < <(session "$path" "$WITHOUT_CODES" "$WITH_CODES" "$WITH_CODES")
        printf '%-5s %-5s | %11s %11s %8.1f %8.1f %9.1f | %12s %12s %8.1f %8.1f %9.1f\n' "$round" "$codes" "${link[@]}" \
            "${model[@]:1}" | tee -a "$WORK/rounds"
    done
done
echo "medians over $ROUNDS rounds ($(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores):"
for codes in on off; do
    awk -v codes="$codes" '$2 == codes' "$WORK/rounds" | tr -d '|' | "$VENV/bin/python" -c '
import statistics, sys
rows = [line.split() for line in sys.stdin]
m = [statistics.median(float(r[i]) for r in rows) for i in range(2, 12)]
print(f"codes {sys.argv[1]:<3}  link: first call {m[0]:.1f} ms, second {m[1]:.2f} ms, peak {m[2]:.1f} MB, anonymous {m[3]:.1f} MB, index {m[4]:.1f} MB")
print(f"           model + codes: first codes call {m[5]:.1f} ms, second {m[6]:.1f} ms, peak {m[7]:.1f} MB, anonymous {m[8]:.1f} MB, index {m[9]:.1f} MB")
' "$codes"
done
