"""Which documents the model trains on, and which sets it is scored on.

Training: BC5CDR train, NCBI disease train and PsyTAR train (gold), plus MTSamples sentences labelled by the
dictionary (silver, all three types, clinical-note wording). Gold corpora are adjusted for what they do not
annotate: disease mentions that are symptom-dictionary entries become symptoms (BC5CDR and NCBI annotate
symptoms as Disease), and dictionary spans of the types a corpus does not annotate are added where they
overlap no gold span. Development sets (for choices): BC5CDR dev, NCBI dev, PsyTAR dev. Test sets (reported
only): BC5CDR test, NCBI test, PsyTAR test and the MACCROBAT subset, which is held out from every choice.
No CC BY-NC / NC-SA data (DDI, E3C, SIDER) is read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from . import corpora
from .corpora import ENTITY_TYPES, Corpus, Document
from .lexicon import Lexicon, fill_missing, retype_symptoms

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


MIXES = {
    # Every gold training document and a smaller silver share.
    "gold-heavy": Mix("gold-heavy", ncbi_share=1.0, silver_sentences=3000),
    # Half of NCBI (abstracts on inherited diseases, the farthest from notes) traded for more silver notes.
    "notes-heavy": Mix("notes-heavy", ncbi_share=0.5, silver_sentences=8000),
    # The paper's three students: human labels only, teacher labels only, and both.
    "human": Mix("human", ncbi_share=1.0, silver_sentences=0, fill_missing_types=False),
    "teacher": Mix("teacher", ncbi_share=0.0, silver_sentences=0, teacher_dataset=True),
    "human+teacher": Mix("human+teacher", ncbi_share=1.0, silver_sentences=0, teacher_dataset=True),
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


def adjust(corpus: Corpus, lexicon: Lexicon) -> Corpus:
    """Gold corpus -> training corpus with symptoms retyped and missing types filled from the dictionary."""
    symptoms_as_disease = corpus.scoring_type_map.get("symptom") == "disease"
    missing = set(ENTITY_TYPES) - corpus.labelled_types - ({"symptom"} if symptoms_as_disease else set())
    documents = []
    for document in corpus.documents:
        if symptoms_as_disease:
            document = retype_symptoms(document, lexicon)
        documents.append(fill_missing(document, missing, lexicon))
    return Corpus(corpus.name, documents, frozenset(ENTITY_TYPES), corpus.licence)


def training_corpora(data_dir: Path, lexicon: Lexicon, mix: Mix, seed: int,
                     teacher_dataset: Path | None = None) -> list[Corpus]:
    chosen: list[Corpus] = []
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
DEV_SET_NAMES = ("bc5cdr-dev", "ncbi-disease-dev", "psytar-dev")


def dev_sets(data_dir: Path) -> list[Corpus]:
    return [corpora.load(data_dir, name) for name in DEV_SET_NAMES]


def test_sets(data_dir: Path) -> list[Corpus]:
    return [corpora.bc5cdr(data_dir, "test"), corpora.ncbi_disease(data_dir, "test"),
            corpora.psytar(data_dir, "test"), corpora.maccrobat(data_dir)]


def describe(corpus: Corpus) -> str:
    return f"{corpus.name} ({len(corpus.documents)} documents; {corpus.licence})"
