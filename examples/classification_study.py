"""Classification study: ffnn against logistic regression, scikit-learn's MLP and PyTorch.

Data: breast cancer (569 × 30, two classes) and digits (1797 × 64, ten classes), each split
80/20 with the class proportions kept (stratified), features standardised on the training
part. Compared at the same architecture, optimizer, mini-batches and epochs:

1. ffnn's network (``FFNNClassifier``), logistic regression (ffnn with no hidden layer, and
   scikit-learn's ``LogisticRegression`` at the same penalty), scikit-learn's
   ``MLPClassifier`` and PyTorch (when it is importable; skipped otherwise): test accuracy
   and fit time;
2. a learning-rate × λ (L2) heatmap and a layers × nodes heatmap (``ffnn.sweep``,
   in-process);
3. confusion matrices (``sklearn.metrics``).

Run ``python examples/classification_study.py --quick --out FOLDER`` (one seed, a few
seconds) or without ``--quick`` for means over 5 seeds. The notebook
``classification_study.ipynb`` calls the same functions.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from _common import accuracy_bars, fmt, mean_se, save, table, train_torch
from _common import main as study_main
from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, confusion_matrix
from sklearn.neural_network import MLPClassifier

import ffnn
from ffnn.plotting import plot_heatmap


@dataclass(frozen=True)
class Settings:
    """Everything a run of the study depends on."""

    seeds: tuple[int, ...]
    epochs: int  # every model of the comparison
    sweep_epochs: int
    lrs: tuple[float, ...]  # η of the η × λ heatmap
    l2s: tuple[float, ...]  # λ of the η × λ heatmap
    layers: tuple[int, ...]  # the layers × nodes heatmap
    nodes: tuple[int, ...]
    hidden: tuple[int, ...] = (50,)
    activation: str = "relu"
    lr: float = 1e-3  # Adam's
    alpha: float = 1e-4  # ffnn's l2: (α/2) Σ‖W‖² in every mini-batch's cost
    batch_size: int = 32
    datasets: tuple[str, ...] = ("breast-cancer", "digits")


FULL = Settings(
    seeds=(0, 1, 2, 3, 4),
    epochs=100,
    sweep_epochs=100,
    lrs=(1e-4, 1e-3, 1e-2, 1e-1),
    l2s=(0.0, 1e-4, 1e-3, 1e-2, 1e-1),
    layers=(1, 2, 3),
    nodes=(5, 10, 25, 50, 100),
)
QUICK = replace(
    FULL,
    seeds=(0,),
    epochs=40,
    sweep_epochs=40,
    lrs=(1e-3, 1e-2, 1e-1),
    l2s=(0.0, 1e-3, 1e-1),
    layers=(1, 2),
    nodes=(10, 50),
)

#: Quick mode (one seed, 40 epochs); measured on a 2-core machine: breast cancer 0.96–0.97
#: for the network and logistic regression, digits 0.97.
QUICK_FLOORS = {"breast-cancer_network_accuracy": 0.93,
                "breast-cancer_ffnn_logistic_accuracy": 0.93,
                "digits_network_accuracy": 0.9}
#: Full mode (5 seeds): the network at 0.96 or more, and not below scikit-learn's MLP by
#: more than one standard error of the paired difference.
FULL_FLOORS = {"breast-cancer_network_accuracy": 0.96,
               "breast-cancer_network_minus_mlp_plus_se": 0.0}


def settings(quick: bool) -> Settings:
    """The quick (one seed, CI) or full (5 seeds) settings."""
    return QUICK if quick else FULL


def torch_available() -> bool:
    """Whether PyTorch can be imported (it is optional: CI has none)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# -- data -------------------------------------------------------------------------------------


@dataclass
class Split:
    """A stratified 80/20 split with standardised features; labels are class indices."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def load(name: str, seed: int) -> Split:
    """Breast cancer (``"breast-cancer"``) or digits (``"digits"``), split with ``seed``."""
    data = ffnn.datasets.load_dataset(name)
    X_train, X_test, T_train, T_test = ffnn.datasets.split(data.X, data.targets, 0.2,
                                                          seed=seed)
    X_train, X_test, _ = ffnn.datasets.standardize(X_train, X_test)
    return Split(X_train, X_test, T_train.argmax(axis=1), T_test.argmax(axis=1),
                 data.class_names)


# -- models ------------------------------------------------------------------------------------


#: Model names (the comparison's rows start with these).
NETWORK = "ffnn network"
MLP = "MLPClassifier"
LOGISTIC = "ffnn logistic (hidden=())"


def estimator_params(s: Settings, seed: int, hidden: Sequence[int] | None = None) -> dict:
    """scikit-learn's MLP parameters shared by ffnn and scikit-learn: every epoch runs (no
    stopping on the loss), Adam at ``s.lr``, mini-batches of ``s.batch_size``."""
    return {"hidden_layer_sizes": tuple(s.hidden if hidden is None else hidden),
            "activation": s.activation, "solver": "adam", "learning_rate_init": s.lr,
            "batch_size": s.batch_size, "max_iter": s.epochs, "tol": 0.0,
            "n_iter_no_change": s.epochs + 1, "random_state": seed}


def fit_torch(data: Split, s: Settings, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """The same network in PyTorch, from the same initial weights as ``ffnn.Network(seed)``
    (``ffnn.interop.to_torch``), trained with ``torch.optim.Adam`` on shuffled mini-batches,
    the penalty ``(α/2) Σ‖W‖²`` added to each batch's loss, on one thread (ffnn and
    scikit-learn use one here too: at this size BLAS runs single-threaded). Returns
    ``predict``."""
    import torch

    n_classes = len(data.class_names)
    binary = n_classes == 2
    hidden = list(s.hidden)
    net = ffnn.Network(data.X_train.shape[1], [*hidden, 1 if binary else n_classes],
                       [s.activation] * len(hidden) + ["sigmoid" if binary else "softmax"],
                       seed=seed)
    model = ffnn.interop.to_torch(net)[:-1]  # logits: the losses below take them
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(data.X_train)
    y = torch.from_numpy(data.y_train[:, None].astype(np.float64) if binary else data.y_train)
    train_torch(model, loss_fn, X, y, lr=s.lr, epochs=s.epochs, batch_size=s.batch_size,
                alpha=s.alpha, seed=seed)

    def predict(X_new: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = model(torch.from_numpy(X_new)).numpy()
        return (logits[:, 0] > 0).astype(int) if binary else logits.argmax(axis=1)

    return predict


def models(data: Split, s: Settings, seed: int, use_torch: bool) -> dict[str, Callable]:
    """Model name -> ``fit()`` returning ``predict``, all at the same settings."""
    n_train = len(data.X_train)
    params = estimator_params(s, seed)
    out = {
        f"{NETWORK} {params['hidden_layer_sizes']}": lambda: ffnn.FFNNClassifier(
            alpha=s.alpha, **params).fit(data.X_train, data.y_train).predict,
        # scikit-learn divides its penalty by the batch size: α_sklearn = α_ffnn · batch.
        f"{MLP} {params['hidden_layer_sizes']}": lambda: MLPClassifier(
            alpha=s.alpha * s.batch_size, **params).fit(data.X_train, data.y_train).predict,
    }
    if use_torch:
        out[f"PyTorch {params['hidden_layer_sizes']}"] = lambda: fit_torch(data, s, seed)
    logistic = estimator_params(s, seed, hidden=())
    out[LOGISTIC] = lambda: ffnn.FFNNClassifier(
        alpha=s.alpha, **logistic).fit(data.X_train, data.y_train).predict
    # The same minimum: (α/2)‖W‖² + mean loss  ⇔  C = 1 / (α · n_train).
    out["LogisticRegression"] = lambda: LogisticRegression(
        C=1 / (s.alpha * n_train), max_iter=5000).fit(data.X_train, data.y_train).predict
    return out


def _warm_up(dataset: str, s: Settings, use_torch: bool) -> None:
    """One tiny fit of each model first, so no fit time includes compiling or loading
    (JAX's compilation, PyTorch's first call)."""
    tiny = replace(s, epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for fit in models(load(dataset, 0), tiny, 0, use_torch).values():
            fit()


@dataclass
class Comparison:
    """Per model, test accuracy and fit seconds over the seeds; predictions of the first."""

    dataset: str
    accuracy: dict  # model name -> [accuracy per seed]
    seconds: dict  # model name -> [fit seconds per seed]
    first_split: Split
    first_predictions: dict  # model name -> test predictions of the first seed


def compare(dataset: str, s: Settings, use_torch: bool | None = None) -> Comparison:
    """Fit every model once per seed on ``dataset``; test accuracy and fit time."""
    use_torch = torch_available() if use_torch is None else use_torch
    _warm_up(dataset, s, use_torch)
    accuracy: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    first_split, first_predictions = None, {}
    for seed in s.seeds:
        data = load(dataset, seed)
        first_split = first_split or data
        for name, fit in models(data, s, seed, use_torch).items():
            with warnings.catch_warnings():  # every epoch runs: no convergence to report
                warnings.simplefilter("ignore", ConvergenceWarning)
                started = time.perf_counter()
                predict = fit()
                seconds.setdefault(name, []).append(time.perf_counter() - started)
            predictions = predict(data.X_test)
            accuracy.setdefault(name, []).append(accuracy_score(data.y_test, predictions))
            if seed == s.seeds[0]:
                first_predictions[name] = predictions
    return Comparison(dataset, accuracy, seconds, first_split, first_predictions)


def comparison_table(comparison: Comparison) -> str:
    """Test accuracy and fit time (mean ± standard error over the seeds) per model."""
    rows = [(name, fmt(comparison.accuracy[name]), fmt(comparison.seconds[name], 3))
            for name in comparison.accuracy]
    return table(rows, [f"{comparison.dataset}: model", "test accuracy", "fit seconds"])


def paired_difference(comparison: Comparison, a: str, b: str) -> np.ndarray:
    """accuracy(a) − accuracy(b) for each seed (the same splits)."""
    return np.subtract(comparison.accuracy[a], comparison.accuracy[b])


# -- sweeps ------------------------------------------------------------------------------------


def _sweep_options(s: Settings) -> dict:
    return {"hidden": list(s.hidden), "activation": s.activation, "optimizer": "adam",
            "lr": s.lr, "l2": s.alpha, "batch_size": s.batch_size, "epochs": s.sweep_epochs}


def lr_l2_sweep(s: Settings) -> ffnn.SweepResult:
    """η × λ on breast cancer, every cell once per seed, in-process (``n_jobs=1``).

    The sweep sets a stratified 20 % aside as the test part, trains on 80 % of the rest and
    validates on the remainder."""
    return ffnn.sweep("breast-cancer", grid={"lr": list(s.lrs), "l2": list(s.l2s)},
                      options=_sweep_options(s), seeds=s.seeds, test_fraction=0.2,
                      standardize=True, n_jobs=1)


def layers_nodes_sweep(s: Settings) -> list[dict]:
    """Hidden layers × nodes per layer on breast cancer; records with ``layers`` and
    ``nodes`` as their parameters (for :func:`ffnn.plotting.plot_heatmap`)."""
    hidden = [[n] * k for k in s.layers for n in s.nodes]
    result = ffnn.sweep("breast-cancer", grid={"hidden": hidden}, options=_sweep_options(s),
                        seeds=s.seeds, test_fraction=0.2, standardize=True, n_jobs=1)
    return [{**r, "params": {"layers": len(r["params"]["hidden"]),
                             "nodes": r["params"]["hidden"][0]}} for r in result.records]


def best_cell(records: list[dict], metric: str) -> tuple[dict, float]:
    """The grid point with the best mean ``metric`` over the seeds
    (:meth:`ffnn.SweepResult.configurations`)."""
    best = ffnn.SweepResult(list(records), "accuracy", "").configurations(metric)[0]
    return best["params"], best["mean"]


# -- figures ----------------------------------------------------------------------------------


def _bars(ax, comparison: Comparison) -> None:
    n_seeds = len(next(iter(comparison.seconds.values())))
    accuracy_bars(ax, comparison.accuracy, comparison.seconds,
                  f"{comparison.dataset}: test accuracy, {n_seeds} seed(s)")


def _confusion(ax, comparison: Comparison, name: str | None = None) -> None:
    name = name or next(iter(comparison.first_predictions))
    data = comparison.first_split
    matrix = confusion_matrix(data.y_test, comparison.first_predictions[name])
    labels = data.class_names if len(data.class_names) <= 2 else range(len(data.class_names))
    ConfusionMatrixDisplay(matrix, display_labels=labels).plot(ax=ax, colorbar=False)
    ax.set_title(f"{comparison.dataset}: {name}, first seed", fontsize="medium")


def plot_comparison(comparison: Comparison) -> Figure:
    """Accuracy bars (mean ± standard error, fit time) and the network's confusion matrix."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax_bars, ax_cm = fig.subplots(1, 2, width_ratios=[1.5, 1])
    _bars(ax_bars, comparison)
    _confusion(ax_cm, comparison)
    return fig


def plot_lr_l2(result: ffnn.SweepResult) -> Figure:
    """Validation and test accuracy over learning rate × λ."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax_val, ax_test = fig.subplots(1, 2)
    plot_heatmap(result.records, "lr", "l2", "val_accuracy", ax=ax_val, fmt=".3f",
                 title="breast cancer: validation accuracy (η × λ)")
    plot_heatmap(result.records, "lr", "l2", "test_accuracy", ax=ax_test, fmt=".3f",
                 title="breast cancer: test accuracy (η × λ)")
    return fig


def plot_layers_nodes(records: list[dict]) -> Figure:
    """Test accuracy over hidden layers × nodes per layer."""
    return plot_heatmap(records, "nodes", "layers", "test_accuracy", fmt=".3f",
                        title="breast cancer: test accuracy (layers × nodes)")


def plot_summary(cancer: Comparison, digits: Comparison, lr_l2: ffnn.SweepResult,
                 layers_nodes: list[dict]) -> Figure:
    """The study on one page (docs/classification-study.png)."""
    fig = Figure(figsize=(14, 9), layout="constrained")
    axes = fig.subplots(2, 2)
    _bars(axes[0, 0], cancer)
    plot_heatmap(lr_l2.records, "lr", "l2", "test_accuracy", ax=axes[0, 1], fmt=".3f",
                 title="breast cancer: test accuracy (η × λ)")
    plot_heatmap(layers_nodes, "nodes", "layers", "test_accuracy", ax=axes[1, 0], fmt=".3f",
                 title="breast cancer: test accuracy (layers × nodes)")
    _confusion(axes[1, 1], digits)
    return fig


# -- the study ---------------------------------------------------------------------------------


def model_name(comparison: Comparison, prefix: str) -> str:
    """The comparison's model whose name starts with ``prefix`` (e.g. :data:`NETWORK`)."""
    return next(name for name in comparison.accuracy if name.startswith(prefix))


def key_numbers(comparisons: Sequence[Comparison]) -> dict[str, float]:
    """The numbers the floors check: mean test accuracies over the seeds, and the network's
    paired difference to the MLP plus its standard error (≥ 0: not below the MLP by more
    than one standard error)."""
    numbers: dict[str, float] = {}
    for c in comparisons:
        network, mlp = model_name(c, NETWORK), model_name(c, MLP)
        diff, se = mean_se(paired_difference(c, network, mlp))
        numbers[f"{c.dataset}_network_accuracy"] = float(np.mean(c.accuracy[network]))
        numbers[f"{c.dataset}_mlp_accuracy"] = float(np.mean(c.accuracy[mlp]))
        numbers[f"{c.dataset}_network_minus_mlp_plus_se"] = diff + se
        numbers[f"{c.dataset}_ffnn_logistic_accuracy"] = float(np.mean(c.accuracy[LOGISTIC]))
    return numbers


def run(s: Settings, out: Path | None = None) -> dict[str, float]:
    """Run the whole study, print its tables, save its figures to ``out``; key numbers."""
    figures: dict[str, Figure] = {}
    use_torch = torch_available()
    if not use_torch:
        print("PyTorch is not importable: its rows are skipped\n")
    comparisons = {}
    for dataset in s.datasets:
        comparison = comparisons[dataset] = compare(dataset, s, use_torch)
        print(comparison_table(comparison))
        diff = paired_difference(comparison, model_name(comparison, NETWORK),
                                 model_name(comparison, MLP))
        print(f"network − MLPClassifier: {fmt(diff)} (paired over the seeds)\n")
        figures[f"{dataset}_models.png"] = plot_comparison(comparison)

    lr_l2 = lr_l2_sweep(s)
    for metric in ("val_accuracy", "test_accuracy"):
        params, value = best_cell(lr_l2.records, metric)
        print(f"η × λ: best {metric} {value:.4f} at η={params['lr']:g}, λ={params['l2']:g}")
    figures["breast-cancer_lr_l2_heatmap.png"] = plot_lr_l2(lr_l2)
    layers_nodes = layers_nodes_sweep(s)
    params, value = best_cell(layers_nodes, "test_accuracy")
    print(f"layers × nodes: best test_accuracy {value:.4f} at {params['layers']} layer(s) of "
          f"{params['nodes']}")
    figures["breast-cancer_layers_nodes_heatmap.png"] = plot_layers_nodes(layers_nodes)
    if "breast-cancer" in comparisons and "digits" in comparisons:
        figures["classification_study.png"] = plot_summary(
            comparisons["breast-cancer"], comparisons["digits"], lr_l2, layers_nodes)
    if out is not None:
        for name, fig in figures.items():
            save(fig, out, name)
    return key_numbers(list(comparisons.values()))


def main(argv: Sequence[str] | None = None) -> None:
    study_main(__doc__, settings, run, QUICK_FLOORS, FULL_FLOORS, argv)


if __name__ == "__main__":
    main()
