"""A model folder's manifest metrics recomputed through the engine."""

from __future__ import annotations

import json
from pathlib import Path



def rescore(args) -> int:
    """A model folder's manifest metrics recomputed through the engine on the sets it names, with a table of
    what moved (for folders whose metrics came from an older scorer)."""
    from .. import datasets, engine_scores, manifest

    folder = Path(args.model)
    old = manifest.check(folder)
    evaluation = old["training"]["evaluation"]
    names = [*evaluation.get("dev_sets", []), *evaluation.get("test_sets", [])]
    known = datasets.load(Path(args.data_dir), names=names)
    new = engine_scores.score(folder, [known.by_name(name) for name in names])
    rows = ["| set | type | token F1 before | through the engine | strict F1 before | through the engine |",
            "|---|---|---:|---:|---:|---:|"]
    for set_name, per_type in new.items():
        for entity_type, values in per_type.items():
            before = old["metrics"].get(set_name, {}).get(entity_type, {})
            rows.append(f"| {set_name} | {entity_type} | {before.get('token_f1', float('nan')):.3f} | "
                        f"{values['token_f1']:.3f} | {before.get('f1', float('nan')):.3f} | {values['f1']:.3f} |")
    updated = dict(old, metrics=new)
    updated["training"] = {**old["training"], "evaluation": {
        **evaluation, "scored_by": "the engine (engine/examples/extract.rs) and clinical-ner-train evaluate, on the "
                                  "folder's model.onnx"}}
    updated["training"]["evaluation"].pop("precision", None)
    (folder / "manifest.json").write_text(json.dumps(updated, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest.check(folder)
    print("\n".join(rows))
    return 0
