"""One-class anomaly benchmark: aereduce's outlier detector against PCA, Isolation Forest, LOF and
a one-class SVM, on MNIST and Fashion-MNIST.

    python -m benchmarks.anomaly --data-home /work/shared/data      # both datasets, 10 classes each
    python -m benchmarks.anomaly --data-home /work/shared/data --quick   # MNIST, 2 classes, subsampled

The full run fits 5 methods on 20 classes (the detector: 5 autoencoders of 20 epochs on about
6,000 images each); on 2 idle CPU cores, roughly 25-45 minutes, nearly all of it the detector's.

For each class c, every method is fitted on the training images of class c only and scores
every test image; AUROC takes class c as the normal (positive) class and ``score_samples``
(higher: more normal) as the score: the protocol of Ruff et al.'s Deep SVDD (ICML 2018),
whose mean AUROC on MNIST, 94.8%, is the published anchor (their convolutional autoencoder
baseline: 89.7%). Pixels are used as they are, in [0, 1] (Deep SVDD also applied global
contrast normalisation). Results go to benchmarks/results/anomaly.json and ANOMALY.md
(--quick: results/quick/anomaly.json and .md).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from aereduce._files import atomic_output

from .knn import machine

HERE = Path(__file__).resolve().parent
FULL_RUN = HERE / "results" / "anomaly.json"
METHODS = ("aereduce", "pca", "iforest", "lof", "ocsvm")
ANCHORS = {"mnist": [("Deep SVDD (one-class), Ruff et al. 2018", 0.948),
                     ("its convolutional autoencoder baseline (DCAE)", 0.897)]}
OCSVM_PCA_DIMS = 50  # the one-class SVM works on PCA-50 of the pixels, which keeps its fit to seconds


def detector_dim(n_features: int = 784) -> int:
    """The outlier detector's default code dimension on images of ``n_features`` pixels; PCA's
    baseline uses the same."""
    from aereduce import AutoencoderOutlierDetector
    from aereduce.outliers import detector_components

    return detector_components(AutoencoderOutlierDetector().n_components, n_features)


def make_method(name: str, seed: int) -> Any:
    """An unfitted model of method ``name`` with ``fit`` and ``score_samples`` (higher: more normal)."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import OneClassSVM

    from aereduce import AutoencoderOutlierDetector
    from aereduce.pca import ScaledPCA

    if name == "aereduce":
        return AutoencoderOutlierDetector(random_state=seed)
    if name == "pca":
        return ScaledPCA(n_components=detector_dim(), random_state=seed)  # score_samples: minus its error
    if name == "iforest":
        return IsolationForest(random_state=seed)
    if name == "lof":
        return LocalOutlierFactor(novelty=True)
    if name == "ocsvm":
        return make_pipeline(PCA(n_components=OCSVM_PCA_DIMS, random_state=seed), OneClassSVM(gamma="scale"))
    raise ValueError(f"unknown method {name!r}")


def auroc(scores: np.ndarray, normal: np.ndarray) -> float:
    """Area under the ROC curve with the normal rows as positives and higher scores as more normal."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(normal, scores))


def run_class(name: str, c: int, method: str, data, seed: int) -> dict[str, Any]:
    """Fit ``method`` on the training rows of class ``c`` and score the whole test set."""
    (X_train, y_train), (X_test, y_test) = data
    model = make_method(method, seed)
    X_normal = X_train[y_train == c]
    tic = time.perf_counter()
    model.fit(X_normal)
    fit_s = time.perf_counter() - tic
    tic = time.perf_counter()
    scores = model.score_samples(X_test)
    score_s = time.perf_counter() - tic
    row = {"dataset": name, "class": int(c), "method": method, "auroc": auroc(scores, y_test == c),
           "fit_s": round(fit_s, 3), "score_s": round(score_s, 3), "n_train": int(len(X_normal)),
           "n_test": int(len(X_test))}
    if hasattr(model, "predict"):  # PCA's error has no threshold
        outlier = model.predict(X_test) == -1
        row |= {"flagged_normal": float(outlier[y_test == c].mean()), "flagged_other": float(outlier[y_test != c].mean())}
    return row


# -- the report: pure functions of the results JSON ----------------------------------------------

def _rows(result: dict[str, Any], dataset: str, method: str) -> list[dict[str, Any]]:
    return [r for r in result["rows"] if r["dataset"] == dataset and r["method"] == method]


def _names(result: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The datasets and methods of a run, in the order they ran."""
    datasets = list(dict.fromkeys(r["dataset"] for r in result["rows"]))
    methods = list(dict.fromkeys(r["method"] for r in result["rows"]))
    return datasets, methods


def mean_over_classes(result: dict[str, Any], dataset: str, method: str, key: str) -> float | None:
    """The mean of ``key`` over the classes of a method on a dataset (rows without it left out)."""
    values = [r[key] for r in _rows(result, dataset, method) if r.get(key) is not None]
    return statistics.mean(values) if values else None


def mean_auroc(result: dict[str, Any], dataset: str, method: str) -> float | None:
    return mean_over_classes(result, dataset, method, "auroc")


def _percent(value: float | None, best: bool = False) -> str:
    if value is None:
        return "-"
    text = f"{100 * value:.1f}%"
    return f"**{text}**" if best else text


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in body)]


def mean_table(result: dict[str, Any]) -> list[str]:
    """Mean AUROC over the classes: one row per method, one column per dataset; the best in bold."""
    datasets, methods = _names(result)
    means = {(d, m): mean_auroc(result, d, m) for d in datasets for m in methods}
    best = {d: max((means[d, m] for m in methods if means[d, m] is not None), default=None) for d in datasets}
    body = [[m, *(_percent(means[d, m], means[d, m] is not None and means[d, m] == best[d]) for d in datasets)]
            for m in methods]
    return _table(["mean AUROC", *datasets], body)


def flagged_table(result: dict[str, Any]) -> list[str]:
    """The share of test images each method's own threshold (``predict``) flags, mean over the
    classes: of the normal class, and of the other classes; methods without a threshold left out."""
    datasets, methods = _names(result)
    body = []
    for m in methods:
        cells = [(mean_over_classes(result, d, m, "flagged_normal"), mean_over_classes(result, d, m, "flagged_other"))
                 for d in datasets]
        if any(normal is not None for normal, _ in cells):
            body.append([m, *(f"{_percent(normal)} / {_percent(other)}" for normal, other in cells)])
    return _table(["flagged: normal / others", *datasets], body) if body else []


def class_table(result: dict[str, Any], dataset: str, key: str) -> list[str]:
    """One row per class, one column per method: a share (``key`` "auroc", "flagged_normal") or fit
    seconds (``"fit_s"``)."""
    _, methods = _names(result)
    classes = sorted({r["class"] for r in result["rows"] if r["dataset"] == dataset})
    body = []
    for c in classes:
        cells = []
        for m in methods:
            found = [r.get(key) for r in _rows(result, dataset, m) if r["class"] == c]
            cells.append("-" if not found or found[0] is None else f"{found[0]:.1f}" if key == "fit_s"
                         else _percent(found[0]))
        body.append([str(c), *cells])
    return _table(["class", *methods], body)


def format_report(result: dict[str, Any]) -> str:
    """ANOMALY.md from a run's JSON."""
    datasets, _ = _names(result)
    m = result["machine"]
    lines = ["# One-class anomaly detection", "",
             "Each method is fitted on the training images of one class and scores every test image; AUROC "
             "takes that class as normal. Mean over the classes below, then per class.", "",
             f"Machine: {m.get('cpu')}, {m.get('cores')} cores, GPU: {m.get('gpu') or 'none'}; torch "
             f"{m.get('torch')}, scikit-learn {m.get('scikit-learn')}. Started {result.get('started')}.", "",
             f"Reproduce: `{result['command']}`", "", *mean_table(result), ""]
    flagged = flagged_table(result)
    if flagged:
        lines += ["Share of the test images that each method's default threshold (`predict`) flags as outliers, "
                  "mean over the classes: of the normal class (lower is better) and of the others (higher is "
                  "better). `pca` has no threshold.", "", *flagged, ""]
    for dataset in datasets:
        for label, auroc_value in ANCHORS.get(dataset, []):
            lines.append(f"Published anchor on {dataset}: {label}, mean AUROC {100 * auroc_value:.1f}%.")
    lines += ["", "Methods: `aereduce` is `AutoencoderOutlierDetector()` with its defaults; `pca` is PCA's "
              "reconstruction error at the detector's code dimension; `iforest` is `IsolationForest()`; `lof` is "
              f"`LocalOutlierFactor(novelty=True)`; `ocsvm` is `OneClassSVM(gamma='scale')` on PCA-{OCSVM_PCA_DIMS}.", ""]
    for dataset in datasets:
        lines += [f"## {dataset}: AUROC per normal class", "", *class_table(result, dataset, "auroc"), ""]
        if any(r.get("flagged_normal") is not None for r in result["rows"] if r["dataset"] == dataset):
            lines += [f"## {dataset}: share of the normal class's test images flagged", "",
                      *class_table(result, dataset, "flagged_normal"), ""]
        lines += [
                  f"## {dataset}: fit seconds per class", "", *class_table(result, dataset, "fit_s"), ""]
    return "\n".join(lines)


def report_path(results: Path) -> Path:
    """ANOMALY.md for the default full run; any other run's report lies beside its JSON."""
    return HERE / "ANOMALY.md" if results.resolve() == FULL_RUN.resolve() else results.with_suffix(".md")


def write_text(path: Path, text: str) -> None:
    with atomic_output(path) as tmp:
        Path(tmp).write_text(text)


# -- running -------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=None, choices=["mnist", "fashion-mnist"],
                        help="Default: both (only mnist with --quick).")
    parser.add_argument("--classes", nargs="+", type=int, default=None, help="Default: 0-9 (2 and 5 with --quick).")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-home", default=None, help="Folder with one sub-folder per dataset (default: the cache).")
    parser.add_argument("--quick", action="store_true",
                        help="MNIST, classes 2 and 5, the first 10k training and 2k test images: a smoke test.")
    parser.add_argument("--out", default=None, help="Results JSON (default: results/anomaly.json, or "
                                                    "results/quick/anomaly.json with --quick).")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, writing the JSON after every fit and the report at the end; returns the exit status."""
    from .knn import load_split

    args = build_parser().parse_args(argv)
    args.out = args.out or str(HERE / "results" / ("quick" if args.quick else "") / "anomaly.json")
    args.datasets = args.datasets or (["mnist"] if args.quick else ["mnist", "fashion-mnist"])
    args.classes = args.classes if args.classes is not None else ([2, 5] if args.quick else list(range(10)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.anomaly " + shlex.join(sys.argv[1:] if argv is None else argv)
    result: dict[str, Any] = {"machine": machine(), "command": command.strip(), "args": vars(args),
                              "started": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": []}
    for name in args.datasets:
        data = load_split(args, name)
        for c in args.classes:
            for method in args.methods:
                row = run_class(name, c, method, data, args.seed)
                result["rows"].append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
                write_text(Path(args.out), json.dumps(result, indent=1))  # a partial run leaves valid JSON
    write_text(report_path(Path(args.out)), format_report(result))
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
