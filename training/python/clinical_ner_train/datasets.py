"""The corpora the trainer learns from and is scored on, as `clinical-ner-train corpora` writes them.

Rust reads every corpus and vocabulary, brings public corpora to the annotation guidelines, labels
silver sentences with the dictionary teacher and chooses a mix's training documents
(training/src/training_mix.rs); this module only reads the folder it writes
(training/src/corpus_files.rs documents the format). A corpus records which of the three types its
annotators labelled: a missing mention of another type is not evidence of `O`, and scoring leaves that
type out. Its ignored ranges (PsyTAR's drug indications) carry no signal either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ENTITY_TYPES = ("medication", "disease", "symptom")
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]

Span = tuple[int, int, str]


@dataclass
class Document:
    id: str
    text: str
    spans: list[Span]
    ignore: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Corpus:
    name: str
    documents: list[Document]
    labelled_types: frozenset[str]
    licence: str
    # Maps a predicted type to the gold type it counts as when scoring: BC5CDR, NCBI and Chia file signs
    # and symptoms under their disease label, so on them a predicted symptom is scored as a disease.
    scoring_type_map: dict[str, str] = field(default_factory=dict)
    repeats: int = 1  # times a training corpus is seen per epoch


@dataclass
class Corpora:
    """One folder written by `clinical-ner-train corpora`."""
    train: list[Corpus]
    dev: list[Corpus]
    test: list[Corpus]
    named: list[Corpus]
    mix: str | None
    dictionary_sources: list[str]
    mixes: dict[str, bool]  # mix name -> whether it needs a teacher dataset
    default_mix: str

    def by_name(self, name: str) -> Corpus:
        return next(c for c in self.train + self.dev + self.test + self.named if c.name == name)


def trainer_binary() -> Path:
    """The `clinical-ner-train` the repository builds (`cargo build --release -p clinical_ner_training`),
    or the one $CLINICAL_NER_TRAIN names."""
    path = Path(os.environ.get("CLINICAL_NER_TRAIN", REPOSITORY_ROOT / "target" / "release" / "clinical-ner-train"))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: build it with `cargo build --release -p clinical_ner_training`")
    return path


def write(data_dir: Path, out: Path, *, mix: str | None = None, seed: int = 13, teacher_dataset: Path | None = None,
          dev_sets: bool = False, test_sets: bool = False, names: tuple[str, ...] | list[str] = (),
          adjusted: bool = False) -> Corpora:
    """Has Rust write the corpora asked for into `out`, then reads them."""
    command = [str(trainer_binary()), "corpora", "--data-dir", str(data_dir), "--out", str(out), "--seed", str(seed)]
    if mix:
        command += ["--mix", mix]
    if teacher_dataset:
        command += ["--teacher-dataset", str(teacher_dataset)]
    if dev_sets:
        command.append("--dev-sets")
    if test_sets:
        command.append("--test-sets")
    for name in names:
        command += ["--corpus", name]
    if adjusted:
        command.append("--adjusted")
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return read(out)


def load(data_dir: Path, **request) -> Corpora:
    """`write` into a temporary folder that is gone once the corpora are read."""
    with tempfile.TemporaryDirectory(prefix="clinical-ner-corpora-") as folder:
        return write(data_dir, Path(folder), **request)


def read(folder: Path) -> Corpora:
    listing = json.loads((folder / "corpora.json").read_text(encoding="utf-8"))
    roles: dict[str, list[Corpus]] = {"train": [], "dev": [], "test": [], "named": []}
    for entry in listing["corpora"]:
        documents = read_documents(folder / entry["file"])
        roles[entry["role"]].append(Corpus(
            entry["name"], documents, frozenset(entry["labelled_types"]), entry["licence"],
            {"symptom": "disease"} if entry["symptoms_filed_as_disease"] else {}, entry["repeats"]))
    return Corpora(**roles, mix=listing["mix"], dictionary_sources=listing["dictionary_sources"],
                   mixes={m["name"]: m["teacher_dataset"] for m in listing["mixes"]},
                   default_mix=listing["default_mix"])


def read_documents(path: Path) -> list[Document]:
    documents = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                spans = [(s["start"], s["end"], s["type"]) for s in row["spans"]]
                documents.append(Document(row["id"], row["text"], spans, [tuple(r) for r in row.get("ignore", [])]))
    return documents


def describe(corpus: Corpus) -> str:
    return f"{corpus.name} ({len(corpus.documents)} documents; {corpus.licence})"
