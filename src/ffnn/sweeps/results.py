"""The results file: a header naming the sweep, then one JSON line per finished run, written
by the client alone, flushed and fsynced, locked for the whole sweep, read back to resume."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: results files are not locked
    fcntl = None
from .grid import json_default

__all__ = ["FORMAT"]

FORMAT = "ffnn-sweep/1"


# How every header line starts (json.dumps of {"format", "sweep", "spec"}): a file holding
# only a prefix of this, or a longer line starting with it, is a header torn while written.
_HEADER_START = b'{"format": "' + FORMAT.encode() + b'", "sweep": "'


class ResultsFile:
    """JSON lines: a header, then one record per finished run, each flushed and fsynced.

    One writer at a time: the file is opened (created when missing) and locked
    (``fcntl.flock``, exclusive, non-blocking) for the whole sweep, so a second sweep on the
    same file is refused at once. A file that is not a results file of this format (its
    first line is not a header, or the text without a newline is not the start of one) is
    refused and left as it is, with or without ``resume``. Nothing is written until the first
    record: a file this sweep created and never wrote to is removed again on close.
    """

    def __init__(self, path, header: dict, resume: bool):
        self.path = Path(path)
        self.header = header
        self.done: dict[str, dict] = {}
        self.file = None
        self.created = self.written = False
        if self.path.is_dir():
            raise ValueError(f"out: {self.path} is a folder; give a file name")
        if not self.path.parent.is_dir():
            raise ValueError(f"out: the folder of {self.path} does not exist")
        self._open_locked()
        try:
            data = self._read_all()
            complete = data[: data.rfind(b"\n") + 1]  # a half-written last line is dropped
            if not complete:  # empty, or a header torn while written: ours to start afresh
                torn = data[len(complete):]
                if torn and not (_HEADER_START.startswith(torn) or torn.startswith(_HEADER_START)):
                    raise ValueError(self._foreign(torn))
            else:
                self._read_back(complete, resume)
            self.fresh = not complete
            self.keep = len(complete)
        except BaseException:
            self.close()
            raise

    def _open_locked(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            self.created = True
        except FileExistsError:
            fd = os.open(self.path, os.O_RDWR)
        self.file = os.fdopen(fd, "r+b")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            self.file.close()
            self.file = None
            raise ValueError(f"out: {self.path} is not a regular file; give a file name")
        if fcntl is None:  # pragma: no cover - Windows: no advisory lock
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.close()
            self.file = None
            raise ValueError(f"out: {self.path} is in use by another sweep (it holds the "
                             "file's lock); wait for that one to end, or give another file") \
                from None

    def _read_all(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def _foreign(self, start: bytes) -> str:
        shown = start[:40].decode("utf-8", errors="replace")
        return (f"out: {self.path} is not an ffnn sweep results file (it starts with "
                f"{shown!r}); it is left as it is: give another file")

    def _read_back(self, complete: bytes, resume: bool) -> None:
        lines = complete.decode("utf-8", errors="replace").splitlines()
        try:
            header = json.loads(lines[0])
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT or \
                not isinstance(header.get("spec"), dict) or "sweep" not in header:
            raise ValueError(self._foreign(complete))
        if header["sweep"] != self.header["sweep"]:
            differs = sorted(k for k in set(header["spec"]) | set(self.header["spec"])
                             if header["spec"].get(k) != self.header["spec"].get(k))
            raise ValueError(
                f"{'resume' if resume else 'out'}: {self.path} holds another sweep (id "
                f"{header['sweep']}, this one {self.header['sweep']}); they differ in: "
                f"{', '.join(differs) or 'the data'}; give another file"
            )
        # the same sweep (by id): continued, resume or not; nothing in it is run again
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line in the middle: that run is simply run again
            if isinstance(record, dict) and record.get("sweep") == header["sweep"] \
                    and isinstance(record.get("run"), str):
                self.done[record["run"]] = record

    def _write(self, record: dict) -> None:
        line = json.dumps(record, default=json_default, allow_nan=False) + "\n"
        self.file.write(line.encode("utf-8"))
        self.file.flush()
        os.fsync(self.file.fileno())

    def append(self, record: dict) -> None:
        if not self.written:  # a fresh file gets the header, a resumed one loses a torn line
            self.file.seek(0 if self.fresh else self.keep)
            self.file.truncate()
            if self.fresh:
                self._write(self.header)
            self.written = True
        self._write(record)
        self.done[record["run"]] = record

    def close(self) -> None:
        if self.file is None:
            return
        try:
            if self.created and not self.written:  # still under the lock: nobody else wrote
                with contextlib.suppress(OSError):
                    self.path.unlink()
        finally:
            self.file.close()  # and with it the lock
            self.file = None


#: Options newer than the results-file format, with the default that changes nothing.
LATER_DEFAULTS = {"penalize_biases": False, "device": None}


UNSET = object()
