"""An fp32 copy of an int8 model folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import common

log = common.log


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
