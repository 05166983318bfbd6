-- Site rule folders (issue 19): clinical_ner.rules_path names a folder whose files extend the
-- built-in clinical rules (tests/pg_regress/site_rules/good: a local refusal word, "rule out"
-- switched off, a route); a malformed file or a stray one is an ERROR naming the file and line.
\getenv abs_srcdir PG_ABS_SRCDIR
\set good :abs_srcdir '/site_rules/good'
\set bad :abs_srcdir '/site_rules/bad'
\set stray :abs_srcdir '/site_rules/stray'
\set note 'Pt nixed aspirin. Rule out sepsis. Metformin 500 mg via jejunostomy daily.'
-- The built-in rules: "nixed" says nothing, "rule out" makes a possible finding, no route.
SELECT mention, assertion FROM extract_entities(:'note') ORDER BY start_offset;
SELECT mention, route FROM extract_medication_attributes(:'note') ORDER BY start_offset;
SET clinical_ner.rules_path = :'good';
SELECT current_setting('clinical_ner.rules_path') = :'good' AS the_site_folder_is_set;
SELECT mention, assertion FROM extract_entities(:'note') ORDER BY start_offset;
SELECT mention, route FROM extract_medication_attributes(:'note') ORDER BY start_offset;
-- The stored form and the set-based call follow the same rules.
SELECT e->>'mention' AS mention, e->>'assertion' AS assertion, e->'attributes'->>'route' AS route
FROM jsonb_array_elements(extract_entities_json(:'note')) AS e;
SELECT count(*) AS absent_aspirin
FROM unnest(extract_entities_json_batch(ARRAY[:'note', :'note'])) AS n, jsonb_array_elements(n) AS e
WHERE e->>'mention' = 'aspirin' AND e->>'assertion' = 'absent';
-- A malformed line, and a file the folder should not hold: the file (and line) named, the
-- folder's path masked here because it depends on the checkout.
SET clinical_ner.rules_path = :'bad';
DO $$ BEGIN PERFORM extract_entities('Pt nixed aspirin.');
EXCEPTION WHEN config_file_error THEN RAISE NOTICE '%', regexp_replace(SQLERRM, '"/[^"]*"', '"<folder>"'); END $$;
SET clinical_ner.rules_path = :'stray';
DO $$ BEGIN PERFORM extract_entities('Pt nixed aspirin.');
EXCEPTION WHEN config_file_error THEN RAISE NOTICE '%', regexp_replace(SQLERRM, '"/[^"]*"', '"<folder>"'); END $$;
-- Fixed, the next call reads the folder again; back to the built-in rules with ''.
SET clinical_ner.rules_path = :'good';
SELECT assertion FROM extract_entities('Pt nixed aspirin.') WHERE mention = 'aspirin';
SET clinical_ner.rules_path = '';
SELECT assertion FROM extract_entities('Pt nixed aspirin.') WHERE mention = 'aspirin';
-- A relative path is refused, and so is every role but a superuser: the setting loads files.
SET clinical_ner.rules_path = 'site_rules/good';
CREATE ROLE clinical_ner_site_rules_reader;
SET ROLE clinical_ner_site_rules_reader;
SET clinical_ner.rules_path = '/tmp';
RESET ROLE;
DROP ROLE clinical_ner_site_rules_reader;
RESET clinical_ner.rules_path;
