"""Serving the active NLU model version: a parser that can be swapped while messages flow,
and a watcher that follows the version the database names as active.

Every worker of every host runs its own watcher: it reads one indexed row every few seconds,
loads a new model on its own thread (never on the event loop), and swaps it in with one
assignment, so a parse in flight finishes on the model it started with and none fails.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nlu.loader import NluPaths, load_pipeline
from nlu.model import NluModel
from nlu.pipeline import NluPipeline
from nlu.registry import PACKAGED, load_version, unpack, version_path
from store.nlu_models import active_version, archive_of, newest_ready

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0


class SwappableParser:
    """The conversation service's and /model/parse's parser, replaceable at any moment."""

    def __init__(self, pipeline: NluPipeline, version: str = PACKAGED) -> None:
        self._current = (pipeline, version)
        # Whoever swaps holds this, so two watchers of one parser never swap out of order.
        self.lock = threading.Lock()
        self.watcher: ActiveModelWatcher | None = None  # the one following the database

    def parse(self, text: str) -> dict[str, Any]:
        pipeline, _ = self._current  # one read: a swap cannot split a parse between models
        return pipeline.parse(text)

    @property
    def version(self) -> str:
        return self._current[1]

    @property
    def pipeline(self) -> NluPipeline:
        return self._current[0]

    @property
    def model(self) -> NluModel:
        """The model serving now (its out-of-scope threshold, for the console)."""
        return self._current[0].model

    def swap(self, pipeline: NluPipeline, version: str) -> None:
        self._current = (pipeline, version)


class ActiveModelWatcher:
    """Keeps a SwappableParser on the version the database names as active."""

    def __init__(self, parser: SwappableParser, sessions: sessionmaker[Session], home: Path,
                 packaged: NluPaths, interval: float = POLL_SECONDS) -> None:
        self.parser = parser
        self.sessions = sessions
        self.home = home
        self.packaged = packaged
        self.interval = interval
        self._failed: str | None = None  # a version that would not load: not retried each poll
        # The newest trained version, loaded before anyone activates it, so that activating
        # it is a swap and not a load; and the previous model after a swap, for a quick
        # rollback. At most one kept beside the one serving.
        self._standby: tuple[str, NluPipeline] | None = None
        self._unprepared: str | None = None
        parser.watcher = self
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def offer(self, version: str, pipeline: NluPipeline) -> None:
        """A model already in memory (just trained here): no need to load it when activated."""
        with self.parser.lock:
            self._standby = (version, pipeline)

    def refresh(self, prepare: bool = False) -> bool:
        """Serve the active version now (blocking: call it off the event loop). True when the
        model changed. A version that fails to load leaves the old model serving. With
        ``prepare``, and nothing to change, load the newest trained version beforehand."""
        with self.parser.lock:
            with self.sessions() as session:
                wanted = active_version(session) or PACKAGED
                newest = newest_ready(session) if prepare else None
            if wanted == self.parser.version or wanted == self._failed:
                if newest is not None and newest != self._unprepared:
                    self._prepare(newest)
                return False
            try:
                if self._standby is not None and self._standby[0] == wanted:
                    pipeline = self._standby[1]
                else:
                    pipeline = self._load(wanted)
            except Exception:
                log.exception("NLU model %s could not be loaded; still serving %s", wanted,
                              self.parser.version)
                self._failed = wanted
                return False
            self._standby = (self.parser.version, self.parser.pipeline)
            self.parser.swap(pipeline, wanted)
            self._failed = None
            log.info("NLU model %s now serves", wanted)
            return True

    def _prepare(self, version: str) -> None:
        if version == self.parser.version or (self._standby and self._standby[0] == version):
            return
        try:
            self._standby = (version, self._load(version))
        except Exception:
            log.warning("NLU model %s could not be loaded ahead", version, exc_info=True)
            self._unprepared = version  # not tried again ahead; activating it still loads it

    def _load(self, version: str) -> NluPipeline:
        if version == PACKAGED:
            return load_pipeline(self.packaged)
        path = version_path(self.home, version)
        if not path.exists():  # trained on another host: its files are in the database
            with self.sessions() as session:
                archive = archive_of(session, version)
            if archive is None:
                raise FileNotFoundError(f"no files for NLU model {version}")
            unpack(archive, path)
        return load_version(path, self.packaged.cache)

    def start(self) -> None:
        """Poll in a daemon thread until ``stop``."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="nlu-model-watcher",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh(prepare=True)
            except OperationalError as error:  # the database away: keep serving, ask again
                log.warning("could not read the active NLU model version: database "
                            "unavailable (%s)", type(error.orig).__name__)
            except Exception:
                log.warning("could not read the active NLU model version", exc_info=True)
