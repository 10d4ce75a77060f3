"""Past one machine's memory and one process: streamed fits, streamed transforms, two processes.

1. Writes a float32 Parquet file several times larger than a memory cap (rows near a curved
   8-D surface in 64 columns, row groups of 65,536 rows), a subset of its first rows, and
   separate test rows.
2. Runs each measurement in a child process whose address space may grow by at most the cap
   above what it holds after its imports (``RLIMIT_AS``), and reports its peak RSS:
   a streamed fit of the whole file; an in-memory fit of the whole file (expected to fail under
   the cap); an in-memory and a streamed fit of the subset (same rows, so rows/s and error
   compare like for like); ``aereduce transform`` of the whole file. Errors are mean squared
   reconstruction errors of the test rows in the scaled space.
3. Trains MNIST 8-D with ``aereduce.distributed_train`` on 1 and 2 processes (torchrun):
   wall time and test error.

    python -m benchmarks.streaming --data-home ../shared/data   # 3 GB under a 1 GiB cap, MNIST on 1 and 2 processes
    python -m benchmarks.streaming --data-home ../shared/data --quick   # 40 MB under a 256 MiB cap, 5,000 MNIST rows: about a minute
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from aereduce._files import atomic_output
from benchmarks import write_results

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLUMNS = 64
LATENT = 8
TEST_ROWS = 20_000


# -- data ------------------------------------------------------------------------------------------

def _rows(n: int, rng: np.random.Generator) -> np.ndarray:
    weights = np.random.default_rng(12345)
    w1, w2 = weights.normal(size=(LATENT, 32)) / np.sqrt(LATENT), weights.normal(size=(32, COLUMNS))
    units = np.logspace(-1, 1, COLUMNS)
    x = np.tanh(rng.normal(size=(n, LATENT)) @ w1) @ w2 + 0.1 * rng.normal(size=(n, COLUMNS))
    return (x * units).astype(np.float32)


def write_parquet(path: Path, n_rows: int, seed: int, row_group_rows: int) -> None:
    """``n_rows`` rows of float32, written row group by row group (never all in memory); files of the
    same seed and row groups begin with the same rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(COLUMNS)]
    with atomic_output(path) as tmp, pq.ParquetWriter(tmp, pa.schema([(n, pa.float32()) for n in names]),
                                                      compression="snappy") as writer:
        for start in range(0, n_rows, row_group_rows):
            block = _rows(min(row_group_rows, n_rows - start), rng)
            writer.write_table(pa.table({n: block[:, i] for i, n in enumerate(names)}), row_group_size=row_group_rows)


# -- one measurement in a capped child process -----------------------------------------------------

def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _test_error(model_path: str, test_path: str) -> float:
    from aereduce.tables import read_table
    from aereduce.usecases import load_model

    model = load_model(model_path)
    return float(np.mean(model.reconstruction_error(read_table(test_path).features())))


def child(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task with the address space capped at its size after imports plus ``cap_mb``."""
    import pyarrow.parquet  # noqa: F401  (imports first, so the cap counts the work only)
    import torch

    from aereduce import streaming  # noqa: F401
    from aereduce.usecases import ReadOptions, codes, fit_model, stream_file

    # Warm up before the cap: lazy imports (scikit-learn, SciPy) and thread pools (torch's, Arrow's)
    # reserve address space that is not the work's.
    from aereduce import AutoencoderTransformer
    from aereduce.tables import read_table

    read_table(task["test"])
    warm = np.random.default_rng(0).random((64, 4))
    AutoencoderTransformer(n_components=2, max_iter=1, neighbour_weight=0.0).fit(warm).fit_stream([warm])
    baseline = _rss_mb()
    if task["cap_mb"]:
        limit = _vm_size() + task["cap_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    result: dict[str, Any] = {"baseline_rss_mb": round(baseline, 1)}
    tic = time.perf_counter()
    try:
        if task["kind"] == "fit":
            report = fit_model(task["data"], task["out"], dim=LATENT, read=ReadOptions(), seed=task.get("seed", 0),
                               holdout=0.0,
                               params={"max_iter": task["epochs"]}, stream=task["stream"],
                               chunk_rows=task["chunk_rows"])
            result.update(fit_s=round(report.seconds, 2), rows=report.n_train, epochs=report.n_epochs)
        else:
            rows, _ = stream_file(task["model"], task["data"], task["out"], ReadOptions(), codes)
            result.update(rows=rows)
        result["ok"] = True
    except MemoryError:
        result.update(ok=False, failure="MemoryError")
    except Exception as exc:  # a failure under the cap is a result, not a crash of the benchmark
        result.update(ok=False, failure=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    result["seconds"] = round(time.perf_counter() - tic, 2)
    result["peak_rss_mb"] = round(_rss_mb(), 1)
    if result["ok"] and task["kind"] == "fit":
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        result["test_mse"] = _test_error(task["out"], task["test"])
    return result


def run_child(task: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ARROW_DEFAULT_MEMORY_POOL="system", MALLOC_ARENA_MAX="2")
    done = subprocess.run([sys.executable, "-m", "benchmarks.streaming", "--child", json.dumps(task)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        return {"ok": False, "failure": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- distributed training ---------------------------------------------------------------------------

def distributed_rows(work: Path, n_rows: int | None, epochs: int, data_home: str | None) -> list[dict[str, Any]]:
    """MNIST 8-D trained by ``aereduce.distributed_train`` on 1 and 2 processes; MNIST comes from
    ``data_home``'s mnist folder, or the download cache (fetched there if need be)."""
    from aereduce.datasets import LOADERS
    from aereduce.usecases import load_model

    (X, y), (X_test, _) = LOADERS["mnist"](None if data_home is None else str(Path(data_home) / "mnist"))
    import pandas as pd

    X, y = X[:n_rows], y[:n_rows]
    train = work / "mnist.parquet"
    frame = pd.DataFrame(X, columns=[f"p{i}" for i in range(X.shape[1])]).assign(label=y)
    frame.to_parquet(train)
    test = pd.DataFrame(X_test, columns=[f"p{i}" for i in range(X.shape[1])])
    rows = []
    for processes in (1, 2):
        out = work / f"mnist_{processes}.aer"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        tic = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                               f"--nproc_per_node={processes}", "-m", "aereduce.distributed_train", str(train),
                               "--dim", "8", "--label-column", "label", "--epochs", str(epochs), "-o", str(out)],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        wall = time.perf_counter() - tic
        row: dict[str, Any] = {"processes": processes, "rows": len(X), "epochs": epochs, "wall_s": round(wall, 1)}
        if done.returncode != 0:
            row["failure"] = done.stderr.strip().splitlines()[-1:]
        else:
            model = load_model(str(out))
            row["test_mse"] = float(np.mean(model.reconstruction_error(test)))
            row["fit_s"] = round(float(model.fit_time_), 1)
        rows.append(row)
        print(f"distributed: {row}", file=sys.stderr, flush=True)
    return rows


# -- the run --------------------------------------------------------------------------------------

def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def measure(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    bytes_per_row = 4 * COLUMNS
    n_rows = int(args.gigabytes * 1e9 / bytes_per_row)
    groups = args.row_group_rows
    n_subset = max(groups, round(n_rows * args.subset / groups) * groups)  # whole row groups: the file's first rows
    big, subset, test = work / "big.parquet", work / "subset.parquet", work / "test.parquet"
    tic = time.perf_counter()
    write_parquet(big, n_rows, 1, groups)
    write_parquet(subset, n_subset, 1, groups)
    write_parquet(test, TEST_ROWS, 2, groups)
    generated_s = time.perf_counter() - tic
    print(f"wrote {n_rows} rows ({big.stat().st_size / 1e9:.2f} GB) in {generated_s:.0f} s", file=sys.stderr, flush=True)
    base = {"cap_mb": args.cap_mb, "epochs": args.epochs, "chunk_rows": args.chunk_rows, "test": str(test)}
    runs = {
        "stream_full": dict(base, kind="fit", data=str(big), stream=True, out=str(work / "stream_full.aer")),
        "memory_full": dict(base, kind="fit", data=str(big), stream=False, out=str(work / "memory_full.aer")),
        "memory_subset": dict(base, kind="fit", data=str(subset), stream=False, out=str(work / "memory_subset.aer")),
        "stream_subset": dict(base, kind="fit", data=str(subset), stream=True, out=str(work / "stream_subset.aer")),
    }
    results: dict[str, Any] = {}
    for name, task in runs.items():
        results[name] = run_child(task)
        print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
    if results["stream_full"].get("ok"):
        task = dict(base, kind="transform", model=str(work / "stream_full.aer"), data=str(big),
                    out=str(work / "codes.parquet"))
        results["transform_full"] = run_child(task)
        print(f"transform_full: {results['transform_full']}", file=sys.stderr, flush=True)
    for result in results.values():
        if result.get("ok") and result.get("fit_s"):
            result["rows_per_s"] = round(result["rows"] * result["epochs"] / result["fit_s"])
    subset_seeds = subset_errors(base, work, subset, args.subset_seeds, results)
    distributed = [] if args.skip_distributed else distributed_rows(work, args.mnist_rows, args.mnist_epochs,
                                                                    args.data_home)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return {"machine": machine(), "command": args.command, "rows": n_rows, "columns": COLUMNS,
            "file_gb": round(n_rows * bytes_per_row / 1e9, 3), "subset_rows": n_subset, "cap_mb": args.cap_mb,
            "epochs": args.epochs, "chunk_rows": args.chunk_rows, "row_group_rows": groups,
            "generate_s": round(generated_s, 1),
            "runs": results, "subset_seeds": subset_seeds, "distributed": distributed}


def subset_errors(base: dict[str, Any], work: Path, subset: Path, seeds: list[int],
                  results: dict[str, Any]) -> list[dict[str, Any]]:
    """The subset's test error in memory and streamed for each seed (seed 0 from ``results``): one
    seed's gap is within the spread between seeds (3% on this data), so the comparison takes several."""
    rows = []
    for seed in seeds:
        pair = {}
        for kind, stream in (("memory", False), ("stream", True)):
            if seed == 0:
                pair[kind] = results[f"{kind}_subset"].get("test_mse")
                continue
            task = dict(base, kind="fit", data=str(subset), stream=stream, seed=seed,
                        out=str(work / f"{kind}_subset_{seed}.aer"))
            pair[kind] = run_child(task).get("test_mse")
        rows.append({"seed": seed, "memory_mse": pair["memory"], "stream_mse": pair["stream"]})
        print(f"subset seed {seed}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def subset_summary(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: the subset's errors by seed, and the streamed fit's mean error over the in-memory one's."""
    complete = [r for r in rows if r["memory_mse"] is not None and r["stream_mse"] is not None]
    if not complete:
        return []
    lines = ["", "The subset, fitted in memory and streamed with several seeds (test MSE):", "",
             "| seed | in memory | streamed | streamed / in memory |", "|---|---|---|---|"]
    for r in complete:
        lines.append(f"| {r['seed']} | {r['memory_mse']:.6f} | {r['stream_mse']:.6f} | "
                     f"{r['stream_mse'] / r['memory_mse']:.3f} |")
    memory = float(np.mean([r["memory_mse"] for r in complete]))
    stream = float(np.mean([r["stream_mse"] for r in complete]))
    lines.append(f"| mean | {memory:.6f} | {stream:.6f} | {stream / memory:.3f} |")
    return lines


def _mse_cell(row: dict[str, Any]) -> str:
    """A distributed run's test MSE to 4 decimals as the other tables give it (trial 20 saw 17 digits), or why it failed."""
    mse = row.get("test_mse")
    return f"{mse:.4f}" if isinstance(mse, float) else str(row.get("failure", "–"))


def markdown(result: dict[str, Any]) -> str:
    runs = result["runs"]

    def cell(name: str, key: str, fmt: str = "{}") -> str:
        value = runs.get(name, {}).get(key)
        return "–" if value is None else fmt.format(value)

    lines = ["# Past one machine's memory and one process", "",
             f"Machine: {result['machine']}. Command: `{result['command']}`.", "",
             f"Data: {result['rows']:,} rows x {result['columns']} float32 columns in Parquet "
             f"({result['file_gb']} GB of values, row groups of {result['row_group_rows']:,} rows), near a curved "
             f"{LATENT}-D surface; the subset is its first {result['subset_rows']:,} rows; errors are the mean squared "
             f"reconstruction error of {TEST_ROWS:,} separate test rows in the scaled space, at 8 dimensions. "
             f"Every run is a child process whose address space may grow by {result['cap_mb']} MiB past its size "
             f"after importing torch (RLIMIT_AS); peak RSS includes that baseline. {result['epochs']} epoch(s), "
             f"chunks of {result['chunk_rows']:,} rows.", "",
             "| run | rows | result | seconds | rows/s (training) | peak RSS MB (baseline) | test MSE |",
             "|---|---|---|---|---|---|---|"]
    labels = {"stream_full": "streamed fit, whole file", "memory_full": "in-memory fit, whole file",
              "memory_subset": "in-memory fit, subset", "stream_subset": "streamed fit, subset",
              "transform_full": "`aereduce transform`, whole file"}
    for name, label in labels.items():
        if name not in runs:
            continue
        run = runs[name]
        status = "ok" if run.get("ok") else f"failed ({run.get('failure')})"
        lines.append(f"| {label} | {cell(name, 'rows', '{:,}')} | {status} | {cell(name, 'seconds')} | "
                     f"{cell(name, 'rows_per_s', '{:,}')} | {cell(name, 'peak_rss_mb')} ({cell(name, 'baseline_rss_mb')}) "
                     f"| {cell(name, 'test_mse', '{:.4f}')} |")
    lines += subset_summary(result.get("subset_seeds", []))
    if result["distributed"]:
        lines += ["", "Distributed training (`torchrun --standalone --nproc_per_node=N -m aereduce.distributed_train "
                  "mnist.parquet --dim 8 --label-column label`), gloo on the CPU; test MSE on MNIST's 10,000 test "
                  "images (pixels in [0, 1], mean over the 784 pixels):", "",
                  "| processes | rows | epochs | wall s (whole job) | fit s | test MSE |", "|---|---|---|---|---|---|"]
        for row in result["distributed"]:
            lines.append(f"| {row['processes']} | {row['rows']:,} | {row['epochs']} | {row['wall_s']} | "
                         f"{row.get('fit_s', '–')} | {_mse_cell(row)} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="A 40 MB file under a 256 MiB cap, 5,000 MNIST rows.")
    parser.add_argument("--gigabytes", type=float, help="Size of the file's values (default 3, --quick 0.04).")
    parser.add_argument("--cap-mb", type=int, help="Memory cap past the imports, MiB (default 1024, --quick 256).")
    parser.add_argument("--subset", type=float, help="Share of the rows fitted in memory (default 0.02, which fits "
                        "under the cap in memory; --quick 0.125).")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--subset-seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="Seeds of the subset's in-memory and streamed fits (default 0 1 2).")
    parser.add_argument("--chunk-rows", type=int, default=65_536)
    parser.add_argument("--row-group-rows", type=int, help="Rows per Parquet row group (default 65,536, --quick 8,192).")
    parser.add_argument("--mnist-rows", type=int, help="MNIST training rows (default all, --quick 5,000).")
    parser.add_argument("--mnist-epochs", type=int, help="MNIST epochs (default 5, --quick 1).")
    parser.add_argument("--skip-distributed", action="store_true")
    parser.add_argument("--data-home", default=None,
                        help="Folder with an mnist sub-folder of the IDX files (default: the download cache).")
    parser.add_argument("--workdir", default="/tmp/aereduce-streaming-bench")
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    parser.add_argument("--out", help="JSON results (default results/streaming.json; --quick: results/quick/streaming.json).")
    parser.add_argument("--report", help="Markdown (default benchmarks/STREAMING.md; --quick: results/quick/streaming.md).")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    args.gigabytes = args.gigabytes or (0.04 if args.quick else 3.0)
    args.cap_mb = args.cap_mb if args.cap_mb is not None else (256 if args.quick else 1024)
    args.mnist_rows = args.mnist_rows or (5_000 if args.quick else None)
    args.mnist_epochs = args.mnist_epochs or (1 if args.quick else 5)
    args.row_group_rows = args.row_group_rows or (8_192 if args.quick else 65_536)
    args.subset = args.subset or (0.125 if args.quick else 0.02)
    # A quick run writes beside the other benchmarks' quick runs, in the ignored results/quick/.
    args.out = args.out or str(HERE / "results" / ("quick" if args.quick else "") / "streaming.json")
    args.report = args.report or str(HERE / "results" / "quick" / "streaming.md" if args.quick else HERE / "STREAMING.md")
    args.command = "python -m benchmarks.streaming" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    result = measure(args)
    write_results(result, args.out, args.report, markdown(result))
    return 0


if __name__ == "__main__":
    from benchmarks import run

    sys.exit(run(main))
