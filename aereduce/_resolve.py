"""The ``"auto"`` rules: what each automatic parameter becomes for a given data set.

:class:`ResolvedOptions` holds the results (the estimator's fitted ``*_`` options); saving,
loading and ``inspect`` serialise it field by field, so its fields are the one list of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from ._scaling import Scaler, in_unit_range
from .errors import OptionError


# Below this many rows there is too little data to validate on, and a deep model memorised
# mtcars' 32 rows (its held-out rows became the top anomalies): such data gets a linear model.
MIN_ROWS_FOR_DEEP = 50
# Early stopping's "auto": on from MIN_ROWS_FOR_DEEP rows (enough to validate on) up to this many,
# above which a fixed schedule of epochs rarely overfits and the validation pass is pure cost.
EARLY_STOPPING_MAX_ROWS = 20_000
BFLOAT16_MIN_ROWS = 20_000  # precision="auto" trains in bfloat16 from here where it is native (auto_precision)


# The neighbour term (objective.NeighbourEmbedding): its epoch is this many optimiser steps, "auto"
# runs up to NEIGHBOUR_EPOCHS of them on a CPU and NEIGHBOUR_EPOCHS_ACCELERATED on a GPU
# (auto_neighbour_epochs), and the decoder fitted afterwards gets about DECODER_STEPS_PER_EPOCH
# steps for each of them (8 epochs of 512 rows on MNIST; before the encoder was normalised, 20
# epochs against 10 only lowered its 2-D squared error per image from 27.6 to 26.9, at twice the
# decoder's time), and never fewer than DECODER_MIN_STEPS (decoder_iter).
NEIGHBOUR_STEPS_PER_EPOCH = 100
NEIGHBOUR_EPOCHS = 25
NEIGHBOUR_EPOCHS_ACCELERATED = 40
NEIGHBOUR_MIN_EPOCHS = 5
NEIGHBOUR_FULL_ROWS = 60_000  # the full budget from this many rows, less below (auto_neighbour_epochs)
DECODER_STEPS_PER_EPOCH = 40
DECODER_MIN_STEPS = DECODER_STEPS_PER_EPOCH * NEIGHBOUR_EPOCHS  # MNIST's budget, so 60,000 rows are unchanged
# ...and for rows no wider than the hidden layers, whose steps cost a sixth of MNIST's (2 ms against 13
# ms on 2 cores), three times as many (decoder_iter)
DECODER_MIN_STEPS_NARROW = 3 * DECODER_MIN_STEPS
NARROW_ROWS = 256
# What the neighbour term's "auto" needs: a map (2-3 dimensions) of enough rows for a graph.
NEIGHBOUR_MAX_COMPONENTS = 3
NEIGHBOUR_MIN_ROWS = 1000
# The encoder's fixed input projection under the neighbour term: PCA's first axes.
NEIGHBOUR_PROJECTION = 50
NEIGHBOUR_HIDDEN_LAYER_SIZES = (256, 256, 256)


def auto_hidden_layer_sizes(n_features: int, n_components: int, n_samples: int = MIN_ROWS_FOR_DEEP
                            ) -> tuple[int, ...]:
    """Two hidden layers, wide enough to beat a linear map, bounded for speed; none for tiny data.

    512-256 for 784 pixels (measured in benchmarks/RESULTS.md); 64-32 for a
    dozen tabular columns; a linear model (started at PCA's solution) below 50 rows.
    """
    if n_samples < MIN_ROWS_FOR_DEEP:
        return ()
    first = int(min(512, max(64, 4 * n_features)))
    return first, max(first // 2, n_components)


# The recurrent model's "auto" batch. Its GRUs first sit on a plateau, reconstructing the mean row,
# that larger batches did not leave before early stopping gave up: the README's example (2,000 sine
# waves of 50 steps, 4-D) ended after 22 epochs of 180 rows at MSE 0.85, worse than PCA's 0.65 (trial
# 14); batches of 64 left it within 15 epochs and reached 0.07-0.18 (seeds 0-2), 0.04 on the
# benchmark's waves (0.09 with 180), as SEQUENCES.md's runs use.
RECURRENT_BATCH_SIZE = 64
# ...and early stopping waits at least this many epochs without gain before it gives up on it (with
# 10, the CLI's fit of those waves stopped after 36 epochs at MSE 0.71, PCA's 0.67).
RECURRENT_MIN_PATIENCE = 30


def auto_batch_size(n_samples: int) -> int:
    """256 rows for large data; about ten batches per epoch for small data."""
    return int(min(256, max(16, n_samples // 10), max(1, n_samples)))


def auto_max_iter(n_samples: int, batch_size: int) -> int:
    """Epochs for about 5,000 optimiser steps (20 epochs on MNIST), between 20 and 1,000."""
    steps_per_epoch = math.ceil(max(1, n_samples) / batch_size)
    return int(min(1000, max(20, round(5000 / steps_per_epoch))))


@dataclass
class ResolvedOptions:
    """The value each ``"auto"`` (or data-dependent) parameter took in ``fit``."""

    n_components_: int
    scaling_: str
    loss_: str
    output_activation_: str
    hidden_layer_sizes_: tuple[int, ...]
    batch_size_: int
    max_iter_: int
    early_stopping_: bool
    linear_skip_: bool
    precision_: str = "float32"  # absent from files of release 0.1.0, which trained in float32
    neighbour_weight_: float = 0.0  # absent from files written before the neighbour term
    decoder_iter_: int = 0  # epochs of the decoder fitted after the neighbour term; 0: no such phase
    encoder_layer_norm_: bool = False  # absent from files written before the neighbour encoder normalised its layers

    def __post_init__(self) -> None:
        self.hidden_layer_sizes_ = tuple(int(s) for s in self.hidden_layer_sizes_)  # JSON gives a list
        # What a file says is checked as fit would have made it (a review of trial 22 loaded
        # scaling_='os.system' and batch_size_=-1 from a file without its checksum): a ValueError,
        # which loading reports as a corrupt model.
        allowed = {"scaling_": ("standard", "minmax", "global", "none"), "loss_": ("mse", "bce", "cosine"),
                   "output_activation_": ("sigmoid", "identity"), "precision_": ("float32", "bfloat16")}
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {', '.join(values)}")
        counts = {"n_components_": self.n_components_, "batch_size_": self.batch_size_, "max_iter_": self.max_iter_ + 1,
                  "decoder_iter_": self.decoder_iter_ + 1, "hidden layer": min(self.hidden_layer_sizes_, default=1)}
        for name, count in counts.items():
            if not isinstance(count, Integral) or isinstance(count, bool) or count < 1:
                raise ValueError(f"{name} is not a positive whole number")
        if not (isinstance(self.neighbour_weight_, (int, float)) and math.isfinite(self.neighbour_weight_)
                and self.neighbour_weight_ >= 0):
            raise ValueError(f"neighbour_weight_={self.neighbour_weight_!r} is not a number of at least 0")


def _unit_range(Xs: np.ndarray) -> bool:
    return bool(Xs.size) and bool(in_unit_range(float(Xs.min()), float(Xs.max())))


# Binary cross-entropy (and a sigmoid output) is the likelihood of values at 0 or 1: pixels on a
# blank ground, one-hot dummies. For measurements spread inside [0, 1] (a MinMaxScaler's output)
# it trained a weaker model than a squared error started at PCA's solution, and without PCA's
# start nothing kept it from ending worse than PCA: iris scaled to [0, 1] ended 1.2-6x PCA's
# held-out error under it (trial 21), 1.0x under the squared error. The share of the variance the
# columns' means allow that they have, var / (mean (1 - mean)), tells the two apart: 1 for values
# at 0 or 1 alone, 1/3 for values spread evenly. MNIST 0.78, Fashion-MNIST 0.52, digits/16 0.51;
# iris, wine, diabetes, breast cancer and R's swiss, airquality, quakes, faithful, trees and
# USArrests scaled to [0, 1], 0.12-0.35 (mtcars, with two dummies among its 11 columns, 0.48).
BERNOULLI_LIKE = 0.45
# Cross-entropy starts without PCA's solution, so nothing keeps it from ending worse than PCA: on R's
# DavisThin (191 rows of answers 0-3 scaled to [0, 1], Bernoulli-like 0.5) it ended 1.02-1.19x PCA's
# held-out error; from about a thousand rows it gained (digits 0.49-0.76x, epi 0.97x;
# benchmarks/SMALL_TABLES_MINMAX.md). Fewer rows get a squared error from PCA's start.
CROSS_ENTROPY_MIN_ROWS = 1_000
# Rows of the data that its means and variances are estimated on (a strided sample).
BERNOULLI_SAMPLE_ROWS = 4_096


def bernoulli_likeness(mean: np.ndarray, variance: np.ndarray) -> float:
    """The columns' variance as a share of the most their means allow in [0, 1] (see BERNOULLI_LIKE);
    1 where no column varies."""
    allowed = float(np.sum(np.clip(mean, 0.0, 1.0) * (1.0 - np.clip(mean, 0.0, 1.0))))
    return float(np.sum(variance)) / allowed if allowed > 0 else 1.0


def scaled_moments(X: np.ndarray, scaler: Scaler, moments: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The scaled data's column means and variances: from the raw ``moments`` (means, variances) a
    streamed fit found, else from at most BERNOULLI_SAMPLE_ROWS rows of X taken at even strides."""
    if moments is None:
        sample = np.asarray(X[:: -(-X.shape[0] // BERNOULLI_SAMPLE_ROWS) or 1], dtype=np.float64)
        moments = sample.mean(axis=0), sample.var(axis=0)
    mean, variance = (np.asarray(m, dtype=np.float64) for m in moments)
    return (mean - scaler.offset) / scaler.scale, variance / scaler.scale**2


def hidden_layer_tuple(sizes: Any) -> tuple:
    """``hidden_layer_sizes`` as a tuple: one int is one hidden layer of that width, as in MLPRegressor."""
    return (sizes,) if isinstance(sizes, Integral) else tuple(sizes)


def _hidden_layer_sizes(params: Mapping[str, Any], n_samples: int, n_features: int) -> tuple[int, ...]:
    if params["hidden_layer_sizes"] == "auto":
        return auto_hidden_layer_sizes(n_features, params["n_components"], n_samples)
    sizes = hidden_layer_tuple(params["hidden_layer_sizes"])
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise OptionError(
            f"hidden_layer_sizes must be 'auto' or a tuple of positive integers, got {params['hidden_layer_sizes']!r}")
    return tuple(int(s) for s in sizes)


# The networks ``architecture`` chooses among, and the ``input_shape`` each reads a row as.
ARCHITECTURE_SHAPES = {"conv": "(channels, height, width)", "recurrent": "(time_steps, features)"}


def model_architecture(architecture: str, input_shape: Sequence[int] | None) -> tuple[str, tuple[int, ...] | None]:
    """The network that ``architecture`` and ``input_shape`` choose, and the shape it reads each row as.

    ``"auto"``: the convolutional model for a 3-tuple (channels, height, width), the recurrent
    model for a 2-tuple (time_steps, features), the multilayer perceptron without a shape. The
    rule leaves every model of release 0.1 as it was (its ``input_shape`` was a 3-tuple or None).
    ``architecture="conv"`` also takes (height, width), as one channel.
    """
    shape = None if input_shape is None else tuple(int(s) for s in input_shape)
    if architecture == "auto":
        architecture = "mlp" if shape is None else {2: "recurrent"}.get(len(shape), "conv")
    if architecture == "mlp":
        if shape is not None:
            raise OptionError(f"architecture='mlp' reads flat rows, so input_shape={input_shape!r} has no use: "
                              "leave input_shape=None, or use architecture='conv' or 'recurrent'")
        return "mlp", None
    if shape is None:
        raise OptionError(f"architecture={architecture!r} needs input_shape={ARCHITECTURE_SHAPES[architecture]}")
    if architecture == "conv" and len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != ARCHITECTURE_SHAPES[architecture].count(",") + 1 or min(shape) < 1:
        raise OptionError(f"input_shape={input_shape!r} must be {ARCHITECTURE_SHAPES['conv']} for the convolutional "
                          f"model or {ARCHITECTURE_SHAPES['recurrent']} for the recurrent one, of positive sizes")
    return architecture, shape


def _check_input_shape(params: Mapping[str, Any], n_features: int) -> None:
    architecture, shape = model_architecture(params["architecture"], params["input_shape"])
    if shape is None:
        return
    if math.prod(shape) != n_features:
        product = "*".join(ARCHITECTURE_SHAPES[architecture].strip("()").split(", "))
        raise OptionError(f"input_shape={params['input_shape']!r} must be {ARCHITECTURE_SHAPES[architecture]} with "
                          f"{product} equal to the {n_features} features of X")
    if params["tied_weights"] or params["pretrain"]:
        raise OptionError("tied_weights and pretrain need the multilayer perceptron (input_shape=None)")


def check_pca_components(params: Mapping[str, Any], n_features: int, neighbours: bool,
                         streaming: bool | str = False, n_samples: int | None = None) -> None:
    """``pca_components``: fewer than the features, at least the code's width, and only where the
    network reads flat rows through its first layer (an MLP, untied, without noise on the rows, a
    layer-wise stage or PCA's linear path, which would reproduce the components alone) and every
    row is in memory to find the components (not a streamed fit)."""
    k = params.get("pca_components")
    if k is None:
        return
    if k >= n_features:
        raise OptionError(f"pca_components={k} must be below the {n_features} features of X: "
                          "so many components reduce nothing")
    if n_samples is not None and k >= n_samples:
        raise OptionError(f"pca_components={k} must be below the {n_samples} rows given to fit: "
                          f"{n_samples} centred rows have at most {max(0, n_samples - 1)} principal components")
    if k < params["n_components"]:
        raise OptionError(f"pca_components={k} must be at least n_components={params['n_components']}: "
                          "the code is learnt from the components")
    _refuse_streamed_components(k, streaming)
    _refuse_first_layer_conflicts(params, neighbours)
    if neighbours:
        return
    # The output layer is fitted by least squares, so the output is linear and the loss squared.
    if params["output_activation"] == "sigmoid" or params["loss"] in ("bce", "cosine"):
        given = "output_activation='sigmoid'" if params["output_activation"] == "sigmoid" else f"loss={params['loss']!r}"
        raise OptionError(f"pca_components={k} fits the output layer by least squares, which needs a linear "
                          f"output and a squared error, not {given}; use loss='mse' with it")


def _refuse_streamed_components(k: int, streaming: bool | str) -> None:
    """Refuse ``pca_components=k`` to a fit that sees one chunk at a time."""
    if streaming:
        who = streaming if isinstance(streaming, str) else "partial_fit"
        raise OptionError(f"{who} sees one chunk at a time and cannot find the principal components of all "
                          f"rows: fit in memory (--no-stream on the command line), or train on the rows "
                          f"themselves without pca_components={k}")


def _refuse_first_layer_conflicts(params: Mapping[str, Any], neighbours: bool) -> None:
    """Refuse ``pca_components`` with the options that need the rows themselves at the network's
    first layer; noise on the rows is one of them unless the neighbour term trains the codes."""
    k = params.get("pca_components")
    if k is None:
        return
    # Python's spellings, which the command line rewrites as its flags (--tied, --noise mask, ...)
    conflicts = [name for name, on in (("an input_shape (--conv, --recurrent)", params["input_shape"] is not None),
                                       ("tied_weights=True", params["tied_weights"]),
                                       ("pretrain=True", params["pretrain"]),
                                       (f"noise='{params['noise']}'", params["noise"] is not None and not neighbours),
                                       ("linear_skip=True", params["linear_skip"] is True)) if on]
    if conflicts:
        raise OptionError(f"pca_components={k} does not combine with {', '.join(conflicts)}: "
                          "those need the rows themselves at the network's first layer")


def check_before_reading(params: Mapping[str, Any], streaming: bool | str = False) -> None:
    """The refusals of :func:`check_pca_components` that no data can change, made before a file is
    read (trial 20: ``--conv 28x28 --pca-components 64`` read the whole file first); ``streaming``:
    the fit will read it in chunks (its name). Noise conflicts unless the neighbour term trains the
    codes; where its "auto" waits for the rows to be counted, so does that refusal."""
    if params.get("pca_components") is not None:
        _refuse_streamed_components(params["pca_components"], streaming)
    # As if there were rows enough for the term: fewer can only turn its "auto" off, later.
    neighbours = neighbour_weight(params, NEIGHBOUR_MIN_ROWS, streaming) > 0
    _refuse_first_layer_conflicts(params, neighbours)


def _output_and_loss(params: Mapping[str, Any], Xs: np.ndarray, in_pca_space: bool = False,
                     bernoulli_like: bool = True) -> tuple[str, str]:
    """The output activation and loss; ``Xs``: the scaled data, or rows holding its extremes.
    ``in_pca_space``: trained on principal components (a linear output, a squared error).
    ``bernoulli_like``: the values sit at 0 or 1 enough for cross-entropy (BERNOULLI_LIKE), which
    "auto" picks only then."""
    in_unit_range = _unit_range(Xs)
    output = params["output_activation"]
    if output == "auto":  # cross-entropy asked for takes the sigmoid it needs wherever the data allow
        output = "sigmoid" if in_unit_range and (bernoulli_like or params["loss"] == "bce") and not in_pca_space \
            else "identity"
    loss = params["loss"]
    if loss == "auto":
        loss = "bce" if output == "sigmoid" else "mse"
    if loss == "bce" and not in_unit_range:
        # trial 51 set output_activation='sigmoid' alone and was told of a loss it never set
        asked = "loss='bce'" if params["loss"] == "bce" else "output_activation='sigmoid' (with its loss, 'bce')"
        fix = ("loss='mse' and output_activation='identity'" if params["loss"] == "bce" and params["output_activation"]
               == "sigmoid" else "loss='mse'" if params["loss"] == "bce" else "output_activation='identity'")
        raise OptionError(f"{asked} needs data in [0, 1] after scaling, got values in "
                          f"[{Xs.min():.3g}, {Xs.max():.3g}]; use scaling='minmax' or {fix}")
    if loss == "bce" and output != "sigmoid":
        raise OptionError("loss='bce' needs output_activation='sigmoid' (or 'auto')")
    return output, loss


def regularises_the_code(params: Mapping[str, Any]) -> bool:
    """Whether a code as wide as the rows is still a choice: noise, sparsity, a contractive or a
    variational term keep it from copying them whole (the overcomplete autoencoders)."""
    return bool(params.get("noise") or params.get("sparsity") or float(params.get("contractive_weight") or 0) > 0
                or params.get("variational"))


def model_variant(params: Mapping[str, Any] | None) -> str:
    """Which members of the autoencoder family the parameters ask for, in words ("" for the plain
    one): a --variational fit was summarised as a plain "fitted ae" (trial 8), and ``inspect``
    named none (trial 14). Takes the options given or a saved model's whole set alike."""
    given = params or {}
    words = []
    if given.get("input_shape") is not None:
        architecture, _ = model_architecture(given.get("architecture", "auto"), given["input_shape"])
        words.append({"recurrent": "recurrent", "conv": "convolutional"}.get(architecture, architecture))
    # not "denoising (mask)": the fit summary's parentheses hold the dims
    words += [word for word, on in (("variational", given.get("variational")),
                                    (f"{given.get('noise')} denoising", given.get("noise")),
                                    (f"{str(given.get('sparsity')).upper()} sparse", given.get("sparsity")),
                                    ("contractive", given.get("contractive_weight")),
                                    ("tied", given.get("tied_weights")),
                                    ("pretrained layer by layer", given.get("pretrain")),
                                    (f"on {given.get('pca_components')} principal components",
                                     given.get("pca_components") is not None),
                                    (f"{given.get('loss')} loss", given.get("loss") not in (None, "auto"))) if on]
    return ", ".join(words)


def _plain(params: Mapping[str, Any]) -> bool:
    """Whether the objective is reconstruction alone: no noise, sparsity, contractive or variational term."""
    return (params["noise"] is None and params["sparsity"] is None and not params["variational"]
            and params["contractive_weight"] == 0)


def _linear_skip(params: Mapping[str, Any], output: str, neighbours: bool, loss: str = "mse") -> bool:
    if params["linear_skip"] != "auto":
        skip = bool(params["linear_skip"])
        if skip and (params["input_shape"] is not None or params["tied_weights"]):
            # A tied decoder's non-linear path shares the encoder's weights, so it cannot start at zero.
            raise OptionError("linear_skip needs the untied multilayer perceptron (input_shape=None, tied_weights=False)")
        if skip and neighbours:
            raise OptionError("linear_skip starts at PCA's reconstruction, which the neighbour term does not train; "
                              "use neighbour_weight=0 or linear_skip=False")
        return skip
    # PCA's start (and the rule that keeps it unless training beats it on reconstruction) is the
    # plain model's: a model asked for a regulariser (noise, sparsity, a contractive or variational
    # term) trains that objective, which reconstructs worse by design, so the rule kept PCA's
    # weights silently (a variational model's codes were PCA's scores, far from N(0, I), and its
    # samples had a third of the data's spread on breast cancer). So with the cosine loss, which PCA does
    # not minimise: trial 51's cosine model kept PCA's weights though its own validation loss fell 43%.
    return (output == "identity" and loss == "mse" and params["input_shape"] is None and not params["tied_weights"]
            and _plain(params) and not neighbours and params.get("pca_components") is None)


def starts_at_the_optimum(params: Mapping[str, Any], hidden: tuple[int, ...], linear_skip: bool, loss: str,
                          n_features: int | None = None) -> bool:
    """A linear model (no hidden layer, e.g. below 50 rows), or a code as wide as the ``n_features``
    columns, started at PCA's solution with a plain squared error: PCA already minimises the training
    rows' error (to zero for the wide code), so epochs could only fit noise. Measured: mtcars (32
    rows) and USArrests (50) ended 0.2-0.4% above PCA's held-out error after training; with no epochs
    they equal it (benchmarks/SMALL_TABLES.md). Trial 42: esoph's 2 columns at --dim 2 trained 60
    epochs after the note that PCA-2 is exact."""
    exact = n_features is not None and int(params["n_components"]) >= n_features
    return (hidden == () or exact) and linear_skip and loss == "mse" and _plain(params)


def default_epochs(model: Any) -> int | None:
    """What ``max_iter="auto"`` trains a fitted autoencoder where the rows alone do not say it
    (:func:`failed_fit_fix`'s ``default_epochs``): 0 where the default is PCA's solution; else None
    (then :func:`auto_max_iter`'s count). None for another model."""
    if not hasattr(model, "linear_skip_"):
        return None
    return 0 if starts_at_the_optimum(model.get_params(), model.hidden_layer_sizes_, model.linear_skip_,
                                      model.loss_, model.n_features_in_) else None


def _neighbour_conflicts(params: Mapping[str, Any]) -> list[str]:
    """The options the neighbour term does not combine with: it trains an MLP encoder alone, then
    the decoder alone, so there is no shared (tied) weight, no layer-wise stage, and no penalty on
    a code that the reconstruction does not shape."""
    checks = {"variational": params["variational"], "sparsity": params["sparsity"] is not None,
              "contractive_weight": params["contractive_weight"] > 0, "tied_weights": params["tied_weights"],
              "pretrain": params["pretrain"], "input_shape": params["input_shape"] is not None}
    return [name for name, on in checks.items() if on]


def neighbour_weight(params: Mapping[str, Any], n_samples: int, streaming: bool | str = False,
                     n_features: int | None = None) -> float:
    """``neighbour_weight="auto"``: 1.0 for a map (``n_components <= 3``) of at least 1,000 rows by
    the multilayer perceptron with none of the options the term excludes, and narrower than the
    ``n_features`` columns where given; else 0 (off). A code as wide as the columns holds each row
    whole (PCA's is exact): a map of it rebuilt Garch's 3 columns 0.006 off where PCA was exact (trial 48).

    ``streaming`` (``partial_fit``, or the name of another fit that sees one chunk at a time, such as
    ``"fit_stream"``) cannot build the graph over all rows: ``"auto"`` is then 0, a positive weight an error.
    """
    weight = params["neighbour_weight"]
    conflicts = _neighbour_conflicts(params)
    if weight == "auto":
        on = (not streaming and not conflicts and params["n_components"] <= NEIGHBOUR_MAX_COMPONENTS
              and n_samples >= NEIGHBOUR_MIN_ROWS and (n_features is None or params["n_components"] < n_features))
        return 1.0 if on else 0.0
    weight = float(weight)
    if weight > 0 and conflicts:
        raise OptionError(f"neighbour_weight={weight:g} does not combine with {', '.join(conflicts)}; "
                          f"use neighbour_weight=0 for those")
    if weight > 0 and streaming:
        who = streaming if isinstance(streaming, str) else "partial_fit"
        raise OptionError(f"{who} cannot train the neighbour term, which needs the graph of all rows in memory; "
                          "use fit, or neighbour_weight=0")
    return weight


def auto_neighbour_epochs(n_samples: int, accelerated: bool = False) -> int:
    """Epochs of the neighbour term (100 steps each).

    On a CPU, 25 (2,500 steps) from 60,000 rows. With the encoder's layers normalised, 7-NN
    accuracy on the 2-D test codes (2 CPU cores, seeds 0-2; UMAP: 95.65% and 76.37%):

    ======  =========================  =========================  ==========
    epochs  MNIST                      Fashion-MNIST              fit
    ======  =========================  =========================  ==========
    20      95.79 / 95.76 / 95.97%     76.21 / 76.15 / 76.40%     30-35 s
    25      95.84 / 95.95 / 95.90%     75.77 / 76.91 / 77.32%     30-40 s
    30      96.18% (seed 0)            77.01% (seed 0)            43-48 s
    ======  =========================  =========================  ==========

    20 left Fashion-MNIST under UMAP on every seed; 25 beats UMAP on both on average (seed 0 of
    Fashion-MNIST drew 0.6 points under it). On a GPU, where a step costs little, 40.

    Below 60,000 rows, fewer, by the square root of the share of rows (at least
    NEIGHBOUR_MIN_EPOCHS): a budget proportional to the rows, as before, left mid-sized maps short
    of UMAP's. 7-NN accuracy on 20% held-out rows, the first 10,000 training images (seeds 0 / 1;
    UMAP with and without a seed, 2 CPU cores):

    ================  ======================  ======================  ======================
    rule (epochs)     MNIST                   Fashion-MNIST           fit
    ================  ======================  ======================  ======================
    rows (3)          87.80 / 89.70%          72.00 / 72.05%          6-8 s
    square root (9)   91.60 / 92.45%          73.55 / 75.05%          19-24 s
    cube root (13)    92.45 / 93.35%          73.95 / 76.70%          22-30 s
    UMAP              90.50-90.60%            74.20-74.95%            10-15 s
    ================  ======================  ======================  ======================

    (the fits include DECODER_MIN_STEPS). The square root's 8 epochs on R's ``Computers`` (6,259
    rows) gave 93.29 / 92.81% on ``premium`` against 92.25 / 92.81% (UMAP 93.21-93.77%).

    The floor was 8 epochs until 2026-12-07, more than the square root asks below 5,400 rows (fitted
    on). Down to 5, seven tables of 1,437-5,007 training rows (the same split, 7-NN of their classes,
    seeds 0 / 1, alternating in one run on an AVX2-only CPU of 2 cores; ``Males`` is not in
    ``benchmarks.mid_maps``) gave (floor 8 -> 5; digits 8 -> 5 epochs, ``Males`` 8 -> 6,
    ``Computers`` 8 -> 7):

    ==================  ===============================  ===============================  ==========
    table (classes)     floor 8                          floor 5                          fit s
    ==================  ===============================  ===============================  ==========
    digits              95.82 / 97.49%                   95.82 / 97.21%                   14.0 -> 9.4
    Computers (premium) 93.45 / 93.61%                   93.13 / 93.05%                   26.3 -> 16.7
    Cracker (choice)    61.25 / 58.81%                   60.79 / 57.90%                   14.2 -> 9.8
    Yogurt (choice)     71.16 / 65.77%                   74.90 / 66.39%                   13.8 -> 9.2
    Workinghours (occ.) 45.56 / 46.15%                   43.05 / 46.75%                   14.9 -> 10.5
    Tobacco (occ.)      65.32 / 64.40%                   65.69 / 62.39%                   17.5 -> 10.9
    Males (occupation)  20.64 / 22.94%                   22.13 / 21.79%                   14.1 -> 13.4
    ==================  ===============================  ===============================  ==========

    0.1 point less on average (5 of 14 fits better, 8 worse); only ``Computers`` fell on both seeds
    (0.3 and 0.6 points), and its held-out error rose from 0.075 to 0.121 scaled (PCA-2's 0.389).
    The fit times are noisy on that host (``Computers``' one epoch fewer cannot save 37%); the
    epochs alone save 37% of the embedding phase at 5 of 8. Narrower hidden layers (128 or 64 wide)
    saved about as much time and lost 0.6 points or more.
    """
    most = NEIGHBOUR_EPOCHS_ACCELERATED if accelerated else NEIGHBOUR_EPOCHS
    share = min(1.0, max(0, n_samples) / NEIGHBOUR_FULL_ROWS)
    return int(min(most, max(NEIGHBOUR_MIN_EPOCHS, round(most * math.sqrt(share)))))


def decoder_iter(max_iter: int, n_samples: int, batch_size: int, n_features: int = NARROW_ROWS + 1) -> int:
    """Epochs of the decoder fitted after the neighbour term: about DECODER_STEPS_PER_EPOCH steps
    for each of the ``max_iter`` epochs of the embedding, at least DECODER_MIN_STEPS (three times
    as many for rows of up to NARROW_ROWS values), at least one pass over the rows, and at most
    1,000 epochs (which caps the floor where an epoch is a single step).

    The floor is for fewer rows than MNIST's, whose few embedding epochs left the decoder far from
    trained: held-out error of the 2-D map over PCA-2's (20% held out, seed 0), from about 100
    decoder steps to 1,000, went from 0.96 to 0.66 on 10,000 MNIST images, 0.85 to 0.33 on R's
    ``Computers`` and 1.09 (worse than PCA) to 0.66 on ``diamonds`` (54k rows, 18-21 epochs).
    On those narrow tables 3,000 steps went on to 0.23 and 0.37 (fits 14 -> 20 s and 20 -> 29 s);
    on MNIST's 10,000 images 2,000 only to 0.65, at 11 s more. Early stopping ends it sooner
    where the decoder has converged (up to 20,000 rows).
    """
    steps_per_epoch = math.ceil(max(1, n_samples) / batch_size)
    least = DECODER_MIN_STEPS_NARROW if n_features <= NARROW_ROWS else DECODER_MIN_STEPS
    steps = max(least, DECODER_STEPS_PER_EPOCH * max_iter)
    return int(min(1000, max(1, round(steps / steps_per_epoch))))


# A fit whose reconstruction error is over this many times PCA's at the same dimension has failed (a
# diverging learning rate, too few epochs): the command line refuses to save it, since it would hand
# the user a model worse than the baseline they could have had in a second, and the estimator warns.
FAILED_FIT_RATIO = 3.0
# Training rows on which a fit is compared with PCA's (both on the same rows): enough for a ratio of
# three to show, few enough to cost milliseconds.
POOR_FIT_CHECK_ROWS = 2_000
# A mean squared error (in scaled units) below this is rounding, not a worse fit: a float32 model
# that reconstructs 3 rows exactly (2e-14) was refused against PCA's 6e-32 (trial 12).
NEGLIGIBLE_MSE = 1e-9
# ...and so is an error below this share of the rows' variance (the error of rebuilding every row
# as the mean): trial 38's 3 rows of mtcars at 2-D, 3e-6 of a variance of 1, were "over 3x PCA's"
# 5e-15 and warned of as a failed fit.
NEGLIGIBLE_SHARE = 1e-5


# A fit that keeps under NOTHING_KEPT_SHARE of the variance PCA at its dimension keeps, where PCA keeps
# at least PLAIN_STRUCTURE_SHARE of the rows' variance, learned nothing: trial 40's variational model at
# beta=50 (and an L1 code at weight 10) rebuilt Boston's rows as their mean, error 1.005 against a
# variance of 1, and passed the FAILED_FIT_RATIO bar (3x PCA-2's 0.415 is 1.24) without a word. Where
# PCA keeps less, the mean row is within 1.33x of PCA's error, and a few held-out rows of noise show
# PCA keeping 12% by chance (2 of 16 random columns, 6 rows held out).
NOTHING_KEPT_SHARE = 0.1
PLAIN_STRUCTURE_SHARE = 0.25


def failure_bar(error: float, pca_error: float | None, dim: int, *, variance: float | None = None,
                denoiser: bool = False, cosine: bool = False) -> str | None:
    """The bar a reconstruction error fails, as a message's words (``over 3x PCA-2's 0.1``); None for a
    fit that did not fail. It fails when it is not a number, or over FAILED_FIT_RATIO times PCA's error
    at the same dimension (``dim``) and above rounding (NEGLIGIBLE_SHARE of the rows' ``variance``
    where it is given, else NEGLIGIBLE_MSE), or when it keeps under NOTHING_KEPT_SHARE of the variance
    PCA keeps, where PCA keeps at least PLAIN_STRUCTURE_SHARE of the ``variance``.

    A ``denoiser``'s bar is the ``variance`` instead (the error of rebuilding every row as the training
    mean). A denoiser trains to rebuild clean rows from corrupted ones, not to copy its input, so
    PCA's error is no bar for it: at 32 dimensions of digits PCA is nearly exact, and
    the README's masking denoiser, 3.7x PCA's error, was refused although it cleaned masked rows best
    (trial 23). What a denoiser must still beat is a model that learned nothing.

    A ``cosine`` model rebuilds each row's direction, not its length, so no squared error is a bar
    for it: trial 51's digits, whose rows it rebuilt at a mean cosine of 0.83 against PCA-2's 0.50,
    were refused at 3.5x PCA's squared error. It fails only when its error is not a number.
    """
    if not math.isfinite(error):
        return "not a number"
    if cosine:
        return None
    if denoiser and variance is not None:
        return (f"above the mean row's {variance:.4g} (a model that learned nothing)"
                if error > max(variance, NEGLIGIBLE_MSE) else None)
    if pca_error is None:
        return None
    # relative where the variance is known: data in tiny units (a variance of 1e-10) fail above rounding
    negligible = NEGLIGIBLE_MSE if variance is None else NEGLIGIBLE_SHARE * variance
    if pca_error > 0 and error > max(FAILED_FIT_RATIO * pca_error, negligible):
        return f"over {FAILED_FIT_RATIO:g}x PCA-{dim}'s {pca_error:.4g}"
    if variance is not None and variance - pca_error >= PLAIN_STRUCTURE_SHARE * variance \
            and variance - error < NOTHING_KEPT_SHARE * (variance - pca_error):
        return (f"about the error of rebuilding every row as the mean ({variance:.4g}), where PCA-{dim}'s is "
                f"{pca_error:.4g} (a model that learned nothing)")
    return None


def spanned_dimensions(n_rows: int) -> int:
    """The dimensions ``n_rows`` centred rows span at most: a code this wide rebuilds them exactly."""
    return max(n_rows - 1, 1)


def rows_spanned(dim: int, n_rows: int, option: str) -> str:
    """Why a code of ``dim`` (written ``option`` + dim: ``--dim 8``, ``n_components=8``) reduces nothing
    of ``n_rows`` training rows (trial 40: 8 codes of 5 rows rebuilt them exactly without a word; PCA
    refuses more than 5), and the fix."""
    span = spanned_dimensions(n_rows)
    fix = f"choose {option.rstrip('= ')} below {span}, or give more rows" if span > 1 else "give more rows"
    return (f"{option}{dim} is not below the {span} dimensions that {n_rows} training rows span: the code can hold "
            f"each of them whole, so the fit rebuilds them exactly whatever it learns of the columns; {fix}")


def fit_failed(error: float, pca_error: float | None, *, variance: float | None = None, denoiser: bool = False) -> bool:
    """Whether a reconstruction error is a failed fit (:func:`failure_bar`)."""
    return failure_bar(error, pca_error, 0, variance=variance, denoiser=denoiser) is not None


def mean_row_error(scaled_rows: np.ndarray, mean: np.ndarray) -> float:
    """The error of rebuilding each of ``scaled_rows`` as ``mean`` (the training rows' mean), per value."""
    return float(np.mean((np.asarray(scaled_rows, dtype=np.float64) - mean) ** 2))
# Options that trade reconstruction for something else, which a fit far worse than PCA's may owe
# to: the penalty or corruption to weaken. The variational model's trade is set by beta.
REGULARISERS = ("noise", "sparsity", "contractive_weight")


def python_option(name: str, value: Any = None) -> str:
    """How a parameter is written in Python: ``max_iter=3``, or ``noise`` alone."""
    return name if value is None else f"{name}={value!r}"


def short_training_fix(params: Mapping[str, Any], n_train: int, batch_size: int, *,
                       shown: Callable[..., str] = python_option, default_epochs: int | None = None) -> str | None:
    """"train longer than max_iter=3 (the default here: 40)" when ``params`` cut the epochs below the
    automatic number for these rows (or ``default_epochs``), else None. A default of 0 epochs is
    PCA's solution (:func:`starts_at_the_optimum`), which any epochs given left."""
    epochs = params.get("max_iter", "auto")
    if epochs == "auto":
        return None
    if default_epochs == 0:  # trial 21 was told "the default here: 1000" where it is no epochs at all
        return f"leave out {shown('max_iter', epochs)}: the default here is PCA's solution, with no epochs"
    if default_epochs is None:
        default_epochs = auto_max_iter(n_train, batch_size)
    return f"train longer than {shown('max_iter', epochs)} (the default here: {default_epochs})" \
        if epochs < default_epochs else None


def failed_fit_fix(params: Mapping[str, Any] | None, n_train: int, batch_size: int, *,
                   shown: Callable[..., str] = python_option, default_epochs: int | None = None,
                   is_map: bool = False) -> str:
    """The likeliest fix for a fit far worse than PCA's, from the options given: more epochs than a
    short ``max_iter``, less of a penalty or corruption (a lower ``beta`` for a variational
    model), else a lower learning rate (a trial's "lower --lr" for a fit of 3 epochs made it
    worse). ``shown(name, value=None)`` writes an option as the caller's user writes it (the
    command line: ``--epochs 3``); ``default_epochs`` is the caller's default (the estimator's
    automatic number for these rows unless given). ``is_map``: the neighbour term trained the
    codes (by default at 2-3 dimensions), whose decoder can only reconstruct what a map of the
    neighbours keeps: leaving the term out is the fix (a trial's 3-D map of 2,000 diamonds
    reconstructed 5.8x worse than PCA, and 1.7x better without the term)."""
    given = params or {}
    fixes = []
    if is_map:
        fixes.append(f"leave out the neighbour term ({shown('neighbour_weight', 0)}), which trades "
                     "reconstruction for a map that keeps each row's neighbours")
    if longer := short_training_fix(given, n_train, batch_size, shown=shown, default_epochs=default_epochs):
        fixes.append(longer)
    regularisers = [shown(name) for name in REGULARISERS if given.get(name)]
    if regularisers:
        fixes.append(f"weaken or leave out {' and '.join(regularisers)}, which "
                     f"{'trade' if len(regularisers) > 1 else 'trades'} reconstruction for "
                     f"{'robustness' if given.get('noise') else 'structure in the codes'}")
    if given.get("variational"):
        fixes.append(f"lower {shown('beta')}, the weight that trades the variational model's reconstruction for "
                     "codes near its prior")
    return "; ".join(fixes) or f"lower {shown('learning_rate_init')}"


def stops_early(early_stopping: Any, n_samples: int) -> bool:
    """Whether a fit on ``n_samples`` rows holds some out for early stopping: ``"auto"`` from
    MIN_ROWS_FOR_DEEP to EARLY_STOPPING_MAX_ROWS rows."""
    if early_stopping == "auto":
        return MIN_ROWS_FOR_DEEP <= n_samples <= EARLY_STOPPING_MAX_ROWS
    return bool(early_stopping)


def auto_precision(precision: str, native_bfloat16: bool, n_samples: int, neighbours: bool) -> str:
    """``precision="auto"``: bfloat16 mixed precision where the device has it natively, from
    BFLOAT16_MIN_ROWS rows, and for a map (the neighbour term) on any number of rows, whose steps
    are batches of 1,024 points whatever the rows: on 2 cores with AVX-512 BF16, digits' map took
    2.7 s against 4.2-4.9 s, R's Computers 3.6-4.8 s against 6.3-7.9, 10,000 MNIST images 6.5-8.4 s
    against 13.6-13.9, with the same 7-NN accuracy of held-out codes within the seeds' spread
    (MID_MAPS.md). Below BFLOAT16_MIN_ROWS a reconstruction model's steps are small, where the
    casts cost what bfloat16 saves; else float32."""
    if precision != "auto":
        return precision
    return "bfloat16" if native_bfloat16 and (n_samples >= BFLOAT16_MIN_ROWS or neighbours) else "float32"


def resolve_options(params: Mapping[str, Any], X: np.ndarray, scaler: Scaler, *, native_bfloat16: bool = False,
                    streaming: bool | str = False, accelerated: bool = False,
                    n_samples: int | None = None,
                    moments: tuple[np.ndarray, np.ndarray] | None = None) -> ResolvedOptions:
    """Check the combination of ``params`` against X and resolve every ``"auto"``.

    With the neighbour term on, ``max_iter`` counts epochs of NEIGHBOUR_STEPS_PER_EPOCH embedding
    steps ("auto": NEIGHBOUR_EPOCHS), the hidden layers default to NEIGHBOUR_HIDDEN_LAYER_SIZES,
    the batch size (of the decoder phase) to up to 512 rows, and ``decoder_iter_`` is resolved.
    ``accelerated``: training runs on a GPU (or another device faster than the CPU). ``n_samples``:
    the rows X stands for, when X holds only each column's minimum and maximum (a streamed fit);
    ``moments``: then the columns' means and variances over every row. ``native_bfloat16``: the
    device has native bfloat16 arithmetic (:func:`auto_precision`).
    """
    n_samples, n_features = (X.shape[0] if n_samples is None else n_samples), X.shape[1]
    if params["noise"] == "mask" and params["noise_level"] >= 1:
        raise OptionError(f"noise_level={params['noise_level']!r} is the share of inputs noise='mask' zeroes, so it "
                          "must be below 1")
    _check_input_shape(params, n_features)
    weight = neighbour_weight(params, n_samples, streaming, n_features)
    neighbours = weight > 0
    check_pca_components(params, n_features, neighbours, streaming, n_samples)
    in_pca_space = params.get("pca_components") is not None and not neighbours
    # The scaled data's range is that of the scaled column extremes (the scaling is increasing in
    # each column): scaling every row for it took about 2 s of a 60,000-row MNIST fit.
    # partial_fit sees its first chunk, not how many rows will follow: the rows cannot rule it out.
    enough_rows = n_samples >= CROSS_ENTROPY_MIN_ROWS or streaming is True
    bernoulli_like = enough_rows and bernoulli_likeness(*scaled_moments(X, scaler, moments)) >= BERNOULLI_LIKE
    output, loss = _output_and_loss(params, scaler.transform(np.stack([X.min(axis=0), X.max(axis=0)])), in_pca_space,
                                    bernoulli_like)
    if params["batch_size"] != "auto":
        batch = min(params["batch_size"], n_samples)
    elif neighbours:
        batch = min(512, max(16, n_samples // 10), max(1, n_samples))
    elif model_architecture(params["architecture"], params["input_shape"])[0] == "recurrent":
        batch = min(RECURRENT_BATCH_SIZE, auto_batch_size(n_samples))
    else:
        batch = auto_batch_size(n_samples)
    if neighbours and params["hidden_layer_sizes"] == "auto":
        hidden = NEIGHBOUR_HIDDEN_LAYER_SIZES
    else:
        hidden = _hidden_layer_sizes(params, n_samples, n_features)
    linear_skip = _linear_skip(params, output, neighbours, loss)
    if params["max_iter"] != "auto":
        max_iter = int(params["max_iter"])
    elif neighbours:
        max_iter = auto_neighbour_epochs(n_samples, accelerated)
    elif starts_at_the_optimum(params, hidden, linear_skip, loss, n_features):
        max_iter = 0
    else:
        max_iter = auto_max_iter(n_samples, batch)
    early_stopping = stops_early(params["early_stopping"], n_samples)
    # The decoder trains on the rows left after the validation split.
    n_train = n_samples - round(n_samples * params["validation_fraction"]) if early_stopping else n_samples
    return ResolvedOptions(
        n_components_=int(params["n_components"]),
        scaling_=scaler.kind,
        loss_=loss,
        output_activation_=output,
        hidden_layer_sizes_=hidden,
        batch_size_=batch,
        max_iter_=max_iter,
        early_stopping_=early_stopping,
        linear_skip_=linear_skip,
        precision_=auto_precision(params["precision"], native_bfloat16, n_samples, neighbours),
        neighbour_weight_=weight,
        decoder_iter_=decoder_iter(max_iter, n_train, batch, n_features) if neighbours else 0,
        encoder_layer_norm_=neighbours,
    )
