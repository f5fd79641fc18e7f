"""Community activities: what's on, signing up (with a waitlist), cancelling."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from rasa_sdk.events import SlotSet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.faq import keep_for_staff
from actions.notify import notify
from actions.runtime import Runtime
from nlu.entities import days_asked, party_added, party_in_sign_up, party_said
from nlu.text import clean
from store.events import (
    EventFullError,
    cancel,
    find,
    resize,
    seats_taken,
    seats_taken_of,
    sign_up,
    signups_of,
    upcoming,
)
from store.models import Event, EventSignup, Person, SignupStatus

#: Asking about one's own sign-ups: "我报上了吗", "我现在报了哪些活动", "am I signed up".
_MINE = re.compile(r"我(?:都|现在|已经|一共)?报(?:了|上|过|名了)|报上了吗|报名成功了吗|报好了吗|"
                   r"我的(?:报名|活动)|\bmy (?:sign ?-?ups?|events|bookings|places?)\b|"
                   r"\b(?:am i|did i|have i|was i) (?:signed|sign|booked|registered|get|got|in)\b|"
                   r"\bwhat (?:did|have) i (?:sign|book)", re.IGNORECASE)
#: Asking when or where the event just signed up for is: "几点开始", "where is it".
_ABOUT_IT = re.compile(r"几点|什么时候|啥时候|哪天|几号|在哪|地点|地方|带什么|要带|"
                       r"\bwhen\b|\bwhat time\b|\bwhere\b|\bwhich room\b|\bbring\b",
                       re.IGNORECASE)

#: When and where an event is: what its card says.
_WHEN_WHERE = re.compile(r"几点|什么时候|啥时候|哪天|几号|在哪|地点|地址|怎么走|集合|\bwhens?\b|"
                         r"\bwhat time\b|\bwheres?\b|\bwhich room\b|\bwhat day\b|\baddress\b|"
                         r"\bvenue\b|\bhow do i get there\b", re.IGNORECASE)

WEEKDAYS = {"zh": "一二三四五六日", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def _when(runtime: Runtime, event: Event, language: str) -> str:
    local = runtime.local(event.starts_at)
    if language == "en":
        return f"{WEEKDAYS['en'][local.weekday()]} {local:%d %b %H:%M}"
    return f"{local.month}月{local.day}日（周{WEEKDAYS['zh'][local.weekday()]}）{local:%H:%M}"


def event_values(runtime: Runtime, session: Session, event: Event, language: str,
                 taken: int | None = None) -> dict[str, Any]:
    """An event's fields as response placeholders, in ``language``; ``taken``: its seats
    taken, if already counted."""
    if taken is None:
        taken = seats_taken(session, event)
    return {"title": event.title(language), "when": _when(runtime, event, language),
            "place": event.place_in(language), "key": event.key,
            "left": str(max(event.capacity - taken, 0))}


def _show(turn: Turn, events: Sequence[Event]) -> None:
    """Each of ``events`` as a card with its sign-up button (their seats counted at once)."""
    taken = seats_taken_of(turn.session, events)
    for event in events:
        turn.say("utter_event_item", **event_values(turn.runtime, turn.session, event,
                                                     turn.language, taken[event.id]))


def _values(turn: Turn, event: Event, language: str) -> dict[str, Any]:
    return event_values(turn.runtime, turn.session, event, language)


class ListEvents(LinliAction):
    """Upcoming activities, each with a sign-up button; only the one named, if one is."""

    def name(self) -> str:
        return "action_list_events"

    def act(self, turn: Turn) -> Events:
        if _answered_about_own(turn):
            return []
        if _WEATHER.search(str(turn.tracker.latest_message.get("text", ""))):
            turn.say("utter_events_in_the_rain")  # "下雨还放电影吗": what happens then
            return []
        now = turn.runtime.now()
        name = turn.entity("event")
        named = find(turn.session, turn.person.community_id, now, name) if name else None
        said = clean(str(turn.tracker.latest_message.get("text", ""))).text
        days = days_asked(said, turn.runtime.local(now).date()) if named is None else None
        # what is on: the coming month, or as far as the days asked for ("下个月有什么活动")
        ahead = _AHEAD if days is None else max(_AHEAD, dt.datetime.combine(
            days[1] + dt.timedelta(days=1), dt.time(), turn.runtime.timezone) - now)
        # "电影之夜几点开始": that one; "最近有什么活动": all that is on
        events = [named] if named is not None else upcoming(
            turn.session, turn.person.community_id, now, ahead)
        soon = [e for e in events if e.starts_at <= now + _AHEAD]
        if name and named is None and soon:  # "有没有元宵灯会": no such activity, what is on
            turn.say("utter_event_not_found", event=_as_said(turn, name))
        if days is not None:  # "明天有什么活动", "anything this weekend?": those days only
            on_days = [e for e in events
                       if days[0] <= turn.runtime.local(e.starts_at).date() <= days[1]]
            if not on_days and soon:
                turn.say("utter_events_none_on", when=_days_text(days, turn.language))
            events = on_days or soon
        if not events:
            raise ActionRefusedError("utter_events_none")
        _show(turn, events[:6])
        # "put me down, 4 of us" next is for the one asked about
        return [SlotSet("last_event", named.key)] if named is not None else []


#: Weather asked about ("下雨还放电影吗", "what if it rains").
_WEATHER = re.compile(r"下雨|雨天|刮风|大风|太热|高温|下雪|\brain|\bweather\b|\bsnow",
                      re.IGNORECASE)
#: How far ahead "what's on" looks when no day is named.
_AHEAD = dt.timedelta(days=30)


_ASKING_VERB = re.compile(r"^(?:有没有|有|报名|参加|想|要)")


def _as_said(turn: Turn, value: str) -> str:
    """An event entity as the resident wrote it ("书法课", not its key "calligraphy")."""
    text = str(turn.tracker.latest_message.get("text", ""))
    for entity in turn.tracker.latest_message.get("entities", []):
        start, end = entity.get("start"), entity.get("end")
        if entity.get("entity") == "event" and entity.get("value") == value \
                and isinstance(start, int) and isinstance(end, int):
            return _ASKING_VERB.sub("", text[start:end]) or value
    return value


def _days_text(days: tuple[dt.date, dt.date], language: str) -> str:
    """"11月22日" / "Nov 22", or a range of them."""
    def one(day: dt.date) -> str:
        return f"{day.month}月{day.day}日" if language == "zh" else f"{day:%b} {day.day}"
    first, last = days
    if first == last:
        return one(first)
    if language == "zh":
        return f"{one(first)}到{one(last)}"
    return f"{one(first)}–{last.day}" if first.month == last.month else f"{one(first)}–{one(last)}"


def _answered_about_own(turn: Turn) -> bool:
    """"我报上了吗" or "几点开始" about the resident's own sign-ups: each with its status, or
    when and where the one just signed up for is; False when the message asks no such
    thing (or names an event: that one is asked about)."""
    said = str(turn.tracker.latest_message.get("text", ""))
    if turn.entity("event"):
        return False
    now = turn.runtime.now()
    if _MINE.search(said):
        mine = signups_of(turn.session, turn.person, now)
        if not mine:
            turn.say("utter_no_signups")
            return False  # and what is on, to sign up for
        for signup in mine[:6]:
            event = turn.session.get(Event, signup.event_id)
            assert event is not None
            turn.say("utter_my_signup", **_values(turn, event, turn.language),
                     count=str(signup.count), status=turn.runtime.responses.label(
                         "signup", signup.status.value, turn.language))
        return True
    last = turn.tracker.get_slot("last_event")
    event = find(turn.session, turn.person.community_id, now, str(last)) if last else None
    if event is not None and _ABOUT_IT.search(said):
        turn.say("utter_event_item", **_values(turn, event, turn.language))
        return True
    return False


class SignUp(LinliAction):
    """Sign the resident (and the people they bring) up, or put them on the waitlist."""

    def name(self) -> str:
        return "action_event_signup"

    def act(self, turn: Turn) -> Events:
        now = turn.runtime.now()
        names = list(dict.fromkeys(str(v) for v in turn.tracker.get_latest_entity_values(
            "event")))
        found = [e for e in (find(turn.session, turn.person.community_id, now, n)
                             for n in names) if e is not None]
        if not found and _answered_about_own(turn):
            return []  # "我报上了吗" is no new sign-up
        if not found and not names and turn.tracker.get_slot("last_event"):
            # "put me down, 4 of us" just after asking about one event: that one
            last = find(turn.session, turn.person.community_id, now,
                        str(turn.tracker.get_slot("last_event")))
            found = [last] if last is not None else []
        said = clean(str(turn.tracker.latest_message.get("text", ""))).text
        count_text = turn.entity("count") or str(party_in_sign_up(said) or 1)
        count = min(max(int(count_text), 1), 10) if count_text.isdigit() else 1
        if not found:
            events = upcoming(turn.session, turn.person.community_id, now)
            if len(events) != 1 or names:
                if not events:
                    raise ActionRefusedError("utter_events_none")
                if names:  # "报名打羽毛球": no such activity
                    turn.say("utter_event_not_found", event=_as_said(turn, names[0]))
                # "2个人" before the activity: the party goes with the one chosen next
                party = f', "count": "{count}"' if count > 1 else ""
                turn.dispatcher.utter_message(response="utter_event_which", buttons=[
                    {"title": e.title(turn.language),
                     "payload": f'/event_signup{{"event": "{e.key}"{party}}}'}
                    for e in events[:6]])
                return []
            found = list(events)
        if not turn.sure():
            # "推荐一部电影" read, without conviction, as a sign-up for the movie night: shown,
            # with its button, never booked unasked
            _show(turn, list(dict.fromkeys(found)))
            return [SlotSet("last_event", found[-1].key)]
        days = days_asked(said, turn.runtime.local(now).date())
        for event in dict.fromkeys(found):  # "报名包饺子和看电影": each of them
            self._sign_up(turn, event, count, now)
            if days is not None and not days[0] <= turn.runtime.local(
                    event.starts_at).date() <= days[1]:
                # "sign me up for the movie tomorrow": it is on Friday, said so
                turn.say("utter_event_another_day", **_values(turn, event, turn.language),
                         asked=_days_text(days, turn.language))
        return [SlotSet("last_event", found[-1].key)]

    @staticmethod
    def _sign_up(turn: Turn, event: Event, count: int, now: dt.datetime) -> None:
        left = event.capacity - seats_taken(turn.session, event)
        if 0 < left < count and turn.session.scalar(select(EventSignup.id).where(
                EventSignup.event_id == event.id, EventSignup.person_id == turn.person.id,
                EventSignup.status != SignupStatus.CANCELLED)) is None:
            # "with my 4 flatmates" and 3 places left: said, not the whole party waitlisted
            turn.say("utter_event_too_few_places", **_values(turn, event, turn.language),
                     count=str(count))
            return
        try:
            result = sign_up(turn.session, event, turn.person, count, now)
        except EventFullError:
            raise ActionRefusedError("utter_event_full", **_values(turn, event, turn.language)
                                     ) from None
        values = _values(turn, event, turn.language)
        if result.already and turn.entity("count") and count != result.signup.count:
            _resize(turn, event, result.signup, count)  # "2 people for the movie" later on
        elif result.already:
            turn.say("utter_event_already", **values, status=turn.runtime.responses.label(
                "signup", result.signup.status.value, turn.language))
        elif result.signup.status == SignupStatus.CONFIRMED:
            turn.say("utter_event_signed_up", **values, count=str(count))
        else:
            position = turn.session.scalar(select(func.count()).select_from(EventSignup).where(
                EventSignup.event_id == event.id,
                EventSignup.status == SignupStatus.WAITLISTED,
                EventSignup.id <= result.signup.id))
            turn.say("utter_event_waitlisted", **values, position=str(position))


class ResizeSignup(LinliAction):
    """"不对 是3个人", "make it 3", "me and my son" just after signing up: the party is that
    size now, if there is room."""

    def name(self) -> str:
        return "action_resize_signup"

    def act(self, turn: Turn) -> Events:
        now = turn.runtime.now()
        key = turn.tracker.get_slot("last_event")
        event = find(turn.session, turn.person.community_id, now, str(key)) if key else None
        said = clean(str(turn.tracker.latest_message.get("text", ""))).text
        signup = next((s for s in signups_of(turn.session, turn.person, now)
                       if event is not None and s.event_id == event.id), None)
        added = party_added(said)
        count = signup.count + added if signup is not None and added else party_said(said)
        if event is None or count is None or not 0 < count <= 10:
            return []
        if signup is None:  # "那先报3个", told how many places are left: the sign-up itself
            SignUp._sign_up(turn, event, count, now)
            return [SlotSet("taken", True)]
        _resize(turn, event, signup, count)
        return [SlotSet("taken", True)]


def _resize(turn: Turn, event: Event, signup: EventSignup, count: int) -> None:
    """The party of ``signup`` is ``count`` now, if there is room; said either way."""
    values = _values(turn, event, turn.language)
    waiting = signup.status == SignupStatus.WAITLISTED
    if resize(turn.session, signup, count, turn.runtime.now()):
        if waiting and signup.status == SignupStatus.CONFIRMED:  # "那先报3个": in now
            turn.say("utter_event_signed_up", **values, count=str(count))
        else:
            turn.say("utter_event_resized", **values, count=str(count))
    else:  # as many as the places free and their own: the most it can be
        most = event.capacity - seats_taken(turn.session, event) + signup.count
        turn.say("utter_event_no_room_for", **{**values, "left": str(most)}, count=str(count))


def _active_signup(turn: Turn, signup_id: str | None) -> tuple[EventSignup, Event]:
    """The resident's own sign-up ``signup_id`` (an id the choice set), still standing, for
    an event still to come; anything else is "not signed up"."""
    signup = turn.session.get(EventSignup, int(signup_id)) \
        if signup_id and str(signup_id).isdigit() else None
    event = turn.session.get(Event, signup.event_id) if signup is not None else None
    if signup is None or event is None or signup.person_id != turn.person.id \
            or signup.status == SignupStatus.CANCELLED \
            or turn.runtime.now() > event.starts_at:
        raise ActionRefusedError("utter_event_not_signed")
    return signup, event


class ChooseSignupToCancel(LinliAction):
    """Which of the resident's sign-ups to withdraw: the event named, the only one, or a
    button for each. Only a sign-up set here is asked about and withdrawn."""

    def name(self) -> str:
        return "action_choose_signup_to_cancel"

    def act(self, turn: Turn) -> Events:
        now = turn.runtime.now()
        mine = list(signups_of(turn.session, turn.person, now))
        name = turn.entity("event")
        if name:
            event = find(turn.session, turn.person.community_id, now, name)
            mine = [s for s in mine if event is not None and s.event_id == event.id]
        if not mine:
            # "I'm moving out next month" read, without conviction, as a withdrawal: not
            # understood, rather than told of sign-ups nobody asked about
            turn.say("utter_event_not_signed" if turn.sure() else "utter_default")
            return [SlotSet("signup", None)]
        if len(mine) > 1:
            events = [turn.session.get(Event, s.event_id) for s in mine]
            turn.dispatcher.utter_message(response="utter_event_which_cancel", buttons=[
                {"title": e.title(turn.language),
                 "payload": f'/event_cancel{{"event": "{e.key}"}}'} for e in events if e])
            return [SlotSet("signup", None)]
        return [SlotSet("signup", str(mine[0].id))]


class AskSignupCancel(LinliAction):
    """"确定要取消 邻里包饺子（12月10日 15:00）的报名吗？", with a yes and a no button."""

    def name(self) -> str:
        return "action_ask_signup_cancel"

    def act(self, turn: Turn) -> Events:
        _, event = _active_signup(turn, turn.tracker.get_slot("signup"))
        turn.say("utter_confirm_signup_cancel", **_values(turn, event, turn.language))
        return []


class CancelSignup(LinliAction):
    """Withdraw the sign-up the resident chose and confirmed; promote the waitlist and tell
    whoever moved up."""

    def name(self) -> str:
        return "action_event_cancel"

    def act(self, turn: Turn) -> Events:
        now = turn.runtime.now()
        signup, event = _active_signup(turn, turn.tracker.get_slot("signup"))
        for promoted in cancel(turn.session, signup, now):
            person = turn.session.get(Person, promoted.person_id)
            if person is not None:
                notify(turn, person, "utter_notify_promoted",
                       f"event:{event.id}:promoted:{promoted.id}",
                       **_values(turn, event, person.language or "zh"))
        turn.say("utter_event_cancelled", **_values(turn, event, turn.language))
        return []


class EventQuestion(LinliAction):
    """"能带孩子去不", "is it free?", "要带工具吗" about the event just talked about: its card,
    and what the card does not say kept for the staff on duty, who answer here; never a
    withdrawal, a sign-up or an answer about something else."""

    def name(self) -> str:
        return "action_event_question"

    def act(self, turn: Turn) -> Events:
        last = turn.tracker.get_slot("last_event")
        event = find(turn.session, turn.person.community_id, turn.runtime.now(), str(last)) \
            if last else None
        if event is None:
            return []
        turn.say("utter_event_item", **_values(turn, event, turn.language))
        said = str(turn.tracker.latest_message.get("text", ""))
        if _WEATHER.search(said):
            turn.say("utter_events_in_the_rain")  # "那天要是下雨还弄不": what happens then
        elif not _WHEN_WHERE.search(said):  # when and where are on the card
            keep_for_staff(turn, said)
            turn.say("utter_event_question_kept")
        return [SlotSet("taken", True)]
