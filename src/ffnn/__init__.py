"""ffnn: feed-forward neural networks with backpropagation written by hand in NumPy.

>>> import ffnn
>>> net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
>>> X, targets = ffnn.datasets.load_iris()
>>> layer_grads = net.backprop(X, targets, "cross_entropy")
>>> ffnn.gradcheck(net, X[:10], targets[:10], "cross_entropy").passed
True
"""

from . import io
from ._aliases import OLD_PATHS as _OLD_PATHS
from ._aliases import install as _install_aliases
from .core import activations, losses
from .core.activations import (
    ELU,
    GELU,
    SELU,
    Activation,
    Exp,
    FunctionActivation,
    Identity,
    LeakyReLU,
    Mish,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    elu,
    exp,
    gelu,
    get_activation,
    identity,
    leaky_relu,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .core.gradcheck import CheckGradientResult, GradcheckResult, check_gradient, gradcheck
from .core.losses import (
    MSE,
    BinaryCrossEntropy,
    CrossEntropy,
    FunctionLoss,
    Loss,
    Poisson,
    binary_cross_entropy,
    cross_entropy,
    get_loss,
    mse,
    poisson,
)
from .core.network import BackpropTrace, LayerTrace, Network
from .data import datasets
from .io.model import Model, load_model
from .io.networks import load, save
from .optim import optimizers, schedules
from .optim.optimizers import (
    GD,
    LBFGS,
    SGD,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    ClipGradNorm,
    Momentum,
    NAdam,
    Nesterov,
    RAdam,
    RMSprop,
    chain,
)
from .training.trainer import Callback, EarlyStopping, FallbackWarning, History, Trainer, train

__version__ = "0.2.0"  # the one place; pyproject.toml reads it

__all__ = [
    "Network",
    "Model",
    "load_model",
    "BackpropTrace",
    "LayerTrace",
    "gradcheck",
    "GradcheckResult",
    "check_gradient",
    "CheckGradientResult",
    "Activation",
    "FunctionActivation",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "SiLU",
    "GELU",
    "Mish",
    "SELU",
    "Exp",
    "Softmax",
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "silu",
    "gelu",
    "exp",
    "softmax",
    "get_activation",
    "Loss",
    "MSE",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Poisson",
    "FunctionLoss",
    "mse",
    "binary_cross_entropy",
    "cross_entropy",
    "poisson",
    "get_loss",
    "FFNNClassifier",
    "FFNNRegressor",
    "save",
    "load",
    "train",
    "Trainer",
    "History",
    "Callback",
    "EarlyStopping",
    "FallbackWarning",
    "SGD",
    "GD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "Adamax",
    "LBFGS",
    "RAdam",
    "ClipGradNorm",
    "chain",
    "activations",
    "losses",
    "datasets",
    "optimizers",
    "schedules",
    "io",
    "interop",
    "baselines",
    "estimators",
    "sweep",
    "sweeps",
    "SweepResult",
]

_install_aliases()

# The scikit-learn estimators and the interop helpers import scikit-learn, sweeps Dask when
# they run: on demand, so that ``import ffnn`` stays light (baselines too, which imports
# scikit-learn's linear models when it fits them), plotting matplotlib when a figure is
# drawn. Old module names (``ffnn.network``) are attributes on first use too.
_LAZY = {"FFNNClassifier": "sklearn.estimators", "FFNNRegressor": "sklearn.estimators",
         "sweep": "sweeps.search", "SweepResult": "sweeps.analysis", "sweeps": None,
         "plotting": None,
         **dict.fromkeys(_OLD_PATHS)}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'ffnn' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    return module if _LAZY[name] is None else getattr(module, name)
