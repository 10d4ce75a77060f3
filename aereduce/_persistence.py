"""Saving and loading every kind of model: the kind registry, parameters as JSON, versions, ``inspect``.

A model file holds tensors and three JSON fields: ``params`` (``get_params()``), ``fitted``
(the fitted attributes: the fields of the estimator's dataclasses, listed once there) and
``versions``. :data:`MODEL_KINDS` maps the ``kind`` stored in a file to the class that loads
it; :func:`load_model` loads any of them and never unpickles.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import os
import re
from typing import Any

import numpy as np

from ._modelfile import read_model_file, write_model_file
from ._version import __version__
from .errors import ModelFileError

# kind stored in the file -> (module, class) that saves and loads it
MODEL_KINDS: dict[str, tuple[str, str]] = {
    "autoencoder": ("aereduce.estimator", "AutoencoderTransformer"),
    "pca": ("aereduce.pca", "ScaledPCA"),
    "outlier_detector": ("aereduce.outliers", "AutoencoderOutlierDetector"),
}


def library_versions() -> dict[str, str]:
    """Versions recorded in saved models and benchmark results."""
    versions = {"aereduce": __version__}
    for name in ("torch", "numpy", "scikit-learn", "safetensors"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def json_value(value: Any) -> Any:
    """A parameter's value in JSON's terms: tuples become lists, NumPy scalars Python numbers
    (GridSearchCV over ``np.arange(2, 4)`` sets ``n_components=np.int64(2)``, which json refuses)."""
    if isinstance(value, (tuple, list)):
        return [json_value(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def params_to_json(params: dict[str, Any]) -> dict[str, Any]:
    """``get_params()`` in JSON's terms (:func:`json_value`); a RandomState object becomes None."""
    out = {k: json_value(v) for k, v in params.items()}
    if "random_state" in out and not isinstance(out["random_state"], (int, type(None))):
        out["random_state"] = None  # a RandomState object has no JSON form; the seed it gave is saved
    return out


def params_from_json(params: dict[str, Any], tuple_params: tuple[str, ...],
                     given_as_lists: Any = ()) -> dict[str, Any]:
    """Undo :func:`params_to_json` for the parameters that are tuples, but for those ``given_as_lists``
    (a model file's ``list_params``, the names of the parameters set as lists; a detector's
    ``autoencoder_params`` come back with tuples): ``get_params()`` gives back what was set, as
    scikit-learn's clone expects."""
    if not isinstance(given_as_lists, (list, tuple)) or not all(isinstance(n, str) for n in given_as_lists):
        raise ModelFileError("list_params is not a list of parameter names")
    out = dict(params)
    for key in tuple_params:
        if isinstance(out.get(key), list) and key not in given_as_lists:
            out[key] = tuple(out[key])
    return out


def fitted_to_json(*parts: Any, **extra: Any) -> dict[str, Any]:
    """The fitted attributes to save: every field of the dataclasses in ``parts``, plus ``extra``."""
    fitted: dict[str, Any] = {}
    for part in parts:
        fitted.update({k: json_value(v) for k, v in dataclasses.asdict(part).items()})
    fitted.update({k: json_value(v) for k, v in extra.items()})
    return fitted


def fitted_from_json(cls: type, fitted: dict[str, Any]) -> Any:
    """One of the dataclasses of :func:`fitted_to_json`, from the saved fields (defaults fill fields
    that older files lack)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in fitted.items() if k in names})


OUTPUT_CONTAINERS = ("default", "pandas", "polars")  # set_output(transform=...)'s choices


def input_to_json(estimator: Any) -> dict[str, Any]:
    """What every model saves about its input and output: the column names; when the command line
    fitted it, how the file was read (``input_settings_``: id and label columns, missing-value
    policy, means, a text encoding other than UTF-8) and what its summary said (``fit_summary_``);
    and the container ``set_output`` chose for ``transform`` (a pickled scikit-learn estimator keeps it too)."""
    names = getattr(estimator, "feature_names_in_", None)
    return {"feature_names_in_": None if names is None or len(names) == 0 else [str(n) for n in names],
            "input_settings_": getattr(estimator, "input_settings_", None),
            "fit_summary_": getattr(estimator, "fit_summary_", None),
            "output_transform": (getattr(estimator, "_sklearn_output_config", None) or {}).get("transform")}


def set_input(estimator: Any, fitted: dict[str, Any]) -> None:
    """Undo :func:`input_to_json`."""
    if fitted.get("feature_names_in_"):
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    settings = fitted.get("input_settings_")
    if settings is not None:
        whole = settings.get("whole_columns", []) if isinstance(settings, dict) else None
        lone = settings.get("lone_groups", {}) if isinstance(settings, dict) else None
        if (not isinstance(settings, dict) or len(settings.get("means") or []) not in (0, estimator.n_features_in_)
                or not isinstance(whole, list)
                or not all(type(j) is int and 0 <= j < estimator.n_features_in_ for j in whole)
                or not isinstance(lone, dict) or not all(type(v) is bool for v in lone.values())):
            raise ModelFileError("input_settings_ does not match the model's input columns")
        estimator.input_settings_ = settings
    summary = fitted.get("fit_summary_")
    if summary is not None:
        if not isinstance(summary, list) or not all(isinstance(line, str) for line in summary):
            raise ModelFileError("fit_summary_ is not a list of lines")
        estimator.fit_summary_ = summary
    output = fitted.get("output_transform")
    if output is not None:
        if output not in OUTPUT_CONTAINERS or not hasattr(estimator, "set_output"):
            raise ModelFileError(f"output_transform {str(output)[:40]!r} is not one of {', '.join(OUTPUT_CONTAINERS)}")
        estimator.set_output(transform=output)


def save(path: str | os.PathLike, kind: str, tensors: dict[str, np.ndarray], params: dict[str, Any],
         fitted: dict[str, Any]) -> None:
    """Write a model of ``kind`` atomically."""
    assert kind in MODEL_KINDS, f"register the model kind {kind!r} in MODEL_KINDS"
    # JSON has one kind of sequence: which parameters were set as lists (hidden_layer_sizes=[8, 4]) is kept
    lists = sorted(name for name, value in params.items() if isinstance(value, list))
    write_model_file(path, kind, tensors, {"params": params_to_json(params), "fitted": fitted,
                                           "versions": library_versions(), "list_params": lists})


def model_class(kind: str) -> type:
    module, name = MODEL_KINDS[kind]
    return getattr(importlib.import_module(module), name)


def load_model(path: str | os.PathLike, *, device: str = "auto") -> Any:
    """Load any aereduce model file (autoencoder, PCA or outlier detector); never unpickles, never runs code."""
    kind, tensors, meta = read_model_file(path, kinds=tuple(MODEL_KINDS))
    return model_class(kind).from_saved(os.fspath(path), tensors, meta, device=device)


def corrupt(path: str, exc: BaseException) -> ModelFileError:
    """The error for a file that parses but does not hold a consistent model."""
    if isinstance(exc, ModelFileError):  # name the file, as every other error on a model file does
        return exc if str(exc).startswith(f"{path}:") else ModelFileError(f"{path}: {exc}")
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return ModelFileError(f"{path}: corrupt or incompatible aereduce model ({type(exc).__name__}: {first})")


def describe_model(path: str) -> dict[str, Any]:
    """What ``inspect`` shows: kind, parameters, columns, training metrics and versions.

    The model is loaded, so a file that would not load is reported as invalid here too.
    """
    kind, tensors, meta = read_model_file(path, kinds=tuple(MODEL_KINDS))
    model_class(kind).from_saved(path, tensors, meta, device="cpu")
    fitted = meta.get("fitted", {})
    shown = ("n_iter_", "fit_time_", "scaling_", "loss_", "output_activation_", "hidden_layer_sizes_", "batch_size_",
             "best_validation_score_", "kept_initial_weights_", "offset_")
    training = {k: fitted[k] for k in shown if k in fitted}
    if "loss_curve_" in fitted:  # PCA's closed-form solution is n_iter_ 1 with no epoch
        training["epochs"] = len(fitted["loss_curve_"] or [])
    if fitted.get("loss_curve_") and not fitted.get("kept_initial_weights_"):
        # the curve of weights set aside for PCA's start is no loss of the model kept (trial 41)
        training["final_loss"] = fitted["loss_curve_"][-1]
    return {
        "file": path,
        "kind": kind,
        "params": meta.get("params", {}),
        "n_features_in": fitted.get("n_features_in_"),
        "input_columns": fitted.get("feature_names_in_"),
        "input_settings": {k: v for k, v in (fitted.get("input_settings_") or {}).items()
                           if k not in ("means", "whole_columns", "lone_groups")},  # per column: too long to show
        "fit_summary": fitted.get("fit_summary_"),  # what aereduce fit said, held-out error against PCA's included
        "training": training,
        # an outlier detector holds its members' weights as members.<i>.model.*; PCA's are its axes
        "n_parameters": int(sum(v.size for k, v in tensors.items()
                                if re.match(r"(members\.\d+\.)?model\.|pca\.components$", k))),
        "versions": meta.get("versions", {}),
    }


def format_description(info: dict[str, Any]) -> str:
    """:func:`describe_model`'s result as the text ``aereduce inspect`` prints."""
    from ._resolve import model_variant

    variant = model_variant(info.get("params")) if info["kind"] == "autoencoder" else ""
    kind = f"{info['kind']} ({variant})" if variant else info["kind"]
    lines = [f"{info['file']}: {kind} model, {info['n_features_in']} input columns, {info['n_parameters']} weights"]
    columns = info["input_columns"]
    if columns:
        more = f", ... ({len(columns)} in all)" if len(columns) > 12 else ""
        lines.append("columns: " + ", ".join(columns[:12]) + more)
    # What later commands read without being told: the id and label columns, the missing-value policy,
    # the text encoding, decimal and thousands marks.
    settings = info.get("input_settings") or {}
    from .tables import described_column

    remembered = [f"{label} {described_column(settings[key])}" for key, label in (("id_column", "id column"),
                                                                 ("label_column", "label column"))
                  if settings.get(key)]
    if settings.get("nan"):
        remembered.append(f"--nan {settings['nan']}")
    if settings.get("encoding"):
        remembered.append(f"--encoding {settings['encoding']}")
    from .tables import shown_mark

    for option in ("decimal", "thousands"):
        if settings.get(option):
            remembered.append(f"--{option} {shown_mark(settings[option])}")
    if settings.get("header") is not None:
        remembered.append("--header" if settings["header"] else "--no-header")
    if remembered:
        lines.append("remembers: " + ", ".join(remembered))
    lines += [f"fit said: {line}" for line in info.get("fit_summary") or []]
    for section in ("params", "training", "versions"):
        lines.append(f"{section}:")
        lines += [f"  {key.rstrip('_')}: {shown_value(key, value)}" for key, value in info[section].items()]
    return "\n".join(lines)


def shown_value(key: str, value: Any, default: Any = str) -> str:
    """A described value as ``inspect`` and the report show it: ``default(value)``, but the fit's
    seconds as fit's summary shows them (7.4 s), not 17 digits and no unit."""
    if key == "fit_time_" and isinstance(value, (int, float)):
        return f"{value:.1f} s"
    return default(value)
