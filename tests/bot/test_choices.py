"""Short answers to the buttons just shown, as residents type them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.choices import EXPIRE_AFTER, LAST, OutOfRange, choose, ordinal, remember

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
TICKETS = [{"title": f"BX-20261207-000{i}", "payload": f'/ticket_cancel{{"ticket_id": '
            f'"BX-20261207-000{i}"}}'} for i in (1, 2, 3)]


def shown(*replies: list[dict[str, str]]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    remember(state, [{"text": "…", "buttons": buttons} for buttons in replies], NOW)
    return state


@pytest.mark.parametrize(("said", "position"), [
    ("1", 1), ("２", 2), ("3.", 3), ("第二个", 2), ("第2个", 2), ("选第三个吧", 3), ("第一", 1),
    ("最后一个", LAST), ("最后那个", LAST), ("the second one", 2), ("Second", 2),
    ("the first one please", 1), ("the last one", LAST), ("3rd", 3), ("number 2", 2),
    ("#1", 1), ("option 3", 3),
])
def test_how_people_name_a_position(said: str, position: int) -> None:
    assert ordinal(said) == position


@pytest.mark.parametrize("said", ["两个", "12号楼", "我家2个人", "second floor is flooding",
                                  "first of all the lift is broken", "123", "1-2-3"])
def test_words_that_name_no_position(said: str) -> None:
    assert ordinal(said) is None


def test_a_number_picks_the_ticket_to_withdraw() -> None:
    state = shown(TICKETS)
    assert choose(state, "1", NOW) == TICKETS[0]["payload"]
    assert choose(state, "第二个", NOW) == TICKETS[1]["payload"]
    assert choose(state, "the last one", NOW) == TICKETS[2]["payload"]


def test_a_number_past_the_list_is_out_of_range() -> None:
    assert choose(shown(TICKETS), "5", NOW) == OutOfRange(3)
    assert choose(shown(TICKETS), "第九个", NOW) == OutOfRange(3)


def test_building_buttons_are_answered_by_their_number_not_their_position() -> None:
    buildings = [{"title": "在家里（3号楼2单元501）", "payload": '/choose{"building": "3"}'}] + [
        {"title": f"{n}号楼", "payload": str(n)} for n in range(1, 16)]
    state = shown(buildings)
    assert choose(state, "12", NOW) is None  # building 12 itself, read as usual
    assert choose(state, "99", NOW) is None  # the building check answers that one
    assert choose(state, "第一个", NOW) == buildings[0]["payload"]
    assert choose(state, "在家里", NOW) == buildings[0]["payload"]  # a title typed out


def test_one_button_per_reply_is_one_list() -> None:
    events = [[{"title": "报名", "payload": f'/event_signup{{"event": "{key}"}}'}]
              for key in ("dumplings", "health_check", "movie_night")]
    state = shown(*events)
    assert choose(state, "2", NOW) == '/event_signup{"event": "health_check"}'
    assert choose(state, "报名", NOW) is None  # the same title three times: no guess


def test_several_menus_at_once_are_too_ambiguous_for_a_number() -> None:
    menu = [{"title": t, "payload": f"/{t}"} for t in ("accept", "progress")]
    assert choose(shown(menu, menu), "1", NOW) is None


def test_a_yes_or_no_question_is_not_a_list() -> None:
    state = shown([{"title": "继续", "payload": "/affirm"},
                   {"title": "不用了", "payload": "/deny"}])
    assert choose(state, "7", NOW) is None
    assert choose(state, "继续", NOW) == "/affirm"
    assert choose(shown([{"title": "No, thanks", "payload": "/deny"}]), "no thanks",
                  NOW) == "/deny"


def test_choices_are_forgotten_when_the_conversation_moves_on() -> None:
    state = shown(TICKETS)
    remember(state, [{"text": "好的"}], NOW)
    assert choose(state, "1", NOW) is None
    state = shown(TICKETS)
    assert choose(state, "1", NOW + EXPIRE_AFTER + dt.timedelta(seconds=1)) is None


def test_a_number_a_poll_button_shows_picks_that_button_not_that_position() -> None:
    poll = [{"title": f"{face} {score} {words}", "payload": f'/rate{{"rating": "{score}"}}'}
            for face, score, words in [("😀", 5, "很满意"), ("🙂", 4, "满意"), ("😐", 3, "一般"),
                                       ("🙁", 2, "不满意"), ("😞", 1, "很不满意")]]
    poll.append({"title": "❌ 没解决", "payload": '/rate{"rating": "0"}'})
    state = shown(poll)
    assert choose(state, "5", NOW) == '/rate{"rating": "5"}'
    assert choose(state, "1", NOW) == '/rate{"rating": "1"}'
    assert choose(state, "最后一个", NOW) == '/rate{"rating": "0"}'


def test_words_only_one_title_holds_pick_that_button() -> None:
    events = shown([{"title": title, "payload": f"/event_signup{{{i}}}"} for i, title in
                    enumerate(["邻里包饺子", "社区义诊（量血压、测血糖）", "露天电影之夜",
                               "Outdoor movie night", "Volunteer clean-up"])])
    assert choose(events, "包饺子", NOW) == "/event_signup{0}"
    assert choose(events, "义诊", NOW) == "/event_signup{1}"
    assert choose(events, "电影", NOW) == "/event_signup{2}"
    assert choose(events, "movie night", NOW) == "/event_signup{3}"
    assert choose(events, "clean-up", NOW) == "/event_signup{4}"
    assert choose(events, "饺", NOW) is None  # one character names nothing
    assert choose(events, "on", NOW) is None  # nor two letters
    assert choose(shown([{"title": "My queue", "payload": "/queue{}"}]), "/queue",
                  NOW) is None  # a command is itself
    assert choose(shown([{"title": "😀 5 很满意", "payload": "/5"},
                         {"title": "🙁 2 不满意", "payload": "/2"}]), "满意", NOW) is None


def test_words_of_a_danger_answer_no_list() -> None:
    faq = shown([{"title": "着火了怎么办", "payload": "/faq{0}"},
                 {"title": "电梯困人了怎么办", "payload": "/faq{1}"}])
    assert choose(faq, "着火了", NOW) is None
    assert choose(faq, "电梯困人了", NOW) is None
