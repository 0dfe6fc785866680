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
(:func:`ffnn.baselines.mlp_alpha` converts both ways).

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
import numbers
import warnings
from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._validation import check_flag, check_penalty, is_integer, is_real, warn_caller
from .activations import Activation, get_activation, is_single_activation
from .losses import Poisson, get_loss
from .network import Network
from .optimizers import (
    OPTIMIZER_NAMES,
    OPTIMIZERS,
    SGD,
    GradientTransformation,
    Momentum,
    Nesterov,
    copy_state,
    state_layout,
)
from .paths import check_device
from .schedules import Schedule
from .training import Callback, FallbackWarning, Trainer

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
            return _ScikitLearnRate(lr, self.learning_rate, self.power_t)
        raise ValueError(
            f"learning_rate must be one of {LEARNING_RATES} or a Schedule, "
            f"got {self.learning_rate!r}"
        )

    def _optimizer(self) -> GradientTransformation:
        solver = self.solver
        if isinstance(solver, GradientTransformation):
            return copy.deepcopy(solver)
        if solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' is not supported: ffnn trains by gradient steps; use one of "
                f"{', '.join(SOLVERS)} or an ffnn optimizer object"
            )
        if not isinstance(solver, str) or solver not in SOLVERS:
            raise ValueError(
                f"solver must be one of {', '.join(SOLVERS)} or an ffnn optimizer object, "
                f"got {solver!r}"
            )
        lr = self._schedule()
        if solver == "sgd":
            if self.momentum == 0:
                return SGD(lr)
            return (Nesterov if self.nesterovs_momentum else Momentum)(lr, self.momentum)
        cls = OPTIMIZERS.lookup(solver, "solver")
        # The hyperparameters the optimizer declares scikit-learn names for.
        kwargs = {
            name: tuple(getattr(self, n) for n in ours) if isinstance(ours, tuple)
            else getattr(self, ours)
            for name, ours in cls.sklearn_params.items()
        }
        return cls(lr, **kwargs)

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

    def _make_trainer(self, network: Network, shuffle_rng) -> None:
        loss = get_loss(self.loss if self.loss is not None else self._default_loss(), "loss")
        # The guard's loss test is off (factor inf): scikit-learn trains on through a loss
        # that grows; weights that stop being finite end the fit with its ValueError.
        self._trainer = Trainer(
            network, loss, self._optimizer(), l1=self.l1, l2=self.alpha,
            penalize_biases=self.penalize_biases, batch_size=None, metric=self._metric,
            seed=shuffle_rng, verbose=0, divergence_factor=math.inf, device=self.device,
        )
        self.network_ = network

    def _refresh_trainer(self, incremental: bool) -> None:
        """A warm start or partial_fit: continue, but with the parameters as they are now
        (scikit-learn re-reads them on every fit). The optimizer's state is kept when the
        optimizer still has the same state (same kind of optimizer), else started afresh."""
        network, trainer = self.network_, self._trainer
        hidden = self._hidden_sizes()
        activations = self._hidden_activations(len(hidden))
        if (list(network.layer_output_sizes[:-1]) != hidden
                or list(network.activation_funcs[:-1]) != activations):
            raise ValueError(
                "warm_start and partial_fit need the architecture of the previous fit "
                f"({network}); hidden_layer_sizes or activation changed"
            )
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
        trainer.optimizer = optimizer
        if state_layout(fresh) != state_layout(trainer.opt_state):
            trainer.opt_state = fresh

    def _run(self, X, Y, sample_weight, incremental: bool, fresh: bool) -> None:
        """One call's epochs with scikit-learn's bookkeeping (``_fit_stochastic``)."""
        trainer = self._trainer
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
        with warnings.catch_warnings():
            # scikit-learn's users choose no engine: engine_reason_ says why it is NumPy
            warnings.simplefilter("ignore", FallbackWarning)
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
        return _ScikitLearnRule(
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
        return _Views((W for W, _ in self.network_.layers), "coefs_")

    @coefs_.setter
    def coefs_(self, coefs) -> None:
        self._assign_layers(coefs, 0, "coefs_")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, one per layer: views of the network's parameters, as ``coefs_``."""
        check_is_fitted(self)
        return _Views((b for _, b in self.network_.layers), "intercepts_")

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
        self.network_._assign_all(pairs, name)

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
        from .io import save

        check_is_fitted(self)
        info = {
            "class": type(self).__name__,
            "params": {k: _param_to_json(k, v) for k, v in self.get_params().items()},
            "n_features_in": int(self.n_features_in_),
            "n_iter": self.n_iter_,
            "t": int(self.t_),
            "loss": None if getattr(self, "loss_", None) is None else float(self.loss_),
            "no_improvement_count": int(self._no_improvement_count),
            "best_loss": _float_to_json(self.best_loss_),
            "best_validation_score": _float_to_json(self.best_validation_score_),
            "loss_curve": self.loss_curve_,
            "validation_loss_curve": self.validation_loss_curve_,
            "validation_scores": self.validation_scores_,
            "target": self._target_info(),
            "trainer": self._trainer.training_state(),
        }
        if hasattr(self, "feature_names_in_"):
            info["feature_names_in"] = [str(n) for n in self.feature_names_in_]
        save(self.network_, path, opt_state=self._trainer.opt_state,
             metadata={"estimator": info})

    @classmethod
    def load(cls, path, *, custom_objects=None):
        """Read an estimator written by :meth:`save`."""
        from .io import ModelFileError, load_with_state

        network, opt_state, extra = load_with_state(path, custom_objects=custom_objects)
        info = extra.get("estimator")
        if not isinstance(info, dict) or info.get("class") != cls.__name__:
            found = info.get("class") if isinstance(info, dict) else "no estimator"
            raise ModelFileError(f"holds {found}, not a {cls.__name__}", str(path))
        try:
            _check_estimator_info(info)
            if info["n_features_in"] != network.network_input_size:
                raise ValueError(f"extra.estimator.n_features_in is {info['n_features_in']} "
                                 f"but the network takes {network.network_input_size}")
            estimator = cls(**{k: _param_from_json(v) for k, v in info["params"].items()})
            estimator.network_ = network
            estimator.n_features_in_ = int(info["n_features_in"])
            _restore_fitted(estimator, info)
            estimator._restore_target(info["target"])
            if "feature_names_in" in info:
                estimator.feature_names_in_ = np.array(info["feature_names_in"], dtype=object)
            estimator._make_trainer(network, np.random.default_rng())
            trainer_state = _legacy_rates(info["trainer"], estimator._trainer.optimizer)
            estimator._trainer.set_training_state(trainer_state, opt_state, resume_split=False)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"the estimator cannot be rebuilt: {exc}", str(path)) from exc
        return estimator


# -- scikit-learn's epoch end ------------------------------------------------------------------

def update_no_improvement_count(value: float, best: float, count: int, tol: float, *,
                                higher_is_better: bool = False) -> tuple[int, float, bool]:
    """One epoch of scikit-learn's ``_update_no_improvement_count``.

    Without early stopping ``value`` is the training loss: the count grows unless
    ``value <= best - tol`` (else it is 0), and ``best`` follows any decrease. With early
    stopping (``higher_is_better``) ``value`` is the validation score: the count grows while
    ``value < best + tol``, and ``best`` follows any increase. NaN never improves and resets
    the count, as there. Training stops (or ``'adaptive'`` divides the rate by 5) once the
    count exceeds ``n_iter_no_change``.

    Returns
    -------
    count : int
    best : float
    improved : bool
        Whether ``value`` is the new best (with early stopping: keep these weights).
    """
    if higher_is_better:
        count = count + 1 if value < best + tol else 0
        improved = value > best
    else:
        count = count + 1 if value > best - tol else 0
        improved = value < best
    return count, (value if improved else best), improved


class _ScikitLearnRate(Schedule):
    """scikit-learn's ``'invscaling'`` and ``'adaptive'`` rates (its ``SGDOptimizer``): constant
    within an epoch; after each epoch ``'invscaling'`` is ``lr / (t + 1)^power_t`` with ``t``
    the samples seen so far, and ``'adaptive'`` is divided by 5 when the stopping rule fires
    (:meth:`trigger_stopping`). A new object starts at ``lr``, as scikit-learn's optimizer
    does on every fit (``partial_fit`` keeps it).

    ``'invscaling'`` is a function of the step, so that the JAX engine may run many epochs
    a call: anchored (:meth:`anchor`, :meth:`iteration_ends`) at step ``s₀`` with ``t₀``
    samples seen and the rate ``r₀``, with ``k = ⌈n_train / batch_size⌉`` steps an epoch, step
    ``s`` is in epoch ``e = ⌊(s − s₀) / k⌋`` after the anchor's and gets ``r₀`` for ``e = 0``,
    ``lr / (t₀ + e n_train + 1)^power_t`` after: the rate :meth:`iteration_ends` would have
    set at the end of the epoch before. Unanchored, the rate is ``r₀``."""

    def __init__(self, lr: float, schedule: str = "invscaling", power_t: float = 0.5):
        self.lr = float(lr)
        self.schedule = schedule
        self.power_t = float(power_t)
        self._current = self.lr
        # The anchor (not state: every fit and partial_fit sets it again); 0 steps: none.
        self._step0 = self._samples0 = self._n_train = self._steps = 0

    def __call__(self, step):
        if self.schedule != "invscaling" or not self._steps:
            return self._current
        e = (int(step) - self._step0) // self._steps
        if e <= 0:
            return self._current
        return self.lr / (self._samples0 + e * self._n_train + 1) ** self.power_t

    def anchor(self, step: int, samples: int, n_train: int, batch_size: int) -> None:
        """The current rate holds for the epoch that starts at optimizer step ``step``, with
        ``samples`` seen before it; every epoch has ``⌈n_train / batch_size⌉`` steps."""
        self._step0, self._samples0, self._n_train = int(step), int(samples), int(n_train)
        self._steps = -(-int(n_train) // int(batch_size))

    def iteration_ends(self, samples: int, step: int) -> None:
        """The end of an epoch, after which ``samples`` have been seen and the optimizer has
        taken ``step`` steps: ``'invscaling'`` sets ``lr / (samples + 1)^power_t``."""
        if self.schedule == "invscaling":
            self._current = self.lr / (samples + 1) ** self.power_t
            self._step0, self._samples0 = int(step), int(samples)

    def trigger_stopping(self) -> bool:
        """Whether to stop; ``'adaptive'`` divides the rate by 5 instead while it is > 1e-6."""
        if self.schedule != "adaptive" or self._current <= 1e-6:
            return True
        self._current /= 5.0
        return False

    def state_dict(self):
        return {"current": self._current}

    def load_state_dict(self, state):
        self._current = float(state["current"])


class _ScikitLearnRule(Callback):
    """scikit-learn's end of an epoch (``_fit_stochastic``), as a callback, so that every path
    (the JAX engine too) runs it: samples seen, the no-improvement count on the training
    loss or (early stopping) on the validation score, the best weights, the learning rate's
    ``iteration_ends``, and the stop. It restores the best weights at the end."""

    def __init__(self, *, monitor: str, tol: float, n_iter_no_change, count: int, best: float,
                 samples: int, n_train: int, restore_best: bool, from_start: bool,
                 verbose: bool = False):
        self.monitor, self.tol, self.n_iter_no_change = monitor, tol, n_iter_no_change
        self.count, self.best, self.samples, self.n_train = count, best, samples, n_train
        self.restore_best, self.from_start, self.verbose = restore_best, from_start, verbose
        self.best_params = self.best_epoch = self.rate = None
        self.restored = False  # whether the best weights were put back at the end

    def on_train_begin(self, trainer):
        # scikit-learn's _best_coefs: a copy of the initial weights on a first fit; on a warm
        # start, the weights themselves (after early stopping its coefs_ *is* _best_coefs, so
        # training moves both) until an epoch improves on the best score.
        self.best_params = (trainer.network.params.copy()
                            if self.restore_best and self.from_start else None)
        self.rate = next((s for s in trainer.optimizer.schedules
                          if isinstance(s, _ScikitLearnRate)), None)
        if self.rate is not None:  # its rate so far holds for this call's first epoch
            self.rate.anchor(trainer.opt_state["step"], self.samples, self.n_train,
                             trainer.batch_size or self.n_train)

    def epochs_heard_late(self, trainer):
        """Epochs it may hear of after a call that trained them all: until the count could
        first pass ``n_iter_no_change`` (it grows by at most one an epoch), nothing it does
        reaches the training, unless it keeps the best epoch's weights (early stopping).
        (``'invscaling'``'s rates are the schedule's own, from its anchor.)"""
        if self.restore_best:
            return 1
        left = self.n_iter_no_change - self.count + 1
        return int(min(left, 2**62))

    def on_epochs_end(self, trainer, first_epoch, logs):
        """Epochs heard late: the count and the best over all but the last (which, by
        :meth:`epochs_heard_late`, cannot stop the run nor improve weights anyone keeps),
        then the last one's whole end."""
        monitor, tol, score = self.monitor, self.tol, self.monitor != "loss"
        count, best = self.count, self.best
        for i, entry in enumerate(logs[:-1]):
            self._say(first_epoch + i, entry)
            count, best, _ = update_no_improvement_count(entry[monitor], best, count, tol,
                                                         higher_is_better=score)
        self.count, self.best = count, best
        self.samples += self.n_train * (len(logs) - 1)
        self.on_epoch_end(trainer, first_epoch + len(logs) - 1, logs[-1])

    def _say(self, epoch: int, logs) -> None:
        """scikit-learn's verbose lines for an epoch."""
        if self.verbose:
            print(f"Iteration {epoch + 1}, loss = {logs['loss']:.8f}")
            if self.monitor != "loss":
                print(f"Validation score: {logs[self.monitor]:f}")

    def on_epoch_end(self, trainer, epoch, logs):
        self._say(epoch, logs)
        self.samples += self.n_train
        score = self.monitor != "loss"
        self.count, self.best, improved = update_no_improvement_count(
            logs[self.monitor], self.best, self.count, self.tol, higher_is_better=score)
        if improved and self.restore_best:
            self.best_params, self.best_epoch = trainer.network.params.copy(), epoch
        if self.rate is not None:
            self.rate.iteration_ends(self.samples, trainer.opt_state["step"])
        if self.count > self.n_iter_no_change:
            message = (f"{'Validation score' if score else 'Training loss'} did not improve "
                       f"more than tol={self.tol:f} for {self.n_iter_no_change} consecutive "
                       "epochs.")
            if self.rate is not None and not self.rate.trigger_stopping():
                self.count = 0  # 'adaptive': a fifth of the rate, and on
                if self.verbose:
                    print(f"{message} Setting learning rate to {self.rate._current:f}")
                return
            adaptive = self.rate is not None and self.rate.schedule == "adaptive"
            trainer.stop_training = True
            trainer.stop_reason = "early_stopping"
            trainer.stop_message = (message + (" Learning rate too small." if adaptive else "")
                                    + " Stopping.")
            if self.verbose:
                print(trainer.stop_message)

    def on_train_end(self, trainer):
        # After a divergence too: the best-scoring weights, as scikit-learn ends with them.
        if self.best_params is not None:
            trainer.network.params[...] = self.best_params
            trainer.best_epoch = self.best_epoch
            self.restored = True
        self.best_params = None  # no copy left behind


# -- model files ------------------------------------------------------------------------------

def _float_to_json(value):
    """None, a number, or "inf"/"-inf" (JSON has no infinity)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def _float_from_json(value):
    return value if value is None else float(value)


def _restore_fitted(est, info: dict) -> None:
    """The fitted attributes of :meth:`_BaseFFNN.save`; a file written before 0.2 (no
    ``t``) gets scikit-learn's values for what it lacked."""
    early_stopping = bool(est.early_stopping)
    est.n_iter_ = int(info["n_iter"])
    est.loss_curve_ = list(info["loss_curve"])
    if "t" not in info:
        info = {**info, "t": 0, "no_improvement_count": 0,
                "loss": est.loss_curve_[-1] if est.loss_curve_ else None,
                "best_loss": None if early_stopping or info["best_loss"] is None
                else info["best_loss"],
                "best_validation_score": (max(info["validation_scores"], default="-inf")
                                          if early_stopping else None)}
        if not early_stopping:
            info["validation_scores"] = info["validation_loss_curve"] = None
    curves = {"validation_scores_": info["validation_scores"],
              "validation_loss_curve_": info["validation_loss_curve"]}
    for name, values in curves.items():
        setattr(est, name, None if values is None else list(values))
    est.t_ = int(info["t"])
    est._no_improvement_count = int(info["no_improvement_count"])
    if info["loss"] is not None:
        est.loss_ = float(info["loss"])
    est.best_loss_ = _float_from_json(info["best_loss"])
    est.best_validation_score_ = _float_from_json(info["best_validation_score"])


def _legacy_rates(state: dict, optimizer) -> dict:
    """Files written before 0.2 kept a ReduceOnPlateau's or InverseScaling's state for
    'adaptive' or 'invscaling': its current rate (else the initial one) carries over."""
    saved, schedules = state.get("schedules"), optimizer.schedules
    if not (isinstance(saved, list) and len(saved) == len(schedules)):
        return state  # the trainer's own checks say what is wrong
    fixed = [{"current": old.get("current", new.lr)}
             if isinstance(new, _ScikitLearnRate) and isinstance(old, dict)
             and set(old) != {"current"} else old
             for new, old in zip(schedules, saved)]
    return {**state, "schedules": fixed}


def _param_to_json(name: str, value):
    """A parameter as JSON: numbers (``{"float": "inf"}`` for one JSON cannot hold, such as
    ``n_iter_no_change=np.inf``), strings, None, lists, and built-in activations."""
    from .io import activation_to_config

    if (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
            and not math.isfinite(value)):
        return {"float": repr(float(value))}  # 'inf', '-inf' or 'nan'
    if value is None or isinstance(value, (bool, str, numbers.Integral, numbers.Real)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (list, tuple)):
        items = [_param_to_json(name, v) for v in value]
        return {"tuple": items} if isinstance(value, tuple) else items
    if name == "device" and hasattr(value, "platform"):  # a jax.Device: its kind
        return str(value.platform)
    if isinstance(value, Activation):
        config = activation_to_config(value)
        if "custom" not in config:
            return {"activation": config}
    raise TypeError(
        f"cannot save parameter {name}={value!r} in a model file: use names and numbers "
        "(a solver name instead of an optimizer object, a built-in activation, ...)"
    )


def _param_from_json(value):
    from .io import activation_from_config

    if isinstance(value, list):
        return [_param_from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"tuple"} and isinstance(value["tuple"], list):
            return tuple(_param_from_json(v) for v in value["tuple"])
        if set(value) == {"activation"} and isinstance(value["activation"], dict):
            return activation_from_config(value["activation"])
        if set(value) == {"float"} and value["float"] in ("inf", "-inf", "nan"):
            return float(value["float"])
        raise ValueError(f"a parameter object must be {{'tuple': [...]}}, "
                         f"{{'activation': {{...}}}} or {{'float': 'inf' | '-inf' | 'nan'}}, "
                         f"got {value!r}"[:300])
    return value


def _numbers(value, field: str) -> list[float]:
    if not (isinstance(value, list) and all(is_real(v) for v in value)):
        raise ValueError(f"{field} must be a list of numbers")
    return [float(v) for v in value]


class _Views(list):
    """A layer's arrays as views of the network's parameters; ``est.coefs_[i] = W`` writes
    ``W`` into the model (as it does in scikit-learn, whose lists hold the model's arrays)."""

    def __init__(self, arrays, name: str):
        super().__init__(arrays)
        self.name = name

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raise TypeError(f"{self.name}[{index.start}:{index.stop}] = ...: assign one "
                            f"layer's array at a time, or the whole list to {self.name}")
        target = super().__getitem__(index)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self.name}[{index}] must have shape {target.shape}, got "
                             f"{value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{self.name}[{index}] must be finite")
        target[...] = value


def _check_estimator_info(info: dict) -> None:
    """The types of what :meth:`_BaseFFNN.save` wrote, checked before anything is built."""
    where = "extra.estimator"
    kinds = {"class": str, "params": dict, "target": dict, "trainer": dict}
    for key, kind in kinds.items():
        if not isinstance(info.get(key), kind):
            raise ValueError(f"{where}.{key} must be a {kind.__name__}, got "
                             f"{type(info.get(key)).__name__}")
    optional = ("t", "no_improvement_count")  # written since 0.2
    for key in ("n_features_in", "n_iter", *optional):
        if key in optional and key not in info:
            continue
        if not (is_integer(info.get(key)) and info[key] >= 0):
            raise ValueError(f"{where}.{key} must be an integer >= 0, got {info.get(key)!r}")
    for key in ("best_loss", "best_validation_score", "loss"):
        value = info.get(key)
        if not (value is None or is_real(value) or value in ("inf", "-inf")):
            raise ValueError(f"{where}.{key} must be a number, \"inf\", \"-inf\" or null, "
                             f"got {value!r}")
    _numbers(info.get("loss_curve"), f"{where}.loss_curve")
    for key in ("validation_loss_curve", "validation_scores"):
        if info.get(key) is not None:
            _numbers(info.get(key), f"{where}.{key}")
    names = info.get("feature_names_in")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str)
                                                                  for n in names)
                                  and len(names) == info["n_features_in"]):
        raise ValueError(f"{where}.feature_names_in must be {info['n_features_in']} strings "
                         "(one per feature)")
    unknown = sorted(set(info) - {*kinds, "n_features_in", "n_iter", "best_loss",
                                  "loss_curve", "validation_loss_curve", "validation_scores",
                                  "feature_names_in", "t", "loss", "no_improvement_count",
                                  "best_validation_score"})
    if unknown:
        raise ValueError(f"{where} has unexpected entries {unknown}")


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
        classes = np.array(info["classes"])
        binarizer = LabelBinarizer()
        if info["y_type"].startswith("multilabel"):
            binarizer.fit(np.eye(len(classes), dtype=int))
        else:
            binarizer.fit(classes)
        if binarizer.y_type_ != info["y_type"]:
            raise ValueError(f"classes {info['classes']} do not make a {info['y_type']} target")
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_

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
        _, zs, _ = self.network_._feed_forward_saver(
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
        poisson = self.loss is not None and isinstance(get_loss(self.loss, "loss"), Poisson)
        return "exp" if poisson else "identity"

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

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing the weights and the optimizer state
        (``n_iter_`` is 1 afterwards, as scikit-learn's)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        y = self._forward(X)
        return y.ravel() if self._y_1d else y

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
        ``"sgd"`` (scikit-learn's: with ``momentum`` and ``nesterovs_momentum``), any ffnn
        optimizer name (``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
        ``"adam"``, ``"adamw"``, ``"nadam"``) or an optimizer object (its own ``lr``).
        ``"lbfgs"`` is refused.
    alpha : float, default 1e-4
        L2 penalty ``(alpha/2) Σ‖W‖²`` in the cost, not divided by the batch size (scikit-learn
        divides its own: ``alpha_ffnn = alpha_sklearn / batch_size`` for a classifier,
        ``2 alpha_sklearn / (batch_size · n_outputs)`` for a regressor; see
        :func:`ffnn.baselines.mlp_alpha`).
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
