"""One declaration per built-in: names, parameters, file form, peers and execution paths.

Every built-in activation, loss, optimizer and schedule is a subclass of :class:`Component`
and registers itself in the :class:`Registry` of its kind. What the rest of the library needs
to know about it is declared on the class, once:

- ``name`` and ``aliases``: what users type (``"sigmoid"``, alias ``"logistic"``);
- its parameters and their defaults: the arguments of ``__init__`` (read by
  :meth:`Component.params`), stored on the object under the same names;
- its file form: :meth:`Component.config` / :meth:`Registry.from_config`;
- its peers (attributes of the kind's base class, e.g. ``sklearn`` and ``torch`` for
  activations);
- which execution paths run it: ``unsupported`` maps a path to the reason it cannot run this
  built-in (its formulas take the array namespace ``xp``, so the JAX engine runs every
  built-in that declares nothing).

Modules that need a list of names, a code or a parameter read them from here; none keeps its
own table. A class that does not register (a user's subclass) is never taken for a built-in:
fast paths match exact registered types only, because a subclass may change the formulas.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["Component", "Registry", "PATHS"]

#: The execution paths a built-in may run on: the readable reference (``Network.backprop``),
#: the in-place NumPy engine, the JAX engine (the formulas traced with ``xp=jax.numpy``) and
#: the stacked trainer.
PATHS = ("reference", "engine", "jax", "stacked")


class Component:
    """Base of every registrable built-in.

    Attributes
    ----------
    name : str
        The canonical name (in messages, model files and tables).
    aliases : tuple of str
        Other accepted spellings (scikit-learn's ``"logistic"`` for ``"sigmoid"``).
    unsupported : dict of str to str
        ``{path: reason}`` for each path of :data:`PATHS` that cannot run it.
    """

    name: str = "component"
    aliases: tuple[str, ...] = ()
    unsupported: Mapping[str, str] = {}

    @classmethod
    def params(cls) -> dict[str, Any]:
        """The parameters of ``__init__`` with their defaults (``inspect.Parameter.empty``
        where there is none), in order."""
        return _params(cls)

    def config(self) -> dict[str, Any]:
        """``{"name": ..., parameter: value, ...}``: what a file stores to rebuild it."""
        return {"name": self.name, **{p: getattr(self, p) for p in self.params()}}

    @classmethod
    def supports(cls, path: str) -> bool:
        """Whether ``path`` (one of :data:`PATHS`) runs this built-in."""
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        return path not in cls.unsupported


@functools.cache
def _params(cls: type) -> dict[str, Any]:
    signature = inspect.signature(cls.__init__)
    return {
        name: p.default
        for name, p in list(signature.parameters.items())[1:]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def normalize_name(name: str) -> str:
    """One spelling of a user's name: case, spaces and ``-``/``_`` do not matter."""
    return name.strip().lower().replace("-", "_")


class Registry:
    """The built-ins of one kind, by name (and alias).

    Parameters
    ----------
    kind : str
        ``"activation"``, ``"loss"``, ...: used in messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._by_name: dict[str, type] = {}
        self._classes: list[type] = []

    def register(self, cls: type) -> type:
        """Class decorator: make ``cls`` a built-in under its name and aliases."""
        for key in (cls.name, *cls.aliases):
            key = normalize_name(key)
            if key in self._by_name and self._by_name[key] is not cls:
                raise ValueError(f"{self.kind} name {key!r} is taken by "
                                 f"{self._by_name[key].__name__}")
            self._by_name[key] = cls
        if cls not in self._classes:
            self._classes.append(cls)
        return cls

    def unregister(self, cls: type) -> None:
        """Take ``cls`` out again (tests register throwaway built-ins)."""
        self._classes.remove(cls)
        for key in [k for k, c in self._by_name.items() if c is cls]:
            del self._by_name[key]

    def __iter__(self) -> Iterator[type]:
        return iter(tuple(self._classes))

    def __contains__(self, cls) -> bool:
        return cls in self._classes

    def is_builtin(self, obj) -> bool:
        """Whether ``obj`` is an instance of a registered class itself (not a subclass)."""
        return type(obj) in self._classes

    @property
    def names(self) -> tuple[str, ...]:
        """Every accepted name, canonical ones first, then aliases."""
        canonical = tuple(cls.name for cls in self._classes)
        keys = {normalize_name(name) for name in canonical}
        return canonical + tuple(k for k in self._by_name if k not in keys)

    def find(self, name) -> type | None:
        """The class registered under ``name``, or None (any other value: None too)."""
        return self._by_name.get(normalize_name(name)) if isinstance(name, str) else None

    def lookup(self, name: str, argument: str | None = None) -> type:
        """The class registered under ``name``; a ValueError lists the valid names."""
        cls = self.find(name)
        if cls is None:
            where = f"{argument}: " if argument else ""
            raise ValueError(f"{where}unknown {self.kind} {name!r}; valid names are "
                             f"{', '.join(self.names)}")
        return cls

    def from_config(self, config: Mapping[str, Any]):
        """The built-in that :meth:`Component.config` described.

        Raises ValueError for an unknown name or parameter, TypeError for a parameter of the
        wrong type (as the class's own checks say).
        """
        cls = self.lookup(config["name"])
        allowed = cls.params()
        unexpected = sorted(set(config) - {"name", *allowed})
        if unexpected:
            raise ValueError(f"{self.kind} {config['name']!r}: unexpected entries {unexpected}")
        return cls(**{k: v for k, v in config.items() if k != "name"})
