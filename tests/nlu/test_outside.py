"""Matters outside the community: a report or a proposal about a metro station, a hotel, an
employer or the whole city is no community's to act on, however much it reads like one."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import outside
from nlu.pipeline import NluPipeline
from nlu.text import clean
from nlu.trainingdata import load

DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"
HELD_OUT = Path(__file__).resolve().parents[2] / "bench" / "data"


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
    "我们公司那栋楼电梯又坏了 爬了12层",
    "宝宝幼儿园的水龙头坏了 老师说等维修",
    "the lift at my office has been out since monday",
    "my uni dorm heating is broken, how do i complain to the housing office",
    "公司下周团建 我想报名烧烤那组",
    "does the concert hall have anything on this weekend? wanna sign up",
    "my parents' compound in another city has free health checks, how do they sign up",
    "我妈住的那个小区停水了 她们那物业电话是多少",
    "我住在翠湖苑小区，小区门口那条市政道路东风路上的路灯一直不亮，请相关部门尽快维修",
    "人民公园的健身器材很多都坏了，请园林部门尽快更换",
    "投诉江南大道两侧正在修的地下管廊工程，围挡占了两条车道",
    "there's a dangerous pothole on riverside avenue near 5th street, please send a road crew",
    "a pack of stray dogs near riverside park has bitten two joggers, please send animal control",
    "hotel neighbours partying at 2am, so annoying", "住的酒店隔壁半夜吵架，我能投诉谁",
    "The toilet in our office on the 12th floor is leaking again, who do I even tell",
    "the guy behind me on the train won't stop playing videos out loud",
    "我姐住的那个小区停电了，在城西那边",
    "Dear Mayor's Hotline, the demolition dust covers the street",
    "光明大道上的工地凌晨两点还在打桩，附近几栋楼的人根本睡不了，请城管夜查",
    "公司茶水间的水龙头一直滴水，找谁修啊", "医院走廊的饮水机坏了好几天了",
    "单位的团建活动我不想去，怎么退出", "the treadmill at my gym has been broken for a month",
])
def test_reports_about_outside_places_are_out_of_scope(pipeline: NluPipeline,
                                                       said: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == "out_of_scope"


@pytest.mark.parametrize(("said", "intent"), [
    ("小区门口公交站的顶棚被风吹坏了", "report_repair"),
    ("外卖小哥天天在楼道里乱扔餐盒", "file_complaint"),
    ("8号楼电梯跟地铁站的一样老 又坏了", "report_repair"),
    ("the lift in our building is broken again", "report_repair"),
    ("值班的工作人员在办公室玩手机 我站那半天没人理", "file_complaint"),
    ("老年大学书法班给我报上", "event_signup"),
    ("pls cancel, my flight got moved", "event_cancel"),
    ("报修 厨房水管漏了 电话13812345678", "report_repair"),
    ("物业说转给市政了 市政那边有结果没", "ticket_status"),
    ("东门进来那段路上有个坑 电动车过去颠得厉害", "report_repair"),
    ("Two street lamps near the playground are out.", "report_repair"),
    ("people park on the pavement so strollers can't get past", "file_complaint"),
    ("restaurant downstairs vents its cooking fumes right into my window", "file_complaint"),
    ("能不能在门口搞个外卖柜 送上楼太费时间了", "make_suggestion"),
    ("有人占了我的固定车位，车牌苏A12345", "file_complaint"),
    ("the area by the gym equipment used to have lights, now nothing", "report_repair"),
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


def test_what_belongs_to_an_outside_place_does_not_bring_it_into_the_community() -> None:
    """Climbing stairs, a dorm's ground floor, one's family in a wage letter: none of them is a
    place of the community."""
    assert outside.venue("商场的扶梯停了 只能爬楼梯上去") == "商场"
    assert outside.venue("宿舍楼下的路灯坏了好几天") == "宿舍"
    assert outside.venue("包工头拖欠工资三个月，家里孩子等着交学费") == "工资"
    assert outside.venue("the escalator at the station has stopped again") == "escalator"
    assert outside.venue("我家楼下超市的扶梯坏了") is None  # "我家楼下": here after all
    assert outside.venue("家里漏水 工资都拿去修了") is None


def test_the_citys_waters_and_ring_roads_are_the_citys() -> None:
    assert outside.venue("护城河上漂了好多垃圾 没人捞") == "护城河"
    assert outside.venue("北二环辅路上那个坑补了又坏") == "二环"
    assert outside.venue("someone keeps dumping oil into the creek behind the market") == "creek"
    assert outside.venue("人工湖里的鱼死了好多") is None  # the compound's own pond
    assert outside.venue("河边那张长椅少了条腿") is None


@pytest.mark.parametrize("said", [
    "成都的小区物业也归居委会管吗 我爸住那边",
    "广州那边的居住证到期了咋续",
    "我老家的宅基地证怎么补办",
    "what are the hukou rules in shenzhen these days",
])
def test_what_is_asked_of_another_city_is_out_of_scope(pipeline: NluPipeline,
                                                      said: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == "out_of_scope"


def test_a_city_that_is_only_a_street_an_origin_or_a_trip_keeps_a_message_in() -> None:
    assert outside.city("上海的居委会电话多少") == "上海"
    assert outside.city("北京路那个口子的路灯坏了") is None
    assert outside.city("我从上海搬来的 怎么登记") is None
    assert outside.city("卫生太差了 比我老家还脏") is None
    assert outside.city("I'm flying to Shanghai tomorrow, can they fix it today") is None
    assert outside.city("上海的亲戚来了 车停哪") is None  # visitors, parking here


@pytest.mark.parametrize("said", [
    "我舅舅住在老城区的一个小区 楼道灯全坏了没人管",
    "我不是你们小区的 我们那边的垃圾好几天没人收了",
    "my brother's landlord hasn't fixed his boiler in weeks, who does he report it to",
    "I don't live in your compound, but our gate has been broken for a month",
])
def test_a_matter_of_another_compound_is_out_of_scope(pipeline: NluPipeline, said: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == "out_of_scope"


def test_another_compound_named_beside_this_one_keeps_a_message_in() -> None:
    assert outside.other_compound("隔壁小区的人老来我们小区停车") is None
    assert outside.other_compound("我妈住在这个小区 她家漏水") is None
    assert outside.other_compound("我妈住的小区漏水", place_given=True) is None  # "8号楼"
    assert outside.other_compound("卫生太差了 比我老家农村还脏") is None


def test_no_in_domain_request_or_event_is_taken_for_an_outside_one() -> None:
    """The committee's own office, the senior university, the school gate by the compound:
    none of the residents' requests in the data names a place outside."""
    examples = load(DATA).examples + load(DATA / "test").examples + load(HELD_OUT).examples
    taken = []
    for example in examples:
        placed = any(s.entity in ("building", "unit", "room") for s in example.spans)
        text = clean(example.text).text
        if (example.intent in outside.COMMUNITY_REQUESTS and outside.venue(text, placed)) or (
                example.intent in outside.EVENT_VENUE_READINGS
                and outside.event_venue(text, placed)):
            taken.append(example.text)
    assert len(examples) > 3000 and taken == []


def test_a_school_or_kindergarten_event_is_the_schools() -> None:
    assert outside.event_venue("幼儿园的亲子运动会在哪报名") is not None
    assert outside.event_venue("my son's kindergarten is doing a spring fair, how do i sign up")
    assert outside.event_venue("小区的亲子活动还能报名吗") is None
    assert outside.event_venue("can my daughter join the kids painting event") is None


def test_a_workplace_or_someone_elses_home_named_in_passing_is_theirs() -> None:
    assert outside.venue("商场地下车库的灯一半不亮") == "商场"
    assert outside.venue("他们单位又停电了 电脑全黑") == "他们单位"
    assert outside.venue("我们厂的厕所堵了三天") == "我们厂"
    assert outside.venue("the coffee shop near work blasts music all day") is not None
    assert outside.other_compound("同事家楼上天天往下漏水 他问怎么办") is not None
    assert outside.other_compound("my sister's flat back in chengdu has no heating") is not None
    assert outside.other_compound("my neighbour's flat is leaking into mine") is None
    assert outside.venue("proposing a repair cafe once a month") is None
