"""How a response template is filled: plurals, optional parts, lists of names."""

from __future__ import annotations

import pytest

from actions.responses import Responses, join_names, placeholders, plural


def catalogue(zh: str, en: str, buttons: list[dict[str, str]] | None = None) -> Responses:
    def variation(language: str, text: str) -> dict[str, object]:
        return {"condition": [{"type": "slot", "name": "language", "value": language}],
                "text": text, "buttons": buttons or []}

    return Responses({"utter_x": [variation("zh", zh), variation("en", en)]}, {})


@pytest.mark.parametrize(("count", "said"), [("1", "1 person"), ("3", "3 people"),
                                             ("0", "0 people"), (2, "2 people"),
                                             (["赵敏"], "1 person")])
def test_a_plural_agrees_with_its_number(count: object, said: str) -> None:
    texts = catalogue("共 {count} 人", "For {count|person|people}.")
    assert texts.render("utter_x", "en", count=count).text == f"For {said}."


def test_chinese_takes_the_number_as_it_is() -> None:
    texts = catalogue("共 {count} 人，还剩 {left} 个名额", "{count|person|people}")
    assert texts.render("utter_x", "zh", count="1", left="3").text == "共 1 人，还剩 3 个名额"


def test_a_plural_of_something_not_a_number_is_just_the_value() -> None:
    texts = catalogue("", "{count|person|people}")
    assert texts.render("utter_x", "en", count="a few").text == "a few"
    assert texts.render("utter_x", "en").text == ""


def test_an_optional_part_appears_only_with_its_values() -> None:
    texts = catalogue("已通知[[网格员{grid_member}和]]值班人员",
                      "[[Grid member {grid_member} and the staff||The staff]] on duty know.")
    assert texts.render("utter_x", "zh", grid_member="张伟").text == "已通知网格员张伟和值班人员"
    assert texts.render("utter_x", "zh", grid_member="").text == "已通知值班人员"
    assert texts.render("utter_x", "en", grid_member="张伟").text == \
        "Grid member 张伟 and the staff on duty know."
    assert texts.render("utter_x", "en").text == "The staff on duty know."


def test_an_optional_part_needs_every_value_in_it() -> None:
    texts = catalogue("{reporter}[[（{place}，{phone}）]]", "")
    assert texts.render("utter_x", "zh", reporter="王阿姨", place="3号楼").text == "王阿姨"
    assert texts.render("utter_x", "zh", reporter="王阿姨", place="3号楼",
                        phone="138").text == "王阿姨（3号楼，138）"


def test_a_list_of_names_is_joined_as_the_language_says_it() -> None:
    texts = catalogue("转给了{staff}", "passed to {staff}")
    assert texts.render("utter_x", "zh", staff=["赵敏", "孙丽"]).text == "转给了赵敏、孙丽"
    assert texts.render("utter_x", "en", staff=["Zhao", "Sun", "Li"]).text == \
        "passed to Zhao, Sun and Li"
    assert texts.render("utter_x", "en", staff=["Zhao"]).text == "passed to Zhao"
    assert join_names([], "en") == ""


def test_a_value_is_never_read_as_a_template() -> None:
    texts = catalogue("{message}", "")
    assert texts.render("utter_x", "zh", message="[[{a}||b]] {count|x|y}").text == \
        "[[{a}||b]] {count|x|y}"


def test_json_in_a_button_payload_is_left_alone() -> None:
    texts = catalogue("选一个", "Pick one", [{"title": "{count|place|places} left",
                                            "payload": '/accept{"ticket_id": "{ticket}"}'}])
    rendered = texts.render("utter_x", "en", ticket="BX-1", count="1")
    assert rendered.buttons == [{"title": "1 place left",
                                 "payload": '/accept{"ticket_id": "BX-1"}'}]


def test_helpers() -> None:
    assert plural(1, "ticket", "tickets") == "1 ticket"
    assert plural(2, "ticket", "tickets") == "2 tickets"
    assert placeholders("[[{a} and ||]]{b|x|y} {c}") == ["a", "b", "c"]
