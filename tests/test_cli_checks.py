"""Check before work: ffnn train and ffnn sweep refuse every bad output path and option
combination before training starts (nothing on stdout yet), on one line, in the command
line's own terms; results files that are not ours are never overwritten, and only one sweep
writes a results file at a time; a late step that still fails keeps what was computed."""

from __future__ import annotations

import fcntl
import json
import time
from importlib.util import find_spec

import pytest

import ffnn
from ffnn.cli.main import main

#: The cases that --engine jax refuses for what it cannot run (without JAX it refuses for that).
NEEDS_JAX = pytest.mark.skipif(find_spec("jax") is None,
                               reason="the JAX engine needs JAX (the fast extra)")

# Python names that must never reach a command-line user.
PYTHON_NAMES = ("layer_output_sizes", "activation_funcs", "engine=", "batch_size", "beta_1",
                "max_norm", "warmup_steps", "validation_fraction", "test_size", "n_samples",
                "step_size", "weight_decay", "resume=True", "n_jobs", "Traceback")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Work in an empty folder holding one subfolder, ``adir``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


#: Data files that lose rows, hide a header or misread a target (issue 25).
BAD_FILES = {
    "quote.csv": 'a,b,y\n1,2,"cat\n3,4,dog\n5,6,cat\n',
    "newline.csv": 'a,b,y\n1,2,"two\nlines"\n3,4,dog\n',
    "headerless.csv": "5.1,3.5,setosa\n4.9,3.0,versicolor\n6.3,3.3,virginica\n",
    "na.csv": "a,b,price\n1,2,3.5\n3,4,NA\n5,6,7.25\n",
    "prices.csv": "size,price\n" + "".join(f"{i},{1000 + 37 * i}\n" for i in range(40)),
    "semicolon.csv": "a;b;y\n1;2;cat\n3;4;dog\n5;6;cat\n6;7;dog\n",
}


def refused(argv: list[str], capsys) -> str:
    """Run the command; it must end with status 2, one line on stderr and nothing on
    stdout (no header: refused before any work), quickly. Returns the line."""
    started = time.monotonic()
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    captured = capsys.readouterr()
    assert status == 2, (captured.out, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert captured.out == "", captured.out
    assert time.monotonic() - started < 15
    assert not any(name in lines[0] for name in PYTHON_NAMES), lines[0]
    return lines[0]


# -- ffnn train ---------------------------------------------------------------------------------

TRAIN_CASES = [
    # output paths
    (["--plot", "curves.xyz"], "--plot: curves.xyz has extension .xyz; matplotlib writes"),
    (["--plot", "curves"], "--plot: curves has no extension"),
    (["--plot", "adir"], "--plot: adir is a folder"),
    (["--plot", "missing/curves.png"], "--plot: the folder of missing/curves.png does not exist"),
    (["--save", "adir"], "--save: adir is a folder"),
    (["--save", "missing/m.npz"], "--save: the folder of missing/m.npz does not exist"),
    (["--save", "c.png", "--plot", "c.png"], "--save and --plot name the same file"),
    (["--plot", "c.png", "--epochs", "0"], "--plot: there are no curves to draw with --epochs 0"),
    # the recipe's options, named as flags
    (["--hidden", "0"], "--hidden: layer sizes must be positive integers, got 0"),
    (["--hidden", "8,0"], "--hidden: layer sizes must be positive integers, got 0"),
    (["--activation", "nope"], "--activation: unknown activation 'nope'"),
    (["--output-activation", "nope"], "--output-activation: unknown activation 'nope'"),
    (["--seed=-1"], "--seed must be an integer >= 0, got -1"),
    (["--init-seed=-2"], "--init-seed must be an integer >= 0, got -2"),
    (["--l2=-1"], "--l2 must be a finite number >= 0"),
    (["--min-delta=-1"], "--min-delta must be a finite number >= 0"),
    (["--lr=-1"], "--lr must be a number > 0"),
    (["--optimizer", "momentum", "--momentum", "2"], "--momentum must be in [0, 1), got 2.0"),
    (["--optimizer", "adam", "--beta1", "1.5"], "--beta1 must be in [0, 1), got 1.5"),
    (["--optimizer", "adamw", "--weight-decay=-1"], "--weight-decay must be >= 0"),
    (["--clip", "0"], "--clip must be > 0"),
    (["--schedule", "exponential", "--gamma", "2"], "--gamma must be in (0, 1]"),
    (["--schedule", "inverse_time", "--t1=-1"], "--t1 must be a number > 0"),
    (["--warmup", "0"], "--warmup must be a positive integer"),
    (["--schedule", "plateau", "--plateau-patience", "0"],
     "--plateau-patience must be a positive integer"),
    (["--early-stopping", "--patience", "0"], "--patience must be a positive integer"),
    (["--gamma", "0.5"], "--gamma applies to --schedule exponential, step, not to --schedule "
                         "constant"),
    (["--schedule", "exponential", "--t1", "5"], "--t1 applies to --schedule inverse-time"),
    # data
    (["--dataset", "cifar10"], "--dataset must be one of iris, breast-cancer"),
    (["--validation-fraction", "1.5"], "--validation-fraction must be in (0, 1), got 1.5"),
    (["--validation-fraction", "0.999"], "--validation-fraction 0.999 leaves no training"),
    (["--test-fraction", "1.5"], "--test-fraction must be in [0, 1)"),
    (["--samples", "10"], "--samples applies only to the generated data sets"),
    (["--dataset", "franke", "--samples", "0"], "--samples must be a positive integer"),
    (["--dataset", "franke", "--noise=-1"], "--noise must be a finite number >= 0"),
    # the loss against the output layer and the data, and what the JAX engine refuses
    (["--dataset", "franke", "--loss", "cross_entropy"],
     "--loss: cross_entropy needs predictions in (0, 1), so the output layer must be sigmoid "
     "or softmax, got identity (--output-activation)"),
    (["--dataset", "franke", "--loss", "binary_cross_entropy", "--output-activation",
      "sigmoid"], "--loss binary_cross_entropy does not fit the targets of --dataset franke: "
                  "binary_cross_entropy needs targets in [0, 1]"),
    pytest.param(["--engine", "jax", "--clip", "1.0"],
                 "--engine jax cannot run this training: optimizer chain(ClipGradNorm, SGD) "
                 "is not a built-in "
                 "(its formulas are not written for the array namespace); use --engine numpy "
                 "or --engine auto", marks=NEEDS_JAX),
    # with validation data and early stopping too (check_fit's other branch)
    pytest.param(["--engine", "jax", "--clip", "1.0", "--validation-fraction", "0.2",
                  "--early-stopping"],
                 "--engine jax cannot run this training: optimizer chain(ClipGradNorm, SGD) "
                 "is not a built-in",
                 marks=NEEDS_JAX),
    # issue 25: data files that would lose rows or be misread, outputs that cannot learn
    (["--data", "quote.csv"], "--data quote.csv: line 2: not a CSV row (unexpected end of "
                              "data; an unmatched quote?)"),
    (["--data", "newline.csv"], "--data newline.csv: line 2: a quoted field runs over 2 "
                                "lines"),
    (["--data", "headerless.csv"], "looks like a sample, not column names"),
    (["--data", "headerless.csv", "--header", "a,b"], "header gives 2 names, the first row "
                                                      "has 3 fields"),
    (["--data", "na.csv"], "line 3, target column 'price': 'NA' is a missing value"),
    (["--data", "prices.csv"], "'price' has 40 classes for 40 samples (whole numbers read "
                               "as class labels); for a quantity use --task regression"),
    (["--header", "none"], "--header goes with --data (your file), which is not given"),
    (["--dataset", "breast-cancer", "--loss", "binary_cross_entropy", "--output-activation",
      "softmax"], "--output-activation: the output layer's softmax over 1 output is "
                  "constant and learns nothing"),
    # the retired numba paths are not command-line choices (Python still reads them as jax)
    (["--engine", "compiled"], "argument --engine: invalid choice: 'compiled'"),
    (["--engine", "parallel"], "argument --engine: invalid choice: 'parallel'"),
]


@pytest.mark.parametrize(("argv", "message"), TRAIN_CASES)
def test_train_refuses_before_any_work_in_flag_terms(argv, message, folder, capsys):
    line = refused(["train", "--quiet", "--epochs", "2", *argv], capsys)
    assert line.startswith("ffnn train: error: ") and message in line, line
    assert sorted(p.name for p in folder.iterdir()) == sorted(["adir", *BAD_FILES])  # nothing
    # written


def test_mse_on_a_classification_set_reports_accuracy(capsys):
    """It used to train and then die with KeyError: 'accuracy'."""
    extras = [[], ["--output-activation", "sigmoid"]]  # "auto" takes NumPy in the suite
    if find_spec("jax") is not None:
        extras.append(["--output-activation", "sigmoid", "--engine", "jax"])  # the JAX path
    for extra in extras:
        argv = ["train", "--quiet", "--epochs", "20", "--loss", "mse", "--test-fraction",
                "0.2", *extra]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "train accuracy:" in out and "test accuracy:" in out
        assert "r2" not in out
    assert main(["train", "--quiet", "--epochs", "5", "--loss", "mse", "--engine", "numpy",
                 "--validation-fraction", "0.2"]) == 0
    assert "validation accuracy:" in capsys.readouterr().out


def test_a_plot_that_fails_late_keeps_the_model_and_says_so(folder, capsys, monkeypatch):
    def broken(self, path=None):
        raise RuntimeError("the disk went away\nsecond line")

    monkeypatch.setattr(ffnn.History, "plot", broken)
    status = main(["train", "--quiet", "--epochs", "5", "--save", "m.npz", "--plot",
                   "c.png"])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert lines == ["ffnn train: error: --plot: could not write c.png (RuntimeError: the "
                     "disk went away second line); the model is in m.npz"]
    assert "model written to m.npz" in captured.out
    assert ffnn.load(folder / "m.npz").n_params == 67  # saved before the plot


# -- ffnn sweep ---------------------------------------------------------------------------------

SWEEP_CASES = [
    (["--out", "adir"], "--out: adir is a folder"),
    (["--out", "missing/r.jsonl"], "--out: the folder of missing/r.jsonl does not exist"),
    (["--csv", "adir"], "--csv: adir is a folder"),
    (["--out", "r.jsonl", "--csv", "r.jsonl"], "--out and --csv name the same file"),
    (["--grid", "l2=0,0.1", "--plot", "heat.xyz"], "--plot: heat.xyz has extension .xyz"),
    (["--grid", "l2=0,0.1", "--plot", "missing/h.png"], "--plot: the folder of missing/h.png"),
    (["--n-jobs", "0"], "--n-jobs must be a positive integer or -1 (every core), got 0"),
    (["--n-jobs", "2", "--scheduler", "tcp://127.0.0.1:9"], "--n-jobs and --scheduler: give one"),
    (["--folds", "1"], "--folds must be an integer >= 2, got 1"),
    (["--random", "0"], "--random must be a positive integer, got 0"),
    (["--timeout", "0"], "--timeout must be a number of seconds > 0"),
    (["--seeds=-1,2"], "--seeds must be integers >= 0"),
    (["--seed=-1"], "--seed must be an integer >= 0"),
    (["--scoring", "r2"], "--scoring must be one of accuracy, loss for --dataset iris"),
    (["--grid", "l2=0,0.1", "--plot", "h.png", "--plot-metric", "test_accuracy"],
     "--plot-metric must be one of train_accuracy"),
    (["--plot-x", "lr"], "--plot-x goes with --plot"),
    (["--resume"], "--resume needs --out"),
    (["--samples", "5"], "--samples applies only to the generated data sets"),
    (["--grid", "l2=loguniform:0:1", "--random", "3"],
     "--grid l2: loguniform needs finite bounds LOW <= HIGH with LOW > 0"),
    # grid points the runs would refuse: named; shared options: as such
    (["--grid", "activation=relu/nope"],
     "--grid lr=0.1, activation=nope: --activation: unknown activation 'nope'"),
    (["--grid", "hidden=0/4,4"],
     "--grid lr=0.1, hidden=0: --hidden: layer sizes must be positive integers, got 0"),
    (["--grid", "epochs=-1,3"], "--grid lr=0.1, epochs=-1: --epochs must be >= 0, got -1"),
    (["--optimizer", "adam", "--momentum", "0.9"],
     "error: --momentum applies to momentum, nesterov, sklearn_sgd, adagrad, not to "
     "--optimizer adam"),
    (["--gamma", "0.5"], "error: --gamma applies to --schedule exponential, step"),
    pytest.param(["--engine", "jax", "--clip", "1.0"],
                 "error: --engine jax cannot run this training: optimizer "
                 "chain(ClipGradNorm, SGD) is not a built-in", marks=NEEDS_JAX),
    (["--dataset", "franke", "--loss", "cross_entropy", "--output-activation", "softmax"],
     "error: --loss cross_entropy does not fit the targets of --dataset franke"),
    (["--grid", "l2=-1,0.1"], "--grid lr=0.1, l2=-1.0: --l2 must be a finite number >= 0"),
]


@pytest.mark.parametrize(("argv", "message"), SWEEP_CASES)
def test_sweep_refuses_before_any_work_in_flag_terms(argv, message, folder, capsys):
    where = [] if "--n-jobs" in argv else ["--n-jobs", "1"]
    line = refused(["sweep", "--epochs", "2", *where, "--grid", "lr=0.1,0.2", *argv], capsys)
    assert line.startswith("ffnn sweep: error: ") and message in line, line
    assert sorted(p.name for p in folder.iterdir()) == sorted(["adir", *BAD_FILES])  # nothing
    # written


FOREIGN = [b'{"cfg":1}', b"   ", b"\n\n", b"a,b\n1,2\n", b"\x00\x00\x00",
           b'{"format": "other", "sweep": "x", "spec": {}}\n', b"[1, 2]\n"]


@pytest.mark.parametrize("resume", [False, True])
@pytest.mark.parametrize("contents", FOREIGN)
def test_a_file_that_is_not_a_results_file_is_never_overwritten(contents, resume, folder,
                                                                 capsys):
    out = folder / "runs.jsonl"
    out.write_bytes(contents)
    line = refused(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1",
                    "--out", "runs.jsonl", *(["--resume"] if resume else [])], capsys)
    assert "--out: runs.jsonl is not an ffnn sweep results file" in line
    assert "it is left as it is" in line
    assert out.read_bytes() == contents
    with pytest.raises(ValueError, match="is not an ffnn sweep results file"):
        ffnn.sweep("iris", grid={"lr": [0.1]}, options={"epochs": 2}, n_jobs=1, out=out,
                   resume=resume)
    assert out.read_bytes() == contents


def test_an_empty_file_is_used_and_a_file_never_written_is_not_left_behind(folder):
    empty = folder / "empty.jsonl"
    empty.write_bytes(b"")
    ffnn.sweep("iris", grid={"lr": [0.1]}, options={"epochs": 2}, n_jobs=1, out=empty)
    lines = empty.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "ffnn-sweep/1" and len(lines) == 2
    with pytest.raises(ValueError, match="n_jobs must be"):  # refused before the file
        ffnn.sweep("iris", grid={"lr": [0.1]}, n_jobs=0, out=folder / "never.jsonl")
    assert not (folder / "never.jsonl").exists()


def test_another_sweeps_file_is_refused_without_resume_too(folder, capsys):
    out = folder / "runs.jsonl"
    assert main(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1", "--out",
                 str(out)]) == 0
    capsys.readouterr()
    saved = out.read_bytes()
    for extra in ([], ["--resume"]):
        line = refused(["sweep", "--epochs", "3", "--n-jobs", "1", "--grid", "lr=0.1",
                        "--out", str(out), *extra], capsys)
        assert "holds another sweep" in line and "differ in: options" in line, line
    # the same sweep again: continued, nothing run, nothing written
    assert main(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1", "--out",
                 str(out)]) == 0
    assert "1 runs, 1 already done" in capsys.readouterr().out
    assert out.read_bytes() == saved


def test_a_results_file_locked_by_another_sweep_is_refused_at_once(folder, capsys):
    out = folder / "runs.jsonl"
    assert main(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1,0.2",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    saved = out.read_bytes()
    with open(out, "rb") as held:  # as a running sweep holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        line = refused(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1,0.2",
                        "--out", str(out), "--resume"], capsys)
        assert f"--out: {out} is in use by another sweep" in line, line
        with pytest.raises(ValueError, match="is in use by another sweep"):
            ffnn.sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 2}, n_jobs=1,
                       out=out, resume=True)
    assert out.read_bytes() == saved
    # released: the same resume now finds every run done
    assert main(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1,0.2", "--out",
                 str(out), "--resume"]) == 0
    assert "2 runs, 2 already done" in capsys.readouterr().out


def test_mse_on_a_classification_sweep_ranks_by_accuracy(capsys):
    assert main(["sweep", "--epochs", "5", "--n-jobs", "1", "--loss", "mse", "--grid",
                 "lr=0.1,0.5", "--no-stack"]) == 0
    assert "ranked by val_accuracy" in capsys.readouterr().out


def test_a_heatmap_that_fails_late_keeps_the_results_and_says_so(folder, capsys,
                                                                 monkeypatch):
    from ffnn.sweeps.analysis import SweepResult

    def broken(self, *args, **kwargs):
        raise RuntimeError("no space left")

    monkeypatch.setattr(SweepResult, "plot_heatmap", broken)
    status = main(["sweep", "--epochs", "2", "--n-jobs", "1", "--grid", "lr=0.1,0.2",
                   "--grid", "l2=0,0.1", "--out", "runs.jsonl", "--csv", "runs.csv",
                   "--plot", "heat.png"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert lines == ["ffnn sweep: error: --plot: could not write heat.png (RuntimeError: no "
                     "space left); the results are in runs.jsonl and the table in runs.csv"]
    assert len((folder / "runs.jsonl").read_text().splitlines()) == 5
    assert len((folder / "runs.csv").read_text().splitlines()) == 5
