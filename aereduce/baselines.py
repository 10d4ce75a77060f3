"""PCA and UMAP behind the autoencoder's interface, and loading any saved model.

``ScaledPCA`` applies the same input scaling as ``AutoencoderTransformer`` so that
comparisons are like for like, and saves to the same safe ``.aer`` format. UMAP
is imported lazily; its models cannot be saved without pickle, so they are not.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted, validate_data

from ._modelfile import ModelFileError, read_model_file, write_model_file
from ._scaling import fit_scaling, resolve_scaling

PCA_KIND = "pca"
METHODS = ("ae", "pca", "umap")


class ScaledPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """PCA after the autoencoder's ``scaling``, with reconstruction scores and safe saving.

    Parameters
    ----------
    n_components : int, default=2
        Number of principal components.
    scaling : {"auto", "standard", "minmax", "none"}, default="auto"
        As for :class:`~aereduce.AutoencoderTransformer`.
    random_state : int or None, default=None
        Passed to PCA's randomised solver.

    Attributes
    ----------
    pca_ : sklearn.decomposition.PCA
        The fitted PCA on the scaled data.
    mean_, scale_ : ndarray of shape (n_features_in_,)
        The scaling.
    n_features_in_ : int
        Number of features seen during fit.
    """

    def __init__(self, *, n_components=2, scaling="auto", random_state=None):
        self.n_components = n_components
        self.scaling = scaling
        self.random_state = random_state

    @property
    def _n_features_out(self) -> int:
        return self.pca_.n_components_

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        if not 1 <= self.n_components <= min(X.shape):
            raise ValueError(
                f"n_components={self.n_components} must be between 1 and min(n_samples, n_features)={min(X.shape)} for PCA"
            )
        self.scaling_ = resolve_scaling(X, self.scaling)
        self.mean_, self.scale_ = fit_scaling(X, self.scaling_)
        self.pca_ = PCA(n_components=self.n_components, random_state=self.random_state).fit((X - self.mean_) / self.scale_)
        return self

    def transform(self, X):
        check_is_fitted(self, "pca_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self.pca_.transform((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        check_is_fitted(self, "pca_")
        Z = np.asarray(X, dtype=np.float64)
        return self.pca_.inverse_transform(Z) * self.scale_ + self.mean_

    def reconstruction_error(self, X):
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        Xs = (X - self.mean_) / self.scale_
        return ((self.pca_.inverse_transform(self.pca_.transform(Xs)) - Xs) ** 2).mean(axis=1)

    def score_samples(self, X):
        return -self.reconstruction_error(X)

    def score(self, X, y=None):
        return float(np.mean(self.score_samples(X)))

    def save(self, path: str | os.PathLike) -> None:
        from .estimator import library_versions

        check_is_fitted(self, "pca_")
        tensors = {
            "pca.components": self.pca_.components_,
            "pca.mean": self.pca_.mean_,
            "pca.explained_variance": self.pca_.explained_variance_,
            "scaling.mean": np.asarray(self.mean_, dtype=np.float64),
            "scaling.scale": np.asarray(self.scale_, dtype=np.float64),
        }
        names = getattr(self, "feature_names_in_", None)
        meta = {
            "params": self.get_params(),
            "fitted": {"n_features_in_": self.n_features_in_, "scaling_": self.scaling_,
                       "feature_names_in_": None if names is None else [str(n) for n in names]},
            "versions": library_versions(),
        }
        write_model_file(path, PCA_KIND, tensors, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ScaledPCA":
        _, tensors, meta = read_model_file(path, kinds=(PCA_KIND,))
        try:
            est = cls(**meta["params"])
            est.n_features_in_ = int(meta["fitted"]["n_features_in_"])
            est.scaling_ = meta["fitted"]["scaling_"]
            if meta["fitted"].get("feature_names_in_"):
                est.feature_names_in_ = np.asarray(meta["fitted"]["feature_names_in_"], dtype=object)
            pca = PCA(n_components=est.n_components)
            pca.components_ = tensors["pca.components"]
            pca.mean_ = tensors["pca.mean"]
            pca.explained_variance_ = tensors["pca.explained_variance"]
            pca.n_components_ = pca.components_.shape[0]
            pca.n_features_in_ = est.n_features_in_
            pca.whiten = False
            est.pca_ = pca
            est.mean_, est.scale_ = tensors["scaling.mean"], tensors["scaling.scale"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{os.fspath(path)}: corrupt PCA model ({type(exc).__name__}: {exc})") from None
        return est


def make_umap(n_components: int, random_state: int | None = None, **kwargs: Any):
    """A ``umap.UMAP``, imported only when asked for."""
    try:
        import umap
    except ImportError:
        raise ImportError("UMAP needs the umap-learn package: pip install 'aereduce[umap]'") from None
    return umap.UMAP(n_components=n_components, random_state=random_state, **kwargs)


def make_reducer(method: str, n_components: int, random_state: int | None = None, **ae_params: Any):
    """The reducer for ``method`` in ``METHODS`` at ``n_components`` dimensions."""
    if method == "ae":
        from .estimator import AutoencoderTransformer

        return AutoencoderTransformer(n_components=n_components, random_state=random_state, **ae_params)
    if method == "pca":
        return ScaledPCA(n_components=n_components, random_state=random_state)
    if method == "umap":
        return make_umap(n_components, random_state)
    raise ValueError(f"method={method!r} must be one of {', '.join(METHODS)}")


def load_model(path: str | os.PathLike, *, device: str = "auto"):
    """Load any aereduce model file (autoencoder or PCA); never unpickles."""
    from .estimator import MODEL_KIND, AutoencoderTransformer

    kind, _, _ = read_model_file(path, kinds=(MODEL_KIND, PCA_KIND))
    if kind == PCA_KIND:
        return ScaledPCA.load(path)
    return AutoencoderTransformer.load(path, device=device)
