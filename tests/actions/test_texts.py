"""Every response in config/domain.yml, in both languages, read as a resident would read it:
with the values that may be missing left empty, and with one of everything. A new response is
swept the moment it is added."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.responses import LANGUAGES, Responses, placeholders

CONFIG = Path(__file__).resolve().parents[2] / "config"
DOMAIN = yaml.safe_load((CONFIG / "domain.yml").read_text(encoding="utf-8"))
LABELS = yaml.safe_load((CONFIG / "labels.yml").read_text(encoding="utf-8"))
TEXTS = Responses.load(CONFIG)

#: Values the code fills every time it uses a response (a ticket always has a number, a
#: notice an id, a count is a number). Any other placeholder may be missing — a ticket with no
#: grid member, a resident with no phone or address, nobody on duty — and must read right
#: when it is.
ALWAYS = {
    "ticket": "BX-20261207-0001", "notice": "12", "key": "dumplings", "title": "邻里包饺子",
    "count": "2", "left": "2", "position": "2", "pending": "2", "delivered": "2",
    "failed": "2", "unreachable": "2", "waiting": "2", "new": "2", "open": "2",
    "overdue": "2", "escalated": "2", "rating": "2", "date": "2026-12-07", "grids": "G1: 2",
    "grid": "G1", "text": "停水通知", "message": "你好", "lead": "1小时后",
    "advice": "远离危险区域。", "building": "3", "person_id": "15", "updated": "12-07 10:00",
    "status": "已登记", "kind_name": "报修", "category_name": "电梯", "summary": "电梯",
    "level_name": "督导员", "missed_name": "受理", "audience": "全体居民",
    "resident": "王阿姨", "name": "王阿姨", "report": "电梯坏了", "when": "12月7日 10:00",
    "flow_name": "报修", "response_day": "50%", "response_30": "50%", "resolution_day": "50%",
    "resolution_30": "50%", "satisfaction_day": "50%", "satisfaction_30": "50%",
    "erased": "姓名", "link": "/media/abc", "hours": "24",
}
#: Placeholders always filled in particular responses, though missing elsewhere: an
#: emergency's place is said once it is known.
ALWAYS_IN = {"utter_emergency_place_noted": {"place"}, "utter_notify_emergency_place": {"place"},
             "utter_ask_building_near": {"spot"},  # asked only when a place is named
             "utter_emergency_place_carried": {"place"}, "utter_notify_detail_added": {"words"},
             "utter_same_place": {"place"}, "utter_passed_on": {"words"},
             "utter_ask_problem_there": {"place"},  # said only once a building is known
             "utter_emergency_words_passed": {"words"},
             "utter_emergency_update_passed": {"words"},
             "utter_emergency_spot_noted": {"words"},
             "utter_event_not_found": {"event"},
             "utter_ticket_place_unchanged": {"place"},
             "utter_handoff_callback": {"phone"},
             "utter_emergency_place_next_door": {"place"},
             "utter_emergency_place_home": {"place"},
             "utter_emergency_help_arrived": {"words"},
             "utter_event_too_few_places": {"title", "left", "count"},
             "utter_event_another_day": {"title", "when", "asked"},
             # After hours a handoff names who is on call and when the office is back.
             "utter_human_handoff_after_hours": {"staff", "back"},
             "utter_handoff_relayed_after_hours": {"back"},
             # "几天能修好" is answered only for a ticket someone has, with a time.
             "utter_report_timing": {"grid_member", "respond_by"},
             "utter_confirm_move": {"place", "home"}, "utter_confirm_home": {"place"},
             "utter_notify_emergency_all_clear": {"words", "place"},
             "utter_notify_emergency_words": {"words", "place"},
             # Counts, readers, quiet hours and a suggestion's status are always filled in.
             "utter_queue_head": {"emergencies", "shown"},
             "utter_notice_audience_preview": {"breakdown"},
             "utter_notice_quiet_hours": {"start", "end", "until"},
             "utter_suggestion_status": {"suggestion", "suggestion_status_name"},
             # A place correction always names the new building, and whom a moved ticket
             # went to (it moves only to a grid member); the handler hears the words.
             "utter_ticket_place_corrected": {"place"},
             "utter_notify_ticket_moved": {"place", "grid_member"},
             "utter_notify_place_corrected": {"words"},
             # The second request of a message is only announced when there is one.
             "utter_next_request": {"request"},
             # A household claim is always about a flat, someone, and who holds it already.
             **{name: {"place", "claimant", "holders", "claim"} for name in (
                 "utter_household_claim_pending", "utter_household_claim_still_pending",
                 "utter_notify_household_claim", "utter_claim_confirmed", "utter_claim_refused",
                 "utter_notify_claim_confirmed", "utter_notify_claim_refused")}}
_LEFT_OVER = re.compile(r"\{\w+(\|[^{}]*)?\}|\[\[|\]\]|\|\|")
_EMPTY_BRACKETS = re.compile(r"（[：:，,\s]*）|\([:,\s]*\)|“\s*”|\"\s*\"|「\s*」")
# What Linli counts, in the plural, and verbs agreeing with a plural: never after a lone "1".
_ONE_PLURAL = re.compile(
    r"\b1 (people|persons|places|seats|tickets|reports|residents|neighbours|notices|"
    r"messages|photos|days|hours|minutes|weeks|times|items|events|activities|sign-?ups|"
    r"buildings|flats|are|were|have)\b")


def variations() -> list[Any]:
    params = []
    for name, found in DOMAIN["responses"].items():
        for variation in found:
            language = next((c["value"] for c in variation.get("condition") or []
                             if c.get("name") == "language"), None)
            for code in [language] if language else LANGUAGES:
                params.append(pytest.param(name, code, id=f"{name}-{code}"))
    return params


def _templates(name: str, language: str) -> list[str]:
    chosen = next(v for v in DOMAIN["responses"][name]
                  if all(c.get("value") == language for c in v.get("condition") or []
                         if c.get("name") == "language"))
    return [chosen.get("text", "")] + [b["title"] for b in chosen.get("buttons", [])] + [
        b["payload"] for b in chosen.get("buttons", [])]


def _names(name: str, language: str) -> set[str]:
    return {n for template in _templates(name, language) for n in placeholders(template)}


def _problems(name: str, language: str, values: dict[str, Any]) -> list[str]:
    rendered = TEXTS.render(name, language, **values)
    found = []
    for text in [rendered.text, *(b["title"] for b in rendered.buttons)]:
        if not isinstance(text, str) or not text.strip():
            found.append(f"empty text {text!r}")
            continue
        checks = {
            "a double space": "  " in text,
            "an empty bracket": _EMPTY_BRACKETS.search(text),
            "something left unfilled": _LEFT_OVER.search(text),
            "a space at a line's edge": any(line != line.strip(" ") for line in text.split("\n")),
            "a space before punctuation": re.search(r" [,.;:!?，。；：！？）)]", text),
            "a doubled punctuation mark": re.search(r"[，。；：、][，。；：、]|[,;:][,;:]", text),
            "'Block' for a building": "Block" in text or re.search(r"\bblock \d", text),
            "an opening punctuation mark": re.match(r"\s*[,.;:，。；：、）)]", text),
        }
        found += [f"{problem}: {text!r}" for problem, seen in checks.items() if seen]
        if language == "en":
            found += [f"'{match.group(0)}': {text!r}" for match in _ONE_PLURAL.finditer(text)]
    for payload in (b["payload"] for b in rendered.buttons):
        if re.search(r"\{\w+\}", payload):
            found.append(f"an unfilled payload {payload!r}")
    return found


@pytest.mark.parametrize(("name", "language"), variations())
def test_reads_right_with_what_may_be_missing_left_empty(name: str, language: str) -> None:
    always = {n: "3号楼" for n in ALWAYS_IN.get(name, set())} | ALWAYS
    values = {n: always.get(n, "") for n in _names(name, language)}
    assert _problems(name, language, values) == []


@pytest.mark.parametrize(("name", "language"), variations())
def test_reads_right_with_one_of_everything(name: str, language: str) -> None:
    values: dict[str, Any] = {n: "1" for n in _names(name, language)}
    assert _problems(name, language, values) == []
    names = {n: ["赵敏"] for n in _names(name, language)}  # a list of one name
    assert _problems(name, language, names) == []


def test_every_response_speaks_both_languages() -> None:
    for name, found in DOMAIN["responses"].items():
        languages = {c["value"] for v in found for c in v.get("condition") or []
                     if c.get("name") == "language"}
        assert languages in ({"zh", "en"}, set()), f"{name} has {languages or 'no'} variants"


def test_every_label_is_named_in_both_languages_and_says_building() -> None:
    for kind, values in LABELS.items():
        for value, names in values.items():
            assert names.get("zh") and names.get("en"), f"{kind}.{value}"
            assert "block" not in names["en"].lower(), f"{kind}.{value}: {names['en']}"


@pytest.mark.parametrize("word", ["Block", "apartment", "grid worker", "grid officer"])
def test_one_english_word_per_thing(word: str) -> None:
    """"Building", "flat", "grid member": the same thing always has the same name."""
    english = [t for name in DOMAIN["responses"] for t in _templates(name, "en")
               if any(c.get("value") == "en" for v in DOMAIN["responses"][name]
                      for c in v.get("condition") or [])]
    assert not [t for t in english if re.search(rf"\b{word}\b", t, re.IGNORECASE)]
