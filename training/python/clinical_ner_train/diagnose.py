"""Why a model misses a type on a corpus: where that type's gold words go (the model's confusion at word
level), and how a bias added to the type's logits trades precision for recall on each corpus.

A bias is a choice, so it is made on development sets; a held-out set only shows what the choice costs or
buys there (docs/results.md: MACCROBAT symptoms).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .datasets import Corpus
from .evaluate import Prediction, Predictor, evaluate
from .features import LABELS


def word_confusion(corpus: Corpus, predictions: list[Prediction]) -> Counter:
    """(gold type or "O", predicted type or "O") -> words; a word is gold where a gold span overlaps it."""
    confusion: Counter = Counter()
    for document, prediction in zip(corpus.documents, predictions):
        for word, label in zip(prediction.words, prediction.labels):
            gold = next((t for s, e, t in document.spans if s < word.end and word.start < e), "O")
            confusion[(gold, "O" if label == "O" else label.split("-", 1)[1])] += 1
    return confusion


def confused_words(corpus: Corpus, predictions: list[Prediction], entity_type: str) -> dict[str, Counter]:
    """For each other tag, how often each (lower-cased) gold word of `entity_type` was given it."""
    words: dict[str, Counter] = {}
    for document, prediction in zip(corpus.documents, predictions):
        for word, label in zip(prediction.words, prediction.labels):
            gold = next((t for s, e, t in document.spans if s < word.end and word.start < e), "O")
            given = "O" if label == "O" else label.split("-", 1)[1]
            if gold == entity_type and given != entity_type:
                words.setdefault(given, Counter())[document.text[word.start:word.end].lower()] += 1
    return words


def biased(predictor: Predictor, entity_type: str, bias: float) -> Predictor:
    """The predictor with `bias` added to the logits of the type's B- and I- labels."""
    columns = [i for i, label in enumerate(LABELS) if label.endswith(f"-{entity_type}")]

    def predict(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        logits = np.array(predictor(input_ids, attention_mask), dtype=np.float32, copy=True)
        logits[..., columns] += bias
        return logits

    return predict


def bias_sweep(corpora: list[Corpus], entity_type: str, biases: list[float], tokenizer,
               predictor: Predictor) -> list[dict]:
    """One row per bias and corpus: the type's word and entity precision, recall and F1."""
    rows = []
    for bias in biases:
        shifted = biased(predictor, entity_type, bias)
        for corpus in corpora:
            rows.append({"bias": bias, "set": corpus.name, **evaluate(corpus, tokenizer, shifted)[entity_type]})
    return rows


def best_on(rows: list[dict], choice_sets: set[str]) -> float:
    """The bias with the best mean word F1 over `choice_sets` (development sets); ties go to the smaller."""
    by_bias: dict[float, list[float]] = {}
    for row in rows:
        if row["set"] in choice_sets:
            by_bias.setdefault(row["bias"], []).append(row["token_f1"])
    if not by_bias:
        raise ValueError("none of the sets is a development set to choose a bias on")
    return max(by_bias, key=lambda bias: (np.mean(by_bias[bias]), -abs(bias)))
