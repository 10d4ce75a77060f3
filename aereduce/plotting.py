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


def _class_colours(ax, xy: np.ndarray, labels: np.ndarray, size: float, label_name: str | None = None) -> None:
    """One colour per class for up to NAMED_CLASSES classes; beyond that the largest
    NAMED_CLASSES - 1 are named and the rest drawn in grey as one entry. The legend is titled
    ``label_name`` (the label column) when given."""
    names = np.asarray(["(no label)" if is_missing_label(v) else str(v) for v in labels])  # not "nan" or "None"
    classes, codes, counts = np.unique(names, return_inverse=True, return_counts=True)
    if len(classes) <= NAMED_CLASSES:
        shown = list(range(len(classes)))
    else:  # the largest classes, listed in the legend in name order
        shown = list(np.argsort(-counts, kind="stable")[: NAMED_CLASSES - 1])
    shown = sorted(shown, key=lambda k: natural_order(classes[k]))
    palette = (_pyplot().get_cmap("tab10" if len(shown) <= 10 else "tab20")).colors
    rest = np.isin(codes, shown, invert=True)
    if rest.any():
        n_rest = len(classes) - len(shown)
        ax.scatter(xy[rest, 0], xy[rest, 1], s=size, alpha=0.5, color="0.7",
                   label=f"{n_rest} other classes ({plural(int(rest.sum()), 'row')})")
    for colour, k in zip(palette, shown):
        mine = codes == k
        ax.scatter(xy[mine, 0], xy[mine, 1], s=size, alpha=0.7, color=colour, label=classes[k])
    handles, names_shown = ax.get_legend_handles_labels()
    order = [*range(1, len(handles)), 0] if rest.any() else range(len(handles))  # "other" last
    ax.legend([handles[i] for i in order], [names_shown[i] for i in order], fontsize=7, markerscale=5 / size ** 0.5,
              loc="best", frameon=False, title=label_name, title_fontsize=7)


def _label_positions(points: np.ndarray, names: Sequence[str], span: np.ndarray) -> list[tuple[float, float]]:
    """Where to write each name beside its point (data units): up and right of it, moved down a
    line at a time while its box would cover a name already placed, so close rows stay legible.
    A name's box is estimated from its length (6-point text on a map about 500 points wide)."""
    line, char = 0.035 * span[1], 0.011 * span[0]
    placed: list[tuple[float, float, float]] = []  # (x, y, width) of the names written so far
    positions = []
    for (x, y), name in zip(points, names):
        px, py, width = x + 0.008 * span[0], y + 0.008 * span[1], char * len(name)
        for _ in range(12):
            if not any(px < qx + w and qx < px + width and abs(py - qy) < line for qx, qy, w in placed):
                break
            py -= line
        placed.append((px, py, width))
        positions.append((px, py))
    return positions


def plot_map(ax, Z: np.ndarray, labels: np.ndarray | None = None, title: str = "",
             worst: np.ndarray | None = None, worst_names: Sequence[str] | None = None,
             label_name: str | None = None, code_names: Sequence[str] | None = None) -> None:
    """Scatter the 2-D map of ``Z``, coloured by ``labels`` when given; ``label_name`` (the label
    column's name) titles the legend or the colour bar, so the picture says what the colours are;
    ``code_names`` name the axes of a 2-D code (:func:`map_axis_names`).

    ``worst`` indexes rows to ring in red and name (the worst reconstructed: the anomalies
    ``score`` finds); rows beyond the view are drawn on its edge as triangles, never hidden.
    """
    xy = map_2d(Z)
    size = float(np.clip(4000 / max(len(xy), 1), 2, 20))  # dots a few hundred rows can be seen by, specks for 10,000s
    values = _continuous(labels)
    if labels is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=size, alpha=0.6)
    elif values is not None:  # a measurement (a price, a mass): a colour scale, not 200 "classes"
        points = ax.scatter(xy[:, 0], xy[:, 1], c=values, cmap="viridis", s=size, alpha=0.7)
        bar = ax.figure.colorbar(points, ax=ax, fraction=0.046, pad=0.02)
        if label_name:
            bar.set_label(label_name, fontsize=8)
    else:
        _class_colours(ax, xy, labels, size, label_name)
    notes: list[tuple[str, str]] = []  # (text, colour) written in the map's lower left corner
    # A few far outliers (common in autoencoder codes) would otherwise squeeze the rest into a dot.
    low, high = np.percentile(xy, [0.5, 99.5], axis=0)
    pad = 0.05 * (high - low)
    span = np.where(high > low, high - low, 1.0)
    if np.all(high > low):
        lo, hi = low - pad, high + pad
        outside = np.any((xy < lo) | (xy > hi), axis=1)
        if outside.any():  # clamp them onto the edge so that they stay visible, whole (not clipped)
            edge = np.clip(xy[outside], lo, hi)
            ax.scatter(edge[:, 0], edge[:, 1], marker="^", s=14, c="black", alpha=0.8, clip_on=False, zorder=3)
            notes.append((f"\u25b2 {plural(int(outside.sum()), 'row')} beyond the view, drawn on its edge", "0.3"))
        xy = np.clip(xy, lo, hi)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
    if worst is not None and len(worst):
        ax.scatter(xy[worst, 0], xy[worst, 1], s=60, facecolors="none", edgecolors="red", linewidths=1.2,
                   clip_on=False)
        # say what the rings are, on the picture itself (trial 10 asked)
        notes.append((f"\u25cb the {plural(len(worst), 'row')} reconstructed worst (the most anomalous)", "red"))
        names = list(worst_names or [str(i) for i in worst])
        for i, name, place in zip(worst, names, _label_positions(xy[worst], names, span)):
            moved = place[1] < xy[i, 1]  # a name moved down from its point gets a line back to it
            ax.annotate(name, xy[i], fontsize=6, color="red", xytext=place, textcoords="data", va="bottom",
                        arrowprops={"arrowstyle": "-", "color": "red", "lw": 0.5, "alpha": 0.6} if moved else None)
    # One above the other from the lower left corner: side by side, the ring's note ran into the
    # edge note on a narrow map (trial 12).
    for line, (text, colour) in enumerate(notes):
        ax.annotate(text, (0, 0), xycoords="axes fraction", xytext=(3, 3 + 8 * line), textcoords="offset points",
                    fontsize=6, color=colour)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    x_name, y_name = map_axis_names(Z.shape[1], code_names)
    ax.set_xlabel(x_name, fontsize=8)
    ax.set_ylabel(y_name, fontsize=8)


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
        ax.axhline(level, color="0.3", linestyle="--", linewidth=1, label="PCA's start, kept (validation loss)")
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
    ax.set_title(title)


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def save_figure(fig, path: str | os.PathLike) -> None:
    """Save atomically; the format follows the suffix."""
    suffix = os.path.splitext(os.fspath(path))[1] or ".png"
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=suffix.lstrip("."), dpi=120, bbox_inches="tight")


def model_report(path: str | os.PathLike, Z: np.ndarray, labels: np.ndarray | None, losses: Sequence[LossPanel] = (),
                 X: np.ndarray | None = None, X_hat: np.ndarray | None = None, image_shape: Sequence[int] | None = None,
                 title: str = "", worst: np.ndarray | None = None, worst_names: Sequence[str] | None = None,
                 label_name: str | None = None, code_names: Sequence[str] | None = None) -> None:
    """One figure: the map, the training curves (:func:`loss_panels`: with the validation loss and
    the level of PCA's start when the fit kept it, one above the other for a map's two phases), and
    (for images) originals against reconstructions."""
    plt = _pyplot()
    with_images = image_shape is not None and X is not None and X_hat is not None
    # constrained layout keeps the loss panel's axis title clear of the map's colour bar
    # A model that trained no epoch (it kept PCA's solution) gets no empty loss panel.
    with_losses = bool(losses)
    fig = plt.figure(figsize=(11 if with_losses else 6, 8 if with_images else 5), layout="constrained")
    top = fig.add_gridspec(2 if with_images else 1, 2 if with_losses else 1,
                           height_ratios=[3, 1.3] if with_images else None)
    plot_map(fig.add_subplot(top[0, 0]), Z, labels, title or map_title(Z.shape[1]), worst, worst_names, label_name,
             code_names)
    if with_losses:
        column = top[0, 1].subgridspec(len(losses), 1)
        for i, panel in enumerate(losses):
            plot_loss_curve(fig.add_subplot(column[i, 0]), panel.losses, panel.validation, panel.title, kept=panel.kept)
    if with_images:
        n = min(10, len(X))
        grid = top[1, :].subgridspec(2, n)
        axes = np.array([[fig.add_subplot(grid[r, c]) for c in range(n)] for r in range(2)])
        plot_reconstructions(axes, X[:n], X_hat[:n], image_shape)
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
