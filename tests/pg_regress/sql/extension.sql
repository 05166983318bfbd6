-- Installing the extension needs no settings: the defaults point at the installed model and library.
CREATE EXTENSION clinical_ner;
SELECT name, device, array_length(labels, 1) AS labels, length(checksum) AS checksum_length,
       max_sequence_length
FROM clinical_ner_models();
-- The int8 instructions it reports are the ones the CPU's flags list, best first.
SELECT cpu_int8_instructions = CASE WHEN flags ~ '\mavx512_vnni\M' THEN 'AVX-512 VNNI'
                                    WHEN flags ~ '\mavx_vnni\M' THEN 'AVX-VNNI'
                                    WHEN flags ~ '\mavx512bw\M' THEN 'AVX-512 (no VNNI)'
                                    WHEN flags ~ '\mavx2\M' THEN 'AVX2 (no VNNI)'
                                    ELSE 'SSE (no AVX2)' END AS instructions_match_cpu_flags
FROM clinical_ner_models(), pg_read_file('/proc/cpuinfo') AS flags;
SELECT extversion = default_version AS current_version
FROM pg_extension JOIN pg_available_extensions ON name = extname
WHERE extname = 'clinical_ner';
