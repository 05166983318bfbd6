-- clinical_ner 0.3.0 -> 0.4.0: the optional shared inference worker (clinical_ner.inference_worker with
-- shared_preload_libraries) and the function that reports on it. The definition below is the one pgrx
-- generates, so an upgraded database equals a fresh install (tests/pg_regress/sql/upgrade.sql).

CREATE  FUNCTION "clinical_ner_inference_worker"() RETURNS TABLE (
	"pid" INT,  /* i32 */
	"socket" TEXT,  /* String */
	"model_path" TEXT,  /* String */
	"model_name" TEXT,  /* String */
	"model_version" TEXT,  /* String */
	"checksum" TEXT,  /* String */
	"device" TEXT,  /* String */
	"vocabulary_path" TEXT,  /* Option < String > */
	"serves_this_session" bool,  /* bool */
	"max_batch_notes" INT,  /* i32 */
	"connections" bigint,  /* i64 */
	"requests" bigint,  /* i64 */
	"notes" bigint,  /* i64 */
	"engine_runs" bigint,  /* i64 */
	"failed_runs" bigint,  /* i64 */
	"abandoned_requests" bigint  /* i64 */
)
STRICT VOLATILE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'clinical_ner_inference_worker_wrapper';
