"""Messages as residents really type them read the same as tidy ones (issue 11)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from nlu.normalise import Normaliser, Speller, build_normaliser, simplified
from nlu.pipeline import NluPipeline
from nlu.text import clean


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return build_normaliser()


def entities(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(entity, value, the words of the original message it spans)."""
    return sorted((e["entity"], e["value"], result["text"][e["start"]:e["end"]])
                  for e in result["entities"] if "start" in e)


@pytest.mark.parametrize(("written", "read"), [
    ("３號樓電梯壞了", "3号楼电梯坏了"),
    ("俺家冇水了 咋整", "我家没水了 怎么办"),
    ("屋头冇电了 晓得是啥子原因不", "家里没电了 知道是什么原因不"),
    ("喂那个就是我们三号楼那个电梯呃又不动了", "喂我们三号楼电梯又不动了"),
    ("电梯又broken了", "电梯又坏了"),
    ("lift又stuck了 3栋", "电梯又卡住了 3栋"),
    ("电体坏了", "电梯坏了"),
    ("厨房露水了", "厨房漏水了"),
    ("lfit not working", "lift not working"),
    ("嗰度有个伯伯晕咗喺𨋢门口 唔郁啊 快啲嚟", "那里有个伯伯晕了在电梯门口 不动啊 快点来"),
    ("屋企陣煤氣味好勁 我阿媽企唔穩", "家里阵煤气味好劲 我阿妈站不稳"),
    ("no watter in my apartmnet", "no water in my apartment"),
])
def test_reads_how_residents_type(normaliser: Normaliser, written: str, read: str) -> None:
    assert normaliser(clean(written)).text == read


@pytest.mark.parametrize("text", [
    "嗯嗯",  # a message of fillers is the answer itself
    "就是就是",
    "the 电梯 in block 5 is broken again",  # English with a Chinese word stays English
    "联系电话",  # 系 in an ordinary word is not Cantonese 是
    "额外的停车位",  # 额 in an ordinary word is not a filler
])
def test_leaves_alone_what_it_should(normaliser: Normaliser, text: str) -> None:
    assert normaliser(clean(text)).text in (text, text.replace("就是就是", "就是"))


def test_speller_reads_one_slip_from_a_known_word_and_nothing_else() -> None:
    speller = Speller({"lift": 50, "broken": 30, "broke": 30, "garbage": 10, "garage": 20,
                       "unit": 90, "water": 40})
    assert speller.correct("lfit") == "lift"
    assert speller.correct("brokn") == "broken"
    assert speller.correct("watter") == "water"
    assert speller.correct("garbge") == "garbage"  # a dropped letter, not a changed one
    assert speller.correct("brake") == "brake"  # a real word one changed letter from broke
    assert speller.correct("nite") == "nite"  # two slips from unit, and another first letter
    assert speller.correct("broken") == "broken"
    assert speller.correct("cat") == "cat"


def test_traditional_message_parses_like_simplified(pipeline: NluPipeline) -> None:
    traditional = pipeline.parse("３號樓２單元電梯又壞了")
    simplified = pipeline.parse("3号楼2单元电梯又坏了")
    assert traditional["intent"]["name"] == simplified["intent"]["name"] == "report_repair"
    assert entities(traditional) == [("building", "3", "３號樓"), ("unit", "2", "２單元")]
    assert {e["value"] for e in traditional["entities"] if e["entity"] == "category"} == {
        "elevator"}


def test_full_width_building_number(pipeline: NluPipeline) -> None:
    assert ("building", "2", "２号楼") in entities(pipeline.parse("２号楼停水了"))


@pytest.mark.parametrize(("tidy", "spoken"), [
    ("我家停水了", "呃那个就是我家停水了然后呢也不知道咋回事"),
    ("我报的修怎么样了", "嗯那个就是我报的那个修怎么样了"),
    ("电梯坏了", "um 那个电梯呃坏了"),
])
def test_fillers_do_not_change_the_intent(pipeline: NluPipeline, tidy: str,
                                           spoken: str) -> None:
    assert pipeline.parse(spoken)["intent"]["name"] == pipeline.parse(tidy)["intent"]["name"]


@pytest.mark.parametrize(("said", "intent"), [
    ("俺家冇水了 咋整", "report_repair"),
    ("电梯又broken了", "report_repair"),
    ("唔该晒", "thank"),
    ("樓下有個伯伯跌親 起唔到身 叫極都唔醒", "report_emergency"),
    ("elevator isnt wroking", "report_repair"),
])
def test_dialect_mixed_and_typos_are_understood(pipeline: NluPipeline, said: str,
                                                intent: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == intent


@pytest.mark.parametrize("emoji", ["🔥", "🔥🔥🔥", "💧", "⚡", "🐶"])
def test_a_thing_emoji_alone_raises_no_alarm_and_answers_nothing(pipeline: NluPipeline,
                                                                  emoji: str) -> None:
    assert pipeline.parse(emoji)["intent"]["name"] not in ("report_emergency", "affirm", "deny")


def test_a_thumbs_up_still_says_yes(pipeline: NluPipeline) -> None:
    assert pipeline.parse("👍")["intent"]["name"] == "affirm"


def test_event_words_outside_event_talk_are_not_events(pipeline: NluPipeline) -> None:
    said = pipeline.parse("广场舞音响开那么大 孩子作业都写不了")
    assert said["intent"]["name"] == "file_complaint"
    assert not [e for e in said["entities"] if e["entity"] in ("event", "count")]


def test_another_language_is_not_read_as_english_typos(normaliser: Normaliser) -> None:
    french = "mes voisins font trop de bruit la nuit"
    assert normaliser(clean(french)).text == french


@pytest.mark.parametrize(("written", "read"), [
    ("燃氣灶打不著火了", "燃气灶打不着火了"),
    ("在么", "在么"),  # 么 stays 么: it is not 幺 in a chat
    ("饿了么红包", "饿了么红包"),
])
def test_traditional_conversion_keeps_mainland_text(normaliser: Normaliser, written: str,
                                                    read: str) -> None:
    assert normaliser(clean(written)).text == read


def test_every_normalised_character_points_into_the_original_in_order(
        normaliser: Normaliser) -> None:
    rng = random.Random(11)
    alphabet = list("那个就是呃嗯咋整俺冇唔该系啊 电梯broken lift 著火"
                    "💧⚡🔥👍🏽\u200b３號樓ａ,。!?")
    for _ in range(2000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        cleaned = normaliser(clean(raw))
        assert len(cleaned.offsets) == len(cleaned.text)
        assert list(cleaned.offsets) == sorted(cleaned.offsets)
        assert all(0 <= offset < len(raw) for offset in cleaned.offsets)


def test_faq_search_reads_traditional_characters_as_the_nlu_does() -> None:
    from actions.faq_index import FaqIndex

    index = FaqIndex.load(Path(__file__).resolve().parents[2] / "config" / "faq.yml")
    asked = index.best("垃圾分类几点投放")
    assert asked is not None
    again = index.best("垃圾分類幾點投放")
    assert again is not None and again[0] == asked[0]
    assert simplified("垃圾分類幾點投放") == "垃圾分类几点投放"
