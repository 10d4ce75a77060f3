"""Unit tests of aereduce._model: the architecture alone, on tiny tensors."""

import math

import pytest
import torch
from torch.nn import functional as F

from aereduce._model import (
    Autoencoder,
    AutoencoderConfig,
    ConvDecoder,
    ConvEncoder,
    MLPDecoder,
    MLPEncoder,
    TiedDecoder,
    conv_feature_shape,
)


def _model(seed=0, **kwargs):
    torch.manual_seed(seed)
    cfg = AutoencoderConfig(**{"n_features": 5, "n_components": 2, "hidden_layer_sizes": (8,), **kwargs})
    return Autoencoder(cfg)


def _x(n=4, d=5, seed=1):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


# -- multilayer perceptron ---------------------------------------------------------------------

@pytest.mark.parametrize("hidden", [(), (8,), (8, 6)])
@pytest.mark.parametrize("linear_skip", [False, True])
def test_mlp_shapes(hidden, linear_skip):
    model = _model(hidden_layer_sizes=hidden, linear_skip=linear_skip)
    assert isinstance(model.encoder, MLPEncoder) and isinstance(model.decoder, MLPDecoder)
    code, log_var = model.encode(_x())
    assert code.shape == (4, 2)
    assert log_var is None
    assert model.decode(code).shape == (4, 5)
    assert model(_x()).shape == (4, 5)
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.encoder.body)
    assert n_linear == len(hidden)
    assert len(model.encoder.linears()) == len(hidden) + 1


def test_linear_skip_adds_a_linear_path():
    model = _model(linear_skip=True)
    enc, dec = model.encoder, model.decoder
    assert enc.skip.weight.shape == (2, 5) and enc.skip.bias is None
    assert dec.skip.weight.shape == (5, 2) and dec.skip.bias is None
    x = _x()
    with torch.no_grad():
        expected_code = enc.mean(enc.body(x)) + x @ enc.skip.weight.t()
        code, _ = model.encode(x)
        torch.testing.assert_close(code, expected_code)
        expected_out = dec.body(code) + code @ dec.skip.weight.t()
        torch.testing.assert_close(model.decode_logits(code), expected_out)


def test_no_skip_without_linear_skip():
    model = _model()
    assert model.encoder.skip is None and model.decoder.skip is None
    assert not any("skip" in k for k in model.state_dict())


def test_variational_shapes():
    model = _model(variational=True)
    code, log_var = model.encode(_x())
    assert code.shape == (4, 2) and log_var.shape == (4, 2)
    with torch.no_grad():
        h = model.encoder.body(_x())
        torch.testing.assert_close(log_var, model.encoder.log_var(h))
        torch.testing.assert_close(code, model.encoder.mean(h))
    assert model.decode(code).shape == (4, 5)


def test_hidden_layers_are_activated_but_not_the_last_decoder_layer():
    model = _model(hidden_layer_sizes=(8, 6), activation="tanh")
    enc_kinds = [type(m).__name__ for m in model.encoder.body]
    dec_kinds = [type(m).__name__ for m in model.decoder.body]
    assert enc_kinds == ["Linear", "Tanh", "Linear", "Tanh"]
    assert dec_kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [m.out_features for m in model.decoder.body if isinstance(m, torch.nn.Linear)] == [6, 8, 5]


def test_encoder_layer_norm_normalises_each_hidden_layer_before_its_activation():
    model = _model(hidden_layer_sizes=(8, 6), activation="tanh", encoder_layer_norm=True)
    enc_kinds = [type(m).__name__ for m in model.encoder.body]
    assert enc_kinds == ["Linear", "LayerNorm", "Tanh", "Linear", "LayerNorm", "Tanh"]
    assert [m.normalized_shape for m in model.encoder.body if isinstance(m, torch.nn.LayerNorm)] == [(8,), (6,)]
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in model.decoder.body)  # the encoder's alone
    h = model.encoder.body[:2](torch.randn(16, 5) * 7 + 3)
    torch.testing.assert_close(h.mean(dim=1), torch.zeros(16), atol=1e-5, rtol=0)


# -- tied weights --------------------------------------------------------------------------------

def test_tied_decoder_state_dict_holds_only_biases():
    model = _model(hidden_layer_sizes=(8,), tied_weights=True)
    assert isinstance(model.decoder, TiedDecoder)
    dec_keys = sorted(k for k in model.state_dict() if k.startswith("decoder."))
    assert dec_keys == ["decoder.biases.0", "decoder.biases.1"]
    shapes = [tuple(model.state_dict()[k].shape) for k in dec_keys]
    assert shapes == [(8,), (5,)]
    untied = _model(hidden_layer_sizes=(8,))
    n_tied = sum(p.numel() for p in model.parameters())
    n_untied = sum(p.numel() for p in untied.parameters())
    # The untied decoder's weights (2*8 + 8*5) are what tying saves.
    assert n_untied - n_tied == 2 * 8 + 8 * 5


def test_tied_decoder_uses_transposed_encoder_weights():
    model = _model(hidden_layer_sizes=(8,), tied_weights=True, activation="tanh")
    with torch.no_grad():
        for b in model.decoder.biases:  # non-zero biases so they count in the check
            b.copy_(torch.randn(b.shape, generator=torch.Generator().manual_seed(b.numel())))
    z = torch.randn(3, 2, generator=torch.Generator().manual_seed(7))
    w_in = model.encoder.body[0].weight  # (8, 5)
    w_code = model.encoder.mean.weight  # (2, 8)
    b0, b1 = model.decoder.biases
    with torch.no_grad():
        expected = F.linear(torch.tanh(F.linear(z, w_code.t(), b0)), w_in.t(), b1)
        torch.testing.assert_close(model.decode_logits(z), expected)
    # The gradient of the reconstruction reaches the encoder's weights through the decoder.
    model.decode_logits(z).sum().backward()
    assert w_code.grad is not None and w_code.grad.abs().sum() > 0


def test_tied_decoder_without_hidden_layers_is_linear():
    model = _model(hidden_layer_sizes=(), tied_weights=True)
    z = torch.randn(3, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.decode_logits(z),
                                   z @ model.encoder.mean.weight + model.decoder.biases[0])


# -- convolutional -----------------------------------------------------------------------------

def test_conv_feature_shape_rounds_up():
    assert conv_feature_shape((1, 7, 5), 2, 8) == (8, 2, 2)
    assert conv_feature_shape((3, 28, 28), 2, 64) == (64, 7, 7)
    assert conv_feature_shape((1, 9, 1), 3, 4) == (4, 2, 1)


@pytest.mark.parametrize("shape", [(1, 7, 5), (2, 6, 6), (1, 5, 9)])
def test_conv_shapes_and_crop(shape):
    n_features = math.prod(shape)
    model = _model(n_features=n_features, n_components=3, input_shape=shape, conv_channels=(4, 8))
    assert isinstance(model.encoder, ConvEncoder) and isinstance(model.decoder, ConvDecoder)
    x = torch.randn(2, n_features)
    code, log_var = model.encode(x)
    assert code.shape == (2, 3) and log_var is None
    _, h, w = shape
    feat = conv_feature_shape(shape, 2, 8)
    assert model.encoder.mean.in_features == math.prod(feat)
    out = model.decode(code)
    assert out.shape == (2, n_features)
    # The decoder's full map is larger than the image; the output is its top-left crop.
    with torch.no_grad():
        full = model.decoder.body(model.decoder.dense(code).reshape(-1, *feat))
        assert full.shape[2] >= h and full.shape[3] >= w
        assert full.shape[2:] == (feat[1] * 4, feat[2] * 4)
        torch.testing.assert_close(model.decode_logits(code), full[:, :, :h, :w].reshape(2, -1))


def test_conv_encoder_accepts_images_and_rows_alike():
    model = _model(n_features=35, n_components=2, input_shape=(1, 7, 5), conv_channels=(4,))
    x = torch.randn(3, 35)
    with torch.no_grad():
        torch.testing.assert_close(model.encode(x)[0], model.encode(x.reshape(3, 1, 7, 5))[0])


def test_conv_variational():
    model = _model(n_features=35, n_components=2, input_shape=(1, 7, 5), conv_channels=(4, 8), variational=True)
    code, log_var = model.encode(torch.randn(3, 35))
    assert code.shape == log_var.shape == (3, 2)


# -- activations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fn", [("relu", torch.relu), ("logistic", torch.sigmoid),
                                      ("tanh", torch.tanh), ("identity", lambda t: t)])
def test_code_activation(name, fn):
    model = _model(code_activation=name)
    x = _x(n=16)
    with torch.no_grad():
        pre = model.encoder.mean(model.encoder.body(x))
        code, _ = model.encode(x)
    torch.testing.assert_close(code, fn(pre))


def test_relu_and_logistic_code_ranges():
    x = _x(n=64) * 3
    with torch.no_grad():
        relu_code = _model(code_activation="relu").encode(x)[0]
        sig_code = _model(code_activation="logistic").encode(x)[0]
    assert (relu_code >= 0).all() and (relu_code == 0).any()
    assert ((sig_code > 0) & (sig_code < 1)).all()


def test_output_activation_only_in_decode():
    model = _model(output_activation="logistic")
    z = torch.randn(6, 2) * 5
    with torch.no_grad():
        logits = model.decode_logits(z)
        torch.testing.assert_close(model.decode(z), torch.sigmoid(logits))
        torch.testing.assert_close(model.output(logits), torch.sigmoid(logits))
        torch.testing.assert_close(model(_x()), torch.sigmoid(model.decode_logits(model.encode(_x())[0])))
    # the logits are unbounded: not already squashed
    assert ((logits < 0) | (logits > 1)).any()


def test_identity_output_leaves_logits():
    model = _model()
    z = torch.randn(6, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.decode(z), model.decode_logits(z))


def test_unknown_activation_raises():
    with pytest.raises(KeyError):
        _model(activation="swish")


def test_the_code_layer_runs_in_float32_under_mixed_precision():
    model = Autoencoder(AutoencoderConfig(n_features=6, n_components=2, hidden_layer_sizes=(4,)))
    x = torch.randn(3, 6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        code, _ = model.encode(x)
        hidden = model.encoder.body(x)
    assert hidden.dtype == torch.bfloat16  # the hidden layers do run in bfloat16
    assert code.dtype == torch.float32
