-- Note text is protected health information: errors about a note never repeat it. The test script
-- also checks that the server log holds no trace of the marker below, logged here as PostgreSQL logs
-- by default (log_min_error_statement = error: the failing statement after the message).
\set VERBOSITY verbose
SET log_min_error_statement = error;
SET clinical_ner.model_path = '/nonexistent/phi-test';
SELECT extract_entities_json('PHI-MARKER-7f3a Jane Roe, MRN 0042, has chest pain.');
SELECT * FROM extract_entities('PHI-MARKER-7f3a Jane Roe, MRN 0042, has chest pain.');
RESET clinical_ner.model_path;
SET clinical_ner.device = 'cuda';
SELECT extract_symptoms('PHI-MARKER-7f3a Jane Roe, MRN 0042, has chest pain.');
RESET clinical_ner.device;
-- Only the extension's own errors keep their statement out of the log: a user's message that happens
-- to start like theirs is logged with its statement as usual.
\getenv server_log CLINICAL_NER_SERVER_LOG
\set VERBOSITY default
DO $$ BEGIN RAISE EXCEPTION 'clinical_ner: raised by a user (statement-marker-5e1)'; END $$;
SELECT position('statement-marker-5e1)''; END' IN pg_read_file(:'server_log')) > 0 AS user_statement_logged;
RESET log_min_error_statement;
