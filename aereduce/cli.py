"""The ``aereduce`` command line: option parsing over :mod:`aereduce.usecases`.

Each command parses its options and calls one use-case function. stdout carries data
only; summaries, progress and errors go to stderr. The autoencoder's options are built
from its parameter declarations (:mod:`aereduce._params`), and torch, scikit-learn, umap
and matplotlib are imported only by the work that needs them, so usage errors are instant.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ._cli_support import (METHOD_NAMES, SEED, ae_option, ae_params, data_options, file_beside, fit_output_options,
                           group_column_option, in_command_line_words, info, model_options, output_name, parse_shape,
                           picture_options, progress_bar, read_options, require_dim, shows_bars, split_names)
from ._version import __version__
from .errors import NEAR_THE_MAP_THRESHOLD_WARNING, POOR_FIT_WARNINGS, WIDE_CODE_WARNING, plural


class UserError(click.ClickException):
    """One line on stderr, exit status 1 (2 for a usage error, as click gives)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def one_line_usage(exc: click.UsageError, point_to_help: bool) -> click.ClickException:
    """Click's usage error as the one line every other error is (click's own took four: the usage, a
    hint, a blank line and the error; trial 34); ``point_to_help``: for errors in parsing the command
    line, where to read the options, unless the message names its fix (after a semicolon, as the
    options' own checks do). `aereduce` alone still shows the help."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    # "No such option '--dimm'. (Did you mean one of: '--decimal', '--dim'?)" and "No such command
    # 'fitt'. Did you mean 'fit'?" as one clause each
    message = re.sub(r"\.\s*\(?Did you mean (.*?)\??\)?$", r" (did you mean \1?)", exc.format_message()).rstrip(".")
    if point_to_help and ";" not in message:
        message += f"; see '{exc.ctx.command_path if exc.ctx is not None else 'aereduce'} --help'"
    return UserError(message, exc.exit_code)


class AereduceCommand(click.Command):
    """A command whose errors in parsing its arguments are one line (:func:`one_line_usage`)."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise one_line_usage(exc, point_to_help=True) from None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `-dim 2` parsed as -d with the value "im" ("'im' is not a valid integer range": trial 35)
        options = [param for param in self.params if isinstance(param, click.Option)]
        long_names = {name for option in options for name in option.opts + option.secondary_opts if name.startswith("--")}
        takes_value = {name for option in options if not option.is_flag and not option.count
                       for name in option.opts + option.secondary_opts}
        value_next = False
        for arg in args:
            if arg == "--" or (isinstance(self, click.Group) and not arg.startswith("-") and not value_next):
                break  # the rest is the subcommand's, or not options at all
            word = arg.split("=")[0]
            if not value_next and arg.startswith("-") and not arg.startswith("--") and f"-{word}" in long_names:
                raise click.UsageError(f"{word} is not an option; did you mean -{word}?", ctx)
            value_next = not value_next and arg in takes_value  # `-o -seed` names a file
        return super().parse_args(ctx, args)


class AereduceGroup(AereduceCommand, click.Group):
    """Turns the project's errors and I/O errors into one line; anything else is a bug and says so."""

    command_class = AereduceCommand

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:  # no such command
            raise one_line_usage(exc, point_to_help=True) from None

    def invoke(self, ctx: click.Context) -> Any:
        import signal

        from ._files import _signals_raise

        try:
            # SIGTERM (kill, a scheduler's time limit) and SIGHUP end a command with a line saying so, as
            # Ctrl-C does, not silently (trial 30), after the cleanup of what it was writing.
            with _signals_raise():
                return super().invoke(ctx)
        except click.UsageError as exc:  # options that do not work together, found by the command itself
            raise one_line_usage(exc, point_to_help=False) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SystemExit as exc:
            names = {128 + getattr(signal, name): name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)}
            if exc.code not in names or (ctx.obj or {}).get("debug"):
                raise
            raise UserError(f"terminated ({names[exc.code]})", int(exc.code)) from None
        except KeyboardInterrupt:
            # Ctrl-C: the shell's status for SIGINT (click's own would be 1); outputs are written
            # atomically, so nothing half-written is left.
            if (ctx.obj or {}).get("debug"):
                raise
            raise UserError("interrupted (Ctrl-C)", 130) from None
        except BrokenPipeError:  # `aereduce ... | head`: the reader has what it wanted
            # The notes on the input read so far still go to stderr, which is open: a preview with
            # `| head` is where a user most needs to hear of rows left empty (trial 13).
            for note in (ctx.obj or {}).get("pending_notes", []):
                info(note)
            sys.stdout = open(__import__("os").devnull, "w")
            ctx.exit(0)
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            from .errors import AereduceError, OptionError, command_line_message

            message = command_line_message(exc)
            # scikit-learn's parameter errors are the user's too; it is imported only if it was loaded,
            # so that an error before any model work stays instant.
            validation = sys.modules.get("sklearn.utils._param_validation")
            user_errors = (AereduceError, OSError) + ((validation.InvalidParameterError,) if validation else ())
            if isinstance(exc, user_errors):
                # Options that do not work together, or with this data, are usage errors.
                usage = isinstance(exc, OptionError) or (validation and isinstance(exc, validation.InvalidParameterError))
                # Parameters named in Python's words (nan='drop' in the library's own errors) as options.
                raise UserError(in_command_line_words(message), 2 if usage else 1) from None
            raise UserError(f"unexpected {type(exc).__name__}: {message} (a bug in aereduce; run with --debug "
                            "for the traceback and report it)") from None


def _set_flag(name: str) -> Callable:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_root().ensure_object(dict)[name] = True
    return callback


def global_options(f: Callable) -> Callable:
    """``-q`` and ``--debug``, accepted before or after the subcommand."""
    f = click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_flag("debug"),
                     help="Show the full traceback on errors.")(f)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True, callback=_set_flag("quiet"),
                        help="No summaries or progress on stderr.")(f)


@click.group(cls=AereduceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aereduce")
@global_options
@click.pass_context
def main(ctx: click.Context) -> None:
    """Reduce the dimension of tabular data with autoencoders, beside PCA and UMAP.

    \b
    Example:
      aereduce fit data.csv --dim 8 --label-column y -o model.aer
      aereduce transform model.aer new.csv -o codes.csv
    """
    ctx.ensure_object(dict)
    command_line_warnings()


def command_line_warnings() -> None:
    """Warnings as a command line shows them: one line each, none that the command says in its own words."""
    # umap-learn warns on every seeded fit that it runs single-threaded; that is noise to a CLI user.
    warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
    # A value beyond float32 becomes inf when a model reads it, and the command refuses that row by
    # number (check_finite): numpy's overflow warning before it would say the same thing less clearly.
    warnings.filterwarnings("ignore", message="overflow encountered in cast", category=RuntimeWarning)
    # The estimator's warning of a fit far worse than PCA's names Python parameters; fit refuses
    # such a fit itself, in the command line's flags (check_not_failed).
    warnings.filterwarnings("ignore", message=POOR_FIT_WARNINGS)
    warnings.filterwarnings("ignore", message=WIDE_CODE_WARNING)  # fit notes it, naming --dim
    warnings.filterwarnings("ignore", message=re.escape(NEAR_THE_MAP_THRESHOLD_WARNING))  # of cross-validation
    _SHOWN_WARNINGS.clear()
    warnings.showwarning = _one_line_warning


# The lines shown by this command: umap-learn's spectral warning came once per UMAP fit (trial 47).
_SHOWN_WARNINGS: set[str] = set()


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: Any = None, line: str | None = None) -> None:
    """A library's warning (umap-learn's on a tiny table, say) as one line on stderr, not Python's
    two lines of source file, line number and code, naming the library that warns in its words."""
    # its first paragraph, joined: umap-learn's spectral warning was cut after its first line (trial 47)
    text = " ".join(re.split(r"\n\s*\n", str(message).strip())[0].split()) or category.__name__
    package = re.search(r"(?:site|dist)-packages[/\\]([A-Za-z0-9_]+)", filename or "")
    library = package and LIBRARY_NAMES.get(package.group(1), package.group(1))
    if library == "umap-learn" and text.startswith("n_neighbors is larger than the dataset size"):
        text = "fewer rows than the 15 neighbours UMAP looks for per row: every other row is taken as a neighbour"
    shown = f"warning ({library}): {text}" if library and library != "aereduce" else f"warning: {text}"
    if shown not in _SHOWN_WARNINGS:
        _SHOWN_WARNINGS.add(shown)
        click.echo(shown, err=True)


# Packages imported under another name; and aereduce's own warnings point at the first caller outside
# it (errors.warn_user), which under this command line is click's (trial 31 read "warning (click): ...").
LIBRARY_NAMES = {"umap": "umap-learn", "sklearn": "scikit-learn", "click": "aereduce"}


def _wrote(rows: int, output: str) -> str:
    """The last line of a command that writes rows: 'wrote 1 row to stdout' (trial 21 read '1 rows')."""
    return f"wrote {plural(rows, 'row')} to {_where(output)}"


def _where(output: str) -> str:
    """Where rows went: stdout, or the file (said to be CSV where its name has no suffix to say so)."""
    if output == "-":
        return "stdout"
    unsaid = not Path(output).suffix and os.path.isfile(output)  # a pipe (>(...)) is no file to open later
    return f"{output} (as CSV: the name has no suffix)" if unsaid else output


# -- commands ------------------------------------------------------------------------------------

@main.command()
@click.argument("data")
@model_options(detector_default=True)
@data_options(saves=True, dropped="leave those rows out of the fit")
@fit_output_options
@click.option("--stream/--no-stream", default=None, show_default="on above 1 GiB",
              help="Read DATA in chunks, once per epoch, instead of loading it (a file or a folder of Parquet files).")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Rows per chunk when streaming.")
@group_column_option
@click.option("--ensemble", type=int, help="Fit an outlier detector of N autoencoders instead (more members, steadier scores).")
@click.option("--contamination", help="Share of the training rows to flag, in (0, 0.5], as scikit-learn's "
              "contamination: new rows, rebuilt less well, are flagged more often (default: auto, Tukey's fence on "
              "rows no member trained on).")
@global_options
def fit(data: str, output: str | None, holdout: float, stream: bool | None, chunk_rows: int, dim: int | None,
        method: str, seed: int, group_column: str | None, ensemble: int | None, contamination: str | None,
        **kwargs: Any) -> None:
    """Train a model on DATA and save it.

    \b
    Example:
      aereduce fit data.csv --dim 8 --id-column id --label-column species -o model.aer
      aereduce fit big.parquet --dim 8 --stream --epochs 2 -o model.aer
      aereduce fit data.csv --ensemble 5 -o detector.aer    # outlier detector
    """
    from .methods import get_method
    from .usecases import default_model_path, fit_model

    if ensemble is None and contamination is None:
        require_dim(dim)
    read = replace(read_options(kwargs), group_column=group_column)
    with progress_bar(epochs=get_method(method).trains_in_epochs) as progress:
        report = fit_model(data, output or default_model_path(data), method=method, dim=dim, read=read, seed=seed,
                           holdout=holdout, params=ae_params(kwargs, method), progress=progress, stream=stream,
                           chunk_rows=chunk_rows, ensemble=ensemble, contamination=contamination, notify=info)
    for line in report.lines():
        info(line)


CARRIED_LABEL = "Column carried through to the output"


def model_on_data(f: Callable) -> Callable:
    """MODEL and DATA arguments, DATA's read options and -o: a command that applies a saved model to a table."""
    f = click.option("-o", "--output", callback=output_name, help="Output file; the format follows the suffix ('-' for stdout).")(global_options(f))
    # trial 38: transform's help said "used for colouring and evaluation", of a column it only writes out
    return click.argument("model")(click.argument("data")(data_options(f, model=True, label=CARRIED_LABEL)))


def stream_rows(model: str, data: str, output: str | None, kwargs: dict[str, Any], compute: str, suffix: str) -> None:
    """Write ``usecases.<compute>`` of each row of DATA (default: beside it, named ``*.<suffix>.*``) and say so."""
    from . import usecases
    from .tables import default_output

    output = output or default_output(data, suffix)
    rows, notes = usecases.stream_file(model, data, output, read_options(kwargs), getattr(usecases, compute),
                                       command=click.get_current_context().info_name, notes=pending_notes())
    for line in notes + [_wrote(rows, output)]:
        info(line)


def pending_notes() -> list[str]:
    """A list for a command's notes as they arise, which the group still prints when the output's
    pipe closes midway (AereduceGroup.invoke)."""
    return click.get_current_context().find_root().obj.setdefault("pending_notes", [])


@main.command()
@model_on_data
def transform(model: str, data: str, output: str | None, **kwargs: Any) -> None:
    """Encode the rows of DATA with MODEL (streamed in chunks).

    \b
    Example:
      aereduce transform model.aer new.csv -o codes.csv
    """
    stream_rows(model, data, output, kwargs, "codes", "codes")


@main.command("inverse-transform")
@click.argument("model")
@click.argument("latent")
@click.option("--id-column", help="Column carried through to the output.")
@click.option("-o", "--output", callback=output_name, help="Output file ('-' for stdout).")
@global_options
def inverse_transform(model: str, latent: str, id_column: str | None, output: str | None) -> None:
    """Decode the codes in LATENT back to the data's columns and units.

    \b
    Example:
      aereduce inverse-transform model.aer codes.csv -o reconstructed.csv
    """
    from .tables import default_output
    from .usecases import inverse_transform_file

    output = output or default_output(latent, "reconstructed")
    rows, notes = inverse_transform_file(model, latent, output, id_column, notes=pending_notes())
    for line in notes + [_wrote(rows, output)]:
        info(line)


@main.command("fit-transform")
@click.argument("data")
@model_options
@data_options(label=CARRIED_LABEL)
@click.option("-o", "--output", callback=output_name, help="Output file for the codes ('-' for stdout).")
@global_options
def fit_transform(data: str, output: str | None, dim: int, method: str, seed: int, **kwargs: Any) -> None:
    """Fit on DATA and write its codes, without saving a model (works for UMAP too).

    \b
    Example:
      aereduce fit-transform data.csv --dim 2 --method umap -o map.csv
    """
    from .methods import get_method
    from .tables import default_output
    from .usecases import fit_transform_file

    output = output or default_output(data, "codes")
    read = read_options(kwargs)
    params = ae_params(kwargs, method)
    with progress_bar(epochs=get_method(method).trains_in_epochs) as progress:
        rows, fitted, notes = fit_transform_file(data, output, method=method, dim=dim, read=read, seed=seed,
                                                 params=params, progress=progress, notify=info)
    for line in [*notes, fitted, _wrote(rows, output)]:
        info(line)


@main.command()
@click.argument("model")
@click.argument("data")
@data_options(model=True, label=CARRIED_LABEL)
@click.option("--top", type=click.IntRange(min=1), help="Only the K rows with the largest score, largest first.")
@click.option("-o", "--output", callback=output_name, help="Output file ('-' for stdout).")
@global_options
def score(model: str, data: str, top: int | None, output: str | None, **kwargs: Any) -> None:
    """Per-row anomaly score of DATA under MODEL: its reconstruction error, or for an outlier
    detector (fit --ensemble) its anomaly score and an outlier column (1: outlier, 0: not).

    \b
    Example:
      aereduce score model.aer data.csv --id-column id --top 10 -o -
    """
    from .tables import default_output, write_table
    from .usecases import errors, stream_file, top_scores

    read = read_options(kwargs)
    output = output or default_output(data, "scores")
    if top is None:
        rows, notes = stream_file(model, data, output, read, errors, command="score")
        for line in notes + [_wrote(rows, output)]:
            info(line)
        return
    frame, scored, notes = top_scores(model, data, read, top)
    write_table(output, frame)
    # of the rows scored: trial 38 read "the top 5 of 344 rows" just after "2 rows were not scored"
    for line in [*notes, f"wrote the top {len(frame)} of {plural(scored, 'scored row')} to {_where(output)}"]:
        info(line)


@main.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@global_options
def inspect(model: str, as_json: bool) -> None:
    """Show a model's parameters, input columns, training metrics and versions.

    \b
    Example:
      aereduce inspect model.aer --json
    """
    from ._persistence import describe_model, format_description

    description = describe_model(model)
    click.echo(json.dumps(description, indent=2) if as_json else format_description(description))


@main.command()
@click.argument("model")
@click.argument("data")
@data_options(model=True, dropped="leave those rows out of the picture")
@click.option("-o", "--output", callback=output_name, help="Image file (.png, .jpg, .svg, .pdf; default: DATA's name with .plot.png).")
@picture_options
@global_options
def plot(model: str, data: str, output: str | None, image_shape, max_rows: int, **kwargs: Any) -> None:
    """Draw the 2-D map of DATA's codes, the loss curve, and reconstructions.

    \b
    Example:
      aereduce plot model.aer data.csv --label-column species -o map.png
    """
    from .usecases import plot_file

    output = output or file_beside(data, "plot", ".png")
    for note in plot_file(model, data, output, read_options(kwargs), image_shape, max_rows):
        info(note)
    info(f"wrote {output}")


@main.command()
@click.argument("model")
@click.argument("data")
@data_options(model=True, dropped="leave those rows out of the report")
@click.option("-o", "--output", callback=output_name, help="HTML file to write (default: DATA's name with .report.html).")
@picture_options
@global_options
def report(model: str, data: str, output: str | None, image_shape, max_rows: int, **kwargs: Any) -> None:
    """Write one self-contained HTML page on MODEL and DATA: parameters, training curve,
    error against PCA, 2-D map, reconstructions of image rows, most anomalous rows.

    \b
    Example:
      aereduce report model.aer data.csv --label-column species -o report.html
    """
    from .report import write_report

    output = output or file_beside(data, "report", ".html")
    for note in write_report(model, data, output, read_options(kwargs), image_shape=image_shape, max_rows=max_rows):
        info(note)
    info(f"wrote {output}")


@main.command()
@click.argument("data")
@click.option("--dim", "-d", type=click.IntRange(min=1), required=True, help="Dimension for every method.")
@data_options(writes=False, dropped="leave those rows out")
@click.option("--methods", callback=split_names, show_default=f"{','.join(METHOD_NAMES)} (umap when installed)",
              help="Comma-separated methods to compare.")
@click.option("--test-size", type=click.FloatRange(0.05, 0.5), default=0.2, show_default=True, help="Held-out share of rows.")
@group_column_option
@ae_option("--epochs", "Autoencoder epochs.")
@ae_option("--neighbour-weight", "The autoencoder's neighbour-preserving term, the 2-D map's (0 turns it off; default: "
           "on for 2 or 3 dims, fewer than the columns, on 1,000+ training rows).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed of the split and of each method.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--plot", callback=output_name, help="Also draw each method's map of every row, side by side, in this "
              "image file (.png, .jpg, .svg, .pdf).")
@global_options
def compare(data: str, dim: int, methods: list[str] | None, test_size: float, group_column: str | None, max_iter: Any,
            neighbour_weight: Any, seed: int, as_json: bool, plot: str | None, **kwargs: Any) -> None:
    """Compare the autoencoder with PCA and UMAP on a held-out split of DATA.

    Reports reconstruction MSE (scaled units), kNN accuracy (k=7) when labels are
    given, and fit and transform times, as a table on stdout (JSON with --json;
    redirect it to keep it).

    \b
    Example:
      aereduce compare data.csv --dim 2 --label-column species --plot maps.png
    """
    from .usecases import compare_file, format_comparison

    if methods is None:
        import importlib.util

        methods = list(METHOD_NAMES)
        if importlib.util.find_spec("umap") is None:  # a base install: compare what it has (trial 14)
            methods.remove("umap")
            info("UMAP is left out: umap-learn is not installed (pip install 'aereduce[umap]')")
    bad = [m for m in methods if m not in METHOD_NAMES]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not one of {', '.join(METHOD_NAMES)}", param_hint="--methods")
    twice = [m for i, m in enumerate(methods) if m in methods[:i]]
    if twice:  # pca,pca printed two identical rows (trial 24)
        raise click.BadParameter(f"names {twice[0]!r} twice; name each method once", param_hint="--methods")
    from .methods import get_method

    show = shows_bars()

    @contextlib.contextmanager
    def fitting(name: str) -> Iterator[Callable[[int, int], None] | None]:
        if show and not get_method(name).trains_in_epochs:  # a bar names the others
            info(f"fitting {name}...")
        # Each method's progress as fit shows it: epochs on a terminal, a line every half minute in a
        # log (compare said nothing through a minute's fit: trial 34).
        with progress_bar(f"fitting {name}", epochs=get_method(name).trains_in_epochs) as progress:
            yield progress

    params = {name: value for name, value in (("max_iter", max_iter), ("neighbour_weight", neighbour_weight))
              if value is not None}
    read = replace(read_options(kwargs), group_column=group_column)
    rows, _ = compare_file(data, dim, methods, read, test_size=test_size, seed=seed, params=params,
                           progress=fitting, notify=info, plot=plot)
    click.echo(json.dumps(rows, indent=2) if as_json else format_comparison(rows))
    if plot is not None:
        info(f"wrote {plot}")


@main.group()
def datasets() -> None:
    """Download and export the benchmark datasets (MNIST, Fashion-MNIST)."""


@datasets.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--data-home", help="Folder with one folder per dataset; NAME's files go in DATA_HOME/NAME "
              "(default: $AEREDUCE_DATA, else ~/.cache/aereduce).")
@global_options
def datasets_fetch(name: str, data_home: str | None) -> None:
    """Download NAME's four canonical files, verify their checksums, and cache them.

    \b
    Example:
      aereduce datasets fetch mnist
    """
    from .usecases import fetch_dataset

    show = shows_bars()

    def progress(filename: str, done: int, total: int) -> None:
        click.echo(f"\r{filename}: {done / 1e6:.1f}/{total / 1e6:.1f} MB", err=True, nl=False)

    folder = fetch_dataset(name, data_home, progress if show else None)
    if show:
        click.echo("", err=True)
    info(f"{name}: 4 files verified in {folder}")


@datasets.command("export")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option("--data-home", help="Folder with one folder per dataset, as for fetch (default: the cache; "
              "downloads what is missing).")
@click.option("--rows", type=click.IntRange(min=1), help="Only the first N rows.")
@click.option("-o", "--output", callback=output_name, required=True, help="Output table (.csv, .parquet, .npy, ...): pixels p0..p783 and a label column.")
@global_options
def datasets_export(name: str, split: str, data_home: str | None, rows: int | None, output: str) -> None:
    """Write a split of NAME as a table, to try the other commands on.

    \b
    Example:
      aereduce datasets export mnist --rows 5000 -o mnist.parquet
    """
    from .usecases import export_dataset

    n, notes = export_dataset(name, split, data_home, rows, output)
    for line in [*notes, _wrote(n, output)]:
        info(line)


@main.command()
@model_on_data
def denoise(model: str, data: str, output: str | None, **kwargs: Any) -> None:
    """Clean the rows of DATA: each row decoded from its code, in the model's input columns (with
    DATA's id and label) and DATA's units, each value within its column's training range.

    Best with a model fitted with --noise (a denoising autoencoder); PCA models work too.

    \b
    Example:
      aereduce fit train.csv --dim 32 --noise gaussian --noise-level 0.3 -o dae.aer
      aereduce denoise dae.aer noisy.csv -o clean.csv
    """
    stream_rows(model, data, output, kwargs, "reconstructions", "denoised")


@main.command()
@click.argument("model")
@click.option("-n", "--n-samples", type=click.IntRange(min=1), default=64, show_default=True, help="Rows to generate.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed; the same seed gives the same rows.")
@click.option("--image-shape", callback=parse_shape,
              help="Draw the rows as images of this shape (e.g. 28x28) in a grid: -o a .png, .jpg, .svg or .pdf.")
@click.option("-o", "--output", callback=output_name, default="-", show_default=True,
              help="Table in the model's columns (the format follows the suffix), or a picture.")
@global_options
def sample(model: str, n_samples: int, seed: int, image_shape, output: str) -> None:
    """Generate rows from a variational MODEL (fitted with --variational): each value within its
    column's training range, and a whole number where the column held whole numbers at fit.

    \b
    Example:
      aereduce sample vae.aer -n 64 -o samples.csv
      aereduce sample vae.aer -n 64 --image-shape 28x28 -o grid.png
    """
    from .usecases import sample_file

    sample_file(model, output, n_samples, seed, image_shape)
    info(f"wrote {plural(n_samples, 'sample')} to {_where(output)}")


if __name__ == "__main__":  # pragma: no cover
    main()
