"""Retraining from the console: one background job at a time, its progress in the database
(so any worker answers about it and a page reload loses nothing), and activating a version.

The job runs on a thread of the worker that was asked: training releases the GIL for most of
its time (numpy, scikit-learn), and the event loop keeps answering while it runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.nlu_swap import ActiveModelWatcher, SwappableParser
from nlu.loader import NluPaths
from nlu.registry import (
    PACKAGED,
    compare,
    corrected_example,
    evaluation,
    new_version,
    pack,
    progress_fraction,
    save_report,
    train_version,
    version_path,
)
from nlu.trainingdata import Example, TrainingDataError, load
from store import nlu_models
from store.corrections import latest_corrections
from store.database import transaction

log = logging.getLogger(__name__)
#: Progress is written at most this often: training may report many small steps.
_PROGRESS_EVERY = 0.3


def corrected_examples(session: Session) -> list[Example]:
    """Every corrected message as a training example, oldest first."""
    return [corrected_example(c.text, c.intent, c.entities) for c in latest_corrections(session)]


def _remembered(parse: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """``parse`` that answers a text it has seen from memory (for one job only)."""
    seen: dict[str, dict[str, Any]] = {}

    def remembered(text: str) -> dict[str, Any]:
        if text not in seen:
            seen[text] = parse(text)
        return seen[text]

    return remembered


@dataclass(slots=True)
class ModelManager:
    """Training jobs, versions and the model this process serves."""

    sessions: sessionmaker[Session]
    clock: Callable[[], dt.datetime]
    home: Path
    paths: NluPaths  # the packaged data, its model and the caches
    parser: SwappableParser
    watcher: ActiveModelWatcher
    _threads: dict[str, threading.Thread] = field(default_factory=dict)

    @property
    def test_data(self) -> Path:
        return self.paths.data / "test"

    def start(self, author: str) -> str:
        """Begin training a new version in the background; its name is the job id.
        Raises store.nlu_models.TrainingBusyError while another job runs."""
        now = self.clock()
        version = new_version(now)
        with transaction(self.sessions) as session:
            nlu_models.start_training(session, version, author, now)
        thread = threading.Thread(target=self._run, args=(version,), daemon=True,
                                  name=f"nlu-train-{version}")
        self._threads[version] = thread
        thread.start()
        return version

    def wait(self, version: str, timeout: float | None = None) -> None:
        """Wait for a job this process started (tests, benchmarks, the CLI)."""
        thread = self._threads.get(version)
        if thread is not None:
            thread.join(timeout)

    def _run(self, version: str) -> None:
        last = [0.0, 0.0]  # fraction, when written

        def progress(message: str) -> None:
            fraction = progress_fraction(message, last[0])
            if fraction != last[0] or time.monotonic() - last[1] > _PROGRESS_EVERY:
                last[0], last[1] = fraction, time.monotonic()
                with transaction(self.sessions) as session:
                    nlu_models.record_progress(session, version, fraction, message,
                                               self.clock())

        try:
            self._train(version, progress)
        except (TrainingDataError, ValueError, OSError) as error:
            log.exception("training NLU model %s failed", version)
            with transaction(self.sessions) as session:
                nlu_models.fail_training(session, version, str(error), self.clock())
        except Exception:
            log.exception("training NLU model %s failed", version)
            with transaction(self.sessions) as session:
                nlu_models.fail_training(session, version, "training failed: see the log",
                                         self.clock())
        finally:
            self._threads.pop(version, None)

    def _train(self, version: str, progress: Callable[[str], None]) -> None:
        started = time.perf_counter()
        with self.sessions() as session:
            corrections = corrected_examples(session)
        trained = train_version(self.paths, self.home, version, corrections, progress)
        fitted = time.perf_counter()
        test = load(self.test_data).examples if self.test_data.exists() else []
        progress(f"evaluating the candidate on {len(test)} test examples")
        candidate = _remembered(trained.pipeline.parse)  # the comparison parses them again
        report = dict(trained.report, evaluation=evaluation(candidate, test))
        progress(f"evaluating the active model ({self.parser.version}) and comparing")
        report["comparison"] = compare(self.parser.pipeline.parse, candidate, test,
                                       corrections, self.parser.version)
        compared = time.perf_counter()
        progress("packing the model files")
        report["seconds"] = {"training": round(fitted - started, 2),
                             "evaluation": round(compared - fitted, 2)}
        save_report(trained.path, report)
        archive = pack(trained.path)
        with transaction(self.sessions) as session:
            nlu_models.finish_training(session, version, fingerprint=trained.report[
                "fingerprint"], path=str(trained.path), report=report, archive=archive,
                now=self.clock())
        self.watcher.offer(version, trained.pipeline)

    def activate(self, version: str | None) -> str | None:
        """Make ``version`` (None: the packaged model) active for every worker, and serve it
        here at once; returns the version active before. Blocking: call it off the loop."""
        if version is not None:
            version_path(self.home, version)  # refuses a malformed name
        with transaction(self.sessions) as session:
            previous = nlu_models.activate(session, version, self.clock())
        self.watcher.refresh()
        return previous

    def serving(self) -> str:
        return self.parser.version or PACKAGED
