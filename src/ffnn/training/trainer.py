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

import contextlib
import copy
import logging
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..backends import numpy_engine as engine
from ..core.losses import LossLike, get_loss
from ..core.metrics import METRICS, accuracy, r2, resolve_metric
from ..core.network import Network
from ..core.validation import (
    check_batch_size,
    check_divergence_factor,
    check_epochs,
    check_flag,
    check_penalty,
    check_seed,
    is_integer,
    is_real,
)
from ..optim.optimizers import GradientTransformation, get_optimizer
from . import checkpoints, paths
from .loop import Callback, History, batch_listeners, divergence_message, run_epochs

__all__ = ["train", "Trainer", "History", "Callback", "EarlyStopping", "Checkpoint", "METRICS",
           "FallbackWarning", "accuracy", "r2", "divergence_message"]

ENGINES = paths.ENGINES
FallbackWarning = paths.FallbackWarning
Checkpoint = checkpoints.Checkpoint


# -- callbacks --------------------------------------------------------------------------------

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
        if not (is_integer(patience) and patience >= 1):
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


# -- the trainer ------------------------------------------------------------------------------

class Trainer:
    """Trains one network with one optimizer, keeping the optimizer state between fits.

    Parameters
    ----------
    network : Network
        Trained in place.
    loss : str, Loss or (cost, cost_der)
    optimizer : str or GradientTransformation, default "sgd"
        A name (``"sgd"``, ``"adam"``, ...; see :data:`ffnn.optim.optimizers.OPTIMIZER_NAMES`) or an
        optimizer object (``Adam(1e-3)``, ``chain(ClipGradNorm(1), Adam())``). ``"lbfgs"``
        (:class:`~ffnn.optim.optimizers.LBFGS`) is SciPy's L-BFGS-B over the full batch,
        an epoch per iteration: no ``batch_size``, no per-epoch callbacks or early stopping.
    learning_rate : float or Schedule, optional
        With an optimizer name: its learning rate (by default the optimizer's own: 0.01, or
        0.001 for ``"adam"`` and ``"adamw"``).
    l1, l2 : float, default 0
        Penalties in the cost (weights only, independent of the batch size).
    penalize_biases : bool, default False
        The penalties cover the biases too, exactly as the weights (same ``l1`` and ``l2``).
    batch_size : int or None, default None
        Mini-batch size; None trains on the full batch each step.
    shuffle : bool, default True
        Draw a new order of the samples each epoch (from ``seed``); False takes the
        mini-batches in the data's order every epoch (every path honours it).
    metric : {"auto", "accuracy", "r2", None}, default "auto"
        Accuracy after a cross-entropy, R² otherwise.
    callbacks : sequence of Callback
    seed : int, Generator or None
        Shuffling (and validation split) generator; initialisation is the network's own seed.
    verbose : int, default 1
        1 shows a tqdm progress bar over epochs (``tqdm.auto``: works in notebooks); 0 none.
    divergence_factor : float, default 1000
        The run stops when the loss is not finite or exceeds this times the first epoch's.
    engine : {"auto", "numpy", "jax"}, default "auto"
        ``"numpy"``: the NumPy engine (:mod:`ffnn.backends.numpy_engine`), the reference.
        ``"jax"``: the
        same formulas compiled whole by XLA (:mod:`ffnn.backends.jax_engine`, the ``fast`` extra):
        chunks of epochs in one call, for the built-in activations, losses, optimizers and
        schedules, with sample weights and validation; results equal the NumPy engine's
        to rounding. ``"auto"``: JAX when it is installed, runs the fit and the fit is
        long enough to pay for compiling its program (over ``ffnn.paths.AUTO_JAX_AFTER``
        = 1.5 s estimated on NumPy), else NumPy (see :func:`ffnn.training.paths.choose`).
        ``"compiled"`` and ``"parallel"``, the retired numba paths, read as ``"jax"``.
    device : {"cpu", "gpu"}, jax.Device or None, default None
        Where the JAX engine trains: JAX's first device of that kind (``"gpu"``: a CUDA
        build of JAX, see the README), a device itself, or None for JAX's default device.
        The NumPy engine runs on the CPU whatever it says.
    threads : int >= 1 or None, default None
        The number of BLAS threads (OpenBLAS, MKL: NumPy's matrix products) each
        :meth:`fit` may use, set with threadpoolctl's ``threadpool_limits`` for the fit and
        put back after it; None leaves them as they are (BLAS's default: usually one per
        core). On a shared machine, timings need a fixed thread count: BLAS otherwise
        starts one thread per core, whatever other processes run, and a fit's time then
        depends on the machine's load. It does not limit XLA's own threads (the JAX
        engine).

    Attributes
    ----------
    opt_state : state of the optimizer after the last step.
    """

    shuffle = True  # what a Trainer pickled before the option does
    threads = None  # likewise

    def __init__(self, network: Network, loss: LossLike, optimizer="sgd", *,
                 learning_rate=None, l1: float = 0.0, l2: float = 0.0,
                 penalize_biases: bool = False, batch_size: int | None = None,
                 shuffle: bool = True, metric="auto",
                 callbacks: Sequence[Callback] = (), seed=None, verbose: int = 1,
                 divergence_factor: float = 1000.0, engine: str = "auto", device=None,
                 threads: int | None = None):
        if not isinstance(network, Network):
            raise TypeError(f"network must be an ffnn.Network, got {type(network).__name__}")
        network.check_learnable()
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
        self.penalize_biases = check_flag(penalize_biases, "penalize_biases")
        self.batch_size = check_batch_size(batch_size)
        self.shuffle = check_flag(shuffle, "shuffle")
        self.metric = resolve_metric(metric, self.loss)
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback objects, got {type(cb).__name__}")
        self.rng = check_seed(seed)
        if not (isinstance(verbose, bool) or is_integer(verbose)):
            raise TypeError(f"verbose must be 0 (quiet) or 1 (a progress bar), got {verbose!r}")
        self.verbose = int(verbose)
        self.divergence_factor = check_divergence_factor(divergence_factor)
        self.engine = paths.check_engine(engine)
        self.device = paths.check_device(device)
        self.threads = check_threads(threads)
        self.opt_state = self.optimizer.init(network.params, network.weight_mask())
        self._first_loss: float | None = None
        self.first_pending = None  # a driver.PendingReference until it is computed
        self.keep_reference = True  # train() sets False: its trainer is not used again
        self.epoch = 0  # epochs completed over all fits
        self.split_seed: int | None = None  # this fit's validation split, for checkpoints
        self._resumed_split_seed: int | None = None

    @property
    def first_loss(self) -> float | None:
        """The loss before any update, the divergence guard's reference (None when not
        finite, or not needed: an infinite ``divergence_factor``). The NumPy engine computes
        it only when an epoch's loss could pass ``divergence_factor`` times it, or when it
        is read (see :class:`ffnn.training.loop.PendingReference`)."""
        if self.first_pending is not None:
            value = self.first_pending.resolve()
            self.first_pending = None
            self._first_loss = value if math.isfinite(value) else None
        return self._first_loss

    @first_loss.setter
    def first_loss(self, value: float | None) -> None:
        self.first_pending = None
        self._first_loss = value

    @property
    def reference_known(self) -> bool:
        """Whether the guard's reference is set or waits to be computed (a pending one)."""
        return self._first_loss is not None or self.first_pending is not None

    # -- checkpoints (see ffnn.checkpoints) ------------------------------------------------

    def training_state(self) -> dict:
        """What besides the weights and ``opt_state`` a resumed run needs (JSON types)."""
        return checkpoints.training_state(self)

    def set_training_state(self, state: dict, opt_state, *, resume_split: bool = True) -> None:
        """Restore what :meth:`training_state` gave, with the optimizer state; see
        :func:`ffnn.training.checkpoints.set_training_state`."""
        checkpoints.set_training_state(self, state, opt_state, resume_split=resume_split)

    def save_checkpoint(self, path) -> None:
        """Write the training state to one model file, atomically; see
        :func:`ffnn.training.checkpoints.save_checkpoint`."""
        checkpoints.save_checkpoint(self, path)

    def load_checkpoint(self, path, *, custom_objects=None) -> None:
        """Continue from a checkpoint; see :func:`ffnn.training.checkpoints.load_checkpoint`."""
        checkpoints.load_checkpoint(self, path, custom_objects=custom_objects)

    # -- data --------------------------------------------------------------------------------

    def _check_data(self, X, targets, name_X="X", name_y="targets"):
        net = self.network
        X2, Y, _, _, _, _ = net.check_problem(X, targets, self.loss, 0.0, 0.0)
        if np.ndim(X) == 1:
            raise ValueError(f"{name_X} must be 2-D (n_samples, {net.network_input_size}) "
                             "for training, got one sample")
        return X2, Y

    def _split_validation(self, X, Y, weights, fraction):
        from ..data.datasets import split

        if not (is_real(fraction) and 0 < fraction < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got {fraction!r}")
        stratify = self.metric == "accuracy"
        # One draw seeds the split; a resumed run reuses its checkpoint's seed.
        if self._resumed_split_seed is not None:
            self.split_seed, self._resumed_split_seed = self._resumed_split_seed, None
        else:
            self.split_seed = int(self.rng.integers(2**32))
        train, val, _, _ = split(np.arange(X.shape[0])[:, None], Y, fraction, stratify=stratify,
                                 seed=self.split_seed)
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
        if (weights == weights[0]).all():
            return None  # equal weights of any scale are no weights: the very same fit
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
        epochs = check_epochs(epochs)
        X, Y = self._check_data(X, targets)
        weights = self._check_weights(sample_weight, X.shape[0])
        if self.optimizer.full_batch:
            self._check_full_batch(X.shape[0], epochs)
        # Decided first: engine="jax" refuses before anything has started or drawn.
        chosen, reason = paths.choose(self, X, epochs)
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

        history = History.start(self.metric, engine=chosen, engine_reason=reason)
        self.__dict__.pop("_workspaces", None)  # batch sizes of earlier fits: let them go
        self.stop_training = False
        self.stop_reason: str | None = None
        self.stop_message = ""
        self.best_epoch: int | None = None
        for cb in self.callbacks:
            cb.on_train_begin(self)
        bar = self._progress(epochs)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), \
                    _blas_threads(self.threads), _above_the_bar(bar):
                if chosen == "jax":
                    from ..backends.jax_engine import JaxPath

                    path = JaxPath(self, X, Y, weights, validation_data)
                elif self.optimizer.full_batch:
                    from ..backends.lbfgs import LbfgsPath

                    path = LbfgsPath(self, X, Y, weights, validation_data)
                else:
                    path = engine.NumpyPath(self, X, Y, weights, validation_data)
                run_epochs(self, path, epochs, history, bar)
        finally:
            if bar is not None:
                bar.close()
        return self._finish(history)

    def _check_full_batch(self, n_samples: int, epochs: int) -> None:
        """Refuse what a full-batch method (L-BFGS) cannot do: mini-batches, and callbacks
        that must hear each epoch as it ends (its iterations run in one SciPy call)."""
        name = type(self.optimizer).__name__
        if self.batch_size is not None and self.batch_size < n_samples:
            raise ValueError(f"batch_size={self.batch_size}: {name} takes the whole data set "
                             f"each iteration ({n_samples} samples); give batch_size=None "
                             "(--batch-size full)")
        eager = [type(cb).__name__ for cb in self.callbacks
                 if cb in batch_listeners(self.callbacks) or cb.epochs_heard_late(self) < epochs]
        if eager:
            raise ValueError(
                f"callbacks: {', '.join(eager)} must hear each epoch (or batch) as it ends, "
                f"but {name} runs its iterations in one SciPy call (early stopping and "
                "checkpoints every few epochs need a gradient method: sgd, adam, ...)")

    def __repr__(self) -> str:
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        batch += "" if self.shuffle else " in order"
        return (f"Trainer({self.network}, {self.loss.name}, {self.optimizer!r}, {batch}, "
                f"l1={self.l1:g}, l2={self.l2:g}"
                + (", penalize_biases=True" if self.penalize_biases else "")
                + f", {self.epoch} epochs so far, "
                f"engine={self.engine!r}"
                + (f", threads={self.threads}" if self.threads is not None else "") + ")")

    def _finish(self, history: History) -> History:
        for cb in self.callbacks:
            cb.on_train_end(self)
        history.stop_reason = self.stop_reason
        history.message = self.stop_message
        history.best_epoch = self.best_epoch
        if self.stop_message and self.verbose:
            print(self.stop_message)
        return history

    def workspace(self, n: int, gather: bool) -> engine.Workspace:
        """The buffers for batches of ``n`` rows, made on first use and then reused."""
        workspaces = self.__dict__.setdefault("_workspaces", {})
        if (n, gather) not in workspaces:
            workspaces[n, gather] = engine.Workspace(self.network, n, gather)
        return workspaces[n, gather]

    def buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """The flat gradient and the optimizer's scratch array, reused every step."""
        if "_grads" not in self.__dict__:
            self._grads = np.empty_like(self.network.params)
            self._scratch = np.empty_like(self.network.params)
        return self._grads, self._scratch

    def __setstate__(self, state: dict) -> None:
        if "first_loss" in state:  # pickled before the reference could wait
            state = {**state, "_first_loss": state.pop("first_loss"), "first_pending": None,
                     "keep_reference": True}
        for old in ("_first_pending", "_keep_reference", "_split_seed"):  # before 0.3
            if old in state:
                state[old[1:]] = state.pop(old)
        self.__dict__.update(state)

    def __getstate__(self) -> dict:
        # Buffers are caches: not pickled, remade on first use; a pending reference is
        # computed first (it holds the training data).
        self.first_loss  # noqa: B018
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_workspaces", "_grads", "_scratch")}

    def _progress(self, epochs: int):
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=epochs, desc="training", unit="epoch", leave=False)


def check_threads(threads, name: str = "threads") -> int | None:
    """A BLAS thread count: an integer >= 1, or None to leave BLAS as it is.

    Parameters
    ----------
    threads : int or None
    name : str, default "threads"
        How the errors name the argument (``--threads`` on the command line).

    Returns
    -------
    int or None
    """
    if threads is None:
        return None
    if not is_integer(threads):
        raise TypeError(f"{name} must be an integer >= 1 or None (BLAS as it is), got "
                        f"{threads!r} ({type(threads).__name__})")
    if threads < 1:
        raise ValueError(f"{name} must be an integer >= 1 or None (BLAS as it is), got "
                         f"{threads}")
    return int(threads)


def _above_the_bar(bar):
    """While the progress bar shows, the ``ffnn`` logger's lines (the JAX engine's
    "compiling" message) go above it through ``tqdm.write``, not onto its line."""
    if bar is None or logging.getLogger("ffnn").hasHandlers():
        # the program's own logging handles the record (redirecting would say it twice)
        return contextlib.nullcontext()
    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    return logging_redirect_tqdm(loggers=[logging.getLogger("ffnn")], tqdm_class=tqdm)


def _blas_threads(threads: int | None):
    """threadpoolctl's limit on the BLAS threads for a block; nothing for None."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def train(network: Network, X: ArrayLike, targets: ArrayLike, loss: LossLike, *,
          optimizer: str | GradientTransformation = "sgd", learning_rate=None,
          epochs: int = 100, batch_size: int | None = None, shuffle: bool = True,
          l1: float = 0.0, l2: float = 0.0, penalize_biases: bool = False, validation_data=None,
          validation_fraction: float | None = None, metric="auto",
          callbacks: Sequence[Callback] = (), early_stopping: bool = False, patience: int = 10,
          min_delta: float = 0.0, restore_best: bool = True, seed=None, verbose: int = 1,
          divergence_factor: float = 1000.0, sample_weight=None, checkpoint_path=None,
          checkpoint_every: int = 1, resume_from=None, engine: str = "auto",
          device=None, threads: int | None = None) -> History:
    """Train ``network`` in place and return its :class:`History`.

    The arguments are those of :class:`Trainer` and :meth:`Trainer.fit`, plus
    ``early_stopping`` (adds :class:`EarlyStopping` with ``patience``, ``min_delta`` and
    ``restore_best``), ``checkpoint_path`` (adds :class:`Checkpoint` every
    ``checkpoint_every`` epochs) and ``resume_from`` (a checkpoint: the run continues from it
    and stops after ``epochs`` epochs in all, bit for bit as if it had never stopped; only
    callbacks' own state, such as early stopping's patience count, starts afresh).
    ``threads`` is the number of BLAS threads the fit may use (an integer >= 1; None, the
    default, leaves them as they are): on a shared machine, timings need a fixed thread
    count (see :class:`Trainer`).

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
                      penalize_biases=penalize_biases, batch_size=batch_size, shuffle=shuffle,
                      metric=metric, callbacks=callbacks, seed=seed, verbose=verbose,
                      divergence_factor=divergence_factor, engine=engine, device=device,
                      threads=threads)
    trainer.keep_reference = False  # the guard's reference only if an epoch needs it
    if resume_from is not None:
        trainer.load_checkpoint(resume_from)
        epochs = max(0, epochs - trainer.epoch)
    return trainer.fit(X, targets, epochs, validation_data=validation_data,
                       validation_fraction=validation_fraction, sample_weight=sample_weight)
