"""Sweeps' defaults fit the work (issue "the first fifteen minutes"): in this process unless
the work pays for starting local workers, stacks only where they win, ``data_home=`` and
``threads=`` as arguments, and a header that says where the runs go and whether they stack."""

from __future__ import annotations

import numpy as np
import pytest

from ffnn.cli.main import main
from ffnn.sweeps import runner, search
from ffnn.sweeps.search import sweep
from test_mnist import make_parts, offline, write_set  # noqa: F401  (offline: its fixture)

SMALL = {"grid": {"lr": [0.05, 0.1]}, "options": {"epochs": 3}}


def _here(context, chunks, n_jobs, scheduler, timeout, started):
    """on_dask's stand-in: the tasks in this process, and the call recorded."""
    _here.calls.append(n_jobs)
    started()
    for chunk in chunks:
        yield runner.run_chunk(context, chunk)


@pytest.fixture
def dask_recorded(monkeypatch):
    pytest.importorskip("distributed")
    _here.calls = []
    monkeypatch.setattr(search, "on_dask", _here)
    return _here.calls


def test_a_small_sweep_stays_in_this_process_with_dask_installed(dask_recorded, capsys):
    """It started a LocalCluster on every core (25 s against 11 s for the README's sweep)."""
    result = sweep("iris", **SMALL, verbose=1)
    assert dask_recorded == [] and len(result.records) == 2
    header = capsys.readouterr().out
    assert "where: in this process: 2 runs, ~" in header
    assert "less than starting" in header and "local worker" in header


def test_work_that_pays_for_the_workers_goes_to_them(dask_recorded, monkeypatch, capsys):
    monkeypatch.setattr(search, "local_workers", lambda n_jobs: 4)
    monkeypatch.setattr(search, "CLUSTER_START_SECONDS", 0.0)
    result = sweep("iris", **SMALL, stack=False, verbose=1)
    assert dask_recorded == [None] and len(result.records) == 2
    assert "where: 4 local worker processes: 2 runs" in capsys.readouterr().out
    # asked for: local workers whatever the work; n_jobs=1 here whatever the work
    sweep("iris", **SMALL, n_jobs=2)
    assert dask_recorded == [None, 2]
    sweep("iris", **SMALL, n_jobs=1, verbose=1)
    assert dask_recorded == [None, 2]
    assert "where: in this process (n_jobs=1" in capsys.readouterr().out


def test_without_dask_the_default_runs_here_and_says_so(monkeypatch, capsys):
    monkeypatch.setattr(search, "installed", lambda name: name != "distributed")
    monkeypatch.setattr(search, "on_dask", None)  # never reached
    sweep("iris", **SMALL, verbose=1)
    assert "where: in this process (n_jobs=None without Dask" in capsys.readouterr().out


def test_the_cost_model_estimates_a_run_and_a_stack():
    """One run of the README's breast-cancer sweep (455 samples, 30 -> 50 -> 2, 60 epochs
    of 32): measured 0.11-0.28 s; a stack pays the steps' overhead once."""
    X, T = np.zeros((569, 30)), np.zeros((569, 2))
    context = {"X": X, "T": T, "folds": None, "holdout": (np.arange(455), np.arange(114)),
               "options": {"hidden": [50], "epochs": 60, "batch_size": 32}}
    jobs = [{"params": {"lr": lr}, "seed": 0, "fold": 0} for lr in (0.1, 0.2)]
    one = runner.estimated_seconds(context, jobs[:1])
    assert 0.1 < one < 0.3
    assert one < runner.estimated_seconds(context, jobs) < 2 * one


def _wide(n_features: int):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_features))
    return X, (X[:, 0] > 0).astype(int)


def test_stack_auto_stacks_small_networks_and_not_large_ones(capsys):
    """MNIST-size networks lost stacked (16 runs 15.0-15.9 s against 10.6 s one by one)."""
    small = sweep("iris", grid={"lr": [0.05, 0.1, 0.2]}, options={"epochs": 3}, n_jobs=1,
                  verbose=1)
    assert small.stacked == 3
    assert "stacks: 3 of 3 runs in 1 stack (networks of 67 parameters: stacks win up to " \
           f"{runner.STACK_MAX_PARAMS})" in capsys.readouterr().out
    grid, options = {"lr": [0.05, 0.1]}, {"epochs": 1, "hidden": [100]}
    wide = _wide(200)  # 201 x 100 + 101 x 2 parameters
    assert runner.STACK_MAX_PARAMS < (201 * 100 + 101 * 2)
    alone = sweep(wide, grid=grid, options=options, n_jobs=1, verbose=1)
    assert alone.stacked == 0
    assert "stacks: none: networks of 20302 parameters, over the" in capsys.readouterr().out
    forced = sweep(wide, grid=grid, options=options, n_jobs=1, stack=True, verbose=1)
    assert forced.stacked == 2 and "(stack=True, --stack)" in capsys.readouterr().out
    refused = sweep("iris", grid={"lr": [0.05, 0.1]}, options={"epochs": 3}, n_jobs=1,
                    stack=False, verbose=1)
    assert refused.stacked == 0 and "stacks: none (stack=False" in capsys.readouterr().out


def test_stack_auto_follows_the_measured_limit(monkeypatch):
    monkeypatch.setattr(runner, "STACK_MAX_PARAMS", 66)  # iris's 4 -> 8 -> 3 has 67
    assert sweep("iris", grid={"lr": [0.05, 0.1]}, options={"epochs": 2},
                 n_jobs=1).stacked == 0
    monkeypatch.setattr(runner, "STACK_MAX_PARAMS", 67)
    assert sweep("iris", grid={"lr": [0.05, 0.1]}, options={"epochs": 2},
                 n_jobs=1).stacked == 2



@pytest.mark.usefixtures("offline")
def test_data_home_is_an_argument_of_sweep(tmp_path):
    write_set(tmp_path / "mnist", make_parts(60, 20))
    common = dict(grid={"lr": [0.1, 0.2]}, options={"epochs": 1, "hidden": [4]}, n_jobs=1)
    result = sweep("mnist", data_home=tmp_path, **common)
    assert all(r["test_accuracy"] is not None for r in result.records)
    through_options = sweep("mnist", dataset_options={"data_home": tmp_path}, **common)
    assert through_options.sweep_id == result.sweep_id
    both = sweep("mnist", data_home=str(tmp_path), dataset_options={"data_home": tmp_path},
                 **common)  # one folder, a str and a Path: no conflict
    assert both.sweep_id == result.sweep_id
    with pytest.raises(ValueError, match=r"data_home=.* and dataset_options\['data_home'\]"):
        sweep("mnist", data_home=tmp_path, dataset_options={"data_home": tmp_path / "x"},
              **common)
    with pytest.raises(ValueError, match=r"data_home is the folder .* but data is tuple"):
        sweep((np.zeros((10, 2)), np.arange(10) % 2), data_home=tmp_path, **common)
    with pytest.raises(ValueError, match="data_home applies only to"):
        sweep("iris", data_home=tmp_path, **common)


def test_threads_reach_threadpoolctl(monkeypatch):
    import threadpoolctl

    limits = []
    real = threadpoolctl.threadpool_limits

    def recording(limits_=None, *args, **kwargs):
        limits.append(limits_)
        return real(limits_, *args, **kwargs)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", recording)
    default = sweep("iris", **SMALL, n_jobs=1)
    assert limits and set(limits) == {1}  # one BLAS thread per run, as before
    for stack in (False, True):
        limits.clear()
        result = sweep("iris", **SMALL, n_jobs=1, threads=3, stack=stack)
        assert limits and set(limits) == {3}
        assert result.sweep_id == default.sweep_id  # where and how, not what
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match=rf"threads must be a positive integer .* got "
                                             rf"{bad!r}"):
            sweep("iris", **SMALL, threads=bad)
    with pytest.raises(ValueError, match=r"stack must be None .* got 'yes'"):
        sweep("iris", **SMALL, stack="yes")


def test_the_cli_says_where_and_whether_it_stacks(capsys):
    argv = ["sweep", "--grid", "lr=0.05,0.1", "--epochs", "2", "--quiet", "--n-jobs", "1"]
    assert main([*argv, "--threads", "2", "--stack"]) == 0
    out = capsys.readouterr().out
    assert "where: in this process (n_jobs=1, --n-jobs 1)" in out
    assert "stacks: 2 of 2 runs in 1 stack (stack=True, --stack)" in out
    assert main([*argv, "--threads", "0"]) == 2
    assert "--threads must be a positive integer (BLAS threads per run), got 0" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*argv, "--stack", "--no-stack"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_to_pandas_has_the_documented_columns():
    pytest.importorskip("pandas")
    table = sweep("iris", grid={"lr": [0.05, 0.1], "l2": [0.0, 1e-3]},
                  options={"epochs": 2}, n_jobs=1).to_pandas()
    assert list(table.columns[:2]) == ["param_lr", "param_l2"]
    for column in ("sweep", "run", "index", "seed", "fold", "train_loss", "val_accuracy",
                   "epochs", "diverged", "error", "seconds", "worker"):
        assert column in table.columns


def test_a_continued_sweep_prints_the_same_table(tmp_path, capsys):
    """The table (every line after "trained now") of a sweep run again on its file is the
    uninterrupted one's; only the line of what this call trained differs."""
    from ffnn.cli.main import main

    argv = ["sweep", "--dataset", "iris", "--epochs", "5", "--grid", "lr=0.1,0.2", "--out",
            str(tmp_path / "r.jsonl"), "--n-jobs", "1", "--quiet"]
    tables = []
    for _ in range(2):
        assert main(argv) == 0
        out = capsys.readouterr().out
        tables.append(out[out.index("trained now"):].split("\n", 1))
    assert tables[0][0] == "trained now: 2 runs, 2 of them in stacks"
    assert tables[1][0] == "trained now: 0 runs, 0 of them in stacks (2 were in the results file)"
    assert tables[0][1] == tables[1][1]
