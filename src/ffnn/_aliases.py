"""The import paths of the flat layout (``ffnn.driver``, ``ffnn.network`` …) kept working.

Each old module name is an alias of the module that now holds it: ``import ffnn.training``
gives :mod:`ffnn.training.trainer.trainer` itself (one module object, so a monkeypatch or an ``is``
check sees the same thing). The alias is resolved on import, so ``import ffnn`` loads nothing
more for it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

OLD_PATHS = {
    "activations": "core.activations",
    "gradcheck": "core.gradcheck",
    "losses": "core.losses",
    "metrics": "core.metrics",
    "network": "core.network",
    "penalties": "core.penalties",
    "registry": "core.registry",
    "optimizers": "optim.optimizers",
    "schedules": "optim.schedules",
    "checkpoints": "training.checkpoints",
    "driver": "training.loop",
    "paths": "training.paths",
    "engine": "backends.numpy_engine",
    "jax_engine": "backends.jax_engine",
    "stacked": "backends.stacked",
    "datafiles": "io.tables",
    "model": "io.model",
    "baselines": "sklearn.baselines",
    "estimators": "sklearn.estimators",
    "interop": "sklearn.interop",
    "recipe": "sweeps.recipe",
    "datasets": "data.datasets",
}
"""Old module name (under ``ffnn.``) → its module now (under ``ffnn.``)."""


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return None  # a placeholder, replaced below by the real module

    def exec_module(self, module) -> None:
        # The import system returns whatever sys.modules holds under the name afterwards.
        sys.modules[module.__name__] = importlib.import_module(self.target)


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``ffnn.<old name>`` and loads it as the module named in :data:`OLD_PATHS`."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != __package__ or name not in OLD_PATHS:
            return None
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(f"{__package__}.{OLD_PATHS[name]}"))


def install() -> None:
    """Puts the finder on ``sys.meta_path`` once, and the old names of modules already
    imported straight into ``sys.modules``: importing a module for the first time sets it as
    an attribute of its package, which would replace ``ffnn.gradcheck`` the function with
    ``ffnn.gradcheck`` the old module."""
    for old, new in OLD_PATHS.items():
        module = sys.modules.get(f"{__package__}.{new}")
        if module is not None:
            sys.modules.setdefault(f"{__package__}.{old}", module)
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(AliasFinder())
