"""Two requests in one message: the parse exposes both, and only when there are two."""

from __future__ import annotations

import pytest

from nlu.pipeline import NluPipeline
from nlu.segments import as_parse, parts


def _segments(pipeline: NluPipeline, text: str) -> list[tuple[str, str]]:
    return [(s["text"], s["intent"]) for s in pipeline.parse(text).get("segments", [])]


@pytest.mark.parametrize(("text", "expected"), [
    ("水管漏了，另外想报名包饺子",
     [("水管漏了", "report_repair"), ("想报名包饺子", "event_signup")]),
    ("水管漏了另外想报名包饺子",  # a voice transcript: no comma
     [("水管漏了", "report_repair"), ("想报名包饺子", "event_signup")]),
    ("elevator's broken and also I wanna join the dumpling thing",
     [("elevator's broken", "report_repair"), ("I wanna join the dumpling thing",
                                               "event_signup")]),
    ("3栋电梯坏了；我想报名包饺子",
     [("3栋电梯坏了", "report_repair"), ("我想报名包饺子", "event_signup")]),
    ("楼道灯坏了，另外楼上装修太吵了",
     [("楼道灯坏了", "report_repair"), ("楼上装修太吵了", "file_complaint")]),
    # a remark on the language needs no joining word
    ("my kitchen tap is leaking, sorry no chinese",
     [("my kitchen tap is leaking", "report_repair"), ("sorry no chinese", "set_language")]),
    ("english please. the hallway light is out",
     [("english please", "set_language"), ("the hallway light is out", "report_repair")]),
])
def test_two_requests_are_both_exposed(pipeline: NluPipeline, text: str,
                                       expected: list[tuple[str, str]]) -> None:
    assert _segments(pipeline, text) == expected


@pytest.mark.parametrize("text", [
    "电梯坏了，还有人被困在里面",  # "there are still people trapped": one emergency
    "电梯坏了，还有多久能修好",
    "你好；我想报名包饺子",  # a greeting is not a second request
    "3号楼2单元的；水管漏了",  # an address belongs to the request
    "厨房水管漏了，另外卫生间水管也漏了",  # the same kind of problem said twice
    "我想报名包饺子",
    "the lift and the lights in building 3 are broken",
    "help! my neighbour's flat is flooding and water is pouring through my ceiling",
    "",
])
def test_one_request_has_no_segments(pipeline: NluPipeline, text: str) -> None:
    assert "segments" not in pipeline.parse(text)


def test_an_emergency_in_one_part_makes_the_whole_message_an_emergency(
        pipeline: NluPipeline) -> None:
    # Alone, the sign-up outweighs the two characters of the fire; a group chat reads only
    # the whole message, and must still raise the alarm.
    result = pipeline.parse("着火了！另外我想报名包饺子")
    emergency = result["segments"][0]
    assert (emergency["intent"], emergency["text"]) == ("report_emergency", "着火了")
    assert emergency["confidence"] >= 0.85
    assert {e["value"] for e in emergency["entities"]} >= {"fire"}
    assert result["intent"]["name"] == "report_emergency"
    assert result["intent"]["confidence"] >= 0.85  # alerts at once, as the part alone would
    assert result["intent_ranking"][0]["name"] == "report_emergency"
    assert {e["value"] for e in result["entities"] if e["entity"] == "category"} == {"fire"}


def test_segment_offsets_and_entities_point_into_the_whole_message(
        pipeline: NluPipeline) -> None:
    text = "我想报名包饺子；另外5号楼电梯坏了"
    second = pipeline.parse(text)["segments"][1]
    assert text[second["start"]:second["end"]] == second["text"] == "5号楼电梯坏了"
    building = next(e for e in second["entities"] if e["entity"] == "building")
    assert building["value"] == "5" and text[building["start"]:building["end"]] == "5号楼"
    alone = as_parse(second)  # handled as if sent alone: offsets into its own text
    building = next(e for e in alone["entities"] if e["entity"] == "building")
    assert alone["text"][building["start"]:building["end"]] == "5号楼"
    assert alone["intent"]["name"] == "report_repair"


def test_joining_words_inside_words_or_phrases_do_not_cut() -> None:
    for text in ("brand new lift broken", "还有多久", "plus500 app", "我还有一个问题"):
        assert len(parts(text)) == 1, text


def test_a_long_story_full_of_semicolons_is_not_parsed_part_by_part(
        pipeline: NluPipeline) -> None:
    assert "segments" not in pipeline.parse("；".join(["水管漏了", "想报名包饺子"] * 50))


@pytest.mark.parametrize(("text", "intent"), [
    ("how do I renew my passport? also the bathroom tap won't stop dripping", "report_repair"),
    ("帮我查下明天的高铁票 另外楼道灯又不亮了", "report_repair"),
])
def test_a_request_beside_something_out_of_scope_is_what_the_message_is(
        pipeline: NluPipeline, text: str, intent: str) -> None:
    result = pipeline.parse(text)
    assert result["intent"]["name"] == intent
    assert "segments" not in result  # one request, the rest part of it


@pytest.mark.parametrize(("text", "intent"), [
    ("hello anyone there? the lift is broken", "report_repair"),
    ("hi is anyone there, my neighbour is shouting for help", "report_emergency"),
    ("有人在吗 我要报修", "report_repair"),
    ("在吗？想报名包饺子", "event_signup"),
    ("喂喂 5号楼好大的煤气味", "report_emergency"),
])
def test_a_greeting_that_opens_a_request_is_no_greeting(
        pipeline: NluPipeline, text: str, intent: str) -> None:
    result = pipeline.parse(text)
    assert result["intent"]["name"] == intent
    buildings = [text[e["start"]:e["end"]] for e in result["entities"]
                 if e["entity"] == "building"]
    assert buildings in ([], ["5号楼"])  # offsets into the whole message


@pytest.mark.parametrize("text", ["你好", "hello? anyone there?", "hey how are you", "有人吗",
                                  "hi there, good morning"])
def test_a_greeting_alone_stays_one(pipeline: NluPipeline, text: str) -> None:
    assert pipeline.parse(text)["intent"]["name"] == "greet"
