"""Model files: exact round trips, atomic writes, damaged and edited files, custom activations,
and no pickle anywhere."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ffnn
import ffnn.io as fio
from ffnn.core.activations import (
    ELU,
    Activation,
    FunctionActivation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from ffnn.io import container
from ffnn.io.container import ModelFileError
from ffnn.optim.optimizers import Adam, AdamW, ClipGradNorm, Momentum, chain

RNG = np.random.default_rng(7)
X = RNG.standard_normal((9, 3))
Y = RNG.standard_normal((9, 2))
TEMPORARY = re.compile(r"^\.model\.npz\.tmp-[0-9a-f]+$")  # the writer's temporary files


def small_net(dtype="float64", activations=("tanh", "identity"), seed=0):
    return ffnn.Network(3, [6, 2], list(activations), dtype=dtype, seed=seed)


def assert_same_network(a: ffnn.Network, b: ffnn.Network) -> None:
    assert type(b) is ffnn.Network
    assert b.network_input_size == a.network_input_size
    assert b.layer_output_sizes == a.layer_output_sizes
    assert b.activation_funcs == a.activation_funcs
    assert b.dtype == a.dtype and b.params.dtype == a.params.dtype
    assert b.params.tobytes() == a.params.tobytes()  # bit-identical
    assert b.predict(X).tobytes() == a.predict(X).tobytes()


def npy_bytes(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=allow_pickle)
    return buffer.getvalue()


def rewrite(path: Path, *, drop=(), replace=None, add=None) -> None:
    """Rebuild the archive by hand (valid zip, fresh CRCs): drop, replace or add entries."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(path) as zf:
        members = {info.filename[: -len(".npy")]: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(path, "w") as zf:
        for key, data in members.items():
            if key not in drop:
                zf.writestr(key + ".npy", replace.get(key, data))
        for key, data in add.items():
            zf.writestr(key + ".npy", data)


def edit_metadata(path: Path, edit, *, rehash=False) -> None:
    """Edit the metadata JSON as a person would; ``rehash`` also fixes its checksum."""
    with np.load(path, allow_pickle=False) as npz:
        metadata = json.loads(str(npz[fio.METADATA_KEY]))
    edit(metadata)
    if rehash:
        body = {k: v for k, v in metadata.items() if k != "metadata_sha256"}
        metadata["metadata_sha256"] = container._metadata_digest(body)
    rewrite(path, replace={fio.METADATA_KEY: npy_bytes(np.array(json.dumps(metadata)))})


def others(folder: Path, name="model.npz") -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != name)


# -- round trips ------------------------------------------------------------------------------

ACTIVATIONS = [
    Identity(),
    Sigmoid(),
    Tanh(),
    ReLU(),
    LeakyReLU(0.2),
    ELU(0.5),
    Softmax(),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda f: f.name)
def test_round_trip_of_every_builtin_activation_is_bit_identical(tmp_path, activation, dtype):
    net = ffnn.Network(3, [5, 4, 2], [activation, "elu", activation], dtype=dtype, seed=1)
    path = tmp_path / "model.npz"
    fio.save(net, path)
    loaded = fio.load(path)
    assert_same_network(net, loaded)
    if isinstance(activation, (LeakyReLU, ELU)):
        assert loaded.activation_funcs[0].alpha == activation.alpha
    assert others(tmp_path) == []


def test_loaded_network_owns_its_buffer_and_layers_are_views(tmp_path):
    net = small_net()
    fio.save(net, tmp_path / "model.npz")
    loaded = fio.load(str(tmp_path / "model.npz"))  # str paths as well as Path
    for W, b in loaded.layers:
        assert np.shares_memory(W, loaded.params) and np.shares_memory(b, loaded.params)
    loaded.params += 1.0
    assert not np.shares_memory(loaded.params, net.params)
    assert fio.load(tmp_path / "model.npz").params.tobytes() == net.params.tobytes()


def test_file_is_a_plain_npz_with_checked_json_metadata(tmp_path):
    path = tmp_path / "model.npz"
    net = small_net("float32")
    fio.save(net, path, metadata={"epochs": np.int64(12), "note": "iris", "scores": (1, 2.5)})
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == [fio.METADATA_KEY, "params"]
        np.testing.assert_array_equal(npz["params"], net.params)
    _, metadata = fio.read_model_file(path)
    assert metadata["format"] == fio.FORMAT_NAME == "ffnn-model"
    assert metadata["format_version"] == fio.FORMAT_VERSION == 1
    assert metadata["library_version"] == ffnn.__version__
    assert "arrays" not in metadata and "metadata_sha256" not in metadata  # checked, removed
    assert metadata["network"] == {
        "network_input_size": 3,
        "layer_output_sizes": [6, 2],
        "activation_funcs": [{"name": "tanh"}, {"name": "identity"}],
        "dtype": "float32",
        "n_params": net.n_params,
    }
    _, state, extra = fio.load_with_state(path)
    assert state is None
    assert extra == {"epochs": 12, "note": "iris", "scores": [1, 2.5]}  # JSON's types


def test_same_model_gives_the_same_bytes(tmp_path):
    net = small_net()
    fio.save(net, tmp_path / "a.npz", metadata={"x": 1})
    fio.save(net.copy(), tmp_path / "b.npz", metadata={"x": 1})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_write_and_read_model_file_with_any_arrays(tmp_path):
    path = tmp_path / "arrays.npz"
    arrays = {
        "a": np.arange(6, dtype=np.int32).reshape(2, 3),
        "deep/name/f": np.asfortranarray(RNG.standard_normal((3, 4))),
        "big_endian": np.arange(3, dtype=">f8"),
        "text": np.array(["relu", "tanh"]),
        "scalar": np.array(3.5),
        "flags": np.array([True, False]),
    }
    fio.write_model_file(path, arrays, {"k": [1, None, "x"]})
    back, metadata = fio.read_model_file(path)
    assert sorted(back) == sorted(arrays)
    for key, array in arrays.items():
        assert back[key].dtype == array.dtype and back[key].shape == array.shape
        np.testing.assert_array_equal(back[key], array)
    assert metadata["k"] == [1, None, "x"]
    # What read_model_file returns can be written again (the writer's keys are replaced).
    fio.write_model_file(path, back, metadata)
    assert fio.read_model_file(path)[1] == metadata


# -- optimizer state --------------------------------------------------------------------------


def assert_same_state(a, b) -> None:
    assert type(a) is type(b)
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_state(x, y)
        return
    assert a.keys() == b.keys()
    for key in a:
        if key == "step":
            assert type(b[key]) is int and b[key] == a[key]
        else:
            assert b[key].dtype == np.asarray(a[key]).dtype
            assert b[key].tobytes() == np.asarray(a[key]).tobytes()


OPTIMIZERS = {
    "adam": lambda: Adam(0.01),
    "clip+adam": lambda: chain(ClipGradNorm(0.5), Adam(0.01)),
    "adamw": lambda: AdamW(0.01, weight_decay=0.1),
    "momentum": lambda: Momentum(0.01),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_state_round_trips_and_resumes_exactly(tmp_path, name, dtype):
    net = small_net(dtype)
    opt = OPTIMIZERS[name]()
    state = opt.init(net.params, net.weight_mask())
    for _ in range(3):
        updates, state = opt.update(net.gradient(X, Y, "mse"), state, net.params)
        net.params += updates
    path = tmp_path / "model.npz"
    fio.save(net, path, opt_state=state, metadata={"optimizer": name})
    loaded, loaded_state, extra = fio.load_with_state(path)
    assert extra == {"optimizer": name}
    assert_same_network(net, loaded)
    assert_same_state(state, loaded_state)
    # A fresh optimizer of the same kind, resumed from the file, takes the same next step.
    expected, _ = opt.update(net.gradient(X, Y, "mse"), state, net.params)
    resumed, _ = OPTIMIZERS[name]().update(
        loaded.gradient(X, Y, "mse"), loaded_state, loaded.params
    )
    assert resumed.dtype == expected.dtype and resumed.tobytes() == expected.tobytes()
    assert fio.load(path).params.tobytes() == net.params.tobytes()  # load ignores the state


def test_an_empty_optimizer_state_comes_back_empty_not_none(tmp_path):
    net = small_net()
    fio.save(net, tmp_path / "model.npz", opt_state=ClipGradNorm(1.0).init(net.params))
    assert fio.load_with_state(tmp_path / "model.npz")[1] == {}


# -- atomicity --------------------------------------------------------------------------------


def first_model(tmp_path) -> tuple[Path, bytes, ffnn.Network]:
    path = tmp_path / "model.npz"
    net = small_net(seed=1)
    fio.save(net, path)
    return path, path.read_bytes(), net


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path, before, net = first_model(tmp_path)

    def broken_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        fio.save(small_net(seed=2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and others(tmp_path) == []
    assert_same_network(net, fio.load(path))


@pytest.mark.parametrize("error", [OSError("I/O error (simulated)"), KeyboardInterrupt()])
def test_a_crash_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, error):
    path, before, net = first_model(tmp_path)
    write_array = np.lib.format.write_array
    seen = []

    def crash_after_first_entry(fp, array, *args, **kwargs):
        write_array(fp, array, *args, **kwargs)
        seen.append(others(tmp_path))  # the temporary file exists while writing
        raise error

    monkeypatch.setattr(np.lib.format, "write_array", crash_after_first_entry)
    with pytest.raises(type(error)):
        fio.save(small_net(seed=2), path, opt_state=Adam().init(net.params))
    monkeypatch.undo()
    assert len(seen[0]) == 1 and TEMPORARY.match(seen[0][0])
    assert path.read_bytes() == before and others(tmp_path) == []
    assert_same_network(net, fio.load(path))


def test_new_file_is_synced_and_replaced_in_one_step(tmp_path, monkeypatch):
    path, _, _ = first_model(tmp_path)
    synced, replaced = [], []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    def replace(src, dst):
        replaced.append((Path(src).name, Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    net = small_net(seed=3)
    fio.save(net, path)
    monkeypatch.undo()
    assert synced[0] is False  # the file, before the replace
    if os.name == "posix":
        assert synced == [False, True]  # then the folder
    assert len(replaced) == 1 and TEMPORARY.match(replaced[0][0])
    assert replaced[0][1] == path.resolve()
    assert_same_network(net, fio.load(path))
    if os.name == "posix":  # permissions follow the umask, as for any new file
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


KILLED_WRITER = """
import sys, time
import numpy as np
import ffnn
import ffnn.io as fio
from ffnn.io import container

write_array = np.lib.format.write_array

def stall(fp, array, *args, **kwargs):
    write_array(fp, array, *args, **kwargs)
    if array.size > 1000:  # the parameters are written, the archive is not finished
        print("mid-write", flush=True)
        time.sleep(60)

np.lib.format.write_array = stall
fio.save(ffnn.Network(20, [300, 300, 5], "tanh", seed=5), sys.argv[1])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_writer_killed_mid_write_leaves_the_old_file_intact(tmp_path):
    """SIGKILL leaves no chance to clean up: the target must be intact, and the only leftover
    allowed is a temporary file named as such (``.model.npz.tmp-<hex>``)."""
    path, before, net = first_model(tmp_path)
    with (
        open(tmp_path / "stderr.txt", "w") as stderr,
        subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(path)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as writer,
    ):
        try:
            line = writer.stdout.readline()
            assert line.strip() == "mid-write", (tmp_path / "stderr.txt").read_text()
            during = others(tmp_path, "model.npz")
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert_same_network(net, fio.load(path))
    leftovers = [name for name in others(tmp_path) if name != "stderr.txt"]
    assert leftovers == [name for name in during if name != "stderr.txt"]
    assert len(leftovers) == 1 and TEMPORARY.match(leftovers[0])


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path):
    path, before, _ = first_model(tmp_path)
    with pytest.raises(TypeError, match=r"arrays\['opt/bad'\].*object"):
        fio.write_model_file(path, {"params": np.ones(3), "opt/bad": np.array([{}, 1])})
    with pytest.raises(TypeError, match=r"arrays\['x'\].*object"):
        fio.write_model_file(path, {"x": np.array([None])})
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        fio.save(small_net(), path, metadata={"loss": float("nan")})
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        fio.save(small_net(), path, metadata={"f": print})
    with pytest.raises(ValueError, match="'arrays' is reserved"):
        fio.write_model_file(path, {}, {"arrays": 1})
    with pytest.raises(ValueError, match="reserved for the metadata"):
        fio.write_model_file(path, {fio.METADATA_KEY: np.ones(1)})
    with pytest.raises(ValueError, match=re.escape("'..'")):
        fio.write_model_file(path, {"../escape": np.ones(1)})
    with pytest.raises(TypeError, match="network must be a Network"):
        fio.save("not a network", path)
    with pytest.raises(TypeError, match="opt_state must be an optimizer state"):
        fio.save(small_net(), path, opt_state=[1, 2])
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
        fio.save(small_net(), 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fio.save(small_net(), tmp_path / "no" / "model.npz")
    with pytest.raises(IsADirectoryError):
        fio.save(small_net(), tmp_path)
    assert path.read_bytes() == before and others(tmp_path) == []


# -- damaged, edited and foreign files --------------------------------------------------------


def saved(tmp_path, name="model.npz", **kwargs) -> tuple[Path, ffnn.Network]:
    path = tmp_path / name
    net = small_net(seed=4)
    fio.save(net, path, **kwargs)
    return path, net


def raises_model_file_error(path, *patterns, **kwargs) -> ModelFileError:
    with pytest.raises(ModelFileError) as info:
        fio.load(path, **kwargs)
    message = str(info.value)
    assert path.name in message, message
    for pattern in patterns:
        assert re.search(pattern, message), message
    assert isinstance(info.value, ValueError) and info.value.path == str(path)
    return info.value


@pytest.mark.parametrize("keep", [0.5, 0.99, 30, 4])
def test_truncated_file(tmp_path, keep):
    path, _ = saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep) if keep < 1 else keep])
    raises_model_file_error(path, "truncated")


def test_empty_file_garbage_and_a_single_npy(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"")
    raises_model_file_error(path, "empty")
    path.write_bytes(np.random.default_rng(0).bytes(500).replace(b"PK", b"pk"))
    raises_model_file_error(path, "not an ffnn model file", "zip signature")
    path.write_bytes(npy_bytes(np.ones(3)))
    raises_model_file_error(path, r"single \.npy array")


class _Sentinel:
    """Unpickling this creates a folder: proof that something was unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_pickles_are_never_loaded(tmp_path):
    import pickle

    sentinel = tmp_path / "unpickled"
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(_Sentinel(sentinel)))
    raises_model_file_error(path, "pickle")
    # An object array inside a valid model file (np.savez pickles it by default).
    path, _ = saved(tmp_path)
    evil = np.array([_Sentinel(sentinel), 1], dtype=object)
    rewrite(path, add={"evil": npy_bytes(evil, allow_pickle=True)})
    raises_model_file_error(path, "'evil'", "Python objects", "allow_pickle=False")
    assert not sentinel.exists()


def test_flipped_byte_in_the_parameters(tmp_path):
    path, net = saved(tmp_path)
    raw = bytearray(path.read_bytes())
    offset = bytes(raw).find(net.params.tobytes())
    assert offset > 0
    raw[offset + 17] ^= 0x01
    path.write_bytes(bytes(raw))
    raises_model_file_error(path, "'params'", "CRC-32")


def test_hand_edited_parameters_fail_their_checksum(tmp_path):
    path, net = saved(tmp_path)
    params = net.params.copy()
    params[0] += 1e-12  # a valid archive with fresh CRCs, but other values
    rewrite(path, replace={"params": npy_bytes(params)})
    raises_model_file_error(path, "checksum mismatch", "'params'")
    rewrite(path, replace={"params": npy_bytes(params.astype(np.float32))})
    raises_model_file_error(path, "'params'", "<f4", "<f8", "edited")


def test_hand_edited_metadata(tmp_path):
    path, _ = saved(tmp_path)

    def widen(metadata):
        metadata["network"]["layer_output_sizes"] = [7, 2]

    edit_metadata(path, widen)
    raises_model_file_error(path, "does not match its checksum", "edited")
    # Edited with its checksum recomputed: the architecture no longer fits the parameters.
    path, _ = saved(tmp_path, "other.npz")
    edit_metadata(path, widen, rehash=True)
    raises_model_file_error(path, r"n_params is 38 but the architecture 3 -> 7 -> 2 has 44")

    def drop_n_params(metadata):
        widen(metadata)
        del metadata["network"]["n_params"]

    edit_metadata(path, drop_n_params, rehash=True)
    raises_model_file_error(path, r"params have shape \(38,\).*3 -> 7 -> 2 needs \(44,\)")

    def to_float32(metadata):
        metadata["network"]["dtype"] = "float32"

    path, _ = saved(tmp_path, "third.npz")
    edit_metadata(path, to_float32, rehash=True)
    raises_model_file_error(path, "params are float64 but the network's dtype is float32")


def test_newer_or_foreign_format(tmp_path):
    path, _ = saved(tmp_path)
    edit_metadata(path, lambda m: m.update(format_version=fio.FORMAT_VERSION + 1))
    raises_model_file_error(
        path,
        re.escape(
            f"written by a newer ffnn (format {fio.FORMAT_VERSION + 1}); this version reads up "
            f"to {fio.FORMAT_VERSION}: upgrade ffnn"
        ),
    )
    edit_metadata(path, lambda m: m.update(format_version="1"))
    raises_model_file_error(path, "invalid format_version '1'")
    edit_metadata(path, lambda m: m.update(format="keras"))
    raises_model_file_error(path, "not an ffnn model file: its format is 'keras'")


def test_missing_or_invalid_metadata(tmp_path):
    path, _ = saved(tmp_path)
    rewrite(path, replace={fio.METADATA_KEY: npy_bytes(np.array("{not json"))})
    raises_model_file_error(path, "invalid JSON in __metadata__")
    rewrite(path, replace={fio.METADATA_KEY: npy_bytes(np.array("[1, 2]"))})
    raises_model_file_error(path, "must hold a JSON object")
    rewrite(path, replace={fio.METADATA_KEY: npy_bytes(np.arange(3))})
    raises_model_file_error(path, "must be a JSON text")
    rewrite(path, drop=[fio.METADATA_KEY])
    raises_model_file_error(path, "no __metadata__ entry")
    plain = tmp_path / "plain.npz"
    np.savez(plain, params=np.ones(3))
    raises_model_file_error(plain, "no __metadata__ entry")


def test_missing_or_unlisted_arrays(tmp_path):
    path, _ = saved(tmp_path, opt_state=Adam().init(np.zeros(38)))
    rewrite(path, drop=["opt/m"])
    raises_model_file_error(path, "missing array.*'opt/m'.*listed in the checksums")
    path, _ = saved(tmp_path)
    rewrite(path, add={"extra": npy_bytes(np.ones(2))})
    raises_model_file_error(path, "'extra'.*not listed in the checksums")


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.npz"):
        fio.load(tmp_path / "nothing.npz")


def test_files_without_a_network(tmp_path):
    path = tmp_path / "model.npz"
    fio.write_model_file(path, {"params": np.ones(3)}, {"other": 1})
    raises_model_file_error(path, "no 'network' description")


# -- custom activations -----------------------------------------------------------------------


def cube(z):
    return z**3


def cube_prime(z):
    return 3 * z**2


def squash(z):
    return 0.5 * (np.tanh(z) + 1)


def squash_prime(z):
    return 0.5 * (1 - np.tanh(z) ** 2)


class Swish(Activation):
    name = "swish"

    def forward(self, z):
        return z / (1 + np.exp(-z))

    def derivative(self, z, a):
        s = 1 / (1 + np.exp(-z))
        return s + z * s * (1 - s)


def custom_net(dtype="float64"):
    cube_activation = FunctionActivation(cube, cube_prime, kinks=(0.5,))
    out = FunctionActivation(squash, squash_prime, name="squash", outputs_probabilities=True)
    return ffnn.Network(
        3, [4, 4, 4, 2], [cube_activation, Swish(), cube_activation, out], dtype=dtype, seed=2
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_custom_activations_need_custom_objects(tmp_path, dtype):
    path = tmp_path / "model.npz"
    net = custom_net(dtype)
    fio.save(net, path)
    error = raises_model_file_error(path, "custom_objects=", "'cube'", "'swish'", "'squash'")
    assert "'cube': (f, f_prime)" in str(error) and "'swish': Swish()" in str(error)
    raises_model_file_error(
        path, "'swish'", custom_objects={"cube": (cube, cube_prime), "squash": (squash, squash)}
    )
    custom = {"cube": (cube, cube_prime), "swish": Swish, "squash": (squash, squash_prime)}
    loaded = fio.load(path, custom_objects=custom)
    assert loaded.params.tobytes() == net.params.tobytes()
    assert loaded.predict(X).tobytes() == net.predict(X).tobytes()
    cube_loaded, swish_loaded, _, squash_loaded = loaded.activation_funcs
    assert cube_loaded.kinks == (0.5,) and not cube_loaded.outputs_probabilities
    assert squash_loaded.outputs_probabilities and squash_loaded.name == "squash"
    assert type(swish_loaded) is Swish
    # An instance works too, and a built-in never consults custom_objects.
    instance = Swish()
    again = fio.load(path, custom_objects={**custom, "swish": instance, "tanh": Swish()})
    assert again.activation_funcs[1] is instance


def test_custom_activation_configs():
    config = fio.activation_to_config(FunctionActivation(cube, cube_prime, kinks=(0,)))
    assert config == {
        "name": "cube",
        "custom": "function",
        "kinks": [0.0],
        "outputs_probabilities": False,
    }
    assert fio.activation_to_config(Swish()) == {
        "name": "swish",
        "custom": "class",
        "class": f"{__name__}.Swish",
    }

    class MyReLU(ReLU):  # a subclass of a built-in is custom: its behaviour may differ
        name = "my_relu"

    assert fio.activation_to_config(MyReLU())["custom"] == "class"
    # A custom activation named like a built-in is still custom.
    relu_pair = FunctionActivation(cube, cube_prime, name="relu")
    with pytest.raises(ModelFileError, match="custom_objects"):
        fio.activation_from_config(fio.activation_to_config(relu_pair))
    with pytest.raises(TypeError, match=r"custom_objects\['cube'\] must be"):
        fio.activation_from_config(config, {"cube": cube})
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        fio.activation_from_config(config, [cube, cube_prime])


def test_two_different_custom_activations_with_one_name_are_refused(tmp_path):
    first = FunctionActivation(cube, cube_prime, name="mine")
    second = FunctionActivation(squash, squash_prime, name="mine")
    net = ffnn.Network(3, [4, 2], [first, second], seed=0)
    with pytest.raises(ValueError, match="both named 'mine'"):
        fio.save(net, tmp_path / "model.npz")
    assert others(tmp_path, "") == []


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda f: f.name)
def test_builtin_activation_configs_round_trip(activation):
    config = fio.activation_to_config(activation)
    assert json.loads(json.dumps(config)) == config
    assert "custom" not in config
    assert fio.activation_from_config(config) == activation
    assert fio.activation_from_config(config, {activation.name: Swish()}) == activation


def test_bad_activation_configs():
    with pytest.raises(ModelFileError, match=r"unknown activation 'relu6'.*identity, sigmoid"):
        fio.activation_from_config({"name": "relu6"})
    with pytest.raises(ModelFileError, match="'leaky_relu' needs a number 'alpha'"):
        fio.activation_from_config({"name": "leaky_relu"})
    with pytest.raises(ModelFileError, match="alpha must be >= 0"):
        fio.activation_from_config({"name": "elu", "alpha": -1.0})
    with pytest.raises(ModelFileError, match="unexpected entries"):
        fio.activation_from_config({"name": "relu", "alpha": 0.1})
    with pytest.raises(ModelFileError, match="unknown custom kind"):
        fio.activation_from_config({"name": "x", "custom": "pickle"})
    with pytest.raises(ModelFileError, match="needs a str 'name'"):
        fio.activation_from_config({"alpha": 1})
    with pytest.raises(TypeError, match="activation must be an Activation"):
        fio.activation_to_config("relu")


# -- parts ------------------------------------------------------------------------------------


def test_network_parts_round_trip_and_consistency_checks():
    net = small_net("float32")
    arrays, metadata = fio.network_to_parts(net)
    assert not np.shares_memory(arrays["params"], net.params)  # the caller's own copy
    assert_same_network(net, fio.network_from_parts(arrays, metadata))

    def fails(pattern, arrays=arrays, metadata=metadata):
        with pytest.raises(ModelFileError, match=pattern):
            fio.network_from_parts(arrays, metadata)

    spec = metadata["network"]
    fails("no 'params' array", arrays={})
    without_count = {"network": {k: v for k, v in spec.items() if k != "n_params"}}
    fails(r"params have shape \(3,\)", {"params": np.ones(3, np.float32)}, without_count)
    fails(
        r"n_params is 3 but the architecture 3 -> 6 -> 2 has 38",
        metadata={"network": {**spec, "n_params": 3}},
    )
    fails("params are float64", arrays={"params": arrays["params"].astype(np.float64)})
    bad = arrays["params"].copy()
    bad[3] = np.nan
    fails("1 NaN or inf", arrays={"params": bad})
    fails("one activation per layer", metadata={"network": {**spec, "activation_funcs": []}})
    fails(
        "network_input_size must be a positive integer",
        metadata={"network": {**spec, "network_input_size": 0}},
    )
    fails(
        r"layer_output_sizes\[1\] must be a positive integer",
        metadata={"network": {**spec, "layer_output_sizes": [6, 2.0]}},
    )
    fails("dtype must be 'float64' or 'float32'", metadata={"network": {**spec, "dtype": "f2"}})
    fails("no 'network' description", metadata={})
