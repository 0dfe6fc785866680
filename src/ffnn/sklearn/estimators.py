"""scikit-learn estimators: :class:`FFNNClassifier` and :class:`FFNNRegressor`.

They take scikit-learn's ``MLPClassifier``/``MLPRegressor`` parameter names and value names,
and add what its users have asked for: per-layer and custom activations (``leaky_relu``,
``elu``, pairs, objects), custom losses, the L1 penalty ``l1``, more solvers, a validation
loss history, and optimizer state kept across ``warm_start`` and ``partial_fit``.

**Training follows scikit-learn's** ``_fit_stochastic``: the same stopping rule (its
``_update_no_improvement_count``: :func:`update_no_improvement_count`), ``n_iter_`` per call,
``t_`` samples seen, ``'invscaling'`` and ``'adaptive'`` rates, the best weights back after
early stopping, its errors and warnings. ffnn's own divergence guard (:func:`ffnn.train`) is
not used here: weights that would become non-finite raise scikit-learn's ``ValueError``. The
differences that remain are listed in the README ("In scikit-learn").

**Penalties.** ``alpha`` is the core's ``l2``: the cost gets ``(alpha / 2) Σ‖W‖²`` (weights
only, as scikit-learn's; ``penalize_biases=True`` adds the biases), whatever the batch size.
scikit-learn's MLP divides its penalty by the batch's number of samples, so its ``alpha``
corresponds to ours as ``alpha_ffnn = alpha_sklearn / batch_size`` for classifiers (for
full-batch training, ``/ n_samples``) and ``2 alpha_sklearn / (batch_size · n_outputs)`` for
regressors, whose squared error scikit-learn halves and sums over the outputs
(:func:`ffnn.sklearn.baselines.mlp_alpha` converts both ways).

**Logistic regression** is the network with no hidden layer: ``hidden_layer_sizes=()``. With
two classes that is one sigmoid output and binary cross-entropy; with more, softmax
(multinomial) regression. scikit-learn's ``LogisticRegression(C=C)`` minimises
``Σ log-loss + ‖w‖² / (2C)``; divided by ``n_samples`` that is ours with
``alpha = 1 / (C · n_samples)``.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..core.activations import Activation, get_activation, is_single_activation
from ..core.losses import Loss, get_loss
from ..core.network import Network
from ..core.validation import check_flag, check_penalty, is_integer, is_real, warn_caller
from ..optim.optimizers import (
    OPTIMIZER_NAMES,
    OPTIMIZERS,
    SGD,
    GradientTransformation,
    copy_state,
    state_layout,
)
from ..optim.schedules import Schedule
from ..training.loop import initial_loss
from ..training.paths import check_device
from ..training.trainer import Trainer
from .persistence import (
    Views,
    check_estimator_info,
    float_to_json,
    legacy_rates,
    legacy_velocity,
    param_from_json,
    param_to_json,
    restore_fitted,
)
from .stopping import ScikitLearnRate, ScikitLearnRule, update_no_improvement_count

__all__ = ["FFNNClassifier", "FFNNRegressor", "SOLVERS", "update_no_improvement_count"]

#: scikit-learn's "sgd" (with its momentum and nesterovs_momentum), then every optimizer name.
SOLVERS = ("sgd", *(name for name in OPTIMIZER_NAMES if name != "sgd"))
LEARNING_RATES = ("constant", "invscaling", "adaptive")

#: scikit-learn's words when a fit leaves non-finite weights (ffnn stops before they are).
NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")

#: Sparse input as scikit-learn's MLP takes it (kept sparse: the first layer multiplies the
#: stored values only; CSC is turned into CSR once, for the mini-batches' rows).
_SPARSE = ("csr", "csc")


class _BaseFFNN(BaseEstimator):
    """What the classifier and the regressor share: parameters, fitting, attributes."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        l1=0.0,
        penalize_biases=False,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        initializer="glorot",
        loss=None,
        device=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.l1 = l1
        self.penalize_biases = penalize_biases
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.initializer = initializer
        self.loss = loss
        self.device = device

    # -- parameters to library objects -------------------------------------------------------

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if is_integer(sizes):
            sizes = [sizes]
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable) or not all(
                is_integer(s) for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a tuple of positive integers (or () for none), "
                f"e.g. (50, 50); got {self.hidden_layer_sizes!r}"
            )
        sizes = [int(s) for s in sizes]
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {list(sizes)}")
        return sizes

    def _hidden_activations(self, n_hidden: int) -> list[Activation]:
        spec = self.activation
        if is_single_activation(spec):
            spec = [spec] * n_hidden
        if not isinstance(spec, (list, tuple)) or len(spec) != n_hidden:
            raise ValueError(
                f"activation must be one activation or one per hidden layer ({n_hidden}), "
                f"got {self.activation!r}"
            )
        return [
            get_activation(a, f"activation[{i}]")
            for i, a in enumerate(spec)
        ]

    def _schedule(self):
        lr = self.learning_rate_init
        if not is_real(lr) or not lr > 0:
            raise ValueError(f"learning_rate_init must be a number > 0, got {lr!r}")
        if isinstance(self.learning_rate, Schedule):
            return copy.deepcopy(self.learning_rate)
        if self.learning_rate == "constant":
            return float(lr)
        if self.learning_rate in ("invscaling", "adaptive"):
            if not is_real(self.power_t) or not self.power_t >= 0:
                raise ValueError(f"power_t must be a number >= 0, got {self.power_t!r}")
            return ScikitLearnRate(lr, self.learning_rate, self.power_t)
        raise ValueError(
            f"learning_rate must be one of {LEARNING_RATES} or a Schedule, "
            f"got {self.learning_rate!r}"
        )

    def _optimizer(self) -> GradientTransformation:
        solver = self.solver
        if isinstance(solver, GradientTransformation):
            return copy.deepcopy(solver)
        if not isinstance(solver, str) or solver not in SOLVERS:
            raise ValueError(
                f"solver must be one of {', '.join(SOLVERS)} or an ffnn optimizer object, "
                f"got {solver!r}"
            )
        lr = self._schedule()  # checked whatever the solver, as scikit-learn's parameters are
        # scikit-learn's "sgd" and "adam" are its formulas (SklearnSGD, SklearnAdam); other
        # names are ffnn's optimizers. Without momentum "sgd" is plain SGD (no velocity in
        # the state, so a warm start that adds momentum starts one, as scikit-learn does).
        if solver == "sgd" and self.momentum == 0:
            return SGD(lr)
        cls = next((c for c in OPTIMIZERS if c.sklearn_solver == solver), None) \
            or OPTIMIZERS.lookup(solver, "solver")
        # The hyperparameters the optimizer declares scikit-learn names for.
        kwargs = {
            name: tuple(getattr(self, n) for n in ours) if isinstance(ours, tuple)
            else getattr(self, ours)
            for name, ours in cls.sklearn_params.items()
        }
        # a learning rate where the method takes one (L-BFGS searches its steps)
        return cls(lr, **kwargs) if "lr" in cls.params() else cls(**kwargs)

    def _check_solver(self) -> bool:
        """``partial_fit`` is there for the solvers that step through batches, not for a
        full-batch one (``"lbfgs"``): an AttributeError in scikit-learn's words."""
        solver = self.solver
        if isinstance(solver, GradientTransformation):
            full_batch = solver.full_batch
        else:
            cls = next((c for c in OPTIMIZERS if c.sklearn_solver == solver), None) \
                or OPTIMIZERS.find(solver)
            full_batch = cls is not None and cls.full_batch
        if full_batch:
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                                 f"{solver} is not stochastic.")
        return True

    def _batch_size(self, n_samples: int) -> int:
        """scikit-learn's: ``min(200, n)`` for "auto", else clipped to the training samples."""
        if isinstance(self.batch_size, str) and self.batch_size == "auto":
            return min(200, n_samples)
        size = self.batch_size
        if not is_integer(size) or size < 1:
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {size!r}")
        if size > n_samples:
            warn_caller("Got `batch_size` less than 1 or larger than sample size. It is going "
                        "to be clipped", UserWarning)
        return min(int(size), n_samples)

    def _check_scalars(self) -> None:
        if not is_integer(self.max_iter) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if not is_integer(self.max_fun) or self.max_fun < 1:
            raise ValueError(f"max_fun must be a positive integer, got {self.max_fun!r}")
        for name in ("alpha", "l1", "tol"):
            value = getattr(self, name)
            if not is_real(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        for name in ("penalize_biases", "shuffle"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        n = self.n_iter_no_change
        if not ((is_integer(n) and n >= 1) or (is_real(n) and n == math.inf)):
            raise ValueError(f"n_iter_no_change must be a positive integer or np.inf, got {n!r}")
        if not (is_real(self.validation_fraction)
                and 0 < self.validation_fraction < 1):
            raise ValueError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}"
            )

    # -- fitting -----------------------------------------------------------------------------

    def _seeds(self):
        """Generators for initialisation and shuffling from ``random_state`` (one seed)."""
        seed = check_random_state(self.random_state).randint(0, 2**32 - 1)
        init, shuffle = np.random.default_rng(seed).spawn(2)
        return init, shuffle

    def _build(self, n_features: int, n_outputs: int, dtype) -> None:
        hidden = self._hidden_sizes()
        activations = self._hidden_activations(len(hidden))
        init_rng, shuffle_rng = self._seeds()
        network = Network(n_features, [*hidden, n_outputs], [*activations, self._output()],
                          initializer=self.initializer, dtype=dtype, seed=init_rng)
        self._make_trainer(network, shuffle_rng)
        # What scikit-learn's _initialize sets: these run on over warm starts and partial_fit.
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_, self.best_loss_ = -np.inf, None
        else:
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_, self.best_loss_ = None, np.inf

    def fitted_loss(self) -> Loss:
        """The loss a fit minimizes: ``loss``, or when it is None the default for the
        targets (cross-entropy for one class of several, binary cross-entropy per label,
        squared error for regression)."""
        return get_loss(self.loss if self.loss is not None else self._default_loss(), "loss")

    def _make_trainer(self, network: Network, shuffle_rng) -> None:
        loss = self.fitted_loss()
        # The guard's loss test is off (factor inf): scikit-learn trains on through a loss
        # that grows; weights that stop being finite end the fit with its ValueError.
        self._trainer = Trainer(
            network, loss, self._optimizer(), l1=self.l1, l2=self.alpha,
            penalize_biases=self.penalize_biases, batch_size=None, metric=self._metric,
            seed=shuffle_rng, verbose=0, divergence_factor=math.inf, device=self.device,
        )
        self.network_ = network

    def _check_architecture(self, network: Network) -> None:
        """Refuse ``network`` unless its hidden layers are those that ``hidden_layer_sizes``
        and ``activation`` describe."""
        hidden = self._hidden_sizes()
        activations = self._hidden_activations(len(hidden))
        if (list(network.layer_output_sizes[:-1]) != hidden
                or list(network.activation_funcs[:-1]) != activations):
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} and activation="
                f"{self.activation!r} describe other hidden layers than the network's "
                f"({network})")

    def _refresh_trainer(self, incremental: bool) -> None:
        """A warm start or partial_fit: continue, but with the parameters as they are now
        (scikit-learn re-reads them on every fit). The optimizer's state is kept when the
        optimizer still has the same state (same kind of optimizer), else started afresh."""
        network, trainer = self.network_, self._trainer
        try:
            self._check_architecture(network)
        except ValueError:
            raise ValueError(
                "warm_start and partial_fit need the architecture of the previous fit "
                f"({network}); hidden_layer_sizes or activation changed"
            ) from None
        trainer.l1 = check_penalty(self.l1, "l1")
        trainer.l2 = check_penalty(self.alpha, "alpha")
        trainer.penalize_biases = check_flag(self.penalize_biases, "penalize_biases")
        trainer.device = check_device(self.device)
        if incremental and repr(self._optimizer()) == repr(trainer.optimizer):
            return  # partial_fit goes on with the same optimizer (its schedule's state too)
        # A new fit (or new settings): a fresh optimizer object, so schedules start again,
        # keeping the moments where the state still has the same arrays.
        optimizer = self._optimizer()
        fresh = optimizer.init(network.params, network.weight_mask())
        kept = type(trainer.optimizer)
        trainer.optimizer = optimizer
        # the same arrays may mean another thing under another optimizer (Momentum's
        # velocity b, SklearnSGD's -lr b)
        if type(optimizer) is not kept or state_layout(fresh) != state_layout(trainer.opt_state):
            trainer.opt_state = fresh

    def _run(self, X, Y, sample_weight, incremental: bool, fresh: bool) -> None:
        """One call's epochs with scikit-learn's bookkeeping (``_fit_stochastic``)."""
        trainer = self._trainer
        if trainer.optimizer.full_batch:
            return self._run_full_batch(X, Y, sample_weight)
        early_stopping = bool(self.early_stopping) and not incremental
        validation = None
        if early_stopping:
            X, Y, sample_weight, validation = self._validation_split(X, Y, sample_weight)
        n_train = X.shape[0]
        trainer.batch_size = self._batch_size(n_train)
        trainer.shuffle = bool(self.shuffle)
        trainer.verbose = 0  # scikit-learn's lines instead of a bar: the rule prints them
        rule = self._stopping_rule(early_stopping, n_train, fresh)
        trainer.callbacks = [rule]
        # engine_reason_ says why a fit ran on NumPy (engine="auto" warns nobody)
        history = trainer.fit(X, Y, 1 if incremental else self.max_iter,
                              validation_data=validation, sample_weight=sample_weight)
        trainer.callbacks = []
        self.history_ = history
        self.engine_, self.engine_reason_ = history.engine, history.engine_reason
        # The weights were about to stop being finite: scikit-learn's error, unless early
        # stopping had best-scoring weights to go back to (scikit-learn then ends with them).
        if history.diverged and not rule.restored:
            raise ValueError(NON_FINITE)
        self._record(history, rule, early_stopping)
        if history.diverged:
            best = "the initial" if rule.best_epoch is None else \
                f"epoch {rule.best_epoch + 1}'s"
            warn_caller(f"Training diverged at epoch {self.n_iter_}: the best-scoring weights "
                        f"({best}) are kept; try a smaller learning_rate_init.",
                        ConvergenceWarning)
        elif history.stop_reason == "interrupted":
            warn_caller("Training interrupted by user.", UserWarning)
        elif not incremental and history.stop_reason is None and self.n_iter_ == self.max_iter:
            warn_caller(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.", ConvergenceWarning,
            )

    def _run_full_batch(self, X, Y, sample_weight) -> None:
        """scikit-learn's ``_fit_lbfgs``: L-BFGS over the whole training set for up to
        ``max_iter`` iterations and ``max_fun`` evaluations of the cost, stopping at ``tol``
        (the projected gradient's largest component); ``batch_size``, ``shuffle``,
        ``early_stopping`` and the learning rates do not apply, as there. Not converged: a
        ``ConvergenceWarning`` in scikit-learn's words."""
        trainer = self._trainer
        trainer.batch_size, trainer.callbacks, trainer.verbose = None, [], 0
        history = trainer.fit(X, Y, self.max_iter, sample_weight=sample_weight)
        self.history_ = history
        self.engine_, self.engine_reason_ = history.engine, history.engine_reason
        if history.diverged:
            raise ValueError(NON_FINITE)
        self.n_iter_ = history.epochs
        self.loss_curve_ = self.loss_curve_ + history["loss"]
        self.loss_ = (history["loss"][-1] if history.epochs else
                      initial_loss(self.network_, X, Y, trainer.loss, trainer.l1, trainer.l2,
                                   None if sample_weight is None else np.asarray(
                                       sample_weight, dtype=np.float64),
                                   penalize_biases=trainer.penalize_biases))
        if history.stop_reason == "interrupted":
            warn_caller("Training interrupted by user.", UserWarning)
        elif history.stop_reason != "converged":
            warn_caller(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"({history.message}). Increase the number of iterations (max_iter), or "
                "max_fun, or scale the data (sklearn.preprocessing.StandardScaler).",
                ConvergenceWarning)

    def _validation_split(self, X, Y, sample_weight):
        """Early stopping's validation part, as scikit-learn draws it: ``train_test_split``,
        stratified for a classifier's single output (binary targets) only; its generator's
        seed is one draw from the trainer's."""
        stratify = Y.astype(bool) if is_classifier(self) and Y.shape[1] == 1 else None
        seed = self._validation_seed = int(self._trainer.rng.integers(2**32))
        arrays = (X, Y) if sample_weight is None else (X, Y, np.asarray(sample_weight))
        parts = train_test_split(*arrays, random_state=seed,
                                 test_size=self.validation_fraction, stratify=stratify)
        X, X_val, Y, Y_val = parts[:4]
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        return X, Y, None if sample_weight is None else parts[4], (X_val, Y_val)

    def _stopping_rule(self, early_stopping: bool, n_train: int, fresh: bool):
        """The epoch-end callback, starting from the count and best of earlier calls."""
        if early_stopping:
            monitor, best = f"val_{self._trainer.metric}", self.best_validation_score_
            best = -math.inf if best is None else best
        else:
            monitor, best = "loss", self.best_loss_
            best = math.inf if best is None else best
        return ScikitLearnRule(
            monitor=monitor, tol=float(self.tol), n_iter_no_change=self.n_iter_no_change,
            count=self._no_improvement_count, best=best, samples=self.t_, n_train=n_train,
            restore_best=early_stopping, from_start=fresh, verbose=bool(self.verbose),
        )

    def _record(self, history, rule, early_stopping: bool) -> None:
        """The fitted attributes after a call (new lists, not +=: a fit that fails later
        gives the old ones back). An epoch that diverged ran: it counts, with NaN for its
        loss and scores (as scikit-learn records them)."""
        extra = [math.nan] if history.diverged else []
        self.n_iter_ = history.epochs + len(extra)  # this call's, as scikit-learn's
        self.t_ = rule.samples + rule.n_train * len(extra)
        self._no_improvement_count = rule.count
        losses = history["loss"] + extra
        self.loss_curve_ = self.loss_curve_ + losses
        if losses:
            self.loss_ = losses[-1]
        if early_stopping:
            logs = history.history
            self.validation_scores_ = ((self.validation_scores_ or [])
                                       + logs.get(rule.monitor, []) + extra)
            self.validation_loss_curve_ = ((self.validation_loss_curve_ or [])
                                           + logs.get("val_loss", []) + extra)
            self.best_validation_score_ = rule.best
        else:
            self.best_loss_ = rule.best

    def _fit(self, X, y, sample_weight, incremental: bool, classes=None):
        with self._all_or_nothing():
            return self._fit_unguarded(X, y, sample_weight, incremental, classes)

    @contextlib.contextmanager
    def _all_or_nothing(self):
        """A fit that raises leaves the estimator as it was: its attributes, its network's
        parameters and its trainer's state (a refit with bad new parameters keeps the model
        fitted before)."""
        saved = dict(self.__dict__)
        network, trainer = saved.get("network_"), saved.get("_trainer")
        params = None if network is None else network.params.copy()
        if trainer is not None:
            trainer_saved = dict(trainer.__dict__)
            opt_state = copy_state(trainer.opt_state)
            rng_state = trainer.rng.bit_generator.state
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if network is not None:
                network.params[...] = params
            if trainer is not None:
                trainer.__dict__.clear()
                trainer.__dict__.update(trainer_saved)
                trainer.opt_state = opt_state
                trainer.rng.bit_generator.state = rng_state
            raise

    def _fit_unguarded(self, X, y, sample_weight, incremental: bool, classes=None):
        self._check_scalars()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, Y = self._validate_xy(X, y, reset=first, incremental=incremental, classes=classes)
        if first:
            self._build(X.shape[1], Y.shape[1], X.dtype)
        else:
            self._refresh_trainer(incremental)
            X = X.astype(self.network_.dtype, copy=False)
        self._run(X, Y, sample_weight, incremental, fresh=first)
        return self

    def fit(self, X, y, sample_weight=None):
        """Train on ``X``, ``y`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    # -- prediction --------------------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32),
                          accept_sparse=_SPARSE)
        return self.network_.predict(X)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices ``W`` of shape ``(n_in, n_out)``, one per layer: views of the
        network's parameters (editing one edits the model; nothing is stored twice).
        Assigning a list copies its values in (all or nothing)."""
        check_is_fitted(self)
        return Views((W for W, _ in self.network_.layers), "coefs_")

    @coefs_.setter
    def coefs_(self, coefs) -> None:
        self._assign_layers(coefs, 0, "coefs_")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, one per layer: views of the network's parameters, as ``coefs_``."""
        check_is_fitted(self)
        return Views((b for _, b in self.network_.layers), "intercepts_")

    @intercepts_.setter
    def intercepts_(self, intercepts) -> None:
        self._assign_layers(intercepts, 1, "intercepts_")

    def _assign_layers(self, arrays, which: int, name: str) -> None:
        check_is_fitted(self)
        layers = self.network_.layers
        if isinstance(arrays, (str, bytes)) or not isinstance(arrays, Iterable):
            raise TypeError(f"{name} must be a list of {len(layers)} arrays")
        arrays = list(arrays)
        if len(arrays) != len(layers):
            raise ValueError(f"{name} must be a list of {len(layers)} arrays, got "
                             f"{len(arrays)}")
        pairs = [(new, b) if which == 0 else (W, new) for new, (W, b) in zip(arrays, layers)]
        self.network_.assign_layers(pairs, name)

    @property
    def n_layers_(self) -> int:
        check_is_fitted(self)
        return self.network_.n_layers + 1

    @property
    def n_outputs_(self) -> int:
        check_is_fitted(self)
        return self.network_.n_outputs

    @property
    def out_activation_(self) -> str:
        """The output activation in scikit-learn's words: its declared peer name
        (``'logistic'``, ``'identity'``), else ffnn's (``'softmax'``, ``'exp'``)."""
        check_is_fitted(self)
        f = self.network_.activation_funcs[-1]
        return getattr(type(f), "sklearn", None) or f.name

    # -- model files -------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the fitted estimator to one model file (see :mod:`ffnn.io`), atomically.

        The file holds the network, the optimizer state, the shuffling generator, the
        parameters and the fitted attributes, so :meth:`load` gives back an estimator that
        predicts bit-identically and continues ``partial_fit``/``warm_start`` where it was.
        Parameters must be JSON values or built-in activations (not optimizer, schedule or
        loss objects, nor custom activations).
        """
        from ..io.networks import save

        check_is_fitted(self)
        info = {
            "class": type(self).__name__,
            "params": {k: param_to_json(k, v) for k, v in self.get_params().items()},
            "n_features_in": int(self.n_features_in_),
            "n_iter": self.n_iter_,
            "t": int(self.t_),
            "loss": None if getattr(self, "loss_", None) is None else float(self.loss_),
            "no_improvement_count": int(self._no_improvement_count),
            "best_loss": float_to_json(self.best_loss_),
            "best_validation_score": float_to_json(self.best_validation_score_),
            "loss_curve": self.loss_curve_,
            "validation_loss_curve": self.validation_loss_curve_,
            "validation_scores": self.validation_scores_,
            "target": self._target_info(),
            "trainer": self._trainer.training_state(),
            "optimizer": self._trainer.optimizer.name,
        }
        if hasattr(self, "feature_names_in_"):
            info["feature_names_in"] = [str(n) for n in self.feature_names_in_]
        save(self.network_, path, opt_state=self._trainer.opt_state,
             metadata={"estimator": info})

    @classmethod
    def load(cls, path, *, custom_objects=None):
        """Read an estimator written by :meth:`save`."""
        from ..io import ModelFileError, load_with_state

        network, opt_state, extra = load_with_state(path, custom_objects=custom_objects)
        info = extra.get("estimator")
        if not isinstance(info, dict) or info.get("class") != cls.__name__:
            found = info.get("class") if isinstance(info, dict) else "no estimator"
            raise ModelFileError(f"holds {found}, not a {cls.__name__}", str(path))
        try:
            check_estimator_info(info)
            if info["n_features_in"] != network.network_input_size:
                raise ValueError(f"extra.estimator.n_features_in is {info['n_features_in']} "
                                 f"but the network takes {network.network_input_size}")
            estimator = cls(**{k: param_from_json(v) for k, v in info["params"].items()})
            estimator._check_architecture(network)
            estimator.network_ = network
            estimator.n_features_in_ = int(info["n_features_in"])
            restore_fitted(estimator, info)
            estimator._restore_target(info["target"])
            if "feature_names_in" in info:
                estimator.feature_names_in_ = np.array(info["feature_names_in"], dtype=object)
            estimator._make_trainer(network, np.random.default_rng())
            trainer_state = legacy_rates(info["trainer"], estimator._trainer.optimizer)
            opt_state = legacy_velocity(info, opt_state, estimator._trainer.optimizer)
            estimator._trainer.set_training_state(trainer_state, opt_state, resume_split=False)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"the estimator cannot be rebuilt: {exc}", str(path)) from exc
        return estimator


# -- scikit-learn's epoch end ------------------------------------------------------------------


# -- model files ------------------------------------------------------------------------------


class FFNNClassifier(ClassifierMixin, _BaseFFNN):
    """Feed-forward network classifier with backpropagation by hand.

    Two classes: one sigmoid output and binary cross-entropy; more: softmax and
    cross-entropy; multilabel indicator targets: one sigmoid per label. Parameters follow
    scikit-learn's ``MLPClassifier`` (see the module docstring for ``alpha``), plus ``l1``,
    ``penalize_biases``, ``initializer``, ``loss``, more ``solver`` names (``'gd'``, ``'momentum'``,
    ``'nesterov'``, ``'adagrad'``, ``'rmsprop'``, ``'adamw'`` or an ffnn optimizer object),
    ``activation`` per hidden layer (a list) and any ffnn activation. ``hidden_layer_sizes=()``
    is logistic regression.

{parameters}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
{attributes}
    """

    _metric = "accuracy"  # the validation score of early stopping, as scikit-learn's

    @property
    def y_type_(self) -> str:
        """The kind of targets seen in fit, in :func:`sklearn.utils.multiclass.type_of_target`'s
        words: ``"binary"``, ``"multiclass"`` or ``"multilabel-indicator"``."""
        return self._label_binarizer.y_type_

    def _output(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "sigmoid"

    def _default_loss(self):
        return ("cross_entropy" if self._label_binarizer.y_type_ == "multiclass"
                else "binary_cross_entropy")

    def _validate_xy(self, X, y, *, reset, incremental, classes):
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             accept_sparse=_SPARSE, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if incremental and classes is not None and not reset \
                and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        if reset:  # scikit-learn's: from y, or on a first partial_fit from classes
            binarizer = LabelBinarizer()
            binarizer.fit(y if multilabel or not incremental else classes)
            self._label_binarizer = binarizer
            self.classes_ = unique_labels(classes) if incremental else binarizer.classes_
        if incremental or not reset:
            self._check_labels(y)
        return X, self._binarized(y, X.dtype)

    def _binarized(self, y, dtype) -> np.ndarray:
        """``LabelBinarizer.transform(y)`` in ``dtype``; for labels in one column made here
        directly (its own way builds a sparse matrix first: milliseconds a call, more than
        a hundred iris epochs on the JAX engine)."""
        binarizer = self._label_binarizer
        classes = binarizer.classes_
        if y.ndim == 1 and binarizer.y_type_ in ("binary", "multiclass"):
            try:
                index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
                known = classes[index] == y
            except TypeError:  # labels that do not sort with the classes
                known = None
            if isinstance(known, np.ndarray) and known.all():  # else as LabelBinarizer does
                if binarizer.y_type_ == "binary":  # one column: the second class
                    return (index == 1).astype(dtype)[:, None]
                Y = np.zeros((len(y), len(classes)), dtype)
                Y[np.arange(len(y)), index] = 1
                return Y
        return binarizer.transform(y).astype(dtype)

    def _check_labels(self, y) -> None:
        """scikit-learn's rule for a warm start or partial_fit: with ``warm_start`` the
        same classes as before, else no class outside ``classes_``."""
        labels = unique_labels(y)
        if self.warm_start:
            if set(labels) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {labels}")
        elif len(np.setdiff1d(labels, self.classes_, assume_unique=True)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {labels}.")

    def _target_info(self) -> dict:
        return {"y_type": self._label_binarizer.y_type_, "classes": self.classes_.tolist()}

    def _restore_target(self, info: dict) -> None:
        kinds = ("binary", "multiclass", "multilabel-indicator")
        if info.get("y_type") not in kinds:
            raise ValueError(f"extra.estimator.target.y_type must be one of "
                             f"{', '.join(kinds)}, got {info.get('y_type')!r}")
        labels = info.get("classes")
        if not (isinstance(labels, list) and labels and all(
                isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in labels)):
            raise ValueError("extra.estimator.target.classes must be a list of class labels "
                             f"(strings or numbers), got {labels!r}")
        classes = np.array(labels)
        binarizer = LabelBinarizer()
        if info["y_type"].startswith("multilabel"):
            binarizer.fit(np.eye(len(classes), dtype=int))
        else:
            binarizer.fit(classes)
        if binarizer.y_type_ != info["y_type"]:
            raise ValueError(f"classes {info['classes']} do not make a {info['y_type']} target")
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing the weights and the optimizer state.

        ``classes`` (all the labels to expect; for multilabel targets the column indices) is
        required on the first call and, when given later, must be the same. ``n_iter_`` is 1
        afterwards, as scikit-learn's. Parameters in ``SGDClassifier``'s order
        (``MLPClassifier`` puts ``sample_weight`` third): pass them by name.
        """
        if getattr(self, "classes_", None) is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def decision_function(self, X):
        """The output layer's logits ``z``: shape (n_samples,) for two classes."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32),
                          accept_sparse=_SPARSE)
        _, zs, _ = self.network_.feed_forward_saver(
            X.astype(self.network_.dtype, copy=False)
        )
        return zs[-1].ravel() if zs[-1].shape[1] == 1 else zs[-1]

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        p = self._forward(X)
        if p.shape[1] == 1 and self._label_binarizer.y_type_ == "binary":
            return np.hstack([1 - p, p])
        return p

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class labels (indicator rows for multilabel targets)."""
        p = self._forward(X)
        if p.shape[1] == 1:
            p = p.ravel()
        return self._label_binarizer.inverse_transform(p)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FFNNRegressor(RegressorMixin, _BaseFFNN):
    """Feed-forward network regressor (identity outputs, mean squared error by default).

    Parameters follow scikit-learn's ``MLPRegressor``; see :class:`FFNNClassifier` for the
    additions. Multi-output targets give one output per column.

{parameters}
    Attributes
    ----------
{attributes}
    """

    _metric = "r2"  # the validation score of early stopping, as scikit-learn's

    def _output(self):
        # scikit-learn's: loss="poisson" predicts through exp (the log link)
        loss = None if self.loss is None else get_loss(self.loss, "loss")
        return loss.output_activation if loss is not None and loss.task == "regression" \
            else "identity"

    def _default_loss(self):
        return "mse"

    def _validate_xy(self, X, y, *, reset, incremental, classes):
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), accept_sparse=_SPARSE,
                             reset=reset)
        self._y_1d = y.ndim == 1 if reset else self._y_1d
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if self.loss is not None:  # poisson: y >= 0, said in terms of y
            get_loss(self.loss, "loss").check_targets(Y, "y")
        return X, Y.astype(X.dtype, copy=False)

    def _target_info(self) -> dict:
        return {"y_1d": bool(self._y_1d)}

    def _restore_target(self, info: dict) -> None:
        self._y_1d = bool(info["y_1d"])

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing the weights and the optimizer state
        (``n_iter_`` is 1 afterwards, as scikit-learn's)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted targets, shape (n_samples,) for one output (as scikit-learn's
        MLPRegressor, whatever the shape of ``y`` in fit), else (n_samples, n_outputs)."""
        y = self._forward(X)
        return y.ravel() if y.shape[1] == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


# One Parameters section for both estimators.
_PARAMETERS_DOC = """    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        The hidden layers' widths; ``()`` for none (logistic or linear regression).
    activation : str, Activation, (f, f_prime) or a list of them, default "relu"
        The hidden activation, or one per hidden layer: any ffnn name (``"identity"``,
        ``"logistic"``/``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"elu"``,
        ``"softplus"``, ``"silu"``, ``"gelu"``), object or pair.
    solver : str or GradientTransformation, default "adam"
        ``"sgd"`` and ``"adam"`` are scikit-learn's formulas
        (:class:`~ffnn.optim.optimizers.SklearnSGD` with ``momentum`` and
        ``nesterovs_momentum``, plain SGD without momentum;
        :class:`~ffnn.optim.optimizers.SklearnAdam`); any other ffnn optimizer name
        (``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adamw"``,
        ``"nadam"``: PyTorch's formulas) or an optimizer object (its own ``lr``).
        ``"lbfgs"``: SciPy's L-BFGS-B over the whole training set
        (:class:`~ffnn.optim.optimizers.LBFGS`, ``tol`` its ``gtol``, with ``max_iter`` and
        ``max_fun``), as scikit-learn's: no mini-batches, no early stopping, no
        ``partial_fit``; a ``ConvergenceWarning`` when it stops before converging.
    alpha : float, default 1e-4
        L2 penalty ``(alpha/2) Σ‖W‖²`` in the cost, not divided by the batch size (scikit-learn
        divides its own: ``alpha_ffnn = alpha_sklearn / batch_size`` for a classifier,
        ``2 alpha_sklearn / (batch_size · n_outputs)`` for a regressor; see
        :func:`ffnn.sklearn.baselines.mlp_alpha`).
    l1 : float, default 0
        L1 penalty ``l1 Σ|W|``.
    penalize_biases : bool, default False
        The L1 and L2 penalties cover the biases too, exactly as the weights (scikit-learn's
        MLP penalizes the weights only, the default here).
    batch_size : int or "auto", default "auto"
        ``min(200, n_samples)`` for ``"auto"``.
    learning_rate : {"constant", "invscaling", "adaptive"} or Schedule, default "constant"
        scikit-learn's, for every solver (there: ``"sgd"`` only): ``"invscaling"`` is
        ``learning_rate_init / (t_ + 1)^power_t`` after each epoch (``t_``: samples seen);
        ``"adaptive"`` divides the rate by 5 where the stopping rule would stop, and stops
        once it is at most 1e-6. A Schedule is a function of the optimizer's step count.
    learning_rate_init : float, default 1e-3
    power_t : float, default 0.5
    max_iter : int, default 200
        Epochs per ``fit``.
    shuffle : bool, default True
        A new order of the samples each epoch; False takes the batches in the data's order.
    random_state : int, RandomState instance or None, default None
        Seeds the initial weights and the shuffling (two generators spawned from it).
    tol : float, default 1e-4
        An epoch improves when the training loss falls by more than ``tol`` below the best
        (or, with early stopping, the validation score rises by at least ``tol``).
    verbose : bool, default False
        Print scikit-learn's lines: ``Iteration n, loss = …`` every epoch (and ``Validation
        score: …`` with early stopping), then why it stopped.
    warm_start : bool, default False
        ``fit`` continues from the current weights and optimizer state.
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out ``validation_fraction`` and stop on its score (accuracy for a classifier,
        R² for a regressor, as scikit-learn), ending with the best-scoring weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        Adam's (and AdamW's, NAdam's).
    n_iter_no_change : int or np.inf, default 10
        Training stops after more than this many epochs in a row without an improvement
        of ``tol`` (scikit-learn's rule); ``np.inf`` never stops early.
    max_fun : int, default 15000
        ``solver="lbfgs"`` only: the most evaluations of the cost and its gradient (its
        line search may take several an iteration).
    initializer : {"glorot", "he", "normal"} or callable, default "glorot"
    loss : str, Loss or None, default None
        None: from the targets (cross-entropies for classes, mse for regression).
    device : {"cpu", "gpu"}, jax.Device or None, default None
        Where a fit on the JAX engine trains (``ffnn.train``'s ``device``; the JAX engine
        takes the fits that pay for compiling, see ``engine_``). A model file keeps the
        device's kind (``"cpu"``, ``"gpu"``). Predictions run on NumPy.
"""
# One Attributes section for both ({score}: the validation score of early stopping).
_ATTRIBUTES_DOC = """    network_ : Network
    coefs_, intercepts_ : lists of ndarray
        Views of the network's weights and biases, one per layer: editing them in place
        or assigning one (``coefs_[0] = W``, same shape) edits the model.
    out_activation_ : str
        ``'logistic'``, ``'softmax'``, ``'identity'`` or ``'exp'`` (scikit-learn's names).
    loss_ : float
        The last epoch's training loss: ffnn's cost, with the penalty ``(alpha/2) Σ‖W‖²``
        (scikit-learn's ``loss_`` divides its penalty by the batch size and halves the
        squared error).
    loss_curve_ : list of float
        Training loss per epoch, over every call since the last cold ``fit``.
    best_loss_ : float or None
        The lowest training loss (any decrease counts); None with ``early_stopping=True``.
    validation_scores_ : list of float or None
        With ``early_stopping=True``: the {score} on the validation part, per epoch; else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, whose weights the model holds; else None.
    validation_loss_curve_ : list of float or None
        With ``early_stopping=True``: the validation loss per epoch (ffnn's); else None.
    n_iter_ : int
        Epochs run by the last call (``partial_fit``: 1), as scikit-learn's.
    t_ : int
        Training samples seen by the optimizer, over every call since the last cold ``fit``.
    n_layers_, n_outputs_, n_features_in_ : int
    history_ : History
        Of the last call to ``fit`` or ``partial_fit``.
    engine_ : str
        The path that trained in that call: ``"jax"`` or ``"numpy"``.
    engine_reason_ : str
        Why it was not the JAX engine ("" when it was)."""
for _estimator, _score in ((FFNNClassifier, "accuracy"), (FFNNRegressor, "R²")):
    _estimator.__doc__ = (_estimator.__doc__.replace("{parameters}", _PARAMETERS_DOC.rstrip())
                          .replace("{attributes}", _ATTRIBUTES_DOC.format(score=_score)))
