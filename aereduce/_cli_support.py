"""The command line's shared parts: options (data columns, the method, the autoencoder's parameters),
messages and progress bars on stderr.

The autoencoder's options take their types, choices and defaults from the estimator's
parameter declarations (:mod:`aereduce._params`), so the two cannot drift apart.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from ._params import AUTOENCODER_PARAMS
from .errors import plural

# Where stderr is a log, not a terminal: one progress line at most this often, none for shorter work.
PROGRESS_LINE_SECONDS = 30.0

# A fit at least this long, begun while other programs held the cores torch's threads need, gets a
# note on running it on one thread (trial 41: a 2-D map of 3,924 rows took 22 s on 2 threads beside
# a busy core, 7.7 s on one, as torch's threads wait on each other at every step).
BUSY_CPU_NOTE_SECONDS = 10.0

METHOD_NAMES = ("ae", "pca", "umap")  # the keys of aereduce.methods.METHODS (a test checks), without importing it


# numpy's and torch's seeds are 0 to 2**32 - 1: `sample --seed -1` failed in numpy's words, as a bug (trial 23).
SEED = click.IntRange(0, 2**32 - 1)

def split_names(ctx, param, value: str | None) -> list[str] | None:
    """A comma-separated option's names; None when the option is not given. Given but naming nothing
    (``--methods ""``) is a usage error: it had meant the default, silently (trial 24)."""
    if value is None:
        return None
    # A name that holds a comma writes it as \, ("Gewicht\, g"; trial 36 could not name such a column).
    names = [v.strip().replace("\\,", ",") for v in re.split(r"(?<!\\),", value) if v.strip()]
    if not names:
        # '' is how a user names the unnamed first column (trial 24): say how it is named here.
        unnamed = "; the unnamed first column is 'Unnamed: 0'" if param is not None and param.name in ("columns", "exclude") else ""
        raise click.BadParameter(f"{value!r} names nothing; give comma-separated names{unnamed}", ctx=ctx, param=param)
    return names


def data_options(f: Callable | None = None, *, model: bool = False, saves: bool = False,
                 writes: bool = True, dropped: str = "leave those rows' outputs empty",
                 label: str = "Column used for colouring and evaluation") -> Callable:
    """Options that say how to read DATA, collected by :func:`read_options`; ``model=True`` for a
    command that reads DATA with a saved model, whose remembered settings are then the defaults;
    ``saves=True`` for the command that saves a model, which remembers them; ``writes=False`` for
    one that writes no rows and draws nothing (compare), where the id and label only stay out of
    the features and the label is scored; ``dropped``: what ``--nan drop`` does with a row that
    misses a value, and ``label`` what the label column is for, in this command."""
    if f is None:
        return functools.partial(data_options, model=model, saves=saves, writes=writes, dropped=dropped, label=label)
    remembered = ", or the model's" if model else ""
    kept = " (remembered by the model)." if saves else " (default: the model's)." if model else "."
    options = [
        click.option("--columns", callback=split_names,
                     help="Comma-separated feature columns (default: " + (
                         "the model's, by name; the model's names in any order are read by name, other names are "
                         "taken in the model's order)." if model else "all numeric ones).")),
        click.option("--exclude", callback=split_names,
                     help="Comma-separated columns to leave out" + (" (none of the model's)." if model else ".")),
        click.option("--id-column", help=("Column carried through to outputs, never a feature" if writes
                                          else "Column of row names, never a feature") + kept),
        # With a model, one of its input columns may colour the map and stay a feature, as the README
        # says: "never a feature" contradicted it (trial 29).
        click.option("--label-column", help=(label + (
                                                 "; one of the model's input columns stays a feature" if model
                                                 else ", never a feature") if writes
                                             else "Column of classes the codes' kNN accuracy is scored on, never "
                                                  "a feature") + kept),
        click.option("--nan", type=click.Choice(["error", "drop", "zero", "mean"]), default=None,
                     show_default=f"error{remembered}",
                     help=f"Missing values: stop, {dropped}, fill 0, or fill the training means."),
        click.option("--sep", help="Delimiter of a text file (default: sniffed among , ; tab |)."),
        click.option("--decimal", help="Decimal mark (default: sniffed; ',' for 1,5). A lone group of the other "
                                       "mark is then thousands (3.750 under ',' is 3750)."),
        click.option("--thousands", help="Thousands separator, read as one wherever it groups digits: '.' reads "
                                         "3.750 as 3750. Without it, grouping is read where a column shows it "
                                         "(1.234.567, or 3.750 beside plain integers) or the file writes "
                                         "decimals with the other mark (3.750 beside 39,1)" + kept),
        # The default shown says "or the model's" already: `kept` would say it a second time.
        click.option("--encoding", default=None, show_default=f"utf-8{remembered}",
                     help="Text encoding of the file" + (" (remembered by the model)." if saves else ".")),
        click.option("--header/--no-header", default=None, help="Whether the first line names the columns (default: sniffed)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def output_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``-o ''`` (an unset shell variable, say) is refused: taken as no -o, it wrote the default file."""
    if value == "":
        leave_out = "-o out for the default" if "-o" in param.opts else f"{param.opts[0]} out"
        raise click.BadParameter(f"is empty; give a file name, or leave {leave_out}")
    return value


def fit_output_options(f: Callable) -> Callable:
    """``-o`` and ``--holdout``: where a fitted model goes and the rows held out to report its error."""
    f = click.option("--holdout", type=click.FloatRange(0, 0.5, max_open=True), default=0.1, show_default=True,
                     help="Share of rows held out to report reconstruction error against PCA; 0 fits on all rows.")(f)
    return click.option("-o", "--output", callback=output_name, help="Model file to write (default: DATA's name with .aer).")(f)


READ_FIELDS = ("columns", "exclude", "id_column", "label_column", "nan", "sep", "decimal", "thousands", "encoding", "header")


# fit's and compare's --group-column
group_column_option = click.option(
    "--group-column", help="Column naming the unit each row measures (a state, a firm, a person, over years), never a "
    "feature: the held-out rows, and the validation rows the autoencoder is chosen on, are then whole units, so the "
    "figures are those of units the model has not seen.")


def read_options(kwargs: dict[str, Any]):
    from .usecases import ReadOptions

    return ReadOptions(**{k: kwargs.pop(k) for k in READ_FIELDS})


def parse_shape(ctx, param, value: str | None) -> tuple[int, ...] | None:
    if not value:
        return None
    try:
        shape = tuple(int(v) for v in value.lower().replace(",", "x").split("x"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a shape like 28x28 or 1x28x28") from None
    shape = (1, *shape) if len(shape) == 2 else shape
    if len(shape) != 3 or min(shape) < 1:
        raise click.BadParameter(f"{value!r} is not a shape like 28x28 or 1x28x28")
    return shape


def picture_options(f: Callable) -> Callable:
    """``--image-shape`` and ``--max-rows``, for the commands that draw DATA's rows (plot, report)."""
    f = click.option("--max-rows", type=click.IntRange(min=1), default=20_000, show_default=True,
                     help="Draw at most this many rows (a seeded random sample beyond).")(f)
    return click.option("--image-shape", callback=parse_shape,
                        help="Rows are images of this shape (e.g. 28x28): adds originals against reconstructions.")(f)


def parse_sequence_shape(ctx, param, value: str | None) -> tuple[int, int] | None:
    """``TIME_STEPSxFEATURES`` (or ``TIME_STEPS`` for one feature) -> (time_steps, features)."""
    if not value:
        return None
    try:
        shape = tuple(int(v) for v in value.lower().replace(",", "x").split("x"))
    except ValueError:
        shape = ()
    shape = (*shape, 1) if len(shape) == 1 else shape
    if len(shape) != 2 or min(shape) < 1:
        raise click.BadParameter(f"{value!r} is not a sequence shape like 50x1 (time steps x features) or 50")
    return shape


def parse_layers(ctx, param, value: str | None):
    if value is None:
        return None
    if value.strip().lower() in ("", "none", "0"):
        return ()
    try:
        return tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of widths like 256,128") from None


def _check_device(ctx, param, value: str | None) -> str | None:
    if value in (None, "auto", "cpu"):
        return value
    from .errors import OptionError

    try:
        from ._training import resolve_device

        resolve_device(value)
    except OptionError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def click_type(name: str) -> Any:
    """The click type of an estimator parameter, from its declaration."""
    p = AUTOENCODER_PARAMS[name]
    if p.options and p.kind is str:  # "auto" among them where it is the default, so it can be given
        return click.Choice(list(p.options))
    choices = [o for o in p.options if o != "auto"]
    if choices:
        return click.Choice(choices)
    if p.kind is int:
        return click.IntRange(min=p.low, max=p.high, min_open=p.low_open, max_open=p.high_open)
    if p.kind is float:
        return click.FloatRange(min=p.low, max=p.high, min_open=p.low_open, max_open=p.high_open)
    return None


# (flag, estimator parameter, help, extra click settings): the autoencoder's options on the command line.
AE_OPTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("--hidden-layers", "hidden_layer_sizes", "Encoder widths, e.g. 512,256 ('none' for linear).",
     {"callback": parse_layers}),
    ("--activation", "activation", "", {}),
    ("--loss", "loss", "", {}),
    ("--scaling", "scaling", "", {}),
    ("--epochs", "max_iter", "Epochs (default: about 5,000 steps).", {}),
    ("--batch-size", "batch_size", "", {}),
    ("--lr", "learning_rate_init", "", {}),
    ("--weight-decay", "alpha", "L2 weight decay.", {}),
    ("--noise", "noise", "", {}),
    ("--noise-level", "noise_level", "", {}),
    ("--sparsity", "sparsity", "", {}),
    ("--sparsity-weight", "sparsity_weight", "Weight of the sparsity penalty (default: 1e-4 for l1, 0.1 for kl).", {}),
    ("--contractive-weight", "contractive_weight", "", {}),
    ("--neighbour-weight", "neighbour_weight", "Neighbour-preserving term, the 2-D map's (0 turns it off; default: "
     "on for 2 or 3 dims on 1,000+ rows).", {}),
    ("--n-neighbors", "n_neighbors", "", {}),
    ("--tied", "tied_weights", "", {"is_flag": True}),
    ("--variational", "variational", "", {"is_flag": True}),
    ("--beta", "beta", "", {}),
    ("--pretrain", "pretrain", "", {"is_flag": True}),
    ("--conv", "input_shape", "Convolutional model for image rows, e.g. 28x28.", {"callback": parse_shape}),
    ("--recurrent-units", "recurrent_units", "", {}),
    ("--pca-components", "pca_components", "Train on the rows' first N principal components: faster on wide "
     "rows, with a linear output.", {}),
    ("--early-stopping", "early_stopping", "Stop when a 10% validation split stops improving, or never "
     "(default: on for 50-20,000 rows).", {"off_flag": "--no-early-stopping"}),
    ("--device", "device", "cpu, cuda, cuda:N, mps or auto.", {"callback": _check_device}),
]


def model_options(f: Callable | None = None, *, detector_default: bool = False) -> Callable:
    """The method, the dimension, the seed and the autoencoder's options (defaults: the estimator's).

    ``detector_default``: ``--dim`` may be left out, for an outlier detector, which has its own
    default; the command then refuses its absence otherwise (:func:`require_dim`)."""
    if f is None:
        return lambda g: model_options(g, detector_default=detector_default)
    dim_help = "Dimension of the code."
    if detector_default:
        dim_help += " Optional with --ensemble: the detector's default is 16, or half of fewer columns."
    options = [
        click.option("--dim", "-d", type=click.IntRange(min=1), required=not detector_default, help=dim_help),
        click.option("--method", type=click.Choice(METHOD_NAMES), default="ae", show_default=True,
                     help="Autoencoder, or a baseline through the same interface."),
        click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed; the same seed gives the same output."),
    ]
    # The recurrent model reads rows by the same input_shape as --conv, so its option is mapped in ae_params.
    options.append(click.option("--recurrent", "sequence_shape", callback=parse_sequence_shape,
                                help="Recurrent (GRU) model for sequence rows, time-major, e.g. 50x1 "
                                     "(time steps x features)."))
    options += [ae_option(flag) for flag, _, _, _ in AE_OPTIONS]
    for option in reversed(options):
        f = option(f)
    return f


def ae_option(flag: str, help_text: str | None = None) -> Callable:
    """The click option of an autoencoder parameter in AE_OPTIONS, by its flag (``help_text`` for a
    command that words it otherwise, as compare, where only the autoencoder takes it)."""
    _, name, own_help, extra = next(option for option in AE_OPTIONS if option[0] == flag)
    default = AUTOENCODER_PARAMS[name].default
    settings = {"type": click_type(name), "help": help_text or own_help or AUTOENCODER_PARAMS[name].help,
                "show_default": str(default if default is not None else "off")} | extra
    declaration = flag
    if "off_flag" in settings:  # on, off, or (None, left out) the estimator's "auto"
        declaration = f"{flag}/{settings.pop('off_flag')}"
        settings |= {"is_flag": True, "default": None}
    if settings.get("is_flag"):
        settings.pop("type")
        settings["show_default"] = False
    return click.option(declaration, name, **settings)


# An estimator parameter as Python spells it in a message: loss='bce', neighbour_weight=0, tied_weights=True.
_PYTHON_SPELLING = re.compile(r"\b([a-z_]+)=(?:'([^']*)'|(-?\d[\d.e+-]*|True)\b)")


def in_command_line_words(message: str) -> str:
    """An option error raised in Python's words (``use scaling='minmax' or loss='mse'``) in the
    command line's (``use --scaling minmax or --loss mse``): trial 14 was told Python spellings."""
    flags = {name: flag for flag, name, _, _ in AE_OPTIONS if name != "input_shape"} | {"n_components": "--dim",
                                                                                           "nan": "--nan"}

    def as_flag(match: re.Match) -> str:
        name, text, number = match.groups()
        if name not in flags:
            return match.group(0)
        value = text if text is not None else number
        return flags[name] if value == "True" else f"{flags[name]} {value}"

    shape = _SHAPE_MISMATCH.search(message)
    if shape:  # input_shape is --conv or --recurrent, by the shape the message asks for
        sizes, recurrent, n_features = shape.group(1).split(", "), shape.group(2) == "time_steps", int(shape.group(3))
        if not recurrent and sizes[0] == "1":
            sizes = sizes[1:]  # one channel: --conv 28x29 as the user wrote it, not 1x28x29 (trial 20)
        flag, form = ("--recurrent", "TIME_STEPSxFEATURES") if recurrent else ("--conv", "HEIGHTxWIDTH or CHANNELSxHEIGHTxWIDTH")
        values = math.prod(int(size) for size in sizes)
        return (f"{flag} {'x'.join(sizes)} makes rows of {values} values, but the data has {n_features} feature "
                f"columns; give {flag} {form} with sizes that multiply to {n_features}, or choose the columns "
                "with --columns")
    # The detector's members' options are the command line's own options: no dictionary to name.
    return _PYTHON_SPELLING.sub(as_flag, message.replace("autoencoder_params: ", ""))


_SHAPE_MISMATCH = re.compile(r"input_shape=\(([\d, ]+)\) must be \((channels|time_steps)[^)]*\) with \S+ equal to "
                             r"the (\d+) features of X")


def require_dim(dim: int | None) -> None:
    """Click's own words for a missing ``--dim``, with the fix, where only an outlier detector may leave it out."""
    if dim is None:
        raise click.UsageError("Missing option '--dim' / '-d'; give the code's dimension, e.g. --dim 2, or --ensemble N "
                               "for an outlier detector, which has its own")


def ae_params(kwargs: dict[str, Any], method: str = "ae") -> dict[str, Any]:
    """The autoencoder parameters given on the command line (a flag left off keeps the default);
    for another ``method``, which has none of them, giving any is a usage error (it was ignored)."""
    values = {name: kwargs.pop(name) for _, name, _, _ in AE_OPTIONS}
    # A plain flag left off is False, which keeps the default; an on/off pair left off is None.
    params = {name: value for (_, name, _, extra), value in zip(AE_OPTIONS, values.values())
              if value is not None and (value is not False or "off_flag" in extra)}
    sequence_shape = kwargs.pop("sequence_shape", None)
    if sequence_shape is not None:
        if "input_shape" in params:
            raise click.UsageError("--conv and --recurrent exclude each other: a row is an image or a sequence")
        params.update(input_shape=sequence_shape, architecture="recurrent")
    # An option that tunes a term given without the term did nothing, silently (trial 14).
    for tuning, term, term_flag, ways in (("noise_level", "noise", "--noise", "--noise gaussian or --noise mask"),
                                          ("sparsity_weight", "sparsity", "--sparsity", "--sparsity l1 or --sparsity kl"),
                                          ("beta", "variational", "--variational", "--variational"),
                                          ("recurrent_units", "architecture", "--recurrent", "--recurrent")):
        if tuning in params and term not in params:
            flag = next(flag for flag, name, _, _ in AE_OPTIONS if name == tuning)
            raise click.UsageError(f"{flag} tunes what {term_flag} adds, which is not given; add {ways}, "
                                   f"or leave {flag} out")
    if params and method != "ae":
        flags = {name: flag for flag, name, _, _ in AE_OPTIONS}
        given = ", ".join(flags.get(name, "--recurrent") for name in params if name != "architecture")
        raise click.UsageError(f"{given} set the autoencoder, which --method {method} is not; leave them out, or "
                               "use --method ae")
    return params


def info(message: str) -> None:
    if not click.get_current_context().find_root().obj.get("quiet"):
        click.echo(message, err=True)


def file_beside(data: str, suffix: str, extension: str) -> str:
    """An output file's default name: ``data.csv`` -> ``data.SUFFIX.EXTENSION`` beside it (for
    pictures and pages, which no stdin has a place beside)."""
    from .tables import default_output

    output = default_output(data, suffix, extension)
    if output == "-":
        stream = "stdin" if data == "-" else data
        raise click.UsageError(f"{stream} is a stream with no folder to write beside: give the output file with -o")
    return output


def shows_bars() -> bool:
    """Whether progress is drawn as bars and status lines: stderr is a terminal and not --quiet."""
    return not click.get_current_context().find_root().obj.get("quiet") and sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(label: str | None = None, epochs: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """While the block runs, a ``progress(done, total)`` drawing a bar on a terminal's stderr; where
    stderr is a log, :class:`ProgressLines` (``epochs``: whether the work counts any); None with --quiet.
    ``label``: what the lines call the work (default: training, or fitting for work without epochs)."""
    label = label or ("training" if epochs else "fitting")
    if click.get_current_context().find_root().obj.get("quiet"):
        yield None
        return
    if epochs:  # a fit
        with noting_a_busy_cpu():
            with _progress(label, epochs) as progress:
                yield progress
        return
    with _progress(label, epochs) as progress:
        yield progress


def cpu_cores() -> list[int]:
    """The cores this process may run on."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on macOS or Windows
        return list(range(os.cpu_count() or 1))


def fits_so_far() -> int:
    """How many training loops this process has run (:data:`aereduce._training.threads_of_fits`),
    without importing torch for a command that has not trained."""
    training = sys.modules.get("aereduce._training")
    return len(training.threads_of_fits) if training is not None else 0


def threads_trained_on(since: int) -> int:
    """The most CPU threads any training loop after the first ``since`` ran on (0: none on a CPU)."""
    training = sys.modules.get("aereduce._training")
    return max(training.threads_of_fits[since:], default=0) if training is not None else 0


def busy_cpu_note(others: float, cores: int, threads: int, seconds: float) -> str | None:
    """What to say after a fit of ``seconds`` while other programs used ``others`` of the ``cores``
    this process may run on, on average, torch training on ``threads``: nothing unless the others
    took a core that torch's threads needed, through a long fit."""
    if threads < 2 or seconds < BUSY_CPU_NOTE_SECONDS or others < max(BUSY_CORE_SHARE, cores - threads + BUSY_CORE_SHARE):
        return None
    return (f"while the fit ran, other programs kept {others:.1f} of the {plural(cores, 'core')} it may use busy: "
            f"torch's {threads} threads wait on each other when a core is taken, which can make a fit several times "
            "slower; on a busy machine, run the command as OMP_NUM_THREADS=1 aereduce ... to train on one thread")


# Other programs' average use of the cores, from which a fit's threads count as contended.
BUSY_CORE_SHARE = 0.5


def cpu_seconds_of_others(cores: list[int]) -> Callable[[], float] | None:
    """A probe: called later, the cores of ``cores`` that other programs used on average since, from
    their busy time (Linux's /proc/stat) less this process's; None where the system does not say."""
    wanted = {f"cpu{core}" for core in cores}

    def busy() -> float:
        total = 0
        with open("/proc/stat") as stat:
            for line in stat:
                name, *values = line.split()
                if name in wanted:
                    fields = [int(v) for v in values[:8]]
                    # user, nice, system, idle, iowait, irq, softirq, steal: all but idle and iowait are work
                    total += sum(fields) - fields[3] - fields[4]
        return total / os.sysconf("SC_CLK_TCK")

    def own() -> float:
        times = os.times()
        return times.user + times.system

    try:
        start, mine, tic = busy(), own(), time.perf_counter()
    except (OSError, ValueError, IndexError, AttributeError):
        return None

    def others() -> float:
        wall = time.perf_counter() - tic
        return max(busy() - start - (own() - mine), 0.0) / wall if wall > 0 else 0.0
    return others


@contextlib.contextmanager
def noting_a_busy_cpu() -> Iterator[None]:
    """Say after the block (a fit) when it was long and other programs took cores its threads needed
    (:func:`busy_cpu_note`)."""
    cores = cpu_cores()
    others = cpu_seconds_of_others(cores)
    fits, tic = fits_so_far(), time.perf_counter()
    yield
    if others is None:
        return
    note = busy_cpu_note(others(), len(cores), threads_trained_on(fits), time.perf_counter() - tic)
    if note:
        info(note)


@contextlib.contextmanager
def _progress(label: str, epochs: bool) -> Iterator[Callable[[int, int], None]]:
    """:func:`progress_bar`'s bar or lines, without its checks."""
    if not sys.stderr.isatty():
        with ProgressLines(label, epochs=epochs) as lines:
            yield lines
        return
    state: dict[str, Any] = {"part": 1}

    def progress(done: int, total: int) -> None:
        if "bar" in state and done < state["bar"].pos:  # a new phase of training (the decoder's)
            state.pop("bar").__exit__(None, None, None)
            state["part"] += 1
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=part_label(label, state["part"]), file=sys.stderr,
                                             show_pos=True)
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)
        if done >= total:
            state["bar"].__exit__(None, None, None)
    yield progress


class ProgressLines:
    """A ``progress(done, total)`` for a log: a line on stderr once ``every`` seconds have passed
    since the last, so a short fit writes none and a long one shows it is alive.

    Called at the end of each epoch; inside ``with``, a thread also writes the line when no epoch
    has ended for ``every`` seconds: the passes over a large file before the first epoch, or a
    long epoch of a streamed fit, said nothing for minutes (trial 17). After the last epoch it
    says nothing more (the summary follows).
    """

    def __init__(self, label: str, every: float = PROGRESS_LINE_SECONDS, *, epochs: bool = True) -> None:
        self.label, self.every, self.epochs = label, every, epochs
        self.start = self.last = self.last_epoch = time.monotonic()
        self.part, self.done, self.total = 1, 0, None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            if done < self.done:  # a new phase: the decoder after a map's encoder, or the next member of an ensemble
                self.part += 1
            self.done, self.total, self.last_epoch = done, total, time.monotonic()
            if self.last_epoch - self.last >= self.every and done < total:
                self._say(f"epoch {done} of at most {total}")

    def epochs_begin(self, total: int) -> None:
        """Training of ``total`` epochs starts now (a new phase when epochs have ended before)."""
        with self._lock:
            if self.done > 0:  # the decoder after a map's encoder, or the next member of an ensemble
                self.part += 1
            self.done, self.total = 0, total

    def beat(self) -> None:
        """The line for a stretch with no epoch ended: where the work is."""
        with self._lock:
            if self.total is None:  # UMAP or t-SNE count no epochs here
                self._say("reading and preparing the data, before epoch 1" if self.epochs else "still working")
            elif self.done < self.total:
                self._say(f"in epoch {self.done + 1} of at most {self.total}")

    def _say(self, where: str) -> None:
        self.last = now = time.monotonic()
        click.echo(f"{part_label(self.label, self.part)}: {where}, {now - self.start:.0f} s", err=True)

    def _beats(self) -> None:
        # Only when no epoch has ended for a while either: with epochs of a second the thread's line
        # ("in epoch 20") beat the epoch's own ("epoch 20") at every 30 s (trial 25).
        while not self._stop.wait(max(0.01, self.every - (time.monotonic() - max(self.last, self.last_epoch)))):
            now = time.monotonic()
            if now - self.last >= self.every and now - self.last_epoch >= self.every:
                self.beat()

    def __enter__(self) -> "ProgressLines":
        self._thread = threading.Thread(target=self._beats, name="aereduce-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def part_label(label: str, part: int) -> str:
    """The progress label of the ``part``-th run of epochs: a map's decoder comes after its encoder, an
    ensemble's members one after another, and each counts its epochs from 1."""
    return label if part == 1 else f"{label} (part {part})"
