"""Domain-adaptive pre-training: continue the base encoder's masked-language-model training on unlabelled
clinical and biomedical text before it is fine-tuned as a tagger.

The text is the unlabelled note-like and abstract text in the data folder (MTSamples transcriptions,
ACI-Bench visit notes, MTS-Dialog note sections, BC5CDR and NCBI-disease *training* abstracts: never a dev or
test text, so no later score has seen its test documents). Documents are packed into blocks of the engine's
window length. Whole words are masked (15% of words; of their pieces 80% [MASK], 10% a random piece, 10%
kept), because a clinical word is often several word pieces and masking one piece of "metformin" is
answered by its other pieces rather than by the context. The loss is computed only at masked positions:
the 30,522-way output layer over every position would cost more than the encoder on a CPU.

Sentence-transformers checkpoints ship no MLM head, so the head starts untrained; it learns at a higher rate
than the encoder so that early updates fit the head rather than disturbing the encoder. The output folder
is a Hugging Face checkpoint (BertForMaskedLM and the base's tokenizer files) that `first-model --base`
takes like any other.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer

log = logging.getLogger(__name__)

TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
BLOCK_TOKENS = 128


@dataclass
class PretrainingSettings:
    max_steps: int = 600
    batch_blocks: int = 16
    learning_rate: float = 5e-5
    head_learning_rate: float = 5e-4
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    mask_share: float = 0.15
    held_out_share: float = 0.02
    seed: int = 13


def unlabelled_texts(data_dir: Path) -> dict[str, list[str]]:
    """Unlabelled text per source; training splits only for corpora that also hold test data."""
    from . import datasets

    known = datasets.load(data_dir, names=["mtsamples-gold-dev", "mtsamples-gold-test", "bc5cdr-train",
                                           "ncbi-disease-train"])
    # MTSamples holds some texts under several note ids, so texts, not ids, are compared.
    held_out = {d.text.strip() for name in ("mtsamples-gold-dev", "mtsamples-gold-test")
                for d in known.by_name(name).documents}
    sources: dict[str, list[str]] = {}
    with gzip.open(data_dir / "mtsamples" / "mtsamples.csv.gz", "rt", encoding="utf-8") as f:
        sources["mtsamples"] = [row["transcription"] for row in csv.DictReader(f)
                                if row["transcription"] and row["transcription"].strip() not in held_out]
    aci = data_dir / "aci-bench-and-mts-dialog"
    notes: list[str] = []
    for path in sorted((aci / "aci-bench" / "challenge_data").glob("*.csv")):
        if not path.stem.endswith("_metadata"):
            with open(path, encoding="utf-8") as f:
                notes += [row["note"] for row in csv.DictReader(f) if row.get("note")]
    for path in sorted((aci / "mts-dialog").glob("*.csv")):
        with open(path, encoding="utf-8") as f:
            notes += [row["section_text"] for row in csv.DictReader(f) if row.get("section_text")]
    sources["visit-notes"] = notes
    sources["abstracts"] = [d.text for name in ("bc5cdr-train", "ncbi-disease-train")
                            for d in known.by_name(name).documents]
    return sources


def pack(texts: list[str], tokenizer: Tokenizer) -> list[list[int]]:
    """Documents joined by [SEP] and cut into `[CLS] ... [SEP]` blocks of BLOCK_TOKENS."""
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    stream: list[int] = []
    for encoding in tokenizer.encode_batch(texts, add_special_tokens=False):
        stream.extend(encoding.ids)
        stream.append(sep_id)
    width = BLOCK_TOKENS - 2
    return [[cls_id] + stream[i:i + width] + [sep_id] for i in range(0, len(stream) - width + 1, width)]


class WholeWordMasker:
    """Masks whole words of a block: a piece starting with `##` belongs to the word before it."""

    def __init__(self, tokenizer: Tokenizer, share: float):
        vocabulary = tokenizer.get_vocab()
        self.continuation = torch.zeros(len(vocabulary), dtype=torch.bool)
        for piece, index in vocabulary.items():
            self.continuation[index] = piece.startswith("##")
        self.special = {tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")}
        self.mask_id = tokenizer.token_to_id("[MASK]")
        self.vocab_size = len(vocabulary)
        self.share = share

    def __call__(self, blocks: list[list[int]], rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
        """(input ids with masks applied, target ids with -100 where nothing is predicted)."""
        ids = torch.tensor(blocks, dtype=torch.long)
        targets = torch.full_like(ids, -100)
        for row, block in enumerate(blocks):
            words: list[list[int]] = []
            for position, token in enumerate(block):
                if token in self.special:
                    continue
                if words and self.continuation[token] and words[-1][-1] == position - 1:
                    words[-1].append(position)
                else:
                    words.append([position])
            for word in rng.sample(words, max(1, round(len(words) * self.share))) if words else []:
                for position in word:
                    targets[row, position] = ids[row, position]
                    draw = rng.random()
                    if draw < 0.8:
                        ids[row, position] = self.mask_id
                    elif draw < 0.9:
                        ids[row, position] = rng.randrange(self.vocab_size)
        return ids, targets


def masked_loss(model, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    hidden = model.bert(input_ids=ids, attention_mask=torch.ones_like(ids),
                        token_type_ids=torch.zeros_like(ids)).last_hidden_state
    where = targets != -100
    logits = model.cls(hidden[where])
    return torch.nn.functional.cross_entropy(logits, targets[where])


def held_out_loss(model, blocks: list[list[int]], masker: WholeWordMasker, seed: int) -> float:
    """Mean masked-word loss over fixed masks (the same seed before and after training)."""
    rng = random.Random(seed)
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(blocks), 32):
            ids, targets = masker(blocks[i:i + 32], rng)
            n = int((targets != -100).sum())
            total += float(masked_loss(model, ids, targets)) * n
            count += n
    model.train()
    return total / max(count, 1)


def pretrain(base: Path, out: Path, sources: dict[str, list[str]], settings: PretrainingSettings) -> dict:
    """Continues MLM training of `base` on `sources` and writes the checkpoint to `out`; returns the report."""
    from transformers import AutoModelForMaskedLM, get_linear_schedule_with_warmup

    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    masker = WholeWordMasker(tokenizer, settings.mask_share)
    training: list[list[int]] = []
    held_out: dict[str, list[list[int]]] = {}
    for name, texts in sources.items():
        blocks = pack(texts, tokenizer)
        random.Random(settings.seed).shuffle(blocks)
        cut = max(1, int(len(blocks) * settings.held_out_share))
        held_out[name] = blocks[:cut]
        training += blocks[cut:]
        log.info("%s: %d documents, %d blocks of %d tokens (%d held out)", name, len(texts), len(blocks),
                 BLOCK_TOKENS, cut)

    model = AutoModelForMaskedLM.from_pretrained(base)
    head = {id(p) for p in model.cls.parameters()} - {id(model.get_input_embeddings().weight)}
    groups: dict[tuple[bool, bool], list] = {}
    for name, parameter in model.named_parameters():
        groups.setdefault((id(parameter) in head, parameter.ndim > 1), []).append(parameter)
    optimizer = torch.optim.AdamW([
        {"params": params, "lr": settings.head_learning_rate if in_head else settings.learning_rate,
         "weight_decay": settings.weight_decay if decays else 0.0}
        for (in_head, decays), params in groups.items()])
    scheduler = get_linear_schedule_with_warmup(optimizer, int(settings.max_steps * settings.warmup_ratio),
                                                settings.max_steps)
    before = {name: round(held_out_loss(model, blocks, masker, settings.seed), 4) for name, blocks in held_out.items()}
    log.info("held-out masked-word loss before: %s", before)

    model.train()
    started, losses = time.time(), []
    order: list[int] = []
    for step in range(1, settings.max_steps + 1):
        if len(order) < settings.batch_blocks:
            order += rng.sample(range(len(training)), len(training))
        batch = [training[order.pop()] for _ in range(settings.batch_blocks)]
        ids, targets = masker(batch, rng)
        loss = masked_loss(model, ids, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if step % 20 == 0 or step == settings.max_steps:
            elapsed = time.time() - started
            log.info("step %d/%d masked-word loss %.4f  %.2f steps/s  %.0fs elapsed", step, settings.max_steps,
                     sum(losses) / len(losses), step / elapsed, elapsed)
            losses.clear()
    seconds = time.time() - started
    after = {name: round(held_out_loss(model, blocks, masker, settings.seed), 4) for name, blocks in held_out.items()}
    log.info("held-out masked-word loss after: %s", after)

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copy(base / name, out / name)
    report = {
        "base": str(base),
        "settings": asdict(settings),
        "sources": {name: len(texts) for name, texts in sources.items()},
        "training_blocks": len(training),
        "training_tokens_seen": settings.max_steps * settings.batch_blocks * BLOCK_TOKENS,
        "held_out_masked_word_loss": {"before": before, "after": after},
        "train_seconds": round(seconds),
    }
    (out / "domain-pretraining.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
