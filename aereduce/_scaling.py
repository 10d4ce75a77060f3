"""The input scaling learned in ``fit`` and undone by ``inverse_transform``: one object for every model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._params import AUTOENCODER_PARAMS
from .errors import ModelFileError, OptionError

SCALINGS = AUTOENCODER_PARAMS["scaling"].options
# The columns an error is measured on, by resolved scaling, for the fit's summary: its MSE is in these units.
SCALED_COLUMNS = {"standard": "standardised columns", "global": "centred columns on one shared scale",
                  "minmax": "columns scaled to [0, 1]", "none": "the columns as given"}

# A column whose spread is below this share of its magnitude is constant at its rows' precision
# (float32's is about 6e-8, float64's 1e-16): its variation is rounding noise, and standardising it
# would blow that noise up to unit variance. Such a column keeps scale 1, as PCA on the raw column
# would effectively do. Float64 rows are scaled in float64, so theirs is far lower: a count of
# minutes plus 1e8 (spread 1.4e-7 of it) was left unscaled as "constant" under float32's bar (trial 31).
_CONSTANT_RELATIVE_SPREAD = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-10}


# A column counts as already standardised when its mean is within this many standard deviations of
# 0 and its standard deviation within this share of 1: StandardScaler's output, on the rows it was
# fitted to or on a subset of them.
_STANDARDISED_TOLERANCE = 0.1


def _shares_one_range(minimum: np.ndarray, maximum: np.ndarray) -> bool:
    """Whether the columns are measured on one scale: most of those that vary span the data's
    whole range, as pixels (0-255, or digits' 0-16) and answers on one rating scale do.

    Such columns are in the same units, and their spreads carry meaning: an edge pixel that is
    nearly always 0 matters less than a central one. Standardising gives the near-constant ones
    unit variance; on scikit-learn's digits that cost the 8-D codes 2.9 points of 3-fold 7-NN
    accuracy (93.9% against 96.8% centred with one divisor for all columns), below PCA's on the
    raw pixels (95.4%). Mapping the pixels to [0, 1] instead, with a sigmoid and cross-entropy,
    gave 95.8%, and loses the start at PCA's solution that the centred data's linear path has.
    """
    varying = maximum > minimum
    if varying.sum() < 2:
        return False
    spans_all = varying & (minimum == minimum.min()) & (maximum == maximum.max())
    return 2 * int(spans_all.sum()) > int(varying.sum())


# How far outside [0, 1] a value may lie and still count as in it: a MinMaxScaler's output reaches
# 1 + 2.2e-16 (float64) or 1 + 1.2e-7 (float32) by rounding, and was standardised for it (trial 21).
UNIT_RANGE_TOLERANCE = 1e-6


def in_unit_range(minimum: np.ndarray | float, maximum: np.ndarray | float) -> np.ndarray:
    """Whether values from ``minimum`` to ``maximum`` lie in [0, 1], up to rounding (elementwise)."""
    return (np.asarray(minimum) >= -UNIT_RANGE_TOLERANCE) & (np.asarray(maximum) <= 1.0 + UNIT_RANGE_TOLERANCE)


def _spans_unit_range(minimum: np.ndarray, maximum: np.ndarray) -> bool:
    """Every column in [0, 1] and the data spanning at least half of it: pixels, rates, one-hot
    dummies, left as they are. Values crowded near 0 are not (trial 19: wine scaled to [0, 0.01]
    trained on as it was gave 2.5-7x PCA's held-out error, and standardised 1.0x)."""
    return bool(len(minimum) and in_unit_range(minimum, maximum).all()
                and float(maximum.max()) - float(minimum.min()) >= 0.5)


def _auto_scaling(minimum: np.ndarray, maximum: np.ndarray, mean: np.ndarray | None, std: np.ndarray | None) -> str:
    """``'auto'``: ``"none"`` for data already prepared, ``"global"`` for columns on one scale,
    else ``"standard"``.

    Prepared means every column is in [0, 1] (pixels, rates, one-hot dummies; the data spanning
    at least half of it) or already standardised. A ColumnTransformer's StandardScaler and OneHotEncoder output is both; scaling
    its rare dummies to unit variance again made the model's error 1.10-1.48x that of PCA on the
    same output (trial 10, Cars93), where leaving it as it is matches PCA at the start.
    """
    unit = in_unit_range(minimum, maximum)
    if _spans_unit_range(minimum, maximum):
        return "none"
    if mean is None or std is None:
        return "standard"
    if _shares_one_range(minimum, maximum):
        return "global"
    standardised = (np.abs(mean) <= _STANDARDISED_TOLERANCE) & (np.abs(std - 1.0) <= _STANDARDISED_TOLERANCE)
    # A ColumnTransformer's output: standardised columns beside dummies in [0, 1].
    return "none" if standardised.any() and (unit | standardised).all() else "standard"


def _safe_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations that do not overflow near float64's limit (~1e308).

    Squaring 1e155 overflows, and so does summing many values near 1e308; dividing each column
    by its largest magnitude first does neither.
    """
    magnitude = np.max(np.abs(X), axis=0)
    magnitude = np.where(magnitude > 0, magnitude, 1.0)
    unit = X / magnitude
    return unit.mean(axis=0) * magnitude, unit.std(axis=0) * magnitude


def _root_mean_square(values: np.ndarray) -> float:
    """sqrt(mean(values ** 2)) without overflow for values near float64's limit; 1.0 for none."""
    largest = float(np.max(np.abs(values), initial=0.0))
    if largest == 0.0:
        return 1.0 if not values.size else 0.0
    return largest * float(np.sqrt(np.mean(np.square(values / largest))))


@dataclass
class Scaler:
    """``(X - offset) / scale``, per column (``"global"``: one scale for all columns).

    Attributes
    ----------
    kind : str
        The resolved scaling: ``"standard"``, ``"minmax"``, ``"global"`` or ``"none"``.
    offset : ndarray of shape (n_features,)
        Subtracted from each column.
    scale : ndarray of shape (n_features,)
        Each column's divisor; always positive and finite.
    minimum, maximum : ndarray of shape (n_features,) or None
        Each column's smallest and largest training value (None in files saved before they were
        kept), the range :meth:`clip` holds generated rows to.
    """

    kind: str
    offset: np.ndarray
    scale: np.ndarray
    minimum: np.ndarray | None = None
    maximum: np.ndarray | None = None

    @classmethod
    def fit(cls, X: np.ndarray, scaling: str = "auto") -> "Scaler":
        """Learn the scaling of ``X`` (``scaling`` may be ``"auto"``)."""
        # Minima and maxima are exact in the rows' own float type; only standardising needs float64,
        # so pixels in [0, 1] are not copied (60,000 MNIST rows: 0.74 s with the copy).
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        minimum, maximum = X.min(axis=0, initial=np.inf), X.max(axis=0, initial=-np.inf)
        unit_range = X.size and _spans_unit_range(minimum, maximum)
        needs_moments = scaling in ("standard", "global") or (scaling == "auto" and not unit_range)
        mean, std = _safe_mean_std(X.astype(np.float64, copy=False)) if needs_moments else (None, None)
        return cls.from_statistics(scaling, minimum, maximum, mean, std, n_rows=X.shape[0], dtype=X.dtype)

    @classmethod
    def from_statistics(cls, scaling: str, minimum: np.ndarray, maximum: np.ndarray, mean: np.ndarray | None,
                        std: np.ndarray | None, *, n_rows: int, dtype: np.dtype | type = np.float64) -> "Scaler":
        """The scaling of data with these column statistics (``std`` is the population one, ddof=0)
        of rows of ``dtype`` (float32 or float64: the precision below which a column is constant).

        What :meth:`fit` learns from an array, and a streamed fit from running sums over chunks;
        ``mean`` and ``std`` are needed only for ``"standard"`` (or ``"auto"`` outside [0, 1]).
        """
        minimum, maximum = np.asarray(minimum, dtype=np.float64), np.asarray(maximum, dtype=np.float64)
        n_features = minimum.shape[0]
        n_values = n_rows * n_features
        if scaling != "auto":
            kind = scaling
        elif not n_values:
            kind = "standard"
        else:
            kind = _auto_scaling(minimum, maximum, None if mean is None else np.asarray(mean, dtype=np.float64),
                                 None if std is None else np.asarray(std, dtype=np.float64))
        if kind == "none":
            return cls(kind, np.zeros(n_features), np.ones(n_features), minimum, maximum)
        if kind == "standard":
            offset, scale = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        elif kind == "minmax":
            offset = minimum
            scale = maximum - offset
        elif kind == "global":
            # centred, with one divisor for every column: their relative spreads stay as PCA sees them
            offset = np.asarray(mean, dtype=np.float64)
            scale = np.full(n_features, _root_mean_square(np.asarray(std, dtype=np.float64)))
        else:
            raise OptionError(f"scaling={scaling!r} must be one of {', '.join(SCALINGS)}")
        if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale))):
            bad = int(np.flatnonzero(~(np.isfinite(offset) & np.isfinite(scale)))[0])
            raise OptionError(f"column {bad} spans more than float64 can hold ({minimum[bad]:.3g} to "
                              f"{maximum[bad]:.3g}); rescale or drop it")
        relative = _CONSTANT_RELATIVE_SPREAD.get(np.dtype(dtype), _CONSTANT_RELATIVE_SPREAD[np.dtype(np.float32)])
        constant = (scale <= relative * np.abs(offset)) | (scale < np.finfo(np.float64).tiny)
        return cls(kind, offset, np.where(constant, 1.0, scale), minimum, maximum)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.offset) / self.scale

    def transform_float32(self, X: np.ndarray) -> np.ndarray:
        """:meth:`transform` rounded to float32, what a model reads: float32 rows are scaled in
        float32, which spares a float64 copy (on 10,000 MNIST rows that copy took as long as
        encoding them); float64 rows are scaled in float64 first, so a column far from zero keeps
        its digits."""
        X = np.asarray(X)
        if X.dtype == np.float32:
            scaled = np.subtract(X, self.offset.astype(np.float32))
            scaled /= self.scale.astype(np.float32)  # in place: one new array, not two
            return scaled
        return self.transform(X).astype(np.float32)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) * self.scale + self.offset

    def widen(self, X: np.ndarray) -> None:
        """Stretch the kept training range over the rows ``X`` too (``partial_fit``'s later chunks,
        which leave the scaling itself as the first chunk set it)."""
        if self.minimum is not None and self.maximum is not None and len(X):
            self.minimum = np.minimum(self.minimum, np.asarray(X).min(axis=0))
            self.maximum = np.maximum(self.maximum, np.asarray(X).max(axis=0))

    def clip(self, X: np.ndarray) -> np.ndarray:
        """``X`` held to each column's training range (unchanged where the range is not known)."""
        if self.minimum is None or self.maximum is None:
            return X
        return np.clip(X, self.minimum.astype(X.dtype), self.maximum.astype(X.dtype))

    # -- persistence: tensors in the model file ---------------------------------------------
    def tensors(self) -> dict[str, np.ndarray]:
        kept = {"scaling.mean": self.offset, "scaling.scale": self.scale}
        if self.minimum is not None and self.maximum is not None:
            kept.update({"scaling.minimum": self.minimum, "scaling.maximum": self.maximum})
        return {name: np.asarray(values, dtype=np.float64) for name, values in kept.items()}

    @classmethod
    def from_tensors(cls, kind: str, tensors: dict[str, np.ndarray], n_features: int, source: str) -> "Scaler":
        """The scaling stored in a model file, checked: right shape, finite, positive scale."""
        try:
            offset, scale = tensors["scaling.mean"], tensors["scaling.scale"]
        except KeyError as exc:
            raise ModelFileError(f"{source}: corrupt model: no tensor {exc.args[0]}") from None
        # The training range came later: a file saved before it has none, and its samples are not clipped.
        minimum, maximum = tensors.get("scaling.minimum"), tensors.get("scaling.maximum")
        ranged = [("scaling.minimum", minimum), ("scaling.maximum", maximum)] if minimum is not None or maximum is not None else []
        for name, array in [("scaling.mean", offset), ("scaling.scale", scale)] + ranged:
            if array is None:
                raise ModelFileError(f"{source}: corrupt model: no tensor {name}")
            if array.shape != (n_features,):
                raise ModelFileError(f"{source}: corrupt model: {name} has shape {tuple(array.shape)}, "
                                     f"expected ({n_features},) for {n_features} input columns")
            if not np.all(np.isfinite(array)):
                raise ModelFileError(f"{source}: corrupt model: {name} holds NaN or inf")
        if not np.all(scale > 0):
            raise ModelFileError(f"{source}: corrupt model: scaling.scale must be positive, holds {scale.min():g}")
        return cls(kind, np.asarray(offset, dtype=np.float64), np.asarray(scale, dtype=np.float64),
                   None if minimum is None else np.asarray(minimum, dtype=np.float64),
                   None if maximum is None else np.asarray(maximum, dtype=np.float64))
