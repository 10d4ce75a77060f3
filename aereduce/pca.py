"""``ScaledPCA``: PCA after the autoencoder's input scaling, saved in the same safe format.

It applies the same :class:`~aereduce._scaling.Scaler` as ``AutoencoderTransformer``, so
comparisons are like for like, and it is what ``--method pca`` fits and saves.
"""

from __future__ import annotations

import os
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.decomposition import PCA
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _persistence
from ._validation import dense_rows, forget_command_line_fields, new_rows
from ._feature_names import MethodPrefixFeaturesOutMixin
from ._scaling import SCALINGS, Scaler
from .errors import InputError, OptionError

MODEL_KIND = "pca"


def row_errors(pca: PCA, Xs: np.ndarray) -> np.ndarray:
    """Mean squared error of each row of ``Xs`` (already scaled) rebuilt from its ``pca`` code."""
    return ((pca.inverse_transform(pca.transform(Xs)) - Xs) ** 2).mean(axis=1)


class ScaledPCA(MethodPrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """PCA after the autoencoder's ``scaling``, with reconstruction scores and safe saving.

    Parameters
    ----------
    n_components : int, default=2
        Number of principal components.
    scaling : {"auto", "standard", "minmax", "global", "none"}, default="auto"
        As for :class:`~aereduce.AutoencoderTransformer`.
    random_state : int or None, default=None
        Passed to PCA's randomised solver.

    Attributes
    ----------
    pca_ : sklearn.decomposition.PCA
        The fitted PCA on the scaled data.
    scaler_ : Scaler
        The input scaling.
    scaling_ : str
        The resolved scaling.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X had string column names.
    input_settings_ : dict
        Set by the command line's ``fit``: how its data was read (id and label columns, the
        missing-value policy, the training means), saved so later commands need no options again.
    fit_summary_ : list of str
        Set by the command line's ``fit``: the summary it printed (what was fitted, and its
        held-out error against PCA's), saved for ``inspect`` and ``report``.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from aereduce.pca import ScaledPCA
    >>> X, _ = load_wine(return_X_y=True)
    >>> ScaledPCA(n_components=2).fit(X).transform(X).shape
    (178, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "scaling": [StrOptions(set(SCALINGS))],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_components=2, scaling="auto", random_state=None):
        self.n_components = n_components
        self.scaling = scaling
        self.random_state = random_state

    _feature_prefix = "pca"

    @property
    def _n_features_out(self) -> int:
        return self.pca_.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made dense (dense_rows)
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the scaling, then PCA on the scaled rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : ScaledPCA
            The fitted model.
        """
        forget_command_line_fields(self)
        X = dense_rows(self, X)
        if not 1 <= self.n_components <= min(X.shape):
            raise OptionError(
                f"n_components={self.n_components} must be between 1 and min(n_samples, n_features)={min(X.shape)} for PCA"
            )
        self.scaler_ = Scaler.fit(X, self.scaling)
        self.scaling_ = self.scaler_.kind
        self.pca_ = PCA(n_components=self.n_components, random_state=self.random_state).fit(self.scaler_.transform(X))
        return self

    def transform(self, X):
        """The principal-component scores of the scaled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Data in the units seen in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in X's float dtype.
        """
        check_is_fitted(self, "pca_")
        X = new_rows(self, X)
        return self.pca_.transform(self.scaler_.transform(X)).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Rows rebuilt from their codes, in the data's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as ``transform`` returns them.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            The reconstructed rows, with the scaling undone.
        """
        check_is_fitted(self, "pca_")
        Z = check_array(X, dtype=np.float64)
        if Z.shape[1] != self.pca_.n_components_:
            raise InputError(f"X has {Z.shape[1]} columns, but the code has n_components={self.pca_.n_components_}")
        return self.scaler_.inverse_transform(self.pca_.inverse_transform(Z))

    def reconstruction_error(self, X):
        """Mean squared reconstruction error of each row, in the scaled space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Data in the units seen in ``fit``.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "pca_")
        X = new_rows(self, X)
        return row_errors(self.pca_, self.scaler_.transform(X))

    def score_samples(self, X):
        """Negative reconstruction error of each row (higher: more typical), as scikit-learn's
        outlier scores go."""
        return -self.reconstruction_error(X)

    def score(self, X, y=None):
        """Mean negative reconstruction error: what ``GridSearchCV`` maximises without labels."""
        return float(np.mean(self.score_samples(X)))

    def save(self, path: str | os.PathLike) -> None:
        """Save to one safe ``.aer`` file."""
        check_is_fitted(self, "pca_")
        tensors = {"pca.components": self.pca_.components_, "pca.mean": self.pca_.mean_,
                   "pca.explained_variance": self.pca_.explained_variance_, **self.scaler_.tensors()}
        fitted = {"n_features_in_": self.n_features_in_, "scaling_": self.scaling_, **_persistence.input_to_json(self)}
        _persistence.save(path, MODEL_KIND, tensors, self.get_params(), fitted)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str = "auto") -> "ScaledPCA":
        """Load a model saved by :meth:`save`; never unpickles."""
        _, tensors, meta = _persistence.read_model_file(path, kinds=(MODEL_KIND,))
        return cls.from_saved(os.fspath(path), tensors, meta)

    @classmethod
    def from_saved(cls, path: str, tensors: dict[str, np.ndarray], meta: dict[str, Any], *, device: str = "auto"):
        """Rebuild the estimator from a model file's tensors and metadata (see :mod:`aereduce._persistence`)."""
        try:
            est = cls(**meta["params"])
            fitted = meta["fitted"]
            est.n_features_in_ = int(fitted["n_features_in_"])
            est.scaling_ = fitted["scaling_"]
            _persistence.set_input(est, fitted)
            pca = PCA(n_components=est.n_components)
            pca.components_ = tensors["pca.components"]
            pca.mean_ = tensors["pca.mean"]
            pca.explained_variance_ = tensors["pca.explained_variance"]
            if pca.components_.shape[1:] != (est.n_features_in_,) or pca.mean_.shape != (est.n_features_in_,):
                raise ValueError(f"PCA tensors do not match {est.n_features_in_} input columns")
            if not all(np.all(np.isfinite(t)) for t in (pca.components_, pca.mean_, pca.explained_variance_)):
                raise ValueError("PCA tensors hold NaN or inf")
            pca.n_components_ = pca.components_.shape[0]
            pca.n_features_in_ = est.n_features_in_
            pca.whiten = False
            est.pca_ = pca
            est.scaler_ = Scaler.from_tensors(est.scaling_, tensors, est.n_features_in_, path)
        except (KeyError, TypeError, ValueError) as exc:
            raise _persistence.corrupt(path, exc) from None
        return est
