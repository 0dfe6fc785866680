"""A trained network with what prediction needs: a model that stands alone in its file.

A :class:`Model` holds the :class:`~ffnn.core.network.Network` and, beside it, the input
scaling fitted on the training data (``--standardize``), the classes that name the outputs,
the feature names and count, the target's name, the loss, and the training options for the
record. ``ffnn train --save`` writes one; :func:`load_model` reads it, and also a file of
:meth:`FFNNClassifier.save <ffnn.estimators.FFNNClassifier.save>` or a bare
:func:`ffnn.save` network (classes then come from the loss or the output activation);
``ffnn predict`` and ``ffnn evaluate`` use it.

Prediction: the network's output ``a = f(scale(X))``; for classification, the class of
the largest output (softmax), or of ``a > 0.5`` for one sigmoid output and two classes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.losses import LOSSES
from ..core.network import Network
from ..core.validation import is_integer, is_real, is_sparse
from .container import ModelFileError
from .networks import load_with_state, save

__all__ = ["Model", "load_model"]

TASKS = ("classification", "regression")


@dataclass
class Model:
    """A network and what prediction needs.

    Attributes
    ----------
    network : Network
    task : {"classification", "regression"}
    classes : ndarray, shape (n_classes,), or None
        The class of each output column (one sigmoid output: ``classes[1]`` is its
        positive class); None for regression.
    feature_names : tuple of str, or None
        The input columns, in the network's order; None when unknown.
    target : str or None
        The name of the target the network learnt.
    mean, scale : ndarray, shape (n_features,), or None
        The standardisation fitted on the training data: the network sees
        ``(X - mean) / scale``; None when the inputs were not scaled.
    loss : str or None
        The training loss's name.
    data : str or None
        Where the training data came from (a data set's name or a file).
    options : dict
        The training options, for the record.
    """

    network: Network
    task: str
    classes: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = None
    target: str | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    loss: str | None = None
    data: str | None = None
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        _check(self)

    def __repr__(self) -> str:
        kind = (f"{len(self.classes)} classes" if self.task == "classification"
                else f"{self.network.n_outputs} output(s)")
        return (f"Model({self.network}, {self.task}, {kind}"
                + (", standardized" if self.mean is not None else "") + ")")

    @property
    def n_features(self) -> int:
        """The number of input features, ``network.network_input_size``."""
        return self.network.network_input_size

    def transform(self, X) -> np.ndarray:
        """The inputs as the network saw them in training: ``(X - mean) / scale``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        """
        X = self._by_name(X)
        if is_sparse(X) and self.mean is not None:
            raise TypeError("X is a SciPy sparse matrix, but this model centres its inputs "
                            "(the mean of its training data); pass X.toarray()")
        if not is_sparse(X):  # a sparse X goes to the network as it is
            X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n_samples, {self.n_features}), got "
                             f"{X.shape}")
        return X if self.mean is None else (X - self.mean) / self.scale

    def _by_name(self, X):
        """A table with named columns (a pandas DataFrame) as the model's features in their
        order, matched by name; other inputs as they are."""
        columns = getattr(X, "columns", None)
        if columns is None or is_sparse(X) or self.feature_names is None:
            return X
        names = [str(c) for c in columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"X names the columns {repeated} more than once")
        absent = [n for n in self.feature_names if n not in names]
        if absent:
            raise ValueError(f"X has no column {', '.join(map(repr, absent))}; the model takes "
                             f"{', '.join(map(repr, self.feature_names))} (matched by name)")
        return np.asarray(X, dtype=object)[:, [names.index(n) for n in self.feature_names]]\
            .astype(np.float64)

    def outputs(self, X) -> np.ndarray:
        """The network's outputs, shape (n_samples, n_outputs)."""
        return self.network.predict(self.transform(X))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns as ``classes``."""
        if self.task != "classification":
            raise ValueError("predict_proba: a regression model has no class probabilities")
        return self.probabilities(self.outputs(X))

    @staticmethod
    def probabilities(a: np.ndarray) -> np.ndarray:
        """Class probabilities from the network's outputs ``a`` (n_samples, n_outputs): ``a``
        itself (softmax), or ``[1 - a, a]`` for one sigmoid output."""
        return np.hstack([1 - a, a]) if a.shape[1] == 1 else a

    def predict(self, X) -> np.ndarray:
        """Predicted classes (``classes``' values), or values: shape (n_samples,) for one
        output, (n_samples, n_outputs) for more."""
        if self.task != "classification":
            a = self.outputs(X)
            return a[:, 0] if a.shape[1] == 1 else a
        return self.classes[self.predict_proba(X).argmax(axis=1)]

    def targets(self, y) -> np.ndarray:
        """Targets as the network's loss takes them: one-hot rows (or the positive class's
        column for one sigmoid output) for labels, a column for values.

        Raises ``ValueError`` naming labels that are not among ``classes``.
        """
        y = np.asarray(y)
        if self.task == "regression":
            return y.astype(np.float64).reshape(len(y), -1)
        targets = np.eye(len(self.classes))[self.class_index(y)]
        return targets[:, 1:] if self.network.n_outputs == 1 else targets

    def class_index(self, y) -> np.ndarray:
        """Each label's position in ``classes``, shape (n_samples,). Labels compare as
        text, so ``1`` and ``"1"`` are the same class (as a CSV file spells them)."""
        if self.task != "classification":
            raise ValueError("class_index: a regression model has no classes")
        label = _label
        index = {label(c): k for k, c in enumerate(self.classes.tolist())}
        if len(index) < len(self.classes):  # classes that read alike ("1", "1.0"): as text
            label = str
            index = {label(c): k for k, c in enumerate(self.classes.tolist())}
        labels = [label(v) for v in np.asarray(y).ravel().tolist()]
        unknown = sorted(set(labels) - set(index))
        if unknown:
            raise ValueError(f"labels {unknown[:5]} are not among the model's classes "
                             f"{list(index)}")
        return np.array([index[label] for label in labels], dtype=np.int64)

    def save(self, path) -> None:
        """Write the model to one file (atomically; :func:`load_model` reads it back and
        :func:`ffnn.load` its network alone)."""
        save(self.network, path, metadata={"model": self.config()})

    def config(self) -> dict[str, Any]:
        """Everything but the network, as JSON values (the file's ``extra.model``)."""
        return {
            "task": self.task,
            "classes": None if self.classes is None else self.classes.tolist(),
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "target": self.target,
            "scaler": None if self.mean is None else {"mean": self.mean.tolist(),
                                                     "scale": self.scale.tolist()},
            "loss": self.loss, "data": self.data, "options": self.options,
        }


_WHOLE = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def _label(value) -> str:
    """A label as text to compare by: ``1``, ``"1"`` and ``1.0`` alike (a CSV file writes
    classes fitted on floats as ``1`` or ``1.0``); whole numbers exactly, however long;
    anything else (``nan``, ``1_000``, names) as it is written."""
    if isinstance(value, (float, np.floating)):
        value = repr(float(value))
    text = str(value).strip()
    if _WHOLE.fullmatch(text):
        return str(int(text))
    if _DECIMAL.fullmatch(text):
        number = float(text)
        if math.isfinite(number) and number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return repr(number) if math.isfinite(number) else text
    return text


def _check(model: Model) -> None:
    """Every field against the network: raise ValueError naming the first that disagrees."""
    n_out, n_in = model.network.n_outputs, model.network.network_input_size
    if model.task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {model.task!r}")
    if model.task == "classification":
        if model.classes is None:
            raise ValueError("classes: a classification model needs its classes")
        model.classes = np.asarray(model.classes)
        k = len(model.classes)
        if model.classes.ndim != 1 or model.classes.dtype.kind not in "biufUS" or \
                len(set(model.classes.tolist())) != k or (
                    model.classes.dtype.kind == "f" and not np.isfinite(model.classes).all()):
            raise ValueError(f"classes must be distinct integers, finite numbers or strings, "
                             f"got {model.classes.tolist()!r}")
        if not (n_out == k >= 2 or (n_out == 1 and k == 2)):
            raise ValueError(f"classes: {k} classes do not fit the network's {n_out} "
                             "output(s) (one per class, or one sigmoid for two)")
    elif model.classes is not None:
        raise ValueError("classes: a regression model has no classes")
    if model.feature_names is not None:
        if isinstance(model.feature_names, (str, bytes, dict)):  # not one name per input
            raise ValueError(f"feature_names must be {n_in} strings (the network's inputs), "
                             f"got {model.feature_names!r}")
        model.feature_names = tuple(model.feature_names)
        if len(model.feature_names) != n_in or not all(
                isinstance(n, str) for n in model.feature_names):
            raise ValueError(f"feature_names must be {n_in} strings (the network's inputs), "
                             f"got {len(model.feature_names)}")
        repeated = sorted({n for n in model.feature_names
                           if model.feature_names.count(n) > 1})
        if repeated:
            raise ValueError(f"feature_names names {repeated} more than once: each input "
                             "needs a name of its own")
    if (model.mean is None) != (model.scale is None):
        raise ValueError("mean and scale go together (the standardisation)")
    if model.mean is not None:
        model.mean = np.asarray(model.mean, dtype=np.float64)
        model.scale = np.asarray(model.scale, dtype=np.float64)
        for name, values in (("mean", model.mean), ("scale", model.scale)):
            if values.shape != (n_in,) or not np.isfinite(values).all():
                raise ValueError(f"{name} must be {n_in} finite numbers, got shape "
                                 f"{values.shape}")
        if not (model.scale > 0).all():
            raise ValueError("scale must be > 0 everywhere")
    for name in ("target", "loss", "data"):
        value = getattr(model, name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be a string or None, got {value!r}")
    if not isinstance(model.options, dict):
        raise ValueError(f"options must be a dict, got {type(model.options).__name__}")


def load_model(path, *, custom_objects=None) -> Model:
    """Read a :class:`Model` from a model file.

    Parameters
    ----------
    path : str or os.PathLike
        A file of :meth:`Model.save` (``ffnn train --save``), of an estimator's ``save``, or
        of :func:`ffnn.save`. For a bare network the task and classes follow the loss
        stored beside it or, failing that, the output activation (softmax: classes
        ``0..k-1``; otherwise regression).
    custom_objects : dict, optional
        For custom activations, as :func:`ffnn.load`.

    Raises
    ------
    ModelFileError
        A damaged file, or entries that disagree with the network (named).
    """
    network, _, extra = load_with_state(path, custom_objects=custom_objects)
    shown = str(path)
    try:
        if "estimator" in extra:
            return _from_estimator(path, extra["estimator"], network, custom_objects)
        config = extra.get("model")
        if config is None:
            return _inferred(network, extra.get("loss"), extra.get("dataset"))
        if not isinstance(config, dict):
            raise ValueError(f"must be a JSON object, got {type(config).__name__}")
        expected = {"task", "classes", "feature_names", "target", "scaler", "loss", "data",
                    "options"}
        if set(config) != expected:
            raise ValueError(f"entries {sorted(config)} are not {sorted(expected)}")
        scaler = config["scaler"]
        if scaler is not None and (not isinstance(scaler, dict)
                                   or set(scaler) != {"mean", "scale"}):
            raise ValueError("scaler must be null or {mean, scale}")
        classes = config["classes"]
        if classes is not None and not (isinstance(classes, list) and classes and (
                all(isinstance(c, str) for c in classes)
                or all(is_integer(c) for c in classes))):
            raise ValueError(f"classes must be a list of integers or of strings, got "
                             f"{classes!r}")
        for name in ("mean", "scale"):
            if scaler is not None and not (isinstance(scaler[name], list) and all(
                    is_real(v) and math.isfinite(v) for v in scaler[name])):
                raise ValueError(f"scaler.{name} must be a list of finite numbers")
        return Model(network, config["task"], None if classes is None else np.array(classes),
                     config["feature_names"], config["target"],
                     None if scaler is None else scaler["mean"],
                     None if scaler is None else scaler["scale"], config["loss"],
                     config["data"], config["options"])
    except (TypeError, ValueError) as exc:
        where = "extra.estimator" if "estimator" in extra else "extra.model"
        raise ModelFileError(f"{shown}: {where}: {exc}", shown) from None


def _inferred(network: Network, loss, data) -> Model:
    """A bare network's model: classes from its loss or its output activation."""
    output = network.activation_funcs[-1]
    declared = LOSSES.find(loss)  # None: no loss saved, or a user's own
    if declared is None:
        classification = output.outputs_distribution
    else:
        classification = declared.task == "classification"
    n_out = network.n_outputs
    if declared is not None and declared.independent_outputs and n_out > 1:
        raise ValueError(f"a network with {n_out} sigmoid outputs under binary_cross_entropy "
                         "predicts several labels at once (multilabel), which a Model does "
                         "not decode; use the network itself (ffnn.load)")
    classes = None if not classification else np.arange(2 if n_out == 1 else n_out)
    return Model(network, "classification" if classification else "regression", classes,
                 loss=loss if isinstance(loss, str) else None,
                 data=data if isinstance(data, str) else None)


def _from_estimator(path, info, network: Network, custom_objects) -> Model:
    """An estimator's file: the estimator rebuilt (its own checks), then its model."""
    from ..sklearn.estimators import FFNNClassifier, FFNNRegressor

    kinds = {"FFNNClassifier": FFNNClassifier, "FFNNRegressor": FFNNRegressor}
    name = info.get("class") if isinstance(info, dict) else None
    if name not in kinds:
        raise ValueError(f"class must be one of {', '.join(kinds)}, got {name!r}")
    estimator = kinds[name].load(path, custom_objects=custom_objects)
    names = getattr(estimator, "feature_names_in_", None)
    names = None if names is None else tuple(str(n) for n in names)
    loss = estimator.fitted_loss().name
    if name == "FFNNRegressor":
        return Model(estimator.network_, "regression", feature_names=names,
                     loss=loss, options=info["params"])
    if estimator.y_type_.startswith("multilabel"):
        raise ValueError("a multilabel classifier: read it with FFNNClassifier.load")
    return Model(estimator.network_, "classification", estimator.classes_, names,
                 loss=loss, options=info["params"])
