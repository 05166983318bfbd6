-- Hostile and odd input: each gives a defined result and the backend lives on.
-- Whitespace only.
SELECT extract_entities_json(E' \t\n\r  ') AS whitespace;
-- A note of about 1 MB: nothing is truncated, the drug in its last sentence is found.
WITH long_note AS MATERIALIZED (
    SELECT repeat('The patient walked in the garden and read the newspaper with her family. ', 14000)
           || 'At discharge she was started on metformin.' AS note
), entities AS MATERIALIZED (
    SELECT e.* FROM long_note, extract_entities(note) AS e
)
SELECT octet_length(note) > 1000000 AS over_one_megabyte,
       last.entity_type, last.mention,
       last.end_offset = length(note) - 1 AS ends_before_the_final_period
FROM long_note,
     (SELECT * FROM entities ORDER BY start_offset DESC LIMIT 1) AS last;
-- 200,000 characters without a space: read in pieces of at most 68 KB (64 KB and a slack of 4 KB,
-- so that memory stays bounded whatever the shape), each a word of its own; entities, if any, cover
-- whole pieces and their offsets hold.
SELECT count(*) <= 4 AS at_most_one_entity_per_piece,
       bool_and(end_offset - start_offset >= 64 * 1024 OR end_offset = 200000) IS NOT FALSE AS whole_pieces,
       bool_and(substr(repeat('a', 200000), start_offset + 1, end_offset - start_offset) = mention) IS NOT FALSE
           AS offsets_hold
FROM extract_entities(repeat('a', 200000));
-- Control characters and binary-looking text (PostgreSQL text holds no NUL).
SELECT bool_and(substr(n, start_offset + 1, end_offset - start_offset) = mention) IS NOT FALSE AS offsets_hold
FROM (SELECT string_agg(chr(c), '') || ' aspirin for headache ' || chr(27) || '[0m' AS n
      FROM generate_series(1, 31) AS c) AS t
     LEFT JOIN LATERAL extract_entities(n) ON true;
SELECT bool_and(substr(n, start_offset + 1, end_offset - start_offset) = mention) IS NOT FALSE AS offsets_hold
FROM (SELECT string_agg(chr((i * 7919) % 55295 + 1), '') AS n FROM generate_series(1, 5000) AS i) AS t
     LEFT JOIN LATERAL extract_entities(n) ON true;
-- Emoji and CJK.
SELECT bool_and(substr(n, start_offset + 1, end_offset - start_offset) = mention) IS NOT FALSE AS offsets_hold
FROM (VALUES ('患者主诉头痛 😷🤒 took aspirin 🙂 for 发烧 and headache 👍🏽')) AS t(n)
     LEFT JOIN LATERAL extract_entities(n) ON true;
-- HTML and RTF fragments.
SELECT extract_medications('<html><body><p>Started <b>lisinopril</b> 10&nbsp;mg for <i>hypertension</i>.</p></body></html>')
       AS html_medications;
SELECT extract_medications('{\rtf1\ansi\deff0 {\fonttbl{\f0 Arial;}} Started {\b warfarin} for atrial fibrillation.\par}')
       AS rtf_medications;
-- Only punctuation, only digits.
SELECT extract_entities_json(repeat('?!.,;:-()', 2000)) AS punctuation,
       extract_entities_json(repeat('0123456789 ', 2000)) AS digits;
-- One word repeated 5,000 times (the 100,000-copy version is a longer run: about 100 s here).
SELECT count(*) > 0 AS found_some,
       bool_and(substr(n, start_offset + 1, end_offset - start_offset) = mention) AS offsets_hold
FROM (SELECT repeat('aspirin ', 5000) AS n) AS t, extract_entities(n);
-- The backend is still the same one and still answers.
SELECT extract_medications('Started aspirin.') AS still_alive;
