"""A core install (no JAX, Dask or pandas): what needs an extra says so in one
line with the pip install that brings it, and the rest falls back cleanly."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest

import ffnn
from ffnn.cli.main import main
from ffnn.core.validation import install_command


class _Blocker:
    """A meta-path finder that makes the named packages fail to import."""

    def __init__(self, packages):
        self.packages = packages

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.packages:
            raise ImportError(f"No module named {name!r} (hidden by the test)")
        return None


@pytest.fixture
def without(monkeypatch):
    """Make the named packages fail to import, as when they are not installed."""

    def hide(*packages):
        for name in list(sys.modules):
            if name.split(".")[0] in packages:
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.setattr(sys, "meta_path", [_Blocker(packages), *sys.meta_path])

    return hide


def test_plots_are_part_of_the_core(without, tmp_path):
    """matplotlib is a core dependency: a figure needs no extra."""
    from importlib import metadata

    requires = metadata.distribution("ffnn").requires or []
    assert any(r.startswith("matplotlib") and "extra ==" not in r for r in requires), requires
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [3], "softmax", seed=0)
    history = ffnn.train(net, X, T, "cross_entropy", epochs=2, verbose=0)
    history.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_a_sweep_without_dask_runs_here_and_to_pandas_names_its_extra(without):
    without("distributed", "pandas")
    result = ffnn.sweep("iris", grid={"lr": [0.01, 0.1]}, options={"hidden": [4], "epochs": 2},
                        seeds=[0])
    assert len(result.records) == 2 and not any(r["error"] for r in result.records)
    with pytest.raises(ImportError, match=re.escape(install_command("pandas"))):
        result.to_pandas()
    with pytest.raises(ImportError, match="needs distributed.*" + re.escape(
            install_command("dask"))):
        ffnn.sweep("iris", grid={"lr": [0.01]}, options={"hidden": [4], "epochs": 2},
                   seeds=[0], n_jobs=2)


def test_require_names_what_needs_the_package():
    from ffnn.core.validation import require

    assert require("numpy", "anything") is np
    with pytest.raises(ImportError, match="^the thing needs pandas.*" + re.escape(
            install_command("pandas"))):
        require("pandas.no_such_module_here", "the thing")


@pytest.mark.auto_jax  # "auto" as users get it: JAX where it is installed
def test_without_jax_auto_trains_on_numpy_quietly_and_jax_names_the_fast_extra(
        without, monkeypatch, capsys):
    without("jax", "jaxlib")
    # JAX is found with importlib.util.find_spec, which a meta-path blocker cannot answer
    # "not installed" to (it raises): the probe says it as an uninstalled JAX would.
    monkeypatch.setattr("ffnn.backends.jax_engine.available", lambda: False)
    X, T = ffnn.datasets.load_iris()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a FallbackWarning: nothing to say
        history = ffnn.train(ffnn.Network(4, [3], "softmax", seed=0), X, T, "cross_entropy",
                             epochs=2, verbose=0)
    assert history.engine == "numpy"
    with pytest.raises(ImportError, match="^engine='jax' needs JAX, which is not installed: "
                                          + re.escape(install_command("fast")) + "$"):
        ffnn.train(ffnn.Network(4, [3], "softmax", seed=0), X, T, "cross_entropy", epochs=2,
                   verbose=0, engine="jax")
    assert main(["train", "--epochs", "2", "--quiet", "--engine", "jax"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before the run's header
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and install_command("fast") in lines[0], lines
    assert "jax" not in sys.modules
