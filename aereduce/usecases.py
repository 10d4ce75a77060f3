"""What the command line does, as plain functions: fit with its report, streamed transforms,
top-k scoring, plots and comparisons.

Each command of :mod:`aereduce.cli` parses its options and calls one function here; the
benchmarks and Python users can call them too. Nothing here prints: functions return
reports, and take a ``progress`` callable where work is long.
"""

from __future__ import annotations

import codecs
import contextlib
import heapq
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._files import check_file_output, check_output, one_of
from ._split import MIN_UNITS_FOR_A_GAIN, MIN_UNITS_TO_JUDGE_A_GAIN
from ._resolve import (MIN_ROWS_FOR_DEEP, NEGLIGIBLE_MSE, NEIGHBOUR_MIN_ROWS, NEIGHBOUR_STEPS_PER_EPOCH,
                       POOR_FIT_CHECK_ROWS, default_epochs, failed_fit_fix, failure_bar, mean_row_error, rows_spanned,
                       spanned_dimensions, model_variant,
                       regularises_the_code, short_training_fix)
from .errors import InputError, ModelFileError, OptionError, TrainingError, plural
from .methods import check_dimension, fit_embed, fit_reducer, get_method, make_reducer
from .tables import (EXPONENT_CODE, LEFT_OUT_OF_TRAINING, MODEL_SUFFIX, PANEL_TIME_NAMES, TIME_PART_NAMES, NOT_DENOISED, NOT_ENCODED, NOT_SCORED, UNNAMED_FIRST_COLUMN,
                     MissingValues, Table,
                     TableWriter, format_of, holds_numbers, integer_columns, iter_tables, keep_integer_columns, label_values,
                     LARGEST_VALUE, carried_names, carried_names_note, columns_hint, free_name, names_beside,
                     option_names, output_frame, read_table, refuse_unusable_values,
                     mean_of_present, said_of_one_row, shown_names, totals_row_said, totals_rows, whole_valued,
                     write_table)

CHUNK_ROWS = 10_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".pdf")  # the pictures plot and sample write (matplotlib's common formats; trial 41 was refused .jpg)

ProgressFn = Callable[[int, int], None]  # progress(done, total)
# compare's progress(method): the block where that method fits, giving a ProgressFn for its epochs, or None
MethodProgress = Callable[[str], contextlib.AbstractContextManager[ProgressFn | None]]
NoteFn = Callable[[str], None]  # notify(line): a note for the user, shown at once


def send_notes(notes: list[str], notify: NoteFn | None) -> list[str]:
    """Hand ``notes`` to ``notify`` now, before the long work they concern, and return none left to
    report; without ``notify``, return them for the caller's summary."""
    if notify is None:
        return notes
    for note in notes:
        notify(note)
    return []


@dataclass
class ReadOptions:
    """How to read a table: which columns are features, id and label; the missing-value policy
    (None: the model's, else ``"error"``); the text layout (None: sniffed); and the text
    encoding (None: the model's, else UTF-8)."""

    columns: list[str] | None = None
    exclude: list[str] | None = None
    id_column: str | None = None
    label_column: str | None = None
    nan: str | None = None
    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    header: bool | None = None
    # By column, whether lone groups (3.750) are thousands: a model's fit's reading, or a streamed
    # fit's after its first pass (tables.Table.lone_groups); not an option of its own
    lone_groups: dict[str, bool] | None = None
    # fit's --group-column: the unit each row measures, whole units held out (not remembered by a model)
    group_column: str | None = None

    def as_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments of :func:`aereduce.tables.read_table`."""
        kwargs = {"columns": self.columns, "exclude": self.exclude, "id_column": self.id_column,
                  "label_column": self.label_column, "missing": self.nan or "error", "sep": self.sep,
                  "decimal": self.decimal, "thousands": self.thousands, "encoding": self.encoding or "utf-8",
                  "header": self.header, "lone_groups": self.lone_groups, "group_column": self.group_column}
        return kwargs | overrides


def input_settings(read: ReadOptions, missing: MissingValues, X: np.ndarray | None = None, *,
                   means: np.ndarray | None = None, whole_columns: list[int] | None = None,
                   table: Table | None = None) -> dict[str, Any]:
    """What a saved model remembers of how its data was read, so later commands need no repeated options.

    The training means (of X's present values, before any were filled or rows dropped; or ``means``
    from a streamed fit) are kept whatever the policy, so ``--nan mean`` works later too; the text encoding when one other than UTF-8 was given, and
    the decimal and thousands marks and --header/--no-header when given (so later commands read such files without them); the id column, given or (in ``table``) an unnamed
    first column read as row labels, as the fit's note says; the columns that hold whole numbers
    in every row (``whole_columns``, indices: given by a streamed fit, else found in X), which ``sample``
    writes as whole numbers; and how each column's numbers like 3.750 were read (``lone_groups``, from ``table``).
    """
    if means is None:
        with np.errstate(invalid="ignore"):
            means = np.nanmean(X, axis=0) if len(X) else np.zeros(X.shape[1])
    row_labels = table.id_name if table is not None and table.row_labels_as_ids else None
    settings = {"id_column": read.id_column or row_labels, "label_column": read.label_column, "nan": missing.policy,
                "means": [float(m) if np.isfinite(m) else 0.0 for m in means]}
    if whole_columns is None and X is not None and len(X):
        whole_columns = whole_number_columns(np.asarray(X, dtype=np.float64))
    if whole_columns is not None:
        settings["whole_columns"] = whole_columns
    if table is not None and table.lone_groups:
        # how fit read numbers like 3.750 in each column, so that every later file and chunk reads them alike
        settings["lone_groups"] = dict(table.lone_groups)
    remembered_encoding = read.encoding and codecs.lookup(read.encoding).name != "utf-8"
    # A decimal mark given (not sniffed): the files the model reads later are written alike (trial 18's
    # transform without --decimal , refused the column it was fitted on).
    # So is --header/--no-header (trial 21: a header of years, 1990..1994, read with --header at fit was
    # read as data by transform, which then found no column '1990').
    return settings | ({"encoding": read.encoding} if remembered_encoding else {}) | (
        {"decimal": read.decimal} if read.decimal else {}) | ({"thousands": read.thousands} if read.thousands else {}) | (
        {"header": read.header} if read.header is not None else {})


def whole_number_columns(X: np.ndarray) -> list[int]:
    """The columns of X whose present values are all whole numbers (a year, a count, 0-255 pixels)."""
    return [int(j) for j in np.flatnonzero(whole_valued(X) & np.isfinite(X).any(axis=0))]


def model_missing_values(model: Any, policy: str | None) -> MissingValues:
    """The missing-value handling for new data: ``policy``, or the one chosen at fit, with the training means."""
    settings = getattr(model, "input_settings_", None) or {}
    policy = policy or settings.get("nan") or "error"
    names = model_feature_names(model)
    means = settings.get("means")
    if policy == "mean" and means is None:
        # a model fitted in Python on rows in memory (trial 40 was told it was saved by release 0.1)
        raise InputError("the model holds no training means to fill with: a fit on a file keeps them, not a fit in "
                         "Python on rows in memory or a model saved by an earlier release; use --nan zero or drop")
    fill = {"mean": means, "zero": [0.0] * len(names)}.get(policy)
    return MissingValues.from_dict({"policy": policy, "feature_names": names, "fill_values": fill})


def model_feature_names(model: Any) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else [f"x{i}" for i in range(model.n_features_in_)]


@dataclass
class FilledTable:
    """A table read for fitting, with missing values handled: ``X`` holds its encodable rows."""

    table: Table
    missing: MissingValues
    encodable: np.ndarray  # (n_rows,) bool
    X: Any  # DataFrame of the encodable rows, filled
    totals: dict[int, int] = field(default_factory=dict)  # rows left out as totals rows: columns holding sums

    @property
    def labels(self) -> np.ndarray | None:
        return None if self.table.labels is None else self.table.labels[self.encodable]

    @property
    def groups(self) -> np.ndarray | None:
        return None if self.table.groups is None else self.table.groups[self.encodable]

    def notes(self, dropped: str = LEFT_OUT_OF_TRAINING, row_labels: str | None = None, *,
              params: dict[str, Any] | None = None, writes_rows: bool = True) -> list[str]:
        """What a user should know of how the table was read; ``params``: the model's, whose
        ``input_shape`` (an image or a sequence) needs every column, constant or not; ``writes_rows``:
        the command's outputs carry the ids (compare's do not)."""
        return (table_notes(self.table, self.missing, dropped, row_labels) + self.totals_notes(dropped)
                + column_notes(self.X, self.table, shaped=bool((params or {}).get("input_shape")),
                               writes_rows=writes_rows))

    def totals_notes(self, dropped: str) -> list[str]:
        """A note on each row left out as a totals row (:func:`~aereduce.tables.totals_rows`)."""
        table, n_columns = self.table, len(self.table.feature_names)
        ids = table.ids
        return [f"{totals_row_said(int(table.row_numbers[i]), None if ids is None else ids[i], n_sums, n_columns)}, "
                f"and {said_of_one_row(dropped)}" for i, n_sums in self.totals.items()]


def column_notes(X: Any, table: Table, *, shaped: bool = False, constant: list[str] | None = None,
                 part: str | None = None, writes_rows: bool = True) -> list[str]:
    """What a user should know of the feature columns of ``X`` (a DataFrame of ``table``'s rows, filled):
    ids, labels and times used as features, a repeated id, constant columns. ``shaped``: the rows are
    images or sequences, which need every column; where ``X`` holds only ``part`` of the rows (a
    streamed fit's first chunk: "the first 10,000 rows"), ``constant`` gives the constant columns of
    every row, else they are found in ``X``."""
    notes: list[str] = []
    within = f" in {part}" if part else ""  # what is true of the rows read, not said of the file
    counter = row_counter_column(X)
    if counter is not None:  # a written id column was a feature, silently (trial 12)
        notes.append(f"column {counter!r} counts the rows (0 or 1, then up by 1){within} and is used as a feature; "
                     f"if it numbers the rows, pass --id-column {counter}")
    code = id_like_column(X) if counter is None else None
    if code is not None:  # Caschool's distcod and midwest's PID were features, silently (trial 32)
        every = "every" if len(np.unique(X[code])) == len(X) else "nearly every"
        notes.append(f"column {code!r} is named as an id and holds a different whole number in {every} row{within}, "
                     f"yet is used as a feature; if it names the rows, pass --id-column {code}")
    unit = unit_id_column(X) if counter is None and code is None else None
    if unit is not None and (table.panel_units is None or table.panel_units[0] != unit):  # the panel note names it
        # trial 48: Train's id, 235 people of about 12 rows each, split the map by low and high ids, unsaid
        n_units = len(np.unique(X[unit]))
        notes.append(f"column {unit!r} is named as an id and holds {n_units} whole numbers, each in several rows "
                     f"({len(X) / n_units:.0f} on average){within}, as ids of units measured more than once do, yet is "
                     f"used as a feature; if it names units, --exclude {unit} leaves it out (and fit and compare "
                     f"take --group-column {unit} to hold out whole units)")
    label = label_like_column(X)
    if label is not None:
        n_values = len(np.unique(X[label]))
        notes.append(f"column {label!r} holds {n_values} different whole numbers{within}, as class labels do, "
                     f"and is used as a feature; if it labels the rows, pass --label-column {label}")
    when = [name for name in time_part_columns(X) if name != label]
    if when:
        names = ", ".join(map(repr, when))
        used = "column {} is used as a feature" if len(when) == 1 else "columns {} are used as features"
        notes.append(used.format(names) + " like any other, so rows may group by when they were taken rather "
                     f"than by what they are; if that is not wanted, --exclude {option_names(when)}")
    repeated = repeated_id(table, part) if writes_rows else None  # a join on the outputs' ids (trial 48: compare has none)
    if repeated:
        notes.append(repeated)
    constant = constant_columns(X) if constant is None else constant
    if constant and len(constant) < X.shape[1]:  # used silently, and its zero error lowered the mean (trial 13)
        if shaped:  # --exclude would break the shape (trial 23 followed the advice into an error)
            notes.append(f"{len(constant)} of {X.shape[1]} columns {'holds' if len(constant) == 1 else 'hold'} "
                         "one value in every row "
                         f"({shown_names(constant, limit=4)}): "
                         + ("its zero error lowers the mean error; it stays" if len(constant) == 1 else
                            "their zero error lowers the mean error; they stay")
                         + ", as the rows' shape needs every column")
        elif len(constant) == 1:
            notes.append(f"column {constant[0]!r} holds one value in every row: it carries nothing to reduce, "
                         f"and its zero error lowers the mean error; --exclude {option_names(constant[:1])} leaves it out"
                         + _unless_images(X.shape[1]))
        else:
            # Past a few names (MNIST's 134 blank border pixels) --exclude is no practical advice.
            advice = f"; --exclude {option_names(constant)} leaves them out" + _unless_images(X.shape[1]) \
                if len(constant) <= 8 else ""
            notes.append(f"{len(constant)} of {X.shape[1]} columns hold one value in every row "
                         f"({shown_names(constant, limit=4)}): they carry nothing to reduce, and their zero "
                         f"error lowers the mean error{advice}")
    return notes


def repeated_id(table: Table, part: str | None = None) -> str | None:
    """A note when the id column names several rows alike: the outputs carry it to join on, and a
    join on a repeated id matches each of those rows to every other (trial 30: accepted silently).
    ``part``: which of the file's rows ``table`` holds, where not all."""
    if table.ids is None or table.row_labels_as_ids:  # a written index names rows as pandas wrote them
        return None
    import pandas as pd

    ids = pd.Series(table.ids)
    repeats = ids.duplicated(keep=False) & ids.notna()
    if not repeats.any():
        return None
    first = ids[repeats].iloc[0]
    rows = table.row_numbers[np.flatnonzero((ids == first).to_numpy())[:2]]
    n_values = int(ids[repeats].nunique())
    return (f"the id column {table.id_name!r} names more than one row alike ({plural(n_values, 'value')} repeated"
            f"{f' in {part}' if part else ''}; "
            f"{str(first)!r} names rows {rows[0]} and {rows[1]}): outputs keep one line per input row, so a join on "
            f"{table.id_name!r} would match them to each other; give a column with one value per row")


def _unless_images(n_columns: int) -> str:
    """The caveat to --exclude advice when the rows could be square images (64 columns: 8x8), which
    ``--image-shape`` draws only from every pixel: trial 29 excluded digits' three blank pixels, as
    advised, and ``plot --image-shape 8x8`` then refused the model."""
    side = math.isqrt(n_columns)
    if n_columns < 16 or side * side != n_columns:
        return ""
    return f" (but if the rows are {side}x{side} images, keep every column: --image-shape needs them all)"


def constant_columns(frame: Any) -> list[str]:
    """The columns of a DataFrame of 2 rows or more that hold one value in every row."""
    if len(frame) < 2:
        return []
    values = frame.to_numpy(dtype=np.float64, copy=False)
    return [str(name) for name in frame.columns[values.min(axis=0) == values.max(axis=0)]]


def row_counter_column(frame: Any) -> str | None:
    """The first column of a DataFrame, of 3 rows or more, that numbers the rows from 0 or 1 up by 1:
    a row id written as data, which a fit would take for a feature. None for a single column, which
    the fit's note on having nothing to reduce covers."""
    if frame.shape[0] < 3 or frame.shape[1] < 2:
        return None
    for name in frame.columns:  # column by column: a copy of the whole table cost MNIST's 60,000 rows 0.4 GB
        column = frame[name].to_numpy()
        if column[0] in (0, 1) and np.array_equal(column, column[0] + np.arange(len(column))):
            return str(name)
    return None


# A name that ends as an identifier's does: a code (distcod, zipcode), a short capital name in ID (PID), or
# a word id, key, no, nr, num or number after a separator or a capital (case_no, countyID, caseNo),
# so that acid, paid, casino, turkey and aluminum are not ids.
ID_SUFFIX = re.compile(r"(id|key|no|nr|num|number)$", re.IGNORECASE)


def named_as_id(name: str) -> bool:
    """Whether a column's name says it identifies rows (see :data:`ID_SUFFIX`)."""
    name = name.strip()
    low = name.lower()
    if low.endswith(("code", "cod")) or low == "id" or re.fullmatch(r"[A-Z]{1,2}ID", name):
        return True
    word = ID_SUFFIX.search(name)
    if word is None:
        return False
    start = word.start()
    return start == 0 or not name[start - 1].isalnum() or (name[start - 1].islower() and name[start].isupper())


# The share of rows with an id of their own that still reads as an id column: biopsy's patient IDs
# repeat for a patient's later samples (645 ids in 699 rows), and the fit trained on them (trial 36).
ID_DISTINCT_SHARE = 0.9


def _whole_number_column(frame: Any, named: Callable[[str], bool],
                         n_values_fit: Callable[[int, int], bool]) -> str | None:
    """The first feature of ``frame`` (20 rows or more, 2 features or more) whose name ``named`` takes
    and that holds whole numbers, as many different ones as ``n_values_fit(n_values, n_rows)`` takes."""
    if frame.shape[0] < 20 or frame.shape[1] < 2:
        return None
    for name in frame.columns:
        if named(str(name)):
            column = frame[name].to_numpy()
            if np.array_equal(column, np.round(column)) and n_values_fit(len(np.unique(column)), len(column)):
                return str(name)
    return None


def id_like_column(frame: Any) -> str | None:
    """The first feature, on 20 rows or more, named as an id (:func:`named_as_id`) that holds a different
    whole number in (nearly, :data:`ID_DISTINCT_SHARE`) every row: a code that names each row, which a
    fit would take for a measurement. Counts are whole and can all differ too (midwest's populations),
    so the name must say it."""
    return _whole_number_column(frame, named_as_id, lambda n_values, n_rows: n_values >= ID_DISTINCT_SHARE * n_rows)


def _named_id(name: str) -> bool:
    """Whether a column is named ``id`` (``ID``, ``Tuna.id``, ``patientId``)."""
    text = name.strip()
    low = text.lower()
    return bool(low == "id" or re.fullmatch(r".*[._ -]id", low) or re.fullmatch(r"(.*[a-z])?I[dD]", text))


def unit_id_column(frame: Any) -> str | None:
    """The first feature, on 20 rows or more, named ``id`` (:func:`_named_id`) that holds 5 whole
    numbers or more, each in 2 rows or more on average: the ids of units measured more than once (a
    person's choices, a firm's years), which a fit would take for a measurement. Not the other names
    :func:`named_as_id` takes: kyphosis' ``Number`` of vertebrae repeats as counts do."""
    return _whole_number_column(frame, _named_id, lambda n_values, n_rows: 5 <= n_values <= n_rows / 2)


LABEL_NAMES = {"label", "labels", "class", "classes", "target", "y", "species", "digit", "category"}


def label_like_column(frame: Any) -> str | None:
    """The first feature named as a class label is (``label``, ``class``, ``target``, ...) that
    holds from 2 to 50 whole numbers: a label a fit would take for a feature, silently (trial 20's
    MNIST export: 'label' among 784 pixels turned the scaling from none to standard)."""
    if frame.shape[1] < 2:
        return None
    for name in frame.columns:
        if str(name).strip().lower() in LABEL_NAMES:
            values = np.unique(frame[name].to_numpy())
            if 2 <= len(values) <= 50 and np.array_equal(values, np.round(values)):
                return str(name)
    return None


def time_part_columns(frame: Any) -> list[str]:
    """The features named as a date or time part (:data:`TIME_PART_NAMES`) that hold whole numbers."""
    found = []
    for name in frame.columns:
        if str(name).strip().lower() in TIME_PART_NAMES:
            values = frame[name].to_numpy(dtype=np.float64)
            if np.array_equal(values, np.round(values)):
                found.append(str(name))
    return found


def read_for_fit(data: str, read: ReadOptions,
                 rows: Callable[[Table], np.ndarray | None] | None = None) -> FilledTable:
    """Read DATA and apply the missing-value policy learnt on it (refusing a file with no usable row).

    ``rows``: given the table as read, the rows to keep (a boolean mask, or None for all), before
    anything is learnt or filled, so that the notes count only the rows kept."""
    table = read_table(data, **read.as_kwargs())
    kept = None if rows is None else rows(table)
    if kept is not None:
        table = table.take(kept)
    refuse_unusable_values(table.X, table.row_numbers, [repr(name) for name in table.feature_names], data, LARGEST_VALUE,
                           ids=table.ids)
    missing = MissingValues(read.nan or "error").fit(table)
    X_filled, encodable = missing.apply(table)
    # on the values as written, over every row that is not blank, as a spreadsheet's SUM adds them (and as a
    # streamed fit's first pass finds them): filled means or rows --nan drop leaves out change no total (a review)
    totals = totals_rows(table.X, ~table.blank())
    encodable[list(totals)] = False
    if not encodable.any():
        raise InputError(f"{data}: every row has a missing value, so no row is left to fit on; use --nan mean or zero")
    if encodable.sum() < 2:  # else scikit-learn's check, reported as a bug in aereduce (trial 12)
        left = " left after --nan drop" if len(encodable) > 1 else ""
        raise InputError(f"{data}: has 1 data row{left}; a fit needs at least 2 rows")
    return FilledTable(table, missing, encodable, _frame(X_filled[encodable], table.feature_names), totals)


# What becomes of an unnamed first column read as row labels when a model is fitted (table_notes).
REMEMBERED_ID = "kept as the model's id column (carried to the rows transform writes)"


def table_notes(table: Table, missing: MissingValues, dropped: str = NOT_ENCODED, row_labels: str | None = None,
                counted: str | None = None) -> list[str]:
    """The notes a command prints about how it read a table; ``dropped`` says what became of
    the rows ``--nan drop`` left out, ``row_labels`` what became of an unnamed first column
    read as row labels (default: carried to the output as its first column), ``counted`` which rows
    the missing values were counted in when not all of them (:meth:`MissingValues.summary`)."""
    notes = []
    if table.encoding_from_model:
        notes.append(f"read the file as {table.encoding_from_model} text, the encoding the model was fitted with; "
                     "--encoding overrides it")
    if table.read_by_position:  # a swapped pair gives wrong codes and no error (trial 8): show the mapping
        pairs = ", ".join(f"{shown_names([given])} as {shown_names([name])}" for given, name in table.read_by_position[:6])
        more = f", ... ({len(table.read_by_position)} in all)" if len(table.read_by_position) > 6 else ""
        given = ("read the .npy file's columns (which have no names) by position" if format_of(table.source) == "npy"
                 else "read --columns by position")
        notes.append(f"{given} as the model's columns: {pairs}{more}; check that the order matches")
    if table.numbers_as_names:
        # a review: '0,1,2' over '0.25,3,5' (a time column from 0) lost its first row to the header rule
        names = table.feature_names + table.skipped_columns
        shown = ",".join(names[:4]) + (",..." if len(names) > 4 else "")
        notes.append(f"read the first line ({shown}) as the column names (whole numbers in order over decimals); "
                     "pass --no-header if it is a row of data")
    if table.names_made_up:
        notes.append("the first line holds only numbers, so it was read as data and the columns named x0, x1, ...; "
                     "pass --header if it names the columns")
    # a Parquet file's column of pandas' "Unnamed: 0" has a name, but no header (trial 35)
    unnamed = ("the first column has no name in the header" if format_of(table.source) in ("csv", "tsv") else
               f"the first column has no name of its own ({UNNAMED_FIRST_COLUMN!r} is pandas' name for an unnamed one)")
    if table.row_labels_as_ids:
        kept = row_labels or "carried to the output as its first column"
        notes.append(f"{unnamed}: read it as row labels (a written index), {kept} rather than used as a feature; "
                     "name it to use it as one")
    if table.row_labels_left_out:
        notes.append(f"{unnamed}: read it as row labels (a written index) and left it out, as --id-column "
                     f"{table.id_name} names the rows; name it to use it as a feature")
    if table.regrouped:
        # a model without the fit's reading (saved before it was kept) reads in chunks: the first may
        # read 18.804 as a decimal, and a later one's plain integers show the grouping (review)
        names = table.regrouped
        notes.append(f"{shown_names(names)}: numbers like 3.750 were read with the mark as a decimal point, as the "
                     "model's fit or the first rows read them, but rows here show it groups thousands (plain integers "
                     "beside them); pass --thousands with that mark (--thousands . for 3.750), and fit the model "
                     "again with it if it was fitted so, to read them alike")
    if table.point_read_columns:
        # trial 35: a German export's 3.750 g (3750) read as 3.75, silently; the cells alone cannot tell
        names, cell = list(table.point_read_columns), next(iter(table.point_read_columns.values()))
        notes.append(f"{shown_names(names)} {'hold' if len(names) > 1 else 'holds'} numbers like {cell}, read with "
                     f"'.' as a decimal point ({float(cell):g}) as nothing in the column shows thousands grouped; if "
                     f"'.' groups thousands there ({cell.replace('.', '')}), pass --thousands .")
    if table.grouped_by_the_file:
        # a review: read on the file's other columns alone, a wrong reading (1000x off) had no word
        names, cell = list(table.grouped_by_the_file), next(iter(table.grouped_by_the_file.values()))
        mark, decimal = (".", ",") if "." in cell else (",", ".")
        notes.append(f"{shown_names(names)} {'hold' if len(names) > 1 else 'holds'} numbers like {cell}, read with "
                     f"{mark!r} grouping thousands ({cell.replace(mark, '')}) as the decimal mark is {decimal!r}; if "
                     f"{mark!r} is a decimal mark there, write those numbers with {decimal!r}")
    exponent_codes = {name: cell for name, cell in table.leading_zero_columns.items() if EXPONENT_CODE.fullmatch(cell)}
    if exponent_codes:
        # trial 44: part numbers (001E1) were a feature, read as 10, without a word
        names, one = list(exponent_codes), len(exponent_codes) == 1
        first = next(iter(exponent_codes.values()))
        notes.append(f"{shown_names(names)} {'holds' if one else 'hold'} codes with a letter E ({first!r}), which are "
                     f"read as numbers in scientific notation ({first} as {float(first):g}) and used as "
                     f"{'a feature' if one else 'features'}; if {'it is a code' if one else 'they are codes'}, pass "
                     f"--exclude {option_names(names)}")
    codes = {name: cell for name, cell in table.leading_zero_columns.items() if name not in exponent_codes}
    if codes:
        # trial 39: ZIP and phone numbers (00512) were features, read as 512, without a word
        names, one = list(codes), len(codes) == 1
        cells = ", ".join(repr(cell) for cell in list(codes.values())[:3]) + (", ..." if len(codes) > 3 else "")
        first = next(iter(codes.values()))
        notes.append(f"{shown_names(names)} {'writes its' if one else 'write their'} numbers with leading zeros "
                     f"({cells}), as codes such as ZIP or phone numbers (or clock times) are written, and {'is' if one else 'are'} used "
                     f"as {'a feature' if one else 'features'}, read as numbers ({first} as {int(first)}); if "
                     f"{'it is a code' if one else 'they are codes'}, pass --exclude {option_names(names)}")
    if table.skipped_columns:
        hint = "".join(_numbers_as_text_hint(table, why) for why in ("comma", "grouped", "thousands", "unit"))
        two = table.two_valued_columns
        if two:  # Schooling's 16 yes/no columns could only be ids or labels, by the advice (trial 32)
            first, (one, other) = next(iter(two.items()))
            each = (f"{shown_names(list(two))} hold two values each ({first}: " if len(two) > 1 else
                    f"{first} holds two values (")
            use = "them as features" if len(two) > 1 else "it as a feature"
            hint += f"; {each}{one!r} and {other!r}): to use {use}, write the values as 0 and 1"
        them = "them" if len(table.skipped_columns) > 1 else "it"
        # columns of numbers or of two values have their own advice: an id or a label is one column (trial 39)
        explained = set(table.numbers_as_text) | set(table.two_valued_columns)
        roles = (f" (use {them} with --id-column or --label-column)"
                 if any(name not in explained for name in table.skipped_columns) else "")
        notes.append(f"skipped {plural(len(table.skipped_columns), 'non-numeric column')}: "
                     f"{', '.join(table.skipped_columns)}{roles}{hint}")
    if table.non_numeric_counts:
        cells = ", ".join(f"{k}: {v}" for k, v in table.non_numeric_counts.items())
        notes.append(f"read non-numeric cells as missing ({cells})")
    notes += [line for line in (missing.empty_summary(dropped), missing.summary(dropped, counted)) if line]
    return notes


def _numbers_as_text_hint(table: Table, why: str) -> str:
    """What to pass or write to read the skipped columns of numbers that ``why`` made text
    (:attr:`Table.numbers_as_text`), with their first cells; '' where there are none."""
    names = [name for name, (reason, _) in table.numbers_as_text.items() if reason == why]
    if not names:
        return ""
    cells = ", ".join(repr(table.numbers_as_text[name][1]) for name in names[:3]) + (", ..." if len(names) > 3 else "")
    columns, hold, them = shown_names(names), "hold" if len(names) > 1 else "holds", "them" if len(names) > 1 else "it"
    if why == "comma":
        # trial 37: German penguins' 39,1 skipped and 3.750 read as 3.75, each note advising one option
        both = (f" (with --thousands . for {shown_names(list(table.point_read_columns))})"
                if table.point_read_columns and table.thousands is None else "")
        return f"; {columns} {hold} numbers written with a decimal comma ({cells}): pass --decimal ,{both} to read {them}"
    if why == "grouped":
        # trial 36: "42,000" prices (every one over 1,000) were told to take --decimal , and read as 42.0
        first = table.numbers_as_text[names[0]][1]
        return (f"; {columns} {hold} numbers like {cells}: pass --thousands , if the comma groups thousands there "
                f"({first.replace(',', '')}), or --decimal , if it is a decimal mark ({float(first.replace(',', '.'))})")
    if why == "thousands":
        # --thousands , implies the decimal point: leaving it out would leave 1,6 unread (a review)
        mark = table.thousands or ""
        todo = "pass --decimal , instead of --thousands ," if mark == "," else f"leave --thousands {mark} out"
        return (f"; {columns} {hold} numbers like {cells}, where {mark!r} does not group thousands as --thousands "
                f"{mark} says: if {mark!r} is their decimal mark, {todo}")
    # '$ 37.13' and '8%' were told to be ids or labels (trial 38)
    features = "them as features" if len(names) > 1 else "it as a feature"
    return f"; {columns} {hold} numbers written with a unit ({cells}): to use {features}, write the numbers alone"


def fitted_kind(method: str, params: dict[str, Any] | None) -> str:
    """The method and the member of the family its options ask for, as the fit summaries name
    them: ``ae``, ``ae, variational``, ``ae, on 64 principal components``."""
    variant = model_variant(params)
    return f"{method}, {variant}" if variant else method


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
    decoder_epochs: int | None = None  # a map's decoder phase, after its n_epochs with the neighbour term
    held_units: tuple[int, str] | None = None  # (units, group column) held out whole (--group-column)
    validation_units: int | None = None  # the whole units early stopping validated on (--group-column)
    pca_error: float | None = None
    # the evaluated rows' variance (their mean row's error): the bar of a model that learned nothing, and the scale
    # below which errors are rounding (failure_bar)
    variance: float | None = None
    kept_pca: bool | None = None
    n_evaluated: int = 0  # the rows the two errors are means over
    within_noise: bool = False  # the error and PCA's too close to name a winner (_training.within_noise)
    notes: list[str] = field(default_factory=list)
    is_map: bool = False  # the neighbour term trained the codes (a 2-3-D map of 1,000+ rows, by default)
    params: dict[str, Any] = field(default_factory=dict)  # the autoencoder options given: what the model is
    batch_size: int | None = None  # the autoencoder's resolved batch size (for failed_fit_fix); None for PCA
    scaling: str | None = None  # the resolved scaling (scaling_): the errors are in its units
    default_epochs: int | None = None  # 0 where the default is PCA's solution (_resolve.default_epochs)

    def set_variance(self, scaled_rows: np.ndarray, mean: np.ndarray) -> None:
        """The evaluated rows' variance about the training ``mean`` (the error of a model that learned
        nothing, :func:`~aereduce._resolve.failure_bar`), from the rows in the model's scaled units."""
        self.variance = mean_row_error(scaled_rows, mean)

    @property
    def measured(self) -> str:
        """'held-out reconstruction MSE 0.54 on standardised columns': the error and its units."""
        from ._scaling import SCALED_COLUMNS

        units = f" on {SCALED_COLUMNS[self.scaling]}" if self.scaling in SCALED_COLUMNS else ""
        whole = ""
        if self.held_units is not None:  # --group-column: units the model has not seen
            n_units, name = self.held_units
            whole = f" ({plural(n_units, 'whole unit')} of {name!r})"
        return f"{self.where} reconstruction MSE {self.error:.4g}{whole}{units}"

    @property
    def failure_fix(self) -> str:
        """check_not_failed's advice (:func:`failed_fit_fix`)."""
        if self.held_units is not None:  # a review: told to lower --lr where the model did not carry to new units
            return "what the model learnt does not carry to units it was not fitted on: fit on more units"
        if self.batch_size is None:
            return f"lower {cli_option('learning_rate_init')}"
        return failed_fit_fix(self.params, self.n_train, self.batch_size, shown=cli_option, is_map=self.is_map,
                              default_epochs=self.default_epochs)

    def trades_reconstruction(self) -> str | None:
        """What a regularised model trains for instead of reconstruction alone, or None: its error
        above PCA's is then no reason to use PCA (a denoiser was told to, trial 14)."""
        given = self.params
        for on, why in ((given.get("noise"), "a denoiser learns to rebuild clean rows from noisy ones, which "
                                             "`aereduce denoise` on noisy rows measures"),
                        (given.get("variational"), "a variational model keeps its codes near N(0, I), where "
                                                   "`aereduce sample` draws from"),
                        (given.get("sparsity"), "a sparse model trades reconstruction for sparse codes"),
                        (given.get("contractive_weight"), "a contractive model trades reconstruction for codes "
                                                          "that small changes of a row barely move"),
                        (given.get("loss") == "cosine", "a cosine model rebuilds each row's direction, not its "
                                                        "length")):
            if on:
                return why
        return None

    def lines(self) -> list[str]:
        """The summary lines ``aereduce fit`` prints on stderr."""
        return [*self.notes, *self.summary(), f"wrote {self.output}"]

    def summary(self) -> list[str]:
        """What was fitted and its error against PCA's: the lines the model file keeps (``fit_summary_``)."""
        lines = [fitted_line(self.method, self.params, self.dim, (self.n_train, self.n_columns), self.n_epochs,
                             self.decoder_epochs, self.seconds)]
        if self.kept_pca:
            if self.dim >= self.n_columns:  # trial 38: "MSE 0 ... which training did not clearly beat"
                why = "which rebuilds every row exactly"
            elif self.n_epochs != 0 and self.validation_units and self.validation_units < MIN_UNITS_FOR_A_GAIN:
                # one or two units confirm nothing (a review: 10 firms kept PCA's start in every fold)
                why = (f"as {plural(self.validation_units, 'validation unit')} cannot confirm a gain over it "
                       f"(it takes {MIN_UNITS_FOR_A_GAIN} validation units, and so {MIN_UNITS_TO_JUDGE_A_GAIN} units in "
                       "the rows fitted on)")
            elif self.n_epochs != 0 and self.validation_units:
                why = (f"which training did not clearly beat on the {plural(self.validation_units, 'validation unit')}"
                       ", unit by unit")
            elif self.n_epochs != 0:
                why = "which training did not clearly beat on the validation rows"
            elif self.params.get("hidden_layer_sizes") == ():  # --hidden-layers none: PCA's is the linear best
                why = "the best a linear model (--hidden-layers none) can reach"
            else:
                why = "with so few rows a non-linear model could only fit noise beyond it"
            # PCA has no more axes than columns: a wider code keeps PCA's every axis and constant units.
            solution = f"PCA-{min(self.dim, self.n_columns)}'s solution"
            if self.dim > self.n_columns:
                solution += f" and {plural(self.dim - self.n_columns, 'constant code unit')}"
            lines.append(f"{self.measured}: the model keeps {solution}, {why}")
        elif self.pca_error is None:
            lines.append(self.measured)
        else:
            ratio = self.pca_error / self.error if self.error > 0 else float("inf")
            if self.within_noise:
                # A few held-out rows cannot tell a few per cent apart (nor a gap that one or two rows
                # carry): say which way it went, and that it is not clear, rather than name a winner.
                direction = "lower" if self.error < self.pca_error else "higher"
                on = (plural(self.held_units[0], "held-out unit") if self.held_units is not None else
                      f"{self.n_evaluated} {self.where} rows")
                compared = f"; {direction} than PCA's, but not clearly on {on}"
            elif ratio >= 1:
                compared = f", {ratio:.2f}x lower than PCA's"
            elif trade := self.trades_reconstruction():
                compared = f"; higher than PCA's, as expected: {trade}"
            else:
                # A fit cut short may close the gap with more epochs (trial 20's --epochs 2 was told only PCA).
                longer = (self.batch_size and not self.is_map
                          and short_training_fix(self.params, self.n_train, self.batch_size, shown=cli_option,
                                                 default_epochs=self.default_epochs))
                compared = f"; PCA is better here: {longer + ', or ' if longer else ''}--method pca saves PCA itself"
            if self.is_map and self.error > self.pca_error:
                # The map's codes place neighbours; reconstruction is the decoder's best from them.
                compared += "; the map's codes keep neighbours, not detail: --neighbour-weight 0 fits for reconstruction"
            lines.append(f"{self.measured} (PCA-{self.dim}: {self.pca_error:.4g}"
                         f"{compared})")
        return lines


def check_model_output(output: str, data: str) -> None:
    """``fit``'s ``-o``: a model file, never stdout nor a name a table, picture or page would have
    (``fit data.csv -o codes.csv``, meant as fit-transform, overwrote a CSV with a model)."""
    from .tables import FORMATS

    # a folder named like a file (-o adir.csv/) is a folder, which check_output names as such (trial 42)
    suffix = "" if output.endswith(("/", os.sep)) else Path(output).suffix.lower()
    if output == "-" or suffix in {*FORMATS, *IMAGE_SUFFIXES, ".html", ".htm", ".gz"}:
        where, given = ("", "stdout") if output == "-" else (f"{output}: ", f"a {suffix} file")
        raise InputError(f"{where}fit writes a model file, not {given}; give -o a file name ending in .aer "
                         "(fit-transform writes the codes)")
    check_output(output, inputs=[data])


def default_model_path(data: str) -> str:
    return str(Path(data if data != "-" else "model").with_suffix(".aer"))


def fit_model(data: str, output: str, *, method: str = "ae", dim: int | None, read: ReadOptions, seed: int = 0,
              holdout: float = 0.1, params: dict[str, Any] | None = None,
              progress: ProgressFn | None = None, stream: bool | None = None, chunk_rows: int = CHUNK_ROWS,
              reducer: Any = None, ensemble: int | None = None,
              contamination: str | None = None, notify: NoteFn | None = None) -> FitReport | DetectorReport:
    """Fit ``method`` on DATA, report its held-out error against PCA's, and save it to ``output``;
    with ``ensemble``, an outlier detector of that many autoencoders (:func:`fit_detector`), whose
    ``dim`` may be None (its default); a single model needs a ``dim``.

    ``stream``: read DATA in chunks of ``chunk_rows`` rows, once per pass, instead of whole (None:
    when it is larger than :data:`aereduce.streaming.STREAM_ABOVE_BYTES`); see :mod:`aereduce.streaming`.
    ``reducer``: an unfitted reducer of ``method`` to fit instead of a default one (a distributed one).
    ``notify``: where the notes on how DATA was read go before training (else into the report).
    """
    format_of(data)  # a model given as DATA is named as such, before -o is checked against it
    from .streaming import fit_file, should_stream

    if read.group_column is not None and (ensemble is not None or contamination is not None or stream):
        raise OptionError("--group-column holds out whole groups in a fit of one model in memory; "
                          + ("an outlier detector (--ensemble) cannot" if not stream else
                             "a streamed fit, which holds out rows by a hash of their number, cannot")
                          + ": leave out --group-column" + ("" if not stream else ", or --stream"))
    if ensemble is not None or contamination is not None:
        if stream:  # it was ignored (trial 15): the detector's members and their densities read every row at once
            raise OptionError("an outlier detector (--ensemble) reads DATA whole and cannot stream it; "
                              "leave out --stream")
        check_params_before_reading({**(params or {}), "neighbour_weight": 0.0} if params else None, dim)
        return fit_detector(data, output, method=method, dim=dim, read=read, seed=seed, holdout=holdout,
                            params=params, progress=progress, ensemble=ensemble, contamination=contamination,
                            notify=notify)
    if not get_method(method).can_save:
        raise OptionError(get_method(method).why_not_saved)
    streaming = should_stream(data, stream)
    check_params_before_reading(params, dim, "fit_stream" if streaming else False)
    if streaming and read.group_column is not None:  # a file over 1 GiB, streamed unless told otherwise
        raise OptionError(f"{data}: a file this large is streamed, and a streamed fit holds out rows by a hash of "
                          "their number, not whole groups: leave out --group-column, or pass --no-stream")
    if streaming:
        return fit_file(data, output, method=method, dim=dim, read=read, seed=seed, holdout=holdout, params=params,
                        progress=progress, chunk_rows=chunk_rows, notify=notify)
    check_model_output(output, data)
    filled = read_for_fit(data, read)
    X = filled.X
    groups = checked_groups(filled, data)
    train, held = split_for_fit(X, holdout, groups)
    train_groups = None if groups is None else groups[train.index.to_numpy()]
    held_groups = None if groups is None or not len(held) else groups[held.index.to_numpy()]
    if groups is not None and validates(method, params, len(train)):
        refuse_one_unit_to_fit_on(data, filled.table.group_name, groups, train_groups, "for the error against PCA's",
                                  "", "give more units, --holdout 0, or --no-early-stopping")
    # on the rows the method is fitted on (a review: 10 rows passed, and PCA refused 9 in its own words)
    check_dimension(method, dim, *train.shape, data, held_out=len(held))
    # no --noise for PCA, which refuses it (trial 30 followed the advice into that refusal)
    # (torchrun's fit takes no --group-column: its note would advise what it cannot do)
    panel = panel_note(filled.table, holdout) if reducer is None else []
    notes = send_notes(filled.notes(row_labels=REMEMBERED_ID, params=params) + panel + group_notes(filled.table, groups)
                       + dimension_notes(dim, X.shape[1], params, regularisers=method == "ae", n_rows=len(train))
                       + map_lost_to_the_holdout(method, params, dim, len(X), len(train), X.shape[1]), notify)
    reducer = reducer if reducer is not None else make_reducer(method, dim, seed, **(params or {}))
    tic = time.perf_counter()
    fit_reducer(method, reducer, train, progress, groups=train_groups)
    # The estimator's own fit time where it keeps one, so the summary and `inspect` agree (the
    # wall clock here also counts torch's first-use imports).
    seconds = getattr(reducer, "fit_time_", None) or time.perf_counter() - tic
    evaluation = held if len(held) else train
    row_errors = reducer.reconstruction_error(evaluation)
    error = float(np.mean(row_errors))
    report = FitReport(method, dim, len(train), X.shape[1], seconds, error, "held-out" if len(held) else "training",
                       output, n_epochs=epochs_trained(reducer),
                       decoder_epochs=decoder_epochs(reducer),
                       kept_pca=getattr(reducer, "kept_initial_weights_", None), notes=notes,
                       is_map=getattr(reducer, "neighbour_weight_", 0) > 0, params=dict(params or {}),
                       batch_size=getattr(reducer, "batch_size_", None), scaling=getattr(reducer, "scaling_", None),
                       default_epochs=default_epochs(reducer),
                       held_units=None if held_groups is None else (len(set(held_groups)), filled.table.group_name),
                       validation_units=getattr(reducer, "_n_validation_groups", None))
    if has_pca_bar(method, dim, X.shape[1], len(train)):
        measure_against_pca(report, reducer, row_errors, train, evaluation, units=held_groups)
        check_not_failed(report)
    reducer.input_settings_ = input_settings(read, filled.missing, filled.table.X, table=filled.table)
    reducer.fit_summary_ = report.summary()  # inspect and the report show what fit said (trial 22)
    reducer.save(output)
    return report


def check_params_before_reading(params: dict[str, Any] | None, dim: int | None,
                                streaming: bool | str = False) -> None:
    """Refuse a combination of the autoencoder's ``params`` (and ``--dim``; ``streaming``: the fit's
    name when it reads DATA in chunks) that no data could make good before DATA is read, which may
    take minutes (:func:`aereduce._resolve.check_before_reading`)."""
    if not params:
        return
    from ._resolve import check_before_reading

    check_before_reading(with_defaults(params, dim), streaming)


def with_defaults(params: dict[str, Any] | None, dim: int | None) -> dict[str, Any]:
    """Every autoencoder parameter: ``params``, ``n_components=dim`` (when given), else the defaults."""
    from ._params import AUTOENCODER_PARAMS

    defaults = {name: param.default for name, param in AUTOENCODER_PARAMS.items()}
    return {**defaults, **({"n_components": dim} if dim else {}), **(params or {})}


def trains_a_map(params: dict[str, Any] | None, dim: int, n_train: int, n_features: int | None = None) -> bool:
    """Whether an autoencoder of ``params`` at ``dim`` on ``n_train`` rows (of ``n_features`` columns)
    trains the neighbour term (a map)."""
    from ._resolve import neighbour_weight

    return neighbour_weight(with_defaults(params, dim), n_train, n_features=n_features) > 0


def map_lost_to_the_holdout(method: str, params: dict[str, Any] | None, dim: int, n_rows: int,
                            n_train: int, n_features: int | None = None) -> list[str]:
    """The note when the held-out rows take the training rows under the map's minimum: quakes' 1,000
    rows gave a map in ``fit-transform`` but a plain autoencoder in ``fit``, which trains on 900,
    and neither said why (trial 29)."""
    if (method != "ae" or n_train == n_rows or not trains_a_map(params, dim, n_rows, n_features)
            or trains_a_map(params, dim, n_train, n_features)):
        return []
    return [f"the {dim}-D map (the neighbour term) needs {NEIGHBOUR_MIN_ROWS:,} training rows, and holding out "
            f"{n_rows - n_train} of the {n_rows:,} leaves {n_train}, so this is a plain autoencoder; --holdout 0 "
            "(as fit-transform) or --neighbour-weight 1 gives the map"]


def fitted_line(method: str, params: dict[str, Any] | None, dim: int, shape: tuple[int, int], n_epochs: int | None,
                decoder_epochs: int | None, seconds: float) -> str:
    """The first line of a fit's summary: "fitted ae (2 dims) on 135 rows x 4 columns, 10 epochs in 2.4 s"."""
    head = f"fitted {fitted_kind(method, params)} ({plural(dim, 'dim')}) on {shape[0]} rows x " \
           f"{plural(shape[1], 'column')}"
    if n_epochs and decoder_epochs:  # trial 20 read "3 epochs" where the plot drew 3 and then 13
        # and trial 34 took the map's epochs for passes over the rows, which they are not
        head += (f", {plural(n_epochs, 'epoch')} of the map ({NEIGHBOUR_STEPS_PER_EPOCH} steps each) and "
                 f"{decoder_epochs} of its decoder")
    elif n_epochs:
        head += f", {plural(n_epochs, 'epoch')}"
        asked = (params or {}).get("max_iter")
        if isinstance(asked, int) and 0 < n_epochs < asked:  # trial 42 asked 150 and was told 18, no more
            head += f" of the {asked} asked (early stopping ended it; --no-early-stopping trains them all)"
    elif n_epochs == 0:  # "0 epochs" read as a failure (trial 13); the next line says why none
        head += ", no training epochs"
    return head + f" in {seconds:.1f} s"


def decoder_epochs(reducer: Any) -> int | None:
    """The epochs of a map's decoder phase, after the neighbour term's (None without one)."""
    return len(getattr(reducer, "decoder_loss_curve_", None) or []) or None


def epochs_trained(reducer: Any) -> int | None:
    """The epochs a model trained (0 for PCA's closed-form solution, whose ``n_iter_`` is 1); None for
    a method that trains in none (PCA, UMAP)."""
    curve = getattr(reducer, "loss_curve_", None)
    return None if curve is None else len(curve)


def dimension_notes(dim: int, n_columns: int, params: dict[str, Any] | None, *, detector: bool = False,
                    regularisers: bool = True, n_rows: int | None = None) -> list[str]:
    """``fit``'s note on a code that cannot reduce the data: one column, or as many dimensions as
    columns (unless ``params`` make it an overcomplete autoencoder), or as the ``n_rows`` trained on;
    ``detector``: an outlier detector's members, whose exact copies score no row as an outlier."""
    if n_columns == 1:  # "choose --dim below 1" would be no advice
        return ["only 1 feature column is numeric, so there is nothing to reduce: the code holds the column "
                "itself; give more numeric columns (text columns can only be --id-column or --label-column)"]
    if dim >= n_columns and not regularises_the_code(params or {}):
        if detector:
            return [f"--dim {dim} is not below the {n_columns} feature columns: each member can copy its rows "
                    f"exactly, so reconstruction error cannot set outliers apart; choose --dim below {n_columns} "
                    f"(e.g. {max(1, n_columns // 2)})"]
        overcomplete = ", or for an overcomplete code add --noise or --sparsity" if regularisers else ""
        return [f"--dim {dim} is not below the {n_columns} feature columns: the code can hold each row whole, "
                f"so nothing is reduced (PCA-{n_columns} is exact); choose --dim below {n_columns}{overcomplete}"]
    if n_rows is not None and dim >= spanned_dimensions(n_rows) and not regularises_the_code(params or {}):
        return [rows_spanned(dim, n_rows, "--dim ")]
    return []


def panel_note(table: Table, holdout: float) -> list[str]:
    """fit's note where the rows look like units measured over time (:attr:`Table.panel_units`) and
    rows are held out at random: trial 42's Produc model, 6x better than PCA on other years of the
    states it was fitted on, was 1.2x worse than PCA on other states."""
    if table.panel_units is None or holdout == 0:
        return []
    unit, times, n_units = table.panel_units
    feature = f", and takes {unit!r} out of the features" if unit in table.feature_names else ""
    return [f"the rows look like units measured over time: {unit!r} names {n_units} units, most at several values "
            f"of {' and '.join(map(repr, times))}; held out at random, the held-out rows are other times of units fitted on, so the error "
            f"against PCA's says little of units the model has not seen: --group-column {option_names([unit])} "
            f"holds out whole units{feature}"]


def checked_groups(filled: FilledTable, data: str) -> np.ndarray | None:
    """The --group-column's value of each row fitted on, as text (a missing one is a group of its
    own); None without one. Refuses a column of one group, which leaves none to hold out."""
    groups = filled.groups
    if groups is None:
        return None
    from ._split import group_keys

    groups = np.asarray([key.strip() for key in group_keys(groups)], dtype=object)
    n_groups = len(set(groups))
    if n_groups < 2:
        raise InputError(f"{data}: the group column {filled.table.group_name!r} holds one value in the rows fitted on, "
                         "so no whole group can be held out; give the column that names the unit each row measures")
    return groups


def refuse_one_unit_to_fit_on(data: str, group_name: str | None, groups: np.ndarray, fitted: np.ndarray, held_for: str,
                              validator: str, fixes: str) -> None:
    """The estimator's refusal of validation rows by units where the units ``held_for`` something left
    one to fit on (``fitted``, the fitted rows' units), in the command line's words (a review: 2 units)."""
    if len(set(fitted)) < 2:
        raise InputError(f"{data}: the group column {group_name!r} names {plural(len(set(groups)), 'unit')}; holding "
                         f"out whole units {held_for} leaves one to fit on, and none {validator}to validate on: {fixes}")


def validates(method: str, params: dict[str, Any] | None, n_train: int) -> bool:
    """Whether ``method``'s fit on ``n_train`` rows holds some out to validate on (early stopping)."""
    from ._resolve import stops_early

    return get_method(method).trains_in_epochs and stops_early((params or {}).get("early_stopping", "auto"), n_train)


def group_notes(table: Table, groups: np.ndarray | None) -> list[str]:
    """What to know of the --group-column's units (:func:`checked_groups`' ``groups``): rows with none,
    and a column of times rather than units (trial 43 held out 'year' and was told 4.17x)."""
    if groups is None:
        return []
    notes = []
    n_without = int(np.sum(groups == ""))
    if n_without:
        notes.append(f"{plural(n_without, 'row')} {'has' if n_without == 1 else 'have'} no value in the group column "
                     f"{table.group_name!r}: they are held out or fitted together, as one unit")
    n_units = len(set(groups))
    if n_units > len(groups) / 2:  # a measurement given as the units (a review): held-out units are held-out rows
        notes.append(f"the group column {table.group_name!r} names {n_units} units in {len(groups)} rows, so most rows "
                     "are a unit of their own, and holding out units holds out rows; give the column that names the "
                     "unit each row measures")
    if str(table.group_name).strip().lower() in PANEL_TIME_NAMES:
        notes.append(f"the group column {table.group_name!r} names times, not units: holding out its values measures "
                     "the model on times it has not seen, of the units it has; to hold out units, give the column "
                     "that names them")
    return notes


def split_for_fit(X: Any, holdout: float, groups: np.ndarray | None = None) -> tuple[Any, Any]:
    """The training and held-out rows of ``fit`` (none held out below 10 rows); whole ``groups``
    where given (:func:`aereduce._split.split_rows`)."""
    from ._split import split_rows  # scikit-learn and torch load only once the input is known to be good

    train_rows, held_rows = split_rows(len(X), holdout if len(X) >= 10 else 0.0, 0, groups=groups)
    return X.iloc[train_rows], X.iloc[held_rows]


@dataclass
class DetectorReport:
    """What ``fit --ensemble`` did, for its summary."""

    n_estimators: int
    dim: int
    n_train: int
    n_columns: int
    seconds: float
    n_epochs: list[int]  # each member's (early stopping ends each at its own epoch)
    threshold: float  # anomaly scores above it are outliers
    contamination: str | float
    train_flagged: int
    n_held: int
    held_flagged: int
    output: str
    notes: list[str] = field(default_factory=list)
    n_calibration: int = 0  # rows no member trained on, where the "auto" fence was set

    def epochs(self) -> str:
        """'5 epochs each', or each member's count when they differ ('13, 20 and 20 epochs'; a mean said
        '18 epochs each')."""
        if len(self.n_epochs) == 1:
            return plural(self.n_epochs[0], "epoch")
        if len(set(self.n_epochs)) == 1:
            return f"{plural(self.n_epochs[0], 'epoch')} each"
        counts = [str(n) for n in self.n_epochs]
        return f"{', '.join(counts[:-1])} and {counts[-1]} epochs"

    def lines(self) -> list[str]:
        """The summary lines ``aereduce fit --ensemble`` prints on stderr."""
        return [*self.notes, *self.summary(), f"wrote {self.output}"]

    def summary(self) -> list[str]:
        """What was fitted and what its threshold flags: the lines the model file keeps (``fit_summary_``)."""
        if self.contamination != "auto":
            rule = f"contamination {self.contamination:g}"
        elif self.n_calibration:
            rule = f"Tukey's fence, set with {plural(self.n_calibration, 'row')} no member trained on"
        else:
            rule = "Tukey's fence on the training rows"
        flagged = f"{self.train_flagged} of {self.n_train} training rows ({self.train_flagged / self.n_train:.1%})"
        if self.n_held:
            flagged += f" and {self.held_flagged} of {self.n_held} held-out rows ({self.held_flagged / self.n_held:.1%})"
        lines = [f"fitted an outlier detector of {plural(self.n_estimators, 'autoencoder')} ({plural(self.dim, 'dim')}, "
                 f"{self.epochs()}) on {self.n_train} rows x {plural(self.n_columns, 'column')} in {self.seconds:.1f} s",
                 f"outliers: anomaly score above {self.threshold:.4g} ({rule}); that flags {flagged}"]
        held_share = self.held_flagged / self.n_held if self.n_held else 0.0
        if self.contamination != "auto" and self.n_held >= FEW_HELD_FOR_SHARE and \
                held_share > CONTAMINATION_OVERSHOOT * float(self.contamination):
            # Trial 33: --contamination 0.01 flagged 18% of the held-out threes and 12% of the test threes,
            # where the default fence flagged 6%: the members rebuild their own rows better than new ones.
            lines.append(f"--contamination {self.contamination:g} is the share of the training rows flagged, as in "
                         f"scikit-learn; new rows are rebuilt less well, and {held_share:.1%} of the held-out rows were "
                         "flagged: leave --contamination out for a threshold set on rows no member trained on")
        return lines


# A --contamination share is the training rows'; when the held-out rows flagged (at least this many
# rows) exceed it this many times, fit says that the default fence suits new rows better.
FEW_HELD_FOR_SHARE = 20
CONTAMINATION_OVERSHOOT = 3.0


def detector_options(method: str, ensemble: int | None, contamination: str | None) -> str | float:
    """Check ``fit``'s outlier-detector options; returns the contamination ("auto" or a share)."""
    if ensemble is None:
        raise OptionError("--contamination needs --ensemble N: the threshold belongs to an outlier detector")
    if ensemble < 1:  # one member is a detector too, as n_estimators=1 is in Python (trial 28)
        raise OptionError(f"--ensemble {ensemble}: an outlier detector needs 1 or more autoencoders")
    if method != "ae":
        raise OptionError(f"--ensemble needs --method ae (an ensemble of autoencoders), not {method}; "
                          f"`aereduce score` on a --method {method} model gives its reconstruction error")
    if contamination is None or contamination == "auto":
        return "auto"
    try:
        share = float(contamination)
    except ValueError:
        share = float("nan")
    if not 0 < share <= 0.5:
        raise OptionError(f"--contamination {contamination}: must be auto or a share of rows in (0, 0.5], e.g. 0.01")
    return share


def fit_detector(data: str, output: str, *, method: str, dim: int | None, read: ReadOptions, seed: int, holdout: float,
                 params: dict[str, Any] | None, progress: ProgressFn | None, ensemble: int | None,
                 contamination: str | None, notify: NoteFn | None = None) -> DetectorReport:
    """Fit an :class:`~aereduce.outliers.AutoencoderOutlierDetector` of ``ensemble`` autoencoders on DATA,
    report the share of training and held-out rows its threshold flags, and save it to ``output``."""
    share = detector_options(method, ensemble, contamination)
    check_model_output(output, data)
    filled = read_for_fit(data, read)
    from .outliers import FEW_THRESHOLD_ROWS, AutoencoderOutlierDetector, detector_components

    # the estimator's warning in the command line's words (trial 21 read "warning (click): ... n_components")
    n_columns = filled.X.shape[1]
    train, held = split_for_fit(filled.X, holdout)
    # under FEW_THRESHOLD_ROWS the detector's own warning (most new rows would be flagged) says more
    wide = dimension_notes(detector_components(dim or "auto", n_columns), n_columns, params, detector=True,
                           n_rows=len(train) if len(train) >= FEW_THRESHOLD_ROWS else None)
    notes = send_notes(filled.notes(row_labels=REMEMBERED_ID, params=params) + wide, notify)

    own = {k: v for k, v in (params or {}).items() if k in ("hidden_layer_sizes", "max_iter")}
    rest = {k: v for k, v in (params or {}).items() if k not in own}
    detector = AutoencoderOutlierDetector(n_estimators=ensemble, contamination=share, n_components=dim or "auto",
                                          random_state=seed, autoencoder_params=rest or None, **own)
    callbacks = None
    if progress is not None:
        from ._training import Progress

        callbacks = [Progress(progress)]
    fit_detector_or_refuse(detector, train, callbacks, dict(params or {}))
    n_held_flagged = int((detector.predict(held) == -1).sum()) if len(held) else 0
    report = DetectorReport(detector.n_estimators, detector.n_components_, len(train), train.shape[1], detector.fit_time_,
                            [epochs_trained(member) for member in detector.estimators_], -detector.offset_,
                            detector.contamination, int((detector.predict(train) == -1).sum()), len(held),
                            n_held_flagged, output, notes=notes, n_calibration=detector.n_calibration_)
    detector.input_settings_ = input_settings(read, filled.missing, filled.table.X, table=filled.table)
    detector.fit_summary_ = report.summary()
    detector.save(output)
    return report


def fit_detector_or_refuse(detector: Any, train: Any, callbacks: list | None, params: dict[str, Any]) -> None:
    """Fit the detector; refuse, as :func:`check_not_failed` refuses a single autoencoder, one whose
    members reconstruct far worse than PCA (``--ensemble 3 --epochs 1 --tied`` was saved silently),
    naming the fix in the command line's flags."""
    detector.fit(train, callbacks=callbacks)
    failure = detector.poor_members_failure(len(train), params, shown=cli_option)
    if failure is not None:
        what, fix = failure
        raise TrainingError(f"the fit failed: {what}; {fix}; nothing was written")


def has_pca_bar(method: str, dim: int, n_columns: int, n_rows: int) -> bool:
    """Whether an autoencoder's reconstruction can be held against PCA's at ``dim``: from as many
    dimensions as columns (or rows) PCA is exact, its error is rounding, no bar to compare with."""
    return not get_method(method).is_pca and dim < n_columns and dim <= n_rows


def measure_against_pca(report: FitReport, reducer: Any, row_errors: np.ndarray, train: Any, evaluation: Any,
                        units: np.ndarray | None = None) -> None:
    """Set ``report``'s PCA error at its dimension: PCA in the reducer's scaling, fitted on
    ``train`` and scored on ``evaluation`` (the rows ``row_errors``, the reducer's, are of). With
    ``units`` (the evaluated rows' units, held out whole), the difference is judged unit by unit."""
    from ._training import gain_beyond_t, group_means, within_noise
    from .pca import ScaledPCA

    pca = ScaledPCA(n_components=report.dim, scaling=reducer.scaling_).fit(train)
    pca_rows = pca.reconstruction_error(evaluation)
    report.pca_error, report.n_evaluated = float(np.mean(pca_rows)), len(pca_rows)
    if units is None:
        report.within_noise = within_noise(row_errors, pca_rows)
    else:  # trial 43: one firm held out "showed" 2.56x, and three other firms 1.69x worse than PCA
        # the units are the samples, and so few need Student's t, as early stopping's test does (a review)
        mine, theirs = group_means(row_errors, units), group_means(pca_rows, units)
        report.within_noise = not (gain_beyond_t(mine, theirs) or gain_beyond_t(theirs, mine))
    report.set_variance(pca.scaler_.transform(np.asarray(evaluation, dtype=np.float64)), pca.pca_.mean_)


def failed_fit_finding(report: FitReport) -> str | None:
    """How far a fit far worse than PCA's is off, and the fix; None for a fit that did not fail."""
    bar = failure_bar(report.error, report.pca_error, report.dim, variance=report.variance,
                      denoiser=bool(report.params.get("noise")), cosine=report.params.get("loss") == "cosine")
    if bar is None:
        return None
    return f"{report.where} reconstruction MSE {report.error:.4g} is {bar}; {report.failure_fix}, or use --method pca"


def check_not_failed(report: FitReport) -> None:
    """Refuse to save a fit far worse than PCA's, with the fix, rather than save it as a success."""
    finding = failed_fit_finding(report)
    if finding is not None:
        raise TrainingError(f"the fit failed: {finding}; nothing was written")


# The command-line flags of the estimator parameters that failed_fit_fix names.
CLI_FLAGS = {"max_iter": "--epochs", "learning_rate_init": "--lr", "noise": "--noise", "sparsity": "--sparsity",
             "contractive_weight": "--contractive-weight", "beta": "--beta",
             "neighbour_weight": "--neighbour-weight"}


def cli_option(name: str, value: Any = None) -> str:
    """How a parameter is written on the command line: ``--epochs 3``, or ``--noise`` alone."""
    return CLI_FLAGS[name] if value is None else f"{CLI_FLAGS[name]} {value}"


# -- applying a saved model ----------------------------------------------------------------------

def load_model(path: str, data: str | None = None, command: str = "") -> Any:
    """The model at ``path``; when that is no model and DATA (``data``) is named like one, the
    message says the two were given the other way round."""
    from ._persistence import load_model as load
    from .tables import FORMATS

    try:
        return load(path)
    except ModelFileError as exc:
        if Path(path).suffix.lower() == MODEL_SUFFIX:
            raise
        if data is not None and Path(data).suffix.lower() == MODEL_SUFFIX:
            raise type(exc)(f"{exc}; {data} looks like the model, which comes first: aereduce {command} {data} "
                            f"{path}") from None
        if Path(path.removesuffix(".gz")).suffix.lower() in FORMATS and command:
            # trial 50: `transform data.csv data.csv` was told only that the CSV was no model file
            raise type(exc)(f"{exc}; MODEL, the first argument of aereduce {command}, is the {MODEL_SUFFIX} file "
                            "`aereduce fit` writes") from None
        raise


def is_detector(model: Any) -> bool:
    """Whether a loaded model is an outlier detector (a fitted threshold), not a dimension reducer."""
    return hasattr(model, "offset_")


def load_reducer(path: str, command: str, data: str | None = None) -> Any:
    """The model at ``path`` for a command that needs a dimension reducer (codes, decoded rows, a
    map): an outlier detector is refused with what to do instead."""
    model = load_model(path, data, command)
    if is_detector(model):
        raise InputError(f"{path}: {command} needs a dimension reducer, and this is an outlier detector (fit "
                         "--ensemble); use aereduce score with it, or fit a reducer without --ensemble")
    return model


def _column_count_error(data: str, n_given: int, expected: list[str]) -> InputError:
    return InputError(f"{data}: --columns names {n_given} columns, the model expects {len(expected)} "
                      f"({shown_names(expected)}); name that many, in that order, or leave --columns out to read "
                      "the model's columns by name")


def model_tables(model: Any, data: str, read: ReadOptions, chunksize: int | None,
                 remembered: bool = True) -> Iterator[Table]:
    """Chunks of DATA holding the model's input columns, in its order; the id and label columns the
    model remembers are carried when the file has them (and ``remembered``), and its remembered
    text encoding is the default (whatever ``remembered``). Missing values are left as NaN."""
    kept = getattr(model, "input_settings_", None) or {}
    settings = kept if remembered else {}  # the id and label columns; the encoding serves every output
    # A column given a role here takes it over from the model's remembered one: survey's model
    # remembered Sex as the label, and --id-column Sex was refused as "both" options, given once.
    remembered_id, remembered_label = (settings.get(role) for role in ("id_column", "label_column"))
    overrides: dict[str, Any] = {"id_column": read.id_column or (remembered_id if remembered_id != read.label_column
                                                                 else None),
                                 "label_column": read.label_column or (remembered_label if remembered_label != read.id_column
                                                                       else None),
                                 # the remembered roles may be absent; one the user gives here may not (a
                                 # review: --id-column row refused a file without the remembered label column)
                                 "carried_optional": {role for role, given in (("id", read.id_column),
                                                                               ("label", read.label_column))
                                                      if not given}, "missing": "drop",
                                 "encoding": read.encoding or kept.get("encoding") or "utf-8",
                                 "decimal": read.decimal or kept.get("decimal"),
                                 "thousands": read.thousands or kept.get("thousands"),
                                 "lone_groups": kept.get("lone_groups"),
                                 "header": read.header if read.header is not None else kept.get("header")}
    expected = model_feature_names(model)
    unnamed = False  # whether DATA's columns are read by position, having no names
    if getattr(model, "feature_names_in_", None) is not None:
        needed = [c for c in read.exclude or () if c in expected]
        if needed:
            raise InputError(f"{data}: --exclude names {needed[0]!r}, one of the model's input columns, which it "
                             "cannot do without; leave it in, or fit a model without it")
        given = list(read.columns or ())
        if sorted(given) == sorted(expected):  # the model's own names, in any order: read by name
            given = []
        if given and len(given) != len(expected):  # before the order: 2 of 19 columns is not a question of order
            raise _column_count_error(data, len(given), expected)
        moved = [c for i, c in enumerate(given) if c in expected and expected.index(c) != i]
        if moved:  # --columns maps the file's columns onto the model's by position; a model name elsewhere is a slip
            raise InputError(f"{data}: --columns puts {moved[0]!r} in place {given.index(moved[0]) + 1}, where the model "
                             f"reads it in place {expected.index(moved[0]) + 1} ({shown_names(expected)}); list the "
                             "columns in the model's order, or leave --columns out to read them by name")
        # An .npy file's columns have no names (x0, x1, ...) to find the model's by: as many are read in
        # order, with a note (trial 50: the tool's own MNIST export was refused by a model fitted on its CSV).
        # (a model fitted on an .npy file has x<i> names itself: those are read by name, as fitted)
        unnamed = format_of(data) == "npy" and not all(re.fullmatch(r"x\d+", name) for name in expected)
        if not given and not unnamed:  # the model reads its own columns by name; no other column is a feature
            overrides.update(columns=expected, exclude=None, columns_from="the model's columns")
    for table in iter_tables(data, chunksize, **read.as_kwargs(**overrides)):
        if table.X.shape[1] != model.n_features_in_ and overrides.get("columns") is None and read.columns:
            raise _column_count_error(data, table.X.shape[1], expected)
        if table.X.shape[1] != model.n_features_in_:
            by_position = (f" ({shown_names(expected)}): an .npy file's columns, which have no names, are read by "
                           "position, so give the model's columns alone, in its order") if unnamed else ""
            raise InputError(f"{data}: has {table.X.shape[1]} feature columns, the model expects "
                             f"{model.n_features_in_}{by_position}")
        table.read_by_position = [(given, name) for given, name in zip(table.feature_names, expected) if given != name]
        table.feature_names = list(expected)
        table.encoding_from_model = None if read.encoding else kept.get("encoding")
        # numbers read as the column names are the model's names, or --columns named them: nothing to doubt
        # (trial 39 was told of the model's x0,x1,... as the file's first line)
        table.numbers_as_names = False
        table.leading_zero_columns = {}  # the model was fitted on them, with the note then
        yield table


def encoded_frames(model: Any, data: str, read: ReadOptions, compute: Callable[[Any, Any], tuple[Any, list[str]]],
                   notes: list[str] | None = None, remembered: bool = True,
                   dropped: str = NOT_ENCODED, row_labels: str | None = None) -> Iterator[Any]:
    """``compute(model, X) -> (values, names)`` on each chunk of DATA's encodable rows, as output frames
    with one row per input row, in order (empty cells where a row cannot be encoded), and the label
    column last when the file has one. ``row_labels``: what the notes say became of an unnamed first
    column (:func:`table_notes`)."""
    missing = model_missing_values(model, read.nan)
    table = None
    finished = False
    far: str | None = None
    first = True
    names_noted = False  # carried columns renamed beside the results: noted once
    try:
        for table in model_tables(model, data, read, CHUNK_ROWS, remembered):
            if first:  # the first chunk's rows say where the file lies
                far, first = outside_the_training_range(model, table), False
            X, encodable = missing.apply(table)
            values, names = computed_on(compute, model, _frame(X[encodable], table.feature_names))
            # A detector's infinite anomaly score is an answer (a row beyond the model's range is as
            # anomalous as any): trial 28's one extreme row made score refuse the whole file.
            check_finite(values, table.row_numbers[encodable], data, scores=compute is errors and is_detector(model))
            frame = output_frame(values, names, table, encodable)
            if notes is not None and not names_noted:
                names_noted = True
                notes += carried_names_note(table, names)
            yield with_labels(frame, table)
        finished = True
    finally:
        # Closed early (`| head` closed the output): what was read is still worth saying, and said
        # as such, rather than lost (trial 13 lost the missing-value note this way).
        if notes is not None and table is not None:
            notes += table_notes(table, missing, dropped, row_labels,
                                 counted=None if finished else "rows read before the output was closed")
    if notes is not None and far is not None:
        notes.append(far)
    if notes is not None and table is not None:
        kept = (getattr(model, "input_settings_", None) or {}).get("id_column")
        if remembered and kept and table.ids is None and not read.id_column:
            # pandas' name for R's row names ('Unnamed: 0') means nothing to a user (trial 18)
            missing_id = ("no unnamed first column (row names), which the model read as its id column"
                          if kept == UNNAMED_FIRST_COLUMN else f"no column {kept!r}, the model's id column")
            notes.append(f"{'stdin' if data == '-' else data} has {missing_id}: the output rows have no id and follow "
                         "DATA's order; name another id column with --id-column")


# Present values a column needs before its median says where the file's rows lie (20 missed trial 47's
# 9 penguins weighed in kg: their median is then 3 of 5 rows or more, all outside the training range).
FAR_CHECK_MIN_ROWS = 5


def outside_the_training_range(model: Any, table: Table) -> str | None:
    """A note on the columns whose median in ``table`` lies outside the model's training range, or
    None: a column in other units (trial 41's body masses in kg for a model fitted in g, 5 standard
    deviations off) gave codes far off without a word, as the codes' own range note did not fire."""
    scaler = getattr(model, "scaler_", None)
    if scaler is None and getattr(model, "estimators_", None):  # a detector: its members share the columns
        scaler = getattr(model.estimators_[0], "scaler_", None)
    if scaler is None or scaler.minimum is None or scaler.maximum is None or table.X.shape[1] != len(scaler.minimum):
        return None
    present = np.isfinite(table.X).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty column's median
        medians = np.nanmedian(table.X, axis=0)
    lo, hi = np.asarray(scaler.minimum, dtype=np.float64), np.asarray(scaler.maximum, dtype=np.float64)
    far = np.flatnonzero((present >= FAR_CHECK_MIN_ROWS) & (hi > lo) & ((medians < lo) | (medians > hi)))
    if not len(far):
        return None
    names = [table.feature_names[j] for j in far]
    if len(far) == 1:
        j = far[0]
        return (f"column {shown_names(names)} lies outside the range the model was fitted on in most rows (its median "
                f"here is {medians[j]:.4g}, its training values {lo[j]:.4g} to {hi[j]:.4g}), so the codes of those "
                "rows are extrapolated; check the column's units, and that the file is the one meant")
    ranges = "; ".join(f"{name}: {medians[j]:.4g} against {lo[j]:.4g} to {hi[j]:.4g}" for name, j in zip(names, far[:3]))
    return (f"columns {shown_names(names, limit=3)} lie outside the range the model was fitted on in most rows (median "
            f"here against the training values, {ranges}{'; ...' if len(far) > 3 else ''}), so the codes of those "
            "rows are extrapolated; check the columns' units, and that the file is the one meant")


def computed_on(compute: Callable[[Any, Any], tuple[Any, list[str]]], model: Any, X: Any) -> tuple[Any, list[str]]:
    """``compute(model, X)``, also on no rows, which the model refuses as scikit-learn's estimators do
    (trial 21: a chunk whose every row had a missing value, under --nan drop, crashed transform
    mid-file): one row of zeros stands in to name the output's columns, and none of its values is kept."""
    if len(X):
        return compute(model, X)
    stand_in = _frame(np.zeros((1, X.shape[1])), list(X.columns)) if hasattr(X, "columns") else np.zeros((1, X.shape[1]))
    values, names = compute(model, stand_in)
    return values[:0], names


def reconstructions_of_codes(model: Any, Z: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The rows that codes Z decode to (a ``compute`` for :func:`computed_on`), under the model's columns."""
    return as_computed(model, model.inverse_transform(Z)), model_feature_names(model)


def check_finite(values: np.ndarray, row_numbers: np.ndarray, data: str, *, scores: bool = False) -> None:
    """Refuse to write NaN or inf as a result: name the first row that gave one (its values are out of
    the model's range, e.g. beyond float32's 3e38 once scaled). ``scores``: an outlier detector's
    anomaly scores, where inf is the answer for such a row and only NaN is refused."""
    array = np.asarray(values, dtype=np.float64)
    bad = np.isnan(array).any(axis=1) if scores else ~np.isfinite(array).all(axis=1)
    if bad.any():
        count = int(bad.sum())
        others = f" (and {count - 1} more rows)" if count > 1 else ""
        raise InputError(f"{data}: row {int(row_numbers[np.flatnonzero(bad)[0]])}{others} gives NaN or inf under this "
                         "model; check it for extreme values; nothing was written")


def _frame(X: np.ndarray, names: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=names)


def codes(model: Any, X: Any) -> tuple[np.ndarray, list[str]]:
    """The codes of X and their column names (a ``compute`` for :func:`stream_file`)."""
    return as_computed(model, model.transform(X)), code_names(model)


def with_labels(frame: Any, table: Table) -> Any:
    """``frame`` (an :func:`output_frame` of ``table``) with ``table``'s label column last, when it has
    one, under the name :func:`~aereduce.tables.carried_names` gives it."""
    if table.labels is not None:
        frame[free_name(table.label_name, "label", set(map(str, frame.columns)))] = table.labels
    return frame


def code_names(model: Any) -> list[str]:
    """The code columns of a saved model's outputs (``ae0``, ``ae1``; ``pca0``), as
    ``fit-transform`` and ``get_feature_names_out`` name them."""
    return [str(name) for name in model.get_feature_names_out()]


def as_computed(model: Any, values: np.ndarray) -> np.ndarray:
    """Codes, errors or decoded rows in the precision they were computed in: float32 from a torch
    model (its ``precision_``), whose float64 output would write eight meaningless digits more to a
    file. (Decoded rows are float32 in scaled units; float32 in the data's units rounds them by
    about 1e-7 of a value, far below any reconstruction error.) Values beyond float32's range (a
    column in units of 1e40, decoded) stay float64: float32 wrote them as inf (trial 13)."""
    if not hasattr(model, "precision_"):
        return values
    values = np.asarray(values)
    with np.errstate(invalid="ignore"):
        in_range = not (np.abs(values) > np.finfo(np.float32).max).any()
    return values.astype(np.float32, copy=False) if in_range else values


def errors(model: Any, X: Any) -> tuple[Any, list[str]]:
    """Each row's anomaly score, first, and its column names (a ``compute`` for :func:`stream_file`):
    the reconstruction error of a reducer; an outlier detector's anomaly score and outlier flag (a
    DataFrame, whose integer flag stays an integer)."""
    if is_detector(model):
        from .outliers import anomaly_columns

        return anomaly_columns(model, X)
    return as_computed(model, model.reconstruction_error(X))[:, None], ["reconstruction_error"]


def model_whole_columns(model: Any) -> list[int]:
    """The columns that held whole numbers in every row at fit (``input_settings_["whole_columns"]``)."""
    return (getattr(model, "input_settings_", None) or {}).get("whole_columns") or []


def reconstructions(model: Any, X: Any) -> tuple[np.ndarray, list[str]]:
    """Each row decoded from its code, in the data's columns and units, each value held to its
    column's training range and rounded to a whole number where the column held whole numbers at fit,
    as ``sample`` rounds them (trial 35: Boston's 0/1 ``chas`` came back as -0.019; trial 36: its ``rad``
    as 5.079): a denoising autoencoder's clean rows (a ``compute`` for :func:`stream_file`)."""
    clean = model.scaler_.clip(model.inverse_transform(model.transform(X)))
    whole = model_whole_columns(model)
    clean[:, whole] = np.round(clean[:, whole])
    return as_computed(model, clean), model_feature_names(model)


# What becomes of an unnamed first column (row labels) in a .npy output (table_notes).
NOT_IN_NPY = "left out of the .npy output, which holds numbers only (write .npz, .csv or .parquet to keep it),"


def stream_file(model_path: str, data: str, output: str, read: ReadOptions,
                compute: Callable[[Any, Any], tuple[Any, list[str]]], command: str = "transform",
                notes: list[str] | None = None) -> tuple[int, list[str]]:
    """Apply ``compute`` (:func:`codes`, :func:`errors` or :func:`reconstructions`) to DATA chunk by chunk, written atomically;
    returns the rows written and notes for the user. ``command``: the name a refusal gives. ``notes``: a
    list of the caller's to collect the notes in as they arise, which it keeps if writing fails
    midway (a closed pipe)."""
    check_output(output, inputs=[data, model_path])
    model = load_model(model_path, data, command) if compute is errors else load_reducer(model_path, command, data)
    rows, notes = 0, notes if notes is not None else []
    if command == "denoise" and "noise" in model.get_params() and model.get_params()["noise"] is None:
        # trial 50: a plain 8-D model's cleaned digits were twice as far from the clean ones as the
        # noisy input was (squared error 75.9 against 36.6), and nothing said why
        notes.append(f"{model_path} was fitted without --noise, so it learnt to rebuild rows, not to remove noise: "
                     "noisy rows may come out worse than they went in; fit with --noise gaussian or --noise mask "
                     "(and --noise-level) for a denoiser")
    # A .npy file holds numbers only: an id column not asked for here (the model's remembered one,
    # or an unnamed first column of row labels) is left out, with a note, rather than refused.
    numbers_only = format_of(output) == "npy" and read.id_column is None
    settings = getattr(model, "input_settings_", None) or {}
    # (role, name) of each column left out; the model's remembered ones are not read at all.
    left_out = [("id", settings.get("id_column")), ("label", settings.get("label_column"))] if numbers_only else []
    # Rows unlike the training rows encode far outside their codes (trial 34 saw no word of it).
    check = CodeRangeCheck(getattr(model, "code_range_", None), code_names(model)) if compute is codes else None
    # denoise writes a column of whole numbers at fit as integers, as sample does (trial 37: 61296.0)
    whole = [model_feature_names(model)[j] for j in model_whole_columns(model)] if compute is reconstructions else []
    with TableWriter(output) as writer:
        # Every output keeps the label column: codes for a map coloured in the user's own tool (as
        # fit-transform's do), scores to be read against it (are the outliers one class?), denoised
        # rows to stand in for the rows they clean (denoise dropped it: trial 7).
        for frame in encoded_frames(model, data, read, compute if check is None else check.codes, notes=notes,
                                    remembered=not numbers_only,
                                    dropped=NOT_SCORED if compute is errors else
                                    NOT_DENOISED if command == "denoise" else NOT_ENCODED,
                                    row_labels=NOT_IN_NPY if numbers_only else None):
            if numbers_only:
                if read.label_column in frame.columns:  # labels are read as text: numbers stay in
                    frame[read.label_column] = label_values(frame[read.label_column].to_numpy())
                text = [str(c) for c in frame.columns if not holds_numbers(frame[c])]
                left_out += [("label" if c == read.label_column else "id", c) for c in text]
                frame = frame.drop(columns=text)
            writer.write(keep_integer_columns(frame, whole) if whole else frame)
            rows += len(frame)
    for role, name in dict.fromkeys((role, name) for role, name in left_out if name and name != UNNAMED_FIRST_COLUMN):
        notes.append(f"left out the {role} column {name!r}: a .npy file holds numbers only; write .npz, .csv or "
                     ".parquet to keep it")
    if check is not None:
        unlike = "unlike the rows the model was fitted on, and {} extrapolations (`aereduce score` rates how well " \
                 "the model rebuilds {})"
        notes += [note for note in [check.note(("so it is " + unlike.format("its codes are", "it"),
                                                "so they are " + unlike.format("their codes are", "them")),
                                               "check that DATA holds the kind of rows the model was fitted on")] if note]
    return rows, notes


# How far past the training rows' codes (a share of each unit's span) a code may lie before
# inverse-transform says its row is an extrapolation: new rows encode a little past the training ones.
CODE_RANGE_MARGIN = 0.25


class CodeRangeCheck:
    """Counts the rows whose codes lie outside the model's ``code_range_`` (widened by
    CODE_RANGE_MARGIN), chunk by chunk, for one note at the end."""

    def __init__(self, code_range: np.ndarray | None, names: list[str]):
        self.names = names
        if code_range is not None:
            span = code_range[1] - code_range[0]
            self.low, self.high = code_range[0] - CODE_RANGE_MARGIN * span, code_range[1] + CODE_RANGE_MARGIN * span
        self.code_range = code_range
        self.n_rows = self.n_outside = 0
        self.outside_units: set[int] = set()

    def codes(self, model: Any, X: Any) -> tuple[np.ndarray, list[str]]:
        """:func:`codes`, counting the rows whose codes are outside (a ``compute`` for :func:`stream_file`)."""
        Z, names = codes(model, X)
        self.add(np.asarray(Z))
        return Z, names

    def add(self, Z: np.ndarray) -> None:
        if self.code_range is None or not len(Z):
            return
        outside = (Z < self.low) | (Z > self.high)
        self.n_rows += len(Z)
        self.n_outside += int(outside.any(axis=1).sum())
        self.outside_units.update(int(u) for u in np.flatnonzero(outside.any(axis=0)))

    def note(self, meaning: tuple[str, str] = ("so its decoded row is an extrapolation",
                                               "so their decoded rows are extrapolations"),
             when_most: str = "check that the codes come from this model's transform") -> str | None:
        """The note, if any row was outside: what that means (``meaning``, said of one row and of
        several), and what to check when most rows are (``when_most``). The defaults are
        inverse-transform's, of codes it decodes."""
        if not self.n_outside:
            return None
        units = sorted(self.outside_units)
        ranges = ", ".join(f"{self.names[u]} {self.code_range[0, u]:.3g} to {self.code_range[1, u]:.3g}"
                           for u in units[:3]) + (", ..." if len(units) > 3 else "")
        verb = "has" if self.n_outside == 1 else "have"
        text = (f"{self.n_outside} of {plural(self.n_rows, 'row')} {verb} codes well outside those of the training "
                f"rows ({ranges}), {meaning[self.n_outside > 1]}")
        if 2 * self.n_outside > self.n_rows:
            text += f"; as most rows do, {when_most}"
        return text


def match_code_columns(latent: str, table: Any, expected: list[str]) -> str | None:
    """Take LATENT's code columns by name, in the model's order, when it has all the model's names
    (decoded by name, as transform reads by name; a note names other numeric columns left out);
    else a note when they are named, and not as
    this model's transform names them (``pca0`` for an autoencoder's ``ae0``, say): the codes may
    be another model's."""
    found = [str(name) for name in table.feature_names]
    if found == expected:
        return None
    prefix = expected[0].rstrip("0123456789")
    more_codes = any(name.startswith(prefix) and name[len(prefix):].isdigit() for name in set(found) - set(expected))
    if set(expected) <= set(found) and not more_codes:  # ae2 beside ae0, ae1 would be a larger model's code
        table.X = table.X[:, [found.index(name) for name in expected]]
        table.feature_names = list(expected)
        others = [name for name in found if name not in expected]
        return None if not others else (f"{latent}: read the code columns by name; left out the other numeric "
                                        f"{'columns' if len(others) > 1 else 'column'} {shown_names(others)}")
    if table.names_made_up or found == [f"x{i}" for i in range(len(found))]:
        return None
    return (f"{latent}: the code columns are {', '.join(found[:4])}{', ...' if len(found) > 4 else ''}, where this "
            f"model's transform writes {', '.join(expected[:4])}{', ...' if len(expected) > 4 else ''}: check that "
            "the codes come from this model")


def inverse_transform_file(model_path: str, latent: str, output: str, id_column: str | None,
                           notes: list[str] | None = None) -> tuple[int, list[str]]:
    """Decode the codes in LATENT back to the data's columns; returns the rows written and notes
    for the user (codes far outside the training rows' ones, say), collected in ``notes`` when given
    (as :func:`stream_file` does).

    Without ``id_column``, the id and label columns the model remembers are carried when LATENT
    has them (transform writes them), rather than read as codes."""
    check_output(output, inputs=[latent, model_path])
    model = load_reducer(model_path, "inverse-transform", latent)
    names = model_feature_names(model)
    expected_codes = code_names(model)
    n_codes = len(expected_codes)
    settings = getattr(model, "input_settings_", None) or {}
    check = CodeRangeCheck(getattr(model, "code_range_", None), expected_codes)
    rows, notes = 0, notes if notes is not None else []
    # the remembered columns under the names transform writes them beside the codes (an id named ae0 as ae0_id)
    written = names_beside(settings.get("id_column"), settings.get("label_column"), expected_codes)
    kept_id, kept_label = (written.get(settings.get(key)) for key in ("id_column", "label_column"))
    original = {name: own for own, name in written.items() if name != own}
    with TableWriter(output) as writer:
        # Empty code rows (transform's output for rows it could not encode) decode to empty rows.
        for table in iter_tables(latent, CHUNK_ROWS, missing="drop", id_column=id_column or kept_id,
                                 label_column=kept_label, carried_optional=True):
            if id_column and table.id_name != id_column:  # asked for, unlike the remembered columns
                # the codes first, as transform writes them (trial 38 read "species, ae0, ae1" of ae0,ae1,species)
                present = table.feature_names + [n for n in (table.id_name, table.label_name) if n] + table.skipped_columns
                raise InputError(f"{latent}: no column {id_column!r} for --id-column; {columns_hint(id_column, present)}")
            foreign = match_code_columns(latent, table, expected_codes)
            if table.X.shape[1] != n_codes:
                raise InputError(f"{latent}: has {plural(table.X.shape[1], 'numeric column')} "
                                 f"({shown_names(table.feature_names)}), the model's code has {n_codes} "
                                 f"({shown_names(expected_codes)}); give the codes under those names, or name an id "
                                 "column among them with --id-column")
            if table.non_numeric_cells:  # read as missing (the codes are read under --nan drop), but no code is text
                name, row, value = table.non_numeric_cells[0]
                raise InputError(f"{latent}: row {row}, code column {name!r} holds {value!r}, not a number; give "
                                 "numbers, or leave all of a row's codes empty to leave its output row empty")
            empty = np.isnan(table.X)
            coded = ~empty.all(axis=1)
            partial = np.flatnonzero(empty.any(axis=1) & coded)
            if len(partial):
                raise InputError(f"{latent}: row {int(table.row_numbers[partial[0]])} has some code cells empty and "
                                 "some not; give all of a row's codes, or none to leave its output row empty")
            # the remembered columns under their own names again, beside the data's columns (a review: a
            # round trip wrote ae0_id, and the next transform found no id column 'ae0')
            table.id_name = original.get(table.id_name, table.id_name)
            table.label_name = original.get(table.label_name, table.label_name)
            if rows == 0:
                notes += ([foreign] if foreign else []) + carried_names_note(table, names)
            check.add(table.X[coded])
            decoded, _ = computed_on(reconstructions_of_codes, model, table.X[coded])
            writer.write(with_labels(output_frame(decoded, names, table, coded), table))
            rows += len(table.X)
    notes += [note for note in [check.note()] if note]
    return rows, notes


def fit_transform_file(data: str, output: str, *, method: str, dim: int, read: ReadOptions, seed: int = 0,
                       params: dict[str, Any] | None = None, progress: ProgressFn | None = None,
                       notify: NoteFn | None = None) -> tuple[int, str, list[str]]:
    """Fit on DATA and write its codes without saving a model (works for UMAP); returns (rows written,
    the summary's line on the fit (:func:`fitted_line`), notes), the notes sent to ``notify`` before
    fitting instead when it is given."""
    check_output(output, inputs=[data])
    check_params_before_reading(params, dim)
    filled = read_for_fit(data, read)
    check_dimension(method, dim, *filled.X.shape, data)
    # as fit's: trial 38's --dim 5 of 3 columns wrote two columns of zeros without a word
    notes = send_notes(filled.notes(f"{LEFT_OUT_OF_TRAINING}; their output rows are empty", params=params)
                       + dimension_notes(dim, filled.X.shape[1], params, regularisers=method == "ae",
                                         n_rows=len(filled.X)), notify)
    reducer = make_reducer(method, dim, seed, **(params or {}))
    tic = time.perf_counter()
    Z = as_computed(reducer, fit_embed(method, reducer, filled.X, progress))
    seconds = getattr(reducer, "fit_time_", None) or time.perf_counter() - tic  # as fit's summary times it
    if get_method(method).can_save:  # an autoencoder: fit refuses a failed one, so warn of it here
        notes += poor_fit_warning(method, dim, reducer, filled.X, seed, params)
    table, names = filled.table, [f"{method}{i}" for i in range(dim)]
    write_table(output, with_labels(output_frame(Z, names, table, filled.encodable), table))
    notes += carried_names_note(table, names)
    line = fitted_line(method, params, dim, filled.X.shape, epochs_trained(reducer), decoder_epochs(reducer), seconds)
    return table.n_rows, line, notes


def poor_fit_warning(method: str, dim: int, reducer: Any, X: Any, seed: int,
                     params: dict[str, Any] | None) -> list[str]:
    """``fit-transform``'s warning of a fit far worse than PCA's (which ``fit`` refuses to save),
    measured on up to :data:`~aereduce._resolve.POOR_FIT_CHECK_ROWS` of its rows, against PCA fitted on the same rows
    (trial 12: a 3-D map of diamonds, 14x worse than PCA, was written without a word)."""
    if not has_pca_bar(method, dim, X.shape[1], len(X)):
        return []
    sample = X.iloc[np.random.default_rng(seed).permutation(len(X))[:POOR_FIT_CHECK_ROWS]]
    row_errors = reducer.reconstruction_error(sample)
    report = FitReport(method, dim, len(X), X.shape[1], 0.0, float(np.mean(row_errors)), "training", "",
                       is_map=getattr(reducer, "neighbour_weight_", 0) > 0, params=dict(params or {}),
                       batch_size=getattr(reducer, "batch_size_", None))
    measure_against_pca(report, reducer, row_errors, sample, sample)
    finding = failed_fit_finding(report)
    return [] if finding is None else [f"warning: the fit is poor, its codes keep less than PCA's: {finding}"]


class _ScoredRow(NamedTuple):
    """One row in :func:`top_scores`' heap; as a tuple it orders by score, then by the earlier row
    (the row number is negated), so ids and labels are never compared."""

    score: float
    negative_row: int
    id: Any
    label: Any
    other_columns: tuple
    filled: bool  # a missing value of the row was filled (--nan mean or zero)


class TopScores:
    """The ``top`` rows with the largest anomaly score (:func:`errors`' columns) among the chunks it is
    shown (:meth:`see`), in memory O(``top``): a heap ordered by score, then by the earlier row."""

    def __init__(self, model: Any, missing: Any, top: int):
        self.model, self.missing, self.top = model, missing, top
        self.best: list[_ScoredRow] = []
        self.id_name, self.label_name, self.table = None, None, None
        self.n_scored = 0  # the encodable rows: --nan drop leaves the others unscored
        self.names, self.integer, self.score_dtype = [""], [], np.float64

    def see(self, table: Table, X: np.ndarray, encodable: np.ndarray) -> None:
        """Score a chunk: ``table`` as read, ``X`` its rows with gaps handled by ``missing``, of which the
        ``encodable`` ones are scored."""
        values, self.names = computed_on(errors, self.model, _frame(X[encodable], table.feature_names))
        self.integer = integer_columns(values)
        self.score_dtype = values.dtypes.iloc[0] if hasattr(values, "dtypes") else values.dtype
        gaps = np.isnan(np.asarray(table.X, dtype=np.float64)).any(axis=1)
        for row, i in zip(np.asarray(values, dtype=np.float64), np.flatnonzero(encodable)):
            item = _ScoredRow(float(row[0]), -int(table.row_numbers[i]), None if table.ids is None else table.ids[i],
                              None if table.labels is None else table.labels[i], tuple(row[1:]), bool(gaps[i]))
            if len(self.best) < self.top:
                heapq.heappush(self.best, item)
            else:
                heapq.heappushpop(self.best, item)
        self.id_name, self.label_name, self.table = table.id_name, table.label_name, table
        self.n_scored += int(encodable.sum())

    def rows(self) -> np.ndarray:
        """The file row numbers of the rows held now: a row among the final top is held from its chunk on,
        since a row once pushed out never comes back."""
        return np.array([-item.negative_row for item in self.best], dtype=np.int64)

    def result(self) -> tuple[Any, int, list[str]]:
        """:func:`top_scores`' table, rows scored and notes."""
        import pandas as pd

        best, missing = sorted(self.best, reverse=True), self.missing
        # The scores in the precision they were computed in, as score without --top writes them.
        frame = pd.DataFrame({"row": [-item.negative_row for item in best],
                              self.names[0]: np.array([item.score for item in best], dtype=self.score_dtype)})
        for j, name in enumerate(self.names[1:]):
            frame[name] = [item.other_columns[j] for item in best]
        keep_integer_columns(frame, self.integer)
        written = {} if self.table is None else carried_names(self.table, self.names, "row")
        if self.id_name:
            frame.insert(0, written.get(self.id_name, self.id_name), [item.id for item in best])
        if self.label_name:
            frame[written.get(self.label_name, self.label_name)] = [item.label for item in best]
        notes = [] if self.table is None else (table_notes(self.table, missing, "were not scored")
                                               + carried_names_note(self.table, self.names, "row"))
        # A model that rebuilds rows exactly (one column, a code as wide as the data) ranks them by
        # rounding: say that the rows listed are not anomalies (trial 27 saw 5 rows of error 0 ranked).
        exact = int(sum(item.score <= NEGLIGIBLE_MSE for item in best)) if not is_detector(self.model) else 0
        if exact:
            notes.append(f"{exact} of the {len(best)} rows listed {'is' if exact == 1 else 'are'} reconstructed exactly "
                         "(error 0 but for rounding): nothing sets them apart from the other rows")
        filled = [-item.negative_row for item in best if item.filled]
        if filled:  # airquality's three most anomalous rows were rows whose gaps were filled (trial 29)
            what = "the training means" if missing.policy == "mean" else "zeros"
            notes.append(f"{len(filled)} of the {len(best)} rows listed had missing values filled with {what} "
                         f"(--nan {missing.policy}): {'row' if len(filled) == 1 else 'rows'} {shown_names([str(r) for r in filled])}; part of "
                         f"{'its' if len(filled) == 1 else 'their'} score is the filling")
        return frame, self.n_scored, notes


def top_scores(model_path: str, data: str, read: ReadOptions, top: int) -> tuple[Any, int, list[str]]:
    """The ``top`` rows with the largest anomaly score (:func:`errors`' columns), largest first, by file
    row number (1-based, header line counted, as editors number lines), the number of rows scored
    (those read less those --nan drop leaves unscored), and the notes on how they were read."""
    model = load_model(model_path, data, "score")
    best = TopScores(model, model_missing_values(model, read.nan), top)
    far: str | None = None
    for i, table in enumerate(model_tables(model, data, read, CHUNK_ROWS)):
        if i == 0:  # as score without --top says it (trial 47: --top did not)
            far = outside_the_training_range(model, table)
        best.see(table, *best.missing.apply(table))
    frame, n_scored, notes = best.result()
    return frame, n_scored, notes + ([far] if far else [])


@dataclass
class ModelRows:
    """DATA's rows as a picture of a model shows them: the encodable ones, missing values handled as the
    model says; the ones drawn (all, or a seeded random sample of ``max_rows``) and the ones reconstructed
    worst are kept, the rest only counted, so that a file larger than memory can be pictured."""

    table: Table  # the rows kept (drawn, worst, or asked for), filled, in file order
    n_read: int  # rows in the file
    n_encodable: int  # rows of the file that the model can encode
    drawn: np.ndarray  # indices into ``table`` of the rows drawn, in file order
    worst: np.ndarray  # indices into ``table`` of the :func:`rows_ringed` worst-reconstructed rows, worst first
    column_means: np.ndarray  # per column, over the present values of every row read (as fit's means are)
    column_max_abs: np.ndarray  # per column, the largest magnitude over them
    notes: list[str]

    def drawn_table(self) -> Table:
        return self.table.take(self.drawn)


def model_rows(model: Any, data: str, read: ReadOptions, max_rows: int, seed: int = 0, *, n_worst: int = 0,
               top: int = 0) -> tuple[ModelRows, TopScores]:
    """Read DATA in chunks for a picture of ``model``: see :class:`ModelRows`; and the ``top`` rows of
    largest anomaly score, from the same reading (:class:`TopScores`).

    The sample is the ``max_rows`` encodable rows of least priority, the priorities drawn in file
    order from ``numpy.random.default_rng(seed)`` (one ``random()`` per encodable row), so it does not
    depend on the chunks. The ``n_worst`` rows of largest reconstruction error and the ``top`` rows
    are kept beside it. Memory holds those rows and one chunk, not the file (trial 26: a 900,000-row
    file took 1 GB). One reading serves it all, so DATA may be a stream.
    """
    missing = model_missing_values(model, read.nan)
    scores = TopScores(model, missing, top)
    rng = np.random.default_rng(seed)
    kept: Table | None = None
    priority, error = np.empty(0), np.empty(0)
    n_read, n_encodable, sums, max_abs = 0, 0, np.zeros(model.n_features_in_), np.zeros(model.n_features_in_)
    present = np.zeros(model.n_features_in_)
    far: str | None = None
    for chunk in model_tables(model, data, read, CHUNK_ROWS):
        if not n_read:  # the first chunk's rows say where the file lies, as transform says (trial 47: plot did not)
            far = outside_the_training_range(model, chunk)
        # fit's means are of every row's present values, before --nan drop or zero: so are these (trial 41:
        # airquality's model did not know its own file, whose gap-free columns lost the dropped rows)
        sums += np.nansum(chunk.X, axis=0)
        present += np.isfinite(chunk.X).sum(axis=0)
        if chunk.n_rows:
            max_abs = np.maximum(max_abs, np.abs(np.where(np.isfinite(chunk.X), chunk.X, 0.0)).max(axis=0))
        X_filled, encodable = missing.apply(chunk)
        if top:
            scores.see(chunk, X_filled, encodable)
        n_read += chunk.n_rows
        chunk = chunk.take(encodable)
        chunk.X = X_filled[encodable]
        if not chunk.n_rows:
            continue
        n_encodable += chunk.n_rows
        chunk_error = (np.asarray(model.reconstruction_error(chunk.features()), dtype=np.float64) if n_worst
                       else np.zeros(chunk.n_rows))
        kept = chunk if kept is None else kept.followed_by(chunk)
        priority, error = np.concatenate([priority, rng.random(chunk.n_rows)]), np.concatenate([error, chunk_error])
        keep = _sampled(priority, max_rows) | np.isin(kept.row_numbers, scores.rows())
        keep[_worst_first(error, kept.row_numbers)[:n_worst]] = True
        kept, priority, error = kept.take(keep), priority[keep], error[keep]
    if n_read and not n_encodable:  # nothing to draw (the model refuses no rows)
        which = "its only row cannot be encoded: it has" if n_read == 1 else \
            f"none of its {n_read} rows can be encoded: each has"
        raise InputError(f"{data}: {which} a missing value, which the model's --nan {missing.policy} leaves out; "
                         "fill them, or pass --nan mean or --nan zero")
    # plot left 142 of pbc's rows out under the model's --nan drop without a word (trial 8)
    notes = [note for note in [missing.summary("were left out, as they cannot be encoded"), far] if note]
    if n_encodable > max_rows:
        notes.append(f"plotted a random {max_rows} of {n_encodable} rows (seed {seed}) and the rows reconstructed "
                     "worst; --max-rows changes it")
    assert kept is not None  # the file has rows: the table readers refuse an empty one
    worst = _worst_first(error, kept.row_numbers)[:n_worst]
    return ModelRows(kept, n_read, n_encodable, np.flatnonzero(_sampled(priority, max_rows)),
                     rows_ringed(worst, error[worst], n_read), mean_of_present(sums, present), max_abs, notes), scores


def _sampled(priority: np.ndarray, max_rows: int) -> np.ndarray:
    """Mask of the ``max_rows`` least priorities (all of them when there are no more)."""
    from ._split import least

    chosen = np.zeros(len(priority), dtype=bool)
    chosen[least(priority, max_rows)] = True
    return chosen


def _worst_first(errors: np.ndarray, row_numbers: np.ndarray) -> np.ndarray:
    """Indices ordered by error, largest first, the earlier file row first among equals."""
    return np.lexsort((row_numbers, -errors))


# The most rows a map rings (rows_to_ring's ceiling): how many worst rows model_rows keeps for plot.
MOST_RINGED = 10


def rows_to_ring(n_rows: int) -> int:
    """How many of the worst-reconstructed rows a map rings: one in 20, from 3 to 10 (all 10 of
    mtcars' 32 rows ringed a third of the map)."""
    return min(MOST_RINGED, max(3, n_rows // 20), n_rows)


def rows_ringed(ranked: np.ndarray, ranked_errors: np.ndarray, n_read: int) -> np.ndarray:
    """The first :func:`rows_to_ring` of rows ranked worst first, with their errors in that order,
    that are anomalies at all: a row reconstructed exactly is none (trial 22: Titanic's 1-D model
    rang three rows of error 0). What ``plot`` and the report both ring."""
    first = ranked[:rows_to_ring(n_read)]
    return first[np.asarray(ranked_errors[:len(first)], dtype=np.float64) > NEGLIGIBLE_MSE]


def map_rows(rows: ModelRows, ringed: np.ndarray) -> tuple[Table, np.ndarray]:
    """The rows a map draws, the sample and the ``ringed`` rows (indices into ``rows.table``) beside
    it, whether drawn or not (trial 18: a sample of diamonds left out the worst row, and the map
    ringed the second as the most anomalous), and where the ringed ones are among them."""
    shown = np.union1d(rows.drawn, ringed)
    return rows.table.take(shown), np.searchsorted(shown, ringed)


def plot_file(model_path: str, data: str, output: str, read: ReadOptions, image_shape: tuple[int, ...] | None,
              max_rows: int, seed: int = 0) -> list[str]:
    """Draw the 2-D map of DATA's codes (the :func:`rows_to_ring` worst-reconstructed rows ringed and
    named by file row), the loss curve, and reconstructions for image rows; returns notes for the user."""
    from ._persistence import describe_model
    from .plotting import loss_panels, map_title, model_report
    from .report import image_names, image_shape_of, row_names

    check_file_output(output, "an image", IMAGE_SUFFIXES, inputs=[data, model_path])
    model = load_reducer(model_path, "plot", data)
    image_shape = image_shape_of(model, image_shape)  # checked against the model's rows, as report does
    rows, _ = model_rows(model, data, read, max_rows, seed, n_worst=MOST_RINGED)
    table, worst = map_rows(rows, rows.worst)
    X, labels = table.features(), label_values(table.labels)
    X_hat = model.inverse_transform(model.transform(X.iloc[:10])) if image_shape else None
    shape = image_shape[1:] if image_shape and image_shape[0] == 1 else image_shape
    Z = model.transform(X)
    model_report(output, Z, labels, loss_panels(model), X.to_numpy(), X_hat, shape,
                 title=f"{describe_model(model_path)['kind']}: {map_title(Z.shape[1])}", worst=worst,
                 worst_names=row_names(table, worst, rows.table), label_name=table.label_name,
                 code_names=code_names(model), sampled=(len(rows.drawn), rows.n_encodable),
                 row_names=row_names(table, np.arange(len(Z)), rows.table),
                 image_names=image_names(table, np.arange(min(10, len(Z)))) if image_shape else None)
    return rows.notes


# Under this many held-out rows, compare's scores are mostly chance; under the second, its kNN
# accuracy moves by over 3 points a row.
FEW_TEST_ROWS = 10
FEW_KNN_TEST_ROWS = 30


# More whole-number labels than this (digits' ten are classes) may be a measurement: compare says how
# kNN accuracy reads them.
MANY_NUMBERED_CLASSES = 12


def compare_file(data: str, dim: int, methods: list[str], read: ReadOptions, *, test_size: float = 0.2,
                 seed: int = 0, params: dict[str, Any] | None = None,
                 progress: MethodProgress | None = None,
                 notify: NoteFn | None = None, plot: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """:func:`compare_methods` on a data file; returns its rows and notes for the user (sent to
    ``notify`` before fitting instead when it is given).

    Rows without a label are left out of the comparison when kNN scores the label column (a
    column of no classes only colours the maps, so every row stays). ``plot``: an
    image file to draw each method's map of every row in, side by side (:func:`draw_compared_maps`).
    """
    for name in methods:
        get_method(name)
    if plot is not None:  # before the fits: a bad name fails at once
        check_file_output(plot, "an image", IMAGE_SUFFIXES, inputs=[data], option="--plot")
    verdict: dict[str, Any] = {"scores": True, "notes": []}

    def labelled_rows(table: Table) -> np.ndarray | None:
        """The rows with a label, where kNN will score the labels; else every row (a map only needs
        colours): trial 41 met a measurement's unlabelled rows left out of a comparison that scored no kNN.
        The labels are judged on the rows compared: those --nan drop keeps (a review: the one class
        left after the drop was scored 100%)."""
        labels = label_values(table.labels)
        if labels is None:
            return None
        import pandas as pd

        labelled = ~pd.isna(labels)
        if not labelled.any():  # trial 41 was told to give a larger --test-size, which could not help
            raise InputError(f"{data}: the label column {table.label_name!r} has no values, so no row is left "
                             "to compare on; give a column of classes, or leave --label-column out")
        kept = ~np.isnan(table.X).any(axis=1) if read.nan == "drop" else np.ones(len(labels), dtype=bool)
        compared = labelled & kept
        if compared.any():
            verdict["scores"], verdict["notes"] = knn_label_notes(labels[compared], table.label_name,
                                                                  n_rows=int(kept.sum()))
        if labelled.all() or not verdict["scores"]:
            return None
        verdict["notes"].insert(0, f"left out {plural(int((~labelled).sum()), 'row')} with no label in "
                                   f"{table.label_name!r}")
        return labelled

    filled = read_for_fit(data, read, rows=labelled_rows)
    X, y, notes = filled.X.to_numpy(), label_values(filled.labels), filled.notes("were left out of the comparison",
                                                                  row_labels="left out of the comparison",
                                                                  writes_rows=False)
    notes += verdict["notes"]
    # The maps are coloured by the label column whatever kNN makes of it: a measurement gets a colour scale.
    colours = y
    if not verdict["scores"]:
        y = None
    from ._split import split_rows

    groups = checked_groups(filled, data)
    if groups is not None and y is not None and filled.table.group_name == filled.table.label_name:
        # the held-out units' classes were never fitted on, so every method scored 0% (a review)
        notes.append(f"not scoring kNN accuracy: the label column {filled.table.label_name!r} is the group column, so "
                     "no held-out row's class is among the rows fitted on; give another column of classes")
        y = None
    train, test = split_rows(len(X), test_size, seed, labels=y, groups=groups)
    if groups is not None and y is not None:  # a review: the split's stratification went without a word
        notes.append(f"the split holds out whole units of {filled.table.group_name!r}, so it is not stratified by "
                     f"{filled.table.label_name!r}")
    ae_validates = "ae" in methods and validates("ae", params, len(train))
    pca_said = False  # whether a note already says that ae's figures are PCA's
    if groups is not None and ae_validates:
        refuse_one_unit_to_fit_on(data, filled.table.group_name, groups, groups[train], "to score on",
                                  "for the autoencoder ", "give more units, or leave ae out of --methods")
        fitted_units = len(set(groups[train]))
        if fitted_units < MIN_UNITS_TO_JUDGE_A_GAIN:  # a review: ae and pca gave one figure, and nothing said why
            pca_said = True
            notes.append(f"ae on {fitted_units} units keeps PCA's solution: a gain over it must hold on "
                         f"{MIN_UNITS_FOR_A_GAIN} validation units, which {MIN_UNITS_TO_JUDGE_A_GAIN} units fitted "
                         "on give")
    if len(test) == 0:  # it crashed in scikit-learn's words after the note below (trial 24)
        raise InputError(f"{data}: --test-size {test_size:g} of {plural(len(X), 'row')} holds out no row to score on; "
                         "give a larger --test-size, or more rows")
    refusals: list[tuple[str, OptionError]] = []
    for name in methods:
        try:
            check_dimension(name, dim, len(train), X.shape[1], data, held_out=len(test))
        except OptionError as exc:
            refusals.append((name, exc))
    if refusals:  # trial 47: compare iris.csv --dim 5 said nothing of comparing the others (a review: umap refuses too)
        takers = [name for name in methods if name not in dict(refusals)]
        left_out = " and ".join(name for name, _ in refusals)
        raise OptionError(f"{refusals[0][1]}" + (f", or leave {left_out} out: --methods {','.join(takers)}"
                                                 if takers else "")) from None
    # fit's notes on what the numbers will mean (compare said nothing of them: trial 24)
    notes += dimension_notes(dim, X.shape[1], params, regularisers=False)  # compare takes no --noise
    if "ae" in methods and trains_a_map(params, dim, len(train), X.shape[1]):
        notes.append(f"ae at {dim}-D is the map that `aereduce fit --dim {dim}` gives: its codes keep each row's "
                     "neighbours, so its reconstruction error can be above PCA's; --neighbour-weight 0 compares the "
                     "code that rebuilds rows")
    elif ("ae" in methods and "umap" in methods and trains_a_map(params, dim, NEIGHBOUR_MIN_ROWS, X.shape[1])
          and len(train) >= NEIGHBOUR_MIN_ROWS // 2):
        # beside UMAP's map only, and near the rows it takes: on 52 rows it was noise (trial 48)
        # trial 47: 880 training rows of digits gave a plain autoencoder beside UMAP (81% against 97% kNN), unsaid
        notes.append(f"ae at {dim}-D on {len(train)} training rows is a plain autoencoder, not the map: the neighbour "
                     f"term is the default from {NEIGHBOUR_MIN_ROWS:,} rows; --neighbour-weight 1 compares the map")
    if "ae" in methods and len(train) < MIN_ROWS_FOR_DEEP and all(
            (params or {}).get(name, "auto") == "auto" for name in ("hidden_layer_sizes", "max_iter")):
        # trial 33 met ae and pca with the same figures on 41 rows, and no word of why
        pca_said = True
        notes.append(f"ae on fewer than {MIN_ROWS_FOR_DEEP} training rows is PCA's solution (a network could only fit "
                     "noise beyond it), so its figures are PCA's")
    if len(test) < FEW_TEST_ROWS:  # 1 test row scored 278 on a 4-row table without a word (trial 12)
        notes.append(f"only {plural(len(test), 'row')} held out to score on: "
                     f"{'its score is' if len(test) == 1 else 'their scores are'} mostly chance; "
                     "give more rows, or a larger --test-size")
    elif y is not None and len(test) < FEW_KNN_TEST_ROWS:  # 0.30 against UMAP's 0.50 on 10 rows (trial 33)
        notes.append(f"kNN accuracy on {len(test)} held-out rows moves by {1 / len(test):.0%} a row: differences of "
                     "a few rows are chance")
    if y is not None and len(test):
        notes += commonest_class_note(y[test])
    # The table's numbers are of the held-out rows; trial 29 could not tell how many.
    units = "" if groups is None else f", {plural(len(set(groups[test])), 'whole unit')} of {filled.table.group_name!r}"
    notes.append(f"each method is fitted on {plural(len(train), 'row')} and scored on the {plural(len(test), 'row')} "
                 f"held out (--test-size {test_size:g}{units})")
    notes += panel_note(filled.table, test_size) + group_notes(filled.table, groups)
    notes = send_notes(notes, notify)
    codes: dict[str, np.ndarray] = {}

    def keep_codes(name: str, Z_train: np.ndarray, Z_test: np.ndarray) -> None:
        Z = np.empty((len(X), Z_train.shape[1]))
        Z[train], Z[test] = Z_train, Z_test
        codes[name] = Z

    after: list[str] = []  # the notes a fit gives cause for

    def note_kept_pca(name: str, reducer: Any) -> None:
        # iris' ae row equalled pca's to the last digit, and nothing said that ae had kept PCA's solution
        # (a --dim not below the columns has its note: PCA is exact there)
        if name == "ae" and not pca_said and dim < X.shape[1] and getattr(reducer, "kept_initial_weights_", False):
            after.append(f"ae kept PCA-{dim}'s solution, which training did not clearly beat on its "
                         "validation rows, so its figures are PCA's")

    rows = compare_methods(X, y, dim, methods, train, test, seed=seed, params=params, progress=progress, groups=groups,
                           on_codes=keep_codes if plot is not None else None, on_fitted=note_kept_pca)
    notes += send_notes(after, notify)
    if plot is not None:
        draw_compared_maps(plot, rows, codes, colours, filled.table.label_name, data, train, test)
    return rows, notes


def commonest_class_note(y_test: np.ndarray) -> list[str]:
    """The note where one class is half the held-out rows or more: its share is what guessing it for
    every row scores (trial 47 read Caschool's 84.5% kNN accuracy as a good map, where 85.5% of the
    rows were of one class)."""
    values, counts = np.unique(np.asarray(y_test).astype(str), return_counts=True)
    share = counts.max() / len(y_test)
    if share < 0.5:
        return []
    return [f"{share:.1%} of the held-out rows are of one class ({str(values[counts.argmax()])!r}), so that is the kNN "
            "accuracy of guessing it for every row: compare the methods' accuracy with it"]


def knn_label_notes(y: np.ndarray, label_name: str | None, n_rows: int | None = None) -> tuple[bool, list[str]]:
    """Whether kNN can score the labels ``y`` (every one present, of ``n_rows`` compared) as classes,
    and what a comparison's user should know of them."""
    import pandas as pd

    n_classes = len(pd.unique(y))
    # Classes of one or two rows each (an id column given as labels) leave kNN nothing to learn,
    # a measurement (a price, say) is no class at all: the classifier would refuse it, and one
    # class scores every method 100% (trial 24).
    numbers = pd.to_numeric(pd.Series(y), errors="coerce")
    continuous = bool(numbers.notna().all() and (numbers % 1 != 0).any())
    if n_classes > len(y) / 2 or continuous or n_classes == 1:
        labelled = " labelled" if n_rows is not None and len(y) < n_rows else ""
        counts = f"{n_classes} different values in {len(y)}{labelled} rows"
        what = (f"holds continuous numbers ({counts})" if continuous else
                f"has one class ({pd.unique(y)[0]}), which every method scores 100%" if n_classes == 1 else
                f"has {counts}")
        return False, [f"not scoring kNN accuracy: the label column {label_name!r} {what}; give a "
                       "column of classes, or leave --label-column out"]
    if numbers.notna().all() and n_classes > MANY_NUMBERED_CLASSES:
        # trial 34 met hwy's 27 mileages scored as classes, without a word
        return True, [f"kNN accuracy takes the {n_classes} whole numbers in {label_name!r} as classes: "
                      "a neighbour's value counts only if it is the same; if the column is a measurement, leave "
                      "--label-column out"]
    return True, []


def compared_map_title(row: dict[str, Any]) -> str:
    """A panel's title in ``compare --plot``: the method and its held-out figures, as the table gives them."""
    figures = [f"kNN {row['knn_acc']:.1%}" if row.get("knn_acc") is not None else "",
               f"MSE {row['recon_mse']:.4g}" if row.get("recon_mse") is not None else ""]
    held_out = ", ".join(figure for figure in figures if figure)
    return f"{row['method']} ({held_out} held out)" if held_out else str(row["method"])


def draw_compared_maps(path: str, rows: list[dict[str, Any]], codes: dict[str, np.ndarray], labels: np.ndarray | None,
                       label_name: str | None, data: str, train: np.ndarray, test: np.ndarray) -> None:
    """Each method's map of every row (its codes of the rows it was fitted on, and of the held-out rows
    it transformed, ringed), side by side: what ``compare --plot`` draws (``train``, ``test``: the
    rows' indices)."""
    from .plotting import map_title, maps_side_by_side

    dim = next(iter(codes.values())).shape[1]
    n_rows = len(train) + len(test)
    title = (f"{Path(data).name}: {map_title(dim)}; {plural(n_rows, 'row')}, "
             f"{len(train)} fitted on and {len(test)} held out")
    held_out = np.zeros(n_rows, dtype=bool)
    held_out[test] = True
    maps_side_by_side(path, [(compared_map_title(row), codes[row["method"]]) for row in rows], labels, label_name,
                      title, held_out=held_out)


def knn_accuracy(Z_train: np.ndarray, y_train: np.ndarray, Z_test: np.ndarray, y_test: np.ndarray, k: int = 7) -> float:
    """Accuracy of a k-nearest-neighbour classifier fit on train codes, scored on test codes."""
    from sklearn.neighbors import KNeighborsClassifier

    return float(KNeighborsClassifier(n_neighbors=min(k, len(Z_train))).fit(Z_train, y_train).score(Z_test, y_test))


def compare_methods(X: np.ndarray, y: np.ndarray | None, dim: int, methods: list[str], train: np.ndarray,
                    test: np.ndarray, *, seed: int = 0, params: dict[str, Any] | None = None,
                    progress: MethodProgress | None = None,
                    on_codes: Callable[[str, np.ndarray, np.ndarray], None] | None = None,
                    groups: np.ndarray | None = None,
                    on_fitted: Callable[[str, Any], None] | None = None) -> list[dict[str, Any]]:
    """Fit each method on the same training rows and measure it on the same held-out rows
    (``train`` and ``test``, indices into X; :func:`aereduce._split.split_rows` makes them).

    Returns one dict per method: reconstruction MSE in the scaled space (None for a method
    without an inverse), kNN accuracy (k=7) when labels are given, and fit and transform seconds.
    ``groups``: each row's unit, the autoencoder validating on whole units (the split holds out
    whole units too). ``on_codes(method, train_codes, test_codes)`` is given each method's codes, and
    ``on_fitted(method, reducer)`` each fitted reducer; ``progress(method)``
    is the block each method fits in, and gives the callable its epochs are reported to.
    """
    rows = []
    for name in methods:
        reducer = make_reducer(name, dim, seed, **((params or {}) if name == "ae" else {}))
        with (progress or (lambda _: contextlib.nullcontext()))(name) as epochs:
            tic = time.perf_counter()
            Z_train = fit_embed(name, reducer, X[train], epochs, groups=None if groups is None else groups[train])
            fit_s = time.perf_counter() - tic
        if on_fitted is not None:
            on_fitted(name, reducer)
        # An untimed transform first: UMAP's first one compiles numba's code (seconds), which a
        # user's later transforms do not pay; every method gets the same warm-up.
        reducer.transform(X[test][:8])
        tic = time.perf_counter()
        Z_test = reducer.transform(X[test])
        transform_s = time.perf_counter() - tic
        row: dict[str, Any] = {"method": name, "dim": dim, "recon_mse": None, "knn_acc": None,
                               "fit_s": round(fit_s, 4), "transform_s": round(transform_s, 4)}
        if get_method(name).has_inverse:
            row["recon_mse"] = float(np.mean(reducer.reconstruction_error(X[test])))
        if y is not None:
            row["knn_acc"] = knn_accuracy(Z_train, y[train], Z_test, y[test])
        if on_codes is not None:
            on_codes(name, np.asarray(Z_train), np.asarray(Z_test))
        rows.append(row)
    return rows


def format_comparison(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`compare_methods` rows."""
    headers = ["method", "dim", "recon_mse", "knn_acc", "fit_s", "transform_s"]
    # Fixed decimals where values are compared down a column (0.9, 0.9667 and 1 read unevenly; trial 14).
    formats = {"recon_mse": "{:.4g}", "knn_acc": "{:.4f}", "fit_s": "{:.3f}", "transform_s": "{:.4f}"}
    cells = [[("-" if r.get(h) is None else formats.get(h, "{}").format(r[h]) if isinstance(r.get(h), float)
               else str(r[h])) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def export_dataset(name: str, split: str, data_home: str | None, rows: int | None, output: str) -> tuple[int, list[str]]:
    """Write a split of MNIST or Fashion-MNIST as a table (pixels p0..p783 and a label), from that
    split's files alone; returns the rows written and notes (fewer rows than ``rows`` asked for)."""
    from .datasets import FILES, dataset_folder, load_split, local_file

    if format_of(output) == "npy":  # trial 50 fitted the label as a 785th pixel of such a file, unsaid
        raise InputError(f"{output}: an .npy file holds one array without column names, so the label would read as "
                         "one more pixel; write .npz, .csv or .parquet, which keep the column names")
    folder = dataset_folder(name, data_home)
    # The dataset's own files are inputs too: trial 24 wrote a CSV over MNIST's labels file.
    check_output(output, inputs=[path for filename in FILES if (path := local_file(folder, filename))])
    X, y = load_split(name, split, data_home)
    notes = [f"the {split} split of {name} has {len(X)} rows, fewer than --rows {rows}: all of them are written"] \
        if rows is not None and rows > len(X) else []
    X, y = X[:rows], y[:rows]
    frame = output_frame(X, [f"p{i}" for i in range(X.shape[1])])
    frame["label"] = y
    write_table(output, frame)
    return len(frame), notes


def fetch_dataset(name: str, data_home: str | None, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Download NAME's four files (checksummed) into the cache, verify them, and return the folder."""
    from .datasets import FILES, fetch, read_verified

    folder = fetch(name, data_home, progress=progress)
    for filename in FILES:
        read_verified(name, folder, filename)
    return folder


def sample_file(model_path: str, output: str, n_samples: int, seed: int = 0,
                image_shape: tuple[int, ...] | None = None) -> None:
    """Write ``n_samples`` rows that a variational model generates (decoded draws from its prior) to
    ``output``: a table in the model's input columns, or, for a .png, .jpg, .svg or .pdf, a grid of images of
    ``image_shape`` (default: a convolutional model's own). The same ``seed`` gives the same rows; a column
    of whole numbers at fit (``input_settings_["whole_columns"]``) is sampled
    in whole numbers."""
    check_output(output, inputs=[model_path])
    model = load_model(model_path, None, "sample")
    if not getattr(model, "variational", False):
        what = ("an outlier detector (fit --ensemble)" if is_detector(model) else
                "an autoencoder fitted without --variational" if hasattr(model, "variational") else "a PCA model")
        # The model given is the wrong kind, as a detector given to transform is: bad input (1), not usage (2).
        raise InputError(f"{model_path}: sample needs a variational autoencoder (fit one with --variational); "
                          f"this is {what}")
    picture = output != "-" and Path(output).suffix.lower() in IMAGE_SUFFIXES
    if image_shape is not None and not picture:
        raise OptionError(f"--image-shape draws the samples as a grid of images, but {output!r} is a table; "
                          f"give -o a {one_of(IMAGE_SUFFIXES)} file")
    if picture:
        image_shape = image_shape or model_image_shape(model)
        if image_shape is None:
            raise OptionError(f"{output}: say how each row is an image with --image-shape, e.g. 28x28")
        if int(np.prod(image_shape)) != model.n_features_in_ or image_shape[0] not in (1, 3):
            raise OptionError(f"--image-shape {shape_text(image_shape)} does not fit the model's rows of "
                              f"{model.n_features_in_} values as 1 (grey) or 3 (colour) channels")
    X = model.sample(n_samples, random_state=seed)
    whole = model_whole_columns(model)
    # a column of years or counts is sampled as such (trial 34 met penguins sampled in the year 2007.3)
    X[:, whole] = np.round(X[:, whole])
    if picture:
        from .plotting import image_grid

        image_grid(output, X, image_shape)
    else:
        frame = output_frame(as_computed(model, X), model_feature_names(model))
        write_table(output, keep_integer_columns(frame, [frame.columns[j] for j in whole]))


def shape_text(shape: tuple[int, ...]) -> str:
    """An image shape as --image-shape takes it: one channel left implicit (8x8 for (1, 8, 8), as the
    user typed it; messages showed a 1x8x8 nobody wrote)."""
    return "x".join(map(str, shape[1:] if len(shape) == 3 and shape[0] == 1 else shape))


def model_image_shape(model: Any) -> tuple[int, ...] | None:
    """A convolutional model's (channels, height, width), else None: PCA's, a perceptron's, or a
    recurrent model's, whose ``input_shape`` is (time steps, features), not an image."""
    from ._resolve import model_architecture

    if not hasattr(model, "input_shape"):
        return None
    architecture, shape = model_architecture(model.architecture, model.input_shape)
    return shape if architecture == "conv" else None
