"""kNN benchmark: raw pixels, PCA, UMAP and aereduce on MNIST and Fashion-MNIST.

    python -m benchmarks.knn --data-home ../shared/data --datasets mnist fashion-mnist --dims 2 8 16 30
    python -m benchmarks.knn --quick          # MNIST 10k/2k subsample at 8-D, about two minutes

Every method sees the same split (the standard 60k/10k unless --quick); kNN uses
k=7 fit on the train codes and scored on the test codes. Results go to
benchmarks/results/*.json and RESULTS.md (with --report).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from aereduce._files import atomic_output

HERE = Path(__file__).resolve().parent
FAMILY = {
    "denoising": {"noise": "mask", "noise_level": 0.2},
    "sparse": {"sparsity": "l1"},
    "variational": {"variational": True},
    "conv": {"input_shape": (1, 28, 28)},
    # Not a family member: the default model with three wider hidden layers (Hinton and
    # Salakhutdinov's 1000-500-250), the capacity that MNIST's 8-D kNN accuracy needed here.
    "1000-500-250": {"hidden_layer_sizes": (1000, 500, 250)},
    # Not a family member either: the default model trained on the first 64 principal components,
    # the cheaper step for CPUs without native bfloat16.
    "pca64": {"pca_components": 64},
}


def machine() -> dict[str, Any]:
    import sklearn
    import torch

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version(), "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}
    try:
        import umap

        info["umap-learn"] = umap.__version__
    except ImportError:
        pass
    return info


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (it only grows across rows)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm_up_umap() -> None:
    """Compile UMAP's numba code first, so its timings show steady-state speed, not the JIT.

    The warm-up data must take the same code paths as the benchmark's: float32 rows, and more
    than 4,096 of them, where UMAP switches from exact neighbours to pynndescent (whose search
    ``transform`` also uses). A first run in a fresh environment still pays the compile here.
    """
    from aereduce.methods import make_reducer

    X = np.random.default_rng(0).random((5000, 20), dtype=np.float32)
    make_reducer("umap", 2, 0).set_params(n_epochs=10).fit(X).transform(X[:100])


def warm_up_autoencoder() -> None:
    """Import torch and what its optimiser loads on first use (torch._dynamo, about 1.5 s) before
    the first timed fit, as UMAP's warm-up compiles numba's code: otherwise only the first
    autoencoder row (MNIST's 2-D map, seed 0) paid about 3 s of one-time imports. 1,200 rows at
    2-D take the map's path (neighbour graph, both phases)."""
    from aereduce.methods import make_reducer

    X = np.random.default_rng(0).random((1200, 20), dtype=np.float32)
    make_reducer("ae", 2, 0, max_iter=1).fit(X).transform(X[:100])


def knn(Z_train, y_train, Z_test, y_test) -> tuple[float, float]:
    from sklearn.neighbors import KNeighborsClassifier

    tic = time.perf_counter()
    acc = KNeighborsClassifier(n_neighbors=7, n_jobs=-1).fit(Z_train, y_train).score(Z_test, y_test)
    return float(acc), time.perf_counter() - tic


def example_rows(y_test: np.ndarray) -> np.ndarray:
    """The first test image of each class: the images of the reconstruction figures."""
    return np.array([int(np.flatnonzero(y_test == c)[0]) for c in np.unique(y_test)])


def run_method(method: str, dim: int, seed: int, data, variant: str | None = None
               ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Fit one method and score it; returns the result row and arrays for the figures.

    The arrays are the 2-D test codes (for 2-D rows) and the reconstructions of
    :func:`example_rows` (for methods with an inverse).
    """
    from aereduce.methods import fit_embed, get_method, make_reducer

    (X_train, y_train), (X_test, y_test) = data
    # "all-cores" is UMAP as its users run it by default: no random_state, so every core.
    model = make_reducer(method, dim, None if variant == "all-cores" else seed, **FAMILY.get(variant or "", {}))
    tic = time.perf_counter()
    Z_train = fit_embed(method, model, X_train)
    fit_s = time.perf_counter() - tic
    tic = time.perf_counter()
    Z_test = model.transform(X_test)
    transform_s = time.perf_counter() - tic
    acc, knn_s = knn(Z_train, y_train, Z_test, y_test)
    row = {"method": method if variant is None else f"{method}-{variant}", "dim": dim, "seed": seed, "knn_acc": acc,
           "knn_s": round(knn_s, 3), "fit_s": round(fit_s, 3), "transform_s": round(transform_s, 4)}
    arrays: dict[str, np.ndarray] = {}
    if dim == 2:
        arrays["map"] = np.asarray(Z_test, dtype=np.float32)
    if get_method(method).has_inverse:
        X_hat = model.inverse_transform(Z_test)
        arrays["reconstruction"] = np.asarray(X_hat[example_rows(y_test)], dtype=np.float32)
        err = (X_hat - X_test) ** 2
        row["sq_err_per_image"] = float(err.sum(axis=1).mean())
        row["mse_per_pixel"] = float(err.mean())
    if get_method(method).trains_in_epochs:
        row["epochs"] = model.n_iter_
        row["precision"] = model.precision_
    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return row, arrays


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz atomically (figures are redrawn from it by benchmarks.report)."""
    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


Job = tuple[str, int, int, str | None]  # (method, dim, seed, family variant; None for the default model)
Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # ((X_train, y_train), (X_test, y_test))


def build_parser() -> argparse.ArgumentParser:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=None, choices=["mnist", "fashion-mnist"],
                        help="Default: both (only mnist with --quick).")
    parser.add_argument("--dims", nargs="+", type=int, default=None, help="Default: 2 8 16 30 (8 with --quick).")
    parser.add_argument("--methods", nargs="+", default=["raw", "pca", "umap", "ae"], choices=["raw", "pca", "umap", "ae"])
    parser.add_argument("--family", nargs="*", default=[], choices=sorted(FAMILY), help="Family members to add (at --family-dims).")
    parser.add_argument("--family-dims", nargs="+", type=int, default=[8])
    parser.add_argument("--family-datasets", nargs="+", default=["mnist"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="Seeds for the headline aereduce rows (mean ± std in the report).")
    parser.add_argument("--headline-dims", nargs="+", type=int, default=[8, 16], help="Dims whose aereduce rows run every seed.")
    parser.add_argument("--recon-dims", nargs="*", type=int, default=[8, 16, 64],
                        help="Dims of the reconstruction figure; PCA and aereduce (not UMAP) run at those not in --dims.")
    parser.add_argument("--data-home", default=None, help="Folder with one sub-folder per dataset (default: the download cache).")
    parser.add_argument("--quick", action="store_true", help="10k train / 2k test subsample of MNIST at 8-D: a smoke test.")
    parser.add_argument("--out", default=None,
                        help="Results JSON (default: results/knn.json, or results/quick/knn.json with --quick).")
    parser.add_argument("--report", action="store_true", help="Also write benchmarks/RESULTS.md and plots from --out (with --quick: results/quick/knn.md, leaving the committed files alone).")
    return parser


def fill_defaults(args: argparse.Namespace) -> None:
    """Sets, in place, the options whose defaults depend on --quick; returns nothing."""
    if args.out is None:
        args.out = str(HERE / "results" / ("quick" if args.quick else "") / "knn.json")
    if args.datasets is None:
        args.datasets = ["mnist"] if args.quick else ["mnist", "fashion-mnist"]
    if args.dims is None:
        args.dims = [8] if args.quick else [2, 8, 16, 30]
    if args.quick:
        args.recon_dims = [d for d in args.recon_dims if d in args.dims]


def data_home(args: argparse.Namespace) -> Path | None:
    """--data-home as the loader reads it (the folder that holds NAME/, or NAME's files), or None for its cache."""
    return None if args.data_home is None else Path(args.data_home)


def fetch_datasets(args: argparse.Namespace) -> None:
    """Every dataset's files present (downloaded if missing), before the warm-ups: a wrong --data-home
    failed only after UMAP's two minutes of compiling (trial 24)."""
    from aereduce.datasets import fetch

    for name in args.datasets:
        fetch(name, data_home(args))


def load_split(args: argparse.Namespace, name: str) -> Split:
    """The train and test split of dataset ``name``, subsampled with --quick."""
    from aereduce.datasets import LOADERS

    (X_train, y_train), (X_test, y_test) = LOADERS[name](data_home(args))
    if args.quick:
        X_train, y_train, X_test, y_test = X_train[:10000], y_train[:10000], X_test[:2000], y_test[:2000]
    return (X_train, y_train), (X_test, y_test)


def plan_jobs(args: argparse.Namespace, name: str, n_features: int) -> list[Job]:
    """The jobs to run on dataset ``name``, in order: raw pixels, then every method by dim, then the family."""
    from aereduce.methods import get_method

    jobs: list[Job] = []
    if "raw" in args.methods:
        jobs.append(("raw", n_features, 0, None))
    for dim in sorted(set(args.dims) | set(args.recon_dims)):
        for method in ("pca", "umap", "ae"):
            # the reconstruction dims add only methods that have an inverse
            if method in args.methods and (dim in args.dims or get_method(method).has_inverse):
                for seed in (args.seeds if method == "ae" and dim in args.headline_dims else args.seeds[:1]):
                    jobs.append((method, dim, seed, None))
                if method == "umap" and dim in args.dims:
                    jobs.append((method, dim, args.seeds[0], "all-cores"))
    for dim in args.family_dims if name in args.family_datasets else []:
        for variant in args.family:
            jobs.append(("ae", dim, args.seeds[0], variant))
    return jobs


def run_job(args: argparse.Namespace, name: str, job: Job, data: Split,
            figure_arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The result row of one job; the first seed's figure arrays go into ``figure_arrays`` and its .npz."""
    method, dim, seed, variant = job
    (X_train, y_train), (X_test, y_test) = data
    if method == "raw":
        acc, knn_s = knn(X_train, y_train, X_test, y_test)
        row = {"method": "raw", "dim": dim, "seed": 0, "knn_acc": acc, "knn_s": round(knn_s, 3),
               "peak_rss_mb": round(peak_rss_mb(), 1)}
    else:
        row, arrays = run_method(method, dim, seed, data, variant)
        if seed == args.seeds[0]:
            for kind, array in arrays.items():
                figure_arrays[f"{kind}/{row['method']}/{dim}"] = array
            save_arrays(Path(args.out).with_suffix(f".{name}.npz"), figure_arrays)
    row["dataset"] = name
    row["n_train"], row["n_test"] = len(X_train), len(X_test)
    return row


def run_dataset(args: argparse.Namespace, name: str, result: dict[str, Any]) -> None:
    """Runs every job on dataset ``name``, adding each row to ``result`` and to --out as it ends; returns nothing."""
    data = load_split(args, name)
    (X_train, _), (X_test, y_test) = data
    figure_arrays: dict[str, np.ndarray] = {"labels": y_test, "originals": X_test[example_rows(y_test)]}
    for job in plan_jobs(args, name, X_train.shape[1]):
        method, dim, seed, variant = job
        print(f"[{name}] {method}{'-' + variant if variant else ''} dim={dim} seed={seed} ...", file=sys.stderr, flush=True)
        row = run_job(args, name, job, data, figure_arrays)
        result["rows"].append(row)
        print("   " + json.dumps(row), file=sys.stderr, flush=True)
        with atomic_output(args.out) as tmp:  # a partial run still leaves valid JSON
            Path(tmp).write_text(json.dumps(result, indent=1))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its results (and the report with --report); returns the exit status."""
    args = build_parser().parse_args(argv)
    fill_defaults(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fetch_datasets(args)
    if "umap" in args.methods:
        warm_up_umap()
    if "ae" in args.methods:
        warm_up_autoencoder()
    command = "python -m benchmarks.knn " + shlex.join(sys.argv[1:] if argv is None else argv)
    result: dict[str, Any] = {"machine": machine(), "command": command.strip(), "args": vars(args), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": []}
    for name in args.datasets:
        run_dataset(args, name, result)
    if args.report:
        from .report import report_path, write_report

        write_report(Path(args.out), report_path(Path(args.out)))
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
