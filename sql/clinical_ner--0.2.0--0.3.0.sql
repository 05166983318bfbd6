-- clinical_ner 0.2.0 -> 0.3.0: populate_entities no longer stops at a note that cannot be extracted.
-- A batch that fails is retried one note at a time; a note that fails alone while a known-good note
-- still extracts gets {"error", "sqlstate"} in its entities column and is counted in the new
-- rows_failed column of the runs table and of the progress view. Definitions below are those of
-- sql/populate.sql, so an upgraded database equals a fresh install (tests/pg_regress/sql/upgrade.sql).

ALTER TABLE clinical_ner_populate_runs ADD COLUMN rows_failed bigint NOT NULL DEFAULT 0;
-- The batch function now returns how many of its rows failed, so its result type changes.
DROP FUNCTION clinical_ner_fill_batch(regclass, name, name, oid[], tid[], integer);

CREATE OR REPLACE VIEW clinical_ner_populate_progress AS
SELECT r.run_id,
       r.relation,
       r.note_column,
       r.entities_column,
       r.run_by,
       CASE
           WHEN r.finished_at IS NOT NULL THEN 'finished'
           WHEN EXISTS (SELECT FROM pg_catalog.pg_stat_activity AS a
                        WHERE a.pid = r.pid
                          AND (a.backend_start IS NULL OR a.backend_start = r.backend_start)) THEN 'running'
           ELSE 'stopped'
       END AS state,
       r.rows_done,
       r.rows_left,
       round((r.rows_done / nullif(extract(epoch FROM r.updated_at - r.started_at), 0))::numeric, 1)
           AS notes_per_second,
       CASE WHEN r.finished_at IS NULL AND r.rows_done > 0
            THEN (r.updated_at - r.started_at) * (r.rows_left::float8 / r.rows_done)
       END AS estimated_time_left,
       r.started_at,
       r.updated_at,
       r.finished_at,
       r.rows_failed
FROM clinical_ner_populate_runs AS r;
GRANT SELECT ON clinical_ner_populate_progress TO PUBLIC;

-- One batch: lock up to batch_size unfinished rows (those listed in row_ids, or any when it is NULL),
-- extract their notes in one call, write the results. Returns the rows written and, of those, the
-- ones written as failures.
CREATE FUNCTION clinical_ner_fill_batch(
    relation regclass,
    note_column name,
    entities_column name,
    table_oids oid[],
    row_ids tid[],
    batch_size integer,
    OUT written bigint,
    OUT failed bigint
)
LANGUAGE plpgsql
AS $$
DECLARE
    locked_oids oid[];
    locked_ids tid[];
    notes text[];
    update_rows text;
    one_result jsonb;
BEGIN
    failed := 0;
    IF row_ids IS NULL THEN
        EXECUTE format(
            'SELECT array_agg(tableoid), array_agg(ctid), array_agg(note) FROM (
                 SELECT t.tableoid, t.ctid, t.%2$I::text AS note FROM %1$s AS t
                 WHERE t.%3$I IS NULL AND t.%2$I IS NOT NULL
                 LIMIT $1 FOR UPDATE OF t SKIP LOCKED) AS batch',
            relation, note_column, entities_column)
        INTO locked_oids, locked_ids, notes USING batch_size;
    ELSE
        -- ctid = ANY makes a TID scan; tableoid tells partitions (which share ctids) apart.
        EXECUTE format(
            'SELECT array_agg(tableoid), array_agg(ctid), array_agg(note) FROM (
                 SELECT t.tableoid, t.ctid, t.%2$I::text AS note FROM %1$s AS t
                 WHERE t.ctid = ANY ($2) AND (t.tableoid, t.ctid) IN (SELECT * FROM unnest($1, $2))
                   AND t.%3$I IS NULL AND t.%2$I IS NOT NULL
                 FOR UPDATE OF t SKIP LOCKED) AS batch',
            relation, note_column, entities_column)
        INTO locked_oids, locked_ids, notes USING table_oids, row_ids;
    END IF;
    IF notes IS NULL THEN
        written := 0;
        RETURN;
    END IF;
    update_rows := format(
        'UPDATE %1$s AS t SET %2$I = e.entities
         FROM unnest($1, $2, $3) AS e(table_oid, row_id, entities)
         WHERE t.ctid = ANY ($2) AND t.tableoid = e.table_oid AND t.ctid = e.row_id',
        relation, entities_column);
    BEGIN
        EXECUTE update_rows USING locked_oids, locked_ids, @extschema@.extract_entities_json(notes);
        GET DIAGNOSTICS written = ROW_COUNT;
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        -- One note, or the extension itself? Each note alone says which.
        NULL;
    END;
    written := 0;
    FOR i IN 1 .. cardinality(notes) LOOP
        BEGIN
            one_result := (@extschema@.extract_entities_json(ARRAY[notes[i]]))[1];
        EXCEPTION WHEN OTHERS THEN
            -- A note the extension cannot take, if a known-good note still extracts; otherwise the
            -- extension's own fault, which must stop the fill rather than mark every row failed.
            PERFORM @extschema@.extract_entities_json('Took aspirin.');
            one_result := jsonb_build_object('error', SQLERRM, 'sqlstate', SQLSTATE);
            failed := failed + 1;
        END;
        EXECUTE update_rows USING locked_oids[i:i], locked_ids[i:i], ARRAY[one_result];
        written := written + 1;
    END LOOP;
END
$$;

CREATE OR REPLACE PROCEDURE populate_entities(
    relation regclass,
    note_column name,
    entities_column name DEFAULT 'entities',
    batch_size integer DEFAULT 64
)
LANGUAGE plpgsql
AS $$
DECLARE
    run bigint;
    total bigint;
    done bigint := 0;
    pending_oids oid[] := '{}';
    pending_ids tid[] := '{}';
    listed record;
    started timestamptz := clock_timestamp();
    last_notice timestamptz := clock_timestamp();
    still_empty bigint;
    failed bigint := 0;
    batch record;
    unfilled text;  -- the FROM and WHERE of the rows still to fill
BEGIN
    IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 10000';
    END IF;
    IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = relation) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', relation;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
                   WHERE a.attrelid = relation AND a.attname = note_column AND a.attnum > 0
                     AND NOT a.attisdropped AND t.typcategory = 'S') THEN
        RAISE EXCEPTION '% has no text column %', relation, quote_ident(note_column);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                   WHERE a.attrelid = relation AND a.attname = entities_column AND a.attnum > 0
                     AND NOT a.attisdropped AND a.atttypid = 'jsonb'::regtype) THEN
        RAISE EXCEPTION '% has no jsonb column %', relation, quote_ident(entities_column)
            USING HINT = format('ALTER TABLE %s ADD COLUMN %I jsonb', relation, entities_column);
    END IF;

    unfilled := format('FROM %1$s WHERE %3$I IS NULL AND %2$I IS NOT NULL',
                       relation, note_column, entities_column);
    EXECUTE 'SELECT count(*) ' || unfilled INTO total;
    INSERT INTO @extschema@.clinical_ner_populate_runs
        (relation, note_column, entities_column, backend_start, rows_left)
    VALUES (relation, note_column, entities_column,
            (SELECT backend_start FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()), total)
    RETURNING run_id INTO run;
    COMMIT;

    -- First the rows that were unfinished at the start, in physical order and found by TID, so that
    -- the cost stays linear in the table; then any that this pass missed (inserted meanwhile, or moved
    -- by a concurrent update), until a batch finds none. The loop's query is kept across COMMIT.
    FOR listed IN EXECUTE 'SELECT tableoid AS table_oid, ctid AS row_id ' || unfilled
    LOOP
        pending_oids := pending_oids || listed.table_oid;
        pending_ids := pending_ids || listed.row_id;
        CONTINUE WHEN cardinality(pending_ids) < batch_size;
        batch := @extschema@.clinical_ner_fill_batch(relation, note_column, entities_column,
                                                    pending_oids, pending_ids, batch_size);
        done := done + batch.written;
        failed := failed + batch.failed;
        pending_oids := '{}';
        pending_ids := '{}';
        UPDATE @extschema@.clinical_ner_populate_runs
        SET rows_done = done, rows_left = greatest(total - done, 0), rows_failed = failed,
            updated_at = clock_timestamp()
        WHERE run_id = run;
        COMMIT;
        IF clock_timestamp() - last_notice > interval '5 seconds' THEN
            RAISE NOTICE 'populate_entities: % of % rows done, % notes/s', done, total,
                round((done / extract(epoch FROM clock_timestamp() - started))::numeric, 1);
            last_notice := clock_timestamp();
        END IF;
    END LOOP;
    batch := @extschema@.clinical_ner_fill_batch(relation, note_column, entities_column,
                                                pending_oids, pending_ids, batch_size);
    done := done + batch.written;
    failed := failed + batch.failed;
    LOOP
        batch := @extschema@.clinical_ner_fill_batch(relation, note_column, entities_column,
                                                    NULL, NULL, batch_size);
        done := done + batch.written;
        failed := failed + batch.failed;
        UPDATE @extschema@.clinical_ner_populate_runs
        SET rows_done = done, rows_left = greatest(total - done, 0), rows_failed = failed,
            updated_at = clock_timestamp()
        WHERE run_id = run;
        COMMIT;
        EXIT WHEN batch.written = 0;
    END LOOP;

    EXECUTE 'SELECT count(*) ' || unfilled INTO still_empty;
    UPDATE @extschema@.clinical_ner_populate_runs
    SET rows_left = still_empty, updated_at = clock_timestamp(), finished_at = clock_timestamp()
    WHERE run_id = run;
    COMMIT;
    RAISE NOTICE 'populate_entities: % rows done in % s, % notes/s', done,
        round(extract(epoch FROM clock_timestamp() - started)::numeric, 1),
        round((done / nullif(extract(epoch FROM clock_timestamp() - started), 0))::numeric, 1);
    IF failed > 0 THEN
        RAISE WARNING 'populate_entities: notes that could not be extracted: %; their % column holds {"error", "sqlstate"} instead of an array',
            failed, quote_ident(entities_column)
            USING HINT = format('SELECT %2$I->>''error'' FROM %1$s WHERE jsonb_typeof(%2$I) = ''object''; set them to NULL to try again',
                                relation, entities_column);
    END IF;
    IF still_empty > 0 THEN
        RAISE NOTICE 'populate_entities: % rows were held by other sessions or inserted meanwhile; call it again to fill them',
            still_empty;
    END IF;
END
$$;
