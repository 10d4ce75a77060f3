"""Unit tests of aereduce._scaling.Scaler against numpy."""

import numpy as np
import pytest

from aereduce._scaling import Scaler
from aereduce.errors import ModelFileError, OptionError


def _X(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(30, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, -5.0, 2.0, 100.0]


def test_standard_is_mean_and_population_std():
    X = _X()
    s = Scaler.fit(X, "standard")
    assert s.kind == "standard"
    np.testing.assert_allclose(s.offset, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.scale, X.std(axis=0, ddof=0), rtol=1e-12)
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)


def test_minmax_maps_to_unit_interval():
    X = _X()
    s = Scaler.fit(X, "minmax")
    assert s.kind == "minmax"
    np.testing.assert_array_equal(s.offset, X.min(axis=0))
    np.testing.assert_allclose(s.scale, X.max(axis=0) - X.min(axis=0), rtol=1e-15)
    Z = s.transform(X)
    np.testing.assert_allclose(Z.min(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(Z.max(axis=0), 1, rtol=1e-15)


def test_none_is_identity():
    X = _X()
    s = Scaler.fit(X, "none")
    assert s.kind == "none"
    np.testing.assert_array_equal(s.offset, np.zeros(4))
    np.testing.assert_array_equal(s.scale, np.ones(4))
    np.testing.assert_array_equal(s.transform(X), X)


def test_auto_leaves_unit_range_data_alone_and_standardises_the_rest():
    rng = np.random.default_rng(1)
    pixels = rng.random((10, 3))
    pixels[0, 0], pixels[1, 1] = 0.0, 1.0
    assert Scaler.fit(pixels).kind == "none"
    assert Scaler.fit(pixels * 1.01).kind == "standard"
    assert Scaler.fit(pixels - 0.01).kind == "standard"
    np.testing.assert_allclose(Scaler.fit(pixels + 1).scale, pixels.std(axis=0))
    assert Scaler.fit(pixels, "minmax").kind == "minmax"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_min_max_scalers_output_counts_as_unit_range_despite_rounding(dtype):
    """Trial 21: MinMaxScaler's output of R's swiss reached 1 + 2.2e-16 and was standardised, so the
    model's reconstruction error in the data's units was 1.2x PCA's."""
    from sklearn.preprocessing import MinMaxScaler

    X = MinMaxScaler().fit_transform(np.random.default_rng(3).normal(size=(40, 4)) * 7.3 + 1.9).astype(dtype)
    X[0, 0] = np.nextafter(dtype(1), dtype(2))  # what rounding gives
    X[1, 1] = -np.finfo(dtype).eps
    assert Scaler.fit(X).kind == "none"
    assert Scaler.fit(X + 1e-4).kind == "standard"  # beyond rounding: not in [0, 1]


def test_auto_standardises_values_crowded_near_zero():
    """Trial 19: wine scaled to [0, 0.01] was left as it was and trained to 2.5x PCA's held-out error."""
    rng = np.random.default_rng(2)
    rates = rng.random((50, 3)) * [0.01, 0.003, 0.02]
    assert Scaler.fit(rates).kind == "standard"
    one_range = (rates - rates.min(axis=0)) / np.ptp(rates, axis=0) * 0.01  # each column spans [0, 0.01]
    assert Scaler.fit(one_range).kind == "global"
    dummies = (rng.random((50, 4)) < 0.1).astype(float)
    dummies[0] = 1.0
    assert Scaler.fit(dummies).kind == "none"


def test_global_centres_each_column_and_divides_all_by_one_spread():
    X = _X()
    s = Scaler.fit(X, "global")
    assert s.kind == "global"
    np.testing.assert_allclose(s.offset, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.scale, np.full(4, np.sqrt(np.mean(X.var(axis=0)))), rtol=1e-12)
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    assert np.mean(Z.var(axis=0)) == pytest.approx(1.0, rel=1e-12)
    # the columns keep their relative spreads, as PCA on the raw columns sees them
    np.testing.assert_allclose(Z.std(axis=0) / Z.std(axis=0)[0], X.std(axis=0) / X.std(axis=0)[0], rtol=1e-12)
    with np.errstate(over="raise", invalid="raise"):
        huge = Scaler.fit(X * 1e300, "global")
    np.testing.assert_allclose(huge.scale, s.scale * 1e300, rtol=1e-12)


def test_auto_scales_columns_on_one_scale_globally():
    # pixels 0-16 as in scikit-learn's digits: most varying columns span 0-16, the edge ones less,
    # one is always 0; standardising would give the near-constant edge columns unit variance
    rng = np.random.default_rng(6)
    pixels = rng.integers(0, 17, size=(40, 6)).astype(float)
    pixels[0, :4], pixels[1, :4] = 0.0, 16.0
    pixels[:, 4] = np.where(rng.random(40) < 0.1, 3.0, 0.0)
    pixels[:, 5] = 0.0
    s = Scaler.fit(pixels)
    assert s.kind == "global"
    np.testing.assert_allclose(s.scale, np.full(6, np.sqrt(np.mean(pixels.var(axis=0)))), rtol=1e-12)
    assert Scaler.fit(pixels.astype(np.uint8)).kind == "global"
    # most varying columns short of the top: not one scale, so standardised
    fewer = pixels.copy()
    fewer[:, 1:4] = np.minimum(fewer[:, 1:4], 15.0)
    assert Scaler.fit(fewer).kind == "standard"
    # measurements in different units, and one of two varying columns spanning, are standardised
    assert Scaler.fit(_X()).kind == "standard"
    assert Scaler.fit(pixels[:, 3:]).kind == "standard"


def test_auto_leaves_a_column_transformers_output_alone():
    # StandardScaler's columns beside OneHotEncoder's dummies: standardising again gave the rare
    # dummies unit variance and the model 1.1-1.5x PCA's error on the same output (trial 10)
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    measured = StandardScaler().fit_transform(rng.normal(5.0, 3.0, size=(200, 3)))
    dummies = np.eye(4)[rng.choice(4, size=200, p=[0.85, 0.05, 0.05, 0.05])]
    prepared = np.hstack([measured, dummies])
    assert Scaler.fit(prepared).kind == "none"
    assert Scaler.fit(prepared[:150]).kind == "none"  # a training split of rows standardised together
    np.testing.assert_array_equal(Scaler.fit(prepared).transform(prepared), prepared)
    raw = np.hstack([measured * 3.0 + 5.0, dummies])  # one column not standardised: the whole table is
    assert Scaler.fit(raw).kind == "standard"
    assert Scaler.fit(np.hstack([measured[:, :1] * 1.5, dummies])).kind == "standard"


def test_float32_input_is_scaled_in_float64():
    X = _X().astype(np.float32)
    s = Scaler.fit(X, "standard")
    assert s.offset.dtype == np.float64 and s.scale.dtype == np.float64
    np.testing.assert_allclose(s.offset, X.astype(np.float64).mean(axis=0), rtol=1e-12)
    assert s.transform(X).dtype == np.float64


def test_transform_float32_scales_float32_rows_in_float32_and_float64_rows_in_float64():
    X = _X()
    s = Scaler.fit(X, "standard")
    rows32 = s.transform_float32(X.astype(np.float32))
    assert rows32.dtype == np.float32
    np.testing.assert_allclose(rows32, s.transform(X.astype(np.float32)), rtol=1e-5, atol=1e-5)
    # A column far from zero: float64 rows keep the digits a float32 copy of the rows would lose.
    far = np.column_stack([1e9 + np.arange(10.0), np.arange(10.0)])
    s = Scaler.fit(far, "standard")
    np.testing.assert_array_equal(s.transform_float32(far), s.transform(far).astype(np.float32))
    assert len(np.unique(s.transform_float32(far)[:, 0])) == 10


def test_unknown_scaling_raises():
    with pytest.raises(OptionError, match="scaling='robust'"):
        Scaler.fit(_X(), "robust")


# -- extreme and constant columns ----------------------------------------------------------------

def test_values_near_1e300_do_not_overflow():
    rng = np.random.default_rng(2)
    col = rng.normal(size=50)
    X = np.column_stack([col * 1e300 + 3e300, col])
    with np.errstate(over="raise", invalid="raise"):
        s = Scaler.fit(X, "standard")
    assert np.all(np.isfinite(s.offset)) and np.all(np.isfinite(s.scale))
    np.testing.assert_allclose(s.offset[0], (col.mean() + 3) * 1e300, rtol=1e-10)
    np.testing.assert_allclose(s.scale[0], col.std() * 1e300, rtol=1e-10)
    Z = s.transform(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z.std(axis=0), [1.0, 1.0], rtol=1e-10)
    np.testing.assert_allclose(Z.mean(axis=0), [0.0, 0.0], atol=1e-10)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_span_beyond_float64_is_an_option_error():
    X = np.array([[0.0, -1.5e308], [1.0, 1.5e308], [2.0, 0.0]])
    with pytest.raises(OptionError, match="column 1 spans"):
        Scaler.fit(X, "minmax")


def test_near_constant_column_keeps_scale_one():
    rng = np.random.default_rng(3)
    X = np.column_stack([1000 + 1e-9 * rng.normal(size=40), rng.normal(size=40)])
    s = Scaler.fit(X, "standard")
    assert s.scale[0] == 1.0
    assert s.offset[0] == pytest.approx(1000, rel=1e-12)
    assert s.scale[1] == pytest.approx(X[:, 1].std(), rel=1e-12)
    Z = s.transform(X)
    assert np.abs(Z[:, 0]).max() < 1e-8  # the rounding noise is not blown up to unit variance


def test_a_float64_column_far_from_zero_is_standardised_as_its_precision_allows():
    """Trial 31: faithful's waiting times plus 1e8 (spread 1.4e-7 of the mean) kept scale 1 as if
    constant, a bar set by float32's precision, though float64 rows are scaled in float64."""
    waiting = np.random.default_rng(0).normal(70.9, 13.6, size=272)
    X = np.column_stack([waiting / 20, waiting + 1e8])
    s = Scaler.fit(X, "standard")
    assert s.scale[1] == pytest.approx(X[:, 1].std(), rel=1e-6)
    assert s.transform(X)[:, 1].std() == pytest.approx(1.0, rel=1e-6)
    # In float32 the same column's digits are gone (1e8's float32 spacing is 8): constant, scale 1.
    assert Scaler.fit(X.astype(np.float32), "standard").scale[1] == 1.0


@pytest.mark.parametrize("kind", ["standard", "minmax"])
@pytest.mark.parametrize("value", [0.0, 7.5, -2e6])
def test_constant_column_scale_one(kind, value):
    X = np.column_stack([np.full(10, value), np.arange(10.0)])
    s = Scaler.fit(X, kind)
    assert s.scale[0] == 1.0
    assert s.offset[0] == value
    np.testing.assert_array_equal(s.transform(X)[:, 0], np.zeros(10))
    assert s.scale[1] > 1.0


@pytest.mark.parametrize("kind", ["standard", "minmax", "global", "none"])
def test_inverse_transform_undoes_transform(kind):
    X = _X(4)
    X[:, 2] = 5.0  # a constant column too
    s = Scaler.fit(X, kind)
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X, rtol=1e-12, atol=1e-12)
    Z = np.random.default_rng(5).normal(size=(3, 4))
    np.testing.assert_allclose(s.inverse_transform(Z), Z * s.scale + s.offset)


# -- persistence ---------------------------------------------------------------------------------

def test_tensors_round_trip():
    s = Scaler.fit(_X(), "standard")
    tensors = s.tensors()
    assert sorted(tensors) == ["scaling.maximum", "scaling.mean", "scaling.minimum", "scaling.scale"]
    back = Scaler.from_tensors("standard", tensors, 4, "f.aer")
    assert back.kind == "standard"
    np.testing.assert_array_equal(back.offset, s.offset)
    np.testing.assert_array_equal(back.minimum, _X().min(axis=0))
    np.testing.assert_array_equal(back.maximum, _X().max(axis=0))
    half = {k: v for k, v in tensors.items() if k != "scaling.maximum"}
    with pytest.raises(ModelFileError, match="^f.aer: corrupt model: no tensor scaling.maximum$"):
        Scaler.from_tensors("standard", half, 4, "f.aer")
    np.testing.assert_array_equal(back.scale, s.scale)


def _good():
    return {"scaling.mean": np.zeros(3), "scaling.scale": np.ones(3)}


@pytest.mark.parametrize("name", ["scaling.mean", "scaling.scale"])
def test_from_tensors_wrong_shape(name):
    tensors = _good()
    tensors[name] = np.ones(4)
    with pytest.raises(ModelFileError, match=rf"f\.aer: .*{name} has shape \(4,\), expected \(3,\)"):
        Scaler.from_tensors("standard", tensors, 3, "f.aer")


@pytest.mark.parametrize("name", ["scaling.mean", "scaling.scale"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_from_tensors_non_finite(name, bad):
    tensors = _good()
    tensors[name] = np.array([1.0, bad, 1.0])
    with pytest.raises(ModelFileError, match=rf"{name} holds NaN or inf"):
        Scaler.from_tensors("standard", tensors, 3, "f.aer")


@pytest.mark.parametrize("bad", [0.0, -2.0])
def test_from_tensors_non_positive_scale(bad):
    tensors = _good()
    tensors["scaling.scale"] = np.array([1.0, 1.0, bad])
    with pytest.raises(ModelFileError, match=rf"scaling\.scale must be positive, holds {bad:g}"):
        Scaler.from_tensors("standard", tensors, 3, "f.aer")


@pytest.mark.parametrize("name", ["scaling.mean", "scaling.scale"])
def test_from_tensors_missing(name):
    tensors = _good()
    del tensors[name]
    with pytest.raises(ModelFileError, match=rf"no tensor {name}"):
        Scaler.from_tensors("standard", tensors, 3, "f.aer")
