"""MNIST and Fashion-MNIST from IDX files (written here, small) or OpenML (faked: no test
touches the network), the readers' errors, the command line on them, and runge2d."""

from __future__ import annotations

import csv
import gzip
import socket
import struct
import time
from types import SimpleNamespace

import numpy as np
import pytest

from ffnn.cli.main import main
from ffnn.data.datasets import (
    DATASET_NAMES,
    has_standard_test,
    is_generated,
    load_dataset,
    runge2d,
    runge2d_function,
)
from ffnn.io import idx as _idx

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def idx_bytes(values: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file written by hand: big-endian magic, one count per dimension, the bytes."""
    values = np.asarray(values, dtype=np.uint8)
    magic = 0x0800 + values.ndim if magic is None else magic
    return struct.pack(f">I{values.ndim}I", magic, *values.shape) + values.tobytes()


def make_parts(n_train=30, n_test=10, shape=(28, 28), seed=0):
    rng = np.random.default_rng(seed)
    def labels(n):  # every class at least n // 10 times: stratified splits work
        return rng.permutation(np.arange(n) % 10).astype(np.uint8)

    return (rng.integers(0, 256, (n_train, *shape), dtype=np.uint8), labels(n_train),
            rng.integers(0, 256, (n_test, *shape), dtype=np.uint8), labels(n_test))


def write_set(folder, parts, gzipped=(False, False, False, False), raw=None):
    """The four files in ``folder`` (``raw`` replaces a file's bytes by index)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, values, gz) in enumerate(zip(FILES, parts, gzipped)):
        data = (raw or {}).get(i, idx_bytes(values))
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


@pytest.fixture
def offline(monkeypatch):
    """No network: OpenML cannot be reached and fetch_openml must not be called."""
    import sklearn.datasets

    def refuse(*args, **kwargs):
        raise AssertionError("fetch_openml must not be called offline")

    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", refuse)


# --- reading the files -----------------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [(False,) * 4, (True,) * 4, (True, False, False, True)],
                         ids=["raw", "gzipped", "mixed"])
def test_mnist_from_idx_files(tmp_path, offline, gzipped):
    parts = make_parts()
    write_set(tmp_path / "mnist", parts, gzipped)
    data = load_dataset("mnist", data_home=tmp_path)
    assert data.name == "mnist" and data.task == "classification"
    assert data.X.shape == (30, 784) and data.X_test.shape == (10, 784)
    for X in (data.X, data.X_test, data.targets, data.targets_test):
        assert X.dtype == np.float64 and X.flags.c_contiguous
    np.testing.assert_array_equal(data.X, parts[0].reshape(30, 784) / 255)
    np.testing.assert_array_equal(data.X_test, parts[2].reshape(10, 784) / 255)
    np.testing.assert_array_equal(data.labels, parts[1])
    np.testing.assert_array_equal(data.targets_test.argmax(axis=1), parts[3])
    assert data.targets.shape == (30, 10) and data.targets_test.shape == (10, 10)
    assert data.classes.tolist() == list(range(10))
    assert data.class_names == tuple("0123456789")
    assert data.feature_names[0] == "pixel1" and data.feature_names[-1] == "pixel784"
    assert data.X.min() >= 0.0 and data.X.max() <= 1.0
    assert "10 standard test samples" in repr(data)


def test_fashion_mnist_names_its_classes_and_files_may_sit_in_data_home(tmp_path, offline):
    parts = make_parts(seed=1)
    write_set(tmp_path, parts)  # directly in data_home, not in data_home/fashion-mnist
    data = load_dataset("Fashion_MNIST", data_home=str(tmp_path))
    assert data.name == "fashion-mnist"
    assert data.class_names[:2] == ("T-shirt/top", "Trouser")
    assert data.class_names[-1] == "Ankle boot" and len(data.class_names) == 10
    np.testing.assert_array_equal(data.X, parts[0].reshape(30, -1) / 255)


def test_the_data_sets_subfolder_comes_first(tmp_path, offline):
    write_set(tmp_path, make_parts(seed=1))
    write_set(tmp_path / "mnist", make_parts(seed=2))
    data = load_dataset("mnist", data_home=tmp_path)
    np.testing.assert_array_equal(data.X, make_parts(seed=2)[0].reshape(30, -1) / 255)


def test_other_image_sizes_are_read(tmp_path, offline):
    write_set(tmp_path / "mnist", make_parts(12, 4, shape=(7, 5)))
    data = load_dataset("mnist", data_home=tmp_path)
    assert data.X.shape == (12, 35) and data.X_test.shape == (4, 35)


def test_only_the_generated_sets_take_options_and_only_mnist_a_data_home(tmp_path):
    with pytest.raises(ValueError, match="data_home applies only to mnist and fashion-mnist"):
        load_dataset("iris", data_home=tmp_path)
    with pytest.raises(ValueError, match="data_home applies only"):
        load_dataset("runge2d", data_home=tmp_path)
    with pytest.raises(ValueError, match="apply only to the generated data sets"):
        load_dataset("mnist", seed=0, data_home=tmp_path)
    assert has_standard_test("mnist") and has_standard_test("fashion_mnist")
    assert not has_standard_test("digits") and not is_generated("mnist")


# --- damaged files ---------------------------------------------------------------------------


def _damaged(parts):
    images, labels, images_test, labels_test = parts
    good = idx_bytes(images)
    return {
        "wrong magic": ({0: idx_bytes(images, magic=0x00000801)},
                        r"train-images-idx3-ubyte: magic number 0x00000801, expected "
                        r"0x00000803"),
        "labels magic": ({3: idx_bytes(labels_test, magic=0x00000803)},
                         r"t10k-labels-idx1-ubyte: magic number 0x00000803, expected "
                         r"0x00000801"),
        "not idx": ({1: b"<html>not found</html>"}, r"train-labels-idx1-ubyte: magic number"),
        "empty": ({2: b""}, r"t10k-images-idx3-ubyte: 0 bytes, too short for an IDX header"),
        "truncated header": ({0: good[:9]}, r"too short for the 16-byte header of images"),
        "truncated": ({0: good[:-100]}, r"train-images-idx3-ubyte: 23420 bytes after the "
                                        r"header, which announces 30 x 28 x 28 images \(23520 "
                                        r"bytes\): the file is truncated"),
        "too long": ({1: idx_bytes(labels) + b"\0\0"}, r"2 bytes too many"),
        "no images": ({2: idx_bytes(np.zeros((0, 28, 28)))}, r"announces 0 x 28 x 28 images: "
                                                             r"no data"),
        "counts": ({1: idx_bytes(labels[:29])}, r"train-images-idx3-ubyte holds 30 images but "
                                                r"\S*train-labels-idx1-ubyte 29 labels: the "
                                                r"counts must agree"),
        "labels": ({3: idx_bytes(np.r_[labels_test[:4], 12, labels_test[5:]])},
                   r"t10k-labels-idx1-ubyte: labels must be 0 to 9, got 12 at index 4"),
        "sizes": ({2: idx_bytes(images_test[:, :27])}, r"images of 28 x 28 pixels but "
                                                       r"\S*t10k-images-idx3-ubyte of 27 x 28"),
    }


@pytest.mark.parametrize("case", list(_damaged(make_parts())))
def test_damaged_files_are_named_with_their_fault(tmp_path, offline, case):
    raw, message = _damaged(make_parts())[case]
    write_set(tmp_path / "mnist", make_parts(), raw=raw)
    with pytest.raises(ValueError, match=message):
        load_dataset("mnist", data_home=tmp_path)


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_damaged_gzip_data_is_named(tmp_path, offline, damage):
    write_set(tmp_path / "mnist", make_parts(), gzipped=(True,) * 4)
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[:len(data) // 2]
    else:
        data[len(data) // 2:len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: damaged gzip data .*"
                                         r"download the file again"):
        load_dataset("mnist", data_home=tmp_path)


def test_a_partial_set_names_the_missing_files(tmp_path, offline):
    write_set(tmp_path / "mnist", make_parts())
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"holds 3 of the four IDX files; missing: "
                                                r"t10k-labels-idx1-ubyte\(.gz\)"):
        load_dataset("mnist", data_home=tmp_path)


# --- without the files: OpenML, or one clear error ---------------------------------------------


def test_offline_without_files_is_one_clear_error_within_seconds(tmp_path, offline):
    started = time.monotonic()
    with pytest.raises(FileNotFoundError) as error:
        load_dataset("mnist", data_home=tmp_path)
    assert time.monotonic() - started < 5
    message = str(error.value)
    for name in FILES:
        assert name in message
    assert str(tmp_path / "mnist") in message
    assert "OpenML (www.openml.org) cannot be reached" in message
    assert "Download them from the data set's page" in message
    assert "data_home=" in message and "--data-home DIR" in message  # a folder of one's own
    assert "or run once with network access" in message


def test_offline_command_line_says_it_in_one_line(tmp_path, offline, capsys):
    assert main(["train", "--dataset", "mnist", "--data-home", str(tmp_path), "--epochs",
                 "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "t10k-images-idx3-ubyte" in lines[0], lines


def test_the_connection_check_gives_up_quickly(monkeypatch):
    def refused(address, timeout=None):
        raise ConnectionRefusedError("no route")

    monkeypatch.setattr(socket, "create_connection", refused)
    assert _idx.openml_reachable() is False

    def hangs(address, timeout=None):  # a name lookup that never answers
        time.sleep(5)
        raise OSError("too late")

    monkeypatch.setattr(socket, "create_connection", hangs)
    started = time.monotonic()
    assert _idx.openml_reachable(timeout=0.2) is False
    assert time.monotonic() - started < 2

    class Connection:
        def close(self):
            pass

    monkeypatch.setattr(socket, "create_connection", lambda address, timeout=None: Connection())
    assert _idx.openml_reachable() is True


def _fake_openml(monkeypatch, calls, rows=25, pixels=None, target=None):
    import sklearn.datasets

    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (rows, 784)).astype(np.float64) if pixels is None else pixels
    target = rng.integers(0, 10, rows).astype(str) if target is None else target

    def fetch_openml(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(data=pixels, target=target)

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)
    monkeypatch.setattr(_idx, "N_TRAIN", 20)  # the first 20 rows train, the last 5 test
    return pixels, target


def test_fetched_from_openml_then_kept_as_idx_files(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: True)
    pixels, target = _fake_openml(monkeypatch, calls)
    data = load_dataset("fashion-mnist", data_home=tmp_path)
    assert len(calls) == 1
    assert calls[0]["data_id"] == 40996 and calls[0]["as_frame"] is False
    assert calls[0]["data_home"] == str(tmp_path)
    np.testing.assert_array_equal(data.X, pixels[:20] / 255)
    np.testing.assert_array_equal(data.X_test, pixels[20:] / 255)
    np.testing.assert_array_equal(data.labels, target[:20].astype(int))
    assert sorted(p.name for p in (tmp_path / "fashion-mnist").iterdir()) == \
        sorted(f"{name}.gz" for name in FILES)
    # The next load reads the files: no OpenML, the same arrays.
    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: False)
    again = load_dataset("fashion-mnist", data_home=tmp_path)
    assert len(calls) == 1
    np.testing.assert_array_equal(again.X, data.X)
    np.testing.assert_array_equal(again.targets_test, data.targets_test)


def test_openml_cache_is_used_without_the_connection_check(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: pytest.fail("checked"))
    _fake_openml(monkeypatch, calls, target=np.arange(25) % 10)  # numeric labels too
    cached = tmp_path / "openml" / "openml.org" / "api" / "v1" / "json" / "data" / "554.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")
    data = load_dataset("mnist", data_home=tmp_path)
    assert calls[0]["data_id"] == 554 and data.X.shape == (20, 784)


def test_a_fetch_that_fails_midway_is_the_same_clear_error(tmp_path, monkeypatch):
    from urllib.error import URLError

    import sklearn.datasets

    def fetch_openml(**kwargs):
        raise URLError("connection reset")

    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)
    with pytest.raises(FileNotFoundError, match=r"fetching 'mnist_784' from OpenML failed "
                                                r"\(<urlopen error connection reset>\)"):
        load_dataset("mnist", data_home=tmp_path)


def test_openml_values_that_are_not_pixels_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: True)
    _fake_openml(monkeypatch, [], pixels=np.full((25, 784), 300.0))
    with pytest.raises(ValueError, match="values other than pixels 0 to 255"):
        load_dataset("mnist", data_home=tmp_path)


def test_no_data_set_name_reaches_the_network(tmp_path, monkeypatch):
    """Every name loads (or, for the image sets without files, fails at once) with every
    connection refused."""
    def no_network(*args, **kwargs):
        raise AssertionError("a test must not touch the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(_idx, "openml_reachable", lambda timeout=3.0: False)
    for name in DATASET_NAMES:
        if has_standard_test(name):
            with pytest.raises(FileNotFoundError, match="cannot be reached"):
                load_dataset(name, data_home=tmp_path)
        else:
            assert load_dataset(name, **({"seed": 0} if is_generated(name) else {})).n_samples


# --- the command line ------------------------------------------------------------------------


def test_ffnn_train_on_mnist_reports_the_standard_test_part(tmp_path, offline, capsys):
    write_set(tmp_path / "mnist", make_parts(200, 50), gzipped=(True,) * 4)
    assert main(["train", "--dataset", "mnist", "--data-home", str(tmp_path), "--hidden", "8",
                 "--epochs", "2", "--quiet", "--save", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    assert "data: mnist, 200 training samples, 50 test samples (its standard test part)" in out
    assert "network: Network(784 -> 8 sigmoid -> 10 softmax" in out
    accuracy = float(out.split("test accuracy:")[1].split()[0])
    assert 0.0 <= accuracy <= 1.0


@pytest.mark.parametrize(("argv", "message"), [
    (["--dataset", "iris", "--data-home", "DIR"],
     "--data-home applies only to mnist and fashion-mnist (the folder of their IDX files), "
     "not to --dataset iris"),
    (["--dataset", "runge2d", "--data-home", "DIR"], "--data-home applies only to mnist"),
    (["--data", "FILE", "--data-home", "DIR"], "--data-home goes with --dataset mnist"),
    (["--dataset", "mnist", "--data-home", "DIR", "--test-fraction", "0.2"],
     "--test-fraction: mnist comes with its standard test part"),
    (["--dataset", "mnist", "--data-home", "DIR", "--samples", "10"],
     "--samples applies only to the generated data sets (franke, runge, runge2d, polynomial)"),
])
@pytest.mark.parametrize("command", ["train", "sweep"])
def test_data_home_flags_are_checked(tmp_path, offline, capsys, command, argv, message):
    (tmp_path / "data.csv").write_text("a,b,y\n1,2,0\n3,4,1\n")
    argv = [{"DIR": str(tmp_path), "FILE": str(tmp_path / "data.csv")}.get(a, a) for a in argv]
    grid = ["--grid", "lr=0.1,0.2"] if command == "sweep" else []
    assert main([command, "--epochs", "1", *argv, *grid]) == 2
    assert message in capsys.readouterr().err


def test_ffnn_sweep_on_mnist_tests_on_the_standard_test_part(tmp_path, offline, capsys):
    write_set(tmp_path / "mnist", make_parts(60, 20))
    table = tmp_path / "runs.csv"
    assert main(["sweep", "--dataset", "mnist", "--data-home", str(tmp_path), "--hidden", "4",
                 "--epochs", "1", "--n-jobs", "1", "--grid", "lr=0.1,0.2", "--quiet",
                 "--csv", str(table), "--no-stack"]) == 0
    rows = list(csv.DictReader(table.read_text().splitlines()))
    assert len(rows) == 2 and all(row["test_accuracy"] not in ("", None) for row in rows)


def test_sweep_ids_follow_the_files_content_not_their_place(tmp_path, offline):
    """The same files elsewhere: the same sweep; other files (issue 25: --resume with another
    --data-home reused the old results): another sweep, whose file resume refuses."""
    from ffnn.sweeps.search import sweep

    for folder, seed in (("a", 0), ("b", 0), ("c", 1)):
        write_set(tmp_path / folder / "mnist", make_parts(60, 10, seed=seed))

    def run(folder, **where):
        return sweep("mnist", grid={"lr": [0.1]}, options={"hidden": [4], "epochs": 1},
                     dataset_options={"data_home": tmp_path / folder}, n_jobs=1, **where)

    assert run("a").sweep_id == run("b").sweep_id != run("c").sweep_id
    out = tmp_path / "runs.jsonl"
    run("a", out=out)
    with pytest.raises(ValueError, match="another sweep"):
        run("c", out=out, resume=True)
    with pytest.raises(ValueError, match="test_fraction: mnist comes with its standard test "
                                         "part \\(10 samples\\)"):
        sweep("mnist", grid={"lr": [0.1]}, options={"hidden": [4], "epochs": 1},
              dataset_options={"data_home": tmp_path / "a"}, test_fraction=0.2, n_jobs=1)


# --- runge2d ---------------------------------------------------------------------------------


def test_runge2d_function_values():
    np.testing.assert_allclose(runge2d_function([0.0, 1.0, 0.2, -1.0], [0.0, 0.0, 0.2, -1.0]),
                               [1.0, 1 / 26, 1 / 3, 1 / 51], rtol=1e-15)
    assert runge2d_function(np.zeros((3, 1)), np.zeros(4)).shape == (3, 4)


def test_runge2d_samples_and_seeds():
    X, y = runge2d(n_samples=500, noise=0.0, seed=4)
    assert X.shape == (500, 2) and y.shape == (500, 1)
    assert X.min() >= -1 and X.max() <= 1 and (X < 0).any()
    np.testing.assert_array_equal(y[:, 0], runge2d_function(X[:, 0], X[:, 1]))
    X2, y2 = runge2d(n_samples=500, noise=0.1, seed=4)
    np.testing.assert_array_equal(X2, X)  # X first, then the noise
    assert np.std(y2 - y) == pytest.approx(0.1, abs=0.01)
    data = load_dataset("runge2d", n_samples=50, noise=0.1, seed=9)
    again = load_dataset("Runge2D", n_samples=50, noise=0.1, seed=9)
    np.testing.assert_array_equal(data.X, again.X)
    np.testing.assert_array_equal(data.targets, again.targets)
    assert data.feature_names == ("x", "y") and data.task == "regression"
    assert not np.array_equal(load_dataset("runge2d", seed=10).X[:50], data.X)
    assert is_generated("runge2d") and load_dataset("runge2d").n_samples == 400


def test_ffnn_train_on_runge2d(capsys):
    assert main(["train", "--dataset", "runge2d", "--samples", "100", "--hidden", "8",
                 "--epochs", "3", "--quiet", "--test-fraction", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "data: runge2d, 80 training samples, 20 test samples" in out and "test r2:" in out


def _gzip_bomb(path, header: bytes, zero_megabytes: int) -> None:
    """``header`` then ``zero_megabytes`` MiB of zeros, gzipped chunk by chunk (a few
    hundred KiB on disk)."""
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(header)
        block = bytes(2**20)
        for _ in range(zero_megabytes):
            file.write(block)


def test_a_gzip_bomb_is_not_inflated(tmp_path):
    """Issue 25: the header is checked first and only the bytes it announces are inflated
    (200 MiB of zeros after 10 labels: refused having read about 1 MiB)."""
    import tracemalloc

    path = tmp_path / "train-labels-idx1-ubyte.gz"
    _gzip_bomb(path, struct.pack(">II", 0x00000801, 10) + bytes(10), 200)
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"announces 10 labels \(10 bytes\), and the file "
                                         r"holds more: more than 1048576 bytes too many"):
        _idx.read_idx(path, _idx.LABELS_MAGIC)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20, peak


def test_a_header_that_asks_for_too_much_is_refused_before_reading(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    _gzip_bomb(path, struct.pack(">IIII", 0x00000803, 100_000, 1000, 1000), 1)
    with pytest.raises(ValueError, match=r"announces 100000 x 1000 x 1000 images "
                                         r"\(100000000000 bytes\), more than ffnn reads"):
        _idx.read_idx(path, _idx.IMAGES_MAGIC)
