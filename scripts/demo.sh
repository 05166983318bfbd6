#!/usr/bin/env bash
# The main job: set up (scripts/setup.sh), start the local cluster, install the extension into the
# database clinical_ner_demo, load the sample notes and print what is extracted from them.
# The cluster is left running; scripts/cluster.sh stop stops it.
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/cluster.sh" start

step "database clinical_ner_demo"
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'clinical_ner_demo'" | grep -q 1 \
    || psql -X -q -d postgres -c "CREATE DATABASE clinical_ner_demo"
# A reinstall may have changed the extension's SQL: recreate it so the demo shows what is installed.
psql -X -q -d clinical_ner_demo -v ON_ERROR_STOP=1 \
    -c "DROP EXTENSION IF EXISTS clinical_ner CASCADE" -c "CREATE EXTENSION clinical_ner"
psql -X -q -d clinical_ner_demo -v ON_ERROR_STOP=1 -f "$ROOT/sql/examples/sample_notes.sql"
# Without a linking vocabulary (no data folder at set-up) the demo runs without codes, and says so.
if [ -f "$("$PG_CONFIG" --sharedir)/clinical_ner/vocabulary/manifest.json" ]; then
    psql -X -q -d clinical_ner_demo -c "ALTER DATABASE clinical_ner_demo RESET clinical_ner.vocabulary_path"
else
    echo "no linking vocabulary installed (no data folder at $DATA_DIR): entities come without codes"
    psql -X -q -d clinical_ner_demo -c "ALTER DATABASE clinical_ner_demo SET clinical_ner.vocabulary_path = ''"
fi

step "extraction over the sample notes"
psql -X -d clinical_ner_demo -v ON_ERROR_STOP=1 -f "$ROOT/sql/examples/demo.sql"

cat <<MSG

The cluster is still running. Connect with:
    psql -h $PGHOST -p $PGPORT -U postgres clinical_ner_demo
Stop it with:
    scripts/cluster.sh stop
MSG
