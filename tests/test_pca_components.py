"""Training on principal components (``pca_components``): the rules, the least-squares output
layer, the fit, persistence and the command line's option."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from aereduce import AutoencoderTransformer, load
from aereduce._model import Autoencoder, AutoencoderConfig
from aereduce._resolve import check_pca_components
from aereduce._training import ComponentSpaceStage, fit_output_layer, init_input_projection
from aereduce.cli import main
from aereduce.errors import OptionError


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data.astype(np.float32)
    return X[:1200], X[1200:]


def _params(**given):
    params = AutoencoderTransformer().get_params()
    params.update(given)
    return params


@pytest.mark.parametrize("given, n_features, streaming, message", [
    (dict(pca_components=64), 64, False, "pca_components=64 must be below the 64 features of X"),
    (dict(pca_components=4, n_components=8), 64, False, "must be at least n_components=8"),
    (dict(pca_components=16), 64, "fit_stream", "fit_stream sees one chunk at a time .* fit in memory \\(--no-stream"),
    (dict(pca_components=16, tied_weights=True), 64, False, "does not combine with tied_weights=True"),
    (dict(pca_components=16, noise="mask"), 64, False, "does not combine with noise='mask'"),
    (dict(pca_components=16, linear_skip=True), 64, False, "does not combine with linear_skip=True"),
    (dict(pca_components=16, input_shape=(1, 8, 8)), 64, False, "does not combine with an input_shape"),
    (dict(pca_components=16, loss="bce"), 64, False, "needs a linear output and a squared error, not loss='bce'"),
    (dict(pca_components=16, output_activation="sigmoid"), 64, False, "not output_activation='sigmoid'"),
])
def test_pca_components_refuses_what_it_cannot_train(given, n_features, streaming, message):
    with pytest.raises(OptionError, match=message):
        check_pca_components(_params(**given), n_features, neighbours=False, streaming=streaming)


def test_pca_components_cannot_exceed_the_components_the_rows_have():
    with pytest.raises(OptionError, match="pca_components=40 must be below the 40 rows given to fit: 40 centred rows "
                                          "have at most 39 principal components"):
        check_pca_components(_params(pca_components=40), 64, neighbours=False, n_samples=40)
    X = load_digits().data[:30]
    with pytest.raises(OptionError, match="below the 30 rows"):
        AutoencoderTransformer(n_components=2, pca_components=30).fit(X)


def test_pca_components_allows_the_plain_model_and_the_neighbour_term_its_loss():
    check_pca_components(_params(pca_components=16), 64, neighbours=False)
    # the neighbour term's decoder trains on the rows as usual, so its loss is free
    check_pca_components(_params(pca_components=16, loss="bce"), 64, neighbours=True)


def test_the_output_layer_is_the_least_squares_map_from_the_last_hidden_layer():
    torch.manual_seed(0)
    cfg = AutoencoderConfig(n_features=12, n_components=3, hidden_layer_sizes=(8,), input_projection=5)
    model = Autoencoder(cfg)
    X = torch.randn(300, 12)
    init_input_projection(model, X)
    fit_output_layer(model, X)
    with torch.no_grad():
        hidden = model.decoder.body[:-1](model.encode(X)[0]).double()
        fitted = model.decode(model.encode(X)[0]).double()
    design = torch.cat([hidden, torch.ones(len(hidden), 1, dtype=hidden.dtype)], 1)
    best = torch.linalg.lstsq(design, X.double()).solution
    error = float(((fitted - X.double()) ** 2).sum())
    least = float(((design @ best - X.double()) ** 2).sum())
    # the least squares' error, within what the ridge costs on these nearly collinear random
    # units (whose exact solution has weights in the hundreds)...
    assert least <= error <= least * 1.01
    # ...far below that of the layer it replaced
    with torch.no_grad():
        model.decoder.body[-1].reset_parameters()
        before = float(((model.decode(model.encode(X)[0]).double() - X.double()) ** 2).sum())
    assert error < 0.9 * before


def test_the_stage_reproduces_the_components_and_leaves_the_output_layer_alone():
    cfg = AutoencoderConfig(n_features=12, n_components=3, hidden_layer_sizes=(8,), input_projection=5)
    model = Autoencoder(cfg)
    init_input_projection(model, torch.randn(50, 12))
    stage = ComponentSpaceStage(model, seed=0)
    p = model.encoder.project(torch.randn(7, 12))
    assert stage.decode_logits(stage.encode(p)[0]).shape == (7, 5)
    assert all(param is not model.decoder.body[-1].weight for param in stage.head.parameters())


def test_a_fit_on_components_beats_pca_and_reads_them_through_the_saved_projection(digits, tmp_path):
    X, X_test = digits
    ae = AutoencoderTransformer(n_components=8, pca_components=24, random_state=0).fit(X)
    assert ae.loss_ == "mse" and ae.output_activation_ == "identity"
    assert ae.model_.encoder.projection.shape == (24, 64)
    pca = PCA(8).fit(ae.scaler_.transform(X))
    scaled = ae.scaler_.transform(X_test)
    pca_error = ((pca.inverse_transform(pca.transform(scaled)) - scaled) ** 2).mean()
    ae_error = ((ae.scaler_.transform(ae.inverse_transform(ae.transform(X_test))) - scaled) ** 2).mean()
    assert ae_error < pca_error
    path = tmp_path / "digits.aer"
    ae.save(path)
    loaded = load(path)
    assert loaded.pca_components == 24
    np.testing.assert_allclose(loaded.transform(X_test), ae.transform(X_test), atol=1e-5)
    np.testing.assert_allclose(loaded.inverse_transform(loaded.transform(X_test[:5])),
                               ae.inverse_transform(ae.transform(X_test[:5])), atol=1e-4)


def test_the_output_layer_reaches_beyond_the_components_the_network_learnt(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=8, pca_components=12, random_state=0).fit(X)
    scaled = torch.from_numpy(ae.scaler_.transform_float32(X))
    with torch.no_grad():
        error = float(((ae.model_(scaled) - scaled) ** 2).mean())
    floor = PCA(12).fit(scaled.numpy())
    pca12 = float(((floor.inverse_transform(floor.transform(scaled.numpy())) - scaled.numpy()) ** 2).mean())
    pca8 = PCA(8).fit(scaled.numpy())
    pca8_error = float(((pca8.inverse_transform(pca8.transform(scaled.numpy())) - scaled.numpy()) ** 2).mean())
    # The network reproduced 12 components; the least-squares layer maps its hidden units to every
    # column, below even the error of those 12 components themselves.
    assert error < pca12 < pca8_error


def test_partial_fit_refuses_pca_components(digits):
    X, _ = digits
    with pytest.raises(OptionError, match="partial_fit sees one chunk at a time"):
        AutoencoderTransformer(n_components=4, pca_components=16).partial_fit(X[:100])


def test_the_command_line_takes_pca_components_and_names_a_bad_value(tmp_path):
    X = load_digits().data[:400]
    csv = tmp_path / "digits.csv"
    np.savetxt(csv, X, delimiter=",", header=",".join(f"p{i}" for i in range(64)), comments="", fmt="%g")
    out = tmp_path / "digits.aer"
    result = CliRunner().invoke(main, ["fit", str(csv), "--dim", "4", "--pca-components", "16", "--epochs", "3",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert load(out).model_.encoder.projection.shape == (16, 64)
    bad = CliRunner().invoke(main, ["fit", str(csv), "--dim", "4", "--pca-components", "64", "-o",
                                    str(tmp_path / "x.aer")])
    assert bad.exit_code != 0
    assert bad.output.strip().splitlines()[-1] == ("Error: --pca-components 64 must be below the 64 features of X: "
                                                   "so many components reduce nothing")
    assert "Traceback" not in bad.output and not (tmp_path / "x.aer").exists()
    tied = CliRunner().invoke(main, ["fit", str(csv), "--dim", "4", "--pca-components", "16", "--tied", "--noise",
                                     "mask", "-o", str(tmp_path / "x.aer")])
    assert tied.exit_code != 0 and "does not combine with --tied, --noise mask:" in tied.output
    # refused before DATA is read (trial 20 read the whole file first): a file that could not be read
    # is not what the error names
    garbage = tmp_path / "unreadable.csv"
    garbage.write_bytes(b"\xff\xfe\x00 not a table")
    for command, options, conflict in (("fit", ["--conv", "8x8"], "an input_shape (--conv, --recurrent)"),
                                       ("fit-transform", ["--conv", "8x8"], "an input_shape (--conv, --recurrent)"),
                                       ("fit", ["--tied", "--noise", "mask"], "--tied, --noise mask"),
                                       ("fit", ["--noise", "mask", "--neighbour-weight", "0"], "--noise mask"),
                                       # a detector's members train no map: noise conflicts (a review)
                                       ("fit", ["--ensemble", "2", "--noise", "mask"], "--noise mask")):
        early = CliRunner().invoke(main, [command, str(garbage), "--dim", "4", "--pca-components", "16", *options,
                                          "-o", str(tmp_path / ("x.aer" if command == "fit" else "x.csv"))])
        assert early.exit_code == 2, early.output
        assert early.output.strip().splitlines()[-1] == (
            f"Error: --pca-components 16 does not combine with {conflict}: those need the rows themselves at the "
            "network's first layer")
    streamed = CliRunner().invoke(main, ["fit", str(garbage), "--dim", "4", "--pca-components", "16", "--stream",
                                         "-o", str(tmp_path / "x.aer")])
    assert streamed.exit_code == 2 and streamed.output.strip().splitlines()[-1].startswith(
        "Error: fit_stream sees one chunk at a time and cannot find the principal components of all rows")
    bce = CliRunner().invoke(main, ["fit", str(csv), "--dim", "4", "--pca-components", "16", "--loss", "bce",
                                    "--scaling", "minmax", "-o", str(tmp_path / "x.aer")])
    assert bce.exit_code != 0 and bce.output.strip().endswith("not --loss bce; use --loss mse with it")


def test_the_family_name_says_the_model_reads_principal_components():
    from aereduce._resolve import model_variant

    assert model_variant({"pca_components": 64}) == "on 64 principal components"
    assert model_variant({"pca_components": None}) == ""


def test_fit_transform_names_the_member_of_the_family_as_fit_does(tmp_path):
    X = load_digits().data[:300]
    csv = tmp_path / "digits.csv"
    np.savetxt(csv, X, delimiter=",", header=",".join(f"p{i}" for i in range(64)), comments="", fmt="%g")
    result = CliRunner().invoke(main, ["fit-transform", str(csv), "--dim", "4", "--pca-components", "16",
                                       "--epochs", "2", "--exclude", "p0", "-o", str(tmp_path / "codes.csv")])
    assert result.exit_code == 0, result.output
    # with its epochs, as fit's summary has them (fit-transform had left them out)
    assert any(line.startswith("fitted ae, on 16 principal components (4 dims) on 300 rows x 63 columns, 2 epochs in ")
               for line in result.stderr.splitlines()), result.stderr


def test_the_output_layer_on_few_rows_does_not_overfit_them(digits):
    """A fixed tiny ridge fitted 300 rows' 256 hidden units to an output layer whose error on new
    rows was 9x PCA's; the ridge chosen by leave-one-out error keeps it below PCA's."""
    X, X_test = digits
    train = X[:300]
    ae = AutoencoderTransformer(n_components=4, pca_components=16, random_state=0).fit(train)
    scaled, test = ae.scaler_.transform(train), ae.scaler_.transform(X_test)
    pca = PCA(4).fit(scaled)
    pca_error = ((pca.inverse_transform(pca.transform(test)) - test) ** 2).mean()
    error = ((ae.scaler_.transform(ae.inverse_transform(ae.transform(X_test))) - test) ** 2).mean()
    assert error < pca_error


def test_the_ridge_grows_with_the_noise_the_layer_would_fit():
    from aereduce._training import RIDGE_GRID, leave_one_out_ridge

    generator = torch.Generator().manual_seed(0)
    design = torch.randn(200, 40, generator=generator, dtype=torch.float64)
    weights = torch.randn(40, 3, generator=generator, dtype=torch.float64)
    clean = design @ weights
    noisy = clean + 30 * torch.randn(200, 3, generator=generator, dtype=torch.float64)
    scale = float(torch.linalg.eigvalsh(design.T @ design).mean()) / 200
    assert leave_one_out_ridge(design, clean) == pytest.approx(RIDGE_GRID[0] * scale)
    assert leave_one_out_ridge(design, noisy) >= 0.1 * scale


def test_the_same_seed_gives_the_same_codes(digits):
    X, _ = digits
    torch.manual_seed(1)  # the global RNG must not matter
    first = AutoencoderTransformer(n_components=4, pca_components=16, random_state=3, max_iter=3).fit_transform(X)
    torch.manual_seed(2)
    second = AutoencoderTransformer(n_components=4, pca_components=16, random_state=3, max_iter=3).fit_transform(X)
    np.testing.assert_array_equal(first, second)


def test_an_ensemble_refuses_to_stream_rather_than_ignore_it(tmp_path):
    X = load_digits().data[:200]
    csv = tmp_path / "digits.csv"
    np.savetxt(csv, X, delimiter=",", header=",".join(f"p{i}" for i in range(64)), comments="", fmt="%g")
    result = CliRunner().invoke(main, ["fit", str(csv), "--ensemble", "2", "--stream", "-o", str(tmp_path / "d.aer")])
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == ("Error: an outlier detector (--ensemble) reads DATA whole and "
                                                      "cannot stream it; leave out --stream")
    assert not (tmp_path / "d.aer").exists()


@pytest.mark.parametrize("changed", [dict(pca_components=8), dict(variational=False)])
def test_a_file_saved_after_set_params_describes_the_fitted_model(digits, tmp_path, changed):
    X, X_test = digits
    given = dict(pca_components=16) if "pca_components" in changed else dict(variational=True)
    ae = AutoencoderTransformer(n_components=4, random_state=0, max_iter=3, **given).fit(X)
    codes = ae.transform(X_test)
    ae.set_params(**changed)  # not refitted: the model is still the one fitted above
    ae.save(tmp_path / "m.aer")
    loaded = load(tmp_path / "m.aer")
    np.testing.assert_allclose(loaded.transform(X_test), codes, atol=1e-5)
    assert loaded.get_params()[next(iter(given))] == given[next(iter(given))]
