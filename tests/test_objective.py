"""Unit tests of aereduce.objective: each term against a formula computed independently."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from aereduce._model import Autoencoder, AutoencoderConfig
from aereduce._params import AUTOENCODER_PARAMS
from aereduce.objective import (
    PENALTIES,
    Contractive,
    Corruption,
    KLSparsity,
    L1Sparsity,
    Objective,
    Reconstruction,
    Step,
    VariationalKL,
    reconstruction_loss,
    sparsity_weight,
)


def _params(**overrides):
    params = {k: p.default for k, p in AUTOENCODER_PARAMS.items()}
    params.update(overrides)
    return params


def _model(seed=0, **kwargs):
    torch.manual_seed(seed)
    return Autoencoder(AutoencoderConfig(**{"n_features": 4, "n_components": 2, "hidden_layer_sizes": (8,), **kwargs}))


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _step(x, code, log_var=None, model=None, x_in=None):
    model = model or _model()
    return Step(x=x, x_in=x if x_in is None else x_in, code=code, log_var=log_var, logits=x.clone(),
                model=model, generator=_gen())


# -- reconstruction ------------------------------------------------------------------------------

def test_mse_identity_output():
    model = _model()
    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]])
    target = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 3.0]])
    loss = reconstruction_loss(model, logits, target, "mse")
    # row 0: (1 + 0 + 1 + 4) / 4; row 1: (1 + 1 + 1 + 4) / 4
    torch.testing.assert_close(loss, torch.tensor([1.5, 1.75]))


def test_mse_applies_the_output_activation():
    model = _model(output_activation="logistic")
    logits = torch.tensor([[0.0, 0.0, 0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    # sigmoid(0) = 0.5: every squared error is 0.25
    torch.testing.assert_close(reconstruction_loss(model, logits, target, "mse"), torch.tensor([0.25]))


def test_bce_on_logits():
    model = _model(output_activation="logistic")
    logits = torch.tensor([[-2.0, 0.5, 3.0, 0.0], [1.0, -1.0, 0.2, 4.0]])
    target = torch.tensor([[0.0, 1.0, 0.3, 1.0], [1.0, 0.0, 0.5, 0.9]])
    p = 1 / (1 + np.exp(-logits.numpy().astype(np.float64)))
    t = target.numpy().astype(np.float64)
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=1)
    loss = reconstruction_loss(model, logits, target, "bce")
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-5)


def test_cosine():
    model = _model()
    logits = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [3.0, 4.0, 0.0, 0.0]])
    target = torch.tensor([[0.0, 2.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0], [4.0, 3.0, 0.0, 0.0]])
    # orthogonal: 1; parallel: 0; cos = 24/25
    loss = reconstruction_loss(model, logits, target, "cosine")
    torch.testing.assert_close(loss, torch.tensor([1.0, 0.0, 1 - 24 / 25]), atol=1e-6, rtol=0)


def test_reconstruction_term_is_the_mean_over_rows():
    model = _model()
    x = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    step = Step(x=x, x_in=x, code=torch.zeros(2, 2), log_var=None, logits=torch.zeros(2, 4), model=model,
                generator=_gen())
    torch.testing.assert_close(Reconstruction("mse")(step), torch.tensor(0.5))


# -- which penalties a parameter set switches on -------------------------------------------------

def test_defaults_switch_everything_off():
    obj = Objective.from_params(_params(), "mse")
    assert obj.penalties == []
    assert obj.corruption is None
    assert obj.reconstruction.loss == "mse"
    assert obj.code_activation == "identity"
    for kind in PENALTIES:
        assert kind.from_params(_params()) is None


@pytest.mark.parametrize("overrides, kind, attrs", [
    ({"variational": True, "beta": 2.5}, VariationalKL, {"beta": 2.5}),
    ({"sparsity": "l1"}, L1Sparsity, {"weight": 1e-4}),
    ({"sparsity": "kl", "sparsity_target": 0.1, "sparsity_momentum": 0.5}, KLSparsity,
     {"weight": 0.1, "target": 0.1, "momentum": 0.5}),
    ({"sparsity": "l1", "sparsity_weight": 0.25}, L1Sparsity, {"weight": 0.25}),
    ({"contractive_weight": 0.3}, Contractive, {"weight": 0.3}),
])
def test_each_penalty_switched_on_by_its_parameter(overrides, kind, attrs):
    obj = Objective.from_params(_params(**overrides), "bce")
    assert [type(p) for p in obj.penalties] == [kind]
    for name, value in attrs.items():
        assert getattr(obj.penalties[0], name) == pytest.approx(value)
    assert obj.corruption is None
    assert obj.reconstruction.loss == "bce"


@pytest.mark.parametrize("noise", ["mask", "gaussian"])
def test_noise_switches_corruption_on(noise):
    obj = Objective.from_params(_params(noise=noise, noise_level=0.35), "mse")
    assert obj.corruption == Corruption(noise, 0.35)
    assert obj.penalties == []


def test_all_penalties_together_in_declared_order():
    obj = Objective.from_params(_params(variational=True, sparsity="l1", contractive_weight=1.0), "mse")
    assert [type(p) for p in obj.penalties] == [VariationalKL, L1Sparsity, Contractive]


def test_code_activation_follows_the_sparsity():
    assert Objective.from_params(_params(sparsity="l1"), "mse").code_activation == "relu"
    assert Objective.from_params(_params(sparsity="kl"), "mse").code_activation == "logistic"
    assert Objective.from_params(_params(variational=True, contractive_weight=1.0), "mse").code_activation == "identity"


def test_sparsity_weight_auto_and_explicit():
    assert sparsity_weight(_params(sparsity="l1")) == 1e-4
    assert sparsity_weight(_params(sparsity="kl")) == 0.1
    assert sparsity_weight(_params(sparsity="kl", sparsity_weight=0.02)) == 0.02
    assert sparsity_weight(_params(sparsity="l1", sparsity_weight=0)) == 0.0


# -- penalties against closed forms --------------------------------------------------------------

def test_variational_kl_closed_form():
    mu = torch.tensor([[0.5, -1.0, 0.0], [2.0, 0.3, -0.7]])
    log_var = torch.tensor([[0.0, 0.4, -1.2], [1.0, -0.3, 0.2]])
    x = torch.zeros(2, 7)
    beta = 0.8
    # KL(N(mu, s^2) || N(0, 1)) = log(1/s) + (s^2 + mu^2) / 2 - 1/2, per unit, summed over units
    m = mu.double().numpy()
    s2 = np.exp(log_var.double().numpy())
    per_row = (-0.5 * np.log(s2) + (s2 + m ** 2) / 2 - 0.5).sum(axis=1)
    expected = beta * per_row.mean() / 7
    got = VariationalKL(beta)(_step(x, mu, log_var))
    assert float(got) == pytest.approx(expected, rel=1e-5)
    # and torch's own KL agrees
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * log_var)), Normal(0.0, 1.0)).sum(dim=1).mean() * beta / 7
    torch.testing.assert_close(got, ref)


def test_variational_kl_is_zero_at_the_prior():
    step = _step(torch.zeros(3, 4), torch.zeros(3, 2), torch.zeros(3, 2))
    assert float(VariationalKL(1.0)(step)) == 0.0


def test_l1_sparsity():
    code = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, 3.0]])
    got = L1Sparsity(0.1)(_step(torch.zeros(2, 4), code))
    # mean row L1 = (3 + 4) / 2
    assert float(got) == pytest.approx(0.1 * 3.5)


def _kl_rate(rho, rate):
    return (rho * np.log(rho / rate) + (1 - rho) * np.log((1 - rho) / (1 - rate))).sum()


def test_kl_sparsity_moving_average():
    term = KLSparsity(weight=2.0, target=0.1, momentum=0.75)
    assert term.rate is None
    c1 = torch.tensor([[0.2, 0.6], [0.4, 0.2]])
    c2 = torch.tensor([[0.1, 0.9], [0.3, 0.7]])
    got1 = term(_step(torch.zeros(2, 4), c1))
    r1 = np.array([0.3, 0.4])
    assert float(got1) == pytest.approx(2.0 * _kl_rate(0.1, r1), rel=1e-5)
    np.testing.assert_allclose(term.rate.numpy(), r1, rtol=1e-6)
    got2 = term(_step(torch.zeros(2, 4), c2))
    r2 = 0.75 * r1 + 0.25 * np.array([0.2, 0.8])  # = [0.275, 0.5]
    assert float(got2) == pytest.approx(2.0 * _kl_rate(0.1, r2), rel=1e-5)
    np.testing.assert_allclose(term.rate.numpy(), r2, rtol=1e-6)
    assert not term.rate.requires_grad


def test_kl_sparsity_is_zero_at_the_target():
    term = KLSparsity(weight=1.0, target=0.25)
    got = term(_step(torch.zeros(4, 4), torch.tensor([[0.25, 0.0], [0.25, 1.0], [0.25, 0.0], [0.25, 0.0]])))
    assert float(got) == pytest.approx(0.0, abs=1e-6)


def test_kl_sparsity_is_finite_and_revives_a_unit_pushed_to_zero():
    term = KLSparsity(weight=1.0, target=0.05)
    assert math.isfinite(float(term(_step(torch.zeros(2, 4), torch.zeros(2, 1)))))
    # A unit whose every activation is sigmoid(-30) (1e-13): descent must raise it. A rate clamped
    # to 1e-6 had no gradient there, so such a unit stayed dead.
    z = torch.full((4, 1), -30.0, requires_grad=True)
    term = KLSparsity(weight=1.0, target=0.05)
    term(_step(torch.zeros(4, 4), torch.sigmoid(z))).backward()
    assert (z.grad < 0).all()
    assert float(z.grad.sum()) == pytest.approx(-0.05, rel=1e-3)  # -weight * target * (1 - rate)


def test_contractive_linear_encoder_is_frobenius_norm():
    model = _model(hidden_layer_sizes=())
    W = torch.tensor([[1.0, -2.0, 0.5, 0.0], [0.0, 3.0, 1.0, -1.0]])
    with torch.no_grad():
        model.encoder.mean.weight.copy_(W)
    x_in = torch.randn(5, 4, generator=_gen(3)).requires_grad_(True)
    code, _ = model.encode(x_in)
    step = Step(x=x_in.detach(), x_in=x_in, code=code, log_var=None, logits=torch.zeros(5, 4), model=model,
                generator=_gen())
    got = Contractive(0.5)(step)
    # ||W||_F^2 = 1 + 4 + 0.25 + 9 + 1 + 1 = 16.25
    assert float(got.detach()) == pytest.approx(0.5 * 16.25, rel=1e-6)
    got.backward()  # differentiable with respect to the weights (create_graph=True)
    torch.testing.assert_close(model.encoder.mean.weight.grad, 0.5 * 2 * W)


def test_contractive_nonlinear_matches_jacobian():
    model = _model(hidden_layer_sizes=(8,), activation="tanh")
    x = torch.randn(3, 4, generator=_gen(4))
    x_in = x.clone().requires_grad_(True)
    code, _ = model.encode(x_in)
    step = Step(x=x, x_in=x_in, code=code, log_var=None, logits=torch.zeros(3, 4), model=model, generator=_gen())
    got = Contractive(1.0)(step).item()
    expected = np.mean([
        float(torch.autograd.functional.jacobian(lambda r: model.encode(r[None])[0][0], row).pow(2).sum())
        for row in x])
    assert got == pytest.approx(expected, rel=1e-5)


# -- corruption ----------------------------------------------------------------------------------

def test_mask_zeroes_about_level_share_reproducibly():
    x = torch.rand(200, 50) + 1.0  # no zeros of its own
    c = Corruption("mask", 0.3)
    a = c(x, _gen(5))
    b = c(x, _gen(5))
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c(x, _gen(6)))
    zero = a == 0
    assert abs(zero.float().mean().item() - 0.3) < 0.02
    torch.testing.assert_close(a[~zero], x[~zero])
    # the mask is exactly the generator's uniform draw compared with level
    expected = x * (torch.rand(x.shape, generator=_gen(5)) >= 0.3)
    torch.testing.assert_close(a, expected)


def test_mask_level_zero_keeps_everything():
    x = torch.rand(10, 5) + 1.0
    torch.testing.assert_close(Corruption("mask", 0.0)(x, _gen()), x)


def test_gaussian_adds_noise_of_level_std_reproducibly():
    x = torch.full((300, 40), 2.0)
    c = Corruption("gaussian", 0.4)
    a = c(x, _gen(9))
    torch.testing.assert_close(a, c(x, _gen(9)))
    noise = a - x
    assert abs(noise.std().item() - 0.4) < 0.02
    assert abs(noise.mean().item()) < 0.02
    torch.testing.assert_close(a, x + 0.4 * torch.randn(x.shape, generator=_gen(9)))


# -- the whole objective -------------------------------------------------------------------------

def test_terms_keys_and_values():
    model = _model(hidden_layer_sizes=(8,), variational=True, code_activation="relu")
    obj = Objective.from_params(_params(variational=True, sparsity="l1", contractive_weight=0.1), "mse")
    x = torch.randn(6, 4, generator=_gen(2))
    terms = obj.terms(model, x, _gen(11))
    assert list(terms) == ["reconstruction", "kl", "sparsity", "contractive"]
    for value in terms.values():
        assert value.shape == () and math.isfinite(value.item()) and value.item() >= 0
    assert terms["sparsity"] > 0 and terms["contractive"] > 0
    # a seeded generator makes the (sampled) terms reproducible
    again = obj.terms(model, x, _gen(11))
    for k in terms:
        torch.testing.assert_close(terms[k], again[k])


def test_terms_without_penalties_is_the_clean_reconstruction():
    model = _model()
    obj = Objective.from_params(_params(), "mse")
    x = torch.randn(5, 4, generator=_gen(1))
    terms = obj.terms(model, x, _gen())
    assert list(terms) == ["reconstruction"]
    with torch.no_grad():
        expected = (model(x) - x).pow(2).mean()
    torch.testing.assert_close(terms["reconstruction"], expected)
    torch.testing.assert_close(obj.evaluate(model, x).mean(), expected)


def test_terms_target_is_the_clean_row_under_corruption():
    model = _model()
    obj = Objective(Reconstruction("mse"), [], Corruption("mask", 0.5))
    x = torch.randn(5, 4, generator=_gen(1)) + 3
    got = obj.terms(model, x, _gen(8))["reconstruction"]
    x_in = Corruption("mask", 0.5)(x, _gen(8))
    with torch.no_grad():
        expected = (model(x_in) - x).pow(2).mean()
    torch.testing.assert_close(got, expected)
