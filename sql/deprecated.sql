-- The set-based calls under the names of the single-note functions, as they were before 0.6.0. Kept
-- for 0.6.0 only, so that code written for them goes on working while it moves to
-- extract_entities_json_batch and extract_entities_batch: a client that sends an array without its
-- type (psycopg sends Python lists so) reaches extract_entities_json(text) under these names and
-- extracts from the array's text, without an error.

CREATE FUNCTION extract_entities_json(notes text[]) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.extract_entities_json_batch(notes) $$;
COMMENT ON FUNCTION extract_entities_json(text[]) IS
    'Deprecated, removed after 0.6.0: use extract_entities_json_batch(text[]).';

CREATE FUNCTION extract_entities(notes text[])
RETURNS TABLE (note_index integer, entity_type text, mention text, start_offset integer, end_offset integer,
               score real, assertion text, section text, code_system text, code text, preferred_name text,
               link_score real)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 ROWS 1000
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM @extschema@.extract_entities_batch(notes) $$;
COMMENT ON FUNCTION extract_entities(text[]) IS
    'Deprecated, removed after 0.6.0: use extract_entities_batch(text[]).';
