"""Every journey in tests/journeys/*.yml, played on SQLite and PostgreSQL (see README.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import Runtime
from bot.conversation import ConversationService, Incoming
from bot.scheduler.jobs import Jobs
from bot.wiring import build_service
from nlu.pipeline import NluPipeline
from store import media
from store.database import transaction
from store.models import ChatIdentity, OutboxMessage, Person, Ticket, TicketSubscriber
from store.policy import SchedulePolicy
from store.tickets import by_number
from tests import demo

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parents[1] / "config"
ZONE = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)  # a Monday morning, a working day
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_PERSON_KEYS = {"expect", "first", "never"}


def _journeys() -> Iterator[Any]:
    for path in sorted(HERE.glob("*.yml")):
        for journey in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            yield pytest.param(journey, id=f"{path.stem}: {journey['name']}")


@dataclass
class Stage:
    """The demo community, the conversation service and the scheduler's jobs on one clock."""

    sessions: sessionmaker[Session]
    service: ConversationService
    jobs: Jobs
    clock: demo.Clock
    channel: str
    last: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # What an `inbox` step showed each person, newest last: its buttons can be pressed and
    # its relayed lines replied to, as on Telegram.
    inboxed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=itertools.count)

    def say(self, who: str, text: str) -> list[dict[str, Any]]:
        replies = asyncio.run(self.service.handle(Incoming(
            self.channel, who, who, text, message_id=f"{who}-{next(self.ids)}")))
        self.last[who] = replies
        return replies

    def press(self, who: str, title: str) -> list[dict[str, Any]]:
        """Press a button of the last replies, else of a message the inbox showed."""
        buttons = [b for reply in (*self.last.get(who, []), *reversed(self.inboxed.get(who, [])))
                   for b in reply.get("buttons", [])]
        chosen = next((b for b in buttons if title in b["title"]), None)
        assert chosen is not None, f"{who} has no button {title!r} among " \
                                   f"{[b['title'] for b in buttons]}"
        return self.say(who, chosen["payload"])

    def reply_to(self, who: str, text: str) -> list[dict[str, Any]]:
        """Answer the latest relayed line, as a Telegram reply to it does (bot/telegram.py)."""
        for message in reversed([*self.inboxed.get(who, []), *self.last.get(who, [])]):
            if target := re.search(r"/reply (\d+)", message["text"]):
                return self.say(who, f"/reply {target.group(1)} {text}")
        raise AssertionError(f"{who} has no relayed message to reply to")

    def inbox(self, who: str) -> list[str]:
        """Texts queued for ``who`` since they last looked."""
        with self.sessions() as session:
            person_id = session.scalar(select(ChatIdentity.person_id).where(
                ChatIdentity.external_id == who))
            assert person_id is not None, f"nobody is called {who}"
            rows = session.execute(select(OutboxMessage.id, OutboxMessage.text,
                                          OutboxMessage.buttons).where(
                OutboxMessage.person_id == person_id,
                OutboxMessage.id > self.seen.get(who, 0)).order_by(OutboxMessage.id)).all()
        if rows:
            self.seen[who] = rows[-1][0]
        self.inboxed.setdefault(who, []).extend(
            {"text": text, "buttons": (buttons or {}).get("buttons", [])}
            for _, text, buttons in rows)
        return [text for _, text, _ in rows]

    def download(self, who: str) -> str:
        """The file behind the last /media/ link ``who`` was given (a data export)."""
        links = [found.group(1) for reply in self.last.get(who, [])
                 for found in re.finditer(r"/media/([\w-]+)", reply["text"])]
        assert links, f"{who} was given no /media/ link"
        with self.sessions() as session:
            stored = media.load(session, links[-1])
            assert stored is not None, f"{links[-1]} is gone"
            return stored.data.decode("utf-8")

    def wait(self, span: str) -> None:
        match = re.fullmatch(r"(\d+)\s*([smhd])", span.strip())
        assert match, f"bad wait {span!r}"
        self.clock.now += dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        self.jobs.sweep(self.clock.now)


def _rendered(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply["text"] + "".join(f" [{b['title']}]" for b in reply.get("buttons", []))
                     for reply in replies)


def _check(step: dict[str, Any], texts: list[str], where: str) -> None:
    said = "\n".join(texts)
    for fragment in step.get("first", []):
        assert texts and str(fragment) in texts[0], f"{where}: first reply {texts[:1]!r} " \
                                                    f"lacks {fragment!r}"
    for fragment in step.get("expect", []):
        assert str(fragment) in said, f"{where} → {said!r}; expected {fragment!r}"
    for fragment in step.get("never", []):
        assert str(fragment) not in said, f"{where} → {said!r}; must not say {fragment!r}"


_FIELDS: dict[str, Callable[[Session, Ticket], Any]] = {
    "status": lambda _, t: t.status.value,
    "kind": lambda _, t: t.kind.value,
    "text": lambda _, t: t.text,
    "category": lambda _, t: t.category,
    "building": lambda _, t: t.building.number if t.building else None,
    "unit": lambda _, t: t.unit,
    "room": lambda _, t: t.room,
    "assignee": lambda _, t: t.assignee.name if t.assignee else None,
    "reporter": lambda _, t: t.reporter.name,
    "escalation": lambda _, t: t.escalation_level,
    "rating": lambda _, t: t.rating,
    "scope": lambda _, t: t.scope,  # flat, shared, or None when nobody knows
    "part": lambda _, t: t.part,
    "accused": lambda _, t: t.accused.name if t.accused else None,
    "subscribers": lambda s, t: s.scalar(select(func.count()).where(
        TicketSubscriber.ticket_id == t.id)),
}


#: What an `update` step may change on a demo person.
_PERSON_FIELDS = frozenset({"on_duty", "language", "phone", "name"})


def _update_person(stage: Stage, step: dict[str, Any]) -> None:
    """Change a person's record between turns, e.g. the staff member going off duty."""
    with transaction(stage.sessions) as session:
        person = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.external_id == step["update"]))
        assert person is not None, f"nobody is called {step['update']}"
        for name, value in step["set"].items():
            assert name in _PERSON_FIELDS, f"update cannot set {name!r}"
            setattr(person, name, value)


def _check_people(stage: Stage, step: dict[str, Any]) -> None:
    """What a person's record holds now: ``- person: web-1`` with ``has: {phone: "139…"}``
    (``name: null`` for none); ``name_is_not_sender: true`` checks no sender id is their name."""
    with stage.sessions() as session:
        person = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.external_id == step["person"]))
        assert person is not None, f"nobody is called {step['person']}"
        for name, expected in (step.get("has") or {}).items():
            assert name in _PERSON_FIELDS, f"a person has no {name!r} to check"
            actual = getattr(person, name)
            assert actual == expected, f"{step['person']}.{name} is {actual!r}, not {expected!r}"
        for fragment in step.get("never", []):
            assert str(fragment) not in person.name, \
                f"{step['person']} is named {person.name!r}, which shows {fragment!r}"


def _check_households(stage: Stage, step: dict[str, Any]) -> None:
    """Where each named person is registered as living ("3-2-501"), or null for nowhere."""
    with stage.sessions() as session:
        for who, expected in step["household"].items():
            person = session.scalar(select(Person).join(ChatIdentity).where(
                ChatIdentity.external_id == who))
            assert person is not None, f"nobody is called {who}"
            home = person.household
            actual = "-".join(p for p in (home.building.number, home.unit, home.room) if p) \
                if home is not None else None
            assert actual == (None if expected is None else str(expected)), \
                f"{who} is registered at {actual!r}, not {expected!r}"


def _check_tickets(stage: Stage, step: dict[str, Any]) -> None:
    with stage.sessions() as session:
        for number, expected in (step.get("tickets") or {}).items():
            ticket = by_number(session, number)
            assert ticket is not None, f"no ticket {number}"
            for name, value in expected.items():
                actual = _FIELDS[name](session, ticket)
                assert str(actual) == str(value), f"{number}.{name} is {actual!r}, not {value!r}"
        if "count" in step:
            assert session.scalar(select(func.count()).select_from(Ticket)) == step["count"]


@pytest.fixture
def stage(sessions: sessionmaker[Session], pipeline: NluPipeline,
          request: pytest.FixtureRequest) -> Stage:
    journey = request.node.callspec.params["journey"]
    start = START
    if "at" in journey:
        start = dt.datetime.fromisoformat(str(journey["at"])).replace(tzinfo=ZONE)
    clock = demo.Clock(start.astimezone(dt.UTC))
    demo.load_community(sessions, start.date())
    policy = SchedulePolicy.load(CONFIG / "schedule.yml")
    runtime = Runtime(sessions=sessions, responses=demo.responses(), timezone=ZONE,
                      clock=clock, policy=policy, deadlines=policy.deadline_rules(ZONE),
                      faq=demo.faq())
    return Stage(sessions, build_service(runtime, pipeline), Jobs(runtime), clock,
                 journey.get("channel", "shell"))


@pytest.mark.parametrize("journey", list(_journeys()))
def test_journey(stage: Stage, journey: dict[str, Any]) -> None:
    for number, step in enumerate(journey["turns"], 1):
        if "inbox" in step:
            who = step["inbox"]
            _check(step, stage.inbox(who), f"turn {number}, {who}'s inbox")
        elif "download" in step:
            who = step["download"]
            _check(step, [stage.download(who)], f"turn {number}, {who}'s download")
        elif "wait" in step:
            stage.wait(str(step["wait"]))
        elif "tickets" in step or "count" in step:
            _check_tickets(stage, step)
        elif "update" in step:
            _update_person(stage, step)
        elif "person" in step:
            _check_people(stage, step)
        elif "household" in step:
            _check_households(stage, step)
        else:
            (who, said), = ((k, v) for k, v in step.items() if k not in _PERSON_KEYS)
            if isinstance(said, dict) and "reply" in said:
                replies = stage.reply_to(who, str(said["reply"]))
            elif isinstance(said, dict):
                replies = stage.press(who, str(said["press"]))
            else:
                replies = stage.say(who, str(said))
            texts = [_rendered([reply]) for reply in replies]
            _check(step, texts, f"turn {number}, {who}: {said!r}")
