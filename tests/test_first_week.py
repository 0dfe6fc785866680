"""The first fifteen minutes with ``ffnn train``: each data set's own settings, the hint for
unscaled features, ``threads=``, several values after ``--hidden``, one-line errors for
missing files, and the JAX compile message above the progress bar."""

from __future__ import annotations

import argparse
import io
import logging

import numpy as np
import pytest

import ffnn
from ffnn.cli.common import apply_dataset_defaults, scale_note
from ffnn.cli.main import main
from ffnn.cli.parser import given_options
from ffnn.io.idx import write_idx


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- 1. each data set's own settings -------------------------------------------------------------

def test_a_dataset_alone_trains_with_its_own_settings_and_says_them(capsys):
    status, out, _ = run(["train", "--dataset", "wine", "--epochs", "2", "--quiet"], capsys)
    assert status == 0
    assert ("defaults of --dataset wine (an option you give wins): --standardize "
            "--test-fraction 0.2 --hidden 16 --activation relu --optimizer adam --lr 0.001 "
            "--batch-size 16\n") in out
    assert "36 test samples, standardized" in out
    assert "network: Network(13 -> 16 relu -> 3 softmax" in out
    assert "training: Adam(lr=Constant(lr=0.001)" in out and "batch 16, 2 epochs" in out


def test_an_option_given_wins_over_the_dataset_s_setting(capsys):
    status, out, _ = run(["train", "--dataset", "wine", "--hidden", "5", "--optimizer", "sgd",
                          "--batch-size", "full", "--no-standardize", "--epochs", "2",
                          "--quiet"], capsys)
    assert status == 0
    # --hidden takes --activation's plain default with it, --optimizer its lr
    assert "defaults of --dataset wine (an option you give wins): --test-fraction 0.2\n" in out
    assert "network: Network(13 -> 5 sigmoid -> 3 softmax" in out
    assert "training: SGD(lr=Constant(lr=0.01)), cross_entropy, full batch, 2 epochs" in out
    assert "standardized" not in out


def test_mnist_alone_trains_the_course_s_network(tmp_path, capsys, monkeypatch):
    from ffnn.io import idx

    monkeypatch.setattr(idx, "openml_reachable", lambda timeout=3.0: False)
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, n in (("train", 60), ("t10k", 20)):
        write_idx(folder / f"{name}-images-idx3-ubyte",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{name}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))
    status, out, err = run(["train", "--dataset", "mnist", "--data-home", str(tmp_path),
                            "--epochs", "1", "--quiet"], capsys)
    assert status == 0, err
    assert ("defaults of --dataset mnist (an option you give wins): --hidden 100 --activation "
            "relu --optimizer adam --lr 0.001 --batch-size 64\n") in out
    assert "network: Network(784 -> 100 relu -> 10 softmax" in out
    assert "note:" not in err  # pixels in [0, 1]: nothing to say


def test_train_with_no_options_is_still_the_notebook(capsys):
    status, out, err = run(["train", "--quiet"], capsys)
    assert status == 0
    assert "defaults of" not in out and "note:" not in err
    assert "network: Network(4 -> 8 sigmoid -> 3 softmax" in out
    assert "full batch, 5000 epochs" in out and "train accuracy: 0.9733" in out
    status, out, _ = run(["train", "--dataset", "iris", "--epochs", "1", "--quiet"], capsys)
    assert status == 0 and "defaults of" not in out


def test_the_options_given_are_told_from_the_defaults():
    assert given_options(["train", "--dataset", "mnist", "--epochs=5000", "--hid", "8"]) == {
        "dataset", "epochs", "hidden"}
    # a namespace made by hand (no record of what was given) is taken as it is
    args = argparse.Namespace(data=None, dataset="wine", hidden=[8])
    assert apply_dataset_defaults(args) == {} and args.hidden == [8]


# -- 2. a hint for unscaled features -------------------------------------------------------------

@pytest.fixture
def wine_csv(tmp_path):
    from sklearn.datasets import load_wine

    path = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return str(path)


def test_unscaled_features_get_a_one_line_hint(wine_csv, capsys):
    status, _, err = run(["train", "--data", wine_csv, "--target", "target", "--epochs", "2",
                          "--quiet"], capsys)
    assert status == 0
    assert err.count("\n") == 1 and err.startswith("ffnn train: note: the features' sizes "
                                                   "differ widely ('proline' is typically 810")
    assert "--standardize" in err
    for flag in ("--standardize", "--no-standardize"):  # the user has decided
        status, _, err = run(["train", "--data", wine_csv, "--target", "target", flag,
                              "--epochs", "2", "--quiet"], capsys)
        assert status == 0 and err == ""


def test_the_scale_rule():
    rng = np.random.default_rng(0)
    iris, _ = ffnn.datasets.load_iris()
    assert scale_note(iris, None) is None
    pixels = np.zeros((100, 6))
    pixels[:, 0] = rng.uniform(0, 1, 100)
    pixels[0, 1] = 1e-3  # a nearly empty border pixel
    assert scale_note(pixels, None) is None
    mixed = np.column_stack([rng.normal(800, 300, 50), rng.normal(0.4, 0.1, 50)])
    assert "column 0 is typically" in scale_note(mixed, None)


# -- 3. threads= -----------------------------------------------------------------------------------

def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_threads_limit_blas_during_the_fit_and_only_then():
    before = _blas_threads()
    if not before:
        pytest.skip("threadpoolctl finds no BLAS here")
    seen = []

    class Look(ffnn.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append(_blas_threads())

    X, targets = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    ffnn.train(net, X, targets, "cross_entropy", epochs=2, verbose=0, threads=1,
               callbacks=[Look()], engine="numpy")
    assert seen and all(counts == [1] * len(before) for counts in seen)
    assert _blas_threads() == before
    trainer = ffnn.Trainer(net, "cross_entropy", threads=2, verbose=0)
    assert trainer.threads == 2 and "threads=2" in repr(trainer)
    assert ffnn.Trainer(net, "cross_entropy").threads is None


@pytest.mark.parametrize(("threads", "error"), [(0, ValueError), (-1, ValueError),
                                                ("2", TypeError), (True, TypeError),
                                                (1.5, TypeError)])
def test_bad_threads_are_refused_by_name(threads, error):
    net = ffnn.Network(4, [3], ["softmax"], seed=0)
    with pytest.raises(error, match=r"threads must be an integer >= 1 or None"):
        ffnn.Trainer(net, "cross_entropy", threads=threads)


def test_threads_on_the_command_line(capsys):
    status, out, _ = run(["train", "--threads", "1", "--epochs", "2", "--quiet"], capsys)
    assert status == 0 and "seed 0, 1 BLAS thread\n" in out
    status, out, err = run(["train", "--threads", "0", "--epochs", "2", "--quiet"], capsys)
    assert status == 2 and out == ""
    assert err == ("ffnn train: error: --threads must be a positive integer (BLAS threads for "
                   "the fit), got 0\n")


# -- 4. several values after a list option -------------------------------------------------------

@pytest.mark.parametrize("spelling", [["16", "32"], ["16,32"]])
def test_hidden_takes_its_sizes_apart_or_with_commas(spelling, capsys):
    status, out, _ = run(["train", "--hidden", *spelling, "--activation", "relu", "tanh",
                          "--epochs", "1", "--quiet"], capsys)
    assert status == 0 and "Network(4 -> 16 relu -> 32 tanh -> 3 softmax" in out


def test_gradcheck_s_lists_take_values_apart(capsys):
    status, out, _ = run(["gradcheck", "--layers", "6", "1", "--activations", "tanh",
                          "sigmoid", "--loss", "binary_cross_entropy"], capsys)
    assert status == 0 and out.startswith("Network(4 -> 6 tanh -> 1 sigmoid")
    status, out, _ = run(["gradcheck", "--hidden", "5", "4", "--activation", "relu"], capsys)
    assert status == 0 and out.startswith("Network(4 -> 5 relu -> 4 relu -> 3 softmax")


def test_one_value_list_options_say_how_to_write_several(capsys):
    status, _, err = run(["train", "--hidden", "none", "3"], capsys)
    assert status == 2 and "--hidden: 'none' (no hidden layer) goes alone" in err
    status, _, err = run(["predict", "model.npz", "--data", "x.csv", "--header", "a", "b",
                          "c"], capsys)
    assert status == 2
    assert err == ("ffnn predict: error: unrecognized arguments: b c (--header takes one "
                   "value: several are written with commas, --header a,b,c)\n")


# -- 5. missing files in one line -----------------------------------------------------------------

@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_missing_model_file_is_one_line_naming_it(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("a,b,y\n1,2,0\n3,4,1\n")
    status, out, err = run([command, "missing.npz", "--data", "x.csv"], capsys)
    assert status == 2 and out == ""
    assert err == f"ffnn {command}: error: MODEL: model file 'missing.npz' not found\n"
    (tmp_path / "adir").mkdir()
    status, _, err = run([command, "adir", "--data", "x.csv"], capsys)
    assert err == f"ffnn {command}: error: MODEL: 'adir' is a folder, not a model file\n"


def test_an_unreadable_model_file_says_why(tmp_path, monkeypatch, capsys):
    import ffnn.io.model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("a,b,y\n1,2,0\n3,4,1\n")
    (tmp_path / "m.npz").write_bytes(b"")

    def refuse(path, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(ffnn.io.model, "load_model", refuse)
    status, _, err = run(["predict", "m.npz", "--data", "x.csv"], capsys)
    assert status == 2
    assert err == ("ffnn predict: error: MODEL: model file 'm.npz' cannot be read (permission "
                   "denied: 'm.npz')\n")


def test_data_home_that_is_a_file_and_raw_os_errors(tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("")
    status, _, err = run(["train", "--dataset", "mnist", "--data-home",
                          str(tmp_path / "file")], capsys)
    assert status == 2 and "--data-home" in err and "not a folder" in err
    import ffnn.cli.train

    def broken(args):
        raise FileNotFoundError(2, "No such file or directory", "somewhere/x")

    monkeypatch.setattr(ffnn.cli.train, "Data", broken)
    status, _, err = run(["train"], capsys)
    assert status == 2
    assert err == "ffnn train: error: no such file or directory: 'somewhere/x'\n"


# -- 6. the JAX engine's compile message above the progress bar -----------------------------------

class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _terminal(monkeypatch) -> _Terminal:
    """stderr as a terminal, the JAX engine announcing every compile, and, as in a
    terminal, no handler on the root logger (Python's last resort then writes a record of
    the unconfigured "ffnn" logger to stderr). Called in the test itself: pytest adds its
    logging handlers after the fixtures are set up."""
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    import sys

    from ffnn.backends import jax_engine

    screen = _Terminal()
    monkeypatch.setattr(jax_engine, "ANNOUNCE_AFTER", 0.0)
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(logging.root, "handlers", [])
    assert not logging.getLogger("ffnn").handlers
    return screen


def _on_a_line_of_its_own(terminal: _Terminal) -> None:
    text = terminal.getvalue()
    at = text.index("ffnn: compiling")
    assert text[at - 1] in "\r\n"  # not after the bar's text
    assert not logging.getLogger("ffnn").handlers  # put back


def test_the_compile_message_goes_above_the_bar(monkeypatch):
    terminal = _terminal(monkeypatch)
    assert main(["train", "--engine", "jax", "--hidden", "7", "--epochs", "3"]) == 0
    _on_a_line_of_its_own(terminal)


def test_the_python_api_keeps_the_message_above_the_bar_too(monkeypatch):
    """ffnn.train(verbose=1) itself (a notebook, a script): the message on its own line."""
    terminal = _terminal(monkeypatch)
    X, T = ffnn.datasets.load_iris()
    ffnn.train(ffnn.Network(4, [6, 3], ["tanh", "softmax"], seed=0), X, T, "cross_entropy",
               epochs=3, engine="jax", verbose=1)
    _on_a_line_of_its_own(terminal)


def test_the_bars_clock_starts_after_a_slow_first_call(monkeypatch):
    """A first call that compiles (over a second) is not an epoch's time: the bar is reset
    after it, so its rate and ETA count the epochs alone."""
    import time

    from ffnn.training.loop import EpochsRun, History, run_epochs

    trainer = ffnn.Trainer(ffnn.Network(4, [3], "softmax", seed=0), "cross_entropy",
                           verbose=0, divergence_factor=float("inf"))
    trainer.stop_training = False  # as fit() starts it

    class SlowFirst:
        name, calls = "jax", 0

        def epochs_per_call(self, listening):
            return 1

        def run(self, count):
            SlowFirst.calls += 1
            if SlowFirst.calls == 1:
                time.sleep(1.1)  # a compile
            return EpochsRun([{"loss": 1.0}] * count)

    class Bar:
        total, resets, updates = 5, 0, 0

        def reset(self, total=None):
            self.resets += 1
            assert self.updates == 0  # before the first epoch is shown

        def update(self, n):
            self.updates += n

        def set_postfix(self, *args, **kwargs):
            pass

        def set_description(self, *args):
            pass

    bar = Bar()
    run_epochs(trainer, SlowFirst(), 5, History.start("accuracy", engine="jax"), bar)
    assert bar.resets == 1 and bar.updates == 5
    # a slow first NumPy epoch is an epoch: its time stays on the clock
    SlowFirst.name, SlowFirst.calls, bar = "numpy", 0, Bar()
    run_epochs(trainer, SlowFirst(), 5, History.start("accuracy", engine="numpy"), bar)
    assert bar.resets == 0 and bar.updates == 5


def test_an_optimizers_own_flag_leaves_the_datasets_optimizer(capsys):
    """--momentum asks for an optimizer of the user's choosing: the data set's Adam (which
    has no momentum) is not taken, so the error names no optimizer the user never gave."""
    status, _, err = run(["train", "--dataset", "digits", "--momentum", "0.9", "--epochs",
                          "1", "--quiet"], capsys)
    assert status == 2 and "adam" not in err, err
    status, out, _ = run(["train", "--dataset", "digits", "--optimizer", "momentum",
                          "--momentum", "0.9", "--epochs", "1", "--quiet"], capsys)
    assert status == 0 and "--optimizer" not in out.split("defaults of --dataset")[1].split(
        "\n")[0]


def test_a_program_with_logging_of_its_own_sees_each_message_once(monkeypatch):
    """With the root logger configured (basicConfig), the ffnn logger's records go there
    only: not also through the bar's tqdm.write."""
    import sys

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(logging.root, "handlers", [Keep()])

    class Says(ffnn.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            logging.getLogger("ffnn").warning("ffnn: a message")

    X, T = ffnn.datasets.load_iris()
    ffnn.train(ffnn.Network(4, [3], "softmax", seed=0), X, T, "cross_entropy", epochs=2,
               verbose=1, callbacks=[Says()])
    assert records == ["ffnn: a message"] * 2
    assert "ffnn: a message" not in terminal.getvalue()
