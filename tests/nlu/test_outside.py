"""Matters outside the community: a report or a proposal about a metro station, a hotel, an
employer or the whole city is no community's to act on, however much it reads like one."""

from __future__ import annotations

import pytest

from nlu import outside
from nlu.pipeline import NluPipeline


@pytest.mark.parametrize("said", [
    "3号线地铁站的扶梯停了一个礼拜了",
    "住的那家宾馆空调坏了 前台不管",
    "公司拖了我三个月工资 我要投诉他们",
    "建议全市的共享单车统一管理",
    "淘宝买的东西退货一直没人处理",
    "the escalator at the metro station near the park has been broken for ages",
    "my boss keeps making us work weekends without overtime pay, I want to complain",
    "the airbnb I booked had no heating, who do I report that to",
    "route 27 bus never comes on time, please fix it",
])
def test_reports_about_outside_places_are_out_of_scope(pipeline: NluPipeline,
                                                       said: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == "out_of_scope"


@pytest.mark.parametrize(("said", "intent"), [
    ("小区门口公交站的顶棚被风吹坏了", "report_repair"),
    ("外卖小哥天天在楼道里乱扔餐盒", "file_complaint"),
    ("8号楼电梯跟地铁站的一样老 又坏了", "report_repair"),
    ("the lift in our building is broken again", "report_repair"),
    ("delivery riders speed through the estate all day, someone will get hurt",
     "file_complaint"),
])
def test_community_matters_that_name_an_outside_place_stay_in(pipeline: NluPipeline,
                                                              said: str, intent: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == intent


def test_a_place_in_the_community_keeps_a_message_in() -> None:
    assert outside.venue("地铁站电梯坏了") == "地铁"
    assert outside.venue("地铁站电梯坏了", place_given=True) is None  # "8号楼": here after all
    assert outside.venue("小区里的超市门口很脏") is None
    assert outside.venue("北京路12号") is None  # a street, not bus route 12
