"""Figures with matplotlib: training curves, heatmaps of hyperparameter sweeps and
confusion matrices.

Functions return a :class:`matplotlib.figure.Figure` (shown by Jupyter when it ends a cell)
and, given a path, also save it. No pyplot state is touched.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os

import numpy as np

from .core.validation import check_output_path

__all__ = ["plot_history", "heatmap_data", "plot_heatmap", "confusion_matrix",
           "figure_formats", "check_figure_path"]

_LABELS = {"loss": "loss", "accuracy": "accuracy", "r2": "R²"}


def figure_formats() -> list[str]:
    """The file extensions matplotlib can save figures as (``png``, ``pdf``, ``svg``, ...),
    read from its canvas without importing pyplot."""
    from matplotlib.backend_bases import FigureCanvasBase

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
    from matplotlib.figure import Figure

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

# Metrics where higher is better keep a linear colour scale under scale="auto".
_HIGHER_IS_BETTER = ("accuracy", "r2")
# Axes derived from the list of hidden-layer sizes when they are not parameters themselves.
_DERIVED = ("layers", "nodes")
# What a run in a cell is: a score, or why it has none.
_OK, _DIVERGED, _FAILED, _MISSING = range(4)


def hashable(value):
    """A parameter value as something hashable: lists and arrays become tuples."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return tuple(hashable(v) for v in value.tolist())
    if isinstance(value, (list, tuple)):
        return tuple(hashable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted((hashable(v) for v in value), key=repr))
    if isinstance(value, dict):
        return tuple(sorted(((k, hashable(v)) for k, v in value.items()), key=repr))
    return value


def _is_missing(value) -> bool:
    """None or a float NaN (what pandas puts in a column a row does not have)."""
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return False


def _sort_key(value):
    """Numbers by value, then tuples (element by element), then strings, then the rest by
    repr: any mixture of kinds sorts, and numbers never sort as text."""
    if isinstance(value, numbers.Real):
        return (0, (float(value),))
    if isinstance(value, tuple):
        return (1, tuple(_sort_key(v) for v in value))
    if isinstance(value, str):
        return (2, (value,))
    return (3, (repr(value),))


def _sorted_values(values) -> list:
    """Distinct values sorted (see :func:`_sort_key`)."""
    return sorted(values, key=_sort_key)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _tick_label(value) -> str:
    """``f"{v:g}"`` for numbers, ``"50/50"`` for tuples (as ``--grid hidden=50/50`` spells
    them; ``"none"`` when empty), strings as they are."""
    if isinstance(value, tuple):
        return "/".join(_tick_label(v) for v in value) if value else "none"
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


def _params_of(record) -> dict:
    params = record.get("params")
    return params if isinstance(params, dict) else record


def _derived(hidden, name: str):
    """``layers`` (how many) or ``nodes`` (the width of every layer; 0 without one; the
    tuple of widths when they differ) from a list of hidden-layer sizes; None when
    ``hidden`` is not such a list."""
    hidden = hashable(hidden)
    if _is_number(hidden):
        hidden = (hidden,)
    if not isinstance(hidden, tuple) or not all(_is_number(v) for v in hidden):
        return None
    if name == "layers":
        return len(hidden)
    if not hidden:
        return 0
    return hidden[0] if len(set(hidden)) == 1 else hidden


def _axis_value(params: dict, name: str):
    """The value of parameter ``name`` (hashable), or derived from ``hidden`` for
    ``layers`` and ``nodes``; None when the run has neither."""
    if name in params:
        return None if _is_missing(params[name]) else hashable(params[name])
    if name in _DERIVED and not _is_missing(params.get("hidden")):
        return _derived(params["hidden"], name)
    return None


def _run_kind(record, metric: str) -> tuple[int, float]:
    """Whether a run failed (``error`` set), diverged (``diverged`` true), has a finite
    ``metric`` or none; with the value when finite."""
    error, diverged = record.get("error"), record.get("diverged")
    if not _is_missing(error) and error not in ("", False):
        return _FAILED, math.nan
    if not _is_missing(diverged) and bool(diverged):
        return _DIVERGED, math.nan
    value = record.get(metric)
    if _is_missing(value):
        return _MISSING, math.nan
    value = float(value)
    return (_OK, value) if math.isfinite(value) else (_MISSING, math.nan)


def run_score(record: dict, metric: str) -> float | None:
    """A run's finite ``metric``, or None when it failed, diverged or has none: the one rule
    by which sweeps rank configurations and heatmaps colour their cells."""
    kind, value = _run_kind(record, metric)
    return value if kind == _OK else None


def _check_names(records: list, x: str, y: str, metric: str) -> None:
    names = sorted({name for r in records for name in _params_of(r)}, key=str)
    derivable = any("hidden" in _params_of(r) for r in records)
    for argument, name in (("x", x), ("y", y)):
        if not any(name in _params_of(r) for r in records) and not (
                name in _DERIVED and derivable):
            extra = (f" (and {', '.join(map(repr, _DERIVED))}, derived from 'hidden')"
                     if derivable else "")
            raise ValueError(f"{argument}={name!r} is not a parameter of any record; "
                             f"parameters: {names}{extra}")
    if not any(metric in r for r in records):
        metrics = sorted({key for r in records for key in r if key != "params"}, key=str)
        raise ValueError(f"metric={metric!r} is in no record; metrics available: {metrics}")


def _tabulate(records, x: str, y: str, metric: str):
    """:func:`heatmap_data`'s axes and matrix, and ``counts`` of shape (4, n_y, n_x): how
    many runs of each cell have a score, diverged, failed, or have no value."""
    if hasattr(records, "to_dict"):
        records = records.to_dict("records")
    records = list(records)
    if not records:
        raise ValueError("records is empty: there are no training runs to tabulate")
    _check_names(records, x, y, metric)
    runs = []  # (x value, y value, kind, value)
    for record in records:
        params = _params_of(record)
        kx, ky = _axis_value(params, x), _axis_value(params, y)
        if kx is not None and ky is not None:
            runs.append((kx, ky, *_run_kind(record, metric)))
    # an axis shows the values of runs with a score or a mark (failed, diverged)
    shown = [(kx, ky) for kx, ky, kind, _ in runs if kind != _MISSING]
    if not shown:
        raise ValueError(f"no record has a finite value of metric={metric!r} (nor is any "
                         f"marked failed or diverged)")
    x_values = _sorted_values({kx for kx, _ in shown})
    y_values = _sorted_values({ky for _, ky in shown})
    column = {v: i for i, v in enumerate(x_values)}
    row = {v: j for j, v in enumerate(y_values)}
    counts = np.zeros((4, len(y_values), len(x_values)), dtype=int)
    sums = np.zeros((len(y_values), len(x_values)))
    for kx, ky, kind, value in runs:
        if kx in column and ky in row:
            counts[kind, row[ky], column[kx]] += 1
            if kind == _OK:
                sums[row[ky], column[kx]] += value
    with np.errstate(invalid="ignore"):
        matrix = np.where(counts[_OK] > 0, sums / np.maximum(counts[_OK], 1), np.nan)
    return x_values, y_values, matrix, counts


def heatmap_data(records, x: str, y: str, metric: str) -> tuple[list, list, np.ndarray]:
    """Mean of a metric over a sweep, tabulated by two of its parameters.

    Parameters
    ----------
    records : sequence of dict or pandas.DataFrame
        One entry per training run: a ``"params"`` dict (swept parameter name → value,
        e.g. ``{"lr": 0.01, "l2": 0.0, "hidden": [8]}``) and the metrics at the top level
        (e.g. ``"val_accuracy": 0.95``), with ``"diverged"`` and ``"error"`` as
        :func:`ffnn.sweep` records them. A row without ``"params"`` is read flat: its own
        keys are the parameters (a DataFrame with one column per parameter). A DataFrame is
        read with ``records.to_dict("records")``.
    x, y : str
        The parameters along the columns and the rows. ``"layers"`` and ``"nodes"``, when
        they are not parameters themselves, are derived from ``hidden`` (a list of layer
        sizes): the number of hidden layers, and their width (0 without one; the tuple of
        widths when they differ), so a sweep over ``hidden=[[50], [50, 50], [100], [100,
        100]]`` is a 2 × 2 grid of layers × nodes.
    metric : str
        The metric to average.

    Returns
    -------
    x_values : list, length n_x
        Distinct values of ``x``, sorted: numbers by value, then lists (as tuples, element
        by element), then strings, then anything else by repr. A zero is a value like any
        other and has its own column.
    y_values : list, length n_y
        Distinct values of ``y``, the same way.
    matrix : numpy.ndarray of shape (n_y, n_x)
        ``matrix[j, i]`` is the mean of ``metric`` over the runs with ``y == y_values[j]``
        and ``x == x_values[i]`` (so over the other parameters, seeds and folds) that
        neither failed (``error`` set) nor diverged (``diverged`` true) and have a finite
        value; NaN where there is none. A value of ``x`` or ``y`` that only failed or
        diverged runs have still has its column or row (all NaN); runs without a finite
        value that are not marked so are left out, as are runs that lack ``x`` or ``y``.

    Raises
    ------
    ValueError
        If ``records`` is empty, if ``x`` or ``y`` is not a parameter of any record (the
        message lists those that are), if ``metric`` is in no record (the message lists the
        metrics there are), or if no run has a finite value of ``metric`` or is marked
        failed or diverged.
    """
    x_values, y_values, matrix, _ = _tabulate(records, x, y, metric)
    return x_values, y_values, matrix


def _cell_mark(counts) -> str:
    """``"diverged"`` (``"failed"``, ``"n/a"``) when every run of a cell is such; ``"2/3
    diverged"`` lines for the runs of a mixed cell without a score; empty when all scored."""
    ok, *others = (int(n) for n in counts)
    total = ok + sum(others)
    parts = [(n, word) for n, word in zip(others, ("diverged", "failed", "n/a")) if n]
    if not ok and len(parts) == 1:
        return parts[0][1]
    return "\n".join(f"{n}/{total} {word}" for n, word in parts)


def _colour_norm(values: np.ndarray, metric: str, scale: str, vmin, vmax):
    """The colour norm of the finite cell values and the colorbar's ``extend``."""
    from matplotlib.colors import LogNorm, Normalize

    if scale not in ("auto", "linear", "log"):
        raise ValueError(f"scale must be 'auto', 'linear' or 'log', got {scale!r}")
    for name, limit in (("vmin", vmin), ("vmax", vmax)):
        if limit is not None and not (_is_number(limit) and math.isfinite(limit)):
            raise ValueError(f"{name} must be a finite number or None, got {limit!r}")
    if vmin is not None and vmax is not None and vmin >= vmax:
        raise ValueError(f"vmin ({vmin:g}) must be below vmax ({vmax:g})")
    low = vmin if vmin is not None else (float(values.min()) if values.size else 0.0)
    high = vmax if vmax is not None else (float(values.max()) if values.size else 1.0)
    higher_is_better = metric.lower().endswith(_HIGHER_IS_BETTER)
    if scale == "auto":
        spans = values.size and values.min() > 0 and values.max() / values.min() > 100
        scale = "log" if spans and not higher_is_better and low > 0 else "linear"
        if metric.lower().endswith("r2") and vmin is None and low < 0 < high:
            low = 0.0  # R² below 0 (worse than the mean) in the lowest colour
    if scale == "log":
        if low <= 0:
            raise ValueError(f"scale='log': {metric} has values ≤ 0 (down to {low:.3g}); "
                             f"give vmin > 0 to clip them, or scale='linear'")
        norm = LogNorm(low, max(high, low), clip=True)
    else:
        norm = Normalize(low, max(high, low), clip=True)
    below = bool(values.size and values.min() < low)
    above = bool(values.size and values.max() > high)
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}
    return norm, extend.get((below, above), "neither")


def plot_heatmap(
    records,
    x: str,
    y: str,
    metric: str,
    *,
    ax=None,
    fmt: str = ".3g",
    cmap: str = "viridis",
    scale: str = "auto",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Heatmap of a metric's mean over two swept parameters (e.g. learning rate × L2).

    The image is ``matrix`` from :func:`heatmap_data`, drawn with ``origin="lower"``: row 0
    (the smallest ``y``) is at the bottom and column 0 (the smallest ``x``) on the left, so
    both axes increase away from the origin. Each value has its own evenly spaced cell and
    tick (a zero is its own cell, labelled ``"0"``; a list such as ``hidden=[50, 50]`` reads
    ``"50/50"``); an axis whose non-zero values look log-spaced is labelled e.g. ``"lr
    (log-spaced)"``: at least 3 positive values whose consecutive ratios are roughly
    constant (within a factor 1.5 of each other) and ≥ 2, or whose max/min is ≥ 100.
    ``x`` and ``y`` may be ``"layers"`` and ``"nodes"``, derived from ``hidden`` (see
    :func:`heatmap_data`).

    Each cell shows the mean over its runs that neither failed nor diverged. A cell whose
    runs all failed or diverged (or have no value) is not coloured as a score: it is grey
    and hatched and says ``"diverged"``, ``"failed"`` or ``"n/a"`` (``"1/3 diverged"`` and
    ``"2/3 failed"`` lines when its runs differ). A cell where some runs scored is coloured
    by their mean and says under it how many of its runs did not count, e.g. ``"2/3
    diverged"``. Cells without runs are left blank.

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
    scale : {"auto", "linear", "log"}, default "auto"
        The colour scale. ``"auto"`` is logarithmic when the cells' values are all positive
        and span more than two decades (max/min > 100), unless higher is better (a metric
        ending in ``accuracy`` or ``r2``), so one loss of 148 from a nearly diverged run
        does not make every other cell one colour; linear otherwise, with R² below 0 shown
        in the lowest colour (the scale starts at 0) when some cells are above 0.
        ``"log"`` needs positive values, or a positive ``vmin``.
    vmin, vmax : float, optional
        Clip the colour scale: values beyond take the end colours (the colorbar shows an
        arrow); the cells still say their values. Default: the cells' smallest and
        largest values.
    title : str, optional
        Defaults to ``f"{metric} ({y} × {x})"``.
    path : str or path-like, optional
        Where to save the figure (the format follows the extension).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` (or the new one); its image array has shape (n_y, n_x), cells
        without a score masked; the image's ``norm`` is the colour scale.

    Raises
    ------
    ValueError
        As :func:`heatmap_data`, and for a ``scale``, ``vmin`` or ``vmax`` it cannot use.
    """
    x_values, y_values, matrix, counts = _tabulate(records, x, y, metric)
    norm, extend = _colour_norm(matrix[np.isfinite(matrix)], metric, scale, vmin, vmax)
    marks = [[_cell_mark(counts[:, j, i]) for i in range(len(x_values))]
             for j in range(len(y_values))]
    if ax is None:
        from matplotlib.figure import Figure

        row_height = 0.8 if any(any(row) for row in marks) else 0.6
        fig = Figure(
            figsize=(max(4.0, 0.9 * len(x_values) + 2.5),
                     max(3.0, row_height * len(y_values) + 1.8)),
            layout="constrained",
        )
        ax = fig.subplots()
    else:
        fig = ax.figure

    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm, origin="lower",
                      aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(x_values)), [_tick_label(v) for v in x_values])
    ax.set_yticks(range(len(y_values)), [_tick_label(v) for v in y_values])
    ax.set_xlabel(f"{x} (log-spaced)" if _log_spaced(x_values) else x)
    ax.set_ylabel(f"{y} (log-spaced)" if _log_spaced(y_values) else y)
    _write_cells(ax, image, matrix, marks, fmt)
    if np.isfinite(matrix).any():
        fig.colorbar(image, ax=ax, label=metric, extend=extend)
    ax.set_title(f"{metric} ({y} × {x})" if title is None else title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _write_cells(ax, image, matrix: np.ndarray, marks: list[list[str]], fmt: str) -> None:
    """Each scored cell's value (and mark) in a colour that contrasts with it; each cell
    without a score but with runs grey and hatched, with its mark."""
    from matplotlib.patches import Rectangle

    for j, i in itertools.product(range(matrix.shape[0]), range(matrix.shape[1])):
        value, mark = matrix[j, i], marks[j][i]
        if np.isfinite(value):
            red, green, blue, _ = image.cmap(float(image.norm(value)))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            text = format(value, fmt) + (f"\n{mark}" if mark else "")
            ax.text(i, j, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
        elif mark:
            ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor="0.88",
                                   edgecolor="0.6", hatch="//", linewidth=0,
                                   label=f"_{mark}"))
            ax.text(i, j, mark, ha="center", va="center", fontsize="small", color="0.15")


# --- classifiers ---------------------------------------------------------------------------


def confusion_matrix(
    y_true,
    y_pred,
    labels=None,
    normalize: str | None = None,
    path: str | os.PathLike | None = None,
    ax=None,
    title: str | None = None,
    *,
    cmap: str = "Blues",
):
    """A confusion-matrix figure: true classes along the rows, predicted ones along the
    columns, each cell's count (or fraction) written in it.

    The matrix is :func:`sklearn.metrics.confusion_matrix`'s; row ``k`` and column ``k``
    are ``labels[k]``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        The true and the predicted labels (numbers or strings).
    labels : array-like, optional
        The classes, in the order of the rows and columns (classes that never occur keep
        their row and column). Default: every label in ``y_true`` or ``y_pred``, sorted.
    normalize : {None, "true", "pred", "all"}, default None
        ``None`` writes counts; ``"true"`` divides each row by its count (the fraction of
        each true class predicted as each class: recall on the diagonal), ``"pred"`` each
        column, ``"all"`` the whole matrix (as scikit-learn).
    path : str or path-like, optional
        Where to save the figure (the format follows the extension).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure (no pyplot state is touched).
    title : str, optional
        Defaults to ``"confusion matrix"`` (with the normalisation, if any).
    cmap : str, default "Blues"
        Colormap name.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` (or the new one); its image array is the matrix, row 0 (the
        first label) at the top.

    Raises
    ------
    ValueError
        As scikit-learn (e.g. ``y_true`` and ``y_pred`` of different lengths, a
        ``normalize`` it does not know).
    """
    from matplotlib.figure import Figure
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = np.asarray(labels).ravel()
    matrix = sklearn_confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    n = len(labels)
    if ax is None:
        size = max(3.6, 0.55 * n + 2.2)
        fig = Figure(figsize=(size + 0.8, size), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    high = 1.0 if normalize else max(int(matrix.max()), 1)
    image = ax.imshow(matrix, cmap=cmap, vmin=0, vmax=high, interpolation="nearest")
    names = [_tick_label(hashable(label)) for label in labels]
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names)) > 4 else 0,
                  ha="right" if max(map(len, names)) > 4 else "center")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for j, i in itertools.product(range(n), range(n)):
        value = matrix[j, i]
        red, green, blue, _ = image.cmap(image.norm(value))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(i, j, f"{value:.2f}" if normalize else str(int(value)), ha="center",
                va="center", color="white" if dark else "black", fontsize="small")
    fig.colorbar(image, ax=ax, label="fraction" if normalize else "count")
    if title is None:
        over = {"true": " (each true class)", "pred": " (each predicted class)",
                "all": " (all samples)"}
        title = "confusion matrix" + (over[normalize] if normalize else "")
    ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
