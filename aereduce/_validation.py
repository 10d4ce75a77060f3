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
