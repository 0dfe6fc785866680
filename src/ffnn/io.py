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

**The checksums detect damage, not tampering.** They are plain SHA-256 sums with no secret
key: anyone who edits a file can recompute them, so a file that passes them is undamaged,
not trustworthy. What keeps a hostile file harmless is the reading itself: nothing is ever
unpickled or imported, no code from the file runs, every field of the metadata is checked
for its type, shape and size before anything is allocated or built (a crafted file is
refused with a :class:`ModelFileError` naming the field), and no array is allocated larger
than the file holds (entries must be stored uncompressed, each ``.npy`` header must match
its entry's size, and the entries together must fit in the file). A file from a stranger can
give you weights you did not want; it cannot run code or exhaust memory.

Writing is atomic: the archive goes to a temporary file next to the target
(``.<name>.tmp-<random hex>``), is flushed and ``fsync``-ed, and replaces the target with
:func:`os.replace`; the folder is then ``fsync``-ed where the platform allows. If anything
fails the temporary file is removed and a file already at the target is untouched. Only a
process killed outright (``SIGKILL``, power loss) can leave a temporary file behind; the
target is intact then too, and the leftover, named as above, may be deleted. A file already
at the target keeps its permission bits (a new file gets the umask's, as :func:`open` gives),
and a symbolic link is written through: the file it points to is replaced (the temporary
file goes next to that file) and the link stays a link.

Reading raises :class:`ModelFileError` (a ``ValueError``) naming the file and the problem for
anything wrong *inside* a file: not an npz archive, truncated, a failed CRC-32, no or invalid
metadata, another format, a newer format version, a checksum mismatch, missing or unexpected
arrays, a malformed or inconsistent field, an inconsistent architecture. A file that cannot
be opened at all raises the ``OSError`` that :func:`open` raises (``FileNotFoundError``,
``PermissionError``, ``IsADirectoryError``), unchanged, so that ``except FileNotFoundError``
works as usual.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import math
import numbers
import os
import re
import secrets
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._validation import is_function_pair, is_integer, is_real
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
_INTEGRITY_KEYS = ("arrays", "metadata_sha256")  # written and checked here, never returned
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry; an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so one model always gives the same bytes
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: What :func:`load_with_state` reads from a file's metadata (anything else is refused).
_MODEL_KEYS = ("format", "format_version", "library_version", "network", "optimizer_state",
               "extra")
_NETWORK_KEYS = ("network_input_size", "layer_output_sizes", "activation_funcs", "dtype",
                 "n_params")
_MAX_CHAIN = 1024  # pieces of a chained optimizer's state (a file's count is bounded by it)
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


def _create_temporary(folder: str, name: str, mode: int | None) -> tuple[str, int]:
    """A new file ``.<name>.tmp-<hex>`` in ``folder``.

    It gets ``mode`` exactly when given (the permissions of the file it will replace, set
    before a byte is written, so the data are never more readable than the old file's), the
    umask's permissions otherwise, as any new file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = os.path.join(folder, f".{name}.tmp-{secrets.token_hex(6)}")
        try:
            fd = os.open(temporary, flags, 0o666 if mode is None else mode & 0o777)
        except FileExistsError:
            continue
        if mode is not None:
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, mode)  # the umask may have narrowed the mode given to open
                else:  # pragma: no cover - Windows before Python 3.13
                    os.chmod(temporary, mode)
            except BaseException:
                os.close(fd)
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        return temporary, fd
    raise FileExistsError(f"cannot create a temporary file for {name} in {folder}")


def _resolve_target(target: str) -> str:
    """The file that writing ``target`` replaces: a symbolic link's final target (through
    every link; it need not exist yet), otherwise ``target`` itself."""
    if not os.path.islink(target):
        return target
    resolved = os.path.realpath(target)
    if os.path.islink(resolved):  # realpath stops where the links go round in a loop
        raise OSError(
            errno.ELOOP, f"cannot write {target}: its symbolic links form a loop", target
        )
    return resolved


def _existing_mode(target: str) -> int | None:
    """The permission bits of a regular file at ``target``; None when there is none."""
    try:
        status = os.stat(target)
    except OSError:  # no file yet (or one that cannot be examined: the write will tell)
        return None
    return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else None


def write_model_file(
    path, arrays: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
) -> None:
    """Write arrays and JSON metadata to an ``.npz`` model file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write, used as given (no ``.npz`` is appended). Its folder must exist.
        A symbolic link is written through: the file it points to is replaced.
    arrays : mapping of str to array
        Arrays of numbers, booleans or text; keys may contain ``/`` (``"opt/m"``). Arrays of
        Python objects are refused (a ``TypeError`` naming the key): nothing is pickled.
    metadata : mapping, optional
        JSON-serialisable data (NumPy scalars are converted). ``format``, ``format_version``
        and ``library_version`` are set by the writer (values given for them are replaced);
        ``arrays`` and ``metadata_sha256`` are reserved for the checksums.

    Raises
    ------
    TypeError, ValueError
        For arrays or metadata that cannot be written (nothing is written then).
    OSError
        When the file cannot be written (``FileNotFoundError`` for a missing folder,
        ``IsADirectoryError`` for a folder, ``ELOOP`` for symbolic links in a loop, ...); a
        file already at ``path`` is untouched.

    Notes
    -----
    The archive is written to ``.<name>.tmp-<hex>`` in the target's folder (for a symbolic
    link, the folder of the file it points to), flushed and ``fsync``-ed, then moved onto
    the target with :func:`os.replace`, and the folder is ``fsync``-ed where possible. On
    any failure (including ``KeyboardInterrupt``) the temporary file is removed and an
    existing file at ``path`` is left untouched. A file replaced keeps its permission bits
    (the temporary file gets them before any data are written); a new file gets the
    umask's. Owner, group, extended attributes and hard links are not carried over: the
    target is a new file (an inode of its own) with the old one's mode. Identical arrays and
    metadata give byte-identical files.
    """
    given = os.path.abspath(_as_path(path))
    checked = _check_arrays(arrays)
    manifest = {
        key: {"dtype": array.dtype.str, "shape": list(array.shape), "sha256": _digest(array)}
        for key, array in checked.items()
    }
    text = _metadata_json(metadata, manifest)
    if not os.path.basename(given) or os.path.isdir(given):
        raise IsADirectoryError(f"path must name a file, got the folder {given}")
    target = _resolve_target(given)
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {target}: the folder {folder} does not exist")
    temporary, fd = _create_temporary(folder, name, _existing_mode(target))
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


def _brief(value, limit: int = 80) -> str:
    """``repr(value)``, cut short: what a file holds must not flood an error message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _entries(zf: zipfile.ZipFile, size: int, shown: str) -> dict[str, zipfile.ZipInfo]:
    """The archive's entries by key, checked before any is read.

    Every entry is a ``.npy`` array stored uncompressed (as the writer stores them), named
    once, and the sizes the archive declares fit in the file: so no entry can expand
    beyond the bytes the file really holds (no zip bomb, no overlapping entries).
    """

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: {problem}", shown)

    entries: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in zf.infolist():
        name = info.filename
        if not name.endswith(".npy"):
            raise fail(f"entry {_brief(name)} is not a .npy array: not an ffnn model file")
        key = name[: -len(".npy")]
        if key in entries:
            raise fail(
                f"entry {_brief(name)} appears twice in the archive: the file was edited or "
                "damaged"
            )
        if info.compress_type != zipfile.ZIP_STORED:
            raise fail(
                f"array {_brief(key)} is compressed (zip method {info.compress_type}); ffnn "
                "model files store their arrays uncompressed, so that no array can be "
                "larger than the file"
            )
        if info.file_size != info.compress_size:
            raise fail(
                f"array {_brief(key)}: the archive says it holds {info.file_size} bytes "
                f"stored in {info.compress_size}: the file is damaged"
            )
        total += info.file_size
        entries[key] = info
    if total > size:
        raise fail(
            f"the archive's entries declare {total} bytes in all but the file has only "
            f"{size}: damaged, or crafted with overlapping entries"
        )
    return entries


_OBJECTS = (
    "holds Python objects (dtype object); model files never contain them and they are "
    "never unpickled (allow_pickle=False)"
)


def _member_header(zf, info, key: str, shown: str) -> tuple[np.dtype, tuple[int, ...]]:
    """An entry's ``.npy`` header (dtype and shape), read alone; its data must fill the
    entry exactly, so reading it allocates no more than the file holds."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: array {_brief(key)} {problem}", shown)

    try:
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version in ((2, 0), (3, 0)):  # 3.0 differs in the header's text encoding
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"unknown .npy format version {version}")
            offset = member.tell()
    except _READ_ERRORS as exc:
        raise fail(f"has no valid .npy header, the file is damaged: {exc}") from exc
    if dtype.hasobject:
        raise fail(_OBJECTS)
    if any(n < 0 for n in shape):
        raise fail(f"has a negative dimension in its shape {shape}: the file is damaged")
    count = math.prod(shape)
    if dtype.itemsize == 0 and count:
        raise fail(f"has dtype {dtype} of size 0: not an array of numbers or text")
    held = info.file_size - offset
    if count * dtype.itemsize != held:
        raise fail(
            f"declares shape {_brief(shape)} of dtype {dtype.str} "
            f"({count * dtype.itemsize} bytes) in its .npy header but holds {held} bytes: the "
            "file is damaged or crafted"
        )
    return dtype, tuple(shape)


def _read_member(zf, info, key: str, shown: str) -> np.ndarray:
    """An entry's array (its header already checked by :func:`_member_header`)."""
    try:
        with zf.open(info) as member:
            array = np.lib.format.read_array(member, allow_pickle=False)
    except _READ_ERRORS as exc:
        if "allow_pickle" in str(exc):
            problem = _OBJECTS
        elif "CRC" in str(exc):
            problem = f"is corrupted: its CRC-32 check failed ({exc})"
        else:
            problem = f"cannot be read, the file is damaged: {exc}"
        raise ModelFileError(f"{shown}: array {_brief(key)} {problem}", shown) from exc
    return array


class _RefusedJSONError(Exception):
    """A JSON value the metadata may not hold (raised while parsing)."""


def _no_constant(name: str):
    raise _RefusedJSONError(f"{name} is not a number in standard JSON (ffnn never writes it)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _RefusedJSONError(
            f"the number {_brief(text)} overflows a float (ffnn never writes it)"
        )
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _RefusedJSONError(f"the key {_brief(key)} appears twice in one object")
        obj[key] = value
    return obj


def _load_json(text: str, shown: str) -> Any:
    """JSON as the writer writes it: finite numbers only, each object's keys once."""
    try:
        return json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        problem = str(exc)
    except _RefusedJSONError as exc:
        problem = str(exc)
    except (ValueError, RecursionError) as exc:  # an int of > 4300 digits; deep nesting
        problem = f"{type(exc).__name__}: {_brief(str(exc), 200)}"
    raise ModelFileError(f"{shown}: invalid JSON in {METADATA_KEY}: {problem}", shown)


def _check_manifest(manifest, fail) -> dict:
    """The array checksums: ``{key: {"dtype": str, "shape": [int >= 0], "sha256": hex}}``."""
    malformed = "the metadata's array checksums ('arrays') are missing or malformed"
    if not isinstance(manifest, dict):
        raise fail(f"{malformed}: expected a JSON object, got {_brief(manifest)}")
    for key, entry in manifest.items():
        where = f"arrays[{_brief(key)}]"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "sha256"}:
            raise fail(
                f"{malformed}: {where} must be an object with exactly dtype, shape and "
                f"sha256, got {_brief(entry)}"
            )
        if not isinstance(entry["dtype"], str):
            raise fail(f"{malformed}: {where}.dtype must be a str, got {_brief(entry['dtype'])}")
        shape = entry["shape"]
        if not isinstance(shape, list) or not all(is_integer(n) and n >= 0 for n in shape):
            raise fail(
                f"{malformed}: {where}.shape must be a list of non-negative integers, got "
                f"{_brief(shape)}"
            )
        if not (isinstance(entry["sha256"], str) and _SHA256.fullmatch(entry["sha256"])):
            raise fail(
                f"{malformed}: {where}.sha256 must be 64 lowercase hex digits, got "
                f"{_brief(entry['sha256'])}"
            )
    return manifest


def _parse_metadata(text: str, shown: str) -> tuple[dict, dict]:
    """Check the metadata's format, version and checksum; return it and the array manifest."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: {problem}", shown)

    metadata = _load_json(text, shown)
    if not isinstance(metadata, dict):
        raise fail(f"{METADATA_KEY} must hold a JSON object, got {type(metadata).__name__}")
    if metadata.get("format") != FORMAT_NAME:
        raise fail(
            f"not an ffnn model file: its format is {_brief(metadata.get('format'))}, "
            f"expected {FORMAT_NAME!r}"
        )
    version = metadata.get("format_version")
    if not is_integer(version) or version < 1:
        raise fail(f"invalid format_version {_brief(version)}: expected a positive integer")
    if version > FORMAT_VERSION:
        raise fail(
            f"written by a newer ffnn (format {_brief(version)}); this version reads up to "
            f"{FORMAT_VERSION}: upgrade ffnn"
        )
    recorded = metadata.pop("metadata_sha256", None)
    if not isinstance(recorded, str):
        raise fail("the metadata has no checksum (metadata_sha256): the file was edited")
    try:
        digest = _metadata_digest(metadata)
    except RecursionError:  # nested too deep to write back: never written by ffnn
        raise fail(f"the {METADATA_KEY} JSON is nested too deeply: the file was crafted") from None
    if digest != recorded:
        raise fail(
            f"the metadata does not match its checksum (metadata_sha256): the {METADATA_KEY} "
            "JSON was edited by hand or corrupted"
        )
    manifest = _check_manifest(metadata.pop("arrays", None), fail)
    if not isinstance(metadata.get("library_version"), str):
        raise fail(
            f"library_version must be a str, got {_brief(metadata.get('library_version'))}"
        )
    return metadata, manifest


def _verify_headers(headers: dict[str, tuple[np.dtype, tuple]], manifest: dict,
                    shown: str) -> None:
    """The entries are those the checksums list, with the dtypes and shapes they record."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: {problem}", shown)

    missing = [key for key in manifest if key not in headers]
    if missing:
        raise fail(
            f"missing array(s) {_brief(', '.join(map(repr, missing)))} listed in the "
            "checksums: the file was edited or damaged"
        )
    unlisted = [key for key in headers if key not in manifest]
    if unlisted:
        raise fail(
            f"array(s) {_brief(', '.join(map(repr, unlisted)))} not listed in the checksums: "
            "the file was edited or not written by ffnn"
        )
    for key, entry in manifest.items():
        dtype, shape = headers[key]
        if dtype.str != entry["dtype"] or list(shape) != entry["shape"]:
            raise fail(
                f"array {key!r} has dtype {dtype.str} and shape {shape}, but its checksum "
                f"entry records {_brief(entry['dtype'])} and {_brief(tuple(entry['shape']))}: "
                "the file was edited"
            )


def _verify_digests(arrays: dict[str, np.ndarray], manifest: dict, shown: str) -> None:
    for key, entry in manifest.items():
        if _digest(arrays[key]) != entry["sha256"]:
            raise ModelFileError(
                f"{shown}: checksum mismatch for array {key!r} (sha256): its values changed "
                "after writing (a hand edit or corruption)",
                shown,
            )


def read_model_file(path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and verify a model file written by :func:`write_model_file`.

    The archive's entries, the metadata (format, version, checksum, the array manifest) and
    every ``.npy`` header are checked before any array is read, and an array is never
    allocated larger than the bytes the file holds for it. The checksums detect damage and
    hand edits, not tampering (see the module's notes): the caller checks what the metadata
    means (:func:`load_with_state` does for networks).

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
        size = os.fstat(file.fileno()).st_size
        file.seek(0)
        try:
            zf = zipfile.ZipFile(file)
        except _READ_ERRORS as exc:
            raise ModelFileError(
                f"{shown}: truncated or damaged .npz archive (its zip directory cannot be "
                f"read: {exc})",
                shown,
            ) from exc
        with zf:
            entries = _entries(zf, size, shown)
            if METADATA_KEY not in entries:
                raise ModelFileError(
                    f"{shown}: no {METADATA_KEY} entry: not an ffnn model file (a plain "
                    "np.savez archive?)",
                    shown,
                )
            info = entries.pop(METADATA_KEY)
            dtype, shape = _member_header(zf, info, METADATA_KEY, shown)
            if dtype.kind != "U" or shape != ():
                raise ModelFileError(
                    f"{shown}: {METADATA_KEY} must be a JSON text, got an array of dtype "
                    f"{dtype} and shape {shape}",
                    shown,
                )
            text = _read_member(zf, info, METADATA_KEY, shown)
            metadata, manifest = _parse_metadata(str(text), shown)
            headers = {key: _member_header(zf, info, key, shown) for key, info in entries.items()}
            _verify_headers(headers, manifest, shown)
            arrays = {key: _read_member(zf, info, key, shown) for key, info in entries.items()}
    _verify_digests(arrays, manifest, shown)
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
    hints: dict[str, str] = {}  # by name, in order (a dict: a file may list many layers)
    for config in configs:
        name = config["name"]
        if name in hints:
            continue
        if config.get("custom") == "class":
            short = str(config.get("class", "YourActivation")).rsplit(".", 1)[-1][:60]
            hints[name] = f"{_brief(name)}: {short}()"
        else:
            hints[name] = f"{_brief(name)}: (f, f_prime)"
    return (
        f"custom activation(s) {', '.join(_brief(n) for n in hints)} cannot be rebuilt from "
        "the file (functions are never pickled): pass custom_objects={"
        + ", ".join(hints.values()) + "}"
    )


def _finite_number(value) -> bool:
    """A real number (not a bool) that a float holds finitely."""
    if not is_real(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _check_builtin_config(config: Mapping, name: str) -> None:
    try:
        cls = ACTIVATIONS.lookup(name)
    except ValueError:
        raise ModelFileError(
            f"unknown activation {_brief(name)}; the built-in names are "
            f"{', '.join(c.name for c in ACTIVATIONS)} (custom ones are marked 'custom')"
        ) from None
    params = cls.params()
    unexpected = sorted(set(config) - {"name", *params})
    if unexpected:
        raise ModelFileError(f"activation {name!r}: unexpected entries {_brief(unexpected)}")
    for p in params:  # parameters are numbers (the file's JSON may say anything)
        value = config.get(p)
        if not _finite_number(value):
            raise ModelFileError(
                f"activation {name!r} needs a number {p!r} (a finite real), got {_brief(value)}"
            )


def _check_custom_config(config: Mapping, name: str, kind: str) -> None:
    allowed = {"function": ("kinks", "outputs_probabilities"), "class": ("class",)}[kind]
    unexpected = sorted(set(config) - {"name", "custom", *allowed})
    if unexpected:
        raise ModelFileError(
            f"activation {_brief(name)} (custom {kind}): unexpected entries {_brief(unexpected)}"
        )
    if kind == "class":
        if not isinstance(config.get("class", ""), str):
            raise ModelFileError(
                f"activation {_brief(name)}: class must be a str (a dotted name, for "
                f"messages only), got {_brief(config['class'])}"
            )
        return
    kinks = config.get("kinks", [])
    if not (isinstance(kinks, list) and all(_finite_number(k) for k in kinks)):
        raise ModelFileError(
            f"activation {_brief(name)}: kinks must be a list of finite numbers, got "
            f"{_brief(kinks)}"
        )
    probabilities = config.get("outputs_probabilities", False)
    if not isinstance(probabilities, bool):
        raise ModelFileError(
            f"activation {_brief(name)}: outputs_probabilities must be true or false, "
            f"got {_brief(probabilities)}"
        )


def _check_config(config) -> Mapping:
    """Check every field of an activation config (nothing is built)."""
    if not isinstance(config, Mapping):
        raise ModelFileError(f"an activation config must be a JSON object, got {_brief(config)}")
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise ModelFileError(
            f"an activation config needs a str 'name' (non-empty), got {_brief(config)}"
        )
    kind = config.get("custom")
    if kind is None:
        _check_builtin_config(config, name)
    elif kind in ("function", "class"):
        _check_custom_config(config, name, kind)
    else:
        raise ModelFileError(
            f"activation {_brief(name)}: unknown custom kind {_brief(kind)}, expected "
            "'function' or 'class'"
        )
    return config


def _builtin_from_config(config: Mapping) -> Activation:
    try:
        return ACTIVATIONS.from_config(config)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"activation {config['name']!r}: {exc}") from exc


def _custom_from_config(config: Mapping, value) -> Activation:
    if isinstance(value, Activation):
        return value
    if isinstance(value, type):
        return value()
    f, f_prime = value
    return FunctionActivation(
        f,
        f_prime,
        name=config["name"],
        kinks=tuple(config.get("kinks", [])),
        outputs_probabilities=config.get("outputs_probabilities", False),
    )


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
        For an unknown or malformed config (every field is checked: the name, the custom
        kind, a built-in's parameters as finite numbers, a custom function's ``kinks`` and
        ``outputs_probabilities``, no unexpected entries), or a custom activation missing
        from ``custom_objects`` (the message shows what to pass).
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
    if not is_integer(value) or value < 1:
        raise ModelFileError(f"{name} must be a positive integer, got {_brief(value)}")
    return int(value)


def _architecture(layer_sizes: list[int]) -> str:
    if len(layer_sizes) > 12:  # a crafted file may list many layers
        head = " -> ".join(map(str, layer_sizes[:4]))
        return f"{head} -> ... -> {layer_sizes[-1]} ({len(layer_sizes) - 1} layers)"
    return " -> ".join(map(str, layer_sizes))


def _checked_network(arrays, metadata, custom_objects: dict) -> dict[str, Any]:
    """Check every field of the ``network`` description and the ``params`` array against
    each other, building nothing; return what :func:`_build_network` needs.

    The parameter count is computed from the sizes with Python integers and compared with
    the stored array's real size, so no size from the metadata is ever allocated.
    """
    spec = metadata.get("network") if isinstance(metadata, Mapping) else None
    if spec is None:
        raise ModelFileError("the metadata holds no 'network' description: not a saved network")
    if not isinstance(spec, Mapping):
        raise ModelFileError(f"network must be a JSON object, got {_brief(spec)}")
    unexpected = sorted(set(spec) - set(_NETWORK_KEYS))
    if unexpected:
        raise ModelFileError(
            f"network: unexpected entries {_brief(unexpected)}; a network is described by "
            f"{', '.join(_NETWORK_KEYS)}"
        )
    n_in = _positive_int(spec.get("network_input_size"), "network.network_input_size")
    sizes = spec.get("layer_output_sizes")
    if not isinstance(sizes, list) or not sizes:
        raise ModelFileError(
            "network.layer_output_sizes must be a non-empty list of positive integers, got "
            f"{_brief(sizes)}"
        )
    sizes = [_positive_int(n, f"network.layer_output_sizes[{i}]") for i, n in enumerate(sizes)]
    configs = spec.get("activation_funcs")
    if not isinstance(configs, list) or len(configs) != len(sizes):
        raise ModelFileError(
            f"network.activation_funcs must list one activation per layer ({len(sizes)}), "
            f"got {_brief(configs)}"
        )
    for i, config in enumerate(configs):
        try:
            _check_config(config)
        except ModelFileError as exc:
            raise ModelFileError(f"network.activation_funcs[{i}]: {exc}") from exc
    missing = [c for c in configs if c.get("custom") and c["name"] not in custom_objects]
    if missing:
        raise ModelFileError(_missing_custom_message(missing))
    dtype = spec.get("dtype")
    if not isinstance(dtype, str) or dtype not in ("float64", "float32"):
        raise ModelFileError(
            f"network.dtype must be 'float64' or 'float32', got {_brief(dtype)}"
        )
    layer_sizes = [n_in, *sizes]
    n_params = sum(a * b + b for a, b in itertools.pairwise(layer_sizes))
    architecture = _architecture(layer_sizes)
    if "n_params" in spec:
        declared = spec["n_params"]
        if not is_integer(declared) or declared < 0:
            raise ModelFileError(
                f"network.n_params must be a non-negative integer, got {_brief(declared)}"
            )
        if declared != n_params:
            raise ModelFileError(
                f"network: n_params is {_brief(declared)} but the architecture {architecture} "
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
    return {"n_in": n_in, "sizes": sizes, "configs": configs, "dtype": dtype,
            "params": params, "n_params": n_params}


def _build_network(checked: dict[str, Any], custom_objects: dict) -> Network:
    funcs = []
    for i, config in enumerate(checked["configs"]):
        try:
            funcs.append(activation_from_config(config, custom_objects))
        except ModelFileError as exc:
            raise ModelFileError(f"network.activation_funcs[{i}]: {exc}") from exc
    network = object.__new__(Network)
    network.__setstate__(
        {
            "network_input_size": checked["n_in"],
            "layer_output_sizes": tuple(checked["sizes"]),
            "activation_funcs": tuple(funcs),
            "dtype": checked["dtype"],
            "params": checked["params"],  # copied into the network's own buffer
        }
    )
    return network


def network_from_parts(
    arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any], custom_objects=None
) -> Network:
    """Rebuild the network that :func:`network_to_parts` split, checking that the parts agree.

    Every field is checked before anything is built or allocated; the parameters are then
    copied in as they are (nothing is drawn at random).

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
        When the parts are malformed or disagree, naming the field: ``network`` not an
        object or with unexpected entries; ``network_input_size`` and each of
        ``layer_output_sizes`` not positive integers; ``activation_funcs`` not one valid
        config per layer (see :func:`activation_from_config`); ``dtype`` not ``"float64"``
        or ``"float32"``; ``n_params`` not the architecture's count; ``params`` missing, of
        another dtype or size, or not finite; a custom activation missing from
        ``custom_objects``.
    """
    custom_objects = _check_custom_objects(custom_objects)
    return _build_network(_checked_network(arrays, metadata, custom_objects), custom_objects)


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


def _described(array: np.ndarray) -> str:
    held = f" holding {_brief(array.item())}" if array.size == 1 else ""
    return f"an array of dtype {array.dtype} and shape {array.shape}{held}"


def _check_state_arrays(parts: dict[str, np.ndarray], n_params: int, where: str) -> None:
    """An optimizer state's arrays, as :func:`~ffnn.optimizers.state_to_arrays` lays them
    out: ``step`` a non-negative integer, other entries numbers shaped like the parameters
    (or single numbers), a chain's pieces under ``<i>/`` with ``chain`` their count."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"optimizer state: {problem}")

    if "chain" in parts:
        count = parts["chain"]
        if count.dtype.kind not in "iu" or count.shape != () or not 0 <= count <= _MAX_CHAIN:
            raise fail(
                f"{_brief(where + 'chain')} must be a single integer from 0 to {_MAX_CHAIN} "
                f"(the number of a chain's pieces), got {_described(count)}"
            )
        pieces: dict[int, dict[str, np.ndarray]] = {}
        for key, value in parts.items():
            if key == "chain":
                continue
            index, _, rest = key.partition("/")
            valid = (
                rest
                and index.isascii()
                and index.isdigit()
                and len(index) <= 4
                and (index == "0" or not index.startswith("0"))
                and int(index) < int(count)
            )
            if not valid:
                raise fail(
                    f"{_brief(where + key)} is not a piece of a chain of {int(count)} "
                    f"({where}0/... to {where}{int(count) - 1}/...)"
                )
            pieces.setdefault(int(index), {})[rest] = value
        for index, piece in pieces.items():
            _check_state_arrays(piece, n_params, f"{where}{index}/")
        return
    for key, value in parts.items():
        if "/" in key:
            raise fail(
                f"{_brief(where + key)} is a chain's piece, but there is no "
                f"{_brief(where + 'chain')}"
            )
        if key == "step":
            if value.dtype.kind not in "iu" or value.shape != () or value < 0:
                raise fail(
                    f"{_brief(where + key)} must be a single non-negative integer, got "
                    f"{_described(value)}"
                )
        elif value.dtype.kind not in "fiub":
            raise fail(f"{_brief(where + key)} must hold numbers, got dtype {value.dtype}")
        elif value.shape not in ((n_params,), (1,), ()):
            raise fail(
                f"{_brief(where + key)} has shape {value.shape}, but the network has "
                f"{n_params} parameters: an optimizer's state arrays have shape ({n_params},) "
                "(or hold a single number)"
            )


def _checked_opt_parts(arrays: Mapping[str, np.ndarray], metadata: Mapping,
                       n_params: int) -> dict[str, np.ndarray] | None:
    """The ``opt/`` arrays, checked against ``optimizer_state`` and the parameter count."""
    flag = metadata.get("optimizer_state", False)
    if not isinstance(flag, bool):
        raise ModelFileError(f"optimizer_state must be true or false, got {_brief(flag)}")
    parts = {k[len(_OPT_PREFIX) :]: v for k, v in arrays.items() if k.startswith(_OPT_PREFIX)}
    if not flag:
        if parts:
            names = sorted(_OPT_PREFIX + k for k in parts)
            raise ModelFileError(
                f"optimizer_state is false but the file holds optimizer arrays {_brief(names)}"
            )
        return None
    _check_state_arrays(parts, n_params, _OPT_PREFIX)
    return parts


def _checked_model(arrays: dict[str, np.ndarray], metadata: dict,
                   custom_objects: dict) -> tuple[dict, dict | None, dict]:
    """Everything :func:`save` writes, checked before anything is built."""
    checked = _checked_network(arrays, metadata, custom_objects)
    unexpected = sorted(set(metadata) - set(_MODEL_KEYS))
    if unexpected:
        raise ModelFileError(
            f"unexpected metadata entries {_brief(unexpected)}: a saved network holds "
            f"{', '.join(_MODEL_KEYS)} (put anything else under 'extra')"
        )
    foreign = sorted(k for k in arrays if k != "params" and not k.startswith(_OPT_PREFIX))
    if foreign:
        raise ModelFileError(
            f"array(s) {_brief(foreign)} are not part of a saved network (params and "
            f"{_OPT_PREFIX}... only)"
        )
    parts = _checked_opt_parts(arrays, metadata, checked["n_params"])
    extra = metadata.get("extra", {})
    if not isinstance(extra, dict):
        raise ModelFileError(f"extra must be a JSON object, got {_brief(extra)}")
    return checked, parts, extra


def load_with_state(path, *, custom_objects=None) -> tuple[Network, Any, dict[str, Any]]:
    """Load a network, its optimizer state and its extra metadata.

    Every field of the file's metadata is checked (type, shape, size, consistency with the
    arrays) before anything is built, so a damaged or crafted file is refused with a
    :class:`ModelFileError` naming the field. The checksums detect damage, not tampering:
    anyone can edit a file and recompute them. A hostile file stays harmless because nothing
    is unpickled or imported and nothing is allocated beyond what the file holds, but the
    weights it gives are only as trustworthy as its source.

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
        (tuples become lists). Its contents are the caller's to check.

    Raises
    ------
    ModelFileError
        See :func:`read_model_file` and :func:`network_from_parts`; also for metadata
        entries other than those :func:`save` writes, arrays other than ``params`` and
        ``opt/...``, ``optimizer_state`` not a bool (or false with optimizer arrays), an
        optimizer state whose arrays are not laid out as
        :func:`~ffnn.optimizers.state_to_arrays` lays them out (``step`` a non-negative
        integer, other arrays of the parameters' shape or single numbers, a chain's pieces
        numbered below its count, at most 1024), and ``extra`` not a JSON object.
    """
    custom_objects = _check_custom_objects(custom_objects)
    arrays, metadata = read_model_file(path)
    shown = _as_path(path)
    try:
        checked, parts, extra = _checked_model(arrays, metadata, custom_objects)
        network = _build_network(checked, custom_objects)
        opt_state = None if parts is None else _state_from(parts)
    except ModelFileError as exc:
        raise ModelFileError(f"{shown}: {exc}", shown) from exc
    return network, opt_state, extra


def _state_from(parts: dict[str, np.ndarray]):
    try:
        return state_from_arrays(parts)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # checked: not expected
        raise ModelFileError(f"the optimizer state cannot be rebuilt: {exc}") from exc


def load(path, *, custom_objects=None) -> Network:
    """Load the network saved by :func:`save` (an optimizer state in the file is ignored).

    The file is checked as :func:`load_with_state` checks it. Its checksums detect damage,
    not tampering (anyone can recompute them); what keeps a hostile file harmless is that it
    is never unpickled and every field is checked before anything is allocated.

    Parameters
    ----------
    path : str or os.PathLike
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations.

    Returns
    -------
    Network

    Raises
    ------
    ModelFileError
        For a damaged, edited, crafted or inconsistent file (see :func:`load_with_state`).
    OSError
        When the file cannot be opened.
    """
    return load_with_state(path, custom_objects=custom_objects)[0]
