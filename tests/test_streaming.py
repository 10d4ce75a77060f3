"""Streamed fits (aereduce.streaming): chunks in, the in-memory fit's result out, on small generated files."""

import math
import os

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from aereduce import AutoencoderTransformer
from aereduce import streaming
from aereduce._scaling import Scaler
from aereduce._training import Callback
from aereduce.cli import main
from aereduce.errors import InputError, OptionError
from aereduce.streaming import FileSource, HashedRows, RowSample, row_hash, scan, shuffled_batches
from aereduce.usecases import ReadOptions, load_model, read_for_fit

N_FEATURES = 12


def make_rows(n: int, seed: int) -> np.ndarray:
    """Rows near a curved 3-D surface in 12 columns of different units."""
    weights = np.random.default_rng(0)
    w1, w2 = weights.normal(size=(3, 16)), weights.normal(size=(16, N_FEATURES))
    units = np.logspace(-1, 2, N_FEATURES)
    rng = np.random.default_rng(seed)
    X = np.tanh(rng.normal(size=(n, 3)) @ w1) @ w2 + 0.05 * rng.normal(size=(n, N_FEATURES))
    return X * units + np.arange(N_FEATURES)


def frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])


@pytest.fixture(scope="module")
def rows():
    return make_rows(3000, 1), make_rows(1000, 2)


def model(**params) -> AutoencoderTransformer:
    params = {"n_components": 3, "hidden_layer_sizes": (32, 16), "max_iter": 20, "random_state": 0,
              "neighbour_weight": 0.0} | params
    return AutoencoderTransformer(**params)


def held_out_error(ae: AutoencoderTransformer, X_test: np.ndarray) -> float:
    return float(np.mean(ae.reconstruction_error(frame(X_test))))


def test_hashed_rows_are_a_fixed_share_whatever_the_chunking():
    rows = np.arange(1, 100_001)
    subset = HashedRows(0.1, salt=7)
    mask = subset.mask(rows)
    assert abs(mask.mean() - 0.1) < 0.005
    assert np.array_equal(np.concatenate([subset.mask(part) for part in np.array_split(rows, 37)]), mask)
    assert not np.array_equal(HashedRows(0.1, salt=8).mask(rows), mask)
    assert (row_hash(rows, 7) >= 0).all() and (row_hash(rows, 7) < 1).all()


def test_the_kept_sample_does_not_depend_on_order_or_chunking():
    rows = np.arange(5000)
    X = np.stack([rows, -rows], axis=1).astype(float)
    a, b = RowSample(HashedRows(1.0, 3), cap=100), RowSample(HashedRows(1.0, 3), cap=100)
    a.add(X, rows)
    for part in np.array_split(np.random.default_rng(0).permutation(5000), 13):
        b.add(X[part], rows[part])
    (Xa, ra), (Xb, rb) = a.rows_in_order(), b.rows_in_order()
    assert len(ra) == 100 and np.array_equal(ra, rb) and np.array_equal(Xa, Xb)
    assert np.array_equal(Xa[:, 0], ra) and a.seen == b.seen == 5000


def test_the_shuffle_buffer_yields_every_row_once_in_batches():
    rows = torch.arange(1000, dtype=torch.float32)[:, None]
    chunks = torch.split(rows, [7, 300, 1, 92, 600])
    generator = torch.Generator().manual_seed(0)
    batches = list(shuffled_batches(chunks, capacity=128, batch_size=64, generator=generator))
    assert len(batches) == math.ceil(1000 / 64) and all(len(b) == 64 for b in batches[:-1])
    out = torch.cat(batches)[:, 0]
    assert torch.equal(out.sort().values, rows[:, 0])
    assert not torch.equal(out, rows[:, 0])  # shuffled


@pytest.mark.parametrize("policy", ["error", "mean", "zero", "drop"])
def test_the_statistics_pass_learns_the_in_memory_scaling_and_missing_values(tmp_path, rows, policy):
    X = rows[0][:500].copy()
    if policy != "error":
        X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    path = tmp_path / "data.csv"
    frame(X).to_csv(path, index=False)
    read = ReadOptions(nan=policy)
    found = scan(FileSource(str(path), read=read, chunk_rows=37), HashedRows(0.0, 0))
    filled = read_for_fit(str(path), read)
    expected = Scaler.fit(filled.X.to_numpy(), "standard")
    got = Scaler.from_statistics("standard", found.moments.minimum, found.moments.maximum, found.moments.mean,
                                 found.moments.std, n_rows=found.n_rows)
    assert found.n_rows == len(filled.X)
    np.testing.assert_allclose(got.offset, expected.offset, rtol=1e-10)
    np.testing.assert_allclose(got.scale, expected.scale, rtol=1e-10)
    np.testing.assert_allclose(found.moments.minimum, filled.X.min().to_numpy())
    if policy == "mean":
        np.testing.assert_allclose(found.missing.fill_values_, filled.missing.fill_values_)
    assert found.missing.summary() == filled.missing.summary()


def test_a_python_streamed_fit_of_a_file_remembers_how_it_was_read(tmp_path, rows):
    """Trial 40: fit_stream(FileSource(..., read=ReadOptions(nan="mean"))) kept no training means, so the
    saved model's `aereduce transform --nan mean` was refused as 'saved by aereduce 0.1'."""
    from click.testing import CliRunner

    from aereduce import load
    from aereduce.cli import main

    X = rows[0][:400].copy()
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    path = tmp_path / "gaps.csv"
    frame(X).to_csv(path, index_label="id")
    ae = model(max_iter=2).fit_stream(FileSource(str(path), read=ReadOptions(nan="mean", id_column="id"), chunk_rows=97))
    np.testing.assert_allclose(ae.input_settings_["means"], np.nanmean(X, axis=0))
    assert ae.input_settings_["nan"] == "mean" and ae.input_settings_["id_column"] == "id"
    ae.save(tmp_path / "m.aer")
    assert load(tmp_path / "m.aer").input_settings_ == ae.input_settings_
    result = CliRunner().invoke(main, ["transform", str(tmp_path / "m.aer"), str(path), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 401 and result.stdout.startswith("id,ae0,ae1,ae2\n")
    assert not hasattr(model(max_iter=1).fit_stream([np.nan_to_num(X[:200])]),
                       "input_settings_")  # chunks from Python: nothing read from a file to remember


def test_a_streamed_fit_of_a_csv_file_comes_close_to_the_in_memory_fit(tmp_path, rows):
    X, X_test = rows
    path = tmp_path / "train.csv"
    frame(X).to_csv(path, index=False)
    in_memory = model().fit(frame(X))
    streamed = model().fit_stream(FileSource(str(path), chunk_rows=97))
    assert streamed.scaling_ == in_memory.scaling_ == "standard" and streamed.early_stopping_
    assert list(streamed.feature_names_in_) == list(in_memory.feature_names_in_)
    assert streamed.validation_scores_ is not None
    memory_error, stream_error = held_out_error(in_memory, X_test), held_out_error(streamed, X_test)
    assert stream_error < 1.25 * memory_error, (stream_error, memory_error)
    assert stream_error < 0.5 * float(np.mean(Scaler.fit(X_test, "standard").transform(X_test) ** 2))


def test_a_csv_and_its_parquet_copy_hold_out_the_same_rows(tmp_path, rows):
    """Trial 17: a text file's rows were hashed by line number (the header is line 1), a Parquet
    file's by place, so the two copies held out different rows."""
    from aereduce.streaming import HeldOutSource, FileSource

    X = rows[0][:1200]
    text, binary = tmp_path / "t.csv", tmp_path / "t.parquet"
    frame(X).to_csv(text, index=False)
    frame(X).to_parquet(binary, row_group_size=100)
    held = []
    for path, seed in ((text, None), (binary, 3)):  # the Parquet row groups in a shuffled order
        source = HeldOutSource(FileSource(str(path), chunk_rows=250), HashedRows(0.1, 7))
        training = np.concatenate([chunk.X for chunk in source.chunks(seed)])
        held.append(source.sample.rows_in_order()[0])
        assert len(training) + len(held[-1]) == 1200
    assert 80 < len(held[0]) < 160 and np.array_equal(held[0], held[1])


def test_parquet_row_groups_and_a_folder_of_files_stream_like_one_table(tmp_path, rows):
    X, X_test = rows
    folder = tmp_path / "parts"
    folder.mkdir()
    frame(X[:1800]).to_parquet(folder / "a.parquet", row_group_size=200)
    frame(X[1800:]).to_parquet(folder / "b.parquet", row_group_size=200)
    single = tmp_path / "train.parquet"
    frame(X).to_parquet(single, row_group_size=200)
    in_memory = model().fit(frame(X))
    from_folder = model().fit_stream(str(folder))
    from_file = model().fit_stream(FileSource(str(single), chunk_rows=64))
    memory_error = held_out_error(in_memory, X_test)
    for streamed in (from_folder, from_file):
        assert held_out_error(streamed, X_test) < 1.25 * memory_error
    # The rows are numbered in the table's order whatever order the row groups are read in.
    shuffled = list(FileSource(str(folder), chunk_rows=64).chunks(order_seed=3))
    numbers = np.concatenate([c.rows for c in shuffled])
    assert not np.array_equal(numbers, np.arange(1, 3001)) and np.array_equal(np.sort(numbers), np.arange(1, 3001))
    values = np.concatenate([c.X for c in shuffled])
    np.testing.assert_allclose(values[np.argsort(numbers)], X)


def test_the_schedule_counts_the_steps_of_an_in_memory_epoch(rows):
    X = rows[0][:1000]

    class LastStep(Callback):
        def on_fit_end(self, trainer, **_):
            self.steps = trainer.scheduler.last_epoch

    seen = []
    for fit in ("fit", "fit_stream"):
        probe = LastStep()
        ae = model(max_iter=3, early_stopping=False, batch_size=64)
        getattr(ae, fit)(frame(X) if fit == "fit" else [frame(part) for part in np.array_split(X, 7)],
                         callbacks=[probe])
        seen.append(probe.steps)
    assert seen == [3 * math.ceil(1000 / 64)] * 2


def test_a_streamed_fit_picks_the_loss_from_every_rows_moments_as_a_fit_in_memory_does():
    # values at 0 or 1 get cross-entropy, values spread inside [0, 1] a squared error (trial 21)
    rng = np.random.default_rng(5)
    for X, loss in (((rng.random((1200, 6)) < 0.3).astype(float), "bce"), (rng.random((1200, 6)), "mse")):
        chunks = [frame(part) for part in np.array_split(X, 4)]
        streamed = AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit_stream(chunks)
        in_memory = AutoencoderTransformer(n_components=2, max_iter=1, neighbour_weight=0, random_state=0).fit(X)
        assert streamed.loss_ == in_memory.loss_ == loss


def test_streaming_turns_the_neighbour_term_off_or_refuses_it(rows):
    chunks = [rows[0][:1500], rows[0][1500:]]
    ae = AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit_stream(chunks)
    assert ae.neighbour_weight_ == 0.0
    with pytest.raises(OptionError, match="^fit_stream cannot train the neighbour term"):
        AutoencoderTransformer(n_components=2, neighbour_weight=1.0, max_iter=1).fit_stream(chunks)
    with pytest.raises(OptionError, match="pretrain=True"):
        model(pretrain=True).fit_stream(chunks)


@pytest.mark.parametrize("policy, why", [("drop", ""), ("zero", ""), ("mean", ", so it has no mean to fill with")])
def test_a_streamed_fit_names_an_empty_column_as_the_whole_table_read_does(tmp_path, rows, policy, why):
    """Trial 12: under --nan drop the streamed fit said every row had a missing value."""
    table = frame(rows[0][:300])
    table["c3"] = np.nan
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    expected = f"{path}: column 'c3' has no values{why}; leave it out with --exclude c3"
    with pytest.raises(InputError) as whole:
        read_for_fit(str(path), ReadOptions(nan=policy))
    with pytest.raises(InputError) as streamed:
        scan(FileSource(str(path), read=ReadOptions(nan=policy), chunk_rows=37), HashedRows(0.0, 0))
    assert str(whole.value) == str(streamed.value) == expected


def test_a_one_shot_generator_and_missing_values_are_refused(rows):
    with pytest.raises(InputError, match="one-shot iterator"):
        model().fit_stream(part for part in [rows[0]])
    X = rows[0][:100].copy()
    X[42, 3] = np.nan
    # in Python's words (trial 25 was told "pass --nan drop" by a Python call), and words that fit_stream
    # takes: trial 40 was told to pass nan='mean', which it does not, of "column 0" where the frame names it
    with pytest.raises(InputError, match=r"^data: row 42 \(counted from 0 across the chunks\), column 3 is missing; "
                                         r"chunks from Python take no missing values: fill them first, or give a "
                                         r"file as FileSource\(path, read=ReadOptions\(nan='mean'\)\)$"):
        model().fit_stream([X])
    with pytest.raises(InputError, match=r"^data: row 142 \(counted from 0 across the chunks\), column 'c3' is"):
        model().fit_stream([frame(rows[0][:100]), frame(X)])


def test_a_streamed_fit_keeps_a_written_index_as_the_models_id_as_an_in_memory_fit_does(tmp_path, rows):
    """Trial 26: a streamed fit of a pandas to_csv() file said nothing of its unnamed first column,
    and did not remember it as the id, where the in-memory fit does both."""
    from aereduce.usecases import REMEMBERED_ID

    X, _ = rows
    data = tmp_path / "indexed.csv"
    frame(X[:300]).to_csv(data)  # pandas' default: the index as an unnamed first column
    notes: list[str] = []
    streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=2, read=ReadOptions(),
                       params={"max_iter": 1}, chunk_rows=100, notify=notes.append)
    assert any(REMEMBERED_ID in note for note in notes), notes
    assert load_model(str(tmp_path / "m.aer")).input_settings_["id_column"] == "Unnamed: 0"


def test_a_streamed_fit_says_how_it_read_the_file_before_training(tmp_path, rows):
    X, _ = rows
    data = tmp_path / "train.csv"
    frame(X[:1200]).assign(city="x").to_csv(data, index=False)  # a text column, skipped with a note
    events: list[tuple[str, str]] = []
    report = streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=2, read=ReadOptions(),
                                params={"max_iter": 2}, chunk_rows=250,
                                progress=lambda done, total: events.append(("epoch", f"{done}/{total}")),
                                notify=lambda note: events.append(("note", note)))
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["note", "note"] and kinds[2:] == ["epoch"] * (len(kinds) - 2) and len(kinds) > 2
    assert events[0][1] == "skipped 1 non-numeric column: city (use it with --id-column or --label-column)"
    assert events[1][1].startswith("the neighbour term (the default for 2-3-D maps) is off in a streamed fit")
    assert not any(note.startswith(("skipped", "the neighbour term")) for note in report.notes)  # said once, early


def test_a_streamed_fit_names_skipped_columns_of_decimal_commas_with_the_fix(tmp_path, rows):
    X, _ = rows
    data = tmp_path / "eu.csv"
    frame(X[:300]).assign(price=["80,2", "1,5", "3,25"] * 100).to_csv(data, index=False, sep=";")
    events: list[str] = []
    streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=3, read=ReadOptions(sep=";", decimal="."),
                       params={"max_iter": 1}, chunk_rows=100, notify=events.append)
    assert events[0] == ("skipped 1 non-numeric column: price; "  # its own advice, not an id's (trial 39)
                         "price holds numbers written with a decimal comma ('80,2'): pass --decimal , to read it")


def test_a_streamed_fit_says_its_missing_values_are_counted_in_the_training_rows(tmp_path, rows):
    import re

    X, _ = rows
    data = tmp_path / "gaps.csv"
    with_gaps = frame(X[:400])
    with_gaps.iloc[::4, 0] = np.nan  # 100 gaps, of which the held-out share is not read in the first pass
    with_gaps.to_csv(data, index=False)
    events: list[str] = []
    streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=3, read=ReadOptions(nan="mean"),
                       params={"max_iter": 1}, chunk_rows=100, notify=events.append)
    found = re.fullmatch(r"filled (\d+) missing values in the (\d+) training rows \(the held-out share aside\) "
                         r"with the training means \(c0: (\d+)\)", events[0])
    assert found, events[0]
    filled, training, column = map(int, found.groups())
    assert filled == column and 0 < filled < 100 and 300 < training < 400


def test_the_streamed_counts_are_the_file_s_rows_and_say_how_many_were_left_out(tmp_path, rows):
    X, _ = rows
    data = tmp_path / "train.csv"
    with_gaps = frame(X[:400])
    with_gaps.iloc[[3, 10, 200], 1] = np.nan
    with_gaps.to_csv(data, index=False)
    result = CliRunner().invoke(main, ["fit", str(data), "--dim", "3", "--stream", "--nan", "drop", "--epochs", "1",
                                       "--holdout", "0", "-o", str(tmp_path / "m.aer")])
    assert result.exit_code == 0, result.output
    assert ("streamed 400 rows in 1 chunk of up to 10000 (3 of them left out of training for missing values); "
            "training error on a sample of") in result.stderr


@pytest.mark.parametrize("policy", ["zero", "drop", "mean"])
def test_the_means_a_model_remembers_are_of_the_present_values_streamed_or_not(tmp_path, rows, policy):
    """The means a later --nan mean fills with: under --nan zero they were of the zero-filled columns
    (in memory), under --nan drop of the rows kept; the streamed fit's differed from the in-memory one's."""
    from aereduce import load

    X = rows[0][:400].copy()
    X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    data = tmp_path / "gaps.csv"
    frame(X).to_csv(data, index=False)
    runner = CliRunner()
    for stream in ("--stream", "--no-stream"):
        out = tmp_path / f"m{stream}.aer"
        # --holdout 0: the streamed fit's first pass reads the training rows only
        result = runner.invoke(main, ["fit", str(data), "--dim", "3", "--nan", policy, stream, "--chunk-rows", "64",
                                      "--holdout", "0", "--epochs", "1", "-o", str(out)])
        assert result.exit_code == 0, result.output
        np.testing.assert_allclose(load(out).input_settings_["means"], np.nanmean(X, axis=0), rtol=1e-12)


def test_a_streamed_fit_as_wide_as_the_data_is_noted_not_held_against_exact_pca(tmp_path, rows):
    """At --dim = columns PCA is exact (1e-31): the streamed fit refused every trained model against it."""
    data = tmp_path / "d.csv"
    frame(rows[0][:500]).to_csv(data, index=False)
    for stream in ("--stream", "--no-stream"):
        result = CliRunner().invoke(main, ["fit", str(data), "--dim", str(N_FEATURES), "--tied", "--epochs", "1",
                                           stream, "-o", str(tmp_path / "m.aer")])
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith(f"--dim {N_FEATURES} is not below the {N_FEATURES} feature columns")
        assert "PCA-" not in result.stderr.splitlines()[-2]


def test_the_command_line_streams_on_request_and_above_the_size_threshold(tmp_path, rows, monkeypatch):
    X, X_test = rows
    data, out = tmp_path / "train.csv", tmp_path / "m.aer"
    frame(X).assign(id=np.arange(len(X))).to_csv(data, index=False)
    runner = CliRunner()
    result = runner.invoke(main, ["fit", str(data), "--dim", "3", "--stream", "--chunk-rows", "250", "--epochs", "10",
                                  "--id-column", "id", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "streamed 3000 rows in 12 chunks of up to 250; held-out error on" in result.stderr
    assert "fitted ae (3 dims) on" in result.stderr and "PCA-3" in result.stderr
    codes = tmp_path / "codes.csv"
    result = runner.invoke(main, ["transform", str(out), str(data), "-o", str(codes)])
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(codes).columns)[0] == "id"  # the model remembers the id column

    monkeypatch.setattr(streaming, "STREAM_ABOVE_BYTES", 0)
    result = runner.invoke(main, ["fit", str(data), "--dim", "2", "--epochs", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "the neighbour term (the default for 2-3-D maps) is off in a streamed fit" in result.stderr
    result = runner.invoke(main, ["fit", "-", "--dim", "2", "--stream", "-o", str(out)], input="a,b\n1,2\n")
    assert result.exit_code == 1
    assert result.stderr == ("Error: a streamed fit reads the data once per epoch, so it needs a file, not stdin; "
                             "save it to a file first\n")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # what <(...) names: checked before it is opened (opening a pipe would wait for a writer)
    result = runner.invoke(main, ["fit", str(fifo), "--dim", "2", "--stream", "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {fifo}: a streamed fit reads the data once per epoch, so it needs a file, "
                             "not a pipe; save it to a file first\n")


def test_a_streamed_fit_of_few_rows_does_not_blame_streaming_for_the_neighbour_term(tmp_path, rows):
    X, _ = rows
    data = tmp_path / "small.csv"
    frame(X[:300]).to_csv(data, index=False)  # under 1,000 rows the term is off in memory too
    events: list[str] = []
    streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=2, read=ReadOptions(),
                       params={"max_iter": 1}, chunk_rows=100, notify=events.append)
    assert not any("neighbour term" in note for note in events)


def test_a_streamed_fit_of_a_large_file_says_which_passes_precede_the_epochs(tmp_path, rows, monkeypatch):
    X, _ = rows
    data = tmp_path / "big.csv"
    frame(X[:300]).to_csv(data, index=False)
    events: list[str] = []
    monkeypatch.setattr(streaming, "LONG_PASS_BYTES", data.stat().st_size - 1)
    streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=2, read=ReadOptions(),
                       params={"max_iter": 1}, chunk_rows=100, notify=events.append)
    assert events[0] == (f"streaming {data} (0.0 GB): a pass for the columns' scales and missing values and one "
                         "for PCA's start come before the epochs, each reading the whole file")
    monkeypatch.setattr(streaming, "LONG_PASS_BYTES", data.stat().st_size)
    events.clear()
    streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=2, read=ReadOptions(),
                       params={"max_iter": 1}, chunk_rows=100, notify=events.append)
    assert not any(event.startswith("streaming") for event in events)


def test_a_streamed_fit_refuses_pretraining_in_the_command_lines_words(tmp_path, rows):
    X, _ = rows
    data = tmp_path / "t.csv"
    frame(X[:100]).to_csv(data, index=False)
    with pytest.raises(OptionError) as info:
        streaming.fit_file(str(data), str(tmp_path / "m.aer"), method="ae", dim=2, read=ReadOptions(),
                           params={"pretrain": True})
    assert str(info.value) == ("--pretrain trains layer by layer on the rows in memory, which a streamed fit does not "
                               "hold; leave out --pretrain, or fit in memory with --no-stream")
    assert not (tmp_path / "m.aer").exists()


def test_sparse_chunks_are_read_as_their_dense_values():
    import scipy.sparse as sp

    X = np.where(np.random.default_rng(0).random((300, 5)) < 0.6, 0.0, 1.5)
    streamed = [model(max_iter=2).fit_stream(chunks) for chunks in ([sp.csr_matrix(X[:150]), sp.csr_matrix(X[150:])],
                                                                     [X[:150], X[150:]])]
    np.testing.assert_array_equal(streamed[0].transform(X), streamed[1].transform(X))


def test_a_first_pass_read_again_samples_its_held_out_rows_again(tmp_path):
    """Review: when a later chunk overturns how the first read numbers like 60.804, the pass is read
    again (FileSource.settle), and the held-out rows sampled in it must be sampled again too, else
    the fit's error against PCA's is scored on rows read in the wrong units."""
    from aereduce.streaming import HeldOutSource

    from test_tables import sorted_prices

    source = FileSource(sorted_prices(tmp_path), read=ReadOptions(id_column="id"), chunk_rows=25)
    held = HeldOutSource(source, HashedRows(0.3, 7))
    found = scan(held, HashedRows(0.0, 1))
    X, rows = held.sample.rows_in_order()
    assert len(rows) and (X[:, 0] >= 400).all()  # prices, not 60.804
    assert source.lone_groups == {"price": True} and found.moments.minimum[0] >= 400


def test_a_source_that_refused_a_totals_row_refuses_it_again(tmp_path):
    """A review: the source marked its check done before refusing, so a second fit_stream trained on it."""
    from aereduce import AutoencoderTransformer
    from aereduce.errors import InputError
    from aereduce.streaming import FileSource

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, size=(60, 3))
    path = tmp_path / "t.csv"
    pd.DataFrame(np.vstack([X, X.sum(axis=0)]), columns=list("abc")).to_csv(path, index=False)
    source = FileSource(str(path), chunk_rows=20)
    for _ in range(2):
        with pytest.raises(InputError, match="row 62 holds the sums of the other rows in 3 of its 3 columns"):
            AutoencoderTransformer(n_components=2, max_iter=2, random_state=0).fit_stream(source)


def test_a_streamed_fit_says_the_map_is_off_only_where_memory_would_have_drawn_one(tmp_path):
    """A review: at --dim 3 of 3 columns, which is no map in memory either, it said to fit without --stream."""
    rng = np.random.default_rng(0)
    for n_columns, said in ((3, False), (4, True)):
        data = tmp_path / f"w{n_columns}.csv"
        pd.DataFrame(rng.normal(size=(1200, n_columns)), columns=list("abcd")[:n_columns]).to_csv(data, index=False)
        result = CliRunner().invoke(main, ["fit", str(data), "--dim", "3", "--stream", "--epochs", "1", "-o",
                                           str(tmp_path / "m.aer")])
        assert result.exit_code == 0, result.output
        assert ("the neighbour term (the default for 2-3-D maps) is off in a streamed fit" in result.stderr) is said


def test_fit_stream_on_a_file_warns_of_the_columns_it_leaves_out(tmp_path):
    """Trial 45: fit_stream("data.csv") fitted on the numeric columns alone, without a word of the
    text ones; the command line notes them itself (fit --stream), so it is not warned twice."""
    import warnings

    from click.testing import CliRunner

    from aereduce.cli import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    frame["species"] = rng.choice(["x", "y"], size=300)
    frame["when"] = "2020-01-01"
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ae = AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit_stream(path)
    assert list(ae.feature_names_in_) == list("abcd")
    assert [str(w.message) for w in caught if "left out" in str(w.message)] == [
        f"fit_stream left out 2 columns of {path} that do not hold numbers (species, when); feature_names_in_ "
        "names the 4 used, which transform reads"]
    with warnings.catch_warnings(record=True) as caught:  # nothing left out: no warning
        warnings.simplefilter("always")
        AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit_stream(
            [frame[list("abcd")].to_numpy()])
    assert not [w for w in caught if "left out" in str(w.message)]
    result = CliRunner().invoke(main, ["fit", str(path), "--dim", "2", "--stream", "--epochs", "1",
                                       "-o", str(tmp_path / "m.aer")])
    assert result.exit_code == 0, result.output
    assert "fit_stream left out" not in result.stderr


def test_fit_stream_on_a_path_with_missing_values_says_how_to_read_them(tmp_path):
    """Trial 52 was told to "pass nan='mean'", and fit_stream(path, nan='mean') raised TypeError."""
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=list("abc"))
    frame.loc[4, "b"] = np.nan
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ValueError) as caught:
        AutoencoderTransformer(n_components=2, max_iter=1).fit_stream(path)
    assert str(caught.value).endswith(f"; fill it, or give the file as FileSource({str(path)!r}, "
                                      "read=ReadOptions(nan='mean')) (or nan='drop' or 'zero'; from "
                                      "aereduce.streaming and aereduce.usecases)")
    from aereduce.streaming import FileSource
    from aereduce.usecases import ReadOptions

    model = AutoencoderTransformer(n_components=2, max_iter=1).fit_stream(FileSource(path, read=ReadOptions(nan="mean")))
    assert model.n_features_in_ == 3


def test_a_file_read_in_its_own_order_that_drifts_is_said_to_be_sorted(tmp_path, monkeypatch):
    """Trial 52: a CSV sorted by one column gave a streamed model 1.7x worse than the same rows shuffled,
    without a word; the first pass now measures how far chunk means move against shuffled rows', where
    the file holds more rows than the shuffle buffer mixes (here 1,000)."""
    import warnings

    monkeypatch.setattr(streaming, "BUFFER_BYTES", 4 * 4 * 1000)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(4000, 4)), columns=list("abcd"))
    frame.to_csv(tmp_path / "shuffled.csv", index=False)
    ordered = frame.sort_values("b")
    ordered.to_csv(tmp_path / "sorted.csv", index=False)
    ordered.to_parquet(tmp_path / "sorted.parquet")  # row groups read in a fresh order each pass: no note

    def drift_warnings(name):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit_stream(tmp_path / name, chunk_rows=500)
        return [str(w.message) for w in caught if "drifts" in str(w.message)]

    (said,) = drift_warnings("sorted.csv")
    assert said.startswith(f"fit_stream: column 'b' drifts through {tmp_path / 'sorted.csv'}: its mean moves ")
    assert said.endswith("shuffle the file's rows")
    assert drift_warnings("shuffled.csv") == [] and drift_warnings("sorted.parquet") == []
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "sorted.csv"), "--dim", "2", "--stream", "--epochs", "1",
                                       "--chunk-rows", "500", "-o", str(tmp_path / "m.aer")])
    assert result.exit_code == 0, result.output
    assert any(line.startswith(f"column 'b' drifts through {tmp_path / 'sorted.csv'}") for line in result.stderr.splitlines())
    # a sparse column's chunk means move more in any order: measured by its present values (a review)
    sparse = frame.copy()
    sparse.loc[rng.random(len(sparse)) < 0.995, "c"] = np.nan
    sparse.to_csv(tmp_path / "sparse.csv", index=False)
    from aereduce.usecases import ReadOptions

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit_stream(
            streaming.FileSource(tmp_path / "sparse.csv", read=ReadOptions(nan="mean"), chunk_rows=500))
    assert not [w for w in caught if "drifts" in str(w.message)]
    monkeypatch.undo()  # the default buffer holds all 3,600 training rows: shuffled whole each pass, no note
    assert drift_warnings("sorted.csv") == []
