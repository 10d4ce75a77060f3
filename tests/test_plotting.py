"""Pictures: titles and panels that say what they show."""

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from aereduce.plotting import map_2d, map_title, plot_loss_curve  # noqa: E402


@pytest.fixture()
def ax():
    from aereduce.plotting import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.mark.parametrize("n_dims, title", [
    (2, "2-D map of the code"),
    (1, "1-D code (across; spread up and down at random)"),
    (8, "8-D code, projected on its first 2 principal axes"),
])
def test_map_title_says_what_is_drawn(n_dims, title):
    assert map_title(n_dims) == title
    assert map_2d(np.random.default_rng(0).normal(size=(20, n_dims))).shape == (20, 2)


def test_a_loss_panel_without_epochs_says_so(ax):
    plot_loss_curve(ax, [])
    assert [t.get_text() for t in ax.texts] == ["no training epochs"]
    assert len(ax.get_lines()) == 0


def test_a_loss_panel_draws_the_epochs_on_a_log_scale(ax):
    plot_loss_curve(ax, [1.0, 0.5, 0.25], [1.1, 0.6, 0.3])
    assert len(ax.texts) == 0 and len(ax.get_lines()) == 2
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"


def test_a_one_epoch_loss_is_drawn_as_a_point(ax):
    """Trial 26: a streamed fit of one epoch drew a line of one point, which shows nothing."""
    plot_loss_curve(ax, [0.158], [0.16])
    assert [line.get_marker() for line in ax.get_lines()] == ["o", "o"]
    plot_loss_curve(ax, [1.0, 0.5])
    assert ax.get_lines()[-1].get_marker() in (None, "None", "")


def test_numeric_labels_with_many_values_get_a_colour_scale(ax):
    from aereduce.plotting import plot_map

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(100, 2))
    plot_map(ax, Z, rng.uniform(5, 50, size=100))  # a price per row: a colour bar, no legend of 100 classes
    assert len(ax.figure.axes) == 2 and ax.get_legend() is None
    plot_map(ax, Z, np.where(Z[:, 0] > 0, 2, 4))  # numeric classes stay classes, with a legend
    assert len(ax.figure.axes) == 2 and ax.get_legend() is not None


def test_the_label_column_names_the_colour_bar_and_the_legend():
    import matplotlib.pyplot as plt

    from aereduce.plotting import plot_map

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(100, 2))
    fig, (left, right) = plt.subplots(1, 2)
    plot_map(left, Z, rng.uniform(5, 50, size=100), label_name="price")
    assert fig.axes[-1].get_ylabel() == "price"  # the colour bar's axis
    plot_map(right, Z, np.where(Z[:, 0] > 0, "a", "b"), label_name="species")
    assert right.get_legend().get_title().get_text() == "species"
    plt.close(fig)


def test_the_legend_orders_numbers_in_class_names_by_value(ax):
    from aereduce.plotting import plot_map

    labels = np.array(["0-39g/day", "120+", "40-79", "80-119", "10", "2"] * 5)
    plot_map(ax, np.random.default_rng(0).normal(size=(len(labels), 2)), labels)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0-39g/day", "2", "10", "40-79", "80-119", "120+"]


def test_validation_losses_are_the_negated_scores():
    from types import SimpleNamespace

    from aereduce.plotting import validation_losses

    assert validation_losses(SimpleNamespace(validation_scores_=[-0.5, -0.25])) == [0.5, 0.25]
    assert validation_losses(SimpleNamespace(validation_scores_=None)) is None
    assert validation_losses(SimpleNamespace()) is None


def test_rows_beyond_the_view_are_counted_on_the_map(ax):
    from aereduce.plotting import plot_map

    Z = np.random.default_rng(0).uniform(size=(1000, 2))  # a box: the view holds all of it...
    Z[0] = [1e3, 1e3]  # ...but for one far outlier  # one far outlier, clamped onto the edge
    plot_map(ax, Z)
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["\u25b2 1 row beyond the view, drawn on its edge"]


def test_the_map_s_two_notes_do_not_overlap_on_a_narrow_map():
    """Trial 12: the ringed rows' note, written at the lower right, ran into the edge note."""
    import matplotlib.pyplot as plt

    from aereduce.plotting import plot_map

    fig, ax = plt.subplots(figsize=(3, 3))
    Z = np.random.default_rng(0).uniform(size=(1000, 2))
    Z[0] = [1e3, 1e3]
    plot_map(ax, Z, worst=np.arange(1, 4), worst_names=["a", "b", "c"])
    renderer = fig.canvas.get_renderer()
    notes = [t for t in ax.texts if t.get_text()[0] in "\u25b2\u25cb"]
    assert len(notes) == 2
    first, second = (t.get_window_extent(renderer) for t in notes)
    assert not first.overlaps(second)
    plt.close(fig)


def test_rows_without_a_label_are_named_so_in_the_legend(ax):
    from aereduce.plotting import plot_map

    Z = np.random.default_rng(0).uniform(size=(6, 2))
    plot_map(ax, Z, np.array(["a", "b", None, "a", float("nan"), "b"], dtype=object))
    # listed last, in grey, not as the first class in the first colour (trial 30)
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "(no label)"]
    assert len(legend.legend_handles[-1].get_facecolor()) == 0  # hollow
    assert tuple(legend.legend_handles[-1].get_edgecolor()[0][:3]) == (0.45, 0.45, 0.45)


def test_the_report_figure_keeps_the_loss_panel_clear_of_the_maps_colour_bar(monkeypatch, tmp_path):
    from aereduce import plotting

    kept = []  # the figure, drawn after model_report has closed it in pyplot
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    rng = np.random.default_rng(0)
    prices = rng.uniform(1e4, 5e5, size=300)  # a measurement: the map gets a colour bar, tick labels and all
    plotting.model_report(tmp_path / "r.png", rng.normal(size=(300, 2)), prices,
                          [plotting.LossPanel(list(np.geomspace(10, 0.1, 30)), list(np.geomspace(12, 0.2, 30)))],
                          label_name="mealpct")  # trial 32: the bar's name ran into the panel's "loss"
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = kept[0]
    canvas = FigureCanvasAgg(fig)  # pyplot's close left the figure a bare canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    map_ax = next(a for a in fig.axes if a.get_title() == "2-D map of the code")
    loss_ax = next(a for a in fig.axes if a.get_title() == "loss curve")
    (colour_bar,) = [a for a in fig.axes if a not in (map_ax, loss_ax)]
    loss_label = loss_ax.yaxis.label.get_window_extent(renderer)
    loss_ticks = loss_ax.yaxis.get_tightbbox(renderer)
    for box in (colour_bar.get_tightbbox(renderer), map_ax.get_tightbbox(renderer)):
        assert not loss_label.overlaps(box) and not loss_ticks.overlaps(box)
    # a gap the eye sees between the bar's name and the panel's axis title: a fifth of an inch (it was a tenth)
    assert min(loss_label.x0, loss_ticks.x0) - colour_bar.get_tightbbox(renderer).x1 >= fig.dpi / 5


def test_many_classes_name_the_largest_and_group_the_rest(ax):
    from aereduce.plotting import NAMED_CLASSES, plot_map

    labels = np.array([f"s{i:02d}" for i in range(45)] * 2 + ["s07"] * 10 + ["s30"] * 5)
    plot_map(ax, np.random.default_rng(0).normal(size=(len(labels), 2)), labels)
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(names) == NAMED_CLASSES and names[-1] == f"{45 - NAMED_CLASSES + 1} other classes ({2 * (45 - 11)} rows)"
    assert "s07" in names and "s30" in names  # the two largest are named
    colours = [tuple(handle.get_facecolor()[0]) for handle in ax.get_legend().legend_handles]
    assert len(set(colours)) == len(colours)  # no two entries share a colour


def test_the_classes_points_are_drawn_mixed_so_no_class_covers_the_others(ax):
    """Trial 35: classes drawn one after another left the last on top wherever they overlap
    (diamonds' "Very Good" hid Ideal and Premium); the same map is drawn the same way twice."""
    from matplotlib.colors import to_hex

    from aereduce.plotting import plot_map

    labels = np.repeat(["a", "b", "c"], 100)
    Z = np.random.default_rng(0).normal(size=(300, 2))
    plot_map(ax, Z, labels)
    (points,) = [c for c in ax.collections if len(c.get_offsets()) == 300]
    legend = {text.get_text(): to_hex(handle.get_facecolor()[0])
              for text, handle in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)}
    drawn = [to_hex(colour) for colour in points.get_facecolors()]
    by_point = {tuple(xy): colour for xy, colour in zip(points.get_offsets(), drawn)}
    assert all(by_point[tuple(Z[i])] == legend[labels[i]] for i in range(300))  # each point in its class's colour
    assert len(set(drawn[-50:])) == 3  # the last drawn are of every class, not all of "c"
    import matplotlib.pyplot as plt

    again = plt.figure().add_subplot()
    plot_map(again, Z, labels)
    assert [to_hex(c) for c in [c for c in again.collections if len(c.get_offsets()) == 300][0].get_facecolors()] == drawn
    plt.close(again.figure)


def test_labels_that_name_the_rows_are_not_coloured_as_classes(ax):
    """Trial 29: Cars93 coloured by Model (93 values in 93 rows) got 11 arbitrary models in colour."""
    from aereduce.plotting import plot_map

    labels = np.array([f"model {i}" for i in range(93)])
    plot_map(ax, np.random.default_rng(0).normal(size=(93, 2)), labels, label_name="Model")
    assert ax.get_legend() is None and len(ax.collections) == 1
    assert "not coloured: Model has 93 different values in 93 rows, names rather than classes" in [
        t.get_text() for t in ax.texts]


def test_map_axes_say_what_they_are(ax):
    from aereduce.plotting import plot_map

    plot_map(ax, np.random.default_rng(0).normal(size=(50, 8)))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("principal axis 1 of the code", "principal axis 2 of the code")


def test_close_ringed_rows_get_labels_that_do_not_overlap(ax):
    from aereduce.plotting import plot_map

    Z = np.random.default_rng(0).normal(size=(200, 2))
    Z[:3] = [[0.0, 0.0], [0.01, 0.0], [0.0, 0.01]]
    plot_map(ax, Z, worst=np.array([0, 1, 2]), worst_names=["a", "b", "c"])
    places = [text.xyann for text in ax.texts if text.get_text() in "abc"]
    assert len({round(y, 6) for _, y in places}) == 3  # one line each, not written over one another
    # each with a white halo, readable on a red or orange class (trial 29)
    assert all(text.get_path_effects() for text in ax.texts if text.get_text() in "abc")


def test_a_model_without_epochs_gets_no_empty_loss_panel(monkeypatch, tmp_path):
    from aereduce import plotting

    kept = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    plotting.model_report(tmp_path / "r.png", np.random.default_rng(0).normal(size=(30, 2)), None,
                          plotting.loss_panels(SimpleNamespace(loss_curve_=[], validation_scores_=None)))
    assert [a.get_title() for a in kept[0].axes] == ["2-D map of the code"]


def test_a_fit_that_kept_pcas_start_draws_its_level_beside_the_epochs(ax):
    from types import SimpleNamespace

    from aereduce.plotting import kept_start_loss

    kept = SimpleNamespace(kept_initial_weights_=True, best_validation_score_=-0.4)
    trained = SimpleNamespace(kept_initial_weights_=False, best_validation_score_=-0.2)
    assert kept_start_loss(kept) == 0.4 and kept_start_loss(trained) is None
    assert kept_start_loss(SimpleNamespace()) is None  # PCA, or a file without these fields
    plot_loss_curve(ax, [1.0, 0.5, 0.25], [0.6, 0.45, 0.41], kept=kept_start_loss(kept))
    lines = ax.get_lines()
    assert len(lines) == 3 and list(lines[2].get_ydata()) == [0.4, 0.4]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training loss", "validation loss", "PCA's start (validation loss), kept: no epoch's\n"
        "gain on it, row by row, passed twice its standard error"]


def test_the_kept_level_needs_epochs_to_stand_beside(ax):
    plot_loss_curve(ax, [], kept=0.4)
    assert [t.get_text() for t in ax.texts] == ["no training epochs"] and len(ax.get_lines()) == 0


def test_a_1d_code_is_a_strip_whose_named_rows_stay_inside_the_axes(ax):
    from aereduce.plotting import plot_map

    Z = np.repeat(np.linspace(0, 1, 6), 5)[:, None]  # 30 rows on 6 values: on one line they hid each other
    xy = map_2d(Z)
    assert np.array_equal(xy[:, 0], Z[:, 0]) and np.ptp(xy[:, 1]) > 1  # spread up and down
    assert np.array_equal(map_2d(Z), xy)  # the same picture every time
    worst = np.arange(0, 30, 3)
    plot_map(ax, Z, worst=worst, worst_names=[f"row name {i}" for i in worst])
    low, high = ax.get_ylim()
    assert len(ax.texts) >= len(worst)
    names = [t for t in ax.texts if t.get_text().startswith("row name")]
    assert len(names) == len(worst) and all(low <= t.xyann[1] <= high for t in names)


def test_the_ringed_rows_are_explained_on_the_map_and_fewer_on_small_tables(ax):
    from aereduce.plotting import plot_map
    from aereduce.usecases import rows_to_ring

    assert [rows_to_ring(n) for n in (2, 32, 150, 200, 10_000)] == [2, 3, 7, 10, 10]
    Z = np.random.default_rng(0).uniform(size=(32, 2))
    plot_map(ax, Z, worst=np.arange(3), worst_names=["a", "b", "c"])
    assert "\u25cb the 3 rows reconstructed worst (the most anomalous)" in [t.get_text() for t in ax.texts]


def test_a_2d_map_s_axes_are_named_as_the_code_columns(ax):
    """Trial 13: the plot said 'code 1', 'code 2' where the codes' files say ae0, ae1."""
    from aereduce.plotting import plot_map

    plot_map(ax, np.random.default_rng(0).normal(size=(50, 2)), code_names=["ae0", "ae1"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("ae0", "ae1")


def test_a_map_s_two_phases_are_drawn_one_above_the_other_on_whole_epochs(monkeypatch, tmp_path):
    """Trial 16: plot drew the embedding phase alone, with ticks at epoch 2.5."""
    from aereduce import plotting

    kept = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    model = SimpleNamespace(loss_curve_=[3.0, 2.0, 1.5, 1.2], decoder_loss_curve_=[0.9, 0.5, 0.4],
                            validation_scores_=[-0.95, -0.6, -0.5])
    plotting.model_report(tmp_path / "r.png", np.random.default_rng(0).normal(size=(30, 2)), None,
                          plotting.loss_panels(model))
    axes = kept[0].axes
    assert [a.get_title() for a in axes] == ["2-D map of the code", "embedding phase (with the neighbour term)",
                                             "decoder phase (codes frozen)"]
    assert [len(a.get_lines()) for a in axes[1:]] == [1, 2]  # the decoder's validation loss beside its own
    for a in axes[1:]:
        assert all(float(t).is_integer() for t in a.get_xticks())


def _drawn(fig):
    """A renderer of ``fig`` drawn (for text and axes extents), whether or not pyplot still holds it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _notes(ax):
    return [t.get_text() for t in ax.texts]


def test_rows_with_a_missing_numeric_label_are_drawn_in_grey_and_counted(ax):
    """Trial 29: airquality's 37 rows with no Ozone got NaN colours and vanished from the map,
    leaving red rings around nothing."""
    from aereduce.plotting import plot_map

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(100, 2))
    ozone = rng.uniform(1, 170, size=100)
    ozone[:37] = np.nan
    plot_map(ax, Z, ozone, worst=np.array([0, 50]), label_name="Ozone")
    grey, coloured = ax.collections[:2]
    assert len(grey.get_offsets()) == 37 and len(coloured.get_offsets()) == 63
    assert np.isfinite(coloured.get_array()).all()
    assert grey.get_zorder() <= coloured.get_zorder()  # beneath the coloured points
    assert "\u25cf grey: 37 rows with no Ozone" in _notes(ax)


def _iris_map():
    from sklearn.datasets import load_iris
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    return PCA(2).fit_transform(StandardScaler().fit_transform(load_iris().data))


@pytest.mark.parametrize("name, Z", [
    ("iris", _iris_map()),  # trial 29: 2 of its rows 0.01 outside the 0.5-99.5 percentile view, clamped
    ("normal", np.random.default_rng(1).normal(size=(150, 2))),
    ("heavier tails", np.random.default_rng(2).standard_t(5, size=(344, 2))),
])
def test_ordinary_rows_are_never_drawn_on_the_edge(ax, name, Z):
    from aereduce.plotting import plot_map

    plot_map(ax, Z)
    assert not any("beyond the view" in note for note in _notes(ax)), name
    _assert_in_view(ax, Z)


def _assert_in_view(ax, Z):
    (left, right), (bottom, top) = ax.get_xlim(), ax.get_ylim()
    assert left < Z[:, 0].min() and Z[:, 0].max() < right and bottom < Z[:, 1].min() and Z[:, 1].max() < top


@pytest.mark.parametrize("share", [0.1, 0.02])
def test_a_well_separated_cluster_at_the_edge_is_drawn_in_place(ax, share):
    """A digit's cluster on MNIST's map, far from the others: a group, not outliers to clamp."""
    from aereduce.plotting import plot_map

    rng = np.random.default_rng(0)
    n, k = 5000, int(5000 * share)
    centres = rng.uniform(-10, 10, size=(9, 2))
    Z = np.vstack([centres[rng.integers(0, 9, n - k)] + rng.normal(scale=0.7, size=(n - k, 2)),
                   [100.0, 0.0] + rng.normal(scale=0.7, size=(k, 2))])
    plot_map(ax, Z)
    assert not any("beyond the view" in note for note in _notes(ax))
    _assert_in_view(ax, Z)


def test_a_few_far_rows_are_drawn_on_the_edge_and_named(ax):
    """Trial 29: msleep's two elephants squeezed its other 81 rows into a third of the map."""
    from aereduce.plotting import plot_map

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(83, 2))
    Z[0] = [0.0, -40.0]  # far below the rest
    names = [f"animal {i}" for i in range(83)]
    plot_map(ax, Z, row_names=names)
    assert "\u25b2 1 row beyond the view, drawn on its edge: animal 0" in _notes(ax)
    # Trial 32: a far row left unringed read as a contradiction of the rings; ringed, nothing to add.
    ax.clear()
    plot_map(ax, Z, row_names=names, worst=np.array([5, 6, 7]))
    assert ("\u25b2 1 row beyond the view, drawn on its edge: animal 0 (far in the code, not among the 3 "
            "reconstructed worst)") in _notes(ax)
    ax.clear()
    plot_map(ax, Z, row_names=names, worst=np.array([0, 6, 7]))
    assert "\u25b2 1 row beyond the view, drawn on its edge: animal 0" in _notes(ax)
    low, high = ax.get_ylim()
    assert np.ptp(Z[1:, 1]) > 0.8 * (high - low)  # the rest fill the view
    many = rng.normal(size=(1000, 2))
    many[:5] = [[60.0, 0.0], [0.0, 60.0], [-60.0, 0.0], [0.0, -60.0], [60.0, 60.0]]
    ax.clear()
    plot_map(ax, many, row_names=[f"r{i}" for i in range(1000)])
    assert "\u25b2 5 rows beyond the view, drawn on its edge" in _notes(ax)  # too many to name


def test_a_sampled_map_says_so_on_the_picture(ax):
    """Trial 29: only stderr said that ``plot --max-rows 500`` drew 500 of 3,000 rows."""
    from aereduce.plotting import plot_map

    Z = np.random.default_rng(0).normal(size=(500, 2))
    plot_map(ax, Z, sampled=(500, 3000))
    assert "a random 500 of the 3,000 rows drawn, and the ringed rows" in _notes(ax)
    ax.clear()
    plot_map(ax, Z, sampled=(500, 500))
    assert _notes(ax) == []


@pytest.mark.parametrize("low, high, expected", [
    (0.03, 0.45, ["0.03", "0.1", "0.3"]),  # mtcars' errors: "3×10⁻²4×10⁻²6×10⁻²" ran together (trial 29)
    (3.95, 4.37, ["4.0", "4.1", "4.2", "4.3"]),  # a map's embedding phase: "3.95×10⁰", "4×10⁰"
    (0.052, 0.33, ["0.06", "0.08", "0.1", "0.15", "0.2", "0.3"]),  # quakes: no label near its final 0.052
    (1e-12, 1.0, ["1e-12", "1e-10", "1e-08", "1e-06", "1e-04", "1e-02", "1e+00"]),
])
def test_log_axes_get_a_few_plain_labels_one_near_each_end(low, high, expected):
    from aereduce.plotting import END_GAP, MOST_LOG_TICKS, log_ticks, tick_labels

    ticks = log_ticks(low, high)
    assert tick_labels(ticks) == expected
    places, span = np.log10(ticks), np.log10(high / low)
    assert 3 <= len(ticks) <= MOST_LOG_TICKS
    assert places[0] - np.log10(low) <= END_GAP * span and np.log10(high) - places[-1] <= END_GAP * span


def _tick_texts(axis, renderer):
    """The labels drawn on ``axis``, major and minor, with their boxes."""
    ticks = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
    low, high = sorted(axis.get_view_interval())
    labels = [t.label1 for t in ticks if t.label1.get_visible() and t.label1.get_text() and low <= t.get_loc() <= high]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in labels]


def test_the_report_s_error_figure_has_readable_log_axes(monkeypatch):
    """Trial 29: mtcars' histogram of errors ran its tick labels together."""
    from aereduce import report

    kept = []
    monkeypatch.setattr(report, "png_uri", lambda fig: kept.append(fig) or "")
    rng = np.random.default_rng(0)
    model = np.exp(rng.uniform(np.log(0.03), np.log(0.45), size=32))
    report.error_figure(report.ErrorComparison(model, model * rng.uniform(0.9, 1.2, size=32), 2, "standard"), "ae")
    fig = kept[0]
    renderer = _drawn(fig)
    for a in fig.axes:
        for axis in [x for x in (a.xaxis, a.yaxis) if x.get_scale() == "log"]:
            texts = _tick_texts(axis, renderer)
            assert 3 <= len(texts) <= 7 and not any("10^" in t or "times" in t for t, _ in texts)
            boxes = [box for _, box in texts]
            assert not any(b.overlaps(c) for i, b in enumerate(boxes) for c in boxes[i + 1:])
    _pyplot_close(fig)


def _pyplot_close(fig):
    from aereduce.plotting import _pyplot

    _pyplot().close(fig)


def test_a_loss_panel_labels_its_log_axis_in_plain_decimals(ax):
    """Trial 29: "3.95×10⁰" on a map's embedding phase; no label near quakes' final loss."""
    plot_loss_curve(ax, [4.37, 4.05, 3.96])
    renderer = _drawn(ax.figure)
    assert [t for t, _ in _tick_texts(ax.yaxis, renderer)] == ["4.0", "4.1", "4.2", "4.3"]
    ax.clear()
    plot_loss_curve(ax, list(np.geomspace(0.33, 0.052, 90)))
    renderer = _drawn(ax.figure)
    labels = [float(t) for t, _ in _tick_texts(ax.yaxis, renderer)]
    low, high = ax.get_ylim()
    assert np.log10(min(labels) / low) <= 0.3 * np.log10(high / low)  # the final loss can be read


def test_an_image_plot_without_a_loss_panel_has_no_blank_band(monkeypatch, tmp_path):
    """Trial 29: a PCA model's plot (no loss panel) drew tiny strips of images with a blank band
    between the originals and the reconstructions."""
    from aereduce import plotting

    kept = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    X = np.random.default_rng(0).uniform(size=(20, 64))
    for losses in ([], [plotting.LossPanel([1.0, 0.5, 0.3])]):
        kept.clear()
        plotting.model_report(tmp_path / "r.png", np.random.default_rng(0).normal(size=(20, 2)), None, losses, X, X,
                              (8, 8))
        fig = kept[0]
        renderer = _drawn(fig)
        boxes = [a.get_window_extent(renderer) for a in fig.axes if a.images]
        originals, reconstructions = boxes[:10], boxes[10:]
        side = originals[0].height
        assert originals[0].y0 - reconstructions[0].y1 < side / 2  # a title's height apart, not a band
        assert side / fig.dpi > 0.6  # not tiny strips


def test_plot_names_a_far_row_and_says_it_drew_a_sample(monkeypatch, tmp_path):
    """The callers pass the map the rows' names (ids, as the rings') and the sample's size."""
    import pandas as pd
    from click.testing import CliRunner

    from aereduce import plotting
    from aereduce.cli import main
    from aereduce.usecases import ReadOptions, plot_file

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    frame.insert(0, "name", [f"n{i}" for i in range(300)])
    frame.loc[7, ["a", "b", "c"]] = [60.0, 60.0, 60.0]  # an elephant
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "m.aer"
    result = CliRunner().invoke(main, ["fit", str(data), "--dim", "2", "--method", "pca", "--id-column", "name",
                                       "-o", str(model)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    kept = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    for max_rows in (200, 300):
        plot_file(str(model), str(data), str(tmp_path / "m.png"), ReadOptions(id_column="name"), None, max_rows)
        _pyplot_close(kept[-1])
    sampled, whole = (_notes(fig.axes[0]) for fig in kept)
    assert "a random 200 of the 300 rows drawn, and the ringed rows" in sampled
    assert "\u25b2 1 row beyond the view, drawn on its edge: n7 (far in the code, not among the 10 reconstructed worst)" in whole
    assert not any(note.startswith("a random") for note in whole)


def test_ring_names_keep_clear_of_one_another_and_inside_the_view():
    """Names of close rows move a line at a time, clear of the names before them, and stay inside the view."""
    from aereduce.plotting import NAME_LINE, _label_positions

    span, line = np.array([1.0, 1.0]), NAME_LINE
    (free,) = _label_positions(np.array([[0.0, 0.0]]), ["r000028"], span)
    assert free[1] == pytest.approx(0.008)  # up and right of the point, as before
    moved = _label_positions(np.zeros((3, 2)), ["r000028"] * 3, span, floor=-1.0)
    assert [y for _, y in moved] == pytest.approx([0.008, 0.008 - line, 0.008 - 2 * line])
    beside = _label_positions(np.array([[0.0, 0.0], [0.9, 0.0]]), ["r000028"] * 2, span, floor=-0.05)
    assert beside[1] == pytest.approx((0.908, 0.008))  # a name to the left covers nothing of it
    # Review: the names stay under the view's top, and where every line is covered, on its floor.
    (high,) = _label_positions(np.array([[0.0, 0.98]]), ["r1"], span, ceiling=0.965)
    assert high[1] <= 0.965
    crowded = _label_positions(np.zeros((30, 2)), ["r1"] * 30, span, floor=-0.05, ceiling=0.9)
    assert crowded[-1][1] == pytest.approx(-0.05) and all(-0.05 <= y <= 0.9 for _, y in crowded)


def test_maps_side_by_side_colour_each_class_alike_in_every_panel(monkeypatch, tmp_path):
    from matplotlib.colors import to_hex

    from aereduce import plotting

    kept = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    rng = np.random.default_rng(0)
    labels = np.array(["b", "a", "c"] * 40)
    maps = [("pca", rng.normal(size=(120, 2))), ("ae", rng.normal(size=(120, 2)))]
    plotting.maps_side_by_side(tmp_path / "m.png", maps, labels, "kind", "wine.csv: 2-D map of the code")
    (fig,) = kept
    assert [ax.get_title() for ax in fig.axes] == ["pca", "ae"] and fig._suptitle.get_text() == "wine.csv: 2-D map of the code"
    legends = [{text.get_text(): to_hex(handle.get_facecolor()[0]) for text, handle in
                zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)} for ax in fig.axes]
    assert sorted(legends[0]) == ["a", "b", "c"] and legends[0] == legends[1]


@pytest.mark.parametrize("n_classes", [2, 20])
def test_the_legend_and_the_notes_stand_beside_the_map_not_on_it(n_classes):
    """A new user's penguins map: the legend covered points, and the notes in the corner could cover
    a ringed row; both now stand outside the axes, the legend readable from 2 to 20 classes."""
    import matplotlib.pyplot as plt

    from aereduce.plotting import plot_map

    rng = np.random.default_rng(0)
    Z = rng.uniform(size=(2000, 2))  # points in every corner: no free place for a legend inside
    Z[0] = [1e3, 1e3]  # a far row, which adds a note
    Z[1] = [0.0, 0.0]  # a ringed row in the lower left corner, where the notes were written
    labels = np.array([f"class {i}" for i in range(n_classes)])[rng.integers(0, n_classes, size=2000)]
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    plot_map(ax, Z, labels, "map", worst=np.array([1, 2, 3]), worst_names=["a", "b", "c"], label_name="kind")
    renderer = _drawn(fig)
    area = ax.get_window_extent(renderer)  # the axes' data area
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(area) and fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1,
                                                                                                         legend.y1)
    entries = [t.get_window_extent(renderer) for t in ax.get_legend().get_texts()]
    assert not any(b.overlaps(c) for i, b in enumerate(entries) for c in entries[i + 1:])
    notes = [t for t in ax.texts if t.get_text()[0] in "\u25b2\u25cb"]
    assert len(notes) == 2
    boxes = [t.get_window_extent(renderer) for t in notes]
    assert all(box.y1 <= area.y0 and not box.overlaps(ax.xaxis.label.get_window_extent(renderer)) for box in boxes)
    assert not boxes[0].overlaps(boxes[1])
    plt.close(fig)


def test_plot_names_each_image_by_its_row_and_label(monkeypatch, tmp_path):
    """Trial 47: plot --image-shape drew originals and reconstructions with no caption; the report named them."""
    import pandas as pd
    from click.testing import CliRunner

    from aereduce import plotting
    from aereduce.cli import main
    from aereduce.usecases import ReadOptions, plot_file

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(size=(60, 9)), columns=[f"p{i}" for i in range(9)])
    frame.insert(0, "name", [f"n{i}" for i in range(60)])
    frame["digit"] = np.arange(60) % 3
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "m.aer"
    result = CliRunner().invoke(main, ["fit", str(data), "--dim", "2", "--method", "pca", "--id-column", "name",
                                       "--label-column", "digit", "-o", str(model)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    kept = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: kept.append(fig))
    plot_file(str(model), str(data), str(tmp_path / "m.png"), ReadOptions(id_column="name", label_column="digit"),
              (3, 3), 100)
    captions = [ax.get_xlabel() for ax in kept[0].axes if ax.images and ax.get_xlabel()]
    _pyplot_close(kept[0])
    assert captions[:2] == ["n0\ndigit 0", "n1\ndigit 1"] and len(captions) == 10


def test_a_map_rings_the_rows_held_out_and_says_so():
    """Trial 47: compare's maps did not tell the rows the methods were fitted on from the held-out ones."""
    import matplotlib.pyplot as plt

    from aereduce.plotting import plot_map

    Z = np.random.default_rng(0).normal(size=(50, 2))
    held_out = np.zeros(50, dtype=bool)
    held_out[[3, 7, 11]] = True
    fig, ax = plt.subplots()
    plot_map(ax, Z, np.array(["a", "b"] * 25), "map", held_out=held_out)
    texts = [t.get_text() for t in ax.texts]
    assert "\u25cb black: the 3 rows held out (not fitted on, transformed)" in texts
    rings = [c for c in ax.collections if len(c.get_offsets()) == 3]
    assert len(rings) == 1 and np.allclose(rings[0].get_offsets(), Z[held_out])
    fig, ax = plt.subplots()
    plot_map(ax, Z, np.array(["a", "b"] * 25), "map")  # none given: no rings, no note
    assert not any("held out" in t.get_text() for t in ax.texts)
    plt.close("all")
