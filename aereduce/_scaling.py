"""Input scaling learned in ``fit`` and undone by ``inverse_transform``."""

from __future__ import annotations

import numpy as np

SCALINGS = ("auto", "standard", "minmax", "none")


def resolve_scaling(X: np.ndarray, scaling: str) -> str:
    """``'auto'``: data already in [0, 1] (pixels, rates) is left as it is, else standardised."""
    if scaling != "auto":
        return scaling
    if X.size and float(np.min(X)) >= 0.0 and float(np.max(X)) <= 1.0:
        return "none"
    return "standard"


def fit_scaling(X: np.ndarray, scaling: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(offset, scale)`` so that ``(X - offset) / scale`` is the scaled data.

    Constant columns get scale 1, never 0, so they scale to zeros rather than NaN.
    """
    n_features = X.shape[1]
    if scaling == "none":
        return np.zeros(n_features), np.ones(n_features)
    X64 = np.asarray(X, dtype=np.float64)
    if scaling == "standard":
        offset, scale = X64.mean(axis=0), X64.std(axis=0)
    elif scaling == "minmax":
        offset = X64.min(axis=0)
        scale = X64.max(axis=0) - offset
    else:
        raise ValueError(f"unknown scaling {scaling!r}")
    scale = np.where(scale < 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(offset)), 1.0, scale)
    return offset, scale
