"""Where a report is, from the words residents use (config/parts.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.parts import Parts, PartsFile, Place

PARTS = Parts.load(Path(__file__).resolve().parents[2] / "config" / "parts.yml")


@pytest.mark.parametrize(("text", "category", "scope", "part"), [
    ("12号楼1单元302卫生间漏水了", "water", "flat", "bathroom"),
    ("12号楼3单元902暖气片漏水", "water", "flat", "radiator"),
    ("马桶堵了", "drainage", "flat", "toilet"),
    ("家里停水了", "water", "flat", "home"),
    ("我家大门锁坏了", "door_access", "flat", "flat_door"),
    ("电梯又坏了", "elevator", "shared", "lift"),
    ("5号楼2单元楼道灯不亮", "lighting", "shared", "corridor_lights"),
    ("单元门关不上", "door_access", "shared", "unit_door"),
    ("楼顶漏水，下雨天家里天花板都湿了", "water", "shared", "roof"),  # the roof, not the flat
    ("卫生间的总管漏了", "water", "shared", "building_pipes"),
    ("楼道暖气片漏水", "water", "shared", "stairwell"),
    ("the lights in the stairwell are out", "lighting", "shared", "stairwell"),
    ("my bathroom is leaking", "water", "flat", "bathroom"),
    ("no power in my flat since this morning", "electricity", "flat", "home"),
    ("the lifts in block 7 keep breaking", "elevator", "shared", "lift"),
    ("people keep parking in the fire lane", "parking", "shared", "parking"),
])
def test_the_words_name_the_place(text: str, category: str, scope: str, part: str) -> None:
    place = PARTS.place(text, category)
    assert place is not None and (place.scope, place.part) == (scope, part)


def test_per_unit_parts_and_per_building_parts() -> None:
    assert PARTS.place_of("lift").per_unit and PARTS.place_of("corridor_lights").per_unit
    assert not PARTS.place_of("roof").per_unit and not PARTS.place_of("gate").per_unit
    assert PARTS.place_of("corridor_lights").area == PARTS.place_of("stairwell").area


@pytest.mark.parametrize("text", ["水管漏水了", "no hot water", "3栋停电了", "bathtub"])
def test_words_that_do_not_tell_leave_it_open(text: str) -> None:
    assert PARTS.place(text, "water") is None


def test_both_scopes_equally_strongly_is_unclear() -> None:
    assert PARTS.place("楼道和厨房都有水", "water") is None


def test_a_category_may_tell_when_the_words_do_not() -> None:
    assert PARTS.place("噪音太大了", "noise") == Place(None)  # a complaint with no place
    lift = PARTS.place("卡住了出不来", "elevator")
    assert lift is not None and lift.part == "lift"


def test_english_words_match_whole_words_only() -> None:
    assert PARTS.place("the bathroom", "water") == PARTS.place_of("bathroom")
    assert PARTS.place("a street party", "noise") == Place(None)  # "tree" is not in "street"


@pytest.mark.parametrize(("said", "scope"), [
    ("flat", "flat"), ("shared", "shared"), ("在家里", "flat"), ("家", "flat"),
    ("楼道", "shared"), ("公共区域", "shared"), ("外面", "shared"), ("不知道", None),
    ("Inside my flat", "flat"), ("shared area", "shared"), ("not sure", None),
])
def test_answers_to_the_place_question(said: str, scope: str | None) -> None:
    answer = PARTS.answer(said)
    assert answer is not None and answer.scope == scope


@pytest.mark.parametrize("said", ["嗯嗯", "what?", "13912345678"])
def test_an_answer_that_is_none_is_asked_again(said: str) -> None:
    assert PARTS.answer(said) is None


def test_roles_named_in_a_complaint() -> None:
    assert PARTS.roles_named("我要投诉网格员") == {"grid_member"}
    assert PARTS.roles_named("督导员李娜不作为") == {"supervisor"}
    assert PARTS.roles_named("the grid workers never answer") == {"grid_member"}
    assert PARTS.roles_named("楼上太吵了") == set()


def test_a_stored_part_the_configuration_no_longer_knows_keeps_its_scope() -> None:
    assert PARTS.stored("shared", "old_part") == Place("shared")
    assert PARTS.stored("flat", "lift") == Place("flat")  # scope wins over a stale part
    assert PARTS.stored(None, None) == Place(None)


def test_a_shared_part_must_say_per_unit_or_per_building() -> None:
    with pytest.raises(ValueError, match="per"):
        PartsFile.model_validate({"parts": {"lift": {"scope": "shared", "zh": ["电梯"]}}})
    with pytest.raises(ValueError, match="no part"):
        PartsFile.model_validate({"categories": {"elevator": "lifts"}})
