"""A resident fed up with how their matter goes is heard as such."""

from __future__ import annotations

import pytest

from nlu.mood import exasperated


@pytest.mark.parametrize("said", [
    "电梯坏了三天了 到底管不管", "都说了好几遍了", "五天了都没人来修", "什么效率啊", "怎么还没修好",
    "this is ridiculous, the light is still out", "third time i'm reporting this",
    "nobody came yesterday either", "broken for weeks now",
])
def test_exasperation_is_heard(said: str) -> None:
    assert exasperated(said)


@pytest.mark.parametrize("said", [
    "8号楼电梯坏了", "楼道灯不亮", "明天几点来修", "the stairwell light is out", "thanks!",
    "can someone come on monday",
])
def test_a_calm_report_is_not(said: str) -> None:
    assert not exasperated(said)
