"""Side-by-side comparison of the autoencoder, PCA and UMAP on one held-out split."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def knn_accuracy(Z_train: np.ndarray, y_train: np.ndarray, Z_test: np.ndarray, y_test: np.ndarray, k: int = 7) -> float:
    """Accuracy of a k-nearest-neighbour classifier fit on train codes, scored on test codes."""
    from sklearn.neighbors import KNeighborsClassifier

    return float(KNeighborsClassifier(n_neighbors=min(k, len(Z_train))).fit(Z_train, y_train).score(Z_test, y_test))


def compare_methods(X: np.ndarray, y: np.ndarray | None, dim: int, methods: list[str], *, test_size: float = 0.2,
                    seed: int = 0, ae_params: dict[str, Any] | None = None,
                    progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Fit each method on the same training rows and measure it on the same held-out rows.

    Returns one dict per method: reconstruction MSE in the scaled space (None for
    UMAP, whose inverse is not a reconstruction map), kNN accuracy (k=7) when labels
    are given, and fit and transform seconds.
    """
    from sklearn.model_selection import train_test_split

    from .baselines import make_reducer

    stratify = y if y is not None and _can_stratify(y, test_size) else None
    parts = train_test_split(X, *(() if y is None else (y,)), test_size=test_size, random_state=seed, stratify=stratify)
    X_train, X_test = parts[0], parts[1]
    y_train, y_test = (parts[2], parts[3]) if y is not None else (None, None)
    rows = []
    for method in methods:
        if progress is not None:
            progress(method)
        reducer = make_reducer(method, dim, seed, **((ae_params or {}) if method == "ae" else {}))
        tic = time.perf_counter()
        Z_train = reducer.fit_transform(X_train) if method == "umap" else reducer.fit(X_train).transform(X_train)
        fit_s = time.perf_counter() - tic
        tic = time.perf_counter()
        Z_test = reducer.transform(X_test)
        transform_s = time.perf_counter() - tic
        row: dict[str, Any] = {"method": method, "dim": dim, "recon_mse": None, "knn_acc": None,
                               "fit_s": round(fit_s, 4), "transform_s": round(transform_s, 4)}
        if method != "umap":
            row["recon_mse"] = float(np.mean(reducer.reconstruction_error(X_test)))
        if y is not None:
            row["knn_acc"] = knn_accuracy(Z_train, y_train, Z_test, y_test)
        rows.append(row)
    return rows


def _can_stratify(y: np.ndarray, test_size: float) -> bool:
    _, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    return counts.min() >= 2 and len(counts) <= test_size * len(y)
