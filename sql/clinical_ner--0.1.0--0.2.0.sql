-- clinical_ner 0.1.0 -> 0.2.0: assertion status, note section and vocabulary code of each entity.
--
-- extract_entities gains columns at the end, which changes its result type, so it is dropped and
-- created again: a view or function of yours that uses it stops this update with an error naming it,
-- and nothing changes until you drop it (and create it again afterwards). extract_entities_json keeps
-- its signature and gains keys. The one-argument mention functions stay; two-argument forms add
-- present_only.
\echo Use "ALTER EXTENSION clinical_ner UPDATE TO '0.2.0'" to load this file. \quit

DROP FUNCTION extract_entities(text);
CREATE FUNCTION extract_entities(note text) RETURNS TABLE (
    entity_type text,
    mention text,
    start_offset int,
    end_offset int,
    score real,
    assertion text,
    section text,
    code_system text,
    code text,
    preferred_name text,
    link_score real
)
IMMUTABLE STRICT PARALLEL SAFE COST 10000
LANGUAGE c AS 'MODULE_PATHNAME', 'extract_entities_wrapper';

DROP FUNCTION extract_entities(text[]);
CREATE FUNCTION extract_entities(notes text[]) RETURNS TABLE (
    note_index int,
    entity_type text,
    mention text,
    start_offset int,
    end_offset int,
    score real,
    assertion text,
    section text,
    code_system text,
    code text,
    preferred_name text,
    link_score real
)
IMMUTABLE STRICT PARALLEL SAFE COST 10000
LANGUAGE c AS 'MODULE_PATHNAME', 'extract_entities_of_many_wrapper';

CREATE FUNCTION extract_medications(note text, present_only bool) RETURNS text[]
IMMUTABLE STRICT PARALLEL SAFE COST 10000
LANGUAGE c AS 'MODULE_PATHNAME', 'extract_medications_asserted_wrapper';

CREATE FUNCTION extract_diseases(note text, present_only bool) RETURNS text[]
IMMUTABLE STRICT PARALLEL SAFE COST 10000
LANGUAGE c AS 'MODULE_PATHNAME', 'extract_diseases_asserted_wrapper';

CREATE FUNCTION extract_symptoms(note text, present_only bool) RETURNS text[]
IMMUTABLE STRICT PARALLEL SAFE COST 10000
LANGUAGE c AS 'MODULE_PATHNAME', 'extract_symptoms_asserted_wrapper';

CREATE FUNCTION clinical_ner_vocabulary() RETURNS TABLE (
    path text,
    terms bigint,
    term_counts jsonb,
    sources jsonb
)
STRICT VOLATILE PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'clinical_ner_vocabulary_wrapper';
