"""What training minimises: a reconstruction term, a list of penalty terms, and an input corruption.

Each member of the autoencoder family that changes the loss is one small class here, switched
on by its estimator parameter (its weight, or its mode). :data:`PENALTIES` lists them; adding a
variant is one class, one estimator parameter and one line in that list. The trainer only sums
what :meth:`Objective.terms` returns.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch.nn import functional as F

from ._model import Autoencoder
from ._resolve import NEIGHBOUR_STEPS_PER_EPOCH


@dataclass
class Step:
    """Everything one training step computed for a batch; the terms read what they need."""

    x: torch.Tensor  # the clean rows: the reconstruction target
    x_in: torch.Tensor  # the (possibly corrupted) rows fed to the encoder
    code: torch.Tensor  # the encoder's code (its mean, for a variational model), float32
    log_var: torch.Tensor | None  # the variational code's log-variance
    logits: torch.Tensor | None  # the decoder's output before the output activation, float32 (None: not decoded)
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
    """Mean reconstruction loss: ``"mse"``, ``"bce"`` (on logits, for a sigmoid output) or ``"cosine"``.

    ``weight`` 0 leaves the term out (and the decoder unused) while a penalty trains the encoder alone.
    """

    loss: str = "mse"
    weight: float = 1.0
    name: ClassVar[str] = "reconstruction"

    def __call__(self, step: Step) -> torch.Tensor:
        assert step.logits is not None, "the reconstruction term needs the decoded batch"
        loss = reconstruction_loss(step.model, step.logits, step.x, self.loss).mean()
        return loss if self.weight == 1.0 else self.weight * loss


# -- penalties -----------------------------------------------------------------------------------

class Penalty:
    """One additive term of the objective, built from the estimator's parameters.

    ``from_params`` returns None when the parameters leave the term off. A penalty that
    needs the gradient with respect to the input sets ``needs_input_grad``; one that needs a
    particular activation on the code sets ``code_activation``.

    A penalty that trains the encoder on its own sets ``decoder_afterwards``: while it trains,
    the reconstruction is off, and the estimator then fits the decoder on the frozen codes in a
    second phase. Such a term may look at the training rows before the first step (``prepare``),
    choose the rows of each batch itself (``batches``, ``steps_per_epoch``) and fix its phase's
    learning rate (``learning_rate``).
    """

    name: ClassVar[str]
    needs_input_grad: ClassVar[bool] = False
    code_activation: ClassVar[str | None] = None
    decoder_afterwards: ClassVar[bool] = False
    learning_rate: ClassVar[float | None] = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Penalty | None":
        raise NotImplementedError

    def __call__(self, step: Step) -> torch.Tensor:
        raise NotImplementedError

    def prepare(self, X: torch.Tensor, generator: torch.Generator) -> None:
        """See the training rows before the first step (``X``: as the encoder's fixed projection maps them)."""

    def batches(self, n_rows: int, generator: torch.Generator) -> Iterator[torch.Tensor] | None:
        """The row indices of each batch of one epoch, or None to leave the order to the trainer."""
        return None

    def steps_per_epoch(self, n_rows: int) -> int | None:
        """How many batches :meth:`batches` gives per epoch (None when it gives none)."""
        return None


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
    """``sparsity_weight="auto"``: 1e-4 for L1 (1e-3 left every unit of an 8-D MNIST code dead), 0.1 for
    KL (1e-3 left a 32-D MNIST code's mean activation at 0.34 for a target of 0.05; 0.1 brings it
    to 0.06, and 1 made the moving average's lag swing every unit to 0 or 1)."""
    if params["sparsity_weight"] != "auto":
        return float(params["sparsity_weight"])
    return 1e-4 if params["sparsity"] == "l1" else 0.1


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


_TINY = 1e-37  # above float32's smallest normal number, so its logarithm is finite
_EPSILON = 1e-7  # 1 - _EPSILON is below 1 in float32


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
        # In logarithms throughout: log(rate) from the activations' logs, not log of a rate clamped
        # away from 0, whose gradient is zero there. Near 0 the gradient is the true one, so a unit
        # pushed towards 0 is still pulled back to the target (tested). It does not stop a strong
        # weight's swings: the moving average lags, and at weight 1 a 32-D MNIST code still ended
        # at 0 or 1 in every unit with momentum 0.9 (not with 0, 0.5 or 0.99); the fit warns then.
        n = math.log(step.code.shape[0])
        log_rate = torch.logsumexp(torch.log(step.code.clamp_min(_TINY)), dim=0) - n
        log_rest = torch.logsumexp(torch.log1p(-step.code.clamp_max(1 - _EPSILON)), dim=0) - n  # log(1 - rate)
        if self.rate is not None:  # the moving average: the earlier estimate is a constant here
            m = self.momentum
            log_rate = torch.logaddexp(torch.log(m * self.rate), math.log(1 - m) + log_rate)
            log_rest = torch.logaddexp(torch.log(m * (1 - self.rate)), math.log(1 - m) + log_rest)
        self.rate = log_rate.detach().exp().clamp(_TINY, 1 - _EPSILON)
        rho = self.target
        kl = rho * (math.log(rho) - log_rate) + (1 - rho) * (math.log(1 - rho) - log_rest)
        return self.weight * kl.sum()


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


# -- the neighbour embedding ---------------------------------------------------------------------

# On a CPU, from this many rows the graph is approximate (:func:`clustered_knn_graph`): the exact
# one costs n^2 distances, 8.6 s of MNIST's 42 s 2-D fit on 2 cores.
APPROXIMATE_GRAPH_ROWS = 20_000


def _ranking_distances(queries: torch.Tensor, points: torch.Tensor, points_sq: torch.Tensor) -> torch.Tensor:
    """(queries, points) matrix that ranks each query's points by distance: |p|^2 - 2 q.p, since
    |q|^2 is the same along a row. ``points_sq`` is |p|^2, taken once by the caller."""
    return torch.addmm(points_sq[None, :], queries, points.T, alpha=-2.0)


def _squared_norms(X: torch.Tensor) -> torch.Tensor:
    return (X * X).sum(dim=1)


def _nearest_other(queries: torch.Tensor, query_index: torch.Tensor, candidates: torch.Tensor,
                   candidates_sq: torch.Tensor, candidate_index: torch.Tensor, k: int) -> torch.Tensor:
    """For each query row, the indices (from ``candidate_index``) of its k nearest candidates,
    the query itself excluded (a duplicate of it elsewhere is a neighbour at distance 0)."""
    d = _ranking_distances(queries, candidates, candidates_sq)
    d.masked_fill_(query_index[:, None] == candidate_index[None, :], math.inf)
    return candidate_index[torch.topk(d, k, dim=1, largest=False, sorted=False).indices]


@torch.no_grad()
def knn_graph(X: torch.Tensor, k: int, block: int | None = None, *, exact: bool | None = None,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """The indices (n, k) of each row's ``k`` nearest other rows of X (Euclidean, any order).

    Exact when ``exact`` is true, or (None) on a GPU or below APPROXIMATE_GRAPH_ROWS rows;
    otherwise :func:`clustered_knn_graph` (``generator`` seeds its clustering). The exact graph
    takes distances a block of rows at a time by one matrix product, and ``topk`` keeps the k
    smallest of each row: memory of one (block, n) matrix. Blocks of 128 rows were the fastest
    on a CPU (against 256 and 512, MNIST in 50 dimensions); a GPU takes 4096.
    """
    n = X.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"a graph of {k} neighbours needs more than {k} rows, got {n}")
    X = X.float()
    if exact is False or (exact is None and X.device.type == "cpu" and n >= APPROXIMATE_GRAPH_ROWS):
        return clustered_knn_graph(X, k, generator=generator)
    block = block or (4096 if X.device.type != "cpu" else 128)
    out = torch.empty(n, k, dtype=torch.long, device=X.device)
    every = torch.arange(n, device=X.device)
    sq = _squared_norms(X)
    for start in range(0, n, block):
        stop = min(n, start + block)
        out[start:stop] = _nearest_other(X[start:stop], every[start:stop], X, sq, every, k)
    return out


@torch.no_grad()
def clustered_knn_graph(X: torch.Tensor, k: int, *, n_probe: int = 20,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """An approximate k-nearest-neighbour graph: each row's neighbours are searched among the
    rows of the ``n_probe`` clusters nearest its own (an inverted-file index over about sqrt(n)
    k-means clusters).

    On MNIST in 50 PCA dimensions, 20 clusters probed found 96% of the exact graph's edges in
    1.2 s on 2 CPU cores (the exact graph: 8.6-11.8 s); 12 found 93% in 0.9 s, 8 found 88%.
    """
    n = X.shape[0]
    centroids = _kmeans(X, max(1, round(math.sqrt(n))), generator)
    label = _nearest_centroid(X, centroids)
    members = [torch.nonzero(label == c).squeeze(1) for c in range(centroids.shape[0])]
    nearest_clusters = torch.argsort(_ranking_distances(centroids, centroids, _squared_norms(centroids)), dim=1)
    sq = _squared_norms(X)
    out = torch.empty(n, k, dtype=torch.long, device=X.device)
    for c, own in enumerate(members):
        if own.numel() == 0:
            continue
        # The nearest clusters, as many as it takes to hold n_probe clusters and k other rows.
        probe, count = [], 0
        for other in nearest_clusters[c].tolist():
            probe.append(members[other])
            count += members[other].numel()
            if len(probe) >= n_probe and count > k:
                break
        candidates = torch.cat(probe)
        out[own] = _nearest_other(X[own], own, X[candidates], sq[candidates], candidates, k)
    return out


def _nearest_centroid(X: torch.Tensor, centroids: torch.Tensor, block: int = 8192) -> torch.Tensor:
    c_sq = _squared_norms(centroids)
    return torch.cat([_ranking_distances(X[s : s + block], centroids, c_sq).argmin(dim=1)
                      for s in range(0, X.shape[0], block)])


def _kmeans(X: torch.Tensor, n_clusters: int, generator: torch.Generator | None, n_iter: int = 10,
            sample: int = 50_000) -> torch.Tensor:
    """Lloyd's k-means on a sample of the rows, from random rows; an empty cluster keeps its centre."""
    rows = torch.randperm(X.shape[0], generator=generator, device="cpu")[:sample].to(X.device)
    S = X[rows]
    centroids = S[:n_clusters].clone()
    for _ in range(n_iter):
        label = _nearest_centroid(S, centroids)
        sums = torch.zeros_like(centroids).index_add_(0, label, S)
        counts = torch.bincount(label, minlength=n_clusters).to(S.dtype)
        filled = counts > 0
        centroids[filled] = sums[filled] / counts[filled, None]
    return centroids


class _HeavyTailedLogPartition(torch.autograd.Function):
    """``mean_i log sum_{j != i} q_ij`` over the rows of z, q_ij = (1 + |z_i - z_j|^2 / a)^(-a).

    ``a`` is the kernel's degrees of freedom: 1 is the Cauchy kernel of t-SNE and UMAP, below 1
    the tails are heavier. Written by hand for speed on a CPU, where autograd's version was more
    than half of a training step: it keeps and reads back several (n, n) matrices (distances,
    kernel, softmax, mask) in a dozen passes. Here the kernel's base is one product of augmented
    codes, ``[z, |z|^2, 1] @ [-2z / a, 1 / a, |z|^2 / a + 1]^T = 1 + |z_i - z_j|^2 / a``, then
    one reciprocal (a = 1) or one log and one exp; and the backward needs one more product,
    because the gradient is symmetric in i and j. With S_i the row sums, c_i = 1 / S_i,
    w_ij = q_ij / base_ij (q_ij^2 when a = 1) and M_ij = w_ij (c_i + c_j), the gradient of the
    mean by z_i is ``-(2 / n) (z_i sum_j M_ij - sum_j M_ij z_j)``, and both sums come from
    ``w @ [1, c, z, c z]``. A single block (the CPU default of 1,024 points, or a GPU's whole
    batch) keeps its kernel for the backward; smaller blocks bound the memory to one
    (block, n) matrix and recompute it. On 2 CPU cores, 1,024 points of a 2-D code: 1.8 ms for
    both passes with a = 1, against 4.1 ms for the previous hand-written version and 16-19 for
    autograd's.
    """

    @staticmethod
    def _kernel(left: torch.Tensor, right: torch.Tensor, start: int, stop: int,
                dof: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Rows start:stop of the kernel, and of its base 1 + d^2 / a (None for a = 1, where q is its reciprocal)."""
        # Rounding can take the base a hair below 1 for coincident points; the clamp keeps q <= 1.
        base = torch.mm(left[start:stop], right).clamp_min_(1.0)
        if dof == 1.0:
            q, base = base.reciprocal_(), None
        else:
            q = torch.log(base).mul_(-dof).exp_()  # a log and an exp cost a quarter of pow's time
        q[:, start:stop].diagonal().zero_()  # the point itself is not its own negative
        return q, base

    @staticmethod
    def forward(ctx, z: torch.Tensor, block: int, dof: float) -> torch.Tensor:
        n = z.shape[0]
        sq = _squared_norms(z)[:, None]
        ones = torch.ones_like(sq)
        left = torch.cat([z, sq, ones], dim=1)
        right = torch.cat([(-2.0 / dof) * z, ones / dof, sq / dof + 1.0], dim=1).T.contiguous()
        sums = torch.empty(n, dtype=z.dtype, device=z.device)
        kept = None
        for start in range(0, n, block):
            stop = min(n, start + block)
            q, base = _HeavyTailedLogPartition._kernel(left, right, start, stop, dof)
            sums[start:stop] = q.sum(dim=1)
            kept = (q, base) if stop - start == n else None
        ctx.save_for_backward(z, sums, left, right)
        ctx.kept, ctx.block, ctx.dof = kept, block, dof
        return torch.log(sums).mean()

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        z, sums, left, right = ctx.saved_tensors
        n, d = z.shape
        c = sums.reciprocal()
        zt = z.T
        products = torch.cat([torch.ones_like(c)[None], c[None], zt, zt * c], dim=0)  # (2 + 2d, n)
        grad_t = torch.empty(d, n, dtype=z.dtype, device=z.device)  # the gradient, transposed
        for start in range(0, n, ctx.block):
            stop = min(n, start + ctx.block)
            q, base = ctx.kept or _HeavyTailedLogPartition._kernel(left, right, start, stop, ctx.dof)
            # d q / d(d^2) = -q / base: the weight of each pair in the gradient.
            weights = q.square_() if base is None else q.div_(base)
            sums_block = products @ weights.T  # rows: sum_j w, sum_j w c_j, w z, w c z
            c_block = c[start:stop]
            grad_t[:, start:stop] = (zt[:, start:stop] * (c_block * sums_block[0] + sums_block[1])
                                     - (c_block * sums_block[2 : 2 + d] + sums_block[2 + d :]))
        ctx.kept = None
        return (-2.0 / n) * grad_output * grad_t.T, None, None


def info_nce_heavy_tailed(heads: torch.Tensor, tails: torch.Tensor, dof: float = 1.0,
                          block: int | None = None) -> torch.Tensor:
    """InfoNCE over a batch of B edges with a heavy-tailed kernel, every point an anchor.

    Row i of ``heads`` and row i of ``tails`` are the two ends of an edge. Each of the 2B points
    is an anchor whose positive is its edge's other end and whose negatives are the other
    2B - 2 points: ``mean_a [log sum_{j != a} q_aj - log q_a,partner(a)]`` with
    ``q = (1 + d^2 / dof)^(-dof)``, Student's t kernel: ``dof=1`` is the Cauchy kernel of t-SNE
    and UMAP, smaller values have heavier tails and pull clusters apart (Kobak et al., 2019,
    "Heavy-tailed kernels reveal a finer cluster structure in t-SNE visualisations").
    ``block``: rows per block of the partition (all at once on a GPU; 1,024 on a CPU, where
    smaller blocks were no faster for a batch of 1,024 points).
    """
    if not dof > 0:
        raise ValueError(f"dof={dof!r} must be a positive number")
    z = torch.cat([heads, tails])
    block = block or (z.shape[0] if z.device.type != "cpu" else 1024)
    # The same for both ends of an edge.
    log_q_positive = -dof * torch.log1p((heads - tails).pow(2).sum(dim=1) / dof)
    return _HeavyTailedLogPartition.apply(z, block, float(dof)) - log_q_positive.mean()


@dataclass
class NeighbourEmbedding(Penalty):
    """Keep neighbours together: InfoNCE over the edges of the training rows' k-nearest-neighbour graph.

    The graph is the kNN graph (directed edges, row -> each of its ``n_neighbors`` nearest rows;
    :func:`knn_graph`, approximate on a CPU from 20,000 rows) in the encoder's fixed input
    projection (PCA's first 50 axes). Each step takes ``batch_edges``
    edges from a shuffle of the edge list (a fresh one each pass over it); the batch is their
    heads then their tails, so ``step.code[:B]`` and ``step.code[B:]`` are the two ends. The
    loss is :func:`info_nce_heavy_tailed` on the codes times ``code_scale``, which lets a moderate
    learning rate reach the spread a heavy-tailed kernel wants. The encoder trains alone
    (``decoder_afterwards``) for a fixed number of steps, ``steps_per_epoch`` an epoch.

    The constants are the prototype's calibration on MNIST and Fashion-MNIST (2-D kNN accuracy
    95.0-95.4% and 73.5-75%, against UMAP's 95.7% and 76.4%): batches of 512 edges (1,024
    points), both ends anchors, AdamW at 1e-2 (3e-2 diverged), codes scaled by 4. A later sweep
    on an H100 (Fashion-MNIST, 1,500 steps, one seed; 73.2% as they stand) found the number of
    edges seen is what counts: 1,024 edges a batch gave 75.1% (but a step costs 3x on a CPU,
    where more steps serve instead), 3,000 steps 74.8-75.9%, 6,000 76.8%. The rest moved it
    within a seed's spread: 8 or 30 neighbours 73.4/73.8%, code scale 2 or 8 74.0/73.2%, 100
    projection axes 74.1%, hidden layers 512x3 73.3%; 128x2 lost (72.4%, MNIST 91.0%).
    What changed the rate of progress was layer normalisation in the encoder (the estimator
    turns it on with this term): on the H100, 3,000 steps, seeds 0-1, Fashion-MNIST 75.7/75.1%
    became 76.8/77.8% and MNIST 95.6/95.5% became 96.6/96.2%, and 2,000 normalised steps gave
    76.8/77.0% and 96.2/96.2%. Tried there at the same time without gain: early exaggeration
    (attraction x2 or x4 for the first quarter), attraction x2 throughout (MNIST 96.8%, but
    Fashion-MNIST 75.5-75.7%), negatives from a queue of earlier batches' codes (accuracy fell to
    27-68%), sampling nearer neighbours more often, learning rate 2e-2, ReLU, 256x2 layers.
    The kernel's degrees of freedom, ``kernel_dof``, stay at the Cauchy kernel's 1. Heavier tails
    (a session of 2026-12-06, the product on 2 CPU cores, seeds 0-2 against 1's 76.53 / 76.79 /
    76.79% on Fashion-MNIST 2-D and 95.83% (seed 0) on MNIST, fit time unchanged): 0.8 gave
    77.29 / 76.80 / 76.96% and MNIST 96.13 / 95.78% (seeds 0-1), but MNIST's 2-D squared error per image rose
    from 27.8 to 29.8 (the map's inverse; the target is 30); 0.6 gave 76.9% on average and 0.4
    76.7% (autograd's partition; seeds 0-2 and 0-1). A third of a point on Fashion-MNIST, within about two
    seeds' spread, did not buy a worse inverse.
    """

    weight: float
    n_neighbors: int = 15
    name: ClassVar[str] = "neighbours"
    decoder_afterwards: ClassVar[bool] = True
    learning_rate: ClassVar[float | None] = 1e-2
    batch_edges: ClassVar[int] = 512
    code_scale: ClassVar[float] = 4.0
    kernel_dof: ClassVar[float] = 1.0
    epoch_steps: ClassVar[int] = NEIGHBOUR_STEPS_PER_EPOCH

    def __post_init__(self) -> None:
        self.heads: torch.Tensor | None = None  # the edges, set by prepare
        self.tails: torch.Tensor | None = None
        self._order: torch.Tensor | None = None  # the current shuffle of the edges, and how far it is used
        self._used = 0

    @classmethod
    def from_params(cls, params):
        # The estimator resolves "auto" with the other options; unresolved, the term is off.
        weight = params["neighbour_weight"]
        if weight == "auto" or float(weight) <= 0:
            return None
        return cls(float(weight), int(params["n_neighbors"]))

    def prepare(self, X: torch.Tensor, generator: torch.Generator) -> None:
        n = X.shape[0]
        if n < 2:
            raise ValueError("the neighbour term needs at least 2 training rows")
        k = min(self.n_neighbors, n - 1)
        neighbours = knn_graph(X, k, generator=generator)
        self.heads = torch.arange(n, device=X.device).repeat_interleave(k)
        self.tails = neighbours.reshape(-1)
        self._order, self._used = None, 0

    def steps_per_epoch(self, n_rows: int) -> int:
        return self.epoch_steps

    def batches(self, n_rows: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
        assert self.heads is not None and self.tails is not None, "prepare builds the graph first"
        n_edges = self.heads.shape[0]
        size = min(self.batch_edges, n_edges)
        for _ in range(self.epoch_steps):
            if self._order is None or self._used + size > n_edges:
                self._order = torch.randperm(n_edges, generator=generator, device=generator.device).to(self.heads.device)
                self._used = 0
            chosen = self._order[self._used : self._used + size]
            self._used += size
            yield torch.cat([self.heads[chosen], self.tails[chosen]])

    def __call__(self, step: Step) -> torch.Tensor:
        size = step.code.shape[0] // 2
        z = self.code_scale * step.code
        return self.weight * info_nce_heavy_tailed(z[:size], z[size:], self.kernel_dof)

    def __getstate__(self) -> dict[str, Any]:
        # The graph serves the fit only: a pickled estimator does not carry it.
        return {**self.__dict__, "heads": None, "tails": None, "_order": None, "_used": 0}


# Every penalty the estimator knows; Objective.from_params asks each one whether it is on.
PENALTIES: list[type[Penalty]] = [VariationalKL, L1Sparsity, KLSparsity, Contractive, NeighbourEmbedding]


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
        weight = 0.0 if any(p.decoder_afterwards for p in penalties) else 1.0
        return cls(Reconstruction(loss, weight), penalties,
                   Corruption(noise, float(params["noise_level"])) if noise else None)

    @property
    def code_activation(self) -> str:
        """The activation the code needs: a penalty's (ReLU for L1, sigmoid for KL), else none."""
        return next((p.code_activation for p in self.penalties if p.code_activation), "identity")

    @property
    def decoder_afterwards(self) -> bool:
        """Whether a penalty trains the encoder alone, so that the decoder is fitted afterwards."""
        return any(p.decoder_afterwards for p in self.penalties)

    @property
    def learning_rate(self) -> float | None:
        """The learning rate a penalty fixes for its phase, else None."""
        return next((p.learning_rate for p in self.penalties if p.learning_rate is not None), None)

    def prepare(self, model: Any, X: torch.Tensor, generator: torch.Generator) -> None:
        """Show the training rows to the penalties, as the encoder's fixed input projection maps them."""
        preparing = [p for p in self.penalties if type(p).prepare is not Penalty.prepare]
        if not preparing:
            return
        project = getattr(getattr(model, "encoder", None), "project", None)
        with torch.no_grad():
            rows = project(X) if project is not None else X
        for penalty in preparing:
            penalty.prepare(rows, generator)

    def steps_per_epoch(self, n_rows: int, batch_size: int) -> int:
        """Optimiser steps in one epoch: a penalty's own count, else one pass over the rows."""
        own = next((s for s in (p.steps_per_epoch(n_rows) for p in self.penalties) if s is not None), None)
        return own if own is not None else math.ceil(n_rows / batch_size)

    def batches(self, n_rows: int, generator: torch.Generator) -> Iterator[torch.Tensor] | None:
        """One epoch's batches of row indices when a penalty chooses them, else None."""
        return next((b for b in (p.batches(n_rows, generator) for p in self.penalties) if b is not None), None)

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
        logits = None
        if self.reconstruction.weight != 0:
            z = code
            if log_var is not None:  # the reparameterisation trick
                z = code + torch.exp(0.5 * log_var) * torch.randn(code.shape, generator=generator, device=code.device)
            with autocast():
                logits = model.decode_logits(z).float()
        step = Step(x=x, x_in=x_in, code=code, log_var=log_var, logits=logits, model=model, generator=generator)
        terms = {self.reconstruction.name: self.reconstruction(step)} if logits is not None else {}
        for penalty in self.penalties:
            terms[penalty.name] = penalty(step)
        return terms

    def evaluate(self, model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
        """Per-row reconstruction loss of clean rows, without noise or sampling."""
        code, _ = model.encode(x)
        return reconstruction_loss(model, model.decode_logits(code), x, self.reconstruction.loss)


@dataclass
class GivenCodes(Objective):
    """The reconstruction of rows from codes given beside them: each row of a batch is its frozen
    code followed by the row itself (``[code | row]``, ``n_codes`` values first), so a step decodes
    the code instead of encoding the row again. The decoder phase of a fit with the neighbour term
    trains so: 14-28% less time than encoding each batch again (MNIST, digits, R's ``Computers``),
    with the same codes and error.
    """

    n_codes: int = 0

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch's codes and rows."""
        return x[:, : self.n_codes], x[:, self.n_codes :]

    def terms(self, model: Autoencoder, x: torch.Tensor, generator: torch.Generator,
              autocast: Any = None) -> dict[str, torch.Tensor]:
        import contextlib

        codes, rows = self.split(x)
        with (autocast or contextlib.nullcontext)():
            logits = model.decode_logits(codes).float()
        return {self.reconstruction.name: self.reconstruction(Step(x=rows, x_in=rows, code=codes, log_var=None,
                                                                    logits=logits, model=model, generator=generator))}

    def evaluate(self, model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
        codes, rows = self.split(x)
        return reconstruction_loss(model, model.decode_logits(codes), rows, self.reconstruction.loss)
