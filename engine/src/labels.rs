//! The label scheme of a model: which logit means which tag of which entity type.

use std::fmt;
use std::str::FromStr;

/// The kinds of entity the product extracts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum EntityType {
    Medication,
    Disease,
    Symptom,
}

impl EntityType {
    pub const ALL: [EntityType; 3] = [
        EntityType::Medication,
        EntityType::Disease,
        EntityType::Symptom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Medication => "medication",
            EntityType::Disease => "disease",
            EntityType::Symptom => "symptom",
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityType {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        EntityType::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| format!("unknown entity type \"{name}\""))
    }
}

/// One tag of a BIO (or IO) scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Outside,
    Begin(EntityType),
    Inside(EntityType),
}

impl Tag {
    pub fn entity_type(self) -> Option<EntityType> {
        match self {
            Tag::Outside => None,
            Tag::Begin(t) | Tag::Inside(t) => Some(t),
        }
    }
}

impl FromStr for Tag {
    type Err = String;

    fn from_str(label: &str) -> Result<Self, Self::Err> {
        if label == "O" {
            return Ok(Tag::Outside);
        }
        match label.split_once('-') {
            Some(("B", name)) => Ok(Tag::Begin(name.parse()?)),
            Some(("I", name)) => Ok(Tag::Inside(name.parse()?)),
            _ => Err(format!(
                "label \"{label}\" is neither O nor B-<type> nor I-<type>"
            )),
        }
    }
}

/// The tags in logit order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelScheme {
    tags: Vec<Tag>,
}

impl LabelScheme {
    pub fn parse<S: AsRef<str>>(labels: &[S]) -> Result<Self, String> {
        let tags = labels
            .iter()
            .map(|l| l.as_ref().parse())
            .collect::<Result<Vec<Tag>, _>>()?;
        if !tags.contains(&Tag::Outside) {
            return Err("the labels have no O tag".into());
        }
        Ok(LabelScheme { tags })
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    pub fn tag(&self, index: usize) -> Tag {
        self.tags[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bio_labels_in_logit_order() {
        let scheme =
            LabelScheme::parse(&["O", "B-medication", "I-medication", "B-symptom"]).unwrap();
        assert_eq!(scheme.len(), 4);
        assert_eq!(scheme.tag(0), Tag::Outside);
        assert_eq!(scheme.tag(2), Tag::Inside(EntityType::Medication));
        assert_eq!(scheme.tag(3), Tag::Begin(EntityType::Symptom));
    }

    #[test]
    fn rejects_unknown_types_and_schemes_without_outside() {
        assert!(LabelScheme::parse(&["O", "B-dosage"])
            .unwrap_err()
            .contains("dosage"));
        assert!(LabelScheme::parse(&["B-disease", "I-disease"]).is_err());
        assert!(LabelScheme::parse(&["O", "X-disease"]).is_err());
    }

    #[test]
    fn entity_type_names_round_trip() {
        for t in EntityType::ALL {
            assert_eq!(t.as_str().parse::<EntityType>().unwrap(), t);
        }
    }
}
