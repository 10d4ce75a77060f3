"""Denoising benchmark: how close to the clean MNIST test image each method gets from a corrupted one.

    python -m benchmarks.denoise --data-home ../shared/data      # 60k train / 10k test, about 5 minutes on 2 cores
    python -m benchmarks.denoise --quick                         # 10k train / 2k test, 10 epochs: a smoke test

Two corruptions of the test images: Gaussian noise (sigma 0.3, clipped to [0, 1]) and masking
(a random 25% of the pixels set to 0). For each, the squared error per image (sum over the 784
pixels, mean over test images) between the clean image and (a) the corrupted image itself,
(b) PCA's reconstruction of it, (c) the default aereduce autoencoder's, fitted on clean images,
and (d) a denoising autoencoder's, fitted with the matching corruption (``noise="gaussian",
noise_level=0.3`` or ``noise="mask", noise_level=0.25``). PCA is also run at a few other
dimensions to show where its best lies. Results go to benchmarks/results/denoise.json and
benchmarks/DENOISE.md (with a figure of examples, benchmarks/denoise_mnist.png).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from aereduce._files import atomic_output

from .knn import HERE, example_rows, machine, peak_rss_mb

# Code size of (b)-(d). A code denoises by holding what digits share and dropping the rest, so it
# must be large enough that the clean images' own reconstruction error (at 30 dims in RESULTS.md:
# 3.6 per image for the autoencoder, 14 for PCA) is well below what the corruption adds (about 36
# per image for the noise, 20 for the masking), and small enough not to carry the corruption
# along; the PCA-by-dimension table of each run shows where PCA's best lies.
DIM = 32
GAUSSIAN_SIGMA = 0.3
MASK_FRACTION = 0.25
PCA_DIMS = (8, 16, 32, 64, 128)
CORRUPTIONS = {"gaussian": {"noise": "gaussian", "noise_level": GAUSSIAN_SIGMA},
               "mask": {"noise": "mask", "noise_level": MASK_FRACTION}}


def corrupt(X: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """The test images corrupted: Gaussian noise clipped to [0, 1], or a random share of pixels set to 0."""
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        return np.clip(X + GAUSSIAN_SIGMA * rng.standard_normal(X.shape), 0.0, 1.0).astype(X.dtype)
    return np.where(rng.random(X.shape) < MASK_FRACTION, 0.0, X).astype(X.dtype)


def squared_error(X_hat: np.ndarray, X_clean: np.ndarray) -> float:
    """Squared error per image: summed over pixels, averaged over images."""
    return float(((np.asarray(X_hat, dtype=np.float64) - X_clean) ** 2).sum(axis=1).mean())


def fit_autoencoder(X_train: np.ndarray, dim: int, seed: int, **params: Any) -> tuple[Any, float]:
    """The default aereduce model (with ``params``) fitted on the clean training images, and its fit seconds."""
    from aereduce.methods import make_reducer

    model = make_reducer("ae", dim, seed, **params)
    tic = time.perf_counter()
    model.fit(X_train)
    return model, time.perf_counter() - tic


def pca_rows(X_train: np.ndarray, tests: dict[str, np.ndarray], X_clean: np.ndarray,
             dims: tuple[int, ...]) -> list[dict[str, Any]]:
    """PCA's error at each of ``dims``, from one fit at the largest (its axes are nested)."""
    from sklearn.decomposition import PCA

    tic = time.perf_counter()
    pca = PCA(n_components=max(dims), random_state=0).fit(X_train)
    fit_s = time.perf_counter() - tic
    rows = []
    for kind, X_noisy in tests.items():
        centred = X_noisy - pca.mean_
        for dim in dims:
            axes = pca.components_[:dim]
            X_hat = centred @ axes.T @ axes + pca.mean_
            rows.append({"method": "pca", "corruption": kind, "dim": dim, "sq_err_per_image": squared_error(X_hat, X_clean),
                         "fit_s": round(fit_s, 3)})
    return rows


def run(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every row of the benchmark, with the machine and the command; and the images of the figure."""
    from aereduce.datasets import LOADERS

    home = None if args.data_home is None else Path(args.data_home) / "mnist"
    (X_train, _), (X_test, y_test) = LOADERS["mnist"](home)
    if args.quick:
        X_train, X_test, y_test = X_train[:10_000], X_test[:2_000], y_test[:2_000]
    tests = {kind: corrupt(X_test, kind, args.seed) for kind in CORRUPTIONS}
    rows = [{"method": "noisy input", "corruption": kind, "dim": X_test.shape[1],
             "sq_err_per_image": squared_error(X_noisy, X_test)} for kind, X_noisy in tests.items()]
    rows += pca_rows(X_train, tests, X_test, tuple(sorted(set(PCA_DIMS) | {args.dim})))
    examples = example_rows(y_test)
    figure = {"clean": X_test[examples], **{f"{kind}/noisy": X[examples] for kind, X in tests.items()}}
    epochs = {} if args.epochs is None else {"max_iter": args.epochs}
    models = {"ae": fit_autoencoder(X_train, args.dim, args.seed, **epochs)}
    for kind, params in CORRUPTIONS.items():
        models[f"ae-denoising-{kind}"] = fit_autoencoder(X_train, args.dim, args.seed, **params, **epochs)
    for name, (model, fit_s) in models.items():
        print(f"{name}: fitted in {fit_s:.1f} s", file=sys.stderr, flush=True)
        for kind, X_noisy in tests.items():
            if name.startswith("ae-denoising-") and not name.endswith(kind):
                continue
            X_hat = model.inverse_transform(model.transform(X_noisy))
            rows.append({"method": name, "corruption": kind, "dim": args.dim, "sq_err_per_image": squared_error(X_hat, X_test),
                         "fit_s": round(fit_s, 3), "epochs": model.n_iter_, "precision": model.precision_})
            figure[f"{kind}/{name}"] = X_hat[examples]
    result = {"machine": machine(), "command": args.command, "started": args.started, "n_train": len(X_train),
              "n_test": len(X_test), "dim": args.dim, "gaussian_sigma": GAUSSIAN_SIGMA, "mask_fraction": MASK_FRACTION,
              "peak_rss_mb": round(peak_rss_mb(), 1), "rows": rows}
    return result, figure


def headline(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The four rows (a)-(d) of one corruption, in order."""
    dim = result["dim"]
    order = ["noisy input", "pca", "ae", f"ae-denoising-{kind}"]
    rows = [r for r in result["rows"] if r["corruption"] == kind and (r["method"] != "pca" or r["dim"] == dim)]
    return sorted(rows, key=lambda r: order.index(r["method"]))


def markdown(result: dict[str, Any]) -> str:
    """DENOISE.md: the tables of one run."""
    m = result["machine"]
    labels = {"noisy input": "(a) the corrupted image itself", "pca": f"(b) PCA-{result['dim']}",
              "ae": f"(c) aereduce default, {result['dim']} dims", "ae-denoising-gaussian": "(d) denoising aereduce "
              f"(`noise=\"gaussian\", noise_level={GAUSSIAN_SIGMA}`)",
              "ae-denoising-mask": f"(d) denoising aereduce (`noise=\"mask\", noise_level={MASK_FRACTION}`)"}
    lines = ["# Denoising MNIST", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']}{', GPU ' + m['gpu'] if m.get('gpu') else ''}. "
             f"Command: `{result['command']}` (started {result['started']}).", "",
             f"{result['n_train']:,} clean training images; {result['n_test']:,} test images corrupted by Gaussian noise "
             f"(sigma {GAUSSIAN_SIGMA}, clipped to [0, 1]) or by masking (a random {MASK_FRACTION:.0%} of the pixels set "
             "to 0). Squared error per image: the sum over the 784 pixels (in [0, 1]) of the squared difference from "
             "the clean image, averaged over the test images; lower is better.", ""]
    for kind, title in (("gaussian", f"Gaussian noise, sigma {GAUSSIAN_SIGMA}"), ("mask", f"{MASK_FRACTION:.0%} masking")):
        lines += [f"## {title}", "", "| method | sq. error / image | vs. the corrupted image | fit s |", "|---|---|---|---|"]
        rows = headline(result, kind)
        base = rows[0]["sq_err_per_image"]
        for r in rows:
            fit = f"{r['fit_s']:.1f}" if r.get("fit_s") is not None else "–"
            lines.append(f"| {labels[r['method']]} | {r['sq_err_per_image']:.2f} | {r['sq_err_per_image'] / base:.2f}× | {fit} |")
        lines.append("")
    pca = [r for r in result["rows"] if r["method"] == "pca"]
    dims = sorted({r["dim"] for r in pca})
    lines += ["## PCA by dimension", "", "Where PCA denoises best (the dimension of the tables above is "
              f"{result['dim']}):", "", "| corruption | " + " | ".join(f"PCA-{d}" for d in dims) + " |",
              "|---|" + "---|" * len(dims)]
    for kind in CORRUPTIONS:
        cells = [next(r for r in pca if r["corruption"] == kind and r["dim"] == d)["sq_err_per_image"] for d in dims]
        lines.append(f"| {kind} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    lines += ["", "The Gaussian denoising model is trained on unclipped noise of the same sigma (aereduce's "
              "`noise=\"gaussian\"` adds noise in the scaled units, which for pixels in [0, 1] are the pixels' own); "
              "the test noise is clipped to [0, 1], as a real image's would be.", "",
              "![examples](denoise_mnist.png)", ""]
    return "\n".join(lines)


def write_figure(figure: dict[str, np.ndarray], path: Path) -> None:
    """Clean, corrupted and cleaned examples (the first test image of each digit) of both corruptions."""
    from aereduce.plotting import _pyplot, plot_image_rows, save_figure

    plt = _pyplot()
    rows = [("clean", figure["clean"])]
    for kind in CORRUPTIONS:
        rows += [(f"{kind}: {name}", figure[f"{kind}/{name}"])
                 for name in ("noisy", "ae", f"ae-denoising-{kind}") if f"{kind}/{name}" in figure]
    n = len(figure["clean"])
    fig, axes = plt.subplots(len(rows), n, figsize=(n, 1.1 * len(rows)), squeeze=False)
    plot_image_rows(axes, rows, (28, 28))
    save_figure(fig, path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its JSON, Markdown and figure; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dim", type=int, default=DIM, help="Code size of PCA and the autoencoders.")
    parser.add_argument("--seed", type=int, default=0, help="Seeds the corruption and the fits.")
    parser.add_argument("--data-home", default=None, help="Folder with an mnist sub-folder (default: the download cache).")
    parser.add_argument("--quick", action="store_true", help="10k train / 2k test images, 10 epochs: a smoke test.")
    parser.add_argument("--epochs", type=int, default=None, help="Epochs of each autoencoder (default: aereduce's).")
    parser.add_argument("--out", default=None, help="Results JSON (default: results/denoise.json, "
                                                    "or results/quick/denoise.json with --quick).")
    parser.add_argument("--report", default=None, help="Markdown report (default: DENOISE.md beside this script; "
                                                       "with --quick, beside --out).")
    args = parser.parse_args(argv)
    if args.quick and args.epochs is None:
        args.epochs = 10
    args.out = Path(args.out or HERE / "results" / ("quick" if args.quick else "") / "denoise.json")
    args.report = Path(args.report or (args.out.parent / "DENOISE.md" if args.quick else HERE / "DENOISE.md"))
    args.command = ("python -m benchmarks.denoise " + shlex.join(sys.argv[1:] if argv is None else argv)).strip()
    args.started = time.strftime("%Y-%m-%d %H:%M:%S")
    result, figure = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(args.out) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=1))
    text = markdown(result)
    with atomic_output(args.report) as tmp:
        Path(tmp).write_text(text)
    try:
        write_figure(figure, args.report.with_name("denoise_mnist.png"))
    except ImportError:  # the tables still get written
        print("matplotlib is not installed: no figure", file=sys.stderr)
    print(text)
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
