-- The set-based calls give what the per-row calls give, note by note, and keep NULLs in place.
\i ../../sql/examples/sample_notes.sql
WITH batch AS (
    SELECT r.id, r.entities
    FROM (SELECT array_agg(id ORDER BY id) AS ids, array_agg(note ORDER BY id) AS notes FROM sample_notes) AS a,
         unnest(a.ids, extract_entities_json_batch(a.notes)) AS r(id, entities))
SELECT count(*) AS notes, bool_and(batch.entities = extract_entities_json(s.note)) AS json_matches_per_row
FROM sample_notes AS s JOIN batch USING (id);
SELECT (SELECT count(*) FROM extract_entities_batch((SELECT array_agg(note ORDER BY id) FROM sample_notes)))
     = (SELECT count(*) FROM sample_notes, extract_entities(note)) AS same_row_count;
SELECT note_index, entity_type, mention, start_offset, end_offset
FROM extract_entities_batch(ARRAY['Started aspirin for fever.', NULL, '', 'Denies chest pain.']);
SELECT extract_entities_json_batch(ARRAY['Started aspirin.', NULL, ''])::text[] IS NOT NULL AS has_result,
       (extract_entities_json_batch(ARRAY['Started aspirin.', NULL, '']))[2] IS NULL AS null_stays_null,
       (extract_entities_json_batch(ARRAY['Started aspirin.', NULL, '']))[3] AS empty_note;
SELECT extract_entities_json_batch(NULL::text[]) IS NULL AS null_array;
SELECT cardinality(extract_entities_json_batch('{}'::text[])) AS empty_array;
-- An array sent without its type (psycopg sends Python lists so) reaches the batch names as text[].
-- The set-based calls' old names, kept for 0.6.0 only, are gone since 0.7.0: a typed array under them
-- is an error, not a silent answer.
SELECT cardinality(extract_entities_json_batch('{"Took aspirin.","Denies fever."}')) AS notes_of_untyped_array,
       (SELECT count(DISTINCT note_index) FROM extract_entities_batch('{"Took aspirin.","Denies fever."}')) AS notes_with_rows;
SELECT extract_entities_json(ARRAY['Took aspirin.', NULL]);
SELECT * FROM extract_entities(ARRAY['Took aspirin.']);
-- A filled column (extract_entities_json, populate_entities) expands into the rows extract_entities
-- returns, without running the model: no row differs either way.
SELECT count(*) AS differing_rows FROM (
    (SELECT s.id, e.* FROM sample_notes AS s, expand_entities(extract_entities_json(s.note)) AS e
     EXCEPT ALL SELECT s.id, e.* FROM sample_notes AS s, extract_entities(s.note) AS e)
    UNION ALL
    (SELECT s.id, e.* FROM sample_notes AS s, extract_entities(s.note) AS e
     EXCEPT ALL SELECT s.id, e.* FROM sample_notes AS s, expand_entities(extract_entities_json(s.note)) AS e)) AS d;
SELECT count(*) AS no_entities FROM expand_entities('[]');
SELECT count(*) AS null_rows FROM expand_entities(NULL);
-- Anything else is a clear error that does not quote the value (it may hold a mention).
SELECT * FROM expand_entities('{"entity_type": "medication"}');
-- A note populate_entities could not extract has no rows.
SELECT count(*) AS failed_note_rows FROM expand_entities('{"error": "a note over the size limit", "sqlstate": "54000"}');
SELECT * FROM expand_entities('[{"entity_type": "medication", "mention": "Mrs Smith took aspirin"}]');
