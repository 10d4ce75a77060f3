"""Fitting on data larger than memory: the file is read in chunks, once per pass, never whole.

A streamed fit makes the passes an in-memory fit makes over its array, over a
:class:`ChunkSource` instead:

1. **Statistics.** One pass learns what ``fit`` learns from the whole array before training:
   each column's count, mean, spread, minimum and maximum (merged chunk by chunk), hence the
   scaling and the missing-value means, and the number of rows, hence the ``"auto"`` options.
   It also keeps a bounded sample of the validation rows (below). A text file's numbers like
   3.750 are read as its whole first pass shows them (thousands or decimals, by column); where a
   later chunk overturns what an earlier one showed, the pass is read again (:meth:`ChunkSource.settle`).
2. **PCA's start**, where the model uses it (``linear_skip``): one pass sums the scaled rows
   and their products, giving the exact covariance (incremental PCA above 4,096 columns).
3. **Epochs**, each one pass: the chunks go through a shuffle buffer (rows leave it in random
   order as new ones come in) and, for Parquet, the row groups are read in a fresh random order;
   batches, optimiser and the warm-up/cosine learning-rate schedule are the in-memory fit's
   (:class:`StreamTrainer` is the :class:`~aereduce._training.Trainer` with another source of batches).

Validation rows (early stopping) and the command line's held-out rows are chosen by a hash
of each row's place in the data (:attr:`Chunk.index`), so they are the same rows in every pass,
whatever the chunking or the file format; what is kept in memory of them is a bounded uniform sample (those with the
smallest hashes). The neighbour term needs the graph of all rows and is off (``"auto"``) or
refused (a positive weight) when streaming.

The command line streams ``aereduce fit`` with ``--stream``, and by itself when the data
(a file, or a folder of Parquet files) is larger than :data:`STREAM_ABOVE_BYTES`.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ._split import least
from .errors import InputError, OptionError, warn_user
from .tables import (LEFT_OUT_OF_TRAINING, NAN_POLICIES_ADVICE, MissingValues, TotalsWatch, empty_columns_error, format_of, iter_tables,
                     totals_row_said, parquet_files,
                     LARGEST_VALUE, Table, _pandas, mean_of_present, refuse_unusable_values, whole_valued)

# The command line streams a fit by itself when the data is larger than this on disk: in memory,
# a table costs several times its file's size (float64 values, a DataFrame and a tensor of them).
STREAM_ABOVE_BYTES = 1 << 30
LONG_PASS_BYTES = 1 << 28  # a streamed fit says which passes over a file this large precede the epochs
CHUNK_ROWS = 10_000
# The shuffle buffer holds this many bytes of float32 rows, and at most MAX_BUFFER_ROWS rows.
BUFFER_BYTES = 1 << 26
MAX_BUFFER_ROWS = 262_144
# Validation and held-out rows kept in memory to measure an error: this many bytes of float64 rows,
# and between MIN_KEPT_ROWS and MAX_KEPT_ROWS rows.
KEPT_BYTES = 1 << 25
MIN_KEPT_ROWS, MAX_KEPT_ROWS = 1_000, 50_000

# What a hashed subset is for: the hash differs, so the validation rows are not the held-out rows.
VALIDATION, HELD_OUT = 1, 2


def kept_rows(n_features: int) -> int:
    """How many validation or held-out rows are kept in memory for rows of ``n_features`` columns."""
    return int(min(MAX_KEPT_ROWS, max(MIN_KEPT_ROWS, KEPT_BYTES // (8 * max(1, n_features)))))


def buffer_capacity(n_features: int, batch_size: int) -> int:
    """The rows a shuffle buffer holds: BUFFER_BYTES of float32 rows, at least 16 batches."""
    return int(min(MAX_BUFFER_ROWS, max(16 * batch_size, BUFFER_BYTES // (4 * max(1, n_features)))))


def buffer_rows(n_features: int, batch_size: int, n_rows: int) -> int:
    """The shuffle buffer's rows: its capacity (:func:`buffer_capacity`), at most the data."""
    return int(max(1, min(buffer_capacity(n_features, batch_size), n_rows)))


def data_size(path: str) -> int:
    """Bytes of a file, or of every Parquet file in a folder."""
    return sum(os.path.getsize(f) for f in parquet_files(path)) if os.path.isdir(path) else os.path.getsize(path)


def should_stream(path: str, stream: bool | None) -> bool:
    """``stream`` when given; else whether the data (not stdin) is larger than STREAM_ABOVE_BYTES."""
    if stream is not None:
        return stream
    return path != "-" and os.path.exists(path) and data_size(path) > STREAM_ABOVE_BYTES


# -- rows chosen by a hash of their number ---------------------------------------------------------

_MASK64 = (1 << 64) - 1


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of 64-bit integers that scatters neighbouring inputs."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def row_hash(rows: np.ndarray, salt: int) -> np.ndarray:
    """A number in [0, 1) for each row number, uniform-looking and fixed by ``(row, salt)``."""
    offset = np.uint64((salt * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & _MASK64)
    keys = _mix64(np.asarray(rows, dtype=np.int64).astype(np.uint64) ^ offset)
    return (_mix64(keys) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True)
class HashedRows:
    """The rows whose hash (for ``salt``) is below ``fraction``: the same rows in every pass."""

    fraction: float
    salt: int

    def mask(self, rows: np.ndarray) -> np.ndarray:
        if self.fraction <= 0:
            return np.zeros(len(rows), dtype=bool)
        return row_hash(rows, self.salt) < self.fraction


class RowSample:
    """At most ``cap`` rows of a hashed subset, those with the smallest hashes: a uniform sample of
    it that depends neither on the order nor on the chunking of the rows."""

    def __init__(self, subset: HashedRows, cap: int | None = None):
        self.subset, self.cap = subset, cap  # None: kept_rows() of the rows' width
        self.keys = np.empty(0)
        self.rows = np.empty(0, dtype=np.int64)
        self.X: np.ndarray | None = None
        self.seen = 0  # rows of the subset offered, kept or not

    def add(self, X: np.ndarray, rows: np.ndarray) -> None:
        """Offer rows of the subset, by their places in the data (:attr:`Chunk.index`)."""
        self.seen += len(rows)
        X = np.asarray(X, dtype=np.float64)
        self.cap = self.cap or kept_rows(X.shape[1])
        keys = np.concatenate([self.keys, row_hash(rows, self.subset.salt)])
        all_rows = np.concatenate([self.rows, rows])
        all_X = X if self.X is None else np.concatenate([self.X, X])
        if len(keys) > self.cap:
            keep = least(keys, self.cap)
            keys, all_rows, all_X = keys[keep], all_rows[keep], all_X[keep]
        self.keys, self.rows, self.X = keys, all_rows, all_X

    def rows_in_order(self) -> tuple[np.ndarray, np.ndarray]:
        """The kept rows (raw values) and their places, in the data's order."""
        if self.X is None:
            return np.empty((0, 0)), self.rows
        order = np.argsort(self.rows)
        return self.X[order], self.rows[order]


# -- where the chunks come from --------------------------------------------------------------------

@dataclass
class Chunk:
    """Consecutive rows of the data: raw values (NaN where missing), each row's number as messages
    give it (a text file's line), and its place among the data's rows from 0 (``index``, what
    the held-out and validation hashes read: a CSV and its Parquet copy hold out the same rows)."""

    X: np.ndarray
    rows: np.ndarray
    index: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.index is None:
            self.index = self.rows

    def take(self, keep: np.ndarray) -> "Chunk":
        return Chunk(self.X[keep], self.rows[keep], self.index[keep])


class ChunkSource:
    """Data that can be read in chunks as many times as training asks: once per pass.

    ``feature_names`` are known once a pass has begun (None for unnamed arrays); ``policy`` is
    the missing-value policy (see :class:`~aereduce.tables.MissingValues`); ``name`` is used in
    messages.
    """

    feature_names: list[str] | None = None
    policy: str = "error"
    name: str = "data"

    @property
    def blank_rows(self) -> list[int]:
        """The rows of the last pass left out as a file's blank rows (:attr:`~aereduce.tables.Table.blank_rows`)."""
        return []

    def chunks(self, order_seed: int | None = None) -> Iterator[Chunk]:
        """One pass over the rows; ``order_seed`` may shuffle the order of blocks of rows (Parquet row groups)."""
        raise NotImplementedError

    def settle(self) -> bool:
        """After the first pass: fix how every later pass reads the rows. True when that reading differs
        from the first pass's, which must then be read again."""
        return False


class FileSource(ChunkSource):
    """A data file read by :func:`aereduce.tables.iter_tables`: CSV/TSV (in the file's order),
    Parquet (row group by row group, in a fresh random order each epoch), NumPy, or a folder of
    Parquet files read as one table.

    Parameters
    ----------
    path : str
        The file or folder.
    read : aereduce.usecases.ReadOptions, optional
        Columns, missing-value policy and text layout (default: every numeric column, no missing values).
    chunk_rows : int
        Rows per chunk (a Parquet chunk never spans two row groups).
    """

    def __init__(self, path: str, *, read: Any = None, chunk_rows: int = CHUNK_ROWS):
        from .usecases import ReadOptions

        if path == "-":
            raise InputError("a streamed fit reads the data once per epoch, so it needs a file, not stdin; "
                             "save it to a file first")
        if os.path.exists(path) and not (os.path.isfile(path) or os.path.isdir(path)):
            # A pipe or <(...) would be read to its end by the first pass and be empty for the next.
            raise InputError(f"{os.fspath(path)}: a streamed fit reads the data once per epoch, so it needs a file, "
                             "not a pipe; save it to a file first")
        if chunk_rows < 1:
            raise OptionError(f"chunk_rows={chunk_rows} must be at least 1")
        self.path, self.read, self.chunk_rows = os.fspath(path), read or ReadOptions(), chunk_rows
        self.policy, self.name = self.read.nan or "error", self.path
        # The last chunk's table, which says how the file was read: skipped columns and why, row labels
        # (trial 26's streamed diamonds said nothing of them), and how numbers like 3.750 read by column
        # and where a chunk overturned an earlier one's reading (trial 36: prices sorted from the top,
        # read as 18.804 until chunks with prices under 1,000 showed the grouping). For the notes
        # (_notes_table) and settle(); the counts of text cells are the pass's.
        self.last_table: Table | None = None
        # The first pass's first chunk, in file order: what the in-memory fit's notes on the columns
        # (a row counter, ids, times or classes used as features, a repeated id) read from the rows,
        # which a streamed fit gave none of (trial 41)
        self.first_table: Table | None = None
        self.non_numeric_counts: dict[str, int] = {}
        self._blank_rows: list[int] = []  # of the last pass: rows of empty fields only, no samples
        self._totals_checked = False

    def chunks(self, order_seed: int | None = None) -> Iterator[Chunk]:
        tables = iter_tables(self.path, self.chunk_rows, **self.read.as_kwargs(), row_group_seed=order_seed)
        self.non_numeric_counts, self._blank_rows = {}, []  # of the last pass: every pass reads the same cells
        # Rows of a binary table are numbered by place from 1 (row groups may come in any order);
        # a text file's by line, header and blank lines counted, and it is read in order.
        by_place = format_of(self.path) in ("parquet", "npy", "npz")
        start = 0
        # the first pass in file order looks for a totals row, which a streamed fit cannot leave out of the
        # passes after it (an in-memory fit does; a review met this fit trained on it)
        watch = TotalsWatch() if order_seed is None and not self._totals_checked else None
        for table in tables:
            self.feature_names, self.last_table = table.feature_names, table
            blank = table.blank()
            if self.first_table is None and start == 0 and order_seed is None:  # its blank rows aside (a review)
                self.first_table = table.take(~blank) if blank.any() else table
            for name, count in table.non_numeric_counts.items():
                self.non_numeric_counts[name] = self.non_numeric_counts.get(name, 0) + count
            index = table.row_numbers - 1 if by_place else np.arange(start, start + len(table.X), dtype=np.int64)
            start += len(table.X)
            self._blank_rows.extend(table.row_numbers[blank].tolist())  # left out: a fit writes no rows to keep aligned
            if watch is not None:
                watch.add(table.X[~blank], table.row_numbers[~blank], None if table.ids is None else table.ids[~blank])
            yield Chunk(table.X[~blank], table.row_numbers[~blank], index[~blank])
        if watch is not None:
            found = watch.found()
            if found:  # not marked checked: a later pass over the same source refuses again (a review)
                row, n_sums = next(iter(found.items()))
                raise InputError(f"{self.path}: {totals_row_said(row, watch.ids.get(row), n_sums, len(watch.sums))}; "
                                 "delete it from the file: a streamed fit reads the file again each epoch and cannot "
                                 "leave it out (aereduce fit --no-stream reads it in memory and leaves such a row out)")
            self._totals_checked = True

    @property
    def blank_rows(self) -> list[int]:
        return self._blank_rows

    @property
    def lone_groups(self) -> dict[str, bool]:
        """How numbers like 3.750 read, by column, in the chunks so far (:attr:`Table.lone_groups`)."""
        return {} if self.last_table is None else self.last_table.lone_groups

    def settle(self) -> bool:
        """Every later pass reads each column's lone groups as the whole first pass showed them."""
        regrouped = self.last_table is not None and bool(self.last_table.regrouped)
        self.read = replace(self.read, lone_groups=dict(self.lone_groups))
        return regrouped


class IterableSource(ChunkSource):
    """Chunks from Python: a re-iterable collection (a list) of arrays or DataFrames, or a function
    that returns a fresh iterable of them each time it is called. Rows are numbered from 0 across
    the chunks, so the chunks must come in the same order in every pass. Missing values are an error."""

    def __init__(self, chunks: Iterable[Any] | Callable[[], Iterable[Any]]):
        if not callable(chunks) and iter(chunks) is chunks:  # type: ignore[arg-type]
            raise InputError("the source is a one-shot iterator (a generator?), but training reads the data once "
                             "per epoch; pass a list of chunks, or a function that returns a fresh iterator")
        self._chunks = chunks

    def chunks(self, order_seed: int | None = None) -> Iterator[Chunk]:
        start = 0
        parts = self._chunks() if callable(self._chunks) else self._chunks
        for i, part in enumerate(parts):
            columns = getattr(part, "columns", None)
            if columns is not None:
                names = [str(c) for c in columns]
                if self.feature_names is not None and names != self.feature_names:
                    raise InputError(f"chunk {i}: its columns differ from the first chunk's; give every chunk "
                                     "the same columns in the same order")
                self.feature_names = names
            try:  # a sparse chunk is made dense, as fit and partial_fit make sparse input (a review found it refused)
                X = np.asarray(part.toarray() if hasattr(part, "toarray") else part, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise InputError(f"chunk {i}: not numeric ({str(exc).splitlines()[0][:100]})") from None
            if X.ndim != 2:
                raise InputError(f"chunk {i}: expected a 2-D array (rows x features), got shape {X.shape}")
            yield Chunk(X, np.arange(start, start + len(X), dtype=np.int64))
            start += len(X)


def as_source(source: Any, chunk_rows: int = CHUNK_ROWS) -> ChunkSource:
    """A :class:`ChunkSource` from a path, a ChunkSource, a list of arrays/DataFrames or a function returning them."""
    if isinstance(source, ChunkSource):
        return source
    if isinstance(source, (str, os.PathLike)):
        return FileSource(os.fspath(source), chunk_rows=chunk_rows)
    return IterableSource(source)


class HeldOutSource(ChunkSource):
    """``source`` without its held-out rows (a hashed subset), keeping a sample of them on the first
    complete pass: the command line's ``--holdout`` for a streamed fit."""

    def __init__(self, source: ChunkSource, held: HashedRows):
        self.source, self.held = source, held
        self.sample = RowSample(held)
        self._sampled = False
        self.policy, self.name = source.policy, source.name

    @property
    def feature_names(self) -> list[str] | None:  # type: ignore[override]
        return self.source.feature_names

    @property
    def blank_rows(self) -> list[int]:
        return self.source.blank_rows

    def chunks(self, order_seed: int | None = None) -> Iterator[Chunk]:
        sampling = not self._sampled
        for chunk in self.source.chunks(order_seed):
            held = self.held.mask(chunk.index)
            if sampling and held.any():
                self.sample.add(chunk.X[held], chunk.index[held])
            yield chunk.take(~held)
        self._sampled = True

    def settle(self) -> bool:
        again = self.source.settle()
        if again:  # the held-out rows sampled in the pass were read otherwise: sample them anew
            self.sample, self._sampled = RowSample(self.held), False
        return again


def file_behind(source: ChunkSource) -> ChunkSource:
    """The source a :class:`HeldOutSource` holds rows out of (the command line's streamed fit), or ``source``."""
    return source.source if isinstance(source, HeldOutSource) else source


# -- pass 1: statistics -------------------------------------------------------------------------

@dataclass
class Moments:
    """Per column: the count, mean, sum of squared deviations, minimum and maximum of the present
    (non-NaN) values, merged chunk by chunk (Chan, Golub and LeVeque's pairwise update)."""

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def empty(cls, n_features: int) -> "Moments":
        zeros = np.zeros(n_features)
        return cls(zeros.copy(), zeros.copy(), zeros.copy(), np.full(n_features, np.inf), np.full(n_features, -np.inf))

    def merge(self, count: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> None:
        total = self.count + count
        safe = np.maximum(total, 1)
        delta = mean - self.mean
        self.mean = self.mean + delta * count / safe
        self.m2 = self.m2 + m2 + delta**2 * self.count * count / safe
        self.count = total

    def add(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        present = ~np.isnan(X)
        count = present.sum(axis=0).astype(np.float64)
        mean = np.where(present, X, 0.0).sum(axis=0) / np.maximum(count, 1)
        m2 = (np.where(present, X - mean, 0.0) ** 2).sum(axis=0)
        self.minimum = np.minimum(self.minimum, np.where(present, X, np.inf).min(axis=0, initial=np.inf))
        self.maximum = np.maximum(self.maximum, np.where(present, X, -np.inf).max(axis=0, initial=-np.inf))
        self.merge(count, mean, m2)

    def filled(self, n_rows: int, fill: np.ndarray | None) -> "Moments":
        """The moments once each column's missing cells (``n_rows - count``) hold ``fill``."""
        if fill is None:
            return self
        out = Moments(self.count.copy(), self.mean.copy(), self.m2.copy(), self.minimum.copy(), self.maximum.copy())
        gaps = n_rows - self.count
        out.merge(gaps, fill, np.zeros_like(fill))
        out.minimum = np.where(gaps > 0, np.minimum(out.minimum, fill), out.minimum)
        out.maximum = np.where(gaps > 0, np.maximum(out.maximum, fill), out.maximum)
        return out

    @property
    def variance(self) -> np.ndarray:
        """The population variance (ddof=0)."""
        return self.m2 / np.maximum(self.count, 1)

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.variance)


@dataclass
class Scan:
    """What the statistics pass learnt."""

    n_rows: int  # encodable rows
    n_features: int
    feature_names: list[str] | None
    moments: Moments  # of the rows as the model sees them, missing values filled
    missing: MissingValues  # fitted, with the pass's counts
    present_means: np.ndarray  # each column's mean over its present values
    n_validation: int  # encodable rows in the validation subset
    validation: RowSample  # a sample of them, raw
    n_chunks: int = 0
    whole_columns: list[int] = field(default_factory=list)  # columns of whole numbers in every row (for sample)
    # (column, how many times as far its chunk means move as in shuffled rows) of the column that drifts
    # most through a source read in its own order (drift_note), or None
    drift: tuple[int, float] | None = None


# A chunk mean moves about sigma / sqrt(rows) from chunk to chunk in shuffled rows; a column whose chunk
# means move this many times as far drifts through the file (sorted rows: trial 52's CSV sorted by one
# column gave a model 1.7x worse, read in that order, without a word). Shuffled files stay near 1.
DRIFT_RATIO = 10.0
DRIFT_MIN_CHUNKS = 4
DRIFT_MIN_CHUNK_ROWS = 100


def _drift(chunk_means: Moments, present_per_chunk: np.ndarray, moments: Moments) -> tuple[int, float] | None:
    """The column whose chunk means move most, relative to shuffled rows', where that is over DRIFT_RATIO;
    ``present_per_chunk``: each column's mean count of present values a chunk (a sparse column's chunk means
    move more, in any order: a review)."""
    if chunk_means.count.max(initial=0) < DRIFT_MIN_CHUNKS:
        return None
    expected = moments.std / np.sqrt(np.maximum(present_per_chunk, 1.0))
    ratio = np.where(expected > 0, chunk_means.std / np.where(expected > 0, expected, 1.0), 0.0)
    j = int(np.argmax(ratio))
    return (j, float(ratio[j])) if ratio[j] > DRIFT_RATIO else None


def drift_note(found: Scan, source: Any) -> str | None:
    """Where a file read in its own order (CSV, TSV, .npy: not Parquet, whose row groups are read in a
    fresh order each pass) drifts column by column, and holds more training rows than the shuffle buffer
    mixes (a file within it is shuffled whole each pass: a review): what to do."""
    # (batches of one row: the least buffer; the batch size is not resolved when the scan is noted)
    if found.drift is None or found.n_rows <= buffer_capacity(found.n_features, 1):
        return None
    j, ratio = found.drift
    name = found.feature_names[j] if found.feature_names else str(j)
    return (f"column {name!r} drifts through {source.name}: its mean moves {ratio:.0f} times as far from chunk to "
            "chunk as in shuffled rows, and the file is read in its own order, more rows than the shuffle buffer "
            "mixes, so training batches see its rows in that order (trial 52: a model 1.7x worse); shuffle the "
            "file's rows")


def _check_chunk(chunk: Chunk, source: ChunkSource, n_features: int | None) -> None:
    if n_features is not None and chunk.X.shape[1] != n_features:
        raise InputError(f"{source.name}: a chunk has {chunk.X.shape[1]} columns, the first had {n_features}")
    refuse_unusable_values(chunk.X, chunk.rows, [str(c) for c in range(chunk.X.shape[1])], source.name, LARGEST_VALUE)


def scan(source: ChunkSource, validation: HashedRows, *, again: bool = True) -> Scan:
    """Pass 1: moments, missing-value settings and a sample of the validation rows; read a second time
    when the source's reading settles otherwise than the pass read (:meth:`ChunkSource.settle`)."""
    moments: Moments | None = None
    sample = RowSample(validation)
    n_rows = n_validation = n_chunks = 0
    counts: np.ndarray | None = None  # missing cells per column
    present_sums: np.ndarray | None = None  # per column, over every row read (before --nan drop)
    whole: np.ndarray | None = None  # per column: every present value so far a whole number
    n_seen = n_dropped = 0
    # chunk means, each as a row, where the source is read in its own order (drift_note)
    file = file_behind(source)
    in_order = isinstance(file, FileSource) and format_of(file.path) != "parquet"
    chunk_means: Moments | None = None
    present_seen: list[np.ndarray] = []  # each chunk's present values by column
    for chunk in source.chunks():
        n_chunks += 1
        _check_chunk(chunk, source, None if moments is None else len(moments.count))
        X, rows, index = chunk.X, chunk.rows, chunk.index
        if moments is None:
            moments = Moments.empty(X.shape[1])
            counts = np.zeros(X.shape[1], dtype=np.int64)
            present_sums = np.zeros(X.shape[1])
            whole = np.ones(X.shape[1], dtype=bool)
        missing = np.isnan(X)
        n_seen += len(X)
        present_sums += np.where(missing, 0.0, X).sum(axis=0)
        whole &= whole_valued(X)
        if missing.any():
            if source.policy == "error":
                r, c = np.argwhere(missing)[0]
                column = repr(source.feature_names[c]) if source.feature_names else str(c)
                if isinstance(source, IterableSource):
                    # trial 40 was told to pass nan='mean', which fit_stream does not take, of "column 0" (Ozone)
                    raise InputError(f"{source.name}: row {rows[r]} (counted from 0 across the chunks), column "
                                     f"{column} is missing; chunks from Python take no missing values: fill them "
                                     "first, or give a file as FileSource(path, read=ReadOptions(nan='mean'))")
                raise InputError(f"{source.name}: row {rows[r]}, column {column} is missing; fill it, or "
                                 f"{NAN_POLICIES_ADVICE}")
            counts += missing.sum(axis=0)
            if source.policy == "drop":
                keep = ~missing.any(axis=1)
                n_dropped += int((~keep).sum())
                X, index = X[keep], index[keep]
        moments.add(X)
        n_rows += len(X)
        if in_order and len(X) >= DRIFT_MIN_CHUNK_ROWS:
            chunk_means = chunk_means or Moments.empty(X.shape[1])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a column with no value in a chunk: NaN, left out
                chunk_means.add(np.nanmean(X, axis=0)[None, :])
            present_seen.append((~np.isnan(X)).sum(axis=0))
        held = validation.mask(index)
        n_validation += int(held.sum())
        if held.any():
            sample.add(X[held], index[held])
    if moments is None:
        raise InputError(f"{source.name}: it has no rows, so no row is left to fit on")
    names = source.feature_names or [f"x{i}" for i in range(len(moments.count))]
    if n_seen and (counts == n_seen).any():  # as the whole-table read refuses them, under every policy
        raise empty_columns_error([names[j] for j in np.flatnonzero(counts == n_seen)], source.name, source.policy)
    if n_rows == 0:
        raise InputError(f"{source.name}: every row has a missing value, so no row is left to fit on")
    if source.settle() and again:
        return scan(source, validation, again=False)
    # Each column's mean over its present values in every row read, as the whole-table fit keeps
    # them for a later --nan mean (not over the rows --nan drop kept); under --nan mean no row is
    # dropped, so it is also this fit's fill.
    present = n_seen - counts
    present_means = mean_of_present(present_sums, present)
    fill = {"mean": present_means, "zero": np.zeros(len(names))}.get(source.policy)
    missing_values = MissingValues.from_dict({"policy": source.policy, "feature_names": names,
                                              "fill_values": None if fill is None else list(fill)})
    missing_values.counts_ = {name: int(n) for name, n in zip(names, counts) if n}
    missing_values.n_rows_, missing_values.n_not_encodable_ = n_seen, n_dropped
    missing_values.empty_rows_ = list(source.blank_rows)
    drift = None if chunk_means is None else _drift(chunk_means, np.mean(present_seen, axis=0), moments)
    return Scan(n_rows, len(names), source.feature_names, moments.filled(n_rows, fill), missing_values, present_means,
                n_validation, sample, n_chunks, [int(j) for j in np.flatnonzero(whole & (present > 0))], drift)


# -- the training rows as the model sees them ---------------------------------------------------

class TrainingRows:
    """The training rows of a source, as the model sees them: missing values filled (or the row
    dropped), validation rows left out, scaled, as float32 tensors on the model's device."""

    def __init__(self, source: ChunkSource, missing: MissingValues, scaler: Any, validation: HashedRows | None,
                 n_rows: int, device: Any):
        self.source, self.missing, self.scaler = source, missing, scaler
        self.validation, self.n_rows, self.device = validation, n_rows, device

    def tensors(self, order_seed: int | None = None) -> Iterator[Any]:
        import torch

        for chunk in self.source.chunks(order_seed):
            X, keep = prepare(chunk.X, self.missing)
            if self.validation is not None:
                keep &= ~self.validation.mask(chunk.index)
            if keep.any():
                yield torch.tensor(self.scaler.transform(X[keep]), dtype=torch.float32, device=self.device)


def prepare(X: np.ndarray, missing: MissingValues) -> tuple[np.ndarray, np.ndarray]:
    """Rows with their missing values filled, and which rows are encodable (all but dropped ones)."""
    if not np.isnan(X).any():
        return X, np.ones(len(X), dtype=bool)
    counting = missing.counts_, missing.n_rows_, missing.n_not_encodable_
    filled, encodable = missing.apply(X)
    missing.counts_, missing.n_rows_, missing.n_not_encodable_ = counting  # counted once, by the scan
    return filled, encodable


def shuffled_batches(chunks: Iterable[Any], capacity: int, batch_size: int, generator: Any) -> Iterator[Any]:
    """Batches of ``batch_size`` rows (the last one smaller) of every row of ``chunks``, each once.

    A buffer of ``capacity`` rows is filled first; then each incoming row takes the place of a
    random row of the buffer, which leaves for a batch; at the end the buffer leaves in random
    order. Rows are thus mixed across a window of about ``capacity`` rows.
    """
    import torch

    buffer = None
    filled = 0
    pending: list[Any] = []
    n_pending = 0

    def ready(final: bool = False) -> Iterator[Any]:
        nonlocal pending, n_pending
        if n_pending < batch_size and not (final and n_pending):
            return
        rows = torch.cat(pending) if len(pending) > 1 else pending[0]
        stop = n_pending if final else n_pending - n_pending % batch_size
        for start in range(0, stop, batch_size):
            yield rows[start : start + batch_size]
        pending, n_pending = ([rows[stop:]] if stop < n_pending else []), n_pending - stop

    for chunk in chunks:
        start = 0
        if buffer is None:
            buffer = chunk.new_empty((capacity, chunk.shape[1]))
        while start < len(chunk):
            if filled < capacity:
                take = min(capacity - filled, len(chunk) - start)
                buffer[filled : filled + take] = chunk[start : start + take]
                filled += take
            else:
                take = min(capacity, len(chunk) - start)
                slots = torch.randperm(capacity, generator=generator, device=generator.device)[:take].to(buffer.device)
                pending.append(buffer[slots])
                n_pending += take
                buffer[slots] = chunk[start : start + take]
                yield from ready()
            start += take
    if filled:
        order = torch.randperm(filled, generator=generator, device=generator.device).to(buffer.device)
        pending.append(buffer[:filled][order])
        n_pending += filled
    yield from ready(final=True)


_STREAM_TRAINER: type | None = None


def stream_trainer_class() -> type:
    """:class:`StreamTrainer`, defined on first use so that importing this module does not import torch."""
    global _STREAM_TRAINER
    if _STREAM_TRAINER is None:
        from ._training import Trainer

        class StreamTrainer(Trainer):
            """The :class:`~aereduce._training.Trainer` on :class:`TrainingRows`: an epoch is one pass
            over the source through a shuffle buffer of ``buffer_rows`` rows, in as many steps as an
            in-memory epoch over the same rows, so the learning-rate schedule is the same."""

            buffer_rows = 65_536

            def steps_per_epoch(self, X: TrainingRows) -> int:
                return math.ceil(X.n_rows / self.batch_size)

            def batch_rows(self, X: TrainingRows) -> Iterator[Any]:
                import torch

                order_seed = int(torch.randint(1 << 31, (1,), generator=self.generator, device=self.generator.device))
                return shuffled_batches(X.tensors(order_seed), self.buffer_rows, self.batch_size, self.generator)

        _STREAM_TRAINER = StreamTrainer
    return _STREAM_TRAINER


# -- pass 2: PCA ------------------------------------------------------------------------------

@dataclass
class StreamedPCA:
    """PCA of the training rows (scaled): their mean and first principal axes (as rows)."""

    mean: np.ndarray
    axes: np.ndarray

    def reconstruction_error(self, Xs: np.ndarray) -> np.ndarray:
        """Each scaled row's mean squared error after projecting it on the axes."""
        centred = Xs - self.mean
        return ((centred - centred @ self.axes.T @ self.axes) ** 2).mean(axis=1)


def streamed_pca(rows: TrainingRows, n_features: int, n_components: int) -> StreamedPCA:
    """One pass: the exact covariance up to COVARIANCE_MAX_FEATURES columns, else incremental PCA."""
    from ._training import COVARIANCE_MAX_FEATURES, axes_of_covariance

    if n_features > COVARIANCE_MAX_FEATURES:
        return _incremental_pca(rows, min(n_components, n_features))
    total = cross = None
    n = 0
    for xb in rows.tensors():
        x64 = xb.double()
        total = x64.sum(dim=0) if total is None else total + x64.sum(dim=0)
        cross = x64.T @ x64 if cross is None else cross + x64.T @ x64
        n += xb.shape[0]
    if total is None or cross is None:
        raise InputError(f"{rows.source.name}: no training rows are left")
    mean = total / n
    axes, _ = axes_of_covariance((cross - n * mean[:, None] * mean[None, :]) / max(1, n - 1), n_components)
    return StreamedPCA(mean.cpu().numpy(), axes.cpu().numpy())


def _incremental_pca(rows: TrainingRows, n_components: int) -> StreamedPCA:
    """scikit-learn's IncrementalPCA over the pass, in blocks of at least ``max(n_components, 1024)`` rows."""
    from sklearn.decomposition import IncrementalPCA

    pca = IncrementalPCA(n_components=n_components)
    pending: list[np.ndarray] = []
    for xb in rows.tensors():
        pending.append(xb.cpu().numpy())
        if sum(len(p) for p in pending) >= max(n_components, 1024):
            pca.partial_fit(np.concatenate(pending))
            pending = []
    if pending and (sum(len(p) for p in pending) >= n_components or not hasattr(pca, "components_")):
        pca.partial_fit(np.concatenate(pending))
    return StreamedPCA(pca.mean_, pca.components_)


# -- the streamed fit -----------------------------------------------------------------------------

@dataclass
class StreamFit:
    """What a streamed fit learnt besides the model: the scan, and PCA when it was computed."""

    scan: Scan
    pca: StreamedPCA | None
    n_train: int  # rows trained on (the validation rows left out)


def _held_rows(estimator: Any, found: Any, scaler: Any) -> tuple[Any, Any]:
    """The hashed held-out rows, scaled, as a tensor (or None), and the same as validation rows when
    the estimator stops early (else None)."""
    import torch

    held_X, _ = found.validation.rows_in_order()
    sample = None
    if len(held_X):
        filled, encodable = prepare(held_X, found.missing)
        sample = torch.tensor(scaler.transform(filled[encodable]), dtype=torch.float32, device=estimator.device_)
    if not estimator.early_stopping_:
        return sample, None
    if found.n_validation < 1 or found.n_validation >= found.n_rows:
        raise OptionError(f"early_stopping needs at least one training and one validation row: "
                          f"validation_fraction={estimator.validation_fraction} of {found.n_rows} rows gives "
                          f"{found.n_validation} validation rows")
    return sample, sample


def fit_stream(estimator: Any, source: Any, *, chunk_rows: int = CHUNK_ROWS, buffer: int | None = None,
               callbacks: list | None = None, pca: bool = False,
               on_scanned: Callable[[Scan], None] | None = None) -> StreamFit:
    """Fit ``estimator`` (an unfitted or fitted :class:`~aereduce.AutoencoderTransformer`) on
    ``source`` without holding it in memory; see :meth:`AutoencoderTransformer.fit_stream`.

    ``pca``: compute PCA of the training rows even when the model does not start from it (the
    command line compares the fit with it). ``on_scanned``: called with the first pass's
    findings before training (the command line's notes on how the file was read).
    """
    import torch

    from ._scaling import Scaler
    from ._training import FitHistory, passes_over_rows, set_linear_start, validation_scores

    tic = time.perf_counter()
    estimator._validate_params()
    if estimator.pretrain:
        raise OptionError("pretrain=True trains layer by layer on the rows in memory; a streamed fit cannot, "
                          "use pretrain=False or fit in memory")
    given_a_path = isinstance(source, (str, os.PathLike))
    source = as_source(source, chunk_rows)
    seed = estimator._draw_seed()
    validation = HashedRows(float(estimator.validation_fraction), seed * 4 + VALIDATION)
    try:
        found = scan(source, validation)
    except InputError as exc:
        if not given_a_path or NAN_POLICIES_ADVICE not in str(exc):
            raise
        # trial 52 passed fit_stream(path, nan='mean'), which it does not take: say how a file is read so
        raise InputError(str(exc).replace(NAN_POLICIES_ADVICE, f"give the file as FileSource({os.fspath(source.path)!r}, "
                                                  "read=ReadOptions(nan='mean')) (or nan='drop' or 'zero'; from "
                                                  "aereduce.streaming and aereduce.usecases)")) from None
    if on_scanned is not None:
        on_scanned(found)
    elif (drifts := drift_note(found, source)) is not None:
        warn_user(f"fit_stream: {drifts}")
    moments = found.moments
    scaler = Scaler.from_statistics(estimator.scaling, moments.minimum, moments.maximum, moments.mean, moments.std,
                                    n_rows=found.n_rows)
    estimator.n_features_in_ = found.n_features  # what validate_data sets in fit
    if found.feature_names is not None:
        estimator.feature_names_in_ = np.asarray(found.feature_names, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    estimator._initialise(np.vstack([moments.minimum, moments.maximum]), "fit_stream", scaler=scaler,
                          n_samples=found.n_rows, seed=seed, moments=(moments.mean, moments.variance))
    sample, X_val = _held_rows(estimator, found, scaler)
    n_train = found.n_rows - (found.n_validation if X_val is not None else 0)
    rows = TrainingRows(source, found.missing, scaler, validation if X_val is not None else None, n_train,
                        estimator.device_)
    axes = streamed_pca(rows, found.n_features, estimator.n_components_) if (estimator.linear_skip_ or pca) else None
    if estimator.linear_skip_:
        set_linear_start(estimator.model_, torch.from_numpy(axes.mean), torch.from_numpy(axes.axes))
    trainer = estimator._make_trainer(callbacks, X_val, trainer_class=stream_trainer_class())
    trainer.buffer_rows = buffer or buffer_rows(found.n_features, estimator.batch_size_, n_train)
    losses, val_losses = trainer.fit(rows, estimator.max_iter_, X_val=X_val)
    estimator.model_.eval()
    if estimator.sparsity is not None and sample is not None:
        estimator._warn_on_a_constant_code(sample)
    estimator._partial_trainer = None
    scores, best = validation_scores(trainer, val_losses, X_val)
    estimator._set_fields(FitHistory(
        n_iter_=passes_over_rows(losses, estimator.max_iter_), loss_curve_=losses, validation_scores_=scores,
        best_validation_score_=best,
        pretrain_loss_curves_=None,
        # as fit's: no epochs from PCA's start keep it (a review's 5 rows: "1.00x lower than PCA's")
        fit_time_=time.perf_counter() - tic,
        kept_initial_weights_=True if estimator.linear_skip_ and estimator.max_iter_ == 0 else trainer.kept_initial_weights))
    file = file_behind(source)
    skipped = file.last_table.skipped_columns if isinstance(file, FileSource) and file.last_table is not None else []
    if skipped and on_scanned is None:  # the command line notes them itself, with the reason for each
        from .tables import shown_names

        # trial 45: fit_stream("data.csv") fitted on the numeric columns alone, without a word of the others
        warn_user(f"fit_stream left out {len(skipped)} column{'s' if len(skipped) != 1 else ''} of {file.path} that "
                  f"{'does' if len(skipped) == 1 else 'do'} not hold numbers ({shown_names(skipped)}); "
                  f"feature_names_in_ names the {found.n_features} used, which transform reads")
    if isinstance(file, FileSource):
        # a file read with ReadOptions, as `aereduce fit --stream` reads it: the model remembers how, the
        # training means with it (trial 40: `--nan mean` on such a model found none, and blamed release 0.1)
        from .usecases import input_settings

        estimator.input_settings_ = input_settings(file.read, found.missing, means=found.present_means,
                                                   whole_columns=found.whole_columns, table=_notes_table(file, found))
    return StreamFit(found, axes, n_train)


# -- the command line's streamed fit -------------------------------------------------------------

def fit_file(data: str, output: str, *, method: str, dim: int, read: Any, seed: int = 0, holdout: float = 0.1,
             params: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None,
             chunk_rows: int = CHUNK_ROWS, notify: Callable[[str], None] | None = None) -> Any:
    """:func:`aereduce.usecases.fit_model` for data read in chunks: the held-out rows are a hashed
    ``holdout`` share of the rows (a sample of them measures the error), PCA's error is that of the
    streamed PCA of the training rows, and the model is saved to ``output``. ``notify``: where the
    notes on how DATA was read go, once the first pass has read it and before training (else
    into the report)."""
    from .methods import make_reducer
    from ._training import within_noise
    from ._resolve import default_epochs
    from .usecases import (REMEMBERED_ID, FitReport, check_model_output, check_not_failed, dimension_notes,
                           epochs_trained, has_pca_bar, send_notes, table_notes, trains_a_map)

    if method != "ae":
        raise OptionError(f"--stream fits the autoencoder (--method ae) only; --method {method} reads the whole file")
    if (params or {}).get("pretrain"):  # fit_stream's own message names the Python parameter
        raise OptionError("--pretrain trains layer by layer on the rows in memory, which a streamed fit does not hold; "
                          "leave out --pretrain, or fit in memory with --no-stream")
    check_model_output(output, data)
    source = FileSource(data, read=read, chunk_rows=chunk_rows)
    size = data_size(data) if os.path.exists(data) else 0  # a missing file is reported when read
    if notify is not None and size > LONG_PASS_BYTES:
        # Each pass over a large file takes minutes before the first epoch's progress line.
        notify(f"streaming {data} ({size / 1e9:.1f} GB): a pass for the columns' scales and missing "
               "values and one for PCA's start come before the epochs, each reading the whole file")
    held = HeldOutSource(source, HashedRows(holdout, seed * 4 + HELD_OUT))
    reducer = make_reducer("ae", dim, seed, **(params or {}))
    notes: list[str] = []  # for the summary: those notify did not take, then the streamed counts

    def note_how_it_was_read(found: Scan) -> None:
        # The first pass reads the training rows only, so its counts leave out the held-out share
        # (an in-memory fit counts every row: 27,619 missing values of baseball against 24,740 here).
        read_notes = table_notes(_notes_table(source, found), found.missing, LEFT_OUT_OF_TRAINING, REMEMBERED_ID,
                                 counted="training rows (the held-out share aside)" if holdout > 0 else None)
        read_notes += _column_notes(source, found, shaped=bool((params or {}).get("input_shape")))
        read_notes += [note for note in [drift_note(found, source)] if note]
        # Only where the term would have been the default: a 2-3-D code of 1,000+ rows.
        if trains_a_map(params, dim, found.n_rows, found.n_features):  # what an in-memory fit would have trained
            read_notes.append("the neighbour term (the default for 2-3-D maps) is off in a streamed fit, as it needs "
                              "every row in memory: the map comes from reconstruction alone; fit without --stream to "
                              "have it")
        notes.extend(send_notes(read_notes + dimension_notes(dim, found.n_features, params, n_rows=found.n_rows),
                                notify))

    from ._training import Progress

    fit = fit_stream(reducer, held, chunk_rows=chunk_rows, pca=True, on_scanned=note_how_it_was_read,
                     callbacks=[Progress(progress)] if progress is not None else None)
    held_X, _ = held.sample.rows_in_order()
    filled, encodable = prepare(held_X, fit.scan.missing) if len(held_X) else (held_X, np.zeros(0, dtype=bool))
    streamed = _streamed_counts(fit.scan, held.sample.seen, chunk_rows)
    if encodable.any():
        evaluation, where = filled[encodable], "held-out"
        notes.append(f"{streamed}; held-out error on {len(evaluation)} of the {held.sample.seen} held-out rows")
    else:
        evaluation, where = _training_sample(fit, held), "training"
        notes.append(f"{streamed}; training error on a sample of {len(evaluation)} rows")
    frame = _frame(evaluation, reducer)
    row_errors = reducer.reconstruction_error(frame)
    scaled = reducer.scaler_.transform(evaluation)
    pca_rows = fit.pca.reconstruction_error(scaled)
    error, pca_error = float(np.mean(row_errors)), float(np.mean(pca_rows))
    report = FitReport("ae", dim, fit.scan.n_rows, fit.scan.n_features, reducer.fit_time_, error, where, output,
                       n_epochs=epochs_trained(reducer),
                       pca_error=pca_error if has_pca_bar("ae", dim, fit.scan.n_features, fit.scan.n_rows) else None,
                       kept_pca=reducer.kept_initial_weights_, notes=notes, n_evaluated=len(row_errors),
                       within_noise=within_noise(row_errors, pca_rows),
                       params=dict(params or {}), batch_size=reducer.batch_size_, scaling=reducer.scaling_,
                       default_epochs=default_epochs(reducer))
    # the bar of a model that learned nothing, as the in-memory fit's (a review: --stream saved a collapsed one)
    report.set_variance(scaled, fit.pca.mean)
    check_not_failed(report)
    reducer.fit_summary_ = report.summary()
    reducer.save(output)
    return report


def _streamed_counts(found: Scan, n_held_out: int, chunk_rows: int) -> str:
    """How many rows of the file the fit read (the training pass's and the held-out ones), in how
    many chunks, and how many of the training rows it left out for missing values."""
    missing = found.missing
    chunks = f"{found.n_chunks} chunk{'s' if found.n_chunks != 1 else ''}"
    text = f"streamed {missing.n_rows_ + n_held_out} rows in {chunks} of up to {chunk_rows}"
    if missing.n_not_encodable_:
        text += f" ({missing.n_not_encodable_} of them left out of training for missing values)"
    return text


def _training_sample(fit: StreamFit, source: ChunkSource) -> np.ndarray:
    """Training rows to measure the error on: the validation rows kept by the first pass, else (a
    file too small to hold any out: 5 rows crashed on an empty sample, a review) the first
    POOR_FIT_CHECK_ROWS rows of ``source``."""
    from ._resolve import POOR_FIT_CHECK_ROWS

    X, _ = fit.scan.validation.rows_in_order()
    if not len(X):
        parts, n = [], 0
        for chunk in source.chunks():
            parts.append(chunk.X[: POOR_FIT_CHECK_ROWS - n])
            n += len(parts[-1])
            if n >= POOR_FIT_CHECK_ROWS:
                break
        X = np.concatenate(parts) if parts else X
    filled, encodable = prepare(X, fit.scan.missing)
    return filled[encodable]


def _frame(X: np.ndarray, model: Any) -> Any:
    import pandas as pd

    names = getattr(model, "feature_names_in_", None)
    return pd.DataFrame(X, columns=[str(n) for n in names]) if names is not None else X


def _column_notes(source: FileSource, found: Scan, *, shaped: bool) -> list[str]:
    """:func:`aereduce.usecases.column_notes` of the first chunk (its gaps handled as the fit's policy
    handles them), said of the rows read where there were more chunks; a column holds one value in
    every row where it does in the first chunk and over the training rows of the whole pass."""
    from .usecases import column_notes

    first = source.first_table
    if first is None or not len(first.X):
        return []
    filled, encodable = prepare(first.X, found.missing)
    table, X = (first, filled) if encodable.all() else (first.take(encodable), filled[encodable])
    if not len(X):
        return []
    names = list(found.feature_names or first.feature_names)
    moments = found.moments
    constant = [name for j, (name, low, high) in enumerate(zip(names, moments.minimum, moments.maximum))
                if low == high and bool(np.all(X[:, j] == low))]
    part = f"the first {len(first.X):,} rows" if found.n_chunks > 1 else None
    return column_notes(_pandas().DataFrame(X, columns=names), table, shaped=shaped, constant=constant, part=part)


def _notes_table(source: FileSource, found: Scan) -> Any:
    """A table standing for the whole file in :func:`aereduce.usecases.table_notes`."""
    empty = np.empty((0, found.n_features))
    if source.last_table is None:
        return Table(X=empty, feature_names=list(found.feature_names or []))
    # The regrouped columns were read alike by the passes after the first (FileSource.settle); no
    # id, label or row numbers are needed here.
    return replace(source.last_table, X=empty, row_numbers=None, ids=None, labels=None, regrouped=[],
                   non_numeric_counts=dict(source.non_numeric_counts), non_numeric_cells=[])


__all__ = ["CHUNK_ROWS", "ChunkSource", "FileSource", "IterableSource", "STREAM_ABOVE_BYTES", "fit_stream",
           "should_stream"]
