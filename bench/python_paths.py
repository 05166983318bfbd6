"""The paths a user would take in Python instead of the extension, timed on the benchmark's notes.

    python bench/python_paths.py transformers --notes NOTES.csv --model MODEL_FOLDER --checkpoint PYTORCH_DIR
    python bench/python_paths.py onnxruntime  --notes NOTES.csv --model MODEL_FOLDER

`transformers`: the token-classification pipeline on the PyTorch weights the shipped model was exported
from, windows of the model's length overlapping by an eighth (`stride`), as the engine cuts them.
`onnxruntime`: the shipped `model.onnx` in an InferenceSession, the note's windows in one run; it stops at
the per-token argmax (no word tags, no spans), which favours it. Each run prints one JSON line with the
figures the engine's `throughput` example prints, plus the process's peak resident memory.
"""

import argparse
import csv
import json
import resource
import statistics
import time
from pathlib import Path


def read_notes(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return [row["note"] for row in csv.DictReader(f)]


def fast_tokenizer(model_folder: Path, max_length: int):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=str(model_folder / "tokenizer.json"),
        cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]",
        model_max_length=max_length,
    )


def transformers_extractor(args, max_length: int):
    import torch
    from transformers import AutoModelForTokenClassification, pipeline

    torch.set_num_threads(args.threads)
    model = AutoModelForTokenClassification.from_pretrained(args.checkpoint).eval()
    tokenizer = fast_tokenizer(args.model, max_length)
    extract = pipeline("token-classification", model=model, tokenizer=tokenizer, device=-1,
                       aggregation_strategy="first", stride=(max_length - 2) // 8)
    return lambda note: extract(note)


def onnxruntime_extractor(args, max_length: int):
    import numpy as np
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = onnxruntime.InferenceSession(str(args.model / "model.onnx"), options,
                                           providers=["CPUExecutionProvider"])
    tokenizer = fast_tokenizer(args.model, max_length)
    inputs = {i.name for i in session.get_inputs()}

    def extract(note: str):
        encoded = tokenizer(note, truncation=True, max_length=max_length, stride=(max_length - 2) // 8,
                            return_overflowing_tokens=True, padding=True, return_tensors="np")
        feed = {name: encoded[name].astype(np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")
                if name in inputs}
        return session.run(None, feed)[0].argmax(-1)

    return extract


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", choices=["transformers", "onnxruntime"])
    parser.add_argument("--notes", type=Path, required=True, help="CSV with a 'note' column")
    parser.add_argument("--model", type=Path, required=True, help="model folder (manifest, model.onnx, tokenizer.json)")
    parser.add_argument("--checkpoint", type=Path, help="PyTorch weights of the same model (transformers path)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    notes = read_notes(args.notes)
    manifest = json.loads((args.model / "manifest.json").read_text())
    max_length = manifest["max_sequence_length"]
    make = transformers_extractor if args.path == "transformers" else onnxruntime_extractor
    extract = make(args, max_length)
    counter = fast_tokenizer(args.model, 10**9)
    tokens = sum(len(counter(n, add_special_tokens=False)["input_ids"]) for n in notes)

    for note in notes[:10]:
        extract(note)
    latencies_ms = []
    started = time.perf_counter()
    for note in notes:
        call = time.perf_counter()
        extract(note)
        latencies_ms.append((time.perf_counter() - call) * 1e3)
    seconds = time.perf_counter() - started
    latencies_ms.sort()
    print(json.dumps({
        "path": f"python {args.path}",
        "precision": "fp32" if args.path == "transformers" else manifest["files"]["model.onnx"].get("precision"),
        "notes_per_call": 1,
        "threads": args.threads,
        "notes": len(notes),
        "tokens": tokens,
        "seconds": seconds,
        "notes_per_s": len(notes) / seconds,
        "tokens_per_s": tokens / seconds,
        "p50_ms": statistics.median(latencies_ms),
        "p95_ms": latencies_ms[round((len(latencies_ms) - 1) * 0.95)],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
