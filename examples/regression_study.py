"""Regression study: a feed-forward network against OLS and Ridge on polynomial features.

Data: the Franke function on the unit square and the Runge function on [-1, 1], both with
Gaussian noise of σ = 0.05, split 80/20 (train/test), inputs standardised on the training
part for the network. Compared:

1. the network (2 hidden sigmoid layers of 50, Adam, mini-batches of 32) against OLS and
   Ridge (λ by cross-validation) on polynomial features of degree 5 and 10;
2. a learning-rate × λ (L2) heatmap of the test MSE and R² (``ffnn.sweep``, in-process);
3. sigmoid, ReLU and leaky ReLU with 1 and 2 hidden layers of 50 and 100 nodes;
4. training curves of plain gradient steps (SGD), RMSprop and Adam on the same mini-batches;
5. fair baselines: the network trained with ``l2=λ`` and with ``l1=λ`` beside OLS, Ridge and
   Lasso on polynomial features at the same λ (``ffnn.baselines``: Ridge's α = n λ/2, Lasso's
   α = λ/2, at which they minimise the cost a linear ffnn model would).

Run ``python examples/regression_study.py --quick --out FOLDER`` (one seed, a few seconds)
or without ``--quick`` for means over 5 seeds. The notebook ``regression_study.ipynb`` calls
the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from _common import fmt, mean_se, optimality_violation, save, table
from _common import main as study_main
from matplotlib.figure import Figure
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

import ffnn
from ffnn.plotting import plot_heatmap
from ffnn.sklearn.baselines import lasso_alpha, linear_baselines, ridge_alpha

#: Ridge's λ is chosen among these by (efficient leave-one-out) cross-validation on the
#: training part.
RIDGE_ALPHAS = np.logspace(-8, 1, 19)


@dataclass(frozen=True)
class Settings:
    """Everything a run of the study depends on."""

    seeds: tuple[int, ...]
    epochs: int  # the networks of the comparisons and the curves
    sweep_epochs: int  # each run of the two sweeps
    lrs: tuple[float, ...]  # η of the η × λ heatmap
    l2s: tuple[float, ...]  # λ of the η × λ heatmap
    optimizer_lrs: dict  # optimizer name -> its learning rates to try
    matched_lambdas: tuple[float, ...]  # λ of the fair baselines (network l1/l2 = λ)
    hidden_sizes: tuple[tuple[int, ...], ...] = ((50,), (100,), (50, 50), (100, 100))
    activations: tuple[str, ...] = ("sigmoid", "relu", "leaky_relu")
    n_franke: int = 400
    n_runge: int = 200
    noise: float = 0.05
    degrees: tuple[int, ...] = (5, 10)
    hidden: tuple[int, ...] = (50, 50)
    activation: str = "sigmoid"
    optimizer: str = "adam"
    lr: float = 0.01
    batch_size: int = 32
    matched_degree: int = 5  # the polynomial features of the fair baselines


FULL = Settings(
    seeds=(0, 1, 2, 3, 4),
    epochs=1000,
    sweep_epochs=500,
    lrs=(1e-4, 1e-3, 1e-2, 1e-1),
    l2s=(0.0, 1e-5, 1e-4, 1e-3, 1e-2),
    optimizer_lrs={"sgd": (0.01, 0.1, 0.5), "rmsprop": (1e-4, 1e-3, 1e-2),
                   "adam": (1e-3, 1e-2, 1e-1)},
    matched_lambdas=(1e-4, 1e-3, 1e-2),
)
QUICK = replace(
    FULL,
    seeds=(0,),
    epochs=300,
    sweep_epochs=150,
    lrs=(1e-3, 1e-2, 1e-1),
    l2s=(0.0, 1e-4, 1e-2),
    hidden_sizes=((50,), (100,), (50, 50)),
    optimizer_lrs={"sgd": (0.5,), "rmsprop": (1e-3,), "adam": (1e-2,)},
    matched_lambdas=(1e-3,),
)

#: Quick mode: one seed and 300 epochs. Measured: Franke R² 0.91 for the network (Ridge of
#: degree 5: 0.93), Runge 0.93, RMSprop 0.72.
QUICK_FLOORS = {"franke_network_r2": 0.85, "runge_network_r2": 0.85,
                "franke_rmsprop_r2": 0.6}
#: Full mode (5 seeds): the targets of the study.
FULL_FLOORS = {"franke_network_r2": 0.9, "franke_network_minus_ridge5_r2": 0.0}


def settings(quick: bool) -> Settings:
    """The quick (one seed, CI) or full (5 seeds) settings."""
    return QUICK if quick else FULL


# -- data -------------------------------------------------------------------------------------


@dataclass
class Split:
    """One draw of a data set, split 80/20; ``Xs_*`` are standardised on the training part."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    Xs_train: np.ndarray
    Xs_test: np.ndarray
    scaler: StandardScaler


def load(name: str, seed: int, s: Settings) -> Split:
    """Draw the Franke (``"franke"``) or Runge (``"runge"``) data with seed ``seed``."""
    if name == "franke":
        X, y = ffnn.datasets.franke(s.n_franke, s.noise, seed=seed)
    elif name == "runge":
        X, y = ffnn.datasets.runge(s.n_runge, s.noise, seed=seed)
    else:
        raise ValueError(f"name must be 'franke' or 'runge', got {name!r}")
    X_train, X_test, y_train, y_test = ffnn.datasets.split(X, y, 0.2, seed=seed)
    Xs_train, Xs_test, scaler = ffnn.datasets.standardize(X_train, X_test)
    return Split(X_train, X_test, y_train, y_test, Xs_train, Xs_test, scaler)


# -- models ------------------------------------------------------------------------------------


def polynomial_model(degree: int, ridge: bool) -> Pipeline:
    """OLS or Ridge (λ by cross-validation) on standardised polynomial features."""
    linear = RidgeCV(alphas=RIDGE_ALPHAS) if ridge else LinearRegression()
    return make_pipeline(PolynomialFeatures(degree), StandardScaler(), linear)


def train_network(data: Split, s: Settings, seed: int, *, hidden: Sequence[int] | None = None,
                  activation: str | None = None, optimizer: str | None = None,
                  lr: float | None = None, l1: float = 0.0, l2: float = 0.0,
                  epochs: int | None = None) -> tuple[ffnn.Network, ffnn.History]:
    """Train a regression network (identity output, MSE) on the standardised inputs."""
    hidden = list(s.hidden if hidden is None else hidden)
    activation = activation or s.activation
    net = ffnn.Network(data.Xs_train.shape[1], [*hidden, 1],
                       [activation] * len(hidden) + ["identity"], seed=seed)
    history = ffnn.train(net, data.Xs_train, data.y_train, "mse",
                         optimizer=optimizer or s.optimizer, learning_rate=lr or s.lr,
                         epochs=s.epochs if epochs is None else epochs,
                         batch_size=s.batch_size, l1=l1, l2=l2, seed=seed, verbose=0)
    return net, history


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Test R² and MSE."""
    return {"r2": float(r2_score(y_true, y_pred)),
            "mse": float(mean_squared_error(y_true, y_pred))}


def network_name(s: Settings) -> str:
    return f"network {','.join(map(str, s.hidden))} {s.activation}"


@dataclass
class Comparison:
    """Per model, its test scores over the seeds; the fitted models of the first seed."""

    dataset: str
    results: dict  # model name -> {"r2": [...], "mse": [...], "seconds": [...]}
    first: dict  # model name -> predict(X raw) of the first seed's fit
    first_split: Split


def compare_models(dataset: str, s: Settings) -> Comparison:
    """The network against OLS and Ridge on polynomial features, once per seed."""
    results: dict[str, dict[str, list[float]]] = {}
    first: dict = {}
    first_split = None
    for seed in s.seeds:
        data = load(dataset, seed, s)
        first_split = first_split or data
        fitted = {}
        for degree in s.degrees:
            for ridge in (False, True):
                name = f"{'Ridge' if ridge else 'OLS'} (degree {degree})"
                started = time.perf_counter()
                model = polynomial_model(degree, ridge).fit(data.X_train, data.y_train)
                fitted[name] = (model.predict, time.perf_counter() - started)
        started = time.perf_counter()
        net, _ = train_network(data, s, seed)
        seconds = time.perf_counter() - started

        def predict(X, net=net, scaler=data.scaler):
            return net.predict(scaler.transform(X))

        fitted[network_name(s)] = (predict, seconds)
        for name, (predict, seconds) in fitted.items():
            entry = results.setdefault(name, {"r2": [], "mse": [], "seconds": []})
            for key, value in scores(data.y_test, predict(data.X_test)).items():
                entry[key].append(value)
            entry["seconds"].append(seconds)
            if seed == s.seeds[0]:
                first[name] = predict
    return Comparison(dataset, results, first, first_split)


def comparison_table(comparison: Comparison) -> str:
    """Test R² and MSE (mean ± standard error over the seeds) and fit time per model."""
    rows = [(name, fmt(r["r2"]), fmt(r["mse"], 5), f"{np.mean(r['seconds']):.3f}")
            for name, r in comparison.results.items()]
    return table(rows, [f"{comparison.dataset}: model", "test R²", "test MSE", "fit s"])


# -- fair baselines ----------------------------------------------------------------------------


@dataclass
class Matched:
    """The network at ``l2=λ`` and ``l1=λ`` beside OLS, Ridge and Lasso at the same λ."""

    dataset: str
    results: dict  # (model, ffnn penalty) -> {"alpha": ..., "r2": [...], "mse": [...]}
    worst_violation: float  # of ffnn's optimality conditions at the baselines' coefficients


def polynomial_features(data: Split, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised polynomial features (no constant column: the intercept is the models'
    unpenalised bias) of the training and test parts."""
    features = make_pipeline(PolynomialFeatures(degree, include_bias=False), StandardScaler())
    return features.fit_transform(data.X_train), features.transform(data.X_test)


def compare_matched(dataset: str, s: Settings) -> Matched:
    """For each λ of ``s.matched_lambdas`` and each seed: the network trained with ``l2=λ``
    and with ``l1=λ``, and :func:`ffnn.baselines.linear_baselines` (OLS, Ridge at
    α = n λ/2, Lasso at α = λ/2) on polynomial features of degree ``s.matched_degree``.
    Asserts that each baseline sits at the optimum of ffnn's cost with its penalty."""
    results: dict = {}
    worst = 0.0
    degree = f"(degree {s.matched_degree})"

    def record(name, penalty, alpha, y_test, y_pred):
        entry = results.setdefault((name, penalty), {"alpha": alpha, "r2": [], "mse": []})
        for key, value in scores(y_test, y_pred).items():
            entry[key].append(value)

    for seed in s.seeds:
        data = load(dataset, seed, s)
        Phi_train, Phi_test = polynomial_features(data, s.matched_degree)
        n = len(Phi_train)
        for lam in s.matched_lambdas:
            linear = {**linear_baselines(Phi_train, data.y_train[:, 0], l2=lam),
                      "Lasso": linear_baselines(Phi_train, data.y_train[:, 0], l1=lam)["Lasso"]}
            runs = {"Ridge": (0.0, lam, ridge_alpha(lam, n), f"l2 = {lam:g}"),
                    "Lasso": (lam, 0.0, lasso_alpha(lam), f"l1 = {lam:g}")}
            if lam == s.matched_lambdas[0]:  # OLS once per seed: it has no λ
                runs["OLS"] = (0.0, 0.0, None, "—")
            for name, (l1, l2, alpha, penalty) in runs.items():
                worst = max(worst, optimality_violation(linear[name], Phi_train,
                                                        data.y_train, l1, l2))
                record(f"{name} {degree}", penalty, alpha, data.y_test,
                       linear[name].predict(Phi_test))
            for l1, l2, penalty in ((0.0, lam, f"l2 = {lam:g}"), (lam, 0.0, f"l1 = {lam:g}")):
                net, _ = train_network(data, s, seed, l1=l1, l2=l2)
                record(network_name(s), penalty, None, data.y_test, net.predict(data.Xs_test))
    assert worst < 1e-6, f"a baseline is not at ffnn's optimum: violation {worst:.2e}"
    return Matched(dataset, results, worst)


def matched_table(matched: Matched) -> str:
    """Test R² and MSE per model and penalty, with scikit-learn's matched α."""
    rows = [(name, penalty, "—" if r["alpha"] is None else f"{r['alpha']:.4g}",
             fmt(r["r2"]), fmt(r["mse"], 5))
            for (name, penalty), r in sorted(matched.results.items(),
                                             key=lambda item: _penalty_order(item[0]))]
    return (table(rows, [f"{matched.dataset}: model", "ffnn penalty", "scikit-learn α",
                         "test R²", "test MSE"])
            + f"\nffnn's (sub)gradient at the baselines' coefficients: ≤ "
              f"{matched.worst_violation:.1e} (the same optimum)")


def _penalty_order(key: tuple[str, str]) -> tuple:
    name, penalty = key
    kind, _, value = penalty.partition(" = ")  # OLS, then per λ: l2 (Ridge), l1 (Lasso)
    return (float(value) if value else 0.0, kind != "l2", not name.startswith("network"))


# -- sweeps ------------------------------------------------------------------------------------


def _sweep_options(s: Settings) -> dict:
    return {"hidden": list(s.hidden), "activation": s.activation, "optimizer": s.optimizer,
            "lr": s.lr, "batch_size": s.batch_size, "epochs": s.sweep_epochs}


def lr_l2_sweep(s: Settings) -> ffnn.SweepResult:
    """η × λ over the Franke data (seed 0's draw), every cell once per seed, in-process.

    The sweep sets 20 % aside as the test part, trains on 80 % of the rest and validates on
    the remainder; the heatmap shows the test metrics."""
    X, y = ffnn.datasets.franke(s.n_franke, s.noise, seed=0)
    return ffnn.sweep((X, y), grid={"lr": list(s.lrs), "l2": list(s.l2s)},
                      options=_sweep_options(s), seeds=s.seeds, test_fraction=0.2,
                      standardize=True, task="regression", n_jobs=1)


def architecture_sweep(s: Settings) -> ffnn.SweepResult:
    """Activation × hidden layers on the Franke data, as :func:`lr_l2_sweep`."""
    X, y = ffnn.datasets.franke(s.n_franke, s.noise, seed=0)
    grid = {"activation": list(s.activations), "hidden": [list(h) for h in s.hidden_sizes]}
    return ffnn.sweep((X, y), grid=grid, options=_sweep_options(s), seeds=s.seeds,
                      test_fraction=0.2, standardize=True, task="regression", n_jobs=1)


def best_cell(result: ffnn.SweepResult, metric: str) -> tuple[dict, float]:
    """The grid point with the best mean ``metric`` over the seeds (lower is better for
    losses and MSE: :meth:`ffnn.SweepResult.configurations`)."""
    best = result.configurations(metric)[0]
    return best["params"], best["mean"]


# -- gradient methods --------------------------------------------------------------------------

OPTIMIZER_LABELS = {"sgd": "plain GD (SGD steps)", "rmsprop": "RMSprop", "adam": "Adam"}


def optimizer_curves(s: Settings) -> dict[str, dict]:
    """Training-loss curves of SGD, RMSprop and Adam on the Franke data.

    All use the same network, mini-batches of ``batch_size`` and epochs; each optimizer runs
    at the learning rate among ``s.optimizer_lrs[name]`` with the lowest final training loss
    (mean over the seeds). Returns, per optimizer, ``lr``, the mean ``loss`` curve and the
    ``test_r2`` of each seed.
    """
    splits = [load("franke", seed, s) for seed in s.seeds]
    out = {}
    for name, lrs in s.optimizer_lrs.items():
        runs = {}
        for lr in lrs:
            curves, r2s = [], []
            for seed, data in zip(s.seeds, splits):
                net, history = train_network(data, s, seed, optimizer=name, lr=lr)
                curve = np.full(s.epochs, np.nan)  # a diverged run stops early
                curve[: history.epochs] = history["loss"]
                curves.append(curve)
                r2s.append(scores(data.y_test, net.predict(data.Xs_test))["r2"])
            runs[lr] = {"lr": lr, "loss": np.mean(curves, axis=0), "test_r2": r2s}
        final = {lr: run["loss"][-1] for lr, run in runs.items()}
        best = min(final, key=lambda lr: final[lr] if np.isfinite(final[lr]) else np.inf)
        out[name] = runs[best]
    return out


# -- figures ----------------------------------------------------------------------------------


def _bars(ax, comparison: Comparison) -> None:
    names = list(comparison.results)
    stats = [mean_se(comparison.results[n]["r2"]) for n in names]
    ax.barh(range(len(names)), [m for m, _ in stats], xerr=[e for _, e in stats],
            color=["C0" if n.startswith("OLS") else "C1" if n.startswith("Ridge") else "C2"
                   for n in names])
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    low = min(m for m, _ in stats)
    ax.set_xlim(max(0.0, low - 0.05), 1.0)
    for i, (m, se) in enumerate(stats):
        ax.text(m + se, i, f" {m:.3f}", va="center", fontsize="small")
    ax.set_xlabel("test R²")
    ax.set_title(f"{comparison.dataset.capitalize()}: test R² by model")


def plot_comparison(comparison: Comparison) -> Figure:
    """Test R² per model (bars: mean ± standard error), and the first seed's fits."""
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    if comparison.dataset == "franke":
        axes = fig.subplots(1, 4, width_ratios=[1.6, 1, 1, 1])
        _bars(axes[0], comparison)
        g = np.linspace(0, 1, 101)
        xx, yy = np.meshgrid(g, g)
        grid = np.column_stack([xx.ravel(), yy.ravel()])
        ridge = next(n for n in comparison.first if n.startswith("Ridge"))
        surfaces = {"Franke function (no noise)": ffnn.datasets.franke_function(xx, yy),
                    ridge: comparison.first[ridge](grid).reshape(xx.shape),
                    "network": comparison.first[network_name_from(comparison)](grid)
                    .reshape(xx.shape)}
        vmin, vmax = -0.2, 1.3
        for ax, (title, z) in zip(axes[1:], surfaces.items()):
            image = ax.imshow(z, origin="lower", extent=(0, 1, 0, 1), vmin=vmin, vmax=vmax,
                              cmap="viridis")
            ax.set_title(title, fontsize="medium")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        fig.colorbar(image, ax=axes[1:], shrink=0.8, label="f(x, y)")
    else:
        axes = fig.subplots(1, 2, width_ratios=[1.2, 1])
        _bars(axes[0], comparison)
        _runge_fits(axes[1], comparison)
    return fig


def network_name_from(comparison: Comparison) -> str:
    return next(n for n in comparison.results if n.startswith("network"))


def _runge_fits(ax, comparison: Comparison) -> None:
    data = comparison.first_split
    x = np.linspace(-1, 1, 400)[:, None]
    ax.scatter(data.X_train[:, 0], data.y_train[:, 0], s=6, color="grey", alpha=0.5,
               label="training data")
    ax.plot(x, ffnn.datasets.runge_function(x), color="black", lw=1, label="1/(1+25x²)")
    for name in comparison.first:
        if name.startswith("OLS"):
            continue
        ax.plot(x, comparison.first[name](x), lw=1.5, label=name)
    ax.set_ylim(-0.3, 1.3)
    ax.set_xlabel("x")
    ax.legend(fontsize="x-small")
    ax.set_title("Runge: fits of the first seed")


def plot_lr_l2(result: ffnn.SweepResult) -> Figure:
    """Two heatmaps, test MSE and test R², over learning rate × λ."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax_mse, ax_r2 = fig.subplots(1, 2)
    plot_heatmap(result.records, "lr", "l2", "test_mse", ax=ax_mse, cmap="viridis_r",
                 title="Franke: test MSE (η × λ)")
    plot_heatmap(result.records, "lr", "l2", "test_r2", ax=ax_r2, fmt=".3f",
                 title="Franke: test R² (η × λ)")
    return fig


def plot_architectures(result: ffnn.SweepResult) -> Figure:
    """Test R² over activation × hidden layers."""
    return plot_heatmap(result.records, "hidden", "activation", "test_r2", fmt=".3f",
                        title="Franke: test R² (activation × hidden layers)")


def _curves(ax, curves: dict[str, dict]) -> None:
    for name, run in curves.items():
        ax.plot(np.arange(1, run["loss"].size + 1), run["loss"],
                label=f"{OPTIMIZER_LABELS[name]}, η={run['lr']:g}: "
                      f"test R² {np.mean(run['test_r2']):.3f}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training MSE")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title("Franke: gradient methods, mini-batches of 32")


def plot_optimizers(curves: dict[str, dict]) -> Figure:
    """Training MSE per epoch (mean over seeds) for each gradient method."""
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    _curves(fig.subplots(), curves)
    return fig


def plot_summary(franke: Comparison, runge: Comparison, lr_l2: ffnn.SweepResult,
                 curves: dict[str, dict]) -> Figure:
    """The study on one page (docs/regression-study.png)."""
    fig = Figure(figsize=(13, 8.5), layout="constrained")
    axes = fig.subplots(2, 2)
    _bars(axes[0, 0], franke)
    plot_heatmap(lr_l2.records, "lr", "l2", "test_r2", ax=axes[0, 1], fmt=".3f",
                 title="Franke: test R² (η × λ)")
    _curves(axes[1, 0], curves)
    _runge_fits(axes[1, 1], runge)
    return fig


# -- the study ---------------------------------------------------------------------------------


def architecture_table(result: ffnn.SweepResult, s: Settings) -> str:
    """Test R² (mean ± standard error over the seeds) per activation × hidden layers."""
    rows = []
    for activation in s.activations:
        row = [activation]
        for hidden in s.hidden_sizes:
            values = [r["test_r2"] for r in result.records
                      if r["params"] == {"activation": activation, "hidden": list(hidden)}
                      and r.get("test_r2") is not None]
            row.append(fmt(values, 3))
        rows.append(row)
    return table(rows, ["test R²"] + [",".join(map(str, h)) for h in s.hidden_sizes])


def optimizer_table(curves: dict[str, dict]) -> str:
    """Each gradient method's learning rate, final training MSE and test R²."""
    rows = [(OPTIMIZER_LABELS[name], f"{run['lr']:g}", f"{run['loss'][-1]:.5f}",
             fmt(run["test_r2"])) for name, run in curves.items()]
    return table(rows, ["method", "η", "final training MSE", "test R²"])


def key_numbers(franke: Comparison, runge: Comparison,
                curves: dict[str, dict]) -> dict[str, float]:
    """The numbers the floors check: mean test R² over the seeds."""
    numbers: dict[str, float] = {}
    for comparison in (franke, runge):
        r2 = {name: np.mean(r["r2"]) for name, r in comparison.results.items()}
        net = r2[network_name_from(comparison)]
        numbers[f"{comparison.dataset}_network_r2"] = float(net)
        numbers[f"{comparison.dataset}_ridge5_r2"] = float(r2["Ridge (degree 5)"])
        numbers[f"{comparison.dataset}_network_minus_ridge5_r2"] = float(
            net - r2["Ridge (degree 5)"])
    for name, run_ in curves.items():
        numbers[f"franke_{name}_r2"] = float(np.mean(run_["test_r2"]))
    return numbers


def paired_difference(comparison: Comparison, a: str, b: str) -> np.ndarray:
    """R²(a) − R²(b) for each seed (the same draws): ``fmt`` gives mean ± standard error."""
    return np.subtract(comparison.results[a]["r2"], comparison.results[b]["r2"])


def run(s: Settings, out: Path | None = None) -> dict[str, float]:
    """Run the whole study, print its tables, save its figures to ``out``; key numbers."""
    figures: dict[str, Figure] = {}
    comparisons = {}
    for dataset in ("franke", "runge"):
        comparison = comparisons[dataset] = compare_models(dataset, s)
        print(comparison_table(comparison))
        for other in ("Ridge (degree 5)", "Ridge (degree 10)"):
            diff = paired_difference(comparison, network_name_from(comparison), other)
            print(f"network − {other}: {fmt(diff)} (paired over the seeds)")
        print()
        figures[f"{dataset}_models.png"] = plot_comparison(comparison)

    print(matched_table(compare_matched("franke", s)), end="\n\n")

    lr_l2 = lr_l2_sweep(s)
    params, value = best_cell(lr_l2, "test_r2")
    print(f"η × λ: best test R² {value:.4f} at η={params['lr']:g}, λ={params['l2']:g}\n")
    figures["franke_lr_l2_heatmap.png"] = plot_lr_l2(lr_l2)

    architectures = architecture_sweep(s)
    print(architecture_table(architectures, s), end="\n\n")
    figures["franke_architectures.png"] = plot_architectures(architectures)

    curves = optimizer_curves(s)
    print(optimizer_table(curves))
    figures["franke_optimizers.png"] = plot_optimizers(curves)
    figures["regression_study.png"] = plot_summary(comparisons["franke"],
                                                   comparisons["runge"], lr_l2, curves)
    if out is not None:
        for name, fig in figures.items():
            save(fig, out, name)
    return key_numbers(comparisons["franke"], comparisons["runge"], curves)


def main(argv: Sequence[str] | None = None) -> None:
    study_main(__doc__, settings, run, QUICK_FLOORS, FULL_FLOORS, argv)


if __name__ == "__main__":
    main()
