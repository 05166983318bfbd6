"""docs/benchmarks.md and docs/benchmarks.png from the JSON lines bench/run.sh collects; with --gpu-results,
the GPU section of docs/benchmarks.md and docs/benchmarks-gpu.png from those bench/gpu.sh collects.

Every figure comes from one run of bench/run.sh (or bench/gpu.sh) on one machine; ratios are between paths
of that run.
Compute share: the model's multiply-accumulates per processed token (windows overlap, so the engine
processes more tokens than the notes hold) against the machine's estimated peak, from the core clock the
engine example measured and the instruction set's width (AVX-512 VNNI for int8, AVX-512 FMA for fp32).
"""

import argparse
import json
import os
import platform
import re
from datetime import date
from pathlib import Path

# Operations per cycle per core with two 512-bit units: VPDPBUSD does 64 int8 multiply-adds, FMA 16 fp32.
OPS_PER_CYCLE = {"int8": 2 * 64 * 2, "fp32": 2 * 16 * 2}


HAND_WRITTEN = "<!-- Figures above are written by bench/report.py; text below this line is kept. -->"
# The GPU figures come from another machine than the CPU ones, so they live in the kept part, between these.
GPU_BEGIN = "<!-- GPU figures: written by bench/report.py --gpu-results; do not edit by hand. -->"
GPU_END = "<!-- End of the GPU figures. -->"


def flops_per_token(config: dict, sequence: int) -> float:
    hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    intermediate = config["intermediate_size"]
    dense = 4 * hidden * hidden + 2 * hidden * intermediate  # Q, K, V, output; two feed-forward layers
    attention = 2 * sequence * hidden  # scores and the weighted sum
    return 2 * layers * (dense + attention)


def cpu_name() -> str:
    text = Path("/proc/cpuinfo").read_text()
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else platform.processor()


def memory_gib() -> float:
    match = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    return int(match.group(1)) / 1024 / 1024 if match else 0.0


def label(row: dict) -> str:
    per_call = row.get("notes_per_call", 1)
    name = row["path"]
    if name == "engine":
        name = f"engine alone, {per_call} note{'s' if per_call > 1 else ''} per call"
    elif name == "SQL set-based":
        name = f"SQL set-based, {per_call} notes per call"
    elif name == "populate_entities":
        name = f"populate_entities, batches of {per_call}"
    return f"{name} ({row.get('precision') or '?'})"


def median_of_rounds(measured: list[dict]) -> list[dict]:
    """One row per path: the round with the median notes/s, with the range over rounds beside it."""
    groups: dict[tuple, list[dict]] = {}
    for r in measured:
        groups.setdefault((r["path"], r.get("precision"), r.get("notes_per_call", 1)), []).append(r)
    rows = []
    for group in groups.values():
        group.sort(key=lambda r: r["notes_per_s"])
        row = dict(group[(len(group) - 1) // 2])
        row["range"] = (group[0]["notes_per_s"], group[-1]["notes_per_s"], len(group))
        rows.append(row)
    return rows


def precision_table(folder: Path) -> list[str]:
    """Token F1 of the int8 model against the fp32 model, per development set and entity type."""
    lines = ["## int8 against fp32: token F1 on the development sets", "",
             "| set | type | fp32 | int8 | int8 - fp32 (points) |", "|---|---|---:|---:|---:|"]
    drops = []
    for int8_file in sorted(folder.glob("*.int8.json")):
        name = int8_file.name.removesuffix(".int8.json")
        scores = {p: json.loads((folder / f"{name}.{p}.json").read_text()) for p in ("int8", "fp32")}
        fp32_types = {t["entity_type"]: t for t in scores["fp32"]["per_type"]}
        for t in scores["int8"]["per_type"]:
            if t["support"] == 0:
                continue
            a, b = fp32_types[t["entity_type"]]["token"]["f1"], t["token"]["f1"]
            drops.append((b - a) * 100)
            lines.append(f"| {name} | {t['entity_type']} | {a:.3f} | {b:.3f} | {(b - a) * 100:+.2f} |")
    if drops:
        lines += ["", f"Largest loss of int8 against fp32: {-min(drops):.2f} points of token F1 "
                      f"(mean change {sum(drops) / len(drops):+.2f})."]
    return lines


def gpu_section(rows: list[dict], source: str) -> list[str]:
    machine = next(r for r in rows if r["path"] == "machine")
    engine = [r for r in rows if r["path"] == "engine"]
    on_device = [r for r in engine if r["build"] == "gpu"]
    cpu = max((r for r in engine if r["precision"] == "int8"), key=lambda r: r["notes_per_s"])
    best = max(on_device, key=lambda r: r["notes_per_s"])
    mode = machine["mode"]
    where = machine["gpu"] if mode == "cuda" else "no GPU: the script's CPU check (--device cpu), not GPU figures"
    lines = [
        "## On a GPU (`bench/gpu.sh`)", "",
        f"Measured {machine.get('date', '?')} by `bench/gpu.sh run` ({source}) on {where}; "
        f"CPU {machine['cpu']}, {machine['cores']} cores, {'with' if machine['avx512_vnni'] else 'without'} AVX-512 VNNI. "
        f"{cpu['notes']} MTSamples transcriptions ({cpu['tokens']} tokens), the same as `bench/run.sh`'s. Each "
        "configuration ran in a process of its own; peak GPU memory is the most in use during it, over the idle "
        "level. Mention F1 holds the run's entities (type and span) against the CPU's fp32 entities of the same "
        "notes.", "",
        f"The CPU path of the same run (the shipped int8 model, {machine['cores']} cores): "
        f"{cpu['notes_per_s']:.1f} notes/s at {cpu['notes_per_call']} notes per call. The best {mode} "
        f"configuration, {best['precision']} with {best['batch_size']} windows per run and {best['notes_per_call']} "
        f"notes per call, does {best['notes_per_s']:.0f} notes/s: {best['notes_per_s'] / cpu['notes_per_s']:.1f}x.",
        "", "| model | windows per run | notes per call | notes/s | tokens/s | p50 ms/note | p95 ms/note | "
            "peak GPU MiB | mention F1 vs CPU fp32 | notes differing |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(engine, key=lambda r: (r["build"], r["precision"], r["batch_size"], r["notes_per_call"])):
        device = r["device"] if r["build"] == "gpu" else "CPU path"
        peak = "-" if r.get("peak_gpu_mib") is None else f"{r['peak_gpu_mib']:.0f}"
        f1 = f"{r['mention_f1_against_compared']:.4f}" if "mention_f1_against_compared" in r else "-"
        differing = r.get("notes_differing_from_compared", "-")
        lines.append(f"| {r['precision']} ({device}) | {r['batch_size']} | {r['notes_per_call']} | {r['notes_per_s']:.1f} | "
                     f"{r['tokens_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {peak} | {f1} | {differing} |")
    dev = {(r["set"], r["type"], r["precision"], r["build"] == "gpu"): r["token_f1"]
           for r in rows if r["path"] == "dev F1"}
    lines += ["", f"Token F1 on the development sets, through the engine (fp16 - fp32 on {mode}, in points):", "",
              f"| set | type | fp32 (CPU) | fp32 ({mode}) | fp16 ({mode}) | fp16 - fp32 |", "|---|---|---:|---:|---:|---:|"]
    for (name, kind, precision, gpu_build), f1 in dev.items():
        if precision == "fp16":
            fp32 = dev[(name, kind, "fp32", True)]
            lines.append(f"| {name} | {kind} | {dev[(name, kind, 'fp32', False)]:.3f} | {fp32:.3f} | {f1:.3f} | "
                         f"{100 * (f1 - fp32):+.2f} |")
    for r in rows:
        if r["path"] == "GPU memory exhausted":
            lines += ["", f"GPU memory exhausted (the GPU filled to within 256 MiB, then the fp32 model at 256 "
                          f"windows per run): {r['outcome']}, exit {r['exit']}: `{r['message']}`"]
    return lines


def write_gpu_section(results: Path, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    block = "\n".join([GPU_BEGIN, *gpu_section(rows, results.name), GPU_END])
    target = out / "benchmarks.md"
    text = target.read_text()
    if GPU_BEGIN in text:
        head, _, rest = text.partition(GPU_BEGIN)
        text = head + block + rest.partition(GPU_END)[2]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    target.write_text(text)

    figure, axis = plt.subplots(figsize=(7, 4))
    for precision in ("fp32", "fp16"):
        for per_call in (1, 64):
            points = sorted((r["batch_size"], r["notes_per_s"]) for r in rows if r["path"] == "engine"
                            and r["build"] == "gpu" and r["precision"] == precision
                            and r["notes_per_call"] == per_call)
            if points:
                axis.plot(*zip(*points), marker="o", label=f"{precision}, {per_call} note{'s' * (per_call > 1)} per call")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("windows per inference run")
    axis.set_ylabel("notes per second")
    machine = next(r for r in rows if r["path"] == "machine")
    axis.set_title(f"The engine on {machine['gpu'] or 'the CPU (script check)'}")
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "benchmarks-gpu.png", dpi=120)
    print(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path)
    parser.add_argument("--config", type=Path, help="the model's Hugging Face config.json")
    parser.add_argument("--max-sequence-length", type=int)
    parser.add_argument("--f1", type=Path, help="folder of SET.int8.json / SET.fp32.json evaluate outputs")
    parser.add_argument("--gpu-results", type=Path, help="bench/gpu.sh's results: rewrite the GPU section only")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.gpu_results:
        write_gpu_section(args.gpu_results, args.out)
        return
    if not (args.results and args.config and args.max_sequence_length):
        parser.error("--results, --config and --max-sequence-length are needed without --gpu-results")

    measured = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    rows = median_of_rounds(measured)
    rounds = max(r.get("round", 1) for r in measured)
    engine = [r for r in measured if r["path"] == "engine"]
    tokens, processed, notes = engine[0]["tokens"], engine[0]["processed_tokens"], engine[0]["notes"]
    clocks = sorted(r["clock_ghz"] for r in engine if r.get("clock_ghz"))
    clock = clocks[len(clocks) // 2] if clocks else None
    cores = os.cpu_count()
    per_token = flops_per_token(json.loads(args.config.read_text()), args.max_sequence_length)
    for r in rows:
        r["tokens_per_s"] = tokens * r["notes_per_s"] / notes
        r["gops"] = processed * r["notes_per_s"] / notes * per_token / 1e9
        if r["path"] == "populate_entities":
            r["p50_ms"] = r["p95_ms"] = None  # a batch's time, not a note's

    def find(path, precision="int8", per_call=None):
        matches = [r for r in rows if r["path"] == path and r.get("precision") == precision
                   and (per_call is None or r["notes_per_call"] == per_call)]
        return max(matches, key=lambda r: r["notes_per_s"]) if matches else None

    transformers = find("python transformers", "fp32")
    best = max((r for r in rows if r["path"] != "python transformers"), key=lambda r: r["notes_per_s"])
    engine_best = find("engine")
    populate, per_row = find("populate_entities"), find("SQL per-row")
    engine_fp32 = find("engine", "fp32")

    def ratio(a, b):
        return f"{a['notes_per_s'] / b['notes_per_s']:.2f}x" if a and b else "not measured"

    peak = {p: cores * clock * ops for p, ops in OPS_PER_CYCLE.items()} if clock else None
    lines = [
        "# Throughput benchmark",
        "",
        f"Measured {date.today().isoformat()} by `bench/run.sh {notes}` on {cpu_name()}, {cores} cores "
        f"({f'{clock:.2f} GHz measured under load' if clock else 'clock not measured'}), "
        f"{memory_gib():.0f} GiB memory, no GPU. "
        f"{notes} MTSamples transcriptions, {tokens} tokens ({processed} processed once windows of "
        f"{args.max_sequence_length} overlap), the shipped model `clinical-ner-minilm` (int8) and its fp32 twin "
        "from the same weights. Every path ran in this one run, on the same notes.",
        "",
        f"The engine (int8) and SQL paths ran in {rounds} alternating rounds: each shows its median round, "
        "with the range of notes/s over rounds beside it; the other paths ran once.",
        "",
        "| path | notes/s | range over rounds | tokens/s | p50 ms/note | p95 ms/note | peak RSS MiB | private RSS MiB | vs transformers |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: -r["notes_per_s"]):
        latency = [f"{r[k]:.1f}" if r.get(k) is not None else "-" for k in ("p50_ms", "p95_ms")]
        low, high, count = r["range"]
        spread = f"{low:.1f} - {high:.1f} ({count})" if count > 1 else "one round"
        private = f"{r['private_rss_mb']:.0f}" if r.get("private_rss_mb") else "-"
        lines.append(f"| {label(r)} | {r['notes_per_s']:.1f} | {spread} | {r['tokens_per_s']:.0f} | {latency[0]} | "
                     f"{latency[1]} | {r.get('peak_rss_mb', 0):.0f} | {private} | {ratio(r, transformers)} |")
    lines += [
        "",
        "Latency per note is the time of the call that returned it (for batched calls, the batch's time);",
        "the peak RSS of a SQL path is that backend's own (VmHWM, which counts the shared library's pages and",
        "the shared buffers it touched), its private RSS the backend's anonymous memory after the run; the",
        "engine and Python figures are the whole benchmark process's, notes and results included.",
        "",
        "## Ratios",
        "",
        f"- populate_entities against the engine alone: {ratio(populate, engine_best)} "
        f"(PostgreSQL's share: {(1 - populate['notes_per_s'] / engine_best['notes_per_s']) * 100:.1f}%)."
        if populate and engine_best else "- populate_entities against the engine alone: not measured.",
        f"- populate_entities against per-row SQL: {ratio(populate, per_row)}.",
        f"- Best path ({label(best)}) against the transformers pipeline: {ratio(best, transformers)}.",
        f"- int8 against fp32, engine alone: {ratio(engine_best, engine_fp32)}.",
    ]
    if peak:
        lines += [
            "",
            "## Share of the machine's peak",
            "",
            f"The model does {per_token / 1e6:.1f} million operations per processed token. Estimated peak: "
            f"{peak['int8'] / 1e3:.2f} int8 TOPS and {peak['fp32'] / 1e3:.2f} fp32 TFLOPS ({cores} cores x "
            f"{clock:.2f} GHz x {OPS_PER_CYCLE['int8']} int8 or {OPS_PER_CYCLE['fp32']} fp32 operations per "
            f"cycle). The best path, {label(best)}, reaches {best['gops']:.0f} GOPS: "
            f"{best['gops'] / peak['int8'] * 100:.0f}% of the int8 peak"
            + (f"; the fp32 engine reaches {engine_fp32['gops']:.0f} GFLOPS, "
               f"{engine_fp32['gops'] / peak['fp32'] * 100:.0f}% of the fp32 peak." if engine_fp32 else "."),
        ]
    if args.f1:
        lines += ["", *precision_table(args.f1)]
    # What people wrote below the figures (what they mean, what was not measured) survives a rerun.
    target = args.out / "benchmarks.md"
    kept = target.read_text().partition(HAND_WRITTEN)[2] if target.exists() else ""
    target.write_text("\n".join(lines) + "\n\n" + HAND_WRITTEN + (kept or "\n"))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(rows, key=lambda r: r["notes_per_s"])
    figure, axis = plt.subplots(figsize=(9, 0.45 * len(ordered) + 1.2))
    axis.barh([label(r) for r in ordered], [r["notes_per_s"] for r in ordered], color="#4c72b0")
    for y, r in enumerate(ordered):
        axis.text(r["notes_per_s"], y, f" {r['notes_per_s']:.1f}", va="center", fontsize=8)
    axis.set_xlabel(f"notes per second ({notes} MTSamples notes, {cores} CPU cores)")
    axis.set_title("Throughput of each path on the same notes and weights")
    figure.tight_layout()
    figure.savefig(args.out / "benchmarks.png", dpi=120)
    print((args.out / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
