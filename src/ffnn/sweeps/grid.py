"""A sweep's points and their identity: grid values parsed and expanded, random draws, and the
canonical JSON and digests that name sweeps and runs."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence

import numpy as np

from ..io.container import json_default as io_json_default

__all__ = ["parse_values", "expand_grid"]


def parse_values(text: str) -> list:
    """A grid's values from text: ``logspace:-5:1:7`` (7 values 10⁻⁵ … 10¹),
    ``linspace:0:1:5``, or comma-separated numbers and words (``0,0.001,0.01``)."""
    text = text.strip()
    for kind in ("logspace", "linspace"):
        if text.startswith(kind + ":"):
            parts = text.split(":")[1:]
            try:
                start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
                if len(parts) != 3 or num < 1:
                    raise ValueError
            except (ValueError, IndexError):
                raise ValueError(f"expected {kind}:START:STOP:NUM such as {kind}:-5:1:7, got "
                                 f"{text!r}") from None
            values = getattr(np, kind)(start, stop, num)
            return [float(f"{v:.12g}") for v in values]  # 1e-05, not 1.0000000000000001e-05
    return [_scalar(part) for part in text.split(",")]


def _scalar(text: str):
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def expand_grid(grid: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of the grid's values, the last name varying fastest."""
    names = list(grid)
    for name in names:
        values = grid[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(f"grid[{name!r}] must be a list of values, got {values!r}")
        if len(values) == 0:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def draw(distributions: Mapping, n_iter: int, rng: np.random.Generator) -> list[dict]:
    """``n_iter`` random points: a list is drawn from uniformly, a ``("loguniform", a, b)``
    or ``("uniform", a, b)`` triple continuously, an object with ``rvs`` (scipy.stats) by
    its own method."""
    points = []
    for _ in range(n_iter):
        point = {}
        for name, spec in distributions.items():
            if isinstance(spec, tuple) and len(spec) == 3 and spec[0] in ("loguniform",
                                                                          "uniform"):
                kind, low, high = spec
                if kind == "loguniform":
                    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
                else:
                    value = float(rng.uniform(low, high))
            elif hasattr(spec, "rvs"):
                value = spec.rvs(random_state=rng)
                value = value.item() if hasattr(value, "item") else value
            elif isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)) and spec:
                value = spec[int(rng.integers(len(spec)))]
            else:
                raise ValueError(f"distributions[{name!r}]: expected a list of values, "
                                 "('loguniform', low, high), ('uniform', low, high) or a "
                                 f"scipy.stats distribution, got {spec!r}")
            point[name] = value
        points.append(point)
    return points


def json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    return io_json_default(value)  # NumPy scalars, as model files write them


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, default=json_default, separators=(",", ":"))


def digest(value, n: int = 16) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:n]


def plain(value):
    """JSON's view of a value (tuples become lists, NumPy scalars Python ones), in order."""
    return json.loads(json.dumps(value, default=json_default))
