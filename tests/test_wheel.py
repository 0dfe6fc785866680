"""The wheel in a fresh virtual environment with the core dependencies only: the console
script trains, checks gradients, sweeps and predicts, and what needs an extra says so in one
line with the pip install that brings it.

Hermetic: the wheel is built without build isolation, installed with ``--no-index
--no-deps``, and the new environment's site-packages links the core dependencies (and
theirs) from this one's; JAX, Dask and pandas are not there. Every block of the README runs
there as a newcomer pastes it, with no warning printed.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# The extras' packages and what they bring that the core does not (JAX: jaxlib, ml_dtypes,
# opt_einsum).
EXTRAS_MODULES = ("jax", "jaxlib", "ml_dtypes", "opt_einsum", "distributed", "dask", "pandas",
                  "torch")
#: Not loaded by ``import ffnn``: the extras, and matplotlib (in the core, imported when a
#: figure is drawn).
LAZY_MODULES = (*EXTRAS_MODULES, "matplotlib")


def _core_distributions(wheel: Path) -> dict[str, metadata.Distribution]:
    """The distributions that the wheel's core dependencies bring, found in this
    environment (which has them all: the test extra takes every extra)."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        headers = HeaderParser().parsestr(archive.read(name).decode())
    env = {"extra": ""}
    todo = [Requirement(r) for r in headers.get_all("Requires-Dist") or []]
    found: dict[str, metadata.Distribution] = {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in found or (req.marker is not None and not req.marker.evaluate(env)):
            continue
        found[name] = metadata.distribution(req.name)
        todo += [Requirement(r) for r in found[name].requires or []]
    return found


def _link_core(wheel: Path, site: Path) -> None:
    """Link the core distributions' top-level files and folders into ``site``."""
    here = Path(sysconfig.get_paths()["purelib"])
    for name, dist in _core_distributions(wheel).items():
        assert dist.files, f"{name} lists no files (no RECORD): cannot link it"
        tops = {f.parts[0] for f in dist.files if f.parts[0] not in ("..", "__pycache__")}
        for top in tops:
            source = Path(dist.locate_file(top))
            assert source.parent == here, f"{name}: {source} is not in {here}"
            if not (site / top).exists():
                (site / top).symlink_to(source, target_is_directory=source.is_dir())


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and the core dependencies only."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a clean copy: no build/ or *.egg-info in the repository
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp / "dist"), str(source)], check=True, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("ffnn-*.whl")

    env_dir = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, env=_env(env_dir)).stdout.strip())
    _link_core(wheel, site)
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index",
                    str(wheel)], check=True, cwd=tmp)
    # every requirement of the wheel met, by the linked distributions
    subprocess.run([*pip, "--python", str(python), "check"], check=True, cwd=tmp)
    assert (env_dir / "bin" / "ffnn").is_file()
    return env_dir


def _env(env_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("VIRTUAL_ENV", "MPLBACKEND")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the linked packages are this environment's
    return env


def _run(venv: Path, *argv, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=_env(venv),
                          capture_output=True, text=True, timeout=120)


def _ffnn(venv: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    return _run(venv, venv / "bin" / "ffnn", *args, cwd=cwd)


def _hint(extra: str) -> str:
    """The end of the command that adds ``extra`` to a wheel's install: that wheel file with
    the extra (ffnn.core.validation.install_command)."""
    return f"-any.whl[{extra}]'"


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr
    return done.stdout


def test_only_the_core_is_installed(venv, tmp_path):
    code = textwrap.dedent(f"""
        import json, sys
        from importlib.util import find_spec
        import ffnn
        print(json.dumps({{
            "file": ffnn.__file__, "prefix": sys.prefix, "version": ffnn.__version__,
            "extras": [m for m in {EXTRAS_MODULES!r} if find_spec(m) is not None],
            "loaded": sorted(m for m in sys.modules if m.split(".")[0] in {LAZY_MODULES!r}),
        }}))
    """)
    seen = json.loads(_ok(_run(venv, venv / "bin" / "python", "-c", code, cwd=tmp_path)))
    assert seen["extras"] == [] and seen["loaded"] == []
    assert Path(seen["file"]).is_relative_to(venv)  # the wheel, not the repository's src/
    assert Path(seen["prefix"]).resolve() == venv.resolve()
    assert _ok(_ffnn(venv, "--version", cwd=tmp_path)).strip() == f"ffnn {seen['version']}"


def test_train_gradcheck_and_sweep(venv, tmp_path):
    out = _ok(_ffnn(venv, "train", cwd=tmp_path))  # the notebook's iris study
    assert "engine: numpy" in out and "train accuracy:" in out
    accuracy = float(out.split("train accuracy:")[1].split()[0])
    assert accuracy > 0.9

    assert "PASSED" in _ok(_ffnn(venv, "gradcheck", cwd=tmp_path))

    _ok(_ffnn(venv, "sweep", "--n-jobs", "1", "--grid", "lr=0.01,0.1", "--epochs", "20",
              "--quiet", "--out", "runs.jsonl", cwd=tmp_path))
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    records = [r for r in map(json.loads, lines) if "run" in r]  # after the sweep's header
    assert len(records) == 2 and not any(r.get("error") for r in records)


def test_predict_with_a_saved_model(venv, tmp_path):
    from sklearn.datasets import load_iris

    out = _ok(_ffnn(venv, "train", "--epochs", "500", "--quiet", "--save", "model.npz",
                    cwd=tmp_path))
    trained = float(out.split("train accuracy:")[1].split()[0])
    iris = load_iris()
    names = [*iris.feature_names, "species"]  # a column that is not a feature: ignored
    np.savetxt(tmp_path / "iris.csv", np.column_stack([iris.data, iris.target]),
               delimiter=",", fmt="%.1f", header=",".join(names), comments="")
    _ok(_ffnn(venv, "predict", "model.npz", "--data", "iris.csv", "--out", "predictions.csv",
              cwd=tmp_path))
    labels = (tmp_path / "predictions.csv").read_text().split()[-150:]  # after a header
    accuracy = np.mean(np.array(labels) == iris.target_names[iris.target])
    assert accuracy == pytest.approx(trained, abs=1e-4)  # the model that was trained


@pytest.mark.parametrize(("args", "extra"), [
    (["train", "--epochs", "2", "--quiet", "--engine", "jax"], "fast"),
    (["sweep", "--grid", "lr=0.01,0.1", "--epochs", "2", "--quiet", "--n-jobs", "2"], "dask"),
    (["sweep", "--grid", "lr=0.01,0.1", "--epochs", "2", "--quiet", "--n-jobs", "1",
      "--engine", "jax"], "fast"),
], ids=["train-jax", "sweep-n-jobs-2", "sweep-jax"])
def test_the_cli_names_the_missing_extra_in_one_line(venv, tmp_path, args, extra):
    done = _ffnn(venv, *args, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""  # refused before any work
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"ffnn {args[0]}: ") and _hint(extra) in lines[0]
    assert list(tmp_path.iterdir()) == []  # no figure, no results file


_API = """
import json, ffnn

def failure(call):
    try:
        call()
    except Exception as exc:
        return [type(exc).__name__, str(exc)]
    return None

X, T = ffnn.datasets.load_iris()
net = ffnn.Network(4, [3], "softmax", seed=0)
history = ffnn.train(net, X, T, "cross_entropy", epochs=2, verbose=0)
result = ffnn.sweep("iris", grid={"lr": [0.01, 0.1]}, options={"hidden": [4], "epochs": 2},
                    seeds=[0], n_jobs=1)
print(json.dumps({
    "engine": history.engine,
    "records": len(result.records),
    "plot": failure(lambda: history.plot("curves.png")),
    "pandas": failure(result.to_pandas),
    "dask": failure(lambda: ffnn.sweep("iris", grid={"lr": [0.01]},
                                       options={"hidden": [4], "epochs": 2}, n_jobs=2)),
    "fast": failure(lambda: ffnn.train(ffnn.Network(4, [3], "softmax", seed=0), X, T,
                                       "cross_entropy", epochs=2, verbose=0,
                                       engine="jax")),
}))
"""


def test_the_api_names_the_missing_extra(venv, tmp_path):
    seen = json.loads(_ok(_run(venv, venv / "bin" / "python", "-c", _API, cwd=tmp_path)))
    assert seen["engine"] == "numpy" and seen["records"] == 2
    assert seen["plot"] is None  # matplotlib is in the core
    for extra, package in [("pandas", "pandas"), ("dask", "distributed"), ("fast", "JAX")]:
        kind, message = seen[extra]
        assert kind == "ImportError" and f"needs {package}" in message
        assert message.endswith(_hint(extra)) and "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]


# The README's blocks, in order, in one folder (later blocks may read what earlier ones
# wrote). Not run here: the block that creates the environment and installs ffnn (this test's
# fixture did that, from the wheel; `.ci/run` runs that block itself) and the activation line
# (the fixture's PATH starts with the environment's bin/).
README_BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.M | re.S)


def _readme_blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(kind, code) for kind, code in README_BLOCK.findall(text)
            if "pip install" not in code and not code.lstrip().startswith("source ")]


def test_every_readme_block_runs_on_the_core_install_without_a_warning(venv, tmp_path):
    blocks = _readme_blocks()
    assert [kind for kind, _ in blocks].count("python") >= 1
    assert [kind for kind, _ in blocks].count("bash") >= 1
    for number, (kind, code) in enumerate(blocks, 1):
        script = tmp_path / f"block{number}.{'py' if kind == 'python' else 'sh'}"
        script.write_text(code if kind == "python" else "set -euo pipefail\n" + code,
                          encoding="utf-8")
        command = (venv / "bin" / "python", script) if kind == "python" else ("bash", script)
        done = subprocess.run([str(a) for a in command], cwd=tmp_path, env=_env(venv),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"block {number}:\n{code}\n{done.stderr[-3000:]}"
        assert "warn" not in done.stderr.lower() and "Traceback" not in done.stderr, (
            f"block {number}:\n{code}\n{done.stderr[-3000:]}")
    written = {p.name for p in tmp_path.iterdir()} - {p.name for p in tmp_path.glob("block*")}
    assert {"curves.png", "confusion.png", "heatmap.png", "runs.jsonl"} <= written
    # run from the checkout, what the README writes stays out of `git status` (.gitignore's
    # patterns here are plain names and globs)
    patterns = [line.strip().rstrip("/") for line in
                (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    for name in written:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), (
            f"{name} is not in .gitignore")


def test_every_help_is_quiet_on_the_core_install(venv, tmp_path):
    commands = [[]] + [[name] for name in ("train", "sweep", "gradcheck", "iris", "predict",
                                           "evaluate")]
    for command in commands:
        out = _ok(_ffnn(venv, *command, "--help", cwd=tmp_path))
        assert out.startswith("usage: ffnn") and not any(
            "warn" in line.lower() for line in out.splitlines() if "--" not in line), out
    assert list(tmp_path.iterdir()) == []
