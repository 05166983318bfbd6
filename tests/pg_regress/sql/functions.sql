-- The acceptance sentence of the product.
SELECT extract_medications('Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.');
SELECT extract_diseases('Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.');
SELECT extract_symptoms('Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.');
SELECT entity_type, mention, start_offset, end_offset, score > 0.5 AS confident
FROM extract_entities('Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.');
-- The same entities as jsonb, in the same order (the stored form adds link_method and a medication's
-- dosing attributes).
SELECT jsonb_agg(e - 'score' - 'link_score' - 'link_method' - 'attributes') = (
         SELECT jsonb_agg(jsonb_build_object('entity_type', entity_type, 'mention', mention,
                                             'start_offset', start_offset, 'end_offset', end_offset,
                                             'assertion', assertion, 'section', section,
                                             'code_system', code_system, 'code', code,
                                             'preferred_name', preferred_name))
         FROM extract_entities('Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.'))
       AS json_matches_rows
FROM jsonb_array_elements(extract_entities_json(
       'Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.')) AS e;
-- NULL gives NULL; an empty note gives an empty result.
SELECT extract_medications(NULL) IS NULL AS null_medications,
       extract_diseases(NULL) IS NULL AS null_diseases,
       extract_symptoms(NULL) IS NULL AS null_symptoms,
       extract_entities_json(NULL) IS NULL AS null_json;
SELECT count(*) AS rows_for_null FROM extract_entities(NULL);
SELECT extract_medications(''), extract_diseases(''), extract_symptoms(''), extract_entities_json('');
SELECT count(*) AS rows_for_empty FROM extract_entities('');
-- Mentions come in order of appearance, as written (case kept).
SELECT extract_medications('Aspirin 81 mg, then WARFARIN, then aspirin again.');
