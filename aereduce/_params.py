"""The autoencoder's parameters, declared once: default, allowed values and a one-line help.

Plain Python, so the command line builds its options from here without importing
scikit-learn or torch (which take seconds). The estimator turns these declarations into
scikit-learn's ``_parameter_constraints``; a test checks its ``__init__`` defaults agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One estimator parameter.

    ``kind`` is ``int``, ``float``, ``bool``, ``tuple``, ``str`` or ``"random_state"``/``"verbose"``;
    a number lies in ``[low, high]`` (``low_open``/``high_open`` exclude the ends); ``options``
    are the allowed strings (``"auto"`` among them where it is allowed); ``none`` allows None.
    """

    default: Any
    kind: Any = None
    options: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    none: bool = False
    help: str = ""


ACTIVATIONS = ("gelu", "relu", "tanh", "logistic", "identity")

AUTOENCODER_PARAMS: dict[str, Param] = {
    "n_components": Param(2, int, low=1, help="Dimension of the code."),
    "hidden_layer_sizes": Param("auto", tuple, ("auto",), help="Encoder widths, input side first."),
    "activation": Param("gelu", str, ACTIVATIONS, help="Activation of the hidden layers."),
    "output_activation": Param("auto", str, ("auto", "sigmoid", "identity"), help="Output activation."),
    "loss": Param("auto", str, ("auto", "mse", "bce", "cosine"), help="Reconstruction loss."),
    "scaling": Param("auto", str, ("auto", "standard", "minmax", "global", "none"), help="Input scaling."),
    "alpha": Param(1e-4, float, low=0, help="L2 weight decay."),
    "batch_size": Param("auto", int, ("auto",), low=1, help="Rows per mini-batch."),
    "learning_rate_init": Param(3e-3, float, low=0, low_open=True, help="Peak learning rate."),
    "max_iter": Param("auto", int, ("auto",), low=1, help="Epochs."),
    "early_stopping": Param("auto", bool, ("auto",), help="Stop when a validation split stops improving."),
    "validation_fraction": Param(0.1, float, low=0, high=1, low_open=True, high_open=True,
                                 help="Share of rows held out for early stopping."),
    "n_iter_no_change": Param(10, int, low=1, help="Patience of early stopping, in epochs."),
    "tol": Param(1e-4, float, low=0, help="Smallest validation improvement that counts."),
    "linear_skip": Param("auto", bool, ("auto",), help="A linear path started at PCA's solution."),
    "tied_weights": Param(False, bool, help="Tie decoder weights to the encoder's."),
    "sparsity": Param(None, str, ("l1", "kl"), none=True, help="Sparse autoencoder penalty."),
    "sparsity_weight": Param("auto", float, ("auto",), low=0, help="Weight of the sparsity penalty."),
    "sparsity_target": Param(0.05, float, low=0, high=1, low_open=True, high_open=True,
                             help="Target mean activation of KL sparsity."),
    "sparsity_momentum": Param(0.9, float, low=0, high=1, high_open=True,
                               help="Moving-average weight of KL sparsity's rate estimate."),
    "noise": Param(None, str, ("mask", "gaussian"), none=True, help="Denoising autoencoder corruption."),
    "noise_level": Param(0.2, float, low=0, help="Strength of the corruption."),
    "contractive_weight": Param(0.0, float, low=0, help="Weight of the contractive penalty."),
    "neighbour_weight": Param("auto", float, ("auto",), low=0,
                              help="Weight of the neighbour-embedding term (auto: on for 2-3-D maps of 1,000+ rows)."),
    "n_neighbors": Param(15, int, low=1, help="Neighbours per row in the neighbour-embedding graph."),
    "variational": Param(False, bool, help="Variational autoencoder."),
    "beta": Param(1.0, float, low=0, help="Weight of the variational KL term."),
    "pretrain": Param(False, bool, help="Greedy layer-wise pretraining (stacked autoencoder)."),
    "pretrain_iter": Param(5, int, low=1, help="Epochs of each pretraining stage."),
    "architecture": Param("auto", str, ("auto", "mlp", "conv", "recurrent"),
                          help="Network: auto is conv for a 3-tuple input_shape, recurrent for a 2-tuple, else mlp."),
    "input_shape": Param(None, tuple, none=True,
                         help="(channels, height, width) of image rows, or (time_steps, features) of sequence rows."),
    "conv_channels": Param((32, 64), tuple, help="Channels of the convolutional model."),
    "recurrent_units": Param(64, int, low=1, help="Hidden units of the recurrent model's GRUs."),
    "pca_components": Param(None, int, low=1, none=True,
                            help="Train on the rows' first principal components: faster on wide rows."),
    "random_state": Param(None, "random_state", help="Random seed."),
    "verbose": Param(0, "verbose", help="Print one line per epoch."),
    "device": Param("auto", str, help="cpu, cuda, mps or auto."),
    "precision": Param("auto", str, ("auto", "float32", "bfloat16"), help="Training arithmetic."),
}
