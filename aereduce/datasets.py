"""MNIST and Fashion-MNIST: IDX reading, checksummed download and a local cache.

``load_mnist()`` and ``load_fashion_mnist()`` look for the four canonical files in
``data_home/NAME`` (as scikit-learn's ``data_home`` holds one folder per dataset; a ``data_home``
that holds the files itself is read as it is), else ``$AEREDUCE_DATA/NAME``, else
``~/.cache/aereduce/NAME``, download
any that are missing, verify every file against the published checksum of its
decompressed IDX bytes, and return ``(X_train, y_train), (X_test, y_test)``. A file may
also be there unzipped (``train-images-idx3-ubyte``, as ``gunzip`` leaves it).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ._files import atomic_output
from .errors import DatasetError

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

# sha256 of each decompressed IDX file: true of the canonical downloads and of re-made gzip copies.
CHECKSUMS = {
    "mnist": dict(zip(FILES, (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ))),
    "fashion-mnist": dict(zip(FILES, (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ))),
}

# Which file of which dataset a checksum is: a folder of the other dataset's files is named as such
# (trial 24 was told to delete MNIST's good files when it pointed fashion-mnist at their folder).
KNOWN_FILES = {digest: (name, filename) for name, sums in CHECKSUMS.items() for filename, digest in sums.items()}
SPLIT_FILES = {"train": FILES[:2], "test": FILES[2:]}

MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into an array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DatasetError(f"{name}: not an IDX file (bad magic number)")
    n_dims = data[3]
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise DatasetError(f"{name}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise DatasetError(f"{name}: truncated or padded IDX file ({len(data)} bytes, expected {expected})")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file, gzipped or not; with ``sha256``, verify the decompressed bytes first."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: corrupt or truncated gzip file ({exc}); delete it and fetch it again") from None
    digest = None if sha256 is None else hashlib.sha256(data).hexdigest()
    if digest is not None and digest != sha256:
        if digest in KNOWN_FILES:
            dataset, filename = KNOWN_FILES[digest]
            wanted = KNOWN_FILES.get(sha256, ("another dataset", ""))[0]
            raise DatasetError(f"{path}: this is {dataset}'s {filename}, not {wanted}'s; give the data home that "
                               f"holds {wanted}'s files")
        raise DatasetError(f"{path}: checksum mismatch (corrupt or not the canonical file); delete it and fetch it again")
    return parse_idx(data, str(path))


def default_data_home(name: str) -> Path:
    """``$AEREDUCE_DATA/NAME``, else ``$XDG_CACHE_HOME/aereduce/NAME``, else ``~/.cache/aereduce/NAME``."""
    root = os.environ.get("AEREDUCE_DATA")
    if root:
        return Path(root).expanduser() / name
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "aereduce" / name


def local_file(folder: Path, filename: str) -> Path | None:
    """``folder``'s copy of one of the FILES, as downloaded (gzipped) or unzipped (the name without
    ``.gz``), or None."""
    for candidate in (folder / filename, folder / filename.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def dataset_folder(name: str, data_home: str | os.PathLike | None) -> Path:
    """Where dataset ``name``'s files are, or go: ``data_home/NAME`` (the benchmarks' and scikit-learn's
    meaning: one folder per dataset), or ``data_home`` itself when it holds the dataset's files (a user
    pointed it at the dataset's own folder; trial 13 was sent to the network from the parent)."""
    if data_home is None:
        return default_data_home(name)
    root = Path(data_home).expanduser()
    if root.exists() and not root.is_dir():  # trial 24 got "[Errno 20] Not a directory: 'mnist3k.csv/mnist'"
        raise DatasetError(f"{root}: not a folder; the data home is the folder that holds {name}/ "
                           f"(or {name}'s IDX files)")
    if not (root / name).is_dir() and any(local_file(root, filename) for filename in FILES):
        return root
    return root / name


def _download(url: str, dest: Path, sha256: str, progress: Callable[[int, int], None] | None) -> None:
    """Download ``url`` to ``dest``, verified against ``sha256`` before it is renamed into place,
    so that no reader ever sees an unverified file."""
    with urllib.request.urlopen(url, timeout=60) as response, atomic_output(dest) as tmp:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        with open(tmp, "wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        try:
            read_idx(tmp, sha256)
        except DatasetError:
            raise DatasetError("the download is corrupt or not the canonical file (checksum mismatch)") from None


def fetch(name: str, data_home: str | os.PathLike | None = None, *, download: bool = True,
          progress: Callable[[str, int, int], None] | None = None, files: tuple[str, ...] = FILES) -> Path:
    """Make sure ``files`` (default: all four) of dataset ``name`` are in its folder
    (:func:`dataset_folder`), downloading those that are not; return the folder."""
    if name not in CHECKSUMS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(CHECKSUMS)}")
    folder = dataset_folder(name, data_home)
    for filename in files:
        path = folder / filename
        if local_file(folder, filename):
            continue
        if not download:
            raise DatasetError(f"{path}: no such file; fetch it with `aereduce datasets fetch {name}` or pass download=True")
        created = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
        folder.mkdir(parents=True, exist_ok=True)
        errors = []
        for mirror in MIRRORS[name]:
            try:
                _download(mirror + filename, path, CHECKSUMS[name][filename],
                          None if progress is None else lambda d, t: progress(filename, d, t))
                break
            except (OSError, DatasetError, http.client.HTTPException) as exc:  # IncompleteRead is no OSError
                errors.append(f"{mirror}: {exc or type(exc).__name__}")
        else:
            for made in created:  # leave no empty folders behind a failed download (trial 20)
                try:
                    made.rmdir()
                except OSError:
                    break
            # Trial 24 was told only of the network for a mistyped folder: name the folder looked in.
            raise DatasetError(f"{folder} has no {filename} of {name}, and downloading it failed ("
                               + "; ".join(errors) + f"); put {name}'s IDX files there (gzipped or not), or give "
                               "the folder that holds them as the data home (--data-home; data_home= in Python)")
    return folder


def read_verified(name: str, folder: Path, filename: str) -> np.ndarray:
    """Dataset ``name``'s file ``filename`` in ``folder`` (gzipped or not), checked against its checksum."""
    return read_idx(local_file(folder, filename) or folder / filename, CHECKSUMS[name][filename])


def _split_arrays(name: str, folder: Path, split: str, as_float: bool) -> tuple[np.ndarray, np.ndarray]:
    images, labels = (read_verified(name, folder, filename) for filename in SPLIT_FILES[split])
    X = images.reshape(len(images), -1)
    return (X.astype(np.float32) / 255.0 if as_float else X), labels.astype(np.int64)


def load_split(name: str, split: str, data_home: str | os.PathLike | None = None, *, download: bool = True,
               as_float: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of one split (``"train"`` or ``"test"``) of an MNIST-layout dataset, from its two
    files only. Images come as rows of 784 pixels, float32 in [0, 1] (or uint8 with ``as_float=False``)."""
    folder = fetch(name, data_home, download=download, files=SPLIT_FILES[split])
    return _split_arrays(name, folder, split, as_float)


def load_idx_dataset(name: str, data_home: str | os.PathLike | None = None, *, download: bool = True,
                     as_float: bool = True) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(X_train, y_train), (X_test, y_test)`` of an MNIST-layout dataset (see :func:`load_split`)."""
    folder = fetch(name, data_home, download=download)  # all four files present (or fetched) before any is read
    return _split_arrays(name, folder, "train", as_float), _split_arrays(name, folder, "test", as_float)


def load_mnist(data_home: str | os.PathLike | None = None, *, download: bool = True, as_float: bool = True):
    """MNIST digits: ``(X_train, y_train), (X_test, y_test)``, 60,000 and 10,000 rows of 784 pixels.

    Examples
    --------
    >>> (X_train, y_train), (X_test, y_test) = load_mnist("../shared/data/mnist")  # doctest: +SKIP
    """
    return load_idx_dataset("mnist", data_home, download=download, as_float=as_float)


def load_fashion_mnist(data_home: str | os.PathLike | None = None, *, download: bool = True, as_float: bool = True):
    """Fashion-MNIST (Zalando): the same layout as :func:`load_mnist`."""
    return load_idx_dataset("fashion-mnist", data_home, download=download, as_float=as_float)


LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
