-- A statement_timeout (like a cancel) stops a long extraction between inference runs; the backend
-- lives on with its model loaded, and the next call gives the same result as before.
SELECT extract_medications('Started aspirin for headache.') AS before_timeout;
SET statement_timeout = '300ms';
SELECT count(*) FROM extract_entities(repeat('The patient walked in the garden with her family. ', 20000));
RESET statement_timeout;
SELECT extract_medications('Started aspirin for headache.') AS after_timeout;
-- A cancelled transaction leaves nothing behind.
BEGIN;
CREATE TABLE cancelled_fill AS SELECT 1 AS id, extract_diseases('History of asthma.') AS diseases;
SET LOCAL statement_timeout = '300ms';
INSERT INTO cancelled_fill SELECT 2, extract_diseases(repeat('History of asthma and gout. ', 35000));
ROLLBACK;
SELECT to_regclass('cancelled_fill') IS NULL AS rolled_back;
