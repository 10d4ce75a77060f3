"""A scorer that compares reducers by what they share: how well they rebuild the rows."""

from __future__ import annotations

from typing import Any

import numpy as np


def _dense(X: Any) -> np.ndarray:
    """Rows as a float64 array (sparse ones made dense, as the reducers take them)."""
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)


def rebuilt_rows(estimator: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``estimator`` is scored on and its reconstruction of them.

    Those are ``X`` and ``inverse_transform(transform(X))``, in ``X``'s own units, where the
    estimator can invert all the way back. A ``Pipeline`` whose preprocessing has no
    ``inverse_transform`` (a ``ColumnTransformer``, a ``OneHotEncoder``) cannot. It is scored in
    the space its last step reads: the preprocessed rows and that step's reconstruction of them.
    (Trial 49: every fold of a search over a mixed table failed to score, and the search returned
    its first candidate with a NaN score.) So is one whose ``inverse_transform`` refuses, as
    :class:`~sklearn.impute.SimpleImputer`'s does without ``add_indicator=True``.
    """
    pipeline = hasattr(estimator, "steps") and len(estimator.steps) > 1
    if not pipeline or hasattr(estimator, "inverse_transform"):
        try:
            return _dense(X), _dense(estimator.inverse_transform(estimator.transform(X)))
        except (ValueError, AttributeError, NotImplementedError):
            # a step that has an inverse_transform which refuses (a review: SimpleImputer's, without
            # add_indicator=True, the imputer a NaN refusal advises) is scored as one without
            if not pipeline:
                raise
    rows = estimator[:-1].transform(X)
    last = estimator[-1]
    return _dense(rows), _dense(last.inverse_transform(last.transform(rows)))


def reconstruction_scorer(estimator: Any, X: Any, y: Any = None) -> float:
    """The share of each column's variance that ``estimator``'s reconstruction of ``X`` keeps,
    averaged over the columns: the mean R² of the rebuilt columns (1 is exact, 0 is no better than
    each column's mean).

    A ``scoring=`` for :class:`~sklearn.model_selection.GridSearchCV` and ``cross_val_score`` that
    ranks any fitted reducer with an ``inverse_transform`` alike: PCA, the autoencoder, or a
    ``Pipeline`` of them behind a scaler (whose ``inverse_transform`` undoes the scaling too).
    Their own ``score`` methods differ (PCA's is a log-likelihood, the autoencoder's minus the
    error after its own scaling), so a search over both by ``score`` compares unlike numbers
    (trial 45: the autoencoder always won).

    Each column counts alike, whatever its units. A mean squared error in the data's units would
    be one column's: on the wine data, proline (in the hundreds) was 99.7% of PCA's (trial 49).
    R² is measured against the scored rows' own spread, so it stays comparable across scalings.
    A column constant in the scored rows (a one-hot column all 0 in a fold) has no spread to
    measure against and is left out (scikit-learn's ``r2_score`` counts it 1 if rebuilt to the
    last bit, else 0, which ranked models by rounding: a review); where no column varies (a
    single row, as in leave-one-out), the score is minus the mean squared error. A pipeline
    whose preprocessing cannot be inverted is scored on what its last step reads
    (:func:`rebuilt_rows`). The candidates of a search then have to share that preprocessing.

    Parameters
    ----------
    estimator : fitted estimator with ``transform`` and ``inverse_transform``
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The rows to rebuild (a fold's held-out rows, in a search).
    y : ignored
        Taken so that it can be a scikit-learn scorer.

    Returns
    -------
    float
        The mean over the columns that vary of R² (higher is better; at most 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from aereduce.scoring import reconstruction_scorer
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> round(reconstruction_scorer(PCA(n_components=3).fit(X), X), 6)
    1.0
    """
    rows, rebuilt = rebuilt_rows(estimator, X)
    squared = (rebuilt - rows) ** 2
    varies = np.ptp(rows, axis=0) > 0
    if not varies.any():
        return -float(np.mean(squared))
    missed = squared[:, varies].mean(axis=0) / rows[:, varies].var(axis=0)
    return float(1.0 - missed.mean())
