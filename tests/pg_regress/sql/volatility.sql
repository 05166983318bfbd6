-- The functions are IMMUTABLE, STRICT and PARALLEL SAFE, so they serve in generated columns,
-- CREATE TABLE AS, materialized views and parallel plans.
SELECT proname, provolatile, proisstrict, proparallel
FROM pg_proc WHERE proname LIKE 'extract\_%' OR proname = 'clinical_ner_models' ORDER BY proname;
CREATE TABLE generated_notes (
    id int PRIMARY KEY,
    note text,
    medications text[] GENERATED ALWAYS AS (extract_medications(note)) STORED
);
INSERT INTO generated_notes (id, note) VALUES (1, 'Started metformin for diabetes.'), (2, NULL), (3, '');
SELECT id, medications FROM generated_notes ORDER BY id;
UPDATE generated_notes SET note = 'Switched to insulin glargine.' WHERE id = 1;
SELECT id, medications FROM generated_notes WHERE id = 1;
CREATE TABLE entities_ctas AS
SELECT g.id, e.* FROM generated_notes AS g, extract_entities(g.note) AS e;
SELECT id, entity_type, mention FROM entities_ctas ORDER BY id, start_offset;
CREATE MATERIALIZED VIEW note_symptoms AS
SELECT id, extract_symptoms(note) AS symptoms FROM generated_notes;
INSERT INTO generated_notes (id, note) VALUES (4, 'Complains of nausea and dizziness.');
REFRESH MATERIALIZED VIEW note_symptoms;
SELECT * FROM note_symptoms ORDER BY id;
DROP MATERIALIZED VIEW note_symptoms;
DROP TABLE entities_ctas, generated_notes;
