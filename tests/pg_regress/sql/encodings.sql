-- Databases whose encoding is not UTF-8: the engine reads UTF-8, and PostgreSQL hands the extension
-- a note's bytes in the database's own encoding. Defined results, in databases of their own:
-- LATIN1 (any single-byte encoding alike): ASCII notes are extracted as in UTF-8; a note with any
-- other character is a clear ERROR that names no note text, and the session goes on. The failing
-- statements run with log_min_error_statement = error (PostgreSQL's default): the extension's own
-- error keeps the statement, note and all, out of the server log, which the test script checks.
CREATE DATABASE clinical_ner_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE clinical_ner_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c clinical_ner_latin1
CREATE EXTENSION clinical_ner;
SET log_min_error_statement = error;
SELECT extract_medications('Started metformin for type 2 diabetes.');
SELECT mention, start_offset, end_offset FROM extract_entities('Took aspirin.');
SELECT extract_medications('PHI-MARKER Café patient started metformin.');
SELECT extract_diseases('PHI-MARKER Café patient has asthma.', true);
SELECT count(*) FROM extract_entities('PHI-MARKER Café patient started metformin.');
SELECT extract_symptoms('Denies fever.') AS session_goes_on;
-- The set-based call applies the same rule to each note of its array.
SELECT extract_entities_json_batch(ARRAY['Took aspirin.', 'PHI-MARKER Café patient.']);
SELECT jsonb_array_length((extract_entities_json_batch(ARRAY['Took aspirin.', NULL]))[1]) AS ascii_array_works;
-- A batch fill gets past such a note: the others are filled, it is marked with the error (no note
-- text in it), the run counts it, and the next call has nothing left to do.
CREATE TABLE notes (id int PRIMARY KEY, note text, entities jsonb);
INSERT INTO notes SELECT i, 'Took aspirin for fever, visit ' || i || '.' FROM generate_series(1, 9) AS i;
INSERT INTO notes VALUES (5, 'PHI-MARKER Café: started metformin.', NULL) ON CONFLICT (id) DO UPDATE SET note = excluded.note;
SET client_min_messages = warning;  -- the NOTICE reports a speed
CALL populate_entities('notes', 'note', 'entities', 4);
SELECT id, jsonb_typeof(entities) AS kind, entities->>'sqlstate' AS sqlstate, entities->>'error' AS error,
       entities::text LIKE '%PHI-MARKER%' AS holds_note_text
FROM notes WHERE jsonb_typeof(entities) <> 'array' OR entities IS NULL;
SELECT count(*) FILTER (WHERE entities @> '[{"mention": "aspirin"}]') AS filled FROM notes;
SELECT rows_done, rows_failed, rows_left FROM clinical_ner_populate_progress;
CALL populate_entities('notes', 'note', 'entities', 4);
RESET client_min_messages;
SELECT rows_done, rows_failed FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1;
-- SQL_ASCII stores bytes unchecked: UTF-8 text works (offsets count characters, while substr counts
-- bytes in such a database); bytes that are not UTF-8 are a clear ERROR.
\c clinical_ner_sql_ascii
CREATE EXTENSION clinical_ner;
SET log_min_error_statement = error;
SELECT mention, start_offset, end_offset FROM extract_entities('Café: started metformin.');
SELECT extract_medications(E'PHI-MARKER Caf\xe9: started metformin.');
SELECT extract_medications('Took aspirin.') AS session_goes_on;
\c clinical_ner_regress
DROP DATABASE clinical_ner_latin1;
DROP DATABASE clinical_ner_sql_ascii;
