"""What the worked studies share: the quick/full switch, the command line, means with their
standard errors, floors on key numbers, and saving figures."""

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
