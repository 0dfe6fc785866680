"""Figures with matplotlib: training curves.

Functions return a :class:`matplotlib.figure.Figure` (shown by Jupyter when it ends a cell)
and, given a path, also save it. No pyplot state is touched.
"""

from __future__ import annotations

import os

__all__ = ["plot_history"]

_LABELS = {"loss": "loss", "accuracy": "accuracy", "r2": "R²"}


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
