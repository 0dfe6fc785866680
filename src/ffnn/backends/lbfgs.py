"""L-BFGS on the NumPy engine: SciPy's L-BFGS-B over the network's flat parameter buffer,
with the cost and the hand-written gradient of the full batch from one pass.

:class:`LbfgsPath` is a path of :func:`ffnn.training.loop.run_epochs` that trains the whole
run in one call (``whole_run``: SciPy keeps its curvature pairs only inside one call), each
iteration an "epoch" of the History: the cost ``C(θ_k)`` with the penalties, the metric and
the validation part's, all at the iterate ``θ_k``.

    C(θ), ∇C(θ)      numpy_engine.backprop over all samples (one forward, one backward)
    θ_{k+1}          SciPy's line search along −H_k ∇C(θ_k) (LBFGS.minimize)

SciPy works in float64; a float32 network computes in float32 and hands the cost and
gradient over as float64 (scikit-learn's MLP does the same), so its tolerances are those of
float32 sums.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.metrics import METRIC_FUNCTIONS
from ..training.loop import EpochsRun, check_divergence
from .numpy_engine import NumpyPath, backprop

__all__ = ["LbfgsPath", "STATUS"]

#: SciPy's L-BFGS-B ``status`` in words: 0 converged, 1 a limit reached, 2 the line search
#: failed (the cost cannot be lowered along the direction: at a kink, or at rounding level).
STATUS = {0: "converged", 1: "limit", 2: "line search"}


class LbfgsPath(NumpyPath):
    """The full-batch L-BFGS path (see the module): the run's iterations in one call.

    After :meth:`run`, ``result`` holds SciPy's ``OptimizeResult`` and the trainer's
    ``stop_reason`` is ``"converged"`` (``status`` 0), ``"limit"`` (``max_iter`` or
    ``max_fun`` reached) or ``"line search"`` (the line search found no lower cost), its
    ``stop_message`` SciPy's message.
    """

    name = "numpy"
    whole_run = True  # run_epochs hands over every epoch at once; callbacks hear late

    def __init__(self, trainer, X, Y, weights, validation_data):
        super().__init__(trainer, X, Y, weights, validation_data)
        self.result = None

    def initial_loss(self) -> float:
        """No loss test for the guard: a line search never raises the cost, so only a cost
        or weights that stop being finite stop the run (NaN: no reference)."""
        return math.nan

    def defer_initial_loss(self) -> None:
        return None

    def epochs_per_call(self, per_epoch: bool) -> int:
        return 2**62  # the whole run: L-BFGS keeps its memory only within one SciPy call

    def run(self, count: int) -> EpochsRun:
        trainer = self.trainer
        net, loss, X, Y, weights = trainer.network, trainer.loss, self.X, self.Y, self.weights
        l1, l2, biases = trainer.l1, trainer.l2, trainer.penalize_biases
        params = net.params
        start = params.copy()
        grads, _ = trainer.buffers()
        ws = trainer.workspace(X.shape[0], gather=False)
        last = {}  # the latest pass: its point, output and logits (the metric at θ_k)

        def cost_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params[...] = theta  # cast to the network's dtype
            z_last, output = backprop(net, ws, X, Y, loss, l1, l2, grads, weights, biases)
            cost = net.loss_value(z_last, output, Y, loss, weights) + net.penalty(l1, l2,
                                                                                  biases)
            last.update(theta=theta.copy(), output=output.copy())
            return float(cost), grads.astype(np.float64)

        logs: list[dict[str, float]] = []
        iterate = [start]  # the latest θ_k (a line search's trial points are not)

        def heard(theta: np.ndarray, cost: float) -> None:
            logs.append(self._logs_at(theta, cost, last))
            iterate[0] = theta.copy()

        try:
            self.result = trainer.optimizer.minimize(cost_and_gradient,
                                                     params.astype(np.float64), count, heard)
        except KeyboardInterrupt:  # the iterations so far, the weights of the last one
            params[...] = iterate[0]
            return EpochsRun(logs, interrupted=True)
        params[...] = self.result.x
        trainer.stop_reason = STATUS.get(self.result.status, "line search")
        trainer.stop_message = f"L-BFGS-B: {self.result.message}"
        bad, largest = check_divergence(trainer, float(self.result.fun))
        if bad:  # a cost that is not finite: back to the last iterate that was
            params[...] = iterate[0]
            return EpochsRun([], float(self.result.fun), largest)
        return EpochsRun(logs)

    def _logs_at(self, theta: np.ndarray, cost: float, last: dict) -> dict[str, float]:
        """The History's entry for the iterate ``θ_k``: its cost, and the metric (training
        and validation) at it, from the pass that evaluated it when that was the last."""
        trainer = self.trainer
        net, loss = trainer.network, trainer.loss
        logs = {"loss": cost}
        if not trainer.metric and self.validation_data is None:
            return logs
        saved = net.params.copy()
        net.params[...] = theta
        if trainer.metric:
            output = last["output"] if np.array_equal(last.get("theta"), theta) else \
                net.feed_forward_saver(self.X)[2]
            logs[trainer.metric] = METRIC_FUNCTIONS[trainer.metric](output, self.Y, loss)
        if self.validation_data is not None:
            X_val, Y_val = self.validation_data
            _, zs, output = net.feed_forward_saver(X_val)
            logs["val_loss"] = (net.loss_value(zs[-1], output, Y_val, loss)
                                + net.penalty(trainer.l1, trainer.l2, trainer.penalize_biases))
            if trainer.metric:
                logs[f"val_{trainer.metric}"] = METRIC_FUNCTIONS[trainer.metric](
                    output, Y_val, loss)
        net.params[...] = saved
        return logs
