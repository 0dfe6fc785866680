"""Moving networks to and from scikit-learn and PyTorch.

scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` store a network exactly as ffnn does:
``coefs_[l]`` of shape ``(n_in, n_out)`` and ``intercepts_[l]`` of shape ``(n_out,)`` with
``z = a @ W + b``. PyTorch's ``nn.Linear`` stores the transpose, ``weight`` of shape
``(n_out, n_in)``, and computes ``z = a @ weight.T + bias``.

- :func:`from_sklearn` / :func:`to_sklearn`: a fitted scikit-learn MLP ⇄ a :class:`Network`.
- :func:`to_torch_state_dict`: the weights as a PyTorch state dict of NumPy arrays (no
  PyTorch needed), :func:`to_torch`: an ``nn.Sequential`` ready to run.
- :func:`from_torch`: an ``nn.Sequential`` of ``Linear`` and activation modules, or a state
  dict plus the activations' names, back to a :class:`Network`.

PyTorch is optional: it is imported only inside the functions that need a module.
Activations given as ``(f, f_prime)`` pairs or custom :class:`~ffnn.core.activations.Activation`
subclasses cannot be exported, since neither library can know what they compute.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.validation import check_is_fitted

from ..core.activations import (
    ACTIVATIONS,
    Activation,
    ActivationLike,
    Exp,
    Identity,
    Sigmoid,
    Softmax,
    is_single_activation,
)
from ..core.network import Network
from ..core.validation import FLOAT_DTYPES

if TYPE_CHECKING:
    import torch

__all__ = ["from_sklearn", "to_sklearn", "to_torch_state_dict", "to_torch", "from_torch"]



def _sklearn_hidden(f: Activation) -> str | None:
    """scikit-learn's name for a hidden activation (exact built-in types only: a subclass
    may compute something else), or None."""
    return type(f).sklearn if ACTIVATIONS.is_builtin(f) else None


def _from_sklearn_hidden(name: str) -> type[Activation] | None:
    return next((cls for cls in ACTIVATIONS if cls.sklearn == name), None)


def _sklearn_hidden_names() -> str:
    """``identity, logistic (sigmoid), tanh and relu``: scikit-learn's names (ffnn's)."""
    names = [cls.sklearn + ("" if cls.sklearn == cls.name else f" ({cls.name})")
             for cls in ACTIVATIONS if cls.sklearn]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _torch_classes() -> list[type[Activation]]:
    return [cls for cls in ACTIVATIONS if cls.torch]


_TORCH_HINT = (
    "PyTorch is optional for ffnn and is not installed: install it (pip install torch) to "
    "build or read PyTorch modules; to_torch_state_dict and from_torch with a state dict of "
    "NumPy arrays work without it"
)


# -- helpers ----------------------------------------------------------------------------------


def _check_network(network, name: str = "network") -> Network:
    if not isinstance(network, Network):
        raise TypeError(f"{name} must be an ffnn.Network, got {type(network).__name__}")
    return network


def _describe(f: Activation) -> str:
    return f"{f.name!r} ({type(f).__name__})"


def _build_network(layers: list[tuple[np.ndarray, np.ndarray]], activations, dtype) -> Network:
    """A Network holding exactly ``layers`` (copied in, cast to ``dtype``)."""
    net = Network(
        layers[0][0].shape[0],
        [W.shape[1] for W, _ in layers],
        activations,
        initializer=lambda rng, n_in, n_out: (np.zeros((n_in, n_out)), np.zeros(n_out)),
        dtype=dtype,
        seed=0,
    )
    net.layers = layers
    return net


def _import_torch(caller: str):
    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"{caller} needs PyTorch. {_TORCH_HINT}") from exc
    return torch


def _check_exportable(network: Network) -> None:
    for i, f in enumerate(network.activation_funcs):
        if not (ACTIVATIONS.is_builtin(f) and type(f).torch):
            names = ", ".join(cls.name for cls in _torch_classes())
            kind = "activation" if ACTIVATIONS.is_builtin(f) else "custom activation"
            raise ValueError(
                f"layer {i} uses the {kind} {_describe(f)}, which cannot be exported "
                f"to PyTorch: only {names} have a PyTorch module; rebuild the network with "
                "one of those"
            )


# -- scikit-learn -----------------------------------------------------------------------------


def from_sklearn(mlp: MLPClassifier | MLPRegressor) -> Network:
    """A :class:`Network` computing what a fitted scikit-learn MLP computes.

    Parameters
    ----------
    mlp : MLPClassifier or MLPRegressor
        Fitted. Its hidden layers use ``mlp.activation`` (``'identity'``, ``'logistic'``,
        ``'tanh'`` or ``'relu'``), its output layer ``mlp.out_activation_`` (``'identity'``,
        ``'exp'`` for ``loss='poisson'``, ``'logistic'`` or ``'softmax'``).

    Returns
    -------
    Network
        Layer ``l`` holds ``(coefs_[l], intercepts_[l])``, ``W`` of shape ``(n_in, n_out)``;
        dtype that of ``coefs_`` (float64 or float32). ``network.predict(X)`` equals
        ``mlp.predict_proba(X)`` for a multiclass or multilabel classifier, its second column
        ``predict_proba(X)[:, 1]`` (shape ``(n_samples, 1)``) for a binary one, and
        ``mlp.predict(X)`` (always 2-D) for a regressor (an ``exp`` output for
        ``loss='poisson'``: train it on with ffnn's ``"poisson"`` loss). Class labels are not
        kept: they are ``mlp.classes_``, in the order of the outputs.

    Raises
    ------
    TypeError
        If ``mlp`` is not an MLPClassifier or MLPRegressor.
    sklearn.exceptions.NotFittedError
        If it is not fitted (a ValueError).
    ValueError
        If it uses an output activation ffnn does not have.
    """
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise TypeError(
            f"mlp must be a scikit-learn MLPClassifier or MLPRegressor, got {type(mlp).__name__}"
        )
    check_is_fitted(
        mlp,
        ["coefs_", "intercepts_", "out_activation_"],
        msg=f"mlp: this {type(mlp).__name__} is not fitted yet; call fit before from_sklearn",
    )
    hidden, output = mlp.activation, mlp.out_activation_
    hidden_class = _from_sklearn_hidden(hidden)
    if hidden_class is None:
        raise ValueError(
            f"mlp.activation {hidden!r} is not supported; expected {_sklearn_hidden_names()}"
        )
    if output not in _SKLEARN_OUTPUTS:
        raise ValueError(
            f"mlp.out_activation_ {output!r} is not supported (ffnn has no such activation); "
            f"expected {', '.join(_SKLEARN_OUTPUTS)}"
        )
    coefs, intercepts = list(mlp.coefs_), list(mlp.intercepts_)
    dtype = np.asarray(coefs[0]).dtype
    if dtype not in FLOAT_DTYPES:
        raise ValueError(f"mlp.coefs_ must be float64 or float32, got {dtype.name}")
    activations = [hidden_class()] * (len(coefs) - 1) + [ACTIVATIONS.lookup(output)()]
    return _build_network(list(zip(coefs, intercepts)), activations, dtype)


#: scikit-learn's output activations, all ffnn names (``logistic``: sigmoid's alias).
_SKLEARN_OUTPUTS = ("identity", "exp", "logistic", "softmax")


def _sorted_classes(classes, n_classes: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` as an array checked for length and uniqueness, and the sorting order."""
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.shape[0] != n_classes:
        raise ValueError(
            f"classes must be a 1-D sequence of {n_classes} labels for {what}, "
            f"got shape {classes.shape}"
        )
    order = np.argsort(classes, kind="stable")
    ordered = classes[order]
    if np.any(ordered[1:] == ordered[:-1]):
        raise ValueError(f"classes must be distinct labels, got {classes.tolist()}")
    return classes, order


def _set_training_state(est, coefs, intercepts) -> None:
    """What scikit-learn's ``_initialize`` sets, so that ``partial_fit`` and ``warm_start``
    continue from these weights (defaults: solver 'adam', no early stopping)."""
    est.n_iter_ = 0
    est.t_ = 0
    est._best_coefs = [c.copy() for c in coefs]
    est._best_intercepts = [i.copy() for i in intercepts]
    est.loss_curve_ = []
    est._no_improvement_count = 0
    est.best_loss_ = np.inf
    est.validation_scores_ = None
    est.best_validation_score_ = None


def _hidden_params(network: Network) -> dict[str, Any]:
    """scikit-learn's ``hidden_layer_sizes`` and ``activation`` for the hidden layers."""
    hidden = network.activation_funcs[:-1]
    for i, f in enumerate(hidden):
        if _sklearn_hidden(f) is None:
            raise ValueError(
                f"scikit-learn's MLP offers {_sklearn_hidden_names()} for hidden layers, but "
                f"hidden layer {i} uses {_describe(f)}"
            )
    names = [_sklearn_hidden(f) for f in hidden]
    if len(set(names)) > 1:
        raise ValueError(
            "scikit-learn's MLP uses one activation for every hidden layer, but this network's "
            f"hidden layers use {', '.join(f.name for f in hidden)}"
        )
    params: dict[str, Any] = {"hidden_layer_sizes": tuple(network.layer_output_sizes[:-1])}
    if names:
        params["activation"] = names[0]
    return params


def _poisson_regressor(params: dict[str, Any]) -> MLPRegressor:
    """``MLPRegressor(loss="poisson")``, which scikit-learn has since 1.7."""
    if "loss" not in MLPRegressor().get_params():
        import sklearn

        raise ValueError(
            f"an exp output is scikit-learn's MLPRegressor(loss='poisson'), which "
            f"scikit-learn {sklearn.__version__} does not have (it came in 1.7)"
        )
    return MLPRegressor(loss="poisson", **params)


def to_sklearn(
    network: Network, *, classes: Sequence | np.ndarray | None = None
) -> MLPClassifier | MLPRegressor:
    """A fitted scikit-learn MLP whose ``predict`` and ``predict_proba`` reproduce ``network``.

    scikit-learn's MLPs use one activation for every hidden layer (identity, logistic =
    sigmoid, tanh or relu) and choose the output activation from the task, so:

    ========================  =============================  =================================
    network's output          estimator                      ``predict_proba(X)``
    ========================  =============================  =================================
    identity                  MLPRegressor                   (``predict(X)`` = the output)
    exp                       MLPRegressor, loss="poisson"   (``predict(X)`` = the output)
    sigmoid, 1 output         MLPClassifier, binary          ``[1 - p, p]``
    sigmoid, k ≥ 2 outputs    MLPClassifier, multilabel      the output; ``predict`` is p > 0.5
    softmax, k ≥ 3 outputs    MLPClassifier, multiclass      the output
    softmax, 2 outputs        MLPClassifier, binary          the output (see below)
    ========================  =============================  =================================

    scikit-learn has no two-output softmax: its binary classifier has one logistic output.
    ``softmax(z)_1 = sigmoid(z_1 - z_0)``, so the last layer becomes ``W[:, 1] - W[:, 0]``,
    ``b[1] - b[0]`` with a sigmoid, the same function up to rounding.

    Parameters
    ----------
    network : Network
    classes : sequence, optional
        Class labels of a classifier, one per output (two for a single sigmoid output: the
        labels of ``p < 0.5`` and ``p > 0.5``). Default ``0, ..., k-1``, or ``[0, 1]``.
        scikit-learn keeps ``classes_`` sorted: given unsorted labels, the outputs are reordered
        to match (a single sigmoid output is negated, ``1 - sigmoid(z) = sigmoid(-z)``).
        For multilabel outputs scikit-learn's ``classes_`` are the column indices, so only
        ``0, ..., k-1`` is accepted.

    Returns
    -------
    MLPClassifier or MLPRegressor
        With ``hidden_layer_sizes`` and ``activation`` of the network and every fitted
        attribute set (``coefs_``, ``intercepts_``, ``n_layers_``, ``n_outputs_``,
        ``out_activation_``, ``n_features_in_``; ``classes_`` and ``_label_binarizer`` for
        classifiers; the training state ``partial_fit`` and ``warm_start`` continue from).
        Parameters are copies in the network's dtype. A float32 network gives a float32
        estimator, which computes in float64 when given float64 inputs.

    Raises
    ------
    ValueError
        If a hidden activation is not one of scikit-learn's four, the hidden layers mix
        activations, or the output activation has no scikit-learn counterpart; if ``classes``
        does not fit the outputs or is given for a regressor.
    """
    network = _check_network(network)
    out = network.activation_funcs[-1]
    params = _hidden_params(network)
    coefs = [np.array(W) for W, _ in network.layers]
    intercepts = [np.array(b) for _, b in network.layers]
    k = network.n_outputs
    out_type = type(out)
    if out_type is Identity:
        if classes is not None:
            raise ValueError(
                "classes is for classifiers, but the network's identity output makes a "
                "regressor (MLPRegressor)"
            )
        est: MLPClassifier | MLPRegressor = MLPRegressor(**params)
        out_activation = "identity"
    elif out_type is Exp:
        if classes is not None:
            raise ValueError(
                "classes is for classifiers, but the network's exp output makes a Poisson "
                "regressor (MLPRegressor(loss='poisson'))"
            )
        est = _poisson_regressor(params)
        out_activation = "exp"
    elif out_type is Softmax or (out_type is Sigmoid and k == 1):
        if out_type is Softmax and k == 1:
            raise ValueError(
                "a softmax over a single output is always 1: scikit-learn has no such "
                "classifier; use a sigmoid output for a binary classifier"
            )
        n_classes = max(k, 2)
        default = np.arange(n_classes)
        labels, order = _sorted_classes(
            default if classes is None else classes,
            n_classes,
            f"a network with {k} {out.name} output{'s' * (k > 1)}",
        )
        if out_type is Softmax:
            coefs[-1], intercepts[-1] = coefs[-1][:, order], intercepts[-1][order]
            if k == 2:  # softmax(z)_1 = sigmoid(z_1 - z_0): scikit-learn's binary output
                coefs[-1] = coefs[-1][:, 1:] - coefs[-1][:, :1]
                intercepts[-1] = intercepts[-1][1:] - intercepts[-1][:1]
        elif order[0] == 1:  # p = P(labels[1]), the smaller label: negate for P(larger)
            coefs[-1], intercepts[-1] = -coefs[-1], -intercepts[-1]
        est = MLPClassifier(**params)
        est._label_binarizer = LabelBinarizer().fit(labels[order])
        out_activation = "softmax" if k > 2 else "logistic"
    elif out_type is Sigmoid:  # k >= 2: multilabel
        if classes is not None and not np.array_equal(np.asarray(classes), np.arange(k)):
            raise ValueError(
                f"a network with {k} sigmoid outputs makes a multilabel classifier, whose "
                f"classes_ scikit-learn sets to the column indices 0..{k - 1}; got classes "
                f"{np.asarray(classes).tolist()}"
            )
        est = MLPClassifier(**params)
        est._label_binarizer = LabelBinarizer().fit(np.eye(k, dtype=int))
        out_activation = "logistic"
    else:
        raise ValueError(
            "scikit-learn's MLP output is identity (MLPRegressor), exp (MLPRegressor with "
            "loss='poisson'), logistic (sigmoid: binary or multilabel MLPClassifier) or "
            f"softmax (multiclass), but the output layer uses {_describe(out)}"
        )

    if isinstance(est, MLPClassifier):
        est.classes_ = est._label_binarizer.classes_
    est.coefs_ = coefs
    est.intercepts_ = intercepts
    est.n_layers_ = network.n_layers + 1  # scikit-learn counts the input layer
    est.n_outputs_ = coefs[-1].shape[1]
    est.out_activation_ = out_activation
    est.n_features_in_ = network.network_input_size
    _set_training_state(est, coefs, intercepts)
    return est


# -- PyTorch ----------------------------------------------------------------------------------


def _torch_layout(network: Network) -> list[tuple[int, Activation]]:
    """For each layer, the index of its Linear module in the Sequential, then its activation.

    Each layer is a ``Linear`` followed by its activation module; identity has none.
    """
    layout, index = [], 0
    for f in network.activation_funcs:
        layout.append((index, f))
        index += 1 if type(f) is Identity else 2
    return layout


def to_torch_state_dict(network: Network) -> dict[str, np.ndarray]:
    """The state dict of the ``nn.Sequential`` that :func:`to_torch` builds, as NumPy arrays.

    Needs no PyTorch. The Sequential is each layer's ``Linear`` followed by its activation
    module (none for identity), so ``Linear -> ReLU -> Linear`` gives the keys ``"0.weight"``,
    ``"0.bias"``, ``"2.weight"``, ``"2.bias"``. Load it with
    ``module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``.

    Parameters
    ----------
    network : Network

    Returns
    -------
    dict of str to ndarray
        ``"{i}.weight"`` of shape ``(n_out, n_in)`` (``W.T``, contiguous) and ``"{i}.bias"`` of
        shape ``(n_out,)``, in layer order, copies in the network's dtype.

    Raises
    ------
    ValueError
        If the network uses a custom activation, which has no PyTorch module.
    """
    network = _check_network(network)
    _check_exportable(network)
    state: dict[str, np.ndarray] = {}
    for (index, _), (W, b) in zip(_torch_layout(network), network.layers):
        state[f"{index}.weight"] = np.ascontiguousarray(W.T)
        state[f"{index}.bias"] = np.array(b)
    return state


def _torch_activation(nn, f: Activation):
    """The module its declaration names (``_check_exportable`` ran)."""
    cls = type(f)
    kwargs = {ours: getattr(f, p) for p, ours in cls.torch_params.items()}
    return getattr(nn, cls.torch)(**kwargs, **cls.torch_fixed)


def _activation_from_module(index: int, m) -> Activation:
    """The ffnn activation a torch module computes, by the declarations (module ``index``)."""
    for cls in _torch_classes():
        if type(m).__name__ == cls.torch and type(m).__module__.startswith("torch.nn"):
            break
    else:
        raise ValueError(
            f"module {index} ({type(m).__name__}) is not supported: from_torch reads Linear "
            f"and the modules {', '.join(c.torch for c in _torch_classes())}"
        )
    if cls is Softmax:
        if m.dim not in (-1, 1):
            raise ValueError(
                f"module {index} is Softmax(dim={m.dim}); ffnn's softmax runs over the "
                "features, dim=-1 (or 1 for inputs of shape (n_samples, n_features))"
            )
        return Softmax()
    for attribute, value in cls.torch_fixed.items():
        if getattr(m, attribute) != value:
            raise ValueError(
                f"module {index} is {type(m).__name__}({attribute}={getattr(m, attribute)!r}); "
                f"ffnn's {cls.name} is the one with {attribute}={value!r}"
            )
    return cls(**{p: getattr(m, ours) for p, ours in cls.torch_params.items()})


def to_torch(network: Network) -> torch.nn.Sequential:
    """An ``nn.Sequential`` computing what ``network`` computes, in its dtype.

    Each layer becomes ``nn.Linear(n_in, n_out)`` holding ``weight = W.T`` and ``bias = b``,
    followed by the module its activation declares (``Activation.torch``): ``Sigmoid``,
    ``Tanh``, ``ReLU``, ``LeakyReLU(negative_slope=alpha)``, ``ELU(alpha)``, ``Softplus``,
    ``SiLU``, ``GELU``, ``Softmax(dim=-1)``, or nothing for identity. A softmax output gives
    probabilities, like ``network.predict``; to train with ``nn.CrossEntropyLoss``, which
    takes logits, drop the last module.

    Parameters
    ----------
    network : Network

    Returns
    -------
    torch.nn.Sequential
        Its ``state_dict()`` equals :func:`to_torch_state_dict`; parameters are copies.
        Built without drawing from PyTorch's global random state.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    ValueError
        If the network uses a custom activation, which has no PyTorch module.
    """
    network = _check_network(network)
    state = to_torch_state_dict(network)
    torch = _import_torch("to_torch")
    nn = torch.nn
    dtype = {"float64": torch.float64, "float32": torch.float32}[network.dtype.name]
    modules = []
    for (n_in, n_out), f in zip(network.shapes, network.activation_funcs):
        # skip_init: no initial weights drawn (they are overwritten), so torch's RNG is untouched
        modules.append(nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=dtype))
        if type(f) is not Identity:
            modules.append(_torch_activation(nn, f))
    sequential = nn.Sequential(*modules)
    sequential.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    return sequential


def _as_numpy(value, name: str) -> np.ndarray:
    """A tensor or array-like as a NumPy array of float32 or float64, without importing torch."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        dtype_name = str(value.dtype).removeprefix("torch.")
        if dtype_name not in ("float32", "float64"):
            raise ValueError(
                f"{name} must be float32 or float64, got a tensor of dtype {dtype_name}; "
                "convert it with .float() or .double()"
            )
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be float32 or float64, got dtype {array.dtype}")
    return array


def _layers_from_state_dict(state: Mapping) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W, b), ...]`` from ``"<prefix>.weight"`` / ``"<prefix>.bias"`` in insertion order."""
    grouped: dict[str, dict[str, Any]] = {}
    for key, value in state.items():
        prefix, _, kind = str(key).rpartition(".")
        if kind not in ("weight", "bias"):
            raise ValueError(
                f"state dict key {key!r} is not a Linear layer's 'weight' or 'bias': from_torch "
                "reads Linear layers only (activations have no parameters)"
            )
        grouped.setdefault(prefix, {})[kind] = value
    if not grouped:
        raise ValueError("the state dict holds no Linear layer ('<i>.weight' keys)")
    layers = []
    for prefix, entry in grouped.items():
        name = f"{prefix}.weight" if prefix else "weight"
        if "weight" not in entry:
            raise ValueError(f"state dict: {prefix!r} has a bias but no weight")
        W = _as_numpy(entry["weight"], f"state dict {name!r}")
        if W.ndim != 2:
            raise ValueError(
                f"state dict {name!r} must be a Linear weight of shape (out_features, "
                f"in_features), got shape {W.shape}"
            )
        if "bias" in entry:
            b = _as_numpy(entry["bias"], f"state dict {name[:-6]}bias")
            if b.shape != (W.shape[0],):
                raise ValueError(
                    f"state dict {prefix!r}: bias must have shape ({W.shape[0]},) to match "
                    f"weight {W.shape}, got {b.shape}"
                )
        else:  # Linear(..., bias=False)
            b = np.zeros(W.shape[0], dtype=W.dtype)
        layers.append((W.T, b))
    return layers


def _layers_from_sequential(torch, module) -> tuple[list, list[Activation]]:
    nn = torch.nn
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    activations: list[Activation | None] = []
    for i, m in enumerate(module):
        t = type(m)
        if t is nn.Linear:
            W = _as_numpy(m.weight, f"module {i} (Linear) weight")
            b = (
                np.zeros(W.shape[0], dtype=W.dtype)
                if m.bias is None
                else _as_numpy(m.bias, f"module {i} (Linear) bias")
            )
            layers.append((W.T, b))
            activations.append(None)
            continue
        if t is nn.Identity:
            continue
        f = _activation_from_module(i, m)
        if not activations:
            raise ValueError(f"module {i} ({t.__name__}) comes before any Linear layer")
        if activations[-1] is not None:
            raise ValueError(
                f"module {i} ({t.__name__}) follows another activation: each Linear layer "
                "may be followed by one activation"
            )
        activations[-1] = f
    if not layers:
        raise ValueError("the Sequential holds no Linear layer")
    return layers, [Identity() if f is None else f for f in activations]


def from_torch(
    module_or_state_dict: torch.nn.Sequential | Mapping[str, Any],
    activations: ActivationLike | Sequence[ActivationLike] | None = None,
) -> Network:
    """A :class:`Network` from a PyTorch ``nn.Sequential`` or from a state dict.

    Parameters
    ----------
    module_or_state_dict : torch.nn.Sequential or mapping of str to tensor or ndarray
        A Sequential of ``Linear`` layers, each followed by at most one of ``Sigmoid``,
        ``Tanh``, ``ReLU``, ``LeakyReLU``, ``ELU`` or ``Softmax(dim=-1)`` (``Identity``
        modules are skipped; a Linear without one is an identity layer); the activations are
        read from the modules. Or a state dict (``module.state_dict()`` or
        :func:`to_torch_state_dict`): ``"<prefix>.weight"`` of shape ``(n_out, n_in)`` and
        optionally ``"<prefix>.bias"``, as tensors or NumPy arrays, layers in the dict's
        order. Reading a state dict of NumPy arrays needs no PyTorch.
    activations : list of names or Activations, or one for every layer
        Required with a state dict, one per Linear layer (e.g. ``["relu", "softmax"]``);
        must be None with a module.

    Returns
    -------
    Network
        Layer ``l`` holds ``W = weight.T`` and ``b = bias`` (zeros for ``bias=False``), bit
        for bit; dtype that of the weights (float32 or float64).

    Raises
    ------
    TypeError
        If the input is neither a state dict nor an ``nn.Sequential``.
    ValueError
        For unsupported modules, misplaced activations, keys that are not Linear parameters,
        shapes that do not chain, mixed or non-float dtypes, or a missing or superfluous
        ``activations``.
    """
    obj = module_or_state_dict
    if isinstance(obj, Mapping):
        if activations is None:
            raise ValueError(
                "a state dict holds no activations: pass activations, one name per Linear "
                "layer (e.g. ['relu', 'softmax'])"
            )
        layers = _layers_from_state_dict(obj)
        if (
            isinstance(activations, (list, tuple))
            and not is_single_activation(activations)  # one for every layer, as Network reads
            and len(activations) != len(layers)
        ):
            raise ValueError(
                f"activations must have one entry per Linear layer: the state dict holds "
                f"{len(layers)}, got {len(activations)}"
            )
        acts: Any = activations
    else:
        # A torch module's class comes from torch, so torch is imported if obj is one.
        torch = sys.modules.get("torch")
        if torch is None or not isinstance(obj, torch.nn.Module):
            raise TypeError(
                "module_or_state_dict must be a torch.nn.Sequential or a state dict (a "
                f"mapping of str to tensors or arrays), got {type(obj).__name__}"
            )
        if not isinstance(obj, torch.nn.Sequential):
            raise TypeError(
                f"from_torch reads an nn.Sequential, got {type(obj).__name__}; for another "
                "module pass its state_dict() and activations"
            )
        if activations is not None:
            raise ValueError(
                "activations are read from the Sequential's modules: pass activations=None"
            )
        layers, acts = _layers_from_sequential(torch, obj)

    dtypes = {a.dtype for pair in layers for a in pair}
    if len(dtypes) > 1:
        raise ValueError(
            "all weights and biases must share one dtype, got "
            f"{', '.join(sorted(d.name for d in dtypes))}"
        )
    for i in range(1, len(layers)):
        n_prev, n_in = layers[i - 1][0].shape[1], layers[i][0].shape[0]
        if n_prev != n_in:
            raise ValueError(
                f"Linear layer {i} takes {n_in} inputs but layer {i - 1} gives {n_prev} "
                "outputs: the layers do not chain (is the state dict in layer order?)"
            )
    return _build_network(layers, acts, dtypes.pop())
