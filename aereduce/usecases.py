"""What the command line does, as plain functions: fit with its report, streamed transforms,
top-k scoring, plots and comparisons.

Each command of :mod:`aereduce.cli` parses its options and calls one function here; the
benchmarks and Python users can call them too. Nothing here prints: functions return
reports, and take a ``progress`` callable where work is long.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._files import check_output
from .errors import InputError, TrainingError
from .methods import check_dimension, fit_embed, fit_reducer, get_method, make_reducer
from .tables import Table, TableWriter, iter_tables, output_frame, read_table, write_table

CHUNK_ROWS = 10_000

# A fit whose held-out error is this many times PCA's has failed (a diverging learning rate, say):
# saving it would hand the user a model worse than the baseline they could have had in a second.
FAILED_FIT_RATIO = 3.0

ProgressFn = Callable[[int, int], None]  # progress(done, total)


@dataclass
class ReadOptions:
    """Which columns of a table are features, id and label, and the missing-value policy."""

    columns: list[str] | None = None
    exclude: list[str] | None = None
    id_column: str | None = None
    label_column: str | None = None
    nan: str = "error"

    def as_kwargs(self) -> dict[str, Any]:
        return {"columns": self.columns, "exclude": self.exclude, "id_column": self.id_column,
                "label_column": self.label_column, "nan": self.nan}


@dataclass
class FitReport:
    """What ``fit`` did, for its summary."""

    method: str
    dim: int
    n_train: int
    n_columns: int
    seconds: float
    error: float
    where: str  # "held-out" or "training"
    output: str
    n_epochs: int | None = None
    pca_error: float | None = None
    kept_pca: bool | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary lines ``aereduce fit`` prints on stderr."""
        head = f"fitted {self.method} ({self.dim} dims) on {self.n_train} rows x {self.n_columns} columns"
        if self.n_epochs is not None:
            head += f", {self.n_epochs} epochs"
        lines = [*self.notes, head + f" in {self.seconds:.1f} s"]
        if self.pca_error is None:
            lines.append(f"{self.where} reconstruction MSE {self.error:.4g}")
        else:
            ratio = self.pca_error / self.error if self.error > 0 else float("inf")
            compared = (f"{ratio:.2f}x PCA's error lowered" if ratio >= 1 else "PCA is better here")
            lines.append(f"{self.where} reconstruction MSE {self.error:.4g} (PCA-{self.dim}: {self.pca_error:.4g}"
                         f"{', ' if ratio >= 1 else '; '}{compared})")
        if self.kept_pca:
            lines.append("training did not beat PCA's solution on the validation rows, so the model keeps it")
        lines.append(f"wrote {self.output}")
        return lines


def default_model_path(data: str) -> str:
    return str(Path(data if data != "-" else "model").with_suffix(".aer"))


def fit_model(data: str, output: str, *, method: str = "ae", dim: int, read: ReadOptions, seed: int = 0,
              holdout: float = 0.1, params: dict[str, Any] | None = None,
              progress: ProgressFn | None = None) -> FitReport:
    """Fit ``method`` on DATA, report its held-out error against PCA's, and save it to ``output``."""
    if not get_method(method).can_save:
        raise InputError(get_method(method).why_not_saved)
    check_output(output, inputs=[data])
    table = read_table(data, **read.as_kwargs())
    check_dimension(method, dim, *table.X.shape)
    from ._split import split_rows  # scikit-learn and torch load only once the input is known to be good
    from .pca import ScaledPCA
    X = table.features()
    train_rows, held_rows = split_rows(len(X), holdout if len(X) >= 10 else 0.0, 0)
    train, held = X.iloc[train_rows], X.iloc[held_rows]
    reducer = make_reducer(method, dim, seed, **(params or {}))
    tic = time.perf_counter()
    fit_reducer(method, reducer, train, progress)
    seconds = time.perf_counter() - tic
    evaluation = held if len(held) else train
    error = float(np.mean(reducer.reconstruction_error(evaluation)))
    report = FitReport(method, dim, len(train), X.shape[1], seconds, error, "held-out" if len(held) else "training",
                       output, n_epochs=getattr(reducer, "n_iter_", None),
                       kept_pca=getattr(reducer, "kept_initial_weights_", None))
    if not get_method(method).is_pca and dim <= min(train.shape):
        pca = ScaledPCA(n_components=dim, scaling=reducer.scaling_).fit(train)
        report.pca_error = float(np.mean(pca.reconstruction_error(evaluation)))
        check_not_failed(report)
    reducer.save(output)
    return report


def check_not_failed(report: FitReport) -> None:
    """Refuse to save a fit far worse than PCA's, with the fix, rather than save it as a success."""
    if not np.isfinite(report.error) or (report.pca_error is not None and report.pca_error > 0
                                         and report.error > FAILED_FIT_RATIO * report.pca_error):
        raise TrainingError(
            f"the fit failed: {report.where} reconstruction MSE {report.error:.4g} is over {FAILED_FIT_RATIO:g}x "
            f"PCA-{report.dim}'s {report.pca_error:.4g}; lower --lr, or use --method pca; nothing was written")


# -- applying a saved model ----------------------------------------------------------------------

def load_model(path: str) -> Any:
    from ._persistence import load_model as load

    return load(path)


def model_tables(model: Any, data: str, read: ReadOptions, chunksize: int | None) -> Iterator[Table]:
    """Chunks of DATA holding the model's input columns, matched by name."""
    names = [str(n) for n in getattr(model, "feature_names_in_", [])] or None
    for table in iter_tables(data, chunksize, **read.as_kwargs()):
        if names is not None and not read.columns:
            given = table.feature_names
            missing = [n for n in names if n not in given]
            extra = [n for n in given if n not in names]
            if missing:
                raise InputError(f"{data}: no column {missing[0]!r}, which the model was trained on; "
                                 f"the model expects {len(names)} columns")
            if extra:
                raise InputError(f"{data}: unexpected column {extra[0]!r}, which the model was not trained on; "
                                 f"leave it out with --exclude {extra[0]}")
            table.X = table.X[:, [given.index(n) for n in names]]
            table.feature_names = names
        elif table.X.shape[1] != model.n_features_in_:
            raise InputError(f"{data}: has {table.X.shape[1]} feature columns, the model expects {model.n_features_in_}")
        yield table


def codes_frame(model: Any, table: Table) -> Any:
    return output_frame(model.transform(table.features()), [str(n) for n in model.get_feature_names_out()], table)


def errors_frame(model: Any, table: Table) -> Any:
    return output_frame(model.reconstruction_error(table.features())[:, None], ["reconstruction_error"], table)


def stream_file(model_path: str, data: str, output: str, read: ReadOptions, compute: Callable[[Any, Table], Any],
                progress: Callable[[int], None] | None = None) -> int:
    """Apply ``compute(model, table) -> DataFrame`` to DATA chunk by chunk, written atomically; returns the rows."""
    check_output(output, inputs=[data, model_path])
    model = load_model(model_path)
    rows = 0
    with TableWriter(output) as writer:
        for table in model_tables(model, data, read, CHUNK_ROWS):
            writer.write(compute(model, table))
            rows += len(table.X)
            if progress is not None:
                progress(rows)
    return rows


def inverse_transform_file(model_path: str, latent: str, output: str, id_column: str | None) -> int:
    """Decode the codes in LATENT back to the data's columns; returns the rows written."""
    check_output(output, inputs=[latent, model_path])
    model = load_model(model_path)
    names = [str(n) for n in getattr(model, "feature_names_in_", [])] or [f"x{i}" for i in range(model.n_features_in_)]
    n_codes = len(model.get_feature_names_out())
    rows = 0
    with TableWriter(output) as writer:
        for table in iter_tables(latent, CHUNK_ROWS, columns=None, exclude=None, id_column=id_column,
                                 label_column=None, nan="error"):
            if table.X.shape[1] != n_codes:
                raise InputError(f"{latent}: has {table.X.shape[1]} code columns, the model's code has {n_codes}")
            writer.write(output_frame(model.inverse_transform(table.X), names, table))
            rows += len(table.X)
    return rows


def fit_transform_file(data: str, output: str, *, method: str, dim: int, read: ReadOptions, seed: int = 0,
                       params: dict[str, Any] | None = None, progress: ProgressFn | None = None) -> tuple[int, float]:
    """Fit on DATA and write its codes without saving a model (works for UMAP); returns (rows, seconds)."""
    check_output(output, inputs=[data])
    table = read_table(data, **read.as_kwargs())
    check_dimension(method, dim, *table.X.shape)
    reducer = make_reducer(method, dim, seed, **(params or {}))
    tic = time.perf_counter()
    Z = fit_embed(method, reducer, table.features(), progress)
    seconds = time.perf_counter() - tic
    frame = output_frame(Z, [f"{method}{i}" for i in range(dim)], table)
    if table.labels is not None:
        frame[table.label_name] = table.labels
    write_table(output, frame)
    return len(Z), seconds


def top_scores(model_path: str, data: str, read: ReadOptions, top: int) -> tuple[Any, int]:
    """The ``top`` rows with the largest reconstruction error, largest first, and the number of rows read."""
    import pandas as pd

    model = load_model(model_path)
    best: list[tuple[float, int, Any]] = []  # a heap of the K largest errors: memory O(K)
    row = 0
    for table in model_tables(model, data, read, CHUNK_ROWS):
        errors = model.reconstruction_error(table.features())
        for i, e in enumerate(errors):
            item = (float(e), -(row + i + 1), None if table.ids is None else table.ids[i])
            if len(best) < top:
                heapq.heappush(best, item)
            else:
                heapq.heappushpop(best, item)
        row += len(errors)
    best.sort(reverse=True)
    frame = pd.DataFrame({"row": [-r for _, r, _ in best], "reconstruction_error": [e for e, _, _ in best]})
    if read.id_column:
        frame.insert(0, read.id_column, [i for _, _, i in best])
    return frame, row


def plot_file(model_path: str, data: str, output: str, read: ReadOptions, image_shape: tuple[int, ...] | None,
              max_rows: int, n_worst: int = 10, seed: int = 0) -> list[str]:
    """Draw the 2-D map of DATA's codes (the ``n_worst`` worst-reconstructed rows ringed and named by
    file row), the loss curve, and reconstructions for image rows; returns notes for the user."""
    from ._persistence import describe_model
    from .plotting import model_report

    check_output(output, inputs=[data, model_path])
    model = load_model(model_path)
    table = next(model_tables(model, data, read, None))
    notes = []
    rows = np.arange(len(table.X))
    if len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(rows), max_rows, replace=False))
        notes.append(f"plotted a random {max_rows} of {len(table.X)} rows (seed {seed}); --max-rows changes it")
    X = table.features().iloc[rows]
    labels = table.labels[rows] if table.labels is not None else None
    errors = model.reconstruction_error(X)
    worst = np.argsort(errors)[::-1][:n_worst]
    names = [f"row {rows[i] + 1}" if table.ids is None else str(table.ids[rows[i]]) for i in worst]
    X_hat = model.inverse_transform(model.transform(X.iloc[:10])) if image_shape else None
    shape = image_shape[1:] if image_shape and image_shape[0] == 1 else image_shape
    model_report(output, model.transform(X), labels, getattr(model, "loss_curve_", None), X.to_numpy(), X_hat, shape,
                 title=f"{describe_model(model_path)['kind']}: 2-D map", worst=worst, worst_names=names)
    return notes


def compare_file(data: str, dim: int, methods: list[str], read: ReadOptions, *, test_size: float = 0.2,
                 seed: int = 0, params: dict[str, Any] | None = None,
                 progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """:func:`compare_methods` on a data file."""
    for name in methods:
        get_method(name)
    table = read_table(data, **read.as_kwargs())
    for name in methods:
        check_dimension(name, dim, *table.X.shape)
    return compare_methods(table.X, table.labels, dim, methods, test_size=test_size, seed=seed, params=params,
                           progress=progress)


def knn_accuracy(Z_train: np.ndarray, y_train: np.ndarray, Z_test: np.ndarray, y_test: np.ndarray, k: int = 7) -> float:
    """Accuracy of a k-nearest-neighbour classifier fit on train codes, scored on test codes."""
    from sklearn.neighbors import KNeighborsClassifier

    return float(KNeighborsClassifier(n_neighbors=min(k, len(Z_train))).fit(Z_train, y_train).score(Z_test, y_test))


def compare_methods(X: np.ndarray, y: np.ndarray | None, dim: int, methods: list[str], *, test_size: float = 0.2,
                    seed: int = 0, params: dict[str, Any] | None = None,
                    progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Fit each method on the same training rows and measure it on the same held-out rows.

    Returns one dict per method: reconstruction MSE in the scaled space (None for a method
    without an inverse), kNN accuracy (k=7) when labels are given, and fit and transform seconds.
    """
    from ._split import split_rows

    train, test = split_rows(len(X), test_size, seed, labels=y)
    rows = []
    for name in methods:
        if progress is not None:
            progress(name)
        reducer = make_reducer(name, dim, seed, **((params or {}) if name == "ae" else {}))
        tic = time.perf_counter()
        Z_train = fit_embed(name, reducer, X[train])
        fit_s = time.perf_counter() - tic
        tic = time.perf_counter()
        Z_test = reducer.transform(X[test])
        transform_s = time.perf_counter() - tic
        row: dict[str, Any] = {"method": name, "dim": dim, "recon_mse": None, "knn_acc": None,
                               "fit_s": round(fit_s, 4), "transform_s": round(transform_s, 4)}
        if get_method(name).has_inverse:
            row["recon_mse"] = float(np.mean(reducer.reconstruction_error(X[test])))
        if y is not None:
            row["knn_acc"] = knn_accuracy(Z_train, y[train], Z_test, y[test])
        rows.append(row)
    return rows


def format_comparison(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`compare_methods` rows."""
    headers = ["method", "dim", "recon_mse", "knn_acc", "fit_s", "transform_s"]
    cells = [[("-" if r.get(h) is None else f"{r[h]:.4g}" if isinstance(r.get(h), float) else str(r[h]))
              for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def export_dataset(name: str, split: str, data_home: str | None, rows: int | None, output: str) -> int:
    """Write a split of MNIST or Fashion-MNIST as a table (pixels p0..p783 and a label); returns the rows."""
    from .datasets import LOADERS

    check_output(output)
    (X_train, y_train), (X_test, y_test) = LOADERS[name](data_home)
    X, y = (X_train, y_train) if split == "train" else (X_test, y_test)
    X, y = X[:rows], y[:rows]
    frame = output_frame(X, [f"p{i}" for i in range(X.shape[1])])
    frame["label"] = y
    write_table(output, frame)
    return len(frame)


def fetch_dataset(name: str, data_home: str | None, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Download NAME's four files (checksummed) into the cache, verify them, and return the folder."""
    from .datasets import CHECKSUMS, fetch, read_idx

    folder = fetch(name, data_home, progress=progress)
    for filename, digest in CHECKSUMS[name].items():
        read_idx(folder / filename, digest)
    return folder
