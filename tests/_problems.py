"""Random networks and data for the gradient tests."""

from __future__ import annotations

import numpy as np

import ffnn

# Every built-in activation, read from the registry: a new one is tested without an edit here.
ALL_ACTIVATIONS = tuple(cls.name for cls in ffnn.activations.ACTIVATIONS)


def _accepts(loss: type, activation: type) -> bool:
    try:
        loss().check_output(activation())
    except ValueError:
        return False
    return True


# Every valid (output activation, loss) pair, as the losses' own check_output says: MSE after
# anything, the binary cross-entropy after the activations whose outputs are probabilities,
# the cross-entropy after those whose rows sum to one, poisson after exp.
VALID_PAIRS = [(act.name, loss.name) for loss in ffnn.losses.LOSSES
               for act in ffnn.activations.ACTIVATIONS if _accepts(loss, act)]


def scaled_normal(scale_b: float = 0.5):
    """Weights N(0, 1/n_in) kept 0.05 away from 0 (the kink of the L1 penalty), and non-zero
    biases, so that bias gradients count."""

    def init(rng, n_in, n_out):
        W = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out))
        W += np.copysign(0.05, W)
        return W, rng.normal(0, scale_b, n_out)

    return init


def make_targets(rng, loss: str, n_samples: int, n_outputs: int,
                 hard: bool = False) -> np.ndarray:
    """Targets that ``loss`` takes; ``hard``: 0/1 labels for the binary cross-entropy."""
    if loss == "cross_entropy":
        return ffnn.datasets.one_hot(rng.integers(0, n_outputs, n_samples), n_outputs)
    if loss == "binary_cross_entropy" and hard:
        return (rng.uniform(0, 1, (n_samples, n_outputs)) > 0.5).astype(float)
    if loss == "binary_cross_entropy":
        return rng.uniform(0, 1, (n_samples, n_outputs))  # soft targets exercise both terms
    if loss == "poisson":
        return rng.poisson(1.5, (n_samples, n_outputs)).astype(float)  # counts, zeros too
    return rng.standard_normal((n_samples, n_outputs))


def min_distance_to_kinks(network: ffnn.Network, X, targets, loss) -> float:
    """How close any z comes to a kink of its activation (inf when none has kinks)."""
    trace = network.backprop_trace(X, targets, loss)
    distance = np.inf
    for layer, f in zip(trace.layers, network.activation_funcs):
        for kink in f.kinks:
            distance = min(distance, float(np.abs(layer.z - kink).min()))
    return distance


def make_problem(
    seed: int,
    sizes,
    activations,
    loss: str,
    n_samples: int,
    *,
    n_inputs: int = 3,
    one_sample: bool = False,
    dtype="float64",
    kink_margin: float = 1e-2,
):
    """A network and data whose z stay ``kink_margin`` away from every activation's kink."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        network, X, targets = random_problem(
            rng, n_inputs, sizes, activations, loss, n_samples, one_sample, dtype
        )
        if min_distance_to_kinks(network, X, targets, loss) > kink_margin:
            return network, X, targets
    raise RuntimeError("could not draw a problem away from the kinks")


#: The largest outputs a hidden layer of a drawn network gives, where its activation
#: outgrows its inputs (see :func:`tame_growth`).
A_MAX = 4.0


def tame_growth(network: ffnn.Network, X: np.ndarray, a_max: float = A_MAX) -> None:
    """Halve a hidden layer's (W, b), from the first layer on, while its activation outgrows
    its inputs on ``X`` (some ``|a|`` beyond both ``a_max`` and twice the largest ``|z|``).

    Only exp does (``e^z > 2z``): layers of it compound (``exp(exp(exp(z)))``) until finite
    differences, and the ``1 - p`` of a softmax saturated by such inputs, are all rounding;
    the gradient tests check the chain rule where the functions are well conditioned. For
    every other built-in this is a no-op: each stays within ``max(|z|, 1)``, softplus within
    ``|z| + log 2``, never beyond ``max(a_max, 2 |z|)`` for ``a_max >= 4``."""
    a = np.atleast_2d(X).astype(network.dtype)
    layers = []
    for i, ((W, b), f) in enumerate(zip(network.layers, network.activation_funcs)):
        W, b = W.copy(), b.copy()
        z = a @ W + b
        out = f.forward(z)
        while i < network.n_layers - 1 and np.abs(out).max() > max(a_max, 2 * np.abs(z).max()):
            W *= 0.5
            b *= 0.5
            z = a @ W + b
            out = f.forward(z)
        layers.append((W, b))
        a = out
    network.layers = layers


def random_problem(rng, n_inputs, sizes, activations, loss, n_samples, one_sample, dtype):
    """A network (see ``scaled_normal`` and :func:`tame_growth`), inputs N(0, 1) and targets
    suited to ``loss``."""
    network = ffnn.Network(
        n_inputs, sizes, activations, initializer=scaled_normal(), dtype=dtype, seed=rng
    )
    X = rng.standard_normal((n_samples, n_inputs))
    tame_growth(network, X)
    targets = make_targets(rng, loss, n_samples, sizes[-1])
    if one_sample:
        X, targets = X[0], targets[0]
    return network, X, targets


def count_jax_calls(monkeypatch) -> list:
    """The epochs asked of each call of the JAX engine's compiled program, in order."""
    from ffnn.backends.jax_engine import JaxPath

    calls, real = [], JaxPath.run

    def counting(self, count):
        calls.append(count)
        return real(self, count)

    monkeypatch.setattr(JaxPath, "run", counting)
    return calls
