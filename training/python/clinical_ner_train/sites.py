"""The two-site transfer study: local, shared and transferred models, each scored at both sites.

Two corpora of different genres stand in for two hospitals: PubMed abstracts (BC5CDR: Chemical and Disease)
and clinical-trial eligibility criteria (Chia: Drug and Condition). Both annotate medications and diseases,
so the comparison is per entity type at both sites. The models, all from the same base encoder:

- local: trained on one site's training split only;
- shared: trained on both sites' training splits (twice the steps, so each site is seen as often);
- transferred: a local model adapted to the other site with the guards of `adapt` (frozen embeddings and
  lowest layers, a small learning rate, early stopping on the first 100 documents of the new site's dev
  split);
- transferred without guards: the same, tuned as hard as a fresh model (every layer, the fresh model's
  learning rate, no early stopping), to show what over-tuning does to the first site.

Every model is scored on both sites' test splits through the engine (fp32 ONNX): strict entity F1 and word F1
per type.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from . import datasets, engine_scores
from .adapt import AdaptationSettings, adapt
from .evaluate import subset
from .features import load_tokenizer, windows
from .train import Hyperparameters, fine_tune, set_seed, train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Site:
    name: str
    corpus: str  # known corpus family: <corpus>-train, -dev, -test

    def split(self, data_dir: Path, split: str) -> datasets.Corpus:
        return datasets.load(data_dir, names=[f"{self.corpus}-{split}"]).named[0]


SITES = (Site("abstracts", "bc5cdr"), Site("trial criteria", "chia"))


# Early stopping scores the dev split every few steps; its first documents keep that affordable on a CPU.
STOPPING_DOCUMENTS = 100


def stopping_set(site: Site, data_dir: Path) -> datasets.Corpus:
    dev = site.split(data_dir, "dev")
    return subset(dev, dev.documents[:STOPPING_DOCUMENTS])


def run(data_dir: Path, base: Path, steps: int, seed: int, results_path: Path) -> dict:
    """Trains and scores every model of the study; writes the results after each model."""
    tokenizer = load_tokenizer(base / "tokenizer.json")
    pad_id = tokenizer.token_to_id("[PAD]")
    first, second = SITES
    train_sets = {s.name: s.split(data_dir, "train") for s in SITES}
    train_windows = {name: [w for d in corpus.documents for w in windows(d, tokenizer)]
                     for name, corpus in train_sets.items()}
    tests = {s.name: s.split(data_dir, "test") for s in SITES}
    results: dict = {"base": str(base), "steps": steps, "seed": seed, "models": {}}

    def record(name: str, model, started: float, **extra) -> None:
        by_name = engine_scores.score_trained(model, tokenizer, list(tests.values()))
        scores = {site: by_name[corpus.name] for site, corpus in tests.items()}
        results["models"][name] = {"scores": scores, "train_seconds": round(time.time() - started), **extra}
        log.info("%s: %s", name, json.dumps(scores))
        results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    local = {}
    for site in SITES:
        started = time.time()
        local[site.name] = train(train_windows[site.name], base, Hyperparameters(seed=seed, max_steps=steps), pad_id)
        record(f"local: {site.name}", local[site.name], started, trained_on=[site.name])

    started = time.time()
    shared = train(train_windows[first.name] + train_windows[second.name], base,
                   Hyperparameters(seed=seed, max_steps=2 * steps), pad_id)
    record("shared", shared, started, trained_on=[first.name, second.name])

    guarded = AdaptationSettings(max_steps=steps, seed=seed)
    for source, target in ((first, second), (second, first)):
        started = time.time()
        result = adapt(copy.deepcopy(local[source.name]), [train_sets[target.name]], stopping_set(target, data_dir),
                       tokenizer, guarded)
        record(f"transferred: {source.name} -> {target.name}", result.model, started,
               best_step=result.best_step, history=result.history)

    started = time.time()
    set_seed(seed)
    hard = fine_tune(copy.deepcopy(local[first.name]), train_windows[second.name],
                     Hyperparameters(seed=seed, max_steps=steps), pad_id)
    record(f"transferred without guards: {first.name} -> {second.name}", hard, started)
    return results


def table(results: dict) -> str:
    """Markdown: one row per model, strict / word F1 per site and type."""
    models = results["models"]
    columns = [(site, entity_type) for site, per_type in next(iter(models.values()))["scores"].items()
               for entity_type in per_type]
    header = "| model | " + " | ".join(f"{site}: {t}" for site, t in columns) + " |"
    rows = [header, "|---|" + "---|" * len(columns)]
    for name, row in models.items():
        cells = [f"{row['scores'][s][t]['f1']:.3f} / {row['scores'][s][t]['token_f1']:.3f}" for s, t in columns]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def plot(results: dict, path: Path) -> None:
    """Grouped bars: word F1 of each model at each site and type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = results["models"]
    columns = [(site, t) for site, per_type in next(iter(models.values()))["scores"].items() for t in per_type]
    figure, axis = plt.subplots(figsize=(13, 4.5))
    width = 0.8 / len(models)
    for index, (name, row) in enumerate(models.items()):
        values = [row["scores"][s][t]["token_f1"] for s, t in columns]
        axis.bar([c + index * width for c in range(len(columns))], values, width, label=name)
    axis.set_xticks([c + 0.4 - width / 2 for c in range(len(columns))], [f"{s}\n{t}" for s, t in columns])
    axis.set_ylabel("word F1 on the site's test split")
    axis.set_ylim(0, 1)
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    axis.set_title("Site transfer: abstracts (BC5CDR) and trial criteria (Chia)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
