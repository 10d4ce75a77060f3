"""The ``.aer`` model file: a safetensors container, tensors plus JSON metadata.

Loading parses a length-prefixed JSON header and raw tensor bytes; nothing is
unpickled and no code runs. Every way a file can fail to be an aereduce model
becomes a :class:`ModelFileError` naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_output
from .errors import ModelFileError

FORMAT_NAME = "aereduce-model"
FORMAT_VERSION = 1


def write_model_file(path: str | os.PathLike, kind: str, tensors: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Write ``tensors`` and JSON-serialisable ``metadata`` atomically to ``path``."""
    from safetensors.numpy import save

    header = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION), "kind": kind}
    header.update({key: json.dumps(value) for key, value in metadata.items()})
    data = save({name: np.ascontiguousarray(array) for name, array in tensors.items()}, metadata=header)
    with atomic_output(path) as tmp:
        Path(tmp).write_bytes(data)


def read_model_file(path: str | os.PathLike, kinds: tuple[str, ...] | None = None) -> tuple[str, dict[str, np.ndarray], dict[str, Any]]:
    """Return ``(kind, tensors, metadata)`` from a model file, or raise :class:`ModelFileError`."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    name = os.fspath(path)
    try:
        raw = Path(name).read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{name}: no such model file") from None
    except OSError as exc:
        raise ModelFileError(f"{name}: cannot read the model file ({exc.strerror or exc})") from None
    if len(raw) < 8:
        raise ModelFileError(f"{name}: not an aereduce model file (too short to be a safetensors file)")
    try:
        header_len = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + header_len])
        meta = header.get("__metadata__") or {}
        tensors = load(raw)
    except (SafetensorError, ValueError, UnicodeDecodeError, AttributeError, OverflowError):
        raise ModelFileError(f"{name}: not an aereduce model file (not a valid safetensors container)") from None
    if meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{name}: not an aereduce model file (a safetensors file without aereduce metadata)")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise ModelFileError(
            f"{name}: model format version {meta.get('format_version')!r} is not supported by this "
            f"aereduce (version {FORMAT_VERSION}); upgrade aereduce"
        )
    kind = meta.get("kind")
    if kinds is not None and kind not in kinds:
        raise ModelFileError(f"{name}: holds a {kind!r} model, expected one of {', '.join(kinds)}")
    metadata: dict[str, Any] = {}
    for key, value in meta.items():
        if key in ("format", "format_version", "kind"):
            continue
        try:
            metadata[key] = json.loads(value)
        except json.JSONDecodeError:
            raise ModelFileError(f"{name}: corrupt model metadata field {key!r}") from None
    return kind, tensors, metadata
