-- The ONNX Runtime build with the CUDA execution provider (scripts/setup.sh --gpu installs it beside
-- the CPU one). On a machine without CUDA it must serve on the CPU exactly as the CPU build does, and
-- asking it for CUDA must be an ERROR in the session that names what is missing, never a crash or a
-- silent CPU run. ONNX Runtime is loaded once per backend, so each case starts a new connection.
\set VERBOSITY default
SELECT extract_entities_json('Metformin 500 mg PO BID for type 2 diabetes; denies chest pain.') AS cpu_entities \gset
-- The versioned file that setup.sh installed there (scripts/common.sh names the version).
SELECT folder || '/' || file AS gpu_library
FROM (SELECT setting || '/clinical_ner/onnxruntime-gpu' AS folder FROM pg_config WHERE name = 'PKGLIBDIR') AS f,
     pg_ls_dir(folder) AS file
WHERE file LIKE 'libonnxruntime.so.%' \gset
\c
SET clinical_ner.onnxruntime_library = :'gpu_library';
SET clinical_ner.device = 'cpu';
SELECT extract_entities_json('Metformin 500 mg PO BID for type 2 diabetes; denies chest pain.') AS entities \gset
SELECT :'entities'::jsonb = :'cpu_entities'::jsonb AS same_as_the_cpu_build;
SELECT device FROM clinical_ner_models();
\c
SET clinical_ner.onnxruntime_library = :'gpu_library';
SET clinical_ner.device = 'cuda';
-- The provider library is there; the CUDA libraries it needs are not.
SELECT extract_medications('Started aspirin.');
-- The session lives on and serves on the CPU once asked to.
SET clinical_ner.device = 'auto';
SELECT extract_medications('Started aspirin.') AS auto_falls_back;
SELECT device FROM clinical_ner_models();
