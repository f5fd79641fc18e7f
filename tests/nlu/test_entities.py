import datetime as dt
import itertools

import pytest

from nlu.entities import (
    EntityExtractor,
    LookupExtractor,
    days_asked,
    party_in_sign_up,
    party_said,
)
from nlu.text import clean

TODAY = dt.date(2026, 12, 1)  # a Tuesday


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    lookups = LookupExtractor({"event": ["包饺子", "movie night", "太极拳"]},
                              {"太极拳": "tai_chi", "包饺子": "dumplings"})
    return EntityExtractor(lookups, today=lambda: TODAY)


def found(extractor: EntityExtractor, text: str) -> list[tuple[str, str]]:
    return [(f.entity, f.value) for f in extractor.extract(clean(text).text)]


@pytest.mark.parametrize(("text", "entities"), [
    ("3栋电梯又坏了", [("building", "3")]),
    ("三号楼停水了", [("building", "3")]),
    ("十二栋", [("building", "12")]),
    ("二十九幢门口", [("building", "29")]),
    ("3#楼", [("building", "3")]),
    ("12号楼1单元302卫生间下水道堵了", [("building", "12"), ("unit", "1"), ("room", "302")]),
    ("十二号楼一单元六零二", [("building", "12"), ("unit", "1"), ("room", "602")]),
    ("三号楼二单元501室", [("building", "3"), ("unit", "2"), ("room", "501")]),
    ("3-2-501", [("building", "3"), ("unit", "2"), ("room", "501")]),
    ("3-501 no power", [("building", "3"), ("room", "501")]),
    ("Building 4 apt 1202", [("building", "4"), ("room", "1202")]),
    ("lift in block 9 is dead", [("building", "9")]),
    ("我在block 17住 unit 2", [("building", "17"), ("unit", "2")]),
    ("unit 1202 has no water", [("room", "1202")]),
    ("flat 501", [("room", "501")]),
    ("我家502漏水", [("room", "502")]),
    ("4号楼3门", [("building", "4"), ("unit", "3")]),
    ("3楼的灯坏了", []),  # a floor, not a building
    ("5栋的3楼", [("building", "5")]),
    ("2026-12-05 那天", [("date", "2026-12-05")]),
    ("住户信息：5-3-601，", [("building", "5"), ("unit", "3"), ("room", "601")]),
    ("I'm in 7-2-603. nobody came", [("building", "7"), ("unit", "2"), ("room", "603")]),
    ("flat 903 block 12", [("room", "903"), ("building", "12")]),
    ("七零二有人晕倒了", [("room", "702")]),
    ("不对 是三零二 不是二零三", [("room", "302"), ("room", "203")]),
    ("二十五号楼一千二百零二", [("building", "25"), ("room", "1202")]),
    ("九号楼一单元一零三一楼不用爬", [("building", "9"), ("unit", "1"), ("room", "103")]),
    ("3.5-2-1", []),
])
def test_locations_and_dates(extractor: EntityExtractor, text: str,
                             entities: list[tuple[str, str]]) -> None:
    assert found(extractor, text) == entities


@pytest.mark.parametrize(("text", "entities"), [
    ("BX-20261121-0042到哪一步了", [("ticket_id", "BX-20261121-0042")]),
    ("撤销bx202611210042", [("ticket_id", "BX-20261121-0042")]),
    ("电话138 1234 5678", [("phone", "13812345678")]),
    ("call me on 010-62345678", [("phone", "01062345678")]),
    ("我们家3个人参加", [("count", "3")]),
    ("两位", [("count", "2")]),
    ("算我一个", [("count", "1")]),
    ("4 people for movie night", [("count", "4"), ("event", "movie night")]),
    ("一个多月了", []),
    ("明天下午3点", [("date", "2026-12-02"), ("time", "15:00")]),
    ("周六上午十点半包饺子", [("date", "2026-12-05"), ("time", "10:30"),
                         ("event", "dumplings")]),
    ("下周三", [("date", "2026-12-09")]),
    ("12月5号", [("date", "2026-12-05")]),
    ("1月3号", [("date", "2027-01-03")]),
    ("next saturday 7pm", [("date", "2026-12-12"), ("time", "19:00")]),
    ("at 19:30 tomorrow", [("time", "19:30"), ("date", "2026-12-02")]),
    ("挪远一点", []),
    ("太极拳", [("event", "tai_chi")]),
])
def test_identifiers_counts_dates_events(extractor: EntityExtractor, text: str,
                                         entities: list[tuple[str, str]]) -> None:
    assert found(extractor, text) == entities


def test_no_overlapping_entities(extractor: EntityExtractor) -> None:
    result = extractor.extract(clean("BX-20261121-0042 13812345678 3-2-501 12月5号").text)
    spans = sorted((f.start, f.end) for f in result)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    assert {f.entity for f in result} == {"ticket_id", "phone", "building", "unit", "room",
                                          "date"}


@pytest.mark.parametrize(("text", "events"), [
    ("me and my wife, 2 people, for the tea party", ["tea party"]),
    ("register 4 people for the outdoor film screening please", ["outdoor film screening"]),
    ("withdraw from the walkathon", ["walkathon"]),
    ("my son wants to join the kids sports day", ["kids sports day"]),
    ("我和老伴2位参加重阳节茶话会", ["重阳节茶话会"]),
    ("我想当垃圾分类志愿者", ["垃圾分类志愿者"]),
    ("帮我报名周六的亲子烘焙课", ["亲子烘焙课"]),
    ("我想参加社区合唱比赛", ["社区合唱比赛"]),
    ("老年模特队还招人吗", ["老年模特队"]),
    ("临时出差 报名的活动都取消吧", []),
    ("我参加了好几次活动", []),
    ("stay for the whole day", []),
    ("in the lift for the night", []),
])
def test_event_names_residents_make_up(text: str, events: list[str]) -> None:
    lookups = LookupExtractor({"event": ["重阳节", "志愿者", "sports day"]}, {})
    extractor = EntityExtractor(lookups, today=lambda: TODAY)
    cleaned = clean(text).text
    assert [cleaned[f.start:f.end] for f in extractor.extract(cleaned)
            if f.entity == "event"] == events


@pytest.mark.parametrize(("text", "count"), [
    ("给我留4个位置", "4"),
    ("我们家只去一个人了 另外两个取消", "1,2"),
    ("我和闺蜜两个", "2"),
    ("一共五个", "5"),
    ("we're a family of four", "4"),
    ("team of four", "4"),
    ("only one of us is coming", "1"),
    ("3 spots please", "3"),
    ("我们俩都来不了", "2"),
    ("咱仨一起去", "3"),
    ("俩月没来了", None),
    ("三人篮球赛报一队", None),
    ("我家有两个孩子", None),
    ("去一个地方", None),
])
def test_counts_of_people(extractor: EntityExtractor, text: str, count: str | None) -> None:
    counts = [value for entity, value in found(extractor, text) if entity == "count"]
    assert counts == (count.split(",") if count else [])


@pytest.mark.parametrize(("text", "size"), [
    ("是3个人", 3), ("3 of us", 3), ("make it three", 3), ("改成两个人", 2), ("改成3个", 3),
    ("me and my son", 2), ("我跟我老伴", 2), ("the lift in 3 is broken", None),
    ("me and my neighbour are sick of the noise", None)])
def test_how_many_people_a_party_is_said_to_be(text: str, size: int | None) -> None:
    assert party_said(clean(text).text) == size


@pytest.mark.parametrize(("text", "size"), [
    ("帮我和我老伴报名包饺子", 2), ("我跟老公还有闺女一起报名看电影", 3),
    ("sign up me and my husband for the dumpling making", 2),
    ("me and my wife and my son want to join movie night", 3),
    ("我想报名包饺子", None), ("sign me up", None)])
def test_who_comes_is_counted_inside_a_sign_up(text: str, size: int | None) -> None:
    assert party_in_sign_up(clean(text).text) == size


SATURDAY = dt.date(2026, 11, 21)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("明天有什么活动", "2026-11-22", "2026-11-22"),
    ("这周末有啥活动", "2026-11-21", "2026-11-22"),
    ("anything this weekend", "2026-11-21", "2026-11-22"),
    ("下周六有活动吗", "2026-11-28", "2026-11-28"),
    ("next week events", "2026-11-23", "2026-11-29"),
    ("这个月有什么活动", "2026-11-01", "2026-11-30")])
def test_the_days_a_listing_asks_for(text: str, first: str, last: str) -> None:
    assert days_asked(clean(text).text, SATURDAY) == (dt.date.fromisoformat(first),
                                                      dt.date.fromisoformat(last))


def test_no_day_asked_for_is_none() -> None:
    assert days_asked("最近有什么活动", SATURDAY) is None
