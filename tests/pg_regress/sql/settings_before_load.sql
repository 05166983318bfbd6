-- A superuser-only setting written by an ordinary role before the library is loaded in the session
-- (this file starts in a new session, before any call of the extension): PostgreSQL keeps it as a
-- placeholder and SHOW returns it, but the library drops it with a WARNING when the first call loads
-- it, and the default model serves that call (the README's Settings section says so).
CREATE ROLE clinical_ner_early_setter LOGIN;
SET ROLE clinical_ner_early_setter;
SET clinical_ner.model_path = '/tmp/a-model-of-my-own';
SHOW clinical_ner.model_path;
SELECT extract_medications('Started aspirin.');
SELECT current_setting('clinical_ner.model_path') = '/tmp/a-model-of-my-own' AS placeholder_kept;
RESET ROLE;
DROP ROLE clinical_ner_early_setter;
