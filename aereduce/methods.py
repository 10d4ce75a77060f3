"""The registry of dimension-reduction methods: the autoencoder and the baselines beside it.

The command line, ``compare`` and the benchmarks build reducers here and ask the registry
what a method can do, instead of branching on method names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MissingDependencyError, OptionError, plural


@dataclass(frozen=True)
class Method:
    """What a method is and can do."""

    name: str
    build: Callable[..., Any]  # build(n_components, random_state, **params) -> an unfitted reducer
    can_save: bool  # saves to a safe .aer file
    has_inverse: bool  # inverse_transform maps codes back to the data (reconstruction error exists)
    embeds_on_fit_only: bool  # embeds its training rows only through fit_transform (UMAP)
    max_dim_is_rank: bool  # n_components is at most min(rows, columns)
    trains_in_epochs: bool = False  # fit takes callbacks=[...] and reports epochs (progress bars)
    is_pca: bool = False  # the linear baseline every fit is compared with
    why_not_saved: str = ""


def _build_autoencoder(n_components: int, random_state: int | None = None, **params: Any):
    from .estimator import AutoencoderTransformer

    return AutoencoderTransformer(n_components=n_components, random_state=random_state, **params)


def _build_pca(n_components: int, random_state: int | None = None, **params: Any):
    from .pca import ScaledPCA

    return ScaledPCA(n_components=n_components, scaling=params.get("scaling", "auto"), random_state=random_state)


def _build_umap(n_components: int, random_state: int | None = None, **params: Any):
    """umap.UMAP with its defaults (n_jobs=-1 unless seeded), reading the rows scaled as the others read them."""
    try:
        import umap
    except ImportError:
        raise MissingDependencyError("UMAP needs the umap-learn package: pip install 'aereduce[umap]'") from None
    return ScaledInput(umap.UMAP(n_components=n_components, random_state=random_state))


class ScaledInput:
    """A reducer that reads the rows after the scaling the autoencoder and PCA apply first
    (``scaling="auto"``: standardised, or left alone when already in [0, 1]).

    umap-learn reads raw units: on penguins, body mass in grams swamped the millimetre columns in
    its distances, and ``compare`` scored its 2-D kNN accuracy 75% against 97% on the same
    columns standardised. Everything else is the wrapped reducer's (``n_components``, ``set_params``).
    """

    def __init__(self, reducer: Any):
        self.reducer = reducer

    def _scaled(self, X: Any, fit: bool = False) -> Any:
        from ._scaling import Scaler

        if fit:
            self.scaler_ = Scaler.fit(X, "auto")
        return X if self.scaler_.kind == "none" else self.scaler_.transform(X)

    def fit(self, X: Any, y: Any = None) -> "ScaledInput":
        self.reducer.fit(self._scaled(X, fit=True))
        return self

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        return self.reducer.fit_transform(self._scaled(X, fit=True))

    def transform(self, X: Any) -> np.ndarray:
        return self.reducer.transform(self._scaled(X))

    def set_params(self, **params: Any) -> "ScaledInput":
        self.reducer.set_params(**params)
        return self

    def __getattr__(self, name: str) -> Any:
        if name == "reducer":  # not yet set (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.reducer, name)


METHODS: dict[str, Method] = {
    "ae": Method("ae", _build_autoencoder, can_save=True, has_inverse=True, embeds_on_fit_only=False,
                 max_dim_is_rank=False, trains_in_epochs=True),
    "pca": Method("pca", _build_pca, can_save=True, has_inverse=True, embeds_on_fit_only=False, max_dim_is_rank=True,
                  is_pca=True),
    "umap": Method("umap", _build_umap, can_save=False, has_inverse=False, embeds_on_fit_only=True,
                   max_dim_is_rank=True,
                   why_not_saved="UMAP models cannot be saved safely (umap-learn stores them with pickle); "
                                 "use `aereduce fit-transform --method umap` or `aereduce compare` instead"),
}


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise OptionError(f"method={name!r} must be one of {', '.join(METHODS)}")
    return METHODS[name]


def make_reducer(name: str, n_components: int, random_state: int | None = None, **params: Any):
    """An unfitted reducer of method ``name``; ``params`` (the autoencoder's) are ignored by the baselines."""
    method = get_method(name)
    return method.build(n_components, random_state, **params)


def check_dimension(name: str, n_components: int, n_rows: int, n_columns: int, source: str | None = None,
                    held_out: int = 0) -> None:
    """Refuse a dimension the method cannot reach on data of this shape (read from ``source``);
    ``n_rows``: the rows it is fitted on, after ``held_out`` rows were set aside."""
    if get_method(name).max_dim_is_rank and n_components > min(n_rows, n_columns):
        where = f"{source}: " if source else ""
        rows = f"{plural(n_rows, 'training row')} after {held_out} held out" if held_out else plural(n_rows, "row")
        most = min(n_rows, n_columns)
        # the fix, not only the rule (trial 27 met it on a table of one numeric column)
        fix = f"; give --dim {most} or less" if most >= 1 else ""
        raise OptionError(f"{where}--dim {n_components} is out of range for {name}: at most min(rows, columns) = "
                          f"{most} ({rows}, {plural(n_columns, 'feature column')}){fix}")


def fit_reducer(name: str, reducer: Any, X: Any, progress: Callable[[int, int], None] | None = None,
                groups: Any = None) -> Any:
    """Fit ``reducer``; a method that trains in epochs reports each to ``progress(done, total)``, and
    validates on whole ``groups`` where given (PCA has no validation rows to choose)."""
    if not get_method(name).trains_in_epochs:
        return reducer.fit(X)
    from ._training import Progress

    return reducer.fit(X, groups=groups, callbacks=[Progress(progress)] if progress is not None else None)


def fit_embed(name: str, reducer: Any, X: Any, progress: Callable[[int, int], None] | None = None,
              groups: Any = None) -> np.ndarray:
    """Fit ``reducer`` on X and return X's codes, the way the method embeds its training rows (the
    autoencoder validating on whole ``groups`` where given)."""
    if get_method(name).embeds_on_fit_only:
        return reducer.fit_transform(X)
    return fit_reducer(name, reducer, X, progress, groups=groups).transform(X)
