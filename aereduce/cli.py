"""The ``aereduce`` command line: option parsing over :mod:`aereduce.usecases`.

Each command parses its options and calls one use-case function. stdout carries data
only; summaries, progress and errors go to stderr. The autoencoder's options are built
from its parameter declarations (:mod:`aereduce._params`), and torch, scikit-learn, umap
and matplotlib are imported only by the work that needs them, so usage errors are instant.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from typing import Any

import click

from ._params import AUTOENCODER_PARAMS
from ._version import __version__

# umap-learn warns on every seeded fit that it runs single-threaded; that is noise to a CLI user.
warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)

METHOD_NAMES = ("ae", "pca", "umap")  # checked against aereduce.methods.METHODS by a test


class UserError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class AereduceGroup(click.Group):
    """Turns the project's errors and I/O errors into one line; anything else is a bug and says so."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # `aereduce ... | head`: the reader has what it wanted
            sys.stderr = sys.stdout = open(__import__("os").devnull, "w")
            ctx.exit(0)
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            from sklearn.utils._param_validation import InvalidParameterError

            from .errors import AereduceError

            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, (AereduceError, OSError, InvalidParameterError)):
                raise UserError(message) from None
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


def _info(message: str) -> None:
    if not click.get_current_context().find_root().obj.get("quiet"):
        click.echo(message, err=True)


def _progress_bar(label: str = "training") -> Any:
    """A ``progress(done, total)`` drawing a bar on a terminal's stderr, or None."""
    if click.get_current_context().find_root().obj.get("quiet") or not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)
        if done >= total:
            state["bar"].__exit__(None, None, None)
    return progress


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


# -- shared options ------------------------------------------------------------------------------

def _split_names(ctx, param, value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def data_options(f: Callable) -> Callable:
    """Options that pick the feature columns of DATA, collected into ``read``."""
    options = [
        click.option("--columns", callback=_split_names, help="Comma-separated feature columns (default: all numeric ones)."),
        click.option("--exclude", callback=_split_names, help="Comma-separated columns to leave out."),
        click.option("--id-column", help="Column carried through to outputs, never a feature."),
        click.option("--label-column", help="Column used for colouring and evaluation, never a feature."),
        click.option("--nan", type=click.Choice(["error", "drop", "zero", "mean"]), default="error",
                     show_default=True, help="What to do with missing values."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _read(kwargs: dict[str, Any]):
    from .usecases import ReadOptions

    return ReadOptions(**{k: kwargs.pop(k) for k in ("columns", "exclude", "id_column", "label_column", "nan")})


def _parse_shape(ctx, param, value: str | None) -> tuple[int, ...] | None:
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


def _parse_layers(ctx, param, value: str | None):
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


def _click_type(name: str) -> Any:
    """The click type of an estimator parameter, from its declaration."""
    p = AUTOENCODER_PARAMS[name]
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
     {"callback": _parse_layers}),
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
    ("--sparsity-weight", "sparsity_weight", "Weight of the sparsity penalty (default: 1e-4 for l1, 1e-3 for kl).", {}),
    ("--contractive-weight", "contractive_weight", "", {}),
    ("--tied", "tied_weights", "", {"is_flag": True}),
    ("--variational", "variational", "", {"is_flag": True}),
    ("--beta", "beta", "", {}),
    ("--pretrain", "pretrain", "", {"is_flag": True}),
    ("--conv", "input_shape", "Convolutional model for image rows, e.g. 28x28.", {"callback": _parse_shape}),
    ("--early-stopping", "early_stopping", "Always stop when a 10% validation split stops improving "
     "(default: on for 50-20,000 rows).", {"is_flag": True}),
    ("--device", "device", "cpu, cuda, cuda:N, mps or auto.", {"callback": _check_device}),
]


def model_options(f: Callable) -> Callable:
    """The method, the dimension, the seed and the autoencoder's options (defaults: the estimator's)."""
    options = [
        click.option("--dim", "-d", type=click.IntRange(min=1), required=True, help="Dimension of the code."),
        click.option("--method", type=click.Choice(METHOD_NAMES), default="ae", show_default=True,
                     help="Autoencoder, or a baseline through the same interface."),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed; the same seed gives the same output."),
    ]
    for flag, name, help_text, extra in AE_OPTIONS:
        default = AUTOENCODER_PARAMS[name].default
        settings = {"type": _click_type(name), "help": help_text or AUTOENCODER_PARAMS[name].help,
                    "show_default": str(default if default is not None else "off")} | extra
        if settings.get("is_flag"):
            settings.pop("type")
            settings["show_default"] = False
        options.append(click.option(flag, name, **settings))
    for option in reversed(options):
        f = option(f)
    return f


def _ae_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The autoencoder parameters given on the command line (a flag left off keeps the default)."""
    values = {name: kwargs.pop(name) for _, name, _, _ in AE_OPTIONS}
    return {name: value for name, value in values.items() if value is not None and value is not False}


def _where(output: str) -> str:
    return "stdout" if output == "-" else output


# -- commands ------------------------------------------------------------------------------------

@main.command()
@click.argument("data")
@model_options
@data_options
@click.option("-o", "--output", help="Model file to write (default: DATA's name with .aer).")
@click.option("--holdout", type=click.FloatRange(0, 0.5, max_open=True), default=0.1, show_default=True,
              help="Share of rows held out to report reconstruction error against PCA; 0 fits on all rows.")
@global_options
def fit(data: str, output: str | None, holdout: float, dim: int, method: str, seed: int, **kwargs: Any) -> None:
    """Train a model on DATA and save it.

    \b
    Example:
      aereduce fit data.csv --dim 8 --id-column id --label-column species -o model.aer
    """
    from .usecases import default_model_path, fit_model

    read = _read(kwargs)
    report = fit_model(data, output or default_model_path(data), method=method, dim=dim, read=read, seed=seed,
                       holdout=holdout, params=_ae_params(kwargs), progress=_progress_bar())
    for line in report.lines():
        _info(line)


@main.command()
@click.argument("model")
@click.argument("data")
@data_options
@click.option("-o", "--output", help="Output file; the format follows the suffix ('-' for stdout).")
@global_options
def transform(model: str, data: str, output: str | None, **kwargs: Any) -> None:
    """Encode the rows of DATA with MODEL (streamed in chunks).

    \b
    Example:
      aereduce transform model.aer new.csv -o codes.csv
    """
    from .tables import default_output
    from .usecases import codes_frame, stream_file

    output = output or default_output(data, "codes")
    rows = stream_file(model, data, output, _read(kwargs), codes_frame)
    _info(f"wrote {rows} rows to {_where(output)}")


@main.command("inverse-transform")
@click.argument("model")
@click.argument("latent")
@click.option("--id-column", help="Column carried through to the output.")
@click.option("-o", "--output", help="Output file ('-' for stdout).")
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
    rows = inverse_transform_file(model, latent, output, id_column)
    _info(f"wrote {rows} rows to {_where(output)}")


@main.command("fit-transform")
@click.argument("data")
@model_options
@data_options
@click.option("-o", "--output", help="Output file for the codes ('-' for stdout).")
@global_options
def fit_transform(data: str, output: str | None, dim: int, method: str, seed: int, **kwargs: Any) -> None:
    """Fit on DATA and write its codes, without saving a model (works for UMAP too).

    \b
    Example:
      aereduce fit-transform data.csv --dim 2 --method umap -o map.csv
    """
    from .tables import default_output
    from .usecases import fit_transform_file

    output = output or default_output(data, "codes")
    read = _read(kwargs)
    rows, seconds = fit_transform_file(data, output, method=method, dim=dim, read=read, seed=seed,
                                       params=_ae_params(kwargs), progress=_progress_bar())
    _info(f"fitted {method} ({dim} dims) on {rows} rows in {seconds:.1f} s")
    _info(f"wrote {rows} rows to {_where(output)}")


@main.command()
@click.argument("model")
@click.argument("data")
@data_options
@click.option("--top", type=click.IntRange(min=1), help="Only the K rows with the largest error, largest first.")
@click.option("-o", "--output", help="Output file ('-' for stdout).")
@global_options
def score(model: str, data: str, top: int | None, output: str | None, **kwargs: Any) -> None:
    """Per-row reconstruction error of DATA under MODEL: the anomaly score.

    \b
    Example:
      aereduce score model.aer data.csv --id-column id --top 10 -o -
    """
    from .tables import default_output, write_table
    from .usecases import errors_frame, stream_file, top_scores

    read = _read(kwargs)
    output = output or default_output(data, "scores")
    if top is None:
        rows = stream_file(model, data, output, read, errors_frame)
        _info(f"wrote {rows} rows to {_where(output)}")
        return
    frame, rows = top_scores(model, data, read, top)
    write_table(output, frame)
    _info(f"wrote the top {len(frame)} of {rows} rows to {_where(output)}")


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
    from ._persistence import describe_model

    info = describe_model(model)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['file']}: {info['kind']} model, {info['n_features_in']} input columns, {info['n_parameters']} weights")
    columns = info["input_columns"]
    if columns:
        click.echo("columns: " + ", ".join(columns[:12]) + (f", ... ({len(columns)} in all)" if len(columns) > 12 else ""))
    for section in ("params", "training", "versions"):
        click.echo(f"{section}:")
        for key, value in info[section].items():
            click.echo(f"  {key.rstrip('_')}: {value}")


@main.command()
@click.argument("model")
@click.argument("data")
@data_options
@click.option("-o", "--output", required=True, help="Image file (.png, .svg, .pdf).")
@click.option("--image-shape", callback=_parse_shape, help="Rows are images of this shape (e.g. 28x28): adds originals against reconstructions.")
@click.option("--max-rows", type=click.IntRange(min=1), default=20_000, show_default=True, help="Plot at most this many rows.")
@global_options
def plot(model: str, data: str, output: str, image_shape, max_rows: int, **kwargs: Any) -> None:
    """Draw the 2-D map of DATA's codes, the loss curve, and reconstructions.

    \b
    Example:
      aereduce plot model.aer data.csv --label-column species -o map.png
    """
    from .usecases import plot_file

    plot_file(model, data, output, _read(kwargs), image_shape, max_rows)
    _info(f"wrote {output}")


@main.command()
@click.argument("data")
@click.option("--dim", "-d", type=click.IntRange(min=1), required=True, help="Dimension for every method.")
@data_options
@click.option("--methods", callback=_split_names, default=",".join(METHOD_NAMES), show_default=True,
              help="Comma-separated methods to compare.")
@click.option("--test-size", type=click.FloatRange(0.05, 0.5), default=0.2, show_default=True, help="Held-out share of rows.")
@click.option("--epochs", "max_iter", type=_click_type("max_iter"), help="Autoencoder epochs (default: auto).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@global_options
def compare(data: str, dim: int, methods: list[str], test_size: float, max_iter: int | None, seed: int,
            as_json: bool, **kwargs: Any) -> None:
    """Compare the autoencoder with PCA and UMAP on a held-out split of DATA.

    Reports reconstruction MSE (scaled units), kNN accuracy (k=7) when labels are
    given, and fit and transform times.

    \b
    Example:
      aereduce compare data.csv --dim 2 --label-column species
    """
    from .usecases import compare_file, format_comparison

    bad = [m for m in methods if m not in METHOD_NAMES]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not one of {', '.join(METHOD_NAMES)}", param_hint="--methods")
    show = _progress_bar() is not None
    rows = compare_file(data, dim, methods, _read(kwargs), test_size=test_size, seed=seed,
                        params={"max_iter": max_iter} if max_iter else {},
                        progress=(lambda m: _info(f"fitting {m}...")) if show else None)
    click.echo(json.dumps(rows, indent=2) if as_json else format_comparison(rows))


@main.group()
def datasets() -> None:
    """Download and export the benchmark datasets (MNIST, Fashion-MNIST)."""


@datasets.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--data-home", help="Folder for the files (default: $AEREDUCE_DATA or ~/.cache/aereduce/NAME).")
@global_options
def datasets_fetch(name: str, data_home: str | None) -> None:
    """Download NAME's four canonical files, verify their checksums, and cache them.

    \b
    Example:
      aereduce datasets fetch mnist
    """
    from .usecases import fetch_dataset

    show = _progress_bar() is not None

    def progress(filename: str, done: int, total: int) -> None:
        click.echo(f"\r{filename}: {done / 1e6:.1f}/{total / 1e6:.1f} MB", err=True, nl=False)

    folder = fetch_dataset(name, data_home, progress if show else None)
    if show:
        click.echo("", err=True)
    _info(f"{name}: 4 files verified in {folder}")


@datasets.command("export")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option("--data-home", help="Folder holding the files (default: the cache; downloads if missing).")
@click.option("--rows", type=click.IntRange(min=1), help="Only the first N rows.")
@click.option("-o", "--output", required=True, help="Output table (.csv, .parquet, .npy, ...): pixels p0..p783 and a label column.")
@global_options
def datasets_export(name: str, split: str, data_home: str | None, rows: int | None, output: str) -> None:
    """Write a split of NAME as a table, to try the other commands on.

    \b
    Example:
      aereduce datasets export mnist --rows 5000 -o mnist.parquet
    """
    from .usecases import export_dataset

    n = export_dataset(name, split, data_home, rows, output)
    _info(f"wrote {n} rows to {output}")


if __name__ == "__main__":  # pragma: no cover
    main()
