"""The course's η × λ grid trained several ways, in one run: the public ``ffnn.sweep`` (its
default: the stacks as vmapped JAX programs when JAX is installed, and with NumPy stacks),
ffnn's ``train_stack`` (``engine="auto"``: one vmapped JAX program when JAX is installed, and
``engine="stacked"``: the NumPy stack), ffnn one network at a time (``ffnn.train``,
``engine="auto"``), and scikit-learn's MLPClassifier looped over the grid.

    python benchmarks/grid.py              # the course grid, best of 3 (about a minute)
    python benchmarks/grid.py --repeat 1   # the quickest: each row once
    python benchmarks/grid.py --memory     # also: a 20 × 20 grid of 784 → 100 → 10 networks
                                           # on 10 000 samples through ffnn.sweep, peak RSS
    python benchmarks/grid.py --float32    # also: the sweep and scikit-learn in float32

The rows take turns, round by round; "time s" is the best round, "1st s" the first round,
which for the JAX rows includes compiling their programs (or loading them from ffnn's
persistent cache in ~/.cache/ffnn/jax with ``FFNN_JAX_CACHE=1`` in the environment).

The grid: breast cancer (standardised, stratified 80/20 split), 30 → 50 sigmoid → 1 sigmoid,
binary cross-entropy, plain SGD, batch 100, 100 epochs, η and λ each ``logspace(-5, 1, 7)``.
scikit-learn does the same work: ``solver='sgd'``, ``momentum=0``, ``alpha=λ``, ``tol=0``,
``n_iter_no_change`` > ``max_iter``. Its L2 term is ``alpha/(2 n) ‖W‖²`` per batch, ffnn's
``λ/2 ‖W‖²``: the same λ means a different penalty, so the accuracies are each library's own
best, not a check that they agree (the stacked and one-by-one ffnn runs must agree).

``ffnn.sweep`` runs in-process (``n_jobs=1``: its stacks share the cores by threads) on the
whole data set with a stratified 20 % validation part and standardisation fitted on the
training part: the same 455 training samples and work as the other rows; its accuracy is
the best validation accuracy (the other rows': test accuracy on the same 114 samples).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import ffnn  # noqa: E402
from ffnn.backends.stacked import train_stack  # noqa: E402

ETAS = LAMBDAS = np.logspace(-5, 1, 7)
EPOCHS, BATCH, HIDDEN = 100, 100, 50


def data():
    d = ffnn.datasets.load_dataset("breast-cancer")
    X, X_test, T, T_test = ffnn.datasets.split(d.X, d.targets[:, 1:], 0.2, seed=0)
    X, X_test, _ = ffnn.datasets.standardize(X, X_test)
    return X, X_test, T, T_test


def networks():
    grid = [(eta, lam) for eta in ETAS for lam in LAMBDAS]
    return grid, [ffnn.Network(30, [HIDDEN, 1], ["sigmoid", "sigmoid"], seed=0) for _ in grid]


def accuracy(net, X, T) -> float:
    return ffnn.training.accuracy(net.predict(X), T, ffnn.losses.binary_cross_entropy)


SWEEP_OPTIONS = {"hidden": [HIDDEN], "activation": ["sigmoid"], "loss": "binary_cross_entropy",
                 "optimizer": "sgd", "epochs": EPOCHS, "batch_size": BATCH}


def run_sweep(X, T, X_test, T_test, dtype="float64", engine="auto"):
    """The public path: ``ffnn.sweep`` over the η × λ grid (the data whole: it splits).
    ``engine="auto"``: its stacks train as vmapped JAX programs when JAX is installed;
    ``engine="numpy"`` makes them NumPy stacks, as every sweep's were before the JAX
    engine."""
    d = ffnn.datasets.load_dataset("breast-cancer")
    labels = d.targets.argmax(axis=1)
    t0 = time.perf_counter()
    result = ffnn.sweep((d.X, labels), grid={"lr": list(ETAS), "l2": list(LAMBDAS)},
                        options={**SWEEP_OPTIONS, "dtype": dtype, "engine": engine},
                        validation_fraction=0.2,
                        standardize=True, n_jobs=1)
    seconds = time.perf_counter() - t0
    return seconds, result


def run_sweep_float32(X, T, X_test, T_test):
    return run_sweep(X, T, X_test, T_test, "float32")


def run_sweep_numpy_stacks(X, T, X_test, T_test):
    return run_sweep(X, T, X_test, T_test, engine="numpy")


def run_stacked(X, T, X_test, T_test, engine="auto"):
    """``train_stack`` over the 49 networks: ``engine="auto"`` one vmapped JAX program when
    JAX is installed (else the NumPy stack), ``"stacked"`` the NumPy stack."""
    grid, nets = networks()
    t0 = time.perf_counter()
    histories = train_stack(nets, X, T, "binary_cross_entropy",
                            [ffnn.SGD(eta) for eta, _ in grid], l2=[lam for _, lam in grid],
                            epochs=EPOCHS, batch_size=BATCH, seed=0, engine=engine)
    seconds = time.perf_counter() - t0
    return seconds, nets, histories


def run_numpy_stack(X, T, X_test, T_test):
    return run_stacked(X, T, X_test, T_test, engine="stacked")


def run_one_by_one(X, T, X_test, T_test):
    """``ffnn.train`` network by network (``engine="auto"``: JAX when it is installed and
    the fit pays for compiling; the first network compiles the program, the others reuse it)."""
    grid, nets = networks()
    t0 = time.perf_counter()
    histories = [ffnn.train(net, X, T, "binary_cross_entropy", optimizer=ffnn.SGD(eta), l2=lam,
                            epochs=EPOCHS, batch_size=BATCH, seed=0, verbose=0)
                 for net, (eta, lam) in zip(nets, grid)]
    seconds = time.perf_counter() - t0
    return seconds, nets, histories


def run_sklearn(X, T, X_test, T_test, dtype=np.float64):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    y, y_test = T[:, 0], T_test[:, 0]
    X, X_test = X.astype(dtype), X_test.astype(dtype)  # scikit-learn's MLP keeps float32
    scores = []
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow at the largest rates
        for eta in ETAS:
            for lam in LAMBDAS:
                clf = MLPClassifier((HIDDEN,), activation="logistic", solver="sgd", momentum=0,
                                    learning_rate_init=eta, alpha=lam, batch_size=BATCH,
                                    max_iter=EPOCHS, tol=0, n_iter_no_change=EPOCHS + 1,
                                    random_state=0)
                clf.fit(X, y)
                scores.append(clf.score(X_test, y_test))
    return time.perf_counter() - t0, scores


def run_sklearn_float32(X, T, X_test, T_test):
    return run_sklearn(X, T, X_test, T_test, np.float32)


def memory_run() -> dict:
    """A 20 × 20 grid of 784 → 100 → 10 networks on 10 000 samples, one epoch, in a process
    of its own: its peak resident memory."""
    code = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import ffnn
rng = np.random.default_rng(0)
centres = 0.1 * rng.standard_normal((10, 784))
labels = rng.integers(0, 10, 10000)
X = centres[labels] + rng.standard_normal((10000, 784))
grid = {"lr": list(np.logspace(-4, 0, 20)), "l2": [0.0] + list(np.logspace(-6, -1, 19))}
t0 = time.perf_counter()
result = ffnn.sweep((X, labels), grid=grid, n_jobs=1, options={
    "hidden": [100], "activation": ["relu"], "optimizer": "adam", "epochs": 1,
    "batch_size": 128})
print(json.dumps({"seconds": time.perf_counter() - t0, "runs": len(result.records),
                  "stacked": result.stacked, "data_mb": X.nbytes / 2**20,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "best": result.best["mean"]}))
"""
    done = subprocess.run([sys.executable, "-c", code, str(HERE.parent / "src")],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    p.add_argument("--memory", action="store_true", help="also the 20 × 20 memory run")
    p.add_argument("--float32", action="store_true",
                   help="also the sweep and scikit-learn in float32")
    p.add_argument("--json", default=None, help="write the figures here")
    args = p.parse_args(argv)
    X, X_test, T, T_test = data()
    print(f"course grid: {len(ETAS)}×{len(LAMBDAS)} networks 30 → {HIDDEN} → 1, {len(X)} "
          f"training samples, batch {BATCH}, {EPOCHS} epochs; {os.cpu_count()} cores; best "
          f"of {args.repeat}", flush=True)
    rows = {}
    runs = (("ffnn.sweep", run_sweep), ("ffnn.sweep NumPy stacks", run_sweep_numpy_stacks),
            ("ffnn stacked", run_stacked),
            ("ffnn stacked, NumPy", run_numpy_stack), ("ffnn one by one", run_one_by_one),
            ("scikit-learn looped", run_sklearn))
    if args.float32:
        runs += (("ffnn.sweep float32", run_sweep_float32),
                 ("scikit-learn float32", run_sklearn_float32))
    times = {name: [] for name, _ in runs}
    cpu = {name: [] for name, _ in runs}  # CPU seconds of the process (all its threads)
    last = {}
    for _ in range(args.repeat):  # the rows take turns: a busy moment hits them alike
        for name, run in runs:
            c0 = time.process_time()
            seconds, *last[name] = run(X, T, X_test, T_test)
            cpu[name].append(time.process_time() - c0)
            times[name].append(seconds)
    for name, _ in runs:
        rest = last[name]
        times_ = times[name]
        if name.startswith("ffnn.sweep"):
            result = rest[0]
            rows[name] = {"seconds": min(times_), "all": times_,
                          "best_test_accuracy": result.best["mean"],
                          # the option given (the sweep's records do not say the path)
                          "engine": "engine=" + ("'numpy'" if "NumPy" in name else "'auto'"),
                          "diverged_runs": [bool(r["diverged"]) for r in result.records],
                          "stacked_runs": result.stacked}
        elif name.startswith("ffnn"):
            nets, histories = rest
            scores = [accuracy(net, X_test, T_test) for net in nets]
            rows[name] = {"seconds": min(times_), "all": times_, "best_test_accuracy":
                          max(scores),
                          "params": [net.params.copy() for net in nets],
                          "diverged_runs": [h.diverged for h in histories],
                          "engine": histories[0].engine}
        else:
            rows[name] = {"seconds": min(times_), "all": times_,
                          "best_test_accuracy": max(rest[0])}
    for name in rows:
        rows[name]["cpu_seconds"] = min(cpu[name])
        rows[name]["first_seconds"] = times[name][0]  # the first round: JAX compiles here
    sk = rows["scikit-learn looped"]["seconds"]
    sk_cpu = rows["scikit-learn looped"]["cpu_seconds"]
    stacked, alone = rows["ffnn stacked"], rows["ffnn one by one"]

    def difference(row):
        """The largest relative difference of ``row``'s weights from the one-by-one run's
        (networks that did not diverge)."""
        return max(float(np.abs(a - b).max() / np.abs(b).max())
                   for a, b, d in zip(row["params"], alone["params"], alone["diverged_runs"])
                   if not d)

    agree = difference(stacked)
    agree_numpy = difference(rows["ffnn stacked, NumPy"])
    print(f"\n{'':23s} {'time s':>8s} {'1st s':>7s} {'/ sklearn':>10s} {'cpu s':>7s} "
          f"{'/ sklearn':>10s} {'best test acc':>14s} {'diverged':>9s}")
    for name, row in rows.items():
        print(f"{name:23s} {row['seconds']:8.3f} {row['first_seconds']:7.3f} "
              f"{row['seconds'] / sk:10.3f} "
              f"{row['cpu_seconds']:7.2f} {row['cpu_seconds'] / sk_cpu:10.3f} "
              f"{row['best_test_accuracy']:14.4f} "
              f"{sum(row['diverged_runs']) if 'diverged_runs' in row else '–':>9}"
              f"{'  (' + row['engine'] + ')' if 'engine' in row else ''}")
    print(f"\nstacked / one by one: {stacked['seconds'] / alone['seconds']:.2f}; largest "
          f"relative difference of the weights from one by one (networks that did not "
          f"diverge): stacked {agree:.1e}, NumPy stack {agree_numpy:.1e}")
    print("1st s: the first round (for the JAX rows: compiling, or loading from ffnn's "
          "persistent cache, included); time s: the best round")
    print("cpu s: the process's CPU time over the row (all threads; the least of the "
          "repeats)")
    print("ffnn.sweep: best validation accuracy; all times best of "
          f"{args.repeat} (each: {', '.join(f'{t:.2f}' for t in rows['ffnn.sweep']['all'])} s "
          "for the sweep)")
    report = {"rows": {k: {kk: (sum(vv) if kk == "diverged_runs" else vv)
                           for kk, vv in v.items() if kk != "params"}
                       for k, v in rows.items()},
              "sweep_over_sklearn": rows["ffnn.sweep"]["seconds"] / sk,
              "sweep_cpu_over_sklearn_cpu": rows["ffnn.sweep"]["cpu_seconds"] / sk_cpu,
              "stacked_over_sklearn": stacked["seconds"] / sk,
              "stacked_over_one_by_one": stacked["seconds"] / alone["seconds"],
              "max_relative_weight_difference": agree,
              "max_relative_weight_difference_numpy_stack": agree_numpy,
              "jax_cache": os.environ.get("FFNN_JAX_CACHE", "0") not in ("", "0"),
              "cores": os.cpu_count(),
              "peak_mb_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
              / 1024}
    if args.memory:
        print("\n20 × 20 grid of 784 → 100 → 10 on 10 000 samples (1 epoch, ffnn.sweep, "
              "in-process):", flush=True)
        report["memory"] = memory_run()
        m = report["memory"]
        print(f"  {m['runs']} runs ({m['stacked']} stacked) in {m['seconds']:.1f} s, peak "
              f"{m['peak_mb']:.0f} MB (data {m['data_mb']:.0f} MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
