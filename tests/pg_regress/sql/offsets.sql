-- The offsets law on every row of the sample notes: 0-based start, exclusive end, in characters.
\set ECHO none
\i ../../sql/examples/sample_notes.sql
\set ECHO all
SELECT count(*) > 30 AS many_entities,
       count(DISTINCT entity_type) AS entity_types,
       bool_and(substr(note, start_offset + 1, end_offset - start_offset) = mention) AS offsets_hold,
       bool_and(start_offset >= 0 AND end_offset <= length(note) AND start_offset < end_offset) AS within_note,
       bool_and(score > 0 AND score <= 1) AS scores_are_probabilities
FROM sample_notes, extract_entities(note);
-- The list functions agree with extract_entities, note by note, in order.
SELECT bool_and(extract_medications(note) = coalesce((SELECT array_agg(mention ORDER BY start_offset)
                                                      FROM extract_entities(note)
                                                      WHERE entity_type = 'medication'), '{}'))
       AS medications_agree,
       bool_and(extract_symptoms(note) = coalesce((SELECT array_agg(mention ORDER BY start_offset)
                                                   FROM extract_entities(note)
                                                   WHERE entity_type = 'symptom'), '{}'))
       AS symptoms_agree
FROM sample_notes;
-- Multi-byte text: offsets count characters, as substr does.
SELECT mention, start_offset, end_offset,
       substr(note, start_offset + 1, end_offset - start_offset) = mention AS law_holds,
       octet_length(left(note, start_offset)) > start_offset AS multibyte_before
FROM sample_notes, extract_entities(note)
WHERE id = 9
ORDER BY start_offset;
