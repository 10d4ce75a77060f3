"""Training: device choice, seeding, PCA's start, and the epoch loop with its callbacks.

The loop is a :class:`Trainer` made of small steps (``train_step``, ``train_epoch``,
``evaluate``, ``fit``), each of which a subclass may override, in the spirit of skorch's
``NeuralNet``. What is minimised is an :class:`~aereduce.objective.Objective`; early
stopping, progress and verbose printing are :class:`Callback` objects. The estimator owns
validation and scikit-learn conventions; nothing here does.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch
from torch.nn import functional as F

import numpy as np

from ._model import Autoencoder, AutoencoderConfig, MLPDecoder, MLPEncoder, TiedDecoder
from ._split import MIN_UNITS_FOR_A_GAIN
from .errors import ModelFileError, OptionError, TrainingError
from .objective import Objective, Reconstruction


def resolve_device(device: str | torch.device) -> torch.device:
    """``'auto'`` picks CUDA, then Apple's MPS, then the CPU; anything else must name a device torch has."""
    if str(device) != "auto":
        try:
            chosen = torch.device(device)
        except (RuntimeError, ValueError):
            raise OptionError(f"device={device!r} is not a torch device; use auto, cpu, cuda, cuda:N or mps") from None
        if chosen.type == "cuda" and (not torch.cuda.is_available() or (chosen.index or 0) >= torch.cuda.device_count()):
            have = torch.cuda.device_count() if torch.cuda.is_available() else 0
            raise OptionError(f"device={device!r} is not available: torch sees {have} CUDA device(s); use auto or cpu")
        if chosen.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise OptionError(f"device={device!r} is not available on this machine; use auto or cpu")
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def bfloat16_is_fast(device: torch.device) -> bool:
    """Whether ``device`` has native bfloat16 arithmetic, where mixed precision pays off.

    On a CPU that is AVX-512 BF16 or AMX (read from /proc/cpuinfo, so other systems answer
    False); elsewhere bfloat16 is emulated and slower than float32.
    """
    if device.type == "cuda":
        # by default torch also says yes where bfloat16 is emulated (before Ampere: a V100, a T4; a review)
        try:
            return torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # a torch before that argument: its answer was the native one
            return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and _cpu_has_native_bfloat16()


@functools.cache
def _cpu_has_native_bfloat16() -> bool:
    """Read once per process: ``transform`` asks on every call, and /proc/cpuinfo grows with the cores."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# Below this many multiply-adds a training step (batch rows times linear weights), a second CPU
# thread gains nothing on an idle machine (a 25-column table's step: 1.01 ms on one thread,
# 0.96 ms on two) and loses 6-8 times over when another program holds a core, as the threads
# wait on each other at every one of a step's small operations (a 393-row table's fit: 1.1 s on
# one thread against 6-8 s on two, with one core busy). The 784-pixel step (270 million) runs
# 1.7 times faster on two.
SMALL_STEP_MULTIPLY_ADDS = 16_000_000


def step_multiply_adds(model: torch.nn.Module, batch_size: int) -> int | None:
    """Multiply-adds of a training step's forward pass through ``model``'s linear layers, or None
    where other layers (convolutions, recurrences) do work that the weights' size does not tell."""
    weights = 0
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            weights += module.weight.numel()
        elif any(p.dim() > 1 for p in module.parameters(recurse=False)):  # biases and norms' scales are not layers
            return None
    return batch_size * weights


# The CPU threads each Trainer.fit in this process trained on, in order (0 on a GPU): the command
# line's note on a fit slowed by a busy machine reads those of its own fits.
threads_of_fits: list[int] = []


@contextlib.contextmanager
def one_thread_for_small_steps(model: torch.nn.Module, batch_size: int) -> Iterator[None]:
    """Train a small network on one CPU thread (see SMALL_STEP_MULTIPLY_ADDS), restoring torch's
    thread count afterwards; larger networks, GPUs and one-thread settings are left as they are."""
    threads = torch.get_num_threads()
    device = next(model.parameters()).device
    work = step_multiply_adds(model, batch_size)
    if device.type != "cpu" or threads == 1 or work is None or work >= SMALL_STEP_MULTIPLY_ADDS:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    """A private generator, so training neither reads nor disturbs torch's global RNG."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def build_model(cfg, seed: int, device: torch.device) -> Autoencoder:
    """Initialise the weights from ``seed`` without touching the global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Autoencoder(cfg)
    return model.to(device)


def model_from_tensors(cfg: AutoencoderConfig, tensors: dict[str, np.ndarray], device: torch.device,
                       source: str) -> Autoencoder:
    """The model a file's ``model.*`` tensors describe, after checking each name and shape against
    ``cfg`` on torch's meta device, so that no memory is spent on a network the file cannot fill."""
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    with torch.device("meta"):
        model = Autoencoder(cfg)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    for name in sorted(set(expected) | set(state)):
        if name not in state:
            raise ModelFileError(f"{source}: corrupt model: no tensor model.{name}")
        if name not in expected:
            raise ModelFileError(f"{source}: corrupt model: unexpected tensor model.{name}")
        if tuple(state[name].shape) != expected[name]:
            raise ModelFileError(f"{source}: corrupt model: model.{name} has shape {tuple(state[name].shape)}, "
                                 f"its configuration needs {expected[name]}")
        if not np.all(np.isfinite(state[name])):
            raise ModelFileError(f"{source}: corrupt model: model.{name} holds NaN or inf")
    model.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in state.items()}, assign=True)
    return model.to(device).eval()


def init_from_pca(model: Autoencoder, X: torch.Tensor) -> None:
    """Start a model with linear skips exactly at PCA's solution.

    The skips get the principal axes and the non-linear paths' last layers start at
    zero, so training begins from PCA's reconstruction and improves on it.
    """
    assert isinstance(model.encoder, MLPEncoder) and model.encoder.skip is not None
    k = model.encoder.skip.weight.shape[0]
    mean = X.mean(dim=0)
    _, _, v = torch.linalg.svd(X - mean, full_matrices=False)
    set_linear_start(model, mean, v[:k])


def set_linear_start(model: Autoencoder, mean: torch.Tensor, axes: torch.Tensor) -> None:
    """Put a model with linear skips at the PCA solution of data with this ``mean`` and these
    principal ``axes`` (rows, first axis first; fewer rows than the code's units leave the rest
    at zero): what :func:`init_from_pca` computes from rows, and a streamed fit from a pass over them."""
    encoder, decoder = model.encoder, model.decoder
    assert isinstance(encoder, MLPEncoder) and encoder.skip is not None
    assert isinstance(decoder, MLPDecoder) and decoder.skip is not None
    k, d = encoder.skip.weight.shape
    weight = encoder.skip.weight
    mean = mean.to(dtype=weight.dtype, device=weight.device)
    components = torch.zeros(k, d, dtype=weight.dtype, device=weight.device)
    components[: min(k, axes.shape[0])] = axes[:k].to(dtype=weight.dtype, device=weight.device)
    with torch.no_grad():
        encoder.skip.weight.copy_(components)
        encoder.mean.weight.zero_()
        encoder.mean.bias.copy_(-components @ mean)
        decoder.skip.weight.copy_(components.t())
        last = [m for m in decoder.body if isinstance(m, torch.nn.Linear)][-1]
        last.weight.zero_()
        last.bias.copy_(mean)


# Up to this many columns PCA is computed from the (d, d) covariance matrix (exact, one pass over
# the rows); above, from a randomised SVD of the rows, or in a stream by incremental PCA.
COVARIANCE_MAX_FEATURES = 4096


def axes_of_covariance(cov: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` principal axes of a covariance matrix (as rows, at most d of them) and their variances."""
    values, vectors = torch.linalg.eigh(cov)
    top = torch.argsort(values, descending=True)[: min(n, cov.shape[0])]
    return vectors[:, top].T, values[top].clamp_min(0)


def pca_axes(X: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PCA of the rows of X: the mean, the first ``n`` principal axes (rows of an (n, d) matrix,
    zero rows where X has fewer than ``n`` axes) and their variances.

    From the (d, d) covariance in float64 when d is moderate (exact and cheap: one pass over X),
    else from a randomised low-rank SVD.
    """
    n_rows, d = X.shape
    mean = X.mean(dim=0)
    components = torch.zeros(n, d, dtype=X.dtype, device=X.device)
    variances = torch.zeros(n, dtype=X.dtype, device=X.device)
    centred = X - mean
    if d <= COVARIANCE_MAX_FEATURES:
        top_axes, top_variances = axes_of_covariance((centred.T @ centred).double() / max(1, n_rows - 1), n)
        components[: len(top_axes)] = top_axes.to(X.dtype)
        variances[: len(top_variances)] = top_variances.to(X.dtype)
    else:
        q = min(n, n_rows, d)
        _, singular, v = torch.svd_lowrank(centred, q=min(q + 10, n_rows, d), niter=4)
        components[:q] = v[:, :q].T
        variances[:q] = singular[:q].pow(2) / max(1, n_rows - 1)
    return mean, components, variances


def init_input_projection(model: Autoencoder, X: torch.Tensor) -> None:
    """Fill the encoder's fixed input projection: PCA's first axes of X, scaled by one over the
    standard deviation along the first, so the projected rows have a spread near 1."""
    encoder = model.encoder
    assert isinstance(encoder, MLPEncoder) and encoder.projection is not None
    mean, components, variances = pca_axes(X, encoder.projection.shape[0])
    spread = float(variances[0].sqrt())
    with torch.no_grad():
        encoder.projection_mean.copy_(mean)
        encoder.projection.copy_(components / spread if spread > 0 else components)


def encode_rows(model: Autoencoder, X: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    """The codes of the (scaled) rows X, without gradients, a batch at a time."""
    with torch.no_grad():
        return torch.cat([model.encode(X[start : start + batch_size])[0] for start in range(0, X.shape[0], batch_size)])


def code_range(codes: torch.Tensor) -> np.ndarray:
    """The estimator's ``code_range_``: each unit's lowest code (first row) and highest (second)."""
    return torch.stack([codes.min(dim=0).values, codes.max(dim=0).values]).double().cpu().numpy()


def init_code_standardisation(model: Autoencoder, codes: torch.Tensor) -> None:
    """Set the decoder's code standardisation from the training rows' ``codes``: their mean, and one
    scale for every unit (the mean of their standard deviations), so the map keeps its shape."""
    decoder = model.decoder
    assert isinstance(decoder, MLPDecoder) and decoder.code_mean is not None
    with torch.no_grad():
        scale = float(codes.std(dim=0).mean()) if codes.shape[0] > 1 else 1.0
        decoder.code_mean.copy_(codes.mean(dim=0))
        decoder.code_scale.fill_(scale if math.isfinite(scale) and scale > 0 else 1.0)


class ProjectedEncoderStage(torch.nn.Module):
    """The encoder phase of a two-phase fit, on rows already through the encoder's fixed input
    projection (taken once for the whole fit instead of once a step: on MNIST, gathering,
    centring and casting 784 columns a step cost more than a millisecond of about ten).
    """

    def __init__(self, model: Autoencoder):
        super().__init__()
        self.model = model

    def encode(self, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.model.encoder.from_projection(p)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        raise TypeError("the encoder phase trains no decoder")

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        raise TypeError("the encoder phase trains no decoder")


class ComponentSpaceStage(torch.nn.Module):
    """The model trained on principal components (``pca_components``): the encoder reads rows
    already through its fixed projection, and the decoder's hidden layers feed ``head``, a
    linear layer to the components, in place of its output layer to the rows. The squared error
    on the components is the rows' error less what the components leave out, a constant, so
    the steps skip the wide input and output layers (:func:`fit_output_layer` fits the latter).
    """

    def __init__(self, model: Autoencoder, seed: int):
        super().__init__()
        decoder = model.decoder
        assert isinstance(decoder, MLPDecoder) and model.encoder.projection is not None
        assert decoder.code_mean is None and decoder.skip is None  # the plain decoder: body alone
        self.model = model
        self.hidden = decoder.body[:-1]
        width = decoder.body[-1].in_features
        # From the fit's seed, as build_model's weights: the global RNG made equal seeds differ.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            head = torch.nn.Linear(width, model.encoder.projection.shape[0])
        self.head = head.to(model.encoder.projection.device)

    def encode(self, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.model.encoder.from_projection(p)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(z))

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return logits


# The ridge of the least-squares output layer is chosen among these multiples of the mean
# eigenvalue of the hidden units' Gram matrix (per row), by leave-one-out error on up to
# RIDGE_CHOICE_ROWS rows. A fixed tiny ridge fitted 300 digits rows' 256 units to a layer of norm
# 1,600 whose error on new rows was 9x PCA's (review of pca_components).
RIDGE_GRID = (1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
RIDGE_CHOICE_ROWS = 4096


def _hidden_design(model: Autoencoder, X: torch.Tensor) -> torch.Tensor:
    """The decoder's last hidden layer on the codes of X, with a column of ones: float64."""
    with torch.no_grad():
        h = model.decoder.body[:-1](encode_rows(model, X)).double()
    return torch.cat([h, torch.ones(h.shape[0], 1, dtype=h.dtype, device=h.device)], dim=1)


def leave_one_out_ridge(design: torch.Tensor, targets: torch.Tensor) -> float:
    """The ridge, per row, of the RIDGE_GRID value (times the Gram matrix's mean eigenvalue per
    row) whose least-squares fit of ``targets`` on ``design`` has the least leave-one-out error,
    computed in closed form from one eigendecomposition (the hat matrix's diagonal)."""
    n = design.shape[0]
    eigenvalues, vectors = torch.linalg.eigh(design.T @ design)
    eigenvalues = eigenvalues.clamp_min(0)
    rotated = design @ vectors  # (n, width)
    projected = rotated.T @ targets  # (width, columns)
    scale = float(eigenvalues.mean()) / n
    best, best_error = RIDGE_GRID[0] * scale, math.inf
    for factor in RIDGE_GRID:
        ridge = factor * scale * n
        shrink = 1.0 / (eigenvalues + ridge)
        fitted = rotated @ (shrink[:, None] * projected)
        leverage = (rotated.pow(2) * shrink).sum(dim=1).clamp(max=1 - 1e-9)
        error = float((((targets - fitted) / (1 - leverage)[:, None]) ** 2).sum())
        if error < best_error:
            best, best_error = factor * scale, error
    return best


def fit_output_layer(model: Autoencoder, X: torch.Tensor, generator: torch.Generator | None = None) -> float:
    """Set the decoder's output layer to the ridge regression from its last hidden layer, on the
    codes of the (scaled) rows X, to X: the layer the squared error asks for, in closed form.
    Returns the ridge per row, chosen by :func:`leave_one_out_ridge` on up to RIDGE_CHOICE_ROWS
    rows (drawn with ``generator``).

    On MNIST's 60,000 rows (64 components, 512-256 layers) it takes about 3 s on 2 CPU cores. In
    a stripped copy of the 8-D loop (both outputs clipped to [0, 1]) the least-squares layer gave
    a squared error per image of 11.2, where the decoder's reconstruction of the first 64
    components gave 12.0.
    """
    decoder = model.decoder
    assert isinstance(decoder, MLPDecoder)
    layer = decoder.body[-1]
    width = layer.in_features
    n = X.shape[0]
    chosen = torch.randperm(n, generator=generator, device=X.device)[:RIDGE_CHOICE_ROWS] \
        if n > RIDGE_CHOICE_ROWS else None
    sample = X if chosen is None else X[chosen]
    ridge = leave_one_out_ridge(_hidden_design(model, sample), sample.double())
    gram = torch.zeros(width + 1, width + 1, dtype=torch.float64, device=X.device)
    cross = torch.zeros(width + 1, X.shape[1], dtype=torch.float64, device=X.device)
    for start in range(0, n, 8192):
        rows = X[start : start + 8192]
        design = _hidden_design(model, rows)
        gram += design.T @ design
        cross += design.T @ rows.double()
    gram += (ridge * n + 1e-12) * torch.eye(width + 1, dtype=gram.dtype, device=gram.device)
    solution = torch.linalg.solve(gram, cross)
    with torch.no_grad():
        layer.weight.copy_(solution[:width].T.to(layer.weight.dtype))
        layer.bias.copy_(solution[width].to(layer.bias.dtype))
    return ridge


@dataclass
class FitHistory:
    """What a fit did: the estimator's history attributes, saved with the model."""

    n_iter_: int
    loss_curve_: list[float]
    validation_scores_: list[float] | None = None
    best_validation_score_: float | None = None
    pretrain_loss_curves_: list[list[float]] | None = None
    fit_time_: float = 0.0
    kept_initial_weights_: bool | None = None  # absent from files of release 0.1.0
    decoder_loss_curve_: list[float] | None = None  # the decoder phase after the neighbour term


@dataclass
class EpochRecord:
    """What one epoch produced, as callbacks see it."""

    epoch: int  # 1-based
    n_epochs: int  # the budget: early stopping may end the fit before it
    loss: float  # mean training loss, penalties included
    val_loss: float | None  # mean validation reconstruction loss, when there are validation rows
    seconds: float


class Callback:
    """A hook on the training loop; every method does nothing unless overridden."""

    def on_fit_begin(self, trainer: "Trainer", n_epochs: int) -> None:
        pass

    def on_epoch_end(self, trainer: "Trainer", record: EpochRecord) -> bool:
        """Return True to stop training after this epoch."""
        return False

    def on_fit_end(self, trainer: "Trainer") -> None:
        pass


# How many standard errors of the mean of paired row differences a difference of two models'
# errors must exceed to count (paired_noise): the best epoch against the starting weights on the
# validation rows, and the fit summary's model against PCA on the held-out rows.
CLEAR_GAIN_STANDARD_ERRORS = 2.0
# The share of a fit's steps over which the learning rate climbs to its value (Trainer.set_schedule).
WARMUP_FRACTION = 0.05


def paired_noise(errors: np.ndarray, other_errors: np.ndarray) -> float | None:
    """CLEAR_GAIN_STANDARD_ERRORS standard errors of the mean of the row by row differences of two
    models' errors on the same rows: a difference of means within it is noise (None below 2 rows)."""
    difference = np.asarray(errors, dtype=np.float64) - np.asarray(other_errors, dtype=np.float64)
    if len(difference) < 2:
        return None
    return float(CLEAR_GAIN_STANDARD_ERRORS * difference.std(ddof=1) / np.sqrt(len(difference)))


# A mean gap within paired_noise is still clear when one model rebuilds most rows better: a few rows
# that the other rebuilds very badly widen the standard error until a gap of 12x reads as noise
# (trial 34: mpg's 2-D model against PCA-2 on 23 held-out rows). Most: this share of the rows that
# differ, and so many that a sign test puts it beyond chance (one-sided, below SIGN_TEST_LEVEL).
CONSISTENT_SHARE = 0.75
SIGN_TEST_LEVEL = 0.01


def within_noise(errors: np.ndarray, other_errors: np.ndarray) -> bool:
    """Whether the mean errors of two models on the same rows are too close to name one lower: their
    gap within :func:`paired_noise`, and the lower one not lower on most rows (CONSISTENT_SHARE, by
    a sign test). False below 2 rows, where nothing measures the noise."""
    from scipy.stats import binomtest

    errors, other_errors = np.asarray(errors, dtype=np.float64), np.asarray(other_errors, dtype=np.float64)
    noise = paired_noise(errors, other_errors)
    if noise is None:
        return False
    difference = errors - other_errors
    gap = float(np.mean(difference))
    if abs(gap) > noise:
        return False
    n_differing = int(np.count_nonzero(difference))
    n_agreeing = int(np.count_nonzero(np.sign(difference) == np.sign(gap))) if gap else 0
    consistent = (n_differing > 0 and n_agreeing >= CONSISTENT_SHARE * n_differing
                  and binomtest(n_agreeing, n_differing, 0.5, alternative="greater").pvalue < SIGN_TEST_LEVEL)
    return not consistent


def gain_beyond_t(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether ``after`` is lower than ``before`` (paired samples) beyond chance at Student's t for
    their number (97.5%, one-sided: twice the standard error for many samples); False below
    :data:`MIN_UNITS_FOR_A_GAIN` (trial 43: two firms' like gains passed, and the model was 1.7x
    worse than PCA on three other firms)."""
    from scipy.stats import t

    difference = np.asarray(before, dtype=np.float64) - np.asarray(after, dtype=np.float64)
    if len(difference) < MIN_UNITS_FOR_A_GAIN:
        return False
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    return bool(float(difference.mean()) > float(t.ppf(0.975, len(difference) - 1)) * error)


def group_means(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The mean of ``values`` over the rows of each group (one value per row in ``groups``)."""
    from ._split import group_keys

    _, which = np.unique(group_keys(groups), return_inverse=True)
    return np.bincount(which, weights=values) / np.bincount(which)


class EarlyStopping(Callback):
    """Stop when the validation loss has not improved by ``tol`` for ``patience`` epochs after the
    learning rate's warm-up (``Trainer.warmup_epochs``); keep the best weights.

    The warm-up's epochs do not count towards ``patience``: from PCA's solution the loss first
    rises while the rate climbs, and a fit of 200 epochs (10 of warm-up) stopped at its tenth and
    kept PCA's weights. Letting it train on lowered the held-out error of msleep (2-D and 4-D) and
    airquality (4-D) to 0.89-0.94x PCA's, and changed no other row of benchmarks/SMALL_TABLES.md.

    With ``initial_loss`` (the validation loss of the starting weights, e.g. PCA's solution),
    the starting weights compete too: when no epoch beats them they are restored, and
    ``kept_initial`` says so. With ``validation_rows`` as well, the best epoch must also beat them
    clearly, row by row (see ``_clearly_better``), or they are restored; with ``validation_groups``
    (the unit of each validation row), unit by unit: the mean of each unit's rows is one sample.
    """

    def __init__(self, patience: int = 10, tol: float = 1e-4, initial_loss: float | None = None,
                 initial_margin: float = 0.01, validation_rows: torch.Tensor | None = None,
                 validation_groups: np.ndarray | None = None):
        self.patience, self.tol, self.initial_loss, self.initial_margin = patience, tol, initial_loss, initial_margin
        self.validation_rows, self.validation_groups = validation_rows, validation_groups
        self.kept_initial: bool | None = None

    def on_fit_begin(self, trainer: "Trainer", n_epochs: int) -> None:
        self.best, self.best_state, self.stale = math.inf, None, 0
        self.warmup_epochs = getattr(trainer, "warmup_epochs", 0)
        if self.initial_loss is not None:
            # An epoch must beat the start by 1% as well as by tol: on a few validation rows a
            # smaller gain is noise, and keeping PCA's solution then is the safe choice.
            self.best = self.initial_loss * (1 - self.initial_margin)
            self.best_state = self.initial_state = copy.deepcopy(trainer.model.state_dict())
            self.kept_initial = True

    def on_epoch_end(self, trainer: "Trainer", record: EpochRecord) -> bool:
        if record.val_loss is None:
            return False
        if record.val_loss < self.best - self.tol:
            self.best, self.best_state, self.stale = record.val_loss, copy.deepcopy(trainer.model.state_dict()), 0
            self.kept_initial = False if self.initial_loss is not None else None
        elif record.epoch > self.warmup_epochs:
            self.stale += 1
        return self.stale >= self.patience

    def on_fit_end(self, trainer: "Trainer") -> None:
        if self.kept_initial is False and self.validation_rows is not None \
                and not self._clearly_better(trainer, self.validation_rows):
            self.best_state, self.kept_initial = self.initial_state, True
        if self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def _clearly_better(self, trainer: "Trainer", X_val: torch.Tensor) -> bool:
        """Whether the best weights beat the starting ones on the validation rows by more than
        twice the standard error of the rows' paired differences.

        A mean over a few validation rows is noisy: on Cars93 (62 training rows, 6 for validation)
        a 1% gain there became 2% worse than PCA on held-out rows. Pairing each row's two errors
        keeps the test sharp where the gain is real (digits, penguins).
        """
        def row_losses(state: dict) -> torch.Tensor:
            trainer.model.load_state_dict(state)
            trainer.model.eval()
            with torch.no_grad():
                return trainer.objective.evaluate(trainer.model, X_val).double()

        initial, best = row_losses(self.initial_state).cpu().numpy(), row_losses(self.best_state).cpu().numpy()
        if self.validation_groups is not None:
            # The rows of one unit (a state's years) err alike, so the units are the samples: row by
            # row, 4 states' 68 rows made a gain that lost to PCA on other states look clear (trial 42).
            # So few samples need Student's t, not twice the standard error: two firms' gains passed that,
            # and the model was 2.7x worse than PCA on the firm held out (a review).
            return gain_beyond_t(group_means(initial, self.validation_groups), group_means(best, self.validation_groups))
        noise = paired_noise(initial, best)
        return noise is not None and float(np.mean(initial - best)) > noise


class PrintEpochs(Callback):
    """One line per epoch on stderr (the estimator's ``verbose``), after ``prefix`` (e.g. the phase)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def on_epoch_end(self, trainer: "Trainer", record: EpochRecord) -> bool:
        message = f"{self.prefix}epoch {record.epoch}/{record.n_epochs}: loss {record.loss:.6f}"
        if record.val_loss is not None:
            message += f", validation loss {record.val_loss:.6f}"
        print(f"{message} ({record.seconds:.2f} s)", file=sys.stderr)
        return False


class Progress(Callback):
    """Reports progress to ``report(done, total)``: the total is the real epoch budget, and the
    last call after an early stop reports ``done == total``, so a progress bar ends full."""

    def __init__(self, report: Callable[[int, int], None]):
        self.report = report

    def on_fit_begin(self, trainer: "Trainer", n_epochs: int) -> None:
        self.total = n_epochs
        self.done = 0
        # A report that can hear of epochs before the first ends (a log's lines) is told now: a map's
        # first epoch of a minute was said to be "reading and preparing the data" (trial 27).
        begins = getattr(self.report, "epochs_begin", None)
        if begins is not None:
            begins(n_epochs)

    def on_epoch_end(self, trainer: "Trainer", record: EpochRecord) -> bool:
        self.done = record.epoch
        self.report(self.done, self.total)
        return False

    def on_fit_end(self, trainer: "Trainer") -> None:
        if self.done < self.total:
            self.report(self.total, self.total)


def _can_fuse(parameters: list[torch.nn.Parameter]) -> bool:
    """Whether AdamW's fused kernel serves these parameters: floating point, on a CPU or a GPU.

    On 2 CPU cores the fused step of MNIST's 784-512-256-8 model took 0.36 ms against 3.8 ms
    for the default one, which was a fifth of each training step.
    """
    return bool(parameters) and all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in parameters)


class Trainer:
    """Mini-batch training of a model on an :class:`~aereduce.objective.Objective`, with AdamW
    and a warm-up/cosine schedule.

    ``model`` needs ``encode``, ``decode_logits`` and ``output`` (an
    :class:`~aereduce._model.Autoencoder`, or one stage of layer-wise pretraining).
    ``parameters`` are the ones the optimiser moves (default: all of the model's). The rows of
    each batch are the objective's choice when a penalty makes one (the neighbour graph's
    edges), else a fresh permutation of the rows each epoch.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        objective: Objective,
        *,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 256,
        generator: torch.Generator,
        callbacks: list[Callback] | None = None,
        autocast_dtype: torch.dtype | None = None,
        parameters: Iterable[torch.nn.Parameter] | None = None,
    ):
        self.model = model
        self.objective = objective
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.generator = generator
        self.callbacks = list(callbacks or [])
        self.autocast_dtype = autocast_dtype
        moved = list(model.parameters() if parameters is None else parameters)
        self.optimizer = torch.optim.AdamW(moved, lr=learning_rate, weight_decay=weight_decay,
                                           fused=_can_fuse(moved) or None)
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.warmup_epochs = 0  # set by each fit: the epochs its learning-rate warm-up reaches into

    @property
    def kept_initial_weights(self) -> bool | None:
        """Whether early stopping kept the starting weights (None when it did not compete them)."""
        return next((c.kept_initial for c in self.callbacks if isinstance(c, EarlyStopping)), None)

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the forward pass when ``autocast_dtype`` is set; losses stay float32."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        device = next(self.model.parameters()).device
        return torch.autocast(device_type=device.type, dtype=self.autocast_dtype)

    def set_schedule(self, total_steps: int, warmup_fraction: float = WARMUP_FRACTION) -> None:
        """Linear warm-up then cosine decay to zero over ``total_steps``."""
        warmup = max(1, int(total_steps * warmup_fraction))

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
            return 0.5 * (1 + math.cos(math.pi * progress))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)

    def loss(self, xb: torch.Tensor) -> torch.Tensor:
        """The objective on one batch (a distributed trainer computes it through its wrapper)."""
        return sum(self.objective.terms(self.model, xb, self.generator, self.autocast).values())

    def train_step(self, xb: torch.Tensor) -> torch.Tensor:
        loss = self.loss(xb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach()

    def batches(self, X: torch.Tensor) -> Iterator[torch.Tensor]:
        """The row indices of each batch of one epoch: the objective's, or a fresh permutation in chunks."""
        chosen = self.objective.batches(X.shape[0], self.generator)
        if chosen is not None:
            return chosen
        order = torch.randperm(X.shape[0], generator=self.generator, device=X.device)
        return (order[start : start + self.batch_size] for start in range(0, X.shape[0], self.batch_size))

    def steps_per_epoch(self, X: torch.Tensor) -> int:
        return self.objective.steps_per_epoch(X.shape[0], self.batch_size)

    def batch_rows(self, X: torch.Tensor) -> Iterator[torch.Tensor]:
        """The rows of each batch of one epoch (a streaming trainer reads them from its source instead)."""
        return (X[index] for index in self.batches(X))

    def train_epoch(self, X: torch.Tensor) -> float:
        """One epoch of batches of ``X`` (one pass in a fresh random order, unless the objective
        chooses the batches); returns the mean training loss per row."""
        self.model.train()
        total: torch.Tensor | None = None
        rows = 0
        for xb in self.batch_rows(X):
            loss = self.train_step(xb) * xb.shape[0]
            total = loss if total is None else total + loss
            rows += xb.shape[0]
        return float(total) / max(1, rows) if total is not None else 0.0  # one device sync per epoch, not per step

    def evaluate(self, X: torch.Tensor) -> float:
        """Mean reconstruction loss on ``X`` without noise or sampling (eval mode)."""
        self.model.eval()
        with torch.no_grad():
            total = sum(float(self.objective.evaluate(self.model, X[start : start + 4096]).sum())
                        for start in range(0, X.shape[0], 4096))
        return total / X.shape[0]

    def fit(self, X: torch.Tensor, n_epochs: int, *, X_val: torch.Tensor | None = None,
            use_schedule: bool = True) -> tuple[list[float], list[float]]:
        """Train up to ``n_epochs`` (a callback may stop sooner); returns each epoch's training
        loss and, with ``X_val``, its validation loss.

        The objective first sees the training rows (the neighbour term builds its graph there).
        A small network trains on one CPU thread (:func:`one_thread_for_small_steps`).
        """
        with one_thread_for_small_steps(self.model, self.batch_size):
            on_cpu = next(self.model.parameters()).device.type == "cpu"
            threads_of_fits.append(torch.get_num_threads() if on_cpu else 0)
            return self._fit(X, n_epochs, X_val=X_val, use_schedule=use_schedule)

    def _fit(self, X: torch.Tensor, n_epochs: int, *, X_val: torch.Tensor | None,
             use_schedule: bool) -> tuple[list[float], list[float]]:
        self.objective.prepare(self.model, X, self.generator)
        if use_schedule:
            self.set_schedule(n_epochs * self.steps_per_epoch(X))
        # The epochs that the learning rate's warm-up reaches into (EarlyStopping waits for them).
        self.warmup_epochs = math.ceil(WARMUP_FRACTION * n_epochs) if use_schedule else 0
        losses: list[float] = []
        val_losses: list[float] = []
        for callback in self.callbacks:
            callback.on_fit_begin(self, n_epochs)
        for epoch in range(1, n_epochs + 1):
            tic = time.perf_counter()
            loss = self.train_epoch(X)
            if not math.isfinite(loss):
                raise TrainingError(
                    f"training diverged at epoch {epoch}: the loss is {loss}; lower learning_rate_init "
                    f"(now {self.learning_rate}) or check the data for extreme values"
                )
            losses.append(loss)
            val = self.evaluate(X_val) if X_val is not None else None
            if val is not None:
                val_losses.append(val)
            record = EpochRecord(epoch, n_epochs, loss, val, time.perf_counter() - tic)
            stops = [callback.on_epoch_end(self, record) for callback in self.callbacks]
            if any(stops):
                break
        for callback in self.callbacks:
            callback.on_fit_end(self)
        return losses, val_losses


def passes_over_rows(losses: list[float], max_iter: int) -> int:
    """``n_iter_``: the epochs run, or 1 where the model is PCA's closed-form solution (``max_iter_``
    0, below 50 rows): the one pass over the rows that found it, with no epoch (``loss_curve_`` is
    empty). scikit-learn's ``check_transformer_n_iter`` asks a transformer with ``max_iter`` for at
    least 1, and the default estimator failed it on its 30 rows (trial 21)."""
    return len(losses) if max_iter > 0 else 1


def validation_scores(trainer: Trainer, val_losses: list[float], X_val: torch.Tensor | None
                      ) -> tuple[list[float] | None, float | None]:
    """``validation_scores_`` and ``best_validation_score_`` of a fit (None without validation rows):
    each epoch's score, and that of the weights the fit kept, the best epoch's or the starting
    weights' (PCA's solution) when early stopping kept those."""
    if X_val is None:
        return None, None
    scores = [-v for v in val_losses]
    if trainer.kept_initial_weights:
        return scores, -trainer.evaluate(X_val)
    return scores, max(scores) if scores else None


class LayerStage(torch.nn.Module):
    """One stage of greedy layer-wise pretraining: an encoder layer and its mirror as a shallow autoencoder."""

    def __init__(self, layer: torch.nn.Linear, activation: torch.nn.Module, mirror: torch.nn.Module,
                 output: torch.nn.Module):
        super().__init__()
        self.layer, self.activation, self.mirror, self.output = layer, activation, mirror, output

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.activation(self.layer(x)), None

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.mirror(z)


class TransposedMirror(torch.nn.Module):
    """The tied decoder's mirror of an encoder layer: its weight transposed, and the decoder's own bias."""

    def __init__(self, layer: torch.nn.Linear, bias: torch.nn.Parameter):
        super().__init__()
        self.layer, self.bias = layer, bias

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return F.linear(z, self.layer.weight.t(), self.bias)


def pretrain_layerwise(trainer: Trainer, X: torch.Tensor, n_epochs: int) -> list[list[float]]:
    """Greedy layer-wise pretraining of a multilayer perceptron autoencoder.

    Stage ``i`` trains encoder layer ``i`` and its mirror in the decoder as a shallow
    autoencoder on the (fixed) codes of the stages before it, with the same loop as the
    whole model: the first stage reconstructs the data with the model's loss and
    corruption, deeper stages reconstruct the hidden codes with squared error. Returns
    each stage's loss curve.
    """
    model = trainer.model
    if not isinstance(model.encoder, MLPEncoder):
        raise OptionError("layer-wise pretraining needs the multilayer perceptron model (input_shape=None)")
    layers = model.encoder.linears()
    # body is Linear, activation, ...: a normalised encoder (the neighbour term's, which excludes
    # pretraining) would put its LayerNorm where the activation is read here
    assert not model.cfg.encoder_layer_norm, "layer-wise pretraining of a normalised encoder"
    act = model.encoder.body[1] if len(model.encoder.body) > 1 else model.encoder.code_activation
    if isinstance(model.decoder, TiedDecoder):
        biases = list(reversed(list(model.decoder.biases)))  # bias of the mirror of layer i
        mirrors: list[torch.nn.Module] = [TransposedMirror(layers[i], biases[i]) for i in range(len(layers))]
    else:
        assert isinstance(model.decoder, MLPDecoder)
        mirrors = [m for m in model.decoder.body if isinstance(m, torch.nn.Linear)][::-1]
    curves: list[list[float]] = []
    H = X
    for i, (layer, mirror) in enumerate(zip(layers, mirrors)):
        encode_act = model.encoder.code_activation if i == len(layers) - 1 else act
        first = i == 0
        stage = LayerStage(layer, encode_act, mirror, model.output_activation if first else act)
        objective = Objective(Reconstruction(trainer.objective.reconstruction.loss if first else "mse"), [],
                              trainer.objective.corruption if first else None)
        # verbose prints each stage's epochs too (trial 51 saw only the fine-tuning's)
        verbose = any(isinstance(c, PrintEpochs) for c in trainer.callbacks)
        printed = [PrintEpochs(f"pretraining layer {i + 1}/{len(layers)}: ")] if verbose else []
        stage_trainer = Trainer(stage, objective, learning_rate=trainer.learning_rate,
                                weight_decay=trainer.weight_decay, batch_size=trainer.batch_size,
                                generator=trainer.generator, callbacks=printed)
        curves.append(stage_trainer.fit(H, n_epochs, use_schedule=False)[0])
        with torch.no_grad():
            H = encode_act(layer(H))
    return curves
