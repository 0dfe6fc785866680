"""Networks as model files: ``save``/``load`` (with the optimizer's state and the caller's
metadata), the parts a file holds (``network_to_parts``/``network_from_parts``), each
checked against the architecture before a network is built."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.activations import Activation
from ..core.network import Network
from ..core.validation import brief, is_integer
from ..optim.optimizers import state_from_arrays, state_to_arrays
from .components import (
    activation_from_config,
    activation_to_config,
    check_config,
    check_custom_objects,
    missing_custom_message,
)
from .container import ModelFileError, as_path, read_model_file, write_model_file

__all__ = ["network_to_parts", "network_from_parts", "save", "load", "load_with_state"]

_OPT_PREFIX = "opt/"
_MODEL_KEYS = ("format", "format_version", "library_version", "network", "optimizer_state",
               "extra")
_NETWORK_KEYS = ("network_input_size", "layer_output_sizes", "activation_funcs", "dtype",
                 "n_params")
_MAX_CHAIN = 1024  # pieces of a chained optimizer's state (a file's count is bounded by it)


def network_to_parts(network: Network) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split a network into arrays and JSON metadata for :func:`write_model_file`.

    Returns
    -------
    arrays : dict
        ``{"params": copy of network.params}``.
    metadata : dict
        ``{"network": {"network_input_size", "layer_output_sizes", "activation_funcs"
        (configs, see :func:`activation_to_config`), "dtype", "n_params"}}``.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    configs = [activation_to_config(f) for f in network.activation_funcs]
    seen: dict[str, Activation] = {}
    for f, config in zip(network.activation_funcs, configs):
        if "custom" not in config:
            continue
        other = seen.setdefault(config["name"], f)
        if other is not f and other != f:
            raise ValueError(
                f"activation_funcs: two different custom activations are both named "
                f"{config['name']!r}, so loading could not tell them apart; give them "
                "distinct names (FunctionActivation(f, f_prime, name=...))"
            )
    metadata = {
        "network": {
            "network_input_size": int(network.network_input_size),
            "layer_output_sizes": [int(n) for n in network.layer_output_sizes],
            "activation_funcs": configs,
            "dtype": network.dtype.name,
            "n_params": int(network.n_params),
        }
    }
    return {"params": np.array(network.params)}, metadata


def _positive_int(value, name: str) -> int:
    if not is_integer(value) or value < 1:
        raise ModelFileError(f"{name} must be a positive integer, got {brief(value)}")
    return int(value)


def _architecture(layer_sizes: list[int]) -> str:
    if len(layer_sizes) > 12:  # a crafted file may list many layers
        head = " -> ".join(map(str, layer_sizes[:4]))
        return f"{head} -> ... -> {layer_sizes[-1]} ({len(layer_sizes) - 1} layers)"
    return " -> ".join(map(str, layer_sizes))


def _checked_network(arrays, metadata, custom_objects: dict) -> dict[str, Any]:
    """Check every field of the ``network`` description and the ``params`` array against
    each other, building nothing; return what :func:`_build_network` needs.

    The parameter count is computed from the sizes with Python integers and compared with
    the stored array's real size, so no size from the metadata is ever allocated.
    """
    spec = metadata.get("network") if isinstance(metadata, Mapping) else None
    if spec is None:
        raise ModelFileError("the metadata holds no 'network' description: not a saved network")
    if not isinstance(spec, Mapping):
        raise ModelFileError(f"network must be a JSON object, got {brief(spec)}")
    unexpected = sorted(set(spec) - set(_NETWORK_KEYS))
    if unexpected:
        raise ModelFileError(
            f"network: unexpected entries {brief(unexpected)}; a network is described by "
            f"{', '.join(_NETWORK_KEYS)}"
        )
    n_in = _positive_int(spec.get("network_input_size"), "network.network_input_size")
    sizes = spec.get("layer_output_sizes")
    if not isinstance(sizes, list) or not sizes:
        raise ModelFileError(
            "network.layer_output_sizes must be a non-empty list of positive integers, got "
            f"{brief(sizes)}"
        )
    sizes = [_positive_int(n, f"network.layer_output_sizes[{i}]") for i, n in enumerate(sizes)]
    configs = spec.get("activation_funcs")
    if not isinstance(configs, list) or len(configs) != len(sizes):
        raise ModelFileError(
            f"network.activation_funcs must list one activation per layer ({len(sizes)}), "
            f"got {brief(configs)}"
        )
    for i, config in enumerate(configs):
        try:
            check_config(config)
        except ModelFileError as exc:
            raise ModelFileError(f"network.activation_funcs[{i}]: {exc}") from exc
    missing = [c for c in configs if c.get("custom") and c["name"] not in custom_objects]
    if missing:
        raise ModelFileError(missing_custom_message(missing))
    dtype = spec.get("dtype")
    if not isinstance(dtype, str) or dtype not in ("float64", "float32"):
        raise ModelFileError(
            f"network.dtype must be 'float64' or 'float32', got {brief(dtype)}"
        )
    layer_sizes = [n_in, *sizes]
    n_params = sum(a * b + b for a, b in itertools.pairwise(layer_sizes))
    architecture = _architecture(layer_sizes)
    if "n_params" in spec:
        declared = spec["n_params"]
        if not is_integer(declared) or declared < 0:
            raise ModelFileError(
                f"network.n_params must be a non-negative integer, got {brief(declared)}"
            )
        if declared != n_params:
            raise ModelFileError(
                f"network: n_params is {brief(declared)} but the architecture {architecture} "
                f"has {n_params} parameters"
            )
    params = arrays.get("params") if isinstance(arrays, Mapping) else None
    if not isinstance(params, np.ndarray):
        raise ModelFileError("no 'params' array: not a saved network")
    if params.dtype != np.dtype(dtype):
        raise ModelFileError(
            f"network: params are {params.dtype} but the network's dtype is {dtype}"
        )
    if params.shape != (n_params,):
        raise ModelFileError(
            f"network: params have shape {params.shape} but the architecture {architecture} "
            f"needs ({n_params},)"
        )
    finite = np.isfinite(params)
    if not finite.all():
        bad = int(params.size - np.count_nonzero(finite))
        raise ModelFileError(f"network: params hold {bad} NaN or inf value(s) of {params.size}")
    return {"n_in": n_in, "sizes": sizes, "configs": configs, "dtype": dtype,
            "params": params, "n_params": n_params}


def _build_network(checked: dict[str, Any], custom_objects: dict) -> Network:
    funcs = []
    for i, config in enumerate(checked["configs"]):
        try:
            funcs.append(activation_from_config(config, custom_objects))
        except ModelFileError as exc:
            raise ModelFileError(f"network.activation_funcs[{i}]: {exc}") from exc
    network = object.__new__(Network)
    network.__setstate__(
        {
            "network_input_size": checked["n_in"],
            "layer_output_sizes": tuple(checked["sizes"]),
            "activation_funcs": tuple(funcs),
            "dtype": checked["dtype"],
            "params": checked["params"],  # copied into the network's own buffer
        }
    )
    return network


def network_from_parts(
    arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any], custom_objects=None
) -> Network:
    """Rebuild the network that :func:`network_to_parts` split, checking that the parts agree.

    Every field is checked before anything is built or allocated; the parameters are then
    copied in as they are (nothing is drawn at random).

    Parameters
    ----------
    arrays : mapping
        Must hold ``"params"``: a 1-D array of the architecture's dtype and size.
    metadata : mapping
        Must hold ``"network"`` as written by :func:`network_to_parts`.
    custom_objects : dict, optional
        See :func:`activation_from_config`.

    Returns
    -------
    Network

    Raises
    ------
    ModelFileError
        When the parts are malformed or disagree, naming the field: ``network`` not an
        object or with unexpected entries; ``network_input_size`` and each of
        ``layer_output_sizes`` not positive integers; ``activation_funcs`` not one valid
        config per layer (see :func:`activation_from_config`); ``dtype`` not ``"float64"``
        or ``"float32"``; ``n_params`` not the architecture's count; ``params`` missing, of
        another dtype or size, or not finite; a custom activation missing from
        ``custom_objects``.
    """
    custom_objects = check_custom_objects(custom_objects)
    return _build_network(_checked_network(arrays, metadata, custom_objects), custom_objects)


def save(
    network: Network, path, *, opt_state=None, metadata: Mapping[str, Any] | None = None
) -> None:
    """Save a network, optionally with an optimizer state and extra metadata, to one file.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike
        Written atomically (see :func:`write_model_file`), used as given.
    opt_state : optimizer state, optional
        What ``opt.init``/``opt.update`` returned (a dict, or a chain's tuple of dicts); stored
        with :func:`~ffnn.optim.optimizers.state_to_arrays` under ``opt/``, so that a run resumes
        exactly. The optimizer's hyperparameters are not stored: build the same optimizer.
    metadata : dict, optional
        Extra JSON-serialisable data (stored under ``"extra"``), returned by
        :func:`load_with_state`.
    """
    arrays, meta = network_to_parts(network)
    if opt_state is not None:
        if not isinstance(opt_state, (dict, tuple)):
            raise TypeError(
                "opt_state must be an optimizer state (a dict, or a chain's tuple of dicts) "
                f"from opt.init or opt.update, got {type(opt_state).__name__}"
            )
        arrays.update({_OPT_PREFIX + k: v for k, v in state_to_arrays(opt_state).items()})
    meta["optimizer_state"] = opt_state is not None
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        meta["extra"] = dict(metadata)
    write_model_file(path, arrays, meta)


def _described(array: np.ndarray) -> str:
    held = f" holding {brief(array.item())}" if array.size == 1 else ""
    return f"an array of dtype {array.dtype} and shape {array.shape}{held}"


def _check_state_arrays(parts: dict[str, np.ndarray], n_params: int, where: str) -> None:
    """An optimizer state's arrays, as :func:`~ffnn.optim.optimizers.state_to_arrays` lays them
    out: ``step`` a non-negative integer, other entries numbers shaped like the parameters
    (or single numbers), a chain's pieces under ``<i>/`` with ``chain`` their count."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"optimizer state: {problem}")

    if "chain" in parts:
        count = parts["chain"]
        if count.dtype.kind not in "iu" or count.shape != () or not 0 <= count <= _MAX_CHAIN:
            raise fail(
                f"{brief(where + 'chain')} must be a single integer from 0 to {_MAX_CHAIN} "
                f"(the number of a chain's pieces), got {_described(count)}"
            )
        pieces: dict[int, dict[str, np.ndarray]] = {}
        for key, value in parts.items():
            if key == "chain":
                continue
            index, _, rest = key.partition("/")
            valid = (
                rest
                and index.isascii()
                and index.isdigit()
                and len(index) <= 4
                and (index == "0" or not index.startswith("0"))
                and int(index) < int(count)
            )
            if not valid:
                raise fail(
                    f"{brief(where + key)} is not a piece of a chain of {int(count)} "
                    f"({where}0/... to {where}{int(count) - 1}/...)"
                )
            pieces.setdefault(int(index), {})[rest] = value
        for index, piece in pieces.items():
            _check_state_arrays(piece, n_params, f"{where}{index}/")
        return
    for key, value in parts.items():
        if "/" in key:
            raise fail(
                f"{brief(where + key)} is a chain's piece, but there is no "
                f"{brief(where + 'chain')}"
            )
        if key == "step":
            if value.dtype.kind not in "iu" or value.shape != () or value < 0:
                raise fail(
                    f"{brief(where + key)} must be a single non-negative integer, got "
                    f"{_described(value)}"
                )
        elif value.dtype.kind not in "fiub":
            raise fail(f"{brief(where + key)} must hold numbers, got dtype {value.dtype}")
        elif value.shape not in ((n_params,), (1,), ()):
            raise fail(
                f"{brief(where + key)} has shape {value.shape}, but the network has "
                f"{n_params} parameters: an optimizer's state arrays have shape ({n_params},) "
                "(or hold a single number)"
            )


def _checked_opt_parts(arrays: Mapping[str, np.ndarray], metadata: Mapping,
                       n_params: int) -> dict[str, np.ndarray] | None:
    """The ``opt/`` arrays, checked against ``optimizer_state`` and the parameter count."""
    flag = metadata.get("optimizer_state", False)
    if not isinstance(flag, bool):
        raise ModelFileError(f"optimizer_state must be true or false, got {brief(flag)}")
    parts = {k[len(_OPT_PREFIX) :]: v for k, v in arrays.items() if k.startswith(_OPT_PREFIX)}
    if not flag:
        if parts:
            names = sorted(_OPT_PREFIX + k for k in parts)
            raise ModelFileError(
                f"optimizer_state is false but the file holds optimizer arrays {brief(names)}"
            )
        return None
    _check_state_arrays(parts, n_params, _OPT_PREFIX)
    return parts


def _checked_model(arrays: dict[str, np.ndarray], metadata: dict,
                   custom_objects: dict) -> tuple[dict, dict | None, dict]:
    """Everything :func:`save` writes, checked before anything is built."""
    checked = _checked_network(arrays, metadata, custom_objects)
    unexpected = sorted(set(metadata) - set(_MODEL_KEYS))
    if unexpected:
        raise ModelFileError(
            f"unexpected metadata entries {brief(unexpected)}: a saved network holds "
            f"{', '.join(_MODEL_KEYS)} (put anything else under 'extra')"
        )
    foreign = sorted(k for k in arrays if k != "params" and not k.startswith(_OPT_PREFIX))
    if foreign:
        raise ModelFileError(
            f"array(s) {brief(foreign)} are not part of a saved network (params and "
            f"{_OPT_PREFIX}... only)"
        )
    parts = _checked_opt_parts(arrays, metadata, checked["n_params"])
    extra = metadata.get("extra", {})
    if not isinstance(extra, dict):
        raise ModelFileError(f"extra must be a JSON object, got {brief(extra)}")
    return checked, parts, extra


def load_with_state(path, *, custom_objects=None) -> tuple[Network, Any, dict[str, Any]]:
    """Load a network, its optimizer state and its extra metadata.

    Every field of the file's metadata is checked (type, shape, size, consistency with the
    arrays) before anything is built, so a damaged or crafted file is refused with a
    :class:`ModelFileError` naming the field. The checksums detect damage, not tampering:
    anyone can edit a file and recompute them. A hostile file stays harmless because nothing
    is unpickled or imported and nothing is allocated beyond what the file holds, but the
    weights it gives are only as trustworthy as its source.

    Parameters
    ----------
    path : str or os.PathLike
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations.

    Returns
    -------
    network : Network
    opt_state : optimizer state or None
        None when the file was saved without one.
    extra : dict
        The ``metadata`` given to :func:`save` (``{}`` when none), as JSON gives it back
        (tuples become lists). Its contents are the caller's to check.

    Raises
    ------
    ModelFileError
        See :func:`read_model_file` and :func:`network_from_parts`; also for metadata
        entries other than those :func:`save` writes, arrays other than ``params`` and
        ``opt/...``, ``optimizer_state`` not a bool (or false with optimizer arrays), an
        optimizer state whose arrays are not laid out as
        :func:`~ffnn.optim.optimizers.state_to_arrays` lays them out (``step`` a non-negative
        integer, other arrays of the parameters' shape or single numbers, a chain's pieces
        numbered below its count, at most 1024), and ``extra`` not a JSON object.
    """
    custom_objects = check_custom_objects(custom_objects)
    arrays, metadata = read_model_file(path)
    shown = as_path(path)
    try:
        checked, parts, extra = _checked_model(arrays, metadata, custom_objects)
        network = _build_network(checked, custom_objects)
        opt_state = None if parts is None else _state_from(parts)
    except ModelFileError as exc:
        raise ModelFileError(f"{shown}: {exc}", shown) from exc
    return network, opt_state, extra


def _state_from(parts: dict[str, np.ndarray]):
    try:
        return state_from_arrays(parts)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # checked: not expected
        raise ModelFileError(f"the optimizer state cannot be rebuilt: {exc}") from exc


def load(path, *, custom_objects=None) -> Network:
    """Load the network saved by :func:`save` (an optimizer state in the file is ignored).

    The file is checked as :func:`load_with_state` checks it. Its checksums detect damage,
    not tampering (anyone can recompute them); what keeps a hostile file harmless is that it
    is never unpickled and every field is checked before anything is allocated.

    Parameters
    ----------
    path : str or os.PathLike
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations.

    Returns
    -------
    Network

    Raises
    ------
    ModelFileError
        For a damaged, edited, crafted or inconsistent file (see :func:`load_with_state`).
    OSError
        When the file cannot be opened.
    """
    return load_with_state(path, custom_objects=custom_objects)[0]
