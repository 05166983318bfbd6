"""Which documents the model trains on, and which sets it is scored on.

Training: the note gold set's train split (400 MTSamples notes annotated by the project team following
docs/annotation-guidelines.md), BC5CDR train, NCBI disease train and PsyTAR train (gold), plus MTSamples
sentences labelled by the dictionary (silver, all three types, clinical-note wording; never a sentence of
a dev or test note). Public gold corpora are brought to the guidelines before training: BC5CDR chemicals
that are not medications (analytes, substances the body makes, antigens, recreational substances, toxins
of animal models: training/rules/not_medications.tsv) are dropped, and disease mentions that are signs or
symptoms become symptoms (those the note gold set always marks as symptoms, then symptom-dictionary
entries it does not mark as diseases); dictionary spans of the types a corpus does not annotate are added
where they overlap no gold span. Development sets (for every choice): the note gold set's dev split,
BC5CDR dev, NCBI dev, PsyTAR dev. Test sets (reported only): the note gold set's test split, BC5CDR test,
NCBI test, PsyTAR test and the MACCROBAT subset, which is held out from every choice and from training.
No CC BY-NC / NC-SA data (DDI, E3C, SIDER) is read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from . import corpora
from .corpora import ENTITY_TYPES, Corpus, Document
from .lexicon import Lexicon, _key, fill_missing, retype_symptoms

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

SILVER_MIN_WORDS = 4
SILVER_MAX_WORDS = 60
# A share of silver sentences without any dictionary match, so that note wording is also seen as O.
SILVER_EMPTY_SHARE = 0.2


@dataclass(frozen=True)
class Mix:
    name: str
    ncbi_share: float  # share of NCBI train documents kept; 0 leaves the gold corpora out
    silver_sentences: int  # MTSamples sentences labelled by the Python dictionary
    fill_missing_types: bool = True  # gold corpora get the types they do not annotate from the dictionary
    teacher_dataset: bool = False  # notes labelled by the chosen teachers (`clinical-ner-train merge`)
    notes_gold_repeats: int = 0  # times the note gold set's train split is seen per epoch


MIXES = {
    # Every gold training document and a smaller silver share.
    "gold-heavy": Mix("gold-heavy", ncbi_share=1.0, silver_sentences=3000),
    # Half of NCBI (abstracts on inherited diseases, the farthest from notes) traded for more silver notes.
    "notes-heavy": Mix("notes-heavy", ncbi_share=0.5, silver_sentences=8000),
    # The paper's three students: human labels only, teacher labels only, and both.
    "human": Mix("human", ncbi_share=1.0, silver_sentences=0, fill_missing_types=False),
    "teacher": Mix("teacher", ncbi_share=0.0, silver_sentences=0, teacher_dataset=True),
    "human+teacher": Mix("human+teacher", ncbi_share=1.0, silver_sentences=0, teacher_dataset=True),
    # The note gold set's train split, seen twice per epoch, beside the adjusted public corpora and fewer
    # silver sentences; and the same without silver, whose dictionary labels follow no guideline.
    "notes-gold": Mix("notes-gold", ncbi_share=0.5, silver_sentences=3000, notes_gold_repeats=2),
    "notes-gold-no-silver": Mix("notes-gold-no-silver", ncbi_share=0.5, silver_sentences=0, notes_gold_repeats=2),
}
# `compare-students --max-steps 300` (seed 13; first 200 documents of each dev set), entity strict F1 / word F1:
#   gold-heavy:  bc5cdr disease .657/.794, medication .783/.820; ncbi disease .650/.854; psytar symptom .545/.704
#   notes-heavy: bc5cdr disease .654/.798, medication .799/.840; ncbi disease .608/.831; psytar symptom .576/.703
# Both average .659 entity F1 and .793 word F1 over the four, so the dev sets do not separate them; the tie
# goes to the mix with more clinical-note wording, which is what the product reads.
DEFAULT_MIX = "notes-heavy"

SILVER_LICENCE = "CC0 (mtsamples.com asks for credit); labels from the dictionary below"
LEXICON_SOURCES = [
    "lexicon-drugbank-open-vocabulary (CC0)",
    "lexicon-rxnorm-druglist-medextractr (GPL >= 2 package; RxNorm names courtesy of the U.S. NLM)",
    "lexicon-disease-ontology-reports (CC0)",
    "lexicon-symptom-ontology (CC0)",
    "lexicon-hpo (HPO release 2025-01-16; HPO licence: cite the HPO Consortium, files unaltered)",
]


def silver(data_dir: Path, lexicon: Lexicon, count: int, seed: int) -> Corpus:
    rng = random.Random(seed)
    sentences = [d for d in corpora.mtsamples_sentences(data_dir)
                 if SILVER_MIN_WORDS <= len(d.text.split()) <= SILVER_MAX_WORDS]
    rng.shuffle(sentences)
    wanted_empty = int(count * SILVER_EMPTY_SHARE)
    with_entities: list[Document] = []
    empty: list[Document] = []
    for sentence in sentences:
        if len(with_entities) >= count - wanted_empty and len(empty) >= wanted_empty:
            break
        labelled = Document(sentence.id, sentence.text, lexicon.label(sentence.text))
        if labelled.spans and len(with_entities) < count - wanted_empty:
            with_entities.append(labelled)
        elif not labelled.spans and len(empty) < wanted_empty:
            empty.append(labelled)
    return Corpus("mtsamples-silver", with_entities + empty, frozenset(ENTITY_TYPES), SILVER_LICENCE)


def not_medications() -> set[str]:
    """Chemical names that are not medications by the guidelines (training/rules/not_medications.tsv)."""
    lines = (RULES_DIR / "not_medications.tsv").read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0].strip().lower() for line in lines if line.strip() and not line.startswith("#")}


def note_gold_types() -> dict[tuple[str, ...], str]:
    """Mention (as words) -> type, for mentions that the note gold set's train split marks at least twice
    and always with the same type: how the guidelines type the words that public corpora type otherwise."""
    seen: dict[tuple[str, ...], set[str]] = {}
    counts: dict[tuple[str, ...], int] = {}
    for document in corpora.mtsamples_gold(Path(), "train").documents:
        for start, end, entity_type in document.spans:
            key = _key(document.text[start:end])
            seen.setdefault(key, set()).add(entity_type)
            counts[key] = counts.get(key, 0) + 1
    return {key: types.pop() for key, types in seen.items() if len(types) == 1 and counts[key] >= 2}


def adjust(corpus: Corpus, lexicon: Lexicon) -> Corpus:
    """Gold corpus -> training corpus by the guidelines: chemicals that are not medications dropped, signs
    and symptoms filed as diseases retyped, and missing types filled from the dictionary."""
    symptoms_as_disease = corpus.scoring_type_map.get("symptom") == "disease"
    missing = set(ENTITY_TYPES) - corpus.labelled_types - ({"symptom"} if symptoms_as_disease else set())
    dropped = not_medications() if corpus.name.startswith("bc5cdr") else set()
    guideline = note_gold_types() if symptoms_as_disease else {}
    documents = []
    for document in corpus.documents:
        if dropped:
            spans = [(s, e, t) for s, e, t in document.spans
                     if not (t == "medication" and document.text[s:e].lower() in dropped)]
            document = Document(document.id, document.text, spans, document.ignore)
        if symptoms_as_disease:
            by_guideline = [(s, e, guideline.get(_key(document.text[s:e]), t)) if t == "disease" else (s, e, t)
                            for s, e, t in document.spans]
            retyped = retype_symptoms(Document(document.id, document.text, by_guideline, document.ignore), lexicon)
            # The dictionary's symptom entries retype only what the note gold set does not call a disease.
            document = Document(document.id, document.text,
                                [(s, e, "disease") if guideline.get(_key(document.text[s:e])) == "disease" else (s, e, t)
                                 for s, e, t in retyped.spans], document.ignore)
        documents.append(fill_missing(document, missing, lexicon))
    return Corpus(corpus.name, documents, frozenset(ENTITY_TYPES), corpus.licence)


def training_corpora(data_dir: Path, lexicon: Lexicon, mix: Mix, seed: int,
                     teacher_dataset: Path | None = None) -> list[Corpus]:
    chosen: list[Corpus] = []
    if mix.notes_gold_repeats:
        notes = corpora.mtsamples_gold(data_dir, "train")
        chosen += [notes] * mix.notes_gold_repeats
    if mix.ncbi_share > 0:
        ncbi = corpora.ncbi_disease(data_dir, "train")
        ncbi.documents = random.Random(seed).sample(ncbi.documents, round(len(ncbi.documents) * mix.ncbi_share))
        gold = [corpora.bc5cdr(data_dir, "train"), ncbi, corpora.psytar(data_dir, "train")]
        chosen += [adjust(c, lexicon) if mix.fill_missing_types else c for c in gold]
    if mix.silver_sentences:
        chosen.append(silver(data_dir, lexicon, mix.silver_sentences, seed))
    if mix.teacher_dataset:
        if teacher_dataset is None:
            raise ValueError(f"mix {mix.name} needs --teacher-dataset (the output of clinical-ner-train merge)")
        chosen.append(corpora.read_dataset(teacher_dataset))
    return chosen


# The sets every choice is made on (MACCROBAT, though named a development subset, is held out).
DEV_SET_NAMES = ("mtsamples-gold-dev", "bc5cdr-dev", "ncbi-disease-dev", "psytar-dev")


def dev_sets(data_dir: Path) -> list[Corpus]:
    return [corpora.load(data_dir, name) for name in DEV_SET_NAMES]


def test_sets(data_dir: Path) -> list[Corpus]:
    return [corpora.mtsamples_gold(data_dir, "test"), corpora.bc5cdr(data_dir, "test"),
            corpora.ncbi_disease(data_dir, "test"), corpora.psytar(data_dir, "test"), corpora.maccrobat(data_dir)]


def describe(corpus: Corpus) -> str:
    return f"{corpus.name} ({len(corpus.documents)} documents; {corpus.licence})"
