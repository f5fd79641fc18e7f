"""A notice's dry run, as ``linli notice create`` prints it and the console's composer shows
it: who reads it, when it first goes and what the author should know before it does.

The rules are ``store.notices.plan``'s (the same the send and the chat's /broadcast follow);
this module adds the runtime's clock, zone and policy, and the warnings in words. It lives
here, not in the console, so the command line needs no web console to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from actions.notices import breakdown
from actions.runtime import Runtime
from nlu.schedule import Schedule, describe
from store import notices
from store.community import home
from store.models import Community
from store.notices import Audience, NoticeError, NoticePlan

#: The warnings' texts in Chinese and English (the console adds them to its catalogue).
TEXTS: dict[str, tuple[str, str]] = {
    "nt_warn_quiet_hours": ("免打扰时段（{start}–{end}）：要到 {until} 才会推送给居民。",
                            "Quiet hours ({start}–{end}): residents get it at {until}, "
                            "not before."),
    "nt_warn_unreachable": ("其中 {count} 人暂时联系不上，不会收到。",
                            "{count} of them cannot be reached and will not get it."),
    "nt_warn_nobody": ("这个范围里没有人。", "Nobody is in this audience."),
    "nt_warn_text": ("还没写内容。", "There is no text yet."),
}


@dataclass(frozen=True, slots=True)
class Draft:
    """A notice as asked, read but not yet checked against the community."""

    audience: Audience
    schedule: Schedule
    texts: dict[str, str]
    when: str


def home_community(session: Session) -> Community:
    """The community notices go to; refused when the database has none yet."""
    found = home(session)
    if found is None:
        raise NoticeError("no_community", "no community in the database")
    return found


def dry_run(session: Session, runtime: Runtime, draft: Draft) -> NoticePlan:
    """What sending ``draft`` would do, by the rules the send follows."""
    policy = runtime.policy
    return notices.plan(session, community=home_community(session), audience=draft.audience,
                        at=draft.schedule.at, cron=draft.schedule.cron, now=runtime.now(),
                        zone=runtime.timezone, quiet=policy.quiet(runtime.timezone),
                        confirm_above=policy.notices.confirm_above)


def _text(key: str, language: str, **values: Any) -> str:
    zh, en = TEXTS[key]
    return (en if language == "en" else zh).format(**values)


def warnings(plan: NoticePlan, draft: Draft, runtime: Runtime,
             language: str) -> list[dict[str, Any]]:
    """What the author should know before it goes: quiet hours hold it back (until when),
    people who cannot be reached, an empty audience, a missing text."""
    found: list[dict[str, Any]] = []
    if plan.held_until is not None:
        start, end = runtime.policy.quiet_hours
        until = runtime.local(plan.held_until)
        found.append({"code": "quiet_hours", "until": until.isoformat(),
                      "message": _text("nt_warn_quiet_hours", language,
                                       start=start.strftime("%H:%M"),
                                       end=end.strftime("%H:%M"),
                                       until=describe(Schedule(at=until), language))})
    if not len(plan.audience):
        found.append({"code": "nobody", "message": _text("nt_warn_nobody", language)})
    elif plan.audience.unreachable:
        found.append({"code": "unreachable", "count": plan.audience.unreachable,
                      "message": _text("nt_warn_unreachable", language,
                                       count=plan.audience.unreachable)})
    if not draft.texts:
        found.append({"code": "text", "message": _text("nt_warn_text", language)})
    return found


def preview_lines(plan: NoticePlan, draft: Draft, runtime: Runtime,
                  language: str = "en") -> list[str]:
    """The dry run as ``linli notice create`` prints it: who reads it, then each warning."""
    lines = [f"readers: {breakdown(plan.audience, language)}"] if plan.audience.people else []
    if plan.audience.groups:
        lines.append("groups: " + ", ".join(title for _, title in plan.audience.groups))
    return lines + [f"warning: {w['message']}" for w in warnings(plan, draft, runtime, language)
                    if w["code"] != "text"]
