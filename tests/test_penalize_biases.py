"""penalize_biases=True: the L1/L2 penalties on the biases too, opt-in, on every path.

Each path (the reference ``Network.gradient``, the NumPy engine, the JAX engine, the
stacked trainer) is checked with the flag on and off against references written here, apart
from the library: autograd over a cost that penalizes what the flag says, and central
differences of ``Network.cost``. The default (weights only) keeps the bits of the formula as
it was before the flag (copied below).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ffnn
from ffnn import engine
from ffnn.backends.stacked import train_stack
from ffnn.optim.optimizers import SGD, Adam, Momentum
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor

L1, L2 = 0.02, 0.3
PROBLEMS = [("tanh", "softmax", "cross_entropy"), ("sigmoid", "identity", "mse"),
            ("relu", "sigmoid", "binary_cross_entropy")]


def problem(loss: str, n: int = 20, n_in: int = 4, n_out: int = 3, seed: int = 0,
            dtype="float64"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    if loss == "cross_entropy":
        Y = ffnn.datasets.one_hot(rng.integers(0, n_out, n), n_out)
    elif loss == "binary_cross_entropy":
        Y = (rng.uniform(size=(n, n_out)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((n, n_out))
    return X.astype(dtype), Y.astype(dtype)


def network(hidden: str, output: str, seed: int = 1, dtype="float64") -> ffnn.Network:
    """Standard-normal weights and biases: every bias is far from 0 (the L1 kink)."""
    return ffnn.Network(4, [5, 3], [hidden, output], initializer="normal", seed=seed,
                        dtype=dtype)


# -- independent references -------------------------------------------------------------------

def autograd_gradient(net: ffnn.Network, X, Y, loss, l1, l2, penalize_biases):
    """autograd over the cost written here with the ``reference`` formulas; the biases are
    penalized exactly when ``penalize_biases``."""
    import autograd.numpy as anp
    from autograd import grad

    loss = ffnn.get_loss(loss)

    def cost(theta):
        a, penalty = X, 0.0
        for (n_in, n_out), (w, b), f in zip(net.shapes, net.slices, net.activation_funcs):
            W = anp.reshape(theta[w], (n_in, n_out))
            a = f.reference(anp.dot(a, W) + theta[b])
            penalty = penalty + l1 * anp.sum(anp.abs(W)) + 0.5 * l2 * anp.sum(W ** 2)
            if penalize_biases:
                penalty = penalty + l1 * anp.sum(anp.abs(theta[b])) + 0.5 * l2 * anp.sum(
                    theta[b] ** 2)
        return loss.reference(a, Y) + penalty

    return np.asarray(grad(cost)(net.params.astype(np.float64)))


def finite_differences(net: ffnn.Network, X, Y, loss, l1, l2, penalize_biases, h=1e-5):
    """Fourth-order central differences of ``Network.cost`` with the flag."""
    probe = net.copy()
    out = np.empty(probe.n_params)
    for j in range(probe.n_params):
        original = probe.params[j]
        costs = []
        for k in (-2, -1, 1, 2):
            probe.params[j] = original + k * h
            costs.append(probe.cost(X, Y, loss, l1, l2, penalize_biases=penalize_biases))
        probe.params[j] = original
        out[j] = ((costs[0] - costs[3]) + 8 * (costs[2] - costs[1])) / (12 * h)
    return out


def relative(g, reference) -> float:
    return float(np.linalg.norm(g - reference) / np.linalg.norm(reference))


# The penalty as it was before penalize_biases existed (weights only), copied verbatim.
def old_value(weights, l1, l2):
    total = 0.0
    for W in weights:
        if l2:
            total += 0.5 * l2 * float(np.vdot(W, W))
        if l1:
            total += l1 * float(np.abs(W).sum())
    return total


def old_add_gradient(W, dC_dW, l1, l2):
    scratch = np.empty_like(W)
    if l2:
        np.multiply(l2, W, out=scratch)
        dC_dW += scratch
    if l1:
        np.sign(W, out=scratch)
        scratch *= l1
        dC_dW += scratch


# -- every path's gradient against autograd and finite differences ----------------------------

def step_gradient(path: str, net: ffnn.Network, X, Y, loss, penalize_biases, lr=0.5):
    """The gradient a path uses: (before - after) / lr of one full-batch SGD step (the
    reference path: ``Network.gradient`` itself)."""
    kwargs = dict(l1=L1, l2=L2, penalize_biases=penalize_biases)
    if path == "reference":
        return net.gradient(X, Y, loss, **kwargs)
    before = net.copy()
    if path == "stacked":  # a neighbour with other strengths shares the stack
        neighbour = network(net.activation_funcs[0].name, net.activation_funcs[1].name, 9)
        train_stack([net, neighbour], X, Y, loss, SGD(lr), epochs=1, l1=[L1, 0.0],
                    l2=[L2, 0.05], penalize_biases=penalize_biases)
    else:
        ffnn.train(net, X, Y, loss, optimizer=SGD(lr), epochs=1, verbose=0, engine=path,
                   **kwargs)
    return (before.params - net.params) / lr


@pytest.mark.parametrize("penalize_biases", [False, True])
@pytest.mark.parametrize("hidden,output,loss", PROBLEMS)
@pytest.mark.parametrize("path", ["reference", "numpy", "jax", "stacked"])
def test_every_path_s_gradient_is_autograd_s_and_finite_differences_(path, hidden, output,
                                                                    loss, penalize_biases):
    if path == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    X, Y = problem(loss)
    net = network(hidden, output)
    expected = autograd_gradient(net, X, Y, loss, L1, L2, penalize_biases)
    other = autograd_gradient(net, X, Y, loss, L1, L2, not penalize_biases)
    assert relative(other, expected) > 1e-3  # the flag matters here: the test can tell
    fd = finite_differences(net, X, Y, loss, L1, L2, penalize_biases)
    assert relative(fd, expected) < 1e-8
    g = step_gradient(path, net, X, Y, loss, penalize_biases)
    assert relative(g, expected) <= 1e-9
    assert relative(g, fd) < 1e-8
    mask = net.weight_mask()  # the biases' own errors, not drowned by the weights'
    assert relative(g[~mask], expected[~mask]) <= 1e-9


@pytest.mark.parametrize("penalize_biases", [False, True])
@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (L1, 0.0), (0.0, L2), (L1, L2)])
def test_gradcheck_compares_with_autograd_penalizing_the_biases_too(l1, l2, penalize_biases):
    X, Y = problem("cross_entropy")
    net = network("tanh", "softmax")
    result = ffnn.gradcheck(net, X, Y, "cross_entropy", l1=l1, l2=l2,
                            penalize_biases=penalize_biases, tolerances={"autograd": 1e-9})
    assert result.passed and result.counted == ("autograd", "finite_differences")
    assert max(result.errors["autograd"]) <= 1e-9
    # gradcheck's own autograd reference follows the flag (not merely the hand gradient):
    from ffnn.core.gradcheck import _autograd_gradient

    ours = _autograd_gradient(net, X, Y, ffnn.get_loss("cross_entropy"), l1, l2,
                              penalize_biases)
    np.testing.assert_allclose(ours, autograd_gradient(net, X, Y, "cross_entropy", l1, l2,
                                                       penalize_biases), rtol=1e-12,
                               atol=1e-15)


def test_gradcheck_says_near_kink_for_l1_on_biases_at_zero():
    X, Y = problem("cross_entropy")
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=1)  # glorot: biases are 0
    assert not ffnn.gradcheck(net, X, Y, "cross_entropy", l1=L1).near_kink
    result = ffnn.gradcheck(net, X, Y, "cross_entropy", l1=L1, penalize_biases=True)
    assert result.near_kink and result.passed  # autograd counts: sign(0) = 0 both ways


def test_the_flag_adds_exactly_the_bias_terms_to_cost_and_gradient():
    X, Y = problem("cross_entropy")
    net = network("tanh", "softmax")
    mask = net.weight_mask()
    b = net.params[~mask]
    off = net.gradient(X, Y, "cross_entropy", L1, L2)
    on = net.gradient(X, Y, "cross_entropy", L1, L2, penalize_biases=True)
    np.testing.assert_array_equal(on[mask], off[mask])
    np.testing.assert_allclose(on[~mask] - off[~mask], L2 * b + L1 * np.sign(b), rtol=1e-12)
    extra = L1 * np.abs(b).sum() + 0.5 * L2 * (b * b).sum()
    assert math.isclose(net.cost(X, Y, "cross_entropy", L1, L2, penalize_biases=True)
                        - net.cost(X, Y, "cross_entropy", L1, L2), extra, rel_tol=1e-12)
    trace = net.backprop_trace(X, Y, "cross_entropy", L1, L2, penalize_biases=True)
    np.testing.assert_array_equal(trace.layers[0].dC_db, net.unflatten(on)[0][1])
    layers = net.backprop(X, Y, "cross_entropy", L1, L2, penalize_biases=True)
    np.testing.assert_array_equal(np.concatenate([np.r_[W.ravel(), b_] for W, b_ in layers]), on)


def test_the_default_keeps_the_bits_of_the_weights_only_formula():
    X, Y = problem("cross_entropy")
    net = network("tanh", "softmax")
    weights = [W for W, _ in net.layers]
    plain = net.cost(X, Y, "cross_entropy")
    assert net.cost(X, Y, "cross_entropy", L1, L2) == plain + old_value(weights, L1, L2)
    old = net.gradient(X, Y, "cross_entropy")
    for (W, _), (dW, _) in zip(net.layers, net.unflatten(old)):
        old_add_gradient(W, dW, L1, L2)
    np.testing.assert_array_equal(net.gradient(X, Y, "cross_entropy", L1, L2), old)
    workspace, fast = engine.Workspace(net, len(X)), np.empty_like(old)
    engine.backprop(net, workspace, X, Y, ffnn.get_loss("cross_entropy"), L1, L2, fast)
    np.testing.assert_array_equal(fast, old)


def test_bad_flags_are_refused_naming_the_argument():
    X, Y = problem("cross_entropy")
    net = network("tanh", "softmax")
    for call in (lambda v: net.cost(X, Y, "cross_entropy", penalize_biases=v),
                 lambda v: net.gradient(X, Y, "cross_entropy", penalize_biases=v),
                 lambda v: ffnn.Trainer(net, "cross_entropy", penalize_biases=v),
                 lambda v: train_stack([net], X, Y, "cross_entropy", "sgd", epochs=1,
                                       penalize_biases=v),
                 lambda v: ffnn.gradcheck(net, X, Y, "cross_entropy", penalize_biases=v)):
        with pytest.raises(TypeError, match="penalize_biases must be True or False"):
            call("yes")
        with pytest.raises(TypeError, match="penalize_biases must be True or False"):
            call(1)
    assert ffnn.Trainer(net, "cross_entropy", penalize_biases=np.bool_(True)).penalize_biases


# -- the engine against the reference, bit for bit --------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden,output,loss", PROBLEMS)
def test_engine_backprop_equals_the_reference_bit_for_bit(hidden, output, loss, dtype):
    X, Y = problem(loss, n=9, dtype=dtype)
    net = network(hidden, output, dtype=dtype)
    workspace, loss = engine.Workspace(net, 9), ffnn.get_loss(loss)
    for weights in (None, np.arange(1.0, 10.0)):
        for flag in (False, True):
            reference, fast = np.empty_like(net.params), np.full_like(net.params, np.nan)
            net.backprop_into(X, Y, loss, L1, L2, reference, sample_weight=weights,
                               penalize_biases=flag)
            engine.backprop(net, workspace, X, Y, loss, L1, L2, fast, weights, flag)
            np.testing.assert_array_equal(fast, reference)
            expected = net.gradient(X, Y, loss, L1, L2, penalize_biases=flag) \
                if weights is None else reference
            np.testing.assert_array_equal(fast, expected)


def test_a_numpy_engine_run_equals_the_loop_by_hand_and_records_the_penalized_loss():
    X, Y = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [8, 3], ["relu", "softmax"], initializer="normal", seed=2)
    by_hand, start = net.copy(), net.copy()
    trainer = ffnn.Trainer(net, "cross_entropy", Adam(0.01), l1=1e-3, l2=1e-2,
                           penalize_biases=True, batch_size=32, seed=5, verbose=0,
                           engine="numpy")
    history = trainer.fit(X, Y, 3)
    rng, optimizer = np.random.default_rng(5), Adam(0.01)
    state = optimizer.init(by_hand.params, by_hand.weight_mask())
    for _ in range(3):
        order = rng.permutation(150)
        for begin in range(0, 150, 32):
            index = order[begin:begin + 32]
            grads = by_hand.gradient(X[index], Y[index], "cross_entropy", 1e-3, 1e-2,
                                     penalize_biases=True)
            updates, state = optimizer.update(grads, state, by_hand.params)
            by_hand.params += updates
    np.testing.assert_array_equal(net.params, by_hand.params)
    # full batch: the first epoch's loss is the penalized cost before its step
    full = ffnn.train(start.copy(), X, Y, "cross_entropy", l1=1e-3, l2=1e-2,
                      penalize_biases=True, epochs=1, verbose=0, engine="numpy",
                      validation_data=(X[:20], Y[:20]))
    assert math.isclose(full["loss"][0], start.cost(X, Y, "cross_entropy", 1e-3, 1e-2,
                                                    penalize_biases=True), rel_tol=1e-13)
    assert not math.isclose(full["loss"][0], start.cost(X, Y, "cross_entropy", 1e-3, 1e-2),
                            rel_tol=1e-6)
    assert history.epochs == 3


# -- the JAX engine against the NumPy engine --------------------------------------------------

OPTIMIZERS = {"sgd": lambda: SGD(0.05), "momentum": lambda: Momentum(0.05, 0.9),
              "adam": lambda: Adam(0.01)}


def both_engines(hidden, output, loss, dtype="float64", **kwargs):
    X, Y = problem(loss, n=40, dtype=dtype)
    runs = []
    for path in ("numpy", "jax"):
        net = network(hidden, output, seed=3, dtype=dtype)
        history = ffnn.train(net, X, Y, loss, epochs=4, verbose=0, engine=path, seed=1,
                             **kwargs)
        runs.append((net, history))
    return runs


def assert_close(runs, rtol):
    (a, ha), (b, hb) = runs
    np.testing.assert_allclose(b.params, a.params, rtol=0,
                               atol=rtol * np.abs(a.params).max())
    for key in ha.history:
        np.testing.assert_allclose(hb.history[key], ha.history[key], rtol=rtol, atol=rtol)
    assert hb.engine == "jax" and ha.engine == "numpy"


@pytest.mark.parametrize("penalize_biases", [False, True])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("hidden,output,loss", PROBLEMS)
def test_the_jax_engine_equals_the_numpy_engine(hidden, output, loss, optimizer,
                                               penalize_biases):
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    runs = both_engines(hidden, output, loss, optimizer=OPTIMIZERS[optimizer](),
                        batch_size=16, l1=L1, l2=L2, penalize_biases=penalize_biases)
    assert_close(runs, 1e-12)
    flipped = both_engines(hidden, output, loss, optimizer=OPTIMIZERS[optimizer](),
                           batch_size=16, l1=L1, l2=L2, penalize_biases=not penalize_biases)
    assert np.abs(flipped[1][0].params - runs[1][0].params).max() > 1e-6


def test_the_jax_engine_in_float32_and_l1_alone():
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    assert_close(both_engines("tanh", "softmax", "cross_entropy", dtype="float32",
                              batch_size=7, l2=L2, penalize_biases=True), 1e-5)
    assert_close(both_engines("elu", "identity", "mse", l1=L1, penalize_biases=True), 1e-12)


# -- the stacked trainer against training alone -----------------------------------------------

@pytest.mark.parametrize("penalize_biases", [False, True])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("hidden,output,loss", PROBLEMS)
def test_a_stack_equals_its_networks_trained_alone(hidden, output, loss, kind,
                                                   penalize_biases):
    X, Y = problem(loss, n=30)
    l1s, l2s = [L1, 0.0, 0.01], [L2, 0.1, 0.0]
    make = (lambda i: SGD(0.1 + 0.05 * i)) if kind == "sgd" else (lambda i: Adam(0.01 * (i + 1)))
    alone, alone_histories = [], []
    for i in range(3):
        net = network(hidden, output, seed=10 + i)
        alone_histories.append(ffnn.train(net, X, Y, loss, optimizer=make(i), l1=l1s[i],
                                          l2=l2s[i], penalize_biases=penalize_biases,
                                          epochs=4, batch_size=8, seed=4, verbose=0,
                                          engine="numpy"))
        alone.append(net)
    stacked = [network(hidden, output, seed=10 + i) for i in range(3)]
    histories = train_stack(stacked, X, Y, loss, [make(i) for i in range(3)], l1=l1s, l2=l2s,
                            penalize_biases=penalize_biases, epochs=4, batch_size=8, seed=4)
    for a, b, ha, hb in zip(alone, stacked, alone_histories, histories):
        np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hb["loss"], ha["loss"], rtol=1e-10)
    other = [network(hidden, output, seed=10 + i) for i in range(3)]
    train_stack(other, X, Y, loss, [make(i) for i in range(3)], l1=l1s, l2=l2s,
                penalize_biases=not penalize_biases, epochs=4, batch_size=8, seed=4)
    assert np.abs(other[0].params - stacked[0].params).max() > 1e-6


# -- checkpoints ------------------------------------------------------------------------------

def test_a_checkpoint_keeps_the_flag_and_refuses_another(tmp_path):
    X, Y = problem("cross_entropy", n=30)
    path = tmp_path / "run.npz"
    kwargs = dict(l1=L1, l2=L2, batch_size=8, seed=3, verbose=0, engine="numpy")
    trainer = ffnn.Trainer(network("tanh", "softmax"), "cross_entropy", SGD(0.1),
                           penalize_biases=True, **kwargs)
    trainer.fit(X, Y, 2)
    trainer.save_checkpoint(path)
    assert trainer.training_state()["penalize_biases"] is True
    trainer.fit(X, Y, 3)
    resumed = network("tanh", "softmax", seed=7)
    ffnn.train(resumed, X, Y, "cross_entropy", optimizer=SGD(0.1), epochs=5,
               penalize_biases=True, resume_from=path, **kwargs)
    np.testing.assert_array_equal(resumed.params, trainer.network.params)
    other = network("tanh", "softmax", seed=7)
    before = other.params.copy()
    with pytest.raises(ValueError, match="penalize_biases=True, this trainer has "
                                         "penalize_biases=False"):
        ffnn.train(other, X, Y, "cross_entropy", optimizer=SGD(0.1), epochs=5,
                   resume_from=path, **kwargs)
    np.testing.assert_array_equal(other.params, before)  # all or nothing
    # A state written before the flag existed has no entry: the weights only, as then.
    state = trainer.training_state()
    del state["penalize_biases"]
    plain = ffnn.Trainer(network("tanh", "softmax"), "cross_entropy", SGD(0.1), **kwargs)
    plain.set_training_state(state, plain.opt_state)
    with pytest.raises(ValueError, match="penalize_biases=False"):
        trainer.set_training_state(state, trainer.opt_state)
    with pytest.raises(ValueError, match="penalize_biases must be true or false"):
        plain.set_training_state({**state, "penalize_biases": "no"}, plain.opt_state)


# -- estimators -------------------------------------------------------------------------------

X_IRIS, Y_IRIS = ffnn.datasets.load_iris()
ESTIMATOR = dict(hidden_layer_sizes=(5,), solver="sgd", momentum=0, learning_rate_init=0.05,
                 batch_size=32, max_iter=10, tol=0.0, n_iter_no_change=1000, alpha=L2, l1=L1,
                 random_state=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("penalize_biases", [False, True])
def test_an_estimator_fit_is_train_on_the_same_setup(penalize_biases):
    from sklearn.utils import check_random_state

    X, y = X_IRIS[:, :3], X_IRIS[:, 3]
    est = FFNNRegressor(penalize_biases=penalize_biases, **ESTIMATOR).fit(X, y)
    seed = check_random_state(0).randint(0, 2**32 - 1)
    init, shuffle = np.random.default_rng(seed).spawn(2)
    net = ffnn.Network(3, [5, 1], ["relu", "identity"], seed=init)
    ffnn.train(net, X, y[:, None], "mse", optimizer=SGD(0.05), epochs=10, batch_size=32,
               l1=L1, l2=L2, penalize_biases=penalize_biases, seed=shuffle, verbose=0,
               callbacks=[ffnn.EarlyStopping(1001, 0.0, restore_best=False, monitor="loss")])
    np.testing.assert_array_equal(est.network_.params, net.params)
    other = FFNNRegressor(penalize_biases=not penalize_biases, **ESTIMATOR).fit(X, y)
    assert np.abs(other.network_.params - est.network_.params).max() > 1e-6
    assert est._trainer.penalize_biases is penalize_biases


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_estimator_stores_validates_saves_and_loads_the_flag(tmp_path):
    from sklearn.base import clone

    est = FFNNClassifier(penalize_biases="yes")  # stored verbatim, checked at fit
    assert est.get_params()["penalize_biases"] == "yes"
    with pytest.raises(ValueError, match="penalize_biases must be True or False"):
        est.fit(X_IRIS, Y_IRIS.argmax(axis=1))
    y = Y_IRIS.argmax(axis=1)
    est = FFNNClassifier(penalize_biases=True, **ESTIMATOR).fit(X_IRIS, y)
    assert clone(est).get_params()["penalize_biases"] is True
    est.save(tmp_path / "est.npz")
    loaded = FFNNClassifier.load(tmp_path / "est.npz")
    assert loaded.penalize_biases is True and loaded._trainer.penalize_biases is True
    est.partial_fit(X_IRIS, y)
    loaded.partial_fit(X_IRIS, y)
    np.testing.assert_array_equal(loaded.network_.params, est.network_.params)
    # a warm fit re-reads it
    est.set_params(penalize_biases=False, warm_start=True)
    est.fit(X_IRIS, y)
    assert est._trainer.penalize_biases is False


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_crafted_estimator_file_with_another_flag_is_refused(tmp_path):
    from test_io import edit_metadata

    path = tmp_path / "est.npz"
    FFNNRegressor(penalize_biases=True, **ESTIMATOR).fit(X_IRIS[:, :3], X_IRIS[:, 3]).save(path)

    def edit(metadata):
        metadata["extra"]["estimator"]["params"]["penalize_biases"] = False

    edit_metadata(path, edit, rehash=True)
    with pytest.raises(ffnn.io.ModelFileError, match="penalize_biases"):
        FFNNRegressor.load(path)


# -- the command line and sweeps --------------------------------------------------------------

def test_ffnn_train_penalize_biases_trains_that_cost(tmp_path, capsys):
    from ffnn.cli.main import main

    assert "--penalize-biases" in _help(["train", "--help"], capsys)
    assert "--penalize-biases" in _help(["sweep", "--help"], capsys)
    saved = {}
    for flag in (True, False):
        saved[flag] = tmp_path / f"{flag}.npz"
        argv = ["train", "--quiet", "--epochs", "30", "--l2", "0.1", "--engine", "numpy",
                "--save", str(saved[flag])] + (["--penalize-biases"] if flag else [])
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert ("l2=0.1 (weights and biases)" in out) is flag
    X, Y = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    ffnn.train(net, X, Y, "cross_entropy", optimizer=SGD(0.01), epochs=30, l2=0.1,
               penalize_biases=True, seed=0, verbose=0, engine="numpy")
    np.testing.assert_array_equal(ffnn.load(saved[True]).params, net.params)
    assert np.abs(ffnn.load(saved[False]).params - net.params).max() > 1e-6
    model = ffnn.load_model(saved[True])
    assert model.options["penalize_biases"] is True


def test_ffnn_gradcheck_penalize_biases(capsys):
    from ffnn.cli.main import main

    argv = ["gradcheck", "--hidden", "4", "--activation", "tanh", "--l1", "0.01", "--l2",
            "0.1", "--initializer", "normal", "--penalize-biases"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "l2=0.1 (weights and biases)" in out and "gradient check PASSED" in out


def _help(argv, capsys) -> str:
    from ffnn.cli.main import main

    with pytest.raises(SystemExit):
        main(argv)
    return capsys.readouterr().out


def test_the_recipe_takes_the_flag_and_refuses_a_non_boolean():
    assert ffnn.recipe.TRAIN_OPTIONS["penalize_biases"] is False
    built = ffnn.recipe.build({"penalize_biases": True}, 4, 3, True, 150)
    assert built.train_kwargs["penalize_biases"] is True
    with pytest.raises(ValueError, match="--penalize-biases"):
        ffnn.recipe.build({"penalize_biases": "maybe"}, 4, 3, True, 150)


def test_a_sweep_over_the_flag_stacks_each_value_apart(monkeypatch):
    from ffnn import stacked
    from ffnn.sweeps.search import sweep

    calls = []
    real = stacked.train_stack

    def spy(networks, *args, **kwargs):
        calls.append((len(networks), kwargs["penalize_biases"]))
        return real(networks, *args, **kwargs)

    monkeypatch.setattr(stacked, "train_stack", spy)
    grid = {"penalize_biases": [False, True], "lr": [0.05, 0.2]}
    options = {"epochs": 5, "l1": 0.01, "l2": 0.3, "hidden": [4], "batch_size": 32,
               "initializer": "normal", "engine": "numpy"}
    together = sweep("iris", grid=grid, options=options, n_jobs=1)
    assert sorted(calls) == [(2, False), (2, True)] and together.stacked == 4
    alone = sweep("iris", grid=grid, options=options, n_jobs=1, stack=False)
    assert alone.stacked == 0
    for x, y in zip(together.comparable(), alone.comparable()):
        assert x["params"] == y["params"]
        for key, value in x.items():
            if isinstance(value, float):
                assert value == pytest.approx(y[key], rel=1e-9, abs=1e-12), key
    by_params = {json.dumps(r["params"], sort_keys=True): r for r in alone.records}
    for lr in (0.05, 0.2):
        on = by_params[json.dumps({"lr": lr, "penalize_biases": True}, sort_keys=True)]
        off = by_params[json.dumps({"lr": lr, "penalize_biases": False}, sort_keys=True)]
        assert on["val_loss"] != pytest.approx(off["val_loss"], rel=1e-6)


def test_ffnn_sweep_grid_over_penalize_biases(tmp_path, capsys):
    from ffnn.cli.main import main

    out = tmp_path / "runs.jsonl"
    argv = ["sweep", "--grid", "penalize_biases=true,false", "--grid", "lr=0.05,0.2",
            "--l2", "0.1", "--epochs", "3", "--n-jobs", "1", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    lines = out.read_text().splitlines()
    runs = [json.loads(line) for line in lines[1:]]
    assert sorted((r["params"]["penalize_biases"], r["params"]["lr"]) for r in runs) == [
        (False, 0.05), (False, 0.2), (True, 0.05), (True, 0.2)]
    assert all(r.get("error") is None for r in runs)
    assert main(["sweep", "--grid", "penalize_biases=perhaps", "--n-jobs", "1"]) == 2
    assert "expected true or false" in capsys.readouterr().err


def test_the_sweep_groups_never_mix_the_flag():
    from ffnn.sweeps.runner import _stack_groups

    context = {"options": ffnn.recipe.check_options({})}  # all that grouping reads
    jobs = [{"params": {"penalize_biases": flag, "lr": lr}, "seed": 0, "fold": 0}
            for flag in (False, True) for lr in (0.1, 0.2)]
    groups = _stack_groups(context, jobs)
    assert len(groups) == 2
    for group in groups:
        assert len({job["params"]["penalize_biases"] for job in group}) == 1
