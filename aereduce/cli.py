"""The ``aereduce`` command line: a thin Click layer over the library.

stdout carries data only; summaries, progress and errors go to stderr. torch,
umap and matplotlib are imported inside the commands that need them, so
``aereduce --help`` stays fast.
"""

from __future__ import annotations

import functools
import heapq
import json
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import click

from ._version import __version__

# umap-learn warns on every seeded fit that it runs single-threaded; that is noise to a CLI user.
warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)

CHUNK_ROWS = 10_000


class UserError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def _user_errors() -> tuple[type[BaseException], ...]:
    from ._modelfile import ModelFileError
    from .datasets import DatasetError
    from .tables import InputError

    return (InputError, ModelFileError, DatasetError, ValueError, ImportError, OSError)


class AereduceGroup(click.Group):
    """Turns expected failures into one clear line (a traceback only with ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug") or (ctx.obj or {}).get("debug"):
                raise
            from ._training import TrainingError

            if isinstance(exc, _user_errors() + (TrainingError,)):
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise UserError(message) from None
            raise UserError(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)") from None


def _info(ctx: click.Context, message: str) -> None:
    if not ctx.find_root().obj.get("quiet"):
        click.echo(message, err=True)


def _show_progress(ctx: click.Context) -> bool:
    return not ctx.find_root().obj.get("quiet") and sys.stderr.isatty()


@click.group(cls=AereduceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aereduce")
@click.option("-q", "--quiet", is_flag=True, help="No summaries or progress on stderr.")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.pass_context
def main(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Reduce the dimension of tabular data with autoencoders, beside PCA and UMAP.

    \b
    Example:
      aereduce fit data.csv --dim 8 --label-column y -o model.aer
      aereduce transform model.aer new.csv -o codes.csv
    """
    ctx.ensure_object(dict)
    ctx.obj.update(quiet=quiet, debug=debug)


# -- shared options ------------------------------------------------------------------------------

def _split_names(ctx, param, value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def data_options(f: Callable) -> Callable:
    """Options that pick the feature columns of DATA."""
    options = [
        click.option("--columns", callback=_split_names, help="Comma-separated feature columns (default: all numeric ones)."),
        click.option("--exclude", callback=_split_names, help="Comma-separated columns to leave out."),
        click.option("--id-column", help="Column carried through to outputs, never a feature."),
        click.option("--label-column", help="Column used for colouring and evaluation, never a feature."),
        click.option("--nan", "nan_policy", type=click.Choice(["error", "drop", "zero", "mean"]), default="error",
                     show_default=True, help="What to do with missing values."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _read_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"columns": kwargs.pop("columns"), "exclude": kwargs.pop("exclude"), "id_column": kwargs.pop("id_column"),
            "label_column": kwargs.pop("label_column"), "nan": kwargs.pop("nan_policy")}


def _parse_shape(ctx, param, value: str | None) -> tuple[int, ...] | None:
    if not value:
        return None
    try:
        shape = tuple(int(v) for v in value.lower().replace(",", "x").split("x"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a shape like 28x28 or 1x28x28") from None
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise click.BadParameter(f"{value!r} is not a shape like 28x28 or 1x28x28")
    return shape


def _parse_layers(ctx, param, value: str | None):
    if value is None:
        return "auto"
    if value.strip().lower() in ("", "none", "0"):
        return ()
    try:
        return tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of widths like 256,128") from None


def model_options(f: Callable) -> Callable:
    """Options of the reducer: the method, the dimension and the autoencoder's main parameters."""
    options = [
        click.option("--dim", "-d", type=click.IntRange(min=1), required=True, help="Dimension of the code."),
        click.option("--method", type=click.Choice(["ae", "pca", "umap"]), default="ae", show_default=True,
                     help="Autoencoder, or a baseline through the same interface."),
        click.option("--hidden-layers", callback=_parse_layers, help="Encoder widths, e.g. 512,256 (default: auto; 'none' for linear)."),
        click.option("--activation", type=click.Choice(["gelu", "relu", "tanh", "logistic", "identity"]), default="gelu", show_default=True),
        click.option("--loss", type=click.Choice(["auto", "mse", "bce", "cosine"]), default="auto", show_default=True),
        click.option("--epochs", type=click.IntRange(min=1), help="Epochs (default: auto, about 5,000 steps)."),
        click.option("--batch-size", type=click.IntRange(min=1), help="Rows per mini-batch (default: auto)."),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=3e-3, show_default=True, help="Peak learning rate."),
        click.option("--weight-decay", type=click.FloatRange(min=0), default=1e-4, show_default=True, help="L2 weight decay (alpha)."),
        click.option("--noise", type=click.Choice(["mask", "gaussian"]), help="Denoising autoencoder corruption."),
        click.option("--noise-level", type=click.FloatRange(min=0), default=0.2, show_default=True),
        click.option("--sparsity", type=click.Choice(["l1", "kl"]), help="Sparse autoencoder penalty."),
        click.option("--sparsity-weight", type=click.FloatRange(min=0), default=None, show_default="auto: 1e-4 for l1, 1e-3 for kl"),
        click.option("--contractive-weight", type=click.FloatRange(min=0), default=0.0, show_default=True),
        click.option("--tied", is_flag=True, help="Tie decoder weights to the encoder's."),
        click.option("--variational", is_flag=True, help="Variational autoencoder."),
        click.option("--beta", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Weight of the VAE's KL term."),
        click.option("--pretrain", is_flag=True, help="Greedy layer-wise pretraining (stacked autoencoder)."),
        click.option("--conv", "conv_shape", callback=_parse_shape, help="Convolutional model for image rows, e.g. 28x28."),
        click.option("--early-stopping", is_flag=True, help="Always stop when a 10% validation split stops improving (default: auto, on for 50-20,000 rows)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed; the same seed gives the same output."),
        click.option("--device", default="auto", show_default=True, help="cpu, cuda, mps or auto."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _reducer(kwargs: dict[str, Any]):
    """Build the reducer from the popped model options."""
    from .baselines import make_reducer

    method, dim, seed = kwargs.pop("method"), kwargs.pop("dim"), kwargs.pop("seed")
    sparsity_weight = kwargs.pop("sparsity_weight")
    ae_params = dict(
        hidden_layer_sizes=kwargs.pop("hidden_layers"), activation=kwargs.pop("activation"), loss=kwargs.pop("loss"),
        max_iter=kwargs.pop("epochs") or "auto", batch_size=kwargs.pop("batch_size") or "auto",
        learning_rate_init=kwargs.pop("lr"), alpha=kwargs.pop("weight_decay"), noise=kwargs.pop("noise"),
        noise_level=kwargs.pop("noise_level"), sparsity=kwargs.pop("sparsity"), sparsity_weight="auto" if sparsity_weight is None else sparsity_weight,
        contractive_weight=kwargs.pop("contractive_weight"), tied_weights=kwargs.pop("tied"),
        variational=kwargs.pop("variational"), beta=kwargs.pop("beta"), pretrain=kwargs.pop("pretrain"),
        input_shape=kwargs.pop("conv_shape"), early_stopping=kwargs.pop("early_stopping") or "auto", device=kwargs.pop("device"),
    )
    return method, make_reducer(method, dim, seed, **(ae_params if method == "ae" else {}))


def _check_dim(dim: int, table, method: str) -> None:
    n_rows, n_features = table.X.shape
    if method in ("pca", "umap") and dim > min(n_rows, n_features):
        raise UserError(f"--dim {dim} is out of range for {method}: at most min(rows, columns) = {min(n_rows, n_features)}")


def _fit_with_progress(ctx: click.Context, reducer, X, label: str = "training"):
    """Fit, with a progress bar over epochs on a terminal."""
    from .estimator import AutoencoderTransformer

    if not isinstance(reducer, AutoencoderTransformer) or not _show_progress(ctx):
        return reducer.fit(X)
    from .estimator import auto_batch_size, auto_max_iter

    batch = reducer.batch_size if reducer.batch_size != "auto" else auto_batch_size(len(X))
    epochs = reducer.max_iter if reducer.max_iter != "auto" else auto_max_iter(len(X), batch)
    with click.progressbar(length=epochs, label=label, file=sys.stderr, show_pos=True) as bar:
        return reducer.fit(X, epoch_callback=lambda epoch, loss: bar.update(1))


# -- commands ------------------------------------------------------------------------------------

@main.command()
@click.argument("data")
@model_options
@data_options
@click.option("-o", "--output", help="Model file to write (default: DATA's name with .aer).")
@click.option("--holdout", type=click.FloatRange(0, 0.5, max_open=True), default=0.1, show_default=True,
              help="Share of rows held out to report reconstruction error against PCA; 0 fits on all rows.")
@click.pass_context
def fit(ctx: click.Context, data: str, output: str | None, holdout: float, **kwargs: Any) -> None:
    """Train a model on DATA and save it.

    \b
    Example:
      aereduce fit data.csv --dim 8 --id-column id --label-column species -o model.aer
    """
    import numpy as np

    from .baselines import ScaledPCA
    from .tables import read_table

    table = read_table(data, **_read_options(kwargs))
    dim = kwargs["dim"]
    method, reducer = _reducer(kwargs)
    if method == "umap":
        raise UserError("UMAP models cannot be saved safely (umap-learn stores them with pickle); "
                        "use `aereduce fit-transform --method umap` or `aereduce compare` instead")
    _check_dim(dim, table, method)
    output = output or str(__import__("pathlib").Path(data if data != "-" else "model").with_suffix(".aer"))
    X = table.features()
    n_rows, n_cols = X.shape
    rng = np.random.default_rng(0)
    n_test = int(round(holdout * n_rows)) if n_rows >= 10 else 0
    order = rng.permutation(n_rows)
    train, test = X.iloc[order[n_test:]], X.iloc[order[:n_test]]
    tic = time.perf_counter()
    _fit_with_progress(ctx, reducer, train)
    seconds = time.perf_counter() - tic
    reducer.save(output)
    evaluation = test if n_test else train
    where = "held-out" if n_test else "training"
    error = float(np.mean(reducer.reconstruction_error(evaluation)))
    summary = f"fitted {method} ({dim} dims) on {len(train)} rows x {n_cols} columns"
    if hasattr(reducer, "n_iter_"):
        summary += f", {reducer.n_iter_} epochs"
    summary += f" in {seconds:.1f} s"
    _info(ctx, summary)
    if method == "ae" and dim <= min(train.shape):
        pca = ScaledPCA(n_components=dim, scaling=reducer.scaling_).fit(train)
        pca_error = float(np.mean(pca.reconstruction_error(evaluation)))
        ratio = pca_error / error if error > 0 else float("inf")
        _info(ctx, f"{where} reconstruction MSE {error:.4g} (PCA-{dim}: {pca_error:.4g}, {ratio:.2f}x PCA's error lowered)"
              if ratio >= 1 else f"{where} reconstruction MSE {error:.4g} (PCA-{dim}: {pca_error:.4g}; PCA is better here)")
    else:
        _info(ctx, f"{where} reconstruction MSE {error:.4g}")
    _info(ctx, f"wrote {output}")


def _load(model_path: str):
    from .baselines import load_model

    return load_model(model_path)


def _read_for_model(model, data: str, read: dict[str, Any], chunksize: int | None):
    """Chunks of DATA with the model's columns, matched by name."""
    from .tables import InputError, iter_tables

    names = [str(n) for n in getattr(model, "feature_names_in_", [])] or None
    for table in iter_tables(data, chunksize, **read):
        if names is not None and not read.get("columns"):
            given = table.feature_names
            missing = [n for n in names if n not in given]
            extra = [n for n in given if n not in names]
            if missing:
                raise InputError(f"{data}: no column {missing[0]!r}, which the model was trained on; "
                                 f"the model expects {len(names)} columns")
            if extra:
                raise InputError(f"{data}: unexpected column {extra[0]!r}, which the model was not trained on; "
                                 f"leave it out with --exclude {extra[0]}")
            table.X = table.X[:, [given.index(n) for n in names]]
            table.feature_names = names
        elif table.X.shape[1] != model.n_features_in_:
            raise InputError(f"{data}: has {table.X.shape[1]} feature columns, the model expects {model.n_features_in_}")
        yield table


def _stream(ctx, model_path: str, data: str, output: str, read: dict[str, Any], compute: Callable) -> None:
    """Apply ``compute(model, table) -> DataFrame`` chunk by chunk and write atomically."""
    from .tables import TableWriter

    model = _load(model_path)
    rows = 0
    show = _show_progress(ctx)
    with TableWriter(output) as writer:
        for table in _read_for_model(model, data, read, CHUNK_ROWS):
            writer.write(compute(model, table))
            rows += len(table.X)
            if show:
                click.echo(f"\r{rows} rows done", err=True, nl=False)
    if show:
        click.echo("", err=True)
    _info(ctx, f"wrote {rows} rows to {'stdout' if output == '-' else output}")


def _codes_frame(model, table):
    from .tables import output_frame

    return output_frame(model.transform(table.features()), [str(n) for n in model.get_feature_names_out()], table)


@main.command()
@click.argument("model")
@click.argument("data")
@data_options
@click.option("-o", "--output", help="Output file; the format follows the suffix ('-' for stdout).")
@click.pass_context
def transform(ctx: click.Context, model: str, data: str, output: str | None, **kwargs: Any) -> None:
    """Encode the rows of DATA with MODEL (streamed in chunks).

    \b
    Example:
      aereduce transform model.aer new.csv -o codes.csv
    """
    from .tables import default_output

    _stream(ctx, model, data, output or default_output(data, "codes"), _read_options(kwargs), _codes_frame)


@main.command("inverse-transform")
@click.argument("model")
@click.argument("latent")
@click.option("--id-column", help="Column carried through to the output.")
@click.option("-o", "--output", help="Output file ('-' for stdout).")
@click.pass_context
def inverse_transform(ctx: click.Context, model: str, latent: str, id_column: str | None, output: str | None) -> None:
    """Decode the codes in LATENT back to the data's columns and units.

    \b
    Example:
      aereduce inverse-transform model.aer codes.csv -o reconstructed.csv
    """
    from .tables import InputError, TableWriter, default_output, iter_tables, output_frame

    est = _load(model)
    names = [str(n) for n in getattr(est, "feature_names_in_", [])] or [f"x{i}" for i in range(est.n_features_in_)]
    output = output or default_output(latent, "reconstructed")
    rows = 0
    with TableWriter(output) as writer:
        for table in iter_tables(latent, CHUNK_ROWS, columns=None, exclude=None, id_column=id_column, label_column=None, nan="error"):
            n_codes = len(est.get_feature_names_out())
            if table.X.shape[1] != n_codes:
                raise InputError(f"{latent}: has {table.X.shape[1]} code columns, the model's code has {n_codes}")
            writer.write(output_frame(est.inverse_transform(table.X), names, table))
            rows += len(table.X)
    _info(ctx, f"wrote {rows} rows to {'stdout' if output == '-' else output}")


@main.command("fit-transform")
@click.argument("data")
@model_options
@data_options
@click.option("-o", "--output", help="Output file for the codes ('-' for stdout).")
@click.pass_context
def fit_transform(ctx: click.Context, data: str, output: str | None, **kwargs: Any) -> None:
    """Fit on DATA and write its codes, without saving a model (works for UMAP too).

    \b
    Example:
      aereduce fit-transform data.csv --dim 2 --method umap -o map.csv
    """
    from .tables import default_output, output_frame, read_table, write_table

    table = read_table(data, **_read_options(kwargs))
    dim = kwargs["dim"]
    method, reducer = _reducer(kwargs)
    _check_dim(dim, table, method)
    tic = time.perf_counter()
    X = table.features()
    Z = _fit_with_progress(ctx, reducer, X).transform(X) if method != "umap" else reducer.fit_transform(table.X)
    _info(ctx, f"fitted {method} ({dim} dims) on {table.X.shape[0]} rows x {table.X.shape[1]} columns in {time.perf_counter() - tic:.1f} s")
    names = [f"{method}{i}" for i in range(dim)]
    output = output or default_output(data, "codes")
    frame = output_frame(Z, names, table)
    if table.labels is not None:
        frame[table.label_name] = table.labels
    write_table(output, frame)
    _info(ctx, f"wrote {len(Z)} rows to {'stdout' if output == '-' else output}")


@main.command()
@click.argument("model")
@click.argument("data")
@data_options
@click.option("--top", type=click.IntRange(min=1), help="Only the K rows with the largest error, largest first.")
@click.option("-o", "--output", help="Output file ('-' for stdout).")
@click.pass_context
def score(ctx: click.Context, model: str, data: str, top: int | None, output: str | None, **kwargs: Any) -> None:
    """Per-row reconstruction error of DATA under MODEL: the anomaly score.

    \b
    Example:
      aereduce score model.aer data.csv --id-column id --top 10 -o -
    """
    import pandas as pd

    from .tables import default_output, output_frame, write_table

    read = _read_options(kwargs)
    output = output or default_output(data, "scores")
    if top is None:
        def compute(est, table):
            return output_frame(est.reconstruction_error(table.features())[:, None], ["reconstruction_error"], table)
        _stream(ctx, model, data, output, read, compute)
        return
    est = _load(model)
    best: list[tuple[float, int, Any]] = []  # a heap of the K largest errors, memory O(K)
    row = 0
    for table in _read_for_model(est, data, read, CHUNK_ROWS):
        errors = est.reconstruction_error(table.features())
        for i, e in enumerate(errors):
            item = (float(e), -(row + i + 1), None if table.ids is None else table.ids[i])
            if len(best) < top:
                heapq.heappush(best, item)
            else:
                heapq.heappushpop(best, item)
        row += len(errors)
    best.sort(reverse=True)
    frame = pd.DataFrame({"row": [-r for _, r, _ in best], "reconstruction_error": [e for e, _, _ in best]})
    if read["id_column"]:
        frame.insert(0, read["id_column"], [i for _, _, i in best])
    write_table(output, frame)
    _info(ctx, f"wrote the top {len(frame)} of {row} rows to {'stdout' if output == '-' else output}")


def describe_model(path: str) -> dict[str, Any]:
    """What ``inspect`` shows: kind, parameters, columns, training metrics and versions."""
    from ._modelfile import read_model_file

    kind, tensors, meta = read_model_file(path)
    fitted = meta.get("fitted", {})
    return {
        "file": path,
        "kind": kind,
        "params": meta.get("params", {}),
        "n_features_in": fitted.get("n_features_in_"),
        "input_columns": fitted.get("feature_names_in_"),
        "training": {k: fitted[k] for k in ("n_iter_", "fit_time_", "scaling_", "loss_", "output_activation_",
                                            "hidden_layer_sizes_", "batch_size_", "best_validation_score_") if k in fitted}
        | ({"final_loss": fitted["loss_curve_"][-1]} if fitted.get("loss_curve_") else {}),
        "n_parameters": int(sum(v.size for k, v in tensors.items() if k.startswith("model."))),
        "versions": meta.get("versions", {}),
    }


@main.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect(model: str, as_json: bool) -> None:
    """Show a model's parameters, input columns, training metrics and versions.

    \b
    Example:
      aereduce inspect model.aer --json
    """
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
@click.pass_context
def plot(ctx: click.Context, model: str, data: str, output: str, image_shape, max_rows: int, **kwargs: Any) -> None:
    """Draw the 2-D map of DATA's codes, the loss curve, and reconstructions.

    \b
    Example:
      aereduce plot model.aer data.csv --label-column species -o map.png
    """
    from .plotting import model_report

    est = _load(model)
    table = next(_read_for_model(est, data, _read_options(kwargs), None))
    X = table.features().iloc[:max_rows]
    labels = table.labels[:max_rows] if table.labels is not None else None
    X_hat = est.inverse_transform(est.transform(X.iloc[:10])) if image_shape else None
    shape = image_shape[1:] if image_shape and image_shape[0] == 1 else image_shape
    model_report(output, est.transform(X), labels, getattr(est, "loss_curve_", None), X.to_numpy(), X_hat, shape,
                 title=f"{describe_model(model)['kind']}: 2-D map")
    _info(ctx, f"wrote {output}")


@main.command()
@click.argument("data")
@click.option("--dim", "-d", type=click.IntRange(min=1), required=True, help="Dimension for every method.")
@data_options
@click.option("--methods", default="ae,pca,umap", show_default=True, help="Comma-separated methods to compare.")
@click.option("--test-size", type=click.FloatRange(0.05, 0.5), default=0.2, show_default=True, help="Held-out share of rows.")
@click.option("--epochs", type=click.IntRange(min=1), help="Autoencoder epochs (default: auto).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def compare(ctx: click.Context, data: str, dim: int, methods: str, test_size: float, epochs: int | None, seed: int,
            as_json: bool, **kwargs: Any) -> None:
    """Compare the autoencoder with PCA and UMAP on a held-out split of DATA.

    Reports reconstruction MSE (scaled units), kNN accuracy (k=7) when labels are
    given, and fit and transform times.

    \b
    Example:
      aereduce compare data.csv --dim 2 --label-column species
    """
    from .compare import compare_methods
    from .tables import read_table

    table = read_table(data, **_read_options(kwargs))
    wanted = [m.strip() for m in methods.split(",") if m.strip()]
    bad = [m for m in wanted if m not in ("ae", "pca", "umap")]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not one of ae, pca, umap", param_hint="--methods")
    for m in wanted:
        _check_dim(dim, table, m)
    rows = compare_methods(table.X, table.labels, dim, wanted, test_size=test_size, seed=seed,
                           ae_params={"max_iter": epochs or "auto"},
                           progress=(lambda m: _info(ctx, f"fitting {m}...")) if _show_progress(ctx) else None)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(format_comparison(rows))


def format_comparison(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`aereduce.compare.compare_methods` rows."""
    headers = ["method", "dim", "recon_mse", "knn_acc", "fit_s", "transform_s"]
    cells = [[("-" if r.get(h) is None else f"{r[h]:.4g}" if isinstance(r.get(h), float) else str(r[h])) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


@main.group()
def datasets() -> None:
    """Download and export the benchmark datasets (MNIST, Fashion-MNIST)."""


@datasets.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--data-home", help="Folder for the files (default: $AEREDUCE_DATA or ~/.cache/aereduce/NAME).")
@click.pass_context
def datasets_fetch(ctx: click.Context, name: str, data_home: str | None) -> None:
    """Download NAME's four canonical files, verify their checksums, and cache them.

    \b
    Example:
      aereduce datasets fetch mnist
    """
    from .datasets import CHECKSUMS, fetch as fetch_files, read_idx

    show = _show_progress(ctx)

    def progress(filename: str, done: int, total: int) -> None:
        if show:
            click.echo(f"\r{filename}: {done / 1e6:.1f}/{total / 1e6:.1f} MB", err=True, nl=False)

    folder = fetch_files(name, data_home, progress=progress)
    if show:
        click.echo("", err=True)
    for filename, digest in CHECKSUMS[name].items():
        read_idx(folder / filename, digest)
    _info(ctx, f"{name}: 4 files verified in {folder}")


@datasets.command("export")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option("--data-home", help="Folder holding the files (default: the cache; downloads if missing).")
@click.option("--rows", type=click.IntRange(min=1), help="Only the first N rows.")
@click.option("-o", "--output", required=True, help="Output table (.csv, .parquet, .npy, ...): pixels p0..p783 and a label column.")
@click.pass_context
def datasets_export(ctx: click.Context, name: str, split: str, data_home: str | None, rows: int | None, output: str) -> None:
    """Write a split of NAME as a table, to try the other commands on.

    \b
    Example:
      aereduce datasets export mnist --rows 5000 -o mnist.parquet
    """
    from .datasets import LOADERS
    from .tables import output_frame, write_table

    (X_train, y_train), (X_test, y_test) = LOADERS[name](data_home)
    X, y = (X_train, y_train) if split == "train" else (X_test, y_test)
    X, y = X[:rows], y[:rows]
    frame = output_frame(X, [f"p{i}" for i in range(X.shape[1])])
    frame["label"] = y
    write_table(output, frame)
    _info(ctx, f"wrote {len(frame)} rows to {output}")


if __name__ == "__main__":  # pragma: no cover
    main()
