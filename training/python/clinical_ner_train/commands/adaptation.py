"""A shipped model folder adapted to a site's notes, with F1 before and after."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

from . import common

log = common.log


def adapt_model(args) -> int:
    from .. import adapt, datasets, engine_scores, export, manifest
    from ..datasets import Corpus
    from ..evaluate import onnx_predictor
    from ..features import load_tokenizer

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

    shipped_predictor = onnx_predictor(shipped / "model.onnx", common.THREADS)
    model = adapt.rebuild(shipped, common.base_model(args.base))
    # The same real sentences as first-model's parity check, so every model folder meets one bar.
    sentences = common.parity_sentences(known.dev, tokenizer, export.PARITY_SENTENCES)
    agreement = adapt.check_rebuild(model, shipped_predictor, sentences, tokenizer)
    log.info("rebuilt %s from its ONNX file: %.2f%% of words labelled as the shipped file does", shipped,
             100 * agreement)
    before = engine_scores.score(shipped, original + [held_out])

    result = adapt.adapt(model, training, held_out, tokenizer, settings)
    if result.best_step == 0:
        log.warning("no check beat the starting model on %s: the new folder holds the starting model "
                    "unchanged, because the site's labels taught it nothing the held-out set rewards",
                    held_out.name)
    work = common.WORK_DIR / f"adapt-{out.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out.mkdir(parents=True, exist_ok=True)
    for name in common.MODEL_FILES:
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
