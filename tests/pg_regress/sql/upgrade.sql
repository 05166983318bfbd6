-- An installed 0.1.0 upgrades with ALTER EXTENSION ... UPDATE and ends up the same as a fresh install.
-- Runs in databases of its own: an extension is installed once per database.
CREATE DATABASE clinical_ner_upgraded;
CREATE DATABASE clinical_ner_fresh;
\c clinical_ner_upgraded
CREATE EXTENSION clinical_ner VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'clinical_ner';
-- Before the update, the 0.1.0 definitions run on the new library and keep their own columns.
SELECT pg_get_function_result('extract_entities(text)'::regprocedure) AS columns_0_1_0;
SELECT entity_type, mention, start_offset, end_offset, score > 0.5 AS confident
FROM extract_entities('Started metformin for type 2 diabetes.');
SELECT note_index, mention FROM extract_entities(ARRAY['Took aspirin.', NULL]);
-- A view on a function whose result changes stops the update, which then changes nothing.
CREATE VIEW user_view AS SELECT mention FROM extract_entities('Took aspirin.');
ALTER EXTENSION clinical_ner UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'clinical_ner';
DROP VIEW user_view;
-- Rows filled before the update (by the new library, under the 0.1.0 definitions) are kept, and
-- populate_entities fills the rest after it.
CREATE TABLE notes (id int PRIMARY KEY, note text, entities jsonb);
INSERT INTO notes VALUES (1, 'Took aspirin.', NULL), (2, 'Denies fever.', NULL);
UPDATE notes SET entities = extract_entities_json(note) WHERE id = 1;
ALTER EXTENSION clinical_ner UPDATE;  -- through every release to the newest
SELECT extversion FROM pg_extension WHERE extname = 'clinical_ner';
SET client_min_messages = warning;  -- the NOTICE reports a speed
CALL populate_entities('notes', 'note');
RESET client_min_messages;
SELECT id, jsonb_array_length(entities) AS entities, entities->0->>'assertion' AS first_assertion
FROM notes ORDER BY id;
SELECT mention, assertion FROM extract_entities('Denies fever.');
-- The upgraded database has exactly the objects and function definitions of a fresh install.
\set members 'SELECT pg_describe_object(classid, objid, 0) || coalesce((SELECT '' '' || pg_get_function_result(p.oid) || '' '' || p.provolatile::text || p.proparallel::text || p.proisstrict::text || p.procost::text || p.prosecdef::text || coalesce(p.proconfig::text, '''') || '' '' || p.prosrc FROM pg_proc p WHERE classid = ''pg_proc''::regclass AND p.oid = objid), '''') || coalesce((SELECT '' '' || coalesce(c.relacl::text, '''') || pg_get_viewdef(c.oid) FROM pg_class c WHERE classid = ''pg_class''::regclass AND c.oid = objid AND c.relkind = ''v''), '''') AS definition FROM pg_depend WHERE refclassid = ''pg_extension''::regclass AND deptype = ''e'' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = ''clinical_ner'') UNION ALL SELECT ''policy '' || polname || '' '' || polcmd::text || coalesce(pg_get_expr(polqual, polrelid), '''') || coalesce(pg_get_expr(polwithcheck, polrelid), '''') FROM pg_policy WHERE polrelid = ''clinical_ner_populate_runs''::regclass UNION ALL SELECT ''acl '' || coalesce(relacl::text, '''') || coalesce((SELECT string_agg(attname || coalesce(attacl::text, ''''), '','' ORDER BY attnum) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0), '''') FROM pg_class c WHERE c.oid = ''clinical_ner_populate_runs''::regclass'
SELECT count(*) AS upgraded_members, md5(string_agg(definition, E'\n' ORDER BY definition)) AS upgraded_objects
FROM (:members) AS m \gset
\c clinical_ner_fresh
CREATE EXTENSION clinical_ner;
SELECT count(*) = :upgraded_members AS same_member_count,
       md5(string_agg(definition, E'\n' ORDER BY definition)) = :'upgraded_objects' AS same_as_fresh_install
FROM (:members) AS m;
\c clinical_ner_regress
DROP DATABASE clinical_ner_upgraded;
DROP DATABASE clinical_ner_fresh;
