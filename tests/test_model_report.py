"""``aereduce report``: one self-contained HTML page (aereduce/report.py), checked as text and in a
headless browser when one is installed."""

import base64
import html
import re
import shutil
import subprocess
from pathlib import Path
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aereduce.cli import main

FAST = ["--epochs", "5", "--seed", "0"]
HOSTILE = "<script>alert(1)</script>"
BROWSER = "/usr/bin/chromium"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


class Page(HTMLParser):
    """The tags, attributes and text of a page."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]

    def words(self):
        """The page's text, white space collapsed."""
        return re.sub(r"\s+", " ", " ".join(self.text))


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A user's CSV: an id column, a label column named to break out of HTML, three clusters, one odd row,
    and images: 16 columns read as 4x4 pictures."""
    rng = np.random.default_rng(0)
    n = 90
    kind = np.repeat(["a", "b", "c"], n // 3)
    X = rng.normal(size=(n, 16)) * 0.1 + np.repeat(rng.normal(size=(3, 16)), n // 3, axis=0)
    X[41] += 8  # the anomaly: row 43 of the file, counting the header
    frame = pd.DataFrame(X, columns=[f"p{i}" for i in range(16)])
    frame.insert(0, "id", [f"r{i}" for i in range(n)])
    frame[HOSTILE] = kind
    folder = tmp_path_factory.mktemp("report")
    path = folder / "data.csv"
    frame.to_csv(path, index=False)
    model = folder / "m.aer"
    result = invoke("fit", path, "--dim", "3", "--id-column", "id", "--label-column", HOSTILE, "-o", model, *FAST)
    assert result.exit_code == 0, result.output
    return path, model


@pytest.fixture(scope="module")
def report(table):
    path, model = table
    out = path.parent / "report.html"
    result = invoke("report", model, path, "--image-shape", "4x4", "-o", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_report_is_one_self_contained_page(report):
    out, result = report
    assert result.stdout == ""
    assert result.stderr == f"wrote {out}\n"
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.IGNORECASE)
    assert page.all("script") == [] and page.all("link") == [] and page.all("iframe") == []
    images = page.all("img")
    assert len(images) == 5  # training curve, errors, map, first rows, anomalous rows
    for image in images:
        assert image["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(image["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert image["alt"]
    assert all(href.startswith("#") for href in (a["href"] for a in page.all("a")))
    sections = [attrs["id"] for attrs in page.all("section")]
    assert sections == ["model", "training", "error", "map", "images", "anomalies"]


def test_report_escapes_names_from_the_file(report):
    text = report[0].read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the label column, named in the map's caption
    assert "<script" not in text.lower()


def test_report_sections_hold_the_model_and_the_rows(report):
    text = Page(report[0].read_text(encoding="utf-8")).words()
    assert "autoencoder model, 16 input columns" in text
    assert "hidden_layer_sizes" in text and "n_iter_" in text
    assert "PCA-3 is fitted on these same rows" in text and "the 90 rows of" in text
    assert "first two principal components of the 3 codes" in text
    # The odd row leads the anomalies, by file row (header counted) and id, with its label.
    anomalies = text[text.index("Most anomalous rows"):]
    assert re.search(r"1\s*43\s*r41\s*[abc]\s", anomalies)


def test_report_without_labels_images_or_pca(tmp_path):
    rng = np.random.default_rng(1)
    data = tmp_path / "plain.csv"
    pd.DataFrame(rng.normal(size=(30, 4)), columns=list("wxyz")).to_csv(data, index=False)
    model = tmp_path / "pca.aer"
    assert invoke("fit", data, "--dim", "2", "--method", "pca", "-o", model).exit_code == 0
    out = tmp_path / "r.html"
    result = invoke("report", model, data, "-o", out)
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    text = page.words()
    assert [attrs["id"] for attrs in page.all("section")] == ["model", "training", "error", "map", "anomalies"]
    assert "no training curve" in text and "the model is PCA itself" in text and "the model's two codes" in text
    assert "give --label-column to colour" in text


@pytest.mark.parametrize("args, message, status", [
    (["--image-shape", "5x5"], "Error: --image-shape 5x5 has 25 values, but the model's rows have 16 columns\n", 2),
    (["--label-column", "nope"], "Error: {data}: no column 'nope' for --label-column; columns are id, p0, p1, p2, ", 1),
])
def test_report_bad_input_is_one_line(table, tmp_path, args, message, status):
    data, model = table
    out = tmp_path / "r.html"
    result = invoke("report", model, data, "-o", out, *args)
    assert result.exit_code == status  # 2: an option that does not fit the model (a usage error)
    assert result.stderr.startswith(message.format(data=data)) and result.stderr.count("\n") == 1
    assert not out.exists()


def test_report_refuses_to_overwrite_its_input(table):
    data, model = table
    page = data.with_suffix(".html")  # an input with the page's suffix: only sameness can refuse it
    page.write_bytes(data.read_bytes())
    result = invoke("report", model, page, "-o", page)
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "input" in result.stderr
    assert page.read_bytes() == data.read_bytes()


@pytest.mark.parametrize("command, output, what", [
    ("plot", "-", "an image; give -o a file name ending in .png, .jpg, .jpeg, .svg or .pdf"),
    ("plot", "map.txt", "an image; give -o a file name ending in .png, .jpg, .jpeg, .svg or .pdf"),
    ("report", "-", "an HTML page; give -o a file name ending in .html or .htm"),
])
def test_pictures_and_pages_need_a_file_of_their_kind(table, command, output, what):
    data, model = table
    result = invoke(command, model, data, "-o", output)
    # not "-: ", which reads as stdin, nor "not stdout: ", which read garbled (trial 41)
    kind, advice = what.split("; ")
    expected = f"-o -: stdout cannot take {kind}; {advice}" if output == "-" else f"{output}: the output is {what}"
    assert result.exit_code == 1 and result.stderr == f"Error: {expected}\n"
    assert not Path(output).exists()


def screenshot(page, folder):
    """Chromium's screenshot of ``page``, as an (height, width, 3) array."""
    shot = folder / f"{page.stem}.png"
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={folder / 'profile'}", f"--screenshot={shot}", "--window-size=1200,3000",
               page.resolve().as_uri()]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return pytest.importorskip("matplotlib.image").imread(shot)[..., :3]


def test_report_renders_in_a_headless_browser(report, tmp_path):
    if shutil.which(BROWSER) is None:
        pytest.skip("no headless browser: install Debian's chromium (apt-get install -y chromium) to render the page")
    page = report[0]
    # The same page with its pictures taken out: what the browser shows if it cannot decode them.
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'src="data:image/png;base64,[^"]*"', 'src=""', page.read_text(encoding="utf-8")),
                    encoding="utf-8")
    pixels, bare_pixels = screenshot(page, tmp_path), screenshot(bare, tmp_path)
    assert pixels.shape[:2] == (3000, 1200)

    def coloured(rgb):
        return float(np.mean((rgb.max(axis=2) - rgb.min(axis=2)) > 0.2))

    # The figures' colours (map classes, histograms, curves) are on the page, far beyond its blue links.
    assert coloured(pixels) > 4 * coloured(bare_pixels) + 0.001


def test_report_without_matplotlib_says_how_to_install_it(table, tmp_path, monkeypatch):
    data, model = table
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)  # `import matplotlib` now fails
    out = tmp_path / "r.html"
    result = invoke("report", model, data, "-o", out)
    assert result.exit_code == 1
    assert result.stderr == "Error: plotting needs matplotlib: pip install 'aereduce[plot]'\n"
    assert not out.exists()


def test_pcas_error_is_measured_in_the_models_units():
    """A model that is PCA's solution (a linear code on few rows) cannot beat PCA fitted on the
    report's rows, when both are measured in the model's scaling; with PCA scaled afresh on those
    rows it seemed to (mtcars: '1.05x lower than PCA's')."""
    from aereduce import AutoencoderTransformer
    from aereduce.report import compare_with_pca

    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(5, 5))
    train = rng.normal(size=(40, 5)) @ mixing
    rows = np.vstack([train, rng.normal(size=(30, 5)) @ mixing * [1, 4, 1, 0.2, 1] + 3])
    model = AutoencoderTransformer(n_components=2, random_state=0).fit(train)
    assert model.hidden_layer_sizes_ == ()  # so few rows: the linear code, at PCA's solution
    compared = compare_with_pca(model, rows, "ae")
    assert compared.pca.mean() <= compared.model.mean() * (1 + 1e-5)
    scaled = model.scaler_.transform(rows)
    centred = scaled - scaled.mean(axis=0)
    # PCA's error in the model's units: what the two leading principal axes leave of each row.
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    residual = centred - centred @ axes[:2].T @ axes[:2]
    np.testing.assert_allclose(compared.pca, (residual ** 2).mean(axis=1), rtol=1e-6, atol=1e-9)


def test_a_model_at_pcas_solution_is_not_said_to_lose_to_pca_by_itself():
    from aereduce.report import ErrorComparison, error_section

    comparison = ErrorComparison(np.array([0.2, 0.4]), np.array([0.1, 0.3]), 2, "standard")
    kept = html.unescape(re.sub(r"<[^>]+>", "", error_section(comparison, "autoencoder", "the rows", kept_pca=True)))
    assert ("higher than PCA's: the model is PCA-2's solution from its own training rows, which these rows' own PCA "
            "fits better") in kept
    trained = html.unescape(re.sub(r"<[^>]+>", "", error_section(comparison, "autoencoder", "the rows")))
    assert "higher than PCA's: PCA is better on these rows" in trained


def test_errors_at_roundings_scale_are_a_tie_and_a_1d_map_says_its_height_means_nothing():
    # trial 22: a model error of 0 against PCA's 2e-33 was called "higher than PCA's", 28% of the noise "lower",
    # and a 1-D map's caption said "y is 0" under points spread up and down
    from aereduce.report import ErrorComparison, error_section, map_caption

    comparison = ErrorComparison(np.zeros(4), np.array([0.0, 1e-33, 0.0, 7e-33]), 1, "standard")
    text = html.unescape(re.sub(r"<[^>]+>", "", error_section(comparison, "autoencoder", "the rows", kept_pca=True)))
    assert "mean error is equal to PCA's: both reconstruct these rows exactly. It is lower than PCA's on 0% of" in text
    assert "a linear code of 1 dimension can" in text
    assert "y is 0" not in map_caption(1, None, "the rows", 0) and "the vertical position means nothing" in \
        map_caption(1, None, "the rows", 0)


def test_anomalous_rows_keep_their_integer_ids_exactly():
    from aereduce.report import anomalies_section

    top = pd.DataFrame({"row": [3, 9], "carat_id": [52862, 52861], "reconstruction_error": [0.9, 0.8]})
    page = anomalies_section(top, n_read=100, n_encodable=100, labels=None, label_name=None, median_error=0.1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells[:4] == ["1", "3", "52862", "0.9"] and "52861" in cells and "e+04" not in page


def test_a_missing_label_among_the_anomalous_rows_is_an_empty_cell():
    from aereduce.report import anomalies_section

    top = pd.DataFrame({"row": [3, 9], "title": ["a", "b"], "reconstruction_error": [0.9, 0.8]})
    page = anomalies_section(top, n_read=100, n_encodable=100, labels=[float("nan"), "PG"], label_name="mpaa",
                             median_error=0.1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells[:4] == ["1", "3", "a", ""] and cells[6:10] == ["2", "9", "b", "PG"] and "nan" not in page


def test_an_autoencoder_that_trained_no_epochs_is_not_called_pca_in_the_report():
    """Trial 13: on mtcars (29 rows) the report said "PCA is fitted in closed form" of an autoencoder."""
    from sklearn.datasets import load_wine

    from aereduce import AutoencoderTransformer
    from aereduce.pca import ScaledPCA
    from aereduce.report import training_section

    X = load_wine().data[:30]
    ae = AutoencoderTransformer(n_components=2, random_state=0).fit(X)
    assert ae.loss_curve_ == []
    assert "it trained no epochs: it keeps PCA's solution" in training_section(ae)
    assert "PCA is fitted in closed form" in training_section(ScaledPCA(n_components=2).fit(X))


def test_the_anomaly_table_heads_row_names_as_such():
    """Trial 13: the table's heading was pandas' 'Unnamed: 0' for R's row names."""
    import pandas as pd

    from aereduce.report import anomalies_section

    top = pd.DataFrame({"row": [5, 9], "Unnamed: 0": ["Merc 230", "Valiant"], "reconstruction_error": [0.4, 0.3]})
    html = anomalies_section(top, 32, 32, None, None, 0.1)
    assert "<th>row name</th>" in html and "Unnamed" not in html and "Merc 230" in html


def test_the_model_section_says_row_names_as_inspect_does():
    # a review found "Unnamed: 0 (the unnamed first column)" here where inspect no longer names it so
    from aereduce.report import model_section

    description = {"kind": "autoencoder", "n_features_in": 3, "n_parameters": 10, "params": {}, "training": {},
                   "versions": {}, "input_columns": ["a", "b", "c"], "input_settings": {"id_column": "Unnamed: 0"}}
    html = model_section(description)
    assert "(the unnamed first column: row names)" in html and "Unnamed" not in html


def test_the_report_rings_as_many_rows_as_plot_does_and_lists_ten(report):
    """Trial 13: plot rang 3 of mtcars' rows, the report 10 (a third of the map)."""
    from aereduce.usecases import rows_to_ring

    out, _ = report
    page = Page(out.read_text())
    assert rows_to_ring(90) == 4
    assert "Red rings mark the 4 most anomalous rows (the top of the table below)" in page.words()
    table = out.read_text().split('id="anomalies"')[1]
    assert table.count("<tr>") == 1 + 10  # the header and the ten rows listed


def test_the_anomalies_table_shows_the_label_once_without_an_id():
    """Trial 20: with no id column, score's label column was taken for the id and shown twice."""
    from aereduce.report import anomalies_section

    top = pd.DataFrame({"row": [5, 9], "reconstruction_error": [0.4, 0.3], "label": [3, 7]})
    html = anomalies_section(top, 32, 32, [3, 7], "label", 0.1)
    assert html.count(">label</th>") == 1 and ">file row</th>" in html


def test_the_fit_s_seconds_have_their_unit_as_inspect_shows_them():
    """Trial 20: the report's Training table said 'fit_time 7.35'; inspect says '7.4 s'."""
    from aereduce.report import key_value_table

    html = key_value_table({"fit_time_": 7.3512, "n_iter_": 12})
    assert "<th>fit_time</th><td>7.4 s</td>" in html and "<th>n_iter</th><td>12</td>" in html


def test_inspect_and_the_report_show_what_fit_said(tmp_path):
    """Trial 22: fit's held-out error against PCA's, the one comparison the user was shown, was kept nowhere."""
    from click.testing import CliRunner

    from aereduce.cli import main
    from aereduce.report import model_section
    from aereduce._persistence import describe_model

    data = tmp_path / "d.csv"
    pd.DataFrame(np.random.default_rng(0).normal(size=(120, 4)), columns=list("abcd")).to_csv(data, index=False)
    model = tmp_path / "m.aer"
    fitted = CliRunner().invoke(main, ["fit", str(data), "--dim", "2", "--epochs", "2", "-o", str(model)])
    assert fitted.exit_code == 0, fitted.output
    said = fitted.stderr.splitlines()[-3:-1]  # the summary, before "wrote ..."
    assert said[1].startswith("held-out reconstruction MSE")
    shown = CliRunner().invoke(main, ["inspect", str(model)]).stdout.splitlines()
    assert [line for line in shown if line.startswith("fit said: ")] == [f"fit said: {line}" for line in said]
    assert all(html.escape(line) in model_section(describe_model(str(model))) for line in said)


def test_rows_reconstructed_exactly_are_not_ringed_as_anomalies():
    """Trial 22: every row of Titanic's 1-D model had error 0, and three were ringed as the most anomalous."""
    from aereduce.usecases import rows_ringed

    assert rows_ringed(np.arange(5), np.zeros(5), 40).tolist() == []
    assert rows_ringed(np.array([38, 39, 0, 1]), np.array([0.5, 0.2, 0.0, 0.0]), 40).tolist() == [38, 39]


def test_the_report_rings_no_row_where_every_row_is_reconstructed_exactly(tmp_path):
    from click.testing import CliRunner

    from aereduce.cli import main

    data = tmp_path / "rank1.csv"
    a = np.random.default_rng(0).normal(size=60)
    pd.DataFrame({"a": a, "b": 2 * a, "c": -a}).to_csv(data, index=False)
    model, page = tmp_path / "m.aer", tmp_path / "r.html"
    assert CliRunner().invoke(main, ["fit", str(data), "--dim", "1", "-o", str(model)]).exit_code == 0
    result = CliRunner().invoke(main, ["report", str(model), str(data), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert "Red rings" not in page.read_text() and "equal to PCA&#x27;s" in page.read_text()


def test_the_anomaly_caption_numbers_rows_as_the_files_format_does(table, tmp_path):
    """Trial 24: a Parquet file's rows were said to count a header line; they count from 1."""
    path, model = table
    parquet = tmp_path / "data.parquet"
    pd.read_csv(path).to_parquet(parquet)
    pages = {}
    for name, data in (("csv", path), ("parquet", parquet)):
        out = tmp_path / f"{name}.html"
        assert invoke("report", model, data, "-o", out).exit_code == 0
        pages[name] = Page(out.read_text()).words()
    assert "File rows count the header line, as editors number lines." in pages["csv"]
    assert "File rows are the rows' places in the file, the first row 1." in pages["parquet"]
    assert "header line" not in pages["parquet"]
    # the odd row: line 43 of the CSV, the 42nd row of the Parquet file
    first = lambda words: re.search(r"reconstruction error times the median row's 1 (\d+) r41", words)  # noqa: E731
    assert first(pages["csv"]).group(1) == "43" and first(pages["parquet"]).group(1) == "42"


def test_the_report_leads_with_fits_held_out_figure_and_calls_its_own_one_on_the_training_rows_so():
    """Trial 29: on the diamonds it was trained on, the report said in bold "1.02x lower than PCA's" where
    fit had said "higher than PCA's" on held-out rows (and airquality's 2.30x against fit's 1.23x)."""
    from aereduce.report import ErrorComparison, error_section

    said = "held-out reconstruction MSE 0.47 on standardised columns (PCA-2: 0.48; lower than PCA's, but not clearly)"
    comparison = ErrorComparison(np.full(50, 0.2), np.full(50, 0.4), 2, "standard")
    page = error_section(comparison, "autoencoder", "the rows", fit_said=said, own_rows=True)
    assert re.findall(r"<b>(.*?)</b>", page) == [html.escape(said)]  # the one headline is fit's
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert text.index(said) < text.index("2.00x lower than PCA's")
    assert ("On them the autoencoder's mean error is 2.00x lower than PCA's (lower on 100% of the rows); but the model "
            "was trained on most of them, so this is not how it does on new rows: fit's figure above is.") in text
    other = html.unescape(re.sub(r"<[^>]+>", "", error_section(comparison, "autoencoder", "the rows", fit_said=said)))
    assert "Fit's figure above is on other rows, the ones it held out, with PCA fitted on its training rows." in other
    alone = error_section(comparison, "autoencoder", "the rows")  # no fit summary: the page's own figure leads
    assert re.findall(r"<b>(.*?)</b>", alone) == [html.escape("2.00x lower than PCA's")]


def test_a_gap_within_the_rows_noise_is_not_called_a_win():
    """Trial 29: 0.1179 against PCA's 0.1197 on 3,000 rows, a gap a fifth of its noise, was '1.02x lower than PCA's'."""
    from aereduce.report import ErrorComparison, error_section

    rng = np.random.default_rng(0)
    pca = rng.exponential(0.12, size=3000)
    model = pca * rng.lognormal(0, 0.8, size=3000) * 0.72  # per row far apart, on the mean within 2%
    assert abs(model.mean() / pca.mean() - 1) < 0.05
    text = html.unescape(re.sub(r"<[^>]+>", "", error_section(ErrorComparison(model, pca, 2, "standard"),
                                                              "autoencoder", "the rows")))
    direction = "lower" if model.mean() < pca.mean() else "higher"
    assert f"mean error is {direction} than PCA's, but not clearly on these 3000 rows." in text
    assert "x lower than PCA's" not in text


def test_a_model_lower_on_most_rows_is_called_the_winner_though_two_rows_widen_the_noise():
    """Trial 34: as fit's summary, the page said 'not clearly' of a model 12x lower than PCA on most rows."""
    from aereduce.report import ErrorComparison, error_section

    pca = np.r_[np.full(21, 0.05), 2.5, 0.004]
    model = np.r_[np.full(21, 0.004), 0.02, 0.2]
    text = html.unescape(re.sub(r"<[^>]+>", "", error_section(ErrorComparison(model, pca, 2, "standard"),
                                                              "autoencoder", "the rows")))
    assert "mean error is 11.69x lower than PCA's." in text and "not clearly" not in text


def test_the_rows_fit_read_are_recognised_by_their_means(tmp_path):
    from types import SimpleNamespace

    from aereduce.report import fitted_on

    X = np.random.default_rng(0).normal(size=(200, 3)) * [1, 1e6, 1e-6] + [0, 5e6, 0]
    model = SimpleNamespace(input_settings_={"means": X.mean(axis=0).tolist()})

    def on(model, X):
        return fitted_on(model, X.mean(axis=0), np.abs(X).max(axis=0))

    assert on(model, X) and on(model, X[::-1])
    assert not on(model, X[:-1]) and not on(model, X[:150])
    assert not on(SimpleNamespace(), X) and not on(SimpleNamespace(input_settings_={"means": [0.0]}), X)


def test_a_report_on_the_models_own_file_says_its_figure_is_on_the_training_rows(report, table, tmp_path):
    path, model = table
    words = Page(report[0].read_text()).words()
    assert "aereduce fit 's figure, on rows the model never saw: held-out reconstruction MSE" in words
    assert "the model was trained on most of them, so this is not how it does on new rows: fit's figure above is" \
        in words
    other = tmp_path / "other.csv"
    pd.read_csv(path).iloc[::2].to_csv(other, index=False)  # half the rows: not the file it was fitted on
    out = tmp_path / "other.html"
    assert invoke("report", model, other, "-o", out).exit_code == 0
    words = Page(out.read_text()).words()
    assert "trained on most of" not in words and "Fit's figure above is on other rows" in words
    # under --nan drop too: a column without gaps lost the dropped rows from its mean, and the model's
    # own file was taken for new rows (trial 41's airquality)
    gaps = pd.read_csv(path)
    gaps.loc[[3, 17], gaps.select_dtypes("number").columns[0]] = np.nan
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    dropped = tmp_path / "dropped.aer"
    assert invoke("fit", tmp_path / "gaps.csv", "--dim", "2", "--nan", "drop", "--epochs", "3", "-o", dropped).exit_code == 0
    assert invoke("report", dropped, tmp_path / "gaps.csv", "-o", tmp_path / "gaps.html").exit_code == 0
    assert "the model was trained on most of them" in Page((tmp_path / "gaps.html").read_text()).words()


@pytest.mark.parametrize("lowest, dips", [(0.022, True), (0.031, False)])
def test_the_training_caption_says_what_keeping_pcas_start_is_based_on(lowest, dips):
    """Trial 29: iris's validation loss lay a quarter below the dashed line of PCA's start for 20 epochs,
    under words that said no epoch beat it clearly; the test is row by row, not the mean drawn."""
    from types import SimpleNamespace

    from aereduce.report import training_section

    validation = [0.0314, 0.0312, lowest, lowest + 0.001]
    model = SimpleNamespace(loss_curve_=[0.038, 0.036, 0.033, 0.031], validation_scores_=[-v for v in validation],
                            best_validation_score_=-0.0298, kept_initial_weights_=True, n_iter_=4)
    text = html.unescape(re.sub(r"<[^>]+>", "", training_section(model)))
    assert "the model keeps PCA's solution (the dashed line: its validation loss)" in text
    assert ("though the validation loss dips below it" in text) is dips
    assert ("an epoch replaces PCA's start only when its gain on the validation rows, row by row, averages more than "
            "twice its standard error, and none did.") in text


def test_image_captions_give_the_label_below_the_rows_name():
    """Trial 29 read the captions of digits' first rows, their ids 0 to 9, as their classes."""
    from types import SimpleNamespace

    from aereduce.report import image_names

    table = SimpleNamespace(row_numbers=np.array([2, 3]), ids=np.array([0, 1]), labels=np.array([7, 3]),
                            label_name="digit")
    assert image_names(table, np.array([1, 0])) == ["1\ndigit 3", "0\ndigit 7"]
    assert image_names(SimpleNamespace(**{**vars(table), "ids": None, "labels": None}), np.array([0])) == ["row 2"]


def test_plot_and_report_read_the_file_in_chunks_and_keep_only_the_rows_they_show(table, monkeypatch):
    """Trial 26: plot and report read a 900,000-row file whole (1 GB). They now hold one chunk at a
    time and keep only the sample, the worst rows and the rows asked for, the same as from one read."""
    import aereduce.usecases as usecases

    path, model = table
    chunks: list[int] = []
    read_in_chunks = usecases.model_tables

    def counted(*args, **kwargs):
        for chunk in read_in_chunks(*args, **kwargs):
            chunks.append(chunk.n_rows)
            yield chunk

    monkeypatch.setattr(usecases, "model_tables", counted)
    monkeypatch.setattr(usecases, "CHUNK_ROWS", 16)
    reducer = usecases.load_reducer(str(model), "plot", str(path))
    rows, scores = usecases.model_rows(reducer, str(path), usecases.ReadOptions(), 20, seed=0, n_worst=10, top=3)
    assert max(chunks) == 16 and sum(chunks) == 90 == rows.n_read == rows.n_encodable
    # The sample: the 20 rows of least priority, one draw per row in file order (file rows count the header).
    sample = np.sort(np.argsort(np.random.default_rng(0).random(90))[:20]) + 2
    assert rows.table.row_numbers[rows.drawn].tolist() == sample.tolist()
    X = pd.read_csv(path).filter(regex=r"^p\d+$")
    errors = np.asarray(reducer.reconstruction_error(X), dtype=np.float64)
    worst = np.argsort(-errors, kind="stable")[:usecases.rows_to_ring(90)] + 2
    assert rows.table.row_numbers[rows.worst].tolist() == worst.tolist() and worst[0] == 43
    # The top scores from the same reading, as score --top finds them, and their rows kept
    chunks.clear()
    top, n_read, _ = usecases.top_scores(str(model), str(path), usecases.ReadOptions(), 3)
    pd.testing.assert_frame_equal(scores.result()[0], top)
    assert n_read == 90 and set(top["row"]) <= set(rows.table.row_numbers) and len(rows.table.X) <= 20 + 10 + 3
    np.testing.assert_allclose(rows.column_means, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rows.column_max_abs, X.abs().max(axis=0))


def test_report_on_stdin_reads_it_once_and_gives_the_file_s_page(table, tmp_path):
    """The page read its data twice, and from stdin the second reading said 'stdin: the file is empty'
    (then stdin was refused); one reading now serves the page."""
    path, model = table
    result = CliRunner().invoke(main, ["report", str(model), "-", "-o", str(tmp_path / "in.html")], input=path.read_text())
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["report", str(model), str(path), "-o", str(tmp_path / "file.html")]).exit_code == 0
    from_stdin, from_file = ((tmp_path / name).read_text() for name in ("in.html", "file.html"))
    assert "on <code>stdin</code>: 90 rows read" in from_stdin
    named = from_stdin.replace("m.aer on stdin", f"m.aer on {path.name}").replace("stdin", str(path))
    assert named == from_file


def test_rows_are_named_by_the_id_column_given_as_the_label_column(tmp_path, monkeypatch):
    """A new user's mtcars: the model's id column (the car's model) given to plot and report as the label
    column was read as the label alone, and the ringed rows were named "row 12" instead of their models."""
    from aereduce import plotting, report
    from aereduce.usecases import ReadOptions, plot_file

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 4)), columns=["a", "b", "c", "d"])
    frame.insert(0, "model", [f"car {i}" for i in range(40)])
    data, model = tmp_path / "cars.csv", tmp_path / "m.aer"
    frame.to_csv(data, index=False)
    assert invoke("fit", data, "--dim", "2", "--method", "pca", "--id-column", "model", "-o", model).exit_code == 0
    figures, names = [], []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: figures.append(fig))
    plot_file(str(model), str(data), str(tmp_path / "m.png"), ReadOptions(label_column="model"), None, 20_000)
    rings = [t.get_text() for t in figures[0].axes[0].texts if t.get_color() == "red" and t.get_text()[0] != "\u25cb"]
    plotting._pyplot().close(figures[0])
    monkeypatch.setattr(report, "map_figure", lambda Z, labels, worst, worst_names, *args: names.append(worst_names) or "")
    report.render_report(str(model), str(data), ReadOptions(label_column="model"))
    for ring_names in (rings, names[0]):
        assert len(ring_names) == 3 and all(name.startswith("car ") for name in ring_names), ring_names


def test_the_error_figure_s_scatter_title_stays_over_its_own_panel(monkeypatch):
    """A new user's penguins report: "each row: below the line, the autoencoder does better" ran into
    the histogram's panel beside it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from aereduce import report

    kept = []
    monkeypatch.setattr(report, "png_uri", lambda fig: kept.append(fig) or "")
    rng = np.random.default_rng(0)
    errors = np.exp(rng.normal(size=300))
    report.error_figure(report.ErrorComparison(errors, errors * rng.uniform(0.5, 2, size=300), 2, "standard"),
                        "autoencoder")
    canvas = FigureCanvasAgg(kept[0])
    canvas.draw()
    renderer = canvas.get_renderer()
    histogram, scatter = kept[0].axes
    title, panel = scatter.title.get_window_extent(renderer), scatter.get_window_extent(renderer)
    assert panel.x0 <= title.x0 and title.x1 <= panel.x1
    assert not title.overlaps(histogram.get_tightbbox(renderer))
    report._plt().close(kept[0])


def test_rows_are_named_by_their_id_and_by_their_line_where_the_id_is_shared():
    """Trial 41: Males' nr (one person's 8 years) named ringed rows on a map by an id 8 rows share."""
    from aereduce.report import row_names
    from aereduce.tables import Table

    table = Table(X=np.zeros((4, 1)), feature_names=["a"], ids=np.array([13, 13, 17, 20]), id_name="nr")
    assert row_names(table, np.array([1, 2, 0])) == ["13 (row 2)", "17", "13 (row 1)"]
    assert row_names(Table(X=np.zeros((2, 1)), feature_names=["a"]), np.array([1])) == ["row 2"]
    # a map's drawn rows, where the id is shared among every row read (a review: the sample decided)
    assert row_names(table.take(np.array([1, 2])), np.array([0, 1]), among=table) == ["13 (row 2)", "17"]
