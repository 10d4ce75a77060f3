"""benchmarks/denoise.py and benchmarks/sequences.py end to end on tiny generated data (no MNIST files)."""

import json

import numpy as np
import pytest

from aereduce import datasets
from benchmarks import denoise, sequences


@pytest.fixture
def no_plots(monkeypatch):
    """Skip the figure (matplotlib is slow to import); the tables are what is tested."""
    import aereduce.plotting

    def refuse():
        raise ImportError("no plots in this test")

    monkeypatch.setattr(aereduce.plotting, "_pyplot", refuse)


@pytest.fixture
def tiny_mnist(monkeypatch):
    images = (np.random.default_rng(0).random((260, 784)) < 0.2).astype(np.float32)
    labels = np.arange(260) % 10

    def loader(home=None):
        return (images[:200], labels[:200]), (images[200:], labels[200:])

    monkeypatch.setitem(datasets.LOADERS, "mnist", loader)


def test_corruptions():
    X = np.full((50, 100), 0.5, dtype=np.float32)
    masked = denoise.corrupt(X, "mask", 0)
    assert set(np.unique(masked)) == {0.0, 0.5}
    assert abs((masked == 0).mean() - denoise.MASK_FRACTION) < 0.03
    noisy = denoise.corrupt(X, "gaussian", 0)
    assert noisy.min() >= 0 and noisy.max() <= 1 and noisy.dtype == np.float32
    assert abs(np.std(noisy - X) - denoise.GAUSSIAN_SIGMA) < 0.03
    assert np.array_equal(denoise.corrupt(X, "mask", 0), masked)


@pytest.fixture
def no_machine_probe(monkeypatch):
    """The machine's description imports umap (seconds); a stub is enough here."""
    stub = lambda: {"cpu": "Test CPU", "cores": 2, "torch": "0"}  # noqa: E731
    monkeypatch.setattr(denoise, "machine", stub)
    monkeypatch.setattr(sequences, "machine", stub)


def test_denoise_benchmark_writes_every_row(tmp_path, tiny_mnist, no_plots, no_machine_probe):
    out, report = tmp_path / "denoise.json", tmp_path / "DENOISE.md"
    assert denoise.main(["--quick", "--dim", "4", "--epochs", "1", "--out", str(out), "--report", str(report)]) == 0
    result = json.loads(out.read_text())
    assert result["n_train"] == 200 and result["n_test"] == 60 and result["dim"] == 4
    assert result["command"] == (f"python -m benchmarks.denoise --quick --dim 4 --epochs 1 --out {out} "
                                 f"--report {report}")
    for kind in ("gaussian", "mask"):
        methods = [r["method"] for r in denoise.headline(result, kind)]
        assert methods == ["noisy input", "pca", "ae", f"ae-denoising-{kind}"]
    pca_dims = sorted(r["dim"] for r in result["rows"] if r["method"] == "pca" and r["corruption"] == "mask")
    assert pca_dims == [4, 8, 16, 32, 64, 128]
    text = report.read_text()
    assert text.startswith("# Denoising MNIST\n\nMachine: Test CPU, 2 cores, torch 0. Command: `python -m benchmarks.denoise")
    assert "| (a) the corrupted image itself |" in text and "| (d) denoising aereduce (`noise=\"mask\"" in text
    # (a) is the corrupted image's own error: for masking, the sum of the squares of the pixels set to 0
    (_, _), (X_test, _) = datasets.LOADERS["mnist"]()
    masked = denoise.corrupt(X_test, "mask", 0)
    noisy = next(r for r in result["rows"] if r["method"] == "noisy input" and r["corruption"] == "mask")
    assert noisy["sq_err_per_image"] == pytest.approx(float((X_test ** 2 * (masked == 0)).sum(axis=1).mean()))


def test_sine_waves_are_what_the_docstring_says():
    X = sequences.sine_waves(500, 0, 50)
    assert X.shape == (500, 50)
    assert abs(X.var() - 0.54) < 0.05
    assert np.array_equal(X, sequences.sine_waves(500, 0, 50))


def test_sequences_benchmark_writes_a_row_per_method(tmp_path, no_machine_probe):
    out, report = tmp_path / "sequences.json", tmp_path / "SEQUENCES.md"
    assert sequences.main(["--train", "100", "--test", "20", "--epochs", "1", "--dims", "2",
                           "--out", str(out), "--report", str(report)]) == 0
    result = json.loads(out.read_text())
    assert [r["method"] for r in result["rows"]] == ["pca", "ae (mlp)", "ae (recurrent)"]
    assert all(r["mse"] > 0 and r["dim"] == 2 for r in result["rows"])
    assert "| ae (recurrent) | 2 |" in report.read_text()
