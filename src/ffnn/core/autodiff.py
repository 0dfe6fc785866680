"""autograd's NumPy and SciPy wrappers, imported on first use.

The ``reference`` formulas of activations and losses are written with them, but only
:func:`ffnn.core.gradcheck` evaluates those; importing ``autograd.scipy`` costs about 0.6 s
(it pulls in ``scipy.stats`` and ``scipy.integrate``), so ``import ffnn`` does not pay it.
"""

import importlib


class _Lazy:
    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attribute):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


anp = _Lazy("autograd.numpy")
asp = _Lazy("autograd.scipy.special")
