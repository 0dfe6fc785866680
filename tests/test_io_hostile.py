"""Hostile files and bad input: crafted model files are refused before anything is allocated or
built, saving keeps a file's permissions and writes through symbolic links, and a checkpoint
loads all or nothing.

The crafted files pass their checksums (the metadata's is recomputed, the arrays' are those
of the arrays written), so what refuses them is the check of the field they break.
"""

from __future__ import annotations

import copy
import errno
import gzip
import io
import json
import os
import re
import stat
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ffnn
import ffnn.io as fio
from ffnn.core.activations import LeakyReLU
from ffnn.io import container
from ffnn.io.container import ModelFileError
from ffnn.optim.optimizers import SGD, Adam, ClipGradNorm, Momentum, chain
from ffnn.optim.schedules import ReduceOnPlateau
from test_io import edit_metadata, npy_bytes, others, rewrite

RNG = np.random.default_rng(11)
X = RNG.standard_normal((20, 3))
Y = RNG.standard_normal((20, 2))
N_PARAMS = 3 * 6 + 6 + 6 * 2 + 2  # 38


def base_net(seed=0) -> ffnn.Network:
    return ffnn.Network(3, [6, 2], [LeakyReLU(0.1), "identity"], seed=seed)


def saved_model(folder: Path, name="model.npz") -> Path:
    """A model with an Adam state and extra metadata: every part of the format present."""
    net = base_net()
    path = folder / name
    fio.save(net, path, opt_state=Adam(0.01).init(net.params), metadata={"note": "base"})
    return path


def read_raw(path: Path) -> tuple[dict, dict]:
    """The arrays and the metadata as stored, checksum entries included."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k != fio.METADATA_KEY}
        metadata = json.loads(str(npz[fio.METADATA_KEY]))
    return arrays, metadata


def with_arrays(path: Path, change) -> None:
    """Rewrite the file with ``change(arrays)`` applied, through the writer: fresh, valid
    checksums for whatever the arrays now are."""
    arrays, metadata = read_raw(path)
    change(arrays)
    for key in (*container._INTEGRITY_KEYS, "format", "format_version", "library_version"):
        metadata.pop(key, None)
    fio.write_model_file(path, arrays, metadata)


def set_text(path: Path, text: str) -> None:
    """Replace the metadata by raw JSON text (for what json.dumps would never write)."""
    rewrite(path, replace={fio.METADATA_KEY: npy_bytes(np.array(text))})


def raw_with(path: Path, old: str, new: str) -> None:
    """The stored metadata text with one piece replaced, its checksum left as it was: for
    JSON refused while parsing, before any checksum is compared."""
    with np.load(path, allow_pickle=False) as npz:
        text = str(npz[fio.METADATA_KEY])
    assert old in text
    set_text(path, text.replace(old, new, 1))


# -- crafted metadata: each with the exception and a fragment of its message ----------------


def net_field(key, value):
    return lambda m: m["network"].__setitem__(key, value)


def activation(index, config):
    def edit(m):
        m["network"]["activation_funcs"][index] = config

    return edit


def manifest_entry(key, field, value):
    return lambda m: m["arrays"][key or "params"].__setitem__(field, value)


METADATA_CASES = {
    # the network description
    "network-not-object": (lambda m: m.update(network=[3, 6, 2]), "network must be a JSON object"),
    "network-missing": (lambda m: m.pop("network"), "holds no 'network' description"),
    "network-unexpected-entry": (
        net_field("loader", "os.system"),
        "network: unexpected entries ['loader']",
    ),
    "input-size-str": (
        net_field("network_input_size", "3"),
        "network.network_input_size must be a positive integer, got '3'",
    ),
    "input-size-bool": (
        net_field("network_input_size", True),
        "network.network_input_size must be a positive integer, got True",
    ),
    "input-size-float": (
        net_field("network_input_size", 3.0),
        "network.network_input_size must be a positive integer, got 3.0",
    ),
    "input-size-zero": (
        net_field("network_input_size", 0),
        "network.network_input_size must be a positive integer, got 0",
    ),
    "sizes-not-list": (
        net_field("layer_output_sizes", {"0": 6}),
        "network.layer_output_sizes must be a non-empty list of positive integers, got {'0': 6}",
    ),
    "sizes-empty": (
        net_field("layer_output_sizes", []),
        "network.layer_output_sizes must be a non-empty list of positive integers, got []",
    ),
    "size-str": (
        net_field("layer_output_sizes", [6, "2"]),
        "network.layer_output_sizes[1] must be a positive integer, got '2'",
    ),
    "size-negative": (
        net_field("layer_output_sizes", [-6, 2]),
        "network.layer_output_sizes[0] must be a positive integer, got -6",
    ),
    "size-null": (
        net_field("layer_output_sizes", [6, None]),
        "network.layer_output_sizes[1] must be a positive integer, got None",
    ),
    "size-huge-consistent-count": (
        lambda m: m["network"].update(
            layer_output_sizes=[10**12, 2], n_params=3 * 10**12 + 10**12 + 2 * 10**12 + 2
        ),
        "params have shape (38,) but the architecture 3 -> 1000000000000 -> 2 needs",
    ),
    "activations-not-list": (
        net_field("activation_funcs", "relu"),
        "network.activation_funcs must list one activation per layer (2), got 'relu'",
    ),
    "activations-count": (
        net_field("activation_funcs", [{"name": "relu"}]),
        "network.activation_funcs must list one activation per layer (2)",
    ),
    "activation-not-object": (
        activation(0, "leaky_relu"),
        "network.activation_funcs[0]: an activation config must be a JSON object, got "
        "'leaky_relu'",
    ),
    "activation-name-int": (activation(1, {"name": 5}), "needs a str 'name'"),
    "activation-name-empty": (activation(1, {"name": ""}), "needs a str 'name'"),
    "activation-unknown": (
        activation(0, {"name": "relu6"}),
        "network.activation_funcs[0]: unknown activation 'relu6'",
    ),
    "activation-param-str": (
        activation(0, {"name": "leaky_relu", "alpha": "0.1"}),
        "activation 'leaky_relu' needs a number 'alpha' (a finite real), got '0.1'",
    ),
    "activation-param-bool": (
        activation(0, {"name": "leaky_relu", "alpha": True}),
        "needs a number 'alpha' (a finite real), got True",
    ),
    "activation-param-overflow": (
        activation(0, {"name": "leaky_relu", "alpha": 10**400}),
        "needs a number 'alpha' (a finite real)",
    ),
    "activation-param-missing": (
        activation(0, {"name": "leaky_relu"}),
        "needs a number 'alpha' (a finite real), got None",
    ),
    "activation-param-negative": (
        activation(0, {"name": "leaky_relu", "alpha": -1.0}),
        "alpha must be >= 0",
    ),
    "activation-unexpected-entry": (
        activation(1, {"name": "identity", "beta": 1.0}),
        "activation 'identity': unexpected entries ['beta']",
    ),
    "activation-custom-null": (
        activation(1, {"name": "identity", "custom": None}),
        "activation 'identity': unexpected entries ['custom']",
    ),
    "custom-kind-unknown": (
        activation(1, {"name": "x", "custom": "pickle"}),
        "unknown custom kind 'pickle'",
    ),
    "custom-kinks-not-list": (
        activation(1, {"name": "cube", "custom": "function", "kinks": "0"}),
        "activation 'cube': kinks must be a list of finite numbers, got '0'",
    ),
    "custom-kinks-bool": (
        activation(1, {"name": "cube", "custom": "function", "kinks": [True]}),
        "kinks must be a list of finite numbers, got [True]",
    ),
    "custom-probabilities-str": (
        activation(1, {"name": "cube", "custom": "function", "outputs_probabilities": "yes"}),
        "outputs_probabilities must be true or false, got 'yes'",
    ),
    "custom-class-not-str": (
        activation(1, {"name": "swish", "custom": "class", "class": ["os", "system"]}),
        "activation 'swish': class must be a str",
    ),
    "custom-unexpected-entry": (
        activation(1, {"name": "swish", "custom": "class", "module": "os"}),
        "activation 'swish' (custom class): unexpected entries ['module']",
    ),
    "dtype-unknown": (
        net_field("dtype", "float16"),
        "network.dtype must be 'float64' or 'float32', got 'float16'",
    ),
    "dtype-list": (
        net_field("dtype", ["float64"]),
        "network.dtype must be 'float64' or 'float32', got ['float64']",
    ),
    "n-params-str": (
        net_field("n_params", "38"),
        "network.n_params must be a non-negative integer, got '38'",
    ),
    "n-params-float": (
        net_field("n_params", 38.0),
        "network.n_params must be a non-negative integer, got 38.0",
    ),
    "n-params-wrong": (
        net_field("n_params", 39),
        "network: n_params is 39 but the architecture 3 -> 6 -> 2 has 38 parameters",
    ),
    # the rest of the metadata
    "top-level-unexpected": (
        lambda m: m.update(code="import os"),
        "unexpected metadata entries ['code']",
    ),
    "optimizer-flag-str": (
        lambda m: m.update(optimizer_state="yes"),
        "optimizer_state must be true or false, got 'yes'",
    ),
    "optimizer-flag-false-with-arrays": (
        lambda m: m.update(optimizer_state=False),
        "optimizer_state is false but the file holds optimizer arrays ['opt/m', 'opt/step', "
        "'opt/v']",
    ),
    "extra-list": (lambda m: m.update(extra=[1, 2]), "extra must be a JSON object, got [1, 2]"),
    "library-version-int": (
        lambda m: m.update(library_version=1),
        "library_version must be a str, got 1",
    ),
    "format-version-bool": (
        lambda m: m.update(format_version=True),
        "invalid format_version True",
    ),
    # the array manifest
    "manifest-not-object": (
        lambda m: m.update(arrays=[]),
        "array checksums ('arrays') are missing or malformed: expected a JSON object",
    ),
    "manifest-entry-extra-field": (
        manifest_entry(None, "loader", "x"),
        "arrays['params'] must be an object with exactly dtype, shape and sha256",
    ),
    "manifest-dtype-int": (
        manifest_entry(None, "dtype", 8),
        "arrays['params'].dtype must be a str, got 8",
    ),
    "manifest-shape-str": (
        manifest_entry(None, "shape", ["38"]),
        "arrays['params'].shape must be a list of non-negative integers, got ['38']",
    ),
    "manifest-shape-negative": (
        manifest_entry(None, "shape", [-38]),
        "arrays['params'].shape must be a list of non-negative integers, got [-38]",
    ),
    "manifest-shape-bool": (
        manifest_entry("opt/step", "shape", [True]),
        "arrays['opt/step'].shape must be a list of non-negative integers, got [True]",
    ),
    "manifest-sha-short": (
        manifest_entry(None, "sha256", "abc"),
        "arrays['params'].sha256 must be 64 lowercase hex digits, got 'abc'",
    ),
    "manifest-dtype-disagrees": (
        manifest_entry(None, "dtype", "<f4"),
        "array 'params' has dtype <f8 and shape (38,), but its checksum entry records '<f4'",
    ),
    "manifest-shape-disagrees": (
        manifest_entry(None, "shape", [10**12]),
        "array 'params' has dtype <f8 and shape (38,), but its checksum entry records '<f8' "
        "and (1000000000000,)",
    ),
}


@pytest.mark.parametrize("case", METADATA_CASES)
def test_crafted_metadata_is_refused_naming_the_field(tmp_path, case):
    edit, fragment = METADATA_CASES[case]
    path = saved_model(tmp_path)
    fio.load(path)  # the file is fine before the edit
    edit_metadata(path, edit, rehash=True)
    with pytest.raises(ModelFileError) as info:
        fio.load_with_state(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value) and info.value.path == str(path)


# -- crafted arrays: through the writer, so their checksums are right -----------------------


def put(key, value):
    return lambda arrays: arrays.__setitem__(key, np.asarray(value))


def drop(key):
    return lambda arrays: arrays.pop(key)


def both(*changes):
    def change(arrays):
        for c in changes:
            c(arrays)

    return change


def _nan_params(arrays):
    arrays["params"] = arrays["params"].copy()
    arrays["params"][5] = np.inf


ARRAY_CASES = {
    "params-nan": (_nan_params, "network: params hold 1 NaN or inf value(s) of 38"),
    "params-2d": (
        lambda a: a.update(params=a["params"].reshape(38, 1)),
        "params have shape (38, 1) but the architecture 3 -> 6 -> 2 needs (38,)",
    ),
    "params-int": (
        lambda a: a.update(params=np.zeros(38, np.int64)),
        "params are int64 but the network's dtype is float64",
    ),
    "params-missing": (drop("params"), "no 'params' array"),
    "foreign-array": (put("weights", np.ones(3)), "array(s) ['weights'] are not part of a saved"),
    "step-float": (put("opt/step", 2.5), "'opt/step' must be a single non-negative integer, got "
                   "an array of dtype float64 and shape () holding 2.5"),
    "step-negative": (put("opt/step", -1), "'opt/step' must be a single non-negative integer"),
    "step-vector": (put("opt/step", [1, 2]), "'opt/step' must be a single non-negative integer, "
                    "got an array of dtype int64 and shape (2,)"),
    "state-wrong-length": (
        put("opt/m", np.zeros(5)),
        "optimizer state: 'opt/m' has shape (5,), but the network has 38 parameters",
    ),
    "state-matrix": (put("opt/v", np.zeros((38, 38))), "'opt/v' has shape (38, 38)"),
    "state-text": (put("opt/m", np.array(["a"] * 38)), "'opt/m' must hold numbers, got dtype <U1"),
    "chain-huge": (
        put("opt/chain", 10**9),
        "'opt/chain' must be a single integer from 0 to 1024 (the number of a chain's pieces), "
        "got an array of dtype int64 and shape () holding 1000000000",
    ),
    "chain-negative": (put("opt/chain", -1), "'opt/chain' must be a single integer from 0 to 1024"),
    "chain-float": (put("opt/chain", 2.0), "'opt/chain' must be a single integer from 0 to 1024"),
    "chain-piece-out-of-range": (
        both(drop("opt/m"), drop("opt/v"), drop("opt/step"), put("opt/chain", 2),
             put("opt/5/step", 0)),
        "'opt/5/step' is not a piece of a chain of 2",
    ),
    "chain-leaf-beside-count": (
        put("opt/chain", 1),
        "'opt/step' is not a piece of a chain of 1 (opt/0/... to opt/0/...)",
    ),
    "chain-piece-leading-zero": (
        both(drop("opt/m"), drop("opt/v"), drop("opt/step"), put("opt/chain", 2),
             put("opt/01/step", 0)),
        "'opt/01/step' is not a piece of a chain of 2",
    ),
    "piece-without-chain": (
        put("opt/0/step", 0),
        "'opt/0/step' is a chain's piece, but there is no 'opt/chain'",
    ),
}


@pytest.mark.parametrize("case", ARRAY_CASES)
def test_crafted_arrays_are_refused_naming_the_array(tmp_path, case):
    change, fragment = ARRAY_CASES[case]
    path = saved_model(tmp_path)
    with_arrays(path, lambda arrays: None)  # the rewrite alone changes nothing
    fio.load_with_state(path)
    with_arrays(path, change)
    fio.read_model_file(path)  # a valid archive with valid checksums...
    with pytest.raises(ModelFileError) as info:  # ...refused for what it says
        fio.load_with_state(path)
    assert fragment in str(info.value)


# -- crafted JSON text: refused while parsing, before the checksum --------------------------


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


TEXT_CASES = {
    "nan": (lambda p: edit_metadata(p, lambda m: m["extra"].update(x=float("nan")),
                                    rehash=True), "NaN is not a number in standard JSON"),
    "infinity": (lambda p: edit_metadata(p, lambda m: m["extra"].update(x=float("inf")),
                                         rehash=True), "Infinity is not a number in standard"),
    "float-overflow": (lambda p: raw_with(p, '"note": "base"', '"note": 1e999'),
                       "the number '1e999' overflows a float"),
    "duplicate-key": (lambda p: raw_with(p, '"note": "base"', '"note": "base", "note": 2'),
                      "the key 'note' appears twice in one object"),
    "duplicate-network": (
        lambda p: raw_with(p, '"optimizer_state"', '"network": {}, "optimizer_state"'),
        "the key 'network' appears twice",
    ),
    "deep-nesting": (lambda p: raw_with(p, '"note": "base"', f'"note": {deep(100_000)}'),
                     "RecursionError"),
    "huge-int": (lambda p: raw_with(p, '"note": "base"', '"note": ' + "9" * 5000),
                 "ValueError"),
    "not-json": (lambda p: set_text(p, "{'network': 1}"), "invalid JSON in __metadata__"),
}


@pytest.mark.parametrize("case", TEXT_CASES)
def test_json_that_ffnn_never_writes_is_refused(tmp_path, case):
    craft, fragment = TEXT_CASES[case]
    path = saved_model(tmp_path)
    craft(path)
    with pytest.raises(ModelFileError) as info:
        fio.read_model_file(path)
    assert fragment in str(info.value) and "invalid JSON in __metadata__" in str(info.value)


# -- crafted archives -----------------------------------------------------------------------


def entries_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_zip(path: Path, entries: list[tuple[str, bytes]], method=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in entries:
            zf.writestr(name, data)


def npy_header(shape, descr="<f8") -> bytes:
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def patch_central_sizes(path: Path, name: str, compressed: int, uncompressed: int) -> None:
    """Change the sizes one central-directory record declares (and nothing else)."""
    raw = bytearray(path.read_bytes())
    at = 0
    while True:
        at = raw.find(b"PK\x01\x02", at)
        assert at >= 0, name
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + length] == name.encode():
            break
        at += 4
    struct.pack_into("<II", raw, at + 20, compressed, uncompressed)
    path.write_bytes(bytes(raw))


def _compressed(path):
    write_zip(path, list(entries_of(path).items()), method=zipfile.ZIP_DEFLATED)


def _huge_header(path):
    items = entries_of(path)
    data = items["params.npy"]
    header = npy_header((10**10,))
    items["params.npy"] = header + data[len(npy_header((38,))) :]
    write_zip(path, list(items.items()))


def _negative_header(path):
    items = entries_of(path)
    items["params.npy"] = npy_header((-1, -38)) + items["params.npy"][len(npy_header((38,))) :]
    write_zip(path, list(items.items()))


def _duplicate(path):
    items = list(entries_of(path).items())
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_zip(path, [*items, items[-1]])


def _not_npy(path):
    write_zip(path, [*entries_of(path).items(), ("README.txt", b"hello")])


def _declared_larger(path):
    write_zip(path, list(entries_of(path).items()))
    size = len(entries_of(path)["params.npy"])
    patch_central_sizes(path, "params.npy", size, 2**31)


def _overlapping(path):
    write_zip(path, list(entries_of(path).items()))
    big = path.stat().st_size * 4
    patch_central_sizes(path, "params.npy", big, big)


def _metadata_not_text(path):
    rewrite(path, replace={fio.METADATA_KEY: npy_bytes(np.array(["{}", "{}"]))})


ARCHIVE_CASES = {
    "compressed": (_compressed, "is compressed (zip method 8)"),
    "npy-header-huge-shape": (
        _huge_header,
        "array 'params' declares shape (10000000000,) of dtype <f8 (80000000000 bytes) in its "
        ".npy header but holds 304 bytes",
    ),
    "npy-header-negative-shape": (_negative_header, "has a negative dimension in its shape"),
    "duplicate-entry": (_duplicate, "appears twice in the archive"),
    "not-npy-entry": (_not_npy, "entry 'README.txt' is not a .npy array"),
    "declared-larger-than-stored": (_declared_larger, "the archive says it holds 2147483648"),
    "entries-larger-than-file": (_overlapping, "the archive's entries declare"),
    "metadata-not-text": (_metadata_not_text, "__metadata__ must be a JSON text"),
}


@pytest.mark.parametrize("case", ARCHIVE_CASES)
def test_crafted_archives_are_refused_before_reading_their_arrays(tmp_path, case):
    craft, fragment = ARCHIVE_CASES[case]
    path = saved_model(tmp_path)
    craft(path)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as info:
            fio.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert fragment in str(info.value)
    assert peak < 2**24, f"{peak} bytes allocated while refusing"


def test_the_crafted_archives_are_read_back_when_not_crafted(tmp_path):
    """The helpers that craft archives give a loadable file when they change nothing."""
    path = saved_model(tmp_path)
    write_zip(path, list(entries_of(path).items()))
    fio.load_with_state(path)
    size = len(entries_of(path)["params.npy"])
    patch_central_sizes(path, "params.npy", size, size)
    fio.load_with_state(path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["network"].update(layer_output_sizes=[10**9, 2], n_params=6 * 10**9 + 2),
        lambda m: m["network"].update(layer_output_sizes=[10**9] * 3 + [2]),
    ],
    ids=["one-huge-layer", "several-huge-layers"],
)
def test_huge_declared_sizes_allocate_nothing(tmp_path, edit):
    path = saved_model(tmp_path)

    def widen(m):
        edit(m)
        m["network"]["activation_funcs"] = [{"name": "tanh"}] * len(
            m["network"]["layer_output_sizes"]
        )

    edit_metadata(path, widen, rehash=True)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="architecture 3 -> 1000000000"):
            fio.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**24, f"{peak} bytes allocated while refusing"


def test_activation_configs_are_checked_before_custom_objects_are_consulted():
    config = {"name": "cube", "custom": "function", "kinks": [float("inf")]}
    with pytest.raises(ModelFileError, match="kinks must be a list of finite numbers"):
        fio.activation_from_config(config, {"cube": (np.tanh, np.cosh)})
    config = {"name": "cube", "custom": "function", "kinks": [0.5]}
    assert fio.activation_from_config(config, {"cube": (np.tanh, np.cosh)}).kinks == (0.5,)


def test_many_custom_layers_give_one_short_message(tmp_path):
    """A crafted file may list many custom layers; the message lists each name once."""
    path = saved_model(tmp_path)
    layers = 2000

    def many(m):
        m["network"]["layer_output_sizes"] = [1] * layers
        m["network"]["activation_funcs"] = [{"name": "cube", "custom": "function"}] * layers
        m["network"].pop("n_params")

    edit_metadata(path, many, rehash=True)
    with pytest.raises(ModelFileError, match="custom_objects") as info:
        fio.load(path)
    assert str(info.value).count("'cube'") == 2  # once in the list, once in the hint
    assert len(str(info.value)) < 500


def test_a_valid_chain_state_still_loads(tmp_path):
    net = base_net()
    opt = chain(ClipGradNorm(1.0), Adam(0.01))
    state = opt.init(net.params)
    _, state = opt.update(net.gradient(X, Y, "mse"), state, net.params)
    path = tmp_path / "chain.npz"
    fio.save(net, path, opt_state=state)
    _, loaded, _ = fio.load_with_state(path)
    assert isinstance(loaded, tuple) and loaded[0] == {} and loaded[1]["step"] == 1
    np.testing.assert_array_equal(loaded[1]["m"], state[1]["m"])


# -- saving: permissions and symbolic links -------------------------------------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
@pytest.mark.parametrize("bits", [0o600, 0o640, 0o444, 0o755])
def test_saving_over_a_file_keeps_its_permission_bits(tmp_path, bits):
    path = tmp_path / "model.npz"
    fio.save(base_net(seed=1), path)
    os.chmod(path, bits)
    net = base_net(seed=2)
    fio.save(net, path)
    assert mode(path) == bits
    assert fio.load(path).params.tobytes() == net.params.tobytes()
    assert others(tmp_path) == []


@posix_only
def test_the_temporary_file_has_the_old_mode_before_any_data(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    fio.save(base_net(seed=1), path)
    os.chmod(path, 0o600)
    seen = []
    write_array = np.lib.format.write_array

    def spy(fp, array, *args, **kwargs):
        (temporary,) = others(tmp_path)
        seen.append(mode(tmp_path / temporary))
        write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", spy)
    fio.save(base_net(seed=2), path)
    monkeypatch.undo()
    assert seen and set(seen) == {0o600}


@posix_only
def test_a_new_file_gets_the_umask_mode_even_under_a_strict_umask(tmp_path):
    old = os.umask(0o077)
    try:
        fio.save(base_net(), tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert mode(tmp_path / "model.npz") == 0o600


@posix_only
def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    link_folder = tmp_path / "links"
    link_folder.mkdir()
    target = real_folder / "model.npz"
    fio.save(base_net(seed=1), target)
    os.chmod(target, 0o600)
    link = link_folder / "model.npz"
    link.symlink_to(os.path.relpath(target, link_folder))  # relative, in another folder
    second = link_folder / "again.npz"
    second.symlink_to(link)  # a link to the link
    net = base_net(seed=2)
    fio.save(net, second)
    assert second.is_symlink() and link.is_symlink() and not target.is_symlink()
    assert fio.load(target).params.tobytes() == net.params.tobytes()
    assert fio.load(second).params.tobytes() == net.params.tobytes()
    assert mode(target) == 0o600
    assert sorted(p.name for p in link_folder.iterdir()) == ["again.npz", "model.npz"]
    assert others(real_folder) == []


@posix_only
def test_the_temporary_file_goes_next_to_the_symlinks_target(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    link = tmp_path / "link.npz"
    link.symlink_to(target)  # dangling: the target is created
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src).parent, Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    fio.save(base_net(), link)
    monkeypatch.undo()
    assert replaced == [(target.parent, target)]
    assert link.is_symlink() and target.is_file()
    fio.load(link)


@posix_only
def test_a_symlink_loop_is_refused_and_nothing_is_written(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(OSError) as info:
        fio.save(base_net(), a)
    assert info.value.errno == errno.ELOOP and "loop" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]
    assert a.is_symlink() and b.is_symlink()


# -- checkpoints: all or nothing ------------------------------------------------------------


def make_trainer(seed, optimizer=None, epochs=0):
    net = base_net(seed=seed)
    optimizer = optimizer or Adam(ReduceOnPlateau(0.01, patience=1))
    trainer = ffnn.Trainer(net, "mse", optimizer, batch_size=5, seed=seed, verbose=0,
                           engine="numpy")
    if epochs:
        trainer.fit(X, Y, epochs, validation_fraction=0.25)
    return trainer


def snapshot(trainer) -> dict:
    return {
        "params": trainer.network.params.tobytes(),
        "opt_state": {k: np.array(v).tobytes() for k, v in trainer.opt_state.items()},
        "opt_state_types": {k: type(v) for k, v in trainer.opt_state.items()},
        "epoch": trainer.epoch,
        "rng": copy.deepcopy(trainer.rng.bit_generator.state),
        "first_loss": trainer.first_loss,
        "resumed_split_seed": trainer._resumed_split_seed,
        "schedules": [s.state_dict() for s in trainer.optimizer.schedules],
    }


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    path = tmp_path / "checkpoint.npz"
    make_trainer(1, epochs=3).save_checkpoint(path)
    return path


def test_a_good_checkpoint_changes_everything_the_snapshot_holds(checkpoint):
    """The control for the tests below: a load that succeeds changes every part of the
    snapshot, so an unchanged snapshot means nothing was assigned."""
    victim = make_trainer(2, epochs=2)
    before = snapshot(victim)
    victim.load_checkpoint(checkpoint)
    after = snapshot(victim)
    changed = [key for key in before if before[key] != after[key]]
    assert sorted(changed) == sorted(set(before) - {"opt_state_types"})


def trainer_field(key, value):
    return lambda m: m["extra"]["trainer"].__setitem__(key, value)


def rng_field(*keys, value):
    def edit(m):
        state = m["extra"]["trainer"]["rng"]
        for key in keys[:-1]:
            state = state[key]
        state[keys[-1]] = value

    return edit


def plateau_field(key, value):
    return lambda m: m["extra"]["trainer"]["schedules"][0].__setitem__(key, value)


CHECKPOINT_CASES = {
    "trainer-state-list": (
        lambda m: m["extra"].update(trainer=[1, 2]),
        ModelFileError, "extra.trainer must be a JSON object, got [1, 2]",
    ),
    "epoch-negative": (trainer_field("epoch", -1), ModelFileError,
                       "extra.trainer.epoch must be a non-negative integer, got -1"),
    "epoch-str": (trainer_field("epoch", "3"), ModelFileError,
                  "extra.trainer.epoch must be a non-negative integer, got '3'"),
    "epoch-float": (trainer_field("epoch", 3.5), ModelFileError,
                    "extra.trainer.epoch must be a non-negative integer, got 3.5"),
    "epoch-bool": (trainer_field("epoch", True), ModelFileError,
                   "extra.trainer.epoch must be a non-negative integer, got True"),
    "first-loss-str": (trainer_field("first_loss", "0.5"), ModelFileError,
                       "extra.trainer.first_loss must be a finite number or null, got '0.5'"),
    "first-loss-bool": (trainer_field("first_loss", False), ModelFileError,
                        "extra.trainer.first_loss must be a finite number or null, got False"),
    "first-loss-inf": (trainer_field("first_loss", float("inf")), ModelFileError,
                       "Infinity is not a number in standard JSON"),
    "split-seed-negative": (trainer_field("split_seed", -5), ModelFileError,
                            "extra.trainer.split_seed must be a non-negative integer or null"),
    "split-seed-float": (trainer_field("split_seed", 7.0), ModelFileError,
                         "extra.trainer.split_seed must be a non-negative integer or null, got "
                         "7.0"),
    "missing-epoch": (lambda m: m["extra"]["trainer"].pop("epoch"), ModelFileError,
                      "extra.trainer must hold exactly epoch, rng, first_loss, split_seed, "
                      "schedules, penalize_biases; missing ['epoch']"),
    "unexpected-entry": (trainer_field("callbacks", []), ModelFileError,
                         "; unexpected ['callbacks']"),
    "rng-not-object": (trainer_field("rng", 42), ModelFileError,
                       "extra.trainer.rng must be a JSON object, got 42"),
    "rng-other-generator": (rng_field("bit_generator", value="MT19937"), ModelFileError,
                            "extra.trainer.rng.bit_generator must be 'PCG64' (the trainer's "
                            "generator), got 'MT19937'"),
    "rng-state-float": (rng_field("state", "state", value=1.5), ModelFileError,
                        "extra.trainer.rng.state.state must be a non-negative integer, got 1.5"),
    "rng-state-too-big": (rng_field("state", "state", value=2**200), ModelFileError,
                          "extra.trainer.rng is not a valid PCG64 state"),
    "rng-inc-negative": (rng_field("state", "inc", value=-1), ModelFileError,
                         "extra.trainer.rng.state.inc must be a non-negative integer, got -1"),
    "rng-missing-key": (lambda m: m["extra"]["trainer"]["rng"].pop("uinteger"), ModelFileError,
                        "extra.trainer.rng holds"),
    "rng-extra-key": (rng_field("state", "junk", value=1), ModelFileError,
                      "extra.trainer.rng.state holds"),
    "rng-has-uint32": (rng_field("has_uint32", value=5), ModelFileError,
                       "extra.trainer.rng.has_uint32 must be 0 or 1, got 5"),
    "rng-uinteger-too-big": (rng_field("uinteger", value=2**40), ModelFileError,
                             "extra.trainer.rng is not a valid PCG64 state"),
    "schedules-not-list": (trainer_field("schedules", {"0": {}}), ModelFileError,
                           "extra.trainer.schedules must be a list of JSON objects"),
    "schedules-count": (trainer_field("schedules", []), ValueError,
                        "the saved state has 0 schedule(s), the optimizer 1"),
    "schedule-keys": (trainer_field("schedules", [{}]), ValueError,
                      "extra.trainer.schedules[0] holds [], but ReduceOnPlateau"),
    "plateau-current-str": (plateau_field("current", "0.01"), ModelFileError,
                            "extra.trainer.schedules[0].current must be a positive finite "
                            "number, got '0.01'"),
    "plateau-current-zero": (plateau_field("current", 0), ModelFileError,
                             "schedules[0].current must be a positive finite number, got 0"),
    "plateau-best-str": (plateau_field("best", "low"), ModelFileError,
                         "extra.trainer.schedules[0].best must be a finite number or null"),
    "plateau-bad-epochs-float": (plateau_field("bad_epochs", 1.5), ModelFileError,
                                 "extra.trainer.schedules[0].bad_epochs must be a non-negative "
                                 "integer, got 1.5"),
    "params-nan": (None, ModelFileError, "params hold 1 NaN or inf"),  # an array edit, below
    "step-negative": (None, ModelFileError, "'opt/step' must be a single non-negative integer"),
    "state-float32": (None, ValueError, "opt_state['m'] must be an array of shape (38,) and "
                      "dtype float64, got an array of shape (38,) and dtype float32"),
    "state-missing-array": (None, ValueError, "opt_state holds ['m', 'step'], expected "
                            "['m', 'step', 'v']"),
}
CHECKPOINT_ARRAYS = {
    "params-nan": _nan_params,
    "step-negative": put("opt/step", -1),
    "state-float32": lambda a: a.update({"opt/m": a["opt/m"].astype(np.float32)}),
    "state-missing-array": drop("opt/v"),
}


@pytest.mark.parametrize("case", CHECKPOINT_CASES)
def test_a_failed_checkpoint_load_leaves_the_trainer_as_it_was(checkpoint, case):
    edit, kind, fragment = CHECKPOINT_CASES[case]
    if edit is None:
        with_arrays(checkpoint, CHECKPOINT_ARRAYS[case])
    else:
        edit_metadata(checkpoint, edit, rehash=True)
    victim = make_trainer(2, epochs=2)
    victim._resumed_split_seed = 99
    before = snapshot(victim)
    with pytest.raises(kind) as info:
        victim.load_checkpoint(checkpoint)
    assert fragment in str(info.value)
    assert str(checkpoint) in str(info.value)
    assert snapshot(victim) == before


@pytest.mark.parametrize(
    "optimizer",
    [lambda: SGD(ReduceOnPlateau(0.01)), lambda: Momentum(ReduceOnPlateau(0.01), 0.9),
     lambda: Adam(0.01), lambda: chain(ClipGradNorm(1.0), Adam(ReduceOnPlateau(0.01)))],
    ids=["sgd", "momentum", "adam-without-schedule", "chain"],
)
def test_a_checkpoint_for_another_optimizer_changes_nothing(checkpoint, optimizer):
    """Before, the weights were overwritten and then the optimizer state was refused."""
    victim = make_trainer(2, optimizer=optimizer(), epochs=2)
    params = victim.network.params.copy()
    state = copy.deepcopy(victim.opt_state)
    epoch, rng = victim.epoch, copy.deepcopy(victim.rng.bit_generator.state)
    with pytest.raises(ValueError, match=f"checkpoint {checkpoint}"):
        victim.load_checkpoint(checkpoint)
    assert victim.network.params.tobytes() == params.tobytes()
    assert victim.epoch == epoch and victim.rng.bit_generator.state == rng
    flat_before = ffnn.optimizers.state_to_arrays(state)
    flat_after = ffnn.optimizers.state_to_arrays(victim.opt_state)
    assert flat_before.keys() == flat_after.keys()
    for key in flat_before:
        assert flat_before[key].tobytes() == flat_after[key].tobytes()


def test_a_checkpoint_of_another_architecture_changes_nothing(checkpoint):
    net = ffnn.Network(3, [6, 2], ["tanh", "identity"], seed=3)
    victim = ffnn.Trainer(net, "mse", Adam(ReduceOnPlateau(0.01)), verbose=0)
    params = net.params.copy()
    with pytest.raises(ValueError, match="holds Network"):
        victim.load_checkpoint(checkpoint)
    assert net.params.tobytes() == params.tobytes()


def test_train_resume_from_a_bad_checkpoint_changes_nothing(checkpoint):
    edit_metadata(checkpoint, trainer_field("epoch", -3), rehash=True)
    net = base_net(seed=5)
    params = net.params.copy()
    with pytest.raises(ModelFileError, match=r"extra\.trainer\.epoch"):
        ffnn.train(net, X, Y, "mse", optimizer=Adam(ReduceOnPlateau(0.01, patience=1)),
                   epochs=5, batch_size=5, verbose=0, resume_from=checkpoint)
    assert net.params.tobytes() == params.tobytes()


def test_set_training_state_checks_before_assigning():
    trainer = make_trainer(1, epochs=2)
    state = trainer.training_state()
    victim = make_trainer(2, epochs=1)
    before = snapshot(victim)
    bad = {**state, "epoch": -1}
    with pytest.raises(ValueError, match=r"state\.epoch must be a non-negative integer"):
        victim.set_training_state(bad, copy.deepcopy(trainer.opt_state))
    with pytest.raises(ValueError, match="opt_state must be a dict, got list"):
        victim.set_training_state(state, [1, 2])
    with pytest.raises(ValueError, match=r"opt_state\['step'\] must be a non-negative"):
        victim.set_training_state(state, {**trainer.opt_state, "step": -2})
    assert snapshot(victim) == before
    victim.set_training_state(state, copy.deepcopy(trainer.opt_state))
    assert victim.epoch == trainer.epoch == 2
    assert victim.rng.bit_generator.state == trainer.rng.bit_generator.state


# -- issue 25: crafted estimator fields and compressed bombs -----------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("y_type", 3, "target.y_type must be one of binary, multiclass, multilabel-indicator"),
    ("y_type", ["binary"], "target.y_type must be one of"),
    ("classes", "abc", "target.classes must be a list of class labels"),
    ("classes", [{"a": 1}, 2], "target.classes must be a list of class labels"),
])
def test_a_crafted_estimator_target_is_a_model_file_error(tmp_path, field, value, message):
    import warnings

    from ffnn.sklearn.estimators import FFNNClassifier

    Xi, Ti = ffnn.datasets.load_iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FFNNClassifier(hidden_layer_sizes=(2,), max_iter=2).fit(Xi, Ti.argmax(1)).save(
            tmp_path / "e.npz")
    arrays, metadata = fio.read_model_file(tmp_path / "e.npz")
    metadata["extra"]["estimator"]["target"][field] = value
    fio.write_model_file(tmp_path / "c.npz", arrays, {
        k: v for k, v in metadata.items() if k not in ("arrays", "metadata_sha256")})
    with pytest.raises(ModelFileError, match=re.escape(message)):
        FFNNClassifier.load(tmp_path / "c.npz")
    with pytest.raises(ModelFileError, match=re.escape(message)):
        ffnn.load_model(tmp_path / "c.npz")


def test_a_gzip_bomb_in_mnists_files_costs_what_its_header_says(tmp_path):

    from ffnn.io.idx import LABELS_MAGIC, read_idx

    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(struct.pack(">II", LABELS_MAGIC, 5) + bytes(5))
        for _ in range(100):
            file.write(bytes(2**20))
    tracemalloc.start()
    with pytest.raises(ValueError, match="bytes too many"):
        read_idx(path, LABELS_MAGIC)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20
