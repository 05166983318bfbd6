"""Dictionary labeller: silver medication / disease / symptom spans from open vocabularies.

Vocabularies (all read from the data folder, nothing copied):
- medication: DrugBank open vocabulary (CC0) common names and synonyms, the RxNorm-derived drug list of
  medExtractR (GPL >= 2 package, NLM data) and its medication abbreviations;
- disease: Human Disease Ontology labels (CC0; the reports carry no synonyms);
- symptom: Symptom Ontology names and exact synonyms (CC0), the medExtractR symptom expressions, and HPO
  terms under "Phenotypic abnormality" (names, exact and layperson synonyms).

HPO mixes signs and symptoms with diseases ("Type II diabetes mellitus", "Hepatocellular carcinoma"). An HPO
term is typed disease when one of its strings is a Disease Ontology label or reads like a disease name
(a word in -itis/-oma/-pathy, or disease, syndrome, cancer, tumour, neoplasm, infection, diabetes,
disorder, failure, stenosis, hernia, fracture, a word in -emia);
every other HPO term is a sign or symptom, which is also how MACCROBAT's Sign_symptom reads. When a string
is claimed by more than one vocabulary the Disease Ontology wins over the symptom vocabularies, and both win
over the drug lists, whose product names include "Cough", "Seizure" and "Influenza" (vaccine).

Matching is case-insensitive, longest match first, on word boundaries (a word is a run of letters and
digits, or one punctuation mark). Entries that would mostly fire on ordinary English are skipped: fewer than
3 characters, English stop words, single words that are common in general English (by wordfreq's Zipf
frequency), a few clinical words that are usually not entities in notes, and lab analytes that notes report
as results ("sodium 139").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from wordfreq import zipf_frequency

from .corpora import Document, Span, resolve_overlaps

_WORD = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)
MAX_TERM_WORDS = 10
# Zipf 4.0 is about once per 10,000 words of general English: a drug name that common is an everyday word
# (water, iron, oxygen, gold, today). Clinical words are common English more often (pain 5.0, cancer 4.9),
# so disease and symptom names only go when they are far more common than that.
MEDICATION_MAX_ZIPF = 4.0
CLINICAL_MAX_ZIPF = 5.3

# An entry may not begin or end with one of these ("pain of", "the flu").
FUNCTION_WORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i in is it its me my no not of on or "
    "our she so that the their them they this to was we were with you your all any can did do does done "
    "per same may will".split()
)
STOP_WORDS = FUNCTION_WORDS | frozenset(
    "one two three four five six seven eight nine ten left right day days week weeks year years month "
    "months time times total normal other unknown".split()
)
# Words that the vocabularies list as entities but that clinical notes mostly use otherwise.
AMBIGUOUS = frozenset(
    "disease diseases syndrome disorder disorders abnormality abnormalities finding findings symptom "
    "symptoms sign signs illness condition conditions medication medications medicine drug drugs "
    "treatment therapy patient history complaint complaints status chronic acute mild severe moderate "
    "positive negative increased decreased elevated reduced abnormal high low large small mass lesion "
    "lesions injury trauma stress obese tall short fall falls death sinus stools stool "
    "bowel movement appetite all sleep alert plan cold heat fluid fluids balance pressure rate exercise "
    "aid gas air contrast tape dressing suture sutures sterile prep block discharge aspiration cutting "
    "tearing afebrile collecting irritable unresponsive abortion".split()
) | {"blood pressure", "high blood pressure", "low blood pressure", "bowel movement", "small finger"}
# RxNorm's list names devices and tissue products; notes use these words for the device, the organ or the test.
NOT_MEDICATION = frozenset(
    "vicryl prolene monocryl chromic silk nylon catheter needle clamp cannula gauze syringe dressing bandage "
    "tape pouch drain strip dermabond viscoat tegaderm foley ultrasound colon nasal rectal oral thyroid testis "
    "pediatric cartilage lipid titanium diaphragm pancreas ellipse crest allis hank guaiac barium vitals "
    "cmp bnp ppd pcp peg fnf tandem symmetry posture hose liner daytime isolate luminal strap wheelchair "
    "irrigator inhaler prenatal electrolytes carbohydrate carbohydrates sulfate thymus bronchial "
    "hemorrhoidal latex".split()
) | {"red blood cells", "bone marrow", "glucose control", "alkaline phosphatase", "tracheostomy", "eye patch",
     "wound care", "prenatal care", "sterile water"}
LAB_ANALYTES = frozenset(
    "sodium potassium chloride bicarbonate calcium magnesium phosphorus phosphate glucose creatinine "
    "urea bun albumin bilirubin cholesterol triglycerides hemoglobin hematocrit iron ferritin lactate "
    "troponin oxygen".split()
)
DISEASE_WORDS = re.compile(
    r"\b(\w{3,}(itis|omas?|pathy|pathies)|diseases?|syndromes?|cancers?|tumou?rs?|neoplasms?|infections?|"
    r"diabetes|disorders?|\w{3,}emias?|failure|stenosis|hernias?|fractures?)\b"
)
# Clinical shorthand the vocabularies spell out in full.
VARIANTS = ((re.compile(r"\btype ii\b"), "type 2"), (re.compile(r"\btype i\b"), "type 1"),
            (re.compile(r" mellitus$"), ""))


def words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]


def _key(term: str) -> tuple[str, ...]:
    return tuple(w for _, _, w in words(term))


def _variants(term: str, entity_type: str) -> set[str]:
    term = term.strip().lower()
    found = {term}
    for pattern, replacement in VARIANTS:
        found |= {pattern.sub(replacement, t) for t in found}
    # Notes list findings in the plural ("headaches", "palpitations"); drug names are not pluralised.
    if entity_type != "medication":
        found |= {t + "s" for t in found if re.search(r"[a-z]{4}$", t) and not t.endswith("s")}
    return found


def _usable(key: tuple[str, ...], entity_type: str, source: str) -> bool:
    if not key or len(key) > MAX_TERM_WORDS or len("".join(key)) < 3:
        return False
    if not any(w.isalpha() for w in key):
        return False
    phrase = " ".join(key)
    # The source string is checked too, so that the plural made of an ambiguous word goes with it.
    if phrase in AMBIGUOUS or " ".join(_key(source)) in AMBIGUOUS:
        return False
    if entity_type == "medication" and (phrase in NOT_MEDICATION or phrase in LAB_ANALYTES):
        return False
    if len(key) == 1:
        word = key[0]
        if word in STOP_WORDS or len(word) < 3:
            return False
        limit = MEDICATION_MAX_ZIPF if entity_type == "medication" else CLINICAL_MAX_ZIPF
        if zipf_frequency(word, "en") >= limit:
            return False
    return key[0] not in FUNCTION_WORDS and key[-1] not in FUNCTION_WORDS


@dataclass
class Lexicon:
    terms: dict[tuple[str, ...], str]

    def label(self, text: str) -> list[Span]:
        """Longest case-insensitive dictionary matches as (start, end, type) spans."""
        tokens = words(text)
        spans: list[Span] = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_TERM_WORDS, len(tokens) - i), 0, -1):
                entity_type = self.terms.get(tuple(t[2] for t in tokens[i:i + n]))
                if entity_type:
                    spans.append((tokens[i][0], tokens[i + n - 1][1], entity_type))
                    i += n
                    break
            else:
                i += 1
        return spans


def _medication_names(data_dir: Path) -> set[str]:
    names: set[str] = set()
    with open(data_dir / "lexicon-drugbank-open-vocabulary" / "drugbank_vocabulary.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names.add(row["Common name"])
            names.update(s for s in row["Synonyms"].split(" | ") if s)
    rxnorm = data_dir / "lexicon-rxnorm-druglist-medextractr"
    names.update((rxnorm / "rxnorm_druglist.txt").read_text(encoding="utf-8").splitlines())
    with open(rxnorm / "addl_expr.tsv", encoding="utf-8") as f:
        names.update(r["expr"] for r in csv.DictReader(f, delimiter="\t") if r["type"] == "med abbreviation")
    return names


def _disease_names(data_dir: Path) -> set[str]:
    with open(data_dir / "lexicon-disease-ontology-reports" / "HumanDO.tsv", encoding="utf-8") as f:
        return {row["label"] for row in csv.DictReader(f, delimiter="\t")}


def _symptom_names(data_dir: Path) -> set[str]:
    names: set[str] = set()
    with open(data_dir / "lexicon-symptom-ontology" / "symp_terms_synonyms.tsv", encoding="utf-8") as f:
        names.update(r["string"] for r in csv.DictReader(f, delimiter="\t")
                     if r["kind"] == "name" or r["synonym_scope"] == "EXACT")
    with open(data_dir / "lexicon-rxnorm-druglist-medextractr" / "addl_expr.tsv", encoding="utf-8") as f:
        names.update(r["expr"] for r in csv.DictReader(f, delimiter="\t") if r["type"] == "symptoms")
    return names


def _hpo_terms(data_dir: Path) -> dict[str, set[str]]:
    """Strings of each HPO term under Phenotypic abnormality: names, EXACT synonyms (layperson included)."""
    terms: dict[str, set[str]] = {}
    with open(data_dir / "lexicon-hpo" / "hpo_terms_synonyms.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["under_phenotypic_abnormality"] != "True" or row["hpo_id"] == "HP:0000118":
                continue
            if row["kind"] == "name" or row["synonym_scope"] == "EXACT":
                terms.setdefault(row["hpo_id"], set()).add(row["string"])
    return terms


def load(data_dir: Path) -> Lexicon:
    claims: dict[tuple[str, ...], set[str]] = {}

    def claim(names: set[str], entity_type: str) -> None:
        for name in names:
            for variant in _variants(name, entity_type):
                key = _key(variant)
                if _usable(key, entity_type, name):
                    claims.setdefault(key, set()).add(entity_type)

    diseases = _disease_names(data_dir)
    disease_keys = {_key(v) for name in diseases for v in _variants(name, "disease")}
    symptoms = _symptom_names(data_dir)
    for strings in _hpo_terms(data_dir).values():
        keys = {_key(v) for s in strings for v in _variants(s, "symptom")}
        if keys & disease_keys or any(DISEASE_WORDS.search(s.lower()) for s in strings):
            diseases |= strings
        else:
            symptoms |= strings
    claim(_medication_names(data_dir), "medication")
    claim(diseases, "disease")
    claim(symptoms, "symptom")

    priority = ("disease", "symptom", "medication")
    return Lexicon({key: next(t for t in priority if t in types) for key, types in claims.items()})


def retype_symptoms(document: Document, lexicon: Lexicon) -> Document:
    """Gold disease mentions whose whole text is a symptom entry become symptoms.

    BC5CDR and NCBI annotate signs and symptoms ("chest pain", "seizures") as Disease; training on them as
    disease would teach the opposite of the clinical corpora and the silver notes.
    """
    spans = [(s, e, "symptom") if t == "disease" and lexicon.terms.get(_key(document.text[s:e])) == "symptom"
             else (s, e, t) for s, e, t in document.spans]
    return Document(document.id, document.text, spans, document.ignore)


def fill_missing(document: Document, missing: set[str], lexicon: Lexicon) -> Document:
    """Adds silver spans of the types a corpus does not annotate, where they overlap nothing gold.

    Without them, a drug name in a disease-only corpus would be taught as O.
    """
    taken = document.spans + [(s, e, "") for s, e in document.ignore]
    silver = [s for s in lexicon.label(document.text)
              if s[2] in missing and all(s[1] <= g[0] or s[0] >= g[1] for g in taken)]
    return Document(document.id, document.text, resolve_overlaps(document.spans + silver), document.ignore)
