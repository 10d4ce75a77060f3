"""``AutoencoderOutlierDetector``: an ensemble of autoencoders as a scikit-learn outlier detector.

Each member is an :class:`~aereduce.estimator.AutoencoderTransformer` with its own seed; a row's
anomaly score is the mean (or the maximum) over the members of its reconstruction error,
standardised by that member's errors on the training rows. It saves to the same safe ``.aer``
file as the other models: every member's tensors under a ``members.<i>.`` prefix, and their
parameters and fitted attributes in the JSON header.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _persistence
from ._validation import dense_rows, forget_command_line_fields, new_rows
from ._params import AUTOENCODER_PARAMS
from ._resolve import (FAILED_FIT_RATIO, failed_fit_fix, hidden_layer_tuple, python_option, regularises_the_code,
                       rows_spanned, spanned_dimensions)
from .errors import (POOR_FIT_WARNING, POOR_MEMBERS_WARNING, WIDE_CODE_WARNING, ModelFileError, OptionError,
                     warn_user)

MODEL_KIND = "outlier_detector"

# Tukey's boxplot rule, the "auto" threshold: a row is an outlier when its anomaly score lies more
# than this many interquartile ranges above the upper quartile of the training rows' scores.
TUKEY_FENCE = 1.5

# The members' defaults where they differ from AutoencoderTransformer's (autoencoder_params overrides
# them): an identity output with MSE turns on the linear path started at PCA's solution
# (linear_skip="auto"), so every member starts at PCA's reconstruction and only improves on it. On
# one-class MNIST (digit 2, 2,000 training rows, 20 epochs) that gave an AUROC of 0.93, against 0.84
# for the sigmoid output with cross-entropy that pixels get by default, and 0.92 for PCA-32.
MEMBER_DEFAULTS = {"output_activation": "identity", "loss": "mse"}

# Parameters the detector sets on every member itself, so autoencoder_params may not.
_OWN_PARAMS = ("n_components", "hidden_layer_sizes", "max_iter", "random_state")


# At most this many training rows' codes are kept as each member's reference for the local
# outlier factor of new rows' codes (a seeded sample beyond it): memory and scoring time stay
# bounded on large data, and 10,000 rows already describe a 16-D code's density well.
DENSITY_REFERENCE_ROWS = 10_000
# One-class MNIST and Fashion-MNIST scored best at 16 of the dimensions tried (see n_components).
DEFAULT_COMPONENTS = 16
DEFAULT_MAX_ITER = 20  # each member's epochs (see max_iter)
# Under this many training rows the members rebuild their own rows far better than any new row, and
# a threshold set on them flags most new rows: fitted on 5, 10 and 20 penguins it flagged 57%, 59%
# and 14% of the other penguins (from 40 rows: 3-6%, as on the training rows).
FEW_THRESHOLD_ROWS = 20


def detector_components(n_components: int | str, n_features: int) -> int:
    """The members' code dimension: ``n_components``, or for ``"auto"`` 16 or half of fewer columns."""
    if n_components != "auto":
        return int(n_components)
    return max(1, min(DEFAULT_COMPONENTS, n_features // 2))


def _member_prefix(i: int) -> str:
    return f"members.{i}."


def _reference_name(i: int) -> str:
    return f"reference_codes.{i}"


class LocalDensity:
    """The local outlier factor (LOF; Breunig, Kriegel, Ng and Sander, 2000) of rows among
    reference rows: how much sparser a row's neighbourhood is than its neighbours' own (about 1
    inside a cluster, larger outside). Written out, rather than taken from scikit-learn's
    ``LocalOutlierFactor``, so that the reference rows alone rebuild it from a model file.
    """

    def __init__(self, reference: np.ndarray, n_neighbors: int):
        from sklearn.neighbors import NearestNeighbors

        if reference.shape[0] < 2:
            raise ValueError(f"the local outlier factor needs at least 2 reference rows, got {reference.shape[0]}")
        self.reference = np.ascontiguousarray(reference, dtype=np.float64)
        self.k = min(n_neighbors, self.reference.shape[0] - 1)
        self.index = NearestNeighbors(n_neighbors=self.k).fit(self.reference)
        distances, neighbours = self.index.kneighbors()  # each reference row's k nearest others
        self.k_distance = distances[:, -1]
        # Codes closer than this to a reference row's are that row (the same training row, encoded
        # in another batch): a thousandth of the typical neighbourhood radius.
        self.same_row_radius = 1e-3 * float(np.median(self.k_distance))
        self.density = self._reachability_density(distances, neighbours)
        self.reference_factors = self.density[neighbours].mean(axis=1) / self.density  # leave-one-out

    def _reachability_density(self, distances: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
        reach = np.maximum(distances, self.k_distance[neighbours])
        return 1.0 / (reach.mean(axis=1) + 1e-10)  # the epsilon keeps duplicated rows finite, as scikit-learn's

    def factors(self, Z: np.ndarray) -> np.ndarray:
        """The local outlier factor of each row of Z (shape (n_rows,)).

        A row whose code coincides with a reference row's (within ``same_row_radius``) is scored
        with that reference row left out, as the reference rows' own factors are; so the
        training rows score alike in ``fit`` and in ``predict``.
        """
        Z = np.asarray(Z, dtype=np.float64)
        finite = np.isfinite(Z).all(axis=1)
        if not finite.all():
            # A value beyond float32 (1e39) gives no code at all: no density, the most anomalous of
            # rows (trial 28 met NearestNeighbors' "Input X contains NaN" for such a row).
            factors = np.full(len(Z), np.inf)
            if finite.any():
                factors[finite] = self.factors(Z[finite])
            return factors
        distances, neighbours = self.index.kneighbors(Z, n_neighbors=self.k + 1)
        itself = distances[:, 0] <= self.same_row_radius
        keep = np.where(itself[:, None], np.arange(1, self.k + 1), np.arange(self.k))
        distances, neighbours = np.take_along_axis(distances, keep, 1), np.take_along_axis(neighbours, keep, 1)
        return self.density[neighbours].mean(axis=1) / self._reachability_density(distances, neighbours)


def robust_location_scale(errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and interquartile range of each row of ``errors`` (members x rows); a zero or
    undefined range becomes 1, so a member whose errors are all equal adds nothing but a constant."""
    q25, median, q75 = np.percentile(errors, [25, 50, 75], axis=1)
    iqr = q75 - q25
    return median, np.where(np.isfinite(iqr) & (iqr > 0), iqr, 1.0)


def tukey_offset(scores: np.ndarray, fence: float = TUKEY_FENCE) -> float:
    """The ``score_samples`` value below which a row lies beyond Tukey's fence of ``scores``
    (``scores`` are higher-is-normal, so the fence is below the lower quartile)."""
    q25, q75 = np.percentile(scores, [25, 75])
    return float(q25 - fence * (q75 - q25))


class AutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier detection by an ensemble of autoencoders: reconstruction error and code density.

    Each of ``n_estimators`` autoencoders (:class:`~aereduce.AutoencoderTransformer`, with
    its own seed) is fitted to the training rows, all holding out the same validation rows for
    early stopping, on which the default threshold is then set. A row's error under each member is
    standardised by that member's training errors (minus their median, over their
    interquartile range), so members of different accuracy count alike. To it is added
    ``density_weight`` times the local outlier factor of the row's code among the training rows'
    codes, standardised the same way: a row can reconstruct well yet land where the training
    rows' codes are sparse (a digit 3 that an autoencoder of 8s draws as an 8). The members'
    scores are then averaged (or their maximum taken). Rows unlike the training data score
    high on one term or both, and averaging members trained from different starting weights
    removes the noise of any one fit. The shape is scikit-learn's (``IsolationForest``,
    ``LocalOutlierFactor(novelty=True)``): ``score_samples`` is higher for more normal rows,
    ``predict`` gives 1 for inliers and -1 for outliers.

    Parameters
    ----------
    n_estimators : int, default=5
        Number of autoencoders in the ensemble.
    combine : {"mean", "max"}, default="mean"
        How the members' standardised errors become one anomaly score.
    contamination : "auto" or float, default="auto"
        Expected share of outliers in the training data, in (0, 0.5]: the threshold
        ``offset_`` is then that percentile of the training rows' scores, as in scikit-learn.
        New rows are flagged more often than that (``0.01`` on MNIST threes flagged 12% of the
        test threes, where ``"auto"`` flagged 6%).
        ``"auto"`` uses Tukey's boxplot rule instead, on rows no member trained on: a row is
        an outlier when its anomaly score (minus ``score_samples``) is more than 1.5
        interquartile ranges above the upper quartile of the anomaly scores of the members'
        shared validation rows (see ``n_calibration_``), or of all the training rows where
        that fence is higher. Rows a model has trained on reconstruct better than new rows, so
        the training rows' fence alone had flagged 26% of new normal rows (one-class MNIST,
        592 training zeros), against 9% with the held-out rows' fence.
    n_components : "auto" or int, default="auto"
        Dimension of each member's code. ``"auto"`` is 16, or half the columns of a table of
        fewer than 32 (at least 1): a code as wide as the data lets a member copy its rows
        exactly, so that no error sets outliers apart (penguins' 4 columns: AUROC 0.965 with a
        16-wide code, 0.995 with 2). With 32, an earlier default, one-class AUROC was lower on
        each of four classes tried: MNIST digits 8 and 2, 0.884 and 0.949 against 0.909 and 0.957
        with 16; Fashion-MNIST shirts and T-shirts, 0.822 and 0.906 against 0.827 and 0.911. A
        narrower code reconstructs less of what the training class does not share with other
        images, so other classes stand out more. An int of at least the number of columns makes
        ``fit`` warn.
    hidden_layer_sizes : "auto", int or tuple of int, default="auto"
        Each member's encoder widths, as for ``AutoencoderTransformer`` (an int is one hidden
        layer; ``"auto"`` is 512-256 for 784 pixels). On one-class MNIST 512-256 scored as well as 256-128 or better (AUROC 0.939
        against 0.932 for digit 2, 0.958 for both on digit 5).
    max_iter : "auto" or int, default=20
        Each member's epochs (as for ``AutoencoderTransformer``; ``"auto"`` is about 5,000
        steps, several times slower; 40 epochs gained 0.003 AUROC on digit 2 at twice the time).
    autoencoder_params : dict or None, default=None
        Any other parameters of ``AutoencoderTransformer`` for every member (e.g.
        ``{"noise": "mask", "device": "cpu"}``). Unless set here, members have an identity
        output and MSE loss, which starts each at PCA's solution through its linear path
        (``linear_skip``), so a member only improves on PCA's reconstruction. The
        neighbour term is always off (``neighbour_weight=0``): it shapes a 2-D map, not a
        reconstruction.
    density_weight : float, default=1.0
        Weight of the code density term; 0 scores by reconstruction error alone. On four
        one-class problems (one seed) 1.0 raised the AUROC of every one against error alone:
        MNIST digits 8 and 3, 0.909 and 0.968 to 0.932 and 0.970; Fashion-MNIST sandals and bags,
        0.899 and 0.870 to 0.914 and 0.886 (0.5 gained less on three of them). The local
        outlier factor alone scored below the error on three of the four (0.865 and 0.923 on
        the digits, 0.819 on bags).
    n_neighbors : int, default=20
        Neighbours of the local outlier factor (scikit-learn's ``LocalOutlierFactor`` default).
    random_state : int, RandomState instance or None, default=None
        Seeds the members' seeds and the sample of reference rows; an int gives identical
        results on the CPU.

    Attributes
    ----------
    estimators_ : list of AutoencoderTransformer
        The fitted members.
    error_centers_ : ndarray of shape (n_estimators,)
        Median reconstruction error of each member on the training rows.
    error_scales_ : ndarray of shape (n_estimators,)
        Interquartile range of each member's training errors (1 where it is 0).
    reference_codes_ : list of ndarray of shape (n_reference, n_components), or None
        Each member's codes of the training rows (a seeded sample of 10,000 of them beyond that
        many), among which new codes' local outlier factors are taken; None when
        ``density_weight`` is 0. They are saved with the detector.
    density_centers_ : ndarray of shape (n_estimators,) or None
        Median local outlier factor of the reference rows' codes (each leaving itself out).
    density_scales_ : ndarray of shape (n_estimators,) or None
        Interquartile range of those factors (1 where it is 0).
    offset_ : float
        Threshold on ``score_samples``: ``decision_function`` is ``score_samples - offset_``,
        negative for outliers.
    n_calibration_ : int
        Number of training rows that no member trained on, on which the ``"auto"`` threshold
        was set: the members' shared validation rows (``validation_fraction`` of the rows,
        when early stopping is on: 50 to 20,000 rows by default; a member that keeps PCA's
        start keeps it from its training rows). 0 without early stopping, when the threshold is
        set on the training rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.
    n_components_ : int
        Dimension of each member's code (``n_components`` with ``"auto"`` resolved).
    n_iter_ : ndarray of shape (n_estimators,)
        Each member's ``n_iter_``: the epochs it ran, or 1 for PCA's closed-form solution.
    fit_time_ : float
        Seconds spent in the last ``fit``.
    fit_summary_ : list of str
        Set by the command line's ``fit``: the summary it printed (what was fitted, and its
        held-out error against PCA's), saved for ``inspect`` and ``report``.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outlier detection by random partitioning.
    AutoencoderTransformer.score_samples : One autoencoder's negative reconstruction error.

    References
    ----------
    .. [1] J. Chen, S. Sathe, C. Aggarwal and D. Turaga, "Outlier detection with autoencoder
       ensembles", SIAM International Conference on Data Mining, 2017.
    .. [2] M. Breunig, H.-P. Kriegel, R. Ng and J. Sander, "LOF: identifying density-based
       local outliers", ACM SIGMOD, 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from aereduce import AutoencoderOutlierDetector
    >>> X, y = load_digits(return_X_y=True)
    >>> detector = AutoencoderOutlierDetector(n_estimators=2, n_components=8, max_iter=10,
    ...                                       random_state=0).fit(X[y == 0])
    >>> scores = detector.score_samples(X)
    >>> bool(scores[y == 0].mean() > scores[y != 0].mean())
    True
    >>> np.unique(detector.predict(X)).tolist()
    [-1, 1]
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "combine": [StrOptions({"mean", "max"})],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "n_components": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [StrOptions({"auto"}), tuple, list, Interval(Integral, 1, None, closed="left")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "autoencoder_params": [dict, None],
        "density_weight": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_estimators=5, combine="mean", contamination="auto", n_components="auto",
                 hidden_layer_sizes="auto", max_iter=DEFAULT_MAX_ITER, autoencoder_params=None, density_weight=1.0,
                 n_neighbors=20, random_state=None):
        self.n_estimators = n_estimators
        self.combine = combine
        self.contamination = contamination
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_iter = max_iter
        self.autoencoder_params = autoencoder_params
        self.density_weight = density_weight
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def _member_params(self, n_features: int) -> dict[str, Any]:
        """Every member's parameters but its seed, for data of ``n_features`` columns."""
        extra = dict(self.autoencoder_params or {})
        for name in extra:
            if name not in AUTOENCODER_PARAMS or name in _OWN_PARAMS:
                raise OptionError(f"autoencoder_params={{{name!r}: ...}}: {name!r} is "
                                  + ("a parameter of the detector itself; set it there" if name in _OWN_PARAMS
                                     else "not a parameter of AutoencoderTransformer"))
        if float(extra.get("neighbour_weight", 0) or 0) > 0:
            # Written name=value, which the command line turns into its option (trial 28 read the Python name).
            raise OptionError(f"autoencoder_params: neighbour_weight={extra['neighbour_weight']!r} is not for outlier "
                              "detection, as the neighbour term shapes a map, not a reconstruction; use "
                              "neighbour_weight=0")
        if extra.get("loss") == "cosine":
            # a review: cosine members rebuild rows' directions, and the detector scores squared errors
            raise OptionError("autoencoder_params: loss='cosine' is not for outlier detection, as the detector scores "
                              "each row by its squared reconstruction error, which a cosine member does not minimise "
                              "(it leaves a row's length free); use loss='mse', or loss='bce' for data in [0, 1]")
        hidden = self.hidden_layer_sizes if isinstance(self.hidden_layer_sizes, str) else \
            hidden_layer_tuple(self.hidden_layer_sizes)
        return MEMBER_DEFAULTS | extra | {"n_components": detector_components(self.n_components, n_features),
                                          "hidden_layer_sizes": hidden, "max_iter": self.max_iter,
                                          "neighbour_weight": 0.0}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made dense (dense_rows)
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, callbacks=None):
        """Fit the members to X and set the threshold from their scores on X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, mostly normal rows.
        y : None
            Ignored.
        callbacks : list of aereduce._training.Callback, default=None
            Hooks on each member's training loop (e.g. ``Progress``).

        Returns
        -------
        self : AutoencoderOutlierDetector
            The fitted detector.
        """
        tic = time.perf_counter()
        forget_command_line_fields(self)
        X = dense_rows(self, X)
        params = self._member_params(X.shape[1])
        self.n_components_ = params["n_components"]
        if self.n_components_ >= X.shape[1] and not regularises_the_code(params):
            # penguins' 4 columns under the default 16: every member copied its rows exactly and the
            # errors were all zero (trial 9: AUROC 0.965, against 0.995 with n_components=2)
            fix = "give more features" if X.shape[1] == 1 else \
                f"set n_components below {X.shape[1]} (e.g. {max(1, X.shape[1] // 2)})"
            warn_user(f"{WIDE_CODE_WARNING} n_components={self.n_components_} is not below the {X.shape[1]} "
                      f"{'feature' if X.shape[1] == 1 else 'features'}: each member can copy its rows exactly, so "
                      f"reconstruction error cannot set outliers apart; {fix}")
        elif (FEW_THRESHOLD_ROWS <= X.shape[0] and self.n_components_ >= spanned_dimensions(X.shape[0])
              and not regularises_the_code(params)):  # under FEW_THRESHOLD_ROWS the fit's own warning says more
            warn_user(f"{WIDE_CODE_WARNING} {rows_spanned(self.n_components_, X.shape[0], 'n_components=')}")
        random_state = check_random_state(self.random_state)
        seeds = random_state.randint(np.iinfo(np.int32).max, size=self.n_estimators)
        # Every member holds out the same validation rows, so that no member trains on them and
        # the threshold can be set where new rows will be scored: on the members' own training
        # rows it flagged 2% of them but 26% of unseen ones (one-class MNIST, 592 zeros; trial 28).
        validation_seed = int(random_state.randint(np.iinfo(np.int32).max))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.estimators_ = [self._fitted_member(params, int(seed), validation_seed, X, callbacks) for seed in seeds]
        self._pass_on_member_warnings(caught, params, X.shape[0])
        self.n_iter_ = np.array([member.n_iter_ for member in self.estimators_])
        calibration = self._unseen_rows(X.shape[0], validation_seed)
        self.n_calibration_ = len(calibration)
        if not len(calibration):
            calibration = np.arange(X.shape[0])  # no early stopping: every row was trained on
        errors = self._member_errors(X)
        self.error_centers_, self.error_scales_ = robust_location_scale(errors)
        if self.density_weight > 0:
            if X.shape[0] < 2:
                raise OptionError(f"density_weight={self.density_weight:g} needs at least 2 training rows "
                                  f"(n_samples={X.shape[0]}) for the density of their codes; use density_weight=0")
            chosen = np.arange(X.shape[0]) if X.shape[0] <= DENSITY_REFERENCE_ROWS else \
                np.sort(random_state.choice(X.shape[0], DENSITY_REFERENCE_ROWS, replace=False))
            codes = self._member_codes(X)  # once: the reference is a subset of the training rows
            self._set_densities([member_codes[chosen] for member_codes in codes])
            factors = self._member_factors(codes)
        else:
            self.reference_codes_ = self.density_centers_ = self.density_scales_ = None
            factors = None
        scores = self._combined_scores(errors, factors)
        if self.contamination == "auto":
            # The lower of the two fences (in score_samples' units; the higher anomaly score): new
            # rows reconstruct no better than training rows, and the quartiles of a few dozen
            # held-out rows are noisy (penguins' 31 flagged 2.3-5.2% of the training rows by seed,
            # against 3.3-3.9% for the training rows' own fence).
            self.offset_ = min(tukey_offset(scores[calibration]), tukey_offset(scores))
        else:  # scikit-learn's meaning: the share of the training rows, all of X, that is flagged
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        if X.shape[0] < FEW_THRESHOLD_ROWS:
            warn_user(f"fitted on {X.shape[0]} {'row' if X.shape[0] == 1 else 'rows'}, too few to set a threshold "
                      "for new rows: the members rebuild their own rows far better than new ones, so most new rows "
                      f"would be flagged; fit on {FEW_THRESHOLD_ROWS} or more")
        self.fit_time_ = time.perf_counter() - tic
        return self

    @staticmethod
    def _fitted_member(params: dict[str, Any], seed: int, validation_seed: int, X: np.ndarray,
                       callbacks: list | None) -> Any:
        """One member fitted to X, holding out the validation rows of ``validation_seed``, as every member does."""
        from .estimator import AutoencoderTransformer

        member = AutoencoderTransformer(**params, random_state=seed)
        member._shared_validation_seed = validation_seed
        return member.fit(X, callbacks=callbacks)

    def _unseen_rows(self, n_rows: int, validation_seed: int) -> np.ndarray:
        """Indices of the rows that no member trained on: their shared validation rows, or none
        where they did not stop early (fewer than 50 or more than 20,000 rows, early_stopping=False)."""
        from ._split import split_rows

        members = self.estimators_
        if not all(m.early_stopping_ for m in members):
            return np.arange(0)
        return np.sort(split_rows(n_rows, members[0].validation_fraction, validation_seed)[1])

    def _pass_on_member_warnings(self, caught: list[warnings.WarningMessage], params: dict[str, Any],
                                 n_rows: int) -> None:
        """Pass on the members' warnings, but their warnings of a fit far worse than PCA's as one,
        in the detector's words: five alike, each naming the single autoencoder's default epochs
        (455 on penguins) where the detector's is 20, confused trial 10."""
        from sklearn.exceptions import ConvergenceWarning

        poor = [w for w in caught
                if issubclass(w.category, ConvergenceWarning) and str(w.message).startswith(POOR_FIT_WARNING)]
        for w in caught:  # a member's code as wide as the data: fit has said so for the detector
            if w not in poor and not str(w.message).startswith(WIDE_CODE_WARNING):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        # Under FEW_THRESHOLD_ROWS the detector's own warning says what is wrong: on 3 rows, PCA's exact
        # solution made every member "far worse", and the fix named was to lower the learning rate.
        self._n_poor_members = len(poor) if n_rows >= FEW_THRESHOLD_ROWS else 0
        failure = self.poor_members_failure(n_rows, params)
        if failure is not None:
            warn_user(": ".join(failure), ConvergenceWarning)

    def poor_members_failure(self, n_rows: int, params: dict[str, Any] | None = None, *,
                             shown: Callable[..., str] = python_option) -> tuple[str, str] | None:
        """What failed and the likeliest fix, when the last fit's members failed on their ``n_rows``
        training rows (:func:`~aereduce._resolve.failure_bar`: over FAILED_FIT_RATIO times worse than
        PCA, or about as bad as rebuilding every row as the mean); None otherwise. The
        fix names options as ``shown`` writes them (the command line refuses such a detector)."""
        n_poor = getattr(self, "_n_poor_members", 0)
        if not n_poor:
            return None
        params = self._member_params(self.n_features_in_) if params is None else params
        # a review: members that learned nothing (a collapsed variational model) were said to be over 3x PCA's
        what = (f"{n_poor} of {self.n_estimators} {POOR_MEMBERS_WARNING} over {FAILED_FIT_RATIO:g}x "
                f"PCA-{self.n_components_}'s on their training rows, or about that of rebuilding every row as the mean")
        fix = failed_fit_fix(params, n_rows, self.estimators_[0].batch_size_, shown=shown,
                             default_epochs=None if self.max_iter == "auto" else DEFAULT_MAX_ITER)
        return what, fix

    def _member_errors(self, X: np.ndarray) -> np.ndarray:
        """Each member's reconstruction error of each row: shape (n_estimators, n_samples)."""
        return np.stack([member.reconstruction_error(X) for member in self.estimators_])

    def _set_densities(self, reference_codes: list[np.ndarray]) -> None:
        """Each member's local density of codes from its reference codes, and the location and
        scale of the reference rows' own (leave-one-out) factors."""
        self.reference_codes_ = [np.asarray(codes, dtype=np.float32) for codes in reference_codes]
        self._densities = [LocalDensity(codes, self.n_neighbors) for codes in self.reference_codes_]
        self.density_centers_, self.density_scales_ = robust_location_scale(
            np.stack([density.reference_factors for density in self._densities]))

    def _member_codes(self, X: np.ndarray) -> list[np.ndarray]:
        """Each member's codes of X: n_estimators arrays of shape (n_samples, n_components)."""
        # arrays whatever scikit-learn's output setting: set_config(transform_output="pandas") made them
        # DataFrames, which fit indexed by row positions (trial 40: a KeyError)
        return [np.asarray(member.transform(X)) for member in self.estimators_]

    def _member_factors(self, codes: list[np.ndarray]) -> np.ndarray:
        """Each member's local outlier factor of its codes of each row: (n_estimators, n_samples)."""
        return np.stack([density.factors(member_codes) for density, member_codes in zip(self._densities, codes)])

    def _new_rows_parts(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Each member's reconstruction errors and code factors (None without the density term) of
        rows given after fit, checked like fit's."""
        check_is_fitted(self, "estimators_")
        X = new_rows(self, X)
        factors = None if self.density_centers_ is None else self._member_factors(self._member_codes(X))
        return self._member_errors(X), factors

    def _standardised(self, errors: np.ndarray) -> np.ndarray:
        """Member errors (n_estimators, n_samples) in units of each member's training errors."""
        return (errors - self.error_centers_[:, None]) / self.error_scales_[:, None]

    def _combined_scores(self, errors: np.ndarray, factors: np.ndarray | None) -> np.ndarray:
        # A row that overflows the model (an error of NaN or inf) is as anomalous as a row can be: it
        # had scored NaN and been predicted an inlier (trial 28).
        member_scores = self._standardised(np.where(np.isnan(errors), np.inf, errors))
        if factors is not None:
            member_scores = member_scores + self.density_weight * (
                (factors - self.density_centers_[:, None]) / self.density_scales_[:, None])
        combined = member_scores.max(axis=0) if self.combine == "max" else member_scores.mean(axis=0)
        return -combined

    def standardised_errors(self, X):
        """Each member's reconstruction error of each row, standardised by its training errors.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_estimators)
            ``(error - error_centers_) / error_scales_``; larger is more anomalous.
        """
        return self._standardised(self._new_rows_parts(X)[0]).T

    def score_samples(self, X):
        """Minus the anomaly score: higher is more normal.

        The anomaly score is the mean (or maximum) over members of the standardised
        reconstruction error plus ``density_weight`` times the standardised local outlier
        factor of the row's code.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The opposite of the anomaly score.
        """
        return self._combined_scores(*self._new_rows_parts(X))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The shifted scores.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """1 for an inlier, -1 for an outlier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units seen in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where ``decision_function`` is negative, else 1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    # -- saving --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted detector to one safe ``.aer`` file (safetensors plus JSON metadata).

        Parameters
        ----------
        path : str or path-like
            Destination; written atomically.
        """
        check_is_fitted(self, "estimators_")
        tensors: dict[str, np.ndarray] = {}
        members = []
        for i, member in enumerate(self.estimators_):
            member_tensors, params, fitted = member._saved_parts()
            tensors.update({_member_prefix(i) + name: array for name, array in member_tensors.items()})
            members.append({"params": _persistence.params_to_json(params), "fitted": fitted})
        fitted = {"n_features_in_": self.n_features_in_, "offset_": self.offset_, "fit_time_": self.fit_time_,
                  "n_calibration_": self.n_calibration_,
                  "error_centers_": self.error_centers_.tolist(), "error_scales_": self.error_scales_.tolist(),
                  "n_iter_": self.n_iter_.tolist(), "members": members, **_persistence.input_to_json(self)}
        if self.density_centers_ is not None:
            fitted |= {"density_centers_": self.density_centers_.tolist(), "density_scales_": self.density_scales_.tolist()}
            tensors.update({_reference_name(i): codes for i, codes in enumerate(self.reference_codes_)})
        _persistence.save(path, MODEL_KIND, tensors, self.get_params(), fitted)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str = "auto") -> "AutoencoderOutlierDetector":
        """Load a detector saved by :meth:`save`; never unpickles, never runs code.

        Parameters
        ----------
        path : str or path-like
            A ``.aer`` file.
        device : str, default="auto"
            Where to put the members.

        Returns
        -------
        detector : AutoencoderOutlierDetector
            The fitted detector.
        """
        _, tensors, meta = _persistence.read_model_file(path, kinds=(MODEL_KIND,))
        return cls.from_saved(os.fspath(path), tensors, meta, device=device)

    @classmethod
    def from_saved(cls, path: str, tensors: dict[str, np.ndarray], meta: dict[str, Any], *,
                   device: str = "auto") -> "AutoencoderOutlierDetector":
        """Rebuild the detector and its members from a model file, checking every part."""
        from .estimator import _TUPLE_PARAMS, AutoencoderTransformer

        try:
            params = _persistence.params_from_json(meta["params"], ("hidden_layer_sizes",), meta.get("list_params", ()))
            if params.get("autoencoder_params"):
                params["autoencoder_params"] = _persistence.params_from_json(params["autoencoder_params"],
                                                                            _TUPLE_PARAMS)
            if "density_weight" not in params:
                params["density_weight"] = 0.0  # a file from before the density term scored by errors alone
            est = cls(**params)
            fitted = meta["fitted"]
            est.n_features_in_ = int(fitted["n_features_in_"])
            _persistence.set_input(est, fitted)
            members = fitted["members"]
            est.offset_ = float(fitted["offset_"])
            est.fit_time_ = float(fitted.get("fit_time_", 0.0))
            est.n_calibration_ = int(fitted.get("n_calibration_", 0))  # files from before it: the training rows
            est.error_centers_ = np.asarray(fitted["error_centers_"], dtype=np.float64)
            est.error_scales_ = np.asarray(fitted["error_scales_"], dtype=np.float64)
            n = len(members)
            if n < 1 or est.error_centers_.shape != (n,) or est.error_scales_.shape != (n,):
                raise ModelFileError(f"{path}: corrupt model: {n} members but {est.error_centers_.size} error "
                                     f"centres and {est.error_scales_.size} scales")
            if not (np.isfinite(est.offset_) and np.all(np.isfinite(est.error_centers_))
                    and np.all(est.error_scales_ > 0)):
                raise ModelFileError(f"{path}: corrupt model: offset_ or the error scales are not finite and positive")
            references = [_reference_name(i) for i in range(n)] if est.density_weight > 0 else []
            stray = [k for k in tensors if k not in references and not any(k.startswith(_member_prefix(i)) for i in range(n))]
            if stray:
                raise ModelFileError(f"{path}: corrupt model: unexpected tensor {stray[0]}")
            est.n_components_ = detector_components(est.n_components, est.n_features_in_)
            est.estimators_ = []
            for i, member in enumerate(members):
                prefix = _member_prefix(i)
                own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
                est.estimators_.append(AutoencoderTransformer.from_saved(path, own, member, device=device))
                if est.estimators_[-1].n_features_in_ != est.n_features_in_:
                    raise ModelFileError(f"{path}: corrupt model: member {i} reads "
                                         f"{est.estimators_[-1].n_features_in_} columns, the detector "
                                         f"{est.n_features_in_}")
                if est.estimators_[-1].n_components != est.n_components_:
                    raise ModelFileError(f"{path}: corrupt model: member {i} codes "
                                         f"{est.estimators_[-1].n_components} dimensions, the detector "
                                         f"{est.n_components_}")
            est.n_iter_ = np.array([member.n_iter_ for member in est.estimators_])  # as fit sets it
            est._load_densities(path, tensors, fitted, references)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise _persistence.corrupt(path, exc) from None
        return est

    def _load_densities(self, path: str, tensors: dict[str, np.ndarray], fitted: dict[str, Any],
                        references: list[str]) -> None:
        """Rebuild each member's local density of codes from its saved reference codes."""
        if not references:
            self.reference_codes_ = self.density_centers_ = self.density_scales_ = None
            return
        codes = [tensors[name] for name in references]
        if any(c.ndim != 2 or c.shape[0] < 2 or c.shape[1] != self.n_components_ or not np.isfinite(c).all()
               for c in codes):
            raise ModelFileError(f"{path}: corrupt model: the reference codes are not finite rows of "
                                 f"{self.n_components_} values")
        self._set_densities(codes)
        # The saved centre and scale are the ones the threshold was set with; they must agree.
        for name in ("density_centers_", "density_scales_"):
            saved = np.asarray(fitted[name], dtype=np.float64)
            if saved.shape != getattr(self, name).shape or not np.allclose(saved, getattr(self, name), rtol=1e-4):
                raise ModelFileError(f"{path}: corrupt model: {name} does not match the reference codes")


def anomaly_columns(detector: AutoencoderOutlierDetector, X: Any) -> tuple[Any, list[str]]:
    """What ``aereduce score`` writes for a detector, as a DataFrame: the anomaly score (minus
    ``score_samples``: larger is more anomalous) and the outlier flag, an integer column (1 where
    ``predict`` gives -1, else 0), so that a CSV reads ``1`` and ``0``."""
    import pandas as pd

    anomaly = -detector.score_samples(X)
    names = ["anomaly_score", "outlier"]
    # The score in float32, the precision of the members' errors and codes it comes from (float64
    # wrote 17 digits); the flag from the float64 score, so that it agrees with predict to the last row.
    return pd.DataFrame({names[0]: anomaly.astype(np.float32),
                         names[1]: (anomaly > -detector.offset_).astype(np.int8)}), names
