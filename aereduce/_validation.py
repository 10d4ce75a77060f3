"""Input validation shared by the estimators: scikit-learn's, with sparse rows made dense."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import validate_data

# A network reads dense rows. Sparse input (a OneHotEncoder's default output inside a
# ColumnTransformer, which PCA accepts) is made dense rather than refused (trial 21).
SPARSE_FORMATS = ("csr", "csc", "coo")


def dense_rows(estimator: Any, X: Any, **kwargs: Any) -> np.ndarray:
    """``validate_data(estimator, X, dtype=float64 or float32, **kwargs)``, a sparse matrix or array
    given as its dense rows. Its refusals of a text, date or missing value, and of columns unlike
    the fitted ones, name the column and say what to do (:func:`explained_refusal`)."""
    try:
        X = validate_data(estimator, X, dtype=[np.float64, np.float32], accept_sparse=SPARSE_FORMATS, **kwargs)
    except (ValueError, TypeError) as exc:
        explained = explained_refusal(estimator, X, exc)
        if explained is None:
            raise
        if "float() argument" in str(exc):  # scikit-learn's check_dtype_object matches its TypeError's words
            raise TypeError(f"{str(exc).rstrip('.')}: {explained}") from None
        raise ValueError(explained) from None
    return np.ascontiguousarray(X.toarray()) if hasattr(X, "toarray") else X


def _first_unreadable_column(X: Any) -> tuple[str, Any] | None:
    """The first column of ``X`` that holds something other than numbers, said for a message
    (``'species'`` in a DataFrame, ``column 3`` in an array), and such a value."""
    import pandas as pd

    if hasattr(X, "columns"):
        frame, said = X, repr
    else:
        array = np.asarray(X, dtype=object) if not hasattr(X, "toarray") else None
        if array is None or array.ndim != 2:
            return None
        frame, said = pd.DataFrame(array), lambda j: f"column {j}"
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or (pd.api.types.is_numeric_dtype(column)
                                                  and not pd.api.types.is_complex_dtype(column)):
            continue
        # pandas 3 reads text as its str dtype: numbers written as text ('1990') are numbers there too (a review)
        as_text = pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
        numbers = pd.to_numeric(column, errors="coerce") if as_text else None
        bad = column.notna() & (numbers.isna() if numbers is not None else True)
        if bool(bad.any()):
            return said(name), column[bad].iloc[0]
    return None


def explained_refusal(estimator: Any, X: Any, exc: Exception) -> str | None:
    """scikit-learn's refusal of ``X`` in a user's words: the column, the value and what to do; None
    where there is nothing to add. Trial 49: "could not convert string to float: 'Adelie'" named no
    column, the missing-value advice named a classifier, a date column raised numpy's promotion error,
    and a model fitted by the command line refused the file it was fitted on for its id and label."""
    message = str(exc)
    if "Found array with dim" in message and np.ndim(X) > 2:
        # trial 51 gave MNIST as (n, 1, 28, 28) images, as a convolutional network in torch reads them
        shape = tuple(np.shape(X)[1:])
        rows = "X.reshape(len(X), -1)"
        if len(shape) == 3 and shape[-1] in (1, 3, 4) and shape[0] not in (1, 3, 4):
            # channels last (NumPy, PIL, Keras): the model reads (channels, height, width) (a review)
            shape, rows = (shape[2], shape[0], shape[1]), "X.transpose(0, 3, 1, 2).reshape(len(X), -1)"
        fitted = hasattr(estimator, "n_features_in_")  # its input_shape is set: only the rows' layout to fix
        image = ("" if fitted else
                 f" and input_shape={shape} (channels, height, width) for the convolutional model" if len(shape) == 3
                 else f" and input_shape={(1, *shape)} for images and the convolutional model (input_shape={shape}, "
                      "two numbers, reads each row as a sequence for the recurrent one)" if len(shape) == 2 else "")
        return (f"{message.rstrip('.')}: give one row per sample, {rows} ({int(np.prod(shape))} values each){image}")
    names = list(X.columns) if hasattr(X, "columns") else None
    policy = (getattr(estimator, "input_settings_", None) or {}).get("nan", "error")
    if "NaN" in message and "Input" in message:
        if policy != "error" or hasattr(X, "toarray"):  # new_rows says what the command line's --nan did
            return None
        values = X.to_numpy(dtype=np.float64, na_value=np.nan) if names is not None else np.asarray(X, dtype=np.float64)
        rows, columns = np.nonzero(np.isnan(values))
        if not len(rows):
            return None
        where = (f"column {names[columns[0]]!r} at index {X.index[rows[0]]!r}" if names is not None else
                 f"column {columns[0]} of row {rows[0]}")
        count = len(np.unique(rows))
        return (f"Input X contains NaN (missing values) in {count} row{'s' if count != 1 else ''}, the first in "
                f"{where}: fill them first (sklearn.impute.SimpleImputer in a Pipeline) or leave those rows out")
    if any(words in message for words in ("could not convert", "DType", "float() argument")):
        found = _first_unreadable_column(X)
        if found is None:
            return None
        column, value = found
        return (f"X's {column if column.startswith('column ') else 'column ' + column} holds {value!r}, not a "
                "number: a model reads numbers only; encode it as numbers (a OneHotEncoder for categories, in a "
                "ColumnTransformer), or leave it out")
    if "feature names" in message.lower() and names is not None \
            and getattr(estimator, "feature_names_in_", None) is not None:
        from .tables import shown_names

        # scikit-learn's words first, whole: its own checks match them (check_dataframe_column_names_consistency)
        expected = [str(c) for c in estimator.feature_names_in_]
        names = [str(c) for c in names]
        extra = [c for c in names if c not in expected]
        absent = [c for c in expected if c not in names]
        settings = getattr(estimator, "input_settings_", None) or {}
        carried = {settings.get("id_column"), settings.get("label_column")} - {None}
        said = (f"{shown_names([repr(c) for c in extra])} {'is' if len(extra) == 1 else 'are'} the id and label "
                "columns that `aereduce fit` read beside the features. " if extra and set(extra) <= carried else "")
        # X[model.feature_names_in_] raises KeyError where a column is missing (a review)
        todo = (f"give X {'that column' if len(absent) == 1 else 'those columns'} too" if absent else
                "pass X[model.feature_names_in_]")
        return f"{message.rstrip()}\n{said}The model reads the columns {shown_names(expected)}, in that order: {todo}"
    return None


# What `aereduce fit` keeps on a model about the file it read (usecases.input_settings): a fit in
# Python on other rows leaves it untrue, so every fit forgets it (a review: a refitted model still
# said it had been fitted with --nan mean, and would have saved that file's means).
COMMAND_LINE_FIELDS = ("input_settings_", "fit_summary_")


def forget_command_line_fields(estimator: Any) -> None:
    """Drop what ``aereduce fit`` recorded of an earlier fit (:data:`COMMAND_LINE_FIELDS`)."""
    for name in COMMAND_LINE_FIELDS:
        estimator.__dict__.pop(name, None)


def new_rows(estimator: Any, X: Any) -> np.ndarray:
    """:func:`dense_rows` of rows for a fitted model; NaN given to a model that ``aereduce fit
    --nan mean`` (zero, drop) fitted is an error that says the command line's fill is not applied
    here (trial 38: scikit-learn's words advised HistGradientBoostingClassifier)."""
    try:
        return dense_rows(estimator, X, reset=False)
    except ValueError as exc:
        policy = (getattr(estimator, "input_settings_", None) or {}).get("nan", "error")
        if policy == "error" or "Input X contains NaN" not in str(exc):
            raise
        todo = {"mean": "fill them with the training means first (input_settings_['means'], by column)",
                "zero": "fill them with 0 first", "drop": "leave those rows out first"}[policy]
        # a Python fit on a FileSource with ReadOptions(nan=...) reads so too (trial 40)
        raise ValueError(f"X contains NaN: this model was fitted on a file read with nan={policy!r} (`aereduce fit "
                         f"--nan {policy}`, or ReadOptions(nan={policy!r})), whose handling of missing values the "
                         f"command line applies and Python does not; {todo}, or encode the file with "
                         "`aereduce transform`") from None
