"""numba kernels of the compiled training loop (see :mod:`ffnn._compiled`).

One call trains whole epochs: the chain rule of :func:`ffnn.engine.backprop` and the
optimizers' steps written element by element, with the matrix products in BLAS (``np.dot``
inside numba). Integer codes (:mod:`ffnn._kernel_codes`) stand for the activations, losses,
metrics and optimizers that declare a kernel; every branch names its code and a code without
a branch is refused when the call starts. The divergence rule is
:func:`ffnn.driver.diverged` itself, compiled. The kernels compile on first use and are
cached on disk (``cache=True``), so later processes load them (~0.3 s with numba's import)
instead of compiling again (24–35 s per dtype). ``error_model="numpy"``: a division by zero
gives inf or NaN, as in NumPy, for the divergence guard to see, instead of raising.
"""

import math

import numpy as np
from numba import njit

from ._kernel_codes import (
    ACTIVATION_KERNELS,
    BETA_1,
    BETA_2,
    DIVERGED,
    DONE,
    EPS,
    LOSS_KERNELS,
    METRIC_ARGMAX,
    METRIC_NONE,
    METRIC_R2,
    METRIC_THRESHOLD,
    MU,
    ONE_MINUS_BETA_1,
    ONE_MINUS_BETA_2,
    OPTIMIZER_KERNELS,
)
from .driver import diverged as _diverged_rule
from .penalties import add_gradient_term as _add_gradient_term_rule
from .penalties import layer_span as _layer_span_rule
from .penalties import term as _penalty_term_rule

IDENTITY = ACTIVATION_KERNELS["identity"]
SIGMOID = ACTIVATION_KERNELS["sigmoid"]
TANH = ACTIVATION_KERNELS["tanh"]
RELU = ACTIVATION_KERNELS["relu"]
LEAKY_RELU = ACTIVATION_KERNELS["leaky_relu"]
ELU = ACTIVATION_KERNELS["elu"]
SOFTMAX = ACTIVATION_KERNELS["softmax"]
SOFTPLUS = ACTIVATION_KERNELS["softplus"]
SILU = ACTIVATION_KERNELS["silu"]
GELU = ACTIVATION_KERNELS["gelu"]
EXP = ACTIVATION_KERNELS["exp"]
N_ACTIVATIONS = len(ACTIVATION_KERNELS)
LOSS_MSE = LOSS_KERNELS["mse"]
LOSS_CE = LOSS_KERNELS["cross_entropy"]
LOSS_BCE = LOSS_KERNELS["binary_cross_entropy"]
LOSS_POISSON = LOSS_KERNELS["poisson"]
OPT_SGD = OPTIMIZER_KERNELS["sgd"]
OPT_MOMENTUM = OPTIMIZER_KERNELS["momentum"]
OPT_NESTEROV = OPTIMIZER_KERNELS["nesterov"]
OPT_ADAM = OPTIMIZER_KERNELS["adam"]
N_OPTIMIZERS = len(OPTIMIZER_KERNELS)
N_LOSSES = len(LOSS_KERNELS)
SQRT_HALF = 0.7071067811865476
INV_SQRT_2PI = 0.3989422804014327

_diverged = njit(cache=True, error_model="numpy")(_diverged_rule)
_penalty_term = njit(cache=True, error_model="numpy")(_penalty_term_rule)
_add_gradient_term = njit(cache=True, error_model="numpy")(_add_gradient_term_rule)
_layer_span = njit(cache=True, error_model="numpy")(_layer_span_rule)


# -- the scalar formulas: one definition, called by the loops here and by the multi-threaded
# kernels of ffnn._parallel_kernels (numba inlines them) ----------------------------------

@njit(cache=True, error_model="numpy")
def activation_value(code: int, alpha, x):
    """``f(x)`` of an elementwise activation (every code but softmax's)."""
    if code == SIGMOID:  # exp(-x) = inf for very negative x gives 0: no branch
        return 1 / (1 + np.exp(-x))
    if code == TANH:
        return np.tanh(x)
    if code == RELU:  # NaN stays NaN, as np.maximum keeps it
        return x if not x <= 0 else 0
    if code == LEAKY_RELU:
        return x if x > 0 else alpha * x
    if code == ELU:
        return x if x > 0 else alpha * np.expm1(x)
    if code == SOFTPLUS:  # logaddexp(0, x)
        return (x if x > 0 else 0) + np.log1p(np.exp(-abs(x)))
    if code == SILU:
        return x / (1 + np.exp(-x))
    if code == GELU:
        return 0.5 * x * (1 + math.erf(x * SQRT_HALF))
    if code == EXP:
        return np.exp(x)
    if code == IDENTITY:
        return x
    return np.nan  # no such code: refused before any call (_check_codes, the paths' checks)


@njit(cache=True, error_model="numpy")
def activation_backward(code: int, alpha, x, a, g):
    """``dC_dz = f'(x) g`` of an elementwise activation at ``x`` with ``a = f(x)``."""
    if code == IDENTITY:
        return g
    if code == SIGMOID:
        return (1 - a) * a * g
    if code == TANH:
        return (1 - a * a) * g
    if code == RELU:
        return g if x > 0 else 0
    if code == LEAKY_RELU:
        return g if x > 0 else g * alpha
    if code == ELU:
        return g if x > 0 else (a + alpha) * g
    if code == SOFTPLUS:
        return g / (1 + np.exp(-x))
    if code == SILU:
        s = 1 / (1 + np.exp(-x))
        return (s + a * (1 - s)) * g
    if code == GELU:
        return (0.5 * (1 + math.erf(x * SQRT_HALF))
                + x * np.exp(-0.5 * x * x) * INV_SQRT_2PI) * g
    if code == EXP:  # f' = f
        return g * a
    return np.nan  # no such code: refused before any call


# -- the same formulas over a layer (2-D, C-contiguous): for the common activations (ReLU,
# leaky ReLU, sigmoid, tanh) the code is chosen once, outside the loops. Each such loop
# passes a constant code, numba inlines the scalar formula with its other branches folded
# away, and LLVM vectorises the inner loop; chosen per element, every loop stayed scalar
# (128 × 256 float32: ReLU forward 306 µs against NumPy's 53, 11 µs chosen once; sigmoid
# 366 → 209 µs, its libm exp still scalar). The others choose per element: every branch
# lengthens the loop's first compile (all ten: 41 s a dtype against 24 without; these
# four: ~35 s). One call a layer, not a row: a call per row cost the compiled loop ~40 % on
# iris's rows of 8. The parallel kernels pass blocks of rows. ---------------------------------

@njit(cache=True, error_model="numpy")
def activation_rows(code: int, alpha, z, a):
    """``a = f(z)`` for an elementwise activation, ``z`` and ``a`` of shape (n, k) (``a``
    may be ``z``)."""
    n, k = z.shape
    if code == RELU:
        for i in range(n):
            for j in range(k):
                a[i, j] = activation_value(RELU, alpha, z[i, j])
    elif code == LEAKY_RELU:
        for i in range(n):
            for j in range(k):
                a[i, j] = activation_value(LEAKY_RELU, alpha, z[i, j])
    elif code == SIGMOID:
        for i in range(n):
            for j in range(k):
                a[i, j] = activation_value(SIGMOID, alpha, z[i, j])
    elif code == TANH:
        for i in range(n):
            for j in range(k):
                a[i, j] = activation_value(TANH, alpha, z[i, j])
    else:  # chosen per element (see above)
        for i in range(n):
            for j in range(k):
                a[i, j] = activation_value(code, alpha, z[i, j])


@njit(cache=True, error_model="numpy")
def activation_backward_rows(code: int, alpha, z, a, g, out):
    """``out = f'(z) ⊙ g`` for an elementwise activation with ``a = f(z)``, every array of
    shape (n, k) (``out`` may be ``g``)."""
    n, k = z.shape
    if code == RELU:
        for i in range(n):
            for j in range(k):
                out[i, j] = activation_backward(RELU, alpha, z[i, j], a[i, j], g[i, j])
    elif code == LEAKY_RELU:
        for i in range(n):
            for j in range(k):
                out[i, j] = activation_backward(LEAKY_RELU, alpha, z[i, j], a[i, j], g[i, j])
    elif code == SIGMOID:
        for i in range(n):
            for j in range(k):
                out[i, j] = activation_backward(SIGMOID, alpha, z[i, j], a[i, j], g[i, j])
    elif code == TANH:
        for i in range(n):
            for j in range(k):
                out[i, j] = activation_backward(TANH, alpha, z[i, j], a[i, j], g[i, j])
    else:  # chosen per element (see above)
        for i in range(n):
            for j in range(k):
                out[i, j] = activation_backward(code, alpha, z[i, j], a[i, j], g[i, j])


@njit(cache=True, error_model="numpy")
def softmax_row(z, a):
    """``a = softmax(z)`` for one row; returns the row's log-sum-exp."""
    k = z.shape[0]
    top = z[0]
    for j in range(1, k):
        top = max(top, z[j])
    total = 0.0
    for j in range(k):
        e = np.exp(z[j] - top)
        a[j] = e
        total += e
    for j in range(k):
        a[j] /= total
    return top + np.log(total)


@njit(cache=True, error_model="numpy")
def sgd_update(p, g, lr):
    """SGD's new parameter: ``θ - lr g``, as ``SGD.step`` computes it."""
    return p + -lr * g


@njit(cache=True, error_model="numpy")
def momentum_update(p, g, b, mu, lr, nesterov):
    """Momentum's (or Nesterov's) new ``(θ, b)``: ``b ← μ b + g``, then ``θ - lr b`` (or
    ``θ - lr (g + μ b)``), as ``Momentum.step`` computes them."""
    b = b * mu + g
    if nesterov:
        return p + (g + mu * b) * -lr, b
    return p + -lr * b, b


@njit(cache=True, error_model="numpy")
def adam_update(p, g, m, v, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, eps, lr, c1,
                c2):
    """Adam's new ``(θ, m, v)`` with the bias corrections ``c1 = 1 - β₁ᵗ``, ``c2 = 1 - β₂ᵗ``,
    as ``Adam.step`` computes them."""
    m = m * beta_1 + one_minus_beta_1 * g
    v = v * beta_2 + one_minus_beta_2 * g * g
    return p + (m / c1) * -lr / (np.sqrt(v / c2) + eps), m, v


@njit(cache=True, error_model="numpy")
def _forward_into(code: int, alpha, z, a, lse):
    """``a = f(z)``; for softmax also each row's log-sum-exp into ``lse``."""
    n = z.shape[0]
    if code == IDENTITY:
        return
    if code == SOFTMAX:
        for i in range(n):
            lse[i] = softmax_row(z[i], a[i])
        return
    activation_rows(code, alpha, z, a)


@njit(cache=True, error_model="numpy")
def _backward_into(code: int, alpha, z, a, dC_da, out):
    """``dC_dz = f'(z) ⊙ dC_da`` for the elementwise activations (``out`` may be ``dC_da``)."""
    activation_backward_rows(code, alpha, z, a, dC_da, out)


@njit(cache=True, error_model="numpy")
def _costs_and_hits(loss_code: int, metric_code: int, z, a, lse, Y, rows, costs, hits):
    """Each sample's cost into ``costs[rows]`` and, for accuracy, whether it is right
    (``lse``: the softmax's log-sum-exp of each row of ``z``)."""
    n, k = z.shape
    for i in range(n):
        r = rows[i]
        c = 0.0
        if loss_code == LOSS_CE:  # Σ_j y_j (log-sum-exp(z) - z_j)
            for j in range(k):
                c += Y[i, j] * (lse[i] - z[i, j])
        elif loss_code == LOSS_BCE:  # softplus(z) - y z
            for j in range(k):
                x = z[i, j]
                c += (x if not x <= 0 else 0) + np.log1p(np.exp(-abs(x))) - Y[i, j] * x
        elif loss_code == LOSS_POISSON:  # y (expm1(d) - d), d = z - log y; exp(z) at y = 0
            for j in range(k):
                y = Y[i, j]
                if y > 0:
                    d = z[i, j] - np.log(y)
                    c += y * (np.expm1(d) - d)
                else:
                    c += np.exp(z[i, j])
        elif loss_code == LOSS_MSE:  # squared error, summed over outputs
            for j in range(k):
                d = a[i, j] - Y[i, j]
                c += d * d
        costs[r] = c
        if metric_code == METRIC_ARGMAX:
            best_a, best_y = 0, 0
            for j in range(1, k):
                if a[i, j] > a[i, best_a]:
                    best_a = j
                if Y[i, j] > Y[i, best_y]:
                    best_y = j
            hits[r] = best_a == best_y
        elif metric_code == METRIC_THRESHOLD:
            right = True
            for j in range(k):
                if (a[i, j] > 0.5) != (Y[i, j] > 0.5):
                    right = False
            hits[r] = right
        elif metric_code == METRIC_R2:
            for j in range(k):
                d = Y[i, j] - a[i, j]
                hits[r * k + j] = d * d  # squared residuals, per sample and output


@njit(cache=True, error_model="numpy")
def _view(buffer, offset, rows, cols):
    return buffer[offset:offset + rows * cols].reshape((rows, cols))


@njit(cache=True, error_model="numpy")
def _forward(Xb, nb, n_batch, params, layout, acts, act_params, z_buf, a_buf, lse):
    """z = a W + b, a = f(z) for every layer into the slabs; returns the last layer's offset."""
    a_prev = Xb
    offset = 0
    for layer in range(layout.shape[0]):
        n_in, k, w0, b0 = layout[layer, 0], layout[layer, 1], layout[layer, 2], layout[layer, 3]
        z = _view(z_buf, offset, nb, k)
        np.dot(a_prev, params[w0:w0 + n_in * k].reshape((n_in, k)), z)
        for i in range(nb):
            for j in range(k):
                z[i, j] += params[b0 + j]
        a = _view(a_buf, offset, nb, k)
        if acts[layer] == IDENTITY:
            a[:, :] = z
        else:
            _forward_into(acts[layer], act_params[layer], z, a, lse)
        a_prev = a
        offset += n_batch * k
    return offset - n_batch * layout[layout.shape[0] - 1, 1]


@njit(cache=True, error_model="numpy")
def _penalty(params, layout, l1, l2, biases):
    """``Σ (l2/2) θ² + l1 |θ|`` over the penalized parameters, the weights (and the biases
    when ``biases``): the cost's penalty, :func:`ffnn.penalties.term` per parameter over
    each layer's :func:`ffnn.penalties.layer_span`."""
    penalty = 0.0
    for layer in range(layout.shape[0]):
        k = layout[layer, 1]
        start, stop = _layer_span(layout[layer, 2], layout[layer, 0] * k, k, biases)
        for p in range(start, stop):
            penalty += _penalty_term(params[p], l1, l2)
    return penalty


@njit(cache=True, error_model="numpy")
def _backward(Xb, Yb, nb, n_batch, last_offset, params, grads, layout, acts, act_params,
              loss_code, l1, l2, biases, z_buf, a_buf, dz_buf, da_buf):
    """dC_dW = a_prevᵀ dC_dz, dC_db = Σ_rows dC_dz (+ the penalties' gradients over the
    layer's penalized span), dC_da_prev = dC_dz Wᵀ, from the output layer down; the flat
    gradient into ``grads``."""
    last = layout.shape[0] - 1
    offset = last_offset
    for layer in range(last, -1, -1):
        n_in, k, w0, b0 = layout[layer, 0], layout[layer, 1], layout[layer, 2], layout[layer, 3]
        z = _view(z_buf, offset, nb, k)
        a = _view(a_buf, offset, nb, k)
        dC_dz = _view(dz_buf, offset, nb, k)
        if layer == last:
            if loss_code == LOSS_MSE:  # dC/da = 2 (a - y) / size, then through f
                scale = 2 / (nb * k)
                for i in range(nb):
                    for j in range(k):
                        dC_dz[i, j] = scale * (a[i, j] - Yb[i, j])
                _backward_into(acts[layer], act_params[layer], z, a, dC_dz, dC_dz)
            else:  # fused (cross-entropies, poisson): (p - y) / n
                for i in range(nb):
                    for j in range(k):
                        dC_dz[i, j] = (a[i, j] - Yb[i, j]) / nb
        else:
            _backward_into(acts[layer], act_params[layer], z, a,
                           _view(da_buf, offset, nb, k), dC_dz)
        a_prev = Xb if layer == 0 else _view(a_buf, offset - n_batch * n_in, nb, n_in)
        dC_dW = grads[w0:w0 + n_in * k].reshape((n_in, k))
        np.dot(a_prev.T, dC_dz, dC_dW)
        for j in range(k):  # summed in float64: long float32 batches stay exact
            total = 0.0
            for i in range(nb):
                total += dC_dz[i, j]
            grads[b0 + j] = total
        if l1 or l2:  # the weights, and the biases (laid out after them) when biases
            start, stop = _layer_span(w0, n_in * k, k, biases)
            for p in range(start, stop):
                grads[p] = _add_gradient_term(grads[p], params[p], l1, l2)
        if layer > 0:
            np.dot(dC_dz, params[w0:w0 + n_in * k].reshape((n_in, k)).T,
                   _view(da_buf, offset - n_batch * n_in, nb, n_in))
            offset -= n_batch * n_in


@njit(cache=True, error_model="numpy")
def _step(opt_code, params, grads, velocity, m, v, hyper, betas, lr, t, corrections):
    """The optimizer's step ``t`` (from 1), as its in-place NumPy ``step`` computes it."""
    mu = hyper[MU]
    if opt_code == OPT_SGD:
        for p in range(params.shape[0]):
            params[p] = sgd_update(params[p], grads[p], lr)
    elif opt_code == OPT_MOMENTUM or opt_code == OPT_NESTEROV:  # noqa: SIM109 (numba)
        nesterov = opt_code == OPT_NESTEROV
        for p in range(params.shape[0]):
            params[p], velocity[p] = momentum_update(params[p], grads[p], velocity[p], mu, lr,
                                                     nesterov)
    elif opt_code == OPT_ADAM:  # PyTorch's bias corrections, in float64 as Python's
        corrections[0] = 1 - betas[0] ** np.float64(t)
        corrections[1] = 1 - betas[1] ** np.float64(t)
        c1, c2 = corrections[0], corrections[1]
        beta_1, beta_2, eps = hyper[BETA_1], hyper[BETA_2], hyper[EPS]
        one_minus_beta_1, one_minus_beta_2 = hyper[ONE_MINUS_BETA_1], hyper[ONE_MINUS_BETA_2]
        for p in range(params.shape[0]):
            params[p], m[p], v[p] = adam_update(params[p], grads[p], m[p], v[p], beta_1,
                                                beta_2, one_minus_beta_1, one_minus_beta_2,
                                                eps, lr, c1, c2)


@njit(cache=True, error_model="numpy")
def _epoch_metric(metric_code, hits, ss_tot, n, n_out):
    """The epoch's accuracy (share of hits) or R² (from the squared residuals in ``hits``)."""
    if metric_code == METRIC_R2:
        score = 0.0
        for j in range(n_out):
            ss_res = 0.0
            for i in range(n):
                ss_res += hits[i * n_out + j]
            if ss_tot[j] > 0:
                score += 1 - ss_res / ss_tot[j]
            elif ss_res <= 0:
                score += 1.0
        return score / n_out
    right = 0.0
    for i in range(n):
        right += hits[i]
    return right / n


@njit(cache=True, error_model="numpy")
def _check_codes(acts, loss_code, metric_code, opt_code):
    for code in acts:
        if code < 0 or code >= N_ACTIVATIONS:
            raise ValueError("unknown activation kernel code")
    if loss_code < 0 or loss_code >= N_LOSSES:
        raise ValueError("unknown loss kernel code")
    if metric_code < METRIC_NONE or metric_code > METRIC_R2:
        raise ValueError("unknown metric code")
    if opt_code < 0 or opt_code >= N_OPTIMIZERS:
        raise ValueError("unknown optimizer kernel code")


# nogil: threads may run several fits at once (train_stack's compiled engine)
@njit(cache=True, error_model="numpy", nogil=True)
def train_epochs(data, network, objective, optimizer, guard, state, good, out):
    """Train ``len(losses)`` epochs; returns ``(epochs done, status, step, good step)``.

    - ``data = (X, Y, orders, shuffle, batch_size)``: epoch ``e`` visits the samples in the
      order ``orders[e]`` (``orders[0]`` every epoch unless ``shuffle``), in batches.
    - ``network = (params, grads, layout, acts, act_params)``: the flat parameters and
      gradient, each layer's ``(n_in, n_out, W offset, b offset)``, activation code and
      parameter.
    - ``objective = (loss_code, metric_code, ss_tot, l1, l2, penalize_biases)``.
    - ``optimizer = (opt_code, hyper, betas, lrs)``: ``hyper`` holds the slots of
      :mod:`ffnn._kernel_codes` in the parameters' dtype, ``betas`` (β₁, β₂) in float64 for
      the bias corrections, ``lrs[s]`` the rate of this call's ``s``-th step.
    - ``guard = (divergence_factor, first_loss, limit)``: the loss before any update (NaN
      when unknown) and the largest parameter magnitude allowed.
    - ``state = (step, velocity, m, v)`` and ``good = (good_step, params, velocity, m, v)``:
      the optimizer's state (empty arrays where unused) and the start of the last epoch whose
      loss passed the guard. On a loss that fails :func:`ffnn.driver.diverged`, parameters and
      state go back to ``good`` and the call returns DIVERGED with the epochs done.
    - ``out = (losses, metrics, largests)``: each epoch's loss (its batches' costs at their
      weights before their updates, plus their penalties), metric and largest parameter
      magnitude after it; the diverging epoch's follow the epochs done.
    """
    X, Y, orders, shuffle, batch_size = data
    params, grads, layout, acts, act_params = network
    loss_code, metric_code, ss_tot, l1, l2, biases = objective
    opt_code, hyper, betas, lrs = optimizer
    divergence_factor, first_loss, limit = guard
    step, velocity, m, v = state
    good_step, good_params, good_velocity, good_m, good_v = good
    losses, metrics, largests = out
    _check_codes(acts, loss_code, metric_code, opt_code)
    n, n_features = X.shape
    n_out = Y.shape[1]
    dtype = params.dtype
    n_layers = layout.shape[0]
    n_batch = min(batch_size, n)
    gather = n_batch < n  # a full batch reads X itself (and is never shuffled)
    width = 0
    for layer in range(n_layers):
        width += layout[layer, 1]
    # One slab for each of z, a, dC_dz: layer l's (rows, k) block starts at n_batch * Σ k<l.
    z_buf = np.empty(n_batch * width, dtype)
    a_buf = np.empty(n_batch * width, dtype)
    dz_buf = np.empty(n_batch * width, dtype)
    da_buf = np.empty(n_batch * width, dtype)
    X_buf = np.empty(n_batch * n_features, dtype)
    Y_buf = np.empty(n_batch * n_out, dtype)
    lse = np.empty(n_batch, dtype)
    costs = np.empty(n)
    hits = np.empty(n * n_out if metric_code == METRIC_R2 else n)
    start_params = params.copy()
    start_velocity = velocity.copy()
    start_m = m.copy()
    start_v = v.copy()
    corrections = np.empty(2, dtype)  # Adam's, computed in float64 as Python computes them
    s = 0  # steps taken in this call
    for epoch in range(losses.shape[0]):
        order = orders[epoch] if shuffle else orders[0]
        start_step = step
        start_params[:] = params
        start_velocity[:] = velocity
        start_m[:] = m
        start_v[:] = v
        penalties = 0.0
        for start in range(0, n, n_batch):
            nb = min(start + n_batch, n) - start
            rows = order[start:start + nb]
            if gather:
                Xb = _view(X_buf, 0, nb, n_features)
                Yb = _view(Y_buf, 0, nb, n_out)
                for i in range(nb):
                    for j in range(n_features):
                        Xb[i, j] = X[rows[i], j]
                    for j in range(n_out):
                        Yb[i, j] = Y[rows[i], j]
            else:
                Xb, Yb = X, Y
            last_offset = _forward(Xb, nb, n_batch, params, layout, acts, act_params, z_buf,
                                   a_buf, lse)
            k = layout[n_layers - 1, 1]
            _costs_and_hits(loss_code, metric_code, _view(z_buf, last_offset, nb, k),
                            _view(a_buf, last_offset, nb, k), lse, Yb, rows, costs, hits)
            if l1 or l2:  # the penalty at this batch's weights, before its update
                penalties += _penalty(params, layout, l1, l2, biases) * nb
            _backward(Xb, Yb, nb, n_batch, last_offset, params, grads, layout, acts,
                      act_params, loss_code, l1, l2, biases, z_buf, a_buf, dz_buf, da_buf)
            step += 1
            _step(opt_code, params, grads, velocity, m, v, hyper, betas, lrs[s], step,
                  corrections)
            s += 1
        total = 0.0
        for i in range(n):
            total += costs[i]
        loss = (total / (n * n_out) if loss_code == LOSS_MSE else total / n) + penalties / n
        largest = 0.0
        for p in range(params.shape[0]):
            magnitude = abs(params[p])
            if magnitude > largest:
                largest = magnitude
            elif magnitude != magnitude:  # NaN
                largest = np.nan
                break
        largests[epoch] = largest
        losses[epoch] = loss
        if _diverged(loss, first_loss, divergence_factor, largest, limit):
            params[:] = good_params
            velocity[:] = good_velocity
            m[:] = good_m
            v[:] = good_v
            return epoch, DIVERGED, good_step, good_step
        if metric_code != METRIC_NONE:
            metrics[epoch] = _epoch_metric(metric_code, hits, ss_tot, n, n_out)
        # this epoch passed: its start is the last good point
        good_step = start_step
        good_params[:] = start_params
        good_velocity[:] = start_velocity
        good_m[:] = start_m
        good_v[:] = start_v
    return losses.shape[0], DONE, step, good_step
