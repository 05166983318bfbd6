//! The SQL functions.
//!
//! They are IMMUTABLE, like `to_tsvector(regconfig, text)`: for a given model and rule set
//! (`clinical_ner.rules_path`) their result depends on the note alone, which lets them serve in
//! generated columns, indexes and materialized views and be run by parallel workers. The price is the
//! same as for a text-search configuration: after the model or the rules change, stored results (generated columns, indexes, materialized views) keep the old
//! model's output until they are recomputed; `clinical_ner_models()` says which model a session uses.
//!
//! Every function pins its search path (`pg_catalog, pg_temp`): none looks anything up by name today,
//! and none will by accident under a caller's path.

use clinical_ner_engine::char_offsets::CharCursor;
use clinical_ner_engine::context::annotate;
use clinical_ner_engine::linking::{link_all, LinkedEntity};
use clinical_ner_engine::posology::{medication_attributes, MedicationAttributes};
use clinical_ner_engine::{Assertion, Entity, EntityType};
use pgrx::prelude::*;
use pgrx::JsonB;

use crate::backend_model::with_extractor;
use crate::backend_rules;
use crate::backend_vocabulary::with_vocabulary;
use crate::note_text::{checked, NoteText};
use crate::{errors, settings, worker_connection};

fn entities(note: &str, with_codes: bool) -> Vec<LinkedEntity> {
    entities_of_many(&[note], with_codes)
        .pop()
        .expect("one result per note")
}

/// The entities of each note, linked to codes when `with_codes` (and a vocabulary is set): from the
/// shared inference worker where it answers, else from this backend's own model and vocabulary.
/// The same model and vocabulary either way, so the same result.
fn entities_of_many(notes: &[&str], with_codes: bool) -> Vec<Vec<LinkedEntity>> {
    let link_with = if with_codes {
        settings::vocabulary_folder()
    } else {
        None
    };
    let link_here = |note: Vec<Entity>| {
        if with_codes {
            linked(note)
        } else {
            link_all(note, None)
        }
    };
    let from_worker = worker_connection::extract(notes, link_with).map(|(mut entities, linked)| {
        // The worker decides assertion status by the built-in rules; a site's are the session's.
        if let Some(rules) = backend_rules::site_rules() {
            for (note, found) in notes.iter().zip(&mut entities) {
                let entities = found.iter_mut().map(|linked| &mut linked.entity);
                annotate(note, entities, &rules.assertion);
            }
        }
        (entities, linked)
    });
    match from_worker {
        Some((entities, true)) => entities,
        // The worker lacks this session's vocabulary: it left the codes to the session.
        Some((entities, false)) => entities
            .into_iter()
            .map(|note| link_here(note.into_iter().map(|linked| linked.entity).collect()))
            .collect(),
        None => with_extractor(|extractor| {
            extractor.extract_many(notes, &mut || {
                pgrx::check_for_interrupts!();
            })
        })
        .into_iter()
        .map(link_here)
        .collect(),
    }
}

fn mentions(note: &str, entity_type: EntityType, present_only: bool) -> Vec<String> {
    entities(note, false)
        .into_iter()
        .map(|linked| linked.entity)
        .filter(|e| e.entity_type == entity_type)
        .filter(|e| !present_only || e.assertion == Assertion::Present)
        .map(|e| e.mention)
        .collect()
}

/// Medication mentions as written in the note, in order of appearance.
#[pg_extern(immutable, strict, parallel_safe, cost = 10000)]
#[search_path(pg_catalog, pg_temp)]
fn extract_medications(note: NoteText<'_>) -> Vec<String> {
    mentions(note.read(), EntityType::Medication, false)
}

/// Medication mentions; with `present_only`, only those the note asserts for the patient now (not
/// negated, uncertain, hypothetical, historical or about a family member).
#[pg_extern(
    name = "extract_medications",
    immutable,
    strict,
    parallel_safe,
    cost = 10000
)]
#[search_path(pg_catalog, pg_temp)]
fn extract_medications_asserted(note: NoteText<'_>, present_only: bool) -> Vec<String> {
    mentions(note.read(), EntityType::Medication, present_only)
}

/// Disease mentions as written in the note, in order of appearance.
#[pg_extern(immutable, strict, parallel_safe, cost = 10000)]
#[search_path(pg_catalog, pg_temp)]
fn extract_diseases(note: NoteText<'_>) -> Vec<String> {
    mentions(note.read(), EntityType::Disease, false)
}

/// Disease mentions; with `present_only`, only those the note asserts for the patient now.
#[pg_extern(
    name = "extract_diseases",
    immutable,
    strict,
    parallel_safe,
    cost = 10000
)]
#[search_path(pg_catalog, pg_temp)]
fn extract_diseases_asserted(note: NoteText<'_>, present_only: bool) -> Vec<String> {
    mentions(note.read(), EntityType::Disease, present_only)
}

/// Symptom mentions as written in the note, in order of appearance.
#[pg_extern(immutable, strict, parallel_safe, cost = 10000)]
#[search_path(pg_catalog, pg_temp)]
fn extract_symptoms(note: NoteText<'_>) -> Vec<String> {
    mentions(note.read(), EntityType::Symptom, false)
}

/// Symptom mentions; with `present_only`, only those the note asserts for the patient now.
#[pg_extern(
    name = "extract_symptoms",
    immutable,
    strict,
    parallel_safe,
    cost = 10000
)]
#[search_path(pg_catalog, pg_temp)]
fn extract_symptoms_asserted(note: NoteText<'_>, present_only: bool) -> Vec<String> {
    mentions(note.read(), EntityType::Symptom, present_only)
}

/// Every entity with its type, mention, character offsets (0-based start, exclusive end, so that
/// `substr(note, start_offset + 1, end_offset - start_offset) = mention`), score, assertion status,
/// note section, and vocabulary code (NULL where none matched). New columns go at the end: a
/// definition of an older version, still in place before `ALTER EXTENSION UPDATE`, reads the first
/// columns and stays correct.
#[pg_extern(immutable, strict, parallel_safe, cost = 10000)]
#[search_path(pg_catalog, pg_temp)]
fn extract_entities(
    note: NoteText<'_>,
) -> TableIterator<
    'static,
    (
        name!(entity_type, String),
        name!(mention, String),
        name!(start_offset, i32),
        name!(end_offset, i32),
        name!(score, f32),
        name!(assertion, String),
        name!(section, Option<String>),
        name!(code_system, Option<String>),
        name!(code, Option<String>),
        name!(preferred_name, Option<String>),
        name!(link_score, Option<f32>),
    ),
> {
    TableIterator::new(entities(note.read(), true).into_iter().map(entity_row))
}

/// The same entities as one `jsonb` array, for a single column (generated columns, exports).
#[pg_extern(immutable, strict, parallel_safe, cost = 10000)]
#[search_path(pg_catalog, pg_temp)]
fn extract_entities_json(note: NoteText<'_>) -> JsonB {
    let text = note.read();
    entities_json(text, entities(text, true))
}

/// The set-based call for batch jobs: one `jsonb` array of entities per note, in the notes' order,
/// NULL for a NULL note. One call extracts every note, so the model runs in batches. A name of its
/// own, because a client that sends an array untyped (psycopg's lists) would otherwise reach the
/// single-note `extract_entities_json(text)` with the array's text.
// The Rust name keeps the C symbol that the install scripts of 0.1.0 to 0.5.0 name.
#[pg_extern(
    name = "extract_entities_json_batch",
    immutable,
    strict,
    parallel_safe,
    cost = 10000
)]
#[search_path(pg_catalog, pg_temp)]
fn extract_entities_json_of_many(notes: Array<'_, &str>) -> Vec<Option<JsonB>> {
    let notes = checked_notes(&notes);
    entities_of_notes(&notes)
        .into_iter()
        .zip(&notes)
        .map(|(entities, text)| Some(entities_json(text.as_ref()?, entities?)))
        .collect()
}

/// Every entity of many notes, `note_index` being the note's 1-based position in the array (a
/// name of its own for the reason given at [`extract_entities_json_of_many`]).
#[pg_extern(
    name = "extract_entities_batch",
    immutable,
    strict,
    parallel_safe,
    cost = 10000
)]
#[search_path(pg_catalog, pg_temp)]
fn extract_entities_of_many(
    notes: Array<'_, &str>,
) -> TableIterator<
    'static,
    (
        name!(note_index, i32),
        name!(entity_type, String),
        name!(mention, String),
        name!(start_offset, i32),
        name!(end_offset, i32),
        name!(score, f32),
        name!(assertion, String),
        name!(section, Option<String>),
        name!(code_system, Option<String>),
        name!(code, Option<String>),
        name!(preferred_name, Option<String>),
        name!(link_score, Option<f32>),
    ),
> {
    let rows = (1..)
        .zip(entities_of_notes(&checked_notes(&notes)))
        .flat_map(|(position, entities)| {
            entities.unwrap_or_default().into_iter().map(move |entity| {
                let (
                    kind,
                    mention,
                    start,
                    end,
                    score,
                    assertion,
                    section,
                    system,
                    code,
                    name,
                    link,
                ) = entity_row(entity);
                (
                    position, kind, mention, start, end, score, assertion, section, system, code,
                    name, link,
                )
            })
        })
        .collect::<Vec<_>>();
    TableIterator::new(rows)
}

/// The elements of a `text[]`, each checked before use (pgrx hands them over as `&str` without
/// checking them); `None` for a NULL element.
fn checked_notes<'a>(notes: &'a Array<'_, &str>) -> Vec<Option<&'a str>> {
    notes
        .iter()
        .map(|note| note.map(|note| checked(note.as_bytes())))
        .collect()
}

/// The entities of each note with their codes, extracted in one call; `None` for a NULL note.
fn entities_of_notes(notes: &[Option<&str>]) -> Vec<Option<Vec<LinkedEntity>>> {
    let present: Vec<&str> = notes.iter().flatten().copied().collect();
    let mut extracted = entities_of_many(&present, true).into_iter();
    notes
        .iter()
        .map(|note| note.and_then(|_| extracted.next()))
        .collect()
}

/// Each entity with its vocabulary code, where the settings name a vocabulary and one matches.
fn linked(entities: Vec<Entity>) -> Vec<LinkedEntity> {
    with_vocabulary(|vocabulary| link_all(entities, vocabulary))
}

type EntityRow = (
    String,
    String,
    i32,
    i32,
    f32,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f32>,
);

/// One entity as the SQL functions give it: a row of `extract_entities`, and an element of the array
/// that `extract_entities_json` returns and `populate_entities` stores (which `expand_entities` reads
/// back), so that the stored form and the rows cannot drift apart.
#[derive(serde::Serialize, serde::Deserialize)]
struct EntityRecord {
    entity_type: String,
    mention: String,
    start_offset: i32,
    end_offset: i32,
    score: f32,
    assertion: String,
    section: Option<String>,
    code_system: Option<String>,
    code: Option<String>,
    preferred_name: Option<String>,
    link_score: Option<f32>,
    /// In the stored form only: `extract_entities` has no such column.
    link_method: Option<String>,
    /// In the stored form only, for a medication whose dosing the note gives: the columns of
    /// `extract_medication_attributes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attributes: Option<AttributeRecord>,
}

impl From<LinkedEntity> for EntityRecord {
    fn from(LinkedEntity { entity: e, link }: LinkedEntity) -> EntityRecord {
        EntityRecord {
            entity_type: e.entity_type.as_str().to_string(),
            mention: e.mention,
            start_offset: offset(e.start),
            end_offset: offset(e.end),
            score: e.score,
            assertion: e.assertion.as_str().to_string(),
            section: e.section.map(|s| s.as_str().to_string()),
            code_system: link.as_ref().map(|l| l.code_system.clone()),
            code: link.as_ref().map(|l| l.code.clone()),
            preferred_name: link.as_ref().map(|l| l.preferred_name.clone()),
            link_score: link.as_ref().map(|l| l.score),
            link_method: link.as_ref().map(|l| l.method.name().to_string()),
            attributes: None,
        }
    }
}

impl EntityRecord {
    fn into_row(self) -> EntityRow {
        (
            self.entity_type,
            self.mention,
            self.start_offset,
            self.end_offset,
            self.score,
            self.assertion,
            self.section,
            self.code_system,
            self.code,
            self.preferred_name,
            self.link_score,
        )
    }
}

fn entity_row(entity: LinkedEntity) -> EntityRow {
    EntityRecord::from(entity).into_row()
}

/// The stored form of a note's entities, medications with their dosing where the note gives it.
fn entities_json(note: &str, entities: Vec<LinkedEntity>) -> JsonB {
    let mut attributes = dosing(note, &entities).into_iter();
    let mut cursor = CharCursor::new(note);
    let records: Vec<EntityRecord> = entities
        .into_iter()
        .map(|entity| {
            let medication = entity.entity.entity_type == EntityType::Medication;
            let mut record = EntityRecord::from(entity);
            if medication {
                let found = attributes.next().expect("one per medication");
                record.attributes =
                    (!found.is_empty()).then(|| AttributeRecord::new(&mut cursor, &found));
            }
            record
        })
        .collect();
    JsonB(serde_json::to_value(records).expect("entity records serialise"))
}

/// The dosing of each medication among `entities`, in their order.
fn dosing(note: &str, entities: &[LinkedEntity]) -> Vec<MedicationAttributes> {
    let spans: Vec<std::ops::Range<usize>> = entities
        .iter()
        .map(|linked| &linked.entity)
        .filter(|e| e.entity_type == EntityType::Medication)
        .map(|e| e.start..e.end)
        .collect();
    medication_attributes(note, &spans, &backend_rules::current_rules().posology)
}

/// A medication's dosing as the SQL functions give it: the columns of
/// `extract_medication_attributes`, and the `attributes` of a medication in the stored JSON.
#[derive(serde::Serialize, serde::Deserialize)]
struct AttributeRecord {
    strength_value: Option<f64>,
    strength_unit: Option<String>,
    dose_amount: Option<f64>,
    dose_form: Option<String>,
    route: Option<String>,
    frequency: Option<String>,
    per_day: Option<f64>,
    as_needed: Option<bool>,
    duration_days: Option<f64>,
    tapering: bool,
    daily_dose: Option<f64>,
    daily_dose_unit: Option<String>,
    /// Each attribute's character offsets, `[start, end]` by name.
    attribute_offsets: serde_json::Map<String, serde_json::Value>,
}

impl AttributeRecord {
    /// `note` is a cursor over the medication's note: a note's medications come in order of offset.
    fn new(note: &mut CharCursor<'_>, found: &MedicationAttributes) -> AttributeRecord {
        let attribute_offsets = [
            ("strength", found.strength.as_ref().map(|f| &f.chars)),
            ("dose", found.dose.as_ref().map(|f| &f.chars)),
            ("route", found.route.as_ref().map(|f| &f.chars)),
            ("frequency", found.frequency.as_ref().map(|f| &f.chars)),
            ("duration", found.duration.as_ref().map(|f| &f.chars)),
        ]
        .into_iter()
        .filter_map(|(name, chars)| {
            chars.map(|c| {
                (
                    name.to_string(),
                    serde_json::json!([offset(c.start), offset(c.end)]),
                )
            })
        })
        .collect();
        AttributeRecord {
            strength_value: found.strength.as_ref().and_then(|f| f.value.value),
            strength_unit: found.strength.as_ref().map(|f| f.value.unit.clone()),
            dose_amount: found.dose.as_ref().and_then(|f| f.value.amount),
            dose_form: found.dose.as_ref().map(|f| f.value.form.clone()),
            route: found.route.as_ref().map(|f| f.value.clone()),
            frequency: found
                .frequency
                .as_ref()
                .map(|f| note.slice(f.chars.clone()).to_string()),
            per_day: found.frequency.as_ref().and_then(|f| f.value.per_day),
            as_needed: found.frequency.as_ref().map(|f| f.value.as_needed),
            duration_days: found.duration.as_ref().map(|f| f.value),
            tapering: found.tapering,
            daily_dose: found.daily_dose.as_ref().map(|d| d.value),
            daily_dose_unit: found.daily_dose.as_ref().map(|d| d.unit.clone()),
            attribute_offsets,
        }
    }
}

/// One row per medication mention with what the note says about its dosing: strength, dose, route,
/// frequency (as written, and normalised to administrations per day), duration and the daily dose
/// they give, NULL where the note does not say (see `clinical_ner_engine::posology`).
/// `attribute_offsets` holds each attribute's character offsets, as `[start, end]` by name.
#[pg_extern(immutable, strict, parallel_safe, cost = 10000)]
#[search_path(pg_catalog, pg_temp)]
fn extract_medication_attributes(
    note: NoteText<'_>,
) -> TableIterator<
    'static,
    (
        name!(mention, String),
        name!(start_offset, i32),
        name!(end_offset, i32),
        name!(assertion, String),
        name!(code, Option<String>),
        name!(preferred_name, Option<String>),
        name!(strength_value, Option<f64>),
        name!(strength_unit, Option<String>),
        name!(dose_amount, Option<f64>),
        name!(dose_form, Option<String>),
        name!(route, Option<String>),
        name!(frequency, Option<String>),
        name!(per_day, Option<f64>),
        name!(as_needed, Option<bool>),
        name!(duration_days, Option<f64>),
        name!(tapering, bool),
        name!(daily_dose, Option<f64>),
        name!(daily_dose_unit, Option<String>),
        name!(attribute_offsets, JsonB),
    ),
> {
    let text = note.read();
    let medications: Vec<LinkedEntity> = entities(text, true)
        .into_iter()
        .filter(|linked| linked.entity.entity_type == EntityType::Medication)
        .collect();
    let attributes = dosing(text, &medications);
    let mut cursor = CharCursor::new(text);
    let rows: Vec<_> = medications
        .into_iter()
        .zip(attributes)
        .map(|(LinkedEntity { entity, link }, found)| {
            let a = AttributeRecord::new(&mut cursor, &found);
            (
                entity.mention,
                offset(entity.start),
                offset(entity.end),
                entity.assertion.as_str().to_string(),
                link.as_ref().map(|l| l.code.clone()),
                link.as_ref().map(|l| l.preferred_name.clone()),
                a.strength_value,
                a.strength_unit,
                a.dose_amount,
                a.dose_form,
                a.route,
                a.frequency,
                a.per_day,
                a.as_needed,
                a.duration_days,
                a.tapering,
                a.daily_dose,
                a.daily_dose_unit,
                JsonB(serde_json::Value::Object(a.attribute_offsets)),
            )
        })
        .collect();
    TableIterator::new(rows)
}

/// The code a mention of this entity type links to, as `extract_entities` would give it: no row when
/// nothing matches or no vocabulary is set. For linking terms from other sources (a problem list, a
/// medication table) to the same codes as the notes.
#[pg_extern(immutable, strict, parallel_safe, cost = 100)]
#[search_path(pg_catalog, pg_temp)]
fn clinical_ner_link(
    mention: NoteText<'_>,
    entity_type: &str,
) -> TableIterator<
    'static,
    (
        name!(code_system, String),
        name!(code, String),
        name!(preferred_name, String),
        name!(link_score, f32),
        name!(link_method, String),
    ),
> {
    let mention = mention.read();
    let Ok(entity_type) = entity_type.parse::<EntityType>() else {
        errors::invalid_parameter("entity_type must be medication, disease or symptom")
    };
    let link = with_vocabulary(|vocabulary| vocabulary.and_then(|v| v.link(mention, entity_type)));
    TableIterator::new(link.map(|l| {
        (
            l.code_system,
            l.code,
            l.preferred_name,
            l.score,
            l.method.name().to_string(),
        )
    }))
}

/// The rows of `extract_entities` from the array `extract_entities_json` returned or
/// `populate_entities` filled, without running the model again: for querying a filled column.
#[pg_extern(immutable, strict, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn expand_entities(
    entities: JsonB,
) -> TableIterator<
    'static,
    // The columns of extract_entities (pgrx reads them from the signature, so they are written out).
    (
        name!(entity_type, String),
        name!(mention, String),
        name!(start_offset, i32),
        name!(end_offset, i32),
        name!(score, f32),
        name!(assertion, String),
        name!(section, Option<String>),
        name!(code_system, Option<String>),
        name!(code, Option<String>),
        name!(preferred_name, Option<String>),
        name!(link_score, Option<f32>),
    ),
> {
    // A note populate_entities could not extract holds {"error": ..., "sqlstate": ...}: it has no
    // entities, and one such note must not stop a query over the whole table.
    if entities.0.get("error").is_some() {
        return TableIterator::new(Vec::new().into_iter().map(EntityRecord::into_row));
    }
    // serde's messages quote the offending value, which may be a mention: none is passed on.
    let stored: Vec<EntityRecord> = serde_json::from_value(entities.0).unwrap_or_else(|_| {
        errors::invalid_parameter(
            "expand_entities expects the array of entities that extract_entities_json returns",
        )
    });
    TableIterator::new(stored.into_iter().map(EntityRecord::into_row))
}

/// The model this session uses: the shared worker's where it serves this session, else this backend's
/// own (loading it if it is not loaded yet).
#[pg_extern(volatile, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn clinical_ner_models() -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(version, String),
        name!(base_model, String),
        name!(checksum, String),
        name!(labels, Vec<String>),
        name!(device, String),
        name!(path, String),
        name!(max_sequence_length, i32),
        name!(cpu_int8_instructions, String),
    ),
> {
    // Where the shared worker serves this session, it has the model: asking it spares loading one here.
    let info = match worker_connection::status().filter(worker_connection::serves_this_session) {
        Some(status) => status.info,
        None => with_extractor(|extractor| Ok(extractor.info().clone())),
    };
    TableIterator::once((
        info.name,
        info.version,
        info.base_model,
        info.sha256,
        info.labels,
        info.device.to_string(),
        info.folder.display().to_string(),
        info.max_sequence_length as i32,
        clinical_ner_engine::cpu_int8_instructions().to_string(),
    ))
}

/// The linking vocabulary this session uses (loading it if it is not loaded yet): no row when
/// `clinical_ner.vocabulary_path` is ''.
#[pg_extern(volatile, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn clinical_ner_vocabulary() -> TableIterator<
    'static,
    (
        name!(path, String),
        name!(terms, i64),
        name!(term_counts, JsonB),
        name!(sources, JsonB),
    ),
> {
    let row = crate::settings::vocabulary_folder().and_then(|folder| {
        with_vocabulary(|vocabulary| {
            vocabulary.map(|v| {
                let manifest = v.manifest();
                (
                    folder.display().to_string(),
                    v.term_count() as i64,
                    JsonB(serde_json::json!(manifest.term_counts)),
                    JsonB(serde_json::json!(manifest.sources)),
                )
            })
        })
    });
    TableIterator::new(row)
}

/// The shared inference worker: its process (a background worker without a database connection,
/// so not in `pg_stat_activity`), what it serves (the model, and the vocabulary it links with, NULL
/// when it has none and sessions link themselves), whether it serves this session (same model folder,
/// device setting and ONNX Runtime library, `clinical_ner.use_inference_worker` on), and its counters since it started
/// (`requests / engine_runs` is how many requests shared an engine call; `abandoned_requests` were
/// dropped unserved because their session had given up, by a cancel or timeout). No row when no worker
/// answers: it is off, not started with `shared_preload_libraries`, or could not load its model (the
/// server log says why).
#[pg_extern(volatile, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn clinical_ner_inference_worker() -> TableIterator<
    'static,
    (
        name!(pid, i32),
        name!(socket, String),
        name!(model_path, String),
        name!(model_name, String),
        name!(model_version, String),
        name!(checksum, String),
        name!(device, String),
        name!(vocabulary_path, Option<String>),
        name!(serves_this_session, bool),
        name!(max_batch_notes, i32),
        name!(connections, i64),
        name!(requests, i64),
        name!(notes, i64),
        name!(engine_runs, i64),
        name!(failed_runs, i64),
        name!(abandoned_requests, i64),
    ),
> {
    let row = worker_connection::status().map(|status| {
        let serves_this_session = worker_connection::serves_this_session(&status);
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        (
            i32::try_from(status.pid).unwrap_or(i32::MAX),
            settings::inference_worker_socket().display().to_string(),
            status.model.folder.display().to_string(),
            status.info.name,
            status.info.version,
            status.info.sha256,
            status.info.device.to_string(),
            status.vocabulary.map(|folder| folder.display().to_string()),
            serves_this_session,
            i32::try_from(status.max_batch_notes).unwrap_or(i32::MAX),
            count(status.connections),
            count(status.requests),
            count(status.notes),
            count(status.engine_runs),
            count(status.failed_runs),
            count(status.abandoned_requests),
        )
    });
    TableIterator::new(row)
}

fn offset(chars: usize) -> i32 {
    // A text value holds at most 1 GB, so a character offset always fits.
    i32::try_from(chars).expect("offsets of a PostgreSQL text value fit in int4")
}

/// Whether this statement runs inside a transaction block (BEGIN ... COMMIT, or a driver that opens
/// one for every statement), where a procedure that commits fails at its first COMMIT: lets
/// `populate_entities` say so, and what to do, before it starts.
#[pg_extern(volatile, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn clinical_ner_in_transaction_block() -> bool {
    // SAFETY: reads the transaction state of this backend, which every statement has.
    unsafe { pg_sys::IsTransactionBlock() }
}

// The batch fill over whole tables (a procedure, because it commits per batch) and its progress view.
extension_sql_file!(
    "../sql/populate.sql",
    name = "populate",
    requires = [
        extract_entities_json_of_many,
        clinical_ner_in_transaction_block
    ]
);
