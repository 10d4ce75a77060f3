"""Model files: trust no file (issue 9). Every hostile file is one ModelFileError, nothing changes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from aereduce import _modelfile
from aereduce._modelfile import FORMAT_VERSION, read_model_file, read_model_header, write_model_file
from aereduce.errors import InputError, ModelFileError, ModelFileNotFoundError
from folder_state import listing

META = {"format": "aereduce-model", "format_version": "1", "kind": "autoencoder", "params": json.dumps({"a": 1})}
KIND = "autoencoder"



def refused(path: Path, match: str, *, header_too: bool = True, error: type = ModelFileError,
            **kwargs) -> ModelFileError:
    """Reading raises exactly ``error`` (a ModelFileError): one line naming the file, and nothing changes."""
    before = listing(path.parent)
    readers = [read_model_file] + ([read_model_header] if header_too else [])
    for reader in readers:
        with pytest.raises(ModelFileError) as info:
            reader(path, **kwargs)
        message = str(info.value)
        assert info.type is error
        assert message.startswith(f"{path}: ") and match in message and "\n" not in message, message
    assert listing(path.parent) == before
    return info.value


def good_tensors() -> dict[str, np.ndarray]:
    return {
        "model.encoder.mean.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "model.encoder.mean.bias": np.zeros(2, dtype=np.float32),
        "scaling.mean": np.linspace(-1, 1, 3),
        "scaling.scale": np.array([0.5, 1.0, 2.0]),
        "counts": np.arange(4, dtype=np.int64),
    }


def forbid_open(monkeypatch, path: Path) -> None:
    """Fail the test if ``path`` is opened; os is shared, so every other path opens as usual."""
    real_open = os.open

    def guarded(name, *args, **kwargs):
        if Path(name) == path:
            pytest.fail(f"{path} was opened")
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded)


def spec(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def craft(path: Path, header: dict | bytes, data: bytes = b"", *, length: int | None = None,
          meta: dict | None = META) -> Path:
    """Write a safetensors-shaped file byte by byte: 8-byte length, header, data."""
    if isinstance(header, dict):
        header = dict(header)
        if meta is not None:
            header.setdefault("__metadata__", meta)
        header = json.dumps(header).encode()
    size = len(header) if length is None else length
    path.write_bytes(size.to_bytes(8, "little") + header + data)
    return path


def one_tensor(path: Path, values: np.ndarray, name: str = "model.w") -> Path:
    code = {"f4": "F32", "f8": "F64", "f2": "F16", "i8": "I64"}[values.dtype.str[1:]]
    data = values.astype(values.dtype.newbyteorder("<")).tobytes()
    return craft(path, {name: spec(code, list(values.shape), 0, len(data))}, data)


# -- what the writer writes keeps loading ---------------------------------------------------------


def test_round_trip(tmp_path):
    tensors = good_tensors()
    write_model_file(tmp_path / "m.aer", KIND, tensors, {"params": {"a": 1}, "fitted": {"n": [1, 2]}})
    kind, read, metadata = read_model_file(tmp_path / "m.aer", kinds=(KIND, "pca"))
    assert kind == KIND and metadata == {"params": {"a": 1}, "fitted": {"n": [1, 2]}}
    assert read.keys() == tensors.keys()
    for name, array in tensors.items():
        assert read[name].dtype == array.dtype and np.array_equal(read[name], array)
        assert read[name].flags.writeable and read[name].flags.aligned and read[name].flags.c_contiguous
    assert listing(tmp_path).keys() == {"m.aer"}


def test_a_flipped_bit_in_a_weight_is_refused_by_the_digest(tmp_path):
    path = tmp_path / "m.aer"
    write_model_file(path, KIND, good_tensors(), {"params": {"a": 1}})
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01  # a low bit of one weight: still a finite number of the same shape
    path.write_bytes(bytes(data))
    refused(path, "do not match the checksum saved with them; the model file is damaged", header_too=False)


def test_a_changed_setting_is_refused_by_the_digest(tmp_path):
    path = tmp_path / "m.aer"
    write_model_file(path, KIND, good_tensors(), {"params": {"a": 1}})
    data = path.read_bytes()
    assert data.count(b'{\\"a\\": 1}') == 1
    path.write_bytes(data.replace(b'{\\"a\\": 1}', b'{\\"a\\": 7}'))  # valid JSON, same length
    refused(path, "do not match the checksum", header_too=False)


def test_a_file_without_a_digest_from_before_it_still_loads(tmp_path):
    # files written before the digest have none; they are read with every other check
    one_tensor(tmp_path / "m.aer", np.ones((2, 2), dtype=np.float32))
    _, tensors, meta = read_model_file(tmp_path / "m.aer")
    assert tensors["model.w"].tolist() == [[1, 1], [1, 1]] and _modelfile.DIGEST_KEY not in meta


def test_format_is_unchanged_and_readable_by_safetensors(tmp_path):
    from safetensors.numpy import load_file, safe_open

    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {"params": {}})
    assert FORMAT_VERSION == 1
    with safe_open(str(tmp_path / "m.aer"), framework="np") as handle:
        assert handle.metadata()["format_version"] == "1" and handle.metadata()["kind"] == KIND
    assert np.array_equal(load_file(tmp_path / "m.aer")["scaling.scale"], good_tensors()["scaling.scale"])


def test_empty_tensors_load(tmp_path):
    write_model_file(tmp_path / "m.aer", KIND, {"e": np.zeros((0, 4), dtype=np.float32)}, {})
    _, tensors, _ = read_model_file(tmp_path / "m.aer")
    assert tensors["e"].shape == (0, 4)


def test_header_gives_shapes_without_reading_tensors(tmp_path, monkeypatch):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {"params": {"a": 1}})
    monkeypatch.setattr(_modelfile, "_read_tensors", pytest.fail)
    kind, shapes, metadata = read_model_header(tmp_path / "m.aer", kinds=(KIND,))
    assert kind == KIND and metadata == {"params": {"a": 1}}
    assert shapes == {name: array.shape for name, array in good_tensors().items()}


def test_validate_sees_the_header_before_any_tensor_is_read(tmp_path, monkeypatch):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {"params": {"a": 1}})
    calls = []

    def validate(kind, shapes, metadata):
        calls.append((kind, shapes, metadata))
        raise ModelFileError(f"{tmp_path / 'm.aer'}: built for 3 features, this data has 5; give the right model")

    monkeypatch.setattr(_modelfile, "_read_tensors", pytest.fail)  # reading a tensor would fail the test
    refused(tmp_path / "m.aer", "built for 3 features", header_too=False, validate=validate)
    assert calls[0][0] == KIND and calls[0][1]["scaling.scale"] == (3,) and calls[0][2] == {"params": {"a": 1}}


def test_validate_stops_before_a_garbage_data_section(tmp_path):
    garbage = np.full(4, np.nan, dtype=np.float32).tobytes()  # NaN would be refused if read
    craft(tmp_path / "m.aer", {"model.w": spec("F32", [4], 0, 16)}, garbage)

    def validate(kind, shapes, metadata):
        raise ModelFileError(f"{tmp_path / 'm.aer'}: shape {shapes['model.w']} does not fit")

    refused(tmp_path / "m.aer", "shape (4,) does not fit", header_too=False, validate=validate)
    refused(tmp_path / "m.aer", "model.w holds NaN or inf", header_too=False)


def test_validate_that_passes_gives_the_tensors(tmp_path):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {})
    seen = []
    _, tensors, _ = read_model_file(tmp_path / "m.aer", validate=lambda *args: seen.append(args))
    assert len(seen) == 1 and np.array_equal(tensors["counts"], np.arange(4))


def test_writer_refuses_to_overwrite_an_input(tmp_path):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {})
    before = listing(tmp_path)
    with pytest.raises(InputError, match="the output is the same file as the input"):
        write_model_file(tmp_path / "m.aer", KIND, {}, {}, inputs=[tmp_path / "m.aer"])
    assert listing(tmp_path) == before


# -- not a regular file, or too big: refused unread ------------------------------------------------


def test_missing_file(tmp_path):
    refused(tmp_path / "missing.aer", "no such model file", error=ModelFileNotFoundError)


def test_directory(tmp_path):
    (tmp_path / "d.aer").mkdir()
    refused(tmp_path / "d.aer", "is a folder, not a model file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_symlink_to_dev_zero_is_refused_unopened(tmp_path, monkeypatch):
    (tmp_path / "zero.aer").symlink_to("/dev/zero")
    forbid_open(monkeypatch, tmp_path / "zero.aer")  # refused on its type alone
    refused(tmp_path / "zero.aer", "is not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_fifo_is_refused_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "pipe.aer")
    refused(tmp_path / "pipe.aer", "is not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_fifo_swapped_in_after_the_check_is_refused_without_hanging(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "pipe.aer")
    (tmp_path / "plain").write_bytes(b"x" * 100)
    real_stat = os.stat
    # The path looks regular when checked; the open descriptor tells the truth.
    before = listing(tmp_path)
    for reader in (read_model_file, read_model_header):
        with monkeypatch.context() as patch, pytest.raises(ModelFileError) as info:
            patch.setattr(os, "stat", lambda path, *args, **kwargs: real_stat(
                tmp_path / "plain" if Path(path) == tmp_path / "pipe.aer" else path, *args, **kwargs))
            reader(tmp_path / "pipe.aer")
        assert info.type is ModelFileError and f"{tmp_path / 'pipe.aer'}: is not a regular file" in str(info.value)
    assert listing(tmp_path) == before


def test_oversize_file_is_refused_unread(tmp_path, monkeypatch):
    write_model_file(tmp_path / "big.aer", KIND, good_tensors(), {})
    size = (tmp_path / "big.aer").stat().st_size
    forbid_open(monkeypatch, tmp_path / "big.aer")
    refused(tmp_path / "big.aer", f"the file is {size:,} bytes, over the 100-byte limit", max_bytes=100)


def test_read_error_becomes_model_file_error(tmp_path, monkeypatch):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {})

    def failing(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(_modelfile, "_read_tensors", failing)
    refused(tmp_path / "m.aer", "cannot read the model file (Input/output error)", header_too=False)


# -- hostile bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"1234567"], ids=["empty", "seven-bytes"])
def test_too_short(tmp_path, content):
    (tmp_path / "m.aer").write_bytes(content)
    refused(tmp_path / "m.aer", "too short to be a safetensors file")


def test_truncated_file(tmp_path):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {})
    data = (tmp_path / "m.aer").read_bytes()
    (tmp_path / "m.aer").write_bytes(data[:-5])
    refused(tmp_path / "m.aer", "outside the")


def test_bytes_appended_are_refused(tmp_path):
    write_model_file(tmp_path / "m.aer", KIND, good_tensors(), {})
    with open(tmp_path / "m.aer", "ab") as handle:
        handle.write(b"\0" * 8)
    refused(tmp_path / "m.aer", "8 bytes after the last tensor")


def test_header_length_larger_than_the_file(tmp_path):
    craft(tmp_path / "m.aer", {}, length=10_000)
    refused(tmp_path / "m.aer", "header of 10,000 bytes is longer than the")


def test_header_length_over_the_limit(tmp_path):
    craft(tmp_path / "m.aer", {}, length=2**60)
    refused(tmp_path / "m.aer", "not an aereduce model file (not a valid safetensors container)")


def test_header_at_the_limit_is_checked_against_the_file(tmp_path):
    craft(tmp_path / "m.aer", {}, length=_modelfile.MAX_HEADER_BYTES)
    refused(tmp_path / "m.aer", "header of 100,000,000 bytes is longer than the")


@pytest.mark.parametrize("header", [b"{not json", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000,
                                    b'{"a": NaN'], ids=["syntax", "not-utf8", "deep", "unclosed"])
def test_bad_json(tmp_path, header):
    craft(tmp_path / "m.aer", header)
    refused(tmp_path / "m.aer", "its header is not valid JSON")


def test_header_not_an_object(tmp_path):
    craft(tmp_path / "m.aer", b"[1, 2]")
    refused(tmp_path / "m.aer", "its header is not a JSON object")


def test_metadata_not_strings(tmp_path):
    craft(tmp_path / "m.aer", {}, meta={"format": "aereduce-model", "format_version": 1})
    refused(tmp_path / "m.aer", "its __metadata__ is not a map of strings")


@pytest.mark.parametrize("dtype", ["BF16", "BOOL", "F8_E4M3", "object", 7, None])
def test_bad_dtype(tmp_path, dtype):
    craft(tmp_path / "m.aer", {"model.w": spec(dtype, [1], 0, 2)}, b"\0\0")
    refused(tmp_path / "m.aer", f"tensor 'model.w' has dtype {str(dtype)!r}, not one of F16")


@pytest.mark.parametrize("shape", [[-1], [1.0], [True], "4", [[2]], [2**40], [1] * 33],
                         ids=["negative", "float", "bool", "string", "nested", "huge", "too-many-dims"])
def test_bad_shape(tmp_path, shape):
    craft(tmp_path / "m.aer", {"model.w": spec("F32", shape, 0, 4)}, b"\0" * 4)
    refused(tmp_path / "m.aer", "has a shape that is not a list of at most 32 non-negative integers")


@pytest.mark.parametrize("offsets", [[0], [0, 4, 8], [-4, 0], [0.0, 4.0], "0-4", [4, 0]],
                         ids=["one", "three", "negative", "floats", "string", "reversed"])
def test_bad_offsets(tmp_path, offsets):
    craft(tmp_path / "m.aer", {"model.w": {"dtype": "F32", "shape": [1], "data_offsets": offsets}}, b"\0" * 8)
    refused(tmp_path / "m.aer", "tensor 'model.w' has data_offsets")


def test_shape_and_offsets_disagree(tmp_path):
    craft(tmp_path / "m.aer", {"model.w": spec("F32", [3], 0, 8)}, b"\0" * 8)
    refused(tmp_path / "m.aer", "shape [3] of F32 needs 12 bytes, data_offsets give 8")


def test_offsets_beyond_the_file(tmp_path):
    craft(tmp_path / "m.aer", {"model.w": spec("F32", [4], 0, 16)}, b"\0" * 8)
    refused(tmp_path / "m.aer", "data_offsets 0..16 outside the 8-byte data section")


def test_overlapping_tensors(tmp_path):
    header = {"model.a": spec("F32", [2], 0, 8), "model.b": spec("F32", [2], 4, 12)}
    craft(tmp_path / "m.aer", header, b"\0" * 12)
    refused(tmp_path / "m.aer", "tensor 'model.b' overlaps another")


def test_gap_between_tensors(tmp_path):
    header = {"model.a": spec("F32", [1], 0, 4), "model.b": spec("F32", [1], 8, 12)}
    craft(tmp_path / "m.aer", header, b"\0" * 12)
    refused(tmp_path / "m.aer", "a gap of unaccounted bytes before tensor 'model.b'")


@pytest.mark.parametrize("entry", [{"dtype": "F32", "shape": [1]}, {**spec("F32", [1], 0, 4), "extra": 1}, [1, 2]],
                         ids=["missing-field", "extra-field", "not-an-object"])
def test_malformed_tensor_entry(tmp_path, entry):
    craft(tmp_path / "m.aer", {"model.w": entry}, b"\0" * 4)
    refused(tmp_path / "m.aer", "needs exactly dtype, shape and data_offsets")


def test_pickle_is_never_unpickled(tmp_path):
    import pickle

    (tmp_path / "m.aer").write_bytes(pickle.dumps({"a": 1}))
    refused(tmp_path / "m.aer", "not an aereduce model file")


# -- not ours, or not this version -----------------------------------------------------------------


def test_foreign_safetensors_file(tmp_path):
    from safetensors.numpy import save_file

    save_file({"w": np.zeros(3, dtype=np.float32)}, tmp_path / "foreign.aer")
    refused(tmp_path / "foreign.aer", "a safetensors file without aereduce metadata")


def test_future_format_version(tmp_path):
    craft(tmp_path / "m.aer", {}, meta={**META, "format_version": "99"})
    refused(tmp_path / "m.aer", "model format version '99' is not supported by this aereduce (version 1); upgrade")


def test_wrong_kind(tmp_path):
    write_model_file(tmp_path / "m.aer", "pca", good_tensors(), {})
    refused(tmp_path / "m.aer", "holds a model of kind 'pca', where autoencoder is expected", kinds=(KIND,))


def test_missing_kind(tmp_path):
    craft(tmp_path / "m.aer", {}, meta={"format": "aereduce-model", "format_version": "1"})
    refused(tmp_path / "m.aer", "does not say what kind of model it holds")


def test_corrupt_metadata_field(tmp_path):
    craft(tmp_path / "m.aer", {}, meta={**META, "params": "{broken"})
    refused(tmp_path / "m.aer", "corrupt model metadata field 'params'")


# -- values no model can hold ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_non_finite_weight(tmp_path, bad, dtype):
    weights = np.ones((2, 3), dtype=dtype)
    weights[1, 2] = bad
    one_tensor(tmp_path / "m.aer", weights, name="model.encoder.mean.weight")
    refused(tmp_path / "m.aer", "model.encoder.mean.weight holds NaN or inf", header_too=False)
    assert read_model_header(tmp_path / "m.aer")[1] == {"model.encoder.mean.weight": (2, 3)}


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan], ids=["zero", "negative", "inf", "nan"])
def test_bad_scale(tmp_path, bad):
    tensors = good_tensors()
    tensors["scaling.scale"][1] = bad
    write_model_file(tmp_path / "m.aer", KIND, tensors, {})
    refused(tmp_path / "m.aer", "scaling.scale holds a zero, negative, NaN or infinite value", header_too=False)


def test_integer_scale_must_be_positive_too(tmp_path):
    one_tensor(tmp_path / "m.aer", np.array([1, 0], dtype=np.int64), name="scaling.scale")
    refused(tmp_path / "m.aer", "scaling.scale holds a zero", header_too=False)


def test_odd_tensor_names_stay_on_one_line(tmp_path):
    name = "evil\nname" + "x" * 500
    one_tensor(tmp_path / "m.aer", np.array([np.nan], dtype=np.float32), name=name)
    error = refused(tmp_path / "m.aer", "'evil\\nnamexxx", header_too=False)
    assert "'... holds NaN or inf" in str(error) and len(str(error)) < len(str(tmp_path)) + 200


# -- fuzzing: whatever the bytes, only ModelFileError ----------------------------------------------


def valid_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        write_model_file(Path(folder) / "m.aer", KIND, good_tensors(), {"params": {"a": [1, 2]}})
        return (Path(folder) / "m.aer").read_bytes()


VALID = valid_bytes()
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def read_or_refuse(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        kind, tensors, _ = read_model_file(path)
    except ModelFileError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    else:
        assert isinstance(kind, str) and all(isinstance(t, np.ndarray) for t in tensors.values())


@FUZZ
@given(data=st.binary(max_size=4096))
def test_fuzz_random_bytes(tmp_path, data):
    read_or_refuse(tmp_path / "fuzz.aer", data)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.integers(0, len(VALID)), tail=st.binary(max_size=16))
def test_fuzz_mutated_model_file(tmp_path, edits, cut, tail):
    data = bytearray(VALID)
    for position, value in edits:
        data[position] = value
    read_or_refuse(tmp_path / "fuzz.aer", bytes(data[:cut]) + tail if cut < len(VALID) // 2 else bytes(data))


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)
ENTRY = st.fixed_dictionaries({
    "dtype": st.sampled_from(["F32", "F64", "F16", "I64", "U8", "BF16", "BOOL"]) | JSON,
    "shape": st.lists(st.integers(-2, 2**33), max_size=4) | JSON,
    "data_offsets": st.lists(st.integers(-2, 80), min_size=2, max_size=2) | JSON,
})


@FUZZ
@given(tensors=st.dictionaries(st.text(max_size=6), ENTRY | JSON, max_size=4), data=st.binary(max_size=80),
       meta=st.sampled_from([META, {**META, "params": "[[["}, {"format": 1}, None, []]))
def test_fuzz_structured_headers(tmp_path, tensors, data, meta):
    header = {**tensors, "__metadata__": meta} if meta is not None else tensors
    raw = json.dumps(header).encode()
    read_or_refuse(tmp_path / "fuzz.aer", len(raw).to_bytes(8, "little") + raw + data)
