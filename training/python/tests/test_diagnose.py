"""The diagnosis of a type's misses: word confusion, the logit bias and the choice made on dev sets."""

import numpy as np
import pytest

from clinical_ner_train.datasets import Corpus, Document
from clinical_ner_train.diagnose import best_on, biased, confused_words, word_confusion
from clinical_ner_train.evaluate import Prediction
from clinical_ner_train.features import LABELS, Word


def test_word_confusion_counts_where_each_gold_word_went():
    text = "fever and dry cough"
    document = Document("1", text, [(0, 5, "symptom"), (10, 19, "symptom")])
    corpus = Corpus("c", [document], frozenset({"symptom"}), "")
    words = [Word(0, 5, 0, 0), Word(6, 9, 1, 1), Word(10, 13, 2, 2), Word(14, 19, 3, 3)]
    prediction = Prediction(words, ["I-disease", "O", "O", "I-symptom"])
    confusion = word_confusion(corpus, [prediction])
    assert confusion == {("symptom", "disease"): 1, ("O", "O"): 1, ("symptom", "O"): 1,
                         ("symptom", "symptom"): 1}
    assert confused_words(corpus, [prediction], "symptom") == {"disease": {"fever": 1}, "O": {"dry": 1}}


def test_bias_moves_only_the_types_own_logits():
    shifted = biased(lambda ids, mask: np.zeros((1, 2, len(LABELS))), "symptom", 2.0)
    logits = shifted(np.zeros((1, 2), dtype=np.int64), np.ones((1, 2), dtype=np.int64))
    moved = [label for label, value in zip(LABELS, logits[0, 0]) if value != 0]
    assert moved == ["B-symptom", "I-symptom"]
    assert logits[0, 1, LABELS.index("I-symptom")] == 2.0


def test_the_bias_is_chosen_on_the_development_sets_only_and_ties_go_to_the_smaller():
    rows = [{"bias": 0.0, "set": "psytar-dev", "token_f1": 0.70},
            {"bias": 1.0, "set": "psytar-dev", "token_f1": 0.72},
            {"bias": 2.0, "set": "psytar-dev", "token_f1": 0.72},
            {"bias": 3.0, "set": "psytar-dev", "token_f1": 0.60},
            {"bias": 3.0, "set": "maccrobat2020-dev", "token_f1": 0.99}]
    assert best_on(rows, {"psytar-dev"}) == 1.0
    with pytest.raises(ValueError):
        best_on(rows, {"bc5cdr-dev"})
