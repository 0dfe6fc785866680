"""ffnn.check_gradient: a student's own cost and gradient, checked against finite differences
and autograd. The network is the course notebook's (exercise 5): ``W`` of shape
``(n_out, n_in)``, sigmoid then softmax, cross-entropy, backpropagation written by hand."""

import itertools

import autograd.numpy as anp
import numpy as np
import pytest

import ffnn

NAMES = ["layer 1 W", "layer 1 b", "layer 2 W", "layer 2 b"]


def sigmoid(z):
    return 1 / (1 + anp.exp(-z))


def softmax(z):
    e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
    return e / anp.sum(e, axis=1, keepdims=True)


def notebook_problem(seed=0, n=20, sizes=(4, 6, 3)):
    """The notebook's create_layers (W: (n_out, n_in), drawn from a normal) and a batch."""
    rng = np.random.default_rng(seed)
    layers = [(rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))
              for n_in, n_out in itertools.pairwise(sizes)]
    X = rng.standard_normal((n, sizes[0]))
    targets = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return layers, X, targets


def make_cost(X, targets, transposed=True, xp=anp):
    """Cross-entropy of sigmoid hidden layers and a softmax output, written with ``xp``."""

    def cost(layers):
        a = X
        for i, (W, b) in enumerate(layers):
            z = xp.dot(a, W.T if transposed else W) + b
            a = softmax(z) if i == len(layers) - 1 else 1 / (1 + xp.exp(-z))
        return -xp.mean(xp.sum(targets * xp.log(a), axis=1))

    return cost


def make_backprop(X, targets, transposed=True, wrong=None, factor=1.01):
    """The notebook's backpropagation_batch; ``wrong`` (an index into NAMES) is scaled."""

    def backprop(layers):
        inputs, a = [], X
        for i, (W, b) in enumerate(layers):
            inputs.append(a)
            z = a @ (W.T if transposed else W) + b
            a = softmax(z) if i == len(layers) - 1 else sigmoid(z)
        grads = [None] * len(layers)
        dC_dz = (a - targets) / len(X)  # softmax + cross-entropy
        for i in reversed(range(len(layers))):
            W, b = layers[i]
            dC_dW = dC_dz.T @ inputs[i] if transposed else inputs[i].T @ dC_dz
            dC_db = dC_dz.sum(axis=0).reshape(b.shape)
            grads[i] = (dC_dW, dC_db)
            if i:
                dC_da = dC_dz @ (W if transposed else W.T)
                dC_dz = dC_da * inputs[i] * (1 - inputs[i])
        if wrong is not None:
            layer, which = divmod(wrong, 2)
            pair = list(grads[layer])
            pair[which] = pair[which] * factor
            grads[layer] = tuple(pair)
        return grads

    return backprop


def test_the_notebooks_network_passes_against_both_references():
    layers, X, targets = notebook_problem()
    result = ffnn.check_gradient(make_cost(X, targets), make_backprop(X, targets), layers)
    assert result.ok and result.passed and result.failed == []
    assert result.names == NAMES
    assert result.shapes == [(6, 4), (6,), (3, 6), (3,)]
    assert set(result.errors) == {"finite_differences", "autograd"}
    assert result.max_error("autograd") < 1e-12
    assert result.max_error("finite_differences") < 1e-8
    assert result.autograd_note is None
    text = str(result)
    for name in NAMES:
        assert name in text
    assert "6x4" in text and "check_gradient PASSED" in text and "FAIL" not in text
    assert repr(result).startswith("CheckGradientResult(ok=True, arrays=4, failed=[]")
    assert "\n" not in repr(result)


@pytest.mark.parametrize("wrong", range(4), ids=NAMES)
def test_one_percent_off_in_one_array_fails_and_is_named(wrong):
    layers, X, targets = notebook_problem(1)
    result = ffnn.check_gradient(make_cost(X, targets), make_backprop(X, targets, wrong=wrong),
                                 layers)
    assert not result.ok
    assert result.failed == [NAMES[wrong]]
    for method in ("finite_differences", "autograd"):
        errors = result.errors[method]
        assert errors[wrong] == pytest.approx(0.01, rel=1e-3)
        assert max(e for i, e in enumerate(errors) if i != wrong) < 1e-8
    assert result.hints == {NAMES[wrong]: "is 1.01 times the reference (a missing or extra "
                                          "factor?)"}
    lines = str(result).splitlines()
    assert f"check_gradient FAILED: {NAMES[wrong]}" in lines
    row = next(line for line in lines if line.startswith(NAMES[wrong]))
    assert row.rstrip().endswith("FAIL")
    assert f"failed=['{NAMES[wrong]}']" in repr(result)


def test_a_flat_list_of_arrays_is_named_by_index():
    layers, X, targets = notebook_problem(2)
    flat = [array for pair in layers for array in pair]

    def pairs(params):
        return [(params[0], params[1]), (params[2], params[3])]

    cost = make_cost(X, targets)
    good = make_backprop(X, targets)
    result = ffnn.check_gradient(lambda p: cost(pairs(p)),
                                 lambda p: [g for pair in good(pairs(p)) for g in pair], flat)
    assert result.ok and result.names == [f"params[{i}]" for i in range(4)]
    bad = make_backprop(X, targets, wrong=2)
    result = ffnn.check_gradient(lambda p: cost(pairs(p)),
                                 lambda p: [g for pair in bad(pairs(p)) for g in pair], flat)
    assert result.failed == ["params[2]"]
    assert "params[2]" in str(result).splitlines()[-2]  # the summary line


def test_ffnn_orientation_with_two_dimensional_biases():
    rng = np.random.default_rng(3)
    layers = [(rng.standard_normal((4, 5)), rng.standard_normal((1, 5))),
              (rng.standard_normal((5, 3)), rng.standard_normal((1, 3)))]
    X, targets = rng.standard_normal((7, 4)), np.eye(3)[rng.integers(0, 3, 7)]
    cost = make_cost(X, targets, transposed=False)
    result = ffnn.check_gradient(cost, make_backprop(X, targets, transposed=False), layers)
    assert result.ok, str(result)
    assert result.shapes == [(4, 5), (1, 5), (5, 3), (1, 3)]
    assert "1x5" in str(result)
    bad = make_backprop(X, targets, transposed=False, wrong=3, factor=-1.0)
    result = ffnn.check_gradient(cost, bad, layers)
    assert result.failed == ["layer 2 b"]
    assert result.hints["layer 2 b"] == "has the wrong sign"


def test_a_transposed_square_weight_gradient_is_recognised():
    layers, X, targets = notebook_problem(4, sizes=(3, 3, 3))
    good = make_backprop(X, targets)

    def transposed(params):
        (dW1, db1), second = good(params)
        return [(dW1.T, db1), second]

    result = ffnn.check_gradient(make_cost(X, targets), transposed, layers)
    assert result.failed == ["layer 1 W"]
    assert result.hints["layer 1 W"] == "is transposed"


def test_a_cost_in_plain_numpy_is_checked_by_finite_differences_alone():
    layers, X, targets = notebook_problem(5)
    cost = make_cost(X, targets, xp=np)  # np.dot and np.exp cannot take autograd's boxes
    result = ffnn.check_gradient(cost, make_backprop(X, targets), layers)
    assert result.ok
    assert set(result.errors) == {"finite_differences"}
    assert result.autograd_note.startswith(
        "autograd: not available for this cost (it uses numpy, not autograd.numpy)")
    assert "n/a" in str(result) and result.autograd_note.splitlines()[0] in str(result)
    assert "agree with finite differences" in result.summary()
    broken = ffnn.check_gradient(cost, make_backprop(X, targets, wrong=1), layers)
    assert broken.failed == ["layer 1 b"]


def test_the_students_arrays_are_left_alone():
    layers, X, targets = notebook_problem(6)
    before = [(W.copy(), b.copy()) for W, b in layers]
    ids = [(id(W), id(b)) for W, b in layers]
    seen = []

    def gradient(params):
        seen.append(params)
        return make_backprop(X, targets, wrong=0)(params)

    ffnn.check_gradient(make_cost(X, targets), gradient, layers)
    assert all(p is not layers and p[0][0] is not layers[0][0] for p in seen)
    for (W, b), (W0, b0), (iW, ib) in zip(layers, before, ids):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)
        assert (id(W), id(b)) == (iW, ib)

    def updates_in_place(params):
        grads = make_backprop(X, targets)(params)
        for (W, _), (dW, _) in zip(params, grads):
            W -= 0.1 * dW  # a training step where a gradient belongs
        return grads

    with pytest.raises(ValueError, match=r"gradient modified the params it was given "
                                         r"\(layer 1 W\)"):
        ffnn.check_gradient(make_cost(X, targets), updates_in_place, layers)
    for (W, b), (W0, b0) in zip(layers, before):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)

    def cost_that_scales(params):
        value = make_cost(X, targets)(params)
        b = params[1][1]
        b *= 2  # in place
        return value

    with pytest.raises(ValueError, match=r"cost modified the params it was given \(layer 2 b\)"):
        ffnn.check_gradient(cost_that_scales, make_backprop(X, targets), layers)
    for (W, b), (W0, b0) in zip(layers, before):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


def test_a_kink_inside_the_stencil_is_retried_at_a_smaller_step():
    x = np.array([1e-5, -3e-5, 0.5])  # |x| has its kink within 2e-4 of the first two

    def cost(params):
        return anp.sum(anp.abs(params[0]))

    def gradient(params):
        return [np.sign(params[0])]

    result = ffnn.check_gradient(cost, gradient, [x])
    assert result.ok and result.steps == [1e-6] and result.step == 1e-4
    assert "smaller step than 1e-04 for params[0] at 1e-06" in str(result)
    fixed = ffnn.check_gradient(cost, gradient, [x], step=1e-4)
    assert not fixed.ok and fixed.failed == ["params[0]"]
    assert fixed.errors["autograd"][0] < 1e-15  # autograd knows where the kink is


def test_tolerances_by_dtype_and_rtol():
    layers, X, targets = notebook_problem(7)
    cost, off = make_cost(X, targets), make_backprop(X, targets, wrong=2)
    assert ffnn.check_gradient(cost, off, layers).tolerances == {
        "autograd": 1e-7, "finite_differences": 1e-5}
    assert ffnn.check_gradient(cost, off, layers, rtol=0.05).ok
    loose = ffnn.check_gradient(cost, off, layers, rtol={"finite_differences": 0.05})
    assert loose.failed == ["layer 2 W"]  # still 1 % off against autograd at 1e-7
    assert "autograd 1e-07, finite differences 5e-02" in str(loose)
    single = [(W.astype(np.float32), b.astype(np.float32)) for W, b in layers]
    result = ffnn.check_gradient(cost, make_backprop(X, targets), single)
    assert result.ok and result.tolerances == {"autograd": 1e-3, "finite_differences": 1e-3}


def _problem():
    layers, X, targets = notebook_problem(8, n=5)
    return make_cost(X, targets), make_backprop(X, targets), layers


def _swap(index, value):
    """A gradient that returns ``value(grads)`` in place of array ``index``."""
    _, good, _ = _problem()

    def gradient(params):
        grads = [list(pair) for pair in good(params)]
        layer, which = divmod(index, 2)
        grads[layer][which] = value(grads[layer][which])
        return [tuple(pair) for pair in grads]

    return gradient


def _cost_returning(value):
    cost, _, _ = _problem()
    return lambda params: value(cost(params))


BAD = {
    "params-empty": (None, None, [], ValueError, r"params is empty"),
    "params-one-array": (None, None, np.ones((2, 2)), TypeError,
                         r"params must be a list .*got ndarray \(wrap a single array"),
    "params-ints": (None, None, [np.ones((2, 2), dtype=int)], TypeError,
                    r"params\[0\] must be an array of floats, got dtype int"),
    "params-nan": (None, None, [(np.full((2, 2), np.nan), np.ones(2))], ValueError,
                   r"params\[0\]\[0\] \(layer 1 W\) has 4 non-finite values"),
    "params-list-leaf": (None, None, [[[1.0, 2.0], [3.0]]], TypeError,
                         r"params\[0\]\[0\] \(layer 1 W\) must be a NumPy array, got list"),
    "cost-not-callable": (0.5, None, None, TypeError,
                          r"cost must be a function of params, got float \(pass the function"),
    "gradient-not-callable": (None, [1.0], None, TypeError, r"gradient must be a function"),
    "gradient-array": (None, lambda p: np.zeros(3), None, TypeError,
                       r"gradient must return the structure of params \(a list of 2 \(W, b\) "
                       r"pairs\), got ndarray"),
    "gradient-too-short": (None, lambda p: p[:1], None, ValueError,
                           r"gradient returned 1 entries; params has 2"),
    "gradient-flat": (None, lambda p: [a for pair in p for a in pair], None, ValueError,
                      r"gradient returned 4 entries; params has 2 \(a list of 2 \(W, b\) "
                      r"pairs\)"),
    "gradient-weights-only": (None, lambda p: [W for W, _ in p], None, TypeError,
                              r"gradient returned a ndarray at \[0\] where params\[0\] is a "
                              r"tuple of 2 arrays"),
    "gradient-transposed": (None, _swap(0, lambda g: g.T), None, ValueError,
                            r"gradient returned shape \(4, 6\) for layer 1 W, whose shape is "
                            r"\(6, 4\) \(transposed"),
    "gradient-2d-bias": (None, _swap(1, lambda g: g[None, :]), None, ValueError,
                         r"gradient returned shape \(1, 6\) for layer 1 b, whose shape is "
                         r"\(6,\)"),
    "gradient-ints": (None, _swap(3, lambda g: np.zeros(g.shape, dtype=int)), None, TypeError,
                      r"gradient returned dtype int\d+ for layer 2 b"),
    "gradient-complex": (None, _swap(3, lambda g: g + 0j), None, TypeError,
                         r"gradient returned dtype complex128 for layer 2 b"),
    "gradient-nan": (None, _swap(2, lambda g: g * np.nan), None, ValueError,
                     r"gradient returned 18 non-finite values \(nan or inf\) in layer 2 W"),
    "cost-array": (_cost_returning(lambda c: np.array([c])), None, None, TypeError,
                   r"cost must return one real number, got an array of shape \(1,\)"),
    "cost-none": (_cost_returning(lambda c: None), None, None, TypeError,
                  r"cost must return one real number, got None \(a missing return\?\)"),
    "cost-string": (_cost_returning(str), None, None, TypeError,
                    r"cost must return one real number, got a str"),
    "cost-nan": (_cost_returning(lambda c: c * np.nan), None, None, ValueError,
                 r"cost returned nan at params"),
}


@pytest.mark.parametrize(("cost", "gradient", "params", "error", "match"), BAD.values(),
                         ids=BAD.keys())
def test_bad_inputs_are_refused_naming_the_argument(cost, gradient, params, error, match):
    good_cost, good_gradient, layers = _problem()
    with pytest.raises(error, match=match):
        ffnn.check_gradient(good_cost if cost is None else cost,
                            good_gradient if gradient is None else gradient,
                            layers if params is None else params)


def test_a_cost_that_fails_near_params_says_where():
    x = np.array([1e-5, 0.5])  # sqrt(x) is nan once the stencil reaches below 0

    def gradient(params):
        return [0.5 / np.sqrt(params[0])]

    message = r"cost returned nan with params\[0\] perturbed by finite differences \(step 1e-04\)"
    with pytest.raises(ValueError, match=message), np.errstate(invalid="ignore"):
        ffnn.check_gradient(lambda p: np.sum(np.sqrt(p[0])), gradient, [x])


@pytest.mark.parametrize(("options", "match"), [
    ({"rtol": -1.0}, r"rtol must be a positive number"),
    ({"rtol": {"finite_difference": 1e-3}}, r"rtol: unknown methods \['finite_difference'\]"),
    ({"step": 2.0}, r"step must be a number in \(0, 1\)"),
])
def test_bad_options_are_refused(options, match):
    cost, gradient, layers = _problem()
    with pytest.raises(ValueError, match=match):
        ffnn.check_gradient(cost, gradient, layers, **options)


# -- issue 25: no false alarms -----------------------------------------------------------------

def _least_squares():
    import autograd.numpy as anp

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    w = np.linalg.lstsq(X, y, rcond=None)[0]  # the minimum: the true gradient is ~1e-16

    def cost(params):
        r = anp.dot(X, params[0]) - y
        return anp.sum(r * r) / len(y)

    def gradient(params):
        return [2 * X.T @ (X @ params[0] - y) / len(y)]

    return cost, gradient, [w]


def test_a_correct_gradient_at_a_minimum_passes():
    cost, gradient, params = _least_squares()
    assert np.linalg.norm(gradient(params)[0]) < 1e-13
    result = ffnn.check_gradient(cost, gradient, params)
    assert result.ok, result
    wrong = ffnn.check_gradient(cost, lambda p: [gradient(p)[0] + 1e-6], params)
    assert not wrong.ok  # a gradient that is not 0 there still fails


def _relu_layer(X, Y):
    import autograd.numpy as anp

    def cost(params):
        (W, b), = params
        a = anp.maximum(anp.dot(X, W) + b, 0.0)
        return anp.sum((a - Y) ** 2) / len(X)

    def gradient(params):
        (W, b), = params
        z = X @ W + b
        # ReLU's derivative is 0 at its kink z = 0, as ffnn's
        dC_dz = 2 * (np.maximum(z, 0) - Y) / len(X) * (z > 0)
        return [(X.T @ dC_dz, dC_dz.sum(axis=0))]

    return cost, gradient


def test_a_relu_layer_at_its_kink_passes_with_one_sided_differences():
    """Zero biases and an all-zero input row: z = 0 exactly, where ReLU's two sides differ;
    gradcheck passed the network, check_gradient failed it."""
    rng = np.random.default_rng(1)
    X = np.vstack([np.zeros(3), rng.normal(size=(5, 3))])
    Y = rng.normal(size=(6, 2))
    params = [(rng.normal(size=(3, 2)), np.zeros(2))]
    cost, gradient = _relu_layer(X, Y)
    result = ffnn.check_gradient(cost, gradient, params)
    assert result.ok, result
    assert result.kinks.get("layer 1 b", 0) >= 1 and "at a kink" in str(result)
    net = ffnn.Network(3, [2], ["relu"], seed=0)
    net.layers = params
    assert ffnn.gradcheck(net, X, Y, "mse").passed  # the same network, as before

    def halfway(p):  # a gradient that takes neither side at the kink
        (gW, gb), = gradient(p)
        return [(gW, gb + np.where(params[0][1] == 0, 0.5 * np.abs(gb).max() + 1, 0))]

    assert not ffnn.check_gradient(cost, halfway, params).ok


def test_a_float32_gradient_of_float64_params_uses_float32_tolerances():
    cost, gradient, params = _least_squares()
    params = [params[0] + 0.3]  # away from the minimum

    def in_float32(p):
        return [g.astype(np.float32) for g in gradient(p)]

    result = ffnn.check_gradient(cost, in_float32, params)
    assert result.ok, result
    assert result.tolerances == {"autograd": 1e-3, "finite_differences": 1e-3}


def test_a_near_miss_gets_no_factor_hint():
    """A gradient off by 3e-5 is not "1 times the reference"."""
    cost, gradient, params = _least_squares()
    params = [params[0] + 0.3]
    result = ffnn.check_gradient(cost, lambda p: [gradient(p)[0] * (1 + 3e-5)], params)
    assert not result.ok and "params[0]" not in result.hints
    assert "times the reference" not in str(result)
    doubled = ffnn.check_gradient(cost, lambda p: [2 * gradient(p)[0]], params)
    assert doubled.hints["params[0]"].startswith("is 2 times the reference")


def test_float32_parameters_do_not_loosen_the_floor():
    """The differences are taken at float64 copies: float32 parameters leave the floor at
    float64's (a floor at float32's passed a wrong sign and zeros)."""
    import autograd.numpy as anp

    W = np.random.default_rng(0).uniform(-1, 1, (10, 10)).astype(np.float32)

    def cost(params):
        return 0.01 * anp.sum(params[0] ** 2)

    assert ffnn.check_gradient(cost, lambda p: [0.02 * p[0]], [W]).ok
    assert not ffnn.check_gradient(cost, lambda p: [-0.02 * p[0]], [W]).ok
    assert not ffnn.check_gradient(cost, lambda p: [np.zeros_like(p[0])], [W]).ok
