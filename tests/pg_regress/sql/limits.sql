-- What one statement may cost the server is bounded, and only a superuser may raise the bounds.
-- The note size: a note over clinical_ner.max_note_size is a clear ERROR naming its size, never its
-- text, before anything reads it; the session goes on.
LOAD 'clinical_ner';
SHOW clinical_ner.max_note_size;
SELECT extract_medications('PHI-MARKER-4411 ' || repeat('x', 1024 * 1024));
SELECT count(*) FROM extract_entities('PHI-MARKER-4412 ' || repeat('x ', 600 * 1024));
SELECT extract_entities_json_batch(ARRAY['Took aspirin.', 'PHI-MARKER-4413 ' || repeat('x', 1024 * 1024)]);
SELECT extract_medications('Took aspirin.') AS session_goes_on;
CREATE ROLE clinical_ner_limited LOGIN;
SET ROLE clinical_ner_limited;
SET clinical_ner.max_note_size = '64MB';
RESET ROLE;
DROP ROLE clinical_ner_limited;
-- Raised by a superuser, the same kind of note is read: a stretch without whitespace is cut into
-- bounded pieces (each an unknown word to the model), and what follows it is still found.
SET clinical_ner.max_note_size = '2MB';
SELECT 'aspirin' = ANY (extract_medications(repeat('x', 1024 * 1024) || ' Took aspirin.')) AS found_after_the_stretch;
RESET clinical_ner.max_note_size;
-- A fill marks an over-size row as failed, with the error and no note text, and fills the others.
CREATE TABLE big_notes (id int, note text, entities jsonb);
INSERT INTO big_notes VALUES (1, 'Took aspirin.'), (2, 'PHI-MARKER-4414 ' || repeat('y', 2 * 1024 * 1024)), (3, 'Denies fever.');
SET client_min_messages = error;
CALL populate_entities('big_notes', 'note');
RESET client_min_messages;
SELECT id, jsonb_typeof(entities) AS kind, entities->>'sqlstate' AS sqlstate, entities->>'error' AS error,
       entities::text LIKE '%PHI-MARKER%' AS holds_note_text
FROM big_notes ORDER BY id;
DROP TABLE big_notes;
-- Threads: each ONNX Runtime thread is an OS thread, so no role may ask for more than the cores
-- (a thousand made a backend deaf to cancels for a minute).
\set VERBOSITY terse
SET clinical_ner.intra_op_threads = 1024;
\set VERBOSITY default
SHOW clinical_ner.intra_op_threads;
SET clinical_ner.intra_op_threads = 1;
SELECT extract_medications('Took aspirin.') AS one_thread;
RESET clinical_ner.intra_op_threads;
