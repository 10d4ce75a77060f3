"""The neighbour-embedding term: its graph, its loss, the two-phase fit and its "auto" rule."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_blobs
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from torch.nn import functional as F

from aereduce import AutoencoderTransformer
from aereduce._model import Autoencoder, AutoencoderConfig
from aereduce._modelfile import read_model_file, write_model_file
from aereduce._params import AUTOENCODER_PARAMS
from aereduce._persistence import fitted_from_json
from aereduce._resolve import ResolvedOptions, auto_neighbour_epochs, neighbour_weight
from aereduce._training import (
    FitHistory,
    ProjectedEncoderStage,
    Trainer,
    encode_rows,
    init_code_standardisation,
    init_input_projection,
    make_generator,
    model_from_tensors,
)
from aereduce.errors import OptionError
from aereduce.objective import (
    GivenCodes,
    NeighbourEmbedding,
    Objective,
    Penalty,
    Reconstruction,
    clustered_knn_graph,
    info_nce_heavy_tailed,
    knn_graph,
)

CPU = torch.device("cpu")


def _params(**overrides):
    params = {k: p.default for k, p in AUTOENCODER_PARAMS.items()}
    params.update(overrides)
    return params


def knn_accuracy(Z, y):
    return cross_val_score(KNeighborsClassifier(7), Z, y, cv=3).mean()


@pytest.fixture(scope="module")
def blobs():
    """Three well-separated clusters in 50 dimensions, 1,200 rows: enough for "auto" to turn the term on."""
    X, y = make_blobs(n_samples=1200, n_features=50, centers=3, cluster_std=1.0, center_box=(-10, 10),
                      random_state=0)
    return X, y


@pytest.fixture(scope="module")
def blob_model(blobs):
    X, _ = blobs
    return AutoencoderTransformer(n_components=2, max_iter=2, random_state=0).fit(X)


# -- the graph -----------------------------------------------------------------------------------

@pytest.mark.parametrize("block", [None, 64])
def test_knn_graph_equals_scikit_learns(block):
    X = np.random.default_rng(0).normal(size=(300, 10)).astype(np.float32)
    ours = knn_graph(torch.from_numpy(X), 7, block=block).numpy()
    theirs = NearestNeighbors(n_neighbors=7).fit(X).kneighbors(return_distance=False)  # self excluded
    np.testing.assert_array_equal(np.sort(ours, axis=1), np.sort(theirs, axis=1))


def _edge_recall(found: np.ndarray, exact: np.ndarray) -> float:
    return sum(len(np.intersect1d(a, b)) for a, b in zip(found, exact)) / exact.size


def test_clustered_graph_finds_most_exact_edges_and_never_a_row_itself():
    X, _ = make_blobs(n_samples=3000, n_features=10, centers=20, cluster_std=3.0, random_state=0)
    X = torch.from_numpy(X.astype(np.float32))
    exact = knn_graph(X, 10, exact=True).numpy()
    found = clustered_knn_graph(X, 10, generator=torch.Generator().manual_seed(0)).numpy()
    assert found.shape == (3000, 10)
    assert not (found == np.arange(3000)[:, None]).any()
    assert all(len(set(row)) == 10 for row in found)
    assert _edge_recall(found, exact) > 0.9
    # Probing every cluster is an exact search.
    everything = clustered_knn_graph(X, 10, n_probe=10_000, generator=torch.Generator().manual_seed(0)).numpy()
    assert _edge_recall(everything, exact) == 1.0


def test_clustered_graph_is_seeded():
    X = torch.randn(2000, 5, generator=torch.Generator().manual_seed(1))
    first, second = (clustered_knn_graph(X, 5, generator=torch.Generator().manual_seed(3)) for _ in range(2))
    assert torch.equal(first, second)


def test_knn_graph_turns_approximate_on_a_cpu_from_the_threshold(monkeypatch):
    import aereduce.objective as objective

    calls = []
    monkeypatch.setattr(objective, "clustered_knn_graph", lambda X, k, generator=None: calls.append(len(X)) or "approx")
    monkeypatch.setattr(objective, "APPROXIMATE_GRAPH_ROWS", 100)
    X = torch.randn(150, 3, generator=torch.Generator().manual_seed(0))
    assert objective.knn_graph(X, 4) == "approx" and calls == [150]
    assert objective.knn_graph(X[:99], 4).shape == (99, 4)  # below the threshold: exact
    assert objective.knn_graph(X, 4, exact=True).shape == (150, 4)
    assert calls == [150]


def test_knn_graph_needs_more_rows_than_neighbours():
    with pytest.raises(ValueError, match="more than 5 rows"):
        knn_graph(torch.zeros(5, 2), 5)


def test_prepare_builds_directed_edges_and_caps_k():
    X = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    term = NeighbourEmbedding(1.0, n_neighbors=4)
    term.prepare(X, make_generator(0, CPU))
    assert term.heads.shape == term.tails.shape == (160,)
    np.testing.assert_array_equal(term.heads.numpy(), np.repeat(np.arange(40), 4))
    assert not (term.heads == term.tails).any()
    small = NeighbourEmbedding(1.0, n_neighbors=15)
    small.prepare(X[:6], make_generator(0, CPU))
    assert small.heads.shape == (30,)  # k capped at n - 1


def test_batches_are_heads_then_tails_and_cover_every_edge_before_repeating():
    X = torch.randn(300, 3, generator=torch.Generator().manual_seed(1))
    term = NeighbourEmbedding(1.0, n_neighbors=5)  # 1,500 edges: two batches of 512 a pass (the rest waits)
    generator = make_generator(0, CPU)
    term.prepare(X, generator)
    edges = set(zip(term.heads.tolist(), term.tails.tolist()))
    batches = list(term.batches(300, generator))
    assert len(batches) == term.steps_per_epoch(300) == 100
    B = NeighbourEmbedding.batch_edges
    for index in batches:
        assert index.shape == (2 * B,)
        assert set(zip(index[:B].tolist(), index[B:].tolist())) <= edges
    first_pass = torch.cat([b[:B] * 1000 + b[B:] for b in batches[:2]])
    assert len(set(first_pass.tolist())) == 2 * B  # no edge twice in one pass


# -- the loss ------------------------------------------------------------------------------------

def info_nce_reference(heads, tails, dof=1.0):
    """InfoNCE as a direct log-softmax over every other point, Student's t kernel, both ends anchors."""
    z = torch.cat([heads, tails])
    n, B = z.shape[0], heads.shape[0]
    logits = -dof * torch.log1p(torch.cdist(z, z).pow(2) / dof)
    logits = logits.masked_fill(torch.eye(n, dtype=torch.bool), -math.inf)
    partner = (torch.arange(n) + B) % n
    return -F.log_softmax(logits, dim=1)[torch.arange(n), partner].mean()


@pytest.mark.parametrize("dim, block, dof", [(2, None, 1.0), (3, 7, 1.0), (8, 16, 1.0), (2, None, 0.8), (3, 7, 0.5), (2, 9, 3.0)])
def test_info_nce_equals_the_log_softmax_formula_and_its_gradient(dim, block, dof):
    generator = torch.Generator().manual_seed(dim)
    heads = (3 * torch.randn(20, dim, generator=generator, dtype=torch.float64)).requires_grad_()
    tails = (heads.detach() + 0.5 * torch.randn(20, dim, generator=generator, dtype=torch.float64)).requires_grad_()
    ours = info_nce_heavy_tailed(heads, tails, dof, block=block)
    expected = info_nce_reference(heads, tails, dof)
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad(ours, (heads, tails))
    expected_grads = torch.autograd.grad(expected, (heads, tails))
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dof", [1.0, 0.8])
def test_info_nce_passes_gradcheck(dof):
    generator = torch.Generator().manual_seed(5)
    heads = torch.randn(6, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    tails = torch.randn(6, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda h, t: info_nce_heavy_tailed(h, t, dof, block=5), (heads, tails))


def test_heavier_tails_lower_the_loss_of_far_negatives_less():
    # With a heavier tail a far negative keeps more kernel mass, so the same well-separated
    # layout costs more: the kernel's shape reaches the loss.
    heads = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    tails = torch.tensor([[0.1, 0.0], [10.1, 0.0]])
    assert info_nce_heavy_tailed(heads, tails, 0.5) > info_nce_heavy_tailed(heads, tails, 1.0)


@pytest.mark.parametrize("dof", [0.0, -1.0, float("nan")])
def test_info_nce_refuses_a_kernel_without_positive_degrees_of_freedom(dof):
    with pytest.raises(ValueError, match="must be a positive number"):
        info_nce_heavy_tailed(torch.zeros(2, 2), torch.ones(2, 2), dof)


def test_the_term_scales_the_codes_and_its_weight():
    code = torch.randn(8, 2, generator=torch.Generator().manual_seed(2))
    step = type("S", (), {"code": code})()
    term = NeighbourEmbedding(2.5)
    expected = 2.5 * info_nce_heavy_tailed(4.0 * code[:4], 4.0 * code[4:], NeighbourEmbedding.kernel_dof)
    torch.testing.assert_close(term(step), expected)


# -- the objective and the trainer ---------------------------------------------------------------

def test_from_params_auto_and_zero_are_off_positive_is_on():
    assert NeighbourEmbedding.from_params(_params()) is None  # unresolved "auto": off
    assert NeighbourEmbedding.from_params(_params(neighbour_weight=0.0)) is None
    term = NeighbourEmbedding.from_params(_params(neighbour_weight=0.5, n_neighbors=9))
    assert (term.weight, term.n_neighbors) == (0.5, 9)
    obj = Objective.from_params(_params(neighbour_weight=1.0), "bce")
    assert [type(p) for p in obj.penalties] == [NeighbourEmbedding]
    assert obj.decoder_afterwards and obj.learning_rate == 1e-2
    assert obj.reconstruction.weight == 0.0  # the decoder is fitted afterwards
    assert Objective.from_params(_params(), "bce").reconstruction.weight == 1.0


def test_a_zero_reconstruction_weight_skips_the_decoder():
    model = Autoencoder(AutoencoderConfig(n_features=4, n_components=2, hidden_layer_sizes=(8,)))
    obj = Objective(Reconstruction("mse", 0.0), [NeighbourEmbedding(1.0)])
    terms = obj.terms(model, torch.randn(6, 4), make_generator(0, CPU))
    assert list(terms) == ["neighbours"]
    terms["neighbours"].backward()
    assert all(p.grad is None for p in model.decoder.parameters())
    assert all(p.grad is not None for p in model.encoder.parameters())


class EveryOtherRow(Penalty):
    """A penalty that chooses its batches (rows 0, 2, 4, ...) and records what it was prepared with."""

    name = "every_other"

    def prepare(self, X, generator):
        self.prepared = X.shape

    def steps_per_epoch(self, n_rows):
        return 3

    def batches(self, n_rows, generator):
        return iter([torch.arange(0, n_rows, 2)] * 3)

    def __call__(self, step):
        self.seen = step.x.shape
        return step.code.pow(2).mean()


def test_trainer_takes_a_penalty_s_batches_and_moves_only_the_given_parameters():
    model = Autoencoder(AutoencoderConfig(n_features=4, n_components=2, hidden_layer_sizes=(8,)))
    decoder_before = {k: v.clone() for k, v in model.decoder.state_dict().items()}
    term = EveryOtherRow()
    trainer = Trainer(model, Objective(Reconstruction("mse", 0.0), [term]), batch_size=5,
                      generator=make_generator(0, CPU), parameters=model.encoder.parameters())
    losses, _ = trainer.fit(torch.randn(10, 4), 2)
    assert term.prepared == (10, 4) and term.seen == (5, 4)
    assert len(losses) == 2 and trainer.scheduler.last_epoch == 6  # 2 epochs of the penalty's 3 steps
    assert all(torch.equal(v, decoder_before[k]) for k, v in model.decoder.state_dict().items())


def test_the_decoder_phase_trains_the_decoder_on_codes_given_beside_the_rows():
    torch.manual_seed(0)
    cfg = AutoencoderConfig(n_features=6, n_components=2, hidden_layer_sizes=(16,), input_projection=3,
                            decoder_standardises_code=True)
    model = Autoencoder(cfg)
    X = torch.randn(64, 6)
    init_input_projection(model, X)
    init_code_standardisation(model, encode_rows(model, X))
    encoder_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    codes = encode_rows(model, X)
    objective = GivenCodes(Reconstruction("mse"), [], n_codes=2)
    trainer = Trainer(model, objective, learning_rate=1e-2, batch_size=16,
                      generator=make_generator(0, CPU), parameters=model.decoder.parameters())
    losses, _ = trainer.fit(torch.cat([codes, X], dim=1), 20)
    assert losses[-1] < losses[0]
    assert all(torch.equal(v, encoder_before[k]) for k, v in model.encoder.state_dict().items())
    # the loss is the rows' reconstruction from the given codes, as the model itself decodes them
    pairs = torch.cat([codes, X], dim=1)
    with torch.no_grad():
        expected = (model.output(model.decode_logits(model.encode(X)[0])) - X).pow(2).mean(dim=1)
        torch.testing.assert_close(objective.evaluate(model, pairs), expected)
        torch.testing.assert_close(trainer.evaluate(pairs), float(expected.mean()), rtol=1e-5, atol=0)


# -- the model's fixed parts ---------------------------------------------------------------------

def test_input_projection_is_scaled_pca_and_code_standardisation_is_set():
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.normal(size=(500, 5)) * [5, 2, 1, 0.5, 0.1], dtype=torch.float32)
    cfg = AutoencoderConfig(n_features=5, n_components=2, hidden_layer_sizes=(8,), input_projection=3,
                            decoder_standardises_code=True)
    model = Autoencoder(cfg)
    init_input_projection(model, X)
    P = model.encoder.project(X)
    assert P.shape == (500, 3)
    assert float(P[:, 0].std()) == pytest.approx(1.0, rel=1e-3)  # scaled by the first axis' spread
    assert float(P[:, 1].std()) == pytest.approx(0.4, rel=0.05)
    torch.testing.assert_close(P.mean(dim=0), torch.zeros(3), atol=1e-5, rtol=0)
    init_code_standardisation(model, encode_rows(model, X))
    with torch.no_grad():
        Z = model.encode(X)[0]
    torch.testing.assert_close(model.decoder.code_mean, Z.mean(dim=0))
    assert float(model.decoder.code_scale) == pytest.approx(float(Z.std(dim=0).mean()), rel=1e-5)
    state = model.state_dict()
    assert state["encoder.projection"].shape == (3, 5) and state["encoder.projection_mean"].shape == (5,)
    assert state["encoder.body.0.weight"].shape == (8, 3)
    assert state["decoder.code_mean"].shape == (2,) and state["decoder.code_scale"].shape == (1,)
    loaded = model_from_tensors(cfg, {f"model.{k}": v.numpy() for k, v in state.items()}, CPU, "<test>")
    with torch.no_grad():
        torch.testing.assert_close(loaded(X), model(X))


def test_configs_without_the_new_fields_build_the_old_model():
    keys = set(Autoencoder(AutoencoderConfig(n_features=5, n_components=2)).state_dict())
    assert not any("projection" in k or "code_" in k for k in keys)


# -- the "auto" rule -----------------------------------------------------------------------------

def test_auto_is_on_for_maps_of_1000_rows_by_the_plain_mlp():
    assert neighbour_weight(_params(n_components=2), 1000) == 1.0
    assert neighbour_weight(_params(n_components=3), 60_000) == 1.0
    assert neighbour_weight(_params(n_components=2), 999) == 0.0
    assert neighbour_weight(_params(n_components=4), 5000) == 0.0
    assert neighbour_weight(_params(n_components=2), 5000, streaming=True) == 0.0
    for option in [{"variational": True}, {"sparsity": "l1"}, {"contractive_weight": 0.1},
                   {"tied_weights": True}, {"pretrain": True}, {"input_shape": (1, 8, 8)}]:
        assert neighbour_weight(_params(n_components=2, **option), 5000) == 0.0, option
        with pytest.raises(OptionError, match=next(iter(option))):
            neighbour_weight(_params(n_components=2, neighbour_weight=1.0, **option), 5000)
    assert neighbour_weight(_params(n_components=8, neighbour_weight=0.5), 10) == 0.5  # explicit: as given
    assert neighbour_weight(_params(neighbour_weight=0.0), 5000) == 0.0
    with pytest.raises(OptionError, match="partial_fit"):
        neighbour_weight(_params(neighbour_weight=1.0), 5000, streaming=True)


def test_auto_budget_follows_the_rows_and_the_device():
    assert auto_neighbour_epochs(60_000) == 25 and auto_neighbour_epochs(1_000_000) == 25
    assert auto_neighbour_epochs(60_000, accelerated=True) == 40
    # by the square root of the share of 60,000 rows, at least 5
    assert auto_neighbour_epochs(15_000) == round(25 * 0.5) and auto_neighbour_epochs(30_000, accelerated=True) == 28
    assert auto_neighbour_epochs(5_007) == round(25 * (5_007 / 60_000) ** 0.5) == 7  # Computers' training rows
    assert auto_neighbour_epochs(1797) == auto_neighbour_epochs(0) == 5
    assert auto_neighbour_epochs(54_000) == 24


def test_files_without_the_new_fields_resolve_the_term_off():
    old = {"n_components_": 2, "scaling_": "none", "loss_": "bce", "output_activation_": "sigmoid",
           "hidden_layer_sizes_": [8], "batch_size_": 16, "max_iter_": 3, "early_stopping_": False,
           "linear_skip_": False, "n_iter_": 3, "loss_curve_": [1.0, 0.5, 0.2]}
    resolved = fitted_from_json(ResolvedOptions, old)
    assert (resolved.neighbour_weight_, resolved.decoder_iter_, resolved.encoder_layer_norm_) == (0.0, 0, False)
    assert fitted_from_json(FitHistory, old).decoder_loss_curve_ is None


def test_a_model_file_written_before_the_term_still_loads(tmp_path):
    X, _ = load_digits(return_X_y=True)
    ae = AutoencoderTransformer(n_components=2, max_iter=2, neighbour_weight=0.0, random_state=0).fit(X[:300])
    ae.save(tmp_path / "new.aer")
    kind, tensors, meta = read_model_file(tmp_path / "new.aer")
    for name in ("neighbour_weight", "n_neighbors"):
        del meta["params"][name]
    for name in ("neighbour_weight_", "decoder_iter_", "decoder_loss_curve_"):
        del meta["fitted"][name]
    write_model_file(tmp_path / "old.aer", kind, tensors, meta)
    old = AutoencoderTransformer.load(tmp_path / "old.aer")
    assert old.neighbour_weight_ == 0.0 and old.neighbour_weight == "auto"
    np.testing.assert_array_equal(old.transform(X[:50]), ae.transform(X[:50]))


# -- fitting -------------------------------------------------------------------------------------

def test_three_blobs_give_a_separated_2d_map(blobs, blob_model):
    X, y = blobs
    ae = blob_model
    assert ae.neighbour_weight_ == 1.0  # "auto": 2-D, 1,200 rows, plain MLP
    assert ae.hidden_layer_sizes_ == (256, 256, 256) and not ae.linear_skip_
    # the map's encoder normalises its hidden layers (on an H100, Fashion-MNIST's 2-D kNN accuracy
    # at 3,000 steps rose from 75.1-75.7% to 76.8-77.8%); a plain autoencoder's does not
    assert ae.encoder_layer_norm_
    assert sum(isinstance(m, torch.nn.LayerNorm) for m in ae.model_.encoder.body) == 3
    plain = AutoencoderTransformer(n_components=2, neighbour_weight=0.0, max_iter=1, random_state=0).fit(X[:200])
    assert not plain.encoder_layer_norm_
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in plain.model_.modules())
    assert ae.n_iter_ == len(ae.loss_curve_) == 2 and ae.decoder_iter_ >= 1
    assert len(ae.decoder_loss_curve_) >= 1 and len(ae.validation_scores_) == len(ae.decoder_loss_curve_)
    Z = ae.transform(X)
    assert knn_accuracy(Z, y) >= 0.95
    # transform is one forward pass of the encoder, fixed projection included
    # (in bfloat16 where the map trained in it: precision="auto" on a CPU with native bfloat16)
    mixed = torch.autocast("cpu", dtype=torch.bfloat16, enabled=ae.precision_ == "bfloat16")
    with torch.no_grad(), mixed:
        rows = torch.tensor(ae.scaler_.transform(X), dtype=torch.float32, device=ae.device_)
        direct = ae.model_.encoder(rows)[0].float().cpu().numpy()
    np.testing.assert_allclose(Z, direct, rtol=1e-6, atol=1e-6)


def test_inverse_transform_and_save_load(tmp_path, blobs, blob_model):
    X, _ = blobs
    ae = blob_model
    Z = ae.transform(X)
    X_hat = ae.inverse_transform(Z)
    assert X_hat.shape == X.shape and np.isfinite(X_hat).all()
    assert ae.score(X) > -1.0  # standardised units: the decoder explains much of the variance
    ae.save(tmp_path / "m.aer")
    loaded = AutoencoderTransformer.load(tmp_path / "m.aer")
    np.testing.assert_array_equal(loaded.transform(X), Z)
    np.testing.assert_array_equal(loaded.inverse_transform(Z), X_hat)
    assert (loaded.neighbour_weight_, loaded.decoder_iter_) == (ae.neighbour_weight_, ae.decoder_iter_)
    assert loaded.decoder_loss_curve_ == ae.decoder_loss_curve_
    # the map's range, as for a plain model: of the codes in float32, where transform runs in the
    # precision the map trained in (bfloat16 where it is native: within about 1%)
    tolerance = 1e-2 if ae.precision_ == "bfloat16" else 1e-5
    np.testing.assert_allclose(ae.code_range_, [Z.min(axis=0), Z.max(axis=0)], rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(loaded.code_range_, ae.code_range_)


def test_a_fitted_model_pickles_without_its_graph(blob_model):
    import pickle

    ae = blob_model
    ae._objective().penalties[0].heads = torch.arange(10)  # as during a fit
    restored = pickle.loads(pickle.dumps(ae))
    assert restored._objective().penalties[0].heads is None


def test_partial_fit_leaves_the_term_off_or_refuses_it(blobs, blob_model):
    X, _ = blobs
    ae = AutoencoderTransformer(n_components=2, random_state=0).partial_fit(X)
    assert ae.neighbour_weight_ == 0.0
    with pytest.raises(OptionError, match="partial_fit"):
        AutoencoderTransformer(n_components=2, neighbour_weight=1.0).partial_fit(X)
    with pytest.raises(OptionError, match="partial_fit cannot continue"):
        blob_model.partial_fit(X)


def test_linear_skip_with_the_term_is_an_error(blobs):
    X, _ = blobs
    with pytest.raises(OptionError, match="linear_skip"):
        AutoencoderTransformer(n_components=2, linear_skip=True, max_iter=1).fit(X)


def test_on_digits_the_default_2d_map_beats_reconstruction_alone():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    default = AutoencoderTransformer(n_components=2, max_iter=3, random_state=0).fit(X)
    plain = AutoencoderTransformer(n_components=2, max_iter=3, neighbour_weight=0, random_state=0).fit(X)
    assert default.neighbour_weight_ == 1.0 and plain.neighbour_weight_ == 0.0
    with_term, without = knn_accuracy(default.transform(X), y), knn_accuracy(plain.transform(X), y)
    assert with_term > without
    assert with_term > 0.9


def test_the_encoder_phase_trains_on_rows_projected_once():
    X = torch.randn(64, 12, generator=torch.Generator().manual_seed(0))
    model = Autoencoder(AutoencoderConfig(n_features=12, n_components=2, hidden_layer_sizes=(8,), input_projection=5))
    init_input_projection(model, X)
    stage = ProjectedEncoderStage(model)
    with torch.no_grad():
        torch.testing.assert_close(stage.encode(model.encoder.project(X))[0], model.encode(X)[0])
    with pytest.raises(TypeError, match="no decoder"):
        stage.decode_logits(torch.zeros(1, 2))
