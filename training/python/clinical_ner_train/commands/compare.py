"""Short runs of training mixes and base encoders, scored through the engine."""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import common

log = common.log


def compare_students(args) -> int:
    """Short runs of training mixes and base encoders, scored through the engine (fp32 ONNX). On the dev sets by
    default (MACCROBAT stays unseen); `--on test` scores the held-out test sets, for a choice already made, and
    `--on dev test` both, each student trained once."""
    from .. import datasets, engine_scores
    from ..evaluate import subset
    from ..features import load_tokenizer
    from ..train import Hyperparameters, train

    data_dir = Path(args.data_dir)
    teacher_dataset = Path(args.teacher_dataset) if args.teacher_dataset else None
    scored = datasets.load(data_dir, dev_sets="dev" in args.on, test_sets="test" in args.on)
    names = args.mix or [n for n, needs_teachers in scored.mixes.items() if teacher_dataset or not needs_teachers]
    # The dev sets capped, so that a comparison fits beside the full run's time budget.
    sets = [subset(c, c.documents[:args.dev_documents]) for c in scored.dev] + scored.test
    table: dict[str, dict] = {}
    for base_name in args.base or [None]:
        base = common.base_model(base_name)
        tokenizer = load_tokenizer(base / "tokenizer.json")
        for name in names:
            hp = Hyperparameters(seed=args.seed, max_steps=args.max_steps)
            training = datasets.load(data_dir, mix=name, seed=hp.seed, teacher_dataset=teacher_dataset).train
            started = time.time()
            model = train(common.training_windows([c for c in training for _ in range(c.repeats)], tokenizer), base, hp,
                          tokenizer.token_to_id("[PAD]"))
            key = f"{name} on {base_name or 'all-MiniLM-L6-v2'}"
            table[key] = {"train_seconds": round(time.time() - started),
                          "scores": engine_scores.score_trained(model, tokenizer, sets)}
            log.info("%s: %s", key, json.dumps(table[key]))
            if args.json:
                Path(args.json).write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    for key, row in table.items():
        cells = [f"{s}/{t} {v['f1']:.3f}/{v['token_f1']:.3f}" for s, per_type in row["scores"].items()
                 for t, v in per_type.items()]
        print(key, " | ".join(cells))
    return 0
