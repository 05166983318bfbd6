"""Scores of a model folder through the engine, the path users run: every F1 a manifest, the README or
docs/ publishes comes from here.

Each corpus is written as a gold file (the JSON lines of training/src/corpus_files.rs), its texts go through
the engine's `extract` example (engine/examples/extract.rs: the extension's tokenizer, windows, batching and
decoding), and `clinical-ner-train evaluate` scores the entities (training/src/metrics.rs). The PyTorch-side
scorer in evaluate.py is for early stopping only.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from .datasets import REPOSITORY_ROOT, Corpus, trainer_binary


def extract_binary() -> Path:
    """The engine's `extract` example (`cargo build --release -p clinical_ner_engine --example extract`)."""
    path = Path(os.environ.get("CLINICAL_NER_EXTRACT", REPOSITORY_ROOT / "target" / "release" / "examples" / "extract"))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: build it with "
                                "`cargo build --release -p clinical_ner_engine --example extract`")
    return path


def onnxruntime_library() -> Path:
    """$ORT_LIBRARY, else the library inside the onnxruntime wheel the trainer already uses."""
    if "ORT_LIBRARY" in os.environ:
        return Path(os.environ["ORT_LIBRARY"])
    import onnxruntime

    found = sorted((Path(onnxruntime.__file__).parent / "capi").glob("libonnxruntime.so*"))
    if not found:
        raise FileNotFoundError("no libonnxruntime.so in the onnxruntime wheel; set ORT_LIBRARY")
    return found[-1]


def score(model_dir: Path, corpora: list[Corpus]) -> dict[str, dict[str, dict]]:
    """Per corpus and labelled type: strict entity precision/recall/F1, word-level (token_*) ones and the
    gold mention count, in the manifest's `metrics` layout."""
    scores: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="clinical-ner-engine-scores-") as folder:
        for number, corpus in enumerate(corpora):
            gold, notes = Path(folder) / f"{number}.gold.jsonl", Path(folder) / f"{number}.notes.jsonl"
            predictions, report = Path(folder) / f"{number}.predictions.jsonl", Path(folder) / f"{number}.json"
            with open(gold, "w", encoding="utf-8") as g, open(notes, "w", encoding="utf-8") as n:
                for document in corpus.documents:
                    spans = [{"start": s, "end": e, "type": t} for s, e, t in document.spans]
                    g.write(json.dumps({"id": document.id, "text": document.text, "spans": spans,
                                        "ignore": [list(r) for r in document.ignore]}) + "\n")
                    n.write(json.dumps({"id": document.id, "text": document.text}) + "\n")
            with open(notes, encoding="utf-8") as stdin, open(predictions, "w", encoding="utf-8") as stdout:
                subprocess.run([str(extract_binary()), str(model_dir), str(onnxruntime_library())], stdin=stdin,
                               stdout=stdout, check=True)
            command = [str(trainer_binary()), "evaluate", "--gold", str(gold), "--labelled-types",
                       ",".join(sorted(corpus.labelled_types)), "--predictions", str(predictions), "--json", str(report)]
            if corpus.scoring_type_map.get("symptom") == "disease":
                command.append("--symptom-counts-as-disease")
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            scores[corpus.name] = manifest_layout(json.loads(report.read_text(encoding="utf-8")))
    return scores


def score_trained(model, tokenizer, corpora: list[Corpus]) -> dict[str, dict[str, dict]]:
    """`score` for a PyTorch model that has no folder yet: exported as fp32 ONNX into a temporary one."""
    from . import export, manifest

    with tempfile.TemporaryDirectory(prefix="clinical-ner-unshipped-") as folder:
        export.export_onnx(model, Path(folder) / "model.onnx")
        tokenizer.save(str(Path(folder) / "tokenizer.json"))
        manifest.write(Path(folder), training_data=[], command="", hyperparameters={}, metrics={}, evaluation={},
                       name="unshipped", precision="fp32")
        return score(Path(folder), corpora)


def manifest_layout(report: dict) -> dict[str, dict]:
    """`clinical-ner-train evaluate --json` per type, as {precision, recall, f1, token_*, support}."""
    layout = {}
    for row in report["per_type"]:
        strict, token = row["strict"], row["token"]
        layout[row["entity_type"]] = {
            "precision": round(strict["precision"], 4), "recall": round(strict["recall"], 4),
            "f1": round(strict["f1"], 4), "token_precision": round(token["precision"], 4),
            "token_recall": round(token["recall"], 4), "token_f1": round(token["f1"], 4),
            "support": row["support"]}
    return layout
