"""IDX reading, checksums and the offline folder; tiny files made here, no network."""

import gzip
import hashlib
import http.client
import io

import numpy as np
import pytest

from aereduce import datasets
from aereduce.datasets import DatasetError, load_mnist, parse_idx, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape) + array.tobytes()


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(5, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, size=(2, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.array([7, 9], dtype=np.uint8),
    }
    sums = {}
    for name, array in arrays.items():
        raw = idx_bytes(array)
        (tmp_path / name).write_bytes(gzip.compress(raw))
        sums[name] = hashlib.sha256(raw).hexdigest()
    monkeypatch.setitem(datasets.CHECKSUMS, "mnist", sums)
    return tmp_path, arrays


def test_loads_a_local_folder_offline(folder):
    path, arrays = folder
    (X_train, y_train), (X_test, y_test) = load_mnist(path, download=False)
    assert X_train.shape == (5, 784) and X_train.dtype == np.float32
    np.testing.assert_allclose(X_train * 255, arrays["train-images-idx3-ubyte.gz"].reshape(5, -1), atol=1e-4)
    assert y_test.tolist() == [7, 9]


def test_truncated_file_is_refused_by_name(folder):
    path, _ = folder
    target = path / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-20])
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist(path, download=False)


def test_checksum_mismatch_is_refused(folder):
    path, arrays = folder
    wrong = arrays["train-labels-idx1-ubyte.gz"][::-1].copy()
    (path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(wrong)))
    with pytest.raises(DatasetError, match="checksum mismatch"):
        load_mnist(path, download=False)


def test_missing_file_without_download_says_how_to_fetch(folder):
    path, _ = folder
    (path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="aereduce datasets fetch mnist"):
        load_mnist(path, download=False)


def test_parse_idx_checks_magic_and_length():
    good = idx_bytes(np.zeros((2, 3), dtype=np.uint8))
    assert parse_idx(good).shape == (2, 3)
    with pytest.raises(DatasetError, match="magic"):
        parse_idx(b"\x01\x02\x03\x04" + good[4:])
    with pytest.raises(DatasetError, match="truncated"):
        parse_idx(good[:-1])


def test_reads_uncompressed_idx(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3)))
    assert read_idx(path).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AEREDUCE_DATA", str(tmp_path))
    assert datasets.default_data_home("mnist") == tmp_path / "mnist"
    monkeypatch.delenv("AEREDUCE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert datasets.default_data_home("fashion-mnist") == tmp_path / "c" / "aereduce" / "fashion-mnist"


class FakeResponse(io.BytesIO):
    """urlopen's response, serving ``data`` (then ``fail``, when given, instead of the end)."""

    def __init__(self, data: bytes, fail: BaseException | None = None):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}
        self.fail = fail

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        if not chunk and self.fail is not None:
            raise self.fail
        return chunk


def test_download_is_verified_and_cached(folder, tmp_path, monkeypatch):
    """The download path, with the network replaced by the local files."""
    source, _ = folder
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return FakeResponse((source / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(datasets.urllib.request, "urlopen", fake_urlopen)
    cache = tmp_path / "cache"
    load_mnist(cache)
    assert len(calls) == 4 and sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(datasets.FILES)
    load_mnist(cache)
    assert len(calls) == 4  # reused, not downloaded again


@pytest.mark.parametrize("served, fail, why", [
    (b"not the file", None, "the download is corrupt or not the canonical file (checksum mismatch)"),
    (b"\x1f\x8b", http.client.IncompleteRead(b"\x1f\x8b", 100), "IncompleteRead(2 bytes read, 100 more expected)"),
])
def test_a_bad_download_is_refused_and_leaves_no_file(tmp_path, monkeypatch, served, fail, why):
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: FakeResponse(served, fail))
    with pytest.raises(datasets.DatasetError) as error:
        datasets.fetch("fashion-mnist", tmp_path / "nowhere")
    mirror = datasets.MIRRORS["fashion-mnist"][0]
    # the folder looked in is named (trial 24 was told only of the network for a mistyped folder)
    assert str(error.value) == (f"{tmp_path / 'nowhere' / 'fashion-mnist'} has no train-images-idx3-ubyte.gz of "
                                f"fashion-mnist, and downloading it failed ({mirror}: {why}); put fashion-mnist's IDX "
                                "files there (gzipped or not), or give the folder that holds them as the data home "
                                "(--data-home; data_home= in Python)")
    assert list(tmp_path.rglob("*")) == []  # nothing unverified, not even for a moment; no empty folders (trial 20)


def test_data_home_holds_one_folder_per_dataset_or_the_files_themselves(folder, tmp_path, monkeypatch):
    """Trial 13: `datasets export mnist --data-home ../shared/data` (the benchmarks' meaning: one
    folder per dataset) went to the network; the dataset's own folder still works too."""
    source, arrays = folder
    root = tmp_path / "root"
    (root / "mnist").mkdir(parents=True)
    for name in datasets.FILES:
        (root / "mnist" / name).write_bytes((source / name).read_bytes())

    def offline(url, timeout):
        raise AssertionError(f"went to the network for {url}")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    for data_home in (root, root / "mnist", source):
        (X, y), _ = load_mnist(data_home)
        assert y.tolist() == arrays["train-labels-idx1-ubyte.gz"].tolist()
    assert datasets.dataset_folder("mnist", root) == root / "mnist"
    assert datasets.dataset_folder("fashion-mnist", root) == root / "fashion-mnist"  # where a download would go


def _offline(monkeypatch):
    def offline(url, timeout):
        raise AssertionError(f"went to the network for {url}")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)


def test_unzipped_files_are_read_as_they_are(folder, monkeypatch):
    """Trial 24 gunzipped the files, the usual layout, and was sent to the network."""
    source, arrays = folder
    for name in datasets.FILES:
        (source / name.removesuffix(".gz")).write_bytes(gzip.decompress((source / name).read_bytes()))
        (source / name).unlink()
    _offline(monkeypatch)
    (X, y), (_, y_test) = load_mnist(source)
    assert y.tolist() == arrays["train-labels-idx1-ubyte.gz"].tolist() and y_test.tolist() == [7, 9]


def test_one_split_needs_only_its_own_files(folder, monkeypatch):
    source, arrays = folder
    for name in datasets.SPLIT_FILES["test"]:
        (source / name).unlink()
    _offline(monkeypatch)
    X, y = datasets.load_split("mnist", "train", source)
    assert X.shape == (5, 784) and y.tolist() == arrays["train-labels-idx1-ubyte.gz"].tolist()


def test_a_file_given_as_the_data_home_is_named(tmp_path):
    not_a_folder = tmp_path / "codes.csv"
    not_a_folder.write_text("a\n1\n")
    with pytest.raises(DatasetError) as error:
        load_mnist(not_a_folder)
    assert str(error.value) == f"{not_a_folder}: not a folder; the data home is the folder that holds mnist/ (or mnist's IDX files)"


def test_another_datasets_files_are_named_not_called_corrupt(folder, monkeypatch):
    """Trial 24 pointed fashion-mnist at MNIST's folder and was told to delete a good file."""
    source, _ = folder
    monkeypatch.setitem(datasets.KNOWN_FILES, datasets.CHECKSUMS["mnist"]["train-images-idx3-ubyte.gz"],
                        ("mnist", "train-images-idx3-ubyte.gz"))
    with pytest.raises(DatasetError) as error:
        datasets.load_fashion_mnist(source, download=False)
    message = str(error.value)
    assert message == (f"{source / 'train-images-idx3-ubyte.gz'}: this is mnist's train-images-idx3-ubyte.gz, "
                       "not fashion-mnist's; give the data home that holds fashion-mnist's files")
