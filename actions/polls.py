"""Community polls (共评, 共享): putting a poll to its audience with a button per option,
residents' votes from those buttons, and publishing the results. The console and the chat
both come here; every message goes through the outbox in the caller's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.runtime import Runtime
from store import polls
from store.models import Person, Poll
from store.outbox import enqueue

#: The button payload of an option: /poll_vote{"poll": "7", "option": "2"} (1-based option).
VOTE = "poll_vote"


def closing(runtime: Runtime, poll: Poll, language: str) -> str:
    """When it closes, as the reader says it: 12月10日 18:00 / 10 Dec 18:00."""
    local = runtime.local(poll.closes_at)
    if language == "en":
        return f"{local:%d %b %H:%M}"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def buttons(poll: Poll, language: str) -> list[dict[str, str]]:
    return [{"title": polls.text_in(option, language),
             "payload": f'/{VOTE}{{"poll": "{poll.id}", "option": "{number}"}}'}
            for number, option in enumerate(poll.options, start=1)]


def _language(person: Person) -> str:
    return person.language or "zh"


def send(session: Session, runtime: Runtime, poll: Poll, now: dt.datetime) -> int:
    """Put ``poll`` to everyone in its audience, each in their language with a button per
    option; once (a second call sends nothing). How many were asked."""
    if poll.sent_at is not None:
        return 0
    poll.sent_at = now
    asked = 0
    for person in polls.reach(session, poll).people:
        language = _language(person)
        text = runtime.responses.render(
            "utter_poll", language, question=polls.text_in(poll.question, language),
            closes=closing(runtime, poll, language)).text
        if enqueue(session, person=person, text=text, key=f"poll:{poll.id}:ask:{person.id}",
                   now=now, buttons=buttons(poll, language), batch=f"poll:{poll.id}"):
            asked += 1
    return asked


def results_text(runtime: Runtime, poll: Poll, tally: polls.Tally, language: str) -> str:
    """The results as one message: each option with its votes and share."""
    lines = [f"{polls.text_in(option, language)}：{count}（{count / (tally.total or 1):.0%}）"
             if language == "zh" else
             f"{polls.text_in(option, language)}: {count} ({count / (tally.total or 1):.0%})"
             for option, count in zip(poll.options, tally.counts, strict=True)]
    return runtime.responses.render(
        "utter_poll_results", language, question=polls.text_in(poll.question, language),
        results="\n".join(lines), total=str(tally.total)).text


def publish(session: Session, runtime: Runtime, poll: Poll, now: dt.datetime) -> int:
    """Tell the poll's audience its results (共享); once. How many were told."""
    if poll.published_at is not None:
        return 0
    poll.published_at = now
    tally = polls.tally(session, poll)
    told = 0
    for person in polls.reach(session, poll).people:
        if enqueue(session, person=person, key=f"poll:{poll.id}:results:{person.id}",
                   text=results_text(runtime, poll, tally, _language(person)), now=now,
                   batch=f"poll:{poll.id}:results"):
            told += 1
    return told


class VoteInPoll(LinliAction):
    """A resident's press on a poll's option button."""

    def name(self) -> str:
        return "action_poll_vote"

    def act(self, turn: Turn) -> Events:
        poll_id, option = turn.entity("poll") or "", turn.entity("option") or ""
        poll = turn.session.get(Poll, int(poll_id)) if poll_id.isdigit() else None
        if poll is None or not option.isdigit():
            raise ActionRefusedError("utter_poll_closed")
        try:
            polls.vote(turn.session, poll, turn.person, int(option) - 1, turn.runtime.now())
        except polls.PollError as refused:
            raise ActionRefusedError("utter_poll_not_yours" if refused.code == "audience"
                                     else "utter_poll_closed") from None
        turn.say("utter_poll_voted",
                 option=polls.text_in(poll.options[int(option) - 1], turn.language),
                 closes=closing(turn.runtime, poll, turn.language))
        return []
