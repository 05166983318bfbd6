-- populate_entities fills a jsonb column of a whole table, batch by batch; timings stay out of the output.
SET client_min_messages = warning;
\i ../../sql/examples/sample_notes.sql
-- Hostile identifiers: names that would break or extend a query built by pasting them in.
CREATE TABLE victims (id int);
CREATE TABLE "notes; DROP TABLE victims; --" (id int PRIMARY KEY, "note"" text" text, "entities'); DROP TABLE victims; --" jsonb);
INSERT INTO "notes; DROP TABLE victims; --" SELECT id, note FROM sample_notes;
INSERT INTO "notes; DROP TABLE victims; --" VALUES (100, NULL), (101, ''), (102, 'PHI-MARKER-7 ' || repeat('x', 10));
CALL populate_entities('"notes; DROP TABLE victims; --"', 'note" text', 'entities''); DROP TABLE victims; --', 5);
SELECT to_regclass('victims') IS NOT NULL AS victims_still_there;
SELECT count(*) AS rows,
       count("entities'); DROP TABLE victims; --") AS filled,
       count(*) FILTER (WHERE "entities'); DROP TABLE victims; --" = extract_entities_json("note"" text")) AS same_as_per_row,
       count(*) FILTER (WHERE "note"" text" IS NULL AND "entities'); DROP TABLE victims; --" IS NULL) AS null_notes_left_alone,
       count(*) FILTER (WHERE "entities'); DROP TABLE victims; --" = '[]') AS empty_results
FROM "notes; DROP TABLE victims; --";
SELECT relation, state, rows_done, rows_left, notes_per_second > 0 AS has_rate, estimated_time_left
FROM clinical_ner_populate_progress ORDER BY run_id;
-- A second call finds nothing to do and changes nothing.
CREATE TABLE fills (id int, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION count_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO fills (id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER count_fill AFTER UPDATE ON "notes; DROP TABLE victims; --" FOR EACH ROW EXECUTE FUNCTION count_fill();
CALL populate_entities('"notes; DROP TABLE victims; --"', 'note" text', 'entities''); DROP TABLE victims; --');
SELECT count(*) AS rows_filled_again FROM fills;
-- Rows emptied or added since are filled by the next call, each once.
UPDATE "notes; DROP TABLE victims; --" SET "entities'); DROP TABLE victims; --" = NULL WHERE id IN (1, 2);
INSERT INTO "notes; DROP TABLE victims; --" VALUES (103, 'Started lisinopril for hypertension.');
TRUNCATE fills;
CALL populate_entities('"notes; DROP TABLE victims; --"', 'note" text', 'entities''); DROP TABLE victims; --', 1);
SELECT id, count(*) AS times_filled FROM fills GROUP BY id ORDER BY id;
SELECT "entities'); DROP TABLE victims; --" @> '[{"mention": "lisinopril"}]' AS new_row_filled
FROM "notes; DROP TABLE victims; --" WHERE id = 103;
-- A partitioned table: partitions share ctids, and each row still gets its own note's entities.
CREATE TABLE visits (id int, site text, note varchar, entities jsonb) PARTITION BY LIST (site);
CREATE TABLE visits_a PARTITION OF visits FOR VALUES IN ('a');
CREATE TABLE visits_b PARTITION OF visits FOR VALUES IN ('b');
INSERT INTO visits SELECT id, 'a', note FROM sample_notes;
INSERT INTO visits SELECT id + 100, 'b', note || ' Also started aspirin.' FROM sample_notes;
CALL populate_entities('visits', 'note', batch_size => 4);
SELECT tableoid::regclass AS partition, count(*) AS rows,
       count(*) FILTER (WHERE entities = extract_entities_json(note)) AS same_as_per_row
FROM visits GROUP BY 1 ORDER BY 1;
-- Inside a transaction block it cannot commit per batch: an error, and nothing is written.
ALTER TABLE visits ADD COLUMN entities_again jsonb;
BEGIN;
CALL populate_entities('visits', 'note', 'entities_again');
ROLLBACK;
SELECT count(entities_again) AS written FROM visits;
-- Bad arguments are clear errors.
CALL populate_entities('visits', 'note', 'entities', 0);
CALL populate_entities('visits', 'missing', 'entities');
CALL populate_entities('visits', 'id', 'entities');
CALL populate_entities('visits', 'note', 'site');
CALL populate_entities('visits', 'note', 'no_such_column');
CREATE VIEW visit_view AS SELECT * FROM visits;
CALL populate_entities('visit_view', 'note', 'entities');
CALL populate_entities('no_such_table', 'note', 'entities');
-- An ordinary role fills its own table with its own privileges, sees every run and changes only its own.
CREATE ROLE clinical_ner_filler LOGIN;
CREATE SCHEMA filler AUTHORIZATION clinical_ner_filler;
SET ROLE clinical_ner_filler;
CREATE TABLE filler.notes (note text, entities jsonb);
INSERT INTO filler.notes VALUES ('Started aspirin for fever.');
CALL populate_entities('filler.notes', 'note');
SELECT entities @> '[{"mention": "aspirin"}]' AS filled FROM filler.notes;
SELECT count(*) > 1 AS sees_every_run FROM clinical_ner_populate_progress;
WITH changed AS (UPDATE clinical_ner_populate_runs SET rows_done = 0 WHERE run_by <> current_user RETURNING 1)
SELECT count(*) AS others_runs_changed FROM changed;
-- Runs are recorded only as oneself, from one's own session, for a column one may fill; a role
-- deletes its own runs and no others.
\set VERBOSITY terse
INSERT INTO clinical_ner_populate_runs (relation, note_column, entities_column, rows_left)
VALUES ('visits', 'note', 'entities', 1);
INSERT INTO clinical_ner_populate_runs (relation, note_column, entities_column, rows_left)
VALUES ('filler.notes', 'note', 'entities', 1) RETURNING run_by = current_user AS recorded_as_self;
UPDATE clinical_ner_populate_runs SET run_by = 'postgres' WHERE run_by = current_user;
UPDATE clinical_ner_populate_runs SET pid = 1 WHERE run_by = current_user;
\set VERBOSITY default
WITH deleted AS (DELETE FROM clinical_ner_populate_runs RETURNING run_by)
SELECT count(*) FILTER (WHERE run_by = current_user) > 0 AS own_deleted,
       count(*) FILTER (WHERE run_by <> current_user) AS others_deleted FROM deleted;
CALL populate_entities('visits', 'note', 'entities_again');
RESET ROLE;
DROP SCHEMA filler CASCADE;
DROP ROLE clinical_ner_filler;
-- When the extension itself cannot extract (here: its model folder is gone), the fill stops with the
-- error, and no row is marked as a failed note.
ALTER TABLE visits ADD COLUMN entities_broken jsonb;
SET clinical_ner.model_path = '/nonexistent/model';
CALL populate_entities('visits', 'note', 'entities_broken', 4);
RESET clinical_ner.model_path;
SELECT count(entities_broken) AS marked FROM visits;
SELECT rows_done, rows_failed FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1;
-- A trigger that sets the column back to NULL: each row is written once, the call ends and says so
-- (it used to select the same rows again for ever).
CREATE TABLE stubborn (id int, note text, entities jsonb);
INSERT INTO stubborn VALUES (1, 'Took aspirin.'), (2, 'Denies fever.'), (3, 'History of asthma.');
CREATE FUNCTION keep_entities_null() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.entities := NULL; RETURN NEW; END $$;
CREATE TRIGGER keep_entities_null BEFORE UPDATE ON stubborn FOR EACH ROW EXECUTE FUNCTION keep_entities_null();
SET statement_timeout = '60s';
SET client_min_messages = warning;
CALL populate_entities('stubborn', 'note', batch_size => 2);
RESET client_min_messages;
RESET statement_timeout;
SELECT state, rows_done, rows_left FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1;
DROP TABLE stubborn;
DROP FUNCTION keep_entities_null();
-- A fill stopped by a statement_timeout shows as stopped, with its process id, while its session
-- stays connected (it used to show as running as long as the session lived).
CREATE TABLE slow_fill (id int, note text, entities jsonb);
INSERT INTO slow_fill SELECT i, repeat('The patient walked in the garden with her family. ', 100) FROM generate_series(1, 300) AS i;
\set VERBOSITY terse
SET client_min_messages = warning;  -- the NOTICEs report a speed
SET statement_timeout = '1s';
CALL populate_entities('slow_fill', 'note', batch_size => 1);
RESET statement_timeout;
RESET client_min_messages;
\set VERBOSITY default
SELECT state, pid = pg_backend_pid() AS this_session, rows_done > 0 AS some_done, finished_at IS NULL AS unfinished
FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1;
DROP TABLE slow_fill;
