"""The one way rows are split into training and held-out rows (early stopping, ``fit``'s report, ``compare``)."""

from __future__ import annotations

import numpy as np


# The fewest units (validation units, or held-out units for fit's report) a gain over PCA is judged on:
# two firms' like gains passed, and the model was 1.7x worse than PCA on three other firms (trial 43).
MIN_UNITS_FOR_A_GAIN = 3
# The units a fit needs for that many to validate on (the rest fitted on): below it, PCA's start is kept.
MIN_UNITS_TO_JUDGE_A_GAIN = 2 * MIN_UNITS_FOR_A_GAIN


def validation_units(n_units: int) -> int:
    """The fewest units early stopping validates on, of ``n_units``: 6 from 24 units, 3 from 6, else 1
    (a gain over PCA's start is then never confirmed, and PCA's solution is kept)."""
    if n_units >= 4 * MIN_UNITS_TO_JUDGE_A_GAIN:
        return MIN_UNITS_TO_JUDGE_A_GAIN
    return MIN_UNITS_FOR_A_GAIN if n_units >= MIN_UNITS_TO_JUDGE_A_GAIN else 1


def least(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest ``keys`` (all of them when there are no more), in no order: a
    sample of ``k`` rows by random keys, the same whichever chunks the keys came in."""
    if len(keys) <= k:
        return np.arange(len(keys))
    return np.argpartition(keys, k - 1)[:k]


def split_rows(n_rows: int, held_fraction: float, seed: int, labels: np.ndarray | None = None,
               groups: np.ndarray | None = None, least_groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``: ``round(held_fraction * n_rows)`` rows held out, chosen by ``seed``.

    With ``labels``, the split is stratified when every class has at least two rows and there are
    no more classes than held-out rows; otherwise it is a plain permutation. With ``groups`` (one
    value per row: the state, firm or person a row measures), whole groups are held out, as
    scikit-learn's ``GroupShuffleSplit`` does: as near ``held_fraction`` of the rows as whole groups
    come, at least ``least_groups`` held out and one group left.
    """
    n_held = int(round(held_fraction * n_rows))
    if n_held == 0:
        # The rows in their order: `fit --holdout 0` then `transform` had given other codes than
        # `fit-transform`, as the shuffle changed the estimator's own validation rows (trial 25).
        return np.arange(n_rows), np.arange(0)
    if groups is not None:
        return _split_groups(np.asarray(groups, dtype=object), n_held, seed, least_groups)
    if labels is not None:
        classes, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
        if counts.min() >= 2 and len(classes) <= n_held and n_rows - n_held >= len(classes):
            from sklearn.model_selection import train_test_split

            train, held = train_test_split(np.arange(n_rows), test_size=n_held, random_state=seed,
                                           stratify=np.asarray(labels).astype(str))
            return np.asarray(train), np.asarray(held)
    from sklearn.utils import check_random_state  # here: _split.least serves modules that load no sklearn

    order = check_random_state(seed).permutation(n_rows)
    return order[n_held:], order[:n_held]


def group_keys(groups: np.ndarray) -> np.ndarray:
    """Each row's group as text; the rows with none (None, NaN, pd.NA, an empty cell) one group."""
    def key(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value) or str(value) in ("<NA>", "nan", ""):
            return ""
        return str(value)

    return np.asarray([key(g) for g in groups])


def _split_groups(groups: np.ndarray, n_held: int, seed: int, least_groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """:func:`split_rows` by whole groups: groups in an order drawn from ``seed``, held out until their
    rows come nearest ``n_held`` (``least_groups`` at least, one group left to train on)."""
    from sklearn.utils import check_random_state

    unique, which = np.unique(group_keys(groups), return_inverse=True)
    if len(unique) < 2:
        raise ValueError(f"holding out whole groups needs at least 2 groups; the rows hold {len(unique)}")
    order = check_random_state(seed).permutation(len(unique))
    rows_so_far = np.cumsum(np.bincount(which, minlength=len(unique))[order])
    # the number of groups whose rows come nearest n_held, within least_groups and all but one
    n_groups = int(np.argmin(np.abs(rows_so_far - n_held))) + 1
    held = np.isin(which, order[:min(max(n_groups, least_groups), len(unique) - 1)])
    return np.flatnonzero(~held), np.flatnonzero(held)
