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
    given as its dense rows."""
    X = validate_data(estimator, X, dtype=[np.float64, np.float32], accept_sparse=SPARSE_FORMATS, **kwargs)
    return np.ascontiguousarray(X.toarray()) if hasattr(X, "toarray") else X


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
