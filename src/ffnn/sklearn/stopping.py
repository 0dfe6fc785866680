"""scikit-learn's stopping rule and learning rates, as callbacks and a schedule of ffnn's epoch
loop: ``n_iter_no_change`` epochs without a ``tol`` improvement of the loss (or of the
validation score) end a fit, or divide an ``'adaptive'`` rate by 5; ``'invscaling'``
rates by the samples seen."""

from __future__ import annotations

from ..optim.schedules import Schedule
from ..training.trainer import Callback


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


class ScikitLearnRate(Schedule):
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


class ScikitLearnRule(Callback):
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
                          if isinstance(s, ScikitLearnRate)), None)
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
