"""Saving and loading across releases, and the model-kind registry (aereduce/_persistence.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_wine

from aereduce import AutoencoderOutlierDetector, AutoencoderTransformer, load
from aereduce._persistence import MODEL_KINDS, describe_model, format_description
from aereduce.errors import ModelFileError
from aereduce.pca import ScaledPCA

DATA = Path(__file__).parent / "data"


def assert_same_codes(actual: np.ndarray, saved: np.ndarray) -> None:
    """The codes a file's weights give, up to float32's last bits: the saved codes were computed on
    another CPU, whose matrix kernels round differently (an AMD EPYC's against an Intel Xeon's
    differed by up to 5e-7 in codes of magnitude up to 3). A weight read wrongly moves them by far more."""
    np.testing.assert_allclose(actual, saved, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def release_codes():
    with np.load(DATA / "codes_0.1.npz") as npz:
        return dict(npz)


def test_models_saved_by_release_0_1_load_and_give_the_same_codes(release_codes):
    wine = load_wine(as_frame=True).data.iloc[:20]
    digits = load_digits().data[:20]
    ae = load(DATA / "wine_ae_0.1.aer")
    assert isinstance(ae, AutoencoderTransformer)
    assert_same_codes(ae.transform(wine), release_codes["wine_ae"])
    assert_same_codes(ae.inverse_transform(ae.transform(wine)), release_codes["wine_ae_inv"])
    assert_same_codes(load(DATA / "digits_kl_0.1.aer").transform(digits), release_codes["digits_kl"])
    pca = load(DATA / "wine_pca_0.1.aer")
    assert isinstance(pca, ScaledPCA)
    assert_same_codes(pca.transform(wine), release_codes["wine_pca"])


def test_a_map_saved_before_its_encoder_normalised_layers_loads_and_gives_the_same_codes():
    # digits_map_pre_ln.aer: a neighbour-term map saved by the code of commit fe5ecd3, whose
    # encoder had no layer normalisation; its file has no encoder_layer_norm_ field.
    digits = load_digits().data[:20]
    ae = load(DATA / "digits_map_pre_ln.aer")
    assert ae.neighbour_weight_ == 1.0 and ae.encoder_layer_norm_ is False
    with np.load(DATA / "codes_map_pre_ln.npz") as saved:
        assert_same_codes(ae.transform(digits), saved["digits_map"])
        assert_same_codes(ae.inverse_transform(saved["digits_map"]), saved["digits_map_inv"])


def test_release_0_1_files_get_the_defaults_of_fields_they_lack():
    ae = load(DATA / "wine_ae_0.1.aer")
    assert ae.precision_ == "float32" and ae.kept_initial_weights_ is None
    assert getattr(ae, "input_settings_", None) is None


def test_every_registered_kind_round_trips(tmp_path):
    X = load_wine().data
    models = {"autoencoder": AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=2,
                                                    random_state=0).fit(X),
              "pca": ScaledPCA(n_components=2).fit(X),
              "outlier_detector": AutoencoderOutlierDetector(n_estimators=2, n_components=2, hidden_layer_sizes=(8,),
                                                             max_iter=2, random_state=0).fit(X)}
    assert set(models) == set(MODEL_KINDS)
    for kind, model in models.items():
        path = tmp_path / f"{kind}.aer"
        model.save(path)
        again = load(path)
        assert type(again) is type(model)
        output = "score_samples" if kind == "outlier_detector" else "transform"
        np.testing.assert_array_equal(getattr(again, output)(X), getattr(model, output)(X))
        assert describe_model(str(path))["kind"] == kind


def test_numpy_scalar_parameters_save_and_load_as_numbers(tmp_path):
    # GridSearchCV over np.arange(2, 4) sets n_components=np.int64(2): saving it raised "Object of type
    # int64 is not JSON serializable" (trial 21), and a NumPy random_state was saved as None
    X = load_wine().data
    model = AutoencoderTransformer(n_components=np.int64(2), hidden_layer_sizes=(np.int64(8),), max_iter=np.int64(2),
                                   batch_size=np.int64(500), learning_rate_init=np.float32(1e-3),
                                   random_state=np.int64(3)).fit(X)
    model.save(tmp_path / "m.aer")
    again = load(tmp_path / "m.aer")
    assert again.get_params() == {**model.get_params(), "learning_rate_init": pytest.approx(1e-3)}
    assert again.get_params()["random_state"] == 3 and again.batch_size_ == len(X)
    np.testing.assert_array_equal(again.transform(X), model.transform(X))
    detector = AutoencoderOutlierDetector(n_estimators=np.int64(2), n_components=2, hidden_layer_sizes=(8,),
                                          max_iter=2, random_state=0).fit(X)
    detector.save(tmp_path / "d.aer")
    assert load(tmp_path / "d.aer").n_estimators == 2


def test_parameters_set_as_lists_load_as_lists_and_tuples_as_tuples(tmp_path):
    """JSON has one kind of sequence: hidden_layer_sizes=[8, 4] came back as (8, 4), so get_params()
    after load differed from what was set."""
    X = load_wine().data
    for sizes in ([8, 4], (8, 4)):
        model = AutoencoderTransformer(n_components=2, hidden_layer_sizes=sizes, max_iter=1, random_state=0).fit(X)
        model.save(tmp_path / "m.aer")
        assert load(tmp_path / "m.aer").get_params() == model.get_params()
        assert type(load(tmp_path / "m.aer").hidden_layer_sizes) is type(sizes)
        detector = AutoencoderOutlierDetector(n_estimators=2, n_components=2, hidden_layer_sizes=sizes, max_iter=1,
                                              random_state=0).fit(X)
        detector.save(tmp_path / "d.aer")
        assert type(load(tmp_path / "d.aer").hidden_layer_sizes) is type(sizes)
    # a file's list_params must name parameters (a review: a string matched by substring, an int was a TypeError)
    from aereduce._persistence import params_from_json

    for bad in (5, None, "hidden_layer_sizes", [1]):
        with pytest.raises(ModelFileError, match="^list_params is not a list of parameter names$"):
            params_from_json({"hidden_layer_sizes": [8, 4]}, ("hidden_layer_sizes",), bad)


def test_inspect_gives_no_final_loss_for_weights_set_aside_for_pcas_start(tmp_path):
    """Trial 41: a fit that kept PCA's start showed the last loss of the weights it threw away."""
    X = load_wine().data
    model = AutoencoderTransformer(n_components=2, max_iter=3, random_state=0, neighbour_weight=0.0).fit(X)
    model.save(tmp_path / "trained.aer")
    model.kept_initial_weights_ = True
    model.save(tmp_path / "kept.aer")
    assert describe_model(str(tmp_path / "trained.aer"))["training"]["final_loss"] == model.loss_curve_[-1]
    kept = describe_model(str(tmp_path / "kept.aer"))["training"]
    assert "final_loss" not in kept and kept["kept_initial_weights_"] is True


def test_the_training_codes_range_is_saved_and_checked(tmp_path):
    X = load_wine().data
    model = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X)
    model.save(tmp_path / "m.aer")
    np.testing.assert_array_equal(load(tmp_path / "m.aer").code_range_, model.code_range_)
    assert load(DATA / "wine_ae_0.1.aer").code_range_ is None  # files saved before it was recorded
    model.code_range_ = model.code_range_[::-1]  # lowest above highest
    model.save(tmp_path / "bad.aer")
    with pytest.raises(ModelFileError, match="code_range_ must be the lowest and highest of each of the 2 code units"):
        load(tmp_path / "bad.aer")


def test_input_settings_are_saved_and_checked(tmp_path):
    X = load_wine().data
    model = ScaledPCA(n_components=2).fit(X)
    model.input_settings_ = {"id_column": "id", "label_column": None, "nan": "mean", "means": [1.0] * X.shape[1]}
    model.save(tmp_path / "m.aer")
    assert load(tmp_path / "m.aer").input_settings_ == model.input_settings_
    assert describe_model(str(tmp_path / "m.aer"))["input_settings"] == {"id_column": "id", "label_column": None,
                                                                        "nan": "mean"}
    model.input_settings_ = {"nan": "mean", "means": [1.0, 2.0]}  # wrong length for 13 columns
    model.save(tmp_path / "bad.aer")
    with pytest.raises(ModelFileError) as error:
        load(tmp_path / "bad.aer")
    assert str(error.value) == f"{tmp_path / 'bad.aer'}: input_settings_ does not match the model's input columns"
    for bad in ({"whole_columns": [0, 13]},  # past 13 columns
                {"lone_groups": {"a": "yes"}}, {"lone_groups": ["a"]}):  # each column's reading is True or False
        model.input_settings_ = {"nan": "mean", "means": [1.0] * X.shape[1], **bad}
        model.save(tmp_path / "bad.aer")
        with pytest.raises(ModelFileError, match="input_settings_ does not match the model's input columns"):
            load(tmp_path / "bad.aer")


def test_set_output_is_saved_with_the_model(tmp_path):
    import pandas as pd

    X = pd.DataFrame(load_wine().data[:, :5], columns=list("abcde"))
    for model in (ScaledPCA(n_components=2), AutoencoderTransformer(n_components=2, max_iter=2, random_state=0)):
        model.set_output(transform="pandas").fit(X)
        model.save(tmp_path / "m.aer")
        codes = load(tmp_path / "m.aer").transform(X)
        assert isinstance(codes, pd.DataFrame) and list(codes.columns) == list(model.get_feature_names_out())
    plain = ScaledPCA(n_components=2).fit(X)
    plain.save(tmp_path / "p.aer")
    assert isinstance(load(tmp_path / "p.aer").transform(X), np.ndarray)


def test_inspect_text_lists_columns_and_sections():
    text = format_description(describe_model(str(DATA / "wine_ae_0.1.aer")))
    lines = text.splitlines()
    assert lines[0].startswith(f"{DATA / 'wine_ae_0.1.aer'}: autoencoder model, 13 input columns, ")
    assert lines[1].startswith("columns: alcohol, malic_acid, ") and lines[1].endswith(", ... (13 in all)")
    assert "params:" in lines and "training:" in lines and "versions:" in lines


def test_inspect_names_the_member_of_the_family(tmp_path):
    """Trial 14: a convolutional, recurrent, denoising or variational model was 'autoencoder model' alike."""
    X = load_digits().data[:200]
    for params, kind in (({"input_shape": (8, 8), "architecture": "conv", "conv_channels": (2,)}, "convolutional"),
                         ({"input_shape": (8, 8), "recurrent_units": 4}, "recurrent"),
                         ({"noise": "gaussian", "variational": True}, "variational, gaussian denoising")):
        AutoencoderTransformer(n_components=2, max_iter=1, random_state=0, **params).fit(X).save(tmp_path / "m.aer")
        first = format_description(describe_model(str(tmp_path / "m.aer"))).splitlines()[0]
        assert first.startswith(f"{tmp_path / 'm.aer'}: autoencoder ({kind}) model, 64 input columns, "), first


@pytest.mark.parametrize("field, value", [("scaling_", "os.system"), ("precision_", "float8"), ("batch_size_", -1),
                                          ("loss_", "hinge"), ("neighbour_weight_", -1.0)])
def test_a_fitted_field_no_fit_could_give_is_a_corrupt_model(tmp_path, field, value):
    """A review of trial 22 loaded scaling_='os.system' and batch_size_=-1 (from a file without its checksum;
    here the checksum is recomputed, so only the fields' check stands between them and the model)."""
    from aereduce._modelfile import read_model_file, write_model_file

    path = tmp_path / "m.aer"
    AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(
        load_wine().data).save(path)
    kind, tensors, meta = read_model_file(str(path), kinds=tuple(MODEL_KINDS))
    meta["fitted"][field] = value
    write_model_file(str(path), kind, tensors, meta)
    with pytest.raises(ModelFileError, match=rf"{field}"):
        load(path)
