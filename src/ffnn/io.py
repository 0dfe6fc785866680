"""Model files: one ``.npz`` per model, written atomically and read without pickle.

A model file is an uncompressed ``.npz`` archive (what :func:`numpy.savez` writes, readable
with ``numpy.load(path, allow_pickle=False)``) holding

- the model's arrays: ``params`` (the network's flat parameter buffer) and, when saved with
  one, the optimizer state under ``opt/`` (:func:`~ffnn.optimizers.state_to_arrays`);
- ``__metadata__``: a text array holding one JSON object::

      {"format": "ffnn-model", "format_version": 1, "library_version": "0.1.0",
       "network": {"network_input_size": 4, "layer_output_sizes": [8, 3],
                   "activation_funcs": [{"name": "sigmoid"}, {"name": "softmax"}],
                   "dtype": "float64", "n_params": 67},
       "optimizer_state": false, "extra": {...},
       "arrays": {"params": {"dtype": "<f8", "shape": [67], "sha256": "..."}},
       "metadata_sha256": "..."}

``arrays`` records the dtype, shape and SHA-256 of every array, and ``metadata_sha256`` the
SHA-256 of the rest of the JSON (in a canonical form), so a hand edit or a damaged byte is
reported instead of silently giving another model. The zip's own CRC-32 catches most damage
first. Nothing is ever unpickled: arrays of Python objects are refused when writing and when
reading, and activations are stored by name (custom ones are supplied again at load time
through ``custom_objects``, never as pickled functions).

Writing is atomic: the archive goes to a temporary file next to the target
(``.<name>.tmp-<random hex>``), is flushed and ``fsync``-ed, and replaces the target with
:func:`os.replace`; the folder is then ``fsync``-ed where the platform allows. If anything
fails the temporary file is removed and a file already at the target is untouched. Only a
process killed outright (``SIGKILL``, power loss) can leave a temporary file behind; the
target is intact then too, and the leftover, named as above, may be deleted.

Reading raises :class:`ModelFileError` (a ``ValueError``) naming the file and the problem for
anything wrong *inside* a file: not an npz archive, truncated, a failed CRC-32, no or invalid
metadata, another format, a newer format version, a checksum mismatch, missing or unexpected
arrays, an inconsistent architecture. A file that cannot be opened at all raises the
``OSError`` that :func:`open` raises (``FileNotFoundError``, ``PermissionError``,
``IsADirectoryError``), unchanged, so that ``except FileNotFoundError`` works as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import numbers
import os
import secrets
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._validation import is_function_pair
from .activations import ACTIVATIONS, Activation, FunctionActivation
from .network import Network
from .optimizers import state_from_arrays, state_to_arrays

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "ModelFileError",
    "write_model_file",
    "read_model_file",
    "activation_to_config",
    "activation_from_config",
    "network_to_parts",
    "network_from_parts",
    "save",
    "load",
    "load_with_state",
]

FORMAT_NAME = "ffnn-model"
FORMAT_VERSION = 1
#: The archive entry holding the JSON metadata.
METADATA_KEY = "__metadata__"

_OPT_PREFIX = "opt/"
_WRITER_KEYS = ("format", "format_version", "library_version")  # set by the writer
_INTEGRITY_KEYS = ("arrays", "metadata_sha256")  # written and checked here, never returned
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry; an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so one model always gives the same bytes
# Whatever a damaged archive may raise while numpy and zipfile parse it.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
    OverflowError,
)



class ModelFileError(ValueError):
    """A model file is damaged, edited, of another format or version, or inconsistent.

    The message names the file and the problem.

    Attributes
    ----------
    path : str or None
        The file concerned, when known.
    """

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


# -- the archive ------------------------------------------------------------------------------


def _as_path(path, name: str = "path") -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(
            f"{name} must be a str or os.PathLike, got {path!r} ({type(path).__name__})"
        ) from None


def _digest(array: np.ndarray) -> str:
    """SHA-256 of an array's values in C order (the same before writing and after reading)."""
    contiguous = np.ascontiguousarray(array)
    sha = hashlib.sha256()
    try:
        sha.update(memoryview(contiguous).cast("B"))
    except (TypeError, ValueError):  # dtypes without a buffer format (datetime64, ...)
        sha.update(contiguous.tobytes())
    return sha.hexdigest()


def _json_default(value):
    if isinstance(value, np.generic):  # NumPy scalars: np.int64(3) -> 3
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _metadata_digest(body: Mapping) -> str:
    """SHA-256 of the metadata in a canonical JSON form (sorted keys, no spaces, ASCII)."""
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_json_default
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _check_key(key) -> str:
    if not isinstance(key, str) or not key:
        raise TypeError(f"arrays: keys must be non-empty str, got {key!r}")
    if key == METADATA_KEY:
        raise ValueError(f"arrays: the key {METADATA_KEY!r} is reserved for the metadata")
    parts = key.split("/")
    if "\\" in key or "\0" in key or any(part in ("", ".", "..") for part in parts):
        raise ValueError(
            f"arrays: key {key!r} must be '/'-separated names without empty parts, '.', '..', "
            "backslashes or NUL"
        )
    return key


def _check_arrays(arrays) -> dict[str, np.ndarray]:
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of str to arrays, got {type(arrays).__name__}")
    checked = {}
    for key, value in arrays.items():
        key = _check_key(key)
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"arrays[{key!r}] cannot be made an array: {exc}") from exc
        if array.dtype.hasobject:
            raise TypeError(
                f"arrays[{key!r}] has dtype {array.dtype}, which holds Python objects; model "
                "files hold numbers and text only (they are never pickled)"
            )
        checked[key] = array
    return checked


def _metadata_json(metadata, manifest: dict) -> str:
    """The JSON text of ``metadata`` with the writer's keys and the checksums added."""
    from . import __version__  # lazily: the package imports this module

    if metadata is None:
        metadata = {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    for key in metadata:
        if not isinstance(key, str):
            raise TypeError(f"metadata: keys must be str, got {key!r}")
        if key in _INTEGRITY_KEYS:
            raise ValueError(
                f"metadata: the key {key!r} is reserved for the file's checksums; "
                f"reserved keys are {', '.join(_INTEGRITY_KEYS)}"
            )
    body = {
        **metadata,
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "arrays": manifest,
    }
    try:
        # Through JSON and back, so the digest is of exactly what a reader will parse.
        body = json.loads(json.dumps(body, allow_nan=False, default=_json_default))
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            "metadata must be JSON-serialisable (dicts with str keys, lists, str, finite "
            f"numbers, bool, None): {exc}"
        ) from exc
    body["metadata_sha256"] = _metadata_digest(body)
    return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False)


def _write_npz(file, arrays: Mapping[str, np.ndarray], text: str) -> None:
    """What ``np.savez`` writes (uncompressed), with fixed dates and no pickling allowed."""
    entries = [(METADATA_KEY, np.array(text)), *arrays.items()]
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, array in entries:
            info = zipfile.ZipInfo(key + ".npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with zf.open(info, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _fsync_folder(folder: str) -> None:
    """Make the rename durable where the platform lets a folder be opened and synced."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _create_temporary(folder: str, name: str) -> tuple[str, int]:
    """A new file ``.<name>.tmp-<hex>`` in ``folder``, created with the umask's permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = os.path.join(folder, f".{name}.tmp-{secrets.token_hex(6)}")
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file for {name} in {folder}")


def write_model_file(
    path, arrays: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
) -> None:
    """Write arrays and JSON metadata to an ``.npz`` model file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write, used as given (no ``.npz`` is appended). Its folder must exist.
    arrays : mapping of str to array
        Arrays of numbers, booleans or text; keys may contain ``/`` (``"opt/m"``). Arrays of
        Python objects are refused (a ``TypeError`` naming the key): nothing is pickled.
    metadata : mapping, optional
        JSON-serialisable data (NumPy scalars are converted). ``format``, ``format_version``
        and ``library_version`` are set by the writer (values given for them are replaced);
        ``arrays`` and ``metadata_sha256`` are reserved for the checksums.

    Notes
    -----
    The archive is written to ``.<name>.tmp-<hex>`` in the target's folder, flushed and
    ``fsync``-ed, then moved onto ``path`` with :func:`os.replace`, and the folder is
    ``fsync``-ed where possible. On any failure (including ``KeyboardInterrupt``) the
    temporary file is removed and an existing file at ``path`` is left untouched.
    Identical arrays and metadata give byte-identical files.
    """
    target = os.path.abspath(_as_path(path))
    checked = _check_arrays(arrays)
    manifest = {
        key: {"dtype": array.dtype.str, "shape": list(array.shape), "sha256": _digest(array)}
        for key, array in checked.items()
    }
    text = _metadata_json(metadata, manifest)
    folder, name = os.path.split(target)
    if not name or os.path.isdir(target):
        raise IsADirectoryError(f"path must name a file, got the folder {target}")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {target}: the folder {folder} does not exist")
    temporary, fd = _create_temporary(folder, name)
    try:
        with os.fdopen(fd, "wb") as file:
            _write_npz(file, checked, text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _check_prefix(head: bytes, shown: str) -> None:
    if head.startswith(_ZIP_MAGICS):
        return
    if not head:
        problem = "the file is empty"
    elif head.startswith(_NPY_MAGIC):
        problem = "it is a single .npy array, not an .npz archive"
    elif head.startswith(b"\x80"):
        problem = "it looks like a pickle, which is never loaded"
    else:
        problem = f"it starts with {head[:4]!r} instead of a zip signature"
    raise ModelFileError(f"{shown}: not an ffnn model file (.npz archive): {problem}", shown)


def _read_member(npz, key: str, shown: str) -> np.ndarray:
    try:
        array = npz[key]
    except _READ_ERRORS as exc:
        if "allow_pickle" in str(exc):
            problem = (
                "holds Python objects (dtype object); model files never contain them and "
                "they are never unpickled (allow_pickle=False)"
            )
        elif "CRC" in str(exc):
            problem = f"is corrupted: its CRC-32 check failed ({exc})"
        else:
            problem = f"cannot be read, the file is damaged: {exc}"
        raise ModelFileError(f"{shown}: array {key!r} {problem}", shown) from exc
    if not isinstance(array, np.ndarray):
        raise ModelFileError(
            f"{shown}: entry {key!r} is not a .npy array: not an ffnn model file", shown
        )
    return array


def _parse_metadata(text: str, shown: str) -> tuple[dict, dict]:
    """Check the metadata's format, version and checksum; return it and the array manifest."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: {problem}", shown)

    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"invalid JSON in {METADATA_KEY}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise fail(f"{METADATA_KEY} must hold a JSON object, got {type(metadata).__name__}")
    if metadata.get("format") != FORMAT_NAME:
        raise fail(
            f"not an ffnn model file: its format is {metadata.get('format')!r}, "
            f"expected {FORMAT_NAME!r}"
        )
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"invalid format_version {version!r}: expected a positive integer")
    if version > FORMAT_VERSION:
        raise fail(
            f"written by a newer ffnn (format {version}); this version reads up to "
            f"{FORMAT_VERSION}: upgrade ffnn"
        )
    recorded = metadata.pop("metadata_sha256", None)
    if not isinstance(recorded, str):
        raise fail("the metadata has no checksum (metadata_sha256): the file was edited")
    if _metadata_digest(metadata) != recorded:
        raise fail(
            f"the metadata does not match its checksum (metadata_sha256): the {METADATA_KEY} "
            "JSON was edited by hand or corrupted"
        )
    manifest = metadata.pop("arrays", None)
    valid = isinstance(manifest, dict) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("dtype"), str)
        and isinstance(entry.get("shape"), list)
        for entry in manifest.values()
    )
    if not valid:
        raise fail("the metadata's array checksums ('arrays') are missing or malformed")
    return metadata, manifest


def _verify_arrays(arrays: dict[str, np.ndarray], manifest: dict, shown: str) -> None:
    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: {problem}", shown)

    missing = [key for key in manifest if key not in arrays]
    if missing:
        raise fail(
            f"missing array(s) {', '.join(map(repr, missing))} listed in the checksums: "
            "the file was edited or damaged"
        )
    unlisted = [key for key in arrays if key not in manifest]
    if unlisted:
        raise fail(
            f"array(s) {', '.join(map(repr, unlisted))} not listed in the checksums: the file "
            "was edited or not written by ffnn"
        )
    for key, entry in manifest.items():
        array = arrays[key]
        if array.dtype.str != entry["dtype"] or list(array.shape) != entry["shape"]:
            raise fail(
                f"array {key!r} has dtype {array.dtype.str} and shape {array.shape}, but its "
                f"checksum entry records {entry['dtype']} and {tuple(entry['shape'])}: the "
                "file was edited"
            )
        if _digest(array) != entry["sha256"]:
            raise fail(
                f"checksum mismatch for array {key!r} (sha256): its values changed after "
                "writing (a hand edit or corruption)"
            )


def read_model_file(path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and verify a model file written by :func:`write_model_file`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    arrays : dict of str to ndarray
        Every array, verified against its checksum.
    metadata : dict
        The metadata as written, with ``format``, ``format_version`` and ``library_version``
        (the checksum entries are verified and removed).

    Raises
    ------
    ModelFileError
        For anything wrong inside the file; the message names the file and the problem.
    OSError
        When the file cannot be opened (``FileNotFoundError`` ...), as raised by :func:`open`.
    """
    shown = _as_path(path)
    with open(shown, "rb") as file:
        _check_prefix(file.read(len(_NPY_MAGIC)), shown)
        file.seek(0)
        try:
            npz = np.load(file, allow_pickle=False)
        except _READ_ERRORS as exc:
            raise ModelFileError(
                f"{shown}: truncated or damaged .npz archive (its zip directory cannot be "
                f"read: {exc})",
                shown,
            ) from exc
        with npz:
            if METADATA_KEY not in npz.files:
                raise ModelFileError(
                    f"{shown}: no {METADATA_KEY} entry: not an ffnn model file (a plain "
                    "np.savez archive?)",
                    shown,
                )
            text = _read_member(npz, METADATA_KEY, shown)
            if text.dtype.kind != "U" or text.ndim != 0:
                raise ModelFileError(
                    f"{shown}: {METADATA_KEY} must be a JSON text, got an array of dtype "
                    f"{text.dtype} and shape {text.shape}",
                    shown,
                )
            metadata, manifest = _parse_metadata(str(text), shown)
            arrays = {
                key: _read_member(npz, key, shown) for key in npz.files if key != METADATA_KEY
            }
    _verify_arrays(arrays, manifest, shown)
    return arrays, metadata


# -- activations ------------------------------------------------------------------------------


def activation_to_config(activation: Activation) -> dict[str, Any]:
    """A JSON-serialisable description of an activation.

    Built-ins are stored by name with their parameters (``{"name": "leaky_relu",
    "alpha": 0.2}``). Anything else is stored by its ``name`` and marked ``"custom"``:
    ``"function"`` for a :class:`~ffnn.activations.FunctionActivation` (with its ``kinks``
    and ``outputs_probabilities``), ``"class"`` for another subclass of Activation (with the
    class's dotted name, for messages only: it is never imported). Loading a custom one needs
    ``custom_objects``; see :func:`activation_from_config`.

    Parameters
    ----------
    activation : Activation

    Returns
    -------
    dict
    """
    if not isinstance(activation, Activation):
        raise TypeError(
            f"activation must be an Activation, got {activation!r} ({type(activation).__name__})"
        )
    cls = type(activation)
    if ACTIVATIONS.is_builtin(activation):
        return {k: float(v) if isinstance(v, numbers.Real) else v
                for k, v in activation.config().items()}
    name = activation.name
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"activation {activation!r}: a custom activation needs a non-empty str name to be "
            f"saved, got {name!r}"
        )
    if cls is FunctionActivation:
        kinks = [float(k) for k in activation.kinks]
        return {
            "name": name,
            "custom": "function",
            "kinks": kinks,
            "outputs_probabilities": bool(activation.outputs_probabilities),
        }
    return {"name": name, "custom": "class", "class": f"{cls.__module__}.{cls.__qualname__}"}


def _check_custom_objects(custom_objects) -> dict:
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, Mapping):
        raise TypeError(
            "custom_objects must be a dict {name: Activation, Activation class or "
            f"(f, f_prime)}}, got {type(custom_objects).__name__}"
        )
    for key, value in custom_objects.items():
        if not isinstance(key, str):
            raise TypeError(f"custom_objects: keys must be activation names (str), got {key!r}")
        ok = (
            isinstance(value, Activation)
            or (isinstance(value, type) and issubclass(value, Activation))
            or is_function_pair(value, (tuple, list))
        )
        if not ok:
            raise TypeError(
                f"custom_objects[{key!r}] must be an Activation, an Activation class or a pair "
                f"(f, f_prime), got {value!r} ({type(value).__name__})"
            )
    return dict(custom_objects)


def _missing_custom_message(configs: list[Mapping]) -> str:
    names, hints = [], []
    for config in configs:
        name = config["name"]
        if name in names:
            continue
        names.append(name)
        if config.get("custom") == "class":
            short = str(config.get("class", "YourActivation")).rsplit(".", 1)[-1]
            hints.append(f"{name!r}: {short}()")
        else:
            hints.append(f"{name!r}: (f, f_prime)")
    return (
        f"custom activation(s) {', '.join(map(repr, names))} cannot be rebuilt from the file "
        "(functions are never pickled): pass custom_objects={" + ", ".join(hints) + "}"
    )


def _builtin_from_config(config: Mapping) -> Activation:
    name = config["name"]
    try:
        cls = ACTIVATIONS.lookup(name)
    except ValueError:
        raise ModelFileError(
            f"unknown activation {name!r}; the built-in names are "
            f"{', '.join(c.name for c in ACTIVATIONS)} (custom ones are marked 'custom')"
        ) from None
    params = cls.params()
    unexpected = sorted(set(config) - {"name", *params})
    if unexpected:
        raise ModelFileError(f"activation {name!r}: unexpected entries {unexpected}")
    for p in params:  # parameters are numbers (the file's JSON may say anything)
        value = config.get(p)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ModelFileError(f"activation {name!r} needs a number {p!r}, got {value!r}")
    try:
        return ACTIVATIONS.from_config(config)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"activation {name!r}: {exc}") from exc


def _custom_from_config(config: Mapping, value) -> Activation:
    if isinstance(value, Activation):
        return value
    if isinstance(value, type):
        return value()
    kinks = config.get("kinks", [])
    probabilities = config.get("outputs_probabilities", False)
    if not (
        isinstance(kinks, list)
        and all(isinstance(k, numbers.Real) and not isinstance(k, bool) for k in kinks)
    ):
        raise ModelFileError(f"activation {config['name']!r}: kinks must be numbers, got {kinks!r}")
    if not isinstance(probabilities, bool):
        raise ModelFileError(
            f"activation {config['name']!r}: outputs_probabilities must be true or false, "
            f"got {probabilities!r}"
        )
    f, f_prime = value
    return FunctionActivation(
        f, f_prime, name=config["name"], kinks=tuple(kinks), outputs_probabilities=probabilities
    )


def _check_config(config) -> Mapping:
    if not isinstance(config, Mapping):
        raise ModelFileError(f"an activation config must be a JSON object, got {config!r}")
    if not isinstance(config.get("name"), str):
        raise ModelFileError(f"an activation config needs a str 'name', got {config!r}")
    kind = config.get("custom")
    if kind not in (None, "function", "class"):
        raise ModelFileError(
            f"activation {config['name']!r}: unknown custom kind {kind!r}, expected "
            "'function' or 'class'"
        )
    return config


def activation_from_config(config: Mapping[str, Any], custom_objects=None) -> Activation:
    """The activation that :func:`activation_to_config` described.

    Parameters
    ----------
    config : mapping
        ``{"name": ..., ...}`` as written by :func:`activation_to_config`.
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations. A pair
        is wrapped in a FunctionActivation with the stored ``kinks`` and
        ``outputs_probabilities``; a class is instantiated without arguments; an instance is
        used as it is. Built-ins never consult it.

    Returns
    -------
    Activation

    Raises
    ------
    ModelFileError
        For an unknown or malformed config, or a custom activation missing from
        ``custom_objects`` (the message shows what to pass).
    TypeError
        For ``custom_objects`` of the wrong kind.
    """
    custom_objects = _check_custom_objects(custom_objects)
    config = _check_config(config)
    if config.get("custom") is None:
        return _builtin_from_config(config)
    if config["name"] not in custom_objects:
        raise ModelFileError(_missing_custom_message([config]))
    return _custom_from_config(config, custom_objects[config["name"]])


# -- networks ---------------------------------------------------------------------------------


def network_to_parts(network: Network) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split a network into arrays and JSON metadata for :func:`write_model_file`.

    Returns
    -------
    arrays : dict
        ``{"params": copy of network.params}``.
    metadata : dict
        ``{"network": {"network_input_size", "layer_output_sizes", "activation_funcs"
        (configs, see :func:`activation_to_config`), "dtype", "n_params"}}``.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    configs = [activation_to_config(f) for f in network.activation_funcs]
    seen: dict[str, Activation] = {}
    for f, config in zip(network.activation_funcs, configs):
        if "custom" not in config:
            continue
        other = seen.setdefault(config["name"], f)
        if other is not f and other != f:
            raise ValueError(
                f"activation_funcs: two different custom activations are both named "
                f"{config['name']!r}, so loading could not tell them apart; give them "
                "distinct names (FunctionActivation(f, f_prime, name=...))"
            )
    metadata = {
        "network": {
            "network_input_size": int(network.network_input_size),
            "layer_output_sizes": [int(n) for n in network.layer_output_sizes],
            "activation_funcs": configs,
            "dtype": network.dtype.name,
            "n_params": int(network.n_params),
        }
    }
    return {"params": np.array(network.params)}, metadata


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ModelFileError(f"network: {name} must be a positive integer, got {value!r}")
    return int(value)


def network_from_parts(
    arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any], custom_objects=None
) -> Network:
    """Rebuild the network that :func:`network_to_parts` split, checking that the parts agree.

    The parameters are copied in as they are (nothing is drawn at random).

    Parameters
    ----------
    arrays : mapping
        Must hold ``"params"``: a 1-D array of the architecture's dtype and size.
    metadata : mapping
        Must hold ``"network"`` as written by :func:`network_to_parts`.
    custom_objects : dict, optional
        See :func:`activation_from_config`.

    Returns
    -------
    Network

    Raises
    ------
    ModelFileError
        When the parts are malformed or disagree (sizes, dtype, activation count, non-finite
        parameters) or a custom activation is missing from ``custom_objects``.
    """
    custom_objects = _check_custom_objects(custom_objects)
    spec = metadata.get("network") if isinstance(metadata, Mapping) else None
    if not isinstance(spec, Mapping):
        raise ModelFileError("the metadata holds no 'network' description: not a saved network")
    n_in = _positive_int(spec.get("network_input_size"), "network_input_size")
    sizes = spec.get("layer_output_sizes")
    if not isinstance(sizes, list) or not sizes:
        raise ModelFileError(f"network: layer_output_sizes must be a non-empty list, got {sizes!r}")
    sizes = [_positive_int(n, f"layer_output_sizes[{i}]") for i, n in enumerate(sizes)]
    configs = spec.get("activation_funcs")
    if not isinstance(configs, list) or len(configs) != len(sizes):
        raise ModelFileError(
            f"network: activation_funcs must list one activation per layer ({len(sizes)}), "
            f"got {configs!r}"
        )
    configs = [_check_config(config) for config in configs]
    missing = [c for c in configs if c.get("custom") and c["name"] not in custom_objects]
    if missing:
        raise ModelFileError(_missing_custom_message(missing))
    funcs = []
    for i, config in enumerate(configs):
        try:
            funcs.append(activation_from_config(config, custom_objects))
        except ModelFileError as exc:
            raise ModelFileError(f"network: activation_funcs[{i}]: {exc}") from exc
    dtype = spec.get("dtype")
    if dtype not in ("float64", "float32"):
        raise ModelFileError(f"network: dtype must be 'float64' or 'float32', got {dtype!r}")
    layer_sizes = [n_in, *sizes]
    n_params = sum(a * b + b for a, b in itertools.pairwise(layer_sizes))
    architecture = " -> ".join(map(str, layer_sizes))
    if "n_params" in spec and spec["n_params"] != n_params:
        raise ModelFileError(
            f"network: n_params is {spec['n_params']!r} but the architecture {architecture} "
            f"has {n_params} parameters"
        )
    params = arrays.get("params") if isinstance(arrays, Mapping) else None
    if not isinstance(params, np.ndarray):
        raise ModelFileError("no 'params' array: not a saved network")
    if params.dtype != np.dtype(dtype):
        raise ModelFileError(
            f"network: params are {params.dtype} but the network's dtype is {dtype}"
        )
    if params.shape != (n_params,):
        raise ModelFileError(
            f"network: params have shape {params.shape} but the architecture {architecture} "
            f"needs ({n_params},)"
        )
    finite = np.isfinite(params)
    if not finite.all():
        bad = int(params.size - np.count_nonzero(finite))
        raise ModelFileError(f"network: params hold {bad} NaN or inf value(s) of {params.size}")
    network = object.__new__(Network)
    network.__setstate__(
        {
            "network_input_size": n_in,
            "layer_output_sizes": tuple(sizes),
            "activation_funcs": tuple(funcs),
            "dtype": dtype,
            "params": params,  # copied into the network's own buffer
        }
    )
    return network


# -- one call ---------------------------------------------------------------------------------


def save(
    network: Network, path, *, opt_state=None, metadata: Mapping[str, Any] | None = None
) -> None:
    """Save a network, optionally with an optimizer state and extra metadata, to one file.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike
        Written atomically (see :func:`write_model_file`), used as given.
    opt_state : optimizer state, optional
        What ``opt.init``/``opt.update`` returned (a dict, or a chain's tuple of dicts); stored
        with :func:`~ffnn.optimizers.state_to_arrays` under ``opt/``, so that a run resumes
        exactly. The optimizer's hyperparameters are not stored: build the same optimizer.
    metadata : dict, optional
        Extra JSON-serialisable data (stored under ``"extra"``), returned by
        :func:`load_with_state`.
    """
    arrays, meta = network_to_parts(network)
    if opt_state is not None:
        if not isinstance(opt_state, (dict, tuple)):
            raise TypeError(
                "opt_state must be an optimizer state (a dict, or a chain's tuple of dicts) "
                f"from opt.init or opt.update, got {type(opt_state).__name__}"
            )
        arrays.update({_OPT_PREFIX + k: v for k, v in state_to_arrays(opt_state).items()})
    meta["optimizer_state"] = opt_state is not None
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        meta["extra"] = dict(metadata)
    write_model_file(path, arrays, meta)


def load_with_state(path, *, custom_objects=None) -> tuple[Network, Any, dict[str, Any]]:
    """Load a network, its optimizer state and its extra metadata.

    Parameters
    ----------
    path : str or os.PathLike
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations.

    Returns
    -------
    network : Network
    opt_state : optimizer state or None
        None when the file was saved without one.
    extra : dict
        The ``metadata`` given to :func:`save` (``{}`` when none), as JSON gives it back
        (tuples become lists).

    Raises
    ------
    ModelFileError
        See :func:`read_model_file`; also for an inconsistent network or a custom activation
        missing from ``custom_objects``.
    """
    custom_objects = _check_custom_objects(custom_objects)
    arrays, metadata = read_model_file(path)
    shown = _as_path(path)
    try:
        network = network_from_parts(arrays, metadata, custom_objects)
        opt_state = _opt_state_from(arrays, metadata)
        extra = metadata.get("extra", {})
        if not isinstance(extra, dict):
            raise ModelFileError(f"'extra' must be a JSON object, got {type(extra).__name__}")
    except ModelFileError as exc:
        raise ModelFileError(f"{shown}: {exc}", shown) from exc
    return network, opt_state, extra


def _opt_state_from(arrays: Mapping[str, np.ndarray], metadata: Mapping):
    flag = metadata.get("optimizer_state", False)
    if not isinstance(flag, bool):
        raise ModelFileError(f"optimizer_state must be true or false, got {flag!r}")
    if not flag:
        return None
    parts = {k[len(_OPT_PREFIX) :]: v for k, v in arrays.items() if k.startswith(_OPT_PREFIX)}
    try:
        return state_from_arrays(parts)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelFileError(f"the optimizer state cannot be rebuilt: {exc}") from exc


def load(path, *, custom_objects=None) -> Network:
    """Load the network saved by :func:`save` (an optimizer state in the file is ignored).

    Parameters
    ----------
    path : str or os.PathLike
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations.

    Returns
    -------
    Network
    """
    return load_with_state(path, custom_objects=custom_objects)[0]
