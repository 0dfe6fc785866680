"""One contender of the benchmark, in a process of its own (see run.py).

Usage: python benchmarks/_worker.py SPEC.json OUT.json

SPEC describes one run: the contender (ffnn, ffnn-est: ffnn's scikit-learn estimator, sklearn,
torch, jax-grad: the same network in plain JAX with jax.grad and optax, numpy, or matmul for
the machine's matrix-product rate), the workload (layer sizes, activations, loss, optimizer,
batch size, epochs), the dtype, the data files and the initial weights (an .npz written by
run.py from ffnn's glorot initialiser, so every contender starts from the same weights).

The worker loads the data, makes the first call (unless the spec says ``warmup: false``: the
same training call, untimed by the table but its wall time kept as ``first_call_seconds``,
imports and JAX's compilation included), then the timed call, reads its own peak resident
memory (``ru_maxrss``, nothing subtracted), and only then evaluates accuracies, so that
prediction buffers do not count towards the peak. It imports only what its contender needs:
the torch, jax-grad and numpy contenders never import ffnn or scikit-learn.

The BLAS thread count comes from the environment that run.py sets (OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, read when the libraries load), and is applied again
with threadpoolctl when it is importable, and with torch.set_num_threads for PyTorch. XLA's
CPU thread pool (ffnn's JAX engine, jax-grad) reads none of these: when fewer threads than
usable cores are asked for, the process is pinned to that many cores (sched_setaffinity).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


# -- helpers ------------------------------------------------------------------------------

def _proc_status_mb(field: str) -> float:
    """A memory field of /proc/self/status in MB; NaN where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def rss_now_mb() -> float:
    """Current resident memory (VmRSS) in MB."""
    return _proc_status_mb("VmRSS")


def hwm_mb() -> float:
    """Peak resident memory of this address space (VmHWM) in MB: a check on ru_maxrss,
    which Linux carries over from the parent across fork and exec."""
    return _proc_status_mb("VmHWM")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def pin_to_cores(threads: int) -> list[int] | None:
    """Pin this process to its first ``threads`` usable cores when that is fewer than it may
    use (XLA's thread pool follows the affinity, not the BLAS variables); the cores, or None
    when nothing was changed."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    usable = sorted(os.sched_getaffinity(0))
    if threads >= len(usable):
        return None
    os.sched_setaffinity(0, usable[:threads])
    return usable[:threads]


def limit_threads(threads: int):
    """Apply the thread count with threadpoolctl (if installed); return its info."""
    try:
        import threadpoolctl
    except ImportError:
        return None, None
    limiter = threadpoolctl.threadpool_limits(limits=threads)
    return limiter, threadpoolctl.threadpool_info()


def load_data(spec: dict):
    d = spec["data"]
    X = np.load(d["X_train"])
    y = np.load(d["y_train"])
    return X, y


def load_test(spec: dict):
    d = spec["data"]
    if "X_test" not in d:
        return None, None
    return np.load(d["X_test"]), np.load(d["y_test"])


def load_layers(spec: dict, dtype) -> list[tuple[np.ndarray, np.ndarray]]:
    with np.load(spec["init"]) as f:
        n = len(spec["sizes"]) - 1
        return [(f[f"W{i}"].astype(dtype), f[f"b{i}"].astype(dtype)) for i in range(n)]


def one_hot(y: np.ndarray, n_out: int, dtype) -> np.ndarray:
    """Targets as the network's outputs: one-hot rows, or a column of 0/1 for one output."""
    if n_out == 1:
        return y.astype(dtype).reshape(-1, 1)
    Y = np.zeros((len(y), n_out), dtype=dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


def predict_labels(output: np.ndarray) -> np.ndarray:
    if output.shape[1] == 1:
        return (output[:, 0] > 0.5).astype(np.int64)
    return output.argmax(axis=1)


# -- contenders: each returns (seconds, model-specific predict function, extra) -----------

def run_ffnn(spec, X, y, dtype):
    # this repository's ffnn (or --ffnn-src), whatever is installed
    sys.path.insert(0, spec.get("ffnn_src") or str(REPO / "src"))
    import ffnn

    sizes, n_out = spec["sizes"], spec["sizes"][-1]
    net = ffnn.Network(sizes[0], sizes[1:], spec["activations"], dtype=dtype, seed=0)
    net.layers = load_layers(spec, dtype)
    Y = one_hot(y, n_out, dtype)
    opt = spec["optimizer"]
    if opt["name"] == "adam":
        optimizer = ffnn.Adam(opt["lr"])
    elif opt["name"] == "sgd":
        optimizer = ffnn.SGD(opt["lr"])
    elif opt["name"] == "momentum":
        optimizer = ffnn.Momentum(opt["lr"], opt["momentum"])
    else:
        raise ValueError(opt)
    batch_size = spec["batch_size"]  # None: the full batch
    # "auto": JAX when it is installed and the fit pays for compiling (ffnn.paths.choose),
    # "numpy": the NumPy engine, "jax": the JAX engine or an error
    seconds, history, extra = timed(spec, lambda: ffnn.train(
        net, X, Y, spec["loss"], optimizer=optimizer, epochs=spec["epochs"],
        batch_size=batch_size, seed=0, verbose=0, engine=spec.get("engine", "auto")))
    extra.update({"history_last_loss": history["loss"][-1],
                  "history_last_accuracy": history["accuracy"][-1],
                  "engine": history.engine, "ffnn_file": ffnn.__file__})
    return seconds, net.predict, extra


def timed(spec, call):
    """``call()`` timed, under cProfile when the spec asks (its tables in the extra)."""
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - t0
    extra = {}
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(25)
            extra[f"profile_{key}"] = out.getvalue()
    return seconds, result, extra


def run_ffnn_est(spec, X, y, dtype):
    """ffnn's scikit-learn estimator on the same work as run_ffnn: the same initial weights
    (an ``initializer`` handing out the shared layers), epochs (``tol=0``,
    ``n_iter_no_change=np.inf``: no early stop), optimizer and batches (shuffled by the
    generator ffnn.train(seed=0) draws from), labels as ``y``."""
    sys.path.insert(0, spec.get("ffnn_src") or str(REPO / "src"))
    from sklearn.exceptions import ConvergenceWarning

    import ffnn

    sizes, opt, n = spec["sizes"], spec["optimizer"], len(X)
    layers = iter(load_layers(spec, np.float64))  # drawn in float64, cast by the network

    def shared_weights(rng, n_in, n_out):
        W, b = next(layers)
        assert W.shape == (n_in, n_out)
        return W, b

    solver = {"adam": dict(solver="adam"), "sgd": dict(solver="gd"),
              "momentum": dict(solver="sgd", momentum=opt.get("momentum"),
                               nesterovs_momentum=False)}[opt["name"]]

    class SameShuffles(ffnn.FFNNClassifier):
        def _seeds(self):  # the shuffling generator of ffnn.train(seed=0): the same batches
            return np.random.default_rng(1), np.random.default_rng(0)

        def _make_trainer(self, network, shuffle_rng):
            super()._make_trainer(network, shuffle_rng)
            if spec.get("engine", "auto") != "auto":  # the estimator has no engine parameter
                self._trainer.engine = spec["engine"]

    est = SameShuffles(
        tuple(sizes[1:-1]), list(spec["activations"][:-1]), **solver,
        learning_rate_init=opt["lr"], alpha=0.0,
        batch_size=n if spec["batch_size"] is None else spec["batch_size"],
        max_iter=spec["epochs"], tol=0.0, n_iter_no_change=np.inf, shuffle=True,
        random_state=0, initializer=shared_weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds, _, extra = timed(spec, lambda: est.fit(X, y))
    if est.n_iter_ != spec["epochs"] or est.network_.dtype != dtype:
        raise RuntimeError(f"the estimator ran {est.n_iter_} epochs in {est.network_.dtype}")
    if spec.get("engine", "auto") != "auto" and est.engine_ != spec["engine"]:
        raise RuntimeError(f"the estimator ran on {est.engine_!r}, not {spec['engine']!r}")
    extra.update({"history_last_loss": est.loss_curve_[-1],
                  "history_last_accuracy": est.history_["accuracy"][-1],
                  "engine": est.engine_, "ffnn_file": ffnn.__file__})

    def predict(Xp):
        proba = est.predict_proba(Xp)
        return proba[:, 1:] if proba.shape[1] == 2 and sizes[-1] == 1 else proba

    return seconds, predict, extra


def run_sklearn(spec, X, y, dtype):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    sizes, epochs = spec["sizes"], spec["epochs"]
    hidden = spec["activations"][:-1]
    assert len(set(hidden)) == 1, "scikit-learn uses one hidden activation"
    activation = {"sigmoid": "logistic", "relu": "relu", "tanh": "tanh"}[hidden[0]]
    opt = spec["optimizer"]
    n = len(X)
    params = dict(
        hidden_layer_sizes=tuple(sizes[1:-1]), activation=activation, alpha=0.0,
        batch_size=n if spec["batch_size"] is None else spec["batch_size"],
        learning_rate_init=opt["lr"], max_iter=epochs,
        tol=0.0, n_iter_no_change=epochs + 1,  # never stops early: the same epochs for all
        # Shuffling a full batch changes nothing but costs scikit-learn ~140 µs a step
        # (its array indexing), and ffnn does not shuffle a full batch: off for the full batch.
        shuffle=spec["batch_size"] is not None and spec["batch_size"] < n,
        random_state=0, warm_start=True,
    )
    if opt["name"] == "adam":
        params.update(solver="adam")
    elif opt["name"] == "sgd":
        params.update(solver="sgd", momentum=0.0, learning_rate="constant")
    elif opt["name"] == "momentum":
        params.update(solver="sgd", momentum=opt["momentum"], nesterovs_momentum=False,
                      learning_rate="constant")
    clf = MLPClassifier(**params)
    # Initialise scikit-learn's attributes with a one-step fit on one sample of each class,
    # then put ffnn's initial weights in and reset the training state: the timed fit below
    # continues from them (warm_start) with a fresh optimizer.
    first = np.unique(y, return_index=True)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(max_iter=1)
        clf.fit(X[first], y[first])
        clf.set_params(max_iter=epochs)
    layers = load_layers(spec, dtype)
    clf.coefs_ = [W.copy() for W, _ in layers]
    clf.intercepts_ = [b.copy() for _, b in layers]
    clf._best_coefs = [c.copy() for c in clf.coefs_]
    clf._best_intercepts = [c.copy() for c in clf.intercepts_]
    clf.n_iter_, clf.t_, clf.loss_curve_ = 0, 0, []
    clf._no_improvement_count, clf.best_loss_ = 0, np.inf
    assert clf.coefs_[0].dtype == dtype
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    seconds = time.perf_counter() - t0
    extra = {"n_iter": int(clf.n_iter_), "history_last_loss": float(clf.loss_curve_[-1])}
    if clf.n_iter_ != epochs:
        raise RuntimeError(f"scikit-learn ran {clf.n_iter_} epochs, not {epochs}")

    def predict(Xp):
        proba = clf.predict_proba(Xp)
        return proba[:, 1:] if proba.shape[1] == 2 and sizes[-1] == 1 else proba

    return seconds, predict, extra


def run_torch(spec, X, y, dtype):
    import torch
    from torch import nn

    torch.set_num_threads(spec["threads"])
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype.type]
    sizes, acts = spec["sizes"], spec["activations"]
    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        modules.append(nn.Linear(n_in, n_out, dtype=tdtype))
        if i < len(sizes) - 2:
            modules.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[acts[i]]())
    model = nn.Sequential(*modules)  # logits out: the loss applies softmax / sigmoid
    state = {}
    for i, (W, b) in enumerate(load_layers(spec, dtype)):
        state[f"{2 * i}.weight"] = torch.from_numpy(np.ascontiguousarray(W.T))
        state[f"{2 * i}.bias"] = torch.from_numpy(b)
    model.load_state_dict(state)
    binary = sizes[-1] == 1
    if binary:
        loss_fn = nn.BCEWithLogitsLoss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(dtype).reshape(-1, 1))
    else:
        loss_fn = nn.CrossEntropyLoss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    opt = spec["optimizer"]
    if opt["name"] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=opt["lr"])
    elif opt["name"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=opt["lr"])
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt["momentum"])
    n = len(X)
    bs = n if spec["batch_size"] is None else min(spec["batch_size"], n)
    gen = torch.Generator().manual_seed(0)
    history = []
    t0 = time.perf_counter()
    for _ in range(spec["epochs"]):
        perm = torch.randperm(n, generator=gen) if bs < n else None
        total, correct = 0.0, 0
        for start in range(0, n, bs):
            if perm is None:
                xb, yb = Xt, yt
            else:
                index = perm[start:start + bs]
                xb, yb = Xt[index], yt[index]
            optimizer.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            # history, as ffnn's: the mean loss and the accuracy over the epoch's batches
            total += loss.item() * len(xb)
            if binary:
                correct += ((out > 0) == (yb > 0.5)).sum().item()
            else:
                correct += (out.argmax(1) == yb).sum().item()
        history.append((total / n, correct / n))
    seconds = time.perf_counter() - t0
    extra = {"history_last_loss": history[-1][0], "history_last_accuracy": history[-1][1],
             "torch_threads": torch.get_num_threads()}

    def predict(Xp):
        with torch.no_grad():
            z = model(torch.from_numpy(Xp))
            return (torch.sigmoid(z) if binary else torch.softmax(z, dim=1)).numpy()

    return seconds, predict, extra


# The jax-grad contender: what a JAX user writes instead of ffnn. The same network, initial
# weights and batches as ffnn.train(seed=0); gradients by jax.grad of the cost; the optimizer
# from optax with ffnn's (PyTorch's) formulas: optax.sgd (b ← μ b + g, θ ← θ - lr b, as
# ffnn.Momentum and torch.optim.SGD without dampening) and optax.adam (bias-corrected m̂, v̂,
# θ ← θ - lr m̂ / (√v̂ + ε), as ffnn.Adam and torch.optim.Adam). The whole run is one jitted
# function: a lax.scan over the epochs and, inside each, a lax.scan over the full
# mini-batches and one more step for a last, smaller one (ffnn's batches). float64 rows run
# inside ``jax.enable_x64(True)``; float32 rows with JAX's defaults.

_JAX_PROGRAMS: dict[str, object] = {}


def jax_grad_program(spec, n: int):
    """The jitted training run for this configuration, built once per process (a JAX user
    defines it once, at module level): the first call compiles it, the timed call reuses it.
    Returns ``(train, logits)``: ``train(layers, X, y, orders) -> (layers, history)``."""
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax

    key = json.dumps([spec[k] for k in ("sizes", "activations", "loss", "optimizer",
                                        "batch_size", "epochs", "dtype")] + [n])
    if key in _JAX_PROGRAMS:
        return _JAX_PROGRAMS[key]
    sizes, epochs = spec["sizes"], spec["epochs"]
    hidden = [{"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}[a]
              for a in spec["activations"][:-1]]
    binary = sizes[-1] == 1
    expected = "binary_cross_entropy" if binary else "cross_entropy"
    if spec["loss"] != expected or spec["activations"][-1] != ("sigmoid" if binary
                                                                else "softmax"):
        raise ValueError(f"jax-grad knows sigmoid + binary cross-entropy and softmax + "
                         f"cross-entropy, not {spec['activations'][-1]} + {spec['loss']}")
    opt = spec["optimizer"]
    if opt["name"] == "adam":
        optimizer = optax.adam(opt["lr"], b1=0.9, b2=0.999, eps=1e-8)
    elif opt["name"] == "sgd":
        optimizer = optax.sgd(opt["lr"])
    elif opt["name"] == "momentum":
        optimizer = optax.sgd(opt["lr"], momentum=opt["momentum"], nesterov=False)
    else:
        raise ValueError(opt)
    bs = n if spec["batch_size"] is None else min(spec["batch_size"], n)
    full, rest = divmod(n, bs)

    def logits(layers, x):
        for (W, b), f in zip(layers[:-1], hidden):
            x = f(x @ W + b)
        W, b = layers[-1]
        return x @ W + b

    def cost(layers, x, y):
        """The batch's mean cost (on the logits: softmax or sigmoid inside the loss), and
        its correct predictions, for the history."""
        z = logits(layers, x)
        if binary:
            z = z[:, 0]
            losses = optax.sigmoid_binary_cross_entropy(z, y.astype(z.dtype))
            correct = jnp.sum((z > 0) == (y == 1))
        else:
            losses = optax.softmax_cross_entropy_with_integer_labels(z, y)
            correct = jnp.sum(jnp.argmax(z, axis=1) == y)
        return jnp.mean(losses), correct.astype(jnp.int32)

    loss_and_grad = jax.value_and_grad(cost, has_aux=True)

    def step(carry, x, y):
        layers, state, total, correct = carry
        (loss, right), grads = loss_and_grad(layers, x, y)
        updates, state = optimizer.update(grads, state, layers)
        return (optax.apply_updates(layers, updates), state, total + loss * x.shape[0],
                correct + right)

    def epoch(carry, order, X, y):
        """One epoch: ffnn's batches (the order's full batches, then the rest), and the
        history as ffnn's: the mean cost and the accuracy of each batch before its update."""
        layers, state = carry
        c = (layers, state, jnp.zeros((), X.dtype), jnp.zeros((), jnp.int32))
        if order is None:  # the full batch, unshuffled
            c = step(c, X, y)
        else:
            def body(c, index):
                return step(c, X[index], y[index]), None

            c, _ = lax.scan(body, c, order[:full * bs].reshape(full, bs))
            if rest:
                index = order[full * bs:]
                c = step(c, X[index], y[index])
        layers, state, total, correct = c
        return (layers, state), (total / n, correct)

    @jax.jit
    def train(layers, X, y, orders):
        state = optimizer.init(layers)
        if orders is None:
            (layers, _), history = lax.scan(lambda c, _: epoch(c, None, X, y),
                                            (layers, state), None, length=epochs)
        else:
            (layers, _), history = lax.scan(lambda c, order: epoch(c, order, X, y),
                                            (layers, state), orders)
        return layers, history

    _JAX_PROGRAMS[key] = train, jax.jit(logits)
    return _JAX_PROGRAMS[key]


def run_jax_grad(spec, X, y, dtype):
    import jax

    n = len(X)
    bs = n if spec["batch_size"] is None else min(spec["batch_size"], n)
    binary = spec["sizes"][-1] == 1

    def x64():
        return jax.enable_x64(True) if dtype == np.float64 else contextlib.nullcontext()

    layers = [tuple(pair) for pair in load_layers(spec, dtype)]
    t0 = time.perf_counter()
    with x64():
        train, logits = jax_grad_program(spec, n)
        # the permutations ffnn.train(seed=0) draws: one per epoch, for mini-batches only
        rng = np.random.default_rng(0)
        orders = (np.stack([rng.permutation(n) for _ in range(spec["epochs"])]).astype(np.int32)
                  if bs < n else None)
        trained, history = jax.device_get(train(layers, X, y.astype(np.int32), orders))
    seconds = time.perf_counter() - t0
    losses, corrects = history
    if trained[0][0].dtype != dtype:
        raise RuntimeError(f"jax-grad trained in {trained[0][0].dtype}, not {dtype}")
    extra = {"history_last_loss": float(losses[-1]),
             "history_last_accuracy": int(corrects[-1]) / n, "jax_version": jax.__version__,
             "jax_device": str(jax.devices()[0])}

    def predict(Xp):
        with x64():
            z = np.asarray(logits(trained, Xp), dtype=np.float64)
        if binary:
            return 1 / (1 + np.exp(-z))
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return seconds, predict, extra


# The plain-NumPy contender: the notebook's functions and loop, written as a student would
# (a new array for every intermediate, lists of (W, b), the update inline).

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_der(z):
    s = sigmoid(z)
    return s * (1 - s)


def relu(z):
    return np.where(z > 0, z, 0)


def relu_der(z):
    return (z > 0).astype(z.dtype)


def softmax(z):
    e_z = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e_z / np.sum(e_z, axis=1, keepdims=True)


def feed_forward_saver(X, layers, activation_funcs):
    layer_inputs, zs = [], []
    a = X
    for (W, b), f in zip(layers, activation_funcs):
        layer_inputs.append(a)
        z = a @ W + b
        a = f(z)
        zs.append(z)
    return layer_inputs, zs, a


def backpropagation(X, targets, layers, activation_funcs, activation_ders):
    layer_inputs, zs, predict = feed_forward_saver(X, layers, activation_funcs)
    layer_grads = [() for _ in layers]
    for i in reversed(range(len(layers))):
        layer_input, z = layer_inputs[i], zs[i]
        if i == len(layers) - 1:
            # softmax + cross-entropy or sigmoid + binary cross-entropy: dC/dz = (p - y) / n
            dC_dz = (predict - targets) / len(X)
        else:
            W, _ = layers[i + 1]
            dC_da = dC_dz @ W.T
            dC_dz = dC_da * activation_ders[i](z)
        dC_dW = layer_input.T @ dC_dz
        dC_db = dC_dz.sum(axis=0)
        layer_grads[i] = (dC_dW, dC_db)
    return layer_grads, predict


def run_numpy(spec, X, y, dtype):
    sizes = spec["sizes"]
    funcs = {"sigmoid": sigmoid, "relu": relu, "softmax": softmax}
    ders = {"sigmoid": sigmoid_der, "relu": relu_der}
    activation_funcs = [funcs[a] for a in spec["activations"]]
    activation_ders = [ders.get(a) for a in spec["activations"]]
    layers = load_layers(spec, dtype)
    targets = one_hot(y, sizes[-1], dtype)
    binary = sizes[-1] == 1
    opt = spec["optimizer"]
    lr = opt["lr"]
    n = len(X)
    bs = n if spec["batch_size"] is None else min(spec["batch_size"], n)
    rng = np.random.default_rng(0)
    beta1, beta2, eps, t = 0.9, 0.999, 1e-8, 0
    m = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    v = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    history = []
    t0 = time.perf_counter()
    for _ in range(spec["epochs"]):
        order = rng.permutation(n) if bs < n else np.arange(n)
        total, correct = 0.0, 0
        for start in range(0, n, bs):
            if bs == n:
                xb, yb = X, targets
            else:
                index = order[start:start + bs]
                xb, yb = X[index], targets[index]
            layer_grads, predict = backpropagation(xb, yb, layers, activation_funcs,
                                                   activation_ders)
            # history: the batch's loss and correct predictions
            p = np.clip(predict, 1e-7, 1 - 1e-7)
            if binary:
                total += -np.sum(yb * np.log(p) + (1 - yb) * np.log(1 - p))
                correct += np.sum((predict > 0.5) == (yb > 0.5))
            else:
                total += -np.sum(yb * np.log(p))
                correct += np.sum(predict.argmax(axis=1) == yb.argmax(axis=1))
            if opt["name"] == "sgd":
                for (W, b), (W_g, b_g) in zip(layers, layer_grads):
                    W -= lr * W_g
                    b -= lr * b_g
            elif opt["name"] == "momentum":
                mu = opt["momentum"]
                for j, ((W, b), (W_g, b_g)) in enumerate(zip(layers, layer_grads)):
                    vW, vb = velocity[j]
                    vW = mu * vW + W_g
                    vb = mu * vb + b_g
                    velocity[j] = (vW, vb)
                    W -= lr * vW
                    b -= lr * vb
            else:  # Adam
                t += 1
                for j, ((W, b), (W_g, b_g)) in enumerate(zip(layers, layer_grads)):
                    mW, mb = m[j]
                    vW, vb = v[j]
                    mW = beta1 * mW + (1 - beta1) * W_g
                    mb = beta1 * mb + (1 - beta1) * b_g
                    vW = beta2 * vW + (1 - beta2) * W_g**2
                    vb = beta2 * vb + (1 - beta2) * b_g**2
                    m[j], v[j] = (mW, mb), (vW, vb)
                    W -= lr * (mW / (1 - beta1**t)) / (np.sqrt(vW / (1 - beta2**t)) + eps)
                    b -= lr * (mb / (1 - beta1**t)) / (np.sqrt(vb / (1 - beta2**t)) + eps)
        history.append((float(total) / n, float(correct) / n))
    seconds = time.perf_counter() - t0
    assert all(W.dtype == dtype for W, _ in layers), "the NumPy loop left its dtype"
    extra = {"history_last_loss": history[-1][0], "history_last_accuracy": history[-1][1]}

    def predict(Xp):
        return feed_forward_saver(Xp, layers, activation_funcs)[2]

    return seconds, predict, extra


def run_matmul(spec):
    """The machine's matrix-product rate: best of ``repeats`` 2048×2048 products per dtype."""
    n, repeats = spec["matmul_n"], spec["matmul_repeats"]
    rng = np.random.default_rng(0)
    rates = {}
    for name in ("float32", "float64"):
        A = rng.standard_normal((n, n)).astype(name)
        B = rng.standard_normal((n, n)).astype(name)
        C = np.empty((n, n), dtype=name)
        np.matmul(A, B, out=C)  # warm up: threads started, pages touched
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(A, B, out=C)
            times.append(time.perf_counter() - t0)
        flops = 2.0 * n**3
        rates[name] = {"gflops_best": flops / min(times) / 1e9,
                       "gflops_median": flops / float(np.median(times)) / 1e9,
                       "seconds": times}
    return rates


CONTENDERS = {"ffnn": run_ffnn, "ffnn-est": run_ffnn_est, "sklearn": run_sklearn,
              "torch": run_torch, "jax-grad": run_jax_grad, "numpy": run_numpy}


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    cores = pin_to_cores(spec["threads"])
    _limiter, info = limit_threads(spec["threads"])
    result: dict = {"threadpool_info": info, "pid": os.getpid(), "pinned_to_cores": cores}
    if spec["contender"] == "matmul":
        result["matmul"] = run_matmul(spec)
    elif spec["contender"] == "prepare":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from run import prepare_data

        result["files"] = prepare_data(spec["workloads"], spec["dtypes"], spec["quick"],
                                       Path(spec["folder"]))
    else:
        dtype = np.dtype(spec["dtype"])
        X, y = load_data(spec)
        assert X.dtype == dtype
        result["data_mb"] = X.nbytes / 2**20
        result["rss_before_mb"] = rss_now_mb()
        run = CONTENDERS[spec["contender"]]
        if spec.get("warmup", True):
            # The first call, for every contender alike: the same training call as the timed
            # one (the same data, epochs and shapes, so that JAX compiles the very program the
            # timed call runs). Its wall time is what a fresh process pays for its first fit:
            # the contender's imports (ffnn, JAX, optax, PyTorch, scikit-learn), the model's
            # set-up, JAX's compilation (or its load from ffnn's persistent cache, with
            # FFNN_JAX_CACHE=1) and the training itself. The timed call comes second.
            t0 = time.perf_counter()
            first_train, _, _ = run({**spec, "profile": False}, X, y, dtype)
            result["first_call_seconds"] = time.perf_counter() - t0
            result["first_call_train_seconds"] = first_train  # the training call alone
        seconds, predict, extra = run(spec, X, y, dtype)
        # The peak is read before any evaluation allocates prediction buffers.
        result["peak_rss_mb"] = peak_rss_mb()
        result["peak_rss_mb_vmhwm"] = hwm_mb()
        result["rss_after_mb"] = rss_now_mb()
        result["seconds"] = seconds
        result.update(extra)
        result["train_accuracy"] = float(np.mean(predict_labels(predict(X)) == y))
        del X
        X_test, y_test = load_test(spec)
        if X_test is not None:
            result["test_accuracy"] = float(np.mean(predict_labels(predict(X_test)) == y_test))
        if spec["contender"] == "torch":
            import torch

            result["torch_version"] = torch.__version__
    if info is not None:
        import threadpoolctl

        result["threadpool_info"] = threadpoolctl.threadpool_info()  # torch's libs too
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
