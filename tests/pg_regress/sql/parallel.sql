-- Parallel plans: the functions are PARALLEL SAFE, so large SELECTs and CREATE TABLE AS run in parallel
-- workers, each with its own copy of the model, and give what a serial run gives.
\i ../../sql/examples/sample_notes.sql
CREATE TABLE parallel_notes AS
SELECT copy * 100 + id AS id, note FROM sample_notes, generate_series(1, 4) AS copy;
-- The sample is far below min_parallel_table_scan_size; a large table gets workers without this.
ALTER TABLE parallel_notes SET (parallel_workers = 2);
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF)
CREATE TABLE parallel_entities AS SELECT id, extract_entities_json(note) AS entities FROM parallel_notes;
CREATE FUNCTION workers_launched(query text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Workers Launched')::int;
END $$;
SELECT workers_launched('SELECT id, extract_entities_json(note) FROM parallel_notes') AS workers_launched;
CREATE TABLE parallel_entities AS SELECT id, extract_entities_json(note) AS entities FROM parallel_notes;
-- The recipe for filling a column in parallel: build the results in parallel, then join them back.
ALTER TABLE parallel_notes ADD COLUMN entities jsonb;
UPDATE parallel_notes AS n SET entities = p.entities FROM parallel_entities AS p WHERE p.id = n.id;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS rows, count(*) FILTER (WHERE entities = extract_entities_json(note)) AS same_as_serial
FROM parallel_notes;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
