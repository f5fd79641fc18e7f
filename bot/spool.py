"""Messages that arrived while the database was down, kept on local disk until it is back."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path

from bot.conversation import Incoming


class Spool:
    """An append-only JSON-lines file; ``take`` empties it atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, incoming: Incoming) -> None:
        line = json.dumps(dataclasses.asdict(incoming), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())

    def take(self) -> list[Incoming]:
        """Everything spooled so far; the caller puts back what it could not handle."""
        with self._lock:
            if not self.path.exists():
                return []
            taking = self.path.with_suffix(".taking")
            self.path.replace(taking)
        items = [Incoming(**json.loads(line))
                 for line in taking.read_text(encoding="utf-8").splitlines() if line.strip()]
        taking.unlink()
        return items

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        return sum(1 for line in self.path.read_text(encoding="utf-8").splitlines() if line)
