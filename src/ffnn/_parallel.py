"""The parallel path: the NumPy engine's loop with multi-threaded kernels between the products.

On networks too large for the compiled loop the matrix products (BLAS, every core) take most
of a step, and the rest (Adam's thirteen passes over the flat buffers, the bias additions and
activations, their backward passes, the bias gradients' column sums, the gathers) ran on one
core in NumPy while the others waited. :class:`ParallelPath` is :class:`ffnn.engine.NumpyPath`
(the same epochs, shuffles, validation, sample weights, callbacks, guard and state) with three
parts of a batch replaced: the row gather, the chain rule between the products
(:func:`ParallelPath.backprop`, the engine's ``backprop`` with fused kernels) and the
optimizer's step, each one pass over its arrays on every core (:mod:`ffnn._parallel_kernels`,
numba ``parallel=True``). The kernels compute through the compiled loop's scalar formulas,
chosen by the kernel names the built-ins declare (:mod:`ffnn.registry`); which built-ins this
path runs is read from the same declarations.

Results equal the NumPy engine's bit for bit where the arithmetic is the same (the optimizer
steps, ReLU-type and identity layers, the fused output, the column sums) and to an ulp per
element where libm's ``exp``/``tanh``/``erf`` stand for NumPy's SIMD ones (tested: 1e-12
relative per step in float64). numba is imported only when a fit takes this path.
"""

from __future__ import annotations

import functools
from importlib.util import find_spec

import numpy as np

from . import penalties
from ._compiled import NO_NUMBA, _activation_param, _state_arrays, kernel_code
from ._compiled import _reason_of as _compiled_reason_of
from ._kernel_codes import ACTIVATION_KERNELS, LOSS_KERNELS, OPTIMIZER_KERNELS
from .activations import ACTIVATIONS
from .engine import NumpyPath, Workspace, fast_form
from .losses import LOSSES
from .network import Network, weight_scale
from .optimizers import OPTIMIZERS

__all__ = ["ParallelPath", "unsupported", "PARALLEL_MIN", "COSTLY_MIN"]

#: Arrays with fewer elements than this run a kernel's serial form: waking the threads costs
#: more than they save on so little work (measured on L, 2 cores: the layers' 16–33 k
#: elements and the 100 k of the gather ran slower threaded; Adam's 235 k twice as fast).
PARALLEL_MIN = 2**17

#: The same for a layer whose formula calls ``exp``/``tanh``/``erf`` per element (libm's
#: scalar functions, 7–30 ns an element): there the threads pay from a few thousand elements
#: (L's 128 × 256 layer, 2 cores: sigmoid forward 208 → 108 µs, tanh 935 → 487, GELU's
#: backward 818 → 573; ReLU's forward 14 → 31 and sigmoid's backward 41 → 59 lose).
COSTLY_MIN = 2**13
_COSTLY_FORWARD = {ACTIVATION_KERNELS[name] for name in
                   ("sigmoid", "tanh", "elu", "softplus", "silu", "gelu", "exp", "softmax")}
_COSTLY_BACKWARD = {ACTIVATION_KERNELS[name] for name in ("softplus", "silu", "gelu")}


_reason_of = functools.partial(_compiled_reason_of, path="parallel", form="parallel kernel")


def unsupported(trainer, X) -> str | None:
    """Why the parallel path cannot run this fit, or None when it can."""
    for f in trainer.network.activation_funcs:
        reason = _reason_of(f, ACTIVATIONS, ACTIVATION_KERNELS, "activation")
        if reason:
            return reason
    reason = (_reason_of(trainer.loss, LOSSES, LOSS_KERNELS, "loss")
              or _reason_of(trainer.optimizer, OPTIMIZERS, OPTIMIZER_KERNELS, "optimizer"))
    if reason:
        return reason
    if not isinstance(X, np.ndarray):
        return "a sparse X runs on the NumPy engine (SciPy's products)"
    if find_spec("numba") is None:
        return NO_NUMBA
    try:
        from . import _parallel_kernels  # noqa: F401
    except Exception as exc:  # numba present but broken
        return f"numba does not import ({type(exc).__name__}: {exc})"
    return None


def threads() -> int:
    """The threads the kernels use: numba's, but no more than BLAS may use (a sweep's
    ``threadpool_limits(1)`` or ``OMP_NUM_THREADS`` bound the kernels too)."""
    from numba import get_num_threads
    from threadpoolctl import threadpool_info

    blas = [entry["num_threads"] for entry in threadpool_info()
            if entry.get("user_api") == "blas"]
    return max(1, min([get_num_threads(), *blas]))


class ParallelPath(NumpyPath):
    """:class:`~ffnn.engine.NumpyPath` with the gather, the work between the matrix products
    and the optimizer step in multi-threaded kernels (see the module's text)."""

    name = "parallel"

    def __init__(self, trainer, X, Y, weights, validation_data):
        from . import _parallel_kernels

        super().__init__(trainer, X, Y, weights, validation_data)
        self.kernels = _parallel_kernels
        net, loss = trainer.network, trainer.loss
        self.codes = [kernel_code(f, ACTIVATIONS, ACTIVATION_KERNELS)
                      for f in net.activation_funcs]
        self.alphas = [net.dtype.type(_activation_param(f)) for f in net.activation_funcs]
        self.elementwise = [f.elementwise for f in net.activation_funcs]
        self.fused = loss.fuses_with(net.activation_funcs[-1])
        self.opt_code = kernel_code(trainer.optimizer, OPTIMIZERS, OPTIMIZER_KERNELS)
        self.threads = threads()

    def _pick(self, kernel, size: int, costly: bool = False):
        """``(kernel, blocks)``: the kernel's threaded form and one block per thread for
        ``size`` elements or more (``COSTLY_MIN`` for a ``costly`` formula, else
        ``PARALLEL_MIN``), else its serial form and one block."""
        if self.threads > 1 and size >= (COSTLY_MIN if costly else PARALLEL_MIN):
            return functools.partial(kernel[0], self.threads)
        return functools.partial(kernel[1], 1)

    def epoch(self) -> dict[str, float]:
        from numba import get_num_threads, set_num_threads

        before = get_num_threads()
        set_num_threads(self.threads)  # numba's setting is the calling thread's own
        try:
            return super().epoch()
        finally:
            set_num_threads(before)

    def gather(self, X, Y, index, ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
        K = self.kernels
        self._pick(K.gather_rows, ws.X.size)(X, index, ws.X)
        self._pick(K.gather_rows, ws.Y.size)(Y, index, ws.Y)
        return ws.X, ws.Y

    def backprop(self, network: Network, ws: Workspace, X, Y, loss, l1: float, l2: float,
                 out: np.ndarray, sample_weight=None, penalize_biases: bool = False):
        """:func:`ffnn.engine.backprop` with the work between the products in kernels: the
        same products (``np.matmul``), the same operations per element."""
        K, layers = self.kernels, network._layers
        last = len(layers) - 1
        a = X
        for (W, b), code, alpha, z, a_next in zip(layers, self.codes, self.alphas, ws.z,
                                                  ws.a):
            np.matmul(a, W, out=z)
            self._pick(K.bias_activation, z.size, code in _COSTLY_FORWARD)(code, alpha, z, b,
                                                                           a_next)
            a = a_next
        grads = ws.grad_views(out)
        for i in range(last, -1, -1):
            z, a, dC_dz = ws.z[i], ws.a[i], ws.dC_dz[i]
            dC_dW, dC_db = grads[i]
            backward_sums = self._pick(K.backward_sums, z.size,
                                       self.codes[i] in _COSTLY_BACKWARD)
            if i == last:
                if self.fused:  # (p - y) / n and its column sums in one pass
                    self._pick(K.fused_output, z.size)(a, Y, z.dtype.type(len(z)), dC_dz,
                                                       dC_db)
                else:  # dC/da (into dC_dz when f is elementwise), then through f
                    if self.elementwise[i] and fast_form(loss, "gradient_into", "gradient"):
                        dC_da = loss.gradient_into(a, Y, dC_dz)
                    else:
                        dC_da = loss.gradient(a, Y)
                    self._through(i, backward_sums, z, a, dC_da, dC_dz, dC_db, ws)
                if sample_weight is not None:
                    dC_dz *= weight_scale(sample_weight)[:, None].astype(dC_dz.dtype,
                                                                         copy=False)
                    backward_sums(K.IDENTITY, self.alphas[i], z, a, dC_dz, dC_dz, dC_db)
            else:
                dC_da = ws.dC_da[i]
                np.matmul(ws.dC_dz[i + 1], layers[i + 1][0].T, out=dC_da)
                self._through(i, backward_sums, z, a, dC_da, dC_dz, dC_db, ws)
            np.matmul(X.T if i == 0 else ws.a[i - 1].T, dC_dz, out=dC_dW)
            penalties.add_layer_gradient(*layers[i], dC_dW, dC_db, l1, l2, penalize_biases,
                                         ws.scratch[i])
        return ws.z[last], ws.a[last]

    def _through(self, i, backward_sums, z, a, dC_da, dC_dz, dC_db, ws) -> None:
        """``dC_dz = f'(z) ⊙ dC_da`` and ``dC_db`` for layer ``i``; softmax's Jacobian (not
        elementwise) by its NumPy form, then the column sums."""
        if self.elementwise[i]:
            backward_sums(self.codes[i], self.alphas[i], z, a, dC_da, dC_dz, dC_db)
            return
        ws.forms[i][1](z, a, dC_da, dC_dz)
        backward_sums(self.kernels.IDENTITY, self.alphas[i], z, a, dC_dz, dC_dz, dC_db)

    def stepper(self, optimizer):
        """The optimizer's step as one pass over the flat buffers: its kernel, with the
        scalars cast to the dtype as NumPy casts Python floats (hyperparameters and the rate
        read at each step: a callback may change them)."""
        K, code, dtype = self.kernels, self.opt_code, self.trainer.network.dtype
        cast = dtype.type

        def step(params, grads, state, scratch):
            velocity, m, v = _state_arrays(state, dtype)
            size = params.size
            lr = cast(optimizer._rate(state["step"]))
            if code == OPTIMIZER_KERNELS["adam"]:
                beta_1, beta_2 = optimizer.betas
                t = state["step"] + 1
                self._pick(K.adam, size)(params, grads, m, v, cast(beta_1), cast(beta_2),
                                           cast(1 - beta_1), cast(1 - beta_2),
                                           cast(optimizer.eps), lr, cast(1 - beta_1**t),
                                           cast(1 - beta_2**t))
                state["step"] = t
                return state
            if code == OPTIMIZER_KERNELS["sgd"]:
                self._pick(K.sgd, size)(params, grads, lr)
            elif code in (OPTIMIZER_KERNELS["momentum"], OPTIMIZER_KERNELS["nesterov"]):
                self._pick(K.momentum, size)(params, grads, velocity,
                                               cast(optimizer.momentum), lr,
                                               code == OPTIMIZER_KERNELS["nesterov"])
            else:
                raise ValueError(f"optimizer kernel code {code} has no parallel step")
            state["step"] += 1
            return state

        return step
