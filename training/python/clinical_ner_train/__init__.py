"""Training half of clinical_ner: builds the model folder that the Rust engine loads (docs/model-format.md)."""
