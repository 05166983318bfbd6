-- What the demo shows: the three list functions, the rich function (assertion, section, codes),
-- drugs grouped by code, filling structured columns
-- over a table, and the offsets law on every extracted row.
\pset pager off

\echo '--- the three list functions on one note'
SELECT extract_medications(n) AS medications,
       extract_diseases(n)    AS diseases,
       extract_symptoms(n)    AS symptoms
FROM (VALUES ('Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.')) AS t(n);

\echo '--- every entity of note 2: offsets, score, assertion status, section and vocabulary code'
SELECT e.entity_type, e.mention, e.start_offset, e.end_offset, round(e.score::numeric, 3) AS score,
       e.assertion, e.section, e.code, e.preferred_name
FROM sample_notes, extract_entities(note) AS e
WHERE id = 2;

\echo '--- drugs the notes say the patient takes, grouped by code whatever the spelling'
SELECT e.preferred_name, e.code, count(DISTINCT id) AS notes, array_agg(DISTINCT e.mention) AS written_as
FROM sample_notes, extract_entities(note) AS e
WHERE e.entity_type = 'medication' AND e.assertion = 'present'
  AND e.section IS DISTINCT FROM 'allergies' AND e.code IS NOT NULL
GROUP BY e.preferred_name, e.code
ORDER BY notes DESC, e.preferred_name
LIMIT 10;

\echo '--- structured columns for the whole table (a batch job)'
DROP TABLE IF EXISTS sample_note_structured;
CREATE TABLE sample_note_structured AS
SELECT id,
       extract_medications(note) AS medications,
       extract_diseases(note)    AS diseases,
       extract_symptoms(note)    AS symptoms
FROM sample_notes;
SELECT * FROM sample_note_structured ORDER BY id;

\echo '--- the offsets law on every extracted row: substr(note, start + 1, end - start) = mention'
SELECT count(*) AS entities,
       bool_and(substr(note, start_offset + 1, end_offset - start_offset) = mention) AS offsets_hold
FROM sample_notes, extract_entities(note);

\echo '--- dosing of each medication mention, and the daily dose where the note fixes one'
SELECT id, mention, strength_value, strength_unit, route, frequency, per_day, as_needed, daily_dose, daily_dose_unit
FROM sample_notes, extract_medication_attributes(note)
WHERE strength_value IS NOT NULL OR route IS NOT NULL OR frequency IS NOT NULL
ORDER BY id, start_offset;

\echo '--- the linking vocabulary this session uses'
SELECT path, terms, term_counts FROM clinical_ner_vocabulary();

\echo '--- the model this session uses'
SELECT name, version, device, cpu_int8_instructions, left(checksum, 12) AS checksum, labels FROM clinical_ner_models();
