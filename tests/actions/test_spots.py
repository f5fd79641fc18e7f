"""Places in the community that are no building, as residents name them."""

from __future__ import annotations

import pytest

from actions.spots import shared_spot_in, spot_in


@pytest.mark.parametrize(("said", "spot"), [
    ("北门的道闸坏了", "北门"), ("停车场的灯不亮", "停车场"), ("中心花园", "中心花园"),
    ("北门口有人晕倒了", "北门口"), ("someone fell by the north gate", "by the north gate"),
])
def test_a_shared_place_is_found_in_the_words(said: str, spot: str) -> None:
    assert shared_spot_in(said) == spot


@pytest.mark.parametrize("said", ["我家门口的灯坏了", "单元门口有垃圾", "楼道灯坏了",
                                  "广场舞太吵了", "my front door lock is broken"])
def test_a_door_of_a_home_or_a_dance_is_no_shared_place(said: str) -> None:
    assert shared_spot_in(said) is None


def test_a_question_of_what_to_do_names_no_place() -> None:
    assert spot_in("在北门口 我该怎么办") is None
