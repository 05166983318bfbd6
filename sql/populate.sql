-- Filling a jsonb column of a whole table with extract_entities_json(note), for batch jobs.
--
-- CALL populate_entities('notes', 'note_text', 'entities') reads the rows whose entities column is NULL
-- and whose note is not, a batch at a time, extracts each batch with one set-based call, writes the
-- results and commits. A cancel, a crash or a restart loses at most the batch in flight, and calling
-- the procedure again carries on: finished rows are never done twice, because a finished row is
-- simply one whose entities column is no longer NULL. Rows are locked while their batch runs and rows
-- that other sessions hold are skipped (SKIP LOCKED), so inserts and updates go on during a fill. A
-- row is attempted at most once per call: one whose column a trigger sets back to NULL is left for
-- the next call (and reported), never selected again in a loop.
--
-- A note that cannot be extracted (over clinical_ner.max_note_size, or in a LATIN1 database one with a
-- character outside ASCII) must not stop the fill at its batch on every call: when a batch fails, its
-- notes are extracted one at a time, and a note that fails alone while a known-good note still
-- extracts gets {"error": message, "sqlstate": code} in place of its array, so it counts as done and
-- the next call skips it (set it back to NULL to retry it). When the known-good note fails too, the
-- fault is not the note's (a missing model, say) and the error stops the fill as before. Cancels are
-- never caught.
--
-- A Citus distributed table is filled where its rows live: the procedure runs itself on each shard, on
-- the node that holds it (Citus's master_run_on_worker, one new connection per shard), one shard per
-- node at a time, so every node works at once. Each shard's fill is the plain fill above and records
-- its own run on its node; the coordinator's run counts rows over all shards after each round. A node
-- that fails or cannot be reached stops only its own shards: the others go on, and the call ends with
-- an error naming the shards left, so that calling it again (once the node is back) fills the rest.
--
-- Progress is in the view clinical_ner_populate_progress and in NOTICEs: one when the run starts,
-- one after the first batch, then one every few seconds.
-- Everything runs with the caller's privileges: there is no SECURITY DEFINER here but the one
-- function that reads whether a run's session is still in its CALL.
--
-- Search paths. A superuser's CALL must not run code that another role planted in a schema on the
-- caller's search_path (a database owner owns public): a function or operator there with exact
-- argument types wins over pg_catalog's polymorphic one. Every function and operator below is
-- therefore named with its schema (pg_catalog.format, OPERATOR(pg_catalog.||)), in the dynamic SQL
-- too, and every function that can carry a SET clause pins search_path. Two cannot: the procedure
-- (a procedure that commits may not have one) and clinical_ner_fill_batch, whose UPDATE fires the
-- triggers of the user's table, which must run as they would under the caller's own UPDATE.

CREATE TABLE clinical_ner_populate_runs (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relation        regclass NOT NULL,
    note_column     name NOT NULL,
    entities_column name NOT NULL,
    run_by          name NOT NULL DEFAULT CURRENT_USER,
    pid             integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
    backend_start   timestamptz,
    started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at     timestamptz,
    rows_done       bigint NOT NULL DEFAULT 0,
    rows_left       bigint NOT NULL,
    rows_failed     bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE clinical_ner_populate_runs IS
    'One row per populate_entities call, updated as each batch commits; read it through clinical_ner_populate_progress.';

-- Every role sees every run. A role records runs only as itself, from its own session, for a column
-- it may fill; it updates only its own runs from the session that started them (and only their
-- progress columns), and it may delete its own runs.
ALTER TABLE clinical_ner_populate_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone_reads ON clinical_ner_populate_runs FOR SELECT USING (true);
CREATE POLICY own_session_records ON clinical_ner_populate_runs FOR INSERT
    WITH CHECK (run_by OPERATOR(pg_catalog.=) CURRENT_USER
                AND pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
                AND pg_catalog.has_column_privilege(relation, CAST(entities_column AS pg_catalog.text), 'UPDATE'));
CREATE POLICY own_session_updates ON clinical_ner_populate_runs FOR UPDATE
    USING (run_by OPERATOR(pg_catalog.=) CURRENT_USER AND pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid())
    WITH CHECK (run_by OPERATOR(pg_catalog.=) CURRENT_USER AND pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid());
CREATE POLICY own_runs_deleted ON clinical_ner_populate_runs FOR DELETE
    USING (run_by OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, DELETE ON clinical_ner_populate_runs TO PUBLIC;
GRANT INSERT (relation, note_column, entities_column, backend_start, rows_left) ON clinical_ner_populate_runs TO PUBLIC;
GRANT UPDATE (rows_done, rows_left, rows_failed, updated_at, finished_at) ON clinical_ner_populate_runs TO PUBLIC;

-- Whether the session that started a run is still inside the statement that started it: the same
-- backend (pid and start time), active, in a statement that began no later than the run. A cancelled
-- or failed CALL leaves its session idle (or in a later statement), so the run shows as stopped even
-- while that session stays connected. SECURITY DEFINER because pg_stat_activity shows another role's
-- state only to privileged roles; it answers one boolean about one backend.
CREATE FUNCTION clinical_ner_run_is_active(pid integer, backend_start timestamptz, started_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity AS a
                   WHERE a.pid OPERATOR(pg_catalog.=) $1
                     AND a.backend_start OPERATOR(pg_catalog.=) $2
                     AND a.state OPERATOR(pg_catalog.=) 'active'
                     AND a.query_start OPERATOR(pg_catalog.<=) $3)
$$;

CREATE VIEW clinical_ner_populate_progress AS
SELECT r.run_id,
       r.relation,
       r.note_column,
       r.entities_column,
       r.run_by,
       CASE
           WHEN r.finished_at IS NOT NULL THEN 'finished'
           WHEN @extschema@.clinical_ner_run_is_active(r.pid, r.backend_start, r.started_at) THEN 'running'
           ELSE 'stopped'
       END AS state,
       r.rows_done,
       r.rows_left,
       CASE WHEN r.updated_at OPERATOR(pg_catalog.>) r.started_at
            THEN pg_catalog.round(CAST(CAST(r.rows_done AS pg_catalog.float8)
                                       OPERATOR(pg_catalog./) pg_catalog.date_part('epoch', r.updated_at OPERATOR(pg_catalog.-) r.started_at)
                                       AS pg_catalog.numeric), 1)
       END AS notes_per_second,
       CASE WHEN r.finished_at IS NULL AND r.rows_done OPERATOR(pg_catalog.>) 0
            THEN (r.updated_at OPERATOR(pg_catalog.-) r.started_at)
                 OPERATOR(pg_catalog.*) (CAST(r.rows_left AS pg_catalog.float8) OPERATOR(pg_catalog./) CAST(r.rows_done AS pg_catalog.float8))
       END AS estimated_time_left,
       r.started_at,
       r.updated_at,
       r.finished_at,
       r.rows_failed,
       r.pid
FROM @extschema@.clinical_ner_populate_runs AS r;
GRANT SELECT ON clinical_ner_populate_progress TO PUBLIC;

-- One batch of a run: lock up to batch_size unfinished rows (those listed in row_ids, or, when it is
-- NULL, any but those listed in skip_ids), extract their notes in one call, write the results and add
-- them to the run's counts. Returns the rows written, of
-- those the ones written as failures, and the rows whose column was still NULL after the write (a
-- trigger set it back), which the caller skips from then on.
CREATE FUNCTION clinical_ner_fill_batch(
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

-- The shards of a Citus distributed table, with the node that holds each, numbered within each node
-- (a round takes one shard of every node); no rows for a table that is not Citus's, or without Citus.
-- A table whose rows are copied on several nodes (a reference table, or shards with more than one
-- placement) is refused: filling one copy would make the copies differ.
CREATE FUNCTION clinical_ner_shard_placements(relation regclass)
RETURNS TABLE (round bigint, shard text, node_host text, node_port integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Two steps: the catalog of the second exists only where Citus is installed.
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition AS p WHERE p.logicalrelid OPERATOR(pg_catalog.=) relation) THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition AS p
               WHERE p.logicalrelid OPERATOR(pg_catalog.=) relation AND p.repmodel OPERATOR(pg_catalog.=) 't') THEN
        RAISE EXCEPTION '% is a Citus reference table: populate_entities fills distributed tables, shard by shard', relation
            USING HINT = 'A reference table is copied to every node; fill it with one UPDATE ... SET entities = extract_entities_json(note) WHERE entities IS NULL.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_dist_shard AS s
               LEFT JOIN pg_catalog.pg_dist_placement AS pl
                   ON pl.shardid OPERATOR(pg_catalog.=) s.shardid AND pl.shardstate OPERATOR(pg_catalog.=) 1
               WHERE s.logicalrelid OPERATOR(pg_catalog.=) relation
               GROUP BY s.shardid
               HAVING pg_catalog.count(pl.placementid) OPERATOR(pg_catalog.<>) 1) THEN
        RAISE EXCEPTION 'the shards of % do not each have exactly one active placement: populate_entities fills one copy of each shard', relation
            USING HINT = 'Fill a table with replicated shards with UPDATE ... SET entities = extract_entities_json(note) WHERE entities IS NULL.';
    END IF;
    RETURN QUERY
        SELECT pg_catalog.row_number() OVER (PARTITION BY pl.groupid ORDER BY s.shardid),
               pg_catalog.shard_name(s.logicalrelid, s.shardid, false),
               CAST(n.nodename AS pg_catalog.text),
               n.nodeport
        FROM pg_catalog.pg_dist_shard AS s
        JOIN pg_catalog.pg_dist_placement AS pl
            ON pl.shardid OPERATOR(pg_catalog.=) s.shardid AND pl.shardstate OPERATOR(pg_catalog.=) 1
        JOIN pg_catalog.pg_dist_node AS n
            ON n.groupid OPERATOR(pg_catalog.=) pl.groupid AND n.noderole OPERATOR(pg_catalog.=) 'primary'
        WHERE s.logicalrelid OPERATOR(pg_catalog.=) relation;
END
$$;

CREATE PROCEDURE populate_entities(
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
    -- A Citus distributed table: its shards, the node of each, and the round each is filled in.
    shard_rounds bigint[];
    shards text[];
    shard_hosts text[];
    shard_ports integer[];
    round_shards integer[];  -- indexes into the arrays above
    shard_command text;
    outcome record;
    unfilled_shards text[] := '{}';
    counts_query text;
    failed_at_start bigint;
    left_now bigint;
    failed_now bigint;
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

    SELECT pg_catalog.array_agg(p.round ORDER BY p.round, p.node_port, p.node_host, p.shard),
           pg_catalog.array_agg(p.shard ORDER BY p.round, p.node_port, p.node_host, p.shard),
           pg_catalog.array_agg(p.node_host ORDER BY p.round, p.node_port, p.node_host, p.shard),
           pg_catalog.array_agg(p.node_port ORDER BY p.round, p.node_port, p.node_host, p.shard)
    INTO shard_rounds, shards, shard_hosts, shard_ports
    FROM @extschema@.clinical_ner_shard_placements(relation) AS p;

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

    IF shards IS NOT NULL THEN
        -- Citus: each round runs this procedure on one shard of every node at once, on the nodes
        -- (CALL over a connection of its own, outside any transaction block, so that it commits
        -- batch by batch there), then counts what is left over all shards for the progress view.
        shard_command := pg_catalog.format('CALL %s.populate_entities(%%L, %L, %L, %s)',
            (SELECT CAST(CAST(e.extnamespace AS pg_catalog.regnamespace) AS pg_catalog.text)
             FROM pg_catalog.pg_extension AS e WHERE e.extname OPERATOR(pg_catalog.=) 'clinical_ner'),
            note_column, entities_column, batch_size);
        counts_query := pg_catalog.format(
            'SELECT pg_catalog.count(*) FILTER (WHERE %3$I IS NULL AND %2$I IS NOT NULL),
                    pg_catalog.count(*) FILTER (WHERE pg_catalog.jsonb_typeof(%3$I) OPERATOR(pg_catalog.=) ''object'')
             FROM %1$s', relation, note_column, entities_column);
        EXECUTE counts_query INTO left_now, failed_at_start;
        failed_now := failed_at_start;
        FOR round_number IN 1 .. shard_rounds[pg_catalog.cardinality(shard_rounds)] LOOP
            BEGIN
                LOCK TABLE @extschema@.clinical_ner_populate_runs IN ROW EXCLUSIVE MODE;
            EXCEPTION WHEN undefined_table THEN
                RAISE EXCEPTION USING MESSAGE = dropped, HINT = dropped_hint, ERRCODE = 'object_not_in_prerequisite_state';
            END;
            SELECT pg_catalog.array_agg(i ORDER BY i) INTO round_shards
            FROM pg_catalog.generate_subscripts(shard_rounds, 1) AS i
            WHERE shard_rounds[i] OPERATOR(pg_catalog.=) round_number;
            FOR outcome IN
                SELECT r.success, r.result, round_shards[r.ordinality] AS i
                FROM pg_catalog.master_run_on_worker(
                         ARRAY(SELECT shard_hosts[i] FROM pg_catalog.unnest(round_shards) AS i),
                         ARRAY(SELECT shard_ports[i] FROM pg_catalog.unnest(round_shards) AS i),
                         ARRAY(SELECT pg_catalog.format(shard_command, shards[i]) FROM pg_catalog.unnest(round_shards) AS i),
                         true) WITH ORDINALITY AS r
            LOOP
                CONTINUE WHEN outcome.success;
                unfilled_shards := unfilled_shards OPERATOR(pg_catalog.||)
                    pg_catalog.format('%s on %s:%s (%s)', shards[outcome.i], shard_hosts[outcome.i],
                                      shard_ports[outcome.i], outcome.result);
            END LOOP;
            -- A node that is down fails the count: the figures then stay those of the last round.
            BEGIN
                EXECUTE counts_query INTO left_now, failed_now;
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
            UPDATE @extschema@.clinical_ner_populate_runs AS r
            SET rows_done = pg_catalog.int8larger(total OPERATOR(pg_catalog.-) left_now, 0),
                rows_left = left_now,
                rows_failed = pg_catalog.int8larger(failed_now OPERATOR(pg_catalog.-) failed_at_start, 0),
                updated_at = pg_catalog.clock_timestamp()
            WHERE r.run_id OPERATOR(pg_catalog.=) run
            RETURNING r.rows_done AS done, r.rows_left AS left_to_do INTO progress;
            COMMIT;
            RAISE NOTICE 'populate_entities: % rows done, % left, % notes/s; round % of % over the shards',
                progress.done, progress.left_to_do,
                pg_catalog.round(CAST(CAST(progress.done AS pg_catalog.float8) OPERATOR(pg_catalog./)
                    pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started)
                    AS pg_catalog.numeric), 1),
                round_number, shard_rounds[pg_catalog.cardinality(shard_rounds)];
        END LOOP;
        IF pg_catalog.cardinality(unfilled_shards) OPERATOR(pg_catalog.>) 0 THEN
            RAISE EXCEPTION 'populate_entities: % of % shards of % were not filled: %',
                pg_catalog.cardinality(unfilled_shards), pg_catalog.cardinality(shards), relation,
                pg_catalog.array_to_string(unfilled_shards, '; ')
                USING HINT = 'Rows written so far are kept. Call populate_entities again once the nodes are back: it fills only the rows left.';
        END IF;
    ELSE
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
    END IF;

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
