-- clinical_ner 0.5.0 -> 0.6.0: an analyst's first hour (issue 20).
-- * extract_entities_json_batch(text[]) and extract_entities_batch(text[]): the set-based calls under
--   names of their own, which a client that sends arrays untyped (psycopg) cannot miss. The old
--   overloads extract_entities_json(text[]) and extract_entities(text[]) become SQL functions that call
--   them, kept for this release only (they keep their dependants: CREATE OR REPLACE).
-- * populate_entities refuses to start inside a transaction block and says what to do (autocommit),
--   names the type of a target column that is not jsonb, and reports when it starts and after its
--   first batch; it calls extract_entities_json_batch.
-- * clinical_ner_models() gains cpu_int8_instructions (AVX-512 VNNI, AVX2, ...): its result type
--   changes, so it is dropped and created again (a view of yours on it stops the update).
-- * extract_medication_attributes(note): one row per medication mention with its strength, dose,
--   route, frequency (and per day), duration and daily dose (issue 22).
-- * The 'allergy' assertion comes with the library; nothing here.
-- Definitions below are those of sql/populate.sql, sql/deprecated.sql and of the functions pgrx
-- generates, so an upgraded database equals a fresh install (tests/pg_regress/sql/upgrade.sql).

CREATE  FUNCTION "extract_entities_json_batch"(
	"notes" TEXT[] /* Array < '_, & str > */
) RETURNS jsonb[] /* Vec < Option < JsonB > > */
IMMUTABLE STRICT PARALLEL SAFE  COST 10000
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'extract_entities_json_of_many_wrapper';

CREATE  FUNCTION "extract_entities_batch"(
	"notes" TEXT[] /* Array < '_, & str > */
) RETURNS TABLE (
	"note_index" INT,  /* i32 */
	"entity_type" TEXT,  /* String */
	"mention" TEXT,  /* String */
	"start_offset" INT,  /* i32 */
	"end_offset" INT,  /* i32 */
	"score" real,  /* f32 */
	"assertion" TEXT,  /* String */
	"section" TEXT,  /* Option < String > */
	"code_system" TEXT,  /* Option < String > */
	"code" TEXT,  /* Option < String > */
	"preferred_name" TEXT,  /* Option < String > */
	"link_score" real  /* Option < f32 > */
)
IMMUTABLE STRICT PARALLEL SAFE  COST 10000
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'extract_entities_of_many_wrapper';

CREATE  FUNCTION "clinical_ner_in_transaction_block"() RETURNS bool /* bool */
STRICT VOLATILE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'clinical_ner_in_transaction_block_wrapper';

CREATE  FUNCTION "extract_medication_attributes"(
	"note" TEXT /* NoteText < '_ > */
) RETURNS TABLE (
	"mention" TEXT,  /* String */
	"start_offset" INT,  /* i32 */
	"end_offset" INT,  /* i32 */
	"assertion" TEXT,  /* String */
	"code" TEXT,  /* Option < String > */
	"preferred_name" TEXT,  /* Option < String > */
	"strength_value" double precision,  /* Option < f64 > */
	"strength_unit" TEXT,  /* Option < String > */
	"dose_amount" double precision,  /* Option < f64 > */
	"dose_form" TEXT,  /* Option < String > */
	"route" TEXT,  /* Option < String > */
	"frequency" TEXT,  /* Option < String > */
	"per_day" double precision,  /* Option < f64 > */
	"as_needed" bool,  /* Option < bool > */
	"duration_days" double precision,  /* Option < f64 > */
	"tapering" bool,  /* bool */
	"daily_dose" double precision,  /* Option < f64 > */
	"daily_dose_unit" TEXT,  /* Option < String > */
	"attribute_offsets" jsonb  /* JsonB */
)
IMMUTABLE STRICT PARALLEL SAFE COST 10000
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'extract_medication_attributes_wrapper';

DROP FUNCTION clinical_ner_models();
CREATE  FUNCTION "clinical_ner_models"() RETURNS TABLE (
	"name" TEXT,  /* String */
	"version" TEXT,  /* String */
	"base_model" TEXT,  /* String */
	"checksum" TEXT,  /* String */
	"labels" TEXT[],  /* Vec < String > */
	"device" TEXT,  /* String */
	"path" TEXT,  /* String */
	"max_sequence_length" INT,  /* i32 */
	"cpu_int8_instructions" TEXT  /* String */
)
STRICT VOLATILE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'clinical_ner_models_wrapper';

CREATE OR REPLACE FUNCTION extract_entities_json(notes text[]) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.extract_entities_json_batch(notes) $$;
COMMENT ON FUNCTION extract_entities_json(text[]) IS
    'Deprecated, removed after 0.6.0: use extract_entities_json_batch(text[]).';

CREATE OR REPLACE FUNCTION extract_entities(notes text[])
RETURNS TABLE (note_index integer, entity_type text, mention text, start_offset integer, end_offset integer,
               score real, assertion text, section text, code_system text, code text, preferred_name text,
               link_score real)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 ROWS 1000
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM @extschema@.extract_entities_batch(notes) $$;
COMMENT ON FUNCTION extract_entities(text[]) IS
    'Deprecated, removed after 0.6.0: use extract_entities_batch(text[]).';

CREATE OR REPLACE FUNCTION clinical_ner_fill_batch(
    run bigint,
    relation regclass,
    note_column name,
    entities_column name,
    table_oids oid[],
    row_ids tid[],
    skip_oids oid[],
    skip_ids tid[],
    batch_size integer,
    OUT written bigint,
    OUT failed bigint,
    OUT stuck_oids oid[],
    OUT stuck_ids tid[]
)
LANGUAGE plpgsql
AS $$
DECLARE
    locked_oids oid[];
    locked_ids tid[];
    notes text[];
    update_rows text;
    one_result jsonb;
    one_written bigint;
    one_stuck_oids oid[];
    one_stuck_ids tid[];
BEGIN
    written := 0;
    failed := 0;
    stuck_oids := '{}';
    stuck_ids := '{}';
    IF row_ids IS NULL THEN
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.array_agg(tableoid), pg_catalog.array_agg(ctid), pg_catalog.array_agg(note) FROM (
                 SELECT t.tableoid, t.ctid, CAST(t.%2$I AS pg_catalog.text) AS note FROM %1$s AS t
                 WHERE t.%3$I IS NULL AND t.%2$I IS NOT NULL
                   AND NOT EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS s(table_oid, row_id)
                                   WHERE s.table_oid OPERATOR(pg_catalog.=) t.tableoid
                                     AND s.row_id OPERATOR(pg_catalog.=) t.ctid)
                 LIMIT $1 FOR UPDATE OF t SKIP LOCKED) AS batch',
            relation, note_column, entities_column)
        INTO locked_oids, locked_ids, notes USING batch_size, skip_oids, skip_ids;
    ELSE
        -- ctid = ANY makes a TID scan; tableoid tells partitions (which share ctids) apart.
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.array_agg(tableoid), pg_catalog.array_agg(ctid), pg_catalog.array_agg(note) FROM (
                 SELECT t.tableoid, t.ctid, CAST(t.%2$I AS pg_catalog.text) AS note FROM %1$s AS t
                 WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($2)
                   AND EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS l(table_oid, row_id)
                               WHERE l.table_oid OPERATOR(pg_catalog.=) t.tableoid
                                 AND l.row_id OPERATOR(pg_catalog.=) t.ctid)
                   AND t.%3$I IS NULL AND t.%2$I IS NOT NULL
                 FOR UPDATE OF t SKIP LOCKED) AS batch',
            relation, note_column, entities_column)
        INTO locked_oids, locked_ids, notes USING table_oids, row_ids;
    END IF;
    IF notes IS NOT NULL THEN
        -- Writes, and reports the rows whose column is NULL after the write (the stored row, after
        -- any BEFORE trigger; its ctid is the new version's).
        update_rows := pg_catalog.format(
            'WITH written AS (
                 UPDATE %1$s AS t SET %2$I = e.entities
                 FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) AS e(table_oid, row_id, entities)
                 WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($2)
                   AND t.tableoid OPERATOR(pg_catalog.=) e.table_oid AND t.ctid OPERATOR(pg_catalog.=) e.row_id
                 RETURNING t.tableoid AS table_oid, t.ctid AS row_id, t.%2$I IS NULL AS still_null)
             SELECT pg_catalog.count(*),
                    pg_catalog.array_agg(table_oid) FILTER (WHERE still_null),
                    pg_catalog.array_agg(row_id) FILTER (WHERE still_null)
             FROM written',
            relation, entities_column);
        BEGIN
            EXECUTE update_rows INTO written, stuck_oids, stuck_ids
                USING locked_oids, locked_ids, @extschema@.extract_entities_json_batch(notes);
        EXCEPTION WHEN OTHERS THEN
            -- One note, or the extension itself? Each note alone says which.
            written := 0;
            stuck_oids := '{}';
            stuck_ids := '{}';
            FOR i IN 1 .. pg_catalog.cardinality(notes) LOOP
                BEGIN
                    one_result := (@extschema@.extract_entities_json_batch(ARRAY[notes[i]]))[1];
                EXCEPTION WHEN OTHERS THEN
                    -- A note the extension cannot take, if a known-good note still extracts;
                    -- otherwise the extension's own fault, which must stop the fill rather than
                    -- mark every row failed.
                    PERFORM @extschema@.extract_entities_json('Took aspirin.');
                    one_result := pg_catalog.jsonb_build_object('error', SQLERRM, 'sqlstate', SQLSTATE);
                    failed := failed OPERATOR(pg_catalog.+) 1;
                END;
                EXECUTE update_rows INTO one_written, one_stuck_oids, one_stuck_ids
                    USING locked_oids[i:i], locked_ids[i:i], ARRAY[one_result];
                written := written OPERATOR(pg_catalog.+) one_written;
                stuck_oids := stuck_oids OPERATOR(pg_catalog.||) one_stuck_oids;
                stuck_ids := stuck_ids OPERATOR(pg_catalog.||) one_stuck_ids;
            END LOOP;
        END;
        stuck_oids := COALESCE(stuck_oids, '{}');
        stuck_ids := COALESCE(stuck_ids, '{}');
    END IF;
    UPDATE @extschema@.clinical_ner_populate_runs AS r
    SET rows_done = r.rows_done OPERATOR(pg_catalog.+) written,
        rows_left = pg_catalog.int8larger(r.rows_left OPERATOR(pg_catalog.-) written, 0),
        rows_failed = r.rows_failed OPERATOR(pg_catalog.+) failed,
        updated_at = pg_catalog.clock_timestamp()
    WHERE r.run_id OPERATOR(pg_catalog.=) run;
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
    pending_oids oid[] := '{}';
    pending_ids tid[] := '{}';
    -- Rows written whose column stayed NULL: never selected again by this call.
    stuck_oids oid[] := '{}';
    stuck_ids tid[] := '{}';
    listed record;
    batch record;
    started timestamptz := pg_catalog.clock_timestamp();
    last_notice timestamptz := pg_catalog.clock_timestamp();
    progress record;
    unfilled text;  -- the FROM and WHERE of the rows still to fill
    entities_type pg_catalog.oid;
    batches bigint := 0;
    dropped constant text := 'clinical_ner: the extension was dropped while populate_entities ran';
    dropped_hint constant text :=
        'Rows written so far are kept; after CREATE EXTENSION clinical_ner, call populate_entities again to fill the rest.';
BEGIN
    IF @extschema@.clinical_ner_in_transaction_block() THEN
        RAISE EXCEPTION 'populate_entities cannot run inside a transaction block: it commits after every batch'
            USING ERRCODE = 'invalid_transaction_termination',
                  HINT = 'CALL it on its own, outside BEGIN ... COMMIT. Drivers that open a transaction for every statement need autocommit for the CALL (psycopg: connect(..., autocommit=True); JDBC: setAutoCommit(true)).';
    END IF;
    IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 OR batch_size OPERATOR(pg_catalog.>) 10000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 10000';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_class AS c
                   WHERE c.oid OPERATOR(pg_catalog.=) relation
                     AND c.relkind OPERATOR(pg_catalog.=) ANY (CAST('{r,p}' AS pg_catalog."char"[]))) THEN
        RAISE EXCEPTION '% is not a table', relation;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                   JOIN pg_catalog.pg_type AS t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
                   WHERE a.attrelid OPERATOR(pg_catalog.=) relation
                     AND a.attname OPERATOR(pg_catalog.=) note_column
                     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                     AND t.typcategory OPERATOR(pg_catalog.=) 'S') THEN
        RAISE EXCEPTION '% has no text column %', relation, pg_catalog.quote_ident(note_column);
    END IF;
    SELECT a.atttypid INTO entities_type FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid OPERATOR(pg_catalog.=) relation
      AND a.attname OPERATOR(pg_catalog.=) entities_column
      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF entities_type IS NULL THEN
        RAISE EXCEPTION '% has no column %', relation, pg_catalog.quote_ident(entities_column)
            USING HINT = pg_catalog.format('ALTER TABLE %s ADD COLUMN %I jsonb', relation, entities_column);
    ELSIF entities_type OPERATOR(pg_catalog.<>) CAST('pg_catalog.jsonb' AS pg_catalog.regtype) THEN
        RAISE EXCEPTION 'column % of % is %, not jsonb', pg_catalog.quote_ident(entities_column), relation,
                        pg_catalog.format_type(entities_type, NULL)
            USING HINT = pg_catalog.format('Fill a jsonb column: ALTER TABLE %1$s ALTER COLUMN %2$I TYPE jsonb USING %2$I::jsonb, or ALTER TABLE %1$s ADD COLUMN entities jsonb and name that one.',
                                           relation, entities_column);
    END IF;

    unfilled := pg_catalog.format('FROM %1$s WHERE %3$I IS NULL AND %2$I IS NOT NULL',
                                  relation, note_column, entities_column);
    EXECUTE 'SELECT pg_catalog.count(*) ' OPERATOR(pg_catalog.||) unfilled INTO total;
    INSERT INTO @extschema@.clinical_ner_populate_runs
        (relation, note_column, entities_column, backend_start, rows_left)
    VALUES (relation, note_column, entities_column,
            (SELECT a.backend_start FROM pg_catalog.pg_stat_activity AS a
             WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()),
            total)
    RETURNING run_id INTO run;
    COMMIT;
    RAISE NOTICE 'populate_entities: run %, % rows to fill; progress in clinical_ner_populate_progress', run, total;

    -- First the rows that were unfinished at the start, in physical order and found by TID, so that
    -- the cost stays linear in the table; then any that this pass missed (inserted meanwhile, or moved
    -- by a concurrent update), until a batch finds none. The listing query is kept across COMMIT.
    --
    -- Each batch transaction first locks the runs table: DROP EXTENSION then waits for the batch to
    -- commit instead of removing the functions it calls, and once the extension has gone the lock says
    -- so. The lock has to be taken here, not in clinical_ner_fill_batch: a call to a dropped function
    -- fails with an internal error. PL/pgSQL cannot leave a FOR loop over a query and come back, so
    -- the batch step appears twice, in the listing's loop and in the loop after it.
    FOR listed IN EXECUTE 'SELECT tableoid AS table_oid, ctid AS row_id ' OPERATOR(pg_catalog.||) unfilled
    LOOP
        pending_oids := pending_oids OPERATOR(pg_catalog.||) listed.table_oid;
        pending_ids := pending_ids OPERATOR(pg_catalog.||) listed.row_id;
        CONTINUE WHEN pg_catalog.cardinality(pending_ids) OPERATOR(pg_catalog.<) batch_size;
        BEGIN
            LOCK TABLE @extschema@.clinical_ner_populate_runs IN ROW EXCLUSIVE MODE;
        EXCEPTION WHEN undefined_table THEN
            RAISE EXCEPTION USING MESSAGE = dropped, HINT = dropped_hint, ERRCODE = 'object_not_in_prerequisite_state';
        END;
        batch := @extschema@.clinical_ner_fill_batch(run, relation, note_column, entities_column,
                                                    pending_oids, pending_ids, NULL, NULL, batch_size);
        stuck_oids := stuck_oids OPERATOR(pg_catalog.||) batch.stuck_oids;
        stuck_ids := stuck_ids OPERATOR(pg_catalog.||) batch.stuck_ids;
        COMMIT;
        pending_oids := '{}';
        pending_ids := '{}';
        batches := batches OPERATOR(pg_catalog.+) 1;
        -- The first batch's figures at once (a batch can take tens of seconds), then every 5 s.
        IF batches OPERATOR(pg_catalog.=) 1
           OR pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) last_notice
               OPERATOR(pg_catalog.>) CAST('5 seconds' AS pg_catalog.interval) THEN
            SELECT r.rows_done AS done, r.rows_left AS left_to_do INTO progress
            FROM @extschema@.clinical_ner_populate_runs AS r WHERE r.run_id OPERATOR(pg_catalog.=) run;
            RAISE NOTICE 'populate_entities: % rows done, % left, % notes/s', progress.done, progress.left_to_do,
                pg_catalog.round(CAST(CAST(progress.done AS pg_catalog.float8) OPERATOR(pg_catalog./)
                    pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started)
                    AS pg_catalog.numeric), 1);
            last_notice := pg_catalog.clock_timestamp();
        END IF;
    END LOOP;
    -- What is left of the listing, then the rows it missed, until a batch writes none.
    LOOP
        BEGIN
            LOCK TABLE @extschema@.clinical_ner_populate_runs IN ROW EXCLUSIVE MODE;
        EXCEPTION WHEN undefined_table THEN
            RAISE EXCEPTION USING MESSAGE = dropped, HINT = dropped_hint, ERRCODE = 'object_not_in_prerequisite_state';
        END;
        IF pg_catalog.cardinality(pending_ids) OPERATOR(pg_catalog.>) 0 THEN
            batch := @extschema@.clinical_ner_fill_batch(run, relation, note_column, entities_column,
                                                        pending_oids, pending_ids, NULL, NULL, batch_size);
            pending_oids := '{}';
            pending_ids := '{}';
        ELSE
            batch := @extschema@.clinical_ner_fill_batch(run, relation, note_column, entities_column,
                                                        NULL, NULL, stuck_oids, stuck_ids, batch_size);
            EXIT WHEN batch.written OPERATOR(pg_catalog.=) 0;
        END IF;
        stuck_oids := stuck_oids OPERATOR(pg_catalog.||) batch.stuck_oids;
        stuck_ids := stuck_ids OPERATOR(pg_catalog.||) batch.stuck_ids;
        COMMIT;
    END LOOP;

    EXECUTE 'SELECT pg_catalog.count(*) ' OPERATOR(pg_catalog.||) unfilled INTO total;
    UPDATE @extschema@.clinical_ner_populate_runs AS r
    SET rows_left = total, updated_at = pg_catalog.clock_timestamp(), finished_at = pg_catalog.clock_timestamp()
    WHERE r.run_id OPERATOR(pg_catalog.=) run
    RETURNING r.rows_done AS done, r.rows_failed AS failed INTO progress;
    COMMIT;
    RAISE NOTICE 'populate_entities: % rows done in % s, % notes/s', progress.done,
        pg_catalog.round(CAST(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started)
                              AS pg_catalog.numeric), 1),
        pg_catalog.round(CAST(CAST(progress.done AS pg_catalog.float8) OPERATOR(pg_catalog./)
            pg_catalog.float8larger(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started), 0.001)
            AS pg_catalog.numeric), 1);
    IF progress.failed OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'populate_entities: notes that could not be extracted: %; their % column holds {"error", "sqlstate"} instead of an array',
            progress.failed, pg_catalog.quote_ident(entities_column)
            USING HINT = pg_catalog.format('SELECT %2$I->>''error'' FROM %1$s WHERE jsonb_typeof(%2$I) = ''object''; set them to NULL to try again',
                                           relation, entities_column);
    END IF;
    IF pg_catalog.cardinality(stuck_ids) OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'populate_entities: % rows were written but their % column is NULL again (a trigger on %?); this call did not try them again',
            pg_catalog.cardinality(stuck_ids), pg_catalog.quote_ident(entities_column), relation;
    END IF;
    IF total OPERATOR(pg_catalog.>) pg_catalog.cardinality(stuck_ids) THEN
        RAISE NOTICE 'populate_entities: % rows were held by other sessions or inserted meanwhile; call it again to fill them',
            total OPERATOR(pg_catalog.-) pg_catalog.cardinality(stuck_ids);
    END IF;
END
$$;
