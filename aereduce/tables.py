"""Tables in and out: CSV, TSV, Parquet and NumPy files, with clear errors and atomic writes.

Every error is an :class:`InputError` whose message is one line naming the file,
and the column or row where there is one, and what to do about it.
"""

from __future__ import annotations

import contextlib
import csv
import io as _stdio
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_output
from .errors import InputError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".npy": "npy", ".npz": "npz"}
NAN_POLICIES = ("error", "drop", "zero", "mean")


@dataclass
class Table:
    """Numeric features plus the optional id and label columns carried beside them."""

    X: np.ndarray  # (n_rows, n_features) float64
    feature_names: list[str]
    ids: np.ndarray | None = None
    id_name: str | None = None
    labels: np.ndarray | None = None
    label_name: str | None = None

    def features(self):
        """The features as a DataFrame, so estimators learn and check the column names."""
        return _pandas().DataFrame(self.X, columns=self.feature_names)


def format_of(path: str) -> str:
    """The file format, from the suffix; ``-`` (stdin/stdout) is CSV."""
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown file type {suffix or '(no suffix)'!r}; use .csv, .tsv, .parquet, .npy or .npz")
    return FORMATS[suffix]


def _pandas():
    import pandas as pd

    return pd


def _looks_numeric(fields: Sequence[str]) -> bool:
    try:
        [float(f) for f in fields]
    except ValueError:
        return False
    return True


def _read_text_head(path: str, sep: str) -> tuple[bool, Any]:
    """Whether the first line is a header, and the source to hand to pandas."""
    if path == "-":
        text = sys.stdin.read()
        source: Any = _stdio.StringIO(text)
        first = text.splitlines()[0] if text.strip() else ""
    else:
        source = path
        with open(path, newline="") as f:
            first = f.readline()
    if not first.strip():
        raise InputError(f"{path}: the file is empty; give a table with one row per sample")
    fields = next(csv.reader([first], delimiter=sep))
    if hasattr(source, "seek"):
        source.seek(0)
    return not _looks_numeric(fields), source


def _frames(path: str, chunksize: int | None) -> Iterator[Any]:
    """DataFrames of the file: one, or successive chunks of ``chunksize`` rows."""
    pd = _pandas()
    fmt = format_of(path)
    if path != "-" and not Path(path).exists():
        raise InputError(f"{path}: no such file")
    if path != "-" and Path(path).is_dir():
        raise InputError(f"{path}: is a folder, not a data file")
    if fmt in ("csv", "tsv"):
        sep = "\t" if fmt == "tsv" else ","
        has_header, source = _read_text_head(path, sep)
        try:
            reader = pd.read_csv(source, sep=sep, header=0 if has_header else None, chunksize=chunksize)
            frames = [reader] if chunksize is None else reader
            n_seen = 0
            for frame in frames:
                if not has_header:
                    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
                if frame.shape[0] == 0 and n_seen == 0:
                    raise InputError(f"{path}: has a header but no data rows")
                n_seen += frame.shape[0]
                yield frame
        except pd.errors.ParserError as exc:
            raise InputError(f"{path}: not a well-formed {fmt.upper()} file ({str(exc).strip().splitlines()[-1]})") from None
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty; give a table with one row per sample") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a text {fmt.upper()} file (undecodable bytes)") from None
    elif fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InputError("reading Parquet needs pyarrow: pip install 'aereduce[parquet]'") from None
        try:
            pf = pq.ParquetFile(path)
            if pf.metadata.num_rows == 0:
                raise InputError(f"{path}: has no data rows")
            for batch in pf.iter_batches(batch_size=chunksize or max(1, pf.metadata.num_rows)):
                yield batch.to_pandas()
        except InputError:
            raise
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    else:
        try:
            if fmt == "npy":
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                with np.load(path, allow_pickle=False) as npz:
                    key = "X" if "X" in npz.files else (npz.files[0] if npz.files else None)
                    if key is None:
                        raise InputError(f"{path}: the .npz archive holds no arrays")
                    array = npz[key]
        except InputError:
            raise
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"{path}: not a readable NumPy file ({str(exc).splitlines()[0][:120]})") from None
        if array.ndim != 2:
            raise InputError(f"{path}: holds an array of shape {array.shape}; give a 2-D array (rows x features)")
        if array.shape[0] == 0:
            raise InputError(f"{path}: has no data rows")
        columns = [f"x{i}" for i in range(array.shape[1])]
        step = chunksize or array.shape[0]
        for start in range(0, array.shape[0], step):
            yield pd.DataFrame(np.asarray(array[start : start + step]), columns=columns)


def _to_table(frame: Any, path: str, *, columns: Sequence[str] | None, exclude: Sequence[str] | None,
              id_column: str | None, label_column: str | None, nan: str, row_offset: int) -> Table:
    pd = _pandas()
    frame.columns = [str(c) for c in frame.columns]
    for option, name in (("--id-column", id_column), ("--label-column", label_column)):
        if name is not None and name not in frame.columns:
            raise InputError(f"{path}: no column {name!r} for {option}; columns are {_names(frame.columns)}")
    reserved = {c for c in (id_column, label_column) if c is not None}
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"{path}: no column {missing[0]!r} (from --columns); columns are {_names(frame.columns)}")
        features = [c for c in columns if c not in reserved]
    else:
        features = [c for c in frame.columns if c not in reserved]
    if exclude:
        missing = [c for c in exclude if c not in frame.columns]
        if missing:
            raise InputError(f"{path}: no column {missing[0]!r} (from --exclude); columns are {_names(frame.columns)}")
        features = [c for c in features if c not in set(exclude)]
    if not features:
        raise InputError(f"{path}: no feature columns left; check --columns, --exclude, --id-column and --label-column")
    data = frame[features]
    for name in features:
        column = data[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            converted = pd.to_numeric(column, errors="coerce")
            bad = column[converted.isna() & column.notna()]
            if len(bad):
                row = row_offset + int(np.flatnonzero((converted.isna() & column.notna()).to_numpy())[0]) + 1
                raise InputError(
                    f"{path}: column {name!r} is not numeric (row {row} holds {str(bad.iloc[0])[:40]!r}); "
                    f"leave it out with --exclude {name}, or use it with --label-column {name} or --id-column {name}"
                )
    X = data.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    keep = np.ones(len(X), dtype=bool)
    inf = np.isinf(X)
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise InputError(f"{path}: row {row_offset + r + 1}, column {features[c]!r} is infinite; fix or remove that value")
    missing_mask = np.isnan(X)
    if missing_mask.any():
        if nan == "error":
            r, c = np.argwhere(missing_mask)[0]
            raise InputError(
                f"{path}: row {row_offset + r + 1}, column {features[c]!r} is missing (NaN); "
                "fill it, or pass --nan drop, --nan zero or --nan mean"
            )
        if nan == "drop":
            keep = ~missing_mask.any(axis=1)
        elif nan == "zero":
            X = np.where(missing_mask, 0.0, X)
        elif nan == "mean":
            means = np.nanmean(np.where(missing_mask.all(axis=0), 0.0, X), axis=0)
            X = np.where(missing_mask, means, X)
    table = Table(X=X[keep], feature_names=list(features))
    if id_column is not None:
        table.ids, table.id_name = frame[id_column].to_numpy()[keep], id_column
    if label_column is not None:
        table.labels, table.label_name = frame[label_column].to_numpy()[keep], label_column
    if table.X.shape[0] == 0:
        raise InputError(f"{path}: no rows left after --nan {nan}")
    return table


def _names(columns: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(map(str, list(columns)[:limit]))
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > limit else "")


def read_table(path: str, *, columns: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
               id_column: str | None = None, label_column: str | None = None, nan: str = "error") -> Table:
    """Read a whole data file into a :class:`Table`."""
    return next(iter_tables(path, None, columns=columns, exclude=exclude, id_column=id_column,
                            label_column=label_column, nan=nan))


def iter_tables(path: str, chunksize: int | None, **options: Any) -> Iterator[Table]:
    """Read a data file as successive :class:`Table` chunks, so memory stays flat."""
    offset = 0
    for frame in _frames(path, chunksize):
        n_rows = len(frame)
        yield _to_table(frame, path, row_offset=offset, **options)
        offset += n_rows


def output_frame(values: np.ndarray, names: Sequence[str], table: Table | None = None):
    """A DataFrame of ``values`` with the table's id column first, when it has one."""
    pd = _pandas()
    frame = pd.DataFrame(values, columns=list(names))
    if table is not None and table.ids is not None:
        frame.insert(0, table.id_name, table.ids)
    return frame


class TableWriter:
    """Write DataFrames chunk by chunk to one output file, renamed into place at the end.

    CSV, TSV and Parquet stream; ``.npy``/``.npz`` collect the chunks (NumPy needs the
    shape up front). ``-`` writes CSV to stdout.
    """

    def __init__(self, path: str):
        self.path = path
        self.format = format_of(path)
        self._parts: list[Any] = []
        self._parquet_writer = None
        self._handle = None

    def __enter__(self) -> "TableWriter":
        if self.path != "-":
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise InputError(f"{self.path}: the folder {str(parent)!r} does not exist")
            self._atomic = atomic_output(self.path)
            self._tmp = self._atomic.__enter__()
        return self

    def write(self, frame: Any) -> None:
        if self.path == "-":
            frame.to_csv(sys.stdout, index=False, header=not self._parts)
            self._parts.append(None)
        elif self.format in ("csv", "tsv"):
            if self._handle is None:
                self._handle = open(self._tmp, "w", newline="")
            frame.to_csv(self._handle, sep="\t" if self.format == "tsv" else ",", index=False, header=not self._parts)
            self._parts.append(None)
        elif self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet_writer is None:
                self._parquet_writer = pq.ParquetWriter(self._tmp, table.schema)
            self._parquet_writer.write_table(table)
            self._parts.append(None)
        else:
            self._parts.append(frame)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._parquet_writer is not None:
            self._parquet_writer.close()
        if self.path == "-":
            return
        if exc_type is None and self.format in ("npy", "npz"):
            frame = _pandas().concat(self._parts, ignore_index=True)
            numeric = frame.select_dtypes("number")
            with open(self._tmp, "wb") as f:
                if self.format == "npy":
                    np.save(f, numeric.to_numpy())
                else:
                    arrays = {"X": numeric.to_numpy(), "columns": np.asarray(numeric.columns, dtype=str)}
                    extra = [c for c in frame.columns if c not in numeric.columns]
                    for c in extra:
                        arrays[c] = frame[c].to_numpy().astype(str)
                    np.savez(f, **arrays)
        self._atomic.__exit__(exc_type, exc, tb)


def write_table(path: str, frame: Any) -> None:
    """Write one DataFrame atomically in the format of ``path``'s suffix."""
    with TableWriter(path) as writer:
        writer.write(frame)


def default_output(data_path: str, suffix: str, fmt_from: str | None = None) -> str:
    """``data.csv`` -> ``data.SUFFIX.csv`` beside it (stdin -> stdout)."""
    if data_path == "-":
        return "-"
    p = Path(data_path)
    return str(p.with_name(f"{p.stem}.{suffix}{fmt_from or p.suffix}"))


@contextlib.contextmanager
def reading(path: str) -> Iterator[None]:
    """Turn low-level OS errors while reading ``path`` into an :class:`InputError`."""
    try:
        yield
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a data file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
