"""Sequences benchmark: the recurrent autoencoder against PCA and the default (MLP) autoencoder.

    python -m benchmarks.sequences            # about 5 minutes on 2 cores
    python -m benchmarks.sequences --quick    # a smoke test, well under a minute

Rows are sine waves of 50 steps, x_t = a sin(2 pi f t / 50 + phi) plus a little noise, with a
random frequency f (1 to 5 cycles over the window), phase phi and amplitude a (0.5 to 1.5). Four
numbers describe each wave, but they enter non-linearly: a continuum of frequencies spans many
linear directions, so PCA with a 4-number code cannot represent them. Each method gets a code of
the same size; the table gives the held-out reconstruction MSE in the data's units and the fit
time (what the recurrent model costs). Results: benchmarks/results/sequences.json and
benchmarks/SEQUENCES.md.
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

from .knn import HERE, machine

TIME_STEPS = 50
NOISE = 0.05


def sine_waves(n: int, seed: int, time_steps: int = TIME_STEPS) -> np.ndarray:
    """``n`` noisy sine waves of random frequency, phase and amplitude: rows of ``time_steps`` values."""
    rng = np.random.default_rng(seed)
    t = np.arange(time_steps) / time_steps
    frequency = rng.uniform(1.0, 5.0, (n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    return amplitude * np.sin(2 * np.pi * frequency * t + phase) + NOISE * rng.standard_normal((n, time_steps))


# The recurrent model's step costs about 30 times the MLP's on a CPU (a GRU steps through the 50
# time steps one after another), so it gets a fixed budget of 100 epochs of batches of 64 (about
# 3,000 steps on 2,000 rows) with 32 units, instead of the default's ~5,000 steps with early stopping.
RECURRENT = {"input_shape": (TIME_STEPS, 1), "recurrent_units": 32, "batch_size": 64, "max_iter": 100,
             "early_stopping": False}
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "pca": ("pca", {}),
    "ae (mlp)": ("ae", {}),
    "ae (recurrent)": ("ae", RECURRENT),
}


def score(method: str, params: dict[str, Any], X_train: np.ndarray, X_test: np.ndarray, dim: int, seed: int,
          max_iter: int | None) -> dict[str, Any]:
    """Fit one method; its held-out MSE in the data's units and its fit and transform seconds."""
    from aereduce.methods import get_method, make_reducer

    if max_iter is not None and get_method(method).trains_in_epochs:
        params = {**params, "max_iter": max_iter}
    model = make_reducer(method, dim, seed, **params)
    tic = time.perf_counter()
    model.fit(X_train)
    fit_s = time.perf_counter() - tic
    tic = time.perf_counter()
    X_hat = model.inverse_transform(model.transform(X_test))
    transform_s = time.perf_counter() - tic
    row = {"dim": dim, "mse": float(np.mean((X_hat - X_test) ** 2)), "fit_s": round(fit_s, 3),
           "transform_s": round(transform_s, 4)}
    if get_method(method).trains_in_epochs:
        row["epochs"] = model.n_iter_
    return row


def markdown(result: dict[str, Any]) -> str:
    """SEQUENCES.md: the table of one run."""
    m = result["machine"]
    lines = ["# Sequences: the recurrent autoencoder", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']}. Command: `{result['command']}` "
             f"(started {result['started']}).", "",
             f"{result['n_train']:,} training and {result['n_test']:,} held-out sine waves of {TIME_STEPS} steps, "
             "random frequency (1-5 cycles per window), phase and amplitude (0.5-1.5), plus Gaussian noise of "
             f"sd {NOISE} (an MSE of {NOISE ** 2:.4f} is the noise floor). MSE: held-out reconstruction error in the "
             "data's units, lower is better; the data's variance is about 0.54.", "",
             "| method | code size | MSE | vs. PCA | fit s | transform s | epochs |", "|---|---|---|---|---|---|---|"]
    for dim in result["dims"]:
        rows = [r for r in result["rows"] if r["dim"] == dim]
        pca = next(r["mse"] for r in rows if r["method"] == "pca")
        for r in rows:
            lines.append(f"| {r['method']} | {dim} | {r['mse']:.4f} | {r['mse'] / pca:.2f}× | {r['fit_s']:.1f} | "
                         f"{r['transform_s']:.3f} | {r.get('epochs', '–')} |")
    options = ", ".join(f"{k}={v!r}" for k, v in RECURRENT.items())
    lines += ["", f"The recurrent model: `AutoencoderTransformer(n_components=dim, {options})` (on the command line "
              "`--recurrent 50x1 --recurrent-units 32 --batch-size 64 --epochs 100`); the MLP autoencoder is "
              "aereduce's default. `--quick` and `--epochs` change both autoencoders' epochs (the epochs column "
              "says how many ran). Seed as in the command (default 0).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its JSON and Markdown; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", nargs="+", type=int, default=[4], help="Code sizes.")
    parser.add_argument("--train", type=int, default=2000, help="Training rows.")
    parser.add_argument("--test", type=int, default=500, help="Held-out rows.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="Epochs of each autoencoder (default: aereduce's).")
    parser.add_argument("--quick", action="store_true", help="1,000 training rows and 20 epochs: a smoke test.")
    parser.add_argument("--out", default=None, help="Results JSON (default: results/sequences.json, "
                                                    "or results/quick/sequences.json with --quick).")
    parser.add_argument("--report", default=None, help="Markdown report (default: SEQUENCES.md beside this script; "
                                                       "with --quick, beside --out).")
    args = parser.parse_args(argv)
    out = Path(args.out or HERE / "results" / ("quick" if args.quick else "") / "sequences.json")
    report = Path(args.report or (out.parent / "SEQUENCES.md" if args.quick else HERE / "SEQUENCES.md"))
    n_train = 1000 if args.quick else args.train
    max_iter = 20 if args.quick and args.epochs is None else args.epochs
    X_train, X_test = sine_waves(n_train, args.seed), sine_waves(args.test, args.seed + 1)
    command = ("python -m benchmarks.sequences " + shlex.join(sys.argv[1:] if argv is None else argv)).strip()
    result: dict[str, Any] = {"machine": machine(), "command": command, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                              "n_train": len(X_train), "n_test": len(X_test), "dims": args.dims, "rows": []}
    for dim in args.dims:
        for name, (method, params) in METHODS.items():
            print(f"{name} dim={dim} ...", file=sys.stderr, flush=True)
            row = {"method": name, **score(method, params, X_train, X_test, dim, args.seed, max_iter)}
            print("   " + json.dumps(row), file=sys.stderr, flush=True)
            result["rows"].append(row)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=1))
    text = markdown(result)
    with atomic_output(report) as tmp:
        Path(tmp).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
