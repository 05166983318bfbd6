-- Databases whose encoding is not UTF-8: the engine reads UTF-8, and PostgreSQL hands the extension
-- a note's bytes in the database's own encoding. Defined results, in databases of their own:
-- LATIN1 (any single-byte encoding alike): ASCII notes are extracted as in UTF-8; a note with any
-- other character is a clear ERROR that names no note text, and the session goes on.
CREATE DATABASE clinical_ner_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE clinical_ner_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c clinical_ner_latin1
CREATE EXTENSION clinical_ner;
SELECT extract_medications('Started metformin for type 2 diabetes.');
SELECT mention, start_offset, end_offset FROM extract_entities('Took aspirin.');
SELECT extract_medications('PHI-MARKER Café patient started metformin.');
SELECT extract_symptoms('Denies fever.') AS session_goes_on;
-- SQL_ASCII stores bytes unchecked: UTF-8 text works (offsets count characters, while substr counts
-- bytes in such a database); bytes that are not UTF-8 are a clear ERROR.
\c clinical_ner_sql_ascii
CREATE EXTENSION clinical_ner;
SELECT mention, start_offset, end_offset FROM extract_entities('Café: started metformin.');
SELECT extract_medications(E'PHI-MARKER Caf\xe9: started metformin.');
SELECT extract_medications('Took aspirin.') AS session_goes_on;
\c clinical_ner_regress
DROP DATABASE clinical_ner_latin1;
DROP DATABASE clinical_ner_sql_ascii;
