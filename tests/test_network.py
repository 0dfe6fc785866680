"""The Network: layout, initialisation, dtypes, penalties, ownership, the trace, and errors."""

import copy
import pickle

import numpy as np
import pytest

import ffnn
from _problems import make_problem

RNG = np.random.default_rng(3)


def iris_net(**kwargs):
    return ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0, **kwargs)


# -- layout -----------------------------------------------------------------------------------


def test_layers_are_views_into_one_flat_buffer():
    net = iris_net()
    assert net.n_params == 4 * 8 + 8 + 8 * 3 + 3 == net.params.size
    (W1, b1), (W2, b2) = net.layers
    assert W1.shape == (4, 8) and b1.shape == (8,) and W2.shape == (8, 3) and b2.shape == (3,)
    for W, b in net.layers:
        assert np.shares_memory(W, net.params) and np.shares_memory(b, net.params)
    np.testing.assert_array_equal(net.params, np.concatenate([W1.ravel(), b1, W2.ravel(), b2]))
    # An in-place update of a view is an update of the network, and the other way round.
    X = RNG.standard_normal((5, 4))
    before = net.predict(X)
    W1 *= 0.5
    assert not np.allclose(net.predict(X), before)
    net.params -= 0.1
    assert np.all(net.layers[1][1] == b2)


def test_assigning_layers_or_params_copies_values_in_and_checks_them():
    net = iris_net()
    buffer = net.params
    new = [(np.ones((4, 8)), np.zeros(8)), (np.full((8, 3), 2.0), np.ones(3))]
    net.layers = new
    assert net.params is buffer and np.all(net.layers[0][0] == 1)
    new[0][0][0, 0] = 99  # the caller's arrays stay the caller's
    assert net.layers[0][0][0, 0] == 1
    net.params = np.arange(net.n_params, dtype=float)
    assert net.params is buffer and net.layers[0][0][0, 1] == 1
    with pytest.raises(ValueError, match=r"layer 1 needs W of shape \(8, 3\).*\(3, 8\)"):
        net.layers = [new[0], (np.ones((3, 8)), np.ones(3))]
    with pytest.raises(ValueError, match="2 \\(W, b\\) pairs, got 1"):
        net.layers = new[:1]
    with pytest.raises(ValueError, match=r"params must have shape \(67,\), got \(3,\)"):
        net.params = np.ones(3)
    with pytest.raises(ValueError, match="NaN or inf"):
        net.params = np.full(net.n_params, np.nan)


def test_unflatten_lays_out_any_vector_like_the_parameters():
    net = iris_net()
    flat = np.arange(net.n_params, dtype=float)
    layers = net.unflatten(flat)
    assert [W.shape for W, _ in layers] == [W.shape for W, _ in net.layers]
    assert layers[1][1][-1] == net.n_params - 1 and np.shares_memory(layers[0][0], flat)


def test_a_single_name_serves_every_layer_and_repr_describes_the_net():
    net = ffnn.Network(2, [3, 3, 1], "tanh", seed=0)
    assert [f.name for f in net.activation_funcs] == ["tanh"] * 3
    assert repr(iris_net()) == "Network(4 -> 8 sigmoid -> 3 softmax, 67 parameters, float64)"


# -- initialisation and randomness ------------------------------------------------------------


def test_seeds_reproduce_and_never_touch_the_global_state():
    state = np.random.get_state()[1].copy()
    a, b = iris_net(), iris_net()
    np.testing.assert_array_equal(a.params, b.params)
    c = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=np.random.default_rng(0))
    np.testing.assert_array_equal(a.params, c.params)
    d = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=1)
    assert not np.array_equal(a.params, d.params)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    with pytest.raises(TypeError, match="seed must be"):
        ffnn.Network(4, [3], "sigmoid", seed="zero")


@pytest.mark.parametrize(
    ("initializer", "check"),
    [
        (
            "glorot",
            lambda W, b, n_in, n_out: (
                (np.abs(W).max() <= np.sqrt(6 / (n_in + n_out))) and np.all(b == 0)
            ),
        ),
        (
            "he",
            lambda W, b, n_in, n_out: (
                abs(W.std() / np.sqrt(2 / n_in) - 1) < 0.05 and np.all(b == 0)
            ),
        ),
        ("normal", lambda W, b, n_in, n_out: abs(W.std() - 1) < 0.05 and b.std() > 0.5),
    ],
)
def test_initializers(initializer, check):
    net = ffnn.Network(400, [300, 300], "relu", initializer=initializer, seed=0)
    for (W, b), (n_in, n_out) in zip(net.layers, [(400, 300), (300, 300)]):
        assert check(W, b, n_in, n_out)
        assert abs(W.mean()) < 0.05 * (W.std() + 1e-12)


def test_a_callable_initializer_and_its_errors():
    net = ffnn.Network(
        2,
        [3],
        "identity",
        initializer=lambda rng, n_in, n_out: (np.ones((n_in, n_out)), np.ones(n_out)),
    )
    assert np.all(net.params == 1)
    with pytest.raises(ValueError, match=r"initializer: layer 0 needs W of shape \(2, 3\)"):
        ffnn.Network(
            2, [3], "identity", initializer=lambda rng, i, o: (np.ones((o, i)), np.ones(o))
        )
    with pytest.raises(
        ValueError, match="unknown name 'xavier'; valid names are glorot, he, normal"
    ):
        ffnn.Network(2, [3], "identity", initializer="xavier")


# -- dtypes -----------------------------------------------------------------------------------


def test_float32_end_to_end():
    net = iris_net(dtype="float32")
    X, targets = ffnn.datasets.load_iris()
    assert net.params.dtype == np.float32
    assert net.predict(X).dtype == np.float32
    assert all(
        g.dtype == np.float32 for pair in net.backprop(X, targets, "cross_entropy") for g in pair
    )
    np.testing.assert_allclose(net.params, iris_net().params.astype(np.float32))
    with pytest.raises(ValueError, match="dtype must be float64 or float32, got int64"):
        ffnn.Network(4, [3], "relu", dtype="int64")
    with pytest.raises(TypeError, match="dtype must be float64 or float32"):
        ffnn.Network(4, [3], "relu", dtype="no such type")


def test_inputs_of_another_dtype_are_cast():
    net = iris_net()
    X = RNG.integers(0, 5, (3, 4))
    np.testing.assert_allclose(net.predict(X), net.predict(X.astype(float)))
    assert net.predict(X.astype(np.float32)).dtype == np.float64


# -- predict, ownership, copies ---------------------------------------------------------------


def test_one_sample_gives_one_dimensional_output():
    net = iris_net()
    X = RNG.standard_normal((4, 4))
    out = net.predict(X[1])
    assert out.shape == (3,)
    np.testing.assert_allclose(out, net.predict(X)[1])


def test_arrays_handed_out_are_the_callers_own():
    net = iris_net()
    X, targets = ffnn.datasets.load_iris()
    grads = net.backprop(X, targets, "cross_entropy")
    saved = [g.copy() for pair in grads for g in pair]
    net.backprop(X[:10], targets[:10], "cross_entropy")  # a later call
    assert all(np.array_equal(g, s) for g, s in zip((g for p in grads for g in p), saved))
    for pair in grads:
        for g in pair:
            assert not np.shares_memory(g, net.params)
    out = net.predict(X)
    before = net.params.copy()
    out[:] = 0
    np.testing.assert_array_equal(net.params, before)
    flat = net.gradient(X, targets, "cross_entropy")
    np.testing.assert_array_equal(
        flat, np.concatenate([saved[0].ravel(), saved[1], saved[2].ravel(), saved[3]])
    )


@pytest.mark.parametrize(
    "clone",
    [lambda n: pickle.loads(pickle.dumps(n)), copy.deepcopy, copy.copy, lambda n: n.copy()],
    ids=["pickle", "deepcopy", "copy", "method"],
)
def test_copies_and_pickles_keep_working_on_their_own_buffer(clone):
    net = ffnn.Network(4, [5, 3], [ffnn.LeakyReLU(0.2), "softmax"], seed=0)
    X = RNG.standard_normal((6, 4))
    twin = clone(net)
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    assert twin.activation_funcs == net.activation_funcs
    for W, _ in twin.layers:
        assert np.shares_memory(W, twin.params) and not np.shares_memory(W, net.params)
    twin.layers[0][0][:] = 0
    assert not np.array_equal(twin.predict(X), net.predict(X))


def test_astype_converts_between_dtypes():
    net = iris_net()
    net32 = net.astype(np.float32)
    assert net32.dtype == np.float32 and net.dtype == np.float64
    np.testing.assert_allclose(net32.params, net.params, rtol=1e-7)


def test_nothing_about_the_data_is_stored_on_the_network():
    net = iris_net()
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(net).items()}
    X, targets = ffnn.datasets.load_iris()
    net.predict(X)
    net.cost(X, targets, "cross_entropy")
    net.backprop_trace(X, targets, "cross_entropy")
    assert vars(net).keys() == before.keys()
    np.testing.assert_array_equal(net.params, before["_params"])


# -- costs and penalties ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "loss"),
    [("identity", "mse"), ("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")],
)
def test_costs_and_gradients_are_means_over_samples(output, loss):
    net, X, targets = make_problem(0, [5, 3], ["tanh", output], loss, 6)
    doubled = (np.vstack([X, X]), np.vstack([targets, targets]))
    assert net.cost(*doubled, loss) == pytest.approx(net.cost(X, targets, loss), rel=1e-13)
    np.testing.assert_allclose(
        net.gradient(*doubled, loss), net.gradient(X, targets, loss), rtol=1e-12, atol=1e-16
    )


def test_penalties_cover_weights_not_biases_and_ignore_the_batch_size():
    net, X, targets = make_problem(1, [5, 2], ["relu", "identity"], "mse", 8)
    l1, l2 = 0.1, 0.3
    weights = [W for W, _ in net.layers]
    penalty = l1 * sum(np.abs(W).sum() for W in weights) + l2 / 2 * sum(
        (W**2).sum() for W in weights
    )
    for n in (1, 8):
        plain = net.cost(X[:n], targets[:n], "mse")
        assert net.cost(X[:n], targets[:n], "mse", l1=l1, l2=l2) == pytest.approx(plain + penalty)
        diff = [
            (gW - pW, gb - pb)
            for (gW, gb), (pW, pb) in zip(
                net.backprop(X[:n], targets[:n], "mse", l1=l1, l2=l2),
                net.backprop(X[:n], targets[:n], "mse"),
            )
        ]
        for (dW, db), W in zip(diff, weights):
            np.testing.assert_allclose(dW, l1 * np.sign(W) + l2 * W, atol=1e-14)
            np.testing.assert_array_equal(db, 0)


# -- the backprop trace -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "loss"), [("softmax", "mse"), ("softmax", "cross_entropy"), ("relu", "mse")]
)
def test_trace_quantities_obey_the_chain_rule(output, loss):
    net, X, targets = make_problem(2, [4, 5, 3], ["sigmoid", "elu", output], loss, 6)
    trace = net.backprop_trace(X, targets, loss)
    assert trace.fused == (output == "softmax" and loss == "cross_entropy")
    assert trace.cost == pytest.approx(net.cost(X, targets, loss))
    np.testing.assert_allclose(trace.output, net.predict(X))
    for got, want in zip(trace.layer_grads, net.backprop(X, targets, loss)):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    for i, (t, (W, b), f) in enumerate(zip(trace.layers, net.layers, net.activation_funcs)):
        np.testing.assert_allclose(t.z, t.layer_input @ W + b)
        np.testing.assert_allclose(t.a, f(t.z))
        if f.elementwise:
            np.testing.assert_allclose(t.dC_dz, t.dC_da * t.da_dz, rtol=1e-12)
        elif not trace.fused or i < net.n_layers - 1:  # softmax: dC_dz = J dC_da per sample
            np.testing.assert_allclose(
                t.dC_dz, np.einsum("nk,nkj->nj", t.dC_da, t.da_dz), rtol=1e-10, atol=1e-15
            )
        np.testing.assert_allclose(t.dC_dW, t.layer_input.T @ t.dC_dz, atol=1e-15)
        np.testing.assert_allclose(t.dC_db, t.dC_dz.sum(axis=0), atol=1e-15)
        if i + 1 < net.n_layers:
            np.testing.assert_allclose(t.dC_da, trace.layers[i + 1].dC_dz @ net.layers[i + 1][0].T)
            np.testing.assert_array_equal(t.a, trace.layers[i + 1].layer_input)
    np.testing.assert_allclose(
        trace.layers[-1].dC_da, ffnn.get_loss(loss).gradient(trace.output, targets)
    )


def test_trace_of_one_sample_is_one_dimensional():
    net = iris_net()
    X, targets = ffnn.datasets.load_iris()
    trace = net.backprop_trace(X[0], targets[0], "cross_entropy")
    layer = trace.layers[0]
    assert layer.z.shape == layer.dC_dz.shape == layer.da_dz.shape == (8,)
    assert layer.layer_input.shape == (4,) and layer.dC_dW.shape == (4, 8)
    assert trace.layers[1].da_dz.shape == (3, 3)  # softmax's Jacobian
    assert trace.output.shape == (3,)


# -- extremes ---------------------------------------------------------------------------------


def test_huge_logits_through_softmax_and_cross_entropy_stay_finite():
    net = ffnn.Network(
        2,
        [3],
        "softmax",
        initializer=lambda rng, i, o: (
            np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]]),
            np.zeros(3),
        ),
    )
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    targets = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # both confidently wrong
    cost = net.cost(X, targets, "cross_entropy")
    assert cost == pytest.approx(2000.0)
    grads = net.backprop(X, targets, "cross_entropy")
    assert all(np.isfinite(g).all() for pair in grads for g in pair)
    assert np.isfinite(net.cost(X, targets, "mse"))


def test_huge_inputs_into_sigmoid_layers_stay_finite():
    net = ffnn.Network(3, [4, 1], ["sigmoid", "sigmoid"], seed=0)
    X = np.array([[1e4, -1e4, 1e4], [-1e4, -1e4, -1e4]])
    targets = np.array([[1.0], [0.0]])
    for loss in ("binary_cross_entropy", "mse"):
        assert np.isfinite(net.cost(X, targets, loss))
        assert all(np.isfinite(g).all() for pair in net.backprop(X, targets, loss) for g in pair)
    net32 = net.astype("float32")
    assert np.isfinite(net32.cost(X, targets, "binary_cross_entropy"))


def test_saturated_probabilities_on_the_general_path_stay_finite():
    # softmax + binary_cross_entropy is not fused: predictions of exactly 0 and 1 reach the clip.
    net = ffnn.Network(
        1, [2], "softmax", initializer=lambda rng, i, o: (np.array([[1e4, -1e4]]), np.zeros(2))
    )
    X, targets = np.array([[1.0]]), np.array([[0.0, 1.0]])
    assert net.predict(X).tolist() == [[1.0, 0.0]]
    assert np.isfinite(net.cost(X, targets, "binary_cross_entropy"))
    assert all(
        np.isfinite(g).all()
        for pair in net.backprop(X, targets, "binary_cross_entropy") for g in pair
    )


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"layer_output_sizes": []}, ValueError, r"layer_output_sizes must name at least one"),
        (
            {"layer_output_sizes": [8, 0]},
            ValueError,
            r"layer_output_sizes\[1\] must be a positive integer, got 0",
        ),
        ({"layer_output_sizes": [-2, 3]}, ValueError, r"layer_output_sizes\[0\].*got -2"),
        ({"layer_output_sizes": [2.5, 3]}, TypeError, r"layer_output_sizes\[0\].*got 2.5"),
        ({"layer_output_sizes": 3}, TypeError, r"layer_output_sizes must be a sequence"),
        ({"network_input_size": 0}, ValueError, r"network_input_size must be a positive.*got 0"),
        ({"network_input_size": True}, TypeError, r"network_input_size"),
        (
            {"activation_funcs": ["sigmoid"]},
            ValueError,
            r"one entry per layer: expected 2 .*\[8, 3\], got 1",
        ),
        ({"activation_funcs": ["sigmoid", "softmax", "relu"]}, ValueError, r"expected 2.*got 3"),
        (
            {"activation_funcs": ["sigmoid", "softmaxx"]},
            ValueError,
            r"activation_funcs\[1\]: unknown activation 'softmaxx'; valid names are identity, ",
        ),
        ({"activation_funcs": [np.tanh, np.tanh]}, TypeError, r"activation_funcs\[0\].*f_prime"),
        ({"activation_funcs": None}, TypeError, r"activation_funcs must be a list"),
    ],
)
def test_bad_construction_is_refused_clearly(kwargs, error, pattern):
    args = {
        "network_input_size": 4,
        "layer_output_sizes": [8, 3],
        "activation_funcs": ["sigmoid", "softmax"],
        **kwargs,
    }
    with pytest.raises(error, match=pattern):
        ffnn.Network(**args)


def _bad_calls():
    X, targets = ffnn.datasets.load_iris()
    nan_X = X.copy()
    nan_X[3, 1] = np.nan
    inf_t = targets.copy()
    inf_t[0, 0] = np.inf
    return [
        (
            "features",
            (X[:, :3], targets, "cross_entropy"),
            ValueError,
            r"X has 3 features per sample but the network's input size is 4: expected shape "
            r"\(n_samples, 4\) or \(4,\), got \(150, 3\)",
        ),
        (
            "3-D",
            (X[None], targets, "cross_entropy"),
            ValueError,
            r"X must have shape.*\(1, 150, 4\)",
        ),
        ("empty", (X[:0], targets[:0], "cross_entropy"), ValueError, r"X must hold at least one"),
        (
            "strings",
            ([["a"] * 4], targets[:1], "cross_entropy"),
            TypeError,
            r"X must hold real numbers, got an array of dtype <U1",
        ),
        (
            "nan X",
            (nan_X, targets, "cross_entropy"),
            ValueError,
            r"X must be finite, got 1 NaN or inf value\(s\) of 600",
        ),
        ("inf targets", (X, inf_t, "cross_entropy"), ValueError, r"targets must be finite"),
        (
            "targets rows",
            (X, targets[:10], "cross_entropy"),
            ValueError,
            r"targets must match the network's output: expected shape \(150, 3\), got \(10, 3\)",
        ),
        (
            "targets cols",
            (X, targets[:, :2], "cross_entropy"),
            ValueError,
            r"expected shape \(150, 3\), got \(150, 2\)",
        ),
        (
            "one sample targets",
            (X[0], targets, "cross_entropy"),
            ValueError,
            r"expected shape \(3,\), got \(150, 3\)",
        ),
        (
            "labels not one-hot",
            (X, targets.argmax(1), "cross_entropy"),
            ValueError,
            r"expected shape \(150, 3\), got \(150,\)",
        ),
        (
            "loss name",
            (X, targets, "crossentropy"),
            ValueError,
            r"unknown loss 'crossentropy'; valid names are mse, ",
        ),
    ]


@pytest.mark.parametrize("case", _bad_calls(), ids=lambda c: c[0])
def test_bad_data_is_refused_clearly_by_every_entry_point(case):
    _, args, error, pattern = case
    net = iris_net()
    for method in (net.cost, net.backprop, net.gradient, net.backprop_trace):
        with pytest.raises(error, match=pattern):
            method(*args)
    if "targets" not in case[0] and "loss" not in case[0] and "labels" not in case[0]:
        with pytest.raises(error, match=pattern):
            net.predict(args[0])


def test_invalid_output_and_loss_pairs_and_penalties_are_refused():
    X, targets = ffnn.datasets.load_iris()
    relu_out = ffnn.Network(4, [8, 3], ["sigmoid", "relu"], seed=0)
    with pytest.raises(ValueError, match=r"cross_entropy needs predictions in \(0, 1\).*got relu"):
        relu_out.backprop(X, targets, "cross_entropy")
    with pytest.raises(ValueError, match=r"binary_cross_entropy needs.*got relu"):
        relu_out.cost(X, targets, "binary_cross_entropy")
    net = iris_net()
    with pytest.raises(ValueError, match=r"l2 must be a finite number >= 0, got -0\.1"):
        net.backprop(X, targets, "cross_entropy", l2=-0.1)
    with pytest.raises(ValueError, match=r"l1 must be a finite number >= 0, got inf"):
        net.cost(X, targets, "cross_entropy", l1=float("inf"))
    with pytest.raises(ValueError, match=r"sum to 1"):
        net.backprop(X, targets * 0.5, "cross_entropy")


def test_a_regression_network_accepts_one_dimensional_targets_for_one_output():
    net = ffnn.Network(3, [4, 1], ["tanh", "identity"], seed=0)
    X, y = RNG.standard_normal((5, 3)), RNG.standard_normal(5)
    np.testing.assert_allclose(net.gradient(X, y, "mse"), net.gradient(X, y[:, None], "mse"))


# -- review follow-ups ------------------------------------------------------------------------


def module_relu(z):
    return np.maximum(z, 0)


def module_relu_der(z):
    return (z > 0).astype(float)


def test_a_single_pair_or_class_serves_every_layer_and_pickles_when_module_level():
    net = ffnn.Network(2, [3, 1], (module_relu, module_relu_der), seed=0)
    assert all(isinstance(f, ffnn.FunctionActivation) for f in net.activation_funcs)
    twin = pickle.loads(pickle.dumps(net))
    X = RNG.standard_normal((4, 2))
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    one = ffnn.Network(2, [1], ffnn.Sigmoid, seed=0)
    assert one.activation_funcs == (ffnn.sigmoid,)


def test_a_custom_pair_may_declare_probabilities_for_a_cross_entropy():
    def sig(z):
        return 1 / (1 + np.exp(-z))

    def sig_der(z):
        return sig(z) * (1 - sig(z))

    pair = ffnn.FunctionActivation(sig, sig_der, outputs_probabilities=True)
    net = ffnn.Network(2, [1], [pair], seed=0)
    assert np.isfinite(net.cost(np.ones((2, 2)), [[1.0], [0.0]], "binary_cross_entropy"))
    with pytest.raises(ValueError, match="sigmoid or softmax"):
        ffnn.Network(2, [1], [(sig, sig_der)], seed=0).cost(
            np.ones((2, 2)), [[1.0], [0.0]], "binary_cross_entropy"
        )


def test_assigning_layers_is_all_or_nothing():
    net = iris_net()
    before = net.params.copy()
    with pytest.raises(ValueError, match="layer 1 needs W"):
        net.layers = [(np.ones((4, 8)), np.ones(8)), (np.ones((3, 8)), np.ones(3))]
    np.testing.assert_array_equal(net.params, before)
    with pytest.raises(TypeError, match="layers must be a list of 2 \\(W, b\\) pairs, got int"):
        net.layers = 5
    with pytest.raises(TypeError, match="layer 0 W must hold real numbers"):
        net.layers = [(np.full((4, 8), "x"), np.ones(8)), net.layers[1]]
    with pytest.raises(ValueError, match=r"flat must have shape \(67,\)"):
        net.unflatten(np.ones(66))


def test_values_beyond_float32_are_refused_by_name():
    net = ffnn.Network(2, [1], "identity", dtype="float32", seed=0)
    with pytest.raises(ValueError, match=r"X must fit in float32, got values up to 1e\+39"):
        net.predict([[1e39, 0.0]])


def test_one_sample_with_one_output_accepts_a_scalar_target():
    net = ffnn.Network(2, [1], "identity", seed=0)
    assert net.cost([1.0, 2.0], 3.0, "mse") == net.cost([1.0, 2.0], [3.0], "mse")


def test_negative_seeds_are_refused_by_name():
    with pytest.raises(ValueError, match="seed must be a non-negative int, got -1"):
        ffnn.Network(2, [1], "identity", seed=-1)


def test_the_global_random_state_is_left_alone():
    np.random.seed(123)
    np.random.standard_normal(10)  # leave a partly used key, whose pos field moves
    before = np.random.get_state()
    ffnn.Network(30, [20, 10], "relu", initializer="he")
    ffnn.Network(30, [20, 10], "relu", initializer="normal")
    after = np.random.get_state()
    assert before[0] == after[0] and before[2:] == after[2:]
    np.testing.assert_array_equal(before[1], after[1])


def test_trace_fields_share_no_memory_with_each_other_or_the_input():
    net = ffnn.Network(3, [4, 2], ["identity", "identity"], seed=0)
    X, y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    trace = net.backprop_trace(X, y, "mse")
    arrays = [X, trace.output] + [
        getattr(layer, name)
        for layer in trace.layers
        for name in ("layer_input", "z", "a", "dC_da", "da_dz", "dC_dz")
    ]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_copies_keep_the_subclass():
    class MyNet(ffnn.Network):
        pass

    net = MyNet(2, [1], "identity", seed=0)
    assert type(net.copy()) is MyNet and type(net.astype("float32")) is MyNet


def test_summary_lists_every_layer_and_adds_up():
    net = ffnn.Network(4, [8, 5, 3], ["relu", "tanh", "softmax"], dtype="float32", seed=0)
    lines = net.summary().splitlines()
    assert lines[0].split() == ["layer", "W", "shape", "b", "shape", "output", "activation",
                                "parameters"]
    rows = [line.split() for line in lines[1:-1]]
    assert [row[-2] for row in rows] == ["relu", "tanh", "softmax"]
    assert [row[1] for row in rows] == ["4x8", "8x5", "5x3"]
    assert sum(int(row[-1]) for row in rows) == net.n_params == 40 + 45 + 18
    assert lines[-1] == f"total: {net.n_params} parameters (float32, {net.n_params * 4} bytes)"


def test_short_reprs():
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    history = ffnn.train(net, X, T, "cross_entropy", epochs=3, verbose=0, engine="numpy")
    assert repr(history) == (f"History(3 epochs, loss={history['loss'][-1]:.4g}, "
                             f"accuracy={history['accuracy'][-1]:.4g}, engine=numpy)")
    trainer = ffnn.Trainer(net, "cross_entropy", "adam", batch_size=16, verbose=0)
    assert repr(trainer).startswith("Trainer(Network(4 -> 8 sigmoid -> 3 softmax")
    assert "batch 16" in repr(trainer) and "0 epochs so far" in repr(trainer)
    assert repr(ffnn.datasets.load_dataset("iris")) == (
        "Dataset('iris', 150 samples x 4 features, classification, 3 classes)")
