"""What the worked studies share: the quick/full switch, the command line, means with their
standard errors, floors on key numbers, saving figures, the check that a linear baseline sits
at ffnn's optimum, and the PyTorch training loop of the comparisons."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Set to 1 to run a study's notebook in quick mode (CI does).
QUICK_ENV = "FFNN_QUICK"


def quick_from_env() -> bool:
    """True when ``FFNN_QUICK=1`` is set: notebooks then run in quick mode."""
    return os.environ.get(QUICK_ENV, "").strip() == "1"


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--quick`` and ``--out FOLDER``, the options every study script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="one seed, fewer epochs and a smaller grid (CI); full: 5 seeds")
    parser.add_argument("--out", type=Path, default=Path("study-figures"),
                        help="folder for the figures (PNG), created if missing")
    return parser.parse_args(argv)


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (0 for a single value)."""
    x = np.asarray(values, dtype=float)
    se = float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0
    return float(x.mean()), se


def accuracy_bars(ax, accuracy: dict, seconds: dict, title: str, margin: float = 0.05,
                  digits: int = 2) -> None:
    """Horizontal bars of each model's test accuracy (mean ± standard error over the seeds),
    labelled with the mean and its mean fit time."""
    names = list(accuracy)
    stats = [mean_se(accuracy[n]) for n in names]
    ax.barh(range(len(names)), [m for m, _ in stats], xerr=[e for _, e in stats],
            color=[f"C{i}" for i in range(len(names))])
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(max(0.0, min(m for m, _ in stats) - margin), 1.01)
    for i, (name, (m, se)) in enumerate(zip(names, stats)):
        ax.text(m + se, i, f" {m:.3f}  ({np.mean(seconds[name]):.{digits}f} s)",
                va="center", fontsize="small")
    ax.set_xlabel("test accuracy (fit time)")
    ax.set_title(title)


def fmt(values: Sequence[float], digits: int = 4) -> str:
    """``"0.9512 ± 0.0031"`` (mean ± standard error), or the value alone for one run."""
    mean, se = mean_se(values)
    return f"{mean:.{digits}f}" if len(values) == 1 else f"{mean:.{digits}f} ± {se:.{digits}f}"


def table(rows: Sequence[Sequence], header: Sequence[str]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check_floors(numbers: dict[str, float], floors: dict[str, float]) -> None:
    """Raise AssertionError naming every key number below its floor."""
    low = [f"{name} = {numbers[name]:.4f} < {floor}" for name, floor in floors.items()
           if not numbers[name] >= floor]
    if low:
        raise AssertionError("key numbers below their floors: " + "; ".join(low))
    print("floors reached: " + ", ".join(f"{name} ≥ {floor}" for name, floor in floors.items()))


def save(fig, out: Path, name: str) -> Path:
    """Save a matplotlib figure as ``out/name`` (PNG) and return the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=110)
    print(f"wrote {path}", file=sys.stderr)
    return path


def main(doc: str, settings, run, quick_floors: dict[str, float],
         full_floors: dict[str, float], argv: Sequence[str] | None = None) -> None:
    """A study's command line: parse ``--quick``/``--out``, run it, print its key numbers
    and the time taken, and check them against the floors of the mode."""
    import time

    args = parse_args(doc.splitlines()[0], argv)
    s = settings(args.quick)
    started = time.perf_counter()
    numbers = run(s, args.out)
    print("\nkey numbers (" + ("quick, 1 seed" if args.quick else f"{len(s.seeds)} seeds")
          + "): " + ", ".join(f"{k}={v:.4f}" for k, v in numbers.items()))
    print(f"took {time.perf_counter() - started:.1f} s")
    check_floors(numbers, quick_floors if args.quick else full_floors)


def optimality_violation(model, Phi: np.ndarray, y: np.ndarray, l1: float, l2: float) -> float:
    """How far a scikit-learn linear model is from the optimum of ffnn's cost at ``l1``/``l2``.

    ffnn's linear model (no hidden layer, identity output, MSE) takes the coefficients; its
    gradient must vanish (with L1: ``|∂C/∂w| ≤ l1`` where ``w = 0``). Returns the largest
    violation, ~0 when both minimise the same objective."""
    import ffnn

    net = ffnn.Network(Phi.shape[1], [1], ["identity"])
    net.layers = [(np.reshape(model.coef_, (-1, 1)).copy(),
                   np.reshape(model.intercept_, (1,)).astype(float))]
    (dW, db), = net.backprop(Phi, y, "mse", l2=l2)
    W = net.layers[0][0]
    violation = np.where(W != 0, np.abs(dW + l1 * np.sign(W)), np.maximum(np.abs(dW) - l1, 0))
    return float(max(violation.max(), np.abs(db).max()))


def train_torch(model, loss_fn, X, y, *, lr: float, epochs: int, batch_size: int,
                alpha: float, seed: int) -> None:
    """Train a PyTorch ``model`` as ffnn trains: ``torch.optim.Adam``, shuffled mini-batches,
    ``(alpha/2) Σ‖W‖²`` over the Linear layers' weights added to each batch's loss, on one
    thread (ffnn and scikit-learn use one here too)."""
    import torch

    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # at these sizes more threads only wait on each other
    try:
        for _ in range(epochs):
            order = torch.randperm(len(X), generator=generator)
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                optimizer.zero_grad()
                penalty = sum((W**2).sum() for W in weights)
                loss = loss_fn(model(X[batch]), y[batch]) + alpha / 2 * penalty
                loss.backward()
                optimizer.step()
    finally:
        torch.set_num_threads(threads)
