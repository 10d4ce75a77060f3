"""The README's self-contained Python examples run as written (those that load their own data)."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def self_contained_blocks() -> list[str]:
    return [block for block in python_blocks() if "load_digits" in block or "load_wine" in block]


def test_the_readme_has_self_contained_examples():
    # the estimator's and the detector's: a reader can paste them and run them
    assert len(self_contained_blocks()) >= 2


@pytest.mark.parametrize("block", self_contained_blocks(), ids=lambda b: b.splitlines()[0][:40])
def test_a_self_contained_readme_example_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples save model files where they run
    names: dict = {}
    exec(compile(block, str(README), "exec"), names)
    if "Z" in names:  # the estimator's example
        assert names["Z"].shape == (len(names["X"]), 8)
        assert names["X_hat"].shape == names["X"].shape
        assert np.allclose(names["ae2"].transform(names["X"]), names["Z"], atol=1e-5)
    if "search" in names:  # the scorer's example: PCA and the autoencoder ranked by R² of X's columns
        search, X = names["search"], names["X"]
        best = search.best_estimator_
        missed = ((best.inverse_transform(best.transform(X)) - X) ** 2).mean(axis=0) / X.var(axis=0)
        assert search.score(X) == pytest.approx(1 - missed.mean())
    if "labels" in names:  # the detector's example
        labels, y = names["labels"], names["y"]
        assert (labels[y != 0] == -1).mean() > (labels[y == 0] == -1).mean()
