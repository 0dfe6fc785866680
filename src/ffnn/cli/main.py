"""The ``ffnn`` command line.

``ffnn iris``
    Builds the notebook's iris network (4 → 8 sigmoid → 3 softmax), prints its shapes, its
    cross-entropy cost on iris and a gradient check.
``ffnn gradcheck``
    Checks backpropagation of a network given by options on random data and prints the table.
``ffnn train``
    Trains a network on one of the course's data sets; with no options, the notebook's study
    (iris, 4 → 8 sigmoid → 3 softmax, cross-entropy, full-batch GD, 5000 epochs, no split).
``ffnn sweep``
    Trains a grid of configurations (``--grid lr=0.001,0.01``), here or on a Dask cluster,
    with ``ffnn train``'s options; results as JSON lines, a heatmap.

Bad options end with one line on stderr and exit status 2, never a traceback: everything that
can be checked (options and their combinations, output paths, the recipe against the data) is
checked before the first line of output and any training. Ctrl-C ends a command with one line
on stderr and exit status 130: ``ffnn train`` then writes nothing (no --save, no --plot), and
``ffnn sweep`` keeps every finished run in --out (--resume runs the rest). Output written after
the work (a figure) that still fails comes after what was computed (the model, the results).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .common import Stopped, os_error_words
from .models import run_evaluate, run_predict
from .parser import build_parser, given_options
from .sweep import run_sweep
from .train import run_gradcheck, run_iris, run_train


class _Output:
    """Standard output that a reader who has gone away (``ffnn train --save m.npz | head``)
    or a closed stream cannot stop: the first failed write sends the rest to nowhere and the
    command carries on, so that what it writes to files is written. ``ffnn predict``, whose
    output is its work, then ends with 141 (128 + SIGPIPE, as a shell reports it)."""

    def __init__(self, stream):
        self.stream = stream
        self.broken = stream is None

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self.stream.write(text)
            except UnicodeEncodeError:  # a stream that cannot show the text: say so
                raise
            except (OSError, ValueError):  # a reader gone (EPIPE), a closed stream
                self.close_quietly()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self.close_quietly()

    def close_quietly(self) -> None:
        """Send the real stream's descriptor to /dev/null (so the interpreter's own flush at
        exit does not fail) and drop what comes."""
        self.broken = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, self.stream.fileno())
            finally:
                os.close(null)

    def isatty(self) -> bool:
        return not self.broken and bool(getattr(self.stream, "isatty", lambda: False)())

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _interrupted(args: argparse.Namespace, exc: KeyboardInterrupt) -> str:
    """The one line that Ctrl-C ends a command with."""
    from ..sweeps.search import SweepInterrupted

    if isinstance(exc, Stopped):
        return str(exc)
    if isinstance(exc, SweepInterrupted):
        return (f"interrupted: {exc.finished} of {exc.total} runs finished"
                + (f"; they are in {exc.path}: the same command with --resume runs the rest"
                   if exc.path else "; without --out nothing was kept"))
    if args.command == "train":
        asked = [f"{flag} {path}" for flag, path in (("--save", args.save),
                                                     ("--plot", args.plot)) if path]
        if args.written:
            rest = [item for item in asked if item not in args.written]
            return (f"interrupted after {' and '.join(args.written)} was written"
                    + (f"; {' and '.join(rest)} was not" if rest else ""))
        return "interrupted before training ended" + ("; nothing written" if asked else "")
    return "interrupted"


@contextlib.contextmanager
def _interrupts(command: str):
    """Ctrl-C raises KeyboardInterrupt once (train() and sweeps stop cleanly on it); a
    second one while the first is being handled (a cluster closing, say) ends the process
    at once. The handler yields a dict whose ``"said"`` tells it the line was printed."""
    state = {"count": 0, "said": False}
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield state
        return

    def handler(signum, frame):
        state["count"] += 1
        if state["count"] == 1:
            raise KeyboardInterrupt
        if not state["said"]:
            os.write(2, f"ffnn {command}: interrupted twice: stopped at once\n".encode())
        os._exit(130)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2: bad options, 130: Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `ffnn`: what it can do, not an error
        parser.print_help()
        return 0
    args.given = given_options(argv)  # a data set's own settings fill in only the others
    runners = {"iris": run_iris, "gradcheck": run_gradcheck, "train": run_train,
               "sweep": run_sweep, "predict": run_predict, "evaluate": run_evaluate}
    args.written = []  # what the command has written (its messages after Ctrl-C say it)
    output = _Output(sys.stdout)
    with _interrupts(args.command) as state, contextlib.redirect_stdout(output):
        try:
            status = runners[args.command](args)
            printed_work = args.command == "predict" and not args.out
            return 141 if output.broken and printed_work else status
        except KeyboardInterrupt as exc:
            message = _interrupted(args, exc)
            # The one line below is all: a cluster client cut short may leave futures whose
            # timeouts asyncio and Dask would report on their loggers as the process exits.
            for name in ("asyncio", "distributed", "tornado"):
                logging.getLogger(name).disabled = True
            sys.stdout.flush()
            print(f"ffnn {args.command}: {message}", file=sys.stderr, flush=True)
            state["said"] = True
            return 130
        except BrokenPipeError:  # a write that _Output did not see (a reader gone)
            output.close_quietly()
            return 141  # 128 + SIGPIPE, as a shell reports it
        except (ValueError, TypeError, OSError, ImportError) as exc:
            # An OSError that no check put in words: its words, not "[Errno 2] ...".
            text = os_error_words(exc) if isinstance(exc, OSError) and exc.strerror else exc
            message = " ".join(str(text).split())  # one line, whatever came
            print(f"ffnn {args.command}: error: {message}", file=sys.stderr)
            return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
