-- Settings: the ones that load files are superuser-only and absolute; bad values are clear errors
-- with a hint, and the backend lives on. The settings exist once the library is loaded.
LOAD 'clinical_ner';
SELECT name, context FROM pg_settings WHERE name LIKE 'clinical_ner.%' ORDER BY name;
SET clinical_ner.model_path = 'relative/model';
SET clinical_ner.onnxruntime_library = 'libonnxruntime.so';
SET clinical_ner.device = 'tpu';
-- A missing model folder: an ERROR naming the file, with a hint.
\set VERBOSITY default
SET clinical_ner.model_path = '/nonexistent/model';
SELECT extract_medications('Started aspirin.');
RESET clinical_ner.model_path;
SELECT extract_medications('Started aspirin.') AS works_again;
-- Asking for CUDA where there is none is an error, not a silent CPU run.
SET clinical_ner.device = 'cuda';
SELECT extract_medications('Started aspirin.');
SET clinical_ner.device = 'cpu';
SELECT device FROM clinical_ner_models();
RESET clinical_ner.device;
-- Threads are a user setting and reload the model.
SET clinical_ner.intra_op_threads = 1;
SELECT extract_medications('Started aspirin.') AS one_thread;
RESET clinical_ner.intra_op_threads;
-- One function runs with its owner's rights: it reads, for the progress view, whether one backend is
-- still in the statement that started a fill (a boolean); nothing else to escalate through.
SELECT p.oid::regprocedure AS security_definer_functions
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'clinical_ner'
WHERE p.prosecdef;
-- An ordinary role cannot point the server at files.
CREATE ROLE clinical_ner_analyst LOGIN;
GRANT USAGE ON SCHEMA public TO clinical_ner_analyst;
SET ROLE clinical_ner_analyst;
SET clinical_ner.model_path = '/tmp';
SET clinical_ner.onnxruntime_library = '/tmp/evil.so';
SET clinical_ner.device = 'cpu';
SELECT extract_medications('Started aspirin.') AS analyst_can_extract;
RESET ROLE;
DROP OWNED BY clinical_ner_analyst;
DROP ROLE clinical_ner_analyst;
-- The shared inference worker is off on this server (it needs shared_preload_libraries): no row, and
-- every call runs in the session (tests/inference_worker/run.sh covers a server with the worker).
SELECT count(*) AS worker_rows FROM clinical_ner_inference_worker();
SET clinical_ner.inference_worker = on;
SET clinical_ner.inference_worker_max_batch = 8;
SET clinical_ner.use_inference_worker = off;
SELECT extract_medications('Took aspirin.') AS without_worker;
RESET clinical_ner.use_inference_worker;
