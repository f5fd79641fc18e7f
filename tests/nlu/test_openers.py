"""A report that only announces itself is told from one that says what is wrong."""

from __future__ import annotations

import pytest

from nlu.openers import says_what_is_wrong


@pytest.mark.parametrize("text", [
    "我要报修", "报修", "唔该 帮我报个修", "家里有东西坏了 想报修", "我想投诉一下", "我有个投诉",
    "12号楼1单元302 报修", "i want to report a repair", "maintenance request pls",
    "something's broken in my flat, want to report it", "i have a complaint", "/report_repair"])
def test_a_report_that_only_announces_itself(text: str) -> None:
    assert not says_what_is_wrong(text)


@pytest.mark.parametrize("text", [
    "暖气不热 报修", "电梯坏了", "3栋2单元 漏水", "我要投诉 楼上太吵", "投诉物业",
    "the kitchen tap is dripping", "block 5 lift broken", "no water"])
def test_a_report_that_says_what_is_wrong(text: str) -> None:
    assert says_what_is_wrong(text)
