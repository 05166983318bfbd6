"""Copies of a model folder at another precision: fp32 from an int8 folder, fp16 from an fp32 folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import common

log = common.log

# The issue's bar for a precision that serves in place of fp32: token F1 within half a point on every
# development set, each type.
MAX_TOKEN_F1_LOSS = 0.005


def fp32_copy(args) -> int:
    """An fp32 copy of an int8 model folder, rebuilt from its ONNX file: what a GPU wants (int8 dynamic
    quantisation is a CPU format), and the precision at which the engine pools windows of different notes
    into one run (it never does for int8, whose results would depend on their neighbours)."""
    from .. import adapt, datasets, export, manifest
    from ..evaluate import onnx_predictor
    from ..features import load_tokenizer

    source, out = Path(args.model), Path(args.out)
    source_manifest = manifest.check(source)
    if source_manifest["files"]["model.onnx"]["precision"] != "int8":
        log.error("%s is already %s", source, source_manifest["files"]["model.onnx"]["precision"])
        return 2
    tokenizer = load_tokenizer(source / "tokenizer.json")
    model = adapt.rebuild(source, common.base_model(args.base))
    sentences = common.parity_sentences(datasets.load(Path(args.data_dir), dev_sets=True).dev, tokenizer,
                                  export.PARITY_SENTENCES)
    agreement = adapt.check_rebuild(model, onnx_predictor(source / "model.onnx", common.THREADS), sentences, tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    export.export_onnx(model, out / "model.onnx")
    if args.checkpoint_out:
        # The layout first-model leaves in its work folder, which bench/run.sh reads.
        checkpoint = Path(args.checkpoint_out)
        model.save_pretrained(checkpoint / "pytorch")
        shutil.copyfile(out / "model.onnx", checkpoint / "model.fp32.onnx")
    copy = _copy_tokenizer_and_manifest(source, source_manifest, out,
                                        args.name or f"{source_manifest['name']}-fp32", "fp32",
                                        "int8 ONNX for the CPU", "fp32 ONNX")
    copy["training"]["fp32_copy_of"] = {"sha256": source_manifest["files"]["model.onnx"]["sha256"],
                                        "word_agreement": round(agreement, 4)}
    _write_manifest(out, copy)
    log.info("wrote %s: fp32, %.2f%% of words labelled as %s labels them", out, 100 * agreement, source)
    return 0


def fp16_copy(args) -> int:
    """An fp16 copy of an fp32 model folder, for CUDA: half the weights' bytes, and tensor-core arithmetic.
    Checked twice on the CPU: the parity sentences (99% of words labelled as fp32 labels them), then every
    development set through the engine, each type's token F1 within half a point of the fp32 folder's. A copy
    that fails either check is left without a manifest, so the engine refuses it. `metrics` holds the fp16
    model's own dev-set scores, measured so."""
    from .. import datasets, engine_scores, export, manifest
    from ..evaluate import subset
    from ..features import load_tokenizer

    source, out = Path(args.model), Path(args.out)
    source_manifest = manifest.check(source)
    if source_manifest["files"]["model.onnx"]["precision"] != "fp32":
        log.error("%s is %s: make an fp32 copy first (the fp32 command)", source,
                  source_manifest["files"]["model.onnx"]["precision"])
        return 2
    tokenizer = load_tokenizer(source / "tokenizer.json")
    known = datasets.load(Path(args.data_dir), dev_sets=True)
    sentences = common.parity_sentences(known.dev, tokenizer, export.PARITY_SENTENCES)
    out.mkdir(parents=True, exist_ok=True)
    export.to_fp16(source / "model.onnx", out / "model.onnx")
    parity = export.check_fp16_parity(source / "model.onnx", out / "model.onnx", sentences, tokenizer)
    copy = _copy_tokenizer_and_manifest(source, source_manifest, out,
                                        args.name or _fp16_name(source_manifest["name"]), "fp16",
                                        "fp32 ONNX", "fp16 ONNX for CUDA")
    _write_manifest(out, copy)

    dev_sets = known.dev if args.dev_documents is None else [
        subset(corpus, corpus.documents[:args.dev_documents]) for corpus in known.dev]
    scores = {"fp32": engine_scores.score(source, dev_sets), "fp16": engine_scores.score(out, dev_sets)}
    losses = {f"{set_name} {entity_type}": round(values["token_f1"] - scores["fp16"][set_name][entity_type]["token_f1"], 4)
              for set_name, per_type in scores["fp32"].items() for entity_type, values in per_type.items()}
    copy["metrics"] = scores["fp16"]
    copy["training"]["fp16_copy_of"] = {
        "sha256": source_manifest["files"]["model.onnx"]["sha256"], "parity": parity,
        "dev_token_f1_loss": losses, "dev_documents_per_set": args.dev_documents,
        "checked_on": "the CPU (ONNX Runtime's CPU execution provider, through the engine)"}
    copy["training"]["evaluation"] = {"dev_sets": [c.name for c in dev_sets], "test_sets": [],
                                      "scored_by": "the engine (engine/examples/extract.rs) and clinical-ner-train "
                                                   "evaluate, on the folder's model.onnx, on the CPU"}
    _write_manifest(out, copy)
    worst = max(losses, key=losses.get)
    log.info("fp16 token F1 against fp32 through the engine: %s", json.dumps(losses))
    if losses[worst] > MAX_TOKEN_F1_LOSS:
        # Its manifest was written only so that the engine could score it.
        (out / "manifest.json").unlink()
        log.error("fp16 loses %.1f points of token F1 on %s (at most %.1f allowed): %s is not fit to serve",
                  100 * losses[worst], worst, 100 * MAX_TOKEN_F1_LOSS, out)
        return 1
    log.info("wrote %s: fp16, %.2f%% of parity words as fp32, worst token F1 loss %.2f points (%s)", out,
             100 * parity["word_label_agreement"], 100 * losses[worst], worst)
    return 0


def _fp16_name(name: str) -> str:
    return f"{name.removesuffix('-fp32')}-fp16"


def _copy_tokenizer_and_manifest(source: Path, source_manifest: dict, out: Path, name: str, precision: str,
                                 old_words: str, new_words: str) -> dict:
    """Copies the tokenizer into `out`; returns the source's manifest made over to `out`'s model file (to be
    written by the caller)."""
    from .. import manifest

    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    copy = dict(source_manifest, name=name)
    copy["description"] = source_manifest["description"].replace(old_words, new_words)
    copy["files"] = {**source_manifest["files"],
                     "model.onnx": {"sha256": manifest.sha256(out / "model.onnx"), "precision": precision}}
    copy["training"] = dict(source_manifest["training"])
    return copy


def _write_manifest(out: Path, manifest_data: dict) -> None:
    from .. import manifest

    (out / "manifest.json").write_text(json.dumps(manifest_data, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    manifest.check(out)
