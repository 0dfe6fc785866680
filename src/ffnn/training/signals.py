"""Ctrl-C held over a block that must complete: a compiled call whose results are recorded
after it, a sweep task whose records are written together."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["held_sigint"]


@contextlib.contextmanager
def held_sigint() -> Iterator[None]:
    """Hold SIGINT while the block runs (in the main thread; other threads never receive
    it) and deliver it at the block's end as the handler in place would: Python's default
    raises KeyboardInterrupt, an ignored one stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    if caught and previous is not signal.SIG_IGN:
        if callable(previous):
            previous(signal.SIGINT, caught[0])
        else:  # SIG_DFL, or a handler not set from Python
            raise KeyboardInterrupt
