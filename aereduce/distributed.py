"""Applying a saved model where the data lives: Dask and Spark DataFrames, partition by partition.

Each worker process loads the model file once and keeps it (cached by path and modification
time), so a thousand partitions cost one load per worker, not one per partition. The file must
be readable at the same path from every worker (a shared file system, or a local cluster).
Neither Dask nor Spark is imported here: the functions take their DataFrames as they come.

Examples
--------
Dask (``pip install 'aereduce[dask]'``)::

    import dask.dataframe as dd
    from aereduce.distributed import transform_dask

    ddf = dd.read_parquet("big/")                      # any Dask DataFrame
    codes = transform_dask("model.aer", ddf, keep=["id"])
    codes.to_parquet("codes/")                         # computed partition by partition

Spark (``pip install 'aereduce[spark]'``, and Java)::

    from aereduce.distributed import transform_spark

    sdf = spark.read.parquet("big/")
    codes = transform_spark("model.aer", sdf, keep=["id"])  # mapInPandas: one model per Python worker
    codes.write.parquet("codes/")
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .errors import InputError, OptionError


@functools.lru_cache(maxsize=8)
def _load(path: str, modified_ns: int) -> Any:
    from ._persistence import load_model

    return load_model(path, device="cpu")


def cached_model(path: str, *, on_worker: bool = True) -> Any:
    """The model in ``path``, loaded once per process (again only if the file changes).

    ``on_worker``: whether this runs in a task, where a missing file means the workers do not
    share the client's files; on the client it is a wrong path.
    """
    path = os.path.abspath(path)
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError as exc:
        where, fix = ((" on this worker", "the model file must be at the same path on every worker") if on_worker
                      else ("", "give the path of a model saved by aereduce (an .aer file)"))
        raise InputError(f"{path}: cannot read the model{where} ({exc.strerror or exc}); {fix}") from None
    return _load(path, modified)


def _check_names(columns: Sequence[str] | None, keep: Sequence[str], available: Sequence[str],
                 code_columns: Sequence[str]) -> None:
    """Raises InputError for a ``keep`` column the DataFrame lacks or a name given twice; returns nothing."""
    for name, given in (("columns", columns or ()), ("keep", keep)):
        twice = [c for i, c in enumerate(given) if c in given[:i]]
        if twice:
            raise InputError(f"{name}={list(given)!r} names {twice[0]!r} twice; name each column once")
    absent = [c for c in keep if c not in available]
    if absent:
        from .tables import columns_hint

        raise InputError(f"keep={list(keep)!r}: no column {absent[0]!r} in the DataFrame to carry beside the codes; "
                         f"{columns_hint(absent[0], available)}")
    clash = [c for c in keep if c in code_columns]
    if clash:
        raise InputError(f"keep={list(keep)!r}: {clash[0]!r} is also the name of a code column; rename that "
                         "column of the DataFrame first")


def _feature_columns(model: Any, columns: Sequence[str] | None, available: Sequence[str]) -> list[str]:
    from .usecases import model_feature_names

    chosen = list(columns) if columns is not None else model_feature_names(model)
    if len(chosen) != model.n_features_in_:
        raise InputError(f"{len(chosen)} feature columns given; the model expects {model.n_features_in_}")
    absent = [c for c in chosen if c not in available]
    if absent:
        raise InputError(f"no column {absent[0]!r} in the DataFrame, which the model needs; pass columns=[...] "
                         "naming the feature columns in the model's order")
    return chosen


def encode_frame(frame: Any, model_path: str, columns: str | Sequence[str] | None = None,
                 keep: str | Sequence[str] = (), nan: str | None = None) -> Any:
    """The codes of one pandas DataFrame's rows (a partition), with its index and the ``keep`` columns first.

    ``columns``: the feature columns, in the model's order (default: the model's own column
    names). Missing values follow ``nan`` or the policy the model was fitted with; a row that
    cannot be encoded (``"drop"``) gets NaN codes.
    """
    import pandas as pd

    from .tables import Table
    from .usecases import code_names, model_feature_names, model_missing_values

    columns, keep = _names(columns), _names(keep) or []
    model = cached_model(model_path)
    features = _feature_columns(model, columns, [str(c) for c in frame.columns])
    names = code_names(model)
    # Rows are counted within the partition, which is all a worker sees: the message says so (trial 26
    # read "data: row 24873" for the 250,000th row of the whole DataFrame).
    where = (f"a partition of {len(frame)} rows (index {frame.index[0]!r} to {frame.index[-1]!r})" if len(frame)
             else "a partition")
    values = frame[features]
    try:
        values = values.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):  # pandas' "could not convert string to float: 'oops'", no column named
        not_numbers = {c: pd.to_numeric(values[c], errors="coerce").isna() & values[c].notna() for c in features}
        text = next(c for c in features if not_numbers[c].any())
        bad = not_numbers[text]
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{where}: row {row + 1}, column {text!r} holds {values[text].iloc[row]!r}, not a number; "
                         "fix it, or leave the column out of the model") from None
    table = Table(X=values, feature_names=model_feature_names(model), row_numbers=np.arange(1, len(frame) + 1),
                  source=where, part="all of this partition")
    filled, encodable = model_missing_values(model, nan).apply(table)
    codes = np.full((len(frame), len(names)), np.nan)
    if encodable.any():
        codes[encodable] = model.transform(pd.DataFrame(filled[encodable], columns=model_feature_names(model)))
    out = pd.DataFrame(codes, columns=names, index=frame.index)
    return pd.concat([frame[list(keep)], out], axis=1) if keep else out


def _names(given: str | Sequence[str] | None) -> list[str] | None:
    """``columns`` or ``keep`` as a list: one name may be given as a string (trial 18's keep="name"
    was split into letters)."""
    return None if given is None else [given] if isinstance(given, str) else list(given)


def _output_names(model_path: str, columns: Sequence[str] | None, keep: Sequence[str],
                  available: Sequence[str], nan: str | None = None) -> tuple[list[str], list[str]]:
    """The code columns and the feature columns, after checking on the client, before any task
    runs, the model file, the names and ``nan`` (trial 22: nan="bogus" failed on the workers, as a
    fault of the model file)."""
    from .tables import NAN_POLICIES
    from .usecases import code_names

    if nan is not None and nan not in NAN_POLICIES:
        raise OptionError(f"nan={nan!r} must be one of {', '.join(map(repr, NAN_POLICIES))}, or None for the policy "
                          "the model was fitted with")

    model = cached_model(model_path, on_worker=False)
    names = code_names(model)
    _check_names(columns, keep, available, names)
    return names, _feature_columns(model, columns, available)


def transform_dask(model_path: str, ddf: Any, columns: str | Sequence[str] | None = None, *,
                   keep: str | Sequence[str] = (), nan: str | None = None) -> Any:
    """Encode a Dask DataFrame with a saved model, lazily, partition by partition.

    Parameters
    ----------
    model_path : str
        An ``.aer`` file, readable at this path on every worker.
    ddf : dask.dataframe.DataFrame
        The rows to encode.
    columns : sequence of str, optional
        The feature columns, in the model's order (default: the columns the model was fitted on).
    keep : str or sequence of str, default=()
        Columns carried to the output before the codes (an id, a label).
    nan : {"error", "drop", "zero", "mean"}, optional
        Missing values (default: the policy the model was fitted with).

    Returns
    -------
    dask.dataframe.DataFrame
        ``keep`` then one float64 column per code unit, with ``ddf``'s index and partitions.
    """
    import pandas as pd

    if not hasattr(ddf, "map_partitions"):
        raise InputError(f"transform_dask needs a Dask DataFrame, got {type(ddf).__name__}")
    columns, keep = _names(columns), _names(keep) or []
    names, _ = _output_names(model_path, columns, keep, [str(c) for c in ddf.columns], nan)
    meta = pd.concat([ddf._meta[list(keep)], pd.DataFrame({n: pd.Series(dtype="float64") for n in names})], axis=1) \
        if keep else pd.DataFrame({n: pd.Series(dtype="float64") for n in names})
    return ddf.map_partitions(encode_frame, os.path.abspath(model_path), list(columns) if columns else None,
                              list(keep), nan, meta=meta)


def transform_spark(model_path: str, sdf: Any, columns: str | Sequence[str] | None = None, *,
                    keep: str | Sequence[str] = (), nan: str | None = None) -> Any:
    """Encode a Spark DataFrame with a saved model through ``mapInPandas`` (Arrow batches).

    Parameters are those of :func:`transform_dask`; the result is a Spark DataFrame of ``keep``
    then one ``double`` column per code unit (Spark rows have no index: keep an id to join on).
    """
    if not hasattr(sdf, "mapInPandas"):
        raise InputError(f"transform_spark needs a Spark DataFrame, got {type(sdf).__name__}")
    columns, keep = _names(columns), _names(keep) or []
    names, features = _output_names(model_path, columns, keep, list(sdf.columns), nan)
    path = os.path.abspath(model_path)
    wanted = list(dict.fromkeys([*keep, *features]))
    # Spark reads "x.0" as field 0 of a struct x, and mapInPandas does so even of a quoted name (R's
    # Sepal.Length failed, trial 22): the batches travel under plain names, renamed back at both ends.
    travelling = [f"_aereduce_in{i}" for i in range(len(wanted))]
    given = dict(zip(travelling, wanted))
    types = [sdf.schema[c].dataType.simpleString() for c in keep] + ["double"] * len(names)
    returning = [f"_aereduce_out{i}" for i in range(len(types))]
    schema = ", ".join(f"{name} {t}" for name, t in zip(returning, types))

    def encode(batches: Iterator[Any]) -> Iterator[Any]:
        for frame in batches:
            out = encode_frame(frame.rename(columns=given), path, features, list(keep), nan).reset_index(drop=True)
            out.columns = returning
            yield out

    inputs = [sdf[_quoted(c)].alias(name) for c, name in zip(wanted, travelling)]
    return sdf.select(*inputs).mapInPandas(encode, schema=schema).toDF(*keep, *names)


def _quoted(name: str) -> str:
    """A column name as Spark's SQL reads it literally: in backticks, a backtick doubled."""
    return "`" + str(name).replace("`", "``") + "`"
