"""``AutoencoderTransformer``: the autoencoder family as one scikit-learn transformer."""

from __future__ import annotations

import importlib.metadata
import math
import os
import time
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._modelfile import read_model_file, write_model_file
from ._scaling import SCALINGS, fit_scaling, resolve_scaling
from ._version import __version__

MODEL_KIND = "autoencoder"

# Tuple-valued parameters arrive from JSON as lists; these are turned back into tuples.
_TUPLE_PARAMS = ("hidden_layer_sizes", "input_shape", "conv_channels")


def auto_hidden_layer_sizes(n_features: int, n_components: int) -> tuple[int, int]:
    """Two hidden layers, wide enough to beat a linear map, bounded for speed.

    512-256 for 784 pixels (measured in benchmarks/RESULTS.md); 64-32 for a
    dozen tabular columns.
    """
    first = int(min(512, max(64, 4 * n_features)))
    return first, max(first // 2, n_components)


def auto_batch_size(n_samples: int) -> int:
    """256 rows for large data; about ten batches per epoch for small data."""
    return int(min(256, max(16, n_samples // 10), max(1, n_samples)))


def auto_max_iter(n_samples: int, batch_size: int) -> int:
    """Epochs for about 5,000 optimiser steps (20 epochs on MNIST), between 20 and 1,000."""
    steps_per_epoch = math.ceil(max(1, n_samples) / batch_size)
    return int(min(1000, max(20, round(5000 / steps_per_epoch))))


class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Dimension reduction with an autoencoder, in the shape of scikit-learn's ``PCA``.

    The encoder maps each row to ``n_components`` numbers (``transform``); the
    decoder maps codes back to the data's space and units (``inverse_transform``).
    Every member of the autoencoder family is a combination of options on this one
    estimator: a deep or shallow, under- or overcomplete code; tied weights; L2
    weight decay; sparse (L1 or KL) codes; denoising (masking or Gaussian noise);
    a contractive penalty; a variational code; greedy layer-wise pretraining; and
    a convolutional encoder and decoder for image rows.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the code. Larger than ``n_features`` gives an overcomplete
        code (pair it with ``sparsity`` or ``noise``).
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Widths of the encoder's hidden layers, input side first; the decoder mirrors
        them. ``()`` gives a linear (one-layer) encoder and decoder. ``"auto"`` is
        ``(w, w // 2)`` with ``w = min(512, max(64, 4 * n_features))``.
    activation : {"gelu", "relu", "tanh", "logistic", "identity"}, default="gelu"
        Activation of the hidden layers.
    output_activation : {"auto", "sigmoid", "identity"}, default="auto"
        ``"auto"`` is ``"sigmoid"`` when the scaled data lies in [0, 1] (pixels),
        else ``"identity"``.
    loss : {"auto", "mse", "bce", "cosine"}, default="auto"
        Reconstruction loss. ``"bce"`` (binary cross-entropy) needs data in [0, 1]
        and a sigmoid output; ``"auto"`` picks it for such data, else ``"mse"``.
    scaling : {"auto", "standard", "minmax", "none"}, default="auto"
        Scaling learned in ``fit`` and undone by ``inverse_transform``. ``"auto"``
        leaves data already in [0, 1] as it is and standardises anything else.
    alpha : float, default=1e-4
        L2 weight decay (decoupled, as in AdamW).
    batch_size : "auto" or int, default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(256, max(16, n_samples // 10))``.
    learning_rate_init : float, default=3e-3
        Peak learning rate of AdamW, reached after a short warm-up and then decayed
        to zero along a cosine.
    max_iter : "auto" or int, default="auto"
        Epochs. ``"auto"`` gives about 5,000 optimiser steps, between 20 and 1,000 epochs.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the rows, stop when the validation loss
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and keep the
        best weights. ``"auto"`` turns it on for 50 to 20,000 rows, where a deep
        model would otherwise overfit.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping`` is on.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest improvement of the validation loss that counts.
    linear_skip : "auto" or bool, default="auto"
        Add a linear path beside the encoder's and decoder's hidden layers,
        initialised at PCA's solution (with the non-linear paths' last layers at
        zero), so training starts from PCA's reconstruction and improves on it.
        ``"auto"`` turns it on for an identity output (MSE on standardised data)
        with the multilayer perceptron, no tied weights and no KL sparsity; ``True``
        with tied weights or ``input_shape`` is an error.
    tied_weights : bool, default=False
        The decoder uses the encoder's weights transposed (about half the parameters).
    sparsity : {None, "l1", "kl"}, default=None
        ``"l1"`` gives the code a ReLU and penalises its L1 norm; ``"kl"`` gives the code a sigmoid
        and penalises the KL divergence between ``sparsity_target`` and each unit's
        mean activation, estimated per mini-batch and smoothed by a moving average.
    sparsity_weight : "auto" or float, default="auto"
        Weight of the sparsity penalty. ``"auto"`` is 1e-4 for ``"l1"`` (the penalty sums
        over code units; 1e-3 left every unit of an 8-D MNIST code dead) and 1e-3 for ``"kl"``.
        A fit whose L1 code ends all zero (every ReLU dead) warns.
    sparsity_target : float, default=0.05
        Target mean activation for ``sparsity="kl"``, in (0, 1).
    sparsity_momentum : float, default=0.9
        Weight of the previous estimate in the moving average of the mean activation.
    noise : {None, "mask", "gaussian"}, default=None
        Denoising: corrupt training inputs by zeroing a random ``noise_level``
        fraction of them (``"mask"``) or by adding Gaussian noise of standard
        deviation ``noise_level`` (in scaled units); the clean row is the target.
    noise_level : float, default=0.2
        Strength of the corruption.
    contractive_weight : float, default=0.0
        Weight of the squared Frobenius norm of the encoder's Jacobian (contractive
        autoencoder); 0 turns it off. Costs one extra backward pass per code unit.
    variational : bool, default=False
        Variational autoencoder: a Gaussian code sampled with the reparameterisation
        trick, with a KL penalty to N(0, I). ``transform`` returns the mean;
        :meth:`sample` decodes draws from the prior.
    beta : float, default=1.0
        Weight of the variational KL term (per input feature, like the reconstruction).
    pretrain : bool, default=False
        Greedy layer-wise pretraining of each encoder layer and its mirror before
        end-to-end fine-tuning (stacked autoencoder).
    pretrain_iter : int, default=5
        Epochs of each pretraining stage.
    input_shape : None or tuple of int, default=None
        ``(channels, height, width)`` of image rows, e.g. ``(1, 28, 28)`` for 784
        pixel columns: uses a convolutional encoder and decoder.
    conv_channels : tuple of int, default=(32, 64)
        Channels of the stride-2 convolutions of the convolutional model.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, noise and the validation split; the
        same value gives identical results on the CPU.
    verbose : int, default=0
        Print one line per epoch on stderr when positive.
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA or Apple's MPS when present, else the CPU.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        Arithmetic of the training forward pass. ``"bfloat16"`` is mixed precision
        (float32 weights and losses); on the benchmark's AVX-512 BF16 CPU a training
        step was 1.3-1.8x faster. ``"auto"`` uses it for 20,000 rows or more where the
        hardware has native bfloat16 (CUDA GPUs that report it; CPUs with AVX-512 BF16
        or AMX), else float32. ``transform`` is float32.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.
    n_components_ : int
        Dimension of the code.
    n_iter_ : int
        Epochs run (fewer than ``max_iter`` after early stopping).
    loss_curve_ : list of float of length n_iter_
        Mean training loss of each epoch, penalties included.
    validation_scores_ : list of float of length n_iter_ or None
        Negative validation reconstruction loss of each epoch with early stopping, else None.
    best_validation_score_ : float or None
        Best of ``validation_scores_``; its weights are the ones kept.
    pretrain_loss_curves_ : list of list of float or None
        One loss curve per layer-wise pretraining stage, when ``pretrain=True``.
    mean_ : ndarray of shape (n_features_in_,)
        Offset subtracted from the input by the scaling.
    scale_ : ndarray of shape (n_features_in_,)
        Divisor of the input in the scaling.
    scaling_, loss_, output_activation_, hidden_layer_sizes_ : str or tuple
        The resolved values of the ``"auto"`` parameters.
    batch_size_, max_iter_ : int
        The resolved batch size and epoch budget.
    early_stopping_, linear_skip_ : bool
        The resolved switches.
    model_ : torch.nn.Module
        The fitted autoencoder; ``encoder_`` and ``decoder_`` are its two halves.
    device_ : torch.device
        Device the model lives on.
    precision_ : str
        The resolved training precision, ``"float32"`` or ``"bfloat16"``.
    fit_time_ : float
        Seconds spent in the last ``fit``.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimension reduction; what this estimator
        reduces to with ``hidden_layer_sizes=()``, ``activation="identity"`` and MSE.
    umap.UMAP : Non-linear embedding without an inverse map.

    References
    ----------
    .. [1] G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data
       with neural networks", Science 313(5786), 504-507, 2006.
    .. [2] P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and
       composing robust features with denoising autoencoders", ICML 2008.
    .. [3] D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014.
    .. [4] S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio, "Contractive
       auto-encoders: explicit invariance during feature extraction", ICML 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aereduce import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_iter=5, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    >>> ae.get_feature_names_out()[:3].tolist()
    ['autoencodertransformer0', 'autoencodertransformer1', 'autoencodertransformer2']
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [StrOptions({"auto"}), tuple, list],
        "activation": [StrOptions({"gelu", "relu", "tanh", "logistic", "identity"})],
        "output_activation": [StrOptions({"auto", "sigmoid", "identity"})],
        "loss": [StrOptions({"auto", "mse", "bce", "cosine"})],
        "scaling": [StrOptions(set(SCALINGS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "linear_skip": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "tied_weights": ["boolean"],
        "sparsity": [StrOptions({"l1", "kl"}), None],
        "sparsity_weight": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_momentum": [Interval(Real, 0, 1, closed="left")],
        "noise": [StrOptions({"mask", "gaussian"}), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "contractive_weight": [Interval(Real, 0, None, closed="left")],
        "variational": ["boolean"],
        "beta": [Interval(Real, 0, None, closed="left")],
        "pretrain": ["boolean"],
        "pretrain_iter": [Interval(Integral, 1, None, closed="left")],
        "input_shape": [tuple, list, None],
        "conv_channels": [tuple, list],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str],
        "precision": [StrOptions({"auto", "float32", "bfloat16"})],
    }

    def __init__(
        self,
        *,
        n_components=2,
        hidden_layer_sizes="auto",
        activation="gelu",
        output_activation="auto",
        loss="auto",
        scaling="auto",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=3e-3,
        max_iter="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        linear_skip="auto",
        tied_weights=False,
        sparsity=None,
        sparsity_weight="auto",
        sparsity_target=0.05,
        sparsity_momentum=0.9,
        noise=None,
        noise_level=0.2,
        contractive_weight=0.0,
        variational=False,
        beta=1.0,
        pretrain=False,
        pretrain_iter=5,
        input_shape=None,
        conv_channels=(32, 64),
        random_state=None,
        verbose=0,
        device="auto",
        precision="auto",
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.scaling = scaling
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.linear_skip = linear_skip
        self.tied_weights = tied_weights
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target
        self.sparsity_momentum = sparsity_momentum
        self.noise = noise
        self.noise_level = noise_level
        self.contractive_weight = contractive_weight
        self.variational = variational
        self.beta = beta
        self.pretrain = pretrain
        self.pretrain_iter = pretrain_iter
        self.input_shape = input_shape
        self.conv_channels = conv_channels
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.precision = precision

    # -- scikit-learn plumbing -----------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self) -> int:
        return self.n_components_

    @property
    def encoder_(self):
        check_is_fitted(self, "model_")
        return self.model_.encoder

    @property
    def decoder_(self):
        check_is_fitted(self, "model_")
        return self.model_.decoder

    # -- fitting -------------------------------------------------------------------------------
    def _resolve_options(self, X: np.ndarray) -> None:
        """Check the combinations of options against X and set the resolved ``*_`` values."""
        n_samples, n_features = X.shape
        self.scaling_ = resolve_scaling(X, self.scaling)
        self.mean_, self.scale_ = fit_scaling(X, self.scaling_)
        Xs = (X - self.mean_) / self.scale_
        in_unit_range = bool(Xs.size) and float(Xs.min()) >= 0.0 and float(Xs.max()) <= 1.0
        self.output_activation_ = self.output_activation
        if self.output_activation == "auto":
            self.output_activation_ = "sigmoid" if in_unit_range else "identity"
        self.loss_ = self.loss
        if self.loss == "auto":
            self.loss_ = "bce" if self.output_activation_ == "sigmoid" else "mse"
        if self.loss_ == "bce" and not in_unit_range:
            raise ValueError(
                f"loss='bce' needs data in [0, 1] after scaling, got values in [{Xs.min():.3g}, {Xs.max():.3g}]; "
                "use scaling='minmax' or loss='mse'"
            )
        if self.loss_ == "bce" and self.output_activation_ != "sigmoid":
            raise ValueError("loss='bce' needs output_activation='sigmoid' (or 'auto')")
        if self.hidden_layer_sizes == "auto":
            self.hidden_layer_sizes_ = auto_hidden_layer_sizes(n_features, self.n_components)
        else:
            sizes = tuple(self.hidden_layer_sizes)
            if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
                raise ValueError(
                    f"hidden_layer_sizes must be 'auto' or a tuple of positive integers, got {self.hidden_layer_sizes!r}"
                )
            self.hidden_layer_sizes_ = tuple(int(s) for s in sizes)
        if self.input_shape is not None:
            shape = tuple(int(s) for s in self.input_shape)
            if len(shape) != 3 or math.prod(shape) != n_features:
                raise ValueError(
                    f"input_shape={self.input_shape!r} must be (channels, height, width) with "
                    f"channels*height*width equal to the {n_features} features of X"
                )
            if self.tied_weights or self.pretrain:
                raise ValueError("tied_weights and pretrain need the multilayer perceptron (input_shape=None)")
        self.batch_size_ = auto_batch_size(n_samples) if self.batch_size == "auto" else min(self.batch_size, n_samples)
        self.max_iter_ = auto_max_iter(n_samples, self.batch_size_) if self.max_iter == "auto" else int(self.max_iter)
        self.n_components_ = int(self.n_components)
        self.early_stopping_ = (50 <= n_samples <= 20_000) if self.early_stopping == "auto" else bool(self.early_stopping)
        self.linear_skip_ = bool(self.linear_skip)
        if self.linear_skip == "auto":
            self.linear_skip_ = (self.output_activation_ == "identity" and self.input_shape is None
                                 and not self.tied_weights and self.sparsity != "kl")
        if self.linear_skip_ and (self.input_shape is not None or self.tied_weights):
            # A tied decoder's non-linear path shares the encoder's weights, so it cannot start at zero.
            raise ValueError("linear_skip needs the untied multilayer perceptron (input_shape=None, tied_weights=False)")

    def _config(self):
        from ._model import AutoencoderConfig

        return AutoencoderConfig(
            n_features=self.n_features_in_,
            n_components=self.n_components_,
            hidden_layer_sizes=self.hidden_layer_sizes_,
            activation=self.activation,
            code_activation={"kl": "logistic", "l1": "relu"}.get(self.sparsity, "identity"),
            output_activation="logistic" if self.output_activation_ == "sigmoid" else "identity",
            tied_weights=bool(self.tied_weights),
            variational=bool(self.variational),
            input_shape=None if self.input_shape is None else tuple(int(s) for s in self.input_shape),
            conv_channels=tuple(int(c) for c in self.conv_channels),
            linear_skip=self.linear_skip_,
        )

    def _sparsity_weight(self) -> float:
        if self.sparsity_weight != "auto":
            return float(self.sparsity_weight)
        return 1e-4 if self.sparsity == "l1" else 1e-3

    def _warn_on_dead_code_units(self, X) -> None:
        """L1 on a ReLU code can switch every unit off for good; say so rather than return a dead code."""
        import torch

        with torch.no_grad():
            code, _ = self.model_.encode(X[:10_000])
        if bool((code <= 0).all()):
            warnings.warn(
                f"all {code.shape[1]} code units are zero on every training row (dead ReLUs), so the code "
                f"carries nothing: "
                f"sparsity_weight={self._sparsity_weight():g} is too strong for this data; lower it",
                UserWarning, stacklevel=4)

    def _make_trainer(self, epoch_callback: Callable[[int, float], None] | None = None):
        import torch

        from ._training import Objective, Trainer

        objective = Objective(
            loss=self.loss_,
            sparsity=self.sparsity,
            sparsity_weight=self._sparsity_weight(),
            sparsity_target=self.sparsity_target,
            sparsity_momentum=self.sparsity_momentum,
            noise=self.noise,
            noise_level=self.noise_level,
            contractive_weight=self.contractive_weight,
            beta=self.beta,
        )
        return Trainer(
            self.model_,
            objective,
            learning_rate=self.learning_rate_init,
            weight_decay=self.alpha,
            batch_size=self.batch_size_,
            generator=self._generator,
            verbose=self.verbose,
            epoch_callback=epoch_callback,
            autocast_dtype=torch.bfloat16 if self.precision_ == "bfloat16" else None,
        )

    def _initialise(self, X: np.ndarray) -> None:
        """Resolve options, build the model and the private RNG: everything before the first epoch."""
        from ._training import bfloat16_is_fast, build_model, make_generator, resolve_device

        self._resolve_options(X)
        self.device_ = resolve_device(self.device)
        self.precision_ = self.precision
        if self.precision == "auto":
            fast = X.shape[0] >= 20_000 and bfloat16_is_fast(self.device_)
            self.precision_ = "bfloat16" if fast else "float32"
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self._seed = seed
        self._generator = make_generator(seed, self.device_)
        self.model_ = build_model(self._config(), seed, self.device_)

    def _to_tensor(self, X: np.ndarray):
        import torch

        scaled = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        return torch.tensor(scaled, dtype=torch.float32, device=self.device_)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, epoch_callback: Callable[[int, float], None] | None = None):
        """Fit the autoencoder to X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, in any units (see ``scaling``).
        y : None
            Ignored.
        epoch_callback : callable, default=None
            Called as ``epoch_callback(epoch, loss)`` after each epoch (for progress bars).

        Returns
        -------
        self : AutoencoderTransformer
            The fitted estimator.
        """
        from ._training import init_from_pca, pretrain_layerwise

        tic = time.perf_counter()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._initialise(X)
        X_all = self._to_tensor(X)
        X_train, X_val = X_all, None
        if self.early_stopping_:
            n_val = int(round(self.validation_fraction * X.shape[0]))
            if n_val < 1 or n_val >= X.shape[0]:
                raise ValueError(
                    f"early_stopping needs at least one training and one validation row: validation_fraction="
                    f"{self.validation_fraction} of {X.shape[0]} rows gives {n_val} validation rows"
                )
            order = check_random_state(self._seed).permutation(X.shape[0])
            X_val, X_train = X_all[order[:n_val]], X_all[order[n_val:]]
        if self.linear_skip_:
            init_from_pca(self.model_, X_train)
        trainer = self._make_trainer(epoch_callback)
        self.pretrain_loss_curves_ = pretrain_layerwise(trainer, X_train, self.pretrain_iter) if self.pretrain else None
        losses, val_losses = trainer.fit(
            X_train, self.max_iter_, X_val=X_val, n_iter_no_change=self.n_iter_no_change, tol=self.tol
        )
        self.model_.eval()
        if self.sparsity == "l1":
            self._warn_on_dead_code_units(X_train)
        self._partial_trainer = None  # a later partial_fit continues with a fresh optimiser
        self.n_iter_ = len(losses)
        self.loss_curve_ = losses
        self.validation_scores_ = [-v for v in val_losses] if X_val is not None else None
        self.best_validation_score_ = max(self.validation_scores_) if self.validation_scores_ else None
        self.fit_time_ = time.perf_counter() - tic
        return self

    def partial_fit(self, X, y=None):
        """Train one epoch on X, initialising the model on the first call.

        The scaling is learned from the first chunk and then kept; the learning rate
        stays at ``learning_rate_init`` (no schedule) since the number of chunks is unknown.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : AutoencoderTransformer
            The updated estimator.
        """
        first_call = not hasattr(self, "model_")
        if first_call:
            self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=first_call)
        if first_call:
            self._initialise(X)
            self.n_iter_, self.loss_curve_ = 0, []
            self.validation_scores_ = self.best_validation_score_ = self.pretrain_loss_curves_ = None
            self.fit_time_ = 0.0
        if getattr(self, "_partial_trainer", None) is None or self._partial_trainer.model is not self.model_:
            self._partial_trainer = self._make_trainer()  # constant learning rate: no schedule
        tic = time.perf_counter()
        losses, _ = self._partial_trainer.fit(self._to_tensor(X), 1, use_schedule=False)
        self.model_.eval()
        self.n_iter_ += 1
        self.loss_curve_ += losses
        self.fit_time_ += time.perf_counter() - tic
        return self

    # -- using a fitted model ------------------------------------------------------------------
    def _run(self, fn: Callable, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Apply ``fn`` to X in eval mode, in batches, without gradients."""
        import torch

        self.model_.eval()
        outputs = []
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                xb = torch.tensor(np.asarray(X[start : start + batch_size], dtype=np.float32), device=self.device_)
                outputs.append(fn(xb).cpu().numpy())
        return np.concatenate(outputs).astype(np.float64, copy=False)

    def _check_input(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def transform(self, X):
        """Encode X: the code of each row (the mean code, for a variational model).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in X's float dtype.
        """
        X = self._check_input(X)
        Z = self._run(lambda xb: self.model_.encode(xb)[0], (X - self.mean_) / self.scale_)
        return Z.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Decode codes back to the data's space and units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            Reconstructed rows, with the scaling undone.
        """
        check_is_fitted(self, "model_")
        from sklearn.utils import check_array

        Z = check_array(X, dtype=[np.float64, np.float32])
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"X has {Z.shape[1]} columns, but the code has n_components={self.n_components_}")
        X_hat = self._run(self.model_.decode, Z) * self.scale_ + self.mean_
        return X_hat.astype(Z.dtype, copy=False)

    def reconstruction_error(self, X):
        """Mean squared reconstruction error of each row, in the scaled space.

        The anomaly score of the design documents: rows unlike the training data
        reconstruct badly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
            Non-negative; larger is more anomalous.
        """
        X = self._check_input(X)
        return self._run(lambda xb: (self.model_(xb) - xb).pow(2).mean(dim=1), (X - self.mean_) / self.scale_)

    def score_samples(self, X):
        """Negative reconstruction error of each row (higher is more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-reconstruction_error(X)``.
        """
        return -self.reconstruction_error(X)

    def score(self, X, y=None):
        """Negative mean squared reconstruction error (higher is better), for model selection.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units seen in ``fit``.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``-mean(reconstruction_error(X))``.
        """
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, *, random_state=None):
        """Generate rows by decoding draws from the prior N(0, I) (variational models only).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            Generated rows in the data's units.
        """
        check_is_fitted(self, "model_")
        if not self.variational:
            raise ValueError("sample needs a variational model: fit with variational=True")
        Z = check_random_state(random_state).standard_normal((int(n_samples), self.n_components_))
        return self.inverse_transform(Z)

    # -- saving --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted model to one safe ``.aer`` file (safetensors plus JSON metadata).

        Parameters
        ----------
        path : str or path-like
            Destination; written atomically (a temporary file renamed into place).
        """
        check_is_fitted(self, "model_")
        tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in self.model_.state_dict().items()}
        tensors["scaling.mean"] = np.asarray(self.mean_, dtype=np.float64)
        tensors["scaling.scale"] = np.asarray(self.scale_, dtype=np.float64)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        if not isinstance(params["random_state"], (int, type(None))):
            params["random_state"] = None  # a RandomState object has no JSON form; the seed used is saved
        fitted = {
            "n_features_in_": self.n_features_in_,
            "feature_names_in_": list(map(str, getattr(self, "feature_names_in_", []))) or None,
            "n_components_": self.n_components_,
            "n_iter_": self.n_iter_,
            "loss_curve_": self.loss_curve_,
            "validation_scores_": self.validation_scores_,
            "best_validation_score_": self.best_validation_score_,
            "pretrain_loss_curves_": self.pretrain_loss_curves_,
            "scaling_": self.scaling_,
            "loss_": self.loss_,
            "output_activation_": self.output_activation_,
            "hidden_layer_sizes_": list(self.hidden_layer_sizes_),
            "batch_size_": self.batch_size_,
            "max_iter_": self.max_iter_,
            "early_stopping_": self.early_stopping_,
            "linear_skip_": self.linear_skip_,
            "precision_": self.precision_,
            "fit_time_": self.fit_time_,
            "seed": self._seed,
        }
        write_model_file(path, MODEL_KIND, tensors, {"params": params, "fitted": fitted, "versions": library_versions()})

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str = "auto") -> "AutoencoderTransformer":
        """Load a model saved by :meth:`save`; never unpickles, never runs code.

        Parameters
        ----------
        path : str or path-like
            A ``.aer`` file.
        device : str, default="auto"
            Where to put the model (a model trained on a GPU loads on a CPU).

        Returns
        -------
        model : AutoencoderTransformer
            The fitted estimator.
        """
        from ._modelfile import ModelFileError
        from ._training import make_generator, resolve_device

        _, tensors, meta = read_model_file(path, kinds=(MODEL_KIND,))
        try:
            params = dict(meta["params"])
            for key in _TUPLE_PARAMS:
                if isinstance(params.get(key), list):
                    params[key] = tuple(params[key])
            fitted = meta["fitted"]
            est = cls(**params)
            for key in ("n_features_in_", "n_components_", "n_iter_", "loss_curve_", "validation_scores_",
                        "best_validation_score_", "pretrain_loss_curves_", "scaling_", "loss_",
                        "output_activation_", "batch_size_", "max_iter_", "early_stopping_", "linear_skip_", "fit_time_"):
                setattr(est, key, fitted[key])
            if fitted.get("feature_names_in_"):
                est.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
            est.hidden_layer_sizes_ = tuple(fitted["hidden_layer_sizes_"])
            est.precision_ = fitted.get("precision_", "float32")  # absent from files of 0.1.0
            est._seed = int(fitted["seed"])
            est.mean_ = tensors["scaling.mean"]
            est.scale_ = tensors["scaling.scale"]
            est.device_ = resolve_device(device)
            est._generator = make_generator(est._seed, est.device_)
            from ._training import build_model
            import torch

            est.model_ = build_model(est._config(), est._seed, est.device_)
            state = {k[len("model."):]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("model.")}
            est.model_.load_state_dict(state)
            est.model_.eval()
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"{os.fspath(path)}: corrupt or incompatible aereduce model ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None
        return est


def library_versions() -> dict[str, str]:
    """Versions recorded in saved models and benchmark results."""
    versions = {"aereduce": __version__}
    for name in ("torch", "numpy", "scikit-learn", "safetensors"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions
