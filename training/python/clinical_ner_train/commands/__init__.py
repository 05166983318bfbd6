"""The commands of `python -m clinical_ner_train`, one module each; `__main__` parses and dispatches."""
