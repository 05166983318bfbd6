"""The two-site transfer study."""

from __future__ import annotations

from pathlib import Path

from . import common


def site_study(args) -> int:
    from .. import sites

    out = Path(args.markdown)
    results_path = out.with_suffix(".json")
    results = sites.run(Path(args.data_dir), common.base_model(args.base), args.steps, args.seed, results_path)
    plot_path = out.with_suffix(".png")
    sites.plot(results, plot_path)
    table = sites.table(results)
    out.write_text(table + f"\n![word F1 per model and site]({plot_path.name})\n", encoding="utf-8")
    print(table)
    return 0
