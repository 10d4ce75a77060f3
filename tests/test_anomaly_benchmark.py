"""Unit tests of benchmarks/anomaly.py's report on a hand-written results file."""

from pathlib import Path

import numpy as np

from benchmarks import anomaly


def _row(dataset, c, method, auroc, fit_s):
    return {"dataset": dataset, "class": c, "method": method, "auroc": auroc, "fit_s": fit_s, "score_s": 0.1,
            "n_train": 100, "n_test": 50}


RESULT = {
    "machine": {"cpu": "Test CPU", "cores": 2, "gpu": None, "torch": "2.0", "scikit-learn": "1.5"},
    "command": "python -m benchmarks.anomaly --quick", "started": "2026-01-01 00:00:00",
    "rows": [_row("mnist", 0, "aereduce", 0.99, 12.0), _row("mnist", 0, "pca", 0.97, 0.5),
             _row("mnist", 1, "aereduce", 0.95, 11.0), _row("mnist", 1, "pca", 0.98, 0.4),
             _row("fashion-mnist", 0, "aereduce", 0.90, 13.0)],
}


def test_mean_table_averages_classes_and_bolds_the_best():
    assert anomaly.mean_table(RESULT) == [
        "| mean AUROC | mnist | fashion-mnist |",
        "|---|---|---|",
        "| aereduce | 97.0% | **90.0%** |",
        "| pca | **97.5%** | - |",
    ]


def test_class_tables_give_auroc_and_fit_seconds():
    assert anomaly.class_table(RESULT, "mnist", "auroc")[2:] == ["| 0 | 99.0% | 97.0% |", "| 1 | 95.0% | 98.0% |"]
    assert anomaly.class_table(RESULT, "fashion-mnist", "fit_s")[2:] == ["| 0 | 13.0 | - |"]


def test_report_names_the_machine_command_and_anchor():
    text = anomaly.format_report(RESULT)
    assert "Machine: Test CPU, 2 cores, GPU: none" in text
    assert "Reproduce: `python -m benchmarks.anomaly --quick`" in text
    assert "Deep SVDD (one-class), Ruff et al. 2018, mean AUROC 94.8%" in text
    assert "## fashion-mnist: fit seconds per class" in text


def test_the_flagged_shares_are_reported_for_methods_with_a_threshold():
    rows = [_row("mnist", 0, "aereduce", 0.99, 12.0) | {"flagged_normal": 0.02, "flagged_other": 0.7},
            _row("mnist", 1, "aereduce", 0.95, 11.0) | {"flagged_normal": 0.04, "flagged_other": 0.5},
            _row("mnist", 0, "pca", 0.97, 0.5), _row("mnist", 1, "pca", 0.98, 0.4)]
    result = RESULT | {"rows": rows}
    assert anomaly.flagged_table(result) == ["| flagged: normal / others | mnist |", "|---|---|",
                                             "| aereduce | 3.0% / 60.0% |"]
    assert anomaly.class_table(result, "mnist", "flagged_normal")[2:] == ["| 0 | 2.0% | - |", "| 1 | 4.0% | - |"]
    assert "## mnist: share of the normal class's test images flagged" in anomaly.format_report(result)
    assert anomaly.flagged_table(RESULT) == [] and "flagged" not in anomaly.format_report(RESULT)


def test_auroc_takes_the_normal_class_as_positive():
    assert anomaly.auroc(np.array([0.9, 0.8, 0.1]), np.array([True, True, False])) == 1.0


def test_only_the_full_run_writes_anomaly_md(tmp_path):
    assert anomaly.report_path(anomaly.FULL_RUN) == anomaly.HERE / "ANOMALY.md"
    assert anomaly.report_path(tmp_path / "x.json") == Path(tmp_path / "x.md")
