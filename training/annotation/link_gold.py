#!/usr/bin/env python3
"""The team's tool for the linking gold set (training/corpora/linking-gold), beside annotate.py.

    merge ANSWERS...      the judges' answer files + strings.tsv -> gold.tsv (every string judged once)
    agree FIRST SECOND    agreement of two independent judgements of the same strings (gold.tsv or an
                          answers file against a second judge's answers file)

strings.tsv lists the most frequent mentions (folded) that the default model finds in MTSamples, with
their frequency and half; an answers file has one line per string:
`entity_type, mention, code_system, code, preferred_name, note` (code `none` for none). Only the
Python standard library is used.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "linking-gold"
HEADER = ("# entity_type\tmention (folded)\tmentions\tas first written\thalf\tcode_system\tcode\t"
          "preferred_name\tnote\n")


def strings() -> list[list[str]]:
    lines = (CORPUS / "strings.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def answers(paths: list[str]) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < 5:
                raise SystemExit(f"{path}:{number}: expected 6 tab-separated fields")
            fields += [""] * (6 - len(fields))
            key = (fields[0], fields[1])
            if key in found:
                raise SystemExit(f"{path}:{number}: {key} judged twice")
            found[key] = fields[2:6]
    return found


def cmd_merge(args) -> int:
    judged = answers(args.answers)
    rows, missing = [], []
    for entity_type, mention, frequency, written, half in strings():
        answer = judged.get((entity_type, mention))
        if answer is None:
            missing.append(mention)
            continue
        system, code, preferred, note = answer
        rows.append("\t".join([entity_type, mention, frequency, written, half, system, code, preferred, note]))
    if missing:
        print(f"{len(missing)} strings have no answer, e.g. {missing[:5]}", file=sys.stderr)
        return 1
    (CORPUS / "gold.tsv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} strings written to {CORPUS / 'gold.tsv'}")
    return 0


def cmd_agree(args) -> int:
    def load(path: str) -> dict[tuple[str, str], str]:
        table: dict[tuple[str, str], str] = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            code = fields[6] if path.endswith("gold.tsv") else fields[3]
            table[(fields[0], fields[1])] = code
        return table

    first, second = load(args.first), load(args.second)
    frequency = {(r[0], r[1]): int(r[2]) for r in strings()}
    shared = sorted(k for k in second if k in first)
    for entity_type in ("medication", "disease", "symptom", "all"):
        keys = [k for k in shared if entity_type in ("all", k[0])]
        same = [k for k in keys if first[k] == second[k]]
        both_none = [k for k in keys if first[k] == second[k] == "none"]
        weight = sum(frequency[k] for k in keys)
        weighted_same = sum(frequency[k] for k in same)
        print(f"{entity_type}: {len(same)}/{len(keys)} strings the same ({len(same) / max(len(keys), 1):.3f}; "
              f"{len(both_none)} both none), weighted by mentions {weighted_same / max(weight, 1):.3f}")
    if args.show:
        for k in shared:
            if first[k] != second[k]:
                print(f"  {k[0]} {k[1]!r}: {first[k]} / {second[k]}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("merge"); p.add_argument("answers", nargs="+"); p.set_defaults(run=cmd_merge)
    p = sub.add_parser("agree"); p.add_argument("first"); p.add_argument("second")
    p.add_argument("--show", action="store_true", help="list the strings judged differently")
    p.set_defaults(run=cmd_agree)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
