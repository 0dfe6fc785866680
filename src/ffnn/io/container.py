"""The model file's container: one ``.npz`` per model, written atomically and read without
pickle, every byte checked before anything is built (:mod:`ffnn.io.networks` puts networks in
it, :mod:`ffnn.io.components` their activations).

A model file is an uncompressed ``.npz`` archive (what :func:`numpy.savez` writes, readable
with ``numpy.load(path, allow_pickle=False)``) holding

- the model's arrays: ``params`` (the network's flat parameter buffer) and, when saved with
  one, the optimizer state under ``opt/`` (:func:`~ffnn.optim.optimizers.state_to_arrays`);
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
import json
import math
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

from ..core.validation import brief, is_integer

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "ModelFileError",
    "write_model_file",
    "read_model_file",
    "write_atomically",
]

FORMAT_NAME = "ffnn-model"
FORMAT_VERSION = 1
#: The archive entry holding the JSON metadata.
METADATA_KEY = "__metadata__"

_INTEGRITY_KEYS = ("arrays", "metadata_sha256")  # written and checked here, never returned
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry; an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so one model always gives the same bytes
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: What :func:`load_with_state` reads from a file's metadata (anything else is refused).
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


def as_path(path, name: str = "path") -> str:
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


def json_default(value):
    if isinstance(value, np.generic):  # NumPy scalars: np.int64(3) -> 3
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _metadata_digest(body: Mapping) -> str:
    """SHA-256 of the metadata in a canonical JSON form (sorted keys, no spaces, ASCII)."""
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=json_default
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
    from .. import __version__  # lazily: the package imports this module

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
        body = json.loads(json.dumps(body, allow_nan=False, default=json_default))
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
    given = os.path.abspath(as_path(path))
    checked = _check_arrays(arrays)
    manifest = {
        key: {"dtype": array.dtype.str, "shape": list(array.shape), "sha256": _digest(array)}
        for key, array in checked.items()
    }
    text = _metadata_json(metadata, manifest)
    write_atomically(given, lambda file: _write_npz(file, checked, text))


def write_atomically(path, write) -> None:
    """Write a file at once or not at all: ``write(file)`` fills a temporary file (binary)
    next to the target, which is flushed, ``fsync``-ed and moved onto it; the folder is
    ``fsync``-ed where the platform allows. A symbolic link is written through (the file it
    points to is replaced, the link stays a link); a file replaced keeps its permission bits
    (set before a byte is written), a new one gets the umask's. On any failure, including
    ``KeyboardInterrupt``, the temporary file is removed and the target is untouched."""
    given = os.path.abspath(as_path(path))
    if not os.path.basename(given) or os.path.isdir(given):
        raise IsADirectoryError(f"path must name a file, got the folder {given}")
    target = _resolve_target(given)
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {target}: the folder {folder} does not exist")
    temporary, fd = _create_temporary(folder, name, _existing_mode(target))
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
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
            raise fail(f"entry {brief(name)} is not a .npy array: not an ffnn model file")
        key = name[: -len(".npy")]
        if key in entries:
            raise fail(
                f"entry {brief(name)} appears twice in the archive: the file was edited or "
                "damaged"
            )
        if info.compress_type != zipfile.ZIP_STORED:
            raise fail(
                f"array {brief(key)} is compressed (zip method {info.compress_type}); ffnn "
                "model files store their arrays uncompressed, so that no array can be "
                "larger than the file"
            )
        if info.file_size != info.compress_size:
            raise fail(
                f"array {brief(key)}: the archive says it holds {info.file_size} bytes "
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


def member_header(zf, info, key: str, shown: str,
                  objects: str = _OBJECTS) -> tuple[np.dtype, tuple[int, ...]]:
    """An entry's ``.npy`` header (dtype and shape), read alone; its data must fill the
    entry exactly, so reading it allocates no more than the file holds. ``objects``: what
    to say of an array of Python objects."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{shown}: array {brief(key)} {problem}", shown)

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
        raise fail(objects)
    if any(n < 0 for n in shape):
        raise fail(f"has a negative dimension in its shape {shape}: the file is damaged")
    count = math.prod(shape)
    if dtype.itemsize == 0 and count:
        raise fail(f"has dtype {dtype} of size 0: not an array of numbers or text")
    held = info.file_size - offset
    if count * dtype.itemsize != held:
        raise fail(
            f"declares shape {brief(shape)} of dtype {dtype.str} "
            f"({count * dtype.itemsize} bytes) in its .npy header but holds {held} bytes: the "
            "file is damaged or crafted"
        )
    return dtype, tuple(shape)


def _read_member(zf, info, key: str, shown: str) -> np.ndarray:
    """An entry's array (its header already checked by :func:`member_header`)."""
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
        raise ModelFileError(f"{shown}: array {brief(key)} {problem}", shown) from exc
    return array


class _RefusedJSONError(Exception):
    """A JSON value the metadata may not hold (raised while parsing)."""


def _no_constant(name: str):
    raise _RefusedJSONError(f"{name} is not a number in standard JSON (ffnn never writes it)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _RefusedJSONError(
            f"the number {brief(text)} overflows a float (ffnn never writes it)"
        )
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _RefusedJSONError(f"the key {brief(key)} appears twice in one object")
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
        problem = f"{type(exc).__name__}: {brief(str(exc), 200)}"
    raise ModelFileError(f"{shown}: invalid JSON in {METADATA_KEY}: {problem}", shown)


def _check_manifest(manifest, fail) -> dict:
    """The array checksums: ``{key: {"dtype": str, "shape": [int >= 0], "sha256": hex}}``."""
    malformed = "the metadata's array checksums ('arrays') are missing or malformed"
    if not isinstance(manifest, dict):
        raise fail(f"{malformed}: expected a JSON object, got {brief(manifest)}")
    for key, entry in manifest.items():
        where = f"arrays[{brief(key)}]"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "sha256"}:
            raise fail(
                f"{malformed}: {where} must be an object with exactly dtype, shape and "
                f"sha256, got {brief(entry)}"
            )
        if not isinstance(entry["dtype"], str):
            raise fail(f"{malformed}: {where}.dtype must be a str, got {brief(entry['dtype'])}")
        shape = entry["shape"]
        if not isinstance(shape, list) or not all(is_integer(n) and n >= 0 for n in shape):
            raise fail(
                f"{malformed}: {where}.shape must be a list of non-negative integers, got "
                f"{brief(shape)}"
            )
        if not (isinstance(entry["sha256"], str) and _SHA256.fullmatch(entry["sha256"])):
            raise fail(
                f"{malformed}: {where}.sha256 must be 64 lowercase hex digits, got "
                f"{brief(entry['sha256'])}"
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
            f"not an ffnn model file: its format is {brief(metadata.get('format'))}, "
            f"expected {FORMAT_NAME!r}"
        )
    version = metadata.get("format_version")
    if not is_integer(version) or version < 1:
        raise fail(f"invalid format_version {brief(version)}: expected a positive integer")
    if version > FORMAT_VERSION:
        raise fail(
            f"written by a newer ffnn (format {brief(version)}); this version reads up to "
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
            f"library_version must be a str, got {brief(metadata.get('library_version'))}"
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
            f"missing array(s) {brief(', '.join(map(repr, missing)))} listed in the "
            "checksums: the file was edited or damaged"
        )
    unlisted = [key for key in headers if key not in manifest]
    if unlisted:
        raise fail(
            f"array(s) {brief(', '.join(map(repr, unlisted)))} not listed in the checksums: "
            "the file was edited or not written by ffnn"
        )
    for key, entry in manifest.items():
        dtype, shape = headers[key]
        if dtype.str != entry["dtype"] or list(shape) != entry["shape"]:
            raise fail(
                f"array {key!r} has dtype {dtype.str} and shape {shape}, but its checksum "
                f"entry records {brief(entry['dtype'])} and {brief(tuple(entry['shape']))}: "
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
    shown = as_path(path)
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
            dtype, shape = member_header(zf, info, METADATA_KEY, shown)
            if dtype.kind != "U" or shape != ():
                raise ModelFileError(
                    f"{shown}: {METADATA_KEY} must be a JSON text, got an array of dtype "
                    f"{dtype} and shape {shape}",
                    shown,
                )
            text = _read_member(zf, info, METADATA_KEY, shown)
            metadata, manifest = _parse_metadata(str(text), shown)
            headers = {key: member_header(zf, info, key, shown) for key, info in entries.items()}
            _verify_headers(headers, manifest, shown)
            arrays = {key: _read_member(zf, info, key, shown) for key, info in entries.items()}
    _verify_digests(arrays, manifest, shown)
    return arrays, metadata


# -- activations ------------------------------------------------------------------------------


# -- networks ---------------------------------------------------------------------------------


# -- one call ---------------------------------------------------------------------------------
