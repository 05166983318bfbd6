-- Medication attributes (issue 22): strength, dose, route, frequency, duration and the daily dose,
-- read by rules after (and right before) each medication mention; NULL where the note does not say.
-- A list, running prose, abbreviations, PRN, a range, a taper, per-kg dosing and a bare mention.
\set note 'MEDICATIONS:\n1. Metformin 500 mg p.o. b.i.d.\n2. Lisinopril 10 mg daily and metoprolol 25 mg BID.\n3. Albuterol 2 puffs q4-6h prn.\n4. Norco 1-2 tablets q6h as needed for pain.\n5. Prednisone 40 mg daily for 5 days, then 20 mg daily.\n6. Vancomycin 15 mg/kg IV q12h.\n7. Lantus 20 units subcutaneously at bedtime.\nShe also takes aspirin.'
SELECT mention, strength_value, strength_unit, dose_amount, dose_form, route, frequency, per_day,
       as_needed, duration_days, tapering, daily_dose, daily_dose_unit
FROM extract_medication_attributes(:'note')
ORDER BY start_offset;
-- Each attribute's offsets point at its words in the note.
SELECT e.mention, a.key AS attribute,
       substr(:'note', (a.value->>0)::int + 1, (a.value->>1)::int - (a.value->>0)::int) AS written
FROM extract_medication_attributes(:'note') AS e, jsonb_each(e.attribute_offsets) AS a
WHERE e.mention IN ('Metformin', 'Lantus')
ORDER BY e.start_offset, (a.value->>0)::int;
-- The same mentions, codes and assertions as extract_entities.
SELECT count(*) AS differing
FROM (SELECT mention, start_offset, assertion, code FROM extract_medication_attributes(:'note')
      EXCEPT
      SELECT mention, start_offset, assertion, code FROM extract_entities(:'note') WHERE entity_type = 'medication') AS d;
-- Total daily dose per patient per drug, as the README shows it.
CREATE TABLE dosing_notes (patient int, note text);
INSERT INTO dosing_notes VALUES
    (1, 'Metformin 500 mg twice daily. Lisinopril 10 mg daily.'),
    (1, 'Metformin 1000 mg BID.'),
    (2, 'Lisinopril 20 mg PO daily; tylenol as needed.');
SELECT d.patient, coalesce(a.preferred_name, a.mention) AS drug, sum(a.daily_dose) AS total_daily_dose,
       min(a.daily_dose_unit) AS unit
FROM dosing_notes AS d, extract_medication_attributes(d.note) AS a
WHERE a.daily_dose IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2;
DROP TABLE dosing_notes;
-- Hostile input: NULL, empty, numbers without end, unit soup; a defined result, no error.
SELECT count(*) FROM extract_medication_attributes(NULL);
SELECT count(*) FROM extract_medication_attributes('');
SELECT mention, daily_dose IS NULL OR daily_dose < 'infinity'::float8 AS finite
FROM extract_medication_attributes('Aspirin ' || repeat('9', 5000) || ' mg ' || repeat('q', 5000) || ' q0h');
SELECT count(*) >= 1 AS rows
FROM extract_medication_attributes(repeat('Aspirin 81 mg / mg / kg % q q q daily then ', 200));
-- The same dosing in the JSON form (and so in a filled column), under "attributes", for the
-- medications whose note gives any; no key for the others.
SELECT e->>'mention' AS mention, e->'attributes'->>'daily_dose' AS daily_dose,
       e->'attributes'->>'frequency' AS frequency, e ? 'attributes' AS has_attributes
FROM jsonb_array_elements(extract_entities_json('Metformin 500 mg BID. Took aspirin. Denies fever.')) AS e;
SELECT count(*) AS differing
FROM (SELECT mention, start_offset, daily_dose, per_day, route FROM extract_medication_attributes(:'note')
      WHERE attribute_offsets <> '{}'
      EXCEPT
      SELECT e->>'mention', (e->>'start_offset')::int, (e->'attributes'->>'daily_dose')::float8,
             (e->'attributes'->>'per_day')::float8, e->'attributes'->>'route'
      FROM jsonb_array_elements(extract_entities_json(:'note')) AS e
      WHERE e ? 'attributes') AS d;
