"""Ctrl-C, as a terminal sends it (SIGINT to the whole process group), in real processes:
ffnn sweep in-process (one by one and stacked), on local processes and on a Dask cluster, and
ffnn train, stop within seconds with one line on stderr and exit status 130; a sweep keeps
every finished run and no unfinished one, and --resume completes the very table of an
uninterrupted sweep. Two sweeps never write one results file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import pytest

from ffnn.cli.main import main
from test_sweep import dask_cluster

# The engines are named: "auto" takes NumPy in this process (tests/conftest.py) but JAX in
# the commands started here, and an interrupted table must be completed on the engine that
# began it (the two agree to rounding only).
# 16 runs trained one by one on the JAX engine where it is installed (one program compiled
# per process, then a fraction of a second each), else on NumPy.
ALONE = ["--dataset", "iris", "--hidden", "10", "--batch-size", "8", "--epochs", "700",
         "--grid", "lr=0.02,0.05,0.1,0.2", "--grid", "l2=0,0.0001,0.001,0.01", "--no-stack",
         "--engine", "numpy" if find_spec("jax") is None else "jax"]
# 16 runs as 8 stacks of two (one per shuffling seed) on the stacked trainer (NumPy runs
# stack as such), a fraction of a second each; every group is one stack, so a resume cuts
# the missing runs into the same stacks (same bits).
STACKED = ["--dataset", "iris", "--hidden", "10", "--batch-size", "8", "--epochs", "60",
           "--grid", "lr=0.05,0.1", "--seeds", "0,1,2,3,4,5,6,7", "--engine", "numpy"]
EPOCHS = {"alone": 700, "stacked": 60}


def sweep_command(options: list[str], out: Path, *where: str) -> list[str]:
    return [sys.executable, "-m", "ffnn", "sweep", *options, "--out", str(out), *where]


def start(argv: list[str]) -> subprocess.Popen:
    """The command in a session (and process group) of its own, as a shell job."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for_records(path: Path, proc: subprocess.Popen, count: int = 1,
                     timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_bytes().splitlines()) > count:  # the header too
            return
        if proc.poll() is not None:
            raise AssertionError(f"the command ended first: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"no record in {path} within {timeout} s")


def ctrl_c(proc: subprocess.Popen) -> tuple[int, str, str, float]:
    """SIGINT to the process group; (exit status, stdout, stderr, seconds to stop)."""
    os.killpg(proc.pid, signal.SIGINT)
    started = time.monotonic()
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err, time.monotonic() - started


def records(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "ffnn-sweep/1"
    return [json.loads(line) for line in lines[1:]]


def table(path: Path) -> list[dict]:
    """The results file as ``SweepResult.comparable()`` gives it: in run order, without
    where and how fast each run went."""
    rows = sorted(records(path), key=lambda r: r["index"])
    return [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in rows]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The tables of the two sweeps run without interruption (in this process)."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    tables = {}
    for name, options in (("alone", ALONE), ("stacked", STACKED)):
        out = folder / f"{name}.jsonl"
        assert main(["sweep", *options, "--n-jobs", "1", "--out", str(out)]) == 0
        tables[name] = table(out)
        assert len(tables[name]) == 16
    return tables


def check_interrupted(out: Path, status: int, stderr: str, seconds: float, kind: str) -> int:
    """Exit 130 within seconds, one line, only finished runs kept; returns how many."""
    assert status == 130, stderr
    # the JAX engine's notice of a compile over 2 s (a loaded machine) is not the message
    lines = [line for line in stderr.strip().splitlines()
             if not line.startswith("ffnn: compiling the JAX engine's program")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("ffnn sweep: interrupted: "), lines
    assert seconds < 10, seconds
    kept = records(out)
    finished = int(lines[0].split("interrupted: ")[1].split(" of ")[0])
    assert len(kept) == finished and 1 <= finished < 16, (finished, lines)
    assert f"they are in {out}: the same command with --resume runs the rest" in lines[0]
    assert len({r["run"] for r in kept}) == finished
    for r in kept:  # every one ran to its end: none cut short by the interrupt
        assert r["error"] is None and r["diverged"] is False, r
        assert r["epochs"] == EPOCHS[kind], r
    return finished


def resume_and_compare(options: list[str], out: Path, finished: int, expected, capsys):
    capsys.readouterr()
    assert main(["sweep", *options, "--n-jobs", "1", "--out", str(out), "--resume"]) == 0
    assert f"16 runs, {finished} already done" in capsys.readouterr().out
    assert table(out) == expected


@pytest.mark.parametrize(("kind", "options"), [("alone", ALONE), ("stacked", STACKED)])
def test_ctrl_c_stops_an_in_process_sweep_and_resume_completes_it(kind, options, tmp_path,
                                                                   uninterrupted, capsys):
    out = tmp_path / "runs.jsonl"
    proc = start(sweep_command(options, out, "--n-jobs", "1"))
    wait_for_records(out, proc)
    status, stdout, stderr, seconds = ctrl_c(proc)
    finished = check_interrupted(out, status, stderr, seconds, kind)
    assert "16 runs, 0 already done" in stdout
    resume_and_compare(options, out, finished, uninterrupted[kind], capsys)


def test_ctrl_c_stops_a_sweep_on_local_processes(tmp_path, uninterrupted, capsys):
    out = tmp_path / "runs.jsonl"
    proc = start(sweep_command(STACKED, out, "--n-jobs", "2"))
    wait_for_records(out, proc)
    status, _, stderr, seconds = ctrl_c(proc)
    finished = check_interrupted(out, status, stderr, seconds, "stacked")
    resume_and_compare(STACKED, out, finished, uninterrupted["stacked"], capsys)


def test_ctrl_c_stops_a_sweep_on_a_dask_cluster(tmp_path, uninterrupted, capsys):
    out = tmp_path / "runs.jsonl"
    with dask_cluster(tmp_path) as (address, workers):
        proc = start(sweep_command(ALONE, out, "--scheduler", address))
        wait_for_records(out, proc)
        status, _, stderr, seconds = ctrl_c(proc)
        assert all(worker.poll() is None for worker in workers)  # only the client stopped
    finished = check_interrupted(out, status, stderr, seconds, "alone")
    resume_and_compare(ALONE, out, finished, uninterrupted["alone"], capsys)


def test_a_second_writer_is_refused_and_the_first_completes(tmp_path, uninterrupted,
                                                           capsys):
    out = tmp_path / "runs.jsonl"
    proc = start(sweep_command(ALONE, out, "--n-jobs", "1"))
    wait_for_records(out, proc)
    capsys.readouterr()
    started = time.monotonic()
    status = main(["sweep", *ALONE, "--n-jobs", "1", "--out", str(out), "--resume"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and time.monotonic() - started < 10
    assert err == [f"ffnn sweep: error: --out: {out} is in use by another sweep (it holds the "
                   "file's lock); wait for that one to end, or give another file"], err
    assert proc.poll() is None, "the first sweep ended before the second could try"
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert table(out) == uninterrupted["alone"]  # intact: every run once, the same numbers
    assert len(out.read_text().splitlines()) == 17


@pytest.mark.parametrize(("engine", "delay"), [("jax", 0.3), ("jax", 5.0), ("numpy", 0.3)],
                         ids=["jax-while-it-loads", "jax-epochs", "numpy"])
def test_ctrl_c_in_ffnn_train_writes_nothing_and_says_so(engine, delay, tmp_path):
    """Ctrl-C ``delay`` seconds after the header: into the epochs on NumPy; on JAX while it
    imports and compiles (0.3 s), and into the compiled epochs (5 s)."""
    if engine == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    model, curves = tmp_path / "m.npz", tmp_path / "c.png"
    proc = start([sys.executable, "-m", "ffnn", "train", "--epochs", "100000000", "--engine",
                  engine, "--save", str(model), "--plot", str(curves)])
    header = [proc.stdout.readline() for _ in range(3)]
    assert header[2].startswith("training: "), header
    time.sleep(delay)
    status, _, stderr, seconds = ctrl_c(proc)
    assert status == 130 and seconds < 10, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    if lines[0].startswith("ffnn train: interrupted before training ended"):
        # the signal came while JAX loaded (held over its import and the transfers, then
        # raised): no epoch had started
        assert delay < 1, lines
        assert lines[0] == "ffnn train: interrupted before training ended; nothing written"
    else:
        assert lines[0].startswith("ffnn train: interrupted after "), lines
        assert lines[0].endswith(f"of 100000000 epochs; nothing written (--save {model} and "
                                 f"--plot {curves}: only a finished run is)"), lines
    assert not model.exists() and not curves.exists()
    assert not list(tmp_path.iterdir())  # no temporary file either
