"""Write manifest.json for a model folder (docs/model-format.md) and check a folder against that contract.

`check` makes the same checks the engine makes before it serves a note (both checksums, ONNX output width
equal to the label count, tokenizer vocabulary size) plus the rest of the contract: field types, label
scheme, special tokens present in the vocabulary, input and output names, and a tokenizer that neither pads
nor truncates.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tokenizers import Tokenizer

from .features import LABELS, MAX_LENGTH

FORMAT_VERSION = 1
NAME = "clinical-ner-minilm"
VERSION = "0.1.0"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SPECIAL_TOKENS = {"cls": "[CLS]", "sep": "[SEP]", "pad": "[PAD]"}


class ManifestError(ValueError):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(folder: Path, *, training_data: list[str], command: str, hyperparameters: dict,
          metrics: dict, evaluation: dict, name: str = NAME, version: str = VERSION,
          adaptation: dict | None = None, precision: str = "int8") -> Path:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "description": "Medication, disease and symptom mentions in clinical text: all-MiniLM-L6-v2 "
                       "fine-tuned as a BIO word tagger, int8 ONNX for the CPU.",
        "base_model": BASE_MODEL,
        "labels": LABELS,
        "max_sequence_length": MAX_LENGTH,
        "special_tokens": SPECIAL_TOKENS,
        "files": {
            "model.onnx": {"sha256": sha256(folder / "model.onnx"), "precision": precision},
            "tokenizer.json": {"sha256": sha256(folder / "tokenizer.json")},
        },
        "vocab_size": tokenizer.get_vocab_size(),
        "training": {"data": training_data, "command": command, "hyperparameters": hyperparameters,
                     "evaluation": evaluation},
        "metrics": metrics,
    }
    if adaptation is not None:
        manifest["training"]["adaptation"] = adaptation
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ManifestError(message)


def check(folder: Path) -> dict:
    """Returns the manifest when the folder honours docs/model-format.md, raises ManifestError otherwise."""
    import onnx

    path = folder / "manifest.json"
    _require(path.is_file(), f"{path} is missing")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    expected_types = {"format_version": int, "name": str, "version": str, "description": str, "base_model": str,
                      "labels": list, "max_sequence_length": int, "special_tokens": dict, "files": dict,
                      "vocab_size": int, "training": dict, "metrics": dict}
    for key, kind in expected_types.items():
        _require(isinstance(manifest.get(key), kind), f"manifest field {key!r} missing or not a {kind.__name__}")
    _require(manifest["format_version"] == FORMAT_VERSION, "unsupported format_version")
    labels = manifest["labels"]
    _require(labels[:1] == ["O"] and all(l[:2] in ("B-", "I-") for l in labels[1:]),
             "labels must be O then B-/I- tags")
    _require(labels == LABELS, f"labels {labels} differ from the trained order {LABELS}")
    _require(manifest["max_sequence_length"] == MAX_LENGTH, "max_sequence_length must be 128")
    for key in ("data", "command", "hyperparameters"):
        _require(key in manifest["training"], f"training.{key} missing")
    for set_name, per_type in manifest["metrics"].items():
        for entity_type, values in per_type.items():
            for key in ("precision", "recall", "f1"):
                _require(isinstance(values.get(key), float), f"metrics.{set_name}.{entity_type}.{key} missing")

    for name in ("model.onnx", "tokenizer.json"):
        entry = manifest["files"].get(name)
        _require(isinstance(entry, dict) and (folder / name).is_file(), f"{name} missing")
        _require(entry["sha256"] == sha256(folder / name), f"{name} does not match its sha256")
    _require(manifest["files"]["model.onnx"].get("precision") in ("int8", "fp32", "fp16"),
             "model.onnx precision must be int8, fp32 or fp16")

    tokenizer_json = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    _require(tokenizer_json.get("padding") is None, "tokenizer.json must not pad")
    _require(tokenizer_json.get("truncation") is None, "tokenizer.json must not truncate")
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    _require(tokenizer.get_vocab_size() == manifest["vocab_size"], "vocab_size differs from tokenizer.json")
    for role in ("cls", "sep", "pad"):
        token = manifest["special_tokens"].get(role)
        _require(token is not None and tokenizer.token_to_id(token) is not None, f"special token {role} unknown")

    graph = onnx.load(str(folder / "model.onnx"), load_external_data=False).graph
    inputs = [i.name for i in graph.input]
    _require(inputs[:2] == ["input_ids", "attention_mask"] and set(inputs) <= {"input_ids", "attention_mask",
             "token_type_ids"}, f"unexpected ONNX inputs {inputs}")
    for tensor in graph.input:
        _require(tensor.type.tensor_type.elem_type == onnx.TensorProto.INT64, f"ONNX input {tensor.name} not int64")
    outputs = {o.name: o for o in graph.output}
    _require(list(outputs) == ["logits"], f"ONNX outputs must be ['logits'], got {list(outputs)}")
    dims = outputs["logits"].type.tensor_type.shape.dim
    _require(len(dims) == 3 and dims[2].dim_value == len(labels),
             f"ONNX logits last axis must be {len(labels)} labels")
    _require(not dims[0].dim_value and not dims[1].dim_value, "ONNX batch and sequence axes must be dynamic")
    _require(outputs["logits"].type.tensor_type.elem_type == onnx.TensorProto.FLOAT, "ONNX logits not float32")
    return manifest
