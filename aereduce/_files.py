"""Atomic output: write to a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path; on success rename it to ``path``, on failure remove it.

    A reader never sees a half-written file, and a failed write leaves nothing behind.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(path: str | os.PathLike, *, inputs: "list[str | os.PathLike]" = ()) -> None:
    """Checks that can be made before long work: the folder exists, the output is not an input."""
    from .errors import InputError

    if str(path) == "-":
        return
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{path}: the folder {str(parent)!r} does not exist; create it or choose another -o")
    if target.is_dir():
        raise InputError(f"{path}: is a folder; give a file name to -o")
    for source in inputs:
        if str(source) != "-" and target.exists() and Path(source).exists() and os.path.samefile(target, source):
            raise InputError(f"{path}: the output is the same file as the input {source}; choose another -o")
