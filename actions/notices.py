"""Staff notices from the chat: /broadcast asks who, when and what (one text per language),
confirms a large audience first; /notices lists what is waiting and cancels it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk.events import Restarted, SlotSet
from sqlalchemy import select

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.runtime import Runtime
from nlu.schedule import Schedule, describe, parse_schedule
from store import notices
from store.models import Community, Grid, Notice, Role
from store.notices import Audience, NoticeError

SKIP = re.compile(r"^\s*(跳过|不用|没有|无|skip|none|no|-)\s*[.!。！]?\s*$", re.IGNORECASE)
_EVERYONE = re.compile(r"全体|所有人|全部|大家|整个社区|everyone|everybody|\ball\b", re.I)
_GROUPS = re.compile(r"群|groups?\b", re.IGNORECASE)
_LANGUAGE = {"en": re.compile(r"英语|英文|english", re.I),
             "zh": re.compile(r"中文|汉语|chinese", re.I)}
_BUILDING = re.compile(r"(\d{1,3})\s*(?:号楼|号|栋|幢)|(?:building|block|bldg)\s*(\d{1,3})",
                       re.IGNORECASE)
_GRID_NUMBER = re.compile(r"(?:第?\s*(\d)\s*网格|网格\s*(\d)|grid\s*(\d))", re.IGNORECASE)
PREVIEW = 120


def _community(turn: Turn) -> Community:
    community = turn.session.get(Community, turn.person.community_id)
    assert community is not None
    return community


def _staff_only(turn: Turn) -> None:
    if not turn.person.has_role(Role.STAFF):
        raise ActionRefusedError("utter_not_allowed")


def audience_from_text(turn: Turn, text: str) -> Audience | None:
    """What staff type or tap for "who": all, grid:G1, 第一网格, 3号楼, 居民群, English…"""
    community = _community(turn)
    try:
        audience = Audience.parse(text)
        notices.check_audience(turn.session, community, audience)
        return audience
    except NoticeError:
        pass
    grids = turn.session.scalars(select(Grid).where(Grid.community_id == community.id)).all()
    for grid in grids:
        if grid.code.lower() in text.lower() or grid.name in text:
            return Audience("grid", grid.code)
    if number := _GRID_NUMBER.search(text):
        digit = next(group for group in number.groups() if group)
        matching = [grid for grid in grids if grid.code.endswith(digit)]
        if len(matching) == 1:
            return Audience("grid", matching[0].code)
    for language, pattern in _LANGUAGE.items():
        if pattern.search(text):
            return Audience("language", language)
    if building := _BUILDING.search(text):
        audience = Audience("building", next(g for g in building.groups() if g))
        try:
            notices.check_audience(turn.session, community, audience)
            return audience
        except NoticeError:
            return None
    if _GROUPS.search(text):
        return Audience("groups")
    if _EVERYONE.search(text):
        return Audience("all")
    return None


def audience_name(runtime: Runtime, spec: str, language: str) -> str:
    """"grid:G1" as people say it: "G1网格" / "grid G1"."""
    audience = Audience.parse(spec)
    named = runtime.responses.label("audience", str(audience), language)  # language:en
    if named != str(audience):
        return named
    template = runtime.responses.label("audience", audience.kind, language)
    return template.replace("{value}", audience.value)


def when_text(runtime: Runtime, notice: Notice, language: str) -> str:
    """每周一 08:00, 12月7日 08:00, or 现在 for a notice that goes with the next sweep."""
    if notice.cron:
        return describe(Schedule(cron=notice.cron), language)
    if notice.next_run_at is None:
        return ""
    if notice.next_run_at <= runtime.now() + dt.timedelta(minutes=1):
        return describe(Schedule(), language)
    return describe(Schedule(at=runtime.local(notice.next_run_at)), language)


def notice_values(turn: Turn, notice: Notice, **extra: Any) -> dict[str, Any]:
    default = _community(turn).default_language
    preview = notices.text_for(notice, turn.language, default)
    return {"notice": str(notice.id), "when": when_text(turn.runtime, notice, turn.language),
            "audience": audience_name(turn.runtime, notice.audience, turn.language),
            "preview": preview if len(preview) <= PREVIEW else preview[:PREVIEW] + "…", **extra}


_LANGUAGES = {"zh": {"zh": "中文", "en": "Chinese"}, "en": {"zh": "英文", "en": "English"}}
_NO_HOME = {"zh": "未登记住址", "en": "no home registered"}
_UNREACHABLE = {"zh": "暂时联系不上", "en": "not reachable yet"}
_RESIDENTS = {"zh": "居民", "en": "residents"}
_WORKERS = {"zh": "社区工作人员", "en": "community workers"}


def breakdown(preview: notices.AudiencePreview, language: str) -> str:
    """Who they are, in one line: "居民 6 · 社区工作人员 9；G1 2 · 未登记住址 9；中文 13 · 英文 2；
    暂时联系不上 1"."""
    words = "zh" if language != "en" else "en"
    grids = " · ".join(f"{code or _NO_HOME[words]} {count}"
                       for code, count in preview.by_grid.items())
    languages = " · ".join(f"{_LANGUAGES.get(code, {}).get(words, code)} {count}"
                           for code, count in preview.by_language.items())
    workers = len(preview.people) - preview.residents
    roles = f"{_RESIDENTS[words]} {preview.residents}" + (
        f" · {_WORKERS[words]} {workers}" if workers else "")
    parts = [part for part in (roles, grids, languages) if part]
    if preview.unreachable:
        parts.append(f"{_UNREACHABLE[words]} {preview.unreachable}")
    return ("；" if words == "zh" else "; ").join(parts)


def warn_quiet_hours(turn: Turn, notice: Notice) -> None:
    """A notice due in quiet hours waits until they end: say so, and until when."""
    policy = turn.runtime.policy
    until = notices.held_until(policy.quiet(turn.runtime.timezone), notice.next_run_at)
    if until is not None:
        start, end = policy.quiet_hours
        turn.say("utter_notice_quiet_hours", start=start.strftime("%H:%M"),
                 end=end.strftime("%H:%M"), until=turn.runtime.local(until).strftime("%H:%M"))


def tell_who_and_when(turn: Turn, notice: Notice) -> None:
    """After a notice is made: who its readers are (the preview the console shows too), and
    whether quiet hours hold it back."""
    preview = notices.preview(turn.session, _community(turn), Audience.parse(notice.audience))
    if preview.people:
        turn.say("utter_notice_audience_preview", breakdown=breakdown(preview, turn.language))
    warn_quiet_hours(turn, notice)


class BroadcastStart(LinliAction):
    """/broadcast is for staff; anyone else is told so and the flow ends."""

    def name(self) -> str:
        return "action_broadcast_start"

    def act(self, turn: Turn) -> Events:
        if not turn.person.has_role(Role.STAFF):
            turn.say("utter_not_allowed")
            return [Restarted()]
        return []


class AskAudience(LinliAction):
    """Who gets it: a button per grid, everyone, the groups, English readers."""

    def name(self) -> str:
        return "action_ask_audience"

    def act(self, turn: Turn) -> Events:
        grids = turn.session.scalars(select(Grid).where(
            Grid.community_id == turn.person.community_id).order_by(Grid.code)).all()
        choices = ["all", *(f"grid:{grid.code}" for grid in grids), "groups", "language:en"]
        turn.dispatcher.utter_message(response="utter_ask_notice_audience", buttons=[
            {"title": audience_name(turn.runtime, spec, turn.language),
             "payload": f'/choose{{"audience": "{spec}"}}'} for spec in choices])
        return []


class ValidateAudience(LinliAction):
    def name(self) -> str:
        return "action_validate_audience"

    def act(self, turn: Turn) -> Events:
        audience = audience_from_text(turn, str(turn.tracker.get_slot("audience") or ""))
        if audience is None:
            turn.say("utter_notice_audience_unclear")
            return [SlotSet("audience", None)]
        return [SlotSet("audience", str(audience))]


class ValidateSchedule(LinliAction):
    """Now, a moment ("明天8点") or a repetition ("每周一8点"), stored as now / at:… / cron:…"""

    def name(self) -> str:
        return "action_validate_schedule"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.get_slot("schedule") or "")
        if text.startswith(("at:", "cron:")) or text == "now":
            return []  # already understood (a second validation after an interruption)
        schedule = parse_schedule(text, turn.runtime.local(turn.runtime.now()))
        if schedule is None:
            turn.say("utter_notice_when_unclear")
            return [SlotSet("schedule", None)]
        value = ("now" if schedule.immediate else f"cron:{schedule.cron}" if schedule.cron
                 else f"at:{schedule.at.isoformat() if schedule.at else ''}")
        return [SlotSet("schedule", value)]


class CreateNotice(LinliAction):
    """Schedule the notice, or ask to confirm when it reaches many people."""

    def name(self) -> str:
        return "action_create_notice"

    def act(self, turn: Turn) -> Events:
        _staff_only(turn)
        # The last answer was the English text: reply in the author's own language still.
        turn.language = turn.person.language or turn.language
        slot = turn.tracker.get_slot
        texts = {code: str(slot(f"notice_{code}") or "") for code in ("zh", "en")}
        texts = {code: text for code, text in texts.items() if text and not SKIP.match(text)}
        if not texts:
            raise ActionRefusedError("utter_notice_need_text")
        when = str(slot("schedule") or "now")
        now = turn.runtime.now()
        try:
            notice, reach = notices.create(
                turn.session, community=_community(turn), author=turn.person, texts=texts,
                audience=Audience.parse(str(slot("audience") or "")),
                at=dt.datetime.fromisoformat(when[3:]) if when.startswith("at:") else None,
                cron=when[5:] if when.startswith("cron:") else None, now=now,
                zone=turn.runtime.timezone,
                confirm_above=turn.runtime.policy.notices.confirm_above)
        except NoticeError as error:
            raise ActionRefusedError("utter_notice_when_unclear" if error.code == "when"
                                     else "utter_notice_audience_unclear") from None
        response = "utter_notice_confirm" if notice.status == "to_confirm" \
            else "utter_notice_scheduled"
        turn.say(response, **notice_values(turn, notice, count=str(reach)))
        tell_who_and_when(turn, notice)
        return []


def _notice(turn: Turn) -> Notice:
    _staff_only(turn)
    reference = (turn.entity("notice") or turn.entity("note") or "").strip().lstrip("#")
    notice = turn.session.get(Notice, int(reference)) if reference.isdigit() else None
    if notice is None or notice.community_id != turn.person.community_id:
        raise ActionRefusedError("utter_notice_not_found")
    return notice


class ConfirmNotice(LinliAction):
    def name(self) -> str:
        return "action_confirm_notice"

    def act(self, turn: Turn) -> Events:
        notice = _notice(turn)
        try:
            notices.confirm(notice, turn.runtime.now(), turn.runtime.timezone)
        except NoticeError:
            raise ActionRefusedError("utter_notice_not_found") from None
        reach = notices.recipients(turn.session, _community(turn),
                                   Audience.parse(notice.audience))
        turn.say("utter_notice_scheduled", **notice_values(turn, notice, count=str(len(reach))))
        warn_quiet_hours(turn, notice)
        return []


class CancelNotice(LinliAction):
    def name(self) -> str:
        return "action_cancel_notice"

    def act(self, turn: Turn) -> Events:
        notice = _notice(turn)
        try:
            notices.cancel(notice, turn.runtime.now())
        except NoticeError:
            raise ActionRefusedError("utter_notice_not_found") from None
        turn.say("utter_notice_cancelled", notice=str(notice.id))
        return []


class ListNotices(LinliAction):
    """What is still to go out, each with a cancel button."""

    def name(self) -> str:
        return "action_list_notices"

    def act(self, turn: Turn) -> Events:
        _staff_only(turn)
        waiting = notices.active(turn.session, turn.person.community_id)
        if not waiting:
            raise ActionRefusedError("utter_notices_none")
        for notice in waiting[:10]:
            turn.say("utter_notice_item", **notice_values(turn, notice))
        return []
