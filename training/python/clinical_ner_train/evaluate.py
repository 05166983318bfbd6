"""Decode predictions as the Rust engine does, and score them: for early stopping and development checks only.
Every published F1 comes from the engine itself (engine_scores.py).

Decoding: the text is tokenised without special tokens and cut into windows of at most 126 tokens that
overlap by an eighth (15 tokens), the last one moved back to end at the last token; each window is sent as
`[CLS] tokens [SEP]`. A token's prediction comes from the window in which it lies farthest from a cut edge
(the note's own start and end are not cuts), the first on a tie. A word's label is the argmax of the softmax
at its first sub-token. Spans: B-X starts a span, I-X continues a span of type X begun by the previous word,
and I-X after anything else starts a new span; a span runs from the first character of its first word to the
last character of its last word. tests/engine_decoding.json, written by a Rust test from the engine's own
functions, holds this module to that. Windows of different texts share a run only for PyTorch models: an
int8 ONNX file quantises its activations per run, so its results would depend on their neighbours, and the
engine never pools them.

Scores, per entity type: entity-level strict precision/recall/F1 (exact character offsets and type) and
word-level precision/recall/F1 (each word's type, the token-level metric of arXiv 2501.00031). On a partially
labelled corpus only the types it labels are scored, after mapping predicted types by the corpus's
`scoring_type_map`; words and predicted spans inside a corpus's ignored regions are not scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from tokenizers import Tokenizer

from .datasets import Corpus, Document, Span
from .features import CONTENT_LENGTH, LABELS, Word, words_of

OVERLAP = CONTENT_LENGTH // 8
# input_ids and attention_mask, both int64 [batch, sequence] -> logits float32 [batch, sequence, labels]
Predictor = Callable[[np.ndarray, np.ndarray], np.ndarray]


def onnx_predictor(path: Path, threads: int = 2) -> Predictor:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}

    def predict(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        return session.run(["logits"], feed)[0]

    predict.pool_texts = False
    return predict


def torch_predictor(model) -> Predictor:
    import torch

    model.eval()
    # A model checked during training on a GPU is still there.
    device = next(model.parameters()).device

    def predict(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            ids = torch.from_numpy(input_ids).to(device)
            return model(input_ids=ids, attention_mask=torch.from_numpy(attention_mask).to(device),
                         token_type_ids=torch.zeros_like(ids)).logits.cpu().numpy()

    return predict


def window_starts(length: int) -> list[int]:
    if length <= CONTENT_LENGTH:
        return [0]
    step = CONTENT_LENGTH - OVERLAP
    starts = list(range(0, length - CONTENT_LENGTH, step))
    return starts + [length - CONTENT_LENGTH]


def best_window(starts: list[int], length: int, token: int) -> int:
    """Index of the window where `token` is farthest from a cut edge (the text's own start and end are not
    cuts; the earlier window on a tie)."""
    best, best_distance = 0, -1
    for index, start in enumerate(starts):
        end = min(start + CONTENT_LENGTH, length)
        if start <= token < end:
            left = token - start if start > 0 else length
            right = end - 1 - token if end < length else length
            if min(left, right) > best_distance:
                best, best_distance = index, min(left, right)
    return best


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@dataclass
class Prediction:
    words: list[Word]
    labels: list[str]
    spans: list[Span] = field(default_factory=list)


def predict(texts: list[str], tokenizer: Tokenizer, predictor: Predictor, batch_tokens: int = 4096
            ) -> list[Prediction]:
    cls_id, sep_id, pad_id = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
    jobs = []  # (text index, window index, start): every window of every text
    for t, encoding in enumerate(encodings):
        for w, start in enumerate(window_starts(len(encoding.ids))):
            jobs.append((t, w, start))
    window_logits: dict[tuple[int, int], np.ndarray] = {}
    pool_texts = getattr(predictor, "pool_texts", True)
    if pool_texts:
        jobs.sort(key=lambda j: len(encodings[j[0]].ids[j[2]:j[2] + CONTENT_LENGTH]))
    batch: list[tuple[int, int, int]] = []

    def run(batch: list[tuple[int, int, int]]) -> None:
        rows = [[cls_id] + encodings[t].ids[s:s + CONTENT_LENGTH] + [sep_id] for t, _, s in batch]
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = row
            mask[i, :len(row)] = 1
        logits = predictor(ids, mask)
        for i, (t, w, _) in enumerate(batch):
            window_logits[(t, w)] = logits[i, 1:len(rows[i]) - 1]

    for job in jobs:
        width = min(len(encodings[job[0]].ids) - job[2], CONTENT_LENGTH) + 2
        if batch and (width * (len(batch) + 1) > batch_tokens or (not pool_texts and batch[0][0] != job[0])):
            run(batch)
            batch = []
        batch.append(job)
    if batch:
        run(batch)

    predictions = []
    for t, (text, encoding) in enumerate(zip(texts, encodings)):
        starts = window_starts(len(encoding.ids))
        words = words_of(encoding)
        labels = []
        for word in words:
            w = best_window(starts, len(encoding.ids), word.first_token)
            probabilities = softmax(window_logits[(t, w)][word.first_token - starts[w]])
            labels.append(LABELS[int(np.argmax(probabilities))])
        predictions.append(Prediction(words, labels, decode_spans(words, labels)))
    return predictions


def decode_spans(words: list[Word], labels: list[str]) -> list[Span]:
    spans: list[list] = []
    previous = "O"
    for word, label in zip(words, labels):
        if label == "O":
            previous = label
            continue
        prefix, entity_type = label.split("-", 1)
        if prefix == "I" and previous != "O" and previous.split("-", 1)[1] == entity_type:
            spans[-1][1] = word.end
        else:
            spans.append([word.start, word.end, entity_type])
        previous = label
    return [tuple(s) for s in spans]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _inside(start: int, end: int, regions: Iterable[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in regions)


def score(corpus: Corpus, predictions: list[Prediction]) -> dict[str, dict]:
    """Per labelled type: entity strict and word-level precision/recall/F1, and the gold mention count."""
    types = sorted(corpus.labelled_types)
    entity = {t: Counts() for t in types}
    word_level = {t: Counts() for t in types}
    for document, prediction in zip(corpus.documents, predictions):
        gold = {s for s in document.spans if s[2] in entity}
        predicted = {(s, e, corpus.scoring_type_map.get(t, t)) for s, e, t in prediction.spans}
        predicted = {p for p in predicted if p[2] in entity and not _inside(p[0], p[1], document.ignore)}
        for t in types:
            gold_t = {s for s in gold if s[2] == t}
            predicted_t = {s for s in predicted if s[2] == t}
            entity[t].tp += len(gold_t & predicted_t)
            entity[t].fp += len(predicted_t - gold_t)
            entity[t].fn += len(gold_t - predicted_t)
        for word, label in zip(prediction.words, prediction.labels):
            if _inside(word.start, word.end, document.ignore):
                continue
            gold_type = next((s[2] for s in gold if s[0] < word.end and word.start < s[1]), None)
            predicted_type = None if label == "O" else label.split("-", 1)[1]
            predicted_type = corpus.scoring_type_map.get(predicted_type, predicted_type)
            for t in types:
                if gold_type == t and predicted_type == t:
                    word_level[t].tp += 1
                elif predicted_type == t:
                    word_level[t].fp += 1
                elif gold_type == t:
                    word_level[t].fn += 1
    result = {}
    for t in types:
        token = {f"token_{k}": v for k, v in word_level[t].scores().items()}
        support = sum(1 for d in corpus.documents for s in d.spans if s[2] == t)
        result[t] = {**entity[t].scores(), **token, "support": support}
    return result


def evaluate(corpus: Corpus, tokenizer: Tokenizer, predictor: Predictor) -> dict[str, dict]:
    return score(corpus, predict([d.text for d in corpus.documents], tokenizer, predictor))


def tagged(text: str, tokenizer: Tokenizer, predictor: Predictor) -> list[tuple[str, str]]:
    """(mention, type) pairs the model finds in one text."""
    prediction = predict([text], tokenizer, predictor)[0]
    return [(text[s:e], t) for s, e, t in prediction.spans]


def subset(corpus: Corpus, documents: list[Document]) -> Corpus:
    return Corpus(corpus.name, documents, corpus.labelled_types, corpus.licence, corpus.scoring_type_map)
