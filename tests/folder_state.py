"""What a folder holds, to check that a refused or failed command changed nothing in it."""

import os
import stat
from pathlib import Path


def listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder`` with its content (or link target), to compare before and after."""
    out: dict[str, bytes | str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            out[entry.name] = "-> " + os.readlink(entry)
        elif entry.is_file():
            out[entry.name] = entry.read_bytes()
        else:
            out[entry.name] = "<" + stat.filemode(entry.lstat().st_mode) + ">"
    return out
