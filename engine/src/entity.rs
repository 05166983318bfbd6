//! An extracted entity: what the SQL functions return a row of.

use crate::context::{Assertion, Section};
use crate::labels::EntityType;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entity {
    pub entity_type: EntityType,
    /// The note's own text between `start` and `end`.
    pub mention: String,
    /// Character (not byte) offset of the first character, 0-based.
    pub start: usize,
    /// Character offset one past the last character.
    pub end: usize,
    /// Mean probability of the predicted tag over the entity's words.
    pub score: f32,
    /// Whether the note says the patient has it, and how surely (see [`crate::context`]).
    pub assertion: Assertion,
    /// The note section the mention sits in, where its heading is recognised.
    pub section: Option<Section>,
}
