"""ffnn: feed-forward neural networks with backpropagation written by hand in NumPy.

>>> import ffnn
>>> net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
>>> X, targets = ffnn.datasets.load_iris()
>>> layer_grads = net.backprop(X, targets, "cross_entropy")
>>> ffnn.gradcheck(net, X[:10], targets[:10], "cross_entropy").passed
True
"""

from . import activations, datasets, io, losses, optimizers, schedules
from .activations import (
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
from .gradcheck import CheckGradientResult, GradcheckResult, check_gradient, gradcheck
from .io import load, save
from .losses import (
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
from .model import Model, load_model
from .network import BackpropTrace, LayerTrace, Network
from .optimizers import (
    GD,
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
from .training import Callback, EarlyStopping, FallbackWarning, History, Trainer, train

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

# The scikit-learn estimators and the interop helpers import scikit-learn (~1 s), sweeps
# Dask when they run: on demand (baselines too, which imports scikit-learn's linear models
# when it fits them).
_LAZY = {"FFNNClassifier": "estimators", "FFNNRegressor": "estimators",
         "estimators": None, "interop": None, "sweep": "sweeps", "SweepResult": "sweeps",
         "sweeps": None, "baselines": None}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'ffnn' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    return module if _LAZY[name] is None else getattr(module, name)
