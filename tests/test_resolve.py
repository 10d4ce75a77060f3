"""The rules that resolve the estimator's "auto" options from the data (aereduce._resolve)."""

import math

import pytest

from aereduce._resolve import (EARLY_STOPPING_MAX_ROWS, MIN_ROWS_FOR_DEEP, NEGLIGIBLE_MSE, auto_batch_size,
                               auto_hidden_layer_sizes, auto_max_iter, decoder_iter, failure_bar, fit_failed,
                               regularises_the_code)


def test_hidden_layers_grow_with_the_columns_within_bounds_and_vanish_on_tiny_data():
    assert auto_hidden_layer_sizes(784, 8, 60_000) == (512, 256)  # MNIST: the benchmarked default
    assert auto_hidden_layer_sizes(12, 2, 1_000) == (64, 32)  # a dozen tabular columns
    assert auto_hidden_layer_sizes(40, 2, 1_000) == (160, 80)  # four units a column in between
    assert auto_hidden_layer_sizes(12, 50, 1_000) == (64, 50)  # never narrower than the code
    assert auto_hidden_layer_sizes(12, 2, MIN_ROWS_FOR_DEEP - 1) == ()  # linear: PCA's solution


def test_batches_are_about_a_tenth_of_small_data_and_256_rows_of_large():
    assert [auto_batch_size(n) for n in (60_000, 2_560, 178, 30, 5)] == [256, 256, 17, 16, 5]


def test_epochs_aim_at_about_5000_steps_between_20_and_1000():
    assert auto_max_iter(60_000, 256) == 21  # MNIST: 235 steps an epoch
    assert auto_max_iter(10, 16) == 1000 and auto_max_iter(10**7, 256) == 20
    for n, batch in ((178, 17), (5_000, 256)):
        steps = auto_max_iter(n, batch) * math.ceil(n / batch)
        assert 4_500 <= steps <= 5_500, (n, steps)


def test_the_decoder_after_the_map_gets_about_40_steps_an_embedding_epoch_and_at_least_1000():
    assert decoder_iter(25, 60_000, 512) == round(40 * 25 / math.ceil(60_000 / 512))  # 8 epochs on MNIST
    assert decoder_iter(40, 60_000, 512) == round(40 * 40 / math.ceil(60_000 / 512))  # 14: a GPU's budget
    assert decoder_iter(8, 8_000, 512) == round(1000 / math.ceil(8_000 / 512))  # 62 epochs, not 20
    assert decoder_iter(8, 1_000, 100) == 100  # 10 steps an epoch
    assert decoder_iter(3, 10**7, 512) == 1  # at least one pass over the rows
    # rows no wider than the hidden layers: three times the steps, which cost a sixth as much
    assert decoder_iter(25, 60_000, 512, n_features=256) == round(3000 / math.ceil(60_000 / 512))
    assert decoder_iter(25, 60_000, 512, n_features=784) == decoder_iter(25, 60_000, 512)


def test_a_failed_fit_is_far_worse_than_pca_and_above_rounding():
    assert fit_failed(3.5, 1.0) and not fit_failed(2.5, 1.0)
    assert fit_failed(float("nan"), 1.0)
    assert not fit_failed(NEGLIGIBLE_MSE / 2, 1e-32)  # float32 rounding against PCA's exact fit
    assert not fit_failed(5.0, None)  # no bar to compare with
    # trial 38: 3e-6 of a variance of 1 is rounding too, whatever PCA's exact fit gives; not of 1e-6
    assert not fit_failed(3e-6, 5e-15, variance=1.0) and fit_failed(3e-6, 5e-15, variance=1e-6)
    assert fit_failed(3e-4, 5e-15, variance=1.0)
    assert fit_failed(1e-10, 1e-14, variance=1e-10)  # tiny units: as bad as the mean row (a review)


def test_a_fit_that_keeps_almost_none_of_what_pca_keeps_failed():
    """Trial 40: a variational model at beta=50 rebuilt Boston's rows as their mean (1.005 against a
    variance of 1) and passed, as 3x PCA-2's 0.415 is 1.24."""
    assert failure_bar(1.005, 0.415, 2, variance=1.0) == (
        "about the error of rebuilding every row as the mean (1), where PCA-2's is 0.415 (a model that learned "
        "nothing)")
    assert fit_failed(0.95, 0.415, variance=1.0) and not fit_failed(0.9, 0.415, variance=1.0)
    # where PCA keeps little too (independent columns, held-out noise), a model near the mean row is no failure
    assert not fit_failed(1.0, 0.95, variance=1.0) and not fit_failed(1.02, 1.01, variance=1.0)
    assert not fit_failed(1.02, 0.88, variance=1.0) and fit_failed(1.02, 0.74, variance=1.0)
    assert failure_bar(3.5, 1.0, 8) == "over 3x PCA-8's 1" and failure_bar(float("nan"), 1.0, 2) == "not a number"


@pytest.mark.parametrize("params, expected", [
    ({}, False), ({"noise": "mask"}, True), ({"sparsity": "l1"}, True), ({"contractive_weight": 0.1}, True),
    ({"contractive_weight": 0.0}, False), ({"variational": True}, True), ({"tied_weights": True}, False),
])
def test_what_makes_a_code_as_wide_as_the_rows_a_choice(params, expected):
    assert regularises_the_code(params) is expected


@pytest.mark.parametrize("n_rows, expected", [(MIN_ROWS_FOR_DEEP - 1, False), (MIN_ROWS_FOR_DEEP, True),
                                               (EARLY_STOPPING_MAX_ROWS, True), (EARLY_STOPPING_MAX_ROWS + 1, False)])
def test_early_stopping_is_on_where_there_are_rows_to_validate_on_and_epochs_can_overfit(n_rows, expected):
    import numpy as np

    from aereduce import AutoencoderTransformer

    X = np.random.default_rng(0).normal(size=(n_rows, 3))
    model = AutoencoderTransformer(n_components=1, max_iter=1, neighbour_weight=0, random_state=0).fit(X)
    assert model.early_stopping_ is expected


def test_the_recurrent_model_takes_smaller_batches_to_leave_its_first_plateau():
    """Trial 14: with 180-row batches the README's waves example stopped on the plateau at the mean row."""
    import numpy as np

    from aereduce import AutoencoderTransformer
    from aereduce._resolve import RECURRENT_BATCH_SIZE

    X = np.random.default_rng(0).normal(size=(1_000, 10))
    recurrent = AutoencoderTransformer(n_components=2, input_shape=(5, 2), recurrent_units=4, max_iter=1,
                                       random_state=0).fit(X)
    plain = AutoencoderTransformer(n_components=2, max_iter=1, neighbour_weight=0, random_state=0).fit(X)
    assert (recurrent.batch_size_, plain.batch_size_) == (RECURRENT_BATCH_SIZE, auto_batch_size(1_000)) == (64, 100)


def test_cross_entropy_is_for_values_at_0_or_1_not_for_measurements_scaled_into_them():
    """Trial 21: iris scaled to [0, 1] got a sigmoid and cross-entropy, no start at PCA's solution, and
    ended 1.2-6x PCA's held-out error; a squared error from PCA's start is never worse than PCA."""
    import numpy as np
    from sklearn.datasets import load_digits, load_iris
    from sklearn.preprocessing import MinMaxScaler

    from aereduce import AutoencoderTransformer
    from aereduce._resolve import BERNOULLI_LIKE, bernoulli_likeness

    rng = np.random.default_rng(0)
    assert bernoulli_likeness(np.array([0.3, 0.5]), np.array([0.21, 0.25])) == pytest.approx(1.0)  # 0/1 values
    spread = rng.random((5_000, 3))
    assert bernoulli_likeness(spread.mean(axis=0), spread.var(axis=0)) == pytest.approx(1 / 3, abs=0.02)
    iris = MinMaxScaler().fit_transform(load_iris().data)
    model = AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit(iris)
    assert (model.scaling_, model.output_activation_, model.loss_, model.linear_skip_) == ("none", "identity",
                                                                                           "mse", True)
    # cross-entropy asked for brings its sigmoid (a review found it refused with output_activation="auto")
    asked = AutoencoderTransformer(n_components=2, max_iter=1, loss="bce", random_state=0)
    assert (asked.fit(iris).output_activation_, asked.fit(iris[:40]).output_activation_) == ("sigmoid", "sigmoid")
    pixels = load_digits().data / 16
    assert bernoulli_likeness(pixels.mean(axis=0), pixels.var(axis=0)) > BERNOULLI_LIKE
    model = AutoencoderTransformer(n_components=2, max_iter=1, neighbour_weight=0, random_state=0).fit(pixels)
    assert (model.output_activation_, model.loss_) == ("sigmoid", "bce")
    # below a thousand rows, a squared error from PCA's start, whatever the values (DavisThin's 191 rows
    # of answers ended 1.02-1.19x PCA's held-out error under cross-entropy)
    dummies = (rng.random((999, 5)) < 0.3).astype(float)
    assert AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit(dummies).loss_ == "mse"
    assert AutoencoderTransformer(n_components=2, max_iter=1, neighbour_weight=0, random_state=0).fit(
        np.vstack([dummies, dummies[:1]])).loss_ == "bce"
    # partial_fit's first chunk does not say how many rows follow: pixels in chunks keep cross-entropy
    assert AutoencoderTransformer(n_components=2, random_state=0).partial_fit(pixels[:256]).loss_ == "bce"


def test_the_default_epochs_are_none_where_the_default_is_pcas_solution():
    import numpy as np

    from aereduce import AutoencoderTransformer
    from aereduce._resolve import default_epochs
    from aereduce.pca import ScaledPCA

    X = np.random.default_rng(0).normal(size=(200, 5))
    assert default_epochs(AutoencoderTransformer(n_components=2, max_iter=3, random_state=0).fit(X[:30])) == 0
    assert default_epochs(AutoencoderTransformer(n_components=2, max_iter=3, random_state=0).fit(X)) is None
    assert default_epochs(ScaledPCA(n_components=2).fit(X)) is None
