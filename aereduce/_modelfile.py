"""The ``.aer`` model file: a safetensors container, tensors plus JSON metadata.

Loading trusts nothing in the file: it is checked to be a regular file of a sane size,
the length-prefixed JSON header is read and validated on its own (dtypes, shapes, offsets
within the file and not overlapping), a caller may check the declared shapes before any
tensor byte is read, the tensors and metadata are checked against the SHA-256 digest written
with them (a flipped bit in a weight changes no shape, so only a digest sees it), and the
tensors read are checked to be finite. Nothing is unpickled
and no code runs: the header is JSON and the tensors are raw little-endian numbers read
with NumPy. Every way a file can fail to be an aereduce model becomes one
:class:`ModelFileError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ._files import atomic_output
from .errors import ModelFileError, ModelFileNotFoundError

FORMAT_NAME = "aereduce-model"
FORMAT_VERSION = 1

MAX_MODEL_BYTES = 2 * 1024**3
"""Default largest model file read: far above any model aereduce trains, far below memory."""

MAX_HEADER_BYTES = 100 * 1000**2
"""Largest JSON header read (the safetensors library's own limit)."""

# The safetensors dtypes a model may hold, as little-endian NumPy dtypes. BF16 (no NumPy
# type), BOOL and the 8-bit floats are refused: aereduce never writes them.
DTYPES: dict[str, np.dtype] = {
    name: np.dtype(code)
    for name, code in {
        "F16": "<f2", "F32": "<f4", "F64": "<f8",
        "I8": "i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
        "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8",
    }.items()
}

_SHOWN_CHARS = 80
_MAX_NDIM = 32
_MAX_DIM = 2**31 - 1
DIGEST_KEY = "sha256"
"""Metadata field of the SHA-256 digest of the tensors and the other metadata (files written
before it have none, and are read without the check)."""
_RESERVED_KEYS = ("format", "format_version", "kind", DIGEST_KEY)
_TENSOR_FIELDS = {"dtype", "shape", "data_offsets"}

Shapes = dict[str, tuple[int, ...]]
Validator = Callable[[str, Shapes, dict[str, Any]], None]


@dataclass(frozen=True)
class _Tensor:
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int  # offsets from the start of the data section, as in the header
    end: int


def write_model_file(path: str | os.PathLike, kind: str, tensors: dict[str, np.ndarray], metadata: dict[str, Any],
                     *, inputs: Collection[str | os.PathLike] = ()) -> None:
    """Write ``tensors`` and JSON-serialisable ``metadata`` atomically to ``path``.

    Parameters
    ----------
    path : str or path-like
        The model file to write.
    kind : str
        The model kind (``"autoencoder"``, ``"pca"``), checked again on reading.
    tensors : dict of str to ndarray
        Named arrays.
    metadata : dict
        JSON-serialisable values, one JSON string per key in the safetensors metadata.
    inputs : collection of str or path-like, default=()
        Files being read; writing over one of them is refused (:class:`InputError`).
    """
    from safetensors.numpy import save

    header = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION), "kind": kind}
    header.update({key: json.dumps(value) for key, value in metadata.items()})
    arrays = {name: np.ascontiguousarray(array) for name, array in tensors.items()}
    header[DIGEST_KEY] = _digest(header, arrays)
    data = save(arrays, metadata=header)
    with atomic_output(path, inputs=tuple(inputs)) as tmp:
        Path(tmp).write_bytes(data)


def read_model_header(path: str | os.PathLike, kinds: Collection[str] | None = None, *,
                      max_bytes: int = MAX_MODEL_BYTES) -> tuple[str, Shapes, dict[str, Any]]:
    """Return ``(kind, shapes, metadata)`` of a model file without reading any tensor.

    A caller can compare the declared shapes with its configuration before building a
    network or reading megabytes of weights.

    Parameters
    ----------
    path : str or path-like
        The model file.
    kinds : collection of str, optional
        The model kinds accepted; any when None.
    max_bytes : int, default=2 GiB
        Larger files are refused unread.

    Returns
    -------
    kind : str
        The model kind.
    shapes : dict of str to tuple of int
        Each tensor's declared shape.
    metadata : dict
        The decoded metadata (without the format fields).

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, too large, or not a valid aereduce model file.
    """
    name = os.fspath(path)
    with _open_model(name, max_bytes) as (handle, size):
        kind, entries, metadata, _, _ = _read_header(name, handle, size, kinds)
    return kind, {key: entry.shape for key, entry in entries.items()}, metadata


def read_model_file(path: str | os.PathLike, kinds: Collection[str] | None = None, *,
                    validate: Validator | None = None,
                    max_bytes: int = MAX_MODEL_BYTES) -> tuple[str, dict[str, np.ndarray], dict[str, Any]]:
    """Return ``(kind, tensors, metadata)`` from a model file, or raise :class:`ModelFileError`.

    Parameters
    ----------
    path : str or path-like
        The model file.
    kinds : collection of str, optional
        The model kinds accepted; any when None.
    validate : callable, optional
        Called as ``validate(kind, shapes, metadata)`` once the header is checked and
        before any tensor byte is read; it raises :class:`ModelFileError` to refuse.
    max_bytes : int, default=2 GiB
        Larger files are refused unread.

    Returns
    -------
    kind : str
        The model kind.
    tensors : dict of str to ndarray
        The tensors, writable and aligned. Floating ones are finite; ``scaling.scale``,
        where present, is positive.
    metadata : dict
        The decoded metadata (without the format fields).

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, too large, not a valid aereduce model file, or
        holds NaN or infinite weights.
    """
    name = os.fspath(path)
    with _open_model(name, max_bytes) as (handle, size):
        kind, entries, metadata, data_start, fields = _read_header(name, handle, size, kinds)
        if validate is not None:
            validate(kind, {key: entry.shape for key, entry in entries.items()}, metadata)
        tensors = _read_tensors(name, handle, data_start, entries)
    _check_digest(name, fields, tensors)
    _check_values(name, tensors)
    return kind, tensors, metadata


class _open_model:
    """Open ``name`` for reading if it is a regular file of at most ``max_bytes``.

    The type is checked before opening (opening some devices has effects, and a FIFO would
    block) and again on the open descriptor (the path may have been swapped in between).
    """

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes = name, max_bytes
        self.handle: BinaryIO | None = None

    def __enter__(self) -> tuple[BinaryIO, int]:
        name = self.name
        try:
            _check_regular(name, os.stat(name), self.max_bytes)
            # O_NONBLOCK: should a FIFO be swapped in after the check, opening it must not hang.
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            raise ModelFileNotFoundError(f"{name}: no such model file; check the path") from None
        except OSError as exc:
            raise ModelFileError(f"{name}: cannot read the model file ({exc.strerror or exc})") from None
        try:
            st = os.fstat(fd)
            _check_regular(name, st, self.max_bytes)
        except BaseException:
            os.close(fd)
            raise
        self.handle = os.fdopen(fd, "rb")
        return self.handle, st.st_size

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self.handle is not None:
            self.handle.close()
        # A read error (a failing disk, a file on a vanished network share) is the file's fault too.
        if exc is not None and isinstance(exc, OSError):
            raise ModelFileError(f"{self.name}: cannot read the model file ({exc.strerror or exc})") from None


def _check_regular(name: str, st: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(f"{name}: is a folder, not a model file; give the path of an .aer file")
    if not stat.S_ISREG(st.st_mode):
        raise ModelFileError(f"{name}: is not a regular file (a device, FIFO or socket); give the path of an .aer file")
    if st.st_size > max_bytes:
        raise ModelFileError(f"{name}: the file is {st.st_size:,} bytes, over the {max_bytes:,}-byte limit for a model "
                             f"file; check it is an aereduce model (or raise max_bytes)")


def _read_exact(handle: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``handle``; return the number of bytes read (less at end of file)."""
    done = 0
    while done < len(view):
        got = handle.readinto(view[done:])
        if not got:
            break
        done += got
    return done


def _read_header(name: str, handle: BinaryIO, size: int,
                 kinds: Collection[str] | None) -> tuple[str, dict[str, _Tensor], dict[str, Any], int, dict[str, str]]:
    """Parse and check the header; return kind, tensor entries, metadata, the data offset and the
    metadata's strings as stored (which the digest covers)."""
    not_safetensors = f"{name}: not an aereduce model file"
    if size < 8:
        raise ModelFileError(f"{not_safetensors} (too short to be a safetensors file)")
    prefix = bytearray(8)
    if _read_exact(handle, memoryview(prefix)) < 8:
        raise ModelFileError(f"{name}: the model file is truncated (it shrank while being read)")
    header_len = int.from_bytes(prefix, "little")
    if header_len > MAX_HEADER_BYTES:
        # What nearly any file that is not safetensors at all gives; the wording is the CLI's contract.
        raise ModelFileError(f"{not_safetensors} (not a valid safetensors container)")
    if 8 + header_len > size:
        raise ModelFileError(f"{not_safetensors} or truncated (its header of {header_len:,} bytes is longer "
                             f"than the {size:,}-byte file)")
    raw = bytearray(header_len)
    if _read_exact(handle, memoryview(raw)) < header_len:
        raise ModelFileError(f"{name}: the model file is truncated (it shrank while being read)")
    try:
        # safetensors headers are UTF-8; json.loads on bytes would also guess UTF-16/32.
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # ValueError covers JSON and UTF-8 errors
        raise ModelFileError(f"{not_safetensors} (its header is not valid JSON)") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{not_safetensors} (its header is not a JSON object)")
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ModelFileError(f"{not_safetensors} (its __metadata__ is not a map of strings)")
    # The aereduce fields first: a foreign file is better told so than picked apart.
    if meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{not_safetensors} (a safetensors file without aereduce metadata); "
                             f"give a file saved by aereduce")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise ModelFileError(
            f"{name}: model format version {_quoted(meta.get('format_version'))} is not supported by this "
            f"aereduce (version {FORMAT_VERSION}); upgrade aereduce"
        )
    kind = meta.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ModelFileError(f"{name}: the model file does not say what kind of model it holds; it is corrupt")
    if kinds is not None and kind not in kinds:
        accepted = list(kinds)
        expected = accepted[0] if len(accepted) == 1 else f"one of {', '.join(accepted)}"
        raise ModelFileError(f"{name}: holds a model of kind {_quoted(kind)}, where {expected} is expected; "
                             f"give another model file")
    metadata: dict[str, Any] = {}
    for key, value in meta.items():
        if key in _RESERVED_KEYS:
            continue
        try:
            metadata[key] = json.loads(value)
        except (ValueError, RecursionError):
            raise ModelFileError(f"{name}: corrupt model metadata field {_quoted(key)}; the file is damaged") from None
    data_start = 8 + header_len
    entries = _check_entries(name, header, size - data_start)
    return kind, entries, metadata, data_start, meta


def _check_entries(name: str, header: dict[str, Any], data_size: int) -> dict[str, _Tensor]:
    """Check every tensor entry and that together they tile the data section exactly."""
    entries: dict[str, _Tensor] = {}
    for key, spec in header.items():
        bad = f"{name}: not a valid model file (tensor {_quoted(key)}"
        if not isinstance(spec, dict) or set(spec) != _TENSOR_FIELDS:
            raise ModelFileError(f"{bad} needs exactly dtype, shape and data_offsets)")
        dtype = DTYPES.get(spec["dtype"]) if isinstance(spec["dtype"], str) else None
        if dtype is None:
            raise ModelFileError(f"{bad} has dtype {_quoted(str(spec['dtype']))}, not one of {', '.join(DTYPES)})")
        shape, offsets = spec["shape"], spec["data_offsets"]
        # The bounds keep NumPy from failing on a zero-sized tensor with absurd other sides.
        if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
                or not all(_is_count(n) and n <= _MAX_DIM for n in shape)):
            raise ModelFileError(f"{bad} has a shape that is not a list of at most {_MAX_NDIM} "
                                 f"non-negative integers below 2**31)")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(n) for n in offsets):
            raise ModelFileError(f"{bad} has data_offsets that are not two non-negative integers)")
        begin, end = offsets
        if not begin <= end <= data_size:
            raise ModelFileError(f"{bad} has data_offsets {begin}..{end} outside the {data_size:,}-byte data section; "
                                 f"the file is truncated or damaged)")
        if math.prod(shape) * dtype.itemsize != end - begin:
            raise ModelFileError(f"{bad}: shape {shape} of {spec['dtype']} needs "
                                 f"{math.prod(shape) * dtype.itemsize:,} bytes, data_offsets give {end - begin:,})")
        entries[key] = _Tensor(dtype, tuple(shape), begin, end)
    # Tensors must not overlap, and as in the safetensors library they must cover the data
    # section with no gap and nothing after it: bytes that no tensor accounts for mean damage.
    position = 0
    for key, entry in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin < position:
            raise ModelFileError(f"{name}: not a valid model file (tensor {_quoted(key)} overlaps another)")
        if entry.begin > position:
            raise ModelFileError(f"{name}: not a valid model file (a gap of unaccounted bytes before tensor "
                                 f"{_quoted(key)})")
        position = entry.end
    if position != data_size:
        raise ModelFileError(f"{name}: not a valid model file ({data_size - position:,} bytes after the last tensor); "
                             f"the file is damaged")
    return entries


def _quoted(value: Any) -> str:
    """A name read from the file, fit for a one-line message: repr escapes newlines, and it is cut short."""
    if not isinstance(value, str):
        return repr(value)
    return repr(value[:_SHOWN_CHARS]) + ("..." if len(value) > _SHOWN_CHARS else "")


def _is_count(value: Any) -> bool:
    # bool is an int in Python, but "true" is no size.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_tensors(name: str, handle: BinaryIO, data_start: int, entries: dict[str, _Tensor]) -> dict[str, np.ndarray]:
    """Read each tensor into its own aligned, writable array."""
    tensors: dict[str, np.ndarray] = {}
    for key, entry in entries.items():
        array = np.empty(entry.shape, dtype=entry.dtype)
        handle.seek(data_start + entry.begin)
        if _read_exact(handle, memoryview(array.reshape(-1).view(np.uint8))) < entry.end - entry.begin:
            raise ModelFileError(f"{name}: the model file is truncated (it shrank while being read)")
        # Native byte order, so torch.from_numpy and friends accept the arrays as they are.
        tensors[key] = array.astype(array.dtype.newbyteorder("="), copy=False)
    return tensors


def _digest(fields: dict[str, str], tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 of the metadata strings (but the digest) and of each tensor's name, dtype, shape
    and little-endian bytes, in name order: what the file holds, however it is laid out."""
    digest = hashlib.sha256()
    digest.update(json.dumps(sorted((k, v) for k, v in fields.items() if k != DIGEST_KEY)).encode("utf-8"))
    for key in sorted(tensors):
        array = tensors[key]
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        digest.update(json.dumps([key, little.dtype.str, list(array.shape)]).encode("utf-8"))
        digest.update(np.ascontiguousarray(little).reshape(-1).view(np.uint8).data)
    return digest.hexdigest()


def _check_digest(name: str, fields: dict[str, str], tensors: dict[str, np.ndarray]) -> None:
    """Refuse a file whose bytes changed after it was written (absent digest: an older file)."""
    saved = fields.get(DIGEST_KEY)
    if saved is not None and _digest(fields, tensors) != saved:
        raise ModelFileError(f"{name}: its weights or settings do not match the checksum saved with them; the model "
                             f"file is damaged, save the model again")


def _check_values(name: str, tensors: dict[str, np.ndarray]) -> None:
    """Refuse NaN or infinite weights and a scale that would divide by zero or flip signs."""
    scale = tensors.get("scaling.scale")
    if scale is not None and not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise ModelFileError(f"{name}: scaling.scale holds a zero, negative, NaN or infinite value; "
                             f"the model file is damaged, save the model again")
    for key, array in tensors.items():
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            shown = key if key.isprintable() and len(key) <= _SHOWN_CHARS else _quoted(key)
            raise ModelFileError(f"{name}: {shown} holds NaN or inf; the model file is damaged, save the model again")
