"""Activations: formulas, derivatives against autograd, dtypes, extremes, and how they are named."""

import pickle

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import elementwise_grad, jacobian
from scipy.special import erf, expit
from scipy.special import softmax as scipy_softmax

import ffnn
from ffnn.core.activations import ACTIVATION_NAMES, FunctionActivation, get_activation

RNG = np.random.default_rng(42)
Z = RNG.normal(0, 2, (6, 5))
Z[np.abs(Z) < 1e-3] = 0.5  # away from the kinks at 0

ELEMENTWISE = [
    ffnn.Identity(),
    ffnn.Sigmoid(),
    ffnn.Tanh(),
    ffnn.ReLU(),
    ffnn.LeakyReLU(0.2),
    ffnn.ELU(0.7),
    ffnn.ELU(),
    ffnn.Softplus(),
    ffnn.SiLU(),
    ffnn.GELU(),
    ffnn.activations.Mish(),
    ffnn.activations.SELU(),
    ffnn.Exp(),
]

FORMULAS = {
    "identity": lambda z: z,
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "silu": lambda z: z * expit(z),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
    "mish": lambda z: z * np.tanh(np.log1p(np.exp(z))),
    "selu": lambda z: 1.0507009873554805 * np.where(z > 0, z,
                                                    1.6732632423543772 * (np.exp(z) - 1)),
    "exp": lambda z: np.e ** z,
    "softmax": lambda z: scipy_softmax(z, axis=1),
}


def test_every_builtin_has_an_independent_formula_and_is_tested_elementwise():
    """Read from the registry: a new built-in fails here until it is written down twice."""
    builtins = {cls.name for cls in ffnn.activations.ACTIVATIONS}
    assert set(FORMULAS) == builtins
    assert {f.name for f in ELEMENTWISE} == {n for n in builtins if n != "softmax"}


@pytest.mark.parametrize("f", [ffnn.softplus, ffnn.silu, ffnn.gelu], ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_activations_stay_finite_and_exact_at_the_extremes(f, dtype):
    z = np.array([-1e4, -50.0, -1e-8, 0.0, 1e-8, 50.0, 1e4], dtype)
    a = f.forward(z)
    da = f.derivative(z, a)
    assert a.dtype == da.dtype == np.dtype(dtype)
    assert np.isfinite(a).all() and np.isfinite(da).all()
    np.testing.assert_array_equal(a[-1], z[-1])  # f(z) = z far to the right
    np.testing.assert_array_equal(da[[0, -1]], [0.0, 1.0])  # flat left, slope 1 right
    assert abs(a[0]) < 1e-30


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_forward_and_reference_match_the_formula(name):
    f = get_activation(name)
    np.testing.assert_allclose(f.forward(Z), FORMULAS[name](Z), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(f.reference(Z), FORMULAS[name](Z), rtol=1e-14, atol=1e-15)
    assert f(Z).shape == Z.shape


@pytest.mark.parametrize("f", ELEMENTWISE, ids=repr)
def test_derivative_matches_autograd(f):
    a = f.forward(Z)
    expected = elementwise_grad(f.reference)(Z)
    np.testing.assert_allclose(f.derivative(Z, a), expected, rtol=1e-12, atol=1e-15)
    dC_da = RNG.standard_normal(Z.shape)
    np.testing.assert_allclose(f.backward(Z, a, dC_da), dC_da * expected, rtol=1e-12, atol=1e-15)


def test_softmax_backward_is_the_vector_jacobian_product():
    f = ffnn.softmax
    a = f.forward(Z)
    dC_da = RNG.standard_normal(Z.shape)
    for i in range(Z.shape[0]):
        J = jacobian(f.reference)(Z[i])  # (k, k): da_k / dz_j
        np.testing.assert_allclose(f.jacobian(Z[i], a[i]), J, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(f.backward(Z, a, dC_da)[i], dC_da[i] @ J, rtol=1e-12, atol=1e-15)
    with pytest.raises(TypeError, match="not elementwise"):
        f.derivative(Z, a)


def test_softmax_is_row_wise_and_stable():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1.0, 2.0, 3.0]])
    a = ffnn.softmax(z)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    np.testing.assert_allclose(a[0], [1, 0, 0])
    np.testing.assert_allclose(a[1], [1 / 3] * 3)
    # Rows are independent: a row's result does not depend on the other rows (axis=0 bug).
    np.testing.assert_allclose(ffnn.softmax(z[2:]), a[2:])
    # A 1-D z is one sample.
    np.testing.assert_allclose(ffnn.softmax(z[2]), a[2])


def test_sigmoid_on_huge_inputs_is_finite_and_exact_at_the_ends():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    for dtype in (np.float64, np.float32):
        a = ffnn.sigmoid(z.astype(dtype))
        assert a.dtype == dtype and np.isfinite(a).all()
        assert a[0] == 0 and a[-1] == 1 and a[3] == 0.5
        assert np.isfinite(ffnn.sigmoid.derivative(z.astype(dtype), a)).all()
    # The tail keeps its relative precision (1 / (1 + exp(40)) ≈ 4.25e-18).
    assert ffnn.sigmoid(np.array([-40.0]))[0] == pytest.approx(
        np.exp(-40) / (1 + np.exp(-40)), rel=1e-14
    )


@pytest.mark.parametrize("f", [*(f for f in ELEMENTWISE if f.name != "exp"), ffnn.softmax],
                         ids=repr)
def test_extreme_inputs_stay_finite(f):
    z = np.array([[-1e4, -1000.0, -1.0, 0.0, 1.0, 1000.0, 1e4]])
    a = f.forward(z)
    assert np.isfinite(a).all()
    assert np.isfinite(f.backward(z, a, np.ones_like(z))).all()


@pytest.mark.parametrize("dtype,top", [(np.float64, 709.0), (np.float32, 88.0)])
def test_exp_is_exact_until_it_overflows_quietly_to_inf(dtype, top):
    """exp is not clipped (as scikit-learn's): finite up to log(largest float), inf beyond,
    without a warning (the training guard reports the loss that is no longer finite)."""
    z = np.array([-1e4, -1000.0, -1.0, 0.0, 1.0, top, top + 1, 1e4], dtype)
    a = ffnn.exp.forward(z)
    assert a.dtype == dtype
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(a, np.exp(z))  # NumPy's, in the dtype
    assert np.isfinite(a[:6]).all() and np.isinf(a[6:]).all() and a[0] == 0
    np.testing.assert_array_equal(ffnn.exp.backward(z, a, np.ones_like(z)), a)  # f' = f
    out = np.empty_like(z)
    np.testing.assert_array_equal(ffnn.exp.forward_into(z, out), a)


@pytest.mark.parametrize("f", [*ELEMENTWISE, ffnn.softmax], ids=repr)
def test_float32_stays_float32(f):
    z = Z.astype(np.float32)
    a = f.forward(z)
    assert a.dtype == np.float32
    assert f.backward(z, a, np.ones_like(z)).dtype == np.float32
    if f.elementwise:
        assert np.asarray(f.derivative(z, a)).dtype == np.float32


def test_leaky_relu_slope_is_configurable():
    z = np.array([-2.0, 3.0])
    np.testing.assert_allclose(ffnn.LeakyReLU(0.3)(z), [-0.6, 3.0])
    np.testing.assert_allclose(ffnn.LeakyReLU(0.3).derivative(z, None), [0.3, 1.0])
    np.testing.assert_allclose(ffnn.leaky_relu(z), [-0.02, 3.0])
    with pytest.raises(ValueError, match="alpha"):
        ffnn.LeakyReLU(-1)
    with pytest.raises(TypeError, match="alpha"):
        ffnn.ELU(float("nan"))


def test_only_non_smooth_points_are_kinks():
    assert ffnn.relu.kinks == (0.0,) and ffnn.leaky_relu.kinks == (0.0,)
    # ELU with alpha = 1 has a continuous first derivative but a jump in the second.
    assert ffnn.ELU(1.0).kinks == (0.0,) == ffnn.ELU(0.5).kinks
    assert ffnn.sigmoid.kinks == () and ffnn.softmax.kinks == ()


def test_names_aliases_objects_classes_and_pairs_resolve():
    assert get_activation("sigmoid") == ffnn.sigmoid
    assert get_activation("logistic") == ffnn.sigmoid  # scikit-learn's name
    assert get_activation(" Leaky-ReLU ") == ffnn.LeakyReLU()
    assert get_activation(ffnn.ReLU) == ffnn.relu
    custom = ffnn.LeakyReLU(0.5)
    assert get_activation(custom) is custom
    pair = get_activation((anp.sin, anp.cos))
    assert isinstance(pair, FunctionActivation) and pair.name == "sin"
    np.testing.assert_allclose(pair.backward(Z, pair(Z), np.ones_like(Z)), np.cos(Z))


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'relu6'") as info:
        get_activation("relu6", "activation_funcs[0]")
    assert "activation_funcs[0]" in str(info.value)
    for name in ACTIVATION_NAMES:
        assert name in str(info.value)


def test_a_pair_keeps_the_dtype_and_may_declare_its_kinks():
    def relu_der(z):
        return np.where(z > 0, 1, 0)  # integers, as in the notebook

    pair = FunctionActivation(lambda z: anp.where(z > 0, z, 0), relu_der, kinks=(0,))
    z = Z.astype(np.float32)
    assert pair(z).dtype == np.float32 and pair.derivative(z, None).dtype == np.float32
    assert pair.kinks == (0.0,)
    net = ffnn.Network(2, [3], [pair], seed=0)  # zero biases: z = 0 for X = 0
    at_kink = ffnn.gradcheck(net, np.zeros((1, 2)), np.ones((1, 3)), "mse")
    assert at_kink.near_kink


def test_a_plain_function_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"no derivative.*\(f, f_prime\)"):
        get_activation(np.tanh)
    with pytest.raises(TypeError, match="activation name"):
        get_activation(3)


def test_a_subclass_with_its_own_backward_is_usable_and_checked():
    class Softsign(ffnn.Activation):
        name = "softsign"

        def forward(self, z):
            return z / (1 + anp.abs(z))

        def derivative(self, z, a):
            return 1 / (1 + np.abs(z)) ** 2

    net = ffnn.Network(3, [4, 2], [Softsign(), "identity"], seed=0)
    X = RNG.standard_normal((5, 3))
    assert ffnn.gradcheck(net, X, RNG.standard_normal((5, 2)), "mse").passed


def test_activations_compare_by_value_and_pickle():
    assert ffnn.LeakyReLU(0.1) == ffnn.LeakyReLU(0.1) != ffnn.LeakyReLU(0.2)
    assert hash(ffnn.ELU(2.0)) == hash(ffnn.ELU(2.0))
    assert pickle.loads(pickle.dumps(ffnn.LeakyReLU(0.1))) == ffnn.LeakyReLU(0.1)
    assert "alpha=0.1" in repr(ffnn.LeakyReLU(0.1))
