"""Documents to training windows: tokenise with the model's own tokenizer and align BIO labels to words.

A word is what the tokenizer's pre-tokenizer makes (`word_ids`). A word is inside a span when its characters
overlap the span; its label goes on its first sub-token and every other sub-token gets -100, which is how
the engine reads predictions back. Documents longer than one window are split into several windows, never
truncated: cuts fall after a sentence end where possible and never inside an entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenizers import Encoding, Tokenizer

from .datasets import ENTITY_TYPES, Document

LABELS = ["O"] + [f"{prefix}-{t}" for t in ENTITY_TYPES for prefix in ("B", "I")]
LABEL_IDS = {label: i for i, label in enumerate(LABELS)}
IGNORE = -100
MAX_LENGTH = 128
CONTENT_LENGTH = MAX_LENGTH - 2
SENTENCE_END = {".", "?", "!"}


def load_tokenizer(path: Path) -> Tokenizer:
    """The tokenizer as the engine uses it: the base model's file pads to 128, which the engine must not do."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


@dataclass
class Word:
    start: int  # character offsets into the document text
    end: int
    first_token: int  # token index into the document's encoding (without special tokens)
    last_token: int


def words_of(encoding: Encoding) -> list[Word]:
    found: dict[int, Word] = {}
    for index, (word_id, (start, end)) in enumerate(zip(encoding.word_ids, encoding.offsets)):
        if word_id is None:
            continue
        word = found.get(word_id)
        if word is None:
            found[word_id] = Word(start, end, index, index)
        else:
            word.end = max(word.end, end)
            word.last_token = index
    return sorted(found.values(), key=lambda w: w.first_token)


def word_labels(document: Document, words: list[Word]) -> list[int]:
    """BIO label id per word; IGNORE for words inside an ignored region and no entity."""
    labels: list[int] = []
    previous_span = None
    for word in words:
        span = next((s for s in document.spans if s[0] < word.end and word.start < s[1]), None)
        if span is not None:
            prefix = "I" if span == previous_span else "B"
            labels.append(LABEL_IDS[f"{prefix}-{span[2]}"])
        elif any(s < word.end and word.start < e for s, e in document.ignore):
            labels.append(IGNORE)
        else:
            labels.append(LABEL_IDS["O"])
        previous_span = span
    return labels


@dataclass
class Window:
    input_ids: list[int]  # with [CLS] and [SEP]
    labels: list[int]  # one per input id: the word label on first sub-tokens, IGNORE elsewhere


def _cut_points(words: list[Word], labels: list[int], text: str) -> tuple[set[int], set[int]]:
    """Token indices where a window may end: after any word not followed by I-, and after sentence ends."""
    allowed: set[int] = set()
    sentence: set[int] = set()
    for i, word in enumerate(words):
        following = labels[i + 1] if i + 1 < len(words) else LABEL_IDS["O"]
        if following >= 0 and LABELS[following].startswith("I-"):
            continue
        allowed.add(word.last_token + 1)
        if text[word.start:word.end] in SENTENCE_END:
            sentence.add(word.last_token + 1)
    return allowed, sentence


def windows(document: Document, tokenizer: Tokenizer) -> list[Window]:
    encoding = tokenizer.encode(document.text, add_special_tokens=False)
    words = words_of(encoding)
    labels = word_labels(document, words)
    token_labels = [IGNORE] * len(encoding.ids)
    for word, label in zip(words, labels):
        token_labels[word.first_token] = label
    allowed, sentence = _cut_points(words, labels, document.text)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")

    result: list[Window] = []
    start = 0
    while start < len(encoding.ids):
        limit = min(start + CONTENT_LENGTH, len(encoding.ids))
        if limit == len(encoding.ids):
            end = limit
        else:
            # A window that ends at a sentence end is preferred unless that leaves it under half full.
            candidates = [c for c in sentence if start + CONTENT_LENGTH // 2 <= c <= limit]
            candidates = candidates or [c for c in allowed if start < c <= limit]
            end = max(candidates) if candidates else limit
        result.append(Window([cls_id] + encoding.ids[start:end] + [sep_id],
                             [IGNORE] + token_labels[start:end] + [IGNORE]))
        start = end
    return result
