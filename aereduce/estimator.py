"""``AutoencoderTransformer``: the autoencoder family as one scikit-learn transformer."""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import sys
import time
from numbers import Integral, Real
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _persistence
from ._validation import dense_rows, forget_command_line_fields, new_rows
from ._feature_names import MethodPrefixFeaturesOutMixin
from ._params import AUTOENCODER_PARAMS, Param
from ._resolve import (MIN_ROWS_FOR_DEEP, NEIGHBOUR_MIN_ROWS, NEIGHBOUR_PROJECTION, POOR_FIT_CHECK_ROWS,
                       RECURRENT_MIN_PATIENCE, rows_spanned, spanned_dimensions,
                       ResolvedOptions, failed_fit_fix, failure_bar, mean_row_error, model_architecture,
                       regularises_the_code,
                       resolve_options, default_epochs)
from ._scaling import Scaler
from .errors import (NEAR_THE_MAP_THRESHOLD_WARNING, POOR_FIT_WARNING, WIDE_CODE_WARNING, InputError,
                     ModelFileError, OptionError, plural,
                     warn_user)

MODEL_KIND = "autoencoder"
# partial_fit warns where a later chunk's column spreads or lies more than this many of the first
# chunk's spreads away from it: the first chunk's scaling and PCA's start then fit another range.
CHUNK_UNLIKE_THE_FIRST = 5.0  # 3 warned of 5 in 20 shuffles of Boston in 50-row chunks (a review)

# Tuple-valued parameters arrive from JSON as lists; these are turned back into tuples.
_TUPLE_PARAMS = tuple(name for name, p in AUTOENCODER_PARAMS.items() if p.kind is tuple)


def _constraint(param: Param) -> list:
    """scikit-learn's constraint list for one declared parameter."""
    constraints: list = [StrOptions(set(param.options))] if param.options else []
    if param.kind in (int, float):
        low_closed = not param.low_open
        high_closed = param.high is not None and not param.high_open
        closed = {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "neither"}
        number = Integral if param.kind is int else Real
        constraints.append(Interval(number, param.low, param.high, closed=closed[(low_closed, high_closed)]))
    elif param.kind is bool:
        constraints.append("boolean")
    elif param.kind is tuple:
        constraints += [tuple, list]
    elif param.kind in ("random_state", "verbose"):
        constraints.append(param.kind)
    elif param.kind is str and not param.options:
        constraints.append(str)
    if param.none:
        constraints.append(None)
    return constraints


# Below this many rows a map chosen by neighbour_weight="auto" warns that a cross-validation's folds
# may fall under NEIGHBOUR_MIN_ROWS (half of the rows in 2-fold, two thirds in 3-fold, 4/5 in 5-fold).
NEAR_THE_MAP_THRESHOLD = NEIGHBOUR_MIN_ROWS * 2


class AutoencoderTransformer(MethodPrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Dimension reduction with an autoencoder, in the shape of scikit-learn's ``PCA``.

    The encoder maps each row to ``n_components`` numbers (``transform``); the
    decoder maps codes back to the data's space and units (``inverse_transform``).
    Every member of the autoencoder family is a combination of options on this one
    estimator: a deep or shallow, under- or overcomplete code; tied weights; L2
    weight decay; sparse (L1 or KL) codes; denoising (masking or Gaussian noise);
    a contractive penalty; a variational code; greedy layer-wise pretraining; and
    a convolutional encoder and decoder for image rows; a recurrent (GRU) encoder and
    decoder for sequence rows.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the code. Larger than ``n_features`` gives an overcomplete
        code (pair it with ``sparsity`` or ``noise``).
    hidden_layer_sizes : "auto", int or tuple of int, default="auto"
        Widths of the encoder's hidden layers, input side first; the decoder mirrors
        them; an int is one hidden layer of that width, as in ``MLPRegressor``. ``()``
        gives a linear (one-layer) encoder and decoder. ``"auto"`` is ``(w, w // 2)`` with
        ``w = min(512, max(64, 4 * n_features))``, and ``()`` below 50 rows, where a deep
        model memorises its training rows; with the neighbour term (``neighbour_weight``) it
        is ``(256, 256, 256)``.
    activation : {"gelu", "relu", "tanh", "logistic", "identity"}, default="gelu"
        Activation of the hidden layers.
    output_activation : {"auto", "sigmoid", "identity"}, default="auto"
        ``"auto"`` is ``"sigmoid"`` when the scaled data lies in [0, 1] and its values
        sit mostly at 0 or 1 (pixels on a blank ground, one-hot dummies: the columns'
        variance is at least 0.45 of the most their means allow), on 1,000 rows or more
        (whatever its first chunk's size in ``partial_fit``);
        else ``"identity"``, which starts at PCA's solution (measurements scaled into
        [0, 1], such as a ``MinMaxScaler``'s output, are reconstructed better so).
    loss : {"auto", "mse", "bce", "cosine"}, default="auto"
        Reconstruction loss. ``"bce"`` (binary cross-entropy) needs data in [0, 1]
        and a sigmoid output; ``"auto"`` picks it with the sigmoid, else ``"mse"``.
        ``"cosine"`` (one minus the cosine between a row and its reconstruction, after the
        scaling) rebuilds each row's direction and leaves its length free: for rows whose
        length is their size rather than their content (counts, TF-IDF), with
        ``scaling="none"``, as centring would give rows near the mean unstable directions.
        ``inverse_transform``'s rows then have lengths of their own, and the squared errors
        (``reconstruction_error``, ``score``, the command line's comparison with PCA) are no
        measure of such a model; it starts at no PCA solution (``linear_skip``).
    scaling : {"auto", "standard", "minmax", "global", "none"}, default="auto"
        Scaling learned in ``fit`` and undone by ``inverse_transform``: ``"standard"``
        per column to mean 0 and variance 1, ``"minmax"`` per column to [0, 1], ``"global"``
        centres each column and divides all by one number (their root-mean-square standard
        deviation), keeping the columns' relative spreads as PCA sees them. ``"auto"``
        leaves prepared data as it is (every column in [0, 1], such as pixels or one-hot
        dummies, the data spanning at least half of it; or already standardised, such as a
        ``ColumnTransformer``'s output), scales
        columns on one scale globally (most of the varying columns span the data's whole
        range, as pixels 0-255 do) and standardises anything else.
    alpha : float, default=1e-4
        L2 weight decay (decoupled, as in AdamW).
    batch_size : "auto" or int, default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(256, max(16, n_samples // 10))``, at most 64
        for the recurrent model (whose GRUs otherwise stayed on their first plateau). With the
        neighbour term it is the decoder phase's, and ``"auto"`` allows up to 512 rows; the
        embedding phase takes batches of 512 edges (1,024 rows).
    learning_rate_init : float, default=3e-3
        Peak learning rate of AdamW, reached after a short warm-up and then decayed
        to zero along a cosine.
    max_iter : "auto" or int, default="auto"
        Epochs. ``"auto"`` gives about 5,000 optimiser steps, between 20 and 1,000 epochs.
        With the neighbour term, epochs of the embedding phase, each 100 optimiser steps
        whatever the number of rows (``"auto"``: 25, that is 2,500 steps, from 60,000 rows,
        40 on a GPU, fewer below by the square root of the share of rows, at least 5); the
        decoder phase then runs ``decoder_iter_`` epochs, about 40 steps for each of these and
        at least 1,000 steps (3,000 for rows of up to 256 values, whose steps are cheaper).
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the rows, stop when the validation loss
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and keep the
        best weights. ``"auto"`` turns it on for 50 to 20,000 rows, where a deep
        model would otherwise overfit.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping`` is on.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs (at least 30 for the recurrent model, whose GRUs
        first sit on a plateau longer than 10 epochs), counted after the learning rate's warm-up
        (the first twentieth of ``max_iter``).
    tol : float, default=1e-4
        Smallest improvement of the validation loss that counts, as a share of the squared error of
        rebuilding every row as the mean (1 on standardised columns; on columns as given, their
        variance) for the squared error, and as it is for the other losses.
    linear_skip : "auto" or bool, default="auto"
        Add a linear path beside the encoder's and decoder's hidden layers,
        initialised at PCA's solution (with the non-linear paths' last layers at
        zero), so training starts from PCA's reconstruction and improves on it.
        ``"auto"`` turns it on for an identity output and the squared error (MSE on
        standardised data; PCA does not minimise the cosine loss) with the multilayer
        perceptron, no tied weights, and reconstruction as the
        whole objective (no ``noise``, ``sparsity``, ``contractive_weight`` or
        ``variational``: those train their own objective, which PCA's solution would
        otherwise be kept over); ``True`` with tied weights or ``input_shape`` is an error.
    tied_weights : bool, default=False
        The decoder uses the encoder's weights transposed (about half the parameters).
    sparsity : {None, "l1", "kl"}, default=None
        ``"l1"`` gives the code a ReLU and penalises its L1 norm; ``"kl"`` gives the code a sigmoid
        and penalises the KL divergence between ``sparsity_target`` and each unit's
        mean activation, estimated per mini-batch and smoothed by a moving average.
    sparsity_weight : "auto" or float, default="auto"
        Weight of the sparsity penalty. ``"auto"`` is 1e-4 for ``"l1"`` (the penalty sums
        over code units; 1e-3 left every unit of an 8-D MNIST code dead) and 0.1 for ``"kl"``
        (1e-3 barely moved the mean activation towards the target). A fit whose sparse code
        ends the same for every row (dead ReLUs, or sigmoids stuck at 0 or 1) warns.
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
    neighbour_weight : "auto" or float, default="auto"
        Weight of the neighbour-embedding term, which makes the code a map that keeps each
        row's nearest neighbours near it (like t-SNE or UMAP, but with an encoder for new
        rows and a decoder back) [5]_; 0 turns it off. Any positive value switches the fit
        to two phases: the encoder, behind a fixed projection on PCA's first 50 axes, is
        trained alone on InfoNCE over the edges of the exact ``n_neighbors``-nearest-neighbour
        graph of the training rows (in those 50 axes), with a Cauchy kernel on the codes and
        the other rows of each batch as negatives; then the decoder is fitted to the frozen
        codes with the reconstruction loss. As the embedding phase minimises this term alone,
        its size barely matters under AdamW. ``"auto"`` is 1.0 for ``n_components <= 3`` (and
        fewer than the columns: a code as wide holds each row whole, as PCA's does) on
        at least 1,000 rows with the multilayer perceptron and none of ``variational``,
        ``sparsity``, ``contractive_weight``, ``tied_weights`` or ``pretrain`` (a positive
        weight with any of them is an error), else 0. The encoder's hidden layers are then
        layer-normalised (``encoder_layer_norm_``). On MNIST's 60,000 training images the 2-D
        fit took 36-40 s on 2 CPU cores, and a 7-nearest-neighbour classifier on the codes
        scored 95.9% on the test images (UMAP: 95.7%; reconstruction alone: 80%), with a
        squared error of 28 per decoded test image. On a small table the map's decoder can rebuild
        rows worse than PCA at the same dimension (R's ``Cigar`` without its ``state`` column, 3-D:
        1.2-1.9x PCA's held-out error over five folds): set 0 for a code to rebuild rows from.
    n_neighbors : int, default=15
        Neighbours of each row in the graph of the neighbour term.
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
    architecture : {"auto", "mlp", "conv", "recurrent"}, default="auto"
        The network: a multilayer perceptron, a convolutional model for image rows, or a
        recurrent (GRU) model for sequence rows. ``"auto"`` chooses by ``input_shape``:
        ``"conv"`` for 3 numbers, ``"recurrent"`` for 2, ``"mlp"`` for None (models saved
        before this parameter keep their network). ``"conv"`` also reads 2 numbers as
        ``(height, width)`` of one channel.
    input_shape : None or tuple of int, default=None
        How each row is read. ``(channels, height, width)`` of image rows, e.g.
        ``(1, 28, 28)`` for 784 pixel columns: a convolutional encoder and decoder.
        ``(time_steps, features)`` of sequence rows, time-major (column ``t * features + f``
        holds feature ``f`` at step ``t``), e.g. ``(50, 1)`` for 50 readings of one signal:
        a GRU encoder whose last state gives the code, and a GRU decoder that starts from
        the code and is fed it at every step.
    conv_channels : tuple of int, default=(32, 64)
        Channels of the stride-2 convolutions of the convolutional model.
    recurrent_units : int, default=64
        Hidden units of the recurrent model's encoder and decoder GRUs.
    pca_components : int or None, default=None
        Train the multilayer perceptron on the rows' first ``pca_components`` principal
        components instead of the rows themselves: the encoder reads them (a fixed projection,
        saved with the model), the network learns to reproduce them under a squared error, and
        the decoder's output layer is then fitted to the rows by least squares. A step then
        costs far less on wide rows, and fewer components smooth the target: on MNIST (784
        pixels) at 8 dimensions, 64 components fitted twice as fast on a CPU without bfloat16
        and raised 7-NN accuracy from 96.3% to 96.6%, for a squared error per image of 12.1
        against 10.4; on Fashion-MNIST accuracy fell from 85.3% to 84.2%
        (``benchmarks/results/knn.notes.md``). The output is then linear
        (``output_activation="identity"``, ``loss="mse"``), so, like PCA's inverse, it can leave
        the data's range. It needs more rows than components. With the neighbour term it sets how
        many components its encoder reads (50 by default), and the decoder trains as usual.
        Not with tied weights, noise, pretraining, ``linear_skip=True``, an ``input_shape`` or
        a streamed fit; so the model does not start at PCA's solution, and is not kept at it
        when training fails to beat it. ``validation_scores_`` are then errors on the components,
        and the weights of penalties (``beta``, ``sparsity_weight``, ``contractive_weight``) act
        on the components' scale rather than the rows'. The output layer's ridge is chosen by
        leave-one-out error, so few rows do not overfit it.
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
        step was 1.3-1.8x faster. ``"auto"`` uses it where the hardware has native bfloat16
        (CUDA GPUs that report it without emulation; CPUs with AVX-512 BF16 or AMX) for 20,000
        rows or more, and for a map (the neighbour term) on any number of rows, whose steps are
        batches of 1,024 points whatever the rows; else float32. ``transform`` runs in the
        precision the model trained in, where the hardware where it runs has native bfloat16
        (on MNIST: twice as fast, codes within about 0.1% of float32's, the same 7-NN
        accuracy); the decoder and the reconstruction errors are float32.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.
    n_components_ : int
        Dimension of the code.
    n_iter_ : int
        Epochs run (fewer than ``max_iter`` after early stopping); 1 where the model
        is PCA's closed-form solution (``max_iter_`` is 0, below 50 rows), the one pass
        over the rows that found it.
    loss_curve_ : list of float
        Mean training loss of each epoch, penalties included (empty where no epoch ran).
    validation_scores_ : list of float of the length of loss_curve_, or None
        Negative validation reconstruction loss of each epoch with early stopping, else None.
    best_validation_score_ : float or None
        The validation score of the weights kept: the best of ``validation_scores_``, or
        PCA's start's when those were kept (``kept_initial_weights_``).
    pretrain_loss_curves_ : list of list of float or None
        One loss curve per layer-wise pretraining stage, when ``pretrain=True``.
    scaler_ : Scaler
        The input scaling, ``(X - scaler_.offset) / scaler_.scale`` by column; ``scaler_.minimum``
        and ``scaler_.maximum`` are the training rows' range.
    mean_, scale_ : ndarray of shape (n_features_in_,)
        The scaling's offset and divisor (``scaler_.offset`` and ``scaler_.scale``), as
        :class:`~sklearn.preprocessing.StandardScaler` names them (trial 49 looked for them on
        ``scaler_``).
    scaling_, loss_, output_activation_, hidden_layer_sizes_ : str or tuple
        The resolved values of the ``"auto"`` parameters.
    batch_size_, max_iter_ : int
        The resolved batch size and epoch budget.
    neighbour_weight_ : float
        The resolved weight of the neighbour term (0: off).
    decoder_iter_ : int
        Epochs of the decoder phase after the neighbour term (0 without it).
    encoder_layer_norm_ : bool
        Whether the encoder normalises each hidden layer before its activation (with the
        neighbour term; False in files saved before it did).
    decoder_loss_curve_ : list of float or None
        Mean training loss of each epoch of the decoder phase, with the neighbour term;
        ``loss_curve_`` is then the embedding phase's, and ``validation_scores_`` (with
        early stopping) the decoder phase's.
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
    kept_initial_weights_ : bool or None
        With ``linear_skip``: True when PCA's solution was kept, because no epoch beat PCA's
        start clearly on the validation rows, or because a linear model (below 50 rows) is not
        trained past it.
    code_range_ : ndarray of shape (2, n_components) or None
        The smallest (first row) and largest (second row) code of the training rows, unit by
        unit: codes far outside it decode to extrapolations (the command line's
        ``inverse-transform`` says so). None after ``partial_fit`` or ``fit_stream``, whose
        rows are not all in memory, and for files saved before it was recorded.
    fit_summary_ : list of str
        Set by the command line's ``fit``: the summary it printed (what was fitted, and its
        held-out error against PCA's), saved for ``inspect`` and ``report``.

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
    .. [5] S. Damrich, J. N. Böhm, F. A. Hamprecht and D. Kobak, "From t-SNE to UMAP with
       contrastive learning", ICLR 2023.

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
    ['ae0', 'ae1', 'ae2']
    """

    _parameter_constraints: dict = {name: _constraint(p) for name, p in AUTOENCODER_PARAMS.items()}
    # One hidden layer may be given as its width, as MLPRegressor takes hidden_layer_sizes=100.
    _parameter_constraints["hidden_layer_sizes"] = [*_parameter_constraints["hidden_layer_sizes"],
                                                    Interval(Integral, 1, None, closed="left")]

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
        neighbour_weight="auto",
        n_neighbors=15,
        variational=False,
        beta=1.0,
        pretrain=False,
        pretrain_iter=5,
        architecture="auto",
        input_shape=None,
        conv_channels=(32, 64),
        recurrent_units=64,
        pca_components=None,
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
        self.neighbour_weight = neighbour_weight
        self.n_neighbors = n_neighbors
        self.variational = variational
        self.beta = beta
        self.pretrain = pretrain
        self.pretrain_iter = pretrain_iter
        self.architecture = architecture
        self.input_shape = input_shape
        self.conv_channels = conv_channels
        self.recurrent_units = recurrent_units
        self.pca_components = pca_components
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.precision = precision

    # -- scikit-learn plumbing -----------------------------------------------------------------
    _feature_prefix = "ae"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made dense (dense_rows)
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

    @property
    def mean_(self) -> np.ndarray:
        check_is_fitted(self, "scaler_")
        return self.scaler_.offset

    @property
    def scale_(self) -> np.ndarray:
        check_is_fitted(self, "scaler_")
        return self.scaler_.scale

    # -- the fitted state, as the dataclasses that saving and loading serialise ------------------
    def _set_fields(self, state: Any) -> None:
        for field in dataclasses.fields(state):
            setattr(self, field.name, getattr(state, field.name))

    def _get_fields(self, cls: type) -> Any:
        return cls(**{field.name: getattr(self, field.name) for field in dataclasses.fields(cls)})

    # -- fitting -------------------------------------------------------------------------------
    def _objective(self):
        """What training minimises, from the parameters (built once per fit, since terms keep state)."""
        from .objective import Objective

        if getattr(self, "_objective_cache", None) is None:
            params = self.get_params()
            # "auto" is resolved in fit with the other options; until then the neighbour term is off.
            params["neighbour_weight"] = getattr(self, "neighbour_weight_", 0.0)
            self._objective_cache = Objective.from_params(params, getattr(self, "loss_", "mse"))
        return self._objective_cache

    def _config(self):
        from ._model import AutoencoderConfig

        architecture, input_shape = model_architecture(self.architecture, self.input_shape)
        return AutoencoderConfig(
            n_features=self.n_features_in_,
            n_components=self.n_components_,
            hidden_layer_sizes=self.hidden_layer_sizes_,
            activation=self.activation,
            code_activation=self._objective().code_activation,
            output_activation="logistic" if self.output_activation_ == "sigmoid" else "identity",
            tied_weights=bool(self.tied_weights),
            variational=bool(self.variational),
            architecture=architecture,
            input_shape=input_shape,
            conv_channels=tuple(int(c) for c in self.conv_channels),
            recurrent_units=int(self.recurrent_units),
            linear_skip=self.linear_skip_,
            # The neighbour term's encoder reads PCA's first axes; its decoder, standardised codes.
            input_projection=self._input_projection(),
            decoder_standardises_code=self.neighbour_weight_ > 0,
            encoder_layer_norm=self.encoder_layer_norm_,
        )

    def _input_projection(self) -> int:
        """How many principal components the encoder reads (0: the rows themselves)."""
        if self.pca_components is not None:
            return int(self.pca_components)
        return min(NEIGHBOUR_PROJECTION, self.n_features_in_) if self.neighbour_weight_ > 0 else 0

    def _draw_seed(self) -> int:
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _initialise(self, X: np.ndarray, streaming: bool | str = False, *, scaler: Scaler | None = None,
                    n_samples: int | None = None, seed: int | None = None,
                    moments: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Resolve options, build the model and the private RNG: everything before the first epoch.

        ``streaming``: for ``partial_fit`` and ``fit_stream``, which cannot train the neighbour term.
        A streamed fit gives the ``scaler`` it learnt, the number of rows, the ``seed`` it drew, the
        columns' means and variances (``moments``), and as X only each column's minimum and maximum.
        """
        forget_command_line_fields(self)
        from ._training import bfloat16_is_fast, build_model, make_generator, resolve_device

        self._objective_cache = None
        self.code_range_ = None
        # What the model was built from: a file saved after set_params must still describe it (a
        # pca_components or variational changed after fit wrote a file whose shapes did not load).
        self._fitted_params = self.get_params()
        self.scaler_ = Scaler.fit(X, self.scaling) if scaler is None else scaler
        n_samples = X.shape[0] if n_samples is None else n_samples
        self.device_ = resolve_device(self.device)
        self._set_fields(resolve_options(self.get_params(), X, self.scaler_,
                                         native_bfloat16=bfloat16_is_fast(self.device_),
                                         streaming=streaming, accelerated=self.device_.type != "cpu",
                                         n_samples=n_samples, moments=moments))
        self._objective_cache = None  # rebuilt from the resolved loss and neighbour weight
        self._seed = self._draw_seed() if seed is None else seed
        self._generator = make_generator(self._seed, self.device_)
        self.model_ = build_model(self._config(), self._seed, self.device_)
        if self.neighbour_weight == "auto" and self.neighbour_weight_ > 0 and n_samples < NEAR_THE_MAP_THRESHOLD:
            # trial 49: a search's folds of 880 diamonds fit plain autoencoders, its refit on 1,100 the
            # map, which scored 10 points lower in the same folds: best_estimator_ was not what was scored
            # k folds train on n (k - 1) / k rows: under the threshold for every k below n / (n - threshold)
            most = (math.ceil(n_samples / (n_samples - NEIGHBOUR_MIN_ROWS)) - 1 if n_samples > NEIGHBOUR_MIN_ROWS
                    else None)
            folds = "in any number of folds" if most is None else f"in {most} folds or fewer"
            warn_user(f"{NEAR_THE_MAP_THRESHOLD_WARNING} (the neighbour term) from {NEIGHBOUR_MIN_ROWS:,} rows, "
                      f"and these are {n_samples:,}: a cross-validation of them {folds} fits its folds (fewer than "
                      f"{NEIGHBOUR_MIN_ROWS:,} rows each) with a plain autoencoder, whose scores do not describe "
                      "this model; set neighbour_weight=1 (the map) or 0 (plain) to fit one kind throughout")
        # partial_fit's n_samples sizes the network for rows to come: no count of the rows trained on
        self._warn_on_a_code_as_wide_as_the_data(X.shape[1], None if streaming not in (False, "fit_stream") else
                                                 X.shape[0] if n_samples is None else n_samples)

    def _warn_on_a_code_as_wide_as_the_data(self, n_features: int, n_samples: int | None) -> None:
        """A code as wide as the rows can copy them whole and reduces nothing, as the command line
        notes (trial 10 found Python silent where ``aereduce fit --dim 9`` said so); an
        overcomplete code is a choice only with noise, sparsity or a contractive penalty. So can a
        code as wide as the ``n_samples`` training rows span (trial 40: 8 codes of 5 rows)."""
        if regularises_the_code(self.get_params()):
            return
        if n_samples is not None and n_features > self.n_components_ >= spanned_dimensions(n_samples):
            warn_user(f"{WIDE_CODE_WARNING} {rows_spanned(self.n_components_, n_samples, 'n_components=')}")
        if self.n_components_ < n_features:
            return
        narrower = f"choose n_components below {n_features}" if n_features > 1 else "give more than one feature"
        warn_user(f"{WIDE_CODE_WARNING} n_components={self.n_components_} is not below the "
                  f"{plural(n_features, 'feature')}: the code can hold each row whole, so nothing is reduced "
                  f"(PCA-{n_features} is exact); {narrower}, or for an overcomplete code set noise, sparsity or "
                  "contractive_weight")

    def _to_tensor(self, X: np.ndarray):
        import torch

        return torch.from_numpy(self.scaler_.transform_float32(X)).to(self.device_)

    # Set by an outlier detector on its members before fit, so that they all hold out the same
    # validation rows, which then no member has trained on (see AutoencoderOutlierDetector.fit):
    # nor is a kept PCA start refitted on them.
    _shared_validation_seed: int | None = None
    # How many units the last fit given groups validated on (see fit), for the command line's summary.
    _n_validation_groups: int | None = None

    @staticmethod
    def _check_groups(groups, n_rows: int):
        """``fit``'s groups as an array of one value per row, or None."""
        if groups is None:
            return None
        groups = np.asarray(groups, dtype=object).ravel()
        if len(groups) != n_rows:
            raise ValueError(f"groups has {len(groups)} values for {n_rows} rows of X; give one per row")
        return groups

    def _split(self, X_all, groups=None):
        """Training and validation rows (None without early stopping), by a permutation from the seed;
        whole ``groups`` where given (see :meth:`fit`), then also the validation rows' groups."""
        self._n_validation_groups = None
        if not self.early_stopping_:
            return X_all, None, None
        from ._split import group_keys, split_rows, validation_units

        n = X_all.shape[0]
        seed = self._seed if self._shared_validation_seed is None else self._shared_validation_seed
        n_groups = None if groups is None else len(set(group_keys(groups)))
        if n_groups is not None and n_groups < 2:
            raise OptionError("groups holds one value, so no whole group is left to validate on; give the unit "
                              "each row measures, or fit without groups")
        # A gain over PCA's start is judged unit by unit (EarlyStopping), which fewer than 3 units cannot
        # show: 10 firms at 10% gave one, and PCA's start was kept in every fold (a review); so below 6
        # units it is kept. Where no start is judged (a map, a sigmoid output), the share is the rows'.
        least = 1 if n_groups is None or not self.linear_skip_ else validation_units(n_groups)
        train, held = split_rows(n, self.validation_fraction, seed, groups=groups, least_groups=least)
        if len(held) < 1 or len(train) < 1:
            raise OptionError(f"early_stopping needs at least one training and one validation row: "
                              f"validation_fraction={self.validation_fraction} of {n} rows gives {len(held)} validation rows")
        held_groups = None if groups is None else groups[held]
        if held_groups is not None:
            self._n_validation_groups = len(set(group_keys(held_groups)))
        return X_all[train], X_all[held], held_groups

    def _tol_scale(self, X_val) -> float:
        """What ``tol`` is a share of: the squared error of rebuilding every row as the mean, which is 1
        on standardised columns, and less on columns as given in [0, 1] (trial 42: Hitters' rates,
        whose validation loss fell by 5e-5 an epoch, 3% of it, stopped as if stale at tol 1e-4);
        1 for the other losses, which are not in the data's squared units."""
        # standardised (and globally scaled) columns are left as they were, exactly; a map's decoder
        # validates on (code, row) pairs, whose rows are the last columns (a review)
        if self.scaling_ in ("standard", "global") or self.loss_ != "mse" or X_val is None or len(X_val) < 2:
            return 1.0
        spread = float(X_val[:, X_val.shape[1] - self.n_features_in_:].float().var(dim=0, unbiased=False).mean())
        return min(1.0, spread) if spread > 0 else 1.0

    def _make_trainer(self, callbacks=None, X_val=None, *, model=None, objective=None, parameters=None,
                      prefix="", trainer_class=None, learning_rate=None, validation_groups=None):
        """The trainer of the model (or of ``model``, one phase of it) on the parameters' objective
        (or ``objective``), moving ``parameters`` (default: all), at ``learning_rate`` (default:
        ``learning_rate_init``); a ``trainer_class`` other than :class:`~aereduce._training.Trainer`
        changes where the batches come from (a stream, a shard)."""
        import torch

        from ._training import EarlyStopping, PrintEpochs, Trainer

        model = self.model_ if model is None else model
        objective = self._objective() if objective is None else objective
        chain = []
        if X_val is not None:
            # Starting from PCA's solution, its validation loss is the one to beat: if no epoch
            # beats it, PCA's weights are the ones kept.
            start = Trainer(model, objective, generator=self._generator).evaluate(X_val) \
                if self.linear_skip_ else None
            patience = self.n_iter_no_change
            if model_architecture(self.architecture, self.input_shape)[0] == "recurrent":
                # The GRUs' first plateau (the mean row) outlasted 10 epochs (RECURRENT_BATCH_SIZE).
                patience = max(patience, RECURRENT_MIN_PATIENCE)
            chain.append(EarlyStopping(patience, self.tol * self._tol_scale(X_val), initial_loss=start,
                                       validation_rows=X_val if self.linear_skip_ else None,
                                       validation_groups=validation_groups if self.linear_skip_ else None))
        if self.verbose:
            chain.append(PrintEpochs(prefix))
        return (trainer_class or Trainer)(
            model,
            objective,
            learning_rate=learning_rate or self.learning_rate_init,
            weight_decay=self.alpha,
            batch_size=self.batch_size_,
            generator=self._generator,
            callbacks=chain + list(callbacks or []),
            autocast_dtype=torch.bfloat16 if self.precision_ == "bfloat16" else None,
            parameters=parameters,
        )

    def _fit_neighbour_embedding(self, X_train, X_val, callbacks):
        """The two phases of a fit with the neighbour term; returns the history's fields.

        First the encoder alone, on the neighbour term, for ``max_iter_`` epochs of a fixed number
        of steps, at the term's own learning rate. Then the decoder alone, on the reconstruction of
        the training rows from their frozen codes, for ``decoder_iter_`` epochs, with early stopping
        on the validation rows when it is on.
        """
        import torch

        from ._training import (ProjectedEncoderStage, code_range, encode_rows, init_code_standardisation,
                                init_input_projection, validation_scores)
        from .objective import GivenCodes, Reconstruction

        objective = self._objective()
        init_input_projection(self.model_, X_train)
        with torch.no_grad():
            projected = self.model_.encoder.project(X_train)
        embedding = self._make_trainer(callbacks, model=ProjectedEncoderStage(self.model_), objective=objective,
                                       parameters=self.model_.encoder.parameters(), learning_rate=objective.learning_rate)
        losses, _ = embedding.fit(projected, self.max_iter_)
        del projected
        self.model_.eval()
        train_codes = encode_rows(self.model_, X_train)
        init_code_standardisation(self.model_, train_codes)
        # the encoder is trained: the range of the codes of every row given to fit, validation rows too
        held_codes = encode_rows(self.model_, X_val) if X_val is not None else train_codes[:0]
        self.code_range_ = code_range(torch.cat([train_codes, held_codes]))
        # The decoder learns from the frozen codes, each beside its row (GivenCodes): computed once here,
        # not again at every step.
        train_pairs = torch.cat([train_codes, X_train], dim=1)
        val_pairs = torch.cat([held_codes, X_val], dim=1) if X_val is not None else None
        del train_codes, held_codes
        decoder = self._make_trainer(callbacks, val_pairs, model=self.model_,
                                     objective=GivenCodes(Reconstruction(self.loss_), [], n_codes=self.n_components_),
                                     parameters=self.model_.decoder.parameters(), prefix="decoder ")
        decoder_losses, val_losses = decoder.fit(train_pairs, self.decoder_iter_, X_val=val_pairs)
        scores, best = validation_scores(decoder, val_losses, val_pairs)
        return dict(n_iter_=len(losses), loss_curve_=losses, validation_scores_=scores, best_validation_score_=best,
                    decoder_loss_curve_=decoder_losses)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, groups=None, callbacks=None):
        """Fit the autoencoder to X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, in any units (see ``scaling``).
        y : None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            The unit each row measures (a state, a firm, a person, over several years). With early
            stopping, whole groups are then the validation rows, as in scikit-learn's
            ``GroupShuffleSplit``: the epochs, and the choice between the trained weights and PCA's
            start, are judged on units the model has not seen rather than on other years of the
            units it trains on. A gain over PCA's start must then hold by Student's t over the
            validation units' mean errors, at least 3 of them (6 where there are 24 units or more, 3
            from 6): with fewer than 6 units the model keeps PCA's solution.
        callbacks : list of aereduce._training.Callback, default=None
            Extra hooks on the training loop (e.g. ``Progress`` for a progress bar).

        Returns
        -------
        self : AutoencoderTransformer
            The fitted estimator.

        Warns
        -----
        ConvergenceWarning
            When the model reconstructs (a sample of 2,000 of) its training rows over three
            times worse than PCA at the same dimension: too few epochs (``max_iter``), too
            strong a penalty or corruption, or too high a learning rate; the message names the
            likeliest. ``aereduce fit`` refuses to save such a model.
        """
        from ._training import (FitHistory, code_range, encode_rows, init_from_pca, passes_over_rows, pretrain_layerwise,
                                validation_scores)

        tic = time.perf_counter()
        # One row has no spread to learn a code from (PCA refuses it too).
        X = dense_rows(self, X, ensure_min_samples=2)
        groups = self._check_groups(groups, X.shape[0])
        self._initialise(X)
        X_all = self._to_tensor(X)
        X_train, X_val, val_groups = self._split(X_all, groups)
        if self.neighbour_weight_ > 0:
            history = self._fit_neighbour_embedding(X_train, X_val, callbacks)
            self.model_.eval()
            self._partial_trainer = None
            self._objective_cache = None  # lets the graph go
            self._set_fields(FitHistory(**history, fit_time_=time.perf_counter() - tic))
            self._warn_on_a_poor_fit(X_all)
            return self
        pretrain_curves = None
        if self.pca_components is not None:
            # The trainer saw the components, so its validation rows are theirs too.
            trainer, losses, val_losses, X_val = self._train_on_components(X_train, X_val, callbacks)
            scores, best = validation_scores(trainer, val_losses, X_val)
        else:
            if self.linear_skip_:
                init_from_pca(self.model_, X_train)
            trainer = self._make_trainer(callbacks, X_val, validation_groups=val_groups)
            pretrain_curves = pretrain_layerwise(trainer, X_train, self.pretrain_iter) if self.pretrain else None
            losses, val_losses = trainer.fit(X_train, self.max_iter_, X_val=X_val)
            # Scored before the refit below: the start the epochs had to beat. Scored after it, PCA had
            # seen the validation rows, and the report's dashed "PCA's start, kept" line lay below the
            # start the epochs were measured against (trial 29, iris).
            scores, best = validation_scores(trainer, val_losses, X_val)
            if trainer.kept_initial_weights and self._shared_validation_seed is None:
                # PCA's solution, now from every row, validation rows too; but a detector's members keep
                # its calibration rows unseen (trial 30: one member that kept PCA's start left none, and
                # the fence set on training rows flagged 33-42% of new digits)
                init_from_pca(self.model_, X_all)
        self.model_.eval()
        if self.sparsity is not None:
            self._warn_on_a_constant_code(X_train)
        self._partial_trainer = None  # a later partial_fit continues with a fresh optimiser
        self.code_range_ = code_range(encode_rows(self.model_, X_all))
        self._set_fields(FitHistory(
            n_iter_=passes_over_rows(losses, self.max_iter_), loss_curve_=losses, validation_scores_=scores,
            best_validation_score_=best, pretrain_loss_curves_=pretrain_curves,
            fit_time_=time.perf_counter() - tic,
            kept_initial_weights_=True if self.linear_skip_ and self.max_iter_ == 0 else trainer.kept_initial_weights))
        if not self.kept_initial_weights_:
            self._warn_on_a_poor_fit(X_all)
        elif self.verbose and self.max_iter_ > 0:
            # The epochs printed above are not the model returned (trial 14 read a falling loss as the fit).
            print("kept PCA's starting weights: training did not clearly beat them on the validation rows",
                  file=sys.stderr)
        return self

    def _train_on_components(self, X_train, X_val, callbacks):
        """Training on principal components (``pca_components``): the network learns to reproduce
        the training rows' first components, then the decoder's output layer is fitted to the rows
        themselves by least squares. Returns the trainer, its losses, its validation losses and its
        validation rows (their components; None without early stopping)."""
        import torch

        from ._training import ComponentSpaceStage, fit_output_layer, init_input_projection

        init_input_projection(self.model_, X_train)
        encoder = self.model_.encoder
        with torch.no_grad():
            components = encoder.project(X_train)
            held = encoder.project(X_val) if X_val is not None else None
        trainer = self._make_trainer(callbacks, held, model=ComponentSpaceStage(self.model_, self._seed))
        losses, val_losses = trainer.fit(components, self.max_iter_, X_val=held)
        del components
        self.model_.eval()
        fit_output_layer(self.model_, X_train, self._generator)
        return trainer, losses, val_losses, held

    def _warn_on_a_poor_fit(self, X_all) -> None:
        """Warn, as scikit-learn's MLP does when it stops short, when the model reconstructs its
        training rows worse than PCA at the same dimension by :func:`failure_bar`: the fit
        the command line refuses to save (after 3 epochs, say), which Python took silently."""
        import torch
        from sklearn.decomposition import PCA
        from sklearn.exceptions import ConvergenceWarning

        n, n_features = X_all.shape
        k = self.n_components_
        if k >= n_features:  # PCA is exact: no bar to compare with
            return
        chosen = np.random.default_rng(self._seed).permutation(n)[:POOR_FIT_CHECK_ROWS]
        rows = X_all[torch.from_numpy(chosen).to(X_all.device)]
        if rows.shape[0] <= k:
            return
        with torch.no_grad():
            error = float((self.model_(rows) - rows).pow(2).mean())
        scaled = rows.cpu().numpy()
        # The covariance's eigenvectors: 0.07 s on MNIST's 784 columns at any k, where a float64 SVD
        # took 0.2-0.4 s of a 22 s fit; its d^3 cost rules it out for very wide rows.
        pca = PCA(n_components=k, svd_solver="covariance_eigh" if n_features <= 1_000 else "auto").fit(scaled)
        pca_error = float(((pca.inverse_transform(pca.transform(scaled)) - scaled) ** 2).mean())
        variance = mean_row_error(scaled, pca.mean_)
        bar = failure_bar(error, pca_error, k, variance=variance, denoiser=bool(self.noise),
                          cosine=self.loss_ == "cosine")
        if bar is not None:
            fix = failed_fit_fix(self.get_params(), n, self.batch_size_, is_map=self.neighbour_weight_ > 0,
                                 default_epochs=default_epochs(self))
            warn_user(f"{POOR_FIT_WARNING} {error:.4g} on its training rows, {bar}: {fix}", ConvergenceWarning)

    def _warn_on_a_constant_code(self, X) -> None:
        """A strong sparsity penalty can switch every unit off for good (dead ReLUs under L1; under
        KL, sigmoids stuck at 0 or 1): say so rather than return a code that carries nothing."""
        import torch

        from .objective import sparsity_weight

        with torch.no_grad():
            code, _ = self.model_.encode(X[:10_000])
        if bool((code.std(dim=0) < 1e-4).all()):
            # Under L1 the usual end is dead ReLUs (every code 0); a ReLU can also settle on one
            # positive value for every row, which carries nothing either but is not "zero".
            if self.sparsity == "l1":
                what = ("zero on every training row (dead ReLUs)" if bool((code == 0).all())
                        else "the same on every training row")
            else:
                what = "the same on every training row (sigmoids stuck at 0 or 1)"
            warn_user(
                f"all {code.shape[1]} code units are {what}, so the code carries nothing: "
                f"sparsity_weight={sparsity_weight(self.get_params()):g} is too strong for this data at "
                f"learning_rate_init={self.learning_rate_init:g}; lower either")

    def partial_fit(self, X, y=None):
        """Train one epoch on X, initialising the model on the first call.

        The scaling is learned from the first chunk and then kept (a first chunk of fewer than
        50 rows warns: a column's spread needs more; so does the first later chunk where a column
        constant in the first varies, or spreads or lies more than 5 times the first chunk's spread
        away from it, as chunks of
        rows in a sorted order do: shuffle the rows, or use :meth:`fit_stream`, which scans every
        chunk for the scaling first); the learning rate stays at
        ``learning_rate_init`` (no schedule) since the number of chunks is unknown. The network's
        ``"auto"`` size does not depend on the first chunk's rows, as the chunks to come may be many.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : AutoencoderTransformer
            The updated estimator.
        """
        from ._training import FitHistory, init_from_pca

        first_call = not hasattr(self, "model_")
        if first_call:
            self._validate_params()
        elif self.neighbour_weight_ > 0:
            raise OptionError("partial_fit cannot continue a fit with the neighbour term: it would retrain the "
                              "encoder on the reconstruction alone; refit, or fit with neighbour_weight=0")
        X = dense_rows(self, X, reset=first_call)
        if first_call:
            # Sized for the stream, not the chunk: 32-row chunks gave a linear network for good (trial 31).
            self._initialise(X, streaming=True, n_samples=max(X.shape[0], MIN_ROWS_FOR_DEEP))
            self._set_fields(FitHistory(n_iter_=0, loss_curve_=[]))
            if X.shape[0] < MIN_ROWS_FOR_DEEP:  # 1 row left every column unscaled: 5x PCA's error (trial 31)
                warn_user(f"partial_fit learns the scaling from its first chunk, here {plural(X.shape[0], 'row')}: "
                          f"too few to measure each column's spread; give the first call {MIN_ROWS_FOR_DEEP} rows "
                          "or more, or use fit_stream")
            self._first_chunk_spread = _spread(self.scaler_.transform(X))
        else:  # sample() holds rows to the training range: every chunk's (review of trial 31's fix)
            self._warn_of_a_chunk_unlike_the_first(X)
            self.scaler_.widen(X)
        X_chunk = self._to_tensor(X)
        if first_call and self.linear_skip_:  # as fit does: start at PCA's solution, here the first chunk's
            init_from_pca(self.model_, X_chunk)
        if getattr(self, "_partial_trainer", None) is None or self._partial_trainer.model is not self.model_:
            self._partial_trainer = self._make_trainer()
        tic = time.perf_counter()
        losses, _ = self._partial_trainer.fit(X_chunk, 1, use_schedule=False)
        self.model_.eval()
        self.code_range_ = None  # the codes moved, and the rows of earlier chunks are gone
        self.loss_curve_ = self.loss_curve_ + losses
        self.n_iter_ = len(self.loss_curve_)  # one epoch a call, after PCA's solution's n_iter_ of 1 with none
        self.fit_time_ += time.perf_counter() - tic
        return self

    def _warn_of_a_chunk_unlike_the_first(self, X: np.ndarray) -> None:
        """Warn, once a fit, of a chunk whose column spreads or lies far from the first chunk's, which
        set the scaling for good (trial 45: Boston's rows in town order, 100 a chunk, ended 3.7x worse
        than PCA, silently, where shuffled rows ended 0.9x)."""
        first = getattr(self, "_first_chunk_spread", None)  # absent in a model loaded from a file
        if first is None or getattr(self, "_warned_of_an_unlike_chunk", False) or len(X) < 2:
            return
        Z = self.scaler_.transform(X)
        (mean_first, std_first), (mean, std) = first, _spread(Z)
        names = getattr(self, "feature_names_in_", None)
        # most of this chunk's rows off the first chunk's one value: rows sorted by it (a rare 0/1 flag missing
        # from a first chunk of shuffled rows moves the median nowhere: a review)
        constant = np.flatnonzero((std_first == 0) & ~np.isclose(np.median(Z, axis=0), mean_first))
        varies = std_first > 0
        unit = np.where(varies, std_first, 1.0)
        wider, moved = np.where(varies, std / unit, 0.0), np.where(varies, np.abs(mean - mean_first) / unit, 0.0)
        j = int(np.argmax(np.maximum(wider, moved)))
        if len(constant):  # rows sorted by a 0/1 column: the first chunk all 0 (a review)
            j, what = int(constant[0]), "held one value in the first chunk and others in this one"
        elif max(wider[j], moved[j]) > CHUNK_UNLIKE_THE_FIRST:
            what = (f"spreads {wider[j]:.1f} times as wide in this chunk as in the first" if wider[j] >= moved[j] else
                    f"lies {moved[j]:.1f} of the first chunk's spreads from its mean there")
        else:
            return
        self._warned_of_an_unlike_chunk = True
        column = repr(str(names[j])) if names is not None else str(j)
        warn_user(f"partial_fit: column {column} {what}; the first chunk set the scaling (and PCA's start) for "
                  "good: chunks of rows in a sorted order give a model of the first chunk's range; shuffle the rows "
                  "across chunks, or use fit_stream, which scans every chunk first")

    def fit_stream(self, source, *, chunk_rows=10_000, callbacks=None):
        """Fit on data read in chunks, never whole: a file larger than memory, or chunks from Python.

        One pass learns the scaling (and the missing-value means), one more PCA's start where the
        model uses it (``linear_skip``); then each epoch is one pass, its rows shuffled in a buffer
        (and a Parquet file's row groups read in a fresh order), in the batches and learning-rate
        schedule of :meth:`fit` on the same rows. With early stopping, the validation rows are a
        fixed ``validation_fraction`` of the rows chosen by a hash of their number (at most about
        32 MB of them are kept to measure the validation loss). The neighbour term needs every row
        in memory: ``"auto"`` leaves it off here and a positive ``neighbour_weight`` is an error, as
        is ``pretrain=True``. See :mod:`aereduce.streaming`.

        Parameters
        ----------
        source : str, path-like, list or callable
            A data file (CSV/TSV, Parquet, ``.npy``) or a folder of Parquet files, read with every
            numeric column as a feature (text and date columns are left out, as the command line
            leaves them out, with a warning naming them; ``feature_names_in_`` names the columns
            used, where a list of chunks with a text column is refused); a
            :class:`aereduce.streaming.FileSource` for other reading
            options; a list of arrays or DataFrames (the chunks); or a function returning a fresh
            iterable of them each time it is called (the data are read once per pass).
        chunk_rows : int, default=10_000
            Rows per chunk read from a file.
        callbacks : list of aereduce._training.Callback, default=None
            Extra hooks on the training loop.

        Returns
        -------
        self : AutoencoderTransformer
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from aereduce import AutoencoderTransformer
        >>> rng = np.random.default_rng(0)
        >>> chunks = [rng.normal(size=(500, 6)) for _ in range(4)]
        >>> ae = AutoencoderTransformer(n_components=2, max_iter=2, random_state=0).fit_stream(chunks)
        >>> ae.transform(chunks[0]).shape
        (500, 2)
        """
        from .streaming import fit_stream

        self._n_validation_groups = None  # validated on rows, whatever an earlier fit did
        fit_stream(self, source, chunk_rows=chunk_rows, callbacks=callbacks)
        return self

    # -- using a fitted model ------------------------------------------------------------------
    def _run(self, fn: Callable, X: np.ndarray, batch_size: int = 4096, *, scale: bool = False,
             mixed_precision: bool = False) -> np.ndarray:
        """Apply ``fn`` to X in eval mode, in batches, without gradients.

        ``scale``: X is in the data's units, and each batch is scaled on its way in (no scaled
        copy of all of X). ``mixed_precision``: the forward pass runs in bfloat16 when the model
        trained in it (``precision_``) and the device has native bfloat16.
        """
        import contextlib

        import torch

        from ._training import bfloat16_is_fast

        self.model_.eval()
        device = torch.device(self.device_)
        bf16 = mixed_precision and self.precision_ == "bfloat16" and bfloat16_is_fast(device)
        outputs = []
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                rows = X[start : start + batch_size]
                rows = self.scaler_.transform_float32(rows) if scale else np.asarray(rows, dtype=np.float32)
                xb = torch.from_numpy(np.ascontiguousarray(rows)).to(device)
                with torch.autocast(device_type=device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
                    outputs.append(fn(xb).float().cpu().numpy())
        return np.concatenate(outputs).astype(np.float64, copy=False)

    def _check_input(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return new_rows(self, X)

    def transform(self, X):
        """Encode X: the code of each row (the mean code, for a variational model).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in X's float dtype; computed in float32, so a float64 row's code
            agrees with the same row's inside another batch to about 1e-6 (relative).
        """
        X = self._check_input(X)
        Z = self._run(lambda xb: self.model_.encode(xb)[0], X, scale=True, mixed_precision=True)
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
            raise InputError(f"X has {Z.shape[1]} columns, but the code has n_components={self.n_components_}")
        X_hat = self.scaler_.inverse_transform(self._run(self.model_.decode, Z))
        return X_hat.astype(Z.dtype, copy=False)

    def reconstruction_error(self, X):
        """Mean squared reconstruction error of each row, in the scaled space.

        An anomaly score: rows unlike the training data reconstruct badly
        (:class:`~aereduce.AutoencoderOutlierDetector` builds a detector on it).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
            Non-negative; larger is more anomalous.
        """
        X = self._check_input(X)
        return self._run(lambda xb: (self.model_(xb) - xb).pow(2).mean(dim=1), X, scale=True)

    def score_samples(self, X):
        """Negative reconstruction error of each row (higher is more normal).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
            Generated rows in the data's units, each value held to its column's range in the
            training data (a decoder's output can overshoot it: on digits' 0-16 pixels, 18% of the
            generated values were negative). Models saved before the range was kept are not held.
        """
        check_is_fitted(self, "model_")
        if not self.variational:
            raise OptionError("sample needs a variational model: fit with variational=True")
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            # sample(2.5) gave 2 rows and sample(0) numpy's words (trial 9)
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        if isinstance(random_state, numbers.Integral) and not 0 <= random_state < 2**32:  # numpy's words, not ours (trial 23)
            raise ValueError(f"random_state={random_state!r} must be an integer from 0 to 2**32 - 1, or None")
        Z = check_random_state(random_state).standard_normal((int(n_samples), self.n_components_))
        return self.scaler_.clip(self.inverse_transform(Z))

    # -- saving --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted model to one safe ``.aer`` file (safetensors plus JSON metadata).

        Parameters
        ----------
        path : str or path-like
            Destination; written atomically (a temporary file renamed into place).
        """
        _persistence.save(path, MODEL_KIND, *self._saved_parts())

    def _saved_parts(self) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
        """What a model file holds of this model: its tensors, ``get_params()`` and the fitted
        attributes as JSON (an outlier detector's file holds those of each member)."""
        from ._training import FitHistory

        check_is_fitted(self, "model_")
        tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in self.model_.state_dict().items()}
        tensors.update(self.scaler_.tensors())
        fitted = _persistence.fitted_to_json(
            self._get_fields(ResolvedOptions), self._get_fields(FitHistory), n_features_in_=self.n_features_in_,
            seed=self._seed, code_range_=None if self.code_range_ is None else self.code_range_.tolist(),
            **_persistence.input_to_json(self))
        return tensors, getattr(self, "_fitted_params", None) or self.get_params(), fitted

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
        _, tensors, meta = _persistence.read_model_file(path, kinds=(MODEL_KIND,))
        return cls.from_saved(os.fspath(path), tensors, meta, device=device)

    @classmethod
    def from_saved(cls, path: str, tensors: dict[str, np.ndarray], meta: dict[str, Any], *,
                   device: str = "auto") -> "AutoencoderTransformer":
        """Rebuild the estimator from a model file's tensors and metadata, checking every shape first."""
        from ._training import FitHistory, make_generator, model_from_tensors, passes_over_rows, resolve_device

        try:
            est = cls(**_persistence.params_from_json(meta["params"], _TUPLE_PARAMS, meta.get("list_params", ())))
            fitted = meta["fitted"]
            est.n_features_in_ = int(fitted["n_features_in_"])
            _persistence.set_input(est, fitted)
            est._set_fields(_persistence.fitted_from_json(ResolvedOptions, fitted))
            est._set_fields(_persistence.fitted_from_json(FitHistory, fitted))
            # PCA's solution was saved with n_iter_ 0 before it counted as one pass (passes_over_rows)
            est.n_iter_ = max(est.n_iter_, passes_over_rows(est.loss_curve_, est.max_iter_))
            est._seed = int(fitted["seed"])
            est.code_range_ = _saved_code_range(fitted.get("code_range_"), est.n_components_, path)
            est.scaler_ = Scaler.from_tensors(est.scaling_, tensors, est.n_features_in_, path)
            est.device_ = resolve_device(device)
            est._generator = make_generator(est._seed, est.device_)
            est.model_ = model_from_tensors(est._config(), tensors, est.device_, path)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise _persistence.corrupt(path, exc) from None
        return est


def _spread(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and standard deviation."""
    return Z.mean(axis=0), Z.std(axis=0)


def _saved_code_range(saved: Any, n_components: int, path: str) -> np.ndarray | None:
    """``code_range_`` from a model file: None when absent (older files), else checked."""
    if saved is None:
        return None
    code_range = np.asarray(saved, dtype=np.float64)
    if code_range.shape != (2, n_components) or not np.isfinite(code_range).all() \
            or (code_range[0] > code_range[1]).any():
        raise ModelFileError(f"{path}: corrupt model: code_range_ must be the lowest and highest of "
                             f"each of the {n_components} code units")
    return code_range
