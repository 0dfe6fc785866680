"""Figures with matplotlib: training curves and heatmaps of hyperparameter sweeps.

Functions return a :class:`matplotlib.figure.Figure` (shown by Jupyter when it ends a cell)
and, given a path, also save it. No pyplot state is touched.
"""

from __future__ import annotations

import itertools
import numbers
import os

import numpy as np

from ._validation import check_output_path, require

__all__ = ["plot_history", "heatmap_data", "plot_heatmap", "figure_formats",
           "check_figure_path"]

_LABELS = {"loss": "loss", "accuracy": "accuracy", "r2": "R²"}


def figure_formats() -> list[str]:
    """The file extensions matplotlib can save figures as (``png``, ``pdf``, ``svg``, ...),
    read from its canvas without importing pyplot."""
    FigureCanvasBase = require("matplotlib.backend_bases", "a figure").FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_figure_path(path: str | os.PathLike, name: str = "path") -> None:
    """Refuse, before any work, a path that saving a figure there would refuse: a folder, a
    folder that does not exist or cannot be written, no extension (matplotlib would add
    ``.png``) or one that matplotlib does not write. ``name`` is the argument's name in the
    message (``--plot`` on the command line)."""
    path = os.fspath(path)
    check_output_path(path, name, "curves.png")
    extension = os.path.splitext(path)[1][1:].lower()
    formats = figure_formats()
    if extension not in formats:
        got = f"extension .{extension}" if extension else "no extension"
        raise ValueError(f"{name}: {path} has {got}; matplotlib writes "
                         f"{', '.join('.' + f for f in formats)}")


def plot_history(history, path: str | os.PathLike | None = None):
    """Loss and metric per epoch, training and validation.

    Parameters
    ----------
    history : History
        From :func:`ffnn.train` or :meth:`ffnn.Trainer.fit`.
    path : str or path-like, optional
        Where to save the figure (the format follows the extension, e.g. ``.png``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    Figure = require("matplotlib.figure", "a figure").Figure

    curves = history.history
    names = [name for name in ("loss", "accuracy", "r2") if name in curves]
    if not names:
        raise ValueError("history has no recorded epochs to plot")
    fig = Figure(figsize=(5 * len(names), 3.6), layout="constrained")
    for ax, name in zip(fig.subplots(1, len(names), squeeze=False)[0], names):
        epochs = range(1, len(curves[name]) + 1)
        ax.plot(epochs, curves[name], label="train")
        if f"val_{name}" in curves:
            ax.plot(epochs, curves[f"val_{name}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(_LABELS[name])
        if name == "loss" and min(curves[name]) > 0:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    if history.best_epoch is not None:
        for ax in fig.axes:
            ax.axvline(history.best_epoch + 1, color="grey", linestyle=":", linewidth=1)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


# --- hyperparameter-sweep heatmaps ---------------------------------------------------------


def _hashable(value):
    """A parameter value as something hashable: lists and arrays become tuples."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return tuple(_hashable(v) for v in value.tolist())
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted((_hashable(v) for v in value), key=repr))
    if isinstance(value, dict):
        return tuple(sorted(((k, _hashable(v)) for k, v in value.items()), key=repr))
    return value


def _is_missing(value) -> bool:
    """None or a float NaN (what pandas puts in a column a row does not have)."""
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return False


def _sorted_values(values) -> list:
    """Distinct values sorted; by their repr when they cannot be compared."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _tick_label(value) -> str:
    """``f"{v:g}"`` for numbers, ``"50,50"`` for tuples, strings as they are."""
    if isinstance(value, tuple):
        return ",".join(_tick_label(v) for v in value) if value else "none"
    if _is_number(value):
        return f"{value:g}"
    return str(value)


def _log_spaced(values) -> bool:
    """Whether an axis's values look log-spaced (zeros aside).

    The non-zero values must all be positive numbers, at least 3 of them, and either the
    ratios of consecutive sorted values are roughly constant (largest/smallest ratio ≤ 1.5)
    and each ≥ 2, or max/min ≥ 100. Two non-zero values are never called log-spaced.
    """
    if not all(_is_number(v) for v in values):
        return False
    nonzero = sorted(float(v) for v in values if v != 0)
    if len(nonzero) < 3 or nonzero[0] <= 0:
        return False
    ratios = [b / a for a, b in itertools.pairwise(nonzero)]
    constant = min(ratios) >= 2 and max(ratios) / min(ratios) <= 1.5
    return constant or nonzero[-1] / nonzero[0] >= 100


def heatmap_data(records, x: str, y: str, metric: str) -> tuple[list, list, np.ndarray]:
    """Mean of a metric over a sweep, tabulated by two of its parameters.

    Parameters
    ----------
    records : sequence of dict or pandas.DataFrame
        One entry per training run: a ``"params"`` dict (swept parameter name → value,
        e.g. ``{"lr": 0.01, "l2": 0.0, "hidden": [8]}``) and the metrics at the top level
        (e.g. ``"val_accuracy": 0.95``). A row without ``"params"`` is read flat: its own
        keys are the parameters (a DataFrame with one column per parameter). A DataFrame is
        read with ``records.to_dict("records")``.
    x, y : str
        The parameters along the columns and the rows.
    metric : str
        The metric to average. Runs where it is missing, None or not finite (a failed or
        diverged run) are skipped entirely, as are runs that lack ``x`` or ``y``.

    Returns
    -------
    x_values : list, length n_x
        Distinct values of ``x``, sorted (by repr when not comparable). Lists become tuples.
        A zero is a value like any other and has its own column.
    y_values : list, length n_y
        Distinct values of ``y``, the same way.
    matrix : numpy.ndarray of shape (n_y, n_x)
        ``matrix[j, i]`` is the mean of ``metric`` over all runs with ``y == y_values[j]``
        and ``x == x_values[i]`` (so over the other parameters, seeds and folds); NaN where
        there is none.

    Raises
    ------
    ValueError
        If ``records`` is empty, if ``x`` or ``y`` is not a parameter of any record (the
        message lists those that are), if ``metric`` is in no record (the message lists the
        metrics there are), or if no run has a finite value of ``metric``.
    """
    if hasattr(records, "to_dict"):
        records = records.to_dict("records")
    records = list(records)
    if not records:
        raise ValueError("records is empty: there are no training runs to tabulate")

    def params_of(record) -> dict:
        params = record.get("params")
        return params if isinstance(params, dict) else record

    parameter_names = sorted({name for r in records for name in params_of(r)}, key=str)
    for argument, name in (("x", x), ("y", y)):
        if not any(name in params_of(r) for r in records):
            raise ValueError(
                f"{argument}={name!r} is not a parameter of any record; "
                f"parameters: {parameter_names}"
            )
    if not any(metric in r for r in records):
        metrics = sorted({key for r in records for key in r if key != "params"}, key=str)
        raise ValueError(f"metric={metric!r} is in no record; metrics available: {metrics}")

    cells: dict[tuple, list[float]] = {}
    for record in records:
        params = params_of(record)
        value = record.get(metric)
        if _is_missing(value) or _is_missing(params.get(x)) or _is_missing(params.get(y)):
            continue
        value = float(value)
        if not np.isfinite(value):
            continue
        key = (_hashable(params[x]), _hashable(params[y]))
        cells.setdefault(key, []).append(value)
    if not cells:
        raise ValueError(f"no record has a finite value of metric={metric!r}")

    x_values = _sorted_values({kx for kx, _ in cells})
    y_values = _sorted_values({ky for _, ky in cells})
    column = {v: i for i, v in enumerate(x_values)}
    row = {v: j for j, v in enumerate(y_values)}
    matrix = np.full((len(y_values), len(x_values)), np.nan)
    for (kx, ky), values in cells.items():
        matrix[row[ky], column[kx]] = np.mean(values)
    return x_values, y_values, matrix


def plot_heatmap(
    records,
    x: str,
    y: str,
    metric: str,
    *,
    ax=None,
    fmt: str = ".3g",
    cmap: str = "viridis",
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Heatmap of a metric's mean over two swept parameters (e.g. learning rate × L2).

    The image is ``matrix`` from :func:`heatmap_data`, drawn with ``origin="lower"``: row 0
    (the smallest ``y``) is at the bottom and column 0 (the smallest ``x``) on the left, so
    both axes increase away from the origin. Each value has its own evenly spaced cell and
    tick (a zero is its own cell, labelled ``"0"``); an axis whose non-zero values look
    log-spaced is labelled e.g. ``"lr (log-spaced)"``: at least 3 positive values whose
    consecutive ratios are roughly constant (within a factor 1.5 of each other) and ≥ 2, or
    whose max/min is ≥ 100. Each cell shows its value; cells without runs are left blank.

    Parameters
    ----------
    records : sequence of dict or pandas.DataFrame
        One entry per run; see :func:`heatmap_data`.
    x, y : str
        Parameters along the horizontal and vertical axes.
    metric : str
        The metric whose mean colours the cells.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure (no pyplot state is touched).
    fmt : str, default ".3g"
        Format spec of the values written in the cells.
    cmap : str, default "viridis"
        Colormap name.
    title : str, optional
        Defaults to ``f"{metric} ({y} × {x})"``.
    path : str or path-like, optional
        Where to save the figure (the format follows the extension).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` (or the new one); its image array has shape (n_y, n_x), NaN
        cells masked.

    Raises
    ------
    ValueError
        As :func:`heatmap_data`.
    """
    x_values, y_values, matrix = heatmap_data(records, x, y, metric)
    if ax is None:
        Figure = require("matplotlib.figure", "a figure").Figure

        fig = Figure(
            figsize=(max(4.0, 0.9 * len(x_values) + 2.5), max(3.0, 0.6 * len(y_values) + 1.8)),
            layout="constrained",
        )
        ax = fig.subplots()
    else:
        fig = ax.figure

    image = ax.imshow(
        np.ma.masked_invalid(matrix),
        cmap=cmap,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_xticks(range(len(x_values)), [_tick_label(v) for v in x_values])
    ax.set_yticks(range(len(y_values)), [_tick_label(v) for v in y_values])
    ax.set_xlabel(f"{x} (log-spaced)" if _log_spaced(x_values) else x)
    ax.set_ylabel(f"{y} (log-spaced)" if _log_spaced(y_values) else y)
    for j, i in zip(*np.nonzero(np.isfinite(matrix))):
        value = matrix[j, i]
        red, green, blue, _ = image.cmap(image.norm(value))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(
            i,
            j,
            format(value, fmt),
            ha="center",
            va="center",
            color="white" if dark else "black",
            fontsize="small",
        )
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_title(f"{metric} ({y} × {x})" if title is None else title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
