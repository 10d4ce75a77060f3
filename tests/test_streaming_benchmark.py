"""The streaming benchmark's summary of the subset's errors over seeds (on hand-made rows)."""

from benchmarks.streaming import subset_summary


def test_subset_summary_gives_each_seed_and_the_ratio_of_means():
    rows = [{"seed": 0, "memory_mse": 0.002, "stream_mse": 0.0021},
            {"seed": 1, "memory_mse": 0.004, "stream_mse": 0.0041},
            {"seed": 2, "memory_mse": None, "stream_mse": 0.005}]  # a failed fit is left out
    assert subset_summary(rows)[-4:] == [
        "|---|---|---|---|",
        "| 0 | 0.002000 | 0.002100 | 1.050 |",
        "| 1 | 0.004000 | 0.004100 | 1.025 |",
        "| mean | 0.003000 | 0.003100 | 1.033 |",
    ]


def test_subset_summary_is_empty_without_a_complete_pair():
    assert subset_summary([{"seed": 0, "memory_mse": None, "stream_mse": 0.1}]) == []


def test_a_distributed_run_s_error_has_four_decimals_or_says_why_it_failed():
    """Trial 20: the table printed 0.06949249807074666."""
    from benchmarks.streaming import _mse_cell

    assert _mse_cell({"test_mse": 0.06949249807074666}) == "0.0695"
    assert _mse_cell({"failure": "timed out"}) == "timed out"
