"""A saved model applied on Dask and Spark, and training on two processes (DistributedDataParallel)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aereduce import AutoencoderTransformer
from aereduce.distributed import encode_frame, transform_dask
from aereduce.errors import InputError, OptionError
from aereduce.usecases import ReadOptions, fit_model, load_model

ROOT = Path(__file__).resolve().parents[1]


def make_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X = np.tanh(z @ np.random.default_rng(0).normal(size=(2, 8))) + 0.05 * rng.normal(size=(n, 8))
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.aer"
    train = make_frame(600, 1)
    AutoencoderTransformer(n_components=3, hidden_layer_sizes=(16,), max_iter=5, random_state=0).fit(train).save(path)
    return str(path)


def test_a_partition_is_encoded_with_its_index_and_kept_columns(saved):
    rows = make_frame(50, 2).assign(id=[f"r{i}" for i in range(50)]).set_index(pd.RangeIndex(100, 150))
    out = encode_frame(rows[::-1], saved, keep=["id"])
    expected = load_model(saved).transform(rows[[f"f{i}" for i in range(8)]][::-1])
    assert list(out.columns) == ["id", "ae0", "ae1", "ae2"]
    assert list(out.index) == list(range(149, 99, -1)) and out["id"].iloc[0] == "r49"
    np.testing.assert_allclose(out.iloc[:, 1:].to_numpy(), expected, rtol=1e-6)
    with pytest.raises(InputError, match="^no column 'f0' in the DataFrame"):
        encode_frame(rows.rename(columns={"f0": "g0"}), saved)


def test_one_kept_column_may_be_named_by_a_string(saved):
    """Trial 18: keep="name" was split into the letters n, a, m, e."""
    rows = make_frame(10, 2).assign(id=[f"r{i}" for i in range(10)])
    out = encode_frame(rows, saved, keep="id")
    assert list(out.columns) == ["id", "ae0", "ae1", "ae2"] and out["id"].tolist() == rows["id"].tolist()


def test_a_partition_s_rows_with_missing_values_get_empty_codes_under_drop(saved):
    rows = make_frame(20, 4)
    holes = rows.copy()
    holes.iloc[[3, 7], 2] = np.nan
    out = encode_frame(holes, saved, nan="drop")
    assert np.flatnonzero(out.isna().any(axis=1)).tolist() == [3, 7]
    kept = np.setdiff1d(np.arange(20), [3, 7])
    np.testing.assert_allclose(out.to_numpy()[kept], load_model(saved).transform(rows.iloc[kept]), rtol=1e-6)


def test_a_partition_s_bad_cell_is_named_as_a_row_of_the_partition(saved):
    """Trial 26: "data: row 24873" named the 250,000th row by its place in its partition, and a text
    cell gave only pandas' "could not convert string to float"."""
    rows = make_frame(20, 4)
    rows.index = range(100, 120)
    holes = rows.copy()
    holes.iloc[5, 2] = np.nan
    column = rows.columns[2]
    with pytest.raises(InputError) as error:
        encode_frame(holes, saved)
    assert str(error.value) == (f"a partition of 20 rows (index 100 to 119): row 6, column {column!r} is missing; "
                                "fill it, or pass nan='drop', nan='zero' or nan='mean'")
    holes.iloc[9, 0] = np.nan  # trial 40: the count of the others was "the part of the file read so far"
    with pytest.raises(InputError, match=r"is missing \(and 1 more missing value in rows 1-20, all of this "
                                         r"partition\); fill it"):
        encode_frame(holes, saved)
    text = rows.astype(object)
    text.iloc[7, 1] = "oops"
    with pytest.raises(InputError) as error:
        encode_frame(text, saved)
    assert str(error.value) == (f"a partition of 20 rows (index 100 to 119): row 8, column {rows.columns[1]!r} holds "
                                "'oops', not a number; fix it, or leave the column out of the model")


def test_transform_dask_on_a_local_cluster_matches_transform(saved):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    rows = make_frame(300, 3).assign(id=np.arange(300))
    ddf = dd.from_pandas(rows, npartitions=3)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        codes = transform_dask(saved, ddf, keep=["id"])
        assert list(codes.columns)[:2] == ["id", "ae0"]
        out = codes.compute()
    expected = load_model(saved).transform(rows.drop(columns="id"))
    np.testing.assert_allclose(out.drop(columns="id").to_numpy(), expected, rtol=1e-6)
    assert np.array_equal(out["id"].to_numpy(), np.arange(300))


@pytest.mark.parametrize("call, message", [
    (dict(keep=["idd"]), "keep=['idd']: no column 'idd' in the DataFrame to carry beside the codes; did you mean "
                         "'id'? columns are f0, f1, f2, f3, f4, f5, f6, f7, ... (10 in all)"),
    (dict(keep=["id", "id"]), "keep=['id', 'id'] names 'id' twice; name each column once"),
    (dict(columns=[*(f"f{i}" for i in range(7)), "f0"]),
     "columns=['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f0'] names 'f0' twice; name each column once"),
    (dict(keep=["ae0"]), "keep=['ae0']: 'ae0' is also the name of a code column; rename that column of the "
                         "DataFrame first"),
    (dict(model="missing.aer"), "cannot read the model (No such file or directory); give the path of a model saved "
                                "by aereduce (an .aer file)"),
    # trial 22: found on the workers, and blamed on the model file
    (dict(nan="bogus"), "nan='bogus' must be one of 'error', 'drop', 'zero', 'mean', or None for the policy the "
                        "model was fitted with"),
])
def test_transform_dask_checks_names_and_the_model_on_the_client(saved, call, message):
    # The checks transform_spark shares, run before any task: one line, no KeyError from a worker.
    dd = pytest.importorskip("dask.dataframe")
    rows = make_frame(30, 5).assign(id=np.arange(30), ae0=0.0)
    model = call.pop("model", saved)
    with pytest.raises((InputError, OptionError)) as caught:
        transform_dask(model, dd.from_pandas(rows, npartitions=2), **call)
    assert str(caught.value).endswith(message) and "on this worker" not in str(caught.value)


def test_transform_spark_matches_transform(saved, monkeypatch, tmp_path):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the workers need this Python's packages

    from aereduce.distributed import transform_spark

    spark = (SparkSession.builder.master("local[1]").appName("aereduce-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate())
    # R's dotted names (Sepal.Length): Spark read a bare "x.0" as field 0 of a struct x (trial 22)
    dotted_rows = make_frame(200, 4).rename(columns=lambda c: c.replace("f", "x.")).assign(**{"row.id": np.arange(200)})
    dotted = tmp_path / "dotted.aer"
    AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(
        dotted_rows.drop(columns="row.id")).save(dotted)
    try:
        rows = make_frame(200, 4).assign(id=np.arange(200))
        out = transform_spark(saved, spark.createDataFrame(rows).repartition(2), keep=["id"]).toPandas()
        out_dotted = transform_spark(str(dotted), spark.createDataFrame(dotted_rows), keep="row.id").toPandas()
    finally:
        spark.stop()
    out = out.sort_values("id")
    expected = load_model(saved).transform(rows.drop(columns="id"))
    np.testing.assert_allclose(out.drop(columns="id").to_numpy(), expected, rtol=1e-5)
    out_dotted = out_dotted.sort_values("row.id")
    assert list(out_dotted.columns) == ["row.id", "ae0", "ae1"]
    np.testing.assert_allclose(out_dotted[["ae0", "ae1"]].to_numpy(),
                               load_model(dotted).transform(dotted_rows.drop(columns="row.id")), rtol=1e-5)


def run_two_processes(tmp_path, data, options, output, sitecustomize, timeout=120):
    """``aereduce.distributed_train`` under torchrun in 2 CPU processes, each importing ``sitecustomize``
    (source code: a way into one process's work) first."""
    (tmp_path / "sitecustomize.py").write_text(sitecustomize)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           "-m", "aereduce.distributed_train", str(data), *options, "-o", str(output)],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_two_processes_train_as_well_as_one(tmp_path):
    data = tmp_path / "train.csv"
    make_frame(1500, 5).to_csv(data, index=False)
    # The neighbour term (on by default at 3-D) is off: a distributed fit leaves it off.
    options = ["--dim", "3", "--epochs", "20", "--hidden-layers", "32,16", "--neighbour-weight", "0"]
    one = fit_model(str(data), str(tmp_path / "one.aer"), dim=3, read=ReadOptions(), seed=0,
                    params={"max_iter": 20, "hidden_layer_sizes": (32, 16), "neighbour_weight": 0.0})
    # Process 1 saves its replica too (process 0 alone does), to show the gradients were averaged:
    # processes that each trained on their own share alone would end with different weights.
    result = run_two_processes(tmp_path, data, options, tmp_path / "two.aer",
                               "import os\n"
                               "if os.environ.get('RANK') == '1':\n"
                               "    import aereduce.usecases as u\n"
                               "    from aereduce.estimator import AutoencoderTransformer\n"
                               "    fit_model = u.fit_model\n"
                               "    def fit_and_keep_the_replica(data, output, **kwargs):\n"
                               "        report = fit_model(data, output, **kwargs)\n"
                               "        AutoencoderTransformer.save(kwargs['reducer'], output + '.r1')\n"
                               "        return report\n"
                               "    u.fit_model = fit_and_keep_the_replica\n")
    assert result.returncode == 0, result.stderr[:3000]  # the cause comes first, torchrun's summary after
    assert "trained on 2 processes (gloo)" in result.stderr
    assert result.stderr.count("held-out reconstruction MSE") == 1  # only process 0 reports
    test = make_frame(1000, 6)
    replica = load_model(str(tmp_path / "two.aer.r1")).transform(test)
    np.testing.assert_array_equal(load_model(str(tmp_path / "two.aer")).transform(test), replica)
    two = float(np.mean(load_model(str(tmp_path / "two.aer")).reconstruction_error(test)))
    single = float(np.mean(load_model(str(tmp_path / "one.aer")).reconstruction_error(test)))
    assert two < 1.15 * single and single < 1.15 * two, (two, single, one.error)


def test_a_failed_save_on_process_0_ends_every_process(tmp_path):
    """Process 0 alone writes the model; when that failed (a full disk), the others waited for it at
    a barrier until the backend's timeout."""
    data = tmp_path / "train.csv"
    make_frame(600, 5).to_csv(data, index=False)
    result = run_two_processes(tmp_path, data, ["--dim", "2", "--epochs", "2", "--neighbour-weight", "0"],
                               tmp_path / "m.aer",
                               "import os\n"
                               "if os.environ.get('RANK') == '0':\n"
                               "    import aereduce.estimator as e\n"
                               "    def full_disk(self, path):\n"
                               "        raise OSError(28, 'No space left on device', str(path))\n"
                               "    e.AutoencoderTransformer.save = full_disk\n", timeout=100)
    assert result.returncode != 0
    assert result.stderr.count("Error: [Errno 28] No space left on device") == 1, result.stderr[-2000:]
    assert not (tmp_path / "m.aer").exists()


def test_two_processes_say_an_error_and_a_warning_once_in_the_command_line_s_words(tmp_path):
    data = tmp_path / "narrow.csv"
    make_frame(60, 7).iloc[:, :3].to_csv(data, index=False)
    result = run_two_processes(tmp_path, data, ["--stream"], tmp_path / "m.aer", "")
    assert result.stderr.count("Error: No such option '--stream'") == 1, result.stderr[-2000:]
    # A code as wide as the data: the fit's note, naming --dim, from process 0 alone; no Python warning.
    result = run_two_processes(tmp_path, data, ["--dim", "4", "--epochs", "1"], tmp_path / "m.aer", "")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.count("--dim 4 is not below the 3 feature columns") == 1
    assert "Warning:" not in result.stderr and "n_components=4" not in result.stderr


def test_quiet_distributed_training_says_nothing_and_saves(tmp_path):
    """Trial 26: -q, as aereduce fit takes it, was "No such option" and torchrun's traceback."""
    data = tmp_path / "train.csv"
    make_frame(300, 5).to_csv(data, index=False)
    result = run_two_processes(tmp_path, data, ["--dim", "2", "--epochs", "1", "--neighbour-weight", "0", "-q"],
                               tmp_path / "m.aer", "")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "reconstruction MSE" not in result.stderr and "wrote" not in result.stderr
    assert (tmp_path / "m.aer").exists()


def test_the_entry_point_leaves_click_s_errors_to_process_0(tmp_path, monkeypatch, capsys):
    import aereduce.distributed_train as distributed_train

    slept = []
    monkeypatch.setattr(distributed_train.time, "sleep", slept.append)
    for rank, shown, waits in (("1", 0, [distributed_train.SILENT_EXIT_DELAY]), ("0", 1, [])):
        monkeypatch.setenv("RANK", rank)
        slept.clear()
        with pytest.raises(SystemExit) as exited:
            distributed_train.run([str(tmp_path / "d.csv"), "--chunk-rows", "10"])
        assert exited.value.code == 2
        assert capsys.readouterr().err.count("Error: No such option '--chunk-rows'") == shown
        # process 1 waits, so that torchrun does not end process 0 before it has said the error (CI, -n 2)
        assert slept == waits


def test_distributed_training_refuses_what_it_cannot_do(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from aereduce.distributed_train import DistributedAutoencoder, main
    from aereduce.errors import OptionError

    data = tmp_path / "d.csv"
    make_frame(100, 0).to_csv(data, index=False)
    monkeypatch.delenv("RANK", raising=False)
    result = CliRunner().invoke(main, [str(data), "--dim", "2"])
    assert result.exit_code == 2 and "run it under torchrun" in result.stderr
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    result = CliRunner().invoke(main, [str(data), "--dim", "2", "--method", "pca"])
    assert result.exit_code == 2 and "distributed training fits the autoencoder only" in result.stderr
    with pytest.raises(OptionError, match="distributed training cannot train the neighbour term"):
        DistributedAutoencoder(n_components=2, neighbour_weight=1.0).fit(make_frame(100, 0))
