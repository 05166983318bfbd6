-- Note text is protected health information: errors about a note never repeat it. The test script
-- also checks that the server log holds no trace of the marker below.
\set VERBOSITY verbose
SET clinical_ner.model_path = '/nonexistent/phi-test';
SELECT extract_entities_json('PHI-MARKER-7f3a Jane Roe, MRN 0042, has chest pain.');
SELECT * FROM extract_entities('PHI-MARKER-7f3a Jane Roe, MRN 0042, has chest pain.');
RESET clinical_ner.model_path;
SET clinical_ner.device = 'cuda';
SELECT extract_symptoms('PHI-MARKER-7f3a Jane Roe, MRN 0042, has chest pain.');
RESET clinical_ner.device;
