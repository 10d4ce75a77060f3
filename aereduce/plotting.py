"""Pictures: 2-D maps of codes, loss curves, and originals against reconstructions.

matplotlib is imported lazily, with the Agg backend, so importing aereduce never needs it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._files import atomic_output
from .errors import plural
from .errors import MissingDependencyError


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("plotting needs matplotlib: pip install 'aereduce[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def map_2d(Z: np.ndarray) -> np.ndarray:
    """The first two code dimensions, or a PCA projection of a wider code to 2-D. A 1-D code is
    drawn as a strip: each row at its code across, spread up and down at random (seeded), so rows
    of nearly equal codes do not hide each other and names written beside them have room (on one
    line, trial 8's names ran into each other and the axis label)."""
    if Z.shape[1] <= 2:
        if Z.shape[1] == 2:
            return Z
        return np.column_stack([Z[:, 0], np.random.default_rng(0).uniform(-1.0, 1.0, len(Z))])
    from sklearn.decomposition import PCA

    return PCA(n_components=2).fit_transform(Z)


def map_title(n_dims: int) -> str:
    """What :func:`map_2d` draws for a code of ``n_dims`` dimensions, as a title."""
    if n_dims == 2:
        return "2-D map of the code"
    if n_dims == 1:
        return "1-D code (across; spread up and down at random)"
    return f"{n_dims}-D code, projected on its first 2 principal axes"


CLASS_LIMIT = 20  # numeric labels with more distinct values than this are drawn on a colour scale
# Classes given a colour and a legend entry of their own; the rest share one grey, so that no two
# classes share a colour and the legend stays readable (R's Aids2 has 45 states of origin).
NAMED_CLASSES = 12


def is_missing_label(value: Any) -> bool:
    """Whether a label (or id) cell read from a file is missing: None, or NaN for an empty cell."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _continuous(labels: np.ndarray | None) -> np.ndarray | None:
    """``labels`` as floats when they are numbers with more than CLASS_LIMIT distinct values, else None."""
    if labels is None:
        return None
    try:
        values = np.asarray(labels, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if len(np.unique(values[np.isfinite(values)])) > CLASS_LIMIT else None


def map_axis_names(n_dims: int, code_names: Sequence[str] | None = None) -> tuple[str, str]:
    """The axes of :func:`map_2d`'s picture of a code of ``n_dims`` dimensions, a 2-D code's by its
    columns' names (``ae0``, ``ae1``) when given, as the codes' files name them."""
    if n_dims == 2:
        return (code_names[0], code_names[1]) if code_names is not None else ("code 1", "code 2")
    if n_dims == 1:
        return "code", ""
    return "principal axis 1 of the code", "principal axis 2 of the code"


def natural_order(name: str) -> tuple:
    """A sort key that orders the numbers inside names by value: 2 before 10, and esoph's
    0-39g/day, 40-79, 80-119, 120+ in that order (as text, 120+ came second)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part)


NO_LABEL = "(no label)"  # how a row with no value in the label column is named in the legend


def _class_colours(ax, xy: np.ndarray, labels: np.ndarray, size: float, label_name: str | None = None) -> str | None:
    """One colour per class for up to NAMED_CLASSES classes; beyond that the largest
    NAMED_CLASSES - 1 are named and the rest drawn in grey as one entry. Rows with no label are
    drawn as hollow grey circles, listed last as "(no label)" (trial 30: Prestige's 4 rows with no type
    were the legend's first class, in blue). The legend is titled ``label_name`` (the label column)
    when given. Labels that are mostly one row each name rows rather than group them: they are not
    coloured, and the note for the map says so (returned)."""
    names = np.asarray([NO_LABEL if is_missing_label(v) else str(v) for v in labels])  # not "nan" or "None"
    classes, codes, counts = np.unique(names, return_inverse=True, return_counts=True)
    unlabelled = names == NO_LABEL
    labelled = [k for k in range(len(classes)) if classes[k] != NO_LABEL]
    if len(labelled) > NAMED_CLASSES and len(labelled) > len(names) / 2:
        # Cars93's Model: 11 arbitrary models coloured and 82 grey, a legend that meant nothing (trial 29)
        ax.scatter(xy[:, 0], xy[:, 1], s=size, alpha=0.6)
        return (f"not coloured: {label_name or 'the label'} has {len(labelled)} different values in "
                f"{plural(len(names), 'row')}, names rather than classes")
    if len(labelled) <= NAMED_CLASSES:
        shown = labelled
    else:  # the largest classes, listed in the legend in name order
        shown = [k for k in np.argsort(-counts, kind="stable") if classes[k] != NO_LABEL][: NAMED_CLASSES - 1]
    shown = sorted(shown, key=lambda k: natural_order(classes[k]))
    palette = (_pyplot().get_cmap("tab10" if len(shown) <= 10 else "tab20")).colors
    rest = np.isin(codes, shown, invert=True) & ~unlabelled
    greys = []  # legend entries after the classes: the other classes, then the rows with no label
    if rest.any():
        n_rest = len(labelled) - len(shown)
        greys.append(ax.scatter(xy[rest, 0], xy[rest, 1], s=size, alpha=0.5, color="0.7",
                                label=f"{n_rest} other classes ({plural(int(rest.sum()), 'row')})"))
    if unlabelled.any():
        greys.append(ax.scatter(xy[unlabelled, 0], xy[unlabelled, 1], s=size, facecolors="none", edgecolors="0.45",
                                linewidths=0.8, label=NO_LABEL))  # hollow: a pale dot vanished on white
    # The classes' points in one random order (always the same), not class after class: the last class
    # drawn covered the others where they overlap (trial 35: diamonds' "Very Good" hid Ideal and Premium).
    colour_of = {k: colour for colour, k in zip(palette, shown)}
    drawn = np.random.default_rng(0).permutation(np.flatnonzero(np.isin(codes, shown)))
    ax.scatter(xy[drawn, 0], xy[drawn, 1], s=size, alpha=0.7, color=[colour_of[k] for k in codes[drawn]])
    coloured = [ax.scatter([], [], s=size, alpha=0.7, color=colour_of[k], label=classes[k]) for k in shown]
    handles = coloured + greys
    # beside the map, not on it: "best" still covered penguins' points, having no free corner
    ax.legend(handles, [h.get_label() for h in handles], fontsize=7, markerscale=5 / size ** 0.5,
              loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, frameon=False, title=label_name,
              title_fontsize=7)
    return None


# A ring name's line height and character width, as shares of the view's span (6-point text on a map
# about 500 points wide).
NAME_LINE, NAME_CHAR = 0.035, 0.011


# Points from the map's lower edge to its first note: under the axis name (8-point, 7 points below).
NOTES_BELOW = 20


def _label_positions(points: np.ndarray, names: Sequence[str], span: np.ndarray, floor: float = -math.inf,
                     ceiling: float = math.inf) -> list[tuple[float, float]]:
    """Where to write each name beside its point (data units): up and right of it, moved down a
    line at a time while its box would cover a name already placed, never below ``floor`` nor above
    ``ceiling`` (the view's bottom, and a line under its top), and up instead where the dozen lines
    down are covered, so close rows stay legible. A name's box is estimated from its length
    (:data:`NAME_CHAR`)."""
    line, char = NAME_LINE * span[1], NAME_CHAR * span[0]
    placed: list[tuple[float, float, float]] = []  # (x, y, width) of what is written so far
    positions = []
    for (x, y), name in zip(points, names):
        px, start, width = x + 0.008 * span[0], y + 0.008 * span[1], char * len(name)
        py = min(max(start - 11 * line, floor), ceiling)  # every line covered: as far down as the view allows
        for step in (*range(0, -12, -1), *range(1, 12)):
            if floor <= start + step * line <= ceiling and not any(
                    px < qx + w and qx < px + width and abs(start + step * line - qy) < line for qx, qy, w in placed):
                py = start + step * line
                break
        placed.append((px, py, width))
        positions.append((px, py))
    return positions


# The map's view (trial 29): the 0.5-99.5 percentile range clamped two of iris's rows lying 0.01
# outside it, and still let msleep's two elephants squeeze the other 81 rows into a third of the
# picture. Rows are clamped only when far from the rest: beyond the 2.5-97.5 percentile range widened
# by half its span, few on that side (more are a group, drawn in place), and only where clamping
# them gains a fifth of the picture or more (quakes' two farthest rows, 0.55 of that span out, gained 3%).
VIEW_PERCENTILE = 2.5
VIEW_MARGIN = 0.5  # of the span between the percentiles, on each side
VIEW_GAIN = 0.8  # a view keeping more of the rows' extent than this shows all of it
NAMED_EDGE_ROWS = 3  # rows drawn on the edge that the note names


def map_view(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of the map drawn in place, per axis (low, high): the rows' whole extent, but for
    rows far from the rest (see VIEW_MARGIN), which :func:`plot_map` draws on the view's edge; the
    view is then the extent of the other rows.

    Parameters
    ----------
    xy : ndarray of shape (n_rows, 2)
        The map's points, :func:`map_2d`.

    Returns
    -------
    low, high : ndarray of shape (2,)
        The view's bounds; a row beyond them on an axis is far.
    """
    if not len(xy):  # an empty map: any view
        return np.zeros(2), np.ones(2)
    first, last = xy.min(axis=0), xy.max(axis=0)
    low, high = np.percentile(xy, [VIEW_PERCENTILE, 100 - VIEW_PERCENTILE], axis=0)
    margin = VIEW_MARGIN * (high - low)
    view_low, view_high = np.maximum(low - margin, first), np.minimum(high + margin, last)
    # A well-separated cluster at the edge (a digit's, on MNIST's map) is no outlier, however far: more
    # rows than a few beyond a side (1 in 400: 50 of a 20,000-row sample) are drawn in place.
    few = max(NAMED_EDGE_ROWS, len(xy) // 400)
    for axis in range(2):
        if np.sum(xy[:, axis] < view_low[axis]) > few:
            view_low[axis] = first[axis]
        if np.sum(xy[:, axis] > view_high[axis]) > few:
            view_high[axis] = last[axis]
        if high[axis] <= low[axis] or view_high[axis] - view_low[axis] >= VIEW_GAIN * (last[axis] - first[axis]):
            view_low[axis], view_high[axis] = first[axis], last[axis]
        else:  # no wider than the rows drawn in place: the far ones' triangles stand beside them
            inside = xy[(xy[:, axis] >= view_low[axis]) & (xy[:, axis] <= view_high[axis]), axis]
            view_low[axis], view_high[axis] = inside.min(), inside.max()
    return view_low, view_high


def plot_map(ax, Z: np.ndarray, labels: np.ndarray | None = None, title: str = "",
             worst: np.ndarray | None = None, worst_names: Sequence[str] | None = None,
             label_name: str | None = None, code_names: Sequence[str] | None = None,
             row_names: Sequence[str] | None = None, sampled: tuple[int, int] | None = None,
             held_out: np.ndarray | None = None) -> None:
    """Scatter the 2-D map of ``Z``, coloured by ``labels`` when given; ``label_name`` (the label
    column's name) titles the legend or the colour bar, so the picture says what the colours are;
    ``code_names`` name the axes of a 2-D code (:func:`map_axis_names`).

    ``worst`` indexes rows to ring in red and name (the worst reconstructed: the anomalies
    ``score`` finds); rows far from the rest (:func:`map_view`) are drawn on its edge as triangles,
    never hidden, and named by ``row_names`` (one per row of ``Z``) when they are few.
    ``sampled``: (rows drawn, rows in the data) when the map draws a random sample, said on the map.
    ``held_out``: a mask of the rows the map was not fitted on (transformed only), ringed in black.
    """
    from matplotlib.patheffects import withStroke

    xy = map_2d(Z)
    size = float(np.clip(4000 / max(len(xy), 1), 2, 20))  # dots a few hundred rows can be seen by, specks for 10,000s
    notes: list[tuple[str, str]] = []  # (text, colour) written under the map
    low, high = map_view(xy)
    span = np.where(high > low, high - low, 1.0)
    lo, hi = low - 0.05 * span, high + 0.05 * span
    outside = np.any((xy < low) | (xy > high), axis=1)
    drawn = np.clip(xy, lo, hi)  # far rows on the edge, so that they stay visible, whole (not clipped)
    values = _continuous(labels)
    if labels is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=size, alpha=0.6)
    elif values is not None:  # a measurement (a price, a mass): a colour scale, not 200 "classes"
        # A NaN colour is not drawn: airquality's 37 rows with no Ozone vanished, leaving empty rings
        # (trial 29). They are drawn in grey, beneath the coloured points, as text labels' "(no label)".
        known = np.isfinite(values)
        if not known.all():
            ax.scatter(xy[~known, 0], xy[~known, 1], s=size, alpha=0.5, color="0.7")
            notes.append((f"\u25cf grey: {plural(int((~known).sum()), 'row')} with no {label_name or 'label'}", "0.45"))
        points = ax.scatter(xy[known, 0], xy[known, 1], c=values[known], cmap="viridis", s=size, alpha=0.7)
        bar = ax.figure.colorbar(points, ax=ax, fraction=0.046, pad=0.02)
        if label_name:
            bar.set_label(label_name, fontsize=8)
    else:
        names_note = _class_colours(ax, xy, labels, size, label_name)
        if names_note:
            notes.append((names_note, "0.3"))
    if sampled is not None and sampled[0] < sampled[1]:  # stderr said so, the picture did not (trial 29)
        notes.append((f"a random {sampled[0]:,} of the {sampled[1]:,} rows drawn, and the ringed rows", "0.3"))
    if outside.any():
        ax.scatter(drawn[outside, 0], drawn[outside, 1], marker="^", s=14, c="black", alpha=0.8, clip_on=False,
                   zorder=3)
        note = f"\u25b2 {plural(int(outside.sum()), 'row')} beyond the view, drawn on its edge"
        if row_names is not None and outside.sum() <= NAMED_EDGE_ROWS:  # as the rings' names are given
            note += ": " + ", ".join(str(row_names[i]) for i in np.flatnonzero(outside))
        if worst is not None and len(worst) and not np.isin(np.flatnonzero(outside), worst).all():
            # trial 32 read far rows left unringed as a contradiction: far in the code is not badly rebuilt
            note += f" (far in the code, not among the {len(worst)} reconstructed worst)"
        notes.append((note, "0.3"))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if held_out is not None and held_out.any():  # trial 47: compare's maps did not tell fitted rows from new ones
        ax.scatter(drawn[held_out, 0], drawn[held_out, 1], s=size * 2.5, facecolors="none", edgecolors="black",
                   linewidths=0.5, alpha=0.7, clip_on=False)
        notes.append((f"\u25cb black: the {plural(int(held_out.sum()), 'row')} held out (not fitted on, transformed)",
                      "0.2"))
    if worst is not None and len(worst):
        ax.scatter(drawn[worst, 0], drawn[worst, 1], s=60, facecolors="none", edgecolors="red", linewidths=1.2,
                   clip_on=False)
        # say what the rings are, on the picture itself (trial 10 asked)
        notes.append((f"\u25cb the {plural(len(worst), 'row')} reconstructed worst (the most anomalous)", "red"))
        names = list(worst_names or [str(i) for i in worst])
        for i, name, place in zip(worst, names, _label_positions(drawn[worst], names, span, lo[1],
                                                                  hi[1] - NAME_LINE * span[1])):
            moved = place[1] < drawn[i, 1]  # a name moved down from its point gets a line back to it
            # a white halo: red names on red or orange classes could not be read (trial 29)
            ax.annotate(name, drawn[i], fontsize=6, color="red", xytext=place, textcoords="data", va="bottom",
                        arrowprops={"arrowstyle": "-", "color": "red", "lw": 0.5, "alpha": 0.6} if moved else None,
                        path_effects=[withStroke(linewidth=2, foreground="white")])
    # One under the other (side by side, the ring's note ran into the edge note on a narrow map, trial 12),
    # under the axis name: in the map's corner they could cover a ringed row, and names were written over
    # them (trial 32).
    for line, (text, colour) in enumerate(notes):
        ax.annotate(text, (0, 0), xycoords="axes fraction", xytext=(0, -NOTES_BELOW - 8 * line),
                    textcoords="offset points", fontsize=6, color=colour, va="top")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    x_name, y_name = map_axis_names(Z.shape[1], code_names)
    # clear of the triangles on the edge, which ran into PCA's "pca0" (trial 29)
    ax.set_xlabel(x_name, fontsize=8, labelpad=7)
    ax.set_ylabel(y_name, fontsize=8, labelpad=7)


def plot_image_rows(axes_grid, rows: Sequence[tuple[str, np.ndarray]], image_shape: Sequence[int],
                    limits: tuple[float, float] | None = None) -> None:
    """One labelled row of images per ``(label, images)`` pair, e.g. originals then reconstructions.

    ``limits`` fixes the grey scale's (black, white) values for every image, so that a faint
    reconstruction looks faint; by default each image is stretched to its own range.
    """
    vmin, vmax = limits if limits is not None else (None, None)
    for r, (label, images) in enumerate(rows):
        for j in range(axes_grid.shape[1]):
            ax = axes_grid[r, j]
            ax.imshow(np.asarray(images[j]).reshape(image_shape), cmap="gray", vmin=vmin, vmax=vmax)
            ax.axis("off")
        axes_grid[r, 0].set_title(label, fontsize=8, loc="left")


def plot_reconstructions(axes_grid, X: np.ndarray, X_hat: np.ndarray, image_shape: Sequence[int],
                         limits: tuple[float, float] | None = None) -> None:
    """Originals on the top row, reconstructions below, like the design documents' figures."""
    plot_image_rows(axes_grid, [("original", X), ("reconstruction", X_hat)], image_shape, limits)


def caption_images(axes: Sequence[Any], names: Sequence[str]) -> None:
    """Name each image of a row of axes below it (its row, and its label where there is one)."""
    for ax, name in zip(axes, names):
        ax.set_xlabel(name)
        ax.axis("on")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.xaxis.label.set_fontsize(7)


def validation_losses(model: Any) -> list[float] | None:
    """The validation loss per epoch of a model fitted with early stopping (its scores are negative losses)."""
    scores = getattr(model, "validation_scores_", None)
    return [-s for s in scores] if scores else None


def kept_start_loss(model: Any) -> float | None:
    """The validation loss of the starting weights (PCA's solution) when the fit kept them, else None:
    the level that the epochs drawn beside it did not clearly beat."""
    best = getattr(model, "best_validation_score_", None)
    return -best if getattr(model, "kept_initial_weights_", None) and best is not None else None


@dataclass
class LossPanel:
    """One phase's curves, as :func:`plot_loss_curve` draws them."""

    losses: Sequence[float]
    validation: Sequence[float] | None = None
    title: str = "loss curve"
    kept: float | None = None  # :func:`kept_start_loss`


def loss_panels(model: Any) -> list[LossPanel]:
    """A fitted model's training curves, a panel per phase: a neighbour-term map's embedding
    phase, then its decoder's (whose the validation losses are); one panel otherwise; none
    for a model that trained no epoch."""
    losses = getattr(model, "loss_curve_", None) or []
    validation = validation_losses(model)
    decoder = getattr(model, "decoder_loss_curve_", None)
    if decoder:
        return [LossPanel(losses, title="embedding phase (with the neighbour term)"),
                LossPanel(decoder, validation, "decoder phase (codes frozen)")]
    return [LossPanel(losses, validation, kept=kept_start_loss(model))] if losses or validation else []


def plot_loss_curve(ax, losses: Sequence[float] | None, validation: Sequence[float] | None = None,
                    title: str = "loss curve", first_epoch: int = 1, kept: float | None = None) -> None:
    """Training loss per epoch and, when given, the validation loss beside it (log scale when positive).

    ``kept``: the validation loss of PCA's start when the fit kept it (:func:`kept_start_loss`),
    drawn as a level line, so that a falling curve is not read as the model that was kept."""
    level = kept if losses or validation else None  # a level needs epochs to stand beside
    # A line needs two points: a one-epoch fit (common for a streamed one) drew an empty box (trial 26).
    marker = "o" if max(len(losses or []), len(validation or [])) == 1 else None
    if losses:
        ax.plot(np.arange(first_epoch, first_epoch + len(losses)), losses, marker=marker, label="training loss")
    if validation:
        ax.plot(np.arange(first_epoch, first_epoch + len(validation)), validation, marker=marker,
                label="validation loss")
    if level is not None:
        # a curve below the line with PCA kept read as a contradiction, without "row by row" (trial 30)
        # and with it (trial 32: 15% below for 27 epochs): say what "clearly" is, as the report does
        ax.axhline(level, color="0.3", linestyle="--", linewidth=1,
                   label="PCA's start (validation loss), kept: no epoch's\n"
                         "gain on it, row by row, passed twice its standard error")
    if validation or level is not None:
        ax.legend(fontsize=8, frameon=False)
    values = [*(losses or []), *(validation or []), *([level] if level is not None else [])]
    if not values:  # a model that kept PCA's solution trained no epoch: say so rather than leave a blank box
        ax.text(0.5, 0.5, "no training epochs", ha="center", va="center", transform=ax.transAxes, color="0.4")
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(_integer_ticks())  # epochs are whole: no tick at 2.5
        ax.set_ylabel("loss" if validation else "training loss")
        if min(values) > 0:
            ax.set_yscale("log")
            readable_log_axes(ax)
    ax.set_title(title)


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


# Labelled ticks of a log axis, per decade, sparsest first (trial 29: matplotlib labelled every minor
# tick of an axis spanning about a decade, which ran "3×10⁻²4×10⁻²6×10⁻²" together on mtcars' error
# histogram, and wrote 3.95 as "3.95×10⁰").
LOG_TICK_STEPS = ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0))
MOST_LOG_TICKS = 7
END_GAP = 0.3  # of the axis, at most, between either end and the nearest labelled tick
TICK_GAP = 0.08  # of the axis, at least, between two labelled ticks, so that their labels stay apart


def log_ticks(low: float, high: float) -> list[float]:
    """The labelled ticks of a log axis from ``low`` to ``high`` (both positive): decades, or 1-3,
    1-2-5 or finer steps on a shorter axis, the sparsest with three ticks or more, none closer than
    TICK_GAP, and one near each end (trial 29: some loss curves had none near their final loss,
    which could not be read); an axis too short for those (a fraction of a decade) gets a few
    evenly spaced round values, as a linear one does.

    Parameters
    ----------
    low, high : float
        The axis's view limits, ``0 < low < high``.

    Returns
    -------
    list of float
        The ticks, ascending, all within ``[low, high]``, at most MOST_LOG_TICKS of them.
    """
    from matplotlib.ticker import MaxNLocator

    first, last = math.log10(low), math.log10(high)
    span = last - first
    decades = range(math.floor(first), math.ceil(last) + 1)
    candidates = []
    for steps in LOG_TICK_STEPS:
        ticks = [step * 10.0 ** e for e in decades for step in steps]
        if len(steps) == 1 and len(ticks) > MOST_LOG_TICKS:  # many decades: every second, third, ... one
            ticks = ticks[::math.ceil(len(ticks) / MOST_LOG_TICKS)]
        candidates.append(ticks)
    for bins in range(4, 9):  # 3.95 to 4.37 (a map's embedding phase) is too short for the steps above
        candidates.append(list(MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)))
    readable = []
    for ticks in candidates:
        ticks = [float(f"{t:.12g}") for t in ticks]  # 3 * 10**-2 is 0.030000000000000002
        ticks = [t for t in ticks if low <= t <= high]
        places = np.log10(ticks)
        if 3 <= len(ticks) <= MOST_LOG_TICKS and np.all(np.diff(places) >= TICK_GAP * span):
            end_gap = max(places[0] - first, last - places[-1])
            if end_gap <= END_GAP * span:
                return ticks
            readable.append((end_gap, ticks))
    return min(readable)[1] if readable else [low, high]


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """A log axis's ticks as plain decimals (0.03, 0.1, 0.3), or all as 1e-05 where one is below 1e-4
    or from 1e6 on; evenly spaced ones (:func:`log_ticks` on a short axis) with as many decimals
    each (4.0, 4.1, not 4, 4.1)."""
    if not all(1e-4 <= t < 1e6 for t in ticks):  # all in one notation: not 100000 beside 1e+06
        return [np.format_float_scientific(t, precision=6, trim="-", exp_digits=2) for t in ticks]
    labels = [f"{t:.12g}" for t in ticks]  # log_ticks rounded them to 12 digits
    if len(ticks) > 2 and np.allclose(np.diff(ticks), ticks[1] - ticks[0], rtol=1e-6, atol=0):
        decimals = max(len(x.partition(".")[2]) for x in labels)
        labels = [f"{t:.{decimals}f}" for t in ticks]
    return labels


def readable_log_axes(ax) -> None:
    """Label the log-scaled axes of ``ax`` at :func:`log_ticks`, in plain decimals (:func:`tick_labels`),
    the minor ticks unlabelled. Call it once the axes hold their data: the ticks are fixed to the view."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        low, high = sorted(limits)
        if axis.get_scale() != "log" or not 0 < low < high:
            continue
        ticks = log_ticks(low, high)
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(FixedFormatter(tick_labels(ticks)))
        axis.set_minor_formatter(NullFormatter())


def save_figure(fig, path: str | os.PathLike) -> None:
    """Save atomically; the format follows the suffix."""
    suffix = os.path.splitext(os.fspath(path))[1] or ".png"
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=suffix.lstrip("."), dpi=120, bbox_inches="tight")


def model_report(path: str | os.PathLike, Z: np.ndarray, labels: np.ndarray | None, losses: Sequence[LossPanel] = (),
                 X: np.ndarray | None = None, X_hat: np.ndarray | None = None, image_shape: Sequence[int] | None = None,
                 title: str = "", worst: np.ndarray | None = None, worst_names: Sequence[str] | None = None,
                 label_name: str | None = None, code_names: Sequence[str] | None = None,
                 row_names: Sequence[str] | None = None, sampled: tuple[int, int] | None = None,
                 image_names: Sequence[str] | None = None) -> None:
    """One figure: the map (:func:`plot_map`, with ``row_names`` and ``sampled``), the training
    curves (:func:`loss_panels`: with the validation loss and the level of PCA's start when the fit
    kept it, one above the other for a map's two phases), and (for images) originals against
    reconstructions."""
    plt = _pyplot()
    with_images = image_shape is not None and X is not None and X_hat is not None
    # constrained layout keeps the loss panel's axis title clear of the map's colour bar
    # A model that trained no epoch (it kept PCA's solution) gets no empty loss panel.
    with_losses = bool(losses)
    width = 11 if with_losses else 8 if with_images else 6
    map_height = 5.5 if with_losses and with_images else 5
    n = min(10, len(X)) if with_images else 0
    # The images' band is as tall as their rows need: a fixed share of the figure left PCA's
    # narrower one (no loss panel) tiny strips of images with a blank band between them (trial 29).
    band = 0.0
    if with_images:
        height, across = image_shape[-2:]
        band = min(4.0, 2 * (width / max(n, 1) * height / across + 0.2))  # two rows, each with its title
    fig = plt.figure(figsize=(width, map_height + band), layout="constrained")
    if with_losses:  # the colour bar's name ran into the loss panel's axis title (trial 32)
        fig.get_layout_engine().set(wspace=0.08)
    top = fig.add_gridspec(2 if with_images else 1, 2 if with_losses else 1,
                           height_ratios=[map_height, band] if with_images else None)
    plot_map(fig.add_subplot(top[0, 0]), Z, labels, title or map_title(Z.shape[1]), worst, worst_names, label_name,
             code_names, row_names, sampled)
    if with_losses:
        column = top[0, 1].subgridspec(len(losses), 1)
        for i, panel in enumerate(losses):
            plot_loss_curve(fig.add_subplot(column[i, 0]), panel.losses, panel.validation, panel.title, kept=panel.kept)
    if with_images:
        grid = top[1, :].subgridspec(2, n)
        axes = np.array([[fig.add_subplot(grid[r, c]) for c in range(n)] for r in range(2)])
        plot_reconstructions(axes, X[:n], X_hat[:n], image_shape)
        if image_names is not None:  # trial 47: plot's images had no caption, the report's had
            caption_images(axes[1], image_names[:n])
    save_figure(fig, path)
    plt.close(fig)


def maps_side_by_side(path: str | os.PathLike, maps: Sequence[tuple[str, np.ndarray]], labels: np.ndarray | None = None,
                       label_name: str | None = None, title: str = "", held_out: np.ndarray | None = None) -> None:
    """One :func:`plot_map` per ``(title, codes)`` pair, in a row, all coloured by the same ``labels``
    (one per row, the same rows in every map): methods compared on the same rows, as the benchmarks'
    and ``compare --plot``'s pictures show them; ``title`` heads the figure; ``held_out`` masks the
    rows no method was fitted on."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(maps), figsize=(5 * len(maps), 5.2 if title else 5), squeeze=False,
                             layout="constrained")
    for ax, (map_name, Z) in zip(axes[0], maps):
        plot_map(ax, Z, labels, map_name, label_name=label_name, held_out=held_out)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
    plt.close(fig)


def image_mosaic(images: np.ndarray, image_shape: Sequence[int], pad: int = 1) -> np.ndarray:
    """Images (one per row of ``images``, of ``(height, width)`` or ``(channels, height, width)``)
    tiled in a near-square grid, scaled together to [0, 1], with white gaps: (H, W) or (H, W, C)."""
    shape = tuple(image_shape) if len(image_shape) == 3 else (1, *image_shape)
    channels, height, width = shape
    n = len(images)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    tiles = np.asarray(images, dtype=np.float64).reshape(n, *shape).transpose(0, 2, 3, 1)
    low, high = float(tiles.min()), float(tiles.max())
    tiles = (tiles - low) / (high - low) if high > low else np.zeros_like(tiles)
    mosaic = np.ones((rows * (height + pad) + pad, cols * (width + pad) + pad, channels))
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        mosaic[top : top + height, left : left + width] = tile
    return mosaic[..., 0] if channels == 1 else mosaic


def image_grid(path: str | os.PathLike, images: np.ndarray, image_shape: Sequence[int]) -> None:
    """Save the images as one picture: a grid of them (see :func:`image_mosaic`), e.g. a model's samples."""
    plt = _pyplot()
    mosaic = image_mosaic(images, image_shape)
    fig = plt.figure(figsize=(max(2.0, mosaic.shape[1] / 40), max(2.0, mosaic.shape[0] / 40)))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    save_figure(fig, path)
    plt.close(fig)
