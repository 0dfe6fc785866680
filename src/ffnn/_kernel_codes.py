"""The compiled loop's integer codes, keyed by the kernel names that built-ins declare.

An activation, loss or optimizer names its kernel in its class (``kernel = "sigmoid"``,
:mod:`ffnn.registry`); :mod:`ffnn._compiled` turns that name into the code that
:mod:`ffnn._kernels` branches on. A name missing here has no compiled form, and the kernels
refuse a code they do not know. numba-free, so that the driver can read it without numba.
"""

ACTIVATION_KERNELS = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4,
                      "elu": 5, "softmax": 6, "softplus": 7, "silu": 8, "gelu": 9,
                      "exp": 10}
#: The most parameters an activation kernel takes (``alpha``).
ACTIVATION_PARAMS = 1
LOSS_KERNELS = {"mse": 0, "cross_entropy": 1, "binary_cross_entropy": 2, "poisson": 3}
OPTIMIZER_KERNELS = {"sgd": 0, "momentum": 1, "nesterov": 2, "adam": 3}
METRIC_NONE, METRIC_ARGMAX, METRIC_THRESHOLD, METRIC_R2 = range(4)
DONE, DIVERGED = 0, 1

# Slots of the optimizer's hyperparameter array (in the parameters' dtype).
MU, BETA_1, BETA_2, EPS, ONE_MINUS_BETA_1, ONE_MINUS_BETA_2 = range(6)
N_HYPER = 6
