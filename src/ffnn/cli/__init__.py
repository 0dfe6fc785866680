"""The ``ffnn`` command line (:mod:`ffnn.cli.main.main`): train, sweep, predict, evaluate,
gradcheck, iris."""

from .main import main
from .parser import build_parser

__all__ = ["main", "build_parser"]
