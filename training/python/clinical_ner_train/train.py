"""Fine-tune the base encoder as a BIO token classifier on CPU.

AdamW with weight decay, linear warm-up then linear decay, batches grouped by length and padded only to their
longest window (a token budget per batch, not a fixed count), a fixed seed. The word-embedding matrix is
frozen: it is half of MiniLM's parameters, updating it dominated a CPU step, and the words the classifier
sees at inference are mostly not in the training data, so their pretrained embeddings are better left alone.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
from transformers import AutoModelForTokenClassification, get_linear_schedule_with_warmup

from .features import IGNORE, LABELS, Window

log = logging.getLogger(__name__)


@dataclass
class Hyperparameters:
    epochs: float = 3.0
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    batch_tokens: int = 2048
    max_steps: int = 0  # 0: as many as the epochs give
    seed: int = 13
    frozen_word_embeddings: bool = True

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def paper(cls, seed: int) -> "Hyperparameters":
        """arXiv 2501.00031's student settings: learning rate 2e-5, batch 8, weight decay 0.01, 10 epochs.
        Batch 8 is 8 windows of up to 256 tokens here, so a budget of 2048 tokens; every weight is trained."""
        return cls(epochs=10.0, learning_rate=2e-5, weight_decay=0.01, batch_tokens=8 * 256, seed=seed,
                   frozen_word_embeddings=False)


def set_seed(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def batches(windows: list[Window], batch_tokens: int, rng: random.Random) -> list[list[Window]]:
    """Shuffled batches of similar-length windows, each at most `batch_tokens` once padded."""
    order = list(range(len(windows)))
    rng.shuffle(order)
    result: list[list[Window]] = []
    pool = 64 * max(1, batch_tokens // 128)
    for p in range(0, len(order), pool):
        chunk = sorted(order[p:p + pool], key=lambda i: len(windows[i].input_ids))
        batch: list[Window] = []
        for i in chunk:
            width = max([len(windows[i].input_ids)] + [len(w.input_ids) for w in batch])
            if batch and width * (len(batch) + 1) > batch_tokens:
                result.append(batch)
                batch = []
            batch.append(windows[i])
        if batch:
            result.append(batch)
    rng.shuffle(result)
    return result


def collate(batch: list[Window], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(w.input_ids) for w in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, w in enumerate(batch):
        ids[i, :len(w.input_ids)] = torch.tensor(w.input_ids)
        labels[i, :len(w.labels)] = torch.tensor(w.labels)
        mask[i, :len(w.input_ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids), "labels": labels}


# The classifier head's configuration: one output per label, named as the manifest names them.
CLASSIFIER_LABELS = {"num_labels": len(LABELS), "id2label": dict(enumerate(LABELS)),
                     "label2id": {label: i for i, label in enumerate(LABELS)}}


def load_classifier(base_model: Path):
    """The base encoder with a fresh token-classification head over LABELS."""
    return AutoModelForTokenClassification.from_pretrained(base_model, **CLASSIFIER_LABELS)


def train(windows: list[Window], base_model: Path, hp: Hyperparameters, pad_id: int):
    """The fine-tuned model, on the CPU; trained on a CUDA GPU when there is one."""
    set_seed(hp.seed)
    return fine_tune(load_classifier(base_model), windows, hp, pad_id)


# Sees the model (in eval mode) and the step number; returning True ends the training there.
Checkpoint = Callable[[torch.nn.Module, int], bool]


def fine_tune(model, windows: list[Window], hp: Hyperparameters, pad_id: int, frozen_layers: int = 0,
              checkpoint: Checkpoint | None = None, check_every: int = 0):
    """Trains `model` on `windows`. `frozen_layers` keeps the embeddings and that many lowest encoder layers
    fixed (adapting a trained model to a new site without rewriting what it learnt); `checkpoint` sees the
    model every `check_every` steps and after the last one, and can end the run early."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    if hp.frozen_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if frozen_layers:
        encoder = model.base_model
        for module in [encoder.embeddings, *encoder.encoder.layer[:frozen_layers]]:
            module.requires_grad_(False)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": hp.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=hp.learning_rate)
    rng = random.Random(hp.seed)
    steps_per_epoch = len(batches(windows, hp.batch_tokens, random.Random(hp.seed)))
    total = int(steps_per_epoch * hp.epochs)
    if hp.max_steps:
        total = min(total, hp.max_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * hp.warmup_ratio), total)
    log.info("training on %d windows, %d tokens: %d steps (%d per epoch) on %s", len(windows),
             sum(len(w.input_ids) for w in windows), total, steps_per_epoch, device)

    model.train()
    step, seen_tokens, losses = 0, 0, []
    started = time.time()
    while step < total:
        for batch in batches(windows, hp.batch_tokens, rng):
            inputs = {k: v.to(device) for k, v in collate(batch, pad_id).items()}
            loss = model(**inputs).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            seen_tokens += int(inputs["attention_mask"].sum())
            losses.append(loss.item())
            if step % 20 == 0 or step == total:
                elapsed = time.time() - started
                log.info("step %d/%d loss %.4f  %.2f steps/s  %.0f tokens/s  %.0fs elapsed", step, total,
                         sum(losses) / len(losses), step / elapsed, seen_tokens / elapsed, elapsed)
                losses.clear()
            if checkpoint and check_every and (step % check_every == 0 or step == total):
                model.eval()
                stop = checkpoint(model, step)
                model.train()
                if stop:
                    total = step
            if step >= total:
                break
    model.to("cpu")
    model.eval()
    return model
