"""The public surface of ffnn 0.2.0, the flat layout, still imports: every module path
(``ffnn.training``, ``ffnn.network``, ``ffnn.io`` …) and every public name it had
(tests/reference/public_surface_0.2.0.json, written from that release's modules: the names
each defined, and its ``__all__``). Old paths are the new modules themselves, not copies."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

SURFACE = json.loads((Path(__file__).parent / "reference" / "public_surface_0.2.0.json")
                     .read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_every_old_name_imports(module):
    loaded = importlib.import_module(module)
    missing = [name for name in SURFACE[module] if not hasattr(loaded, name)]
    assert not missing, missing


def test_an_old_path_is_the_module_itself():
    import ffnn.network

    import ffnn.core.network
    import ffnn.training.loop

    assert ffnn.network is ffnn.core.network
    from ffnn import driver

    assert driver is ffnn.training.loop
    from ffnn.training import train

    assert train is ffnn.train


def test_an_old_module_name_does_not_replace_a_function():
    """``ffnn.gradcheck`` is the function, whatever imports the module ``ffnn.gradcheck``."""
    code = ("import ffnn, ffnn.gradcheck; from ffnn.gradcheck import gradcheck; "
            "assert ffnn.gradcheck is gradcheck and callable(ffnn.gradcheck)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_old_paths_in_a_fresh_process():
    """``from ffnn.X import Y`` as the first import of a program, for every old module."""
    lines = [f"from {module} import {', '.join(names)}" for module, names in SURFACE.items()
             if names and module != "ffnn"]
    done = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_surface_file_is_the_old_release():
    assert len(SURFACE) == 28 and "train" in SURFACE["ffnn.training"]
    assert "state_to_arrays" in SURFACE["ffnn.optimizers"]
