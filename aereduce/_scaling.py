"""The input scaling learned in ``fit`` and undone by ``inverse_transform``: one object for every model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ModelFileError, OptionError

SCALINGS = ("auto", "standard", "minmax", "none")

# A column whose spread is below this share of its magnitude is constant at float32's precision
# (about 6e-8): its variation is rounding noise, and standardising it would blow that noise up to
# unit variance. Such a column keeps scale 1, as PCA on the raw column would effectively do.
_CONSTANT_RELATIVE_SPREAD = 1e-6


def resolve_scaling(X: np.ndarray, scaling: str) -> str:
    """``'auto'``: data already in [0, 1] (pixels, rates) is left as it is, else standardised."""
    if scaling != "auto":
        return scaling
    if X.size and float(np.min(X)) >= 0.0 and float(np.max(X)) <= 1.0:
        return "none"
    return "standard"


def _safe_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations that do not overflow near float64's limit (~1e308).

    Squaring 1e155 overflows, and so does summing many values near 1e308; dividing each column
    by its largest magnitude first does neither.
    """
    magnitude = np.max(np.abs(X), axis=0)
    magnitude = np.where(magnitude > 0, magnitude, 1.0)
    unit = X / magnitude
    return unit.mean(axis=0) * magnitude, unit.std(axis=0) * magnitude


@dataclass
class Scaler:
    """``(X - offset) / scale``, per column.

    Attributes
    ----------
    kind : str
        The resolved scaling: ``"standard"``, ``"minmax"`` or ``"none"``.
    offset : ndarray of shape (n_features,)
        Subtracted from each column.
    scale : ndarray of shape (n_features,)
        Each column's divisor; always positive and finite.
    """

    kind: str
    offset: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, scaling: str = "auto") -> "Scaler":
        """Learn the scaling of ``X`` (``scaling`` may be ``"auto"``)."""
        kind = resolve_scaling(X, scaling)
        n_features = X.shape[1]
        if kind == "none":
            return cls(kind, np.zeros(n_features), np.ones(n_features))
        X64 = np.asarray(X, dtype=np.float64)
        if kind == "standard":
            offset, scale = _safe_mean_std(X64)
        elif kind == "minmax":
            offset = X64.min(axis=0)
            scale = X64.max(axis=0) - offset
        else:
            raise OptionError(f"scaling={scaling!r} must be one of {', '.join(SCALINGS)}")
        if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale))):
            bad = int(np.flatnonzero(~(np.isfinite(offset) & np.isfinite(scale)))[0])
            raise OptionError(f"column {bad} spans more than float64 can hold ({X64[:, bad].min():.3g} to "
                              f"{X64[:, bad].max():.3g}); rescale or drop it")
        constant = (scale <= _CONSTANT_RELATIVE_SPREAD * np.abs(offset)) | (scale < np.finfo(np.float64).tiny)
        return cls(kind, offset, np.where(constant, 1.0, scale))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.offset) / self.scale

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) * self.scale + self.offset

    # -- persistence: two tensors in the model file ---------------------------------------------
    def tensors(self) -> dict[str, np.ndarray]:
        return {"scaling.mean": np.asarray(self.offset, dtype=np.float64),
                "scaling.scale": np.asarray(self.scale, dtype=np.float64)}

    @classmethod
    def from_tensors(cls, kind: str, tensors: dict[str, np.ndarray], n_features: int, source: str) -> "Scaler":
        """The scaling stored in a model file, checked: right shape, finite, positive scale."""
        try:
            offset, scale = tensors["scaling.mean"], tensors["scaling.scale"]
        except KeyError as exc:
            raise ModelFileError(f"{source}: corrupt model: no tensor {exc.args[0]}") from None
        for name, array in (("scaling.mean", offset), ("scaling.scale", scale)):
            if array.shape != (n_features,):
                raise ModelFileError(f"{source}: corrupt model: {name} has shape {tuple(array.shape)}, "
                                     f"expected ({n_features},) for {n_features} input columns")
            if not np.all(np.isfinite(array)):
                raise ModelFileError(f"{source}: corrupt model: {name} holds NaN or inf")
        if not np.all(scale > 0):
            raise ModelFileError(f"{source}: corrupt model: scaling.scale must be positive, holds {scale.min():g}")
        return cls(kind, np.asarray(offset, dtype=np.float64), np.asarray(scale, dtype=np.float64))
