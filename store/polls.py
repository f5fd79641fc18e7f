"""Community polls (共评): one question, 2–6 options, an audience as notices have, a closing
time; one vote per resident (changeable until it closes), counted per option. Functions take
a session and never commit; telling residents is actions/polls.py's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Community, Person, Poll, PollVote
from store.notices import Audience, Recipients, check_audience, recipients

MIN_OPTIONS, MAX_OPTIONS = 2, 6
#: A poll reaches people one by one (each gets their own buttons): not the groups, and no
#: language-only audience, which says nothing about who the question concerns.
AUDIENCE_KINDS = ("all", "grid", "building")
QUESTION_LIMIT, OPTION_LIMIT = 500, 60


class PollError(ValueError):
    """A poll or a vote that cannot be as asked; ``code`` names what is wrong."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class Tally:
    """Votes per option, in the poll's order."""

    counts: Sequence[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def _texts(given: Mapping[str, str], limit: int, what: str) -> dict[str, str]:
    """zh and en of a question or option; one may be missing, not both."""
    texts = {k: str(given.get(k) or "").strip()[:limit] for k in ("zh", "en")}
    if not any(texts.values()):
        raise PollError("empty", f"{what} needs words in zh or en")
    return texts


def audience_of(session: Session, community: Community, spec: str) -> Audience:
    """``spec`` as a poll audience the community has, or PollError."""
    try:
        audience = Audience.parse(spec)
        if audience.kind not in AUDIENCE_KINDS:
            raise PollError("audience", "a poll goes to all, grid:CODE or building:NUMBER")
        check_audience(session, community, audience)
    except ValueError as wrong:
        raise PollError("audience", str(wrong)) from None
    return audience


def create(session: Session, community: Community, question: Mapping[str, str],
           options: Sequence[Mapping[str, str]], audience: str, closes_at: dt.datetime,
           author: str, now: dt.datetime) -> Poll:
    """A new poll, not sent yet. Refuses fewer than 2 or more than 6 options, a closing time
    already past and an audience the community does not have."""
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise PollError("options", f"give {MIN_OPTIONS} to {MAX_OPTIONS} options")
    if closes_at <= now:
        raise PollError("closes_at", "the closing time has passed already")
    poll = Poll(community_id=community.id, question=_texts(question, QUESTION_LIMIT, "question"),
                options=[_texts(option, OPTION_LIMIT, "option") for option in options],
                audience=str(audience_of(session, community, audience)), closes_at=closes_at,
                created_by=author[:60], created_at=now)
    session.add(poll)
    session.flush()
    return poll


def text_in(texts: Mapping[str, str], language: str) -> str:
    """A question or option in ``language``, else in the other one."""
    return texts.get(language) or texts.get("en" if language == "zh" else "zh") or ""


def reach(session: Session, poll: Poll) -> Recipients:
    """Everyone in the poll's audience now."""
    community = session.get(Community, poll.community_id)
    assert community is not None
    return recipients(session, community, Audience.parse(poll.audience))


def is_open(poll: Poll, now: dt.datetime) -> bool:
    return poll.sent_at is not None and now < poll.closes_at


def vote(session: Session, poll: Poll, person: Person, option: int, now: dt.datetime) -> bool:
    """Record ``person``'s answer; True if it is new or changed, False if the same again.
    Refused once the poll closed, for an option it does not have, and from anyone outside
    its audience (a forwarded button)."""
    if not is_open(poll, now):
        raise PollError("closed", "the poll is closed")
    if not 0 <= option < len(poll.options):
        raise PollError("option", "no such option")
    if person.community_id != poll.community_id or person.id not in {
            p.id for p in reach(session, poll).people}:
        raise PollError("audience", "the poll was not put to this person")
    mine = session.get(PollVote, (poll.id, person.id))
    if mine is None:
        session.add(PollVote(poll_id=poll.id, person_id=person.id, option=option, at=now))
        return True
    if mine.option == option:
        return False
    mine.option, mine.at = option, now
    return True


def tally(session: Session, poll: Poll) -> Tally:
    counts = [0] * len(poll.options)
    for option, count in session.execute(select(PollVote.option, func.count()).where(
            PollVote.poll_id == poll.id).group_by(PollVote.option)):
        if 0 <= option < len(counts):
            counts[option] = int(count)
    return Tally(counts)


def listed(session: Session, community_id: int, limit: int = 100) -> Sequence[Poll]:
    """The community's polls, newest first."""
    return session.scalars(select(Poll).where(Poll.community_id == community_id)
                           .order_by(Poll.id.desc()).limit(limit)).all()


def votes_of(session: Session, person: Person) -> Sequence[tuple[Poll, PollVote]]:
    """A person's answers to polls (their data export)."""
    return [(poll, vote) for poll, vote in session.execute(
        select(Poll, PollVote).join(PollVote, PollVote.poll_id == Poll.id)
        .where(PollVote.person_id == person.id).order_by(Poll.id))]
