"""Benchmarks of aereduce against PCA and UMAP: each module is run as ``python -m benchmarks.NAME``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run(main: Callable[[], int]) -> int:
    """A benchmark's entry point: an error of aereduce's (a dataset not found where --data-home
    says, and no network to fetch it) in its one line, not a traceback (trial 20)."""
    from aereduce.errors import AereduceError

    try:
        return main()
    except AereduceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def write_results(results: dict[str, Any], out: str, report: str, text: str) -> None:
    """Write a run's ``results`` as JSON to ``out`` and its Markdown ``text`` to ``report``, each
    atomically (an interrupted run leaves the last complete files), and print the Markdown."""
    from aereduce._files import atomic_output

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out) as tmp:
        Path(tmp).write_text(json.dumps(results, indent=2))
    with atomic_output(report) as tmp:
        Path(tmp).write_text(text)
    print(text)
