"""Unit tests of aereduce._training: the loop, its callbacks, pretraining, PCA's start and loading."""

import math
import types

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from aereduce._model import Autoencoder, AutoencoderConfig
from aereduce._training import (
    Callback,
    EarlyStopping,
    EpochRecord,
    PrintEpochs,
    Progress,
    Trainer,
    build_model,
    init_from_pca,
    make_generator,
    model_from_tensors,
    pretrain_layerwise,
    resolve_device,
)
from aereduce.errors import ModelFileError, OptionError, TrainingError
from aereduce.objective import Objective, Reconstruction

CPU = torch.device("cpu")


def _cfg(**kwargs):
    return AutoencoderConfig(**{"n_features": 5, "n_components": 2, "hidden_layer_sizes": (8,), **kwargs})


def _model(seed=0, **kwargs):
    return build_model(_cfg(**kwargs), seed, CPU)


def _data(n=64, d=5, rank=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d)) + 0.05 * rng.normal(size=(n, d))
    return torch.tensor(X, dtype=torch.float32)


def _trainer(model, lr=1e-2, batch_size=16, callbacks=None, seed=0):
    return Trainer(model, Objective(Reconstruction("mse"), []), learning_rate=lr, batch_size=batch_size,
                   generator=make_generator(seed, CPU), callbacks=callbacks)


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class ScriptedTrainer(Trainer):
    """Real training steps, but validation losses read from a script (to drive early stopping)."""

    def __init__(self, *args, script, **kwargs):
        super().__init__(*args, **kwargs)
        self.script = list(script)

    def evaluate(self, X):
        return self.script.pop(0)


class Snapshots(Callback):
    """The model's weights after each epoch."""

    def __init__(self):
        self.states = []

    def on_epoch_end(self, trainer, record):
        self.states.append(_state(trainer.model))
        return False


# -- the loop ------------------------------------------------------------------------------------

def test_fit_decreases_the_loss_on_a_linear_problem():
    model = _model(hidden_layer_sizes=(), activation="identity")
    X = _data()
    trainer = _trainer(model, lr=3e-2)
    before = trainer.evaluate(X)
    losses, val = trainer.fit(X, 6, use_schedule=False)
    assert len(losses) == 6 and val == []
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.5 * losses[0]
    assert trainer.evaluate(X) < 0.5 * before


def test_fit_returns_validation_losses_and_ends_the_schedule_at_zero():
    model = _model()
    X = _data()
    trainer = _trainer(model)
    losses, val = trainer.fit(X, 2, X_val=X[:10])
    assert len(losses) == len(val) == 2
    # the last validation loss is the model's reconstruction error on the validation rows
    assert val[-1] == pytest.approx(trainer.evaluate(X[:10]), rel=1e-6)
    # 2 epochs of 4 steps: the cosine has reached zero after the last step
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_same_seed_same_training():
    X = _data()
    a, b = _model(seed=3), _model(seed=3)
    la, _ = _trainer(a, seed=1).fit(X, 2)
    lb, _ = _trainer(b, seed=1).fit(X, 2)
    assert la == lb
    assert _same_state(a.state_dict(), b.state_dict())


def test_non_finite_loss_raises_training_error():
    X = _data()
    X[3, 2] = float("inf")
    trainer = _trainer(_model())
    with pytest.raises(TrainingError, match="epoch 1"):
        trainer.fit(X, 2)


def test_huge_learning_rate_raises_training_error():
    X = _data()
    trainer = _trainer(_model(hidden_layer_sizes=(8,), activation="relu"), lr=1e30)
    with pytest.raises(TrainingError, match="diverged"):
        trainer.fit(X, 3, use_schedule=False)


def test_schedule_warm_up_then_cosine_to_zero():
    model = _model()
    trainer = _trainer(model, lr=0.1)
    trainer.set_schedule(40, warmup_fraction=0.1)  # 4 warm-up steps
    lrs = [trainer.optimizer.param_groups[0]["lr"]]
    for _ in range(44):
        trainer.optimizer.step()
        trainer.scheduler.step()
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
    expected = []
    for step in range(45):
        if step < 4:
            expected.append(0.1 * (step + 1) / 4)
        else:
            progress = min(1.0, (step - 4) / 36)
            expected.append(0.1 * 0.5 * (1 + math.cos(math.pi * progress)))
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)
    assert lrs[3] == pytest.approx(0.1) and lrs[4] == pytest.approx(0.1)
    assert lrs[22] == pytest.approx(0.05)  # half way through the cosine
    assert lrs[40] == 0.0 and lrs[44] == 0.0


# -- early stopping ------------------------------------------------------------------------------

def test_early_stopping_stops_after_patience_stale_epochs_and_restores_the_best():
    model = _model()
    snaps = Snapshots()
    stop = EarlyStopping(patience=3, tol=0.01)
    # epoch 2 is best; 0.495 is not better by tol; then two more stale epochs
    trainer = ScriptedTrainer(model, Objective(Reconstruction("mse"), []), learning_rate=1e-2, batch_size=16,
                              generator=make_generator(0, CPU), callbacks=[snaps, stop],
                              script=[1.0, 0.5, 0.495, 0.6, 0.7, 0.1, 0.1])
    losses, val = trainer.fit(_data(), 7, X_val=_data(n=8))
    assert len(losses) == 5
    assert val == [1.0, 0.5, 0.495, 0.6, 0.7]
    assert stop.best == 0.5
    assert stop.kept_initial is None and trainer.kept_initial_weights is None
    assert not _same_state(snaps.states[1], snaps.states[4])  # training went on after the best
    assert _same_state(_state(model), snaps.states[1])


def test_early_stopping_record_by_record():
    stop = EarlyStopping(patience=2, tol=0.0)
    trainer = _trainer(_model())
    stop.on_fit_begin(trainer, 10)
    rec = lambda e, v: EpochRecord(e, 10, 1.0, v, 0.0)  # noqa: E731
    assert stop.on_epoch_end(trainer, rec(1, None)) is False  # no validation rows: never stops
    assert [stop.on_epoch_end(trainer, rec(e, v)) for e, v in [(2, 3.0), (3, 2.0), (4, 2.0), (5, 1.0), (6, 1.5),
                                                              (7, 1.0)]] == [False, False, False, False, False, True]
    assert stop.stale == 2 and stop.best == 1.0


def test_early_stopping_waits_for_the_learning_rate_warm_up():
    # 200 epochs: the rate climbs for the first 10, when a fit from PCA's solution first gets worse.
    trainer = _trainer(_model())
    trainer.fit(_data(n=16), 1)
    assert trainer.warmup_epochs == 1
    trainer.warmup_epochs = 10
    stop = EarlyStopping(patience=3, tol=0.0, initial_loss=1.0)
    stop.on_fit_begin(trainer, 200)
    rec = lambda e, v: EpochRecord(e, 200, 1.0, v, 0.0)  # noqa: E731
    assert not any(stop.on_epoch_end(trainer, rec(e, 2.0)) for e in range(1, 11))
    assert stop.stale == 0
    assert [stop.on_epoch_end(trainer, rec(e, 2.0)) for e in (11, 12, 13)] == [False, False, True]


def test_the_warm_up_spans_a_twentieth_of_a_scheduled_fit():
    trainer = _trainer(_model())
    trainer.fit(_data(n=16), 41)
    assert trainer.warmup_epochs == 3
    trainer.fit(_data(n=16), 41, use_schedule=False)
    assert trainer.warmup_epochs == 0


def test_initial_weights_kept_when_no_epoch_beats_them():
    model = _model()
    initial = _state(model)
    stop = EarlyStopping(patience=50, tol=1e-4, initial_loss=0.0)
    trainer = _trainer(model, callbacks=[stop])
    losses, _ = trainer.fit(_data(), 3, X_val=_data(n=8, seed=1))
    assert len(losses) == 3
    assert stop.kept_initial is True and trainer.kept_initial_weights is True
    assert _same_state(_state(model), initial)


def test_initial_weights_lose_to_a_better_epoch():
    model = _model()
    initial = _state(model)
    stop = EarlyStopping(patience=50, tol=1e-4, initial_loss=float("inf"))
    trainer = _trainer(model, callbacks=[stop])
    trainer.fit(_data(), 2, X_val=_data(n=8, seed=1))
    assert stop.kept_initial is False and trainer.kept_initial_weights is False
    assert not _same_state(_state(model), initial)


class _RowLosses:
    """An objective whose per-row validation loss is ``X[:, 0] * w``, w the model's one weight."""

    def evaluate(self, model, X):
        return X[:, 0] * model.w


def _restore_check(row_gains):
    """EarlyStopping's end of fit after an epoch beat the start (w 1 -> 0.5) by ``row_gains``."""
    model = torch.nn.Module()
    model.w = torch.nn.Parameter(torch.tensor(1.0))
    trainer = types.SimpleNamespace(model=model, objective=_RowLosses())
    X_val = torch.tensor(row_gains, dtype=torch.float32).reshape(-1, 1) * 2  # loss drop = X * 0.5
    stop = EarlyStopping(initial_loss=1.0, validation_rows=X_val)
    stop.on_fit_begin(trainer, 1)
    with torch.no_grad():
        model.w.fill_(0.5)
    stop.on_epoch_end(trainer, EpochRecord(1, 1, 0.0, 0.0, 0.0))
    assert stop.kept_initial is False
    stop.on_fit_end(trainer)
    return stop.kept_initial, float(model.w.detach())


def test_a_gain_on_every_validation_row_keeps_the_trained_weights():
    assert _restore_check([0.3, 0.5, 0.4, 0.6, 0.5, 0.4]) == (False, 0.5)


def test_a_gain_within_the_rows_noise_restores_the_start():
    # Mean gain 0.1 > 0 but the rows disagree: two standard errors are about 0.6.
    assert _restore_check([1.5, -1.2, 0.9, -0.8, 0.6, -0.4]) == (True, 1.0)


def test_one_validation_row_is_no_evidence():
    assert _restore_check([5.0]) == (True, 1.0)


# -- progress and printing -----------------------------------------------------------------------

def test_progress_reports_each_epoch():
    calls = []
    trainer = _trainer(_model(), callbacks=[Progress(lambda d, t: calls.append((d, t)))])
    trainer.fit(_data(n=16), 3)
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_progress_ends_at_total_after_an_early_stop():
    calls = []
    trainer = ScriptedTrainer(_model(), Objective(Reconstruction("mse"), []), batch_size=16,
                              generator=make_generator(0, CPU),
                              callbacks=[EarlyStopping(patience=1), Progress(lambda d, t: calls.append((d, t)))],
                              script=[1.0, 2.0, 0.5])
    losses, _ = trainer.fit(_data(n=16), 6, X_val=_data(n=4))
    assert len(losses) == 2
    assert calls == [(1, 6), (2, 6), (6, 6)]


def test_print_epochs_writes_one_line_per_epoch(capsys):
    trainer = _trainer(_model(), callbacks=[PrintEpochs()])
    losses, val = trainer.fit(_data(n=16), 3, X_val=_data(n=4))
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines):
        assert line.startswith(f"epoch {i + 1}/3: loss {losses[i]:.6f}, validation loss {val[i]:.6f} (")
        assert line.endswith(" s)")


def test_print_epochs_without_validation(capsys):
    trainer = _trainer(_model(), callbacks=[PrintEpochs()])
    losses, _ = trainer.fit(_data(n=16), 2)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all("validation" not in line for line in lines)
    assert lines[1].startswith(f"epoch 2/2: loss {losses[1]:.6f} (")


# -- layer-wise pretraining ----------------------------------------------------------------------

def test_pretrain_layerwise_curves_and_parameters():
    model = _model(hidden_layer_sizes=(8, 6), variational=True, linear_skip=True)
    before = _state(model)
    trainer = _trainer(model)
    curves = pretrain_layerwise(trainer, _data(), 2)
    assert len(curves) == 3
    assert all(len(c) == 2 and all(math.isfinite(v) for v in c) for c in curves)
    after = _state(model)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    stage_params = {f"encoder.body.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")}
    stage_params |= {"encoder.mean.weight", "encoder.mean.bias"}
    stage_params |= {f"decoder.body.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")}
    # every stage trained; the log-variance head and the linear skips are no stage's
    assert changed == stage_params


def test_pretrain_each_stage_trains_its_layer_and_mirror():
    model = _model(hidden_layer_sizes=(8,))
    trainer = _trainer(model)
    X = _data()
    seen = []

    class Watch(Trainer):  # record which parameters each stage optimises
        def __init__(self, stage, *args, **kwargs):
            seen.append({id(p) for p in stage.parameters()})
            super().__init__(stage, *args, **kwargs)

    import aereduce._training as training

    original = training.Trainer
    training.Trainer = Watch
    try:
        pretrain_layerwise(trainer, X, 1)
    finally:
        training.Trainer = original
    enc, dec = model.encoder, model.decoder
    ids = lambda *mods: {id(p) for m in mods for p in m.parameters()}  # noqa: E731
    assert seen == [ids(enc.body[0], dec.body[2]), ids(enc.mean, dec.body[0])]


def test_pretrain_tied_model():
    model = _model(hidden_layer_sizes=(8,), tied_weights=True)
    before = _state(model)
    curves = pretrain_layerwise(_trainer(model), _data(), 1)
    assert [len(c) for c in curves] == [1, 1]
    after = _state(model)
    assert all(not torch.equal(before[k], after[k]) for k in before)


def test_pretrain_refuses_the_conv_model():
    model = build_model(_cfg(n_features=16, input_shape=(1, 4, 4), conv_channels=(2,)), 0, CPU)
    with pytest.raises(OptionError, match="input_shape"):
        pretrain_layerwise(_trainer(model), torch.zeros(4, 16), 1)


# -- PCA's start ---------------------------------------------------------------------------------

def test_init_from_pca_reproduces_pca():
    X = _data(n=40, d=5, rank=3, seed=2) + torch.tensor([1.0, -2.0, 3.0, 0.0, 5.0])
    model = _model(hidden_layer_sizes=(8,), linear_skip=True)
    init_from_pca(model, X)
    pca = PCA(n_components=2).fit(X.numpy().astype(np.float64))
    X_pca = pca.inverse_transform(pca.transform(X.numpy().astype(np.float64)))
    with torch.no_grad():
        X_hat = model(X).numpy()
        code = model.encode(X)[0].numpy()
    np.testing.assert_allclose(X_hat, X_pca, atol=1e-4)
    Z = pca.transform(X.numpy().astype(np.float64))
    signs = np.sign((code * Z).sum(axis=0))
    np.testing.assert_allclose(code * signs, Z, atol=1e-4)
    assert not np.allclose(X_hat, X.numpy(), atol=1e-2)  # rank 2 of rank-3 data: PCA's error, not zero


def test_init_from_pca_needs_linear_skip():
    with pytest.raises(AssertionError):
        init_from_pca(_model(), _data())


# -- loading ---------------------------------------------------------------------------------------

def _tensors(model):
    return {"model." + k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_model_from_tensors_round_trip():
    model = _model(tied_weights=True)
    tensors = _tensors(model)
    tensors["scaling.mean"] = np.zeros(5)  # other tensors of the file are not the model's
    loaded = model_from_tensors(_cfg(tied_weights=True), tensors, CPU, "m.aer")
    assert not loaded.training
    assert _same_state(_state(loaded), _state(model))
    x = _data(n=3)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


def test_model_from_tensors_wrong_shape():
    tensors = _tensors(_model())
    tensors["model.encoder.mean.weight"] = np.zeros((3, 8), dtype=np.float32)
    with pytest.raises(ModelFileError, match=r"m\.aer: .*model\.encoder\.mean\.weight has shape \(3, 8\)"):
        model_from_tensors(_cfg(), tensors, CPU, "m.aer")


def test_model_from_tensors_missing_tensor():
    tensors = _tensors(_model())
    del tensors["model.decoder.body.0.bias"]
    with pytest.raises(ModelFileError, match=r"no tensor model\.decoder\.body\.0\.bias"):
        model_from_tensors(_cfg(), tensors, CPU, "m.aer")


def test_model_from_tensors_extra_tensor():
    tensors = _tensors(_model())
    tensors["model.encoder.extra.weight"] = np.zeros(2, dtype=np.float32)
    with pytest.raises(ModelFileError, match=r"unexpected tensor model\.encoder\.extra\.weight"):
        model_from_tensors(_cfg(), tensors, CPU, "m.aer")


def test_model_from_tensors_nan_tensor():
    tensors = _tensors(_model())
    tensors["model.encoder.body.0.weight"][1, 2] = np.nan
    with pytest.raises(ModelFileError, match=r"model\.encoder\.body\.0\.weight holds NaN"):
        model_from_tensors(_cfg(), tensors, CPU, "m.aer")


def test_model_from_tensors_config_mismatch():
    # an untied file read with a tied configuration: the decoder's weights are unexpected
    tensors = _tensors(_model())
    with pytest.raises(ModelFileError, match="model.decoder"):
        model_from_tensors(_cfg(tied_weights=True), tensors, CPU, "m.aer")


# -- devices and seeding ---------------------------------------------------------------------------

@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_resolve_device_missing_cuda():
    with pytest.raises(OptionError, match="cuda:99"):
        resolve_device("cuda:99")
    with pytest.raises(OptionError):
        resolve_device("cuda")


def test_resolve_device_cpu_and_nonsense():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(OptionError, match="not a torch device"):
        resolve_device("floppy")


@pytest.mark.skipif(torch.cuda.is_available() or torch.backends.mps.is_available(), reason="has an accelerator")
def test_resolve_device_auto_is_cpu_here():
    assert resolve_device("auto") == torch.device("cpu")


def test_build_model_is_seeded_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    a, b, c = _model(seed=5), _model(seed=5), _model(seed=6)
    assert torch.equal(torch.get_rng_state(), state)
    assert _same_state(_state(a), _state(b))
    assert not _same_state(_state(a), _state(c))
    g1, g2 = make_generator(4, CPU), make_generator(4, CPU)
    assert torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2))


def test_the_optimiser_uses_adamws_fused_kernel_on_a_cpu():
    model = Autoencoder(AutoencoderConfig(n_features=6, n_components=2, hidden_layer_sizes=(4,)))
    trainer = Trainer(model, Objective(Reconstruction("mse"), []), generator=make_generator(0, torch.device("cpu")))
    assert trainer.optimizer.defaults["fused"] is True
    X = torch.randn(32, 6, generator=torch.Generator().manual_seed(0))
    losses, _ = trainer.fit(X, 5)
    assert losses[-1] < losses[0]


# -- threads -------------------------------------------------------------------------------------


class ThreadsSeen(Callback):
    """torch's thread count during each epoch."""

    def __init__(self):
        self.threads = []

    def on_epoch_end(self, trainer, record):
        self.threads.append(torch.get_num_threads())
        return False


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_a_small_network_trains_on_one_thread_and_gives_the_threads_back(two_threads):
    seen = ThreadsSeen()
    _trainer(_model(), callbacks=[seen]).fit(_data(), 2)
    assert seen.threads == [1, 1] and torch.get_num_threads() == 2


def test_a_large_network_keeps_its_threads(two_threads):
    from aereduce._training import SMALL_STEP_MULTIPLY_ADDS, step_multiply_adds

    model = _model(n_features=784, hidden_layer_sizes=(512, 256))
    assert step_multiply_adds(model, 256) == 256 * 2 * (784 * 512 + 512 * 256 + 256 * 2) > SMALL_STEP_MULTIPLY_ADDS
    seen = ThreadsSeen()
    _trainer(model, batch_size=256, callbacks=[seen]).fit(_data(n=300, d=784), 1)
    assert seen.threads == [2]


def test_threads_come_back_when_training_fails(two_threads):
    with pytest.raises(TrainingError):
        _trainer(_model(), lr=1e30).fit(_data() * 1e20, 3)
    assert torch.get_num_threads() == 2


def test_convolutions_are_not_counted_as_small():
    from aereduce._training import step_multiply_adds

    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    assert step_multiply_adds(conv, 16) is None
    assert step_multiply_adds(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4)), 10) == 120


def test_verbose_prints_each_pretraining_stage_s_epochs(capsys):
    """Trial 51: with pretrain=True and verbose=1 only the fine-tuning's epochs were printed."""
    import numpy as np

    from aereduce import AutoencoderTransformer

    X = np.random.default_rng(0).normal(size=(200, 6))
    AutoencoderTransformer(n_components=2, pretrain=True, pretrain_iter=2, max_iter=1, verbose=1,
                           hidden_layer_sizes=(16, 8), random_state=0).fit(X)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": loss")[0] for line in lines[:6]] == [
        f"pretraining layer {layer}/3: epoch {epoch}/2" for layer in (1, 2, 3) for epoch in (1, 2)]
    assert lines[6].startswith("epoch 1/1: loss ")
    AutoencoderTransformer(n_components=2, pretrain=True, pretrain_iter=2, max_iter=1,
                           hidden_layer_sizes=(16, 8), random_state=0).fit(X)
    assert capsys.readouterr().err == ""  # quiet by default
