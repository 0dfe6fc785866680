"""gradcheck itself: it passes correct networks and catches wrong ones."""

import autograd.numpy as anp
import numpy as np
import pytest

import ffnn
from _problems import make_problem


class BrokenSigmoid(ffnn.Sigmoid):
    """A sigmoid whose derivative forgot the ``(1 - a)`` factor."""

    def derivative(self, z, a):
        return a


class BrokenSoftmax(ffnn.Softmax):
    """A softmax whose backward treats the Jacobian as diagonal (the notebook's mistake)."""

    def backward(self, z, a, dC_da):
        return dC_da * a * (1 - a)


class BrokenMSE(ffnn.MSE):
    """MSE whose gradient divides by the number of samples instead of elements."""

    def gradient(self, y_pred, y):
        return 2 * (y_pred - y) / y_pred.shape[0]


def test_a_correct_network_passes_and_prints_a_table():
    net, X, targets = make_problem(0, [5, 3], ["tanh", "softmax"], "cross_entropy", 8)
    result = ffnn.gradcheck(net, X, targets, "cross_entropy", l2=0.1)
    assert result.passed
    assert set(result.errors) == {"autograd", "finite_differences"}
    assert len(result.errors["autograd"]) == 2 == len(result.norms)
    text = str(result)
    assert "gradient check PASSED" in text and "3x5" in text and "5x3" in text


@pytest.mark.parametrize(
    ("activations", "loss", "broken_layer"),
    [
        ([BrokenSigmoid(), "identity"], "mse", 0),
        (["tanh", BrokenSoftmax()], "mse", None),
        (["tanh", "identity"], BrokenMSE(), None),
    ],
    ids=["sigmoid-derivative", "softmax-diagonal-jacobian", "mse-normalisation"],
)
def test_wrong_gradients_are_caught_by_both_references(activations, loss, broken_layer):
    net = ffnn.Network(3, [4, 3], activations, initializer="normal", seed=1)
    rng = np.random.default_rng(1)
    X, targets = rng.standard_normal((6, 3)), rng.uniform(0, 1, (6, 3))
    result = ffnn.gradcheck(net, X, targets, loss)
    assert not result.passed
    assert "FAILED" in result.table()
    for method in ("autograd", "finite_differences"):
        errors = result.errors[method]
        assert max(errors) > 1e-2
        if broken_layer is not None:  # layers after the broken one are still right
            assert errors[1] < 1e-7


def test_an_activation_autograd_cannot_trace_gets_a_clear_error():
    opaque = ffnn.activations.FunctionActivation(
        lambda z: np.where(z > 0, z, 0.5 * z), lambda z: np.where(z > 0, 1.0, 0.5)
    )
    net = ffnn.Network(2, [3, 1], [opaque, "identity"], seed=0)
    X, y = np.ones((4, 2)), np.zeros((4, 1))
    with pytest.raises(TypeError, match=r"autograd\.numpy.*methods=\('finite_differences',\)"):
        ffnn.gradcheck(net, X, y, "mse")
    assert ffnn.gradcheck(net, X, y, "mse", methods=("finite_differences",)).passed


def test_a_custom_autograd_activation_passes():
    pair = (anp.sin, anp.cos)
    net = ffnn.Network(2, [3, 2], [pair, "identity"], seed=0)
    rng = np.random.default_rng(0)
    assert ffnn.gradcheck(net, rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), "mse").passed


def test_float32_networks_are_checked_against_float64_references():
    net, X, targets = make_problem(3, [6, 1], ["elu", "sigmoid"], "binary_cross_entropy", 10)
    result = ffnn.gradcheck(net.astype("float32"), X, targets, "binary_cross_entropy")
    assert result.passed
    assert result.tolerances == {"autograd": 1e-3, "finite_differences": 1e-3}
    assert 1e-9 < result.max_error("autograd") < 1e-4  # float32 rounding is visible


def test_kinks_and_clipping_are_reported():
    net = ffnn.Network(2, [3, 2], ["relu", "sigmoid"], seed=0)
    at_kink = ffnn.gradcheck(net, np.zeros((1, 2)), np.ones((1, 2)), "mse")
    assert at_kink.near_kink and "kink" in at_kink.table()
    # softmax + binary_cross_entropy is not fused: saturated outputs reach the clip.
    saturated = ffnn.Network(
        1, [2], "softmax", initializer=lambda rng, i, o: (np.array([[50.0, -50.0]]), np.zeros(2))
    )
    result = ffnn.gradcheck(saturated, np.ones((1, 1)), np.array([[0.5, 0.5]]),
                            "binary_cross_entropy")
    assert result.clipped and "clip" in result.table()
    smooth = ffnn.gradcheck(
        saturated, np.full((1, 1), 0.01), np.array([[0.5, 0.5]]), "binary_cross_entropy"
    )
    assert not smooth.clipped and smooth.passed


def test_arguments_are_validated():
    net = ffnn.Network(2, [1], "identity", seed=0)
    X, y = np.ones((3, 2)), np.ones((3, 1))
    with pytest.raises(TypeError, match=r"network must be an ffnn\.Network, got list"):
        ffnn.gradcheck([], X, y, "mse")
    with pytest.raises(ValueError, match="methods must be a non-empty subset"):
        ffnn.gradcheck(net, X, y, "mse", methods=("jax",))
    with pytest.raises(ValueError, match="step must be a number in"):
        ffnn.gradcheck(net, X, y, "mse", step=0.0)
    with pytest.raises(ValueError, match="X has 3 features"):
        ffnn.gradcheck(net, np.ones((3, 3)), y, "mse")


def test_custom_tolerances_decide_the_verdict():
    net, X, targets = make_problem(4, [3, 2], ["tanh", "identity"], "mse", 5)
    strict = ffnn.gradcheck(net, X, targets, "mse", tolerances={"finite_differences": 1e-30})
    assert not strict.passed and strict.tolerances["finite_differences"] == 1e-30


def test_relu_networks_with_many_samples_pass_at_the_defaults():
    # 200 samples x 3 ReLUs: some z fall within the default step's reach of the kink, so
    # gradcheck shrinks the step (and, were it still near, would not count finite differences).
    net = ffnn.Network(30, [3], "relu", seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((200, 30)), rng.standard_normal((200, 3))
    result = ffnn.gradcheck(net, X, y, "mse")
    assert result.passed and result.step < 1e-4
    assert result.max_error("finite_differences") < 1e-6


def test_finite_differences_do_not_decide_the_verdict_at_a_kink():
    net = ffnn.Network(2, [3, 2], ["relu", "identity"], seed=0)
    X, y = np.zeros((1, 2)), np.ones((1, 2))  # z = 0 exactly: every step straddles the kink
    both = ffnn.gradcheck(net, X, y, "mse")
    assert both.near_kink and both.counted == ("autograd",) and both.passed
    assert "not counted" in both.table()
    fd_only = ffnn.gradcheck(net, X, y, "mse", methods="finite_differences")
    assert fd_only.counted == ("finite_differences",)


def test_a_custom_loss_pair_goes_through_backprop_and_gradcheck():
    def huber(p, y):
        r = p - y
        return anp.mean(anp.where(anp.abs(r) < 1, 0.5 * r**2, anp.abs(r) - 0.5))

    def huber_der(p, y):
        r = p - y
        return np.where(np.abs(r) < 1, r, np.sign(r)) / r.size

    net, X, targets = make_problem(6, [4, 2], ["tanh", "identity"], "mse", 7)
    assert ffnn.gradcheck(net, X, targets, (huber, huber_der)).passed
    net32 = net.astype("float32")
    trace = net32.backprop_trace(X, targets, (huber, huber_der))
    assert trace.layers[-1].dC_da.dtype == np.float32

    def wrong_shape(p, y):
        return (p - y).mean(axis=0)

    with pytest.raises(ValueError, match=r"prediction's shape \(7, 2\), got \(2,\)"):
        net.backprop(X, targets, (huber, wrong_shape))


def test_method_and_tolerance_arguments_are_checked():
    net, X, targets = make_problem(7, [2], ["identity"], "mse", 3)
    assert set(ffnn.gradcheck(net, X, targets, "mse", methods="autograd").errors) == {"autograd"}
    with pytest.raises(ValueError, match=r"tolerances: unknown methods \['fd'\]"):
        ffnn.gradcheck(net, X, targets, "mse", tolerances={"fd": 1e-3})
    assert ffnn.gradcheck(net, X, targets, "mse", step=np.float32(1e-4)).passed


def test_gradcheck_and_check_gradient_print_one_table_format():
    """One formatter (format_table) for both: the same columns and the same tolerance line."""
    from ffnn.core.gradcheck import format_table

    net, X, targets = make_problem(0, [5, 3], ["tanh", "softmax"], "cross_entropy", 8)
    one = ffnn.gradcheck(net, X, targets, "cross_entropy").table().splitlines()
    layers = [(W.copy(), b.copy()) for W, b in net.layers]

    def cost(L):
        n = net.copy()
        n.layers = L
        return n.cost(X, targets, "cross_entropy")

    def gradient(L):
        n = net.copy()
        n.layers = L
        return n.backprop(X, targets, "cross_entropy")

    other = ffnn.check_gradient(cost, gradient, layers).table().splitlines()
    header = ["array", "shape", "|grad|", "autograd", "finite differences"]
    def columns(line):
        return [c.strip() for c in line.split("  ") if c.strip()]

    assert columns(one[0]) == columns(other[0]) == header
    tolerance = "tolerance (relative error per row): autograd 1e-07, finite differences 1e-05"
    assert tolerance in one and tolerance in other
    assert one[1].startswith("layer 1 W, b") and one[1].endswith("ok")
    table = format_table(["a"], ["2"], [1.0], {"finite_differences": [0.5]},
                         {"autograd": 1e-7, "finite_differences": 1e-5})
    assert table.splitlines()[1].split() == ["a", "2", "1.00e+00", "n/a", "5.00e-01", "FAIL"]
