# Sourced by the benchmarks: the notes they all measure on. Needs scripts/common.sh.

# write_bench_notes LIMIT TARGET: the first LIMIT non-empty MTSamples transcriptions as CSV (id, note).
write_bench_notes() {
    "$VENV/bin/python" - "$DATA_DIR/mtsamples/mtsamples.csv.gz" "$1" "$2" <<'PY'
import csv, gzip, sys
source, limit, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with gzip.open(source, "rt", newline="") as f:
    notes = [row["transcription"] for row in csv.DictReader(f) if row["transcription"].strip()][:limit]
with open(target, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["id", "note"])
    writer.writerows(enumerate(notes, 1))
PY
}
