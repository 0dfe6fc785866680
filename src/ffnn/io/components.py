"""Activations as file configs: a built-in by its name and parameters, a user's own by the
name it was saved under (``custom_objects``), each config checked before anything is built."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from ..core.activations import ACTIVATIONS, Activation, FunctionActivation
from ..core.validation import brief, is_function_pair, is_real
from .container import ModelFileError

__all__ = ["activation_to_config", "activation_from_config"]


def activation_to_config(activation: Activation) -> dict[str, Any]:
    """A JSON-serialisable description of an activation.

    Built-ins are stored by name with their parameters (``{"name": "leaky_relu",
    "alpha": 0.2}``). Anything else is stored by its ``name`` and marked ``"custom"``:
    ``"function"`` for a :class:`~ffnn.core.activations.FunctionActivation` (with its ``kinks``
    and ``outputs_probabilities``), ``"class"`` for another subclass of Activation (with the
    class's dotted name, for messages only: it is never imported). Loading a custom one needs
    ``custom_objects``; see :func:`activation_from_config`.

    Parameters
    ----------
    activation : Activation

    Returns
    -------
    dict
    """
    if not isinstance(activation, Activation):
        raise TypeError(
            f"activation must be an Activation, got {activation!r} ({type(activation).__name__})"
        )
    cls = type(activation)
    if ACTIVATIONS.is_builtin(activation):
        return {k: float(v) if isinstance(v, numbers.Real) else v
                for k, v in activation.config().items()}
    name = activation.name
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"activation {activation!r}: a custom activation needs a non-empty str name to be "
            f"saved, got {name!r}"
        )
    if cls is FunctionActivation:
        kinks = [float(k) for k in activation.kinks]
        return {
            "name": name,
            "custom": "function",
            "kinks": kinks,
            "outputs_probabilities": bool(activation.outputs_probabilities),
        }
    return {"name": name, "custom": "class", "class": f"{cls.__module__}.{cls.__qualname__}"}


def check_custom_objects(custom_objects) -> dict:
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, Mapping):
        raise TypeError(
            "custom_objects must be a dict {name: Activation, Activation class or "
            f"(f, f_prime)}}, got {type(custom_objects).__name__}"
        )
    for key, value in custom_objects.items():
        if not isinstance(key, str):
            raise TypeError(f"custom_objects: keys must be activation names (str), got {key!r}")
        ok = (
            isinstance(value, Activation)
            or (isinstance(value, type) and issubclass(value, Activation))
            or is_function_pair(value, (tuple, list))
        )
        if not ok:
            raise TypeError(
                f"custom_objects[{key!r}] must be an Activation, an Activation class or a pair "
                f"(f, f_prime), got {value!r} ({type(value).__name__})"
            )
    return dict(custom_objects)


def missing_custom_message(configs: list[Mapping]) -> str:
    hints: dict[str, str] = {}  # by name, in order (a dict: a file may list many layers)
    for config in configs:
        name = config["name"]
        if name in hints:
            continue
        if config.get("custom") == "class":
            short = str(config.get("class", "YourActivation")).rsplit(".", 1)[-1][:60]
            hints[name] = f"{brief(name)}: {short}()"
        else:
            hints[name] = f"{brief(name)}: (f, f_prime)"
    return (
        f"custom activation(s) {', '.join(brief(n) for n in hints)} cannot be rebuilt from "
        "the file (functions are never pickled): pass custom_objects={"
        + ", ".join(hints.values()) + "}"
    )


def _finite_number(value) -> bool:
    """A real number (not a bool) that a float holds finitely."""
    if not is_real(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _check_builtin_config(config: Mapping, name: str) -> None:
    try:
        cls = ACTIVATIONS.lookup(name)
    except ValueError:
        raise ModelFileError(
            f"unknown activation {brief(name)}; the built-in names are "
            f"{', '.join(c.name for c in ACTIVATIONS)} (custom ones are marked 'custom')"
        ) from None
    params = cls.params()
    unexpected = sorted(set(config) - {"name", *params})
    if unexpected:
        raise ModelFileError(f"activation {name!r}: unexpected entries {brief(unexpected)}")
    for p in params:  # parameters are numbers (the file's JSON may say anything)
        value = config.get(p)
        if not _finite_number(value):
            raise ModelFileError(
                f"activation {name!r} needs a number {p!r} (a finite real), got {brief(value)}"
            )


def _check_custom_config(config: Mapping, name: str, kind: str) -> None:
    allowed = {"function": ("kinks", "outputs_probabilities"), "class": ("class",)}[kind]
    unexpected = sorted(set(config) - {"name", "custom", *allowed})
    if unexpected:
        raise ModelFileError(
            f"activation {brief(name)} (custom {kind}): unexpected entries {brief(unexpected)}"
        )
    if kind == "class":
        if not isinstance(config.get("class", ""), str):
            raise ModelFileError(
                f"activation {brief(name)}: class must be a str (a dotted name, for "
                f"messages only), got {brief(config['class'])}"
            )
        return
    kinks = config.get("kinks", [])
    if not (isinstance(kinks, list) and all(_finite_number(k) for k in kinks)):
        raise ModelFileError(
            f"activation {brief(name)}: kinks must be a list of finite numbers, got "
            f"{brief(kinks)}"
        )
    probabilities = config.get("outputs_probabilities", False)
    if not isinstance(probabilities, bool):
        raise ModelFileError(
            f"activation {brief(name)}: outputs_probabilities must be true or false, "
            f"got {brief(probabilities)}"
        )


def check_config(config) -> Mapping:
    """Check every field of an activation config (nothing is built)."""
    if not isinstance(config, Mapping):
        raise ModelFileError(f"an activation config must be a JSON object, got {brief(config)}")
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise ModelFileError(
            f"an activation config needs a str 'name' (non-empty), got {brief(config)}"
        )
    kind = config.get("custom")
    if kind is None:
        _check_builtin_config(config, name)
    elif kind in ("function", "class"):
        _check_custom_config(config, name, kind)
    else:
        raise ModelFileError(
            f"activation {brief(name)}: unknown custom kind {brief(kind)}, expected "
            "'function' or 'class'"
        )
    return config


def _builtin_from_config(config: Mapping) -> Activation:
    try:
        return ACTIVATIONS.from_config(config)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"activation {config['name']!r}: {exc}") from exc


def _custom_from_config(config: Mapping, value) -> Activation:
    if isinstance(value, Activation):
        return value
    if isinstance(value, type):
        return value()
    f, f_prime = value
    return FunctionActivation(
        f,
        f_prime,
        name=config["name"],
        kinks=tuple(config.get("kinks", [])),
        outputs_probabilities=config.get("outputs_probabilities", False),
    )


def activation_from_config(config: Mapping[str, Any], custom_objects=None) -> Activation:
    """The activation that :func:`activation_to_config` described.

    Parameters
    ----------
    config : mapping
        ``{"name": ..., ...}`` as written by :func:`activation_to_config`.
    custom_objects : dict, optional
        ``{name: Activation, Activation class or (f, f_prime)}`` for custom activations. A pair
        is wrapped in a FunctionActivation with the stored ``kinks`` and
        ``outputs_probabilities``; a class is instantiated without arguments; an instance is
        used as it is. Built-ins never consult it.

    Returns
    -------
    Activation

    Raises
    ------
    ModelFileError
        For an unknown or malformed config (every field is checked: the name, the custom
        kind, a built-in's parameters as finite numbers, a custom function's ``kinks`` and
        ``outputs_probabilities``, no unexpected entries), or a custom activation missing
        from ``custom_objects`` (the message shows what to pass).
    TypeError
        For ``custom_objects`` of the wrong kind.
    """
    custom_objects = check_custom_objects(custom_objects)
    config = check_config(config)
    if config.get("custom") is None:
        return _builtin_from_config(config)
    if config["name"] not in custom_objects:
        raise ModelFileError(missing_custom_message([config]))
    return _custom_from_config(config, custom_objects[config["name"]])
