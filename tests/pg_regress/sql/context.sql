-- Assertion status, note section and vocabulary code of each entity (issue: clinically usable output).
-- One note with a section per status; offsets make the rows independent of the model's scores.
\set note 'HISTORY OF PRESENT ILLNESS: Chest pain for two days. She denies fever. Possible pneumonia.\nPAST MEDICAL HISTORY: Hypertension.\nFAMILY HISTORY: Mother with breast cancer.\nMEDICATIONS: Aspirin 81 mg daily. Tylenol as needed for headache.\nALLERGIES: Penicillin.'
SELECT entity_type, mention, assertion, section
FROM extract_entities(:'note')
ORDER BY start_offset;
-- Every status and section value is one the documentation lists.
SELECT bool_and(assertion IN ('present', 'absent', 'possible', 'hypothetical', 'historical', 'family', 'allergy'))
         AS statuses_known,
       bool_and(section IS NULL OR section IN ('chief_complaint', 'history_of_present_illness',
         'past_medical_history', 'past_surgical_history', 'medications', 'discharge_medications',
         'allergies', 'family_history', 'social_history', 'review_of_systems', 'physical_examination',
         'results', 'hospital_course', 'diagnoses', 'procedures', 'assessment_and_plan'))
         AS sections_known
FROM extract_entities(:'note');
-- present_only keeps the mentions asserted for the patient now; the one-argument form keeps all.
SELECT extract_symptoms(:'note') AS all_symptoms,
       extract_symptoms(:'note', present_only => true) AS present_symptoms;
SELECT extract_diseases(:'note', true) AS present_diseases,
       extract_medications(:'note', false) = extract_medications(:'note') AS false_means_all;
SELECT extract_medications(NULL, true) IS NULL AS null_note, extract_medications('x', NULL) IS NULL AS null_option;
-- Vocabulary codes: spellings of one drug share its code, and a brand name gets its generic's.
SELECT mention, code_system, code, preferred_name, link_score > 0 AS scored
FROM extract_entities('Aspirin 81 mg daily. Started ASPIRIN. Takes metformin. Also Tylenol.')
ORDER BY start_offset;
SELECT preferred_name, count(*) AS mentions, array_agg(DISTINCT lower(mention)) AS spellings
FROM extract_entities('Aspirin 81 mg daily. Started ASPIRIN. Took aspirin yesterday.')
WHERE code IS NOT NULL
GROUP BY preferred_name;
-- The jsonb form carries the same fields, and the set-based form gives the same rows.
SELECT e->>'mention' AS mention, e->>'assertion' AS assertion, e->>'section' AS section,
       e->>'code' AS code, e->>'link_method' AS link_method
FROM jsonb_array_elements(extract_entities_json('ALLERGIES: Penicillin. She denies chest pain.')) AS e;
SELECT (SELECT array_agg(row(entity_type, mention, start_offset, assertion, section, code) ORDER BY start_offset)
        FROM extract_entities_batch(ARRAY[:'note']))
     = (SELECT array_agg(row(entity_type, mention, start_offset, assertion, section, code) ORDER BY start_offset)
        FROM extract_entities(:'note')) AS batch_matches_per_row;
-- Linking can be switched off (superuser setting), which leaves the codes NULL and nothing else changed.
SET clinical_ner.vocabulary_path = '';
SELECT mention, assertion, code IS NULL AS no_code FROM extract_entities('She denies taking aspirin.');
RESET clinical_ner.vocabulary_path;
-- A relative or missing vocabulary folder is a clear error naming the path, not a crash.
SET clinical_ner.vocabulary_path = 'relative/folder';
SET clinical_ner.vocabulary_path = '/nonexistent/clinical_ner/vocabulary';
SELECT count(*) FROM extract_entities('Aspirin.');
SELECT count(*) AS medications_without_codes FROM unnest(extract_medications('Aspirin.'));
RESET clinical_ner.vocabulary_path;
-- Ordinary roles cannot point the server at another folder.
CREATE ROLE clinical_ner_context_reader;
SET ROLE clinical_ner_context_reader;
SET clinical_ner.vocabulary_path = '/tmp';
RESET ROLE;
DROP ROLE clinical_ner_context_reader;
-- Allergies written as sentences, not only under a heading, are not exposures: the 'allergy'
-- status, which present_only leaves out; a drug the patient takes beside them stays present.
\set allergies 'Allergic to penicillin. She has a sulfa allergy. No known allergy to codeine. Takes aspirin daily.'
SELECT mention, assertion FROM extract_entities(:'allergies') WHERE entity_type = 'medication' ORDER BY start_offset;
SELECT extract_medications(:'allergies', present_only => true) AS exposures;
