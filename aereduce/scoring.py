"""A scorer that compares reducers by what they share: how well they rebuild the rows."""

from __future__ import annotations

from typing import Any

import numpy as np


def reconstruction_scorer(estimator: Any, X: Any, y: Any = None) -> float:
    """Minus the mean squared error of ``estimator``'s reconstruction of ``X``, in ``X``'s own units.

    A ``scoring=`` for :class:`~sklearn.model_selection.GridSearchCV` and ``cross_val_score`` that
    ranks any fitted reducer with an ``inverse_transform`` alike: PCA, the autoencoder, or a
    ``Pipeline`` of them behind a scaler (whose ``inverse_transform`` undoes the scaling too).
    Their own ``score`` methods differ (PCA's is a log-likelihood, the autoencoder's minus the
    error after its own scaling), so a search over both by ``score`` compares unlike numbers
    (trial 45: the autoencoder always won).

    Parameters
    ----------
    estimator : fitted estimator with ``transform`` and ``inverse_transform``
    X : array-like of shape (n_samples, n_features)
        The rows to rebuild (a fold's held-out rows, in a search).
    y : ignored
        Taken so that it can be a scikit-learn scorer.

    Returns
    -------
    float
        Minus the mean over rows and columns of the squared difference (higher is better).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from aereduce.scoring import reconstruction_scorer
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> reconstruction_scorer(PCA(n_components=3).fit(X), X) > -1e-12
    True
    """
    rebuilt = estimator.inverse_transform(estimator.transform(X))
    rows = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)  # sparse, as the reducers take
    return -float(np.mean((np.asarray(rebuilt, dtype=np.float64) - rows) ** 2))
