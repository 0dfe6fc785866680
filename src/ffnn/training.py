"""Training: epochs of mini-batches, validation, callbacks, early stopping, and guards.

The loop is the notebook's, with the gradient method outside the network::

    for epoch in range(epochs):
        for batch in shuffled(range(n), batch_size):
            grads = network.gradient(X[batch], targets[batch], loss, l1, l2)
            updates, state = optimizer.update(grads, state, network.params)
            network.params += updates

:class:`Trainer` keeps the optimizer's state and the shuffling generator between calls to
:meth:`Trainer.fit`, so training can be continued exactly; :func:`train` is the one-call form.
Each epoch records the loss (mean over the epoch's batches, before each batch's update,
penalties included) and a metric (accuracy for classification, R² for regression) on the
training data, and the same after the epoch on validation data when there is some.
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import engine
from ._validation import check_penalty
from .losses import BinaryCrossEntropy, CrossEntropy, Loss, LossLike, get_loss
from .network import Network
from .optimizers import GradientTransformation, copy_state, get_optimizer, state_layout

__all__ = ["train", "Trainer", "History", "Callback", "EarlyStopping", "Checkpoint", "METRICS"]

METRICS = ("auto", "accuracy", "r2", None)
ENGINES = ("auto", "numpy", "compiled")
#: "auto" compiles a fit when batch rows × parameters is at most this (measured crossover).
COMPILED_MAX_WORK = 2**19


# -- metrics ----------------------------------------------------------------------------------

def accuracy(output: np.ndarray, Y: np.ndarray, loss: Loss):
    """Share of samples whose predicted class is right.

    After a cross-entropy the class is the argmax of the row; after a binary cross-entropy
    each output is thresholded at 0.5 and a sample counts when every output is right (subset
    accuracy, as scikit-learn's for multilabel targets). ``output`` (n, k) gives a float; with
    leading axes, (K, n, k) for a stack of networks, an array of K values.
    """
    if isinstance(loss, BinaryCrossEntropy) or output.shape[-1] == 1:
        right = np.all((output > 0.5) == (Y > 0.5), axis=-1)
    else:
        right = output.argmax(axis=-1) == Y.argmax(axis=-1)
    score = np.count_nonzero(right, axis=-1) / Y.shape[0]
    return float(score) if output.ndim == 2 else score


def r2(output: np.ndarray, Y: np.ndarray, loss: Loss | None = None):
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over the outputs
    (a float for (n, k) outputs, one per network for (K, n, k))."""
    ss_res = ((Y - output) ** 2).sum(axis=-2)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_output = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res > 0, 0.0, 1.0))
    score = per_output.mean(axis=-1)
    return float(score) if output.ndim == 2 else score


_METRIC_FUNCTIONS = {"accuracy": accuracy, "r2": r2}


def _resolve_metric(metric, loss: Loss) -> str | None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "auto":
        return "accuracy" if isinstance(loss, (CrossEntropy, BinaryCrossEntropy)) else "r2"
    return metric


# -- history and callbacks --------------------------------------------------------------------

@dataclass
class History:
    """What a training run recorded, Keras-style.

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch values: ``"loss"`` and the metric (``"accuracy"`` or ``"r2"``), and with
        validation ``"val_loss"`` and ``"val_<metric>"``.
    epochs : int
        Epochs completed.
    stop_reason : str or None
        ``"early_stopping"``, ``"diverged"``, ``"interrupted"`` or None (ran to the end).
    message : str
        A sentence for the user when the run stopped early.
    best_epoch : int or None
        The epoch (from 0) whose weights early stopping restored.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: int = 0
    stop_reason: str | None = None
    message: str = ""
    best_epoch: int | None = None

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"

    def plot(self, path=None):
        """Loss and metric per epoch, training and validation; see :func:`ffnn.plotting`."""
        from .plotting import plot_history

        return plot_history(self, path)


class Callback:
    """Hooks into training. ``trainer`` is the running :class:`Trainer`.

    Set ``trainer.stop_training = True`` to end the run after the current epoch.
    """

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict) -> None: ...

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    patience : int, default 10
    min_delta : float, default 0
        An epoch improves when its loss is below ``best - min_delta``.
    restore_best : bool, default True
        Put back the weights of the best epoch when stopping (and at the end of the run).
    monitor : {"auto", "val_loss", "loss"}, default "auto"
        The validation loss when there is validation data, else the training loss.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True,
                 monitor: str = "auto"):
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        if monitor not in ("auto", "val_loss", "loss"):
            raise ValueError(f"monitor must be 'auto', 'val_loss' or 'loss', got {monitor!r}")
        self.patience = int(patience)
        self.min_delta = check_penalty(min_delta, "min_delta")
        self.restore_best = bool(restore_best)
        self.monitor = monitor

    def on_train_begin(self, trainer):
        self.best = math.inf
        self.best_epoch = None
        self.best_params = None
        self.wait = 0

    def on_epoch_end(self, trainer, epoch, logs):
        key = self.monitor
        if key == "auto":
            key = "val_loss" if "val_loss" in logs else "loss"
        if key not in logs:
            raise ValueError(f"EarlyStopping monitors {key!r}, which this run does not record")
        value = logs[key]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_params = trainer.network.params.copy()
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop_training = True
            trainer.stop_reason = "early_stopping"
            trainer.stop_message = (
                f"early stopping: {key} did not improve by more than {self.min_delta:g} for "
                f"{self.patience} epochs (best {self.best:.6g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, trainer):
        # After a divergence the trainer has already put back the last weights known good.
        if trainer.stop_reason == "diverged":
            return
        if self.restore_best and self.best_params is not None:
            trainer.network.params[...] = self.best_params
            trainer.best_epoch = self.best_epoch


class Checkpoint(Callback):
    """Save the training state every ``every`` epochs to ``path`` (atomically, one file).

    The file holds the weights, the optimizer state, the epoch count, the shuffling generator
    and the validation split, so :meth:`Trainer.load_checkpoint` (or ``train(resume_from=)``)
    continues bit-identically. Callbacks' own state (early stopping's patience count) is not
    saved.
    """

    def __init__(self, path, every: int = 1):
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.path = path
        self.every = int(every)

    def on_epoch_end(self, trainer, epoch, logs):
        if trainer.epoch % self.every == 0:
            trainer.save_checkpoint(self.path)


# -- the trainer ------------------------------------------------------------------------------

def _check_epochs(epochs) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    return int(epochs)


def _check_divergence_factor(factor) -> float:
    if not (isinstance(factor, numbers.Real) and factor > 1):
        raise ValueError(f"divergence_factor must be a number > 1, got {factor!r}")
    return float(factor)


def _check_batch_size(batch_size) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size}")
    return int(batch_size)


class Trainer:
    """Trains one network with one optimizer, keeping the optimizer state between fits.

    Parameters
    ----------
    network : Network
        Trained in place.
    loss : str, Loss or (cost, cost_der)
    optimizer : str or GradientTransformation, default "sgd"
        A name (``"sgd"``, ``"adam"``, ...; see :data:`ffnn.optimizers.OPTIMIZER_NAMES`) or an
        optimizer object (``Adam(1e-3)``, ``chain(ClipGradNorm(1), Adam())``).
    learning_rate : float or Schedule, optional
        With an optimizer name: its learning rate (by default the optimizer's own: 0.01, or
        0.001 for ``"adam"`` and ``"adamw"``).
    l1, l2 : float, default 0
        Penalties in the cost (weights only, independent of the batch size).
    batch_size : int or None, default None
        Mini-batch size; None trains on the full batch each step.
    metric : {"auto", "accuracy", "r2", None}, default "auto"
        Accuracy after a cross-entropy, R² otherwise.
    callbacks : sequence of Callback
    seed : int, Generator or None
        Shuffling (and validation split) generator; initialisation is the network's own seed.
    verbose : int, default 1
        1 shows a tqdm progress bar over epochs (``tqdm.auto``: works in notebooks); 0 none.
    divergence_factor : float, default 1000
        The run stops when the loss is not finite or exceeds this times the first epoch's.
    engine : {"auto", "numpy", "compiled"}, default "auto"
        ``"numpy"``: the NumPy engine (:mod:`ffnn.engine`), the reference. ``"compiled"``:
        whole epochs in one numba call (:mod:`ffnn._compiled`), for small networks whose
        NumPy calls cost more than their arithmetic; it trains the built-in activations,
        losses and SGD/Momentum/Nesterov/Adam, without sample weights or validation, and
        gives the NumPy engine's results to rounding. ``"auto"``: compiled where it
        applies and the network is small (batch rows × parameters ≤
        ``COMPILED_MAX_WORK``), NumPy otherwise.

    Attributes
    ----------
    opt_state : state of the optimizer after the last step.
    """

    def __init__(self, network: Network, loss: LossLike, optimizer="sgd", *,
                 learning_rate=None, l1: float = 0.0, l2: float = 0.0,
                 batch_size: int | None = None, metric="auto",
                 callbacks: Sequence[Callback] = (), seed=None, verbose: int = 1,
                 divergence_factor: float = 1000.0, engine: str = "auto"):
        if not isinstance(network, Network):
            raise TypeError(f"network must be an ffnn.Network, got {type(network).__name__}")
        self.network = network
        self.loss = get_loss(loss)
        self.loss.check_output(network.activation_funcs[-1])
        if isinstance(optimizer, str):
            kwargs = {} if learning_rate is None else {"lr": learning_rate}
            self.optimizer = get_optimizer(optimizer, **kwargs)
        else:
            if learning_rate is not None:
                raise TypeError("learning_rate goes with an optimizer name; an optimizer object "
                                "carries its own lr")
            # A private copy: schedules such as ReduceOnPlateau change as they hear losses,
            # and the caller's object must start the next run afresh. An object that cannot
            # be copied (a user's schedule holding a lock, say) is used as it is.
            optimizer = get_optimizer(optimizer)
            try:
                self.optimizer = copy.deepcopy(optimizer)
            except Exception:
                self.optimizer = optimizer
        self.l1 = check_penalty(l1, "l1")
        self.l2 = check_penalty(l2, "l2")
        self.batch_size = _check_batch_size(batch_size)
        self.metric = _resolve_metric(metric, self.loss)
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback objects, got {type(cb).__name__}")
        if isinstance(seed, bool) or not (
            seed is None or isinstance(seed, (numbers.Integral, np.random.Generator))
        ):
            raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
        self.rng = np.random.default_rng(seed)
        self.verbose = int(verbose)
        self.divergence_factor = _check_divergence_factor(divergence_factor)
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        self.engine = engine
        self.opt_state = self.optimizer.init(network.params, network.weight_mask())
        self.first_loss: float | None = None
        self.epoch = 0  # epochs completed over all fits
        self._split_seed: int | None = None  # this fit's validation split, for checkpoints
        self._resumed_split_seed: int | None = None

    # -- checkpoints -------------------------------------------------------------------------

    def training_state(self) -> dict:
        """What besides the weights and ``opt_state`` a resumed run needs (JSON types)."""
        return {
            "epoch": self.epoch,
            "rng": self.rng.bit_generator.state,
            "first_loss": self.first_loss,
            "split_seed": self._split_seed,
            "schedules": [schedule.state_dict() for schedule in self.optimizer.schedules],
        }

    def set_training_state(self, state: dict, opt_state, *, resume_split: bool = True) -> None:
        """Restore what :meth:`training_state` gave, with the optimizer state.

        With ``resume_split`` the next fit reuses the saved validation split (a checkpoint's
        run continues); without, it draws a new one as any later fit does.
        """
        expected = state_layout(self.optimizer.init(self.network.params,
                                                    self.network.weight_mask()))
        given = state_layout(opt_state)
        if given != expected:
            raise ValueError(
                f"the saved optimizer state (arrays {sorted(given)}) does not fit "
                f"{self.optimizer!r} (arrays {sorted(expected)})"
            )
        schedules = self.optimizer.schedules
        if len(schedules) != len(state["schedules"]):
            raise ValueError(f"the saved state has {len(state['schedules'])} schedule(s), "
                             f"the optimizer {len(schedules)}")
        self.opt_state = opt_state
        self.epoch = int(state["epoch"])
        self.rng.bit_generator.state = state["rng"]
        self.first_loss = state["first_loss"]
        self._resumed_split_seed = state["split_seed"] if resume_split else None
        for schedule, schedule_state in zip(schedules, state["schedules"]):
            schedule.load_state_dict(schedule_state)

    def save_checkpoint(self, path) -> None:
        """Write weights, optimizer state, epoch count, shuffling generator and validation
        split to one model file (see :mod:`ffnn.io`), atomically."""
        from .io import save

        save(self.network, path, opt_state=self.opt_state,
             metadata={"trainer": self.training_state()})

    def load_checkpoint(self, path, *, custom_objects=None) -> None:
        """Continue from a checkpoint written by :meth:`save_checkpoint` with the same
        network architecture, loss and optimizer (their hyperparameters are not stored)."""
        from .io import ModelFileError, load_with_state

        network, opt_state, extra = load_with_state(path, custom_objects=custom_objects)
        state = extra.get("trainer") if isinstance(extra, dict) else None
        if state is None or opt_state is None:
            raise ModelFileError("not a training checkpoint (no trainer state)", str(path))
        if (network.layer_output_sizes != self.network.layer_output_sizes
                or network.network_input_size != self.network.network_input_size
                or network.activation_funcs != self.network.activation_funcs
                or network.dtype != self.network.dtype):
            raise ValueError(f"checkpoint {path} holds {network}, but this trainer trains "
                             f"{self.network}")
        self.network.params[...] = network.params
        self.set_training_state(state, opt_state)

    # -- data --------------------------------------------------------------------------------

    def _check_data(self, X, targets, name_X="X", name_y="targets"):
        net = self.network
        X2, Y, _, _, _, _ = net._check_problem(X, targets, self.loss, 0.0, 0.0)
        if np.ndim(X) == 1:
            raise ValueError(f"{name_X} must be 2-D (n_samples, {net.network_input_size}) "
                             "for training, got one sample")
        return X2, Y

    def _split_validation(self, X, Y, weights, fraction):
        from .datasets import split

        if not (isinstance(fraction, numbers.Real) and 0 < fraction < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got {fraction!r}")
        stratify = self.metric == "accuracy"
        # One draw seeds the split; a resumed run reuses its checkpoint's seed.
        if self._resumed_split_seed is not None:
            self._split_seed, self._resumed_split_seed = self._resumed_split_seed, None
        else:
            self._split_seed = int(self.rng.integers(2**32))
        train, val, _, _ = split(np.arange(len(X))[:, None], Y, fraction, stratify=stratify,
                                 seed=self._split_seed)
        train, val = train[:, 0], val[:, 0]
        weights = None if weights is None else weights[train]
        return X[train], Y[train], weights, (X[val], Y[val])

    @staticmethod
    def _check_weights(sample_weight, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {weights.shape}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("sample_weight must be finite and >= 0")
        if weights.sum() <= 0:
            raise ValueError("sample_weight must not be all zero")
        return weights

    # -- the loop ----------------------------------------------------------------------------

    def fit(self, X: ArrayLike, targets: ArrayLike, epochs: int = 100, *,
            validation_data: tuple[ArrayLike, ArrayLike] | None = None,
            validation_fraction: float | None = None,
            sample_weight: ArrayLike | None = None) -> History:
        """Train for ``epochs`` epochs (continuing from the current weights and state).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        targets : array-like, shape (n_samples, n_outputs)
        epochs : int
        validation_data : (X_val, targets_val), optional
        validation_fraction : float in (0, 1), optional
            Hold out this share of ``X`` for validation (stratified for classification).
        sample_weight : array-like, shape (n_samples,), optional
            Weights of the training samples: the cost is ``Σ wᵢ Cᵢ / Σ wᵢ``. The loss needs
            per-sample costs (every built-in has them). Validation is unweighted.

        Returns
        -------
        History
        """
        epochs = _check_epochs(epochs)
        X, Y = self._check_data(X, targets)
        weights = self._check_weights(sample_weight, len(X))
        # Decided first: engine="compiled" refuses before anything has started or drawn.
        compiled = self._compiled(X, weights, validation_data is not None
                                  or validation_fraction is not None)
        if validation_data is not None and validation_fraction is not None:
            raise ValueError("give validation_data or validation_fraction, not both")
        if validation_fraction is not None:
            X, Y, weights, validation_data = self._split_validation(
                X, Y, weights, validation_fraction
            )
        elif validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise TypeError("validation_data must be a pair (X_val, targets_val)")
            validation_data = self._check_data(*validation_data, "validation_data[0]",
                                               "validation_data[1]")

        history = History()
        self.__dict__.pop("_workspaces", None)  # batch sizes of earlier fits: let them go
        self.stop_training = False
        self.stop_reason: str | None = None
        self.stop_message = ""
        self.best_epoch: int | None = None
        for cb in self.callbacks:
            cb.on_train_begin(self)
        bar = self._progress(epochs)
        if compiled:
            from . import _compiled

            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    _compiled.fit(self, X, Y, epochs, history, bar)
            except KeyboardInterrupt:
                self._interrupted(history)
            finally:
                if bar is not None:
                    bar.close()
            return self._finish(history)
        # The last good weights: the start of the last epoch whose loss passed the guard (an
        # epoch's loss is measured along the way from its starting weights).
        good_params = self.network.params.copy()
        good_state = copy_state(self.opt_state)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                for epoch in range(epochs):
                    for cb in self.callbacks:
                        cb.on_epoch_begin(self, epoch)
                    start_params = self.network.params.copy()
                    start_state = copy_state(self.opt_state)
                    logs = self._epoch(X, Y, weights, validation_data)
                    if self._diverged(logs["loss"]):
                        self.network.params[...] = good_params
                        self.opt_state = good_state  # the moments would be poisoned too
                        self.stop_reason = "diverged"
                        self.stop_message = divergence_message(epoch, logs["loss"],
                                                               self.first_loss)
                        break
                    good_params, good_state = start_params, start_state
                    for key, value in logs.items():
                        history.history.setdefault(key, []).append(value)
                    history.epochs += 1
                    self.epoch += 1
                    monitored = logs.get("val_loss", logs["loss"])
                    for schedule in self.optimizer.schedules:
                        schedule.report(monitored)
                    for cb in self.callbacks:
                        cb.on_epoch_end(self, epoch, logs)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
                    if self.stop_training:
                        break
        except KeyboardInterrupt:
            self._interrupted(history)
        finally:
            if bar is not None:
                bar.close()
        return self._finish(history)

    def _interrupted(self, history: History) -> None:
        self.stop_reason = "interrupted"
        self.stop_message = (
            f"interrupted after {history.epochs} epochs; the network keeps the weights "
            "trained so far"
        )

    def _finish(self, history: History) -> History:
        for cb in self.callbacks:
            cb.on_train_end(self)
        history.stop_reason = self.stop_reason
        history.message = self.stop_message
        history.best_epoch = self.best_epoch
        if self.stop_message and self.verbose:
            print(self.stop_message)
        return history

    def _compiled(self, X, weights, validation: bool) -> bool:
        """Whether this fit runs on the compiled loop (see ``engine``)."""
        if self.engine == "numpy":
            return False
        batch = len(X) if self.batch_size is None else min(self.batch_size, len(X))
        if self.engine == "auto" and batch * self.network.n_params > COMPILED_MAX_WORK:
            return False
        from . import _compiled

        reason = _compiled.unsupported(self, weights, validation)
        if reason is not None and self.engine == "compiled":
            raise ValueError(f"engine='compiled' cannot run this fit: {reason}; use "
                             "engine='numpy' or 'auto'")
        return reason is None

    def _workspace(self, n: int, gather: bool) -> engine.Workspace:
        """The buffers for batches of ``n`` rows, made on first use and then reused."""
        workspaces = self.__dict__.setdefault("_workspaces", {})
        if (n, gather) not in workspaces:
            workspaces[n, gather] = engine.Workspace(self.network, n, gather)
        return workspaces[n, gather]

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """The flat gradient and the optimizer's scratch array, reused every step."""
        if "_grads" not in self.__dict__:
            self._grads = np.empty_like(self.network.params)
            self._scratch = np.empty_like(self.network.params)
        return self._grads, self._scratch

    def __getstate__(self) -> dict:
        # Buffers are caches: not pickled, remade on first use.
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_workspaces", "_grads", "_scratch")}

    def _progress(self, epochs: int):
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=epochs, desc="training", unit="epoch", leave=False)

    def _diverged(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        if self.first_loss is None:
            self.first_loss = loss
            return False
        # A first loss of 0 (a perfect start) leaves only non-finite losses as divergence.
        return self.first_loss > 0 and loss > self.divergence_factor * self.first_loss

    def _epoch(self, X, Y, weights, validation_data) -> dict[str, float]:
        net, loss, optimizer = self.network, self.loss, self.optimizer
        n = X.shape[0]
        batch_size = n if self.batch_size is None else min(self.batch_size, n)
        order = np.arange(n) if batch_size == n else self.rng.permutation(n)
        grads, scratch = self._buffers()
        # The in-place step, unless a subclass overrides update below the class that wrote it.
        step = optimizer.step if engine.fast_form(optimizer, "step", "update") else \
            functools.partial(GradientTransformation.step, optimizer)
        # Each batch's outputs (and logits, for a fused loss) are kept, before its update, so
        # the epoch's loss and metric are computed once over all of them, not per batch.
        fused = loss.fuses_with(net.activation_funcs[-1])
        outputs = np.empty((n, net.n_outputs), dtype=net.dtype)
        logits = np.empty_like(outputs) if fused else None
        penalties = 0.0
        for batch, start in enumerate(range(0, n, batch_size)):
            index = order[start:start + batch_size]
            ws = self._workspace(len(index), gather=batch_size < n)
            if batch_size == n:
                Xb, Yb = X, Y
            else:  # gather the batch's rows into the workspace (no new arrays)
                # mode="clip": the indices are valid, and "raise" would buffer a copy first
                Xb = np.take(X, index, axis=0, out=ws.X, mode="clip")
                Yb = np.take(Y, index, axis=0, out=ws.Y, mode="clip")
            wb = None if weights is None else weights[index]
            z_last, output = engine.backprop(net, ws, Xb, Yb, loss, self.l1, self.l2, grads, wb)
            outputs[index] = output
            if fused:
                logits[index] = z_last
            # The penalty at this batch's weights, before its update (0 without l1 and l2).
            penalty = net._penalty(self.l1, self.l2) if self.l1 or self.l2 else 0.0
            penalties += penalty * (len(index) if wb is None else wb.sum())
            if self.callbacks:
                batch_loss = net._loss_value(z_last, output, Yb, loss, wb) + penalty
            self.opt_state = step(net.params, grads, self.opt_state, scratch)
            if self.callbacks:
                for cb in self.callbacks:
                    cb.on_batch_end(self, batch, {"loss": batch_loss, "size": len(index)})
        total_weight = n if weights is None else weights.sum()
        logs = {"loss": net._loss_value(logits, outputs, Y, loss, weights)
                + penalties / total_weight}
        if self.metric:
            logs[self.metric] = _METRIC_FUNCTIONS[self.metric](outputs, Y, loss)
        if validation_data is not None:
            X_val, Y_val = validation_data
            _, zs, output = net._feed_forward_saver(X_val)
            logs["val_loss"] = net._loss_value(zs[-1], output, Y_val, loss) + net._penalty(
                self.l1, self.l2
            )
            if self.metric:
                logs[f"val_{self.metric}"] = _METRIC_FUNCTIONS[self.metric](output, Y_val, loss)
        return logs


def divergence_message(epoch: int, loss: float, first_loss: float | None) -> str:
    first = "" if first_loss is None else f", first {first_loss:.4g}"
    return (f"training diverged at epoch {epoch} (loss {loss:.4g}{first}): stopped and kept "
            "the last good weights; try a smaller learning rate")


def train(network: Network, X: ArrayLike, targets: ArrayLike, loss: LossLike, *,
          optimizer: str | GradientTransformation = "sgd", learning_rate=None,
          epochs: int = 100, batch_size: int | None = None, l1: float = 0.0, l2: float = 0.0,
          validation_data=None, validation_fraction: float | None = None, metric="auto",
          callbacks: Sequence[Callback] = (), early_stopping: bool = False, patience: int = 10,
          min_delta: float = 0.0, restore_best: bool = True, seed=None, verbose: int = 1,
          divergence_factor: float = 1000.0, sample_weight=None, checkpoint_path=None,
          checkpoint_every: int = 1, resume_from=None, engine: str = "auto") -> History:
    """Train ``network`` in place and return its :class:`History`.

    The arguments are those of :class:`Trainer` and :meth:`Trainer.fit`, plus
    ``early_stopping`` (adds :class:`EarlyStopping` with ``patience``, ``min_delta`` and
    ``restore_best``), ``checkpoint_path`` (adds :class:`Checkpoint` every
    ``checkpoint_every`` epochs) and ``resume_from`` (a checkpoint: the run continues from it
    and stops after ``epochs`` epochs in all, bit for bit as if it had never stopped; only
    callbacks' own state, such as early stopping's patience count, starts afresh).

    Examples
    --------
    >>> X, targets = ffnn.datasets.load_iris()
    >>> net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    >>> history = ffnn.train(net, X, targets, "cross_entropy", learning_rate=0.01,
    ...                      epochs=5000, verbose=0)
    """
    callbacks = list(callbacks)
    if early_stopping:
        callbacks.append(EarlyStopping(patience, min_delta, restore_best))
    if checkpoint_path is not None:
        callbacks.append(Checkpoint(checkpoint_path, checkpoint_every))
    trainer = Trainer(network, loss, optimizer, learning_rate=learning_rate, l1=l1, l2=l2,
                      batch_size=batch_size, metric=metric, callbacks=callbacks, seed=seed,
                      verbose=verbose, divergence_factor=divergence_factor, engine=engine)
    if resume_from is not None:
        trainer.load_checkpoint(resume_from)
        epochs = max(0, epochs - trainer.epoch)
    return trainer.fit(X, targets, epochs, validation_data=validation_data,
                       validation_fraction=validation_fraction, sample_weight=sample_weight)
