"""Tables in and out: CSV/TSV (plain or gzip), Parquet and NumPy files, with clear errors and atomic writes.

Reading
-------
:func:`read_table` reads a whole file into a :class:`Table`; :func:`iter_tables` reads it as
successive :class:`Table` chunks of ``chunksize`` rows, so memory stays flat. A ``Table``
holds the *raw* feature values (``NaN`` where a value is missing), the 1-based row number of
every row in the file, the id and label columns carried beside the features, and the
columns it skipped. Nothing is imputed and no row is dropped while reading: one table row
per input row, in input order.

Missing values are handled afterwards by a small fitted object, :class:`MissingValues`,
whose ``to_dict``/``from_dict`` let a saved model reuse the training means at transform
time. :func:`output_frame` puts results back on every input row, leaving the cells of rows
that could not be encoded empty, so output rows never shift against input rows::

    table = read_table("data.csv", missing="mean", id_column="id")
    missing = MissingValues("mean").fit(table)
    X, encodable = missing.apply(table)
    codes = model.fit(X[encodable]).transform(X[encodable])
    write_table("codes.csv", output_frame(codes, names, table, encodable))

Row numbers
-----------
Messages and :attr:`Table.row_numbers` number rows as an editor numbers lines, counting the
header line: the first data row under a header is row 2. Blank lines are skipped but still
counted. (A quoted field that spans several lines counts as one row, so after one the
numbers fall behind the editor's.) Parquet and NumPy rows are numbered from 1.

Errors
------
Every error is an :class:`~aereduce.errors.InputError` whose message is one line naming the
file, the row and/or column where there is one, and what to do about it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import itertools
import math
import os
import re
import stat
import sys
import warnings
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ._files import atomic_output, interruption
from .errors import InputError, ModelFileError, OptionError, plural

__all__ = [
    "FORMATS", "NAN_POLICIES", "InputError", "MissingValues", "Table", "TableWriter", "default_output",
    "format_of", "iter_tables", "output_frame", "read_table", "reading", "write_table",
]

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".npy": "npy", ".npz": "npz"}
TEXT_FORMATS = ("csv", "tsv")
NAN_POLICIES = ("error", "drop", "zero", "mean")
# What became of the rows --nan drop leaves out, in a command's note (MissingValues.summary).
NOT_ENCODED = "were not encoded; their output rows are empty"
NOT_SCORED = "were not scored; their output rows are empty"  # score's word for the same rows
NOT_DENOISED = "were not denoised; their output rows are empty"  # denoise's (it said "not encoded": trial 23)
LEFT_OUT_OF_TRAINING = "were left out of training"
DELIMITERS = (",", ";", "\t", "|")
MODEL_SUFFIX = ".aer"  # what fit names a model file

# pandas' default NA strings (pandas.io.parsers' STR_NA_VALUES, which is private): the header
# sniffer must call the same cells missing as the parser that reads the rest.
# pandas' missing-value words, and \N, the NULL of MySQL's and PostgreSQL's text exports (trial 44)
NA_STRINGS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "\\N"})
_BOOLS = frozenset({"true", "false"})
# Name of a column past the header's last one: rows with one field too many fill it, so a
# stray field is caught and named instead of pandas shifting every column or dropping it.
_EXTRA = "\x00extra"
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_HEAD_LINES = 100
_HEAD_BYTES = 1 << 20
# A NUL byte this near the start of a text file marks it as binary: git's test (its first 8,000 bytes).
_BINARY_TEST_BYTES = 8000
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Rows whose cells decide whether a column is numeric or text: the first chunk when reading in
# chunks, and no more than this many otherwise, so that read_table (fit) and iter_tables in
# the CLI's 10,000-row chunks (transform) choose the same columns.
_CLASSIFY_ROWS = 10_000

# Columns named as a part of a date or time: whole numbers a fit uses like any measurement, which
# split penguins' map into stripes by year and ordered airquality's by Day (trial 29).
TIME_PART_NAMES = frozenset({"year", "yr", "month", "day", "week", "weekday", "dayofweek", "day_of_week", "hour",
                             "minute", "second", "quarter", "date"})  # date: Garch's 800102 (YYMMDD), trial 48
# Names of a month too short to call one elsewhere (Mo is molybdenum, MON an octane number): no unit of a panel
# (R's Prostitutes, a month over years, is no panel of 12 units)
MONTH_ABBREVIATIONS = frozenset({"mon", "mo", "mth"})
# Names of a time count that is no part of a date (R's sleepstudy's Days, ChickWeight's Time): the
# times of a panel's units, not a date part to note as a feature.
PANEL_TIME_NAMES = TIME_PART_NAMES | frozenset({"time", "days", "period", "wave", "visit", "occasion"})
# A column names the units of a panel (states over years) when it holds at least this many units,
# and at least half of them are measured at more than one time (_panel_units).
PANEL_MIN_UNITS = 5
# ... and the median time holds at least this many units: a survival time shared by chance (R's gehan, 42
# patients in 21 pairs) is no time the units were measured at.
PANEL_MIN_UNITS_PER_TIME = 3


def _pandas():
    import pandas as pd  # imported late: ``aereduce --help`` should not pay for it

    return pd


# -- the table ---------------------------------------------------------------------------------

# What a chunk of rows is part of, for the count of missing values in a message (Table.part).
FILE_PART = "the part of the file read so far"


@dataclass
class Table:
    """Feature values of some rows of a file, with what was read beside them.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_features), float64
        The raw feature values; ``NaN`` where a value is missing (an empty cell, ``NA``, or
        under a policy other than ``"error"`` a non-numeric cell). Never imputed here.
    feature_names : list of str
        The feature columns, in the order of ``X``'s columns.
    row_numbers : ndarray of shape (n_rows,), int64
        The 1-based row of each row in the file, counting the header line (see the module
        docstring); continues across the chunks of :func:`iter_tables`.
    ids, labels : ndarray of shape (n_rows,) or None
        The ``id_column`` and ``label_column`` values, as read (text ids stay text).
    id_name, label_name : str or None
        Their column names.
    groups : ndarray of shape (n_rows,) or None
        The ``group_column`` values, as read: the unit each row measures.
    group_name : str or None
        Its column name.
    skipped_columns : list of str
        Columns left out of the features because no cell in them is a number (in the first
        chunk, for :func:`iter_tables`); the caller prints one note naming them.
    non_numeric_counts : dict of str to int
        Per feature column, the non-numeric cells read as missing (only under a missing-value
        policy other than ``"error"``, which raises on them instead).
    source : str
        The file the rows came from, for messages.
    row_labels_as_ids : bool
        The ids are the file's unnamed first column (pandas' ``to_csv`` index, R's row names),
        taken as row labels rather than as a feature.
    names_made_up : bool
        The text file's first line held only numbers, so it was read as data and the columns were
        named ``x0``, ``x1``, ... (not when ``header=False`` said so).
    encoding_from_model : str or None
        The text encoding the file was read in when it was a saved model's, not the caller's.
    row_labels_left_out : bool
        The file's unnamed first column (a written index) was left out of the features because
        another column is the id.
    """

    X: np.ndarray
    feature_names: list[str]
    row_numbers: np.ndarray | None = None
    ids: np.ndarray | None = None
    id_name: str | None = None
    labels: np.ndarray | None = None
    label_name: str | None = None
    # the --group-column's values, as read: the unit each row measures (a state over years), so that
    # fit holds out whole units (None without one)
    groups: np.ndarray | None = None
    group_name: str | None = None
    # (unit column, time columns, units) where the rows look like units measured over time and no
    # --group-column was given (_panel_units; a whole file read at once)
    panel_units: tuple[str, tuple[str, ...], int] | None = None
    skipped_columns: list[str] = field(default_factory=list)
    non_numeric_counts: dict[str, int] = field(default_factory=dict)
    # The first cell of each numeric column that held text, as (column, row number, text).
    non_numeric_cells: list[tuple[str, int, str]] = field(default_factory=list)
    thousands: str | None = None  # the --thousands mark the cells were read with, for messages
    # numeric columns whose numbers like 3.750 were read as 3.75, each with its first such cell: under a
    # decimal comma (:func:`_ungrouped`), or in a ';'-delimited file of decimal points (:func:`_points_like_groups`)
    point_read_columns: dict[str, str] = field(default_factory=dict)
    # columns whose lone groups (3.750, "1,550") were read as thousands only as the file writes its
    # decimals with the other mark beyond doubt (39,1; 82.9), each with its first such cell
    grouped_by_the_file: dict[str, str] = field(default_factory=dict)
    # By feature column, what the file so far says of lone groups (3.750): read as thousands (True) or
    # as decimals (False); a model remembers it, so its commands read every file and chunk as fit did.
    lone_groups: dict[str, bool] = field(default_factory=dict)
    # columns whose lone groups an earlier chunk decided one way and the chunks since show the other
    regrouped: list[str] = field(default_factory=list)
    # skipped text columns of two values (yes/no), each with them, that 0 and 1 would make features
    two_valued_columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    # skipped text columns of numbers that are text only as written, each with why and its first such
    # cell (_numbers_as_text): "comma" for a decimal comma (80,2), "grouped" for numbers a comma may
    # group or mark the decimals of (42,000), "thousands" for numbers the given --thousands mark does
    # not group (39.6 under --thousands .), "unit" for numbers with a unit or a currency ($ 37.13, 8%)
    numbers_as_text: dict[str, tuple[str, str]] = field(default_factory=dict)
    source: str = "data"
    row_labels_as_ids: bool = False  # the id column is an unnamed first column (a written index)
    names_made_up: bool = False  # no header line was found: the columns are x0, x1, ...
    # the sniffed header is a line of whole numbers (0,1,2 or 1990,1991): it could have been a row of data
    numbers_as_names: bool = False
    row_labels_left_out: bool = False  # an unnamed first column, not a feature, and not the id either
    # what the rows are part of, for the count of missing values in a message (a Dask partition's is not a file's)
    part: str = FILE_PART
    # numeric columns written as codes are, with leading zeros (00512) or a letter E (001E1, read as 10),
    # each with its first such cell (:func:`_leading_zero_columns`): read as numbers like any other
    leading_zero_columns: dict[str, str] = field(default_factory=dict)
    # (n_rows,) bool: every field of the file's row is empty, in a file of 2 or more columns (a
    # spreadsheet's ,,,, rows): no sample, never encoded (MissingValues.empty_rows_); None for arrays
    blank_rows: np.ndarray | None = None
    encoding_from_model: str | None = None  # set by the reader of a model's data (usecases.model_tables)
    # (the file's column, the model's column it was read as) where --columns maps them by position
    read_by_position: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.row_numbers is None:
            self.row_numbers = np.arange(1, len(self.X) + 1, dtype=np.int64)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    def features(self) -> Any:
        """The features as a DataFrame, so estimators learn and check the column names."""
        return _pandas().DataFrame(self.X, columns=self.feature_names)

    def missing_counts(self) -> dict[str, int]:
        """Missing cells per feature column, for the columns that have any."""
        counts = np.isnan(self.X).sum(axis=0)
        return {name: int(n) for name, n in zip(self.feature_names, counts) if n}

    def take(self, rows: np.ndarray) -> "Table":
        """The table restricted to ``rows`` (a boolean mask or indices), ids and labels with it."""
        return replace(self, X=self.X[rows], row_numbers=self.row_numbers[rows],
                       ids=None if self.ids is None else self.ids[rows],
                       labels=None if self.labels is None else self.labels[rows],
                       groups=None if self.groups is None else self.groups[rows],
                       blank_rows=None if self.blank_rows is None else self.blank_rows[rows])

    def blank(self) -> np.ndarray:
        """(n_rows,) bool: the file's blank rows (:attr:`blank_rows`); none where nothing says so."""
        return np.zeros(self.n_rows, dtype=bool) if self.blank_rows is None else self.blank_rows

    def followed_by(self, other: "Table") -> "Table":
        """This table's rows, then ``other``'s (a later chunk of the same file), in one table: values,
        row numbers, ids and labels; what was noted of reading them is this table's."""
        def joined(mine: np.ndarray | None, theirs: np.ndarray | None) -> np.ndarray | None:
            return None if mine is None or theirs is None else np.concatenate([mine, theirs])

        return replace(self, X=np.concatenate([self.X, other.X]), row_numbers=joined(self.row_numbers, other.row_numbers),
                       ids=joined(self.ids, other.ids), labels=joined(self.labels, other.labels),
                       groups=joined(self.groups, other.groups), blank_rows=joined(self.blank_rows, other.blank_rows))


# -- missing values ----------------------------------------------------------------------------

class MissingValues:
    """What to do with missing feature values: learnt on training data, reused on new data.

    Parameters
    ----------
    policy : {"error", "drop", "zero", "mean"}
        ``"error"`` raises an :class:`InputError` naming the row and column of the first
        missing value; ``"drop"`` marks rows with any missing value as not encodable (their
        output rows stay empty); ``"zero"`` fills 0; ``"mean"`` fills each column's mean
        over the data given to :meth:`fit`. Under every policy :meth:`fit` refuses a column
        with no value at all, naming ``--exclude`` for it.

    Attributes
    ----------
    feature_names_ : list of str or None
        The columns seen by :meth:`fit`; :meth:`apply` checks new data against them.
    fill_values_ : ndarray or None
        Per column, the value filled in (``"mean"`` and ``"zero"``).
    counts_ : dict of str to int
        Missing cells per column over every :meth:`apply` call (so over all chunks).
    n_rows_, n_not_encodable_ : int
        Rows seen by :meth:`apply`, and how many of them could not be encoded for a missing value.
    empty_rows_ : list of int
        Rows seen by :meth:`apply` with no value in any column (a spreadsheet's ``,,,,`` rows), by
        their row number: never encodable, under every policy, and not counted as missing values.

    Examples
    --------
    >>> import numpy as np
    >>> missing = MissingValues("mean").fit(np.array([[1.0, np.nan], [3.0, 4.0]]))
    >>> X, encodable = missing.apply(np.array([[np.nan, 1.0]]))
    >>> X.tolist(), encodable.tolist()
    ([[2.0, 1.0]], [True])
    >>> MissingValues.from_dict(missing.to_dict()).fill_values_.tolist()
    [2.0, 4.0]
    """

    def __init__(self, policy: str = "error") -> None:
        if policy not in NAN_POLICIES:
            raise InputError(f"unknown missing-value policy {policy!r}; use one of {', '.join(NAN_POLICIES)}")
        self.policy = policy
        self.feature_names_: list[str] | None = None
        self.fill_values_: np.ndarray | None = None
        self.counts_: dict[str, int] = {}
        self.n_rows_ = 0
        self.n_not_encodable_ = 0
        self.empty_rows_: list[int] = []

    def __repr__(self) -> str:
        return f"MissingValues({self.policy!r})"

    def fit(self, X: Table | np.ndarray, feature_names: Sequence[str] | None = None) -> "MissingValues":
        """Learn the columns and, for ``"mean"``, each column's mean ignoring missing values.

        Parameters
        ----------
        X : Table or array of shape (n_rows, n_features)
            Training data; a :class:`Table` also gives the names, file and row numbers.
        feature_names : sequence of str, optional
            Column names when ``X`` is an array (default ``x0``, ``x1``, ...).

        Returns
        -------
        MissingValues
            ``self``.

        Raises
        ------
        InputError
            A column has no value at all (under every policy), or under ``"error"`` a value is missing.
        """
        values, names, rows, source = _unpack(X, feature_names)
        self.feature_names_ = names
        # A column with no value is refused under every policy: zeros would fill it with a constant
        # that carries nothing to reduce (and numpy warned of its empty mean).
        _raise_empty_columns(values, names, source, self.policy)
        if self.policy == "error":
            _raise_first_missing(values, names, rows, source, ids=X.ids if isinstance(X, Table) else None,
                                 blank=_blank(X))
        if self.policy == "mean":
            with np.errstate(invalid="ignore"):
                self.fill_values_ = np.nanmean(values, axis=0).astype(np.float64)
        elif self.policy == "zero":
            self.fill_values_ = np.zeros(values.shape[1])
        return self

    def apply(self, X: Table | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fill or flag the missing values of ``X``, counting them.

        Parameters
        ----------
        X : Table or array of shape (n_rows, n_features)
            Data with the columns seen by :meth:`fit` (a :class:`Table`'s names are checked).

        Returns
        -------
        X_filled : ndarray of shape (n_rows, n_features)
            A filled copy; under ``"drop"`` rows that are not encodable keep their ``NaN``,
            so pass ``X_filled[encodable]`` to a model.
        encodable : ndarray of shape (n_rows,), bool
            Whether each row can be encoded (``False`` only under ``"drop"``).
        """
        if self.feature_names_ is None:
            raise RuntimeError("MissingValues.apply called before fit")
        values, names, rows, source = _unpack(X, None if isinstance(X, Table) else self.feature_names_)
        if len(names) != len(self.feature_names_):
            raise InputError(f"{source}: has {plural(len(names), 'feature column')}; the missing-value settings were "
                             f"learnt on {len(self.feature_names_)}")
        if isinstance(X, Table) and names != self.feature_names_:
            wrong = next(n for n, m in zip(names, self.feature_names_) if n != m)
            raise InputError(f"{source}: column {wrong!r} is not where the missing-value settings expect it; "
                             f"give the columns {shown_names(self.feature_names_)} in that order")
        missing = np.isnan(values)
        # A row with no value at all (",,,," where a spreadsheet's rows were once used) is no sample:
        # never encoded, filled or counted (trial 44: --nan mean fitted such rows as rows of means).
        empty = _blank(X)
        if empty.any():
            self.empty_rows_.extend(rows[empty].tolist())
            missing &= ~empty[:, None]
        if self.policy == "error" and isinstance(X, Table) and X.non_numeric_cells:
            # Text read as missing by a model's reader: say so, not that the cell is empty.
            row_names = None if X.ids is None else dict(zip(rows.tolist(), X.ids))
            raise InputError(f"{source}: non-numeric values in numeric columns: "
                             f"{_cells(X.non_numeric_cells, X.thousands, row_names)}; fix "
                             "them, or read them as missing with --nan mean (or drop, zero)")
        if self.policy == "error":  # a model's commands read a file in chunks: count the chunk's, as such (trial 22)
            _raise_first_missing(values, names, rows, source, part=X.part if isinstance(X, Table) else False,
                                 ids=X.ids if isinstance(X, Table) else None, blank=empty)
        per_column = missing.sum(axis=0)
        for name, n in zip(names, per_column):
            if n:
                self.counts_[name] = self.counts_.get(name, 0) + int(n)
        self.n_rows_ += len(values)
        encodable = ~empty
        if not missing.any():
            return values.copy(), encodable
        if self.policy == "drop":
            dropped = missing.any(axis=1)
            self.n_not_encodable_ += int(dropped.sum())
            return values.copy(), encodable & ~dropped
        return np.where(missing, self.fill_values_, values), encodable

    def fit_apply(self, X: Table | np.ndarray, feature_names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`fit`, then :meth:`apply` on the same data."""
        return self.fit(X, feature_names).apply(X)

    def summary(self, dropped: str = NOT_ENCODED, counted: str | None = None) -> str | None:
        """One line on what :meth:`apply` did, for the command line's note; ``None`` if nothing was missing.

        ``dropped`` says what became of the rows the ``drop`` policy leaves out; ``counted`` names
        the rows :meth:`apply` saw when they are not all of the file's (a streamed fit's training rows).
        """
        total = sum(self.counts_.values())
        if not total:
            return None
        # The columns that miss most come first (file order among equals): the list is cut at 8,
        # and the column behind most of the gaps hid behind "..." (car90's Sratio.m, 85 of 111).
        worst = sorted(self.counts_.items(), key=lambda item: -item[1])
        detail = ", ".join(f"{_show(name)}: {n}" for name, n in worst[:8])
        detail += f", ... ({len(self.counts_)} columns)" if len(self.counts_) > 8 else ""
        if self.policy == "drop":
            if self.n_not_encodable_ == 1:  # "1 of 31 rows have ... and were left out" (trial 38's note)
                dropped = said_of_one_row(dropped)
            have = "has" if self.n_not_encodable_ == 1 else "have"
            line = (f"{self.n_not_encodable_} of {self.n_rows_} {counted or 'rows'} {have} missing values ({detail}) "
                    f"and {dropped}")
            if 2 * self.n_not_encodable_ > self.n_rows_:
                name, n = worst[0]
                line += (f"; that is most rows: --nan mean fills the gaps instead, or --exclude {option_names([name])} "
                         f"leaves out the column with most of them ({n})")
            return line
        how = "the training means" if self.policy == "mean" else "0"
        within = f" in the {self.n_rows_} {counted}" if counted else ""
        return f"filled {plural(total, 'missing value')}{within} with {how} ({detail})"

    def empty_summary(self, dropped: str = NOT_ENCODED) -> str | None:
        """One line on the rows :meth:`apply` met with no value at all (:attr:`empty_rows_`), for the
        command line's note; ``None`` if there were none."""
        rows, n = self.empty_rows_, len(self.empty_rows_)
        if not n:
            return None
        listed = ", ".join(map(str, rows[:5])) + (", ..." if n > 5 else "")
        what = said_of_one_row(dropped) if n == 1 else dropped
        return f"{plural(n, 'row')} ({'row' if n == 1 else 'rows'} {listed}) {'has' if n == 1 else 'have'} no value in any column and {what}"

    def to_dict(self) -> dict[str, Any]:
        """The fitted settings as plain JSON-safe data (for a model file)."""
        return {"policy": self.policy, "feature_names": self.feature_names_,
                "fill_values": None if self.fill_values_ is None else [float(v) for v in self.fill_values_]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MissingValues":
        """The settings written by :meth:`to_dict`.

        Raises
        ------
        ModelFileError
            If ``data`` is not such a record.
        """
        try:
            obj = cls(data["policy"])
            names, fill = data["feature_names"], data["fill_values"]
            if names is not None:
                obj.feature_names_ = [str(n) for n in names]
            if fill is not None:
                obj.fill_values_ = np.asarray(fill, dtype=np.float64)
                if obj.feature_names_ is None or obj.fill_values_.shape != (len(obj.feature_names_),):
                    raise ValueError("fill values do not match the columns")
                if not np.isfinite(obj.fill_values_).all():
                    raise ValueError("fill values are not finite")
            elif obj.policy == "mean" and names is not None:
                raise ValueError("no means for policy 'mean'")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"not a valid missing-value record ({exc})") from None
        return obj


def _unpack(X: Table | np.ndarray, feature_names: Sequence[str] | None) -> tuple[np.ndarray, list[str], np.ndarray, str]:
    if isinstance(X, Table):
        assert X.row_numbers is not None  # set in __post_init__
        return X.X, list(X.feature_names), X.row_numbers, X.source
    values = np.asarray(X, dtype=np.float64)
    if values.ndim != 2:
        raise InputError(f"data: expected a 2-D array (rows x features), got shape {values.shape}")
    if feature_names is not None and len(feature_names) != values.shape[1]:
        raise InputError(f"data: has {plural(values.shape[1], 'feature column')}; the missing-value settings were "
                         f"learnt on {len(feature_names)}")
    names = [str(n) for n in feature_names] if feature_names is not None else [f"x{i}" for i in range(values.shape[1])]
    return values, names, np.arange(1, len(values) + 1), "data"


def shown_mark(mark: str) -> str:
    """A mark as an option's value in a message: a space quoted, so that it shows."""
    return repr(mark) if mark.isspace() else mark


def said_of_one_row(dropped: str) -> str:
    """What became of rows (:data:`NOT_ENCODED`, :data:`LEFT_OUT_OF_TRAINING`: "were ...; their output
    rows are empty") said of one row."""
    return (re.sub(r"^were\b", "was", dropped).replace("their output rows are empty", "its output row is empty")
            .replace("as they cannot", "as it cannot"))


# A row that holds the sum of the other rows in at least this share of the columns (and two) is a
# spreadsheet's totals row: no sample, and its values, n times the others', stretch every scale.
TOTALS_ROW_SHARE = 0.5
TOTALS_ROW_RTOL = 5e-3  # a total written rounded (a sum of 150.37 shown as 150)


def columns_holding_sums(candidates: np.ndarray, sums: np.ndarray, second_largest: np.ndarray) -> np.ndarray:
    """Per row of ``candidates``, the number of columns where it holds the sum of the other rows
    (``sums`` less itself) and is larger in size than any other row (``second_largest``: each
    column's second largest absolute value), where it does so in at least :data:`TOTALS_ROW_SHARE`
    of the columns in which that sum is not 0, and in two; else 0. Being the largest keeps out a row
    of a sparse table of counts that matches small sums by chance (a review: [1, 1, 0, 0] among rows
    whose 1s in those columns add up to 1)."""
    others = sums - candidates
    # a sum of 0 counts no column; summed in chunks it may be 2e-16 (a review)
    counted = np.abs(others) > 1e-9 * (np.abs(sums) + second_largest)
    held = (np.isclose(candidates, others, rtol=TOTALS_ROW_RTOL, atol=0) & counted
            & (np.abs(candidates) > second_largest))
    n_sums = held.sum(axis=1)
    return np.where(n_sums >= np.maximum(2, TOTALS_ROW_SHARE * counted.sum(axis=1)), n_sums, 0)


def second_largest(X: np.ndarray) -> np.ndarray:
    """Each column's second largest absolute value (0 for a column of fewer than two rows)."""
    if len(X) < 2:
        return np.zeros(X.shape[1])
    return np.partition(np.abs(X), len(X) - 2, axis=0)[len(X) - 2]


def totals_rows(X: np.ndarray, rows: np.ndarray) -> dict[int, int]:
    """The rows among ``rows`` (a boolean mask of ``X``'s rows, 4 or more; NaN where a value is
    missing) that hold the sums of the others' values (:func:`columns_holding_sums`), with how many
    columns they do (trial 44: a totals row at the end of a table gave a model that rebuilt the real
    rows worse than their mean, under a held-out error of 4e-08)."""
    if rows.sum() < 4 or not X.shape[1]:
        return {}
    kept = X[rows]
    sums, second = np.nansum(kept, axis=0), second_largest(np.nan_to_num(kept))  # a missing value adds nothing
    found = {}
    for start in range(0, len(X), 10_000):  # in blocks: a wide file's rows at once would double its memory
        n_sums = columns_holding_sums(X[start:start + 10_000], sums, second)
        hits = rows[start:start + 10_000] & (n_sums > 0)
        found.update({start + int(i): int(n_sums[i]) for i in np.flatnonzero(hits)})
    return found


def totals_row_said(row: int, name: Any, n_sums: int, n_columns: int) -> str:
    """How the notes and refusals name a totals row (:func:`totals_rows`, :class:`TotalsWatch`)."""
    return (f"{row_named(row, name)} holds the sums of the other rows in {n_sums} of its {n_columns} columns, as a "
            "totals row does")


# Columns beyond which a streamed fit looks for no totals row: it keeps a row per column (a review: 20,000
# columns would hold 3 GB), and images or wide measurements are no spreadsheet's table with a SUM row.
TOTALS_WATCH_MAX_COLUMNS = 1000


class TotalsWatch:
    """:func:`totals_rows` over rows met in chunks (a streamed fit's pass): each column's sum and two
    largest sizes, and the rows holding a column's largest, which alone can be totals rows."""

    def __init__(self) -> None:
        self.sums: np.ndarray | None = None
        self.largest = self.second = np.zeros(0)
        self.holder = np.zeros(0, dtype=np.int64)  # per column, the row number of its largest
        self.values: dict[int, np.ndarray] = {}  # the holders' rows
        self.ids: dict[int, Any] = {}  # and their ids, to name them by
        self.n_rows = 0

    def add(self, X: np.ndarray, rows: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Take in the rows ``X`` (NaN where missing), numbered ``rows``, with their ``ids`` if any."""
        if not len(X) or X.shape[1] > TOTALS_WATCH_MAX_COLUMNS:
            return
        if self.sums is None:
            self.sums, self.largest, self.second = np.zeros(X.shape[1]), np.zeros(X.shape[1]), np.zeros(X.shape[1])
            self.holder = np.full(X.shape[1], -1, dtype=np.int64)
        self.n_rows += len(X)
        self.sums += np.nansum(X, axis=0)
        size = np.abs(np.nan_to_num(X))
        top = size.argmax(axis=0)
        best = size[top, np.arange(X.shape[1])]
        chunk_second = second_largest(size)
        wins = best > self.largest
        self.second = np.where(wins, np.maximum(self.largest, chunk_second), np.maximum(self.second, best))
        self.largest = np.where(wins, best, self.largest)
        for j in np.flatnonzero(wins):
            self.holder[j] = rows[top[j]]
            self.values[int(rows[top[j]])] = X[top[j]].copy()
            self.ids[int(rows[top[j]])] = None if ids is None else ids[top[j]]
        holders = set(self.holder.tolist())
        self.values = {row: v for row, v in self.values.items() if row in holders}
        self.ids = {row: name for row, name in self.ids.items() if row in holders}

    def found(self) -> dict[int, int]:
        """The rows that hold the sums of the others, by row number, with how many columns they do."""
        if self.sums is None or self.n_rows < 4 or not self.values:
            return {}
        numbers = list(self.values)
        n_sums = columns_holding_sums(np.vstack([self.values[r] for r in numbers]), self.sums, self.second)
        return {row: int(n) for row, n in zip(numbers, n_sums) if n}


def row_named(row: int, name: Any = None, within: bool = False) -> str:
    """``row 5``, and the row's id where it has one: ``row 5 (id 'Hornet 4 Drive')``, or ``row 5, id
    'Hornet 4 Drive'`` ``within`` parentheses. Row numbers are the file's lines, which a table of R's
    row names does not show (trial 39)."""
    shown = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name).strip()[:40]
    if not shown:
        return f"row {row}"
    return f"row {row}, id {shown!r}" if within else f"row {row} (id {shown!r})"


def _cells(cells: Sequence[tuple[str, int, str]], thousands: str | None = None,
           row_names: Mapping[int, Any] | None = None) -> str:
    """Non-numeric cells for a message: ``'b' (row 22: 'x')``, one per column, with the row's id where
    ``row_names`` has one (:func:`row_named`); with why a cell holding the ``--thousands`` mark is one
    (``4.1`` under ``--thousands .``)."""
    listed = ", ".join(f"{name!r} ({row_named(row, (row_names or {}).get(row), within=True)}: {value!r})"
                       for name, row, value in cells)
    # only for cells of digits and the mark ('4.1'), not for text that holds it ('n.a.')
    if thousands is not None and any(thousands in value and re.fullmatch(r"[\d\s.,'+-]+", value) for _, _, value in cells):
        listed += (f", as --thousands {shown_mark(thousands)} reads {thousands!r} only between groups of three digits "
                   f"(3{thousands}750)")
    return listed


def empty_columns_error(empty: Sequence[str], source: str, policy: str) -> InputError:
    """The error for training columns with no value at all, naming --exclude at once: a user was
    sent round three errors (the first missing cell, then under --nan drop that no row was left,
    then under --nan mean the empty column) before reaching it (trial 12)."""
    why = ", so it has no mean to fill with" if policy == "mean" else ""
    return InputError(f"{source}: column {empty[0]!r} has no values{why}; "
                      f"leave it out with --exclude {option_names(empty)}")


def _raise_empty_columns(X: np.ndarray, names: Sequence[str], source: str, policy: str) -> None:
    """Refuse the training columns of X with no value at all (:func:`empty_columns_error`)."""
    if not len(X):
        return
    # An empty column is missing in the first row: only those columns are read whole.
    candidates = np.flatnonzero(np.isnan(X[0]))
    empty = [names[j] for j in candidates[np.isnan(X[:, candidates]).all(axis=0)]]
    if empty and len(empty) == len(names):  # --exclude of every column would leave nothing (trial 22)
        raise InputError(f"{source}: {'its feature column' if len(names) == 1 else 'every feature column'} "
                         f"({shown_names(names)}) is empty: there are no numbers to fit on; check that the "
                         "file holds them, and the delimiter (--sep) and decimal mark (--decimal)")
    if empty:
        raise empty_columns_error(empty, source, policy)


def _blank(X: Table | np.ndarray) -> np.ndarray:
    """Which rows of ``X`` are blank rows of a file (:meth:`Table.blank`; none in an array)."""
    return X.blank() if isinstance(X, Table) else np.zeros(len(X), dtype=bool)


# How the library's refusals of a missing value name the policies (the command line turns nan='drop' into
# --nan drop; fit_stream given a path names the FileSource that takes them)
NAN_POLICIES_ADVICE = "pass nan='drop', nan='zero' or nan='mean'"


def _raise_first_missing(X: np.ndarray, names: Sequence[str], rows: np.ndarray, source: str,
                         part: bool | str = False, ids: np.ndarray | None = None,
                         blank: np.ndarray | None = None) -> None:
    """Refuse the first missing value of X; ``part``: X is one chunk of a file read in chunks, so the
    count of the others is of the rows read so far (a streamed fit's first 10,000 held 9,084 of
    movies' 53,573 missing budgets, and said 'and 9083 more' as if that were the file's), or what
    else X is a part of (:attr:`Table.part`); ``ids``: the rows' ids, to name the row by (:func:`row_named`).
    ``blank``: the file's blank rows (:attr:`Table.blank_rows`), whose cells are no missing values."""
    missing = np.isnan(X) if blank is None else np.isnan(X) & ~blank[:, None]
    if missing.any():
        r, c = np.argwhere(missing)[0]
        more = int(missing.sum()) - 1
        where = f" in rows {rows[0]}-{rows[-1]}, {part if isinstance(part, str) else FILE_PART}" if part else ""
        raise InputError(f"{source}: {row_named(rows[r], None if ids is None else ids[r])}, column {names[c]!r} is missing"
                         + (f" (and {plural(more, 'more missing value')}{where})" if more else "")
                         + f"; fill it, or {NAN_POLICIES_ADVICE}")


# -- file formats ------------------------------------------------------------------------------

def _split_suffix(name: str) -> tuple[str, str]:
    """``data.csv.gz`` -> (``data``, ``.csv.gz``); the suffix is ``""`` when it is not a table's."""
    lower = name.lower()
    if lower.endswith(".gz"):
        inner = Path(name[:-3]).suffix.lower()
        if FORMATS.get(inner) in TEXT_FORMATS:
            return name[: -3 - len(inner)], name[-3 - len(inner):]
        return name[:-3], name[-3:]
    suffix = Path(name).suffix
    return (name[: -len(suffix)], suffix) if suffix.lower() in FORMATS else (name, "")


def format_of(path: str) -> str:
    """The file format from the suffix: ``csv``, ``tsv``, ``parquet``, ``npy`` or ``npz``.

    ``-`` (stdin/stdout), a name without a suffix (a pipe such as ``/dev/fd/63`` from
    ``<(...)``) and ``.gz`` files are text (CSV, TSV for ``.tsv.gz``); the delimiter is
    sniffed when reading anyway.
    """
    if path == "-":
        return "csv"
    if os.path.isdir(path) and parquet_files(path):
        return "parquet"  # a folder of Parquet files, read as one table
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        inner = Path(name[:-3]).suffix
        if inner and FORMATS.get(inner) not in TEXT_FORMATS:
            raise InputError(f"{path}: only text tables (.csv.gz, .tsv.gz) are read compressed; decompress it first")
        return FORMATS.get(inner, "csv")
    suffix = Path(name).suffix
    if not suffix:
        return "csv"
    if suffix == MODEL_SUFFIX:
        # Read or written: DATA given a model, or -o a model's name for a table.
        raise InputError(f"{path}: .aer is an aereduce model's suffix, and a table is meant here; use .csv, .tsv, "
                         ".csv.gz, .parquet, .npy or .npz")
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown file type {suffix!r}; use .csv, .tsv, .csv.gz, .parquet, .npy or .npz")
    return FORMATS[suffix]


def _show(name: Any) -> str:
    """A column name for a one-line message: control characters (a quoted newline) escaped, and
    pandas' name for an unnamed first column said to be that (it is what an option must give it)."""
    text = str(name)
    return (text if text.isprintable() else repr(text)[1:-1]) + unnamed_note(text)


# Past this magnitude a value's square overflows float64 in the column's variance (trial 37: one cell
# of 1e300 failed the fit as "MSE nan ... lower --lr", which could not help).
LARGEST_VALUE = 1e150


def refuse_unusable_values(X: np.ndarray, rows: np.ndarray, columns: Sequence[str], source: str,
                           largest: float = np.inf, ids: np.ndarray | None = None) -> None:
    """Refuse an infinite value, or one beyond ``largest`` (a fit's :data:`LARGEST_VALUE`: too large to
    scale), naming its row (and the row's id, from ``ids``, as a missing value's message does) and column."""
    with np.errstate(invalid="ignore"):
        unusable = np.isinf(X) | (np.abs(X) > largest)
    if unusable.any():
        r, c = np.argwhere(unusable)[0]
        what = "is infinite" if np.isinf(X[r, c]) else f"holds {X[r, c]:g}, too large to scale (beyond {largest:g})"
        row = row_named(rows[r], None if ids is None else ids[r])
        raise InputError(f"{source}: {row}, column {columns[c]} {what}; fix or remove that value")


def option_names(names: Sequence[Any]) -> str:
    """Column names as ``--columns`` and ``--exclude`` take them, to paste into a shell: comma-separated,
    a comma within a name written ``\\,`` (review: the advice "--exclude Preis, EUR" failed when
    followed), a name with a space or quote quoted (trial 37: "--exclude Unnamed: 8" failed)."""
    import shlex

    return ",".join(shlex.quote(str(name).replace(",", "\\,")) if str(name).isprintable() else _show(name)
                    for name in names)


def described_column(name: Any) -> str:
    """A column name quoted for a message; the unnamed first column said to be that, not named by
    pandas' 'Unnamed: 0' (trial 21 read it in ``inspect``)."""
    return "(the unnamed first column: row names)" if name == UNNAMED_FIRST_COLUMN else repr(name)


def unnamed_note(name: Any) -> str:
    """What follows a column's name where it is pandas' name for an unnamed first column ("")."""
    return " (the unnamed first column)" if name == UNNAMED_FIRST_COLUMN else ""


def shown_names(columns: Sequence[Any], limit: int = 8) -> str:
    """Column names for a message: the first ``limit``, then how many there are in all."""
    shown = ", ".join(_show(c) for c in list(columns)[:limit])
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > limit else "")


def columns_hint(name: str, names: Sequence[str]) -> str:
    """The columns there are, after the likeliest one meant (the same but for case, or a near
    spelling), which a list cut at 8 names could hide."""
    near = near_name(name, names)
    # an option's names are comma-separated: one with a comma in it is written with \, there
    escaped = (near or "").replace(",", "\\,")
    written = f" (written '{escaped}' in a list of names)" if near and "," in near else ""
    return (f"did you mean {near!r}{written}? " if near else "") + f"columns are {shown_names(names)}"


def near_name(name: str, names: Sequence[str], cutoff: float = 0.6) -> str | None:
    """The one of ``names`` likeliest meant by ``name``: the same but for case, or a near spelling
    (difflib's ratio at least ``cutoff``)."""
    import difflib

    near = [n for n in names if n.lower() == name.lower()] or difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    return near[0] if near else None


def _quote_list(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


# -- text input: one open, a sniffed head, a replaying stream ----------------------------------

class _Prefixed(io.RawIOBase):
    """A binary stream that first replays ``prefix`` (bytes already read to sniff), then the rest."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _writes_nul(codec_name: str) -> bool:
    """Whether the encoding writes NUL bytes in ordinary text (UTF-16 and UTF-32 do)."""
    try:
        return b"\x00" in "\n".encode(codec_name)
    except (LookupError, UnicodeError):  # not a text encoding (rot13): the decoder says what it can
        return False


# pandas' C parser's words for any exception its call of a source's read() raised.
_READ_FAILED = "Calling read(nbytes) on source failed"


class _TextSource(io.TextIOBase):
    """Decoded text of a file, read once, block by block, for both the sniffer and pandas.

    The sniffer looks at a head of the text (:meth:`head`) without consuming it; after
    :meth:`skip` passes over the header, pandas reads the rest through :meth:`read`, which
    hands out whole lines and notes the blank ones (pandas skips them), so that
    :meth:`rows` can turn pandas' record numbers into the file's row numbers. This is what
    lets pipes and stdin work: nothing is read twice, and nothing is held beyond a block.
    """

    def __init__(self, stream: BinaryIO, path: str, encoding: str) -> None:
        self._stream = stream
        self._path = path
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}; give a name such as 'utf-8', 'latin-1' or 'cp1252'") from None
        self.encoding_name = encoding
        # utf-8-sig reads plain UTF-8 too, and drops the byte-order mark Excel writes.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig" if codec.name == "utf-8" else codec.name)("strict")
        self._buf = ""
        self._eof = False
        self._fresh = True
        # The file's first bytes, looked at for NULs (:meth:`_refuse_binary`), unless the encoding writes them
        # itself (UTF-16, UTF-32): then None.
        self._start: bytes | None = None if _writes_nul(codec.name) else b""
        self._cr_only: bool | None = None
        self.line = 1  # file line number of the start of ``_buf``
        self.base_line = 1  # file line of the first line handed to pandas
        self._blank: list[int] = []
        self.set_delimiter(",")
        # Records with too few fields, noted as pandas reads (it pads them with missing values,
        # which shifts every value after the gap into the wrong column): the first one's
        # (row, fields). ``_open`` holds the lines of a quoted record that runs past a block.
        self._width: int | None = None
        self.bad_record: tuple[int, int] | None = None
        self._trailing = 0
        self._open: list[str] = []
        self._open_line = 0
        self._continued: list[int] = []  # rows that continue a record (line breaks in quoted fields)
        self._skipped_above = 0  # blank and continuing lines above the rows :meth:`rows` has numbered
        self._continued_above = 0  # of them, the continuing ones

    def readable(self) -> bool:
        return True

    def set_delimiter(self, sep: str) -> None:
        """A line of only the delimiter is a row of empty fields, not a blank line pandas skips."""
        chars = "".join(c for c in " \t\r\f\v" if c != sep).replace("\t", r"\t").replace("\r", r"\r")
        chars = chars.replace("\f", r"\f").replace("\v", r"\v")
        # A newline followed by a blank line; the lookahead finds runs of them. Starting with a
        # literal newline lets the regex engine skip along quickly (no per-position ^ test).
        self._blank_re = re.compile(rf"\n(?=[{chars}]*\n)")
        self._blank_start = re.compile(rf"[{chars}]*\n")
        self._sep = sep

    def _fill(self) -> None:
        raw = self._stream.read(1 << 16)
        if self._fresh and raw[:2] in _UTF16_BOMS:
            self._start = None  # UTF-16 text: the decoder below names its byte-order mark
        if self._start is not None and len(self._start) < _BINARY_TEST_BYTES:
            self._start += raw[: _BINARY_TEST_BYTES - len(self._start)]
            self._refuse_binary(self._start)
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            if self._fresh and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise InputError(f"{self._path}: is not {self.encoding_name} text: it starts with a UTF-16 "
                                 "byte-order mark; pass --encoding utf-16 (encoding='utf-16' in Python)") from None
            # Lines handed out, lines decoded but not yet handed out, lines of this block up to the bad byte.
            line = self.line + self._buf.count("\n") + raw[: max(exc.start, 0)].count(b"\n")
            raise InputError(f"{self._path}: row {line} is not valid {self.encoding_name} text (byte "
                             f"0x{exc.object[exc.start:exc.start + 1].hex() or '?'}); give the "
                             "file's encoding, e.g. --encoding latin-1 (encoding='latin-1' in Python; cp1252 for files from "
                             "Excel on Windows)") from None
        self._fresh = False
        if not raw:
            self._eof = True
        if self._cr_only is None and ("\r" in text or "\n" in text):
            # Old Mac files (Excel's "CSV (Macintosh)") end lines with \r alone; the line
            # machinery here and the row numbers count \n, so turn them into \n.
            self._cr_only = "\n" not in text
        if self._cr_only:
            text = text.replace("\r", "\n")
        self._buf += text

    def _refuse_binary(self, start: bytes) -> None:
        """Refuse a file whose first bytes ``start`` hold a NUL, which no text in this encoding does: a
        binary file (a PNG named data.csv was told to try --encoding latin-1), or UTF-16 text without a
        byte-order mark (a NUL beside each ASCII character), which is named so."""
        if b"\x00" not in start:
            return
        even, odd = start[0::2], start[1::2]
        for nuls, chars, order in ((odd, even, "le"), (even, odd, "be")):
            if 2 * nuls.count(0) > len(nuls) and 10 * chars.count(0) < len(chars):
                raise InputError(f"{self._path}: is not {self.encoding_name} text: it looks like UTF-16 without a "
                                 f"byte-order mark (a NUL byte beside each character); pass --encoding utf-16-{order} "
                                 f"(encoding='utf-16-{order}' in Python)")
        raise InputError(f"{self._path}: is not a text file (it holds NUL bytes); give a CSV or TSV table (from a "
                         "spreadsheet, save it as CSV), or a Parquet or NumPy file named .parquet, .npy or .npz")

    def head(self) -> tuple[str, bool]:
        """The first lines of the text, without consuming them, and whether that is all of it."""
        while not self._eof and not (self._buf.count("\n") >= 3
                                     and (len(self._buf) >= _HEAD_BYTES or self._buf.count("\n") >= _HEAD_LINES)):
            self._fill()
        return self._buf, self._eof

    def skip(self, n_chars: int) -> None:
        """Consume the first ``n_chars`` of the head (the header and blank lines above it)."""
        self.line += self._buf.count("\n", 0, n_chars)
        self._buf = self._buf[n_chars:]
        self.base_line = self.line

    # What stopped a read() that pandas' C parser called: it reports any exception there as its own
    # ParserError ("Calling read(nbytes) on source failed"), and Ctrl-C was then called a malformed file.
    failure: BaseException | None = None

    def read(self, size: int | None = -1) -> str:
        try:
            return self._read(size)
        except BaseException as exc:
            self.failure = exc
            raise

    def _read(self, size: int | None = -1) -> str:
        want = size if size is not None and size >= 0 else math.inf
        while not self._eof and len(self._buf) < want:
            self._fill()
        while not self._eof and "\n" not in self._buf:
            self._fill()
        if self._eof and want >= len(self._buf):
            cut = len(self._buf)
        else:
            # Whole lines only, so a blank line is always seen whole; a line longer than
            # ``size`` goes out whole (pandas' C parser takes any length).
            cut = self._buf.rfind("\n", 0, int(min(want, len(self._buf)))) + 1 or self._buf.find("\n") + 1 or len(self._buf)
        out, self._buf = self._buf[:cut], self._buf[cut:]
        self._note_records(out)
        self._note_blank_lines(out)
        return out

    def expect_fields(self, width: int, trailing: int = 0) -> None:
        """From here on, note the first record of other than ``width`` fields in :attr:`bad_record`
        (``trailing`` more, empty, allowed: a file written with that many delimiters at the end of
        every row), and the lines that continue a record (a quoted field over several lines) for
        :meth:`rows`."""
        self._width, self._trailing = width, trailing

    def _note_records(self, text: str) -> None:
        # ``text`` starts at the start of a line and ``self.line`` is its row (read() runs this
        # before counting the block's lines).
        width, sep = self._width, self._sep
        if width is None:
            return
        check_fields = self.bad_record is None
        if not self._open and self._whole_lines_in_order(text, width if check_fields else None):
            return
        lines, first_line, carried = _split_lines(text), self.line, bool(self._open)
        if carried:
            lines, first_line = self._open + lines, self._open_line
        self._open = []
        if '"' in text or carried:
            try:
                records = _records(lines, sep, complete=True)
            except csv.Error:
                return
            # A block may end inside a quoted field (one of several lines): carry that record's
            # lines to the next block. The csv module says so only in strict mode, where a quote
            # inside a field (12" pizza) is a character, as it is to pandas.
            if records and _ends_inside_quotes(lines[records[-1][0]:], sep):
                start = records.pop()[0]
                if sum(map(len, lines[start:])) > _MAX_OPEN_RECORD:
                    self._width = None  # no field runs this long: pandas reports the quote or reads it as text
                    return
                self._open, self._open_line = lines[start:], first_line + start
        else:
            records = [(i, 1, line.split(sep)) for i, line in enumerate(lines) if not _is_blank(line, sep)]
        for line_index, span, fields in records:
            row = first_line + line_index  # every line but a block's last ends in a newline
            if span > 1:  # pandas counts this record once: rows below it move down
                self._continued.extend(range(row + 1, row + span))
            if check_fields and self.bad_record is None:
                n_fields = _wrong_width(fields, self._width or 0, self._trailing)
                if n_fields is not None:
                    self.bad_record = (row, n_fields)

    def _whole_lines_in_order(self, text: str, width: int | None) -> bool:
        """Whether ``text`` needs no look line by line, seen at C speed: no line break inside a
        quoted field and, given ``width``, as many delimiters as lines of ``width`` fields have
        (quoted fields, which R writes for every text cell, taken out with their delimiters)."""
        sep = self._sep
        # Quoted fields out: '"[^"]*"' is fast (it starts with a literal). A quote inside a field
        # (12" pizza) can pair wrongly and take delimiters with it, but then the counts disagree and
        # the csv module looks line by line; a doubled quote "" inside a field goes out in two pieces.
        unquoted = _QUOTED_FIELD.sub("", text) if '"' in text else text
        if unquoted.count("\n") != text.count("\n") or unquoted.count('"'):
            return False  # a line break in a quoted field, or a quote that is part of a field
        if width is None:
            return True
        n_lines = unquoted.count("\n") + (not unquoted.endswith("\n") and bool(unquoted))
        n_blank = unquoted.count("\n\n") + unquoted.startswith("\n")
        # Rows ending in delimiters (empty last fields) hold that many more in a file written so.
        ends = sep * self._trailing
        trailing = self._trailing * (unquoted.count(ends + "\n") + unquoted.count(ends + "\r\n")) if ends else 0
        return unquoted.count(sep) == (n_lines - n_blank) * (width - 1) + trailing

    def _note_blank_lines(self, text: str) -> None:
        # ``text`` starts at the start of a line (read() hands out whole lines).
        if self._blank_start.match(text):
            self._blank.append(self.line)
        newline_at, line = 0, self.line
        for match in self._blank_re.finditer(text):
            start = match.start()
            line += text.count("\n", newline_at, start)
            newline_at = start
            self._blank.append(line + 1)
        self.line += text.count("\n")

    def rows(self, start: int, stop: int) -> np.ndarray:
        """File row numbers of pandas' records ``start`` to ``stop - 1`` (0-based, blank lines and
        lines that continue a record excluded): the line each record starts on."""
        k = np.arange(start, stop, dtype=np.int64)
        if not self._blank and not self._continued:
            return self.base_line + self._skipped_above + k
        skipped = np.union1d(np.asarray(self._blank, dtype=np.int64), np.asarray(self._continued, dtype=np.int64))
        line = _lines_past(self.base_line + self._skipped_above, k, skipped)
        if len(line):
            # Frames come in order: the lines skipped above this one's last row count for every later
            # frame; keep their number rather than the lines (a streamed fit reads the file each epoch).
            last = int(line[-1])
            self._skipped_above += int(np.searchsorted(skipped, last, side="right"))
            self._continued_above += sum(n <= last for n in self._continued)
            self._blank = [n for n in self._blank if n > last]
            self._continued = [n for n in self._continued if n > last]
        return line

    def record_line(self, record: int) -> int:
        """File row of pandas' parser error's ``record``: it counts blank lines, not those that
        continue a record (a quoted field's line breaks)."""
        continued = np.asarray(self._continued, dtype=np.int64)
        return int(_lines_past(self.base_line + self._continued_above, np.array([record]), continued)[0])


def _lines_past(first: int, k: np.ndarray, skipped: np.ndarray) -> np.ndarray:
    """The lines of the ``k``-th records counted from line ``first``, when the sorted ``skipped``
    lines start none: each moved down past those at or above it, a fixed point reached in a step
    or two."""
    line = first + k
    while True:
        new = first + k + np.searchsorted(skipped, line, side="right")
        if np.array_equal(new, line):
            return line
        line = new


@contextlib.contextmanager
def _open_binary(path: str) -> Iterator[BinaryIO]:
    """The file (or stdin for ``-``) as a binary stream, opened once and closed after."""
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        yield buffer if buffer is not None else io.BytesIO(sys.stdin.read().encode())
        return
    with reading(path):
        if Path(path).is_dir():
            raise InputError(f"{path}: is a folder, not a data file")
        handle = open(path, "rb")
    with handle:
        yield handle


def _number_re(decimal: str) -> re.Pattern[str]:
    d = re.escape(decimal)
    return re.compile(rf"[+-]?(?:(?:\d+(?:[.{d}]\d*)?|[.{d}]\d+)(?:[eE][+-]?\d+)?|inf|infinity)", re.I)


def _kind(cell: str, number: re.Pattern[str]) -> str:
    """``missing``, ``number`` (booleans too: pandas reads them as numbers) or ``text``."""
    cell = cell.strip()
    if cell in NA_STRINGS:
        return "missing"
    if number.fullmatch(cell) or cell.lower() in _BOOLS:
        return "number"
    return "text"


def _is_blank(line: str, sep: str | None) -> bool:
    """Whether pandas skips ``line`` as blank: only white space, the delimiter not counting as such."""
    return not line.strip(" \t\r\n\f\v".replace(sep, "") if sep else None)


def _split_lines(text: str) -> list[str]:
    # Not str.splitlines: it also splits at \x0c, \x1e, \u2028 and more, which CSV does not.
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _records(lines: Sequence[str], sep: str, complete: bool) -> list[tuple[int, int, list[str]]]:
    """CSV records of the head: (first line index, number of lines, fields), blank lines left out."""
    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += 1
            yield line

    reader = csv.reader(feed(), delimiter=sep, quotechar='"', skipinitialspace=True, strict=False)
    records = []
    while True:
        before = consumed
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            if not complete:
                break  # a quoted field runs past the head; pandas reads it whole later
            raise
        if consumed - before == 1 and _is_blank(lines[before], sep):
            continue
        records.append((before, consumed - before, fields))
    if not complete and records and _ends_inside_quotes(lines[records[-1][0]:], sep):
        records.pop()  # a quoted field runs past the head: the csv module returned what it had of it
    return records


def _ends_inside_quotes(lines: Sequence[str], sep: str) -> bool:
    """Whether ``lines`` (a record's) end inside a quoted field: the csv module in strict mode
    says "unexpected end of data" there, where it would return the record cut short."""
    try:
        for _ in csv.reader(lines, delimiter=sep, quotechar='"', skipinitialspace=True, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _refuse_a_sep_that_splits_nothing(path: str, sep: str, lines: Sequence[str], fmt: str, decimal: str | None) -> None:
    """Refuse a --sep under which the first line is one field where another delimiter (not the
    decimal mark) splits the head's lines alike into several: trial 35's `--sep ';'` on a
    comma-separated file was told of no numeric columns, the header read as one text column."""
    other = _sniff_delimiter(lines, "\t" if fmt == "tsv" else ",")
    if other in (sep, decimal):
        return
    counts = [len(fields) for _, _, fields in _records(lines[:_HEAD_LINES], other, complete=False)]
    # most lines, not the first alone: a one-column file's header may hold a comma ("weight, g")
    if counts and counts[0] > 1 and sum(count == counts[0] for count in counts) >= 0.9 * len(counts):
        raise OptionError(f"{path}: --sep {sep!r} leaves each line one field, but the lines are separated by "
                          f"{other!r}; leave --sep out (it is sniffed), or give --sep {other!r}")


def _sniff_delimiter(lines: Sequence[str], default: str) -> str:
    """The delimiter that splits the head into the most consistent rows of more than one field.

    Ties (without a header, ``1;0,5`` splits on both) go to the delimiter whose cells read as
    numbers more often, then to the suffix's usual delimiter, then to more fields.
    """
    number = _number_re(",")
    best: tuple[Any, ...] | None = None
    for sep in DELIMITERS:
        try:
            records = [f for _, _, f in _records(lines[:_HEAD_LINES], sep, complete=False)]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        counts = [len(f) for f in records]
        later = counts[1:]
        agreement = sum(c == counts[0] for c in later) / len(later) if later else 1.0
        # Cells are stripped of spaces only: a tab or other delimiter left in a cell means the
        # split is wrong ('\t0' in a tab-separated file split at commas).
        kinds = [_kind(c.strip(" "), number) if c.strip(" ") == c.strip() else "text" for fields in records for c in fields]
        present = len(kinds) - kinds.count("missing")
        numeric = kinds.count("number") / present if present else 0.0
        key = (agreement, numeric, sep == default, counts[0])
        if best is None or key > best[0]:
            best = (key, sep)
    return default if best is None else best[1]


# A number written with a decimal comma or point (an exponent allowed), and such a number as a lone
# thousands group of the other reading could write it (1,550 or 3.750), which shows neither mark.
_DECIMAL_NUMBER = {mark: re.compile(rf"[+-]?\d*{re.escape(mark)}\d+(?:[eE][+-]?\d+)?") for mark in (",", ".")}
_OTHER_READING = {",": ".", ".": ","}


def _sure_decimals(cells: Sequence[str], decimal: str) -> list[str]:
    """The ``cells`` (stripped) that write a decimal with ``decimal`` beyond doubt: ``340,5`` or
    ``82.9``, not ``1,550`` or ``3.750``, which could be a thousands group of the other reading."""
    lone = _LONE_GROUP[_OTHER_READING[decimal]]
    return [c for c in cells if _DECIMAL_NUMBER[decimal].fullmatch(c) and not lone.fullmatch(c)]


def _decimal_shown(records: Sequence[list[str]], decimal: str) -> bool:
    """Whether some cell of ``records`` writes a decimal with ``decimal`` beyond doubt (:func:`_sure_decimals`)."""
    return bool(_sure_decimals([c.strip() for fields in records for c in fields], decimal))


def _sniff_decimal(records: Sequence[list[str]], sep: str) -> str:
    """``,`` when the cells write decimals with a comma (``1,5``; possible only if ``sep`` is not one)."""
    if sep == ",":
        # Quoted "2,1" in a comma file may be a pair (a score, a range) as well as a decimal (a review):
        # such columns are skipped with advice to pass --decimal , (refused where they are most of the numbers)
        return "."
    cells = [c.strip() for fields in records for c in fields]
    # Cells that could group thousands (3.750, 1,550) count only where no cell is beyond doubt: a
    # German export's 3 masses of 3.750 g beside 3 lengths of 39,1 write decimal commas (trial 44).
    sure_commas, sure_dots = len(_sure_decimals(cells, ",")), len(_sure_decimals(cells, "."))
    if sure_commas != sure_dots:
        return "," if sure_commas > sure_dots else "."
    n_commas = sum(1 for c in cells if _DECIMAL_NUMBER[","].fullmatch(c))
    n_dots = sum(1 for c in cells if _DECIMAL_NUMBER["."].fullmatch(c))
    return "," if n_commas > n_dots else "."


def _has_header(records: Sequence[list[str]], decimal: str) -> bool:
    """Whether the first record is a header, judged by the types of the records below it.

    A header is text over numbers: the first line has a text cell in a column whose later
    cells are numbers, or has no number at all. A first line whose numbers and texts match
    the columns below (an id, then numbers) is data, so no data row is lost to a guess. One
    exception: increasing whole numbers over decimals, as the ``0,1,2,...`` header pandas writes
    for unnamed columns, or columns named by year (trial 21: ``1990,...,1994`` was read as a data
    row far from every other, and its code was 21 where the rest were near -0.2).
    """
    number = _number_re(decimal)
    first = [_kind(c, number) for c in records[0]]
    if "number" not in first:
        return "text" in first  # a first line of empty cells only is a row of missing values
    later = records[1:]
    for j, kind in enumerate(first):
        kinds = [_kind(r[j], number) for r in later if j < len(r)]
        n_number, n_text = kinds.count("number"), kinds.count("text")
        if kind == "text" and n_number > n_text:
            return True
    cells = [c.strip() for c in records[0]]
    # pandas' to_csv writes its unnamed index's header as an empty first cell over a value in every
    # row: ',0,1,2,3' over '0,0.5,...', or R's years ',1940,...,1960' over row names (trial 27 got
    # the header as a data row, and one more output row than input rows).
    index_header = (len(cells) >= 3 and cells[0] == "" and bool(later)
                    and all(r and r[0].strip() != "" for r in later))
    names = cells[1:] if index_header else cells
    if later and len(names) >= 2 and all(re.fullmatch(r"\d+", c) for c in names) \
            and all(int(a) < int(b) for a, b in zip(names, names[1:])):
        if index_header:
            return True
        written = [c.strip() for r in later for c in r if _kind(c, number) == "number"]
        if written and all(re.search(r"[.eE,]", c) for c in written):
            return True
        # pandas' own 0,1,2,... over a table with whole-number columns as well as decimal ones (trial 38:
        # USArrests' Assault and UrbanPop made the header a 51st row): one column of decimals is enough
        if names == [str(i) for i in range(len(names))]:
            columns = [[r[j].strip() for r in later if j < len(r) and _kind(r[j], number) == "number"]
                       for j in range(len(cells))]
            return any(column and all(re.search(r"[.eE,]", c) for c in column) for column in columns)
    return False


@dataclass
class _TextLayout:
    sep: str
    decimal: str
    names: list[str]
    header: bool
    trailing: int = 0  # written with this many delimiters at the end of every row: as many more, empty, fields
    points_like_groups: dict[str, str] = field(default_factory=dict)  # see _points_like_groups
    decimal_shown: bool = False  # given, or written beyond doubt by some cell (_decimal_shown)
    leading_zeros: dict[str, str] = field(default_factory=dict)  # see _leading_zero_columns


# A whole number written with a leading zero and at least three digits (00512, 0612345678): a
# code's way (ZIP, phone), not a quantity's; 01-12 months and 07 hours are left alone.
_LEADING_ZERO = re.compile(r"0\d{2,}")
_DIGITS_ONLY = re.compile(r"\d+")
# A code with a letter E between digits (001E1, 12E4), which pandas reads as a number in scientific
# notation (10, 120000); exports write an exponent with a sign or a point (1.2E+04, 1e+05).
EXPONENT_CODE = re.compile(r"\d+[eE]\d+")
_DIGITS_OR_EXPONENT_CODE = re.compile(r"\d+(?:[eE]\d+)?")


def _leading_zero_columns(names: Sequence[str], body: Sequence[list[str]]) -> dict[str, str]:
    """Columns whose head cells are all written as whole numbers, some with leading zeros, each with its
    first such cell: codes such as ZIP or phone numbers, which are read as numbers (00512 as 512)
    before any column is chosen, so only the cells as written can tell (trial 39); and columns of
    codes with a letter E (:data:`EXPONENT_CODE`, trial 44's part numbers 001E1, read as 10), with
    the first such cell."""
    found = {}
    for j, name in enumerate(names):
        cells = [cell for fields in body if j < len(fields) for cell in [fields[j].strip()] if cell not in NA_STRINGS]
        if cells and all(_DIGITS_ONLY.fullmatch(cell) for cell in cells):
            first = next((cell for cell in cells if _LEADING_ZERO.fullmatch(cell)), None)
        elif cells and all(_DIGITS_OR_EXPONENT_CODE.fullmatch(cell) for cell in cells):
            coded = [cell for cell in cells if EXPONENT_CODE.fullmatch(cell)]
            first = next((cell for cell in coded if int(re.split("[eE]", cell)[1])), coded[0])  # 001E1 shows it: 10
        else:
            first = None
        if first is not None:
            found[name] = first
    return found


def _points_like_groups(names: Sequence[str], body: Sequence[list[str]]) -> dict[str, str]:
    """Columns of a ';'-delimited file sniffed as written with decimal points whose head cells with a
    point are all like 64.844, as a German export writes 64844 (trial 36's house prices, read as
    64.844 without a word), each with its first such cell: the cells cannot tell, so the fit's note
    names them. None where another column writes a decimal point beyond doubt (5.21): '.' is then
    the file's decimal mark."""
    lone, number = _LONE_GROUP[","], _number_re(".")
    found = {}
    for j, name in enumerate(names):
        cells = [fields[j].strip() for fields in body if j < len(fields)]
        pointed = [cell for cell in cells if "." in cell and number.fullmatch(cell)]
        if any(not lone.fullmatch(cell) for cell in pointed):
            return {}
        if pointed:
            found[name] = pointed[0]
    return found


def _width_source(header: bool) -> str:
    return "the header has" if header else "the first row has"


def _head_lines(source: _TextSource, path: str) -> tuple[list[str], list[str], bool]:
    """The head's lines, those of them to sniff (the whole ones), and whether the head is the whole file."""
    text, eof = source.head()
    lines = _split_lines(text)
    complete = lines if eof or not lines or lines[-1].endswith("\n") else lines[:-1]
    if all(_is_blank(line, None) for line in complete):
        if eof:
            raise InputError(f"{path}: the file is empty; give a table with one row per sample")
        complete = lines  # one huge first line; sniff what there is
    return lines, complete, eof


def _head_records(lines: list[str], sep: str, eof: bool, path: str, fmt: str) -> list[tuple[int, int, list[str]]]:
    """The CSV records of the head's ``lines``, at least one."""
    try:
        records = _records(lines, sep, complete=eof)
    except csv.Error as exc:
        raise InputError(f"{path}: not a well-formed {fmt.upper()} file ({exc}); check the quotes") from None
    if not records:
        raise InputError(f"{path}: the file is empty; give a table with one row per sample")
    return records


def _table_width(first: list[str], body: Sequence[tuple[int, int, list[str]]], header: bool) -> int:
    """The number of columns: the first record's fields, less the empty ones of trailing delimiters."""
    width = len(first)
    # Trailing delimiters on every row (Excel writes a,b,c,, for cells once formatted): empty last
    # names over empty last fields. Drop those columns, as a reader would expect, rather than carry
    # empty 'Unnamed' ones; a row longer than the header is a malformed row to report, not a value
    # of it (the fuzzer's 4,9,5,6, under a,b,c,). (Without a header nothing tells a trailing
    # delimiter from a column of missing values: keep it.)
    while (header and width >= 2 and not first[width - 1].strip()
           and all(len(f) < width or len(f) > len(first) or not f[width - 1].strip() for _, _, f in body)):
        width -= 1
    return width


def _header_names(path: str, cells: list[str]) -> list[str]:
    """The column names of the header ``cells``, ``Unnamed: i`` for empty ones; each name once."""
    names = [c.strip() or f"Unnamed: {i}" for i, c in enumerate(cells)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            first, again = cells[seen[name]], cells[i]
            # names are read without the spaces around them: 'Price' and 'Price ' look alike (trial 44)
            written = f", written {first!r} and {again!r}" if first != again else ""
            raise InputError(f"{path}: the header names column {name!r} twice (columns {seen[name] + 1} and "
                             f"{i + 1}{written}); rename one so that every column has its own name")
        seen[name] = i
    return names


def _wrong_width(fields: list[str], width: int, trailing: int) -> int | None:
    """The number of fields to report if a record of ``fields`` is not one of the table's rows, else
    None: pandas pads a short one, and takes one more for a missing value when it is empty or a
    missing-value word. Where ``trailing`` > 0 (a file written with that many delimiters at the end
    of every row), a row ends in that many more, empty, fields; so ``4,9,`` under ``a,b,c,`` has
    lost one."""
    if trailing and fields and not fields[-1].strip():
        # The last are the empty fields after the row's final delimiters (a row may end in fewer).
        real = len(fields) - 1
        while len(fields) - real < trailing and real > width and not fields[real - 1].strip():
            real -= 1
        return None if real == width else real
    return None if len(fields) == width else len(fields)


def _check_row_widths(path: str, body: Sequence[tuple[int, int, list[str]]], width: int, header: bool,
                      skipped: int, trailing: int) -> None:
    """Raises InputError at the first row of ``body`` with fewer fields than ``width`` or more (but
    ``trailing`` more, empty ones); returns nothing."""
    what = _width_source(header)
    for n, (line_index, _, row) in enumerate(body):
        n_fields = _wrong_width(row, width, trailing)
        if n_fields is not None and n_fields < width:
            raise _wrong_width_error(path, line_index + 1 + bool(skipped), n_fields, header, width)
        if n_fields is not None:
            # One field too many on the first row is R's write.csv(row.names=TRUE) without a name for them.
            hint = (" if the first field is a row name, give it a column name in the header (e.g. 'id') and pass "
                    "--id-column" if header and n == 0 and len(row) == width + 1
                    # trial 39: a report's title line above the table was taken for a header of one column
                    else " if line 1 is a title above the table, delete it so that the header comes first"
                    if header and width == 1 and n == 0
                    else " remove the extra fields, or quote fields that contain the delimiter")
            raise InputError(f"{path}: row {line_index + 1 + bool(skipped)} has {len(row)} fields but {what} {width};{hint}")


def _header_only(path: str) -> InputError:
    """The error for a text file of a header and no data row: seen in the sniffed head, or when the
    first chunk read comes back empty."""
    return InputError(f"{path}: has a header but no data rows; give a file with rows of data under its header")


def _read_layout(source: _TextSource, path: str, fmt: str, sep: str | None, decimal: str | None,
                 header: bool | None) -> _TextLayout:
    """Sniff the head of a text file: delimiter, decimal mark, header and column names.

    Consumes the header (and blank lines above it) from ``source`` and checks the rows in
    the head for stray fields, which pandas would silently turn into an index or drop.
    """
    lines, complete, eof = _head_lines(source, path)
    excel = _EXCEL_SEP.fullmatch(complete[0]) if complete else None
    given_sep = sep
    skipped = 0
    if excel:
        # Excel's "sep=;" first line names the delimiter; it is not part of the table.
        sep = sep or excel.group(1)
        skipped, lines, complete = len(complete[0]), lines[1:], complete[1:]
    if sep is None:
        sep = _sniff_delimiter(complete, "\t" if fmt == "tsv" else ",")
    source.set_delimiter(sep)
    records = _head_records(complete, sep, eof, path, fmt)
    fields = [r[2] for r in records]
    sniffed = decimal is None
    if decimal is None:
        decimal = _sniff_decimal(fields, sep)
    if header is None:
        header = _has_header(fields, decimal)
    first_line, first_span, first = records[0]
    if given_sep is not None and len(first) == 1:
        _refuse_a_sep_that_splits_nothing(path, given_sep, complete, fmt, decimal)
    body = records[1:] if header else records
    width = _table_width(first, body, header)
    if header:
        names = _header_names(path, first[:width])
        consumed = skipped + sum(len(line) for line in lines[: first_line + first_span])
    else:
        names = [f"x{i}" for i in range(width)]
        consumed = skipped
    source.skip(consumed)
    if header and not body and eof:
        raise _header_only(path)
    # Written with a delimiter at the end of every row: the header's (dropped above), or most rows'.
    ending_empty = sum(len(f) == width + 1 and not f[-1].strip() for _, _, f in body)
    trailing = len(first) - width or int(2 * ending_empty > len(body))
    _check_row_widths(path, body, width, header, skipped, trailing)
    points = _points_like_groups(names, [f for _, _, f in body]) if sep == ";" and decimal == "." and sniffed else {}
    return _TextLayout(sep=sep, decimal=decimal, names=names, header=header, trailing=trailing,
                       decimal_shown=not sniffed or _decimal_shown(fields[1 if header else 0:], decimal),
                       points_like_groups=points, leading_zeros=_leading_zero_columns(names, [f for _, _, f in body]))


_QUOTED_FIELD = re.compile(r'"[^"]*"')
_MAX_OPEN_RECORD = 1 << 22  # characters in one quoted record before a quote is taken for a stray one
_EXCEL_SEP = re.compile(r'"?sep=([,;\t|])"?\r?\n')
_PARSER_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PARSER_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _wrong_width_error(path: str, row: int, n_fields: int, header: bool, width: int) -> InputError:
    fix = ("its values would land in the wrong columns: write an empty field for each missing value (e.g. 1,,3)"
           if n_fields < width else "remove the extra fields, or quote fields that contain the delimiter")
    return InputError(f"{path}: row {row} has {n_fields} field{'s' * (n_fields != 1)} but {_width_source(header)} "
                      f"{width}; {fix}")


def _raise_bad_record(path: str, source: _TextSource, layout: _TextLayout, width: int,
                      before: int | None = None) -> None:
    """Raises InputError if ``source`` has handed pandas a record of too few fields (pandas pads
    it) or of one more, empty or a missing-value word (pandas takes it for a missing value), above
    row ``before`` where another error is, so that the first in the file is reported.

    Raised at the next frame, which may end above that record: the read fails either way.
    """
    if source.bad_record is not None and (before is None or source.bad_record[0] < before):
        raise _wrong_width_error(path, *source.bad_record, layout.header, width)


def _text_frames(path: str, fmt: str, chunksize: int | None, *, sep: str | None, decimal: str | None,
                 encoding: str, header: bool | None, verbatim_columns: Sequence[str],
                 layout_out: dict[str, Any]) -> Iterator[tuple[Any, np.ndarray]]:
    pd = _pandas()
    with _open_binary(path) as raw:
        magic = raw.read(4)
        if magic == _PARQUET_MAGIC:  # Parquet keeps its schema at the end: it needs a file to seek in
            where = "stdin" if path == "-" else "a pipe" if not os.path.isfile(path) else "a file named as text"
            raise InputError(f"{path}: this is Parquet, which cannot be read from {where}; give the path of a "
                             ".parquet file")
        stream: BinaryIO = io.BufferedReader(_Prefixed(magic, raw))
        if magic[:2] == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        source = _TextSource(stream, path, encoding)
        try:
            layout = _read_layout(source, path, fmt, sep, decimal, header)
            layout_out["decimal"] = layout.decimal
            layout_out["points_like_groups"] = layout.points_like_groups
            layout_out["decimal_shown"] = layout.decimal_shown
            layout_out["leading_zeros"] = layout.leading_zeros
            layout_out["names_made_up"] = header is None and not layout.header  # sniffed: no header line
            layout_out["numbers_as_names"] = (header is None and layout.header
                                              and all(re.fullmatch(r"\d+", name) for name in layout.names))
            width = len(layout.names)
            source.expect_fields(width, layout.trailing)
            extras = [f"{_EXTRA}{i}" for i in range(max(1, layout.trailing))]
            verbatim = [name for name in layout.names if name in verbatim_columns or name == UNNAMED_FIRST_COLUMN]
            # Ids and labels are read as written: 'NA' is North America or Namibia there, and
            # 'None' a class; only an empty cell is missing. Elsewhere pandas' NA strings are.
            # An extra field is a stray one whatever it holds: 'NA' there is not a missing value (the fuzzer).
            missing_strings = {name: [""] if name in verbatim or name in extras else sorted(NA_STRINGS)
                               for name in [*layout.names, *extras]}
            with _mixed_types_quietly():  # a whole file is parsed here, chunks below (trial 22 saw it leak)
                reader = pd.read_csv(source, sep=layout.sep, decimal=layout.decimal, header=None,
                                     names=[*layout.names, *extras], index_col=False, skipinitialspace=True,
                                     chunksize=chunksize or None, dtype={name: str for name in verbatim} or None,
                                     keep_default_na=False, na_values=missing_strings, engine="c")
            frames = iter([reader] if chunksize is None else reader)
            done = 0
            while True:
                with _mixed_types_quietly():
                    frame = next(frames, None)
                if frame is None:
                    _raise_bad_record(path, source, layout, width)
                    break
                rows = source.rows(done, done + len(frame))
                stray = frame[extras].notna().any(axis=1).to_numpy()
                if stray.any():
                    i = int(np.flatnonzero(stray)[0])
                    _raise_bad_record(path, source, layout, width, before=int(rows[i]))  # the first in the file
                    n_fields = width + 1 + int(np.flatnonzero(frame[extras].iloc[i].notna().to_numpy())[-1])
                    raise InputError(f"{path}: row {rows[i]} has {n_fields} fields but {_width_source(layout.header)} {width}; "
                                     "remove the extra field, or quote fields that contain the delimiter")
                _raise_bad_record(path, source, layout, width)
                frame = frame.drop(columns=extras)
                if len(frame) == 0 and done == 0:
                    raise _header_only(path)
                done += len(frame)
                yield frame, rows
        except pd.errors.ParserError as exc:
            if source.failure is not None:  # Ctrl-C, or a decoding error, inside read(): that, not the parser's words
                raise source.failure from None
            message = str(exc).strip().splitlines()[-1]
            if _READ_FAILED in message:
                # Every error inside read() is kept above, so this one came as read() returned: a signal's
                # (trial 32 was told its file was not well-formed CSV after Ctrl-C).
                raise interruption() from None
            fields, quote = _PARSER_FIELDS.search(message), _PARSER_QUOTE.search(message)
            if fields:
                _raise_bad_record(path, source, layout, width, before=source.record_line(int(fields.group(2)) - 1))
                raise InputError(f"{path}: row {source.record_line(int(fields.group(2)) - 1)} has {fields.group(3)} fields "
                                 f"but {_width_source(layout.header)} {width}; remove the extra fields, or quote fields that contain "
                                 "the delimiter") from None
            if quote:
                raise InputError(f"{path}: the quoted field starting in row {source.record_line(int(quote.group(1)))} "
                                 "never ends; close its quote (\")") from None
            raise InputError(f"{path}: not a well-formed {fmt.upper()} file ({message})") from None
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty; give a table with one row per sample") from None
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: not a readable gzip file ({exc or type(exc).__name__}); "
                             "check that the download or copy is complete") from None


def parquet_files(path: str) -> list[str]:
    """The Parquet files of ``path``: itself, or for a folder every ``.parquet``/``.pq`` file under it,
    sorted by name (a folder without any gives an empty list)."""
    if not os.path.isdir(path):
        return [path]
    found = [p for p in Path(path).rglob("*") if p.suffix.lower() in (".parquet", ".pq") and p.is_file()]
    return [str(p) for p in sorted(found)]


def _open_parquet(path: str) -> Any:
    import pyarrow.parquet as pq

    with reading(path):
        if not Path(path).is_file():
            raise InputError(f"{path}: Parquet is read from a regular file (it needs to seek); "
                             "save it first, or pipe CSV instead")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    names = [str(n) for n in pf.schema_arrow.names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{path}: column {duplicated[0]!r} appears more than once; rename the copies")
    return pf


def _parquet_frames(path: str, chunksize: int | None, row_group_seed: int | None = None
                    ) -> Iterator[tuple[Any, np.ndarray]]:
    """Frames of a Parquet file, or of a folder of them (its files in name order, one table), read
    row group by row group so memory follows the row groups' size; ``row_group_seed`` visits the row
    groups in a random order (a streamed fit's epochs) while rows keep their numbers in the data."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError("reading Parquet needs pyarrow: pip install 'aereduce[parquet]'") from None
    files = [_open_parquet(f) for f in parquet_files(path)]
    if not files:
        raise InputError(f"{path}: the folder holds no .parquet or .pq files; give a Parquet file, or a folder of them")
    names = [str(n) for n in files[0].schema_arrow.names]
    for name, pf in zip(parquet_files(path)[1:], files[1:]):
        if [str(n) for n in pf.schema_arrow.names] != names:
            raise InputError(f"{name}: its columns differ from those of {parquet_files(path)[0]}; "
                             "a folder is read as one table, so give every file the same columns")
    groups: list[tuple[Any, int, int]] = []  # (file, row group, row number of its first row - 1)
    start = 0
    for pf in files:
        for g in range(pf.metadata.num_row_groups):
            groups.append((pf, g, start))
            start += pf.metadata.row_group(g).num_rows
    if start == 0:
        raise InputError(f"{path}: has no data rows")
    if row_group_seed is not None:
        groups = [groups[i] for i in np.random.default_rng(row_group_seed).permutation(len(groups))]
    whole: list[Any] = []
    try:
        for pf, g, first in groups:
            done = first
            for batch in pf.iter_batches(batch_size=chunksize or max(1, start), row_groups=[g]):
                frame = _with_index_columns(batch.to_pandas())
                rows = np.arange(done + 1, done + len(frame) + 1, dtype=np.int64)
                done += len(frame)
                if chunksize is None:
                    whole.append((frame, rows))
                elif len(frame):
                    yield frame.reset_index(drop=True), rows
        if whole:
            pd = _pandas()
            yield (pd.concat([f for f, _ in whole], ignore_index=True) if len(whole) > 1 else whole[0][0].reset_index(drop=True),
                   np.concatenate([r for _, r in whole]))
    except (InputError, MemoryError):  # running out of memory is not the file's fault
        raise
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {str(exc)[:100]})") from None


def _with_index_columns(frame: Any) -> Any:
    """A frame read from Parquet with the index pandas stored in it as leading columns: row labels
    (an unnamed one is named as a CSV's written index is, so it becomes the rows' ids) or a named
    id column, not dropped. A plain row count (pandas stores a RangeIndex as metadata) is no column."""
    pd = _pandas()
    if not isinstance(frame.index, pd.RangeIndex):
        names = [f"Unnamed: {i}" if name is None else name for i, name in enumerate(frame.index.names)]
        frame = frame.reset_index(names=names)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _check_array(path: str, array: np.ndarray) -> None:
    kind = array.dtype.kind
    if kind == "c":
        raise InputError(f"{path}: holds complex numbers ({array.dtype}); save the real and imaginary parts as "
                         "separate columns, e.g. np.hstack([a.real, a.imag])")
    if kind not in "biuf":
        raise InputError(f"{path}: holds {array.dtype} values, not numbers; save a numeric array "
                         "(text columns belong in a CSV or Parquet file)")
    if array.ndim != 2:
        raise InputError(f"{path}: holds an array of shape {array.shape}; give a 2-D array (rows x features)")
    if array.shape[0] == 0:
        raise InputError(f"{path}: has no data rows")


def _numpy_frames(path: str, fmt: str, chunksize: int | None) -> Iterator[tuple[Any, np.ndarray]]:
    pd = _pandas()
    columns: list[str] | None = None
    extras: dict[str, np.ndarray] = {}
    try:
        with reading(path):
            if fmt == "npy":
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                with np.load(path, allow_pickle=False) as npz:
                    key = "X" if "X" in npz.files else (npz.files[0] if npz.files else None)
                    if key is None:
                        raise InputError(f"{path}: the .npz archive holds no arrays")
                    array = npz[key]
                    _check_array(path, array)
                    # What TableWriter writes: column names, and text columns as arrays of their own.
                    if "columns" in npz.files and npz["columns"].shape == (array.shape[1],):
                        columns = [str(c) for c in npz["columns"]]
                    for name in npz.files:
                        if name not in (key, "columns"):
                            value = npz[name]
                            if value.shape == (array.shape[0],):
                                extras[name] = value
    except InputError:
        raise
    except ValueError as exc:
        if any(word in str(exc) for word in ("allow_pickle", "Object arrays", "Python objects")):
            raise InputError(f"{path}: holds Python objects (dtype object), which are not loaded for safety; "
                             "save a numeric array") from None
        raise InputError(f"{path}: not a readable NumPy file ({str(exc).splitlines()[0][:120]})") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable NumPy file ({str(exc).splitlines()[0][:120]})") from None
    _check_array(path, array)
    columns = columns or [f"x{i}" for i in range(array.shape[1])]
    step = chunksize or array.shape[0]
    for start in range(0, array.shape[0], step):
        frame = pd.DataFrame(np.asarray(array[start : start + step]), columns=columns)
        for name, value in extras.items():
            if name not in frame.columns:
                frame[name] = value[start : start + step]
        yield frame, np.arange(start + 1, start + len(frame) + 1, dtype=np.int64)


def _frames(path: str, chunksize: int | None, *, sep: str | None, decimal: str | None, encoding: str,
            header: bool | None, verbatim_columns: Sequence[str], layout: dict[str, Any],
            row_group_seed: int | None = None) -> Iterator[tuple[Any, np.ndarray]]:
    """DataFrames of the file with the row number of each row: one, or chunks of ``chunksize`` rows.

    A text reader records what it sniffed (the decimal mark) in ``layout`` before the first frame.
    """
    fmt = format_of(path)
    if path != "-":
        with reading(path):
            if not os.path.exists(path):
                raise InputError(f"{path}: no such file")
    if fmt in TEXT_FORMATS:
        return _text_frames(path, fmt, chunksize, sep=sep, decimal=decimal, encoding=encoding, header=header,
                            verbatim_columns=verbatim_columns, layout_out=layout)
    if fmt == "parquet":
        return _named_as_in_text(_parquet_frames(path, chunksize, row_group_seed))
    return _named_as_in_text(_numpy_frames(path, fmt, chunksize))


@contextlib.contextmanager
def _mixed_types_quietly() -> Iterator[None]:
    """pandas' DtypeWarning silenced: mixed types in a column are dealt with cell by cell, and its
    advice (dtype=, low_memory=False) is none a command-line user can follow."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _pandas().errors.DtypeWarning)
        yield


def _named_as_in_text(frames: Iterator[tuple[Any, np.ndarray]]) -> Iterator[tuple[Any, np.ndarray]]:
    """A Parquet or NumPy file's column named "" (the unnamed first column TableWriter writes, R's row
    names) under pandas' name for it, as a text file's unnamed column is read: the name a model
    remembers as its id column (a review found the row names lost on a round trip)."""
    for frame, rows in frames:
        yield (frame.rename(columns={"": UNNAMED_FIRST_COLUMN}) if "" in frame.columns else frame), rows


# -- from frames to tables ---------------------------------------------------------------------

# Numbers written with thousands separators, as spreadsheets export them: groups of three digits
# after a first group of one to three (not starting with 0, which no grouped number does). Spaces
# and apostrophes (1 234, 1'234) are always separators. A lone group after the other mark could be
# a decimal instead (1.234 in a file of decimal commas may be a column written with points; 1,500
# in one of points a decimal comma), so that mark counts as a separator only with two groups
# (1.234.567) or with a fraction after the decimal mark (591.417,43; 1,234.5).
_GROUPED = {
    decimal: re.compile(rf"[+-]?[1-9]\d{{0,2}}(?:(?P<sep>[' \u00a0\u202f])\d{{3}}(?:(?P=sep)\d{{3}})*(?:{d}\d+)?"
                        rf"|{g}\d{{3}}(?:{g}\d{{3}})+(?:{d}\d+)?|{g}\d{{3}}{d}\d+)")
    for decimal, d, g in ((",", ",", r"\."), (".", r"\.", ","))
}


_LONE_GROUP = {",": re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}"), ".": re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")}
_PLAIN_INTEGER = re.compile(r"[+-]?\d+")
# The grouping mark followed by other than three digits: a decimal mark (1.5 under decimal commas).
_OTHER_MARK_AS_DECIMAL = {",": re.compile(r"\d\.(?:\d{0,2}|\d{4,})(?!\d)"), ".": re.compile(r"\d,(?:\d{0,2}|\d{4,})(?!\d)")}


@dataclass
class _Grouping:
    """What a column's cells so far say of a lone thousands group (see :func:`_ungrouped`)."""

    grouped: bool = False  # plain integers or cells grouped beyond doubt: an export that groups thousands
    other_decimal: bool = False  # the grouping mark used as a decimal one (1.5 under decimal commas)
    decided: bool | None = None  # lone groups are thousands: fixed at the first chunk that holds one, or given
    lone_cell: str | None = None  # the first lone group read (3.750), for the notes
    # The file writes decimals with the decimal mark beyond doubt (340,5 or 82.9 elsewhere in it), or
    # --decimal named it: the other mark is a thousands one there (trial 44: a German export's 51.216
    # people were read as 51.216 beside 82,90 km2, as nothing in that column grouped thousands otherwise).
    decimal_shown: bool = False

    @property
    def shown(self) -> bool:
        """Whether the cells read so far show either way (grouping, or the other mark as a decimal one)."""
        return self.grouped or self.other_decimal

    def implied(self) -> bool | None:
        """Whether lone groups are thousands by every cell read so far, those after the decision too;
        where they show neither way, the decision (None before any)."""
        return self.grouped and not self.other_decimal if self.shown else self.decided

    @property
    def overturned(self) -> bool:
        """Whether the cells read since the decision show the other way (:attr:`Table.regrouped`)."""
        return self.decided is not None and self.shown and self.decided != self.implied()


def _ungrouped(text: Any, decimal: str, grouping: _Grouping | None = None) -> Any:
    """Cells written with thousands separators (:data:`_GROUPED`), as plain numbers with a point.

    A lone group (``3,260`` under decimal points, ``5.914`` under decimal commas) could also be
    a number written with the other decimal mark, so it is taken for thousands only where the
    column shows grouping: plain integers (diamonds' ``326`` over ``3,260``; an export groups only
    from 1,000) or cells grouped beyond doubt (``591.417,43``), or where the file writes decimals
    with the decimal mark beyond doubt (:attr:`_Grouping.decimal_shown`), and never where the column
    uses the other mark as a decimal one (``1.5``). Trial 18 had both read as decimals, 1,000 times
    too small.
    ``grouping`` carries what earlier chunks of the file showed, and the decision once made (or
    given: a model's, :attr:`Table.lone_groups`), so that every chunk reads the column alike; it
    keeps gathering what later chunks show, which may contradict the decision (:attr:`Table.regrouped`).
    """
    grouping = grouping if grouping is not None else _Grouping()
    grouped = text.str.fullmatch(_GROUPED[decimal]).fillna(False)
    lone = text.str.fullmatch(_LONE_GROUP[decimal]).fillna(False)
    # each chunk adds what it shows; what is known already is not looked for again
    if not grouping.grouped:
        grouping.grouped = bool(grouped.any() or text.str.fullmatch(_PLAIN_INTEGER).fillna(False).any())
    if not grouping.other_decimal:
        grouping.other_decimal = bool((text.str.contains(_OTHER_MARK_AS_DECIMAL[decimal]).fillna(False)
                                       & ~grouped & ~lone).any())
    if grouping.lone_cell is None and lone.any():
        grouping.lone_cell = str(text[lone].iloc[0])
    if grouping.decided is None and lone.any():
        grouping.decided = (grouping.grouped or grouping.decimal_shown) and not grouping.other_decimal
    if grouping.decided:
        grouped |= lone
    if not grouped.any():
        return None
    # Every mark but the decimal one is a separator in a matched cell.
    digits = text[grouped].str.replace(r"[.' \u00a0\u202f]" if decimal == "," else r"[,' \u00a0\u202f]", "", regex=True)
    return digits.str.replace(",", ".", regex=False) if decimal == "," else digits


def _explicitly_grouped(text: Any, decimal: str, thousands: str) -> Any:
    """Cells under a thousands mark the user named (``--thousands .``), as plain numbers with the
    decimal mark: the mark is dropped where it groups threes after a first group of one to three
    digits (``3.750``, ``1.234.567,5``); a cell holding it anywhere else (``1.5``) is made
    unreadable, so it is counted as not a number rather than read as 15 or 1.5."""
    # a space stands for the no-break spaces French exports write too (1\u202f234)
    t = "[ \u00a0\u202f]" if thousands == " " else re.escape(thousands)
    d = re.escape(decimal)
    marked = text.str.contains(t).fillna(False)
    grouped = text.str.fullmatch(rf"[+-]?[1-9]\d{{0,2}}(?:{t}\d{{3}})+(?:{d}\d+)?").fillna(False)
    return text.mask(marked & grouped, text.str.replace(t, "", regex=True)).mask(marked & ~grouped, "?")


def _to_float(column: Any, decimal: str, grouping: _Grouping | None = None,
              thousands: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A column as float64, and which cells held something that is not a number.

    Booleans are 1/0; ``TRUE``/``false`` text too, as pandas reads a column of them. Numbers
    with thousands separators (``591.417,43`` under a decimal comma, ``1,234.5``) are read too:
    a spreadsheet's export lost such a column as text (trial 13). A mark named by ``thousands``
    is read as one wherever it groups digits (:func:`_explicitly_grouped`), and only it.
    """
    pd = _pandas()
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        # plain integers (a chunk of prices under 1,000): see _ungrouped; pandas reads them as floats
        # beside an empty cell (review). Looked for only until found: this runs on every numeric column.
        if grouping is not None and not grouping.grouped and len(column):
            grouping.grouped = pd.api.types.is_integer_dtype(column) or bool(whole_valued(values[:, None])[0]
                                                                             and np.isfinite(values).any())
        return values, np.zeros(len(column), dtype=bool)
    present = column.notna().to_numpy()
    text = column.astype("str").str.strip()
    lower = text.str.lower()
    text = text.mask(lower == "true", "1").mask(lower == "false", "0")
    if thousands is not None:
        text = _explicitly_grouped(text, decimal, thousands)
    ungrouped = _ungrouped(text, decimal, grouping) if decimal in _GROUPED and thousands is None else None
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    if ungrouped is not None:
        text = text.where(~text.index.isin(ungrouped.index), ungrouped.reindex(text.index))
    values = pd.to_numeric(text.where(present, None), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    blank = (lower == "").to_numpy() | (lower.isin([s.lower() for s in NA_STRINGS]).to_numpy() & present)
    return values, present & np.isnan(values) & ~blank


def label_values(labels: np.ndarray | None) -> np.ndarray | None:
    """Labels as read (text, as written, from a text file) for analysis (colours, kNN): numbers when
    every cell is a number or missing (R writes a missing number as ``NA``), else the text as
    written, ``NA`` missing (R's missing factor level: trial 42 met Hitters' 20 positions scored as a
    class "NA") unless the other labels are two-letter codes, among which it is one (North America
    beside EU). Outputs carry the labels as read, unchanged."""
    if labels is None:
        return None
    pd = _pandas()
    column = pd.Series(labels)
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return labels
    values, not_numbers = _to_float(column, ".")
    if not_numbers.any() or column.astype("str").str.strip().str.lower().isin(_BOOLS).any():
        written = column.where(column.isna(), column.astype("str").str.strip())
        na = (written == "NA").to_numpy()
        others = written[~na & written.notna().to_numpy()]
        if na.any() and not others.str.fullmatch(r"[A-Z]{2}").all():
            return np.where(na, None, np.asarray(labels, dtype=object))
        return labels
    if not np.isnan(values).any() and (values == np.round(values)).all():
        return values.astype(np.int64)
    return values


def _two_values(column: Any) -> tuple[str, str] | None:
    """The two values of a text column that holds exactly two (yes/no, male/female), in order of first
    appearance; else None."""
    values = column.dropna().astype("str").str.strip().unique()
    return (str(values[0]), str(values[1])) if len(values) == 2 else None


_DECIMAL_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+")


# A number with a currency or a unit before or after it ($ 37.13, -$5, ($3.20), 8%, 12 kg, EUR 1.5):
# text to pandas, so its column was skipped with advice to use it as an id or a label (trial 38).
# Units and currency codes are listed, not guessed: '22 Jan', '8 pm', '1st' and 'UAL 802' are
# dates, times, ordinals and ids (a review).
_CURRENCY_SIGNS = "$€£¥₹"
_CURRENCY_CODES = ("USD|EUR|GBP|JPY|CHF|CNY|INR|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|RUB|BRL|MXN|ZAR|KRW|HKD|SGD|"
                   "TRY|ILS|AED|SAR|THB|IDR|MYR|PHP|TWD|CLP|COP|ARS")
_UNITS = ("%|‰|°C|°F|°|[kmµnc]?g|lbs?|oz|[kmcµn]?m|mi|ft|in|yd|[mcd]?[lL]|[mµn]?s|sec|min|h|hrs?|days?|"
          "[kMG]?Hz|[kKMGT]i?B|[kMG]?W|kWh|[mk]?V|[mk]?A|mph|km/h|m/s|[kmc]?m[²³2]|px|pt|bpm|k?cal|k?J|[kh]?Pa|bar|psi")
_NUMBER = r"\d[\d.,]*"
_NUMBER_WITH_UNIT = re.compile(
    rf"[+-]?[{_CURRENCY_SIGNS}]\s*[+-]?{_NUMBER}"               # $ 37.13, -$5, $-5
    rf"|\([{_CURRENCY_SIGNS}]\s*{_NUMBER}\)"                   # ($3.20): a spreadsheet's negative
    rf"|(?:{_CURRENCY_CODES})\s+[+-]?{_NUMBER}"                  # EUR 1.5
    rf"|[+-]?{_NUMBER}\s*(?:[{_CURRENCY_SIGNS}]|{_CURRENCY_CODES}|{_UNITS})")  # 8%, 5 €, 12 kg, 3 m/s


def _numbers_as_text(column: Any, decimal: str, thousands: str | None) -> tuple[str, str] | None:
    """Why a text column whose cells, nine in ten, are numbers is text, and its first such cell:
    ``"comma"`` where they are written with a decimal comma (``80,2``) in a file read with ``.``,
    ``"grouped"`` where a comma may also group them (``42,000``: :data:`_LONE_GROUP`),
    ``"thousands"`` where the given ``thousands`` mark does not group them (``39.6`` under
    ``--thousands .``), ``"unit"`` where they are written with a unit or a currency (``$ 37.13``,
    ``8%``, ``12 kg``); else None."""
    cells = column.dropna().astype("str").str.strip()
    cells = cells[cells != ""]
    patterns = [("unit", _NUMBER_WITH_UNIT)]
    if decimal == ".":
        patterns[:0] = [("grouped", _LONE_GROUP["."]), ("comma", _DECIMAL_COMMA_NUMBER)]
    if thousands in (".", ","):  # one mark, not grouping three digits: 39.6 (not 22.01.2023, nor 1.2.3)
        patterns.insert(0, ("thousands", re.compile(rf"[+-]?\d*{re.escape(thousands)}\d+")))
    for why, pattern in patterns:
        matched = cells.str.fullmatch(pattern)
        if len(cells) and float(matched.mean()) >= 0.9:
            return why, str(cells[matched].iloc[0])
    return None


def _renamed_hint(expected: Sequence[str], names: Sequence[str], roles: Sequence[str | None]) -> str:
    """For a file with none of the model's column names but as many columns: how to read them as the
    model's, in order (trial 23's .npy, whose columns read as x0..x49, met a model of t0..t49 with
    no word of --columns)."""
    names = [n for n in names if n not in roles]  # the id and label columns keep their roles
    if any(name in names for name in expected) or len(names) != len(expected):
        return _near_hint(expected, names)
    given = ",".join(names) if len(names) <= 8 else f"{names[0]},...,{names[-1]} written out"
    what = "one column is the model's" if len(names) == 1 else f"{len(names)} columns are the model's in its order"
    return f"; if the file's {what}, pass --columns {given}"


# How alike a file's column must be spelt to a missing model column to be named as meant for it: difflib's
# looser 0.6 named 'ads' for 'readscr' (trial 32); 'teacher' for 'teachers' is 0.93.
RENAMED_COLUMN_CUTOFF = 0.8


def _near_hint(expected: Sequence[str], names: Sequence[str]) -> str:
    """"did you mean" for the model's columns missing from the file that one of the file's other
    ``names`` spells alike (trial 30: medv written MEDV was refused without a word of it); the caller
    leaves out the id and label columns, which have their roles (trial 32 was told to rename its id)."""
    others = [n for n in names if n not in expected]
    pairs = [(name, near) for name in expected if name not in names
             for near in [near_name(name, others, RENAMED_COLUMN_CUTOFF)] if near]
    nears = [near for _, near in pairs]
    pairs = [(name, near) for name, near in pairs if nears.count(near) == 1]  # score for score1 and score2: neither
    if len(pairs) == 1:
        return f"; did you mean {pairs[0][1]!r}? rename it {pairs[0][0]!r} in the file"
    if pairs:
        shown = ", ".join(f"{near!r} for {name!r}" for name, near in pairs[:6])
        return f"; did you mean {shown}{', ...' if len(pairs) > 6 else ''}? rename them in the file"
    return ""


@dataclass
class _Schema:
    """The columns chosen from the first chunk, kept for every later chunk."""

    path: str
    features: list[str]
    skipped: list[str]
    id_column: str | None
    label_column: str | None
    missing: str
    decimal: str
    group_column: str | None = None
    thousands: str | None = None  # --thousands: the mark read as grouping wherever it groups digits
    row_labels_as_ids: bool = False
    row_labels_left_out: bool = False
    names_made_up: bool = False
    numbers_as_names: bool = False
    two_valued_columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # skipped, two values (yes/no)
    numbers_as_text: dict[str, tuple[str, str]] = field(default_factory=dict)  # skipped: why, a cell (Table's)
    grouping: dict[str, _Grouping] = field(default_factory=dict)  # by column, across chunks (_ungrouped)
    points_like_groups: dict[str, str] = field(default_factory=dict)  # the text layout's (_points_like_groups)
    leading_zeros: dict[str, str] = field(default_factory=dict)  # the text layout's (_leading_zero_columns)
    decimal_shown: bool = False  # see _Grouping.decimal_shown

    def lone_groups(self) -> dict[str, bool]:
        """:attr:`Table.lone_groups` of the chunks read so far."""
        implied = {name: self.grouping[name].implied() for name in self.features if name in self.grouping}
        return {name: value for name, value in implied.items() if value is not None}

    @classmethod
    def choose(cls, frame: Any, rows: np.ndarray, path: str, *, columns: Sequence[str] | None, exclude: Sequence[str] | None,
               id_column: str | None, label_column: str | None, missing: str, decimal: str,
               thousands: str | None = None, lone_groups: Mapping[str, bool] | None = None,
               columns_from: str = "--columns", group_column: str | None = None,
               decimal_shown: bool = False) -> "_Schema":
        names = [str(c) for c in frame.columns]
        for option, name in (("--id-column", id_column), ("--label-column", label_column),
                             ("--group-column", group_column)):
            if name is not None and name not in names:
                raise InputError(f"{path}: no column {name!r} for {option}; {columns_hint(name, names)}")
        for option, given in ((columns_from, columns), ("--exclude", exclude)):
            unknown = [c for c in given or () if c not in names]
            if unknown and option != "--columns" and given is columns:
                listed = f"{_quote_list(unknown[:6])}{', ...' if len(unknown) > 6 else ''}"
                # every missing column named: trial 32 was told of 'distcod' alone, and hinted at another
                lacks = (f"no column {unknown[0]!r}, which the model was trained on; the model expects "
                         f"{plural(len(columns), 'column')}" if len(unknown) == 1 else
                         f"none of the {len(columns)} columns the model was trained on ({listed})"
                         if len(unknown) == len(columns) else
                         f"no columns {listed} ({len(unknown)} of the {len(columns)} the model was trained on)")
                hint = _renamed_hint(columns, names, (id_column, label_column))
                if len(unknown) == len(columns) > 1 and hint.startswith("; did you mean") \
                        and (hint.count(" for ") or 1) < len(columns) and ", ..." not in hint:
                    # a file with none of the model's columns is another file, which renaming one or two of its
                    # columns cannot make this one (trial 43: Fair's file told to rename 'child' 'child6')
                    hint = ""
                extra = [n for n in names if n not in columns and n not in (id_column, label_column)
                         and n != UNNAMED_FIRST_COLUMN]
                if not hint and 0 < len(extra) == len(unknown) < len(columns):
                    # a review: 'c' renamed 'q' was told to check the model, which was the right one
                    one = len(extra) == 1
                    hint = (f"; the file has {_quote_list(extra)} instead: if {'it is' if one else 'they are'} the "
                            f"model's {_quote_list(unknown)}, rename {'it' if one else 'them'} in the file")
                if not hint:  # trial 35: Boston's model given penguins, and no fix; trial 38: 3 of mtcars' 11
                    hint = "; check that the model is the one for this file (`aereduce inspect MODEL` lists its columns)"
                raise InputError(f"{path}: {lacks}{hint}")
            if unknown:
                raise InputError(f"{path}: no column {unknown[0]!r} (from {option}); {columns_hint(unknown[0], names)}")
        both = [c for c in columns or () if c in (exclude or ())]
        if both and columns_from == "--columns":
            raise OptionError(f"{path}: {both[0]!r} is in both --columns and --exclude; name it in one of them")
        twice = sorted({c for c in columns or () if list(columns).count(c) > 1})
        if twice:
            raise OptionError(f"{path}: column {twice[0]!r} is named twice in --columns; name each column once")
        # A column is a feature, the id or the label: one of them (it was silently taken out of the features).
        # Options that contradict each other are usage errors (exit 2), as the README says.
        if id_column is not None and id_column == label_column:
            raise OptionError(f"{path}: {id_column!r} is both --id-column and --label-column; name different columns")
        # A model's input column may also colour a map or travel beside the codes (plot, report,
        # transform: --label-column unemploy) without leaving the features; a fit's may not.
        label_is_a_model_input = (label_column is not None and columns_from != "--columns"
                                  and label_column in (columns or ()))
        for option, name in (("--id-column", id_column), ("--label-column", label_column)):
            if name is not None and name in (columns or ()):
                role = option[2:].replace("-", " ")
                if columns_from == "--columns":
                    raise OptionError(f"{path}: {name!r} is in --columns and is the {option}; a column is a feature "
                                      f"or the {role}, not both")
                if option == "--id-column":
                    raise OptionError(f"{path}: {name!r} is one of the model's input columns, so it cannot also be "
                                      f"the {role}; leave {option} out, or fit a model without that column")
        if group_column is not None and group_column in (columns or ()):
            raise OptionError(f"{path}: {group_column!r} is in --columns and is the --group-column; a column is a "
                              "feature or the groups, not both")
        reserved = {c for c in (id_column, None if label_is_a_model_input else label_column, group_column)
                    if c is not None}
        reserved |= set(exclude or ())
        candidates = [c for c in (columns or names) if c not in reserved]
        numeric, text = [], []
        sample = frame.iloc[:_CLASSIFY_ROWS]
        model_columns = columns is not None and columns_from != "--columns"
        shown: dict[str, bool] = {}

        def read_sample(name: str) -> tuple[np.ndarray, np.ndarray]:
            # as the model read the column: a new file of prices all over 1,000 ("29,994") is numbers
            # to a model that read such cells as thousands, not text (review); or as the rows past the
            # sampled ones show it (trial 37: 16,000 prices, the priciest first, the plain ones last)
            given = (lone_groups or {}).get(name, shown.get(name))
            return _to_float(sample[name], decimal, _Grouping(decided=given, decimal_shown=decimal_shown), thousands)

        def grouping_past_the_sample(name: str, bad: np.ndarray) -> bool:
            """Whether a column read as text in the sampled rows, mostly for lone groups (42,000), shows
            grouping in the rest of this chunk; if so, its lone groups read as thousands."""
            if len(frame) <= len(sample) or name in (lone_groups or {}) or decimal not in _LONE_GROUP or thousands:
                return False
            cells = sample[name][bad].astype("str").str.strip()
            if not len(cells) or cells.str.fullmatch(_LONE_GROUP[decimal]).mean() < 0.5:
                return False
            grouping = _Grouping(decimal_shown=decimal_shown)
            _to_float(frame[name], decimal, grouping)
            shown[name] = bool(grouping.implied())
            return shown[name]

        for name in candidates:
            values, bad = read_sample(name)
            # A column is text unless most of its cells are numbers: Cars93's Model holds
            # '90' and '100' among names, its Cylinders 'rotary' among numbers. An all-empty
            # column stays numeric (pandas reads it as float), so it does not come and go
            # between chunks. A column the model reads as numbers stays numeric under a --nan
            # policy while it holds any number: its other cells are read as missing, as fit reads them.
            n_numbers = int((~np.isnan(values)).sum())
            is_text = int(bad.sum()) >= n_numbers and bad.any()
            if is_text and grouping_past_the_sample(name, bad):
                values, bad = read_sample(name)
                is_text = int(bad.sum()) >= int((~np.isnan(values)).sum()) and bad.any()
            (text if is_text and not (model_columns and missing != "error" and n_numbers) else numeric).append(name)
        numbers_as_text = {name: found for name in text if name not in (id_column, label_column)
                           for found in [_numbers_as_text(sample[name], decimal, thousands)] if found is not None}
        commas = [name for name, (why, _) in numbers_as_text.items() if why == "comma"]
        if not model_columns and len(commas) >= 2 and len(commas) > 2 * len(numeric):
            # trial 44: LibreOffice's German export quotes every decimal ("0,00632"); 11 of Boston's 14
            # columns were skipped, and the fit went on with the 3 left (with none left, a review was told
            # of no numeric columns). Not read so unasked: a quoted "2,1" may be a pair (a score), and where
            # such columns are fewer the note says the same.
            cell = numbers_as_text[commas[0]][1]
            raise InputError(f"{path}: {len(commas)} of its {len(commas) + len(numeric)} columns of numbers write them "
                             f"with a decimal comma ({commas[0]}: {cell!r}), which were skipped as text: pass "
                             "--decimal , to read them (decimal=',' in Python)")
        if columns and text:
            i = int(np.flatnonzero(read_sample(text[0])[1])[0])
            value = str(sample[text[0]].to_numpy()[i])[:40]
            many = len(text) > 1
            where = "from --columns" if columns_from == "--columns" else f"of {columns_from}"
            todo = (f"leave {'them' if many else 'it'} out, or use {'one' if many else 'it'} with --label-column or "
                    "--id-column" if columns_from == "--columns" else "the model needs numbers there: check that this "
                    "is the file meant, or fix those cells")
            raise InputError(f"{path}: {'columns' if many else 'column'} {_quote_list(text)} {where} "
                             f"{'are' if many else 'is'} not numeric (row {rows[i]} of {text[0]!r} holds {value!r}); "
                             f"{todo}")
        if not numeric:
            note = f" (text columns skipped: {shown_names(text)})" if text else ""
            raise InputError(f"{path}: no numeric feature columns{note}; check --columns, --exclude, --id-column "
                             "and --label-column")
        two = {name: values for name in text if name not in numbers_as_text  # 1,5 and 2,5 are numbers
               for values in [_two_values(sample[name])] if values is not None}
        return cls(path=path, features=numeric, skipped=text, id_column=id_column, label_column=label_column,
                   group_column=group_column, missing=missing, decimal=decimal, thousands=thousands,
                   two_valued_columns=two, numbers_as_text=numbers_as_text,
                   grouping={name: _Grouping(decided=bool(value)) for name, value in (lone_groups or {}).items()},
                   decimal_shown=decimal_shown)

    def _read_lone_groups_as_decimals(self, name: str) -> bool:
        """Whether column ``name``'s lone groups (3.750) were read as decimals with nothing to say which
        they are: neither grouping (950 beside them) nor the other mark as a decimal one (1.5)."""
        grouping = self.grouping.get(name)
        return (self.thousands is None and grouping is not None and grouping.decided is False
                and not grouping.shown)

    def _point_read_columns(self) -> dict[str, str]:
        """:attr:`Table.point_read_columns` of the chunks read so far."""
        found = {}
        for name in self.features:
            # a model's decision stands for a file without such cells: nothing to note there
            if self.decimal == "," and self._read_lone_groups_as_decimals(name) and self.grouping[name].lone_cell:
                found[name] = self.grouping[name].lone_cell
            elif self.thousands is None and name in self.points_like_groups:
                found[name] = self.points_like_groups[name]
        return found

    def _grouped_by_the_file(self) -> dict[str, str]:
        """:attr:`Table.grouped_by_the_file` of the chunks read so far."""
        return {name: grouping.lone_cell for name in self.features for grouping in [self.grouping.get(name)]
                if grouping is not None and grouping.decided and grouping.lone_cell and grouping.decimal_shown
                and not grouping.shown and self.thousands is None}

    def table(self, frame: Any, rows: np.ndarray, part: bool = False) -> Table:
        """The Table of one chunk of the file (``part``), or of all of it."""
        n = len(frame)
        X = np.empty((n, len(self.features)), dtype=np.float64)
        # every field empty (,,,, as a spreadsheet exports rows once used); one empty field is a missing value
        blank = frame.isna().to_numpy().all(axis=1) if frame.shape[1] >= 2 else np.zeros(n, dtype=bool)
        bad_cells: list[tuple[str, int, str]] = []
        counts: dict[str, int] = {}
        ids = None if self.id_column is None else frame[self.id_column].to_numpy()  # to name rows in errors by
        all_text = np.full(n, len(self.features) >= 2)  # rows whose every numeric cell holds text (a header)
        for j, name in enumerate(self.features):
            X[:, j], bad = _to_float(frame[name], self.decimal,
                                     self.grouping.setdefault(name, _Grouping(decimal_shown=self.decimal_shown)),
                                     self.thousands)
            all_text &= bad
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                bad_cells.append((name, int(rows[i]), str(frame[name].to_numpy()[i])[:40]))
                counts[name] = int(bad.sum())
        # a row of the column names themselves; not '?' or '-' in every cell, missing values in UCI's files (a review)
        for name in self.features if all_text.any() else ():
            all_text &= frame[name].astype(str).str.strip().to_numpy() == name
        if all_text.any() and self.missing != "error":
            # trial 52: two CSVs joined with cat put a header line mid-file, which --nan mean read as a row of
            # means with the id 'id', in the fit and in transform's output
            i = int(np.flatnonzero(all_text)[0])
            shown = ", ".join(repr(str(frame[name].to_numpy()[i])[:20]) for name in self.features[:3])
            raise InputError(f"{self.path}: row {int(rows[i])} repeats the header line ({shown}, ...) inside the "
                             "file (files joined with cat, say): delete it; it is no row of missing values to fill or "
                             "leave out")
        if bad_cells and self.missing == "error":
            # trial 36: decimal commas from row 12,002 on, past the head the mark was sniffed from; --nan
            # mean, as advised, then replaced a fifth of the column by its mean
            commas = [v.strip() for _, _, v in bad_cells if self.decimal == "." and _DECIMAL_COMMA_NUMBER.fullmatch(v.strip())]
            # 42,000 may be thousands as well (review: --decimal , alone then read it as 42.0)
            advice = ("pass --thousands , if the comma groups thousands there or --decimal , if it is their decimal "
                      "mark, " if any(_LONE_GROUP["."].fullmatch(v) for v in commas) else
                      "pass --decimal , if the comma is their decimal mark, " if commas else "")
            # trial 39: a units line under the header (kg,cm,count); --nan mean, the first advice, made it a row
            header_row = len(bad_cells) > 1 and len(bad_cells) == len(self.features) and len({r for _, r, _ in bad_cells}) == 1
            named = [name for name in [*self.features, *self.skipped] if not name.startswith("Unnamed: ")]
            if header_row and len(named) == 1 and len(self.features) >= 3:
                # trial 44: "Title,,,,," and a blank line above the header listed 14 cells and 14 names to exclude
                r, shown = bad_cells[0][1], ", ".join(repr(v) for _, _, v in bad_cells[:3])
                raise InputError(f"{self.path}: the first line names one column ({named[0]!r}), and row {r} holds text "
                                 f"in every column ({shown}, ...), as a header does: if line 1 is a title above the "
                                 f"table, delete the lines above row {r} so that the header comes first")
            if header_row:
                advice = (f"row {bad_cells[0][1]} holds text in every numeric column: if it is a second header line "
                          "(units, say), delete it; else ") + advice
            row_names = None if ids is None else dict(zip(rows.tolist(), ids))
            raise InputError(f"{self.path}: non-numeric values in numeric columns: "
                             f"{_cells(bad_cells, self.thousands, row_names)}; "
                             f"{advice}read them as "
                             f"missing with --nan mean (or drop, zero), or leave the columns out with --exclude "
                             f"{option_names([name for name, _, _ in bad_cells])}")
        refuse_unusable_values(X, rows, [repr(name) for name in self.features], self.path, ids=ids)
        if self.missing == "error":
            if not part:  # an empty column first: the first missing cell's advice (--nan drop) then failed on it (trial 21)
                _raise_empty_columns(X, self.features, self.path, self.missing)
            _raise_first_missing(X, self.features, rows, self.path, part, ids, blank=blank)
        table = Table(X=X, feature_names=list(self.features), row_numbers=rows, skipped_columns=list(self.skipped),
                      blank_rows=blank,
                      non_numeric_counts=counts, non_numeric_cells=bad_cells, thousands=self.thousands,
                      source=self.path,
                      names_made_up=self.names_made_up, numbers_as_names=self.numbers_as_names,
                      point_read_columns=self._point_read_columns(), grouped_by_the_file=self._grouped_by_the_file(),
                      lone_groups=self.lone_groups(),
                      regrouped=[name for name in self.features if name in self.grouping
                                 and self.grouping[name].overturned],
                      two_valued_columns=dict(self.two_valued_columns), numbers_as_text=dict(self.numbers_as_text),
                      row_labels_left_out=self.row_labels_left_out,
                      leading_zero_columns={name: cell for name, cell in self.leading_zeros.items()
                                            if name in self.features})
        if self.id_column is not None:
            table.ids, table.id_name = ids, self.id_column
            table.row_labels_as_ids = self.row_labels_as_ids
        if self.label_column is not None:
            table.labels, table.label_name = frame[self.label_column].to_numpy(), self.label_column
        if self.group_column is not None:
            table.groups, table.group_name = frame[self.group_column].to_numpy(), self.group_column
        elif not part:
            # columns left out by --exclude or --columns too: dropping the unit column from the features does
            # not make the rows anything else (trial 47: Cigar without state, 4.8x better than PCA on other
            # years of the states fitted on, 3.4x worse on other states, without a word)
            read = [*self.skipped, *([self.id_column] if self.id_column else []), *self.features]
            left_out = [str(name) for name in frame.columns if str(name) not in read]
            numeric = [name for name in left_out if _pandas().api.types.is_numeric_dtype(frame[name])]
            # blank rows aside: two of them are one unit twice at one time (a review lost Produc's note so)
            table.panel_units = _panel_units(frame[~blank], [*read, *left_out], [*self.features, *numeric])
        return table


def _whole_numbers(column: Any) -> bool:
    """Whether every cell of a column read as text is a whole number (empty cells aside)."""
    values = _pandas().to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    present = values[np.isfinite(values)]
    return bool(len(present)) and bool(np.all(present == np.round(present)))


def _panel_units(frame: Any, candidates: Sequence[str],
                 features: Sequence[str]) -> tuple[str, tuple[str, ...], int] | None:
    """``(unit, times, n_units)`` where the rows are units measured over time (a panel: Produc's 48
    states over 17 years): a column of ``candidates`` that names no unit twice at one value of a
    column named as a time (:data:`PANEL_TIME_NAMES`; a feature or not: --exclude year leaves the
    rows what they are), or of two or all such columns together (year and month), with
    :data:`PANEL_MIN_UNITS` units or more, at least half of them at several times, and
    :data:`PANEL_MIN_UNITS_PER_TIME` units or more at the median time (a yearly series of one row
    a year is no panel: a review met R's discoveries' counts taken for units); else None. Trial 42:
    held out at random, such rows are other years of the units fitted on, and a model 6x better than
    PCA there was 1.2x worse on other states."""
    time_columns = [str(name) for name in frame.columns
                    if str(name).strip().lower() in PANEL_TIME_NAMES and _whole_numbers(frame[name])]
    if not time_columns:
        return None
    # text, or whole numbers (Grunfeld's firm): a measurement is no unit; nor is a month beside a day
    units = [name for name in candidates if str(name).strip().lower() not in PANEL_TIME_NAMES | MONTH_ABBREVIATIONS
             and (name not in features or _whole_numbers(frame[name]))]
    unit_counts = {name: frame[name].value_counts() for name in units}
    units = [name for name in units if len(unit_counts[name]) >= PANEL_MIN_UNITS
             and 2 * int((unit_counts[name] > 1).sum()) >= len(unit_counts[name])]
    # one time column, then pairs (year and month; a measurement named days beside them: a review), then all
    combined = [*itertools.combinations(time_columns, 2), *([tuple(time_columns)] if len(time_columns) > 2 else [])]
    for times in [(time,) for time in time_columns] + combined:
        per_time = frame.groupby(list(times)).size()
        if per_time.median() < PANEL_MIN_UNITS_PER_TIME:
            continue
        for unit in units:
            if not frame.duplicated(subset=[unit, *times]).any():
                return str(unit), times, len(unit_counts[unit])
    return None


def read_table(path: str, *, columns: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
               id_column: str | None = None, label_column: str | None = None, missing: str = "error",
               sep: str | None = None, decimal: str | None = None, thousands: str | None = None,
               encoding: str = "utf-8", header: bool | None = None, carried_optional: bool | Collection[str] = False,
               columns_from: str = "--columns", lone_groups: Mapping[str, bool] | None = None,
               group_column: str | None = None) -> Table:
    """Read a whole data file into a :class:`Table`.

    Parameters
    ----------
    path : str
        A ``.csv``/``.tsv``/``.txt`` file (optionally ``.gz``), ``.parquet``, ``.npy`` or
        ``.npz``; ``-`` for stdin; a name without a suffix (a pipe, ``<(...)``) is read as text.
    columns : sequence of str, optional
        The feature columns, in this order (default: every numeric column). Naming a column
        with no number in it is an error.
    exclude : sequence of str, optional
        Columns to leave out of the features.
    id_column, label_column : str, optional
        Columns carried beside the features (never features); ids are read as text.
    group_column : str, optional
        A column naming the unit each row measures (never a feature), read as text into
        :attr:`Table.groups`: ``fit`` holds out whole units. It may be the id or the label column.
    missing : {"error", "drop", "zero", "mean"}
        The missing-value policy. ``"error"`` raises on the first missing value and on any
        non-numeric cell in a numeric column (listing every such column); any other policy
        reads those cells as ``NaN`` (counted in :attr:`Table.non_numeric_counts`) and leaves
        them for :class:`MissingValues`. An infinite value is an error under every policy.
    sep : str, optional
        Delimiter of a text file (default: sniffed among ``,`` ``;`` tab and ``|``).
    decimal : str, optional
        Decimal mark (default: sniffed; ``,`` for ``1,5`` in files not delimited by commas;
        with ``thousands`` of ``.`` or ``,``, the other one).
    thousands : str, optional
        The mark that groups thousands (``.`` for ``3.750`` meaning 3750). It is read as grouping
        wherever it groups three digits, and a cell holding it elsewhere (``1.5``) is not a
        number. By default grouping is recognised where it is beyond doubt (``1.234.567``,
        ``591.417,43``, ``1 234``) and a lone group (``3.750``) only in a column that shows it.
    encoding : str
        Text encoding (default UTF-8; a byte-order mark is dropped).
    header : bool, optional
        Whether a text file's first line is a header (default: sniffed from the types of the
        lines below it). Headerless columns are named ``x0``, ``x1``, ...
    carried_optional : bool or collection of {"id", "label"}
        When True, an ``id_column`` or ``label_column`` the file lacks is left out instead of
        being an error (the defaults a saved model remembers); a collection names the roles for
        which it is so (the remembered ones, where the user gives the other).
    columns_from : str
        Where ``columns`` came from, for messages (``"--columns"``, or the model).
    lone_groups : mapping of str to bool, optional
        By column, whether lone groups (``3.750``) are thousands, as a model's fit read them
        (:attr:`Table.lone_groups`); other columns decide from their cells.

    Returns
    -------
    Table

    Raises
    ------
    InputError
        For anything wrong with the file or the options, in one line naming the file.
    """
    tables = iter_tables(path, None, columns=columns, exclude=exclude, id_column=id_column, label_column=label_column,
                         missing=missing, sep=sep, decimal=decimal, thousands=thousands, encoding=encoding, header=header,
                         carried_optional=carried_optional, columns_from=columns_from, lone_groups=lone_groups,
                         group_column=group_column)
    with contextlib.closing(tables):  # type: ignore[arg-type]
        return next(tables)


def iter_tables(path: str, chunksize: int | None, *, columns: Sequence[str] | None = None,
                exclude: Sequence[str] | None = None, id_column: str | None = None, label_column: str | None = None,
                missing: str = "error", sep: str | None = None, decimal: str | None = None,
                thousands: str | None = None, encoding: str = "utf-8", header: bool | None = None,
                carried_optional: bool | Collection[str] = False, columns_from: str = "--columns",
                row_group_seed: int | None = None,
                lone_groups: Mapping[str, bool] | None = None, group_column: str | None = None) -> Iterator[Table]:
    """Read a data file as successive :class:`Table` chunks of ``chunksize`` rows, so memory stays flat.

    The file is opened once and read as a stream (pipes and stdin work). The feature columns
    and skipped columns are chosen on the first chunk and kept for the rest; row numbers
    continue across chunks. ``chunksize=None`` yields one table of the whole file. The
    options are those of :func:`read_table`; they are checked at once, the file when the
    first chunk is asked for. ``row_group_seed`` reads a Parquet file's (or folder's) row groups in
    a random order from that seed, each row keeping its number (a streamed fit's epochs).
    """
    if missing not in NAN_POLICIES:
        raise InputError(f"unknown missing-value policy {missing!r}; use one of {', '.join(NAN_POLICIES)}")
    if chunksize is not None and chunksize < 1:
        raise InputError(f"chunksize must be at least 1, not {chunksize}")
    if sep is not None and len(sep) != 1:
        raise InputError(f"{path}: the delimiter must be one character, not {sep!r}")
    if decimal is not None and len(decimal) != 1:
        raise InputError(f"{path}: the decimal mark must be one character, not {decimal!r}")
    if thousands is not None:
        if len(thousands) != 1 or thousands.isalnum() or thousands in "+-":
            raise OptionError(f"{path}: --thousands must be one mark that groups digits (. , ' or a space), "
                              f"not {thousands!r}")
        if thousands == decimal:
            raise OptionError(f"{path}: --thousands {thousands} is also the decimal mark (--decimal); "
                              "the two must differ")
        # A point that groups thousands leaves the comma as the decimal mark, and the other way round.
        decimal = decimal or {".": ",", ",": "."}.get(thousands)
    return _tables(path, chunksize, columns=columns, exclude=exclude, id_column=id_column, label_column=label_column,
                   missing=missing, sep=sep, decimal=decimal, thousands=thousands, encoding=encoding, header=header,
                   carried_optional=carried_optional, columns_from=columns_from, row_group_seed=row_group_seed,
                   lone_groups=lone_groups, group_column=group_column)


UNNAMED_FIRST_COLUMN = "Unnamed: 0"  # the name a header with an empty first cell gives its column


def _unnamed_first_column(names: Sequence[str], columns: Sequence[str] | None, exclude: Sequence[str] | None,
                          label_column: str | None) -> bool:
    """Whether the first column has no name in the header and nothing else claims it: it is then
    row labels (``DataFrame.to_csv`` writes the index so, R's ``write.csv`` its row names), not a
    feature. A model that was fitted with it as a feature (its ``columns``) keeps it one."""
    return (bool(names) and names[0] == UNNAMED_FIRST_COLUMN and UNNAMED_FIRST_COLUMN not in (columns or ())
            and UNNAMED_FIRST_COLUMN not in (exclude or ()) and label_column != UNNAMED_FIRST_COLUMN)


def _tables(path: str, chunksize: int | None, *, columns: Sequence[str] | None, exclude: Sequence[str] | None,
            id_column: str | None, label_column: str | None, missing: str, sep: str | None, decimal: str | None,
            thousands: str | None, encoding: str, header: bool | None, carried_optional: bool | Collection[str],
            columns_from: str,
            row_group_seed: int | None, lone_groups: Mapping[str, bool] | None,
            group_column: str | None = None) -> Iterator[Table]:
    layout: dict[str, Any] = {}
    frames = _frames(path, chunksize, sep=sep, decimal=decimal, encoding=encoding, header=header,
                     verbatim_columns=[c for c in (id_column, label_column, group_column) if c is not None],
                     layout=layout,
                     row_group_seed=row_group_seed)
    schema: _Schema | None = None
    with contextlib.closing(frames):  # type: ignore[arg-type]
        for frame, rows in frames:
            frame.columns = [str(c) for c in frame.columns]
            if schema is None:
                names = [str(c) for c in frame.columns]
                optional = {"id", "label"} if carried_optional is True else set(carried_optional or ())
                if "id" in optional:
                    id_column = id_column if id_column in names else None
                if "label" in optional:
                    label_column = label_column if label_column in names else None
                unnamed = _unnamed_first_column(names, columns, exclude, label_column) and id_column != names[0]
                row_labels = id_column is None and unnamed
                # With another column as the id, a written index is still no feature: leave it out.
                left_out = unnamed and not row_labels and columns is None
                if row_labels:
                    id_column = names[0]
                if left_out:
                    exclude = [*(exclude or ()), names[0]]
                schema = _Schema.choose(frame, rows, path, columns=columns, exclude=exclude, id_column=id_column,
                                        label_column=label_column, missing=missing,
                                        decimal=layout.get("decimal", decimal or "."), thousands=thousands,
                                        lone_groups=lone_groups, columns_from=columns_from,
                                        group_column=group_column, decimal_shown=bool(layout.get("decimal_shown")))
                schema.row_labels_as_ids = row_labels
                schema.row_labels_left_out = left_out
                schema.names_made_up = bool(layout.get("names_made_up"))
                schema.numbers_as_names = bool(layout.get("numbers_as_names"))
                schema.points_like_groups = dict(layout.get("points_like_groups") or {})
                schema.leading_zeros = dict(layout.get("leading_zeros") or {})
            yield schema.table(frame, rows, part=chunksize is not None)


# -- output ------------------------------------------------------------------------------------

def holds_numbers(column: Any) -> bool:
    """Whether a DataFrame column holds numbers (or booleans), as a .npy matrix can."""
    pd = _pandas()
    return bool(pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column))


def integer_columns(values: Any) -> list[str]:
    """The integer columns of results given as a DataFrame (an array of results has none)."""
    pd = _pandas()
    if not isinstance(values, pd.DataFrame):
        return []
    return [str(c) for c in values.columns if pd.api.types.is_integer_dtype(values[c])]


def mean_of_present(sums: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per column, the mean of its present values from their ``sums`` and counts (``present``); 0 for a
    column with none. Fit keeps these means (of every row read, before --nan drop or zero fills)."""
    return np.divide(sums, present, out=np.zeros(len(sums)), where=present > 0)


def whole_valued(X: np.ndarray) -> np.ndarray:
    """Per column of X: whether every present value is a whole number (so, too, a column with none)."""
    present = np.isfinite(X)
    return np.where(present, np.mod(np.where(present, X, 0.0), 1.0) == 0, True).all(axis=0)


def keep_integer_columns(frame: Any, names: Sequence[str]) -> Any:
    """Turn ``names`` of ``frame`` back into integers (a flag reads ``1``, not ``1.0``), nullable so
    that a row with no result keeps an empty cell; a column with values past float64's exact integers
    (2**53: a column in units of 1e42) stays as it is."""
    for name in names:
        if bool((frame[name].abs() < 2**53).where(frame[name].notna(), True).all()):
            frame[name] = frame[name].astype("Int64")
    return frame


def free_name(name: str, role: str, taken: Collection[str]) -> str:
    """``name``, or where a result column already has it, ``name_role`` (``outlier_label``, ``row_id``;
    then ``name_role2``, ...): the name a carried column is written under beside the results."""
    if name not in taken:
        return name
    candidate, n = f"{name}_{role}", 2
    while candidate in taken:
        candidate, n = f"{name}_{role}{n}", n + 1
    return candidate


def carried_names(table: Table, result_names: Sequence[str], row_column: str | None = None) -> dict[str, str]:
    """The names the table's id and label columns are written under beside ``result_names`` (and a
    ``row_column``), keyed by their own: trial 50's label column named ``outlier`` overwrote score's
    flags of that name, and an id column named ``row`` or ``ae0`` stopped the command."""
    return names_beside(table.id_name if table.ids is not None else None,
                        table.label_name if table.labels is not None else None, result_names, row_column)


def names_beside(id_name: str | None, label_name: str | None, result_names: Sequence[str],
                 row_column: str | None = None) -> dict[str, str]:
    """:func:`carried_names` of an id and a label column by their names (None: no such column)."""
    taken = set(result_names) | ({row_column} if row_column else set())
    names = {}
    for role, name in (("id", id_name), ("label", label_name)):
        if name:
            names[name] = free_name(name, role, taken)
            taken.add(names[name])
    return names


def carried_names_note(table: Table, result_names: Sequence[str], row_column: str | None = None) -> list[str]:
    """The note of each carried column written under another name (:func:`carried_names`)."""
    return [f"the {'id' if own == table.id_name and table.ids is not None else 'label'} column {own!r} is written as "
            f"{written!r}, as {own!r} names a column of the results"
            for own, written in carried_names(table, result_names, row_column).items() if written != own]


def output_frame(values: Any, names: Sequence[str], table: Table | None = None,
                 encodable: np.ndarray | None = None, *, row_column: str | None = None) -> Any:
    """A DataFrame of results on every input row, with the table's id column first.

    Parameters
    ----------
    values : array or DataFrame of shape (n_encodable, k) or (n_rows, k)
        Results for the encodable rows only (the usual case), or for every row. A DataFrame's
        integer columns stay integers.
    names : sequence of str
        The ``k`` result column names.
    table : Table, optional
        The rows the results belong to; its ids become the first column.
    encodable : array of shape (n_rows,), bool, optional
        From :meth:`MissingValues.apply`; rows marked ``False`` get empty (``NaN``) cells, so
        output rows stay aligned with input rows.
    row_column : str, optional
        If given, add the file row numbers (:attr:`Table.row_numbers`) as a first column of
        this name.
    """
    pd = _pandas()
    integer = integer_columns(values)
    if integer:  # one float matrix for now (NaN rows below), wide enough for every column: float32
        # scores beside an int8 flag stay float32, an int64 column makes it float64.
        try:
            dtype = np.result_type(*values.dtypes)
        except TypeError:  # a pandas extension type (nullable Int64)
            dtype = np.float64
        values = np.asarray(values, dtype=dtype if np.issubdtype(dtype, np.floating) else np.float64)
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if encodable is not None:
        encodable = np.asarray(encodable, dtype=bool)
        n_rows = len(encodable)
        if table is not None and table.n_rows != n_rows:
            raise ValueError(f"encodable has {n_rows} rows, the table {table.n_rows}")
        if not encodable.all():
            full = np.full((n_rows, values.shape[1]), np.nan, dtype=np.result_type(values.dtype, np.float32))
            if len(values) == int(encodable.sum()):
                full[encodable] = values
            elif len(values) == n_rows:
                full[encodable] = values[encodable]
            else:
                raise ValueError(f"{len(values)} result rows for {int(encodable.sum())} encodable rows of {n_rows}")
            values = full
    if table is not None and len(values) != table.n_rows:
        raise ValueError(f"{len(values)} result rows for a table of {table.n_rows} rows")
    frame = keep_integer_columns(pd.DataFrame(values, columns=list(names)), integer)
    if table is not None and table.ids is not None:
        frame.insert(0, carried_names(table, names, row_column)[table.id_name], table.ids)
    if row_column is not None and table is not None:
        frame.insert(0, row_column, table.row_numbers)
    return frame


def _gzip_text(tmp: str, path: str) -> io.TextIOWrapper:
    """A UTF-8 text stream into a gzip file at ``tmp`` whose header names ``path``, the file it becomes
    (gzip.open named the temporary file, which ``gunzip -N`` would restore: trial 24)."""
    raw = open(tmp, "wb")
    compressed = gzip.GzipFile(filename=path, mode="wb", fileobj=raw)
    compressed.myfileobj = raw  # closed with it, as when GzipFile opens the file itself
    return io.TextIOWrapper(compressed, encoding="utf-8", newline="")


class TableWriter:
    """Write DataFrames chunk by chunk to one output file, renamed into place at the end.

    CSV, TSV (``.gz`` compressed by the suffix) and Parquet stream; ``.npy``/``.npz``
    collect the chunks (NumPy needs the shape up front). ``-`` writes CSV to stdout.

    A ``.npy`` file holds one numeric array, so a text column (an id) is an error rather
    than silently dropped; ``.npz`` keeps numeric columns in ``X`` (names in ``columns``)
    and each text column as an array of its own name.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.format = format_of(path)
        self._gzip = path != "-" and path.lower().endswith(".gz")
        self._parts: list[Any] = []
        self._parquet_writer: Any = None
        self._handle: Any = None

    def __enter__(self) -> "TableWriter":
        if self.path != "-":
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise InputError(f"{self.path}: the folder {str(parent)!r} does not exist")
            self._atomic = atomic_output(self.path)
            self._tmp = self._atomic.__enter__()
        return self

    def write(self, frame: Any) -> None:
        """Append the rows of ``frame`` (the first call also writes the header)."""
        first = not self._parts
        # A text file's unnamed first column (row labels) comes back unnamed, as R and pandas write
        # it, not under pandas' read-side name for it ('Unnamed: 0'): in a Parquet or .npz file too (trial 21).
        if len(frame.columns) and frame.columns[0] == UNNAMED_FIRST_COLUMN:
            frame = frame.rename(columns={UNNAMED_FIRST_COLUMN: ""})
        header = [str(c) for c in frame.columns] if first else False
        if self.path == "-":
            frame.to_csv(sys.stdout, index=False, header=header)
            self._parts.append(None)
        elif self.format in TEXT_FORMATS:
            if self._handle is None:
                self._handle = (_gzip_text(self._tmp, self.path) if self._gzip
                                else open(self._tmp, "w", newline="", encoding="utf-8"))  # what readers assume
            frame.to_csv(self._handle, sep="\t" if self.format == "tsv" else ",", index=False, header=header)
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
            if first:
                self._check_numpy_columns(frame)
            self._parts.append(frame)

    def _check_numpy_columns(self, frame: Any) -> None:
        text = [str(c) for c in frame.columns if not holds_numbers(frame[c])]
        if self.format == "npy" and text:
            # The unnamed first column is written as '' (as read), which trial 24 could not name to leave out.
            column, leave_out = (("the unnamed first column", f"--exclude '{UNNAMED_FIRST_COLUMN}'") if text[0] == ""
                                 else (f"column {text[0]!r}", "leave the column out"))
            raise InputError(f"{self.path}: a .npy file holds numbers only, and {column} is text; write .npz "
                             f"(which keeps it), .csv or .parquet, or {leave_out}")
        clash = [c for c in text if c in ("X", "columns")]
        if clash:
            raise InputError(f"{self.path}: a text column named {clash[0]!r} would overwrite the .npz array of that "
                             "name; rename the column")

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            # Closing writes the rest (gzip's trailer, Parquet's footer) and can fail (a full disk):
            # the temporary file must then go, and the signal handlers be restored, as on any error.
            if self._handle is not None:
                self._handle.close()
            if self._parquet_writer is not None:
                self._parquet_writer.close()
            if self.path == "-":
                return
            if exc_type is None and self.format in ("npy", "npz"):
                self._write_numpy()
        except BaseException as error:
            if self.path == "-":
                raise
            self._atomic.__exit__(type(error), error, error.__traceback__)
            raise
        self._atomic.__exit__(exc_type, exc, tb)

    def _write_numpy(self) -> None:
        pd = _pandas()
        frame = pd.concat(self._parts, ignore_index=True) if self._parts else pd.DataFrame()
        numeric_names = [c for c in frame.columns if holds_numbers(frame[c])]
        numeric = frame[numeric_names]
        # A nullable integer column (a flag with empty cells) would make an object array, which
        # NumPy can only pickle: such a matrix is stored as floats, empty cells as NaN.
        nullable = any(isinstance(dtype, pd.api.extensions.ExtensionDtype) for dtype in numeric.dtypes)
        matrix = numeric.to_numpy(dtype=np.float64, na_value=np.nan) if nullable else numeric.to_numpy()
        with open(self._tmp, "wb") as f:
            if self.format == "npy":
                np.save(f, matrix)
            else:
                arrays = {"X": matrix, "columns": np.asarray([str(c) for c in numeric_names], dtype=str)}
                for c in frame.columns:
                    if c not in numeric_names:
                        # Missing ids become empty strings, not the text 'nan'.
                        arrays[str(c)] = frame[c].astype(object).where(frame[c].notna(), "").to_numpy().astype(str)
                np.savez(f, **arrays)


def write_table(path: str, frame: Any) -> None:
    """Write one DataFrame atomically in the format of ``path``'s suffix."""
    with TableWriter(path) as writer:
        writer.write(frame)


def default_output(data_path: str, suffix: str, fmt_from: str | None = None) -> str:
    """Where an output goes by default: ``data.csv`` -> ``data.SUFFIX.csv`` beside it.

    ``data.csv.gz`` gives ``data.SUFFIX.csv.gz``; a name without a table suffix gets
    ``.csv``. Stdin (``-``) and pipes (``<(...)``, FIFOs), which have no folder to write
    beside, go to stdout (``-``). ``fmt_from`` replaces the suffix (e.g. ``".parquet"``).
    """
    if data_path == "-":
        return "-"
    with contextlib.suppress(OSError):
        mode = os.stat(data_path).st_mode
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode):
            return "-"
    p = Path(data_path)
    stem, ext = _split_suffix(p.name)
    return str(p.with_name(f"{stem}.{suffix}{fmt_from or ext or '.csv'}"))


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
