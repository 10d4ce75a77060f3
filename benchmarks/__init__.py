"""Benchmarks of aereduce against PCA and UMAP: each module is run as ``python -m benchmarks.NAME``."""

from __future__ import annotations

import sys
from collections.abc import Callable


def run(main: Callable[[], int]) -> int:
    """A benchmark's entry point: an error of aereduce's (a dataset not found where --data-home
    says, and no network to fetch it) in its one line, not a traceback (trial 20)."""
    from aereduce.errors import AereduceError

    try:
        return main()
    except AereduceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
