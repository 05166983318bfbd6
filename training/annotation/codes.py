#!/usr/bin/env python3
"""Look up codes for the linking gold set: every term of the linking vocabulary whose words include all
the words asked for (case and punctuation ignored), with its code and preferred name.

    python3 training/annotation/codes.py insulin            every term with the word "insulin"
    python3 training/annotation/codes.py --type disease renal disease
    python3 training/annotation/codes.py --exact dilantin   the term itself only

The vocabulary is the installed one (`pg_config --sharedir`/clinical_ner/vocabulary/terms.tsv) unless
--terms names another terms.tsv. Only the standard library is used.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs="+")
    parser.add_argument("--type", choices=("medication", "disease", "symptom"))
    parser.add_argument("--exact", action="store_true", help="the whole term, not terms containing the words")
    parser.add_argument("--terms", help="a terms.tsv (default: the installed vocabulary's)")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    terms = Path(args.terms) if args.terms else Path(subprocess.run(
        ["pg_config", "--sharedir"], capture_output=True, text=True, check=True).stdout.strip()) / "clinical_ner/vocabulary/terms.tsv"
    wanted = words(" ".join(args.words))
    if not wanted:
        return 1
    rows = {}
    # grep narrows 150,000 lines to those holding the longest word before Python looks at them: many
    # lookups run side by side while annotating.
    longest = max(wanted, key=len)
    found_lines = subprocess.run(["grep", "-i", "-F", longest, str(terms)], capture_output=True,
                                 text=True).stdout.splitlines()
    for line in found_lines:
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 5 or fields[0] == "entity_type":
            continue
        entity_type, system, code, preferred, term = fields
        if args.type and entity_type != args.type:
            continue
        found = words(term)
        if (found == wanted) if args.exact else all(w in found for w in wanted):
            rows.setdefault((entity_type, system, code, preferred), []).append(term)
    ranked = sorted(rows.items(), key=lambda kv: (min(len(t) for t in kv[1]), kv[0][1]))
    for (entity_type, system, code, preferred), found in ranked[:args.limit]:
        shown = ", ".join(sorted(set(found), key=len)[:4])
        print(f"{entity_type}\t{system}\t{code}\t{preferred}\t[{shown}]")
    if len(ranked) > args.limit:
        print(f"... {len(ranked) - args.limit} more concepts", file=sys.stderr)
    return 0 if ranked else 1


if __name__ == "__main__":
    sys.exit(main())
