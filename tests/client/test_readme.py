"""The README's SQL and Python examples, run as written, in order, in a fresh database holding the
sample notes as a table `notes (id, note)`: SQL through psql, Python with this environment's psycopg
and the database in PGDATABASE. Where a SQL block is followed at once by an untagged block, that is the
output psql must print. Blocks tagged otherwise (`sql norun`: settings that need a restart, say) are
not run."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, psql

DATABASE = "clinical_ner_readme"
FENCE = re.compile(r"^( *)```(.*)$")


def readme_blocks() -> list[tuple[str, str, str, str | None]]:
    """(where, language, text, expected output or None) for each runnable block of README.md."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    blocks: list[tuple[int, int, str, str]] = []  # (opening fence index, closing fence index, info, text)
    at = 0
    while at < len(lines):
        opening = FENCE.match(lines[at])
        if not opening:
            at += 1
            continue
        indent, info = len(opening.group(1)), opening.group(2).strip()
        end = next(i for i in range(at + 1, len(lines)) if lines[i].strip() == "```")
        blocks.append((at, end, info, "\n".join(line[indent:] for line in lines[at + 1:end])))
        at = end + 1
    runnable = []
    for (opened, closed, info, text), following in zip(blocks, blocks[1:] + [None]):
        if info not in ("sql", "python"):
            continue
        output = info == "sql" and following is not None and following[2] == "" and following[0] == closed + 1
        runnable.append((f"README.md line {opened + 1}", info, text, following[3] if output else None))
    return runnable


@pytest.fixture(scope="module")
def readme_database():
    psql("postgres", "-c", f"DROP DATABASE IF EXISTS {DATABASE}", "-c", f"CREATE DATABASE {DATABASE}")
    psql(DATABASE, "-f", str(ROOT / "sql/examples/sample_notes.sql"),
         "-c", "CREATE TABLE notes AS SELECT id, note FROM sample_notes")
    yield DATABASE
    psql("postgres", "-c", f"DROP DATABASE {DATABASE} WITH (FORCE)")


def test_the_readme_has_examples_with_their_output():
    blocks = readme_blocks()
    assert sum(language == "sql" for _, language, _, _ in blocks) >= 5
    assert sum(language == "python" for _, language, _, _ in blocks) >= 1
    assert sum(expected is not None for _, _, _, expected in blocks) >= 2


def test_every_readme_example_runs_as_written(readme_database):
    for where, language, text, expected in readme_blocks():
        if language == "sql":
            command = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-P", "footer=off", "-d", readme_database]
        else:
            command = [sys.executable, "-"]
        result = subprocess.run(command, input=text, capture_output=True, text=True,
                                env={**os.environ, "PGDATABASE": readme_database})
        assert result.returncode == 0, f"{where} failed:\n{result.stderr}"
        if expected is not None:
            printed = [line.rstrip() for line in result.stdout.splitlines() if line.strip()]
            wanted = [line.rstrip() for line in expected.splitlines() if line.strip()]
            assert printed[-len(wanted):] == wanted, f"{where} printed:\n" + "\n".join(printed)
