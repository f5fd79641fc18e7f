"""The retention job: transcript texts older than the retention period are erased once an
hour, in batches, and data exports are deleted after a day."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.scheduler import jobs
from store import media, privacy
from store.database import transaction
from store.models import Direction, Media, TranscriptMessage
from tests.bot.scheduler.conftest import MONDAY, World, make_world


def _messages(world: World, *ages: dt.timedelta) -> None:
    with transaction(world.sessions) as session:
        session.add_all([TranscriptMessage(
            channel="rest", chat_id="x", direction=Direction.IN, text=f"said {n}",
            at=MONDAY - age, parse={"text": f"said {n}"}) for n, age in enumerate(ages)])


def _texts(world: World) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(TranscriptMessage.text)
                                    .order_by(TranscriptMessage.id)))


def test_texts_past_the_retention_period_are_erased_and_newer_ones_kept(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "RETENTION_BATCH", 2)  # five old rows: three transactions
    days = dt.timedelta(days=1)
    _messages(world, 400 * days, 200 * days, 181 * days, 181 * days, 180.5 * days, 179 * days,
              1 * days)
    done = world.jobs.retention(MONDAY)
    assert done["texts_erased"] == 5
    assert _texts(world) == [privacy.ERASED] * 5 + ["said 5", "said 6"]
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.text == privacy.ERASED,
            TranscriptMessage.parse.is_not(None))) == 0


def test_the_job_runs_once_an_hour_and_follows_the_setting(world: World) -> None:
    short = make_world(world.sessions)
    short.runtime = dataclasses.replace(short.runtime, retention=dt.timedelta(days=30))
    short.jobs = jobs.Jobs(short.runtime)
    _messages(short, dt.timedelta(days=31))
    assert short.jobs.retention(MONDAY)["texts_erased"] == 1
    _messages(short, dt.timedelta(days=40))
    assert short.jobs.retention(MONDAY + dt.timedelta(minutes=30)) == {}  # this hour: done
    assert short.jobs.retention(MONDAY + dt.timedelta(hours=1))["texts_erased"] == 1
    assert _texts(short) == [privacy.ERASED] * 2


def test_a_sweep_runs_the_retention_job(world: World) -> None:
    _messages(world, dt.timedelta(days=365))
    world.sweep(MONDAY)
    assert _texts(world) == [privacy.ERASED]


def test_data_exports_are_deleted_after_a_day_and_pictures_kept(world: World) -> None:
    with transaction(world.sessions) as session:
        old = media.save(session, b'{"person": {"id": 1}}', privacy.EXPORT_TYPE,
                         MONDAY - dt.timedelta(hours=25))
        new = media.save(session, b'{"person": {"id": 1}}', privacy.EXPORT_TYPE,
                         MONDAY - dt.timedelta(hours=2))
        chart = media.save(session, b"\x89PNG", "image/png", MONDAY - dt.timedelta(days=90))
    assert world.jobs.retention(MONDAY)["exports_deleted"] == 1
    with world.sessions() as session:
        assert media.load(session, old) is None
        kept = media.load(session, new)
        assert kept is not None and not media.expired(kept, MONDAY)
        assert media.expired(kept, MONDAY + dt.timedelta(hours=23))
        assert media.load(session, chart) is not None
        assert session.scalar(select(func.count()).select_from(Media)) == 2
