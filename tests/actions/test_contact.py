"""Reading a resident's answer to "方便留个称呼和电话吗？"."""

from __future__ import annotations

import pytest

from actions.contact import REFUSAL, parse_name, readable_phone


@pytest.mark.parametrize(("said", "with_phone", "name"), [
    ("王小明 ", True, "王小明"),              # beside a number: a name
    ("我叫王小明，电话 ", True, "王小明"),
    ("我姓李", False, "李"),
    ("叫我刘阿姨，电话 ", True, "刘阿姨"),
    ("王阿姨", False, "王阿姨"),               # a name with a title reads as one on its own
    ("my name is Anna, phone ", True, "Anna"),
    ("call me raj", False, "raj"),
    ("Tom Lee", False, "Tom Lee"),
    ("王小明", False, None),                   # a bare word might be anything: asked again
    ("随便", False, None),
    ("楼道灯也坏了", False, None),
    ("hmm", False, None),
])
def test_a_name_is_taken_only_when_it_reads_as_one(said: str, with_phone: bool,
                                                   name: str | None) -> None:
    assert parse_name(said, with_phone=with_phone) == name


@pytest.mark.parametrize(("said", "skips"), [
    ("不留", True), ("不留了", True), ("没必要", True), ("no thanks", True), ("Nope", True),
    ("No problem", False), ("王小明 13912345678", False), ("ok", False),
])
def test_a_refusal_is_respected(said: str, skips: bool) -> None:
    assert bool(REFUSAL.search(said)) is skips


def test_landlines_keep_their_area_code_apart() -> None:
    assert readable_phone("01062345678") == "010-62345678"
    assert readable_phone("02112345678") == "021-12345678"
    assert readable_phone("057112345678") == "0571-12345678"
    assert readable_phone("13912345678") == "13912345678"
