"""Sweeps: grids and random searches over training options (recipe: options to a network,
an optimizer and a train() call), run in-process, on local processes or on Dask, with a
results file that survives interruption, and their analysis.

The sweep itself is :mod:`ffnn.sweeps.search.search`; its names are read from here on first use,
so that ``import ffnn.sweeps.recipe`` (the command line) stays light.
"""

#: The names of the flat layout's ``ffnn.sweeps``, by the module that holds each now.
_NAMES = {"sweep": "search", "SweepInterrupted": "search", "SweepResult": "analysis",
          "METRICS": "analysis", "FORMAT": "results", "PIN_CORES": "runner",
          "expand_grid": "grid", "parse_values": "grid"}


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'ffnn.sweeps' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
