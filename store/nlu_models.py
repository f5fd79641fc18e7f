"""NLU model versions in the database: training jobs, their progress, and which version is
active (the pointer every worker of every host follows). Queries never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from store.models import ModelStatus, ModelVersion

#: A training job not heard from for this long belonged to a process that died.
STALE_AFTER = dt.timedelta(minutes=10)


class TrainingBusyError(RuntimeError):
    """Another training job is running; one at a time."""


class UnknownVersionError(LookupError):
    """No such model version, or one that cannot be activated (training, failed)."""


def start_training(session: Session, version: str, author: str,
                   now: dt.datetime) -> ModelVersion:
    """A new version in the training state. Raises TrainingBusyError while another job runs
    (a unique index holds this even for racing workers on other hosts)."""
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.status == ModelStatus.TRAINING,
               ModelVersion.updated_at < now - STALE_AFTER)
        .values(status=ModelStatus.FAILED, stage="the process training it stopped",
                updated_at=now))
    row = ModelVersion(version=version, status=ModelStatus.TRAINING, created_at=now,
                       created_by=author, updated_at=now, progress=0.0, stage="queued")
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        raise TrainingBusyError("a model is being trained already") from error
    return row


def record_progress(session: Session, version: str, fraction: float, stage: str,
                    now: dt.datetime) -> None:
    session.execute(update(ModelVersion)
                    .where(ModelVersion.version == version,
                           ModelVersion.status == ModelStatus.TRAINING)
                    .values(progress=fraction, stage=stage[:300], updated_at=now))


def finish_training(session: Session, version: str, *, fingerprint: str, path: str,
                    report: dict[str, Any], archive: bytes, now: dt.datetime) -> None:
    session.execute(update(ModelVersion).where(ModelVersion.version == version)
                    .values(status=ModelStatus.READY, progress=1.0, stage="ready",
                            fingerprint=fingerprint, path=path, report=report,
                            archive=archive, updated_at=now))


def fail_training(session: Session, version: str, reason: str, now: dt.datetime) -> None:
    session.execute(update(ModelVersion).where(ModelVersion.version == version)
                    .values(status=ModelStatus.FAILED, stage=reason[:300], updated_at=now))


def active_version(session: Session) -> str | None:
    """The version every worker should serve; None: the packaged model. One indexed row."""
    return session.scalar(select(ModelVersion.version)
                          .where(ModelVersion.status == ModelStatus.ACTIVE))


def newest_ready(session: Session) -> str | None:
    """The newest trained version not yet activated: the one likely to be activated next."""
    return session.scalar(select(ModelVersion.version)
                          .where(ModelVersion.status == ModelStatus.READY)
                          .order_by(ModelVersion.created_at.desc(), ModelVersion.version.desc())
                          .limit(1))


def activate(session: Session, version: str | None, now: dt.datetime) -> str | None:
    """Make ``version`` the active one (None: back to the packaged model); the one active
    before is retired. Returns the version that was active."""
    previous = active_version(session)
    if version is not None:
        row = session.get(ModelVersion, version, options=[defer(ModelVersion.archive)])
        if row is None or row.status not in (ModelStatus.READY, ModelStatus.RETIRED,
                                             ModelStatus.ACTIVE):
            raise UnknownVersionError(version)
    if previous == version:
        return previous
    session.execute(update(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE)
                    .values(status=ModelStatus.RETIRED, updated_at=now))
    if version is not None:
        session.execute(update(ModelVersion).where(ModelVersion.version == version)
                        .values(status=ModelStatus.ACTIVE, activated_at=now, updated_at=now))
    return previous


def versions(session: Session, limit: int = 100) -> list[ModelVersion]:
    """The newest versions first, without their files."""
    return list(session.scalars(select(ModelVersion).options(defer(ModelVersion.archive))
                                .order_by(ModelVersion.created_at.desc(),
                                          ModelVersion.version.desc())
                                .limit(limit)))


def get_version(session: Session, version: str) -> ModelVersion | None:
    return session.get(ModelVersion, version, options=[defer(ModelVersion.archive)])


def archive_of(session: Session, version: str) -> bytes | None:
    """The packed model files of ``version``, for a host that does not have its folder."""
    return session.scalar(select(ModelVersion.archive).where(ModelVersion.version == version))


def summary(row: ModelVersion) -> dict[str, Any]:
    """A version as people see it (console models page, ``linli nlu models``): status,
    fingerprint, data size and the scores of its report."""
    report = row.report or {}
    evaluation = report.get("evaluation") or {}
    intent = evaluation.get("intent") or {}
    oos = (intent.get("per_intent") or {}).get("out_of_scope") or {}
    data = report.get("data") or {}
    return {"version": row.version, "status": str(row.status), "created_at": row.created_at,
            "created_by": row.created_by, "activated_at": row.activated_at,
            "progress": row.progress, "stage": row.stage, "fingerprint": row.fingerprint,
            "examples": data.get("examples"), "corrections": data.get("corrections"),
            "accuracy": intent.get("accuracy"), "macro_f1": intent.get("macro_f1"),
            "oos_precision": oos.get("precision"), "oos_recall": oos.get("recall")}


def previous_active(session: Session) -> str | None:
    """The version served before the active one, where a rollback goes; None: the packaged
    model (nothing was active before)."""
    return session.scalar(select(ModelVersion.version)
                          .where(ModelVersion.status == ModelStatus.RETIRED,
                                 ModelVersion.activated_at.is_not(None))
                          .order_by(ModelVersion.activated_at.desc()).limit(1))
