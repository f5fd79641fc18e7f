"""Staff notices: audiences, schedules (once or by crontab), runs and delivery reports, and the
community's group chats. Functions take a session and never commit."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.calendar import QuietHours
from store.models import (
    Building,
    ChatGroup,
    ChatIdentity,
    Community,
    Grid,
    Household,
    Notice,
    NoticeRun,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    Role,
)
from store.outbox import CHANNEL_PREFERENCE, PUSH_CHANNELS, UNREACHABLE

AUDIENCE_KINDS = ("all", "grid", "building", "groups", "language")
ACTIVE = (NoticeStatus.AWAITING_CONFIRMATION, NoticeStatus.SCHEDULED)


class NoticeError(ValueError):
    """A notice that cannot be made as asked; ``code`` names a response for the user."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a notice is for: ``all``, ``grid:A``, ``building:3``, ``groups``, ``language:en``."""

    kind: str
    value: str = ""

    @classmethod
    def parse(cls, spec: str) -> Audience:
        kind, _, value = spec.strip().partition(":")
        kind = kind.lower()
        if kind not in AUDIENCE_KINDS or (kind in ("grid", "building", "language")) != bool(
                value):
            raise NoticeError("audience", f"unknown audience {spec!r}: use all, grid:CODE, "
                              "building:NUMBER, groups or language:zh|en")
        return cls(kind, value.upper() if kind == "grid" else value.lower())

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


@dataclass(frozen=True, slots=True)
class Recipients:
    people: Sequence[Person]
    groups: Sequence[ChatGroup]

    def __len__(self) -> int:
        return len(self.people) + len(self.groups)


def recipients(session: Session, community: Community, audience: Audience) -> Recipients:
    """Everyone a notice to ``audience`` reaches now."""
    if audience.kind == "groups":
        return Recipients((), session.scalars(select(ChatGroup).where(
            ChatGroup.community_id == community.id, ChatGroup.active.is_(True))
            .order_by(ChatGroup.id)).all())
    query = select(Person).where(Person.community_id == community.id)
    if audience.kind in ("grid", "building"):
        query = query.join(Household, Person.household_id == Household.id).join(
            Building, Household.building_id == Building.id)
        if audience.kind == "grid":
            query = query.join(Grid, Building.grid_id == Grid.id).where(
                Grid.code == audience.value)
        else:
            query = query.where(Building.number == audience.value)
    elif audience.kind == "language":
        query = query.where(func.coalesce(Person.language, community.default_language)
                            == audience.value)
    return Recipients(session.scalars(query.order_by(Person.id)).all(), ())


def check_audience(session: Session, community: Community, audience: Audience) -> None:
    """Refuse a grid or building the community does not have."""
    if audience.kind == "grid" and session.scalar(select(Grid.id).where(
            Grid.community_id == community.id, Grid.code == audience.value)) is None:
        raise NoticeError("audience", f"no grid {audience.value}")
    if audience.kind == "building" and session.scalar(select(Building.id).where(
            Building.community_id == community.id, Building.number == audience.value)) is None:
        raise NoticeError("audience", f"no building {audience.value}")


def next_fire(cron: str, after: dt.datetime, zone: dt.tzinfo) -> dt.datetime | None:
    """The first time ``cron`` fires strictly after ``after`` (APScheduler's arithmetic, DST
    included)."""
    trigger = CronTrigger.from_crontab(cron, timezone=zone)
    return trigger.get_next_fire_time(None, after + dt.timedelta(microseconds=1))  # type: ignore[no-any-return]


def text_for(notice: Notice, language: str, default: str) -> str:
    """The notice in ``language``, else the community default, else whichever text it has."""
    texts: Mapping[str, str] = {k: v for k, v in notice.texts.items() if v}
    return texts.get(language) or texts.get(default) or next(iter(texts.values()), "")


def first_run(at: dt.datetime | None, cron: str | None, now: dt.datetime,
              zone: dt.tzinfo) -> dt.datetime:
    """When a notice due ``at`` (now if None) or by ``cron`` first goes; refused if past."""
    first = next_fire(cron, now, zone) if cron else (at or now)
    if first is None or first < now - dt.timedelta(minutes=1):
        raise NoticeError("when", "that time is in the past")
    return first


def needs_confirmation(reach: int, confirm_above: int) -> bool:
    """A notice to more than ``confirm_above`` recipients waits for its author's yes."""
    return reach > confirm_above


def create(session: Session, *, community: Community, author: Person | None,
           texts: Mapping[str, str], audience: Audience, at: dt.datetime | None,
           cron: str | None, now: dt.datetime, zone: dt.tzinfo,
           confirm_above: int) -> tuple[Notice, int]:
    """A notice due ``at`` (now if None) or by ``cron``; it waits for confirmation when it
    reaches more than ``confirm_above`` recipients. Returns it and its current reach."""
    if not any(text.strip() for text in texts.values()):
        raise NoticeError("text", "a notice needs a text in at least one language")
    check_audience(session, community, audience)
    first = first_run(at, cron, now, zone)
    reach = len(recipients(session, community, audience))
    notice = Notice(community_id=community.id, author_id=author.id if author else None,
                    texts={k: v.strip() for k, v in texts.items() if v.strip()},
                    audience=str(audience), cron=cron, next_run_at=first, created_at=now,
                    status=NoticeStatus.AWAITING_CONFIRMATION
                    if needs_confirmation(reach, confirm_above) else NoticeStatus.SCHEDULED)
    session.add(notice)
    session.flush()
    return notice, reach


@dataclass(frozen=True, slots=True)
class Reader:
    """One person a notice reaches, as its author previews them."""

    person_id: int
    name: str
    grid: str | None
    building: str | None
    language: str  # the text they get: theirs, else the community default
    channel: str | None  # where it goes; None: no way to reach them (counted, never sent)
    resident: bool = True  # False for the community's workers (grid members, staff, …)


@dataclass(frozen=True, slots=True)
class AudiencePreview:
    """Who a notice reaches now: the very list the send uses (``recipients``), with where each
    lives and reads, and how many per grid, building and language."""

    audience: str
    people: Sequence[Reader]
    groups: Sequence[tuple[int, str]]  # (id, title) of the community's group chats
    by_grid: Mapping[str, int]
    by_building: Mapping[str, int]
    by_language: Mapping[str, int]

    def __len__(self) -> int:
        return len(self.people) + len(self.groups)

    @property
    def unreachable(self) -> int:
        return sum(1 for reader in self.people if reader.channel is None)

    @property
    def residents(self) -> int:
        """How many of them are residents; the rest work for the community."""
        return sum(1 for reader in self.people if reader.resident)

    def as_dict(self) -> dict[str, Any]:
        return {"audience": self.audience, "count": len(self), "people": [
            {"id": r.person_id, "name": r.name, "grid": r.grid, "building": r.building,
             "language": r.language, "channel": r.channel, "resident": r.resident}
            for r in self.people], "residents": self.residents,
            "groups": [{"id": i, "title": t} for i, t in self.groups],
            "by_grid": dict(self.by_grid), "by_building": dict(self.by_building),
            "by_language": dict(self.by_language), "unreachable": self.unreachable}


NO_PLACE = ""  # by_grid / by_building key of people with no registered home


def preview(session: Session, community: Community, audience: Audience) -> AudiencePreview:
    """Who a notice to ``audience`` reaches now (see ``AudiencePreview``)."""
    check_audience(session, community, audience)
    reach = recipients(session, community, audience)
    ids = [person.id for person in reach.people]
    homes: dict[int, tuple[str | None, str | None]] = {
        person_id: (grid, number) for person_id, grid, number in session.execute(
            select(Person.id, Grid.code, Building.number)
            .join(Household, Person.household_id == Household.id)
            .join(Building, Household.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id).where(Person.id.in_(ids)))} if ids else {}
    channels: dict[int, set[str]] = {}
    for person_id, channel in session.execute(select(
            ChatIdentity.person_id, ChatIdentity.channel).where(
            ChatIdentity.person_id.in_(ids))) if ids else ():
        channels.setdefault(person_id, set()).add(channel)
    workers = set(session.scalars(select(PersonRole.person_id).where(
        PersonRole.person_id.in_(ids), PersonRole.role != Role.RESIDENT))) if ids else set()
    people = []
    for person in reach.people:
        grid, building = homes.get(person.id, (None, None))
        own = channels.get(person.id, set())
        # As store.outbox.enqueue addresses them: the most preferred channel they have.
        address = None if person.unreachable else next(
            (c for c in CHANNEL_PREFERENCE if c in own), None)
        people.append(Reader(person.id, person.name, grid, building,
                             person.language or community.default_language, address,
                             resident=person.id not in workers))
    return AudiencePreview(
        str(audience), people, [(g.id, g.title) for g in reach.groups],
        dict(sorted(Counter(r.grid or NO_PLACE for r in people).items(),
                    key=lambda item: (item[0] == NO_PLACE, item[0]))),
        dict(sorted(Counter(r.building or NO_PLACE for r in people).items(),
                    key=lambda item: (item[0] == NO_PLACE, len(item[0]), item[0]))),
        dict(sorted(Counter(r.language for r in people).items())))


def held_until(quiet: QuietHours, moment: dt.datetime | None) -> dt.datetime | None:
    """When a notice due at ``moment`` is really pushed, if quiet hours hold it back (a notice
    is never urgent: the delivery worker keeps it until they end); None if it goes at once."""
    if moment is None or not quiet.is_quiet(moment):
        return None
    return quiet.ends(moment)


@dataclass(frozen=True, slots=True)
class NoticePlan:
    """What sending a notice would do, before anything is written (the console's dry run):
    whom it reaches, when it first goes, whether quiet hours hold it back and whether it waits
    for confirmation — by the rules ``create`` and the chat's /broadcast follow."""

    audience: AudiencePreview
    first_run: dt.datetime
    held_until: dt.datetime | None
    needs_confirmation: bool

    def as_dict(self) -> dict[str, Any]:
        """The dry run's answer (``POST /console/api/notices`` with ``dry_run``)."""
        return {"audience": self.audience.as_dict(), "first_run": self.first_run.isoformat(),
                "held_until": self.held_until.isoformat() if self.held_until else None,
                "needs_confirmation": self.needs_confirmation}


def plan(session: Session, *, community: Community, audience: Audience,
         at: dt.datetime | None, cron: str | None, now: dt.datetime, zone: dt.tzinfo,
         quiet: QuietHours, confirm_above: int) -> NoticePlan:
    first = first_run(at, cron, now, zone)
    reach = preview(session, community, audience)
    return NoticePlan(reach, first, held_until(quiet, first),
                      needs_confirmation(len(reach), confirm_above))


def active(session: Session, community_id: int) -> Sequence[Notice]:
    """Notices still to go out, soonest first."""
    return session.scalars(select(Notice).where(
        Notice.community_id == community_id, Notice.status.in_(ACTIVE))
        .order_by(Notice.next_run_at, Notice.id)).all()


def confirm(notice: Notice, now: dt.datetime, zone: dt.tzinfo) -> None:
    """Let a notice that waited for confirmation go; a time that passed meanwhile means
    now (once) or the next occurrence (recurring), never "missed"."""
    if notice.status != NoticeStatus.AWAITING_CONFIRMATION:
        raise NoticeError("not_found", f"notice {notice.id} is {notice.status}")
    notice.status = NoticeStatus.SCHEDULED
    if notice.next_run_at is not None and notice.next_run_at < now:
        notice.next_run_at = next_fire(notice.cron, now, zone) if notice.cron else now


def cancel(notice: Notice, now: dt.datetime) -> None:
    if notice.status not in ACTIVE:
        raise NoticeError("not_found", f"notice {notice.id} is {notice.status}")
    notice.status, notice.cancelled_at, notice.next_run_at = NoticeStatus.CANCELLED, now, None


def due(session: Session, now: dt.datetime, limit: int = 200) -> Sequence[int]:
    return session.scalars(select(Notice.id).where(
        Notice.status == NoticeStatus.SCHEDULED, Notice.next_run_at <= now)
        .order_by(Notice.next_run_at).limit(limit)).all()


def start_run(session: Session, notice: Notice, now: dt.datetime, zone: dt.tzinfo,
              grace: dt.timedelta) -> NoticeRun | None:
    """Move a due notice on and record the run it is due for: occurrences missed while Linli
    was down are coalesced into the latest one, which is marked missed if it is more than
    ``grace`` late. None if another process already recorded this run."""
    due_at = notice.next_run_at
    assert due_at is not None
    if notice.cron:
        following = next_fire(notice.cron, due_at, zone)
        while following is not None and following <= now:
            due_at, following = following, next_fire(notice.cron, following, zone)
        notice.next_run_at = following
    else:
        notice.status, notice.next_run_at = NoticeStatus.DONE, None
    run = NoticeRun(notice_id=notice.id, due_at=due_at, ran_at=now,
                    missed=now - due_at > grace)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run


def batch_of(run: NoticeRun) -> str:
    return f"notice:{run.id}"


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    delivered: int = 0
    failed: int = 0
    unreachable: int = 0
    waiting: int = 0  # for channels that deliver when the person next writes (web chat)
    pending: int = 0  # still being tried on a push channel


def delivery(session: Session, run: NoticeRun) -> DeliveryCounts:
    """What became of a run's messages, from their outbox rows."""
    return deliveries(session, [run])[run.id]


def deliveries(session: Session, runs: Sequence[NoticeRun]) -> dict[int, DeliveryCounts]:
    """``delivery`` of each of ``runs`` (by run id), in one query (a list page's many)."""
    batches = {batch_of(run): run.id for run in runs}
    rows = session.execute(select(
        OutboxMessage.batch, OutboxMessage.status, OutboxMessage.channel,
        OutboxMessage.last_error, func.coalesce(Person.unreachable, False), func.count())
        .outerjoin(Person, OutboxMessage.person_id == Person.id)
        .where(OutboxMessage.batch.in_(batches))
        .group_by(OutboxMessage.batch, OutboxMessage.status, OutboxMessage.channel,
                  OutboxMessage.last_error, Person.unreachable)).all() if batches else []
    counts = {run.id: dict.fromkeys(("delivered", "failed", "unreachable", "waiting",
                                     "pending"), 0) for run in runs}
    for batch, status, channel, error, unreachable, count in rows:
        if status == OutboxStatus.SENT:
            key = "delivered"
        elif status == OutboxStatus.FAILED:
            key = "unreachable" if unreachable or error == UNREACHABLE else "failed"
        else:
            key = "pending" if channel in PUSH_CHANNELS else "waiting"
        counts[batches[str(batch)]][key] += int(count)
    return {run_id: DeliveryCounts(**found) for run_id, found in counts.items()}


def unreported(session: Session, limit: int = 200) -> Sequence[NoticeRun]:
    return session.scalars(select(NoticeRun).where(NoticeRun.reported_at.is_(None))
                           .order_by(NoticeRun.id).limit(limit)).all()


def register_group(session: Session, community_id: int, channel: str, chat_id: str,
                   title: str, now: dt.datetime, *, active: bool = True) -> ChatGroup:
    """Remember a group chat the bot is in (or has left), for notices to the groups."""
    group = session.scalar(select(ChatGroup).where(ChatGroup.channel == channel,
                                                   ChatGroup.chat_id == chat_id))
    if group is None:
        group = ChatGroup(community_id=community_id, channel=channel, chat_id=chat_id,
                          title=title[:200], active=active, created_at=now)
        session.add(group)
    else:
        group.active, group.title = active, title[:200] or group.title
    return group
