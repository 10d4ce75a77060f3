"""The reconstruction scorer ranks PCA and the autoencoder alike."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from aereduce import AutoencoderTransformer, reconstruction_scorer


def test_the_scorer_is_the_mean_r2_of_the_rebuilt_columns_in_the_data_s_own_units():
    X = load_wine().data
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2))]).fit(X)
    rebuilt = pipe.inverse_transform(pipe.transform(X))
    share_missed = ((rebuilt - X) ** 2).mean(axis=0) / X.var(axis=0)
    assert reconstruction_scorer(pipe, X) == pytest.approx(1 - share_missed.mean())
    assert reconstruction_scorer(pipe, X) < reconstruction_scorer(pipe.set_params(pca__n_components=8).fit(X), X)


def test_no_one_column_s_units_decide_the_score():
    """Trial 49: in the data's units proline (hundreds) was 99.7% of the squared error of wine's
    reconstruction, so the scorer ranked models by how well they rebuilt proline alone."""
    X = load_wine().data
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2))]).fit(X)
    in_grams = X.copy()
    in_grams[:, 12] *= 1000.0  # one column in other units: the same model on the same rows, scaled alike
    scaled_too = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2))]).fit(in_grams)
    assert reconstruction_scorer(scaled_too, in_grams) == pytest.approx(reconstruction_scorer(pipe, X))


def test_a_pipeline_that_cannot_invert_its_preprocessing_is_scored_on_what_its_last_step_reads():
    """Trial 49: a ColumnTransformer (one-hot categories) has no inverse_transform, so every fold of a
    search failed to score and the search returned its first candidate with a NaN score."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(150, 4)), columns=list("abcd"))
    frame["kind"] = rng.choice(["x", "y", "z"], size=150)
    prepare = ColumnTransformer([("numbers", StandardScaler(), list("abcd")),
                                 ("kinds", OneHotEncoder(sparse_output=False), ["kind"])])
    pipe = Pipeline([("prepare", prepare), ("reduce", PCA(n_components=3))]).fit(frame)
    read = pipe[:-1].transform(frame)
    rebuilt = pipe[-1].inverse_transform(pipe[-1].transform(read))
    share_missed = ((rebuilt - read) ** 2).mean(axis=0) / read.var(axis=0)
    assert reconstruction_scorer(pipe, frame) == pytest.approx(1 - share_missed.mean())
    search = GridSearchCV(pipe, {"reduce__n_components": [1, 5]}, cv=3, scoring=reconstruction_scorer).fit(frame)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_ == {"reduce__n_components": 5}


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
    rebuilt = svd.inverse_transform(svd.transform(X))
    assert reconstruction_scorer(svd, X) == pytest.approx(1 - (((rebuilt - dense) ** 2).mean(axis=0) / dense.var(axis=0)).mean())


def test_a_constant_column_counts_for_nothing_and_one_row_scores_minus_its_error():
    """A review: r2_score counts a column constant in the scored rows 1 if rebuilt to the last bit,
    else 0, so PCA rounding 5.0 to 5.0000000000000027 scored 0.8 where it is exact; one row scored NaN."""
    X = np.column_stack([np.random.default_rng(0).normal(size=(100, 4)), np.full(100, 5.0)])
    assert reconstruction_scorer(PCA(n_components=4).fit(X), X) == pytest.approx(1.0)
    pca = PCA(n_components=2).fit(X)
    rebuilt = pca.inverse_transform(pca.transform(X))
    missed = ((rebuilt - X)[:, :4] ** 2).mean(axis=0) / X[:, :4].var(axis=0)
    assert reconstruction_scorer(pca, X) == pytest.approx(1 - missed.mean())
    one = reconstruction_scorer(pca, X[:1])
    assert one == pytest.approx(-np.mean((rebuilt[:1] - X[:1]) ** 2)) and np.isfinite(one)


def test_a_pipeline_whose_inverse_refuses_is_scored_on_what_its_last_step_reads():
    """A review: SimpleImputer's inverse_transform refuses without add_indicator=True, and the NaN
    refusal advises that imputer, so every fold of a search scored NaN again."""
    from sklearn.impute import SimpleImputer

    X = load_wine().data.copy()
    X[::7, 3] = np.nan
    pipe = Pipeline([("fill", SimpleImputer()), ("scale", StandardScaler()), ("pca", PCA(n_components=2))]).fit(X)
    read = pipe[:-1].transform(X)
    rebuilt = pipe[-1].inverse_transform(pipe[-1].transform(read))
    assert reconstruction_scorer(pipe, X) == pytest.approx(1 - (((rebuilt - read) ** 2).mean(axis=0) / read.var(axis=0)).mean())
    search = GridSearchCV(pipe, {"pca__n_components": [1, 6]}, cv=3, scoring=reconstruction_scorer).fit(X)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all() and search.best_params_ == {"pca__n_components": 6}
