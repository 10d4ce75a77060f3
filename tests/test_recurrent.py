"""The recurrent (GRU) autoencoder for sequence rows: how input_shape and architecture choose the
network, the modules' shapes, fitting, saving, the command line, and what it buys over PCA."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from aereduce import AutoencoderTransformer
from aereduce._model import Autoencoder, AutoencoderConfig, ConvEncoder, MLPEncoder, RecurrentDecoder, RecurrentEncoder
from aereduce._resolve import model_architecture
from aereduce.cli import main
from aereduce.errors import OptionError
from benchmarks.sequences import sine_waves

STEPS = 20


def fast(**params):
    return AutoencoderTransformer(**{"n_components": 3, "input_shape": (STEPS, 1), "recurrent_units": 16,
                                     "max_iter": 3, "random_state": 0, **params})


@pytest.fixture(scope="module")
def waves():
    return sine_waves(300, 0, STEPS), sine_waves(100, 1, STEPS)


# -- which network -------------------------------------------------------------------------------

@pytest.mark.parametrize("architecture, shape, expected", [
    ("auto", None, ("mlp", None)),
    ("auto", (1, 8, 8), ("conv", (1, 8, 8))),  # release 0.1's convolutional models keep their network
    ("auto", [30, 2], ("recurrent", (30, 2))),
    ("conv", (8, 8), ("conv", (1, 8, 8))),  # (height, width): one channel
    ("recurrent", (30, 2), ("recurrent", (30, 2))),
])
def test_architecture_rule(architecture, shape, expected):
    assert model_architecture(architecture, shape) == expected


@pytest.mark.parametrize("architecture, shape, message", [
    ("recurrent", None, r"architecture='recurrent' needs input_shape=\(time_steps, features\)"),
    ("conv", None, r"architecture='conv' needs input_shape=\(channels, height, width\)"),
    ("mlp", (8, 8), r"architecture='mlp' reads flat rows, so input_shape=\(8, 8\) has no use"),
    ("recurrent", (1, 8, 8), r"input_shape=\(1, 8, 8\) must be \(channels, height, width\) for the convolutional"),
    ("auto", (64,), r"input_shape=\(64,\) must be"),
    ("auto", (0, 3), r"input_shape=\(0, 3\) must be .* of positive sizes"),
])
def test_architecture_rule_refuses(architecture, shape, message):
    with pytest.raises(OptionError, match=message):
        model_architecture(architecture, shape)


def test_modules_follow_the_rule():
    cfg = dict(n_features=12, n_components=2, hidden_layer_sizes=(8,), conv_channels=(4,), recurrent_units=5)
    assert isinstance(Autoencoder(AutoencoderConfig(**cfg)).encoder, MLPEncoder)
    assert isinstance(Autoencoder(AutoencoderConfig(**cfg, input_shape=(1, 3, 4))).encoder, ConvEncoder)
    assert isinstance(Autoencoder(AutoencoderConfig(**cfg, input_shape=(3, 4), architecture="conv")).encoder, ConvEncoder)
    model = Autoencoder(AutoencoderConfig(**cfg, input_shape=(6, 2)))
    assert isinstance(model.encoder, RecurrentEncoder) and isinstance(model.decoder, RecurrentDecoder)


# -- the modules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("variational", [False, True])
def test_recurrent_shapes(variational):
    torch.manual_seed(0)
    model = Autoencoder(AutoencoderConfig(n_features=14, n_components=3, input_shape=(7, 2), recurrent_units=5,
                                          variational=variational))
    x = torch.randn(4, 14)
    code, log_var = model.encode(x)
    assert code.shape == (4, 3)
    assert (log_var is not None) == variational and (log_var is None or log_var.shape == (4, 3))
    assert model(x).shape == (4, 14)


def test_rows_are_read_time_major():
    """Column t * features + f is feature f at step t: changing a late step leaves the encoder's
    state after the early steps alone, so only the late columns can matter to it."""
    torch.manual_seed(0)
    encoder = Autoencoder(AutoencoderConfig(n_features=10, n_components=2, input_shape=(5, 2), recurrent_units=4)).encoder
    x = torch.randn(1, 10)
    _, early = encoder.gru(x.reshape(1, 5, 2)[:, :2])
    y = x.clone()
    y[0, 4:] += 1.0  # steps 2-4
    _, early_y = encoder.gru(y.reshape(1, 5, 2)[:, :2])
    assert torch.equal(early, early_y)
    assert not torch.equal(encoder(x)[0], encoder(y)[0])


def test_recurrent_runs_under_bfloat16_autocast():
    torch.manual_seed(0)
    model = Autoencoder(AutoencoderConfig(n_features=8, n_components=2, input_shape=(4, 2), recurrent_units=4))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.decode_logits(model.encode(torch.randn(3, 8))[0])
    assert out.dtype == torch.float32 and out.shape == (3, 8)


# -- the estimator -------------------------------------------------------------------------------

def test_fit_transform_inverse_and_save(tmp_path, waves):
    X, X_test = waves
    ae = fast().fit(X)
    assert isinstance(ae.encoder_, RecurrentEncoder)
    assert ae.transform(X_test).shape == (100, 3)
    assert ae.inverse_transform(ae.transform(X_test)).shape == X_test.shape
    path = tmp_path / "seq.aer"
    ae.save(path)
    loaded = AutoencoderTransformer.load(path)
    assert loaded.get_params()["architecture"] == "auto" and loaded.input_shape == (STEPS, 1)
    assert np.array_equal(loaded.transform(X_test), ae.transform(X_test))
    assert np.array_equal(loaded.inverse_transform(ae.transform(X_test)), ae.inverse_transform(ae.transform(X_test)))


def test_variational_recurrent_samples(waves):
    X, _ = waves
    ae = fast(variational=True).fit(X)
    assert ae.sample(5, random_state=0).shape == (5, STEPS)


@pytest.mark.parametrize("params, message", [
    ({"input_shape": (STEPS, 2)}, r"must be \(time_steps, features\) with time_steps\*features equal to the 20 features"),
    ({"tied_weights": True}, "tied_weights and pretrain need the multilayer perceptron"),
    ({"linear_skip": True}, "linear_skip needs the untied multilayer perceptron"),
])
def test_fit_refuses(waves, params, message):
    with pytest.raises(OptionError, match=message):
        fast(**params).fit(waves[0])


def test_recurrent_model_learns_sine_waves(waves):
    """A short fit already reconstructs held-out waves clearly better than their mean does (an
    untrained model does no better than the mean). Beating PCA takes a longer fit: see
    benchmarks/sequences.py."""
    X, X_test = waves
    ae = fast(max_iter=50, batch_size=32, recurrent_units=16, learning_rate_init=1e-2, early_stopping=False).fit(X)
    scaled = ae.scaler_.transform(X_test)
    mean_error = float(np.mean((scaled - ae.scaler_.transform(X).mean(axis=0)) ** 2))
    assert -ae.score(X_test) < 0.8 * mean_error  # score: the negative held-out MSE in the scaled space


# -- the command line ----------------------------------------------------------------------------

def test_cli_recurrent_option(tmp_path, waves):
    data = tmp_path / "waves.csv"
    np.savetxt(data, waves[0], delimiter=",", header=",".join(f"t{i}" for i in range(STEPS)), comments="")
    model = tmp_path / "seq.aer"
    runner = CliRunner()
    result = runner.invoke(main, ["fit", str(data), "--dim", "2", "--recurrent", f"{STEPS}x1", "--recurrent-units", "8",
                                  "--epochs", "2", "-o", str(model)])
    assert result.exit_code == 0, result.output
    params = json.loads(runner.invoke(main, ["inspect", str(model), "--json"]).stdout)["params"]
    assert (params["architecture"], params["input_shape"], params["recurrent_units"]) == ("recurrent", [STEPS, 1], 8)
    # A sequence is not an image: the report and the plot draw no image rows (report crashed on it)
    for command, output in (("report", "r.html"), ("plot", "p.png")):
        result = runner.invoke(main, [command, str(model), str(data), "-o", str(tmp_path / output)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["fit", str(data), "--dim", "2", "--recurrent", str(STEPS), "--conv", "4x5"])
    assert result.exit_code == 2
    assert "--conv and --recurrent exclude each other: a row is an image or a sequence" in result.stderr
    result = runner.invoke(main, ["fit", str(data), "--dim", "2", "--recurrent", "20x0"])
    assert result.exit_code == 2
    assert "'20x0' is not a sequence shape like 50x1 (time steps x features) or 50" in result.stderr
