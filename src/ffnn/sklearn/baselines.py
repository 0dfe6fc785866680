"""Fair baselines: ffnn's ``l1``/``l2`` as scikit-learn's ``alpha``, and back.

A network with no hidden layer and an identity output, trained with the MSE, is a linear
model; at matched penalties it minimises the same objective as scikit-learn's ``Ridge``,
``Lasso`` or ``ElasticNet`` up to a constant factor, so all have the same minimiser. The
conversions below say which ``alpha`` that is. For ``n`` samples, ``k`` outputs and residuals
``R = Y - X W - b`` (shape ``(n, k)``)::

    ffnn (MSE + penalties)  (1/(n k)) ‖R‖²  +  l1 ‖W‖₁  +  (l2/2) ‖W‖²
    Ridge                   ‖R‖²  +  alpha ‖W‖²                  alpha = n k l2 / 2
    Lasso                   (1/(2n)) ‖R‖²  +  alpha ‖W‖₁          alpha = k l1 / 2
    ElasticNet              (1/(2n)) ‖R‖²  +  alpha ρ ‖W‖₁  +  (alpha (1-ρ)/2) ‖W‖²
                                              alpha = k (l1 + l2) / 2,  ρ = l1 / (l1 + l2)

(``‖·‖`` the Frobenius norm, ``‖W‖₁`` the sum of the absolute values; scikit-learn fits the
``k`` targets of ``Ridge``, ``Lasso`` and ``ElasticNet`` one by one, which is the same as the
sums above.) Ridge is ``n k`` times ffnn's cost, Lasso and ElasticNet ``k/2`` times it.

scikit-learn's MLP divides its penalty by the number of samples in each batch::

    MLPRegressor    gradient of (1/(2b)) ‖R‖²  +  (alpha/(2b)) ‖W‖²   alpha = b k l2 / 2
    MLPClassifier   log-loss (mean over samples) + (alpha/(2b)) ‖W‖²   alpha = b l2

with ``b`` the rows of the batch (``n`` for full batches and ``lbfgs``). Its regressor
*reports* ``0.5 mean(R²)`` over samples and outputs, but the gradient it descends is that of
the sum over outputs; for ``k > 1`` the two disagree by the factor ``k``, and what matches is
the gradient: ffnn's is ``2/k`` times scikit-learn's (so the same stationary points, the same
Adam steps, and SGD steps at ffnn learning rate = scikit-learn's × ``k/2``). For one output
scikit-learn's loss is half of ffnn's cost. Its classifiers' log-losses are ffnn's
``binary_cross_entropy``/``cross_entropy``, and the gradients are equal.

**Caveats.**

* **Intercepts.** ``Ridge``, ``Lasso``, ``ElasticNet`` and the MLPs never penalise the
  intercepts; ffnn penalises weights only (by default), so they agree. A linear model whose
  bias is penalised too matches the same alpha with ``fit_intercept=False`` and a column of
  ones appended to ``X`` (its coefficient is then the intercept, penalised like a weight); the
  MLPs have no such option.
* **Mini-batches.** ffnn's penalty does not depend on the batch size, scikit-learn's MLP
  divides by each batch's rows: with a last, smaller batch (``n`` not a multiple of ``b``)
  no single ``alpha`` matches every step. ``batch_size="auto"`` is ``min(200, n)``, and
  ``early_stopping=True`` trains on ``(1 - validation_fraction) n`` rows.
* **Sample weights** are not covered here.
* The deep networks of a study have no closed-form peer: the conversions make the *penalty*
  the same, so that a linear model and a network are judged at the same ``λ``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core.losses import LOSSES, MSE
from ..core.validation import check_penalty, check_positive_int

__all__ = [
    "ridge_alpha",
    "l2_from_ridge_alpha",
    "lasso_alpha",
    "l1_from_lasso_alpha",
    "elastic_net_params",
    "penalties_from_elastic_net",
    "mlp_alpha",
    "l2_from_mlp_alpha",
    "linear_baselines",
]

#: scikit-learn's MLP losses (ffnn's names for the same costs: each loss's ``sklearn``).
_MLP_LOSSES = ("squared_error", "log_loss", "poisson")


def ridge_alpha(l2: float, n_samples: int, *, n_outputs: int = 1) -> float:
    """``Ridge``'s ``alpha`` at which it minimises what ffnn's linear model does with ``l2``.

    ffnn (MSE, identity output)::

        (1/(n k)) ‖Y - X W - b‖²  +  (l2/2) ‖W‖²

    scikit-learn's ``Ridge`` (``fit_intercept=True``, intercept not penalised)::

        ‖Y - X W - b‖²  +  alpha ‖W‖²

    which is ``n k`` times ffnn's cost when ``alpha = n k l2 / 2``.

    Parameters
    ----------
    l2 : float
        ffnn's L2 strength, ``>= 0``.
    n_samples : int
        ``n``, the rows of the training data, ``>= 1``.
    n_outputs : int, default 1
        ``k``, the columns of the targets.

    Returns
    -------
    float
        ``n_samples * n_outputs * l2 / 2``.
    """
    l2 = check_penalty(l2, "l2")
    n = check_positive_int(n_samples, "n_samples")
    k = check_positive_int(n_outputs, "n_outputs")
    return n * k * l2 / 2


def l2_from_ridge_alpha(alpha: float, n_samples: int, *, n_outputs: int = 1) -> float:
    """ffnn's ``l2`` for ``Ridge(alpha)`` on ``n_samples`` rows: ``2 alpha / (n k)``.

    The inverse of :func:`ridge_alpha` (the objectives are written there).
    """
    alpha = check_penalty(alpha, "alpha")
    n = check_positive_int(n_samples, "n_samples")
    k = check_positive_int(n_outputs, "n_outputs")
    return 2 * alpha / (n * k)


def lasso_alpha(l1: float, *, n_outputs: int = 1) -> float:
    """``Lasso``'s ``alpha`` at which it minimises what ffnn's linear model does with ``l1``.

    ffnn (MSE, identity output)::

        (1/(n k)) ‖Y - X W - b‖²  +  l1 ‖W‖₁

    scikit-learn's ``Lasso`` (intercept not penalised)::

        (1/(2n)) ‖Y - X W - b‖²  +  alpha ‖W‖₁

    which is ``k/2`` times ffnn's cost when ``alpha = k l1 / 2``. Both data terms are means
    over the samples, so the number of samples does not enter.

    Parameters
    ----------
    l1 : float
        ffnn's L1 strength, ``>= 0``.
    n_outputs : int, default 1
        ``k``, the columns of the targets (keyword only).

    Returns
    -------
    float
        ``n_outputs * l1 / 2``.
    """
    l1 = check_penalty(l1, "l1")
    k = check_positive_int(n_outputs, "n_outputs")
    return k * l1 / 2


def l1_from_lasso_alpha(alpha: float, *, n_outputs: int = 1) -> float:
    """ffnn's ``l1`` for ``Lasso(alpha)``: ``2 alpha / k`` (the inverse of
    :func:`lasso_alpha`)."""
    alpha = check_penalty(alpha, "alpha")
    k = check_positive_int(n_outputs, "n_outputs")
    return 2 * alpha / k


def elastic_net_params(l1: float, l2: float, *, n_outputs: int = 1) -> tuple[float, float]:
    """``ElasticNet``'s ``(alpha, l1_ratio)`` for ffnn's ``l1`` and ``l2`` together.

    ffnn (MSE, identity output)::

        (1/(n k)) ‖Y - X W - b‖²  +  l1 ‖W‖₁  +  (l2/2) ‖W‖²

    scikit-learn's ``ElasticNet`` (intercept not penalised)::

        (1/(2n)) ‖Y - X W - b‖²  +  alpha ρ ‖W‖₁  +  (alpha (1 - ρ) / 2) ‖W‖²

    which is ``k/2`` times ffnn's cost when ``alpha = k (l1 + l2) / 2`` and
    ``ρ = l1_ratio = l1 / (l1 + l2)``.

    Parameters
    ----------
    l1, l2 : float
        ffnn's strengths, ``>= 0``, not both 0 (then use ``LinearRegression``).
    n_outputs : int, default 1
        ``k``, the columns of the targets (keyword only).

    Returns
    -------
    alpha, l1_ratio : float
    """
    l1 = check_penalty(l1, "l1")
    l2 = check_penalty(l2, "l2")
    k = check_positive_int(n_outputs, "n_outputs")
    if l1 + l2 == 0:
        raise ValueError("l1 and l2 are both 0: no ElasticNet matches; the unpenalised linear "
                         "model is LinearRegression")
    return k * (l1 + l2) / 2, l1 / (l1 + l2)


def penalties_from_elastic_net(alpha: float, l1_ratio: float, *,
                               n_outputs: int = 1) -> tuple[float, float]:
    """ffnn's ``(l1, l2)`` for ``ElasticNet(alpha, l1_ratio)``:
    ``(2 alpha ρ / k, 2 alpha (1 - ρ) / k)`` (the inverse of :func:`elastic_net_params`)."""
    alpha = check_penalty(alpha, "alpha")
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, numbers.Real) \
            or not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}")
    k = check_positive_int(n_outputs, "n_outputs")
    return 2 * alpha * l1_ratio / k, 2 * alpha * (1 - l1_ratio) / k


def _mlp_loss(loss: str) -> str:
    """scikit-learn's name for ``loss`` (its own name or one of ffnn's losses)."""
    if loss in _MLP_LOSSES:
        return loss
    ours = {name: cls.sklearn for cls in LOSSES for name in (cls.name, *cls.aliases)
            if cls.sklearn is not None}
    if loss not in ours:
        names = [*_MLP_LOSSES, *(n for n in ours if n not in _MLP_LOSSES)]
        raise ValueError(f"loss must be one of {', '.join(map(repr, names))}, got "
                         f"{loss!r}")
    return ours[loss]


def mlp_alpha(l2: float, batch_size: int, *, loss: str = "squared_error",
              n_outputs: int = 1) -> float:
    """scikit-learn MLP's ``alpha`` that matches ffnn's ``l2`` on batches of ``batch_size``.

    ffnn's cost, whatever the batch::

        C(ŷ, y)  +  (l2/2) ‖W‖²      (W: every layer's weights, not the biases)

    scikit-learn's MLP, per batch of ``b`` rows::

        MLPRegressor   (1/(2b)) Σ (ŷ - y)²  +  (alpha/(2b)) ‖W‖²   (its gradient; see below)
        MLPClassifier  log-loss (mean over the b samples)  +  (alpha/(2b)) ‖W‖²
        MLPRegressor(loss="poisson")  half Poisson deviance (mean over the b samples, summed
                       over the outputs)  +  (alpha/(2b)) ‖W‖²

    For regression (ffnn's ``mse`` = ``(1/(b k)) Σ (ŷ - y)²``) ffnn's gradient is ``2/k``
    times scikit-learn's when ``alpha = b k l2 / 2``; for classification (ffnn's
    ``binary_cross_entropy`` or ``cross_entropy``, scikit-learn's log-loss) the gradients are
    equal when ``alpha = b l2``, and so they are for ``poisson`` (the same function in both
    libraries, with an exp output). scikit-learn's regressor reports ``0.5 mean((ŷ - y)²)``
    averaged over outputs too, so for ``k > 1`` its ``loss_`` is not the function its gradient
    descends; the match is of gradients, hence of stationary points.

    Parameters
    ----------
    l2 : float
        ffnn's L2 strength (the estimators' ``alpha``), ``>= 0``.
    batch_size : int
        ``b``, the rows of each batch scikit-learn trains on (``n_samples`` for full batches
        and ``solver="lbfgs"``; ``batch_size="auto"`` is ``min(200, n_samples)``). With a
        smaller last batch no single ``alpha`` matches every step.
    loss : str, default "squared_error"
        ``"squared_error"`` (or ``"mse"``): ``MLPRegressor``; ``"log_loss"`` (or
        ``"binary_cross_entropy"``, ``"cross_entropy"``): ``MLPClassifier``; ``"poisson"``:
        ``MLPRegressor(loss="poisson")``.
    n_outputs : int, default 1
        ``k``, the regressor's outputs (no effect for ``log_loss`` and ``poisson``).

    Returns
    -------
    float
        ``b k l2 / 2`` (squared error) or ``b l2`` (log-loss, Poisson).
    """
    l2 = check_penalty(l2, "l2")
    b = check_positive_int(batch_size, "batch_size")
    k = check_positive_int(n_outputs, "n_outputs")
    return b * k * l2 / 2 if _mlp_loss(loss) == MSE.sklearn else b * l2


def l2_from_mlp_alpha(alpha: float, batch_size: int, *, loss: str = "squared_error",
                      n_outputs: int = 1) -> float:
    """ffnn's ``l2`` for scikit-learn MLP's ``alpha`` on batches of ``batch_size``:
    ``2 alpha / (b k)`` (squared error) or ``alpha / b`` (log-loss, Poisson); the inverse of
    :func:`mlp_alpha` (the objectives are written there)."""
    alpha = check_penalty(alpha, "alpha")
    b = check_positive_int(batch_size, "batch_size")
    k = check_positive_int(n_outputs, "n_outputs")
    return 2 * alpha / (b * k) if _mlp_loss(loss) == MSE.sklearn else alpha / b


def linear_baselines(X, y, *, l1: float = 0.0, l2: float = 0.0, tol: float = 1e-8,
                     max_iter: int = 10_000_000) -> dict:
    """scikit-learn's linear models fitted at the penalties matched to ffnn's ``l1``/``l2``.

    Each model minimises the cost that ffnn's linear model (``Network(n_features,
    [n_outputs], ["identity"])``, MSE) minimises with the penalty named:

    ================  ===================================  ==================================
    key               model                                ffnn's cost it minimises
    ================  ===================================  ==================================
    ``"OLS"``         ``LinearRegression()``               ``l1 = l2 = 0``
    ``"Ridge"``       ``Ridge(ridge_alpha(l2, n))``        ``l2`` alone (present when l2 > 0)
    ``"Lasso"``       ``Lasso(lasso_alpha(l1))``           ``l1`` alone (present when l1 > 0)
    ``"ElasticNet"``  ``ElasticNet(*elastic_net_params)``  ``l1`` and ``l2`` (both > 0)
    ================  ===================================  ==================================

    So a network trained with ``l2=λ`` is judged against ``"Ridge"``, one trained with
    ``l1=λ`` against ``"Lasso"``, each at the same ``λ``.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        The inputs the linear models see (for instance polynomial features).
    y : array-like, shape (n_samples,) or (n_samples, n_outputs)
    l1, l2 : float, default 0
        ffnn's penalty strengths.
    tol, max_iter : float, int
        The coordinate descent's stopping rule (``Lasso`` and ``ElasticNet``, on the Gram
        matrix when there are more samples than features). It runs, warm-started, in rounds
        of :data:`DESCENT_ROUND` iterations until scikit-learn's duality gap is under
        ``tol`` or the optimality conditions of the cost hold to :data:`KKT_RTOL` of the
        largest gradient at zero (scikit-learn's gap can stall above ``tol`` on strongly
        correlated features, polynomial ones, long after the coefficients stopped moving),
        at most ``max_iter`` iterations in all; a ConvergenceWarning only if neither held
        by then.

    Returns
    -------
    dict
        Key (above) → the fitted scikit-learn estimator.
    """
    from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

    l1 = check_penalty(l1, "l1")
    l2 = check_penalty(l2, "l2")
    max_iter = check_positive_int(max_iter, "max_iter")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.ndim not in (1, 2) or len(y) != len(X):
        raise ValueError(f"X must be (n_samples, n_features) and y (n_samples,) or "
                         f"(n_samples, n_outputs) with as many rows; got X {X.shape}, "
                         f"y {y.shape}")
    n, k = len(X), 1 if y.ndim == 1 else y.shape[1]
    descent = {"tol": tol, "max_iter": min(max_iter, DESCENT_ROUND),
               "precompute": n > X.shape[1], "warm_start": True}
    models = {"OLS": LinearRegression()}
    if l2 > 0:
        models["Ridge"] = Ridge(alpha=ridge_alpha(l2, n, n_outputs=k))
    if l1 > 0:
        models["Lasso"] = Lasso(alpha=lasso_alpha(l1, n_outputs=k), **descent)
    if l1 > 0 and l2 > 0:
        alpha, l1_ratio = elastic_net_params(l1, l2, n_outputs=k)
        models["ElasticNet"] = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **descent)
    return {name: (_descend(model, X, y, max_iter) if hasattr(model, "l1_ratio")
                   else model.fit(X, y))
            for name, model in models.items()}


#: Iterations of one round of coordinate descent in :func:`linear_baselines`.
DESCENT_ROUND = 100_000
#: The optimality conditions' tolerance of :func:`linear_baselines`: the largest violation
#: relative to the largest gradient of the data term at zero coefficients.
KKT_RTOL = 1e-9


def _descend(model, X: np.ndarray, y: np.ndarray, max_iter: int):
    """Fit ``model`` (a warm-started Lasso or ElasticNet) in rounds until it converged (see
    :func:`linear_baselines`), warning only when ``max_iter`` iterations were not enough."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    done, violation = 0, np.inf
    while done < max_iter:
        model.max_iter = min(model.max_iter, max_iter - done)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        for w in caught:  # only the rounds' own ConvergenceWarnings are ours to judge
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        done += int(np.max(model.n_iter_))
        violation = _kkt_violation(model, X, y)
        if not any(issubclass(w.category, ConvergenceWarning) for w in caught) \
                or violation <= KKT_RTOL:
            return model
    warnings.warn(f"{type(model).__name__} did not reach the optimum in max_iter={max_iter} "
                  f"iterations of coordinate descent (optimality conditions off by "
                  f"{violation:.1e} of the gradient's scale, tolerance {KKT_RTOL:g}); raise "
                  "max_iter, or use a larger penalty", ConvergenceWarning, stacklevel=3)
    return model


def _kkt_violation(model, X: np.ndarray, y: np.ndarray) -> float:
    """How far ``model``'s coefficients are from the optimum of its cost ``(1/(2n))‖R‖² +
    alpha ρ ‖W‖₁ + (alpha (1-ρ)/2) ‖W‖²``: the largest violation of its optimality
    conditions (``|g| ≤ alpha ρ`` where a coefficient is 0), relative to the largest
    gradient of the data term at zero coefficients."""
    W = np.reshape(model.coef_, (-1, X.shape[1]))  # (k, n_features)
    Y = np.reshape(y, (len(X), -1))
    R = Y - X @ W.T - np.reshape(model.intercept_, (1, -1))
    grad = (R.T @ X) / len(X) - model.alpha * (1 - model.l1_ratio) * W
    l1 = model.alpha * model.l1_ratio
    violation = np.where(W != 0, np.abs(grad - l1 * np.sign(W)),
                         np.maximum(np.abs(grad) - l1, 0.0))
    scale = np.abs(((Y - Y.mean(axis=0)).T @ X) / len(X)).max()
    return float(violation.max() / scale) if scale > 0 else 0.0
