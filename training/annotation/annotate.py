#!/usr/bin/env python3
"""The team's annotation tool for the MTSamples note gold set (training/corpora/mtsamples-gold).

The annotation is standoff, written by hand as short lines rather than as offsets, and this tool turns
it into character offsets and checks it:

    show ID            the note cut into numbered segments (sentences and headings), to read in full
    check ID [--dir D] parse D/ID.tsv, map every line to offsets, print the note with its marks and
                       every problem (a mention not found, overlaps, a string marked in one place and
                       left unmarked in another)
    compile            every finished note -> train.jsonl, dev.jsonl, test.jsonl (offsets in characters,
                       as SQL counts them)
    agree A B          agreement of two independent annotation folders (strict and lenient F1 per type)
    diff A B ID        their disagreements on one note, for adjudication
    select             the 600 notes and their split (run once; the result is committed)

An annotation file holds one line per mention, in the order of the note:

    SEGMENT <TAB> TYPE <TAB> MENTION [<TAB> @K]      (" | " may stand for each <TAB>)

TYPE is M (medication), D (disease) or S (symptom); MENTION is copied exactly from the segment; a
mention is matched at word boundaries after the previous mention of the same segment, or at its K-th
occurrence in the segment with @K. Lines starting with # are comments; a finished file has the line
`#status: done`. Only the Python standard library is used, so that the tool runs anywhere.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpora" / "mtsamples-gold"
NOTES = CORPUS / "notes.jsonl"
ANNOTATIONS = CORPUS / "annotations"
TYPES = {"M": "medication", "D": "disease", "S": "symptom"}
DONE = "#status: done"


def load_notes() -> dict[str, dict]:
    with NOTES.open(encoding="utf-8") as f:
        return {n["id"]: n for n in map(json.loads, f)}


# --- segments ---------------------------------------------------------------------------------------

HEADING = re.compile(r"(?:^|(?<=[,.]))\s*([A-Z][A-Z0-9 /&()#'-]{2,}:)")
SENTENCE_END = re.compile(r"(?<=[.!?])(?:,?\s+|,)(?=[A-Z0-9(\"'])")
LIST_ITEM = re.compile(r"(?:^|,)\s*(\d{1,2}\.)(?=\s|[A-Za-z])")
NO_CUT_AFTER = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|St|vs|No|Drs|Jr|Sr|approx|e\.g|i\.e)\.$|\b[A-Z]\.$")


def segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of each segment: cuts before a heading and a numbered list item, and after a
    sentence's end (not after a title such as "Dr." or an initial). Segments only help reading and
    locating; offsets are always counted in the whole note."""
    cuts = {0, len(text)}
    for m in HEADING.finditer(text):
        cuts.add(m.start(1))
    for m in LIST_ITEM.finditer(text):
        cuts.add(m.start(1))
    for m in SENTENCE_END.finditer(text):
        if not NO_CUT_AFTER.search(text[max(0, m.start() - 6):m.start()]):
            cuts.add(m.start())
    ordered = sorted(cuts)
    spans: list[tuple[int, int]] = []
    for start, end in zip(ordered, ordered[1:]):
        piece = text[start:end]
        # A piece with no letters (",", a bare "2.") joins the segment that follows it.
        if spans and not any(c.isalpha() for c in text[spans[-1][0]:spans[-1][1]]):
            spans[-1] = (spans[-1][0], end)
        elif not any(c.isalpha() for c in piece) and spans and not piece.strip(" ,").rstrip(".").isdigit():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def show(note: dict) -> str:
    text = note["text"]
    lines = [f"# {note['id']}  kind={note['kind']}  specialty={note['specialty']}  ({len(text)} characters)"]
    for number, (start, end) in enumerate(segments(text), 1):
        lines.append(f"[{number}] {text[start:end].strip()}")
    return "\n".join(lines)


# --- annotation files -------------------------------------------------------------------------------

def is_word_char(c: str) -> bool:
    return c.isalnum()


def at_word_boundaries(text: str, start: int, end: int) -> bool:
    before_ok = start == 0 or not (is_word_char(text[start - 1]) and is_word_char(text[start]))
    after_ok = end == len(text) or not (is_word_char(text[end - 1]) and is_word_char(text[end]))
    return before_ok and after_ok


def occurrences(text: str, mention: str, lo: int, hi: int) -> list[int]:
    found, at = [], text.find(mention, lo, hi)
    while at != -1:
        if at_word_boundaries(text, at, at + len(mention)):
            found.append(at)
        at = text.find(mention, at + 1, hi)
    return found


def parse(note: dict, path: Path) -> tuple[list[dict], list[str], bool]:
    """Entities, problems, and whether the file says it is finished."""
    text = note["text"]
    segs = segments(text)
    entities, problems, done = [], [], False
    cursor: dict[int, int] = {}
    if not path.exists():
        return [], [f"{path} does not exist"], False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            done = done or line.strip() == DONE
            continue
        fields = line.split("\t") if "\t" in line else line.split(" | ")
        where = f"{path.name}:{number}"
        if len(fields) not in (3, 4):
            problems.append(f"{where}: expected SEGMENT<TAB>TYPE<TAB>MENTION[<TAB>@K], got {line!r}")
            continue
        seg_text, kind, mention = fields[0].strip(), fields[1].strip(), fields[2]
        if not seg_text.isdigit() or not 1 <= int(seg_text) <= len(segs):
            problems.append(f"{where}: no segment {seg_text!r} (the note has {len(segs)})")
            continue
        if kind not in TYPES:
            problems.append(f"{where}: type must be M, D or S, got {kind!r}")
            continue
        if mention != mention.strip() or not mention:
            problems.append(f"{where}: mention {mention!r} has surrounding spaces or is empty")
            continue
        seg = int(seg_text)
        lo, hi = segs[seg - 1]
        found = occurrences(text, mention, lo, hi)
        if len(fields) == 4:
            k = fields[3].strip()
            if not re.fullmatch(r"@[1-9][0-9]*", k) or int(k[1:]) > len(found):
                problems.append(f"{where}: {k!r} but {mention!r} occurs {len(found)} times in segment {seg}")
                continue
            start = found[int(k[1:]) - 1]
        else:
            after = [s for s in found if s >= cursor.get(seg, lo)]
            if not after:
                why = "not in the segment" if not found else "not after the previous mention of this segment (list in order, or add @K)"
                problems.append(f"{where}: {mention!r} {why} (segment {seg})")
                continue
            start = after[0]
        end = start + len(mention)
        cursor[seg] = end
        entities.append({"start": start, "end": end, "type": TYPES[kind], "mention": mention})
    entities.sort(key=lambda e: (e["start"], e["end"]))
    for a, b in zip(entities, entities[1:]):
        if b["start"] < a["end"]:
            problems.append(f"overlapping mentions {a['mention']!r} and {b['mention']!r} at {b['start']}")
    return entities, problems, done


def unmarked_repeats(text: str, entities: list[dict]) -> list[str]:
    """A string marked somewhere and found unmarked elsewhere in the note: a miss or a deliberate
    difference (negation does not count: negated mentions are marked too)."""
    covered = [False] * len(text)
    for e in entities:
        for i in range(e["start"], e["end"]):
            covered[i] = True
    warnings = []
    for mention in sorted({e["mention"] for e in entities}, key=str.lower):
        for m in re.finditer(re.escape(mention), text, re.IGNORECASE):
            s, t = m.start(), m.end()
            if at_word_boundaries(text, s, t) and not any(covered[s:t]):
                context = text[max(0, s - 40):t + 40].replace("\n", " ")
                warnings.append(f"{mention!r} unmarked at {s}: ...{context}...")
    return warnings


def render(note: dict, entities: list[dict]) -> str:
    text = note["text"]
    marks = {e["start"]: e for e in entities}
    lines = []
    for number, (lo, hi) in enumerate(segments(text), 1):
        out, i = [], lo
        while i < hi:
            e = marks.get(i)
            if e and e["end"] <= hi:
                out.append(f"[{e['type'][0].upper()}: {text[e['start']:e['end']]}]")
                i = e["end"]
            else:
                out.append(text[i])
                i += 1
        lines.append(f"[{number}] {''.join(out).strip()}")
    return "\n".join(lines)


# --- commands ---------------------------------------------------------------------------------------

def cmd_show(args) -> int:
    notes = load_notes()
    for note_id in args.ids:
        print(show(notes[note_id]))
        print()
    return 0


def cmd_check(args) -> int:
    notes = load_notes()
    folder = Path(args.dir) if args.dir else ANNOTATIONS / "final"
    status = 0
    for note_id in args.ids:
        note = notes[note_id]
        entities, problems, done = parse(note, folder / f"{note_id}.tsv")
        if not args.quiet:
            print(render(note, entities))
        counts = Counter(e["type"] for e in entities)
        print(f"\n# {note_id}: {len(entities)} mentions "
              f"({counts['medication']} M, {counts['disease']} D, {counts['symptom']} S)"
              f"{'' if done else '; NOT finished (no #status: done line)'}")
        for p in problems:
            print(f"ERROR {p}")
        for w in unmarked_repeats(note["text"], entities):
            print(f"CHECK {w}")
        status |= bool(problems)
    return status


def cmd_compile(args) -> int:
    """Every finished note -> SPLIT.jsonl (train, dev, test) in the corpus folder, in the JSON-lines
    format the Rust readers take (`training/src/readers/jsonl.rs`): id, text, spans with character
    offsets and type; kind and specialty ride along."""
    notes = load_notes()
    folder = ANNOTATIONS / "final"
    out: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    missing, failed = [], []
    for note_id, note in notes.items():
        entities, problems, done = parse(note, folder / f"{note_id}.tsv")
        if not done:
            missing.append(note_id)
            continue
        if problems:
            failed.append(note_id)
            continue
        out[note["split"]].append({
            "id": note_id, "kind": note["kind"], "specialty": note["specialty"], "text": note["text"],
            "spans": [{k: e[k] for k in ("start", "end", "type")} for e in entities]})
    if failed:
        print(f"notes with problems (run check): {' '.join(failed)}", file=sys.stderr)
        return 1
    if missing:
        print(f"{len(missing)} notes not finished, e.g. {' '.join(missing[:5])}", file=sys.stderr)
        return 1
    for split, rows in out.items():
        with (CORPUS / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts = Counter(span["type"] for row in rows for span in row["spans"])
        print(f"{split}: {len(rows)} notes, " + ", ".join(f"{t} {counts[t]}" for t in TYPES.values()))
    return 0


def spans_of(folder: Path, note: dict) -> tuple[list[dict], bool]:
    entities, problems, done = parse(note, folder / f"{note['id']}.tsv")
    if problems:
        raise SystemExit(f"{folder}/{note['id']}.tsv has problems: {problems[0]}")
    return entities, done


def agreement(pairs: list[tuple[list[dict], list[dict]]]) -> dict:
    """Entity F1 between two annotators, per type: strict (same offsets and type) and lenient
    (overlapping spans of the same type, each matched at most once)."""
    result = {}
    for kind in list(TYPES.values()) + ["all"]:
        strict_match = lenient_match = n_a = n_b = 0
        for a, b in pairs:
            a = [e for e in a if kind in ("all", e["type"])]
            b = [e for e in b if kind in ("all", e["type"])]
            n_a, n_b = n_a + len(a), n_b + len(b)
            strict_match += len({(e["start"], e["end"], e["type"]) for e in a}
                                & {(e["start"], e["end"], e["type"]) for e in b})
            used = set()
            for e in a:
                for j, f in enumerate(b):
                    if j not in used and f["type"] == e["type"] and f["start"] < e["end"] and e["start"] < f["end"]:
                        used.add(j)
                        lenient_match += 1
                        break
        f1 = lambda m: 2 * m / (n_a + n_b) if n_a + n_b else 1.0
        result[kind] = {"a": n_a, "b": n_b, "strict_f1": round(f1(strict_match), 3),
                        "lenient_f1": round(f1(lenient_match), 3)}
    return result


def cmd_agree(args) -> int:
    notes = load_notes()
    a_dir, b_dir = Path(args.a), Path(args.b)
    ids = sorted(p.stem for p in a_dir.glob("*.tsv") if (b_dir / p.name).exists())
    pairs = []
    for note_id in ids:
        (a, a_done), (b, b_done) = spans_of(a_dir, notes[note_id]), spans_of(b_dir, notes[note_id])
        if a_done and b_done:
            pairs.append((a, b))
    result = {"notes": len(pairs), "per_type": agreement(pairs)}
    print(json.dumps(result, indent=2))
    return 0


def cmd_diff(args) -> int:
    notes = load_notes()
    for note_id in args.ids:
        note = notes[note_id]
        a, _ = spans_of(Path(args.a), note)
        b, _ = spans_of(Path(args.b), note)
        key = lambda e: (e["start"], e["end"], e["type"])
        only_a = [e for e in a if key(e) not in {key(f) for f in b}]
        only_b = [e for e in b if key(e) not in {key(f) for f in a}]
        text = note["text"]
        print(f"# {note_id}: A {len(a)}, B {len(b)}, only A {len(only_a)}, only B {len(only_b)}")
        for who, es in (("A", only_a), ("B", only_b)):
            for e in es:
                context = text[max(0, e["start"] - 50):e["end"] + 50].replace("\n", " ")
                print(f"  only {who}: {e['type'][0].upper()} {e['mention']!r} @{e['start']}  ...{context}...")
    return 0


# --- selection --------------------------------------------------------------------------------------

# Note kinds and how many of each; within a kind, two thirds train, a sixth dev, a sixth test.
QUOTAS = {
    "discharge_summary": 60,
    "emergency": 48,
    "history_and_physical_or_consult": 132,
    "progress_or_office_note": 96,
    "operative_or_procedure": 120,
    "radiology_or_diagnostic": 72,
    "letter_or_other_report": 72,
}
PROCEDURE_WORDS = re.compile(r"ectomy|otomy|ostomy|plasty|scopy|pexy|rrhaphy|biopsy|repair|excision|"
                             r"catheteri[sz]ation|injection|procedure|operative|insertion|removal|release|"
                             r"fixation|fusion|graft|ablation|implant|block|reduction|drainage", re.I)
DIAGNOSTIC_WORDS = re.compile(r"\b(MRI|CT|x-?ray|ultrasound|echo|echocardiogram|doppler|scan|EEG|EMG|"
                              r"nerve conduction|mammogra|angiogra|venogra|study|test|EKG|ECG|pulmonary function|"
                              r"sleep study|polysomnogra|stress test|radiograph)", re.I)


def kind_of(categories: set[str], sample_name: str, description: str) -> str:
    name = f"{sample_name} {description}"
    if "Discharge Summary" in categories:
        return "discharge_summary"
    if "Emergency Room Reports" in categories:
        return "emergency"
    if "Radiology" in categories or DIAGNOSTIC_WORDS.search(sample_name):
        return "radiology_or_diagnostic"
    if "Surgery" in categories or PROCEDURE_WORDS.search(sample_name):
        return "operative_or_procedure"
    if "Consult - History and Phy." in categories or re.search(r"consult|H&P|history and physical", name, re.I):
        return "history_and_physical_or_consult"
    if categories & {"SOAP / Chart / Progress Notes", "Office Notes"} or re.search(r"progress|follow-?up|SOAP", name, re.I):
        return "progress_or_office_note"
    return "letter_or_other_report"


def cmd_select(args) -> int:
    if NOTES.exists() and not args.force:
        print(f"{NOTES} exists: the selection is made once (use --force to redo it)", file=sys.stderr)
        return 1
    rows = list(csv.DictReader(gzip.open(Path(args.data_dir) / "mtsamples" / "mtsamples.csv.gz", "rt", encoding="utf-8")))
    # The shipped model's teachers labelled the first 800 notes (scripts/distill.sh, NOTES_LIMIT):
    # those may go to train, never to dev or test.
    teacher_labelled = {r["transcription"].strip() for r in rows[:800]}
    by_text: dict[str, dict] = {}
    for r in rows:
        text = r["transcription"].strip()
        if not text:
            continue
        entry = by_text.setdefault(text, {"row": r, "categories": set()})
        entry["categories"].add(r["medical_specialty"].strip())
    candidates = defaultdict(list)
    for text, entry in by_text.items():
        if not 500 <= len(text) <= 7000:
            continue
        r = entry["row"]
        kind = kind_of(entry["categories"], r["sample_name"], r["description"])
        candidates[kind].append({
            "id": f"mts-{int(r['note_id']):04d}",
            "mtsamples_note_id": int(r["note_id"]),
            "kind": kind,
            "specialty": r["medical_specialty"].strip(),
            "sample_name": r["sample_name"].strip(),
            "text": text,
            "teacher_labelled": text in teacher_labelled,
        })
    rng = random.Random(20261206)
    chosen = []
    for kind, quota in QUOTAS.items():
        pool = sorted(candidates[kind], key=lambda n: n["id"])
        rng.shuffle(pool)
        held_out_pool = [n for n in pool if not n["teacher_labelled"]]
        per_split = quota // 6
        held_out = held_out_pool[:2 * per_split]
        taken = {n["id"] for n in held_out}
        train = [n for n in pool if n["id"] not in taken][:quota - 2 * per_split]
        if len(train) + len(held_out) < quota:
            raise SystemExit(f"{kind}: only {len(train) + len(held_out)} notes for a quota of {quota}")
        for n in held_out[:per_split]:
            n["split"] = "dev"
        for n in held_out[per_split:]:
            n["split"] = "test"
        for n in train:
            n["split"] = "train"
        chosen += held_out + train
        print(f"{kind}: {len(candidates[kind])} candidates, {quota} chosen", file=sys.stderr)
    # 60 notes of dev and test, annotated twice independently for the agreement figure.
    for split in ("dev", "test"):
        pool = sorted((n for n in chosen if n["split"] == split), key=lambda n: n["id"])
        for n in rng.sample(pool, 30):
            n["double_annotated"] = True
    chosen.sort(key=lambda n: n["id"])
    CORPUS.mkdir(parents=True, exist_ok=True)
    with NOTES.open("w", encoding="utf-8") as f:
        for n in chosen:
            n.setdefault("double_annotated", False)
            n.pop("teacher_labelled")
            f.write(json.dumps(n, ensure_ascii=False) + "\n")
    counts = Counter(n["split"] for n in chosen)
    print(f"{len(chosen)} notes: {dict(counts)}; {sum(len(n['text']) for n in chosen):,} characters", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("show"); p.add_argument("ids", nargs="+"); p.set_defaults(run=cmd_show)
    p = sub.add_parser("check"); p.add_argument("ids", nargs="+"); p.add_argument("--dir")
    p.add_argument("--quiet", action="store_true", help="problems only, not the marked note"); p.set_defaults(run=cmd_check)
    p = sub.add_parser("compile"); p.set_defaults(run=cmd_compile)
    p = sub.add_parser("agree"); p.add_argument("a"); p.add_argument("b"); p.set_defaults(run=cmd_agree)
    p = sub.add_parser("diff"); p.add_argument("a"); p.add_argument("b"); p.add_argument("ids", nargs="+")
    p.set_defaults(run=cmd_diff)
    p = sub.add_parser("select"); p.add_argument("--data-dir", default=str(HERE.parents[2] / "shared" / "data"))
    p.add_argument("--force", action="store_true"); p.set_defaults(run=cmd_select)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
