#!/usr/bin/env python3
"""The team's tool for the medication attribute gold set (training/corpora/medication-attributes),
annotated by docs/medication-attributes-guidelines.md on the medication mentions of the note gold set.

    select            the notes and their split (run once; the result is committed as notes.txt)
    show ID           the note cut into numbered segments, each medication mention marked [M3: ...]
    check ID --dir D  parse D/ID.tsv, map every attribute to offsets, print the marks and every problem
    compile           every finished note -> dev.jsonl, test.jsonl (offsets in characters)
    agree A B         agreement of two independent annotation folders, per attribute

An annotation file holds one line per attribute, in any order:

    M<n> | strength  | TEXT [| @K] | VALUE UNIT          e.g.  M1 | strength | 500 mg | 500 mg
    M<n> | dose      | TEXT [| @K] | AMOUNT FORM         e.g.  M1 | dose | 2 tablets | 2 tablet   (range: - FORM)
    M<n> | route     | TEXT [| @K] | ROUTE               e.g.  M1 | route | p.o. | oral
    M<n> | frequency | TEXT [| @K] | PER_DAY AS_NEEDED   e.g.  M1 | frequency | q6h prn | 4 yes  (no number: -)
    M<n> | duration  | TEXT [| @K] | DAYS                e.g.  M1 | duration | for 7 days | 7
    M<n> | daily_dose | VALUE UNIT                        e.g.  M1 | daily_dose | 1000 mg
    M<n> | taper

(" | " stands for a tab or a bar with spaces.) TEXT is copied exactly from the note; it is found in the
mention's segment or the segments around it (two before, two after): the first occurrence after the
mention, else the last one before it, or the K-th occurrence from the start of the mention's segment
with @K. A finished file ends
with `#status: done`; a note whose medications have no attributes still gets one. Only the Python
standard library is used.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from annotate import CORPUS as NOTES_GOLD, segments

HERE = Path(__file__).resolve().parent
SET = HERE.parent / "corpora" / "medication-attributes"
NOTE_LIST = SET / "notes.txt"
DONE = "#status: done"
ROUTES = {"oral", "intravenous", "intramuscular", "subcutaneous", "inhaled", "topical", "rectal",
          "sublingual", "transdermal", "ophthalmic", "other"}
SPANNED = ("strength", "dose", "route", "frequency", "duration")
NEARBY_SEGMENTS = 2


def gold_notes() -> dict[str, dict]:
    """The note gold set's dev and test notes, with their split."""
    notes = {}
    for split in ("dev", "test"):
        for line in (NOTES_GOLD / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            note = json.loads(line)
            note["split"] = split
            note["medications"] = [s for s in sorted(note["spans"], key=lambda s: s["start"])
                                   if s["type"] == "medication"]
            notes[note["id"]] = note
    return notes


def chosen() -> dict[str, str]:
    """Note id -> split, for the notes of the set."""
    chosen_ids = {}
    for line in NOTE_LIST.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            note_id, split = line.split("\t")[:2]
            chosen_ids[note_id] = split
    return chosen_ids


def segment_of(segs: list[tuple[int, int]], position: int) -> int:
    return next(i for i, (s, e) in enumerate(segs) if s <= position < e)


def show(note: dict) -> str:
    text, segs = note["text"], segments(note["text"])
    marks = {m["start"]: (n, m) for n, m in enumerate(note["medications"], 1)}
    lines = []
    for number, (start, end) in enumerate(segs):
        out, at = [], start
        for position in sorted(p for p in marks if start <= p < end):
            n, m = marks[position]
            out.append(text[at:m["start"]])
            out.append(f"[M{n}: {text[m['start']:m['end']]}]")
            at = m["end"]
        out.append(text[at:end])
        lines.append(f"{number:3d}  {''.join(out).strip()}")
    return "\n".join(lines)


def parse_value(attribute: str, fields: list[str]) -> dict:
    words = " ".join(fields).split()
    number = lambda w: None if w == "-" else float(w)
    if attribute == "strength":
        value, unit = words
        return {"value": number(value), "unit": unit}
    if attribute == "dose":
        amount, form = words
        return {"amount": number(amount), "form": form}
    if attribute == "route":
        (route,) = words
        if route not in ROUTES:
            raise ValueError(f"route {route} is not one of {', '.join(sorted(ROUTES))}")
        return {"route": route}
    if attribute == "frequency":
        per_day, as_needed = words
        if as_needed not in ("yes", "no"):
            raise ValueError("as needed must be yes or no")
        return {"per_day": number(per_day), "as_needed": as_needed == "yes"}
    if attribute == "duration":
        (days,) = words
        return {"days": number(days)}
    raise ValueError(f"unknown attribute {attribute}")


def locate(text: str, segs, mention: dict, wanted: str, occurrence: int | None) -> int:
    """Start of `wanted` near the mention (see the module docs)."""
    home = segment_of(segs, mention["start"])
    lo = segs[max(0, home - NEARBY_SEGMENTS)][0]
    hi = segs[min(len(segs) - 1, home + NEARBY_SEGMENTS)][1]
    if occurrence is not None:
        lo = segs[home][0]
    found, at = [], text.find(wanted, lo)
    while at != -1 and at + len(wanted) <= hi:
        found.append(at)
        at = text.find(wanted, at + 1)
    if occurrence is not None:
        if occurrence > len(found):
            raise ValueError(f"no occurrence {occurrence} of {wanted!r}")
        return found[occurrence - 1]
    if not found:
        raise ValueError(f"{wanted!r} not found near M{mention['number']}")
    after = [s for s in found if s >= mention["end"]]
    before = [s for s in found if s + len(wanted) <= mention["start"]]
    if not after and not before:
        raise ValueError(f"{wanted!r} overlaps M{mention['number']} itself")
    return after[0] if after else before[-1]


def parse(note: dict, path: Path) -> tuple[list[dict], list[str], bool]:
    """(medications with their attributes, problems, finished)."""
    text, segs = note["text"], segments(note["text"])
    medications = [dict(m, number=n, mention=text[m["start"]:m["end"]], attributes={})
                   for n, m in enumerate(note["medications"], 1)]
    problems, finished = [], False
    for line_number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line == DONE:
            finished = True
            continue
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in (line.split("\t") if "\t" in line else line.split(" | "))]
        try:
            label, attribute = fields[0], fields[1]
            if not label.startswith("M") or not label[1:].isdigit() or not 1 <= int(label[1:]) <= len(medications):
                raise ValueError(f"no medication {label} (the note has M1 to M{len(medications)})")
            medication = medications[int(label[1:]) - 1]
            if attribute in medication["attributes"]:
                raise ValueError(f"{label} has two {attribute} lines")
            if attribute == "taper":
                medication["attributes"]["taper"] = True
            elif attribute == "daily_dose":
                value, unit = " ".join(fields[2:]).split()
                medication["attributes"]["daily_dose"] = {"value": float(value), "unit": unit}
            elif attribute in SPANNED:
                wanted, rest = fields[2], fields[3:]
                occurrence = None
                if rest and rest[0].startswith("@"):
                    occurrence, rest = int(rest[0][1:]), rest[1:]
                start = locate(text, segs, medication, wanted, occurrence)
                entry = {"start": start, "end": start + len(wanted), "text": wanted}
                entry.update(parse_value(attribute, rest))
                medication["attributes"][attribute] = entry
            else:
                raise ValueError(f"unknown attribute {attribute}")
        except (ValueError, IndexError) as error:
            problems.append(f"ERROR line {line_number}: {error}")
    return medications, problems, finished


def render(note: dict, medications: list[dict]) -> str:
    lines = []
    for m in medications:
        parts = [f"M{m['number']} {m['mention']!r} @{m['start']}"]
        for attribute, value in m["attributes"].items():
            if isinstance(value, dict) and "start" in value:
                shown = {k: v for k, v in value.items() if k not in ("start", "end", "text")}
                parts.append(f"{attribute} {value['text']!r} @{value['start']} {shown}")
            else:
                parts.append(f"{attribute} {value}")
        lines.append("  ".join(parts))
    return "\n".join(lines)


def cmd_select(args) -> int:
    """50 dev and 50 test notes with at least one medication, drawn at random (seed 22); the first 15
    of each split are the agreement sample, annotated twice independently."""
    if NOTE_LIST.exists() and not args.force:
        print(f"{NOTE_LIST} exists; the selection is made once", file=sys.stderr)
        return 1
    notes = gold_notes()
    rng = random.Random(22)
    lines = ["# note id, split, agreement (annotated twice) — drawn by attributes.py select, seed 22"]
    for split in ("dev", "test"):
        pool = sorted(i for i, n in notes.items() if n["split"] == split and n["medications"])
        for number, note_id in enumerate(rng.sample(pool, 50)):
            lines.append(f"{note_id}\t{split}\t{'double' if number < 15 else 'single'}")
    SET.mkdir(parents=True, exist_ok=True)
    NOTE_LIST.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {NOTE_LIST}")
    return 0


def cmd_show(args) -> int:
    print(show(gold_notes()[args.id]))
    return 0


def cmd_check(args) -> int:
    note = gold_notes()[args.id]
    medications, problems, finished = parse(note, Path(args.dir) / f"{args.id}.tsv")
    print(render(note, medications))
    for problem in problems:
        print(problem)
    print("finished" if finished else "not finished (no #status: done line)")
    return 1 if problems else 0


def annotated(folder: Path, note: dict) -> list[dict] | None:
    path = folder / f"{note['id']}.tsv"
    if not path.exists():
        return None
    medications, problems, finished = parse(note, path)
    if problems or not finished:
        raise SystemExit(f"{path}: {'; '.join(problems) or 'not finished'}")
    return medications


def cmd_compile(args) -> int:
    notes, folder = gold_notes(), Path(args.dir)
    by_split = defaultdict(list)
    for note_id, split in chosen().items():
        medications = annotated(folder, notes[note_id])
        if medications is None:
            raise SystemExit(f"{note_id} is not annotated in {folder}")
        by_split[split].append({"id": note_id, "text": notes[note_id]["text"], "medications": [
            {"start": m["start"], "end": m["end"], "mention": m["mention"], **m["attributes"]} for m in medications]})
    for split, rows in by_split.items():
        with (SET / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} notes, {sum(len(r['medications']) for r in rows)} medications")
    return 0


def cmd_agree(args) -> int:
    notes = gold_notes()
    counts = defaultdict(lambda: [0, 0, 0, 0])  # both strict, both overlapping, only A, only B
    values = defaultdict(lambda: [0, 0])  # same normalised value, compared
    compared = 0
    for note_id, split in chosen().items():
        a, b = annotated(Path(args.a), notes[note_id]), annotated(Path(args.b), notes[note_id])
        if a is None or b is None:
            continue
        compared += 1
        for ma, mb in zip(a, b):
            for attribute in SPANNED + ("daily_dose",):
                x, y = ma["attributes"].get(attribute), mb["attributes"].get(attribute)
                if x is None and y is None:
                    continue
                if x is None or y is None:
                    counts[attribute][2 if y is None else 3] += 1
                    continue
                if attribute == "daily_dose" or (x["start"], x["end"]) == (y["start"], y["end"]):
                    counts[attribute][0] += 1
                if attribute == "daily_dose" or (x["start"] < y["end"] and y["start"] < x["end"]):
                    counts[attribute][1] += 1
                strip = lambda v: {k: w for k, w in v.items() if k not in ("start", "end", "text")}
                values[attribute][0] += strip(x) == strip(y)
                values[attribute][1] += 1
    print(f"{compared} notes annotated twice\n")
    print("| attribute | A only | B only | strict F1 | overlap F1 | same value where both |")
    print("|---|---:|---:|---:|---:|---:|")
    for attribute in SPANNED + ("daily_dose",):
        strict, overlap, only_a, only_b = counts[attribute]
        both = values[attribute][1]
        f1 = lambda agree: 2 * agree / (2 * agree + (both - agree) * 2 + only_a + only_b) if both + only_a + only_b else 1.0
        same = f"{values[attribute][0]}/{both}"
        print(f"| {attribute} | {only_a} | {only_b} | {f1(strict):.3f} | {f1(overlap):.3f} | {same} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="attributes.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    select = commands.add_parser("select")
    select.add_argument("--force", action="store_true")
    commands.add_parser("show").add_argument("id")
    check = commands.add_parser("check")
    check.add_argument("id")
    check.add_argument("--dir", required=True)
    commands.add_parser("compile").add_argument("--dir", default=str(SET / "annotations"))
    agree = commands.add_parser("agree")
    agree.add_argument("a")
    agree.add_argument("b")
    args = parser.parse_args()
    return {"select": cmd_select, "show": cmd_show, "check": cmd_check, "compile": cmd_compile,
            "agree": cmd_agree}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
