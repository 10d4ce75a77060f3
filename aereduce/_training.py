"""Training: device choice, seeding, the objective (losses and penalties) and the epoch loop.

The loop is a :class:`Trainer` made of small steps (``corrupt``, ``objective``,
``train_step``, ``train_epoch``, ``evaluate``, ``fit``), each of which a subclass
may override, in the spirit of skorch's ``NeuralNet``. The estimator owns
validation and scikit-learn conventions; nothing here does.
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from .errors import TrainingError
from ._model import Autoencoder, MLPDecoder, MLPEncoder, TiedDecoder


def resolve_device(device: str | torch.device) -> torch.device:
    """``'auto'`` picks CUDA, then Apple's MPS, then the CPU; anything else is passed to torch."""
    if str(device) != "auto":
        return torch.device(device)
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
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


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


def init_from_pca(model: Autoencoder, X: torch.Tensor) -> None:
    """Start a model with linear skips exactly at PCA's solution.

    The skips get the principal axes and the non-linear paths' last layers start at
    zero, so training begins from PCA's reconstruction and improves on it.
    """
    encoder, decoder = model.encoder, model.decoder
    assert isinstance(encoder, MLPEncoder) and encoder.skip is not None
    assert isinstance(decoder, MLPDecoder) and decoder.skip is not None
    k, d = encoder.skip.weight.shape
    mean = X.mean(dim=0)
    _, _, v = torch.linalg.svd(X - mean, full_matrices=False)
    components = torch.zeros(k, d, dtype=X.dtype, device=X.device)
    components[: min(k, v.shape[0])] = v[:k]
    with torch.no_grad():
        encoder.skip.weight.copy_(components)
        encoder.mean.weight.zero_()
        encoder.mean.bias.copy_(-components @ mean)
        decoder.skip.weight.copy_(components.t())
        last = [m for m in decoder.body if isinstance(m, torch.nn.Linear)][-1]
        last.weight.zero_()
        last.bias.copy_(mean)


@dataclass
class Objective:
    """What training minimises: a reconstruction loss plus the variant's penalties."""

    loss: str = "mse"  # "mse", "bce" (expects a sigmoid output) or "cosine"
    sparsity: str | None = None  # None, "l1" or "kl"
    sparsity_weight: float = 1e-3
    sparsity_target: float = 0.05
    sparsity_momentum: float = 0.9
    noise: str | None = None  # None, "mask" or "gaussian"
    noise_level: float = 0.2
    contractive_weight: float = 0.0
    beta: float = 1.0  # weight of the variational KL term


def reconstruction_loss(model: Autoencoder, logits: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    """Per-row reconstruction loss, averaged over features."""
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(dim=1)
    output = model.output(logits)
    if loss == "cosine":
        return 1.0 - F.cosine_similarity(output, target, dim=1, eps=1e-8)
    return (output - target).pow(2).mean(dim=1)


class Trainer:
    """Mini-batch training of an :class:`Autoencoder` with AdamW and a warm-up/cosine schedule."""

    def __init__(
        self,
        model: Autoencoder,
        objective: Objective,
        *,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 256,
        generator: torch.Generator,
        verbose: int = 0,
        epoch_callback: Callable[[int, float], None] | None = None,
        autocast_dtype: torch.dtype | None = None,
    ):
        self.model = model
        self.autocast_dtype = autocast_dtype
        self.objective = objective
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.generator = generator
        self.verbose = verbose
        self.epoch_callback = epoch_callback
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.rho_hat: torch.Tensor | None = None  # moving average of the code's mean activation

    # -- the objective -------------------------------------------------------------------------
    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the forward pass when ``autocast_dtype`` is set; losses stay float32."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.model_device.type, dtype=self.autocast_dtype)

    @property
    def model_device(self) -> torch.device:
        return next(self.model.parameters()).device

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        """The denoising corruption, applied to training inputs only."""
        obj = self.objective
        if obj.noise == "mask":
            keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= obj.noise_level
            return x * keep
        if obj.noise == "gaussian":
            return x + obj.noise_level * torch.randn(x.shape, generator=self.generator, device=x.device)
        return x

    def sparsity_penalty(self, code: torch.Tensor) -> torch.Tensor:
        obj = self.objective
        if obj.sparsity == "l1":
            return code.abs().sum(dim=1).mean()
        # KL to the target rate; the batch mean is smoothed by a moving average across batches,
        # as in the design documents, so a small batch does not make the estimate jump.
        batch_rate = code.mean(dim=0)
        if self.rho_hat is None:
            rho_hat = batch_rate
        else:
            rho_hat = obj.sparsity_momentum * self.rho_hat + (1 - obj.sparsity_momentum) * batch_rate
        self.rho_hat = rho_hat.detach()
        rho_hat = rho_hat.clamp(1e-6, 1 - 1e-6)
        rho = obj.sparsity_target
        return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()

    def contractive_penalty(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Squared Frobenius norm of the encoder's Jacobian, one backward pass per code unit."""
        total = x.new_zeros(())
        for k in range(code.shape[1]):
            (grad,) = torch.autograd.grad(code[:, k].sum(), x, create_graph=True)
            total = total + grad.pow(2).sum()
        return total / x.shape[0]

    def objective_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every term of the loss for one clean batch ``x``; their sum is minimised."""
        obj = self.objective
        x_in = self.corrupt(x)
        if obj.contractive_weight > 0:
            x_in = x_in.detach().requires_grad_(True)
        with self.autocast():
            code, log_var = self.model.encode(x_in)
        code = code.float()
        log_var = None if log_var is None else log_var.float()
        z = code
        terms: dict[str, torch.Tensor] = {}
        if log_var is not None:
            std = torch.exp(0.5 * log_var)
            z = code + std * torch.randn(code.shape, generator=self.generator, device=code.device)
            kl = -0.5 * (1 + log_var - code.pow(2) - log_var.exp()).sum(dim=1).mean()
            # Per input feature, like the reconstruction term, so that beta=1 is the ELBO's balance.
            terms["kl"] = obj.beta * kl / x.shape[1]
        with self.autocast():
            logits = self.model.decode_logits(z)
        terms["reconstruction"] = reconstruction_loss(self.model, logits.float(), x, obj.loss).mean()
        if obj.sparsity is not None:
            terms["sparsity"] = obj.sparsity_weight * self.sparsity_penalty(code)
        if obj.contractive_weight > 0:
            terms["contractive"] = obj.contractive_weight * self.contractive_penalty(x_in, code)
        return terms

    # -- the loop ------------------------------------------------------------------------------
    def set_schedule(self, total_steps: int, warmup_fraction: float = 0.05) -> None:
        """Linear warm-up then cosine decay to zero over ``total_steps``."""
        warmup = max(1, int(total_steps * warmup_fraction))

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
            return 0.5 * (1 + math.cos(math.pi * progress))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)

    def train_step(self, xb: torch.Tensor) -> torch.Tensor:
        loss = sum(self.objective_terms(xb).values())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach()

    def train_epoch(self, X: torch.Tensor) -> float:
        """One pass over ``X`` in a fresh random order; returns the mean training loss."""
        self.model.train()
        n = X.shape[0]
        order = torch.randperm(n, generator=self.generator, device=X.device)
        total = X.new_zeros(())
        for start in range(0, n, self.batch_size):
            xb = X[order[start : start + self.batch_size]]
            total += self.train_step(xb) * xb.shape[0]
        value = float(total) / n  # one device sync per epoch, not per step
        return value

    def evaluate(self, X: torch.Tensor) -> float:
        """Mean reconstruction loss on ``X`` without noise or sampling (eval mode)."""
        self.model.eval()
        with torch.no_grad():
            total = 0.0
            for start in range(0, X.shape[0], 4096):
                xb = X[start : start + 4096]
                code, _ = self.model.encode(xb)
                logits = self.model.decode_logits(code)
                total += float(reconstruction_loss(self.model, logits, xb, self.objective.loss).sum())
        return total / X.shape[0]

    def fit(
        self,
        X: torch.Tensor,
        n_epochs: int,
        *,
        X_val: torch.Tensor | None = None,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        use_schedule: bool = True,
    ) -> tuple[list[float], list[float]]:
        """Train up to ``n_epochs``; with ``X_val``, stop early and keep the best weights.

        Returns the training loss and validation loss of each epoch run.
        """
        if use_schedule:
            self.set_schedule(n_epochs * math.ceil(X.shape[0] / self.batch_size))
        losses: list[float] = []
        val_losses: list[float] = []
        best, best_state, stale = math.inf, None, 0
        for epoch in range(1, n_epochs + 1):
            tic = time.perf_counter()
            loss = self.train_epoch(X)
            if not math.isfinite(loss):
                raise TrainingError(
                    f"training diverged at epoch {epoch}: the loss is {loss}; lower learning_rate_init "
                    f"(now {self.learning_rate}) or check the data for extreme values"
                )
            losses.append(loss)
            message = f"epoch {epoch}/{n_epochs}: loss {loss:.6f}"
            if X_val is not None:
                val = self.evaluate(X_val)
                val_losses.append(val)
                message += f", validation loss {val:.6f}"
                if val < best - tol:
                    best, best_state, stale = val, copy.deepcopy(self.model.state_dict()), 0
                else:
                    stale += 1
            if self.verbose:
                print(f"{message} ({time.perf_counter() - tic:.2f} s)", file=sys.stderr)
            if self.epoch_callback is not None:
                self.epoch_callback(epoch, loss)
            if X_val is not None and stale >= n_iter_no_change:
                break
        if best_state is not None:
            self.model.load_state_dict(best_state)
        return losses, val_losses


def pretrain_layerwise(trainer: Trainer, X: torch.Tensor, n_epochs: int) -> list[list[float]]:
    """Greedy layer-wise pretraining of a multilayer perceptron autoencoder.

    Stage ``i`` trains encoder layer ``i`` and its mirror in the decoder as a shallow
    autoencoder on the (fixed) codes of the stages before it: the first stage
    reconstructs the data with the model's loss, deeper stages reconstruct the
    hidden codes with squared error. Returns each stage's loss curve.
    """
    model = trainer.model
    if not isinstance(model.encoder, MLPEncoder):
        raise ValueError("layer-wise pretraining needs the multilayer perceptron model (input_shape=None)")
    enc_linears = model.encoder.linears()
    act = model.encoder.body[1] if len(model.encoder.body) > 1 else model.encoder.code_activation
    if isinstance(model.decoder, TiedDecoder):
        dec_biases = list(reversed(list(model.decoder.biases)))  # bias of the mirror of layer i
        mirrors = [lambda z, i=i: F.linear(z, enc_linears[i].weight.t(), dec_biases[i]) for i in range(len(enc_linears))]
        mirror_params = [[dec_biases[i]] for i in range(len(enc_linears))]
    else:
        assert isinstance(model.decoder, MLPDecoder)
        dec_linears = [m for m in model.decoder.body if isinstance(m, torch.nn.Linear)][::-1]
        mirrors = list(dec_linears)
        mirror_params = [list(m.parameters()) for m in dec_linears]
    n_stages = len(enc_linears)
    curves: list[list[float]] = []
    H = X
    for i in range(n_stages):
        last = i == n_stages - 1
        encode_act = model.encoder.code_activation if last else act
        params = list(enc_linears[i].parameters()) + mirror_params[i]
        optimizer = torch.optim.AdamW(params, lr=trainer.learning_rate, weight_decay=trainer.weight_decay)
        curve = []
        for _ in range(n_epochs):
            order = torch.randperm(H.shape[0], generator=trainer.generator, device=H.device)
            total = H.new_zeros(())
            for start in range(0, H.shape[0], trainer.batch_size):
                hb = H[order[start : start + trainer.batch_size]]
                logits = mirrors[i](encode_act(enc_linears[i](trainer.corrupt(hb) if i == 0 else hb)))
                if i == 0:
                    loss = reconstruction_loss(model, logits, hb, trainer.objective.loss).mean()
                else:
                    loss = (act(logits) - hb).pow(2).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach() * hb.shape[0]
            curve.append(float(total) / H.shape[0])
        curves.append(curve)
        with torch.no_grad():
            H = encode_act(enc_linears[i](H))
    return curves
