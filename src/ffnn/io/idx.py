"""MNIST and Fashion-MNIST: the IDX files they ship as, or scikit-learn's copy from OpenML.

The four standard files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each gzipped or not) are looked for
in ``data_home/<name>`` and then in ``data_home`` itself. Where they are not, the data set is
fetched once through scikit-learn's ``fetch_openml`` (cached in ``data_home/openml``) and the
four files are written, gzipped, to ``data_home/<name>``, so that later loads read them in a
second instead of parsing OpenML's ARFF file again. Without the files and without a
connection to OpenML, one error names the files and the folder to put them in, within a few
seconds (the connection is tried with a short timeout before scikit-learn is asked).

An IDX file is a big-endian header, the magic number ``0x00000803`` (unsigned bytes, three
dimensions: images) or ``0x00000801`` (one dimension: labels) and one 32-bit count per
dimension, followed by the values, row-major. The reader checks the header against the file's
length and reads the values with ``np.frombuffer`` (no copy, no Python loop over pixels).
"""

from __future__ import annotations

import gzip
import math
import os
import socket
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np

#: The four files of an MNIST-like data set, in the order train images, train labels, test
#: images, test labels (each may also be gzipped, with ``.gz`` appended).
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
N_CLASSES = 10

#: OpenML's copies: (name, data id); the first 60000 rows are the standard training part,
#: the last 10000 the standard test part.
OPENML = {"mnist": ("mnist_784", 554), "fashion-mnist": ("Fashion-MNIST", 40996)}
OPENML_HOST = "www.openml.org"
N_TRAIN = 60000


# ---------------------------------------------------------------------------------------------
# Reading and writing IDX files
# ---------------------------------------------------------------------------------------------


#: The most bytes an IDX file's header may announce (MNIST's images: 47 MB); a header
#: asking for more is refused before anything is inflated or allocated.
IDX_LIMIT = 2**30


def _open(path: Path):
    """The file for reading, through gzip when it is gzipped (told by its first two bytes):
    decompressed as it is read, never in full up front."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_checked(file, count: int, path: Path) -> bytes:
    try:
        return file.read(count)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: damaged gzip data ({exc}); download the file again")\
            from None


def read_idx(path, magic: int) -> np.ndarray:
    """The values of an IDX file of unsigned bytes, shaped as its header says.

    The header is read and checked first; then exactly the bytes it announces (at most
    :data:`IDX_LIMIT`) are read, inflated as they are read when the file is gzipped, so
    that a crafted file (a gzip bomb) costs no more than what its header promises.

    Parameters
    ----------
    path : path-like
        The file, gzipped or not.
    magic : int
        The magic number it must start with: ``0x00000803`` (images, three dimensions) or
        ``0x00000801`` (labels, one dimension); its last byte is the number of dimensions.

    Returns
    -------
    ndarray of uint8, shape (n_items, ...)

    Raises
    ------
    ValueError
        Naming the file and the problem: damaged gzip data, a wrong magic number, a header
        that announces no items or more than :data:`IDX_LIMIT` bytes, a body shorter or
        longer than the counts announce.
    """
    path = Path(path)
    kind = "images" if magic == IMAGES_MAGIC else "labels"
    with _open(path) as file:
        start = _read_checked(file, 4, path)
        if len(start) < 4:
            raise ValueError(f"{path}: {len(start)} bytes, too short for an IDX header (an "
                             "empty or truncated file)")
        found = int.from_bytes(start, "big")
        if found != magic:
            raise ValueError(f"{path}: magic number 0x{found:08X}, expected 0x{magic:08X} (an "
                             f"IDX file of {kind}); is it the right file, and not damaged?")
        ndim = magic & 0xFF
        header = 4 + 4 * ndim
        sizes = _read_checked(file, 4 * ndim, path)
        if len(sizes) < 4 * ndim:
            raise ValueError(f"{path}: {4 + len(sizes)} bytes, too short for the "
                             f"{header}-byte header of {kind} (a truncated file)")
        dims = tuple(int.from_bytes(sizes[4 * i:4 * i + 4], "big") for i in range(ndim))
        shown = " x ".join(map(str, dims))
        if 0 in dims:
            raise ValueError(f"{path}: the header announces {shown} {kind}: no data")
        expected = math.prod(dims)
        if expected > IDX_LIMIT:
            raise ValueError(f"{path}: the header announces {shown} {kind} ({expected} "
                             f"bytes), more than ffnn reads from an IDX file "
                             f"(ffnn.io.idx.IDX_LIMIT = {IDX_LIMIT} bytes)")
        data = _read_checked(file, expected, path)
        if len(data) < expected:
            raise ValueError(f"{path}: {len(data)} bytes after the header, which announces "
                             f"{shown} {kind} ({expected} bytes): the file is truncated")
        extra = len(_read_checked(file, 2**20 + 1, path))  # counted up to 1 MiB, no more
    if extra:
        counted = f"{extra}" if extra <= 2**20 else f"more than {2**20}"
        raise ValueError(f"{path}: the header announces {shown} {kind} ({expected} bytes), "
                         f"and the file holds more: {counted} bytes too many")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def write_idx(path, values: np.ndarray) -> None:
    """Write uint8 ``values`` (images of 3 dimensions, or labels of 1) as an IDX file,
    gzipped when ``path`` ends in ``.gz``; written to a temporary file and renamed."""
    path = Path(path)
    values = np.ascontiguousarray(values, dtype=np.uint8)
    header = (0x0800 + values.ndim).to_bytes(4, "big") + b"".join(
        int(n).to_bytes(4, "big") for n in values.shape)
    data = header + values.tobytes()
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Finding the files
# ---------------------------------------------------------------------------------------------


def _folders(name: str, data_home: Path) -> list[Path]:
    return [data_home / name, data_home]


def _find_files(name: str, data_home: Path) -> list[Path] | None:
    """The four files in the first folder that holds any of them; None when none does.
    A folder with some of them but not all is an error (naming those missing)."""
    for folder in _folders(name, data_home):
        found = []
        for base in IDX_FILES:
            candidates = [folder / base, folder / f"{base}.gz"]
            found.append(next((p for p in candidates if p.is_file()), None))
        if all(path is None for path in found):
            continue
        missing = [f"{base}(.gz)" for base, path in zip(IDX_FILES, found) if path is None]
        if missing:
            raise FileNotFoundError(
                f"{name}: {folder} holds {4 - len(missing)} of the four IDX files; missing: "
                f"{', '.join(missing)}. Put all four there (gzipped or not)")
        return found
    return None


def _read_files(paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train images, train labels, test images, test labels; the counts and image shapes
    checked against each other and the labels against the ten classes."""
    parts = [read_idx(path, IMAGES_MAGIC if i % 2 == 0 else LABELS_MAGIC)
             for i, path in enumerate(paths)]
    for images, labels, image_path, label_path in ((parts[0], parts[1], paths[0], paths[1]),
                                                  (parts[2], parts[3], paths[2], paths[3])):
        if len(images) != len(labels):
            raise ValueError(f"{image_path} holds {len(images)} images but {label_path} "
                             f"{len(labels)} labels: the counts must agree")
        wrong = np.flatnonzero(labels >= N_CLASSES)
        if wrong.size:
            raise ValueError(f"{label_path}: labels must be 0 to {N_CLASSES - 1}, got "
                             f"{labels[wrong[0]]} at index {wrong[0]} ({wrong.size} such "
                             "labels); is it the right file, and not damaged?")
    if parts[0].shape[1:] != parts[2].shape[1:]:
        raise ValueError(f"{paths[0]} holds images of "
                         f"{' x '.join(map(str, parts[0].shape[1:]))} pixels but {paths[2]} "
                         f"of {' x '.join(map(str, parts[2].shape[1:]))}: they must agree")
    return parts[0], parts[1], parts[2], parts[3]


# ---------------------------------------------------------------------------------------------
# OpenML
# ---------------------------------------------------------------------------------------------


def openml_reachable(timeout: float = 3.0) -> bool:
    """Whether a TCP connection to OpenML opens within ``timeout`` seconds (name lookup
    included: the attempt runs in a thread that is not waited for longer)."""
    answer: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((OPENML_HOST, 443), timeout=timeout).close()
            answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=probe, name="ffnn-openml-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(answer and answer[0])


def _openml_cached(name: str, data_home: Path) -> bool:
    """Whether scikit-learn's cache holds OpenML's description of the data set (then
    fetch_openml may need no connection, and is asked without the check)."""
    data_id = OPENML[name][1]
    return (data_home / "openml" / "openml.org" / "api" / "v1" / "json" / "data"
            / f"{data_id}.gz").is_file()


def _unavailable(name: str, data_home: Path, reason: str) -> FileNotFoundError:
    files = ", ".join(IDX_FILES)
    return FileNotFoundError(
        f"{name}: the four IDX files ({files}; each may be gzipped, .gz) are not in "
        f"{data_home / name} nor in {data_home}, and {reason}. If they are in another "
        f"folder, pass it as data_home= (ffnn.sweep, ffnn.datasets.load_dataset) or "
        f"--data-home DIR (ffnn train, ffnn sweep). Download them from the data set's page "
        f"into {data_home / name}, or run once with network access (they are then fetched "
        f"from OpenML and kept there)")


def _fetch(name: str, data_home: Path) -> tuple[np.ndarray, np.ndarray]:
    """All 70000 images (n, 784) as uint8 and their labels, through scikit-learn's
    ``fetch_openml`` (cached in ``data_home/openml``)."""
    openml_name, data_id = OPENML[name]
    if not _openml_cached(name, data_home) and not openml_reachable():
        raise _unavailable(name, data_home, f"OpenML ({OPENML_HOST}) cannot be reached to "
                                            f"fetch {openml_name!r}")
    from sklearn.datasets import fetch_openml

    try:
        import pandas  # noqa: F401  (its parser is much faster than liac-arff's)

        parser = "pandas"
    except ImportError:
        parser = "liac-arff"
    try:
        bunch = fetch_openml(data_id=data_id, data_home=str(data_home), as_frame=False,
                             parser=parser)
    except OSError as exc:  # URLError, HTTPError, timeouts: the connection failed midway
        raise _unavailable(name, data_home, f"fetching {openml_name!r} from OpenML failed "
                                            f"({exc})") from None
    pixels, labels = np.asarray(bunch.data), np.asarray(bunch.target)
    if pixels.ndim != 2 or pixels.shape[0] <= N_TRAIN or labels.shape != pixels.shape[:1]:
        raise ValueError(f"{name}: OpenML's {openml_name!r} has shape {pixels.shape}, not "
                         f"more than {N_TRAIN} rows of pixels with one label each")
    labels = labels.astype(str) if labels.dtype.kind not in "iuf" else labels
    whole = pixels.dtype.kind in "iu" or bool(np.all(pixels == np.round(pixels)))
    if not (whole and pixels.min() >= 0 and pixels.max() <= 255
            and np.isin(labels, np.arange(N_CLASSES).astype(labels.dtype)).all()):
        raise ValueError(f"{name}: OpenML's {openml_name!r} holds values other than pixels "
                         "0 to 255 and labels 0 to 9")
    return pixels.astype(np.uint8), labels.astype(np.float64).astype(np.int64)


def _save(name: str, data_home: Path, parts) -> None:
    """Keep the fetched data as the four gzipped IDX files in ``data_home/name`` (a warning,
    not an error, when the folder cannot be written)."""
    folder = data_home / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for base, values in zip(IDX_FILES, parts):
            write_idx(folder / f"{base}.gz", values)
    except OSError as exc:
        warnings.warn(f"{name}: could not keep the IDX files in {folder} ({exc}); the next "
                      "load reads OpenML's cached copy again (slower)", stacklevel=3)


# ---------------------------------------------------------------------------------------------
# The data set
# ---------------------------------------------------------------------------------------------


def default_data_home() -> Path:
    """scikit-learn's data folder (``SCIKIT_LEARN_DATA`` or ``~/scikit_learn_data``)."""
    from sklearn.datasets import get_data_home

    return Path(get_data_home())


def load_images(name: str, data_home=None):
    """``(images, labels, images_test, labels_test)`` of ``"mnist"`` or
    ``"fashion-mnist"``: uint8 images of shape (n, height, width) and integer labels 0..9,
    from the IDX files in ``data_home`` or, failing them, from OpenML (see the module)."""
    data_home = default_data_home() if data_home is None else Path(data_home).expanduser()
    paths = _find_files(name, data_home)
    if paths is not None:
        return _read_files(paths)
    pixels, labels = _fetch(name, data_home)
    side = math.isqrt(pixels.shape[1])
    shape = (side, side) if side * side == pixels.shape[1] else (pixels.shape[1], 1)
    images = pixels.reshape(-1, *shape)
    parts = (images[:N_TRAIN], labels[:N_TRAIN], images[N_TRAIN:], labels[N_TRAIN:])
    _save(name, data_home, parts)
    return parts
