"""scikit-learn estimators: :class:`FFNNClassifier` and :class:`FFNNRegressor`.

They take scikit-learn's ``MLPClassifier``/``MLPRegressor`` parameter names and value names,
and add what its users have asked for: per-layer and custom activations (``leaky_relu``,
``elu``, pairs, objects), custom losses, the L1 penalty ``l1``, more solvers, a validation
loss history, early stopping on the (validation) loss, and optimizer state kept across
``warm_start`` and ``partial_fit``.

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
import numbers
from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._validation import check_flag, check_penalty, is_integer, is_real, warn_caller
from .activations import Activation, get_activation, is_single_activation
from .losses import get_loss
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
from .schedules import InverseScaling, ReduceOnPlateau, Schedule
from .training import Callback, EarlyStopping, Trainer

__all__ = ["FFNNClassifier", "FFNNRegressor", "SOLVERS"]

#: scikit-learn's "sgd" (with its momentum and nesterovs_momentum), then every optimizer name.
SOLVERS = ("sgd", *(name for name in OPTIMIZER_NAMES if name != "sgd"))
LEARNING_RATES = ("constant", "invscaling", "adaptive")



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
        if self.learning_rate == "invscaling":
            return InverseScaling(lr, self.power_t)
        if self.learning_rate == "adaptive":
            # scikit-learn divides the rate by 5 once more than n_iter_no_change epochs have
            # not improved the training loss by tol (here: by a relative tol).
            return ReduceOnPlateau(lr, factor=0.2, patience=self.n_iter_no_change + 1,
                                   threshold=min(self.tol, 0.5))
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
        if self.batch_size == "auto":
            return min(200, n_samples)
        size = self.batch_size
        if not is_integer(size) or size < 1:
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {size!r}")
        return min(int(size), n_samples)

    def _check_scalars(self) -> None:
        if not is_integer(self.max_iter) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        for name in ("alpha", "l1", "tol"):
            value = getattr(self, name)
            if not is_real(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.penalize_biases, (bool, np.bool_)):
            raise ValueError(f"penalize_biases must be True or False, got "
                             f"{self.penalize_biases!r}")
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
        self.loss_curve_ = []
        self.validation_loss_curve_ = []
        self.validation_scores_ = []
        self.n_iter_ = 0
        self.best_loss_ = np.inf

    def _callbacks(self) -> list:
        """How training stops, from ``n_iter_no_change``, ``tol``, ``early_stopping``."""
        if self.early_stopping:
            # More than n_iter_no_change epochs without the validation loss improving by
            # tol (scikit-learn's count), then the best weights come back.
            return [EarlyStopping(self.n_iter_no_change + 1, self.tol, restore_best=True,
                                  monitor="val_loss")]
        if self.learning_rate == "adaptive":
            return [_StopWhenRateVanishes()]  # the schedule lowers the rate instead
        return [EarlyStopping(self.n_iter_no_change + 1, self.tol, restore_best=False,
                              monitor="loss")]

    def _make_trainer(self, network: Network, shuffle_rng) -> None:
        loss = get_loss(self.loss if self.loss is not None else self._default_loss(), "loss")
        self._trainer = Trainer(
            network, loss, self._optimizer(), l1=self.l1, l2=self.alpha,
            penalize_biases=self.penalize_biases, batch_size=None, metric="auto",
            callbacks=self._callbacks(), seed=shuffle_rng, verbose=int(bool(self.verbose)),
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
        trainer.callbacks = self._callbacks()
        if incremental and repr(self._optimizer()) == repr(trainer.optimizer):
            return  # partial_fit goes on with the same optimizer (its schedule's state too)
        # A new fit (or new settings): a fresh optimizer object, so schedules start again,
        # keeping the moments where the state still has the same arrays.
        optimizer = self._optimizer()
        fresh = optimizer.init(network.params, network.weight_mask())
        trainer.optimizer = optimizer
        if state_layout(fresh) != state_layout(trainer.opt_state):
            trainer.opt_state = fresh

    def _run(self, X, Y, sample_weight, epochs: int, incremental: bool) -> None:
        trainer = self._trainer
        trainer.batch_size = self._batch_size(len(X))
        trainer.verbose = int(bool(self.verbose))
        use_validation = self.early_stopping and not incremental
        history = trainer.fit(
            X, Y, epochs,
            validation_fraction=self.validation_fraction if use_validation else None,
            sample_weight=sample_weight,
        )
        self.history_ = history
        self.engine_, self.engine_reason_ = history.engine, history.engine_reason
        # New lists, not +=: a fit that fails after this point gives the old ones back.
        self.loss_curve_ = self.loss_curve_ + (history["loss"] if history.epochs else [])
        if "val_loss" in history:
            self.validation_loss_curve_ = self.validation_loss_curve_ + history["val_loss"]
            self.validation_scores_ = (self.validation_scores_
                                       + history[f"val_{trainer.metric}"])
        self.n_iter_ += history.epochs
        curve = self.validation_loss_curve_ if use_validation else self.loss_curve_
        if curve:
            self.best_loss_ = float(min(curve))
        if history.diverged:
            warn_caller(history.message, RuntimeWarning)
        elif not incremental and history.stop_reason is None and epochs == self.max_iter:
            warn_caller(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.", ConvergenceWarning,
            )

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
        if not is_integer(self.n_iter_no_change) or self.n_iter_no_change < 1:
            raise ValueError(
                f"n_iter_no_change must be a positive integer, got {self.n_iter_no_change!r}"
            )
        first = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, Y = self._validate_xy(X, y, reset=first, incremental=incremental, classes=classes)
        if first:
            self._build(X.shape[1], Y.shape[1], X.dtype)
        else:
            self._refresh_trainer(incremental)
            X = X.astype(self.network_.dtype, copy=False)
        self._run(X, Y, sample_weight, 1 if incremental else self.max_iter, incremental)
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

    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.network_.predict(X)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices ``W`` of shape ``(n_in, n_out)``, one per layer (copies)."""
        check_is_fitted(self)
        return [W.copy() for W, _ in self.network_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, one per layer (copies)."""
        check_is_fitted(self)
        return [b.copy() for _, b in self.network_.layers]

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
        check_is_fitted(self)
        return self.network_.activation_funcs[-1].name

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
            "best_loss": None if not np.isfinite(self.best_loss_) else self.best_loss_,
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
            estimator.n_iter_ = int(info["n_iter"])
            best = info["best_loss"]
            estimator.best_loss_ = np.inf if best is None else float(best)
            estimator.loss_curve_ = list(info["loss_curve"])
            estimator.validation_loss_curve_ = list(info["validation_loss_curve"])
            estimator.validation_scores_ = list(info["validation_scores"])
            estimator._restore_target(info["target"])
            if "feature_names_in" in info:
                estimator.feature_names_in_ = np.array(info["feature_names_in"], dtype=object)
            estimator._make_trainer(network, np.random.default_rng())
            estimator._trainer.set_training_state(info["trainer"], opt_state,
                                                  resume_split=False)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"the estimator cannot be rebuilt: {exc}", str(path)) from exc
        return estimator


class _StopWhenRateVanishes(Callback):
    """learning_rate='adaptive': stop once the plateau schedule's rate is below 1e-6."""

    def on_epoch_end(self, trainer, epoch, logs):
        if any(schedule(0) <= 1e-6 for schedule in trainer.optimizer.schedules):
            trainer.stop_training = True
            trainer.stop_reason = "early_stopping"
            trainer.stop_message = "the adaptive learning rate fell below 1e-6"


def _param_to_json(name: str, value):
    """A parameter as JSON: numbers, strings, None, lists, and built-in activations."""
    from .io import activation_to_config

    if value is None or isinstance(value, (bool, str, numbers.Integral, numbers.Real)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (list, tuple)):
        items = [_param_to_json(name, v) for v in value]
        return {"tuple": items} if isinstance(value, tuple) else items
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
        raise ValueError(f"a parameter object must be {{'tuple': [...]}} or "
                         f"{{'activation': {{...}}}}, got keys {sorted(value)}")
    return value


def _numbers(value, field: str) -> list[float]:
    if not (isinstance(value, list) and all(is_real(v) for v in value)):
        raise ValueError(f"{field} must be a list of numbers")
    return [float(v) for v in value]


def _check_estimator_info(info: dict) -> None:
    """The types of what :meth:`_BaseFFNN.save` wrote, checked before anything is built."""
    where = "extra.estimator"
    kinds = {"class": str, "params": dict, "target": dict, "trainer": dict}
    for key, kind in kinds.items():
        if not isinstance(info.get(key), kind):
            raise ValueError(f"{where}.{key} must be a {kind.__name__}, got "
                             f"{type(info.get(key)).__name__}")
    for key in ("n_features_in", "n_iter"):
        if not (is_integer(info.get(key)) and info[key] >= 0):
            raise ValueError(f"{where}.{key} must be an integer >= 0, got {info.get(key)!r}")
    best = info.get("best_loss")
    if best is not None and not is_real(best):
        raise ValueError(f"{where}.best_loss must be a number or null, got {best!r}")
    for key in ("loss_curve", "validation_loss_curve", "validation_scores"):
        _numbers(info.get(key), f"{where}.{key}")
    names = info.get("feature_names_in")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str)
                                                                  for n in names)
                                  and len(names) == info["n_features_in"]):
        raise ValueError(f"{where}.feature_names_in must be {info['n_features_in']} strings "
                         "(one per feature)")
    unknown = sorted(set(info) - {*kinds, "n_features_in", "n_iter", "best_loss",
                                  "loss_curve", "validation_loss_curve", "validation_scores",
                                  "feature_names_in"})
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
    network_ : Network
    coefs_, intercepts_ : lists of ndarray
    loss_curve_ : list of float
        Training loss per epoch (penalties included).
    validation_loss_curve_, validation_scores_ : list of float
        Per epoch, with ``early_stopping=True``: validation loss and accuracy.
    best_loss_ : float
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
    history_ : History
        Of the last call to ``fit`` or ``partial_fit``.
    engine_ : str
        The path that trained in that call: ``"compiled"`` or ``"numpy"``.
    engine_reason_ : str
        Why it was not the compiled loop ("" when it was).
    """

    def _output(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "sigmoid"

    def _default_loss(self):
        return ("cross_entropy" if self._label_binarizer.y_type_ == "multiclass"
                else "binary_cross_entropy")

    def _validate_xy(self, X, y, *, reset, incremental, classes):
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if incremental and classes is not None and not multilabel:
            classes = np.asarray(classes)
            if not reset and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={classes.tolist()} is not the same as on the first "
                                 f"call to partial_fit, which gave {self.classes_.tolist()}")
            unknown = np.setdiff1d(np.unique(y), classes)
            if len(unknown):
                raise ValueError(f"y has labels {unknown.tolist()} that are not in classes="
                                 f"{np.unique(classes).tolist()}: pass every label in classes")
        if reset:
            binarizer = LabelBinarizer()
            if incremental:
                binarizer.fit(y if multilabel else classes)
            else:
                binarizer.fit(y)
            if len(binarizer.classes_) < 2:
                raise ValueError(
                    "The number of classes has to be greater than one; got 1 class "
                    f"({binarizer.classes_[0]!r})"
                )
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        else:
            unknown = np.setdiff1d(np.unique(y) if y.ndim == 1 else [], self.classes_)
            if len(unknown):
                raise ValueError(f"y has classes {unknown.tolist()} not seen in the first fit "
                                 f"(classes_ is {self.classes_.tolist()})")
        Y = self._label_binarizer.transform(y).astype(X.dtype)
        return X, Y

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

        ``classes`` (all the labels to expect) is required on the first call.
        """
        if not hasattr(self, "network_") and classes is None \
                and not type_of_target(y).startswith("multilabel"):
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def decision_function(self, X):
        """The output layer's logits ``z``: shape (n_samples,) for two classes."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
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
    network_ : Network
    coefs_, intercepts_ : lists of ndarray
    loss_curve_, validation_loss_curve_, validation_scores_ : list of float
        Per epoch: training loss; with ``early_stopping=True`` validation loss and R².
    best_loss_ : float
    n_iter_ : int
    n_features_in_ : int
    history_ : History
    engine_, engine_reason_ : str
        The path that trained in the last call, and why it was not the compiled loop.
    """

    def _output(self):
        return "identity"

    def _default_loss(self):
        return "mse"

    def _validate_xy(self, X, y, *, reset, incremental, classes):
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        self._y_1d = y.ndim == 1 if reset else self._y_1d
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, Y.astype(X.dtype, copy=False)

    def _target_info(self) -> dict:
        return {"y_1d": bool(self._y_1d)}

    def _restore_target(self, info: dict) -> None:
        self._y_1d = bool(info["y_1d"])

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing the weights and the optimizer state."""
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
        ``"invscaling"``: ``learning_rate_init / (t + 1)^power_t`` (t counts steps);
        ``"adaptive"``: divided by 5 when the loss stalls, stopping below 1e-6.
    learning_rate_init : float, default 1e-3
    power_t : float, default 0.5
    max_iter : int, default 200
        Epochs.
    random_state : int, RandomState instance or None, default None
        Seeds the initial weights and the shuffling (two generators spawned from it).
    tol : float, default 1e-4
        Improvement that resets the patience of ``n_iter_no_change``.
    verbose : bool, default False
        A progress bar over epochs.
    warm_start : bool, default False
        ``fit`` continues from the current weights and optimizer state.
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out ``validation_fraction`` and stop on its loss, restoring the best weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        Adam's (and AdamW's, NAdam's).
    n_iter_no_change : int, default 10
        Epochs without an improvement of ``tol`` before stopping.
    initializer : {"glorot", "he", "normal"} or callable, default "glorot"
    loss : str, Loss or None, default None
        None: from the targets (cross-entropies for classes, mse for regression).
"""
for _estimator in (FFNNClassifier, FFNNRegressor):
    _estimator.__doc__ = _estimator.__doc__.replace("{parameters}", _PARAMETERS_DOC.rstrip())
