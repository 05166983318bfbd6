"""Where a type's gold words go, and a bias on its logits swept over corpora."""

from __future__ import annotations

from pathlib import Path

from . import common


def diagnose_type(args) -> int:
    """Where a type's gold words go, and a bias on its logits swept over the sets, as Markdown tables."""
    from .. import datasets
    from ..diagnose import best_on, bias_sweep, confused_words, word_confusion
    from ..evaluate import onnx_predictor, predict
    from ..features import load_tokenizer

    model = Path(args.model)
    tokenizer = load_tokenizer(model / "tokenizer.json")
    predictor = onnx_predictor(model / "model.onnx", common.THREADS)
    known = datasets.load(Path(args.data_dir), names=args.sets, dev_sets=True)
    sets = known.named
    kinds = ["O", *datasets.ENTITY_TYPES]
    print(f"Where the gold {args.type} words go (words, no bias):\n")
    print("| set | " + " | ".join(f"tagged {k}" for k in kinds) + " |")
    print("|---|" + "---:|" * len(kinds))
    missed = {}
    for corpus in sets:
        predictions = predict([d.text for d in corpus.documents], tokenizer, predictor)
        confusion = word_confusion(corpus, predictions)
        print(f"| {corpus.name} | " + " | ".join(str(confusion[(args.type, k)]) for k in kinds) + " |")
        missed[corpus.name] = confused_words(corpus, predictions, args.type)
    print(f"\nThe gold {args.type} words most often given another tag:\n")
    for name, by_tag in missed.items():
        for tag, words in sorted(by_tag.items()):
            common = ", ".join(f"{word} {n}" for word, n in words.most_common(args.words))
            print(f"- {name}, tagged {tag}: {common}")
    rows = bias_sweep(sets, args.type, args.biases, tokenizer, predictor)
    print(f"\nA bias on the {args.type} logits: word P / R / F1, entity F1\n")
    print("| bias | " + " | ".join(c.name for c in sets) + " |")
    print("|---:|" + "---|" * len(sets))
    for bias in args.biases:
        cells = [f"{r['token_precision']:.3f} / {r['token_recall']:.3f} / {r['token_f1']:.3f}, {r['f1']:.3f}"
                 for r in rows if r["bias"] == bias]
        print(f"| {bias:g} | " + " | ".join(cells) + " |")
    try:
        print(f"\nchosen on the development sets (best mean word F1): {best_on(rows, {c.name for c in known.dev}):g}")
    except ValueError as error:
        print(f"\n{error}")
    return 0
