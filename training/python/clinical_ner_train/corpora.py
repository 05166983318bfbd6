"""Readers that turn the public corpora under the data folder into one representation.

Every corpus becomes a list of `Document(id, text, spans)` with spans as character offsets into `text` and
typed with this product's entity types (medication, disease, symptom). A `Corpus` also records which of the
three types its annotators labelled: a corpus that lacks a type is only partially labelled, so a missing
mention of that type is not evidence of `O`, and scoring on it must leave that type out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

ENTITY_TYPES = ("medication", "disease", "symptom")

Span = tuple[int, int, str]


@dataclass
class Document:
    id: str
    text: str
    spans: list[Span]
    # Character ranges whose words carry no training signal at all (neither an entity nor O), e.g. PsyTAR
    # drug indications, which are real disease-or-symptom mentions whose type the corpus does not resolve.
    ignore: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Corpus:
    name: str
    documents: list[Document]
    labelled_types: frozenset[str]
    licence: str
    # Maps a predicted type to the gold type it counts as when scoring. BC5CDR and NCBI annotate signs and
    # symptoms as Disease, so on them a predicted symptom is scored as a disease.
    scoring_type_map: dict[str, str] = field(default_factory=dict)


BC5CDR_LABELS = {"Chemical": "medication", "Disease": "disease"}
NCBI_LABELS = {t: "disease" for t in ("SpecificDisease", "DiseaseClass", "Modifier", "CompositeMention")}
MACCROBAT_LABELS = {"Medication": "medication", "Disease_disorder": "disease", "Sign_symptom": "symptom"}
# DI (drug indication: "for my depression") names the condition treated, disease or symptom alike; it is
# kept out of training as an ignored region instead of being forced into one of the two types, or into O.
PSYTAR_LABELS = {"ADR": "symptom", "WD": "symptom", "SSI": "symptom"}
PSYTAR_IGNORED = {"DI"}
CHIA_LABELS = {"Drug": "medication", "Condition": "disease"}

LICENCES = {
    "bc5cdr": "public domain (NLM, United States Government Work)",
    "ncbi-disease": "public domain (NLM, United States Government Work)",
    "psytar": "CC BY 4.0",
    "maccrobat2020-dev": "CC BY 4.0 (per third-party reports, unverified)",
    "chia": "CC BY 4.0",
    "mtsamples-gold": "CC0 (mtsamples.com asks for credit); annotated by the project team following "
                      "docs/annotation-guidelines.md, not by clinicians",
}
# The project's own gold set of MTSamples notes, in the repository (training/corpora/mtsamples-gold),
# compiled by training/annotation/annotate.py into the JSON lines the Rust readers take.
NOTES_GOLD_DIR = Path(__file__).resolve().parents[2] / "corpora" / "mtsamples-gold"


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keeps a set of non-overlapping spans, longer spans first: a word can carry only one BIO tag."""
    kept: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0], s[2])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)


def read_pubtator(path: Path, label_map: dict[str, str]) -> list[Document]:
    """PubTator: `pmid|t|title`, `pmid|a|abstract`, then `pmid<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>id`.

    Offsets count into title + " " + abstract. Relation lines (4 fields) are skipped. A mention whose text
    does not match its offsets means the file is not what this reader expects, so it raises.
    """
    documents: list[Document] = []
    seen: dict[str, int] = {}
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        pmid, _, title = lines[0].split("|", 2)
        _, _, abstract = lines[1].split("|", 2)
        text = f"{title} {abstract}"
        spans: list[Span] = []
        for line in lines[2:]:
            fields = line.split("\t")
            if len(fields) < 6 or fields[4] not in label_map:
                continue
            start, end = int(fields[1]), int(fields[2])
            # NCBI pads a few mention fields with trailing spaces that are not part of the offsets.
            if text[start:end] != fields[3].strip():
                raise ValueError(f"{path.name} {pmid}: offsets {start}-{end} do not give the annotated mention")
            spans.append((start, end, label_map[fields[4]]))
        # NCBI train repeats one PMID; both copies are kept under distinct ids.
        seen[pmid] = seen.get(pmid, 0) + 1
        doc_id = pmid if seen[pmid] == 1 else f"{pmid}#{seen[pmid]}"
        documents.append(Document(doc_id, text, resolve_overlaps(spans)))
    return documents


def read_brat(folder: Path, label_map: dict[str, str]) -> list[Document]:
    """brat standoff `.txt` + `.ann` files in a folder."""
    return [brat_document(ann_path.stem, ann_path.with_suffix(".txt").read_text(encoding="utf-8"),
                          ann_path.read_text(encoding="utf-8"), label_map)
            for ann_path in sorted(folder.glob("*.ann"))]


def brat_document(name: str, text: str, annotations: str, label_map: dict[str, str]) -> Document:
    """One brat document; a discontinuous span keeps its first fragment. Errors name the file, never the text."""
    spans: list[Span] = []
    for line in annotations.splitlines():
        if not line.startswith("T"):
            continue
        _, type_and_offsets, mention = line.split("\t", 2)
        label, offsets = type_and_offsets.split(" ", 1)
        if label not in label_map:
            continue
        fragments = [tuple(map(int, f.split())) for f in offsets.split(";")]
        start, end = fragments[0]
        # Chia's spans at a line end take in the line's carriage return; the mention is the text before it.
        covered = text[start:end].rstrip()
        if len(fragments) == 1 and covered != mention.rstrip():
            raise ValueError(f"{name}.ann: offsets {start}-{end} do not give the annotated text")
        spans.append((start, start + len(covered), label_map[label]))
    return Document(name, text, resolve_overlaps(spans))


def read_conll(path: Path, label_map: dict[str, str], ignored: set[str], prefix: str) -> list[Document]:
    """`token<TAB>tag` lines, blank line between sentences; one Document per sentence.

    The text is the tokens joined by single spaces. An `I-` tag that does not continue a span of the same
    type starts a new one, as the engine's decoder does.
    """
    documents: list[Document] = []
    for number, block in enumerate(re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))):
        rows = [line.split("\t") for line in block.split("\n") if line.strip()]
        if not rows:
            continue
        text_parts: list[str] = []
        raw_spans: list[list] = []
        position = 0
        previous = "O"
        for token, tag in rows:
            start = position
            end = start + len(token)
            text_parts.append(token)
            position = end + 1
            kind = tag[2:] if tag != "O" else None
            if kind is not None and tag.startswith("I-") and previous[2:] == kind:
                raw_spans[-1][1] = end
            elif kind is not None:
                raw_spans.append([start, end, kind])
            previous = tag
        spans = [(s, e, label_map[k]) for s, e, k in raw_spans if k in label_map]
        ignore = [(s, e) for s, e, k in raw_spans if k in ignored]
        documents.append(Document(f"{prefix}-{number}", " ".join(text_parts), resolve_overlaps(spans), ignore))
    return documents


def bc5cdr(data_dir: Path, split: str) -> Corpus:
    files = {"train": "CDR_TrainingSet", "dev": "CDR_DevelopmentSet", "test": "CDR_TestSet"}
    path = data_dir / "bc5cdr" / "pubtator" / f"{files[split]}.PubTator.txt"
    return Corpus(f"bc5cdr-{split}", read_pubtator(path, BC5CDR_LABELS), frozenset({"medication", "disease"}),
                  LICENCES["bc5cdr"], {"symptom": "disease"})


def ncbi_disease(data_dir: Path, split: str) -> Corpus:
    files = {"train": "NCBItrainset", "dev": "NCBIdevelopset", "test": "NCBItestset"}
    path = data_dir / "ncbi-disease" / "original" / f"{files[split]}_corpus.txt"
    return Corpus(f"ncbi-disease-{split}", read_pubtator(path, NCBI_LABELS), frozenset({"disease"}),
                  LICENCES["ncbi-disease"], {"symptom": "disease"})


def psytar(data_dir: Path, split: str) -> Corpus:
    path = data_dir / "psytar" / "all" / f"{split}.txt"
    documents = read_conll(path, PSYTAR_LABELS, PSYTAR_IGNORED, f"psytar-{split}")
    return Corpus(f"psytar-{split}", documents, frozenset({"symptom"}), LICENCES["psytar"])


def maccrobat(data_dir: Path) -> Corpus:
    documents = read_brat(data_dir / "maccrobat2020-dev" / "brat", MACCROBAT_LABELS)
    return Corpus("maccrobat2020-dev", documents, frozenset(ENTITY_TYPES), LICENCES["maccrobat2020-dev"])


def chia_split(trial: str) -> str:
    """Chia has no official split: trials go 70/10/20 to train/dev/test by a hash of their NCT id, so that a
    trial's inclusion and exclusion criteria stay together and the split never depends on file order."""
    bucket = int(hashlib.sha256(trial.encode()).hexdigest(), 16) % 10
    return "train" if bucket < 7 else "dev" if bucket == 7 else "test"


def chia(data_dir: Path, split: str) -> Corpus:
    """Chia eligibility criteria (`chia_without_scope.zip`, read in place): Drug and Condition. Condition covers
    diseases, signs and symptoms alike, so a predicted symptom is scored as a disease."""
    import zipfile

    documents = []
    with zipfile.ZipFile(data_dir / "chia" / "chia_without_scope.zip") as archive:
        names = set(archive.namelist())
        for ann_name in sorted(n for n in names if n.endswith(".ann")):
            stem = Path(ann_name).stem
            if chia_split(stem.split("_")[0]) != split:
                continue
            text = archive.read(ann_name[:-4] + ".txt").decode("utf-8")
            documents.append(brat_document(stem, text, archive.read(ann_name).decode("utf-8"), CHIA_LABELS))
    return Corpus(f"chia-{split}", documents, frozenset({"medication", "disease"}), LICENCES["chia"],
                  {"symptom": "disease"})


def mtsamples_gold(data_dir: Path, split: str) -> Corpus:
    """The note gold set's train, dev or test split (every type annotated; see its SOURCE.md)."""
    corpus = read_dataset(NOTES_GOLD_DIR / f"{split}.jsonl")
    return Corpus(f"mtsamples-gold-{split}", corpus.documents, frozenset(ENTITY_TYPES), LICENCES["mtsamples-gold"])


def held_out_note_texts() -> set[str]:
    """The texts of the note gold set's dev and test notes, which no training data may contain (MTSamples
    holds some texts under several note ids, so texts, not ids, are compared)."""
    return {d.text for split in ("dev", "test") for d in read_dataset(NOTES_GOLD_DIR / f"{split}.jsonl").documents}


def load(data_dir: Path, name: str) -> Corpus:
    """A known corpus by name: bc5cdr-, ncbi-disease-, psytar-, chia-, mtsamples-gold- with -train, -dev or
    -test, and maccrobat2020-dev."""
    if name == "maccrobat2020-dev":
        return maccrobat(data_dir)
    family, _, split = name.rpartition("-")
    readers = {"bc5cdr": bc5cdr, "ncbi-disease": ncbi_disease, "psytar": psytar, "chia": chia,
               "mtsamples-gold": mtsamples_gold}
    if family not in readers or split not in ("train", "dev", "test"):
        raise ValueError(f"unknown corpus {name!r}")
    return readers[family](data_dir, split)


def read_dataset(path: Path) -> Corpus:
    """A teacher-labelled training set written by `clinical-ner-train merge`: JSON lines with `id`, `text`
    and `spans` [{start, end, type}] in characters (its `words` and `tags` say the same as IO tags)."""
    import json

    documents = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                spans = [(s["start"], s["end"], s["type"]) for s in row["spans"]]
                documents.append(Document(row["id"], row["text"], resolve_overlaps(spans)))
    return Corpus(f"teacher-labelled {path.name}", documents, frozenset(ENTITY_TYPES),
                  "the notes' own licences (see the dataset's notes); labels from the chosen teachers")


def mtsamples_sentences(data_dir: Path) -> list[Document]:
    """Sentences of the MTSamples transcriptions, unannotated (CC0; mtsamples.com asks for credit), but
    for the note gold set's dev and test notes.

    The source runs section headers and list items into the text with stray commas ("...,HEADER:,  Text",
    "HEADER:  ,Text", "item one.,2. item two"); headers start a line as in a note, the commas go, and
    sentences are cut at line breaks and at ". " before a capital or digit.
    """
    import csv
    import gzip

    held_out = held_out_note_texts()
    documents: list[Document] = []
    with gzip.open(data_dir / "mtsamples" / "mtsamples.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["transcription"].strip() in held_out:
                continue
            text = re.sub(r",\s*(?=[A-Z][A-Z /&()-]+:)", "\n", row["transcription"])
            text = re.sub(r"([.:])\s*,\s*", r"\1 ", text)
            pieces = re.split(r"\n|(?<=[.!?])\s+(?=[A-Z0-9])", text)
            for number, piece in enumerate(p.strip() for p in pieces):
                if piece:
                    documents.append(Document(f"mtsamples-{row['note_id']}-{number}", piece, []))
    return documents
