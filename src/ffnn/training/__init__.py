"""One training call: the Trainer and ``train()`` (:mod:`ffnn.training.trainer.trainer`), the epoch
loop and its callbacks (:mod:`~ffnn.training.trainer.loop`), checkpoints, and the choice of the path
that trains a fit (:mod:`~ffnn.training.trainer.paths`).

The names of the flat layout's ``ffnn.training`` are read from the trainer on first use, so
that importing one of this package's modules does not import the others.
"""

_TRAINER = {"Callback", "Checkpoint", "ENGINES", "EarlyStopping", "FallbackWarning", "History",
            "METRICS", "Trainer", "accuracy", "divergence_message", "r2", "train"}


def __getattr__(name: str):
    if name not in _TRAINER:
        raise AttributeError(f"module 'ffnn.training' has no attribute {name!r}")
    from . import trainer

    return getattr(trainer, name)
