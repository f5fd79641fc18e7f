"""Messages that arrived while the database was down, kept on local disk until it is back.

A spooled message leaves the spool only once its turn is committed (``ack``): a crash during a
replay loses nothing, and the replay after it skips what was already answered, because each
entry has a spool id that the conversation service uses as the message's id when the client
sent none. Several worker processes may share one spool: writes to the file hold an exclusive
file lock, and one process at a time replays (``replaying``).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.conversation import Incoming

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Spooled:
    """One spooled message and the id it was spooled under."""

    spool_id: str
    incoming: Incoming


def _entry(line: str) -> Spooled:
    data: dict[str, Any] = json.loads(line)
    # A line spooled before spool ids existed: its content names it, the same on every read.
    spool_id = str(data.pop("spool_id", None) or
                   hashlib.sha256(line.encode("utf-8")).hexdigest()[:32])
    data["attachments"] = tuple(data.get("attachments") or ())
    return Spooled(spool_id, Incoming(**data))


class Spool:
    """An append-only JSON-lines file of :class:`Spooled` messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # the file lock is per process; threads queue here

    @contextmanager
    def _locked(self, suffix: str, blocking: bool = True) -> Iterator[bool]:
        """An exclusive lock on ``path`` + ``suffix`` shared with other processes; released
        by the kernel if this process dies. Yields False if not ``blocking`` and taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_name(self.path.name + suffix).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock, self._locked(".lock"):
            yield

    def append(self, incoming: Incoming) -> str:
        """Keep ``incoming`` on disk (synced); returns its spool id."""
        spool_id = uuid.uuid4().hex
        line = json.dumps({"spool_id": spool_id, **dataclasses.asdict(incoming)},
                          ensure_ascii=False) + "\n"
        with self._writing(), self.path.open("a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        return spool_id

    def take(self) -> list[Spooled]:
        """Everything spooled and not yet acknowledged, oldest first; it stays in the spool."""
        with self._writing():
            return self._read()

    def ack(self, spool_ids: Collection[str]) -> None:
        """Remove these entries: their turns are committed. The file is replaced atomically."""
        if not spool_ids:
            return
        done = set(spool_ids)
        with self._writing():
            left = [entry for entry in self._read() if entry.spool_id not in done]
            if not left:
                self.path.unlink(missing_ok=True)
                return
            fresh = self.path.with_name(self.path.name + ".new")
            with fresh.open("w", encoding="utf-8") as file:
                for entry in left:
                    file.write(json.dumps({"spool_id": entry.spool_id,
                                           **dataclasses.asdict(entry.incoming)},
                                          ensure_ascii=False) + "\n")
                file.flush()
                os.fsync(file.fileno())
            fresh.replace(self.path)
            _sync_directory(self.path.parent)

    @contextmanager
    def replaying(self) -> Iterator[bool]:
        """Whether this caller replays now: True for one process (and thread) at a time."""
        with self._locked(".replay", blocking=False) as mine:
            yield mine

    def _read(self) -> list[Spooled]:
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(_entry(line))
            except (ValueError, TypeError):
                # Only a write cut short by a crash, which was never acknowledged to its sender
                if line.strip():
                    log.warning("spool %s: skipped an unreadable line", self.path)
        return entries

    def __len__(self) -> int:
        with self._writing():
            return len(self._read())


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` survive a power cut."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

