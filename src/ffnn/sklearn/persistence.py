"""Estimators in model files: their parameters and fitted state as JSON beside the network
(non-finite floats, activations and optimizer objects spelled out), checked field by field
when read back."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..core.activations import Activation
from ..core.validation import brief, is_integer, is_real
from .stopping import ScikitLearnRate


def float_to_json(value):
    """None, a number, or "inf"/"-inf" (JSON has no infinity)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def float_from_json(value):
    return value if value is None else float(value)


def restore_fitted(est, info: dict) -> None:
    """The fitted attributes of :meth:`_BaseFFNN.save`; a file written before 0.2 (no
    ``t``) gets scikit-learn's values for what it lacked."""
    early_stopping = bool(est.early_stopping)
    est.n_iter_ = int(info["n_iter"])
    est.loss_curve_ = list(info["loss_curve"])
    if "t" not in info:
        info = {**info, "t": 0, "no_improvement_count": 0,
                "loss": est.loss_curve_[-1] if est.loss_curve_ else None,
                "best_loss": None if early_stopping or info["best_loss"] is None
                else info["best_loss"],
                "best_validation_score": (max(info["validation_scores"], default="-inf")
                                          if early_stopping else None)}
        if not early_stopping:
            info["validation_scores"] = info["validation_loss_curve"] = None
    curves = {"validation_scores_": info["validation_scores"],
              "validation_loss_curve_": info["validation_loss_curve"]}
    for name, values in curves.items():
        setattr(est, name, None if values is None else list(values))
    est.t_ = int(info["t"])
    est._no_improvement_count = int(info["no_improvement_count"])
    if info["loss"] is not None:
        est.loss_ = float(info["loss"])
    est.best_loss_ = float_from_json(info["best_loss"])
    est.best_validation_score_ = float_from_json(info["best_validation_score"])


def legacy_rates(state: dict, optimizer) -> dict:
    """Files written before 0.2 kept a ReduceOnPlateau's or InverseScaling's state for
    'adaptive' or 'invscaling': its current rate (else the initial one) carries over."""
    saved, schedules = state.get("schedules"), optimizer.schedules
    if not (isinstance(saved, list) and len(saved) == len(schedules)):
        return state  # the trainer's own checks say what is wrong
    fixed = [{"current": old.get("current", new.lr)}
             if isinstance(new, ScikitLearnRate) and isinstance(old, dict)
             and set(old) != {"current"} else old
             for new, old in zip(schedules, saved)]
    return {**state, "schedules": fixed}


def legacy_velocity(info: dict, opt_state, optimizer):
    """Files written before the estimators' ``"sgd"`` took scikit-learn's formula (they do
    not name their ``optimizer``) kept PyTorch's velocity ``b``; scikit-learn's is ``-lr b``
    (exactly so at a constant rate; at the last step's rate otherwise)."""
    if "optimizer" in info or optimizer.sklearn_solver != "sgd" or not (
            isinstance(opt_state, dict) and "velocity" in opt_state):
        return opt_state
    step = opt_state.get("step", 0)
    rate = optimizer.rate(max(int(step) - 1, 0)) if is_integer(step) else 0.0
    return {**opt_state, "velocity": -rate * np.asarray(opt_state["velocity"])}


def param_to_json(name: str, value):
    """A parameter as JSON: numbers (``{"float": "inf"}`` for one JSON cannot hold, such as
    ``n_iter_no_change=np.inf``), strings, None, lists, and built-in activations."""
    from ..io.components import activation_to_config

    if (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
            and not math.isfinite(value)):
        return {"float": repr(float(value))}  # 'inf', '-inf' or 'nan'
    if value is None or isinstance(value, (bool, str, numbers.Integral, numbers.Real)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (list, tuple)):
        items = [param_to_json(name, v) for v in value]
        return {"tuple": items} if isinstance(value, tuple) else items
    if name == "device" and hasattr(value, "platform"):  # a jax.Device: its kind
        return str(value.platform)
    if isinstance(value, Activation):
        config = activation_to_config(value)
        if "custom" not in config:
            return {"activation": config}
    raise TypeError(
        f"cannot save parameter {name}={value!r} in a model file: use names and numbers "
        "(a solver name instead of an optimizer object, a built-in activation, ...)"
    )


def param_from_json(value):
    from ..io.components import activation_from_config

    if isinstance(value, list):
        return [param_from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"tuple"} and isinstance(value["tuple"], list):
            return tuple(param_from_json(v) for v in value["tuple"])
        if set(value) == {"activation"} and isinstance(value["activation"], dict):
            return activation_from_config(value["activation"])
        if set(value) == {"float"} and value["float"] in ("inf", "-inf", "nan"):
            return float(value["float"])
        raise ValueError(f"a parameter object must be {{'tuple': [...]}}, "
                         f"{{'activation': {{...}}}} or {{'float': 'inf' | '-inf' | 'nan'}}, "
                         f"got {value!r}"[:300])
    return value


def _numbers(value, field: str) -> list[float]:
    if not (isinstance(value, list) and all(is_real(v) for v in value)):
        raise ValueError(f"{field} must be a list of numbers")
    return [float(v) for v in value]


class Views(list):
    """A layer's arrays as views of the network's parameters; ``est.coefs_[i] = W`` writes
    ``W`` into the model (as it does in scikit-learn, whose lists hold the model's arrays)."""

    def __init__(self, arrays, name: str):
        super().__init__(arrays)
        self.name = name

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raise TypeError(f"{self.name}[{index.start}:{index.stop}] = ...: assign one "
                            f"layer's array at a time, or the whole list to {self.name}")
        target = super().__getitem__(index)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self.name}[{index}] must have shape {target.shape}, got "
                             f"{value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{self.name}[{index}] must be finite")
        target[...] = value


def check_estimator_info(info: dict) -> None:
    """The types of what :meth:`_BaseFFNN.save` wrote, checked before anything is built."""
    where = "extra.estimator"
    kinds = {"class": str, "params": dict, "target": dict, "trainer": dict}
    for key, kind in kinds.items():
        if not isinstance(info.get(key), kind):
            raise ValueError(f"{where}.{key} must be a {kind.__name__}, got "
                             f"{type(info.get(key)).__name__}")
    optional = ("t", "no_improvement_count")  # written since 0.2
    if "optimizer" in info and not isinstance(info["optimizer"], str):
        raise ValueError(f"{where}.optimizer must be an optimizer's name, got "
                         f"{brief(info['optimizer'])}")
    for key in ("n_features_in", "n_iter", *optional):
        if key in optional and key not in info:
            continue
        if not (is_integer(info.get(key)) and info[key] >= 0):
            raise ValueError(f"{where}.{key} must be an integer >= 0, got {info.get(key)!r}")
    for key in ("best_loss", "best_validation_score", "loss"):
        value = info.get(key)
        if not (value is None or is_real(value) or value in ("inf", "-inf")):
            raise ValueError(f"{where}.{key} must be a number, \"inf\", \"-inf\" or null, "
                             f"got {value!r}")
    _numbers(info.get("loss_curve"), f"{where}.loss_curve")
    for key in ("validation_loss_curve", "validation_scores"):
        if info.get(key) is not None:
            _numbers(info.get(key), f"{where}.{key}")
    names = info.get("feature_names_in")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str)
                                                                  for n in names)
                                  and len(names) == info["n_features_in"]):
        raise ValueError(f"{where}.feature_names_in must be {info['n_features_in']} strings "
                         "(one per feature)")
    unknown = sorted(set(info) - {*kinds, "n_features_in", "n_iter", "best_loss",
                                  "loss_curve", "validation_loss_curve", "validation_scores",
                                  "feature_names_in", "t", "loss", "no_improvement_count",
                                  "best_validation_score", "optimizer"})
    if unknown:
        raise ValueError(f"{where} has unexpected entries {unknown}")
