"""What training minimises: a reconstruction term, a list of penalty terms, and an input corruption.

Each member of the autoencoder family that changes the loss is one small class here, switched
on by its estimator parameter (its weight, or its mode). :data:`PENALTIES` lists them; adding a
variant is one class, one estimator parameter and one line in that list. The trainer only sums
what :meth:`Objective.terms` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch.nn import functional as F

from ._model import Autoencoder


@dataclass
class Step:
    """Everything one training step computed for a batch; the terms read what they need."""

    x: torch.Tensor  # the clean rows: the reconstruction target
    x_in: torch.Tensor  # the (possibly corrupted) rows fed to the encoder
    code: torch.Tensor  # the encoder's code (its mean, for a variational model), float32
    log_var: torch.Tensor | None  # the variational code's log-variance
    logits: torch.Tensor  # the decoder's output before the output activation, float32
    model: Autoencoder
    generator: torch.Generator


# -- the reconstruction term ---------------------------------------------------------------------

def reconstruction_loss(model: Autoencoder, logits: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    """Per-row reconstruction loss, averaged over features."""
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(dim=1)
    output = model.output(logits)
    if loss == "cosine":
        return 1.0 - F.cosine_similarity(output, target, dim=1, eps=1e-8)
    return (output - target).pow(2).mean(dim=1)


@dataclass
class Reconstruction:
    """Mean reconstruction loss: ``"mse"``, ``"bce"`` (on logits, for a sigmoid output) or ``"cosine"``."""

    loss: str = "mse"
    name: ClassVar[str] = "reconstruction"

    def __call__(self, step: Step) -> torch.Tensor:
        return reconstruction_loss(step.model, step.logits, step.x, self.loss).mean()


# -- penalties -----------------------------------------------------------------------------------

class Penalty:
    """One additive term of the objective, built from the estimator's parameters.

    ``from_params`` returns None when the parameters leave the term off. A penalty that
    needs the gradient with respect to the input sets ``needs_input_grad``; one that needs a
    particular activation on the code sets ``code_activation``.
    """

    name: ClassVar[str]
    needs_input_grad: ClassVar[bool] = False
    code_activation: ClassVar[str | None] = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Penalty | None":
        raise NotImplementedError

    def __call__(self, step: Step) -> torch.Tensor:
        raise NotImplementedError


@dataclass
class VariationalKL(Penalty):
    """KL divergence of the variational code from N(0, I), per input feature like the reconstruction."""

    beta: float = 1.0
    name: ClassVar[str] = "kl"

    @classmethod
    def from_params(cls, params):
        return cls(float(params["beta"])) if params["variational"] else None

    def __call__(self, step: Step) -> torch.Tensor:
        assert step.log_var is not None, "the variational penalty needs a variational model"
        kl = -0.5 * (1 + step.log_var - step.code.pow(2) - step.log_var.exp()).sum(dim=1).mean()
        # Divided by the number of features, as the reconstruction is a mean over them, so that
        # beta=1 keeps the ELBO's balance.
        return self.beta * kl / step.x.shape[1]


def sparsity_weight(params: Mapping[str, Any]) -> float:
    """``sparsity_weight="auto"``: 1e-4 for L1 (1e-3 left every unit of an 8-D MNIST code dead), 1e-3 for KL."""
    if params["sparsity_weight"] != "auto":
        return float(params["sparsity_weight"])
    return 1e-4 if params["sparsity"] == "l1" else 1e-3


@dataclass
class L1Sparsity(Penalty):
    """L1 norm of a ReLU code, summed over units and averaged over rows."""

    weight: float
    name: ClassVar[str] = "sparsity"
    code_activation: ClassVar[str | None] = "relu"

    @classmethod
    def from_params(cls, params):
        return cls(sparsity_weight(params)) if params["sparsity"] == "l1" else None

    def __call__(self, step: Step) -> torch.Tensor:
        return self.weight * step.code.abs().sum(dim=1).mean()


@dataclass
class KLSparsity(Penalty):
    """KL divergence between a target rate and each unit's mean activation of a sigmoid code.

    The batch mean is smoothed by a moving average across batches, as the design documents
    describe, so that a small batch does not make the estimate jump; the term owns that average.
    """

    weight: float
    target: float = 0.05
    momentum: float = 0.9
    name: ClassVar[str] = "sparsity"
    code_activation: ClassVar[str | None] = "logistic"

    def __post_init__(self) -> None:
        self.rate: torch.Tensor | None = None  # the moving average of each unit's mean activation

    @classmethod
    def from_params(cls, params):
        if params["sparsity"] != "kl":
            return None
        return cls(sparsity_weight(params), float(params["sparsity_target"]), float(params["sparsity_momentum"]))

    def __call__(self, step: Step) -> torch.Tensor:
        batch_rate = step.code.mean(dim=0)
        rate = batch_rate if self.rate is None else self.momentum * self.rate + (1 - self.momentum) * batch_rate
        self.rate = rate.detach()
        rate = rate.clamp(1e-6, 1 - 1e-6)
        rho = self.target
        return self.weight * (rho * torch.log(rho / rate) + (1 - rho) * torch.log((1 - rho) / (1 - rate))).sum()


@dataclass
class Contractive(Penalty):
    """Squared Frobenius norm of the encoder's Jacobian; one backward pass per code unit."""

    weight: float
    name: ClassVar[str] = "contractive"
    needs_input_grad: ClassVar[bool] = True

    @classmethod
    def from_params(cls, params):
        return cls(float(params["contractive_weight"])) if params["contractive_weight"] > 0 else None

    def __call__(self, step: Step) -> torch.Tensor:
        total = step.x_in.new_zeros(())
        for k in range(step.code.shape[1]):
            (grad,) = torch.autograd.grad(step.code[:, k].sum(), step.x_in, create_graph=True)
            total = total + grad.pow(2).sum()
        return self.weight * total / step.x_in.shape[0]


# Every penalty the estimator knows; Objective.from_params asks each one whether it is on.
PENALTIES: list[type[Penalty]] = [VariationalKL, L1Sparsity, KLSparsity, Contractive]


# -- corruption ----------------------------------------------------------------------------------

@dataclass
class Corruption:
    """The denoising corruption of training inputs: ``"mask"`` zeroes a share of the inputs,
    ``"gaussian"`` adds noise of standard deviation ``level`` (in scaled units)."""

    kind: str
    level: float

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if self.kind == "mask":
            return x * (torch.rand(x.shape, generator=generator, device=x.device) >= self.level)
        return x + self.level * torch.randn(x.shape, generator=generator, device=x.device)


# -- the whole objective -------------------------------------------------------------------------

@dataclass
class Objective:
    """A reconstruction term, the penalties that are on, and the corruption (or None)."""

    reconstruction: Reconstruction
    penalties: list[Penalty]
    corruption: Corruption | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], loss: str) -> "Objective":
        """The objective an estimator's parameters describe (``loss`` already resolved)."""
        penalties = [p for p in (kind.from_params(params) for kind in PENALTIES) if p is not None]
        noise = params["noise"]
        return cls(Reconstruction(loss), penalties, Corruption(noise, float(params["noise_level"])) if noise else None)

    @property
    def code_activation(self) -> str:
        """The activation the code needs: a penalty's (ReLU for L1, sigmoid for KL), else none."""
        return next((p.code_activation for p in self.penalties if p.code_activation), "identity")

    def terms(self, model: Autoencoder, x: torch.Tensor, generator: torch.Generator,
              autocast: Any = None) -> dict[str, torch.Tensor]:
        """Every term of the loss on one clean batch ``x``; their sum is what training minimises.

        ``autocast`` is a context-manager factory for the forward passes (mixed precision);
        the terms themselves are computed in float32.
        """
        import contextlib

        autocast = autocast or contextlib.nullcontext
        x_in = self.corruption(x, generator) if self.corruption is not None else x
        if any(p.needs_input_grad for p in self.penalties):
            x_in = x_in.detach().requires_grad_(True)
        with autocast():
            code, log_var = model.encode(x_in)
        code = code.float()
        log_var = None if log_var is None else log_var.float()
        z = code
        if log_var is not None:  # the reparameterisation trick
            z = code + torch.exp(0.5 * log_var) * torch.randn(code.shape, generator=generator, device=code.device)
        with autocast():
            logits = model.decode_logits(z)
        step = Step(x=x, x_in=x_in, code=code, log_var=log_var, logits=logits.float(), model=model, generator=generator)
        terms = {self.reconstruction.name: self.reconstruction(step)}
        for penalty in self.penalties:
            terms[penalty.name] = penalty(step)
        return terms

    def evaluate(self, model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
        """Per-row reconstruction loss of clean rows, without noise or sampling."""
        code, _ = model.encode(x)
        return reconstruction_loss(model, model.decode_logits(code), x, self.reconstruction.loss)
