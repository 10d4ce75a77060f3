"""The ``"auto"`` rules: what each automatic parameter becomes for a given data set.

:class:`ResolvedOptions` holds the results (the estimator's fitted ``*_`` options); saving,
loading and ``inspect`` serialise it field by field, so its fields are the one list of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from ._scaling import Scaler
from .errors import OptionError


# Below this many rows there is too little data to validate on, and a deep model memorised
# mtcars' 32 rows (its held-out rows became the top anomalies): such data gets a linear model.
MIN_ROWS_FOR_DEEP = 50


def auto_hidden_layer_sizes(n_features: int, n_components: int, n_samples: int = MIN_ROWS_FOR_DEEP
                            ) -> tuple[int, ...]:
    """Two hidden layers, wide enough to beat a linear map, bounded for speed; none for tiny data.

    512-256 for 784 pixels (measured in benchmarks/RESULTS.md); 64-32 for a
    dozen tabular columns; a linear model (started at PCA's solution) below 50 rows.
    """
    if n_samples < MIN_ROWS_FOR_DEEP:
        return ()
    first = int(min(512, max(64, 4 * n_features)))
    return first, max(first // 2, n_components)


def auto_batch_size(n_samples: int) -> int:
    """256 rows for large data; about ten batches per epoch for small data."""
    return int(min(256, max(16, n_samples // 10), max(1, n_samples)))


def auto_max_iter(n_samples: int, batch_size: int) -> int:
    """Epochs for about 5,000 optimiser steps (20 epochs on MNIST), between 20 and 1,000."""
    steps_per_epoch = math.ceil(max(1, n_samples) / batch_size)
    return int(min(1000, max(20, round(5000 / steps_per_epoch))))


@dataclass
class ResolvedOptions:
    """The value each ``"auto"`` (or data-dependent) parameter took in ``fit``."""

    n_components_: int
    scaling_: str
    loss_: str
    output_activation_: str
    hidden_layer_sizes_: tuple[int, ...]
    batch_size_: int
    max_iter_: int
    early_stopping_: bool
    linear_skip_: bool
    precision_: str = "float32"  # absent from files of release 0.1.0, which trained in float32

    def __post_init__(self) -> None:
        self.hidden_layer_sizes_ = tuple(int(s) for s in self.hidden_layer_sizes_)  # JSON gives a list


def _unit_range(Xs: np.ndarray) -> bool:
    return bool(Xs.size) and float(Xs.min()) >= 0.0 and float(Xs.max()) <= 1.0


def _hidden_layer_sizes(params: Mapping[str, Any], n_samples: int, n_features: int) -> tuple[int, ...]:
    if params["hidden_layer_sizes"] == "auto":
        return auto_hidden_layer_sizes(n_features, params["n_components"], n_samples)
    sizes = tuple(params["hidden_layer_sizes"])
    if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise OptionError(
            f"hidden_layer_sizes must be 'auto' or a tuple of positive integers, got {params['hidden_layer_sizes']!r}")
    return tuple(int(s) for s in sizes)


def _check_input_shape(params: Mapping[str, Any], n_features: int) -> None:
    if params["input_shape"] is None:
        return
    shape = tuple(int(s) for s in params["input_shape"])
    if len(shape) != 3 or math.prod(shape) != n_features:
        raise OptionError(f"input_shape={params['input_shape']!r} must be (channels, height, width) with "
                          f"channels*height*width equal to the {n_features} features of X")
    if params["tied_weights"] or params["pretrain"]:
        raise OptionError("tied_weights and pretrain need the multilayer perceptron (input_shape=None)")


def _output_and_loss(params: Mapping[str, Any], Xs: np.ndarray) -> tuple[str, str]:
    in_unit_range = _unit_range(Xs)
    output = params["output_activation"]
    if output == "auto":
        output = "sigmoid" if in_unit_range else "identity"
    loss = params["loss"]
    if loss == "auto":
        loss = "bce" if output == "sigmoid" else "mse"
    if loss == "bce" and not in_unit_range:
        raise OptionError(f"loss='bce' needs data in [0, 1] after scaling, got values in "
                          f"[{Xs.min():.3g}, {Xs.max():.3g}]; use scaling='minmax' or loss='mse'")
    if loss == "bce" and output != "sigmoid":
        raise OptionError("loss='bce' needs output_activation='sigmoid' (or 'auto')")
    return output, loss


def _linear_skip(params: Mapping[str, Any], output: str, code_activation: str) -> bool:
    if params["linear_skip"] != "auto":
        skip = bool(params["linear_skip"])
        if skip and (params["input_shape"] is not None or params["tied_weights"]):
            # A tied decoder's non-linear path shares the encoder's weights, so it cannot start at zero.
            raise OptionError("linear_skip needs the untied multilayer perceptron (input_shape=None, tied_weights=False)")
        return skip
    # A sigmoid code (KL sparsity) cannot hold PCA's unbounded coordinates.
    return (output == "identity" and params["input_shape"] is None and not params["tied_weights"]
            and code_activation != "logistic")


def resolve_options(params: Mapping[str, Any], X: np.ndarray, scaler: Scaler, code_activation: str,
                    precision: str) -> ResolvedOptions:
    """Check the combination of ``params`` against X and resolve every ``"auto"``."""
    n_samples, n_features = X.shape
    output, loss = _output_and_loss(params, scaler.transform(X))
    _check_input_shape(params, n_features)
    batch = auto_batch_size(n_samples) if params["batch_size"] == "auto" else min(params["batch_size"], n_samples)
    early = params["early_stopping"]
    return ResolvedOptions(
        n_components_=int(params["n_components"]),
        scaling_=scaler.kind,
        loss_=loss,
        output_activation_=output,
        hidden_layer_sizes_=_hidden_layer_sizes(params, n_samples, n_features),
        batch_size_=batch,
        max_iter_=auto_max_iter(n_samples, batch) if params["max_iter"] == "auto" else int(params["max_iter"]),
        early_stopping_=(50 <= n_samples <= 20_000) if early == "auto" else bool(early),
        linear_skip_=_linear_skip(params, output, code_activation),
        precision_=precision,
    )
