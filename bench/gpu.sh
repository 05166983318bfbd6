#!/usr/bin/env bash
# The GPU path measured in one run on a GPU machine: the engine example on CUDA over the same MTSamples
# notes as bench/run.sh, the fp32 and fp16 models, 16 to 256 windows per inference run, one note and 64
# notes per call, each configuration in its own process so that its peak GPU memory is its own; every
# CUDA run held against the CPU's fp32 entities of the same notes (the parity rule below); token F1 of
# both precisions on the development sets, on CUDA and on the CPU; the CPU path (the shipped int8 model,
# every core) on the same notes for the speed-up; and a model that cannot fit in the GPU memory left,
# which must be an error, never a crash. Writes JSON lines to bench/work/gpu/results.jsonl (and to $OUT
# where the device tool sets it), which `bench/report.py --gpu-results` renders into docs/benchmarks.md.
#
# A GPU machine of the kind we test on reaches no registry, and a transfer to it holds about 30 MiB
# beside the working tree, so everything it needs travels from here as a kit of parts:
#   bench/gpu.sh pack                 here, after the README's two commands: bench/gpu-kit/part-NN
#                                     (PART_MIB each, 28 by default) and SHA256SUMS; the fp32 and fp16
#                                     models are made first when bench/work/gpu-models lacks them
#   bench/gpu.sh receive              there, after each transfer: which parts have arrived intact
#   bench/gpu.sh run [--device cpu]   there: unpack, find the CUDA libraries, measure. With
#                                     --device cpu the same steps run on a CPU (the GPU build of ONNX
#                                     Runtime serving on its CPU provider): the script checked end to
#                                     end without a GPU; NOTES and DEV_DOCUMENTS keep that run short.
# The CUDA 13 runtime and cuDNN 9 are not in the kit: the GPU machine's PyTorch environment has them
# (its nvidia-* packages), and `run` puts their folders on the library path.
source "$(dirname "$0")/../scripts/common.sh"

KIT="$ROOT/bench/gpu-kit"
UNPACKED="$ROOT/bench/work/gpu-kit"
WORK="$ROOT/bench/work/gpu"
PART_MIB="${PART_MIB:-28}"
# Parity: a CUDA run's mentions (type and span) against the CPU's fp32 mentions of the same notes, as
# strict F1 over all notes. fp32 on CUDA differs from the CPU only in the order of additions (and TF32
# matrix products), fp16 also in rounding; both must keep 99% of mentions.
PARITY_MIN_MENTION_F1=0.99
# fp16 serves in place of fp32 only within half a point of token F1 on every development set and type.
MAX_FP16_TOKEN_F1_LOSS=0.005
CUDA_SONAMES=(libcublasLt.so.13 libcublas.so.13 libcudart.so.13 libcurand.so.10 libcudnn.so.9)

pack() {
    source "$ROOT/bench/notes.sh"
    ensure_python_env
    local models="$ROOT/bench/work/gpu-models" staging
    [ -f "$GPU_ORT_LIBRARY" ] || { echo "no $GPU_ORT_LIBRARY: run scripts/setup.sh --gpu first" >&2; exit 1; }
    if [ ! -f "$models/fp16/manifest.json" ]; then
        step "the fp32 and fp16 copies of the shipped model (python -m clinical_ner_train fp32, fp16)"
        (cd "$ROOT/training/python" &&
            "$VENV/bin/python" -m clinical_ner_train fp32 --model "$SHIPPED_MODEL" --out "$models/fp32.new" &&
            "$VENV/bin/python" -m clinical_ner_train fp16 --model "$models/fp32.new" --out "$models/fp16.new")
        rm -rf "$models/fp32" "$models/fp16"
        mv "$models/fp32.new" "$models/fp32" && mv "$models/fp16.new" "$models/fp16"
    fi
    step "the kit: engine examples, both ONNX Runtime builds, the models, the notes and the dev sets"
    (cd "$ROOT" && cargo build --release -q -p clinical_ner_training &&
        cargo build --release -q -p clinical_ner_engine --example throughput --example extract)
    staging="$(mktemp -d)"
    mkdir -p "$staging/kit/bin" "$staging/kit/onnxruntime" "$staging/kit/onnxruntime-gpu" "$staging/kit/models"
    cp "$ROOT/target/release/examples/throughput" "$ROOT/target/release/examples/extract" \
        "$ROOT/target/release/clinical-ner-train" "$staging/kit/bin/"
    cp "$ORT_LIBRARY" "$staging/kit/onnxruntime/"
    cp "$(dirname "$GPU_ORT_LIBRARY")"/libonnxruntime* "$staging/kit/onnxruntime-gpu/"
    cp -r "$models/fp32" "$models/fp16" "$staging/kit/models/"
    write_bench_notes "${NOTES:-500}" "$staging/kit/notes.csv"
    "$ROOT/target/release/clinical-ner-train" corpora --data-dir "$DATA_DIR" --out "$staging/kit/dev" --dev-sets \
        > /dev/null
    rm -rf "$KIT" && mkdir -p "$KIT"
    tar -C "$staging" -cf - kit | xz -T0 -6 | split -b "${PART_MIB}M" -d - "$KIT/part-"
    rm -rf "$staging"
    (cd "$KIT" && cat part-* | sha256sum | sed 's/-$/kit.tar.xz/' > SHA256SUMS && sha256sum part-* >> SHA256SUMS)
    ls -l "$KIT"
    echo "carry bench/gpu-kit/SHA256SUMS and one part per device call (the working tree is about" \
         "$(git -C "$ROOT" ls-files -z | xargs -0 du -cb | tail -1 | awk '{printf "%.0f", $1 / 1048576}') MiB);" \
         "run bench/gpu.sh receive after each, bench/gpu.sh run once all are there"
}

# receive: exit 0 when every part listed in SHA256SUMS is there and intact; else name what is missing.
receive() {
    [ -f "$KIT/SHA256SUMS" ] || { echo "no $KIT/SHA256SUMS: carry it with the first part" >&2; return 3; }
    local missing=() name sum
    while read -r sum name; do
        [ "$name" = kit.tar.xz ] && continue
        if [ ! -f "$KIT/$name" ]; then missing+=("$name (not here)")
        elif [ "$(sha256sum < "$KIT/$name" | cut -d' ' -f1)" != "$sum" ]; then missing+=("$name (damaged)")
        fi
    done < "$KIT/SHA256SUMS"
    if [ ${#missing[@]} -gt 0 ]; then
        echo "parts still to carry: ${missing[*]}"
        return 3
    fi
    echo "all $(grep -c part- "$KIT/SHA256SUMS") parts here and intact"
}

unpack() {
    local whole
    whole="$(grep ' kit.tar.xz$' "$KIT/SHA256SUMS" | cut -d' ' -f1)"
    if [ -f "$UNPACKED/.sha256" ] && [ "$(cat "$UNPACKED/.sha256")" = "$whole" ]; then return; fi
    step "unpacking the kit"
    [ "$(cat "$KIT"/part-* | sha256sum | cut -d' ' -f1)" = "$whole" ] || { echo "the parts do not make the kit" >&2; exit 1; }
    rm -rf "$UNPACKED" && mkdir -p "$UNPACKED"
    cat "$KIT"/part-* | xz -d | tar -C "$UNPACKED" --strip-components=1 -xf -
    echo "$whole" > "$UNPACKED/.sha256"
}

# The folders of the CUDA runtime and cuDNN inside the machine's Python environments (nvidia-*
# packages) or a system CUDA, for the library path; fails naming what it could not find.
cuda_library_path() {
    local roots=() found=() missing=() soname hit
    mapfile -t roots < <(python3 - <<'PY' 2>/dev/null
import sys, site
for p in [*site.getsitepackages(), site.getusersitepackages(), *sys.path]:
    print(p)
PY
)
    roots+=(/usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu)
    for soname in "${CUDA_SONAMES[@]}"; do
        hit="$(find "${roots[@]}" -maxdepth 5 -name "$soname" -print -quit 2>/dev/null || true)"
        if [ -n "$hit" ]; then found+=("$(dirname "$hit")"); else missing+=("$soname"); fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "not found: ${missing[*]} (searched the Python environments and /usr/local/cuda)" >&2
        return 1
    fi
    printf '%s\n' "${found[@]}" | sort -u | paste -sd:
}

# record JSON...: appends each JSON line to the results, with the run's device mode added.
record() { sed "s/^{/{\"mode\":\"$MODE\",/" | tee -a "$RESULTS"; }

# watch_gpu_memory start|stop: peak memory in use on the GPU between the two, in MiB, over the idle level.
watch_gpu_memory() {
    if [ "$MODE" != cuda ]; then [ "$1" = stop ] && echo null; return 0; fi
    if [ "$1" = start ]; then
        IDLE_MIB="$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)"
        nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 50 > "$WORK/memory.log" &
        WATCHER=$!
    else
        kill "$WATCHER" 2>/dev/null || true; wait "$WATCHER" 2>/dev/null || true
        sort -n "$WORK/memory.log" | tail -1 | awk -v idle="$IDLE_MIB" '{print $1 - idle}'
    fi
}

# library cpu|gpu: the ONNX Runtime build of that name in the kit.
library() {
    if [ "$1" = gpu ]; then ls "$UNPACKED"/onnxruntime-gpu/libonnxruntime.so.*; else ls "$UNPACKED"/onnxruntime/libonnxruntime.so.*; fi
}

# throughput PRECISION BUILD DEVICE BATCH [ARGS...]: one configuration in a process of its own, on the
# ONNX Runtime build named (cpu or gpu).
throughput() {
    local precision="$1" build="$2" device="$3" batch="$4" library peak
    shift 4
    library="$(library "$build")"
    watch_gpu_memory start
    "$UNPACKED/bin/throughput" --model "$(model_folder "$precision")" --ort-library "$library" --device "$device" \
        --notes "$UNPACKED/notes.csv" --column note --limit "$NOTES" --notes-per-call "1,64" \
        ${batch:+--batch-size "$batch"} --json "$@" > "$WORK/figures.jsonl"
    peak="$(watch_gpu_memory stop)"
    sed "s/^{/{\"precision\":\"$precision\",\"build\":\"$build\",\"library\":\"$(basename "$library")\",\"peak_gpu_mib\":$peak,/" \
        "$WORK/figures.jsonl" | record
}

model_folder() { if [ "$1" = int8 ]; then echo "$SHIPPED_MODEL"; else echo "$UNPACKED/models/$1"; fi; }

# dev_f1 PRECISION BUILD DEVICE: token and strict F1 on every development set, through the engine.
dev_f1() {
    local precision="$1" build="$2" device="$3" file name types as_disease flags
    while read -r file name types as_disease; do
        flags=(); [ "$as_disease" = True ] && flags=(--symptom-counts-as-disease)
        head -n "$DEV_DOCUMENTS" "$UNPACKED/dev/$file" > "$WORK/gold.jsonl"
        "$UNPACKED/bin/extract" "$(model_folder "$precision")" "$(library "$build")" "$device" < "$WORK/gold.jsonl" \
            > "$WORK/predicted.jsonl"
        "$UNPACKED/bin/clinical-ner-train" evaluate --gold "$WORK/gold.jsonl" --labelled-types "$types" \
            --predictions "$WORK/predicted.jsonl" "${flags[@]}" --json "$WORK/scores.json" > /dev/null
        python3 - "$WORK/scores.json" "$name" "$precision" "$device" "$build" <<'PY' | record
import json, sys
report, name, precision, device, build = sys.argv[1:]
for t in json.load(open(report))["per_type"]:
    if t["support"]:
        print(json.dumps({"path": "dev F1", "set": name, "type": t["entity_type"], "precision": precision,
                          "device": device, "build": build, "token_f1": t["token"]["f1"],
                          "f1": t["strict"]["f1"]}))
PY
    done < <(python3 - "$UNPACKED/dev/corpora.json" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["corpora"]:
    print(c["file"], c["name"], ",".join(c["labelled_types"]), c["symptoms_filed_as_disease"])
PY
)
}

# A model that cannot fit: the GPU filled by PyTorch to within 256 MiB, then the fp32 model asked for 256
# windows per run. The engine must return an error (the example exits 101 with its message), not abort.
gpu_memory_exhausted() {
    local rc=0
    python3 - "$WORK/gpu-filled" <<'PY' &
import sys, time, torch
free, _ = torch.cuda.mem_get_info()
hog = torch.empty(free - 256 * 2**20, dtype=torch.uint8, device="cuda")
open(sys.argv[1], "w").close()
time.sleep(600)
PY
    local hog=$!
    while [ ! -f "$WORK/gpu-filled" ] && kill -0 "$hog" 2>/dev/null; do sleep 0.2; done
    "$UNPACKED/bin/throughput" --model "$UNPACKED/models/fp32" --ort-library "$(library gpu)" --device cuda \
        --notes "$UNPACKED/notes.csv" --column note --limit 64 --notes-per-call 64 --batch-size 256 \
        > "$WORK/exhausted.log" 2>&1 || rc=$?
    kill "$hog"; wait "$hog" 2>/dev/null || true
    python3 - "$rc" "$WORK/exhausted.log" <<'PY' | record
import json, sys
rc, log = int(sys.argv[1]), open(sys.argv[2], errors="replace").read()
outcome = "ran" if rc == 0 else "error" if rc in (1, 101) else f"crashed (exit {rc})"
message = next((line for line in log.splitlines() if "panicked" in line or "Error" in line or "error" in line), "")
print(json.dumps({"path": "GPU memory exhausted", "outcome": outcome, "exit": rc, "message": message[-400:]}))
PY
}

run() {
    MODE=cuda
    [ "${1:-}" = "--device" ] && MODE="$2"
    NOTES="${NOTES:-500}"
    DEV_DOCUMENTS="${DEV_DOCUMENTS:-100000}"
    receive
    unpack
    mkdir -p "$WORK"
    RESULTS="$WORK/results.jsonl"
    : > "$RESULTS"
    # What was measured comes back from the device machine even when a step fails.
    trap '[ -n "${OUT:-}" ] && cp "$RESULTS" "$OUT/gpu-results.jsonl"' EXIT
    if [ "$MODE" = cuda ]; then
        LD_LIBRARY_PATH="$(cuda_library_path)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        export LD_LIBRARY_PATH
        echo "CUDA libraries from: $LD_LIBRARY_PATH"
    fi
    python3 - "$MODE" <<'PY' | record
import datetime, json, os, re, subprocess, sys
cpuinfo = open("/proc/cpuinfo").read()
cpu = re.search(r"model name\s*:\s*(.+)", cpuinfo)
gpu = None
if sys.argv[1] == "cuda":
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip()
print(json.dumps({"path": "machine", "date": datetime.date.today().isoformat(), "gpu": gpu,
                  "cpu": cpu.group(1).strip() if cpu else None, "cores": os.cpu_count(),
                  "avx512_vnni": "avx512_vnni" in cpuinfo}))
PY

    step "the CPU path: the shipped int8 model on every core, and the fp32 model whose entities CUDA must match"
    throughput int8 cpu cpu ""
    throughput fp32 cpu cpu "" --entities-out "$WORK/cpu-fp32.entities.jsonl"

    step "$MODE: fp32 and fp16, 16 to 256 windows per run, each against the CPU's fp32 entities"
    local precision batch
    for precision in fp32 fp16; do
        for batch in 16 32 64 128 256; do
            throughput "$precision" gpu "$MODE" "$batch" --compare-to "$WORK/cpu-fp32.entities.jsonl"
        done
    done

    step "token F1 on the development sets: fp32 on the CPU, fp32 and fp16 on $MODE"
    dev_f1 fp32 cpu cpu
    dev_f1 fp32 gpu "$MODE"
    dev_f1 fp16 gpu "$MODE"

    if [ "$MODE" = cuda ]; then
        step "a model that cannot fit in the GPU memory left: an error, not a crash"
        gpu_memory_exhausted
    fi

    step "checks"
    python3 - "$RESULTS" "$MODE" "$PARITY_MIN_MENTION_F1" "$MAX_FP16_TOKEN_F1_LOSS" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
mode, min_f1, max_loss = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
failures = []
for r in rows:
    if r["path"] == "engine" and "mention_f1_against_compared" in r and r["mention_f1_against_compared"] < min_f1:
        failures.append(f"{r['precision']} batch {r['batch_size']} {r['notes_per_call']}/call: mention F1 "
                        f"{r['mention_f1_against_compared']:.4f} against the CPU's fp32 < {min_f1}")
# The GPU build's runs: fp16 against fp32 on the same device.
dev = {(r["set"], r["type"], r["precision"]): r["token_f1"] for r in rows
       if r["path"] == "dev F1" and r["build"] == "gpu"}
for (name, kind, precision), f1 in dev.items():
    if precision == "fp16":
        loss = dev[(name, kind, "fp32")] - f1
        print(f"fp16 against fp32 on {mode}, {name} {kind}: {-100 * loss:+.2f} points of token F1")
        if loss > max_loss:
            failures.append(f"fp16 loses {100 * loss:.2f} points of token F1 on {name} {kind}")
failures += [f"exhausted GPU memory: {r['outcome']}" for r in rows
             if r["path"] == "GPU memory exhausted" and r["outcome"].startswith("crashed")]
gpu = [r for r in rows if r["path"] == "engine" and r["build"] == "gpu"]
cpu = max((r for r in rows if r["path"] == "engine" and r["precision"] == "int8"), key=lambda r: r["notes_per_s"])
best = max(gpu, key=lambda r: r["notes_per_s"])
print(f"best {mode} configuration: {best['precision']}, {best['batch_size']} windows per run, "
      f"{best['notes_per_call']} notes per call: {best['notes_per_s']:.0f} notes/s, "
      f"{best['notes_per_s'] / cpu['notes_per_s']:.1f}x the CPU path ({cpu['notes_per_s']:.1f} notes/s)")
print("\n".join(failures) or "every check passed")
sys.exit(1 if failures else 0)
PY
}

case "${1:-}" in
    pack) pack ;;
    receive) receive ;;
    run) shift; run "$@" ;;
    *) echo "usage: bench/gpu.sh pack | receive | run [--device cpu]" >&2; exit 2 ;;
esac
