"""The distillation report: `scripts/distill.sh`'s results as Markdown tables and plots.

Reads the work folder the pipeline fills (selection rankings, teachers' and students' scores on the
test sets, labelling speed) and writes the paper's table rebuilt on our data, the teacher rankings,
and two plots: token F1 of every teacher subset per task, and F1 against notes per second.
"""

from __future__ import annotations

import json
from pathlib import Path

TASKS = {
    "medication": ["bc5cdr-test", "maccrobat2020-dev"],
    "disease": ["ncbi-disease-test", "bc5cdr-test", "maccrobat2020-dev"],
    "symptom": ["psytar-test", "maccrobat2020-dev"],
}
STUDENTS = {
    "teacher": "student on teacher labels",
    "human": "student on human labels",
    "human+teacher": "student on both",
    "human+teacher@1500": "student on both, 1500 steps",
    "shipped": "model in models/ at the time of the run",
}


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _type_scores(report: dict, entity_type: str) -> dict | None:
    return next((t for t in report["per_type"] if t["entity_type"] == entity_type), None)


def _rate(reports: list[dict | None]) -> float | None:
    """Notes per second of labellers run one after another on the same notes, from each report's
    `seconds_per_note` (defined once, in `clinical-ner-train label`: an LLM teacher's cached replies do
    not count; null when every reply came from the cache)."""
    speeds = [r.get("seconds_per_note") if r else None for r in reports]
    if not speeds or any(s is None for s in speeds):
        return None
    return 1.0 / max(sum(speeds), 1e-9)


def _cell(scores: dict | None) -> str:
    if scores is None:
        return "–"
    return f"{scores['token']['f1']:.3f} / {scores['strict']['f1']:.3f}"


def _fmt_rate(rate: float | None) -> str:
    if rate is None:
        return "–"
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.2f}"


def _combination_rate(work: Path, test_set: str, task: str, teachers: list[str]) -> float | None:
    return _rate([_load(work / "test" / f"{test_set}.{task}.{t}.report.json") for t in teachers])


def build(work: Path, out: Path) -> None:
    selections = {task: _load(work / "dev" / f"{task}.selection.json") for task in TASKS}
    present = {t: s for t, s in selections.items() if s}
    lines = ["# Distillation on our data", "",
             "Written by `scripts/distill.sh` (stage 6, `python -m clinical_ner_train distillation-report`); "
             "do not edit by hand. Cells are **token F1 / strict entity F1** (token: word-level, the paper's "
             "metric; strict: exact offsets and type) on held-out gold test data. Teacher combinations were "
             "chosen on the development samples below; *best* is the best at any cost, *within budget* the "
             "best whose teachers label a note in at most the pipeline's time budget, which is the one that "
             "labelled the students' training notes. Students are scored through the engine (int8 ONNX).", ""]
    columns = ["best teachers", "teachers within budget"] + list(STUDENTS.values())
    lines += ["## The paper's table, rebuilt", "",
              "| task | test set | " + " | ".join(columns) + " |",
              "|---|---|" + "---|" * len(columns)]
    for task, sets in TASKS.items():
        for test_set in sets:
            row = [task, test_set]
            for which in ("best", "chosen"):
                report = _load(work / "scores" / f"{test_set}.{task}.{which}-teachers.json")
                row.append(_cell(report and _type_scores(report, task)))
            for student in STUDENTS:
                report = _load(work / "scores" / f"{test_set}.student-{student}.json")
                row.append(_cell(report and _type_scores(report, task)))
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")

    lines += ["Teacher combinations (chosen on the development samples; rankings below):", ""]
    for task, selection in present.items():
        best, chosen = selection["best"], selection["chosen"]
        lines.append(f"- {task}: best {' + '.join(best['teachers'])} ({best['rule']}); within budget "
                     f"{' + '.join(chosen['teachers'])} ({chosen['rule']})")
    lines.append("")

    lines += ["## Notes per second of each labeller on the test sets", "",
              "| task | test set | best teachers | teachers within budget | " + " | ".join(STUDENTS.values()) + " |",
              "|---|---|---:|---:|" + "---:|" * len(STUDENTS)]
    for task, sets in TASKS.items():
        for test_set in sets:
            row = [task, test_set]
            for which in ("best", "chosen"):
                teachers = present.get(task, {}).get(which, {}).get("teachers", [])
                row.append(_fmt_rate(_combination_rate(work, test_set, task, teachers)))
            for student in STUDENTS:
                row.append(_fmt_rate(_rate([_load(work / "test" / f"{test_set}.student-{student}.report.json")])))
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Dictionary teachers' rates leave out loading the vocabularies (about 3 s once); LLM rates "
              "count only the notes actually sent (cached replies excluded); students' rates include loading "
              "the model and writing the output.", ""]

    lines += ["## Teacher selection", "",
              "Every non-empty subset of the teachers that label the task, merged by union, majority vote and "
              "the label model, scored on the task's development sample and ranked by token F1. Notes per "
              "second: the subset's teachers run one after another.", ""]
    for task, selection in selections.items():
        if not selection:
            continue
        dev_reports = {}
        for candidate in selection["ranking"]:
            for teacher in candidate["teachers"]:
                dev_reports.setdefault(teacher, _load(work / "dev" / f"{task}.{teacher}.report.json"))
        documents = next(iter(dev_reports.values()))["notes"] if dev_reports else "?"
        lines += [f"### {task} ({selection['corpus']}, first {documents} documents)", "",
                  "| rank | teachers | merge | token P | token R | token F1 | strict F1 | notes/s |",
                  "|---:|---|---|---:|---:|---:|---:|---:|"]
        for rank, c in enumerate(selection["ranking"], 1):
            s = c["scores"]
            rate = _rate([dev_reports[t] for t in c["teachers"]])
            rule = c["rule"] if len(c["teachers"]) > 1 else "–"
            lines.append(f"| {rank} | {' + '.join(c['teachers'])} | {rule} | {s['token']['precision']:.3f} | "
                         f"{s['token']['recall']:.3f} | {s['token']['f1']:.3f} | {s['strict']['f1']:.3f} | "
                         f"{_fmt_rate(rate)} |")
        lines.append("")
        for teacher, report in dev_reports.items():
            usage = report and report.get("usage")
            if usage:
                lines.append(f"{teacher}: {usage['requests'] + usage['cached']} requests, {usage['malformed']} "
                             f"malformed replies, {usage['mentions_not_found']} mentions not in the note, "
                             f"{usage['input_tokens']} input and {usage['output_tokens']} output tokens, "
                             f"${usage['cost_usd']:.2f}.")
        lines.append("")

    plots = _plots(work, out.parent, present)
    lines += ["## Plots", ""] + [f"![{title}]({name})" for title, name in plots] + [""]
    out.write_text("\n".join(lines))


def _plots(work: Path, folder: Path, present: dict) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if present:
        fig, axes = plt.subplots(1, len(present), figsize=(6 * len(present), 7), squeeze=False)
        for ax, (task, selection) in zip(axes[0], present.items()):
            ranking = selection["ranking"][:20][::-1]
            labels = [" + ".join(c["teachers"]) + ("" if len(c["teachers"]) == 1 else f" ({c['rule']})")
                      for c in ranking]
            ax.barh(range(len(ranking)), [c["scores"]["token"]["f1"] for c in ranking], color="#4477aa")
            ax.set_yticks(range(len(ranking)), labels, fontsize=7)
            ax.set_xlabel("token F1 on the development sample")
            ax.set_title(f"{task}: teacher subsets")
            ax.set_xlim(0, 1)
        fig.tight_layout()
        name = "distillation-teacher-subsets.png"
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        written.append(("Token F1 of every teacher subset per task", name))

    fig, axes = plt.subplots(1, len(TASKS), figsize=(6 * len(TASKS), 4.5), squeeze=False)
    for ax, (task, sets) in zip(axes[0], TASKS.items()):
        labellers = [("best teachers", "best"), ("teachers within budget", "chosen")]
        labellers += [(v, f"student-{k}") for k, v in STUDENTS.items()]
        for label, stem in labellers:
            f1s, rates = [], []
            for test_set in sets:
                teacher = stem in ("best", "chosen")
                name = f"{test_set}.{task}.{stem}-teachers" if teacher else f"{test_set}.{stem}"
                report = _load(work / "scores" / f"{name}.json")
                scores = report and _type_scores(report, task)
                if scores:
                    f1s.append(scores["token"]["f1"])
                if teacher:
                    choice = present.get(task, {}).get(stem, {}).get("teachers", [])
                    rate = _combination_rate(work, test_set, task, choice)
                else:
                    rate = _rate([_load(work / "test" / f"{test_set}.{stem}.report.json")])
                if rate:
                    rates.append(rate)
            if f1s and rates:
                ax.scatter(sum(rates) / len(rates), sum(f1s) / len(f1s), s=60, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("notes per second (log)")
        ax.set_ylabel("token F1, mean over the test sets")
        ax.set_title(task)
        ax.set_ylim(0, 1)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    name = "distillation-f1-vs-speed.png"
    fig.savefig(folder / name, dpi=110)
    plt.close(fig)
    written.append(("F1 against notes per second", name))
    return written
