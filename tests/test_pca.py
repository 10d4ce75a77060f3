"""ScaledPCA: PCA after the autoencoder's scaling, the yardstick every "not worse than PCA" test uses."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from aereduce.errors import InputError
from aereduce.pca import ScaledPCA


@pytest.fixture(scope="module")
def wine():
    return load_wine().data


def test_it_is_pca_on_the_standardised_columns(wine):
    model = ScaledPCA(n_components=2).fit(wine)
    assert model.scaling_ == "standard"
    scaled = StandardScaler().fit_transform(wine)
    pca = PCA(n_components=2).fit(scaled)
    # the same axes, up to each one's sign
    np.testing.assert_allclose(np.abs(model.transform(wine)), np.abs(pca.transform(scaled)), atol=1e-8)
    rebuilt = pca.inverse_transform(pca.transform(scaled))
    np.testing.assert_allclose(model.reconstruction_error(wine), ((rebuilt - scaled) ** 2).mean(axis=1), rtol=1e-8)
    # inverse_transform undoes the scaling too: back in the data's units
    back = model.inverse_transform(model.transform(wine))
    np.testing.assert_allclose(back, StandardScaler().fit(wine).inverse_transform(rebuilt), rtol=1e-8)
    assert model.score(wine) == pytest.approx(-model.reconstruction_error(wine).mean())


def test_a_code_of_the_wrong_width_is_refused_by_both_estimators(wine):
    from aereduce import AutoencoderTransformer

    for model in (ScaledPCA(n_components=2), AutoencoderTransformer(n_components=2, max_iter=1, random_state=0)):
        model.fit(wine)
        with pytest.raises(InputError, match=r"^X has 3 columns, but the code has n_components=2$"):
            model.inverse_transform(np.zeros((2, 3)))


def test_n_components_beyond_the_data_is_refused_by_name(wine):
    from aereduce.errors import OptionError

    with pytest.raises(OptionError, match=r"n_components=20 must be between 1 and min\(n_samples, n_features\)=13"):
        ScaledPCA(n_components=20).fit(wine)
