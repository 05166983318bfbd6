//! What an LLM teacher is asked and how its answer is read.
//!
//! One prompt per entity type, as in arXiv 2501.00031, which tagged each task on its own: a model
//! asked for one kind of thing at a time confuses the kinds less. The answer must be a JSON array of
//! the mentions copied verbatim; [`parse_reply`] also takes the shapes small or chatty models give
//! instead (a code fence around it, an object holding the array, objects with a "text" field), and
//! anything else is a [`MalformedReply`], which the caller counts and moves past.

use clinical_ner_engine::EntityType;
use serde_json::Value;

/// Part of every cache key: changing a prompt's wording must change this, or stale answers to the
/// old prompt would be served from the cache.
pub const PROMPT_VERSION: &str = "2";

/// The system and user messages of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

const SYSTEM: &str = "You are a clinical information extraction system. You answer with JSON only.";

fn definition(entity_type: EntityType) -> &'static str {
    match entity_type {
        EntityType::Medication => {
            "medications: drug names, generic or brand, including vaccines, insulin and drug \
             classes given as treatment. Do not include doses, routes or frequencies"
        }
        EntityType::Disease => {
            "diseases and disorders: diagnoses, syndromes, infections, cancers, injuries and \
             chronic conditions. Do not include symptoms or signs"
        }
        EntityType::Symptom => {
            "symptoms and signs: what the patient feels or shows, such as pain, nausea, fever, \
             rash, dizziness or shortness of breath. Do not include diagnoses"
        }
    }
}

pub fn prompt(entity_type: EntityType, note: &str) -> Prompt {
    let user = format!(
        "List every mention of {} in the clinical text below. Copy each mention exactly as it is \
         written in the text, once per distinct wording. Answer with JSON only, in the form \
         {{\"mentions\": [\"...\", \"...\"]}}, with an empty list if there is none.\n\nText:\n{note}",
        definition(entity_type)
    );
    Prompt {
        system: SYSTEM.to_owned(),
        user,
    }
}

/// A reply that holds no JSON array of mentions. Carries nothing of the reply, which may quote the
/// note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reply is not a JSON array of mention strings")]
pub struct MalformedReply;

/// The mention strings of a reply, trimmed, empty ones dropped.
pub fn parse_reply(reply: &str) -> Result<Vec<String>, MalformedReply> {
    let body = strip_code_fence(reply.trim());
    let value: Value = match serde_json::from_str(body) {
        Ok(value) => value,
        Err(_) => {
            let array = outermost(body, '[', ']').ok_or(MalformedReply)?;
            serde_json::from_str(array).map_err(|_| MalformedReply)?
        }
    };
    let items = match value {
        Value::Array(items) => items,
        // {"medications": [...]} and the like: the object's one array.
        Value::Object(fields) => {
            let mut arrays = fields.into_iter().filter_map(|(_, v)| match v {
                Value::Array(items) => Some(items),
                _ => None,
            });
            match (arrays.next(), arrays.next()) {
                (Some(items), None) => items,
                _ => return Err(MalformedReply),
            }
        }
        _ => return Err(MalformedReply),
    };
    let mut mentions = Vec::with_capacity(items.len());
    for item in items {
        let text = match item {
            Value::String(text) => text,
            Value::Object(mut fields) => match ["text", "mention", "name"]
                .iter()
                .find_map(|key| fields.remove(*key))
            {
                Some(Value::String(text)) => text,
                _ => return Err(MalformedReply),
            },
            _ => return Err(MalformedReply),
        };
        let text = text.trim();
        if !text.is_empty() {
            mentions.push(text.to_owned());
        }
    }
    Ok(mentions)
}

/// The inside of a Markdown code fence, or the text itself.
fn strip_code_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    // Skip the info string ("json") up to the end of the fence's line.
    let rest = rest.split_once('\n').map_or("", |(_, body)| body);
    rest.rsplit_once("```")
        .map_or(rest, |(body, _)| body)
        .trim()
}

/// The text from the first `open` to the last `close`, for replies with prose around the JSON.
fn outermost(text: &str, open: char, close: char) -> Option<&str> {
    let start = text.find(open)?;
    let end = text.rfind(close)?;
    (start < end).then(|| &text[start..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_array() {
        assert_eq!(
            parse_reply(r#"["aspirin", " metformin ", ""]"#),
            Ok(vec!["aspirin".to_owned(), "metformin".to_owned()])
        );
        assert_eq!(parse_reply("[]"), Ok(vec![]));
    }

    #[test]
    fn reads_the_shapes_chatty_models_give() {
        let expected = Ok(vec!["chest pain".to_owned()]);
        assert_eq!(parse_reply("```json\n[\"chest pain\"]\n```"), expected);
        assert_eq!(
            parse_reply("Here they are: [\"chest pain\"]. Done."),
            expected
        );
        assert_eq!(parse_reply(r#"{"symptoms": ["chest pain"]}"#), expected);
        assert_eq!(
            parse_reply(r#"[{"text": "chest pain", "type": "symptom"}]"#),
            expected
        );
    }

    #[test]
    fn rejects_what_is_not_a_list_of_mentions() {
        for reply in [
            "",
            "None found.",
            "[1, 2]",
            r#"{"a": [], "b": []}"#,
            r#""aspirin""#,
            "[\"unterminated",
            r#"[{"score": 1}]"#,
        ] {
            assert_eq!(parse_reply(reply), Err(MalformedReply), "{reply}");
        }
    }

    #[test]
    fn asks_for_one_type_and_quotes_the_note_once() {
        let p = prompt(EntityType::Symptom, "Denies chest pain.");
        assert!(p.user.contains("symptoms and signs"));
        assert!(p.user.contains(r#"{"mentions": ["#));
        assert!(!p.user.contains("medications:"));
        assert_eq!(p.user.matches("Denies chest pain.").count(), 1);
        assert!(!p.system.contains("Denies"));
    }
}
