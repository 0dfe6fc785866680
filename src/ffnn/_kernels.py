"""numba kernels of the compiled training loop (see :mod:`ffnn._compiled`).

One call trains whole epochs: the chain rule of :func:`ffnn.engine.backprop` and the
optimizers' steps written element by element, with the matrix products in BLAS (``np.dot``
inside numba). Integer codes stand for the activations, losses, metrics and optimizers. The
kernels compile on first use and are cached on disk (``cache=True``), so later processes load
them (~0.3 s with numba's import) instead of compiling again (~10 s per dtype).
``error_model="numpy"``: a division by zero gives inf or NaN, as in NumPy, for the divergence
guard to see, instead of raising.
"""

import numpy as np
from numba import njit

IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SOFTMAX = range(7)
LOSS_MSE, LOSS_CE, LOSS_BCE = range(3)
METRIC_NONE, METRIC_ARGMAX, METRIC_THRESHOLD, METRIC_R2 = range(4)
OPT_SGD, OPT_MOMENTUM, OPT_NESTEROV, OPT_ADAM = range(4)
DONE, DIVERGED = 0, 1


@njit(cache=True, error_model="numpy")
def _forward_into(code: int, alpha, z, a, lse):
    """``a = f(z)``; for softmax also each row's log-sum-exp into ``lse``."""
    n, k = z.shape
    if code == IDENTITY:
        return
    if code == SOFTMAX:
        for i in range(n):
            top = z[i, 0]
            for j in range(1, k):
                top = max(top, z[i, j])
            total = 0.0
            for j in range(k):
                e = np.exp(z[i, j] - top)
                a[i, j] = e
                total += e
            for j in range(k):
                a[i, j] /= total
            lse[i] = top + np.log(total)
        return
    for i in range(n):
        for j in range(k):
            x = z[i, j]
            if code == SIGMOID:  # exp(-x) = inf for very negative x gives 0: no branch
                a[i, j] = 1 / (1 + np.exp(-x))
            elif code == TANH:
                a[i, j] = np.tanh(x)
            elif code == RELU:  # NaN stays NaN, as np.maximum keeps it
                a[i, j] = x if not x <= 0 else 0
            elif code == LEAKY_RELU:
                a[i, j] = x if x > 0 else alpha * x
            else:  # ELU
                a[i, j] = x if x > 0 else alpha * np.expm1(x)


@njit(cache=True, error_model="numpy")
def _backward_into(code: int, alpha, z, a, dC_da, out):
    """``dC_dz = f'(z) ⊙ dC_da`` for the elementwise activations (``out`` may be ``dC_da``)."""
    n, k = z.shape
    for i in range(n):
        for j in range(k):
            g = dC_da[i, j]
            if code == IDENTITY:
                out[i, j] = g
            elif code == SIGMOID:
                out[i, j] = (1 - a[i, j]) * a[i, j] * g
            elif code == TANH:
                out[i, j] = (1 - a[i, j] * a[i, j]) * g
            elif code == RELU:
                out[i, j] = g if z[i, j] > 0 else 0
            elif code == LEAKY_RELU:
                out[i, j] = g if z[i, j] > 0 else g * alpha
            else:  # ELU
                out[i, j] = g if z[i, j] > 0 else (a[i, j] + alpha) * g


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
        else:  # squared error, summed over outputs
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
def train_epochs(X, Y, orders, shuffle, batch_size, params, grads, layout, acts, alphas,
                 loss_code, metric_code, ss_tot, opt_code, hyper, betas, lrs,
                 divergence_factor, first_loss, step, velocity, m, v,
                 good_step, good_params, good_velocity, good_m, good_v, losses, metrics):
    """Train ``len(losses)`` epochs; returns ``(epochs done, status, first loss, step,
    good step)``.

    Epoch ``e`` visits the samples in the order ``orders[e]`` (``orders[0]`` every epoch
    unless ``shuffle``), in batches of ``batch_size``. ``lrs[s]`` is the learning rate of
    this call's ``s``-th step and ``step`` the optimizer's step count before it;
    ``velocity``, ``m``, ``v`` its state (empty where unused). ``good_*`` hold the start of
    the last epoch whose loss passed the divergence guard: on a loss that is not finite or
    exceeds ``divergence_factor × first_loss`` (``first_loss`` NaN until the first epoch),
    parameters and state go back to them and the call returns DIVERGED with the epochs done
    (the diverging epoch's loss in ``losses`` after them). Each epoch's loss (its batches'
    costs at their weights before their updates, plus their penalties) goes to ``losses``
    and its metric to ``metrics``. ``hyper`` holds (μ, β₁, β₂, ε, 1 - β₁, 1 - β₂, l1, l2) in
    the parameters' dtype, ``betas`` (β₁, β₂) in float64 for the bias corrections.
    """
    n, n_features = X.shape
    n_out = Y.shape[1]
    dtype = params.dtype
    n_layers = layout.shape[0]
    last = n_layers - 1
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
    mu, beta_1, beta_2, eps, one_minus_beta_1, one_minus_beta_2, l1, l2 = hyper
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
            # forward: z = a W + b, a = f(z)
            a_prev = Xb
            offset = 0
            for layer in range(n_layers):
                n_in, k, w0, b0 = layout[layer, 0], layout[layer, 1], layout[layer, 2], \
                    layout[layer, 3]
                z = _view(z_buf, offset, nb, k)
                np.dot(a_prev, params[w0:w0 + n_in * k].reshape((n_in, k)), z)
                for i in range(nb):
                    for j in range(k):
                        z[i, j] += params[b0 + j]
                a = _view(a_buf, offset, nb, k)
                if acts[layer] == IDENTITY:
                    a[:, :] = z
                else:
                    _forward_into(acts[layer], alphas[layer], z, a, lse)
                a_prev = a
                offset += n_batch * k
            last_offset = offset - n_batch * layout[last, 1]
            k = layout[last, 1]
            _costs_and_hits(loss_code, metric_code, _view(z_buf, last_offset, nb, k),
                            _view(a_buf, last_offset, nb, k), lse, Yb, rows, costs, hits)
            if l1 or l2:  # the penalty at this batch's weights, before its update
                penalty = 0.0
                for layer in range(n_layers):
                    w0 = layout[layer, 2]
                    for p in range(w0, w0 + layout[layer, 0] * layout[layer, 1]):
                        penalty += 0.5 * l2 * params[p] * params[p] + l1 * abs(params[p])
                penalties += penalty * nb
            # backward: dC_dW = a_prevᵀ dC_dz, dC_db = Σ_rows dC_dz, dC_da_prev = dC_dz Wᵀ
            offset = last_offset
            for layer in range(last, -1, -1):
                n_in, k, w0, b0 = layout[layer, 0], layout[layer, 1], layout[layer, 2], \
                    layout[layer, 3]
                z = _view(z_buf, offset, nb, k)
                a = _view(a_buf, offset, nb, k)
                dC_dz = _view(dz_buf, offset, nb, k)
                if layer == last:
                    if loss_code == LOSS_MSE:  # dC/da = 2 (a - y) / size, then through f
                        scale = 2 / (nb * k)
                        for i in range(nb):
                            for j in range(k):
                                dC_dz[i, j] = scale * (a[i, j] - Yb[i, j])
                        _backward_into(acts[layer], alphas[layer], z, a, dC_dz, dC_dz)
                    else:  # fused: (p - y) / n
                        for i in range(nb):
                            for j in range(k):
                                dC_dz[i, j] = (a[i, j] - Yb[i, j]) / nb
                else:
                    _backward_into(acts[layer], alphas[layer], z, a,
                                   _view(da_buf, offset, nb, k), dC_dz)
                a_prev = Xb if layer == 0 else _view(a_buf, offset - n_batch * n_in, nb, n_in)
                dC_dW = grads[w0:w0 + n_in * k].reshape((n_in, k))
                np.dot(a_prev.T, dC_dz, dC_dW)
                if l1 or l2:
                    for p in range(w0, w0 + n_in * k):
                        if l2:
                            grads[p] += l2 * params[p]
                        if l1:
                            grads[p] += l1 * np.sign(params[p])
                for j in range(k):  # summed in float64: long float32 batches stay exact
                    total = 0.0
                    for i in range(nb):
                        total += dC_dz[i, j]
                    grads[b0 + j] = total
                if layer > 0:
                    np.dot(dC_dz, params[w0:w0 + n_in * k].reshape((n_in, k)).T,
                           _view(da_buf, offset - n_batch * n_in, nb, n_in))
                    offset -= n_batch * n_in
            # the optimizer's step
            lr = lrs[s]
            t = step + 1
            if opt_code == OPT_SGD:
                for p in range(params.shape[0]):
                    params[p] += -lr * grads[p]
            elif opt_code in (OPT_MOMENTUM, OPT_NESTEROV):
                for p in range(params.shape[0]):
                    b = velocity[p] * mu + grads[p]
                    velocity[p] = b
                    if opt_code == OPT_NESTEROV:
                        params[p] += (grads[p] + mu * b) * -lr
                    else:
                        params[p] += -lr * b
            else:  # Adam, with PyTorch's bias corrections
                corrections[0] = 1 - betas[0] ** np.float64(t)
                corrections[1] = 1 - betas[1] ** np.float64(t)
                c1, c2 = corrections[0], corrections[1]
                for p in range(params.shape[0]):
                    g = grads[p]
                    m[p] = m[p] * beta_1 + one_minus_beta_1 * g
                    v[p] = v[p] * beta_2 + one_minus_beta_2 * g * g
                    params[p] += (m[p] / c1) * -lr / (np.sqrt(v[p] / c2) + eps)
            step = t
            s += 1
        total = 0.0
        for i in range(n):
            total += costs[i]
        loss = (total / (n * n_out) if loss_code == LOSS_MSE else total / n) + penalties / n
        if not np.isfinite(loss) or (first_loss > 0 and loss > divergence_factor * first_loss):
            params[:] = good_params
            velocity[:] = good_velocity
            m[:] = good_m
            v[:] = good_v
            losses[epoch] = loss
            return epoch, DIVERGED, first_loss, good_step, good_step
        if np.isnan(first_loss):
            first_loss = loss
        losses[epoch] = loss
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
            metrics[epoch] = score / n_out
        elif metric_code != METRIC_NONE:
            right = 0.0
            for i in range(n):
                right += hits[i]
            metrics[epoch] = right / n
        # this epoch passed: its start is the last good point
        good_step = start_step
        good_params[:] = start_params
        good_velocity[:] = start_velocity
        good_m[:] = start_m
        good_v[:] = start_v
    return losses.shape[0], DONE, first_loss, step, good_step
