"""Ratings said in words, read as residents write them."""

from __future__ import annotations

import pytest

from nlu.rating import Rating, read_rating


@pytest.mark.parametrize(("text", "value"), [
    # scores: digits, full-width digits, Chinese numerals, stars, scales
    ("5分", 5), ("５分", 5), ("打3分吧", 3), ("一般吧 3分", 3), ("非常满意，5分", 5),
    ("五星", 5), ("五星好评！", 5), ("给两分", 2), ("三颗星", 3), ("4 stars", 4),
    ("Five stars!", 5), ("two stars, took ages", 2), ("8/10", 4), ("10分", 5), ("给十分", 5),
    ("100分满意", 5), ("0分", 1), ("⭐⭐⭐⭐", 4), ("★★★", 3), ("4 out of 5", 4),
])
def test_scores(text: str, value: int) -> None:
    assert read_rating(text) == Rating(value, "score")


@pytest.mark.parametrize(("text", "value"), [
    ("很满意", 5), ("非常满意", 5), ("十分满意", 5), ("满意", 4), ("比较满意", 4),
    ("不满意", 2), ("不太满意", 2), ("不是很满意", 2), ("很不满意", 1), ("差评", 1),
    ("好评", 5), ("very satisfied", 5), ("satisfied", 4), ("dissatisfied", 2),
    ("not satisfied", 2), ("really not satisfied", 2), ("very dissatisfied", 1),
])
def test_verdicts(text: str, value: int) -> None:
    assert read_rating(text) == Rating(value, "verdict")


@pytest.mark.parametrize(("text", "value"), [
    ("还行", 3), ("还可以吧", 3), ("一般般", 3), ("不错", 4), ("修得挺好", 4), ("太棒了", 5),
    ("太差了", 1), ("great job", 5), ("great job, thanks!", 5), ("not bad", 3), ("so-so", 3),
    ("isn't great", 2), ("terrible", 1), ("awful service", 1),
    ("👍", 5), ("👍👍", 5), ("😊", 4), ("😐", 3), ("👎", 1), ("❌", 0),
])
def test_tones(text: str, value: int) -> None:
    assert read_rating(text) == Rating(value, "tone")


@pytest.mark.parametrize("text", [
    "还是没修好", "没修好", "根本没人来修", "问题还在", "还是漏水", "灯这个还是没修好",
    "not fixed", "still broken", "still not working", "it wasn't fixed", "nobody came",
    "服务挺好的但是还是没修好", "没修好，1分",
])
def test_not_solved_outranks_everything(text: str) -> None:
    assert read_rating(text) == Rating(0, "unsolved")


@pytest.mark.parametrize("text", ["我想给维修打个分", "怎么评价", "I want to rate the repair",
                                  "can I leave feedback"])
def test_wanting_to_rate_without_a_score(text: str) -> None:
    assert read_rating(text) == Rating(None, "request")


@pytest.mark.parametrize("text", [
    "", "谢谢", "谢谢你", "好的", "ok", "okay", "thanks", "5", "3", "5号楼电梯坏了",
    "等了5分钟了", "一分钱都没花", "修好了，谢谢", "good morning", "someone came",
    "/rate{\"ticket_id\": \"BX-20261207-0001\", \"rating\": \"5\"}", "3号楼2单元501",
    "我要找人工", "楼道灯不亮了",
])
def test_not_ratings(text: str) -> None:
    assert read_rating(text) is None


def test_praise_in_a_long_message_is_not_a_rating() -> None:
    assert read_rating("这个周末的活动安排得不错，我想带孩子一起报名参加") is None
    assert read_rating("the dumpling event last week was great, is there another one soon?") \
        is None
    # a score or a verdict stands in a long message all the same
    assert read_rating("师傅来得很快，态度也好，修完还帮忙打扫了，五星") == Rating(5, "score")


@pytest.mark.parametrize(("text", "stands"), [
    ("5分", True), ("not fixed", True), ("很满意", False), ("👍", False), ("打个分", False)])
def test_only_scores_and_not_solved_stand_alone(text: str, stands: bool) -> None:
    rating = read_rating(text)
    assert rating is not None and rating.stands_alone is stands
