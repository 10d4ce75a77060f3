"""Atomic output: write to a temporary file beside the target, then rename it into place.

The rules (issue 9, "never overwrite what it should not"):

* an output that is the same file as an input is refused before anything is written;
* the checks that can fail early (folder missing or read-only, a folder as output) are
  in :func:`check_output`, which a caller runs before long work such as training;
* a device or a FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is written directly
  and never replaced by a regular file;
* a symlink is written through: its target is replaced and the link stays a link;
* temporary files carry the writer's pid, so a later write removes those left by a
  killed process, and SIGTERM/SIGHUP during a write leave nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import OutputPathError

PathArg = str | os.PathLike

# Temporary files are ``.{name}.aereduce-{pid}-{random}.tmp``: hidden, recognisably ours,
# and tied to the process that writes them so a stale one can be told from a live one.
_TEMP_TAG = ".aereduce-"
_TEMP_SUFFIX = ".tmp"
# mkstemp's random part is drawn from lowercase letters, digits and "_": no "-" and no ".".
_RANDOM_PART = r"[a-z0-9_]+"
# Leave room for the tag, pid and random part within the usual 255-byte name limit.
_MAX_NAME_BYTES = 200


def one_of(suffixes: Sequence[str]) -> str:
    """``.png, .svg or .pdf``: the suffixes a file may end in, for a message."""
    return f"{', '.join(suffixes[:-1])}{' or ' if len(suffixes) > 1 else ''}{suffixes[-1]}"


def check_file_output(path: PathArg, what: str, suffixes: Sequence[str], *, inputs: Sequence[PathArg] = (),
                      option: str = "-o") -> None:
    """:func:`check_output` for a command that writes one kind of file (an image, a page), which
    stdout cannot stand in for: ``path`` must be a file name ending in one of ``suffixes``.
    ``option``: the command line's name for the output (trial 35: `compare --plot x.jpg` was told of -o)."""
    name = os.fspath(path)
    try:
        if name == "-" or os.path.splitext(name)[1].lower() not in suffixes:
            # "-: ..." would read as stdin's, and "not stdout: ..." read garbled (trial 41)
            where = f"{{-o}} -: stdout cannot take {what}" if name == "-" else f"{name}: the output is {what}"
            raise OutputPathError(f"{where}; give {{-o}} a file name ending in "
                                  f"{one_of(suffixes)}")
        check_output(path, inputs=inputs)
    except OutputPathError as exc:
        raise exc.naming(option) from None


def check_output(path: PathArg, *, inputs: Sequence[PathArg] = ()) -> None:
    """Raise :class:`~aereduce.errors.OutputPathError` if ``path`` cannot be written as an output file.

    Run it before long work (training), so a bad ``-o`` fails at once rather than after.
    ``-`` (stdout) always passes. A device or FIFO need only be writable: writing to one
    replaces no file, and ``/dev/stdin`` and ``/dev/stdout`` may well be the same terminal.

    Parameters
    ----------
    path : str or path-like
        The output file.
    inputs : sequence of str or path-like, default=()
        Files the command reads; the output must be none of them. ``-`` never matches.

    Raises
    ------
    OutputPathError
        The output is the same file as an input, is a folder, or its folder does not
        exist or cannot be written to.
    """
    name = os.fspath(path)
    if name == "-":
        return
    if not name:  # '' would resolve to the working folder, and the write fail on it half-way
        raise OutputPathError("the output's name is empty; give {-o} a file name")
    try:
        st = os.stat(name)  # follows symlinks: what matters is what gets written
    except (FileNotFoundError, NotADirectoryError):
        st = None  # a new file, a symlink whose target is still to be made, or a bad folder (below)
    except OSError as exc:
        raise OutputPathError(f"{name}: cannot use it as the output ({exc.strerror or exc}); choose another output ({{-o}})") from None
    if (st is not None and stat.S_ISDIR(st.st_mode)) or name.endswith(("/", os.sep)):
        raise OutputPathError(f"{name}: is a folder, not a file; give {{-o}} a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _check_special_output(name, st)
        return
    _check_not_an_input(name, inputs)
    folder = Path(os.path.realpath(name)).parent
    # Name the folder as the user wrote it, unless a symlink leads elsewhere.
    shown = str(folder if os.path.islink(name) else Path(name).parent)
    if not folder.exists():
        raise OutputPathError(f"{name}: the folder {shown!r} does not exist; create it or choose another output ({{-o}})")
    if not folder.is_dir():
        raise OutputPathError(f"{name}: {shown!r} is not a folder; choose another output ({{-o}})")
    # Replacing the file takes write and search permission on the folder, not on the file.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{name}: the folder {shown!r} is not writable; choose another output ({{-o}})")


@contextlib.contextmanager
def atomic_output(path: PathArg, *, inputs: Sequence[PathArg] = ()) -> Iterator[str]:
    """Yield a path to write to; on success it becomes ``path``, on failure nothing is left.

    For a regular file (or a new one) the yielded path is a temporary file beside the
    target, renamed over it when the ``with`` block ends without an exception, so a reader
    never sees a half-written file. For a device or a FIFO the yielded path is ``path``
    itself: it is written directly and never replaced.

    Parameters
    ----------
    path : str or path-like
        The output file. A symlink is written through (its target is replaced).
    inputs : sequence of str or path-like, default=()
        Files being read; writing over one of them is refused before anything is written.

    Yields
    ------
    tmp : str
        Where to write.

    Raises
    ------
    OutputPathError
        From :func:`check_output`.
    """
    name = os.fspath(path)
    check_output(name, inputs=inputs)
    if _is_special(name):
        yield name
        return
    target = Path(os.path.realpath(name))  # through any symlink, so the link itself is kept
    clean_stale_temp_files(target.parent, target.name)
    # The handlers go in before the temporary file exists, so no signal can orphan it.
    with _signals_raise():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"{_temp_stem(target.name)}{os.getpid()}-", suffix=_TEMP_SUFFIX,
                                       dir=target.parent)
        except OSError as exc:
            raise OutputPathError(f"{name}: cannot create a file in {str(target.parent)!r} "
                                  f"({exc.strerror or exc}); choose another output ({{-o}})") from None
        try:
            os.close(fd)
            yield tmp
            os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual mode
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def clean_stale_temp_files(folder: PathArg, name: str) -> list[Path]:
    """Remove temporary files for ``name`` in ``folder`` left by processes no longer alive.

    Only files of this module's own pattern, ``.{name}.aereduce-{pid}-{random}.tmp``, are
    touched, and only when no process ``pid`` exists (a writer killed by SIGKILL). Files of
    this process are kept: another thread may be writing them.

    Parameters
    ----------
    folder : str or path-like
        The target's folder.
    name : str
        The target's file name.

    Returns
    -------
    removed : list of Path
        The files removed.
    """
    removed: list[Path] = []
    # os.kill(pid, 0) only probes on POSIX; on Windows it would terminate the process.
    if os.name != "posix":
        return removed
    pattern = re.compile(re.escape(_temp_stem(name)) + r"(\d+)-" + _RANDOM_PART + re.escape(_TEMP_SUFFIX))
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed  # cleaning is a courtesy; the write itself reports real problems
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _temp_stem(name: str) -> str:
    """``.{name}.aereduce-``: the part of a temporary name before the pid."""
    while len(os.fsencode(name)) > _MAX_NAME_BYTES:
        name = name[:-1]
    return f".{name}{_TEMP_TAG}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return True  # 0 and negatives address process groups: never a dead writer
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or an odd number: keep the file
    return True


def _is_special(name: str) -> bool:
    """True for an existing non-regular file (device, FIFO), symlinks followed."""
    try:
        return not stat.S_ISREG(os.stat(name).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def _check_special_output(name: str, st: os.stat_result) -> None:
    if stat.S_ISSOCK(st.st_mode):
        raise OutputPathError(f"{name}: is a socket, which cannot be written as a file; choose another output ({{-o}})")
    if not os.access(name, os.W_OK):
        raise OutputPathError(f"{name}: is not writable; choose another output ({{-o}})")


def _check_not_an_input(name: str, inputs: Sequence[PathArg]) -> None:
    resolved = os.path.realpath(name)
    for source in inputs:
        source_name = os.fspath(source)
        if source_name == "-":
            continue
        same = os.path.realpath(source_name) == resolved
        if not same:
            # samefile also catches hard links, which resolve to different paths.
            with contextlib.suppress(OSError):
                same = os.path.samefile(source_name, name)
        if same:
            raise OutputPathError(f"{name}: the output is the same file as the input {source_name}; choose another output ({{-o}})")


# Termination signals become exceptions while a temporary file exists, so the cleanup in
# atomic_output runs. The handler is installed by the outermost writer and restored by the
# last one out, which also copes with writers that do not end in the order they began.
_TERMINATION_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))
_signal_lock = threading.Lock()
_signal_depth = 0
_saved_handlers: dict[int, Any] = {}


# The last termination signal _raise_exit turned into an exception, for interruption().
_last_signal: int | None = None


def _raise_exit(signum: int, frame: Any) -> None:
    global _last_signal
    _last_signal = signum
    # 128 + signal number is the shell's exit status for a process killed by that signal.
    raise SystemExit(128 + signum)


def interruption() -> BaseException:
    """The exception a signal raised where a caller lost it (pandas' C parser reports an exception
    raised as its read() call returns as its own error, keeping no trace of it): the SystemExit of
    the last termination signal taken over here, else Ctrl-C's KeyboardInterrupt."""
    return KeyboardInterrupt() if _last_signal is None else SystemExit(128 + _last_signal)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM, SIGHUP (and SIGINT) raise ``SystemExit(128 + signum)``.

    Only signals left at their default (which would kill the process without cleanup) are
    taken over: an ignored signal stays ignored and a program's own handler stays in
    charge. Python's own SIGINT handler already raises KeyboardInterrupt, so SIGINT is
    taken over only where someone reset it to the default. Python only lets the main thread set
    handlers, so elsewhere this does nothing.
    """
    global _signal_depth, _last_signal
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _signal_lock:
        if _signal_depth == 0:
            for signum in _TERMINATION_SIGNALS:
                if signal.getsignal(signum) == signal.SIG_DFL:
                    _saved_handlers[signum] = signal.signal(signum, _raise_exit)
        _signal_depth += 1
    try:
        yield
    finally:
        with _signal_lock:
            _signal_depth -= 1
            if _signal_depth == 0:
                for signum, previous in _saved_handlers.items():
                    signal.signal(signum, previous)
                _saved_handlers.clear()
                _last_signal = None  # a later Ctrl-C in a long-lived process is Ctrl-C's, not this signal's


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
