"""Atomic output never overwrites what it should not and never leaves a file behind (issue 9)."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import aereduce
from aereduce import _files
from aereduce._files import atomic_output, check_output, clean_stale_temp_files
from aereduce.errors import OutputPathError
from folder_state import listing

ROOT = Path(aereduce.__file__).resolve().parent.parent
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file types and signals")



def refused(path, match: str, *, inputs=(), folder: Path) -> None:
    """atomic_output and check_output both raise exactly OutputPathError, one line, and change
    nothing; the message, written for the command line, names no -o option in Python."""
    before = listing(folder)
    with pytest.raises(OutputPathError) as info:
        check_output(path, inputs=inputs)
    assert info.type is OutputPathError and match in info.value.cli_message and "\n" not in str(info.value)
    assert match.replace(" (-o)", "") in str(info.value) and "(-o)" not in str(info.value)
    body_ran = False
    with pytest.raises(OutputPathError) as info:
        with atomic_output(path, inputs=inputs) as tmp:
            body_ran = True
            Path(tmp).write_text("clobbered")
    assert info.type is OutputPathError and match in info.value.cli_message
    assert not body_ran
    assert listing(folder) == before


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- the ordinary case -----------------------------------------------------------------------


def test_writes_atomically_with_the_usual_mode(tmp_path):
    target = tmp_path / "out.csv"
    with atomic_output(target) as tmp:
        assert Path(tmp).parent == tmp_path
        assert Path(tmp).name.startswith(f".out.csv.aereduce-{os.getpid()}-") and tmp.endswith(".tmp")
        Path(tmp).write_text("a,b\n")
        assert not target.exists()  # nobody sees a half-written file
    assert target.read_text() == "a,b\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert listing(tmp_path) == {"out.csv": b"a,b\n"}


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(target) as tmp:
            Path(tmp).write_text("new, half")
            raise RuntimeError("boom")
    assert listing(tmp_path) == {"out.csv": b"old"}


def test_long_names_give_temp_names_within_the_limit(tmp_path):
    target = tmp_path / ("x" * 250)
    with atomic_output(target) as tmp:
        assert len(os.fsencode(Path(tmp).name)) <= 255
        Path(tmp).write_text("ok")
    assert target.read_text() == "ok"
    assert temp_files(tmp_path) == []


# -- the output is an input --------------------------------------------------------------------


def test_output_same_as_input_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("t.csv").write_text("data")
    refused("t.csv", "t.csv: the output is the same file as the input t.csv; choose another output (-o)",
            inputs=["t.csv"], folder=tmp_path)


def test_output_same_as_input_spelled_differently_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    Path("t.csv").write_text("data")
    refused("sub/../t.csv", "sub/../t.csv: the output is the same file as the input t.csv", inputs=[Path("./t.csv")],
            folder=tmp_path)


def test_output_symlinked_to_the_input_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("data")
    (tmp_path / "link.csv").symlink_to("t.csv")
    refused(tmp_path / "link.csv", "the output is the same file as the input", inputs=[tmp_path / "t.csv"],
            folder=tmp_path)
    refused(tmp_path / "t.csv", "the output is the same file as the input", inputs=[tmp_path / "link.csv"],
            folder=tmp_path)


def test_output_hard_linked_to_the_input_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("data")
    os.link(tmp_path / "t.csv", tmp_path / "hard.csv")
    refused(tmp_path / "hard.csv", f"the output is the same file as the input {tmp_path / 't.csv'}",
            inputs=["other.csv", tmp_path / "t.csv"], folder=tmp_path)


def test_output_equal_to_a_missing_input_is_refused(tmp_path):
    refused(tmp_path / "new.csv", "the output is the same file as the input", inputs=[tmp_path / "new.csv"],
            folder=tmp_path)


def test_dash_never_matches(tmp_path):
    check_output("-", inputs=["-"])
    with atomic_output(tmp_path / "out.csv", inputs=["-", tmp_path / "in.csv"]) as tmp:
        Path(tmp).write_text("ok")
    assert listing(tmp_path) == {"out.csv": b"ok"}


# -- checks before long work ---------------------------------------------------------------------


def test_missing_folder_is_named(tmp_path):
    refused(tmp_path / "nope" / "out.csv", f"the folder {str(tmp_path / 'nope')!r} does not exist; create it",
            folder=tmp_path)


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "plain").write_text("x")
    refused(tmp_path / "plain" / "out.csv", f"{str(tmp_path / 'plain')!r} is not a folder", folder=tmp_path)


@posix_only
@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        refused(folder / "out.csv", f"the folder {str(folder)!r} is not writable", folder=folder)
    finally:
        folder.chmod(0o755)


def test_unwritable_folder_is_refused_even_for_root(tmp_path, monkeypatch):
    # Root passes every permission check, so the answer of os.access is what is tested here.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != tmp_path and real_access(path, mode, **kw))
    refused(tmp_path / "out.csv", "is not writable; choose another output (-o)", folder=tmp_path)


def test_directory_as_output_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    refused(tmp_path / "d", "is a folder, not a file", folder=tmp_path)


def test_symlink_to_a_directory_as_output_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to("d")
    refused(tmp_path / "link", "is a folder, not a file", folder=tmp_path)


def test_symlink_loop_as_output_is_refused(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    refused(tmp_path / "a", "cannot use it as the output", folder=tmp_path)


@posix_only
def test_socket_as_output_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited to ~100 bytes
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("s.sock")
        refused("s.sock", "s.sock: is a socket", folder=tmp_path)
    finally:
        server.close()


def test_check_output_writes_nothing(tmp_path):
    check_output(tmp_path / "out.csv", inputs=[tmp_path / "in.csv"])
    assert listing(tmp_path) == {}


# -- devices, FIFOs and symlinks -----------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_dev_null_is_written_directly_and_stays_a_device():
    with atomic_output("/dev/null", inputs=["/dev/null"]) as tmp:
        assert tmp == "/dev/null"
        Path(tmp).write_text("discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@posix_only
def test_symlink_to_a_device_is_written_directly(tmp_path):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    (tmp_path / "sink").symlink_to("/dev/null")
    with atomic_output(tmp_path / "sink") as tmp:
        Path(tmp).write_text("discarded")
    assert (tmp_path / "sink").is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert listing(tmp_path) == {"sink": "-> /dev/null"}


@posix_only
def test_fifo_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    with atomic_output(fifo) as tmp:
        assert tmp == str(fifo)
        with open(tmp, "wb") as handle:
            handle.write(b"streamed")
    reader.join(10)
    assert received == [b"streamed"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert temp_files(tmp_path) == []


def test_symlink_is_written_through(tmp_path):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    (real_dir / "t.csv").write_text("old")
    (link_dir / "t.csv").symlink_to("../real/t.csv")
    with atomic_output(link_dir / "t.csv") as tmp:
        assert Path(tmp).parent == real_dir.resolve()  # beside the target, so the rename is atomic
        Path(tmp).write_text("new")
    assert (link_dir / "t.csv").is_symlink() and os.readlink(link_dir / "t.csv") == "../real/t.csv"
    assert listing(real_dir) == {"t.csv": b"new"}
    assert listing(link_dir) == {"t.csv": "-> ../real/t.csv"}


def test_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "link").symlink_to("made.csv")
    with atomic_output(tmp_path / "link") as tmp:
        Path(tmp).write_text("x")
    assert listing(tmp_path) == {"link": "-> made.csv", "made.csv": b"x"}


def test_symlink_into_a_missing_folder_is_refused(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "gone" / "t.csv")
    refused(tmp_path / "link", f"the folder {str((tmp_path / 'gone').resolve())!r} does not exist", folder=tmp_path)


# -- temporary files left by killed writers --------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@posix_only
def test_stale_temp_files_of_dead_writers_are_removed(tmp_path):
    dead = dead_pid()
    stale = tmp_path / f".out.csv.aereduce-{dead}-abc_123.tmp"
    live = tmp_path / f".out.csv.aereduce-{os.getppid()}-live0000.tmp"
    mine = tmp_path / f".out.csv.aereduce-{os.getpid()}-mine0000.tmp"
    other_target = tmp_path / f".other.csv.aereduce-{dead}-abc_123.tmp"
    foreign = tmp_path / f".out.csv.{dead}.tmp"
    for path in (stale, live, mine, other_target, foreign):
        path.write_text("leftover")
    with atomic_output(tmp_path / "out.csv") as tmp:
        Path(tmp).write_text("new")
    assert not stale.exists()
    assert all(p.exists() for p in (live, mine, other_target, foreign))
    assert (tmp_path / "out.csv").read_text() == "new"


@posix_only
def test_clean_stale_temp_files_reports_what_it_removed(tmp_path):
    dead = dead_pid()
    stale = tmp_path / f".m.aer.aereduce-{dead}-zz.tmp"
    stale.write_text("x")
    (tmp_path / f".m.aer.aereduce-{dead}-zz.tmp.keep").write_text("not ours")
    (tmp_path / f".m.aer.aereduce-{dead}-dir.tmp").mkdir()  # only files are removed
    assert clean_stale_temp_files(tmp_path, "m.aer") == [stale]
    assert clean_stale_temp_files(tmp_path, "m.aer") == []
    assert clean_stale_temp_files(tmp_path / "missing", "m.aer") == []


SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from aereduce._files import atomic_output
    with atomic_output(sys.argv[1]) as tmp:
        Path(tmp).write_text("partial")
        print(tmp, flush=True)
        time.sleep(60)
""")


def _default_signals() -> None:
    """A job started in the background inherits SIGINT ignored (and under nohup SIGHUP), which the
    writer then rightly leaves alone: give the child the defaults of a program run from a terminal."""
    for name in ("SIGINT", "SIGHUP", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def start_slow_writer(target: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True,
                             env=env, preexec_fn=_default_signals)
    tmp = Path(child.stdout.readline().strip())
    assert tmp.exists() and tmp.parent == target.parent
    return child, tmp


@posix_only
@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (getattr(signal, "SIGHUP", 1), 129)])
def test_termination_signal_leaves_nothing_behind(tmp_path, signum, status):
    target = tmp_path / "out.csv"
    target.write_text("old")
    child, tmp = start_slow_writer(target)
    child.send_signal(signum)
    assert child.wait(20) == status
    assert not tmp.exists()
    assert listing(tmp_path) == {"out.csv": b"old"}


@posix_only
def test_sigint_leaves_nothing_behind(tmp_path):
    child, tmp = start_slow_writer(tmp_path / "out.csv")
    child.send_signal(signal.SIGINT)
    assert child.wait(20) != 0
    assert listing(tmp_path) == {}


@posix_only
def test_sigkill_leftover_is_cleaned_by_the_next_write(tmp_path):
    child, tmp = start_slow_writer(tmp_path / "out.csv")
    child.kill()
    child.wait(20)
    assert tmp.exists()  # nothing can clean up after SIGKILL itself...
    with atomic_output(tmp_path / "out.csv") as new:
        Path(new).write_text("fresh")
    assert listing(tmp_path) == {"out.csv": b"fresh"}  # ...so the next writer does


@posix_only
def test_signal_handlers_are_restored_even_when_writers_interleave(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    assert before == signal.SIG_DFL
    first, second = atomic_output(tmp_path / "a"), atomic_output(tmp_path / "b")
    Path(first.__enter__()).write_text("a")
    assert signal.getsignal(signal.SIGTERM) is _files._raise_exit
    Path(second.__enter__()).write_text("b")
    first.__exit__(None, None, None)  # not in the order they began, as TableWriter may do
    assert signal.getsignal(signal.SIGTERM) is _files._raise_exit  # b still needs it
    second.__exit__(None, None, None)
    assert signal.getsignal(signal.SIGTERM) == before
    assert listing(tmp_path) == {"a": b"a", "b": b"b"}


@posix_only
def test_a_program_s_own_handler_stays_in_charge(tmp_path):
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with atomic_output(tmp_path / "out.csv") as tmp:
            assert signal.getsignal(signal.SIGTERM) is mine
            Path(tmp).write_text("x")
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_works_outside_the_main_thread(tmp_path):
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with atomic_output(tmp_path / "out.csv") as tmp:
                Path(tmp).write_text("threaded")
        except BaseException as exc:  # report it to the main thread
            errors.append(exc)

    worker = threading.Thread(target=write)
    worker.start()
    worker.join(10)
    assert errors == [] and listing(tmp_path) == {"out.csv": b"threaded"}


def test_a_python_save_to_a_missing_folder_names_no_command_line_option(tmp_path):
    from aereduce import AutoencoderTransformer

    X = np.random.default_rng(0).normal(size=(40, 3))
    model = AutoencoderTransformer(n_components=2, max_iter=1, random_state=0).fit(X)
    target = tmp_path / "no" / "m.aer"
    with pytest.raises(OutputPathError) as info:
        model.save(target)
    assert str(info.value) == f"{target}: the folder {str(target.parent)!r} does not exist; create it or choose another output"
    assert info.value.cli_message.endswith("create it or choose another output (-o)")
    with pytest.raises(OutputPathError, match=r"is a folder, not a file; give the output a file name$"):
        model.save(tmp_path)


def test_an_empty_output_name_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError) as info:
        with atomic_output(""):
            pytest.fail("the body ran")
    assert str(info.value) == "the output's name is empty; give the output a file name"
    assert info.value.cli_message == "the output's name is empty; give -o a file name"
    assert listing(tmp_path) == {}


def test_the_command_line_names_stdin_and_stdout_not_a_dash():
    from aereduce.errors import InputError, OutputPathError, command_line_message

    assert command_line_message(InputError("-: no column 'x'")) == "stdin: no column 'x'"
    assert command_line_message(InputError("data-1.csv: no column 'x'")) == "data-1.csv: no column 'x'"
    # an output's error is never taken for stdin's
    assert command_line_message(OutputPathError("-: odd")).startswith("-: ")


def test_a_signal_taken_over_is_forgotten_once_the_handlers_are_restored():
    """Review: after one SIGTERM was caught in a long-lived process, a later Ctrl-C lost by pandas came back
    as SIGTERM's exit."""
    from aereduce import _files

    with _files._signals_raise():
        with pytest.raises(SystemExit):
            _files._raise_exit(signal.SIGTERM, None)
        assert isinstance(_files.interruption(), SystemExit)
    assert isinstance(_files.interruption(), KeyboardInterrupt)
