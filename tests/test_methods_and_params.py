"""Unit tests of the method registry, the parameter declarations and the row split."""

import importlib.util
import inspect

import numpy as np
import pytest
from sklearn.utils import check_random_state

from aereduce._cli_support import METHOD_NAMES
from aereduce._params import AUTOENCODER_PARAMS
from aereduce._split import split_rows
from aereduce.errors import MissingDependencyError, OptionError
from aereduce.estimator import AutoencoderTransformer
from aereduce.methods import METHODS, Method, check_dimension, fit_embed, get_method, make_reducer
from aereduce.pca import ScaledPCA

HAS_UMAP = importlib.util.find_spec("umap") is not None


# -- the registry --------------------------------------------------------------------------------

def test_method_names_match_the_registry():
    assert tuple(METHODS) == METHOD_NAMES
    assert all(isinstance(m, Method) and m.name == name for name, m in METHODS.items())


def test_method_flags():
    ae, pca, umap = METHODS["ae"], METHODS["pca"], METHODS["umap"]
    assert (ae.can_save, ae.has_inverse, ae.embeds_on_fit_only, ae.max_dim_is_rank, ae.trains_in_epochs, ae.is_pca) \
        == (True, True, False, False, True, False)
    assert (pca.can_save, pca.has_inverse, pca.embeds_on_fit_only, pca.max_dim_is_rank, pca.trains_in_epochs,
            pca.is_pca) == (True, True, False, True, False, True)
    assert (umap.can_save, umap.has_inverse, umap.embeds_on_fit_only, umap.max_dim_is_rank, umap.trains_in_epochs,
            umap.is_pca) == (False, False, True, True, False, False)
    assert "pickle" in umap.why_not_saved
    assert ae.why_not_saved == pca.why_not_saved == ""
    assert [m.name for m in METHODS.values() if m.is_pca] == ["pca"]


def test_get_method_unknown():
    assert get_method("pca") is METHODS["pca"]
    with pytest.raises(OptionError, match="method='tsne' must be one of ae, pca, umap"):
        get_method("tsne")


@pytest.mark.parametrize("name", ["pca", "umap"])
def test_check_dimension_rank_limited(name):
    check_dimension(name, 5, 5, 10)  # at the limit: fine
    check_dimension(name, 5, 10, 5)
    with pytest.raises(OptionError, match=rf"--dim 6 is out of range for {name}: at most min\(rows, columns\) = 5"):
        check_dimension(name, 6, 5, 10)
    with pytest.raises(OptionError, match="= 4"):
        check_dimension(name, 5, 100, 4)


def test_check_dimension_autoencoder_may_be_overcomplete():
    check_dimension("ae", 50, 10, 4)  # no error
    with pytest.raises(OptionError, match="method='nope'"):
        check_dimension("nope", 1, 10, 10)


def test_make_reducer_builds_each_method():
    ae = make_reducer("ae", 4, 1, sparsity="l1", hidden_layer_sizes=(8,))
    assert isinstance(ae, AutoencoderTransformer)
    assert (ae.n_components, ae.random_state, ae.sparsity, ae.hidden_layer_sizes) == (4, 1, "l1", (8,))
    pca = make_reducer("pca", 3, 2, sparsity="l1")  # the autoencoder's parameters are ignored
    assert isinstance(pca, ScaledPCA)
    assert (pca.n_components, pca.random_state) == (3, 2)


@pytest.mark.skipif(HAS_UMAP, reason="umap-learn is installed")
def test_make_reducer_umap_missing_dependency():
    with pytest.raises(MissingDependencyError, match="pip install"):
        make_reducer("umap", 2)


@pytest.mark.skipif(not HAS_UMAP, reason="umap-learn is not installed")
def test_make_reducer_umap():
    umap_reducer = make_reducer("umap", 3, 0)
    assert umap_reducer.n_components == 3
    assert umap_reducer.set_params(n_epochs=10).n_epochs == 10


def test_scaled_input_reads_rows_as_the_autoencoder_does():
    from sklearn.decomposition import PCA

    from aereduce.methods import ScaledInput

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * [1.0, 1.0, 1000.0]  # one column in grams, two in kilograms
    standardised = (X - X.mean(0)) / X.std(0)
    np.testing.assert_allclose(np.abs(ScaledInput(PCA(2)).fit_transform(X)), np.abs(PCA(2).fit_transform(standardised)),
                               atol=1e-9)
    fitted = ScaledInput(PCA(2)).fit(X)
    np.testing.assert_allclose(np.abs(fitted.transform(X[:5])), np.abs(PCA(2).fit(standardised).transform(standardised[:5])),
                               atol=1e-9)
    pixels = rng.uniform(size=(50, 4))  # already in [0, 1]: left alone
    np.testing.assert_allclose(ScaledInput(PCA(2)).fit_transform(pixels), PCA(2).fit_transform(pixels))
    assert ScaledInput(PCA(2)).n_components == 2


def test_fit_embed_pca_equals_fit_then_transform():
    X = np.random.default_rng(0).normal(size=(20, 5))
    Z = fit_embed("pca", make_reducer("pca", 2, 0), X)
    Z2 = make_reducer("pca", 2, 0).fit(X).transform(X)
    np.testing.assert_allclose(Z, Z2)
    assert Z.shape == (20, 2)


def test_fit_embed_ae_reports_epochs():
    X = np.random.default_rng(0).normal(size=(24, 4))
    calls = []
    ae = make_reducer("ae", 2, 0, hidden_layer_sizes=(8,), max_iter=2, batch_size=8, device="cpu")
    Z = fit_embed("ae", ae, X, progress=lambda d, t: calls.append((d, t)))
    assert Z.shape == (24, 2)
    assert calls == [(1, 2), (2, 2)]


# -- parameter declarations ----------------------------------------------------------------------

def test_estimator_defaults_equal_the_declarations():
    sig = inspect.signature(AutoencoderTransformer.__init__)
    params = {name: p for name, p in sig.parameters.items() if name != "self"}
    assert list(params) == list(AUTOENCODER_PARAMS)
    for name, p in params.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert p.default == AUTOENCODER_PARAMS[name].default, name
        assert type(p.default) is type(AUTOENCODER_PARAMS[name].default), name


def test_every_declared_parameter_is_constrained():
    constraints = AutoencoderTransformer._parameter_constraints
    assert set(constraints) == set(AUTOENCODER_PARAMS)
    assert all(constraints[name] for name in AUTOENCODER_PARAMS)


def test_get_params_round_trips_the_defaults():
    assert AutoencoderTransformer().get_params() == {k: p.default for k, p in AUTOENCODER_PARAMS.items()}


def test_declared_defaults_pass_validation():
    AutoencoderTransformer()._validate_params()


@pytest.mark.parametrize("name, value", [
    ("n_components", 0), ("validation_fraction", 1.0), ("validation_fraction", 0.0), ("sparsity_target", 1.0),
    ("sparsity_momentum", 1.0), ("learning_rate_init", 0.0), ("activation", "swish"), ("loss", "mae"),
    ("sparsity", "l2"), ("noise", "salt"), ("batch_size", 0), ("alpha", -1.0), ("precision", "float16"),
    ("tied_weights", "yes"),
])
def test_declared_bounds_reject(name, value):
    with pytest.raises(ValueError, match=name):
        AutoencoderTransformer(**{name: value})._validate_params()


@pytest.mark.parametrize("name, value", [
    ("sparsity_momentum", 0.0), ("alpha", 0.0), ("validation_fraction", 0.5), ("sparsity", None),
    ("batch_size", 32), ("max_iter", "auto"), ("hidden_layer_sizes", [8, 4]), ("input_shape", (1, 2, 2)),
    ("early_stopping", True),
])
def test_declared_bounds_accept(name, value):
    AutoencoderTransformer(**{name: value})._validate_params()


# -- the row split -------------------------------------------------------------------------------

def test_split_sizes_and_disjointness():
    train, held = split_rows(100, 0.2, seed=0)
    assert len(held) == 20 and len(train) == 80
    assert set(train).isdisjoint(held)
    assert sorted(np.concatenate([train, held])) == list(range(100))


@pytest.mark.parametrize("n, fraction, n_held", [(7, 0.3, 2), (10, 0.26, 3), (10, 0.0, 0), (3, 0.1, 0)])
def test_split_rounds_the_held_count(n, fraction, n_held):
    train, held = split_rows(n, fraction, seed=1)
    assert len(held) == n_held and len(train) == n - n_held


def test_a_split_that_holds_out_nothing_keeps_the_rows_in_order():
    """Trial 25: `fit --holdout 0` then `transform` differed from `fit-transform`, as the rows were shuffled."""
    train, held = split_rows(12, 0.0, seed=5, labels=np.arange(12) % 2)
    assert train.tolist() == list(range(12)) and held.tolist() == []


def test_split_is_a_seeded_permutation():
    train, held = split_rows(50, 0.1, seed=7)
    order = check_random_state(7).permutation(50)
    np.testing.assert_array_equal(held, order[:5])
    np.testing.assert_array_equal(train, order[5:])


def test_split_deterministic_by_seed():
    a = split_rows(60, 0.25, seed=3)
    b = split_rows(60, 0.25, seed=3)
    c = split_rows(60, 0.25, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    labels = np.repeat(["x", "y"], 30)
    np.testing.assert_array_equal(split_rows(60, 0.25, 3, labels)[1], split_rows(60, 0.25, 3, labels)[1])


def test_split_stratified_keeps_class_shares():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    rng = np.random.default_rng(0)
    labels = labels[rng.permutation(100)]
    for seed in range(3):
        train, held = split_rows(100, 0.2, seed, labels)
        assert len(held) == 20 and set(train).isdisjoint(held)
        assert np.bincount(labels[held], minlength=3).tolist() == [12, 6, 2]
        assert np.bincount(labels[train], minlength=3).tolist() == [48, 24, 8]


def test_split_falls_back_to_a_permutation_when_stratifying_cannot_work():
    labels = np.array([0] * 19 + [1])  # a class of one row
    train, held = split_rows(20, 0.25, 5, labels)
    order = check_random_state(5).permutation(20)
    np.testing.assert_array_equal(held, order[:5])
    many = np.arange(20) % 10  # ten classes, five held rows
    np.testing.assert_array_equal(split_rows(20, 0.25, 5, many)[1], order[:5])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_split_by_groups_holds_out_whole_groups_nearest_the_share(seed):
    groups = np.repeat(np.array(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]), 10)
    train, held = split_rows(100, 0.2, seed, groups=groups)
    assert set(groups[train]).isdisjoint(groups[held]) and len(held) == 20
    assert sorted(np.concatenate([train, held])) == list(range(100))
    # one group at least on each side, however small or large the share
    assert len(split_rows(100, 0.01, seed, groups=groups)[1]) == 10
    assert len(split_rows(100, 0.99, seed, groups=groups)[0]) == 10
    # rows with no group are one group of their own
    with_gaps = np.array([None, float("nan"), "a", "a", "b", "b"], dtype=object)
    train, held = split_rows(6, 0.3, seed, groups=with_gaps)
    assert {str(g) for g in with_gaps[train]}.isdisjoint({str(g) for g in with_gaps[held]})
