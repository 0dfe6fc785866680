"""Interop: scikit-learn MLPs and PyTorch Sequentials to and from ffnn Networks.

Everything that needs no PyTorch (scikit-learn both ways, the NumPy state dict and reading it
back) runs without it; the module checks skip when PyTorch is missing.
"""

import importlib.abc
import sys

import numpy as np
import pytest
from scipy.special import logit
from sklearn.datasets import (
    load_breast_cancer,
    load_iris,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

import ffnn
from ffnn.sklearn.interop import from_sklearn, from_torch, to_sklearn, to_torch, to_torch_state_dict

TOL = dict(rtol=0, atol=1e-12)
RNG = np.random.default_rng(7)

# The scikit-learn models are fitted for a few iterations only, to keep the tests fast: what is
# checked is that the weights carry over, not that training converged, so scikit-learn's
# ConvergenceWarning (an error under the project's filterwarnings = error) is silenced.
few_iterations = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

needs_torch = "PyTorch is optional; install torch==2.13.0 to run the export checks"


def scaled(X):
    return StandardScaler().fit_transform(X)


def iris():
    X, y = load_iris(return_X_y=True)
    return scaled(X), y


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return scaled(X[:120]), y[:120]


def multilabel():
    X, Y = make_multilabel_classification(n_samples=60, n_features=5, n_classes=3, random_state=0)
    return scaled(X), Y


def regression(n_targets):
    X, y = make_regression(
        n_samples=60, n_features=4, n_targets=n_targets, noise=0.1, random_state=0
    )
    return X, y / y.std()


def random_init(rng, n_in, n_out):
    """Glorot-sized weights and non-zero biases, so that a bias lost or misplaced shows."""
    bound = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, (n_in, n_out)), rng.uniform(-0.5, 0.5, n_out)


def net_with(hidden, output, n_out, n_in=4, sizes=(6, 5), dtype="float64", seed=0):
    activations = [hidden] * len(sizes) + [output]
    return ffnn.Network(
        n_in, [*sizes, n_out], activations, initializer=random_init, dtype=dtype, seed=seed
    )


# -- from_sklearn -----------------------------------------------------------------------------


@few_iterations
@pytest.mark.parametrize(
    "problem, activation, hidden",
    [
        ("multiclass", "tanh", (6, 5)),
        ("multiclass", "relu", ()),
        ("binary", "logistic", (7,)),
        ("multilabel", "relu", (6, 4)),
        ("multilabel", "identity", (5,)),
    ],
)
def test_from_sklearn_classifier_predicts_its_probabilities(problem, activation, hidden):
    X, y = {"multiclass": iris, "binary": breast_cancer, "multilabel": multilabel}[problem]()
    mlp = MLPClassifier(
        hidden_layer_sizes=hidden, activation=activation, max_iter=5, random_state=0
    ).fit(X, y)
    net = from_sklearn(mlp)
    assert net.dtype == np.float64
    assert net.layer_output_sizes == (*hidden, mlp.n_outputs_)
    expected_out = {"multiclass": "softmax", "binary": "sigmoid", "multilabel": "sigmoid"}
    ffnn_hidden = "sigmoid" if activation == "logistic" else activation
    assert [f.name for f in net.activation_funcs] == [ffnn_hidden] * len(hidden) + [
        expected_out[problem]
    ]
    proba = mlp.predict_proba(X)
    if problem == "binary":
        assert net.predict(X).shape == (X.shape[0], 1)
        np.testing.assert_allclose(net.predict(X)[:, 0], proba[:, 1], **TOL)
    else:
        np.testing.assert_allclose(net.predict(X), proba, **TOL)
    for (W, b), coef, intercept in zip(net.layers, mlp.coefs_, mlp.intercepts_):
        np.testing.assert_array_equal(W, coef)
        np.testing.assert_array_equal(b, intercept)
        assert not np.shares_memory(W, coef)


@few_iterations
@pytest.mark.parametrize("n_targets, activation", [(1, "relu"), (2, "tanh"), (3, "logistic")])
def test_from_sklearn_regressor_predicts_its_predictions(n_targets, activation):
    X, y = regression(n_targets)
    mlp = MLPRegressor(
        hidden_layer_sizes=(8, 4), activation=activation, max_iter=5, random_state=0
    ).fit(X, y)
    net = from_sklearn(mlp)
    assert net.activation_funcs[-1].name == "identity"
    expected = mlp.predict(X).reshape(X.shape[0], n_targets)
    np.testing.assert_allclose(net.predict(X), expected, **TOL)


@few_iterations
def test_from_sklearn_keeps_float32():
    X, y = iris()
    mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    mlp.fit(X.astype(np.float32), y)
    assert mlp.coefs_[0].dtype == np.float32
    net = from_sklearn(mlp)
    assert net.dtype == np.float32
    X32 = X.astype(np.float32)
    np.testing.assert_allclose(net.predict(X32), mlp.predict_proba(X32), rtol=0, atol=1e-6)


def test_from_sklearn_refuses_unfitted_and_foreign_models():
    # (a Poisson MLPRegressor, whose output is exp, is read: tests/test_poisson.py)
    with pytest.raises(NotFittedError, match="not fitted yet; call fit before from_sklearn"):
        from_sklearn(MLPClassifier())
    with pytest.raises(TypeError, match="MLPClassifier or MLPRegressor, got StandardScaler"):
        from_sklearn(StandardScaler())


# -- to_sklearn -------------------------------------------------------------------------------

X_EXPORT = RNG.standard_normal((40, 4)) * 2


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("n_out", [3, 5])
def test_to_sklearn_multiclass_softmax(hidden, n_out):
    net = net_with(hidden, "softmax", n_out)
    est = to_sklearn(net)
    assert isinstance(est, MLPClassifier)
    assert est.out_activation_ == "softmax" and est.n_outputs_ == n_out
    check_is_fitted(est)
    probabilities = net.predict(X_EXPORT)
    np.testing.assert_allclose(est.predict_proba(X_EXPORT), probabilities, **TOL)
    np.testing.assert_array_equal(est.classes_, np.arange(n_out))
    np.testing.assert_array_equal(est.predict(X_EXPORT), probabilities.argmax(axis=1))
    sk_hidden = "logistic" if hidden == "sigmoid" else hidden
    assert est.activation == sk_hidden and est.hidden_layer_sizes == (6, 5)


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid"])
def test_to_sklearn_binary_sigmoid(hidden):
    net = net_with(hidden, "sigmoid", 1, seed=3)
    # Shift the output bias so that the median logit is 0: both classes then occur.
    net.layers[-1][1][...] -= logit(np.median(net.predict(X_EXPORT)))
    est = to_sklearn(net)
    assert isinstance(est, MLPClassifier) and est.out_activation_ == "logistic"
    p = net.predict(X_EXPORT)
    expected = np.hstack([1 - p, p])
    np.testing.assert_allclose(est.predict_proba(X_EXPORT), expected, **TOL)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    np.testing.assert_array_equal(est.predict(X_EXPORT), expected.argmax(axis=1))
    assert 0 < est.predict(X_EXPORT).mean() < 1  # both classes occur: the check can fail


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_to_sklearn_multilabel_sigmoid(hidden):
    net = net_with(hidden, "sigmoid", 3, seed=4)
    est = to_sklearn(net)
    assert est.out_activation_ == "logistic" and est._label_binarizer.y_type_.startswith(
        "multilabel"
    )
    p = net.predict(X_EXPORT)
    np.testing.assert_allclose(est.predict_proba(X_EXPORT), p, **TOL)
    np.testing.assert_array_equal(est.predict(X_EXPORT), (p > 0.5).astype(int))
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("n_out", [1, 2])
def test_to_sklearn_regressor(hidden, n_out):
    net = net_with(hidden, "identity", n_out)
    est = to_sklearn(net)
    assert isinstance(est, MLPRegressor) and est.out_activation_ == "identity"
    out = net.predict(X_EXPORT)
    expected = out[:, 0] if n_out == 1 else out
    np.testing.assert_allclose(est.predict(X_EXPORT), expected, **TOL)


def test_to_sklearn_sets_the_fitted_attributes():
    net = net_with("tanh", "softmax", 3, sizes=(6, 5, 4))
    est = to_sklearn(net)
    assert est.n_layers_ == 5  # scikit-learn counts the input layer
    assert est.n_features_in_ == 4 and est.n_outputs_ == 3
    assert est.hidden_layer_sizes == (6, 5, 4)
    for (W, b), coef, intercept in zip(net.layers, est.coefs_, est.intercepts_):
        np.testing.assert_array_equal(coef, W)
        np.testing.assert_array_equal(intercept, b)
        assert not np.shares_memory(coef, net.params)
    with pytest.raises(ValueError, match="4 features"):
        est.predict(np.ones((2, 3)))
    # No hidden layer: a linear (softmax) model.
    linear = ffnn.Network(4, [3], "softmax", initializer=random_init, seed=0)
    est = to_sklearn(linear)
    assert est.n_layers_ == 2 and est.hidden_layer_sizes == ()
    np.testing.assert_allclose(est.predict_proba(X_EXPORT), linear.predict(X_EXPORT), **TOL)


def test_to_sklearn_round_trips_through_from_sklearn_bit_for_bit():
    for output, n_out in [("softmax", 3), ("sigmoid", 1), ("sigmoid", 2), ("identity", 2)]:
        net = net_with("relu", output, n_out, seed=5)
        back = from_sklearn(to_sklearn(net))
        np.testing.assert_array_equal(back.params, net.params)
        assert [f.name for f in back.activation_funcs] == [f.name for f in net.activation_funcs]


def test_to_sklearn_labels_and_reorders_outputs_to_sorted_classes():
    net = net_with("tanh", "softmax", 3)
    p = net.predict(X_EXPORT)
    est = to_sklearn(net, classes=["setosa", "virginica", "versicolor"])
    np.testing.assert_array_equal(est.classes_, ["setosa", "versicolor", "virginica"])
    np.testing.assert_allclose(est.predict_proba(X_EXPORT), p[:, [0, 2, 1]], **TOL)
    labels = np.array(["setosa", "virginica", "versicolor"])
    np.testing.assert_array_equal(est.predict(X_EXPORT), labels[p.argmax(axis=1)])
    # One sigmoid output whose labels come in reverse order: p is P("no"), the label of
    # p > 0.5, and scikit-learn's predict_proba[:, 1] is P("yes").
    net1 = net_with("relu", "sigmoid", 1, seed=3)
    p1 = net1.predict(X_EXPORT)[:, 0]
    est1 = to_sklearn(net1, classes=["yes", "no"])
    np.testing.assert_array_equal(est1.classes_, ["no", "yes"])
    np.testing.assert_allclose(est1.predict_proba(X_EXPORT)[:, 1], 1 - p1, **TOL)
    np.testing.assert_array_equal(est1.predict(X_EXPORT), np.where(p1 > 0.5, "no", "yes"))


def test_to_sklearn_two_softmax_outputs_become_one_logistic_output():
    net = net_with("relu", "softmax", 2, seed=2)
    p = net.predict(X_EXPORT)
    est = to_sklearn(net)
    assert est.n_outputs_ == 1 and est.out_activation_ == "logistic"
    np.testing.assert_allclose(est.predict_proba(X_EXPORT), p, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(est.predict(X_EXPORT), p.argmax(axis=1))
    est_rev = to_sklearn(net, classes=[1, 0])
    np.testing.assert_allclose(est_rev.predict_proba(X_EXPORT), p[:, ::-1], **TOL)


def test_to_sklearn_estimator_keeps_training_from_the_weights():
    X, y = iris()
    net = ffnn.Network(4, [6, 3], ["relu", "softmax"], seed=0)
    est = to_sklearn(net)
    est.partial_fit(X, y)  # one Adam epoch, step size 1e-3 per parameter
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 1
    step = np.concatenate([(c - W).ravel() for c, (W, _) in zip(est.coefs_, net.layers)])
    assert 0 < np.abs(step).max() <= 1.01e-3  # moved a little: continued, not re-initialised


@pytest.mark.parametrize(
    "net, classes, message",
    [
        (
            net_with("leaky_relu", "softmax", 3),
            None,
            r"identity, logistic \(sigmoid\), tanh and relu for hidden layers, but hidden layer 0 "
            r"uses 'leaky_relu' \(LeakyReLU\)",
        ),
        (
            ffnn.Network(4, [5, 5, 3], ["relu", "tanh", "softmax"], seed=0),
            None,
            "one activation for every hidden layer, but this network's hidden layers use "
            "relu, tanh",
        ),
        (net_with("relu", "elu", 2), None, r"output layer uses 'elu' \(ELU\)"),
        (net_with("relu", "softmax", 1), None, "softmax over a single output is always 1"),
        (net_with("relu", "identity", 2), [0, 1], "classes is for classifiers"),
        (net_with("relu", "softmax", 3), [0, 1], "classes must be a 1-D sequence of 3 labels"),
        (net_with("relu", "sigmoid", 1), [0, 1, 2], "classes must be a 1-D sequence of 2 labels"),
        (net_with("relu", "softmax", 3), ["a", "b", "a"], "classes must be distinct"),
        (net_with("relu", "sigmoid", 3), ["a", "b", "c"], r"column indices 0..2"),
    ],
)
def test_to_sklearn_refuses_what_scikit_learn_cannot_hold(net, classes, message):
    with pytest.raises(ValueError, match=message):
        to_sklearn(net, classes=classes)


def test_to_sklearn_refuses_custom_activations_and_non_networks():
    custom = ffnn.Network(4, [5, 3], [(np.sin, np.cos), "softmax"], seed=0)
    with pytest.raises(ValueError, match=r"hidden layer 0 uses 'sin' \(FunctionActivation\)"):
        to_sklearn(custom)
    with pytest.raises(TypeError, match=r"network must be an ffnn\.Network, got MLPClassifier"):
        to_sklearn(MLPClassifier())


# -- the PyTorch state dict, without PyTorch --------------------------------------------------


def all_activations_net(dtype="float64"):
    return ffnn.Network(
        4,
        [7, 6, 6, 5, 5, 3],
        ["relu", ffnn.LeakyReLU(0.2), "identity", ffnn.ELU(0.5), "tanh", "softmax"],
        initializer=random_init,
        dtype=dtype,
        seed=11,
    )


def test_to_torch_state_dict_keys_shapes_and_values():
    net = all_activations_net()
    sd = to_torch_state_dict(net)
    # Linear, activation; the identity layer has no activation module, so 4 follows 3.
    indices = [0, 2, 4, 5, 7, 9]
    assert list(sd) == [f"{i}.{kind}" for i in indices for kind in ("weight", "bias")]
    for i, (W, b) in zip(indices, net.layers):
        weight, bias = sd[f"{i}.weight"], sd[f"{i}.bias"]
        assert weight.shape == (W.shape[1], W.shape[0]) and bias.shape == b.shape
        np.testing.assert_array_equal(weight, W.T)
        np.testing.assert_array_equal(bias, b)
        assert weight.dtype == np.float64 and weight.flags.c_contiguous
        assert not np.shares_memory(weight, net.params)
        assert not np.shares_memory(bias, net.params)
    assert to_torch_state_dict(all_activations_net("float32"))["0.weight"].dtype == np.float32


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_state_dict_round_trips_without_torch(dtype):
    net = all_activations_net(dtype)
    activations = [ffnn.relu, ffnn.LeakyReLU(0.2), "identity", ffnn.ELU(0.5), "tanh", "softmax"]
    back = from_torch(to_torch_state_dict(net), activations)
    assert back.dtype == net.dtype
    np.testing.assert_array_equal(back.params, net.params)
    X = RNG.standard_normal((10, 4))
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_from_state_dict_fills_missing_biases_and_broadcasts_one_activation():
    W1, W2 = RNG.standard_normal((5, 3)), RNG.standard_normal((2, 5))
    net = from_torch({"hidden.weight": W1, "out.weight": W2, "out.bias": np.ones(2)}, "tanh")
    np.testing.assert_array_equal(net.layers[0][0], W1.T)
    np.testing.assert_array_equal(net.layers[0][1], np.zeros(5))
    np.testing.assert_array_equal(net.layers[1][1], np.ones(2))
    assert [f.name for f in net.activation_funcs] == ["tanh", "tanh"]


@pytest.mark.parametrize(
    "state, activations, error, message",
    [
        ({"0.weight": np.ones((3, 4))}, None, ValueError, "a state dict holds no activations"),
        (
            {"0.weight": np.ones((3, 4))},
            ["relu", "relu"],
            ValueError,
            "one entry per Linear layer: the state dict holds 1, got 2",
        ),
        (
            {"0.weight": np.ones((3, 4)), "1.running_mean": np.ones(3)},
            ["relu"],
            ValueError,
            "'1.running_mean' is not a Linear layer's 'weight' or 'bias'",
        ),
        ({"0.weight": np.ones(4)}, ["relu"], ValueError, r"shape \(out_features, in_features\)"),
        (
            {"0.weight": np.ones((3, 4)), "0.bias": np.ones(4)},
            ["relu"],
            ValueError,
            r"bias must have shape \(3,\)",
        ),
        ({"0.bias": np.ones(3)}, ["relu"], ValueError, "has a bias but no weight"),
        (
            {"0.weight": np.ones((3, 4)), "2.weight": np.ones((2, 4))},
            ["relu", "relu"],
            ValueError,
            "layer 1 takes 4 inputs but layer 0 gives 3",
        ),
        (
            {"0.weight": np.ones((3, 4)), "0.bias": np.ones(3, dtype=np.float32)},
            ["relu"],
            ValueError,
            "share one dtype, got float32, float64",
        ),
        (
            {"0.weight": np.ones((3, 4), dtype=int)},
            ["relu"],
            ValueError,
            "'0.weight' must be float32 or float64, got dtype int64",
        ),
        ({}, ["relu"], ValueError, "holds no Linear layer"),
        ({"0.weight": np.ones((3, 4))}, ["nope"], ValueError, "unknown activation 'nope'"),
    ],
)
def test_from_state_dict_refuses_bad_input(state, activations, error, message):
    with pytest.raises(error, match=message):
        from_torch(state, activations)


def test_custom_activations_cannot_be_exported():
    net = ffnn.Network(4, [5, 3], [(np.sin, np.cos), "softmax"], seed=0)
    message = r"layer 0 uses the custom activation 'sin' \(FunctionActivation\).*PyTorch"
    with pytest.raises(ValueError, match=message):
        to_torch_state_dict(net)
    with pytest.raises(ValueError, match=message):
        to_torch(net)  # refused before PyTorch is needed


class _NoTorch(importlib.abc.MetaPathFinder):
    """Makes ``import torch`` fail as it does where PyTorch is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_without_torch_the_module_functions_say_what_to_install(monkeypatch):
    # Not sys.modules["torch"] = None: SciPy's array-API helpers look torch up there.
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoTorch(), *sys.meta_path])
    net = net_with("relu", "softmax", 3)
    with pytest.raises(ImportError, match=r"to_torch needs PyTorch\..*pip install torch"):
        to_torch(net)
    with pytest.raises(TypeError, match=r"torch\.nn\.Sequential or a state dict.*got list"):
        from_torch([np.ones((3, 4))], ["relu"])
    # The NumPy paths keep working.
    back = from_torch(to_torch_state_dict(net), ["relu", "relu", "softmax"])
    np.testing.assert_array_equal(back.params, net.params)


# -- PyTorch modules --------------------------------------------------------------------------


def torch_or_skip():
    return pytest.importorskip("torch", reason=needs_torch)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_to_torch_computes_what_the_network_computes(dtype):
    torch = torch_or_skip()
    net = all_activations_net(dtype)
    module = to_torch(net)
    assert isinstance(module, torch.nn.Sequential)
    kinds = [type(m).__name__ for m in module]
    assert kinds == [
        "Linear",
        "ReLU",
        "Linear",
        "LeakyReLU",
        "Linear",
        "Linear",
        "ELU",
        "Linear",
        "Tanh",
        "Linear",
        "Softmax",
    ]
    assert module[3].negative_slope == 0.2 and module[6].alpha == 0.5 and module[10].dim == -1
    torch_dtype = getattr(torch, dtype)
    assert all(p.dtype == torch_dtype for p in module.parameters())
    for key, value in to_torch_state_dict(net).items():
        np.testing.assert_array_equal(module.state_dict()[key].numpy(), value)
    X = RNG.standard_normal((25, 4)).astype(dtype)
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    atol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(out, net.predict(X), rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_round_trip_is_bit_for_bit(dtype):
    torch_or_skip()
    net = all_activations_net(dtype)
    back = from_torch(to_torch(net))
    assert back.dtype == net.dtype
    np.testing.assert_array_equal(back.params, net.params)
    assert [type(f) for f in back.activation_funcs] == [type(f) for f in net.activation_funcs]
    assert back.activation_funcs[1].alpha == 0.2 and back.activation_funcs[3].alpha == 0.5
    # The module's state dict (tensors) reads back the same way.
    names = [f.name for f in net.activation_funcs]
    names[1], names[3] = ffnn.LeakyReLU(0.2), ffnn.ELU(0.5)
    np.testing.assert_array_equal(from_torch(to_torch(net).state_dict(), names).params, net.params)


def test_to_torch_leaves_torch_random_state_alone():
    torch = torch_or_skip()
    before = torch.random.get_rng_state()
    to_torch(all_activations_net())
    assert torch.equal(torch.random.get_rng_state(), before)


def test_from_torch_reads_a_hand_written_sequential():
    torch = torch_or_skip()
    nn = torch.nn
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(4, 8, bias=False),
        nn.ReLU(inplace=True),
        nn.Identity(),
        nn.Linear(8, 6),
        nn.Sigmoid(),
        nn.Linear(6, 3),
        nn.Softmax(dim=1),
    ).double()
    net = from_torch(module)
    assert [f.name for f in net.activation_funcs] == ["relu", "sigmoid", "softmax"]
    np.testing.assert_array_equal(net.layers[0][1], np.zeros(8))
    X = RNG.standard_normal((20, 4))
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.predict(X), expected, **TOL)
    # A trailing Linear is an identity output layer.
    regressor = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    assert [f.name for f in from_torch(regressor).activation_funcs] == ["tanh", "identity"]


def test_from_torch_refuses_what_it_cannot_read():
    torch = torch_or_skip()
    nn = torch.nn
    cases = [
        (
            nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.1)),
            ValueError,
            r"module 1 \(Dropout\) is not supported",
        ),
        (
            nn.Sequential(nn.ReLU(), nn.Linear(4, 3)),
            ValueError,
            r"module 0 \(ReLU\) comes before any Linear layer",
        ),
        (
            nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Tanh()),
            ValueError,
            r"module 2 \(Tanh\) follows another activation",
        ),
        (nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=0)), ValueError, r"Softmax\(dim=0\)"),
        (nn.Sequential(), ValueError, "holds no Linear layer"),
        (nn.Linear(4, 3), TypeError, "reads an nn.Sequential, got Linear"),
        (nn.Sequential(nn.Linear(4, 3).half()), ValueError, "float32 or float64.*float16"),
        (
            nn.Sequential(nn.Linear(4, 3).double(), nn.Linear(3, 2)),
            ValueError,
            "share one dtype, got float32, float64",
        ),
    ]
    for module, error, message in cases:
        with pytest.raises(error, match=message):
            from_torch(module)
    with pytest.raises(ValueError, match="pass activations=None"):
        from_torch(nn.Sequential(nn.Linear(4, 3)), ["relu"])
    with pytest.raises(ValueError, match=r"convert it with \.float\(\)"):
        from_torch({"0.weight": torch.ones(3, 4, dtype=torch.bfloat16)}, ["relu"])
