"""The scheduler's jobs. Every due item lives on a database row (a ticket's deadlines, a
notice's next run, an event's start), so a job finds what is due by querying, claims each step
with a conditional update or a unique row, and writes notifications through the outbox in the
same transaction: a job that runs twice, or in two processes, sends once."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select, update
from sqlalchemy.orm import Session, selectinload

from actions.events import event_values
from actions.notices import audience_name
from actions.notify import notify_person
from actions.people import time_out
from actions.runtime import Runtime
from actions.tickets import ticket_values
from bot.scheduler.digest import send_digests
from store import handoffs, notices, privacy
from store.conflict import escalation_targets
from store.database import transaction
from store.masking import mask_values
from store.models import (
    Building,
    Community,
    Event,
    EventSignup,
    Grid,
    Handoff,
    Notice,
    NoticeRun,
    NoticeStatus,
    Person,
    ScheduledStep,
    SignupStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from store.notices import Audience
from store.outbox import enqueue_chat
from store.people import on_duty_staff
from store.steps import claim
from store.tickets import OPEN, change_status, escalate, subscribers

log = logging.getLogger(__name__)
CHUNK = 200
#: Transcript rows erased per transaction by the retention job.
RETENTION_BATCH = 500



def _load_tickets(session: Session, ids: Sequence[int]) -> Sequence[Ticket]:
    return session.scalars(select(Ticket).where(Ticket.id.in_(ids)).options(
        selectinload(Ticket.building).selectinload(Building.grid).selectinload(Grid.supervisor),
        selectinload(Ticket.assignee), selectinload(Ticket.reporter)).order_by(Ticket.id)).all()


class Jobs:
    """One sweep runs every job once for the moment ``now``; each returns what it did."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.policy = runtime.policy
        self.zone = runtime.timezone

    def sweep(self, now: dt.datetime) -> Counter[str]:
        """Everything due at ``now``. One job failing does not stop the others."""
        done: Counter[str] = Counter()
        jobs: Sequence[Callable[[dt.datetime], Counter[str]]] = (
            self.response_deadlines, self.supervisor_escalations, self.resolution_deadlines,
            self.polls, self.event_reminders, self.notices, self.notice_reports, self.digest,
            self.handoff_timeouts, self.retention)
        try:
            idle = self._idle(now)
        except Exception:  # then every job looks for itself, and says what failed
            log.exception("looking for due work failed")
            idle = set()
        for job in jobs:
            if job.__name__ in idle:
                continue
            try:
                did = job(now)
                done.update(did)
                if any(did.values()):
                    # A job's work can make a later one due in this very sweep (a reminder
                    # sent now makes the supervisor's escalation due): the rest look again.
                    idle = set()
            except Exception:
                log.exception("scheduled job %s failed; it runs again next sweep", job.__name__)
                done["errors"] += 1
        return done

    def _idle(self, now: dt.datetime) -> set[str]:
        """The jobs with nothing to do at ``now``, found in one query: most sweeps find
        nothing due, and ten jobs looking for themselves cost a dozen queries and connection
        checkouts every second, beside the turns. Each condition is its job's own (or takes
        in more), so a job skipped here would have done nothing."""
        spec = self.policy.polls
        hour = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")
        checks = {
            "response_deadlines": self._response_due(now),
            "supervisor_escalations": self._escalation_due(now),
            "resolution_deadlines": self._resolution_due(now),
            # every poll step waits at least the delay after the resolution
            "polls": select(Ticket.id).where(Ticket.status == TicketStatus.RESOLVED,
                                             Ticket.poll_step < 3,
                                             Ticket.resolved_at <= now - spec.delay),
            "event_reminders": self._events_due(now, dt.timedelta(),
                                                max(self.policy.event_reminders,
                                                    default=dt.timedelta())),
            "handoff_timeouts": select(Handoff.id).where(*self._silent(now)),
            "retention": select(ScheduledStep.job).where(ScheduledStep.job == "retention",
                                                         ScheduledStep.ref == hour),
        }
        with self.runtime.sessions() as session:
            found = session.execute(select(*(exists(query).label(name)
                                             for name, query in checks.items()))).one()
        # retention is idle once claimed for the hour; the others while nothing is due
        return {name for name, present in zip(checks, found, strict=True)
                if present == (name == "retention")}

    # -- deadlines (接诉即办, 吹哨报到) -------------------------------------------------------

    def _step(self, due: Select[int], column: str, before: int, after: int,
              act: Callable[[Session, Ticket], None]) -> int:
        """Take one step on every ticket ``due`` selects: claim it by moving its step
        ``column`` from ``before`` to ``after`` (a ticket another sweep claimed first is left
        alone), then ``act`` in the same transaction. How many were taken."""
        with self.runtime.sessions() as session:
            ids = session.scalars(due).all()
        taken = 0
        step = getattr(Ticket, column)
        for start in range(0, len(ids), CHUNK):
            with transaction(self.runtime.sessions) as session:
                claimed = session.scalars(update(Ticket).where(
                    Ticket.id.in_(ids[start:start + CHUNK]), step == before)
                    .values({column: after}).returning(Ticket.id)).all()
                for ticket in _load_tickets(session, claimed):
                    act(session, ticket)
                    taken += 1
        return taken

    def response_deadlines(self, now: dt.datetime) -> Counter[str]:
        """A ticket nobody accepted by its response deadline: remind the grid member."""
        def remind(session: Session, ticket: Ticket) -> None:
            session.add(TicketEvent(ticket_id=ticket.id, at=now, kind="reminded",
                                    note="response deadline passed"))
            people = [ticket.assignee] if ticket.assignee else list(
                on_duty_staff(session, ticket.community_id))
            for person in people:
                self._tell(session, person, "utter_notify_deadline_reminder",
                           f"ticket:{ticket.number}:remind:{person.id}", ticket,
                           urgent=ticket.priority == "urgent")

        return Counter(reminded=self._step(self._response_due(now), "response_step", 0, 1,
                                           remind))

    @staticmethod
    def _response_due(now: dt.datetime) -> Select[int]:
        return select(Ticket.id).where(
            Ticket.status.in_(OPEN), Ticket.respond_by <= now, Ticket.acknowledged_at.is_(None),
            Ticket.response_step == 0)

    def supervisor_escalations(self, now: dt.datetime) -> Counter[str]:
        """Still not accepted some time after the reminder: the supervisor takes it up."""
        def to_supervisor(session: Session, ticket: Ticket) -> None:
            self._escalate(session, ticket, 1, escalation_targets(session, ticket, 1),
                           "respond", now)

        return Counter(escalated=self._step(self._escalation_due(now), "response_step", 1, 2,
                                            to_supervisor))

    @staticmethod
    def _escalation_due(now: dt.datetime) -> Select[int]:
        return select(Ticket.id).where(
            Ticket.status.in_(OPEN), Ticket.escalate_by <= now, Ticket.acknowledged_at.is_(None),
            Ticket.response_step == 1)

    def resolution_deadlines(self, now: dt.datetime) -> Counter[str]:
        """Not resolved by the resolution deadline: the street is called in (吹哨)."""
        def whistle(session: Session, ticket: Ticket) -> None:
            self._escalate(session, ticket, 2, escalation_targets(session, ticket, 2),
                           "resolve", now)

        return Counter(whistled=self._step(self._resolution_due(now), "resolution_step", 0, 1,
                                           whistle))

    @staticmethod
    def _resolution_due(now: dt.datetime) -> Select[int]:
        return select(Ticket.id).where(
            Ticket.status.in_(OPEN), Ticket.resolve_by <= now, Ticket.resolution_step == 0)

    def _escalate(self, session: Session, ticket: Ticket, level: int, targets: list[Person],
                  missed: str, now: dt.datetime) -> None:
        if ticket.escalation_level < level:
            escalate(session, ticket, actor=None, now=now, to_level=level,
                     note=f"level {level}: {missed} deadline missed")
        else:  # already raised by hand: the step is still recorded
            session.add(TicketEvent(ticket_id=ticket.id, at=now, kind="deadline_missed",
                                    note=f"{missed} deadline missed"))
        for person in targets:  # they oversee the ticket, not handle it: numbers masked
            self._tell(session, person, "utter_notify_deadline_escalated",
                       f"ticket:{ticket.number}:escalated:{level}:{person.id}", ticket,
                       urgent=ticket.priority == "urgent", missed_code=missed,
                       masked=person.id != ticket.assignee_id)
        for resident in subscribers(session, ticket):
            self._tell(session, resident, "utter_notify_resident_escalated",
                       f"ticket:{ticket.number}:escalated:{level}:resident:{resident.id}", ticket,
                       level_code=str(level))

    def _tell(self, session: Session, person: Person, response: str, key: str, ticket: Ticket,
              *, urgent: bool = False, masked: bool = False, **values: str) -> None:
        """``response`` about ``ticket`` to ``person``; ``masked``: phone and ID numbers
        hidden from a reader who does not handle it (store/masking.py)."""
        about = ticket_values(self.runtime, ticket, person.language or "zh")
        notify_person(session, self.runtime, person, response, key, urgent=urgent,
                      **(mask_values(about) if masked else about), **values)

    # -- handoffs ------------------------------------------------------------------------------

    def handoff_timeouts(self, now: dt.datetime) -> Counter[str]:
        """A handoff both sides left silent for ``handoff.timeout`` ends, and the resident
        hears at once that Linli answers again (not only when they next write). Claimed by
        the UPDATE that ends it, so a handoff is timed out once."""
        with transaction(self.runtime.sessions) as session:
            ended = session.scalars(update(Handoff).where(*self._silent(now))
                .values(ended_at=now, ended_by=handoffs.TIMEOUT).returning(Handoff.id)).all()
            for handoff in session.scalars(select(Handoff).where(Handoff.id.in_(ended))):
                time_out(session, self.runtime, handoff)
        return Counter(handoffs_timed_out=len(ended))

    def _silent(self, now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
        return (Handoff.ended_at.is_(None),
                Handoff.last_activity_at <= now - self.runtime.policy.handoff.timeout)

    # -- satisfaction polls (效果共评) -------------------------------------------------------

    def polls(self, now: dt.datetime) -> Counter[str]:
        """Ask after a resolution, remind once, close unanswered polls."""
        spec = self.policy.polls
        remind, close = spec.delay + spec.remind_after, spec.delay + spec.close_after
        # Latest step first, so a poll that waited through several moments (Linli was down)
        # takes only the latest: a step whose moment passed is skipped, not sent late — no
        # question and reminder at once, no question about a ticket closed in the same sweep.
        steps = ((2, 3, close, "closed"), (1, 3, close, "closed"), (0, 3, close, "closed"),
                 (1, 2, remind, "reminded"), (0, 2, remind, "asked"),
                 (0, 1, spec.delay, "asked"))
        done: Counter[str] = Counter()
        for before, after, wait, outcome in steps:
            done[f"poll_{outcome}"] += self._step(select(Ticket.id).where(
                Ticket.status == TicketStatus.RESOLVED, Ticket.poll_step == before,
                Ticket.resolved_at <= now - wait), "poll_step", before, after,
                functools.partial(self._poll_step, outcome=outcome, now=now))
        return +done

    def _poll_step(self, session: Session, ticket: Ticket, outcome: str,
                   now: dt.datetime) -> None:
        if outcome == "closed":
            change_status(session, ticket, TicketStatus.CLOSED, actor=None, now=now,
                          note="satisfaction poll closed without an answer")
            return
        response = "utter_ask_rating" if outcome == "asked" else "utter_poll_reminder"
        for person in subscribers(session, ticket):
            self._tell(session, person, response,
                       f"ticket:{ticket.number}:{outcome}:{ticket.resolved_at}:{person.id}",
                       ticket, note="")

    # -- community events --------------------------------------------------------------------

    def event_reminders(self, now: dt.datetime) -> Counter[str]:
        """24 h and 1 h before (by default) to those confirmed; a reminder whose moment passed
        while the next one is already due is skipped, not sent late."""
        offsets = sorted(self.policy.event_reminders, reverse=True)
        done: Counter[str] = Counter()
        for index, offset in enumerate(offsets):
            later = offsets[index + 1] if index + 1 < len(offsets) else dt.timedelta()
            with self.runtime.sessions() as session:
                events = session.scalars(self._events_due(now, later, offset)).all()
            for event_id in events:
                with transaction(self.runtime.sessions) as session:
                    ref = f"{event_id}:{int(offset.total_seconds())}"
                    if not claim(session, "event_reminder", ref, now):
                        continue
                    event = session.get(Event, event_id)
                    assert event is not None
                    done["event_reminders"] += self.remind_event(session, event, now, ref)
        return done

    def remind_event(self, session: Session, event: Event, now: dt.datetime, ref: str) -> int:
        """Remind everyone confirmed for ``event``, once per ``ref``; how many (also the
        console's "remind now")."""
        reminded = 0
        for person in session.scalars(select(Person).join(
                EventSignup, EventSignup.person_id == Person.id).where(
                EventSignup.event_id == event.id,
                EventSignup.status == SignupStatus.CONFIRMED)):
            language = person.language or "zh"
            notify_person(session, self.runtime, person, "utter_event_reminder",
                          f"event:{event.id}:remind:{ref}:{person.id}",
                          lead=self._lead(event.starts_at - now, language),
                          **event_values(self.runtime, session, event, language))
            reminded += 1
        return reminded

    @staticmethod
    def _events_due(now: dt.datetime, after: dt.timedelta,
                    within: dt.timedelta) -> Select[int]:
        """Events starting more than ``after`` and at most ``within`` from ``now``."""
        return select(Event.id).where(Event.cancelled.is_(False), Event.starts_at > now + after,
                                      Event.starts_at <= now + within)

    def _lead(self, left: dt.timedelta, language: str) -> str:
        """How soon, as people say it: 30分钟后, 1小时后, 明天这个时候, 3天后."""
        minutes = round(left.total_seconds() / 60)
        hours = round(minutes / 60)
        if minutes < 50:
            name, count = "utter_lead_minutes", minutes
        elif minutes < 90:
            name, count = "utter_lead_hour", 1
        elif 22 <= hours <= 26:
            name, count = "utter_lead_tomorrow", 1
        elif hours < 24:
            name, count = "utter_lead_hours", hours
        else:
            name, count = "utter_lead_days", round(hours / 24)
        return self.runtime.responses.render(name, language, count=str(count)).text

    # -- notices and broadcasts --------------------------------------------------------------

    def notices(self, now: dt.datetime) -> Counter[str]:
        """Send each due notice once per occurrence, to its audience as it is now."""
        done: Counter[str] = Counter()
        with self.runtime.sessions() as session:
            due = notices.due(session, now)
        for notice_id in due:
            with transaction(self.runtime.sessions) as session:
                notice = session.get(Notice, notice_id, with_for_update=True)
                if notice is None or notice.status != NoticeStatus.SCHEDULED \
                        or notice.next_run_at is None \
                        or notice.next_run_at > now:
                    continue  # another process got there first
                run = notices.start_run(session, notice, now, self.zone,
                                        self.policy.notices.misfire_grace)
                if run is None:
                    continue
                if run.missed:
                    if (author := self._author(session, notice)) is not None:
                        self._tell_author(session, author, notice, "utter_notice_missed",
                                          f"notice-run:{run.id}:missed",
                                          when=self._local(run.due_at))
                    run.reported_at = now
                    done["notices_missed"] += 1
                    continue
                run.recipients = self._send_notice(session, notice, run.id, now)
                done["notices_sent"] += 1
        return done

    def _send_notice(self, session: Session, notice: Notice, run_id: int,
                     now: dt.datetime) -> int:
        community = session.get(Community, notice.community_id)
        assert community is not None
        reach = notices.recipients(session, community, Audience.parse(notice.audience))
        batch = f"notice:{run_id}"
        for person in reach.people:
            language = person.language or community.default_language
            notify_person(session, self.runtime, person, "utter_notice",
                          f"notice:{run_id}:p{person.id}", batch=batch,
                          text=notices.text_for(notice, language, community.default_language))
        # A group is read in every language: each text once, the default first.
        languages = sorted(notice.texts, key=lambda code: code != community.default_language)
        for_groups = "\n\n".join(self.runtime.responses.render(
            "utter_notice", code, text=notice.texts[code]).text for code in languages)
        for group in reach.groups:
            enqueue_chat(session, channel=group.channel, chat_id=group.chat_id, text=for_groups,
                         key=f"notice:{run_id}:g{group.id}", now=now, batch=batch)
        return len(reach)

    def notice_reports(self, now: dt.datetime) -> Counter[str]:
        """Tell the author what became of each run once it has settled (or waited long)."""
        done: Counter[str] = Counter()
        with self.runtime.sessions() as session:
            runs = [run.id for run in notices.unreported(session)]
        for run_id in runs:
            with transaction(self.runtime.sessions) as session:
                run = session.get(NoticeRun, run_id, with_for_update=True)
                if run is None or run.reported_at is not None:
                    continue
                counts = notices.delivery(session, run)
                if counts.pending and now - run.ran_at < self.policy.notices.report_after:
                    continue
                notice = session.get(Notice, run.notice_id)
                assert notice is not None
                run.reported_at = now
                done["notice_reports"] += 1
                author = self._author(session, notice)
                if author is None:
                    continue
                pending_note = self.runtime.responses.render(
                    "utter_notice_report_pending", author.language or "zh",
                    pending=str(counts.pending)).text if counts.pending else ""
                self._tell_author(session, author, notice, "utter_notice_report",
                                  f"notice-run:{run.id}:report", pending_note=pending_note,
                                  **{k: str(getattr(counts, k)) for k in (
                                      "delivered", "failed", "unreachable", "waiting")})
        return done

    @staticmethod
    def _author(session: Session, notice: Notice) -> Person | None:
        """Who wrote the notice; None for one made on the command line, whose runs and
        counts `linli notice list` shows instead."""
        return session.get(Person, notice.author_id) if notice.author_id else None

    def _tell_author(self, session: Session, author: Person, notice: Notice, response: str,
                     key: str, **values: Any) -> None:
        notify_person(session, self.runtime, author, response, key, notice=str(notice.id),
                      audience=audience_name(self.runtime, notice.audience,
                                             author.language or "zh"), **values)

    def _local(self, moment: dt.datetime) -> str:
        return self.runtime.local(moment).strftime("%m-%d %H:%M")

    # -- the daily digest ----------------------------------------------------------------------

    def digest(self, now: dt.datetime) -> Counter[str]:
        """Once a day at the configured time (or late within the grace), to staff."""
        local = now.astimezone(self.zone)
        due = dt.datetime.combine(local.date(), self.policy.digest.at, tzinfo=self.zone)
        if not due <= now <= due + self.policy.digest.misfire_grace:
            return Counter()
        with transaction(self.runtime.sessions) as session:
            if not claim(session, "digest", local.date().isoformat(), now):
                return Counter()
            return Counter(digests=send_digests(session, self.runtime, local.date(), now))

    # -- retention (PIPL) ----------------------------------------------------------------------

    def retention(self, now: dt.datetime) -> Counter[str]:
        """Once an hour: transcript texts older than the retention period are erased, and data
        exports past their lifetime deleted. In batches, each its own short transaction, so a
        large transcript is never locked for long and a crash loses only the batch under way."""
        with transaction(self.runtime.sessions) as session:
            if not claim(session, "retention", now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H"),
                         now):
                return Counter()
            done = Counter(exports_deleted=privacy.drop_old_exports(session, now))
        before = now - self.runtime.retention
        while True:
            with transaction(self.runtime.sessions) as session:
                erased = privacy.erase_old_texts(session, before, RETENTION_BATCH)
            done["texts_erased"] += erased
            if erased < RETENTION_BATCH:
                return +done
