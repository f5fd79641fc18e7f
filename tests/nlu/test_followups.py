"""Follow-up questions: read with the one just answered, only when they lean on it."""

from __future__ import annotations

import pytest

from nlu.followups import follows_up, points_back


@pytest.mark.parametrize("text", ["那去哪儿办", "要带什么材料", "那电池呢",
                                  "how long does it take?", "are they open on sundays",
                                  "what about weekends"])
def test_a_question_that_leans_on_the_last_one_follows_it_up(text: str) -> None:
    assert follows_up(text)


@pytest.mark.parametrize("text", ["停车证怎么办", "how do I get a parking permit",
                                  "请问居委会周六上班吗 我想去办个居住证 顺便问问老年卡怎么弄"])
def test_a_question_that_says_what_it_is_about_stands_alone(text: str) -> None:
    assert not follows_up(text)


@pytest.mark.parametrize(("text", "back"), [("那电池呢", True), ("are they open on sundays", True),
                                            ("要带什么材料", False), ("垃圾几点收", False)])
def test_some_follow_ups_say_they_lean_on_the_last_question(text: str, back: bool) -> None:
    assert points_back(text) is back
