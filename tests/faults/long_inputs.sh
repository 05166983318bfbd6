#!/usr/bin/env bash
# Longer run (not in the test command): the largest inputs issue 5 names, each in its own backend.
# A 10 MB note whose last sentence holds a drug, and one word repeated 100,000 times. Checks that
# each gives its defined result with exact offsets, and prints the time and the backend's peak memory.
# Usage: tests/faults/long_inputs.sh [all|10mb|repeated]   (scripts/cluster.sh start first; about 6 minutes here)
source "$(dirname "$0")/../../scripts/common.sh"
WHICH="${1:-all}"
DB=clinical_ner_long_inputs
fail() { echo "FAILED: $*" >&2; exit 1; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -d "$DB" -c "CREATE EXTENSION clinical_ner"
run() { # LABEL SQL-producing-the-note CHECK-SQL over entities e and note n
    local started ended result
    started=$(date +%s%N)
    result="$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE TEMP TABLE note AS SELECT $2 AS n;
CREATE TEMP TABLE e AS SELECT x.* FROM note, extract_entities(n) AS x;
SELECT ($3) || ' ' || octet_length(n) || ' bytes, ' || (SELECT count(*) FROM e) || ' entities, offsets hold: '
       || (SELECT bool_and(substr(n, start_offset + 1, end_offset - start_offset) = mention) IS NOT FALSE FROM e)
       || ', peak backend memory ' || substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::bigint / 1024 || ' MiB'
FROM note;
SQL
)" || fail "$1: the query failed"
    ended=$(date +%s%N)
    echo "$1: $result, $(( (ended - started) / 1000000000 )) s"
    grep -q "^true .*offsets hold: true" <<< "$result" || fail "$1: $result"
}
if [ "$WHICH" != repeated ]; then
step "a 10 MB note: the drug in its last sentence is found"
run "10 MB note" "repeat('The patient walked in the garden and read the newspaper with her family. ', 140000) || 'At discharge she was started on metformin.'" \
    "(SELECT mention = 'metformin' AND end_offset = length(n) - 1 FROM e ORDER BY start_offset DESC LIMIT 1)"
fi
if [ "$WHICH" != 10mb ]; then
step "one word 100,000 times"
run "aspirin x 100,000" "repeat('aspirin ', 100000)" "(SELECT count(*) > 0 FROM e)"
fi
psql -X -q -d postgres -c "DROP DATABASE $DB"
