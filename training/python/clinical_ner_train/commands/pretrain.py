"""Domain-adaptive masked-language-model training of the base encoder."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import common


def domain_pretrain(args) -> int:
    from ..domain import PretrainingSettings, pretrain, unlabelled_texts

    settings = PretrainingSettings(seed=args.seed)
    if args.max_steps is not None:
        settings.max_steps = args.max_steps
    sources = unlabelled_texts(Path(args.data_dir))
    if args.smoke:
        sources = {name: texts[:40] for name, texts in sources.items()}
        settings.max_steps, settings.batch_blocks = 4, 4
        temporary = tempfile.TemporaryDirectory(prefix="clinical-ner-mlm-smoke-")
        out = Path(temporary.name)
    else:
        out = Path(args.out)
    report = pretrain(common.base_model(args.base), out, sources, settings)
    print(json.dumps(report["held_out_masked_word_loss"]))
    if args.smoke:
        # The checkpoint must be a base that first-model can fine-tune: it loads as a token classifier.
        from transformers import AutoModelForTokenClassification

        AutoModelForTokenClassification.from_pretrained(out, num_labels=7)
        temporary.cleanup()
    return 0
