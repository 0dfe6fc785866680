"""Losses: values against scikit-learn, gradients against autograd, the fused paths, extremes."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from scipy.special import expit, softmax
from sklearn.metrics import log_loss, mean_squared_error

import ffnn
from ffnn.core.losses import LOSS_NAMES, FunctionLoss, clip_epsilon, get_loss

RNG = np.random.default_rng(7)
N, K = 9, 4
Y_ONEHOT = ffnn.datasets.one_hot(np.arange(N) % K, K)
P_SOFTMAX = softmax(RNG.normal(0, 1.5, (N, K)), axis=1)
P_SIGMOID = expit(RNG.normal(0, 1.5, (N, K)))
Y_BINARY = RNG.integers(0, 2, (N, K)).astype(float)
Y_SOFT = RNG.uniform(0, 1, (N, K))


def test_values_agree_with_scikit_learn():
    y, p = RNG.standard_normal((N, K)), RNG.standard_normal((N, K))
    assert ffnn.mse(p, y) == pytest.approx(mean_squared_error(y, p), rel=1e-14)
    assert ffnn.cross_entropy(P_SOFTMAX, Y_ONEHOT) == pytest.approx(
        log_loss(Y_ONEHOT.argmax(1), P_SOFTMAX, labels=range(K)), rel=1e-12
    )
    # One output: binary log-loss; several: summed over outputs, mean over samples.
    col = P_SIGMOID[:, :1]
    assert ffnn.binary_cross_entropy(col, Y_BINARY[:, :1]) == pytest.approx(
        log_loss(Y_BINARY[:, 0], col[:, 0]), rel=1e-12
    )
    per_output = [log_loss(Y_BINARY[:, k], P_SIGMOID[:, k]) for k in range(K)]
    assert ffnn.binary_cross_entropy(P_SIGMOID, Y_BINARY) == pytest.approx(sum(per_output))


@pytest.mark.parametrize(
    ("loss", "p", "y"),
    [
        (ffnn.mse, RNG.standard_normal((N, K)), RNG.standard_normal((N, K))),
        (ffnn.mse, RNG.standard_normal(K), RNG.standard_normal(K)),
        (ffnn.binary_cross_entropy, P_SIGMOID, Y_SOFT),
        (ffnn.binary_cross_entropy, P_SIGMOID[0], Y_SOFT[0]),
        (ffnn.cross_entropy, P_SOFTMAX, Y_ONEHOT),
        (ffnn.cross_entropy, P_SOFTMAX[0], Y_ONEHOT[0]),
    ],
    ids=["mse", "mse-1d", "bce", "bce-1d", "ce", "ce-1d"],
)
def test_gradient_matches_autograd_and_value_matches_reference(loss, p, y):
    np.testing.assert_allclose(loss.gradient(p, y), grad(loss.reference)(p, y), rtol=1e-12)
    assert loss.value(p, y) == pytest.approx(float(loss.reference(p, y)), rel=1e-13)


def test_mse_gradient_is_the_notebooks():
    p, y = RNG.standard_normal((N, K)), RNG.standard_normal((N, K))
    np.testing.assert_allclose(ffnn.mse.gradient(p, y), 2 * (p - y) / p.size)


@pytest.mark.parametrize(
    ("loss", "activation", "y"),
    [
        (ffnn.cross_entropy, ffnn.softmax, Y_ONEHOT),
        (ffnn.cross_entropy, ffnn.softmax, softmax(RNG.standard_normal((N, K)), axis=1)),
        (ffnn.binary_cross_entropy, ffnn.sigmoid, Y_SOFT),
    ],
    ids=["softmax-ce", "softmax-ce-soft-targets", "sigmoid-bce"],
)
def test_fused_path_equals_the_general_path(loss, activation, y):
    z = RNG.normal(0, 2, (N, K))
    a = activation(z)
    assert loss.fuses_with(activation)
    assert loss.logits_value(z, y) == pytest.approx(loss.value(a, y), rel=1e-12)
    general = activation.backward(z, a, loss.gradient(a, y))
    np.testing.assert_allclose(loss.logits_gradient(a, y), general, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(loss.logits_gradient(a, y), (a - y) / N)


def test_only_the_two_classic_pairs_fuse():
    assert not ffnn.cross_entropy.fuses_with(ffnn.sigmoid)
    assert not ffnn.binary_cross_entropy.fuses_with(ffnn.softmax)
    assert not ffnn.mse.fuses_with(ffnn.identity)

    class MySoftmax(ffnn.Softmax):  # a subclass may change forward: no shortcut for it
        pass

    assert not ffnn.cross_entropy.fuses_with(MySoftmax())


def test_fused_values_are_exact_for_huge_logits():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    # Sample 0 is wrong by 2000 nats, sample 1 right: mean 1000.
    assert ffnn.cross_entropy.logits_value(z, y) == pytest.approx(1000.0)
    # Binary: sample 0 has two outputs wrong by 1000 nats each, sample 1 none: mean 1000.
    assert ffnn.binary_cross_entropy.logits_value(z, y) == pytest.approx(1000.0)
    a = ffnn.softmax(z)
    assert np.isfinite(ffnn.cross_entropy.logits_gradient(a, y)).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", [ffnn.binary_cross_entropy, ffnn.cross_entropy])
def test_predictions_of_exactly_0_and_1_stay_finite(loss, dtype):
    p = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)
    value, gradient = loss.value(p, y), loss.gradient(p, y)
    assert np.isfinite(value) and np.isfinite(gradient).all()
    assert gradient.dtype == dtype
    # The clipped cost of a confidently wrong sample is -log(ε).
    assert value >= -np.log(clip_epsilon(dtype)) / 2 * 0.99


def test_clip_epsilon_depends_on_the_dtype():
    assert clip_epsilon(np.float64) == 1e-15 and clip_epsilon(np.float32) == 1e-7


def test_cross_entropies_refuse_outputs_that_are_not_probabilities():
    for loss in (ffnn.cross_entropy, ffnn.binary_cross_entropy):
        loss.check_output(ffnn.softmax)
        with pytest.raises(ValueError, match=r"sigmoid or softmax.*got relu"):
            loss.check_output(ffnn.relu)
    ffnn.binary_cross_entropy.check_output(ffnn.sigmoid)
    ffnn.mse.check_output(ffnn.relu)


def test_cross_entropy_after_sigmoid_outputs_is_refused_with_the_fix():
    """Sigmoid outputs need not sum to one: a cross-entropy would learn to say 1 for every
    class (the adversarial run trained to a loss of 6e-4 at accuracy 0.69)."""
    with pytest.raises(ValueError, match=r"sum to one.*softmax.*got sigmoid.*binary_cross"):
        ffnn.cross_entropy.check_output(ffnn.sigmoid)
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [5, 3], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        ffnn.train(net, X, T, "cross_entropy", epochs=1, verbose=0)


def test_targets_outside_what_the_loss_allows_are_refused():
    with pytest.raises(ValueError, match=r"targets in \[0, 1\].*-1 to 2"):
        ffnn.binary_cross_entropy.check_targets(np.array([[-1.0], [2.0]]))
    with pytest.raises(ValueError, match=r"sum to 1.*summing to 2"):
        ffnn.cross_entropy.check_targets(np.array([[1.0, 1.0], [0.0, 1.0]]))
    ffnn.cross_entropy.check_targets(Y_ONEHOT)
    ffnn.mse.check_targets(np.array([[-5.0]]))


def test_names_classes_and_pairs_resolve():
    assert get_loss("mse") == ffnn.mse and get_loss("squared_error") == ffnn.mse
    assert get_loss("Cross-Entropy") == ffnn.cross_entropy
    assert get_loss(ffnn.BinaryCrossEntropy) == ffnn.binary_cross_entropy

    def mae(p, y):
        return anp.mean(anp.abs(p - y))

    def mae_der(p, y):
        return np.sign(p - y) / p.size

    custom = get_loss((mae, mae_der))
    assert isinstance(custom, FunctionLoss) and custom.name == "mae"
    p, y = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    assert custom(p, y) == pytest.approx(np.mean(np.abs(p - y)))
    np.testing.assert_allclose(custom.gradient(p, y), grad(custom.reference)(p, y))


def test_unknown_loss_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown loss 'hinge'") as info:
        get_loss("hinge")
    for name in LOSS_NAMES:
        assert name in str(info.value)
    with pytest.raises(TypeError, match="loss name"):
        get_loss(42)
