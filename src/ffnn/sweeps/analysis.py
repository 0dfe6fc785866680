"""A sweep's table: every run's metrics, the configurations ranked by their mean validation
score, the records comparable across machines, a DataFrame, a heatmap."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..core.validation import require
from .grid import canonical

__all__ = ["SweepResult", "METRICS"]

#: Scoring names; ``loss`` and ``mse`` are better when lower.
METRICS = ("accuracy", "r2", "mse", "loss")


_LOWER_IS_BETTER = ("mse", "loss")


# Fields that say where and how fast a run went, not what it found.
_CIRCUMSTANCES = ("seconds", "worker")


@dataclass(repr=False)
class SweepResult:
    """The table of a sweep: one record (dict) per run, in the sweep's order.

    Attributes
    ----------
    records : list of dict
        ``sweep``, ``run`` (ids), ``index``, ``params``, ``seed``, ``fold``, the metrics
        (``train_loss``, ``val_accuracy``, ``test_r2``, ...), ``epochs``, ``diverged``,
        ``error``, ``seconds``, ``worker``.
    scoring : str
        The validation metric that ranks configurations (``val_<scoring>``).
    sweep_id : str
    stacked : int
        How many of the runs this call trained were trained in stacks.
    trained : int or None
        How many runs this call trained (the others were read back from the results file);
        None: all of them.
    """

    records: list[dict]
    scoring: str
    sweep_id: str
    path: str | None = None
    spec: dict = field(default_factory=dict)
    stacked: int = 0  # runs of this call trained as stacks (ffnn.stacked)
    trained: int | None = None  # runs this call trained (None: every record)

    @property
    def metric(self) -> str:
        return f"val_{self.scoring}"

    def __repr__(self) -> str:
        failed = sum(1 for r in self.records if r.get("error"))
        diverged = sum(1 for r in self.records if r.get("diverged"))
        shown = (f"SweepResult({self.sweep_id}: {len(self.records)} runs ({failed} failed, "
                 f"{diverged} diverged)")
        configs = self.configurations() if self.records else []
        if not configs or math.isnan(configs[0]["mean"]):
            return shown + ")"
        best = configs[0]
        spread = f" ± {best['std']:.4g} (n={best['n']})" if best["n"] > 1 else ""
        params = ", ".join(f"{k}={v}" for k, v in best["params"].items())
        return (f"{shown}, {len(configs)} configurations; best {self.metric} "
                f"{best['mean']:.4g}{spread}: {params})")

    def to_pandas(self):
        """The table as a pandas DataFrame (the ``pandas`` extra): one row per run, in the
        sweep's order.

        Columns: ``param_<name>`` for each swept option (``param_lr``, ``param_l2``,
        ``param_hidden``; a list such as ``hidden`` as a tuple), then the record's fields:
        ``sweep``, ``run`` (ids), ``index``, ``seed``, ``fold``, the metrics
        ``<part>_<metric>`` for the parts ``train``, ``val`` and (with a test part) ``test``,
        ``loss`` and ``accuracy`` (classification) or ``r2`` and ``mse`` (regression), such
        as ``val_accuracy``, ``test_r2``; ``epochs``, ``diverged``, ``error`` (None, or the
        run's error as text), ``seconds`` and ``worker``. A value that was not finite is None
        (NaN in the frame).

        Examples
        --------
        >>> result = ffnn.sweep("iris", grid={"lr": [0.01, 0.1], "l2": [0, 1e-3]},
        ...                     options={"epochs": 50})
        >>> table = result.to_pandas()
        >>> table.groupby(["param_lr", "param_l2"])["val_accuracy"].mean()
        >>> table.sort_values("val_accuracy", ascending=False)[["param_lr", "param_l2",
        ...                                                     "val_accuracy", "seconds"]]
        """
        pd = require("pandas", "SweepResult.to_pandas")

        from ..plotting import hashable

        rows = [{**{f"param_{k}": hashable(v) for k, v in r["params"].items()},
                 **{k: v for k, v in r.items() if k != "params"}} for r in self.records]
        return pd.DataFrame(rows)

    def configurations(self, metric: str | None = None) -> list[dict]:
        """Each parameter point with the mean and standard deviation of ``metric`` (default
        ``val_<scoring>``) over its seeds and folds, best first (lower is better for losses
        and MSE); runs that failed, diverged or have no value do not count (as in
        :meth:`plot_heatmap`: :func:`ffnn.plotting.run_score`)."""
        from ..plotting import run_score

        metric = metric or self.metric
        groups: dict[str, dict] = {}
        for r in self.records:
            key = canonical(r["params"])
            group = groups.setdefault(key, {"params": r["params"], "scores": [], "runs": 0})
            group["runs"] += 1
            value = run_score(r, metric)
            if value is not None:
                group["scores"].append(value)
        out = []
        for group in groups.values():
            scores = group.pop("scores")
            group["n"] = len(scores)
            group["mean"] = float(np.mean(scores)) if scores else math.nan
            group["std"] = float(np.std(scores)) if scores else math.nan
            out.append(group)
        sign = 1 if metric.endswith(_LOWER_IS_BETTER) else -1
        out.sort(key=lambda g: (math.isnan(g["mean"]), sign * g["mean"]
                                if not math.isnan(g["mean"]) else 0))
        return out

    @property
    def best(self) -> dict:
        """The configuration with the best mean validation score; a ValueError that says
        why when no run has one (every run failed or diverged)."""
        reason = self.no_score_reason()
        if reason is not None:
            raise ValueError(reason)
        return self.configurations()[0]

    def no_score_reason(self) -> str | None:
        """Why no configuration has a score (``"every run failed: …"``), or None."""
        configs = self.configurations() if self.records else []
        if configs and not math.isnan(configs[0]["mean"]):
            return None
        errors = [r["error"] for r in self.records if r.get("error")]
        diverged = sum(1 for r in self.records if r.get("diverged"))
        if not self.records:
            return "the sweep has no runs"
        parts = []
        if errors:
            common = max(set(errors), key=errors.count)
            parts.append(f"{len(errors)} failed ({errors.count(common)} with: {common})")
        if diverged:
            parts.append(f"{diverged} diverged")
        rest = len(self.records) - len(errors) - diverged
        if rest:
            parts.append(f"{rest} without a {self.metric}")
        return f"no run of {len(self.records)} has a {self.metric}: {'; '.join(parts)}"

    def save_csv(self, path) -> None:
        """The table as CSV: one column per swept parameter (``param_<name>``), then the
        record's fields; lists are written as JSON."""
        import csv

        params = list(dict.fromkeys(k for r in self.records for k in r["params"]))
        fields = list(dict.fromkeys(k for r in self.records for k in r if k != "params"))
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([f"param_{k}" for k in params] + fields)
            for r in self.records:
                cells = [r["params"].get(k) for k in params] + [r.get(k) for k in fields]
                writer.writerow([json.dumps(c) if isinstance(c, (list, dict)) else
                                 ("" if c is None else c) for c in cells])

    def heatmap_data(self, x: str, y: str, metric: str | None = None):
        from ..plotting import heatmap_data

        return heatmap_data(self.records, x, y, metric or self.metric)

    def plot_heatmap(self, x: str, y: str, metric: str | None = None, **kwargs):
        """Two swept parameters against a metric (the mean over the other parameters, seeds
        and folds), values in the cells; see :func:`ffnn.plotting.plot_heatmap`."""
        from ..plotting import plot_heatmap

        return plot_heatmap(self.records, x, y, metric or self.metric, **kwargs)

    def comparable(self) -> list[dict]:
        """The records without where and how fast they ran: equal for equal sweeps."""
        return [{k: v for k, v in r.items() if k not in _CIRCUMSTANCES} for r in self.records]
