"""The trained pipeline, as a resident's messages meet it."""

from __future__ import annotations

from typing import Any

import pytest

from nlu.intents import INTENTS
from nlu.pipeline import NluPipeline


def entity_values(result: dict[str, Any]) -> dict[str, str]:
    return {e["entity"]: e["value"] for e in result["entities"]}


# (what a resident says, intent, entities that must be among those found)
CONVERSATION = [
    ("3栋电梯又坏了", "report_repair", {"building": "3", "category": "elevator"}),
    ("楼上天天半夜蹦迪", "file_complaint", {"category": "noise"}),
    ("no power in my flat since this morning", "report_repair", {"category": "electricity"}),
    ("12号楼1单元302卫生间下水道堵了", "report_repair",
     {"building": "12", "unit": "1", "room": "302", "category": "drainage"}),
    ("着火了 快来人 5栋", "report_emergency", {"building": "5", "category": "fire"}),
    ("算我一个", "event_signup", {"count": "1"}),
    ("hi", "greet", {}),
    ("你好", "greet", {}),
    ("谢谢啊", "thank", {}),
    ("3-2-501", "register_household", {"building": "3", "unit": "2", "room": "501"}),
    ("BX-20261121-0042 怎么样了", "ticket_status", {"ticket_id": "BX-20261121-0042"}),
    ("转人工", "request_human", {}),
    ("English please", "set_language", {}),
    ("帮我订一张去三亚的机票", "out_of_scope", {}),
]


@pytest.mark.parametrize(("said", "intent", "entities"), CONVERSATION)
def test_understands(pipeline: NluPipeline, said: str, intent: str,
                     entities: dict[str, str]) -> None:
    result = pipeline.parse(said)
    assert result["intent"]["name"] == intent
    assert entities.items() <= entity_values(result).items()


def test_result_has_rasa_parse_shape(pipeline: NluPipeline) -> None:
    result = pipeline.parse("3栋电梯坏了")
    assert set(result) == {"text", "language", "intent", "entities", "intent_ranking"}
    assert result["text"] == "3栋电梯坏了" and result["language"] == "zh"
    ranking = result["intent_ranking"]
    assert ranking[0] == result["intent"]
    assert {r["name"] for r in ranking} <= set(INTENTS) and len(ranking) == 10
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True) and 0 < sum(confidences) <= 1.0001
    building = next(e for e in result["entities"] if e["entity"] == "building")
    assert building == {"entity": "building", "start": 0, "end": 2, "value": "3",
                        "extractor": "LocationExtractor"}
    category = next(e for e in result["entities"] if e["entity"] == "category")
    assert category["value"] == "elevator" and set(category) == {
        "entity", "value", "confidence_entity", "extractor"}


def test_span_offsets_point_into_the_original_text(pipeline: NluPipeline) -> None:
    said = "ＨＥＬＬＯ\u200b 我住十二号楼\u200d一单元六零二"
    spans = {e["entity"]: said[e["start"]:e["end"]] for e in pipeline.parse(said)["entities"]
             if "start" in e}
    assert spans == {"building": "十二号楼", "unit": "一单元", "room": "六零二"}


def test_category_only_for_reports(pipeline: NluPipeline) -> None:
    assert "category" not in entity_values(pipeline.parse("你好"))
    assert "category" in entity_values(pipeline.parse("卡在里面出不来了 救命"))


@pytest.mark.parametrize("said", [
    "Bonjour, l'ascenseur est en panne depuis hier",
    "엘리베이터가 고장났어요 빨리 와주세요",
    "ئۆيدە سۇ يوق، ياردەم قىلىڭ",
    "Лифт не работает уже два дня",
])
def test_unsupported_languages_are_not_forced_into_an_intent(pipeline: NluPipeline,
                                                             said: str) -> None:
    result = pipeline.parse(said)
    assert result["language"] not in ("zh", "en")
    assert result["intent"]["name"] == "out_of_scope"
    assert all(r["confidence"] < 0.5 for r in result["intent_ranking"]
               if r["name"] != "out_of_scope")


@pytest.mark.parametrize("said", [
    "", "   \n\t ", "啊" * 10_000, "lift " * 2_000, "😀😀😀", "\x00\x01\x02\x7f", "\u200b\u200b",
    "<script>alert(1)</script> 3栋停水", "**bold** [link](http://x) `code`", "\ud800 lone",
    "🏠3栋🔥🔥", "ｆｕｌｌ ｗｉｄｔｈ", "\u202eRTL override",
])
def test_bad_input_gets_a_sensible_parse(pipeline: NluPipeline, said: str) -> None:
    result = pipeline.parse(said)
    assert result["text"] == said
    assert result["intent"]["name"] in INTENTS
    assert 0.0 <= result["intent"]["confidence"] <= 1.0


@pytest.mark.parametrize("said", ["<img src=x onerror=\"document.title='pwned'\"> 3栋停水",
                                  "<a href='http://example.com/x?y=1'>链接</a> 5号楼电梯坏了",
                                  "<div class=\"msg\">the lift in block 3 is broken</div>"])
def test_markup_beside_a_request_does_not_hide_it(pipeline: NluPipeline, said: str) -> None:
    result = pipeline.parse(said)
    assert result["intent"]["name"] == "report_repair"
    building = next(e for e in result["entities"] if e["entity"] == "building")
    assert said[building["start"]:building["end"]] in ("3栋", "5号楼", "block 3")


def test_empty_text_is_out_of_scope(pipeline: NluPipeline) -> None:
    assert pipeline.parse("  ")["intent"] == {"name": "out_of_scope", "confidence": 1.0}


def test_long_text_is_truncated_not_rejected(pipeline: NluPipeline) -> None:
    said = "3栋电梯坏了，" + "真的很着急" * 3000
    result = pipeline.parse(said)
    assert result["text"] == said
    assert entity_values(result)["building"] == "3"
