-- Codes an analyst can count on. clinical_ner_link gives the code a mention links to, as
-- extract_entities does. The mentions below are those that 0.4.0 linked wrongly (approximate matches
-- between real words, or a drug a letter away) or left unlinked (generic names DrugBank files under
-- products or salts, brand names, head words of diseases); see docs/linking-guidelines.md.
SELECT m.mention, m.entity_type, l.code_system, l.code, l.preferred_name, l.link_method, l.link_score
FROM (VALUES ('insulin', 'medication'), ('Dilantin', 'medication'), ('Betadine', 'medication'),
             ('nostril', 'medication'), ('hyperextension', 'disease'), ('renal disease', 'disease'),
             ('spondylolysis', 'disease'), ('diabetes', 'disease'), ('diabetic', 'disease'),
             ('hypertensive', 'disease'), ('asthmatic', 'disease'), ('Xylocaine', 'medication'),
             ('Versed', 'medication'), ('penicillin', 'medication'), ('lithium', 'medication'),
             ('Percocet', 'medication'), ('Florinef', 'medication'), ('Alupent', 'medication'))
     AS m(mention, entity_type)
LEFT JOIN LATERAL clinical_ner_link(m.mention, m.entity_type) AS l ON true;
-- A misspelling of one word that is no real word still links, where the type's threshold allows:
-- diseases from 0.85 of similarity, medications only from 0.9 (drug names a letter apart are
-- often different drugs).
SELECT * FROM clinical_ner_link('hypertensoin', 'disease');
SELECT count(*) AS metfromin_links FROM clinical_ner_link('metfromin', 'medication');
-- A concept named by the mention wins over one that lists it as a synonym in the mention's case
-- (DrugBank lists "propranolol" under Dexpropranolol); a subtype written last is looked up first.
SELECT m.mention, l.code, l.preferred_name, l.link_method
FROM (VALUES ('propranolol', 'medication'), ('verapamil', 'medication'),
             ('Diabetes mellitus type 2', 'disease'), ('diabetes mellitus type 1', 'disease'))
     AS m(mention, entity_type)
LEFT JOIN LATERAL clinical_ner_link(m.mention, m.entity_type) AS l ON true;
-- Folding: case, plurals, doses and salts.
SELECT code, link_method FROM clinical_ner_link('Metformin 500 mg PO BID', 'medication');
SELECT code, link_method FROM clinical_ner_link('metoprolol succinate', 'medication');
-- A symptom written as an adjective or a verb links to its noun, an eponym to its disease; a disease's
-- adjective does not ("herniated" is cut from "herniated disc"); a lab analyte gets no drug code.
SELECT m.mention, m.entity_type, l.code, l.preferred_name, l.link_method
FROM (VALUES ('dyspneic', 'symptom'), ('diaphoretic', 'symptom'), ('vomits', 'symptom'),
             ('Addison''s', 'disease'), ('diaphoretic', 'disease'), ('herniated', 'disease'),
             ('glucose', 'medication'), ('creatinine', 'medication'), ('calcium', 'medication'))
     AS m(mention, entity_type)
LEFT JOIN LATERAL clinical_ner_link(m.mention, m.entity_type) AS l ON true;
-- Wrong input is a clear error; NULL gives no row; without a vocabulary there are no codes.
SELECT * FROM clinical_ner_link('aspirin', 'drug');
SELECT count(*) AS null_rows FROM clinical_ner_link(NULL, 'medication');
SET clinical_ner.vocabulary_path = '';
SELECT count(*) AS rows_without_vocabulary FROM clinical_ner_link('aspirin', 'medication');
RESET clinical_ner.vocabulary_path;
-- The vocabulary names the team's supplement and the English word list among its sources.
SELECT s->>'code_system' AS code_system, s->>'licence' LIKE 'CC0%' OR s->>'licence' LIKE 'SCOWL%' AS licence_named
FROM clinical_ner_vocabulary(), jsonb_array_elements(sources) AS s
WHERE s->>'code_system' IN ('supplement', 'english');
