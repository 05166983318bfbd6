-- SQL that the extension runs never calls code planted in a schema on the caller's search path.
-- The attacker owns the database's public schema (in PostgreSQL 15 a database owner does) and a schema
-- named like the superuser ("$user"), and plants functions, operators and an aggregate whose argument
-- types match the extension's calls exactly, so that they would win over pg_catalog's polymorphic
-- ones. Each records who ran it, so a capture shows up in the table captured.
SET client_min_messages = warning;
CREATE ROLE clinical_ner_db_owner LOGIN;
GRANT CREATE ON SCHEMA public TO clinical_ner_db_owner;
CREATE SCHEMA postgres AUTHORIZATION clinical_ner_db_owner;
CREATE TABLE captured (run_as name, is_superuser boolean, planted text);
GRANT INSERT ON captured TO PUBLIC;
SET ROLE clinical_ner_db_owner;
CREATE FUNCTION public.record_capture(planted text) RETURNS void LANGUAGE sql AS
$$ INSERT INTO public.captured SELECT current_user, rolsuper, planted FROM pg_roles WHERE rolname = current_user $$;
CREATE FUNCTION public.cardinality(tid[]) RETURNS integer LANGUAGE sql AS
$$ SELECT public.record_capture('cardinality(tid[])'); SELECT pg_catalog.cardinality($1) $$;
CREATE FUNCTION postgres.cardinality(text[]) RETURNS integer LANGUAGE sql AS
$$ SELECT public.record_capture('"$user".cardinality(text[])'); SELECT pg_catalog.cardinality($1) $$;
CREATE FUNCTION public.format(text, regclass, name, name) RETURNS text LANGUAGE sql AS
$$ SELECT public.record_capture('format(text, regclass, name, name)'); SELECT pg_catalog.format($1, $2, $3, $4) $$;
CREATE FUNCTION public.append_oid(oid[], oid) RETURNS oid[] LANGUAGE sql AS
$$ SELECT public.record_capture('||(oid[], oid)'); SELECT pg_catalog.array_append($1, $2) $$;
CREATE OPERATOR public.|| (LEFTARG = oid[], RIGHTARG = oid, FUNCTION = public.append_oid);
CREATE FUNCTION public.append_tid(tid[], tid) RETURNS tid[] LANGUAGE sql AS
$$ SELECT public.record_capture('||(tid[], tid)'); SELECT pg_catalog.array_append($1, $2) $$;
CREATE OPERATOR public.|| (LEFTARG = tid[], RIGHTARG = tid, FUNCTION = public.append_tid);
CREATE FUNCTION public.tid_equal(tid, tid) RETURNS boolean LANGUAGE sql AS
$$ SELECT public.record_capture('=(tid, tid)'); SELECT $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR public.= (LEFTARG = tid, RIGHTARG = tid, FUNCTION = public.tid_equal);
CREATE FUNCTION public.collect_tid(tid[], tid) RETURNS tid[] LANGUAGE sql AS
$$ SELECT public.record_capture('array_agg(tid)'); SELECT pg_catalog.array_append($1, $2) $$;
CREATE AGGREGATE public.array_agg(tid) (SFUNC = public.collect_tid, STYPE = tid[]);
CREATE FUNCTION public.count_tables(regclass) RETURNS bigint LANGUAGE sql AS
$$ SELECT public.record_capture('count(regclass)'); SELECT 0::bigint $$;
RESET ROLE;

CREATE TABLE filled_by_superuser (id int PRIMARY KEY, note text, entities jsonb);
INSERT INTO filled_by_superuser
SELECT i, 'Started metformin for type 2 diabetes; denies chest pain. Visit ' || i || '.'
FROM generate_series(1, 7) AS i;
-- The default path ("$user", public: pg_catalog is searched first, but an exact match elsewhere wins).
CALL populate_entities('filled_by_superuser', 'note', 'entities', 3);
SELECT count(*) AS filled FROM filled_by_superuser WHERE entities @> '[{"mention": "metformin"}]';
-- A path that names pg_catalog last lets even same-signature operators win.
UPDATE filled_by_superuser SET entities = NULL;
SET search_path = "$user", public, pg_catalog;
CALL populate_entities('filled_by_superuser', 'note', 'entities', 3);
SELECT state, rows_done, notes_per_second >= 0 AS has_rate FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS filled FROM filled_by_superuser WHERE entities = extract_entities_json(note);
RESET search_path;
SELECT count(*) AS captured_calls FROM captured;

-- Every function of the extension pins its search path, but the two that cannot: the procedure (it
-- commits) and the batch function (the user's triggers run under the caller's path). Their SQL names
-- every function and operator with its schema instead.
SELECT p.oid::regprocedure AS without_pinned_search_path
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'clinical_ner'
WHERE NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
ORDER BY 1;

-- The progress view, created with operators planted in the schema the extension goes into: an
-- operator with exact argument types (bigint / numeric, float8 / float8) would be captured at
-- CREATE EXTENSION and run as whoever reads the view.
CREATE DATABASE clinical_ner_planted;
\c clinical_ner_planted
SET client_min_messages = warning;
GRANT CREATE ON SCHEMA public TO clinical_ner_db_owner;
CREATE TABLE captured (run_as name, is_superuser boolean, planted text);
GRANT INSERT ON captured TO PUBLIC;
SET ROLE clinical_ner_db_owner;
CREATE FUNCTION public.record_capture(planted text) RETURNS void LANGUAGE sql AS
$$ INSERT INTO public.captured SELECT current_user, rolsuper, planted FROM pg_roles WHERE rolname = current_user $$;
CREATE FUNCTION public.divide_bigint_numeric(bigint, numeric) RETURNS numeric LANGUAGE sql AS
$$ SELECT public.record_capture('/(bigint, numeric)'); SELECT $1 OPERATOR(pg_catalog./) $2 $$;
CREATE OPERATOR public./ (LEFTARG = bigint, RIGHTARG = numeric, FUNCTION = public.divide_bigint_numeric);
CREATE FUNCTION public.divide_bigint_float8(bigint, float8) RETURNS float8 LANGUAGE sql AS
$$ SELECT public.record_capture('/(bigint, float8)'); SELECT $1 OPERATOR(pg_catalog./) $2 $$;
CREATE OPERATOR public./ (LEFTARG = bigint, RIGHTARG = float8, FUNCTION = public.divide_bigint_float8);
CREATE FUNCTION public.round(float8, integer) RETURNS numeric LANGUAGE sql AS
$$ SELECT public.record_capture('round(float8, integer)'); SELECT pg_catalog.round($1::numeric, $2) $$;
RESET ROLE;
CREATE EXTENSION clinical_ner;
INSERT INTO clinical_ner_populate_runs (relation, note_column, entities_column, rows_left)
VALUES ('captured', 'planted', 'planted', 10);
UPDATE clinical_ner_populate_runs SET rows_done = 5, updated_at = started_at + interval '2 seconds';
SELECT state, rows_done, notes_per_second, estimated_time_left FROM clinical_ner_populate_progress;
SELECT count(*) AS captured_calls FROM captured;
\c clinical_ner_regress
DROP DATABASE clinical_ner_planted;
DROP TABLE filled_by_superuser, captured;
DROP SCHEMA postgres CASCADE;
DROP FUNCTION public.cardinality(tid[]), public.format(text, regclass, name, name), public.count_tables(regclass);
DROP OPERATOR public.|| (oid[], oid), public.|| (tid[], tid), public.= (tid, tid);
DROP AGGREGATE public.array_agg(tid);
DROP FUNCTION public.append_oid(oid[], oid), public.append_tid(tid[], tid), public.tid_equal(tid, tid),
    public.collect_tid(tid[], tid), public.record_capture(text);
REVOKE CREATE ON SCHEMA public FROM clinical_ner_db_owner;
DROP ROLE clinical_ner_db_owner;
