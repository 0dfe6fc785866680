"""Sweeps: the same table in-process, on local processes and on a real Dask cluster; a dead
worker and a killed sweep lose nothing; bad input is refused clearly."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

import ffnn
from ffnn.cli.main import main
from ffnn.sweeps.grid import expand_grid, parse_values
from ffnn.sweeps.search import sweep

GRID = {"lr": [1e-3, 1e-2, 1e-1], "l2": [0.0, 1e-3, 1e-2]}
OPTIONS = {"hidden": [10], "epochs": 20, "batch_size": 32}
CLI_GRID = ["--grid", "lr=0.001,0.01,0.1", "--grid", "l2=0,0.001,0.01"]
CLI_OPTIONS = ["--dataset", "breast-cancer", "--standardize", "--hidden", "10", "--epochs", "20",
               "--batch-size", "32"]


@contextlib.contextmanager
def dask_cluster(folder: Path, n_workers: int = 2):
    """``dask scheduler`` and ``dask worker`` as separate processes on loopback."""
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    dask = [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(n_workers):
            procs.append(subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(n_workers, timeout=60)
        yield address, procs[1:]
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def in_process():
    """The grid in this process, stacked. Module-scoped, so set up before the suite's patch
    that makes "auto" take NumPy (tests/conftest.py): the patch is made here too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ffnn.training.paths.AUTO_JAX_AFTER", math.inf)
        return sweep("breast-cancer", grid=GRID, options=OPTIONS, standardize=True, n_jobs=1)


def test_a_grid_has_every_run_in_order_and_the_best_configuration(in_process):
    assert [r["params"] for r in in_process.records] == expand_grid(GRID)
    assert [r["index"] for r in in_process.records] == list(range(9))
    assert all(r["error"] is None and r["epochs"] == 20 for r in in_process.records)
    assert len({r["run"] for r in in_process.records}) == 9
    best = in_process.best
    means = [c["mean"] for c in in_process.configurations()]
    assert means == sorted(means, reverse=True) and best["mean"] == means[0]
    assert best["mean"] >= 0.9
    # a run equals training it by hand with the same split, scaling and seed
    record = in_process.records[4]
    data = ffnn.datasets.load_dataset("breast-cancer")
    index = np.arange(len(data.X))[:, None]
    train, val, _, _ = ffnn.datasets.split(index, data.targets, 0.2, seed=0)
    X_train, X_val, _ = ffnn.datasets.standardize(data.X[train[:, 0]], data.X[val[:, 0]])
    net = ffnn.Network(30, [10, 2], ["sigmoid", "softmax"], seed=0)  # ffnn train's default
    ffnn.train(net, X_train, data.targets[train[:, 0]], "cross_entropy",
               learning_rate=record["params"]["lr"], l2=record["params"]["l2"], epochs=20,
               batch_size=32, seed=0, verbose=0)
    predicted = net.predict(X_val).argmax(axis=1) == data.targets[val[:, 0]].argmax(axis=1)
    assert record["val_accuracy"] == pytest.approx(predicted.mean(), abs=1e-12)


@pytest.mark.parametrize("engine", ["numpy", pytest.param("auto", marks=pytest.mark.auto_jax)])
def test_local_processes_and_a_dask_cluster_give_the_same_table(engine, tmp_path,
                                                                monkeypatch):
    """One run per task (stack=False), and stacks: the same numbers wherever they ran. The
    engine is named, as every process must take the same one: on NumPy (stacks on the
    stacked trainer), and under "auto" with JAX taken for every fit, here by the mark and in
    the workers by FFNN_AUTO_JAX_AFTER=0 (each run on the JAX engine, and each network of a
    stack too, bit for bit as alone)."""
    options = {**OPTIONS, "engine": engine}
    monkeypatch.setenv("FFNN_AUTO_JAX_AFTER", "0")

    def run(**where):
        return sweep("breast-cancer", grid=GRID, options=options, standardize=True, **where)

    in_process, alone = run(n_jobs=1), run(n_jobs=1, stack=False)
    on_processes = run(n_jobs=2, stack=False)
    assert on_processes.comparable() == alone.comparable()
    assert len({r["worker"] for r in on_processes.records}) == 2
    stacked_on_processes = run(n_jobs=2)
    assert stacked_on_processes.comparable() == in_process.comparable()
    with dask_cluster(tmp_path) as (address, _):
        on_cluster = run(scheduler=address, stack=False)
        stacked_on_cluster = run(scheduler=address)
    assert on_cluster.comparable() == alone.comparable()
    assert stacked_on_cluster.comparable() == in_process.comparable()
    assert stacked_on_cluster.stacked == in_process.stacked == 9
    assert all(r["worker"].startswith("tcp://127.0.0.1:") for r in on_cluster.records)
    if engine == "auto" and find_spec("jax") is not None:
        assert in_process.comparable() == alone.comparable()


def read_runs(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "ffnn-sweep/1"
    return [json.loads(line) for line in lines[1:]]


def slow_cli(out: Path, *extra: str) -> list[str]:
    """A sweep whose runs last long enough to be interrupted (150 epochs of batch 8 on the
    NumPy engine, named: "auto" would take JAX in the command and NumPy in this process)."""
    return [sys.executable, "-m", "ffnn", "sweep", *CLI_OPTIONS[:-4], "--epochs", "150",
            "--batch-size", "8", "--hidden", "10", *CLI_GRID, "--out", str(out), "--no-stack",
            "--engine", "numpy", *extra]


def wait_for_runs(path: Path, count: int, proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) > count:
            return
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} runs in {timeout} s")


def test_sigkill_to_a_worker_still_finishes_every_run_exactly_once(tmp_path):
    out = tmp_path / "runs.jsonl"
    with dask_cluster(tmp_path, n_workers=2) as (address, workers):
        proc = subprocess.Popen(slow_cli(out, "--scheduler", address),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_runs(out, 1, proc)
        workers[0].send_signal(signal.SIGKILL)
        _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    runs = read_runs(out)
    assert sorted(r["index"] for r in runs) == list(range(9))  # each exactly once
    assert all(r["error"] is None for r in runs)
    expected = sweep("breast-cancer", grid=GRID, standardize=True, n_jobs=1, stack=False,
                     options={"hidden": [10], "epochs": 150, "batch_size": 8,
                              "engine": "numpy"})
    by_index = {r["index"]: r for r in runs}
    drop = ("seconds", "worker")
    assert [{k: v for k, v in by_index[i].items() if k not in drop} for i in range(9)] == \
        expected.comparable()


def test_a_killed_sweep_resumes_with_only_the_missing_runs(tmp_path):
    out = tmp_path / "runs.jsonl"
    proc = subprocess.Popen(slow_cli(out, "--n-jobs", "1"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_runs(out, 2, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = read_runs(out)
    assert 2 <= len(before) < 9
    with open(out, "a") as f:  # a line torn by the kill
        f.write('{"sweep": "' + before[0]["sweep"] + '", "run": "abc", "ind')
    done = subprocess.run(slow_cli(out, "--n-jobs", "1", "--resume"), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} already done" in done.stdout
    runs = read_runs(out)
    assert sorted(r["index"] for r in runs) == list(range(9))
    assert runs[:len(before)] == before  # nothing already saved was lost or rewritten
    uninterrupted = tmp_path / "whole.jsonl"
    subprocess.run(slow_cli(uninterrupted, "--n-jobs", "1"), check=True, capture_output=True,
                   timeout=300)
    def strip(records):
        kept = [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in records]
        return sorted(kept, key=lambda r: r["index"])

    assert strip(runs) == strip(read_runs(uninterrupted))


def test_the_cli_writes_jsonl_csv_and_a_heatmap(tmp_path, capsys):
    out, csv, png = tmp_path / "runs.jsonl", tmp_path / "runs.csv", tmp_path / "heat.png"
    argv = ["sweep", *CLI_OPTIONS, *CLI_GRID, "--n-jobs", "1", "--out", str(out), "--csv",
            str(csv), "--plot", str(png)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "trained now: 9 runs, 9 of them in stacks\n" in printed
    assert "9 runs (0 failed, 0 diverged), 9 configurations" in printed
    assert "best: " in printed
    runs = read_runs(out)
    assert len(runs) == 9 and png.stat().st_size > 0
    assert len(csv.read_text().splitlines()) == 10
    assert [r["params"] for r in runs] == expand_grid(GRID)


def test_the_heatmap_shows_lr_against_l2_with_zero_as_a_cell(in_process):
    x_values, y_values, matrix = in_process.heatmap_data("lr", "l2")
    assert x_values == [1e-3, 1e-2, 1e-1] and y_values == [0.0, 1e-3, 1e-2]
    for r in in_process.records:
        i, j = x_values.index(r["params"]["lr"]), y_values.index(r["params"]["l2"])
        assert matrix[j, i] == r["val_accuracy"]
    figure = in_process.plot_heatmap("lr", "l2")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "0.001", "0.01"]
    assert "lr" in ax.get_xlabel() and "l2" in ax.get_ylabel()
    np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), matrix)


def test_seeds_folds_and_a_random_search():
    result = sweep("iris", grid={"lr": [0.1, 1.0]}, options={"epochs": 30}, seeds=[0, 1],
                   folds=3, n_jobs=1)
    assert len(result.records) == 2 * 2 * 3
    assert {(r["seed"], r["fold"]) for r in result.records} == \
        {(s, f) for s in (0, 1) for f in range(3)}
    assert all(c["n"] == 6 for c in result.configurations())
    drawn = sweep("iris", distributions={"lr": ("loguniform", 1e-3, 1.0),
                                         "hidden": [[4], [8]]}, n_iter=4,
                  options={"epochs": 5}, n_jobs=1, random_state=3)
    again = sweep("iris", distributions={"lr": ("loguniform", 1e-3, 1.0),
                                         "hidden": [[4], [8]]}, n_iter=4,
                  options={"epochs": 5}, n_jobs=1, random_state=3)
    assert drawn.comparable() == again.comparable()
    assert all(1e-3 <= r["params"]["lr"] <= 1.0 for r in drawn.records)


def test_arrays_regression_and_a_run_that_fails_or_diverges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y = X @ [1.0, -2.0, 0.5]
    result = sweep((X, y), grid={"lr": [0.01, 1e6], "activation": ["tanh", "nope"]},
                   options={"epochs": 20, "hidden": [5]}, n_jobs=1)
    by = {(r["params"]["lr"], r["params"]["activation"]): r for r in result.records}
    assert by[0.01, "tanh"]["error"] is None and by[0.01, "tanh"]["val_r2"] > 0
    assert by[1e6, "tanh"]["diverged"] is True
    assert "unknown activation 'nope'" in by[0.01, "nope"]["error"]
    assert result.best["params"] == {"lr": 0.01, "activation": "tanh"}


def test_parse_values_spells_log_and_linear_spaces():
    assert parse_values("logspace:-5:1:7") == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    assert parse_values("linspace:0:1:3") == [0.0, 0.5, 1.0]
    assert parse_values("0,0.001,relu") == [0, 0.001, "relu"]
    with pytest.raises(ValueError, match="expected logspace:START:STOP:NUM"):
        parse_values("logspace:-5:1")


@pytest.mark.parametrize("argv,message", [
    (["--grid", "learning_rate=0.1"], "unknown option 'learning_rate'; valid names are hidden"),
    (["--grid", "lr="], "--grid lr: no values"),
    ([], "give at least one option to sweep"),
    (["--grid", "lr=0.1", "--scheduler", "tcp://127.0.0.1:9", "--timeout", "2"],
     "scheduler tcp://127.0.0.1:9: no answer within 2 s"),
    (["--grid", "lr=fast"], "--grid lr: could not convert"),
])
def test_bad_sweeps_are_refused_on_one_line(argv, message, capsys):
    started = time.monotonic()
    assert main(["sweep", "--epochs", "1", *argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert time.monotonic() - started < 30


def test_an_empty_grid_and_unknown_names_in_python():
    with pytest.raises(ValueError, match=r"grid\['lr'\] is empty"):
        sweep("iris", grid={"lr": []}, n_jobs=1)
    with pytest.raises(ValueError, match="grid is empty"):
        sweep("iris", grid={}, n_jobs=1)
    with pytest.raises(ValueError, match="unknown training option"):
        sweep("iris", grid={"rate": [1]}, n_jobs=1)


def test_resume_refuses_the_file_of_another_sweep_and_keeps_it(tmp_path):
    out = tmp_path / "runs.jsonl"
    sweep("iris", grid={"lr": [0.1]}, options={"epochs": 2}, n_jobs=1, out=out)
    saved = out.read_bytes()
    with pytest.raises(ValueError, match=r"holds another sweep .* differ in: points"):
        sweep("iris", grid={"lr": [0.2]}, options={"epochs": 2}, n_jobs=1, out=out,
              resume=True)
    assert out.read_bytes() == saved


def test_the_same_sweep_run_twice_continues_its_file(tmp_path):
    """Pasting a sweep twice: the second reads the first's runs back and runs none."""
    out = tmp_path / "runs.jsonl"
    first = sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 2}, n_jobs=1, out=out)
    saved = out.read_bytes()
    second = sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 2}, n_jobs=1, out=out)
    assert out.read_bytes() == saved
    assert [r["run"] for r in second.records] == [r["run"] for r in first.records]
    assert second.best == first.best


def test_ffnn_train_and_the_recipe_share_their_defaults():
    from ffnn.cli.sweep import _option_actions
    from ffnn.sweeps.recipe import TRAIN_OPTIONS

    actions = _option_actions()
    assert set(actions) == set(TRAIN_OPTIONS)
    assert {name: action.default for name, action in actions.items()} == TRAIN_OPTIONS


def test_ffnn_sweep_is_the_function_and_the_csv_needs_no_pandas(tmp_path, in_process):
    assert ffnn.sweep is sweep
    in_process.save_csv(tmp_path / "t.csv")
    header, *rows = (tmp_path / "t.csv").read_text().splitlines()
    assert header.startswith("param_lr,param_l2,sweep,run,index") and len(rows) == 9


def assert_tables_agree(a, b, rtol=1e-9):
    assert len(a.records) == len(b.records)
    for x, y in zip(a.comparable(), b.comparable()):
        assert x.keys() == y.keys()
        for key in x:
            if isinstance(x[key], float) and isinstance(y[key], float):
                assert x[key] == pytest.approx(y[key], rel=rtol, abs=1e-12), key
            else:
                assert x[key] == y[key], key


def test_the_sweep_stacks_what_it_can_and_no_stack_gives_the_same_table(in_process):
    alone = sweep("breast-cancer", grid=GRID, options=OPTIONS, standardize=True, n_jobs=1,
                  stack=False)
    assert in_process.stacked == 9 and alone.stacked == 0
    assert_tables_agree(in_process, alone)
    # hidden sizes and seeds split the stacks; early stopping cannot stack at all
    mixed = {"lr": [0.01, 0.1], "hidden": [[4], [6]]}
    result = sweep("iris", grid=mixed, options={"epochs": 10}, seeds=[0, 1], n_jobs=1)
    assert result.stacked == 8  # four stacks of two learning rates
    assert_tables_agree(result, sweep("iris", grid=mixed, options={"epochs": 10},
                                      seeds=[0, 1], n_jobs=1, stack=False))
    stopping = sweep("iris", grid={"lr": [0.01, 0.1]}, n_jobs=1,
                     options={"epochs": 10, "early_stopping": True})
    assert stopping.stacked == 0


def test_the_course_grid_with_diverging_rates_runs_stacked_from_the_cli(tmp_path, capsys):
    argv = ["sweep", "--dataset", "breast-cancer", "--standardize", "--test-fraction", "0.2",
            "--hidden", "50", "--loss", "binary_cross_entropy", "--output-activation",
            "sigmoid", "--batch-size", "100", "--epochs", "10", "--grid",
            "lr=logspace:-5:1:7", "--grid", "l2=logspace:-5:1:7", "--n-jobs", "1", "--out",
            str(tmp_path / "grid.jsonl")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "49 runs (0 failed" in printed and "49 of them in stacks" in printed
    runs = read_runs(tmp_path / "grid.jsonl")
    diverged = {r["params"]["lr"] for r in runs if r["diverged"]}
    assert diverged and diverged <= {1.0, 10.0}
    assert all(math.isfinite(r["test_loss"]) for r in runs)
    assert main([*argv[:-1], str(tmp_path / "alone.jsonl"), "--no-stack"]) == 0
    alone = {r["index"]: r for r in read_runs(tmp_path / "alone.jsonl")}
    for r in runs:
        other = alone[r["index"]]
        assert (r["diverged"], r["epochs"], r["test_accuracy"]) == \
            (other["diverged"], other["epochs"], other["test_accuracy"])


def test_one_client_runs_two_sweeps_and_a_mute_listener_times_out(tmp_path):
    import socket
    import threading

    from distributed import Client

    with dask_cluster(tmp_path, n_workers=1) as (address, _), Client(address) as client:
        first = sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 3},
                      scheduler=client, stack=False)
        second = sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 3},
                       scheduler=client, stack=False)
        assert first.comparable() == second.comparable()
        assert all(r["error"] is None for r in second.records)
    listener = socket.create_server(("127.0.0.1", 0))
    held = []
    threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
    port = listener.getsockname()[1]
    out = tmp_path / "never.jsonl"
    started = time.monotonic()
    with pytest.raises(ValueError, match="no answer within 2 s"):
        sweep("iris", grid={"lr": [0.1]}, scheduler=f"tcp://127.0.0.1:{port}", timeout=2,
              out=out)
    assert time.monotonic() - started < 15
    assert not out.exists()  # nothing written for a sweep that never started
    for connection, _ in held:
        connection.close()
    listener.close()


def test_the_sweep_id_ignores_spelling_and_order(tmp_path):
    out = tmp_path / "runs.jsonl"
    first = sweep("iris", grid={"lr": [0.1, 1], "l2": [0, 1e-3]},
                  options={"epochs": 2.0}, n_jobs=1, out=out)
    again = sweep("iris", grid={"l2": [0.0, 0.001], "lr": [0.1, 1.0]},
                  options={"epochs": 2}, n_jobs=1, out=out, resume=True)
    assert again.sweep_id == first.sweep_id and again.stacked == 0  # nothing ran again
    assert {r["run"] for r in again.records} == {r["run"] for r in first.records}


def test_resume_skips_junk_lines_and_restarts_a_torn_header(tmp_path):
    out = tmp_path / "runs.jsonl"
    sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 2}, n_jobs=1, out=out,
          stack=False)
    with open(out, "a") as f:
        f.write('[1, 2]\n{"sweep": "x"}\n"text"\n')
    resumed = sweep("iris", grid={"lr": [0.1, 0.2]}, options={"epochs": 2}, n_jobs=1,
                    out=out, resume=True, stack=False)
    assert len(resumed.records) == 2
    torn = tmp_path / "torn.jsonl"
    torn.write_text('{"format": "ffnn-sweep/1", "swe')
    result = sweep("iris", grid={"lr": [0.1]}, options={"epochs": 2}, n_jobs=1, out=torn,
                   resume=True)
    assert len(read_runs(torn)) == 1 and result.records[0]["error"] is None


def test_a_swept_loss_gets_its_own_targets_and_values_stay_standard_json(tmp_path):
    out = tmp_path / "runs.jsonl"
    result = sweep("breast-cancer", grid={"loss": ["binary_cross_entropy", "cross_entropy"],
                                          "lr": [0.1, 1e6]},
                   options={"epochs": 5, "hidden": [5], "output_activation": "sigmoid"},
                   standardize=True, n_jobs=1, out=out)
    by = {(r["params"]["loss"], r["params"]["lr"]): r for r in result.records}
    alone = sweep("breast-cancer", grid={"lr": [0.1]}, standardize=True, n_jobs=1,
                  options={"epochs": 5, "hidden": [5], "output_activation": "sigmoid",
                           "loss": "binary_cross_entropy"})
    assert by["binary_cross_entropy", 0.1]["val_accuracy"] == \
        alone.records[0]["val_accuracy"]
    assert by["binary_cross_entropy", 1e6]["diverged"] is True

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    for line in out.read_text().splitlines():
        json.loads(line, parse_constant=refuse)


def test_what_alone_refuses_or_fails_is_not_hidden_by_stacking():
    grid = {"lr": [0.01, 0.1]}
    for options in ({"engine": "jax", "clip": 1.0, "epochs": 2},  # a chain: JAX refuses
                    {"batch_size": 16.5, "epochs": 2}):
        stacked = sweep("iris", grid=grid, options=options, n_jobs=1)
        alone = sweep("iris", grid=grid, options=options, n_jobs=1, stack=False)
        assert stacked.comparable() == alone.comparable()
        assert all(r["error"] for r in stacked.records) and stacked.stacked == 0


def test_a_generated_data_set_is_drawn_the_same_every_time():
    tables = [sweep("franke", grid={"lr": [0.01]}, options={"epochs": 2, "hidden": [4]},
                    dataset_options={"n_samples": 60}, n_jobs=1).comparable()
              for _ in range(2)]
    assert tables[0] == tables[1]


def test_a_verbose_sweep_prints_its_grid_and_shows_progress(capsys):
    result = ffnn.sweep("iris", grid={"lr": [0.01, 0.1], "l2": [0.0, 0.01]},
                        options={"hidden": [4], "epochs": 2}, seeds=[0, 1], n_jobs=1,
                        verbose=2)
    captured = capsys.readouterr()
    assert "8 runs, 0 already done" in captured.out
    assert "grid lr: 0.01, 0.1 × l2: 0.0, 0.01 = 4 points × 2 seed(s)" in captured.out
    assert "sweep:" in captured.err and "/8 [" in captured.err and "run/s" in captured.err
    assert len(result.records) == 8


def test_sweep_result_repr_is_one_line_with_the_best_configuration():
    records = [
        {"params": {"lr": 0.1}, "val_accuracy": 0.8, "error": None, "diverged": False},
        {"params": {"lr": 0.1}, "val_accuracy": 0.9, "error": None, "diverged": False},
        {"params": {"lr": 1.0}, "val_accuracy": 0.5, "error": None, "diverged": True},
        {"params": {"lr": 9.0}, "val_accuracy": None, "error": "boom", "diverged": False},
    ]
    shown = repr(ffnn.sweeps.SweepResult(records, "accuracy", "abc"))
    assert "\n" not in shown and len(shown) < 200
    assert shown.startswith("SweepResult(abc: 4 runs (1 failed, 1 diverged), 3 configurations")
    assert "best val_accuracy 0.85 ± 0.05 (n=2): lr=0.1" in shown
    assert repr(ffnn.sweeps.SweepResult([], "accuracy", "x")) == \
        "SweepResult(x: 0 runs (0 failed, 0 diverged))"


def test_options_newer_than_the_results_format_keep_the_sweep_id_at_their_default():
    """A results file from before ``penalize_biases`` existed still resumes: the option at its
    default does not enter the id; set, it does."""
    common = dict(grid={"lr": [0.1]}, seeds=[0], n_jobs=1)
    base = ffnn.sweep("iris", options={"epochs": 2}, **common).sweep_id
    same = ffnn.sweep("iris", options={"epochs": 2, "penalize_biases": False}, **common)
    other = ffnn.sweep("iris", options={"epochs": 2, "penalize_biases": True}, **common)
    assert same.sweep_id == base != other.sweep_id
    assert "penalize_biases" not in json.dumps(same.spec["options"])
    # device (issue 23): the same
    same = ffnn.sweep("iris", options={"epochs": 2, "device": None}, **common)
    other = ffnn.sweep("iris", options={"epochs": 2, "device": "cpu"}, **common)
    assert same.sweep_id == base != other.sweep_id
    assert other.records[0]["error"] is None


def test_ranking_and_heatmap_leave_out_the_same_runs():
    """A diverged run keeps its last good weights and a score, but neither the ranking nor
    the heatmap counts it: one rule (ffnn.plotting.run_score) for both."""
    records = [
        {"params": {"lr": 0.1, "l2": 0.0}, "val_accuracy": 0.7, "error": None,
         "diverged": False},
        {"params": {"lr": 1.0, "l2": 0.0}, "val_accuracy": 0.99, "error": None,
         "diverged": True},
        {"params": {"lr": 1.0, "l2": 0.0}, "val_accuracy": 0.6, "error": None,
         "diverged": False},
    ]
    result = ffnn.sweeps.SweepResult(records, "accuracy", "abc")
    means = {c["params"]["lr"]: (c["mean"], c["n"]) for c in result.configurations()}
    assert means == {0.1: (0.7, 1), 1.0: (0.6, 1)}
    assert result.best["params"]["lr"] == 0.1
    xs, _, matrix = result.heatmap_data("lr", "l2")
    assert dict(zip(xs, matrix[0])) == {0.1: 0.7, 1.0: 0.6}


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_a_sweeps_own_workers_take_one_core_each(monkeypatch):
    """The LocalCluster a sweep starts tells its workers the cores (FFNN_SWEEP_CORES); each
    takes the one of its number, once, before its first run (XLA then starts one thread of
    products, not one per core); elsewhere nothing is touched."""
    from ffnn.sweeps import runner as sweeps

    distributed = pytest.importorskip("distributed")
    taken = []
    monkeypatch.setattr(os, "sched_setaffinity", lambda pid, cores: taken.append(cores))
    monkeypatch.setattr(distributed, "get_worker", lambda: type("W", (), {"name": 3})())
    monkeypatch.setenv(sweeps.PIN_CORES, "0,1")
    sweeps._pin_worker()
    sweeps._pin_worker()  # once: the variable is gone
    assert taken == [{1}] and sweeps.PIN_CORES not in os.environ
    sweeps._pin_worker()  # not a sweep's worker: nothing
    monkeypatch.setenv(sweeps.PIN_CORES, "0,1")
    monkeypatch.setattr(distributed, "get_worker", lambda: type("W", (), {"name": "x"})())
    sweeps._pin_worker()  # a worker with a name of its own: left as it is
    assert taken == [{1}]


def test_a_sweep_whose_every_run_fails_says_why(tmp_path, capsys):
    """Issue 25: it printed "best: … (val_accuracy nan)" and nothing of the reason."""
    result = sweep("iris", grid={"activation": ["nope", "nada"]}, options={"epochs": 2},
                   n_jobs=1)
    reason = result.no_score_reason()
    assert reason.startswith("no run of 2 has a val_accuracy: 2 failed (1 with: ")
    assert "unknown activation" in reason
    with pytest.raises(ValueError, match="no run of 2 has a val_accuracy"):
        result.best  # noqa: B018
    diverged = sweep("iris", grid={"lr": [1e9, 1e10]}, options={"epochs": 5}, n_jobs=1)
    assert diverged.no_score_reason() == "no run of 2 has a val_accuracy: 2 diverged"
    main(["sweep", "--dataset", "iris", "--grid", "lr=1e9,1e10", "--epochs", "5", "--n-jobs",
          "1", "--no-stack"])
    printed = capsys.readouterr().out
    assert "best: none; no run of 2 has a val_accuracy: 2 diverged" in printed
    assert "nan" not in printed.split("best:")[1]
