"""The reconstruction scorer ranks PCA and the autoencoder alike."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from aereduce import AutoencoderTransformer, reconstruction_scorer


def test_the_scorer_is_minus_the_error_in_the_data_s_own_units():
    X = load_wine().data
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2))]).fit(X)
    rebuilt = pipe.inverse_transform(pipe.transform(X))
    assert reconstruction_scorer(pipe, X) == pytest.approx(-np.mean((rebuilt - X) ** 2))
    assert reconstruction_scorer(pipe, X) < reconstruction_scorer(pipe.set_params(pca__n_components=8).fit(X), X)


def test_a_search_over_pca_and_the_autoencoder_picks_by_the_same_measure():
    """Trial 45: by their own score methods (PCA's a log-likelihood, the autoencoder's minus its
    error), a search always picked the autoencoder; by the scorer it picks the lower error."""
    X = load_wine().data
    pipe = Pipeline([("scale", StandardScaler()), ("reduce", PCA())])
    grid = [{"reduce": [PCA(n_components=2)]},
            # one epoch from a random start (no start at PCA's solution): a poor code
            {"reduce": [AutoencoderTransformer(n_components=2, max_iter=1, early_stopping=False, random_state=0,
                                               linear_skip=False)]}]
    search = GridSearchCV(pipe, grid, cv=3, scoring=reconstruction_scorer).fit(X)
    assert isinstance(search.best_params_["reduce"], PCA)
    assert search.cv_results_["mean_test_score"][0] > search.cv_results_["mean_test_score"][1]


def test_the_scorer_takes_sparse_rows_as_the_reducers_do():
    """A review: np.asarray of a sparse matrix raised, so every candidate of a search scored error_score."""
    import scipy.sparse
    from sklearn.decomposition import TruncatedSVD

    X = scipy.sparse.random(60, 12, density=0.3, format="csr", random_state=0)
    svd = TruncatedSVD(n_components=3, random_state=0).fit(X)
    dense = X.toarray()
    assert reconstruction_scorer(svd, X) == pytest.approx(-np.mean((svd.inverse_transform(svd.transform(X)) - dense) ** 2))
