-- Installing the extension needs no settings: the defaults point at the installed model and library.
CREATE EXTENSION clinical_ner;
SELECT name, device, array_length(labels, 1) AS labels, length(checksum) AS checksum_length,
       max_sequence_length
FROM clinical_ner_models();
SELECT extversion = default_version AS current_version
FROM pg_extension JOIN pg_available_extensions ON name = extname
WHERE extname = 'clinical_ner';
