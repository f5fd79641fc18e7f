import pytest

from nlu.hedges import after_hedge, asks_what_to_do, unsure


@pytest.mark.parametrize("text", [
    "不确定", "不知道", "我也说不好", "呃 不太清楚", "不知道 一直滴滴响", "在哪我不清楚",
    "not sure", "idk, no smoke i think", "I'm not sure tbh", "dunno", "um maybe"])
def test_i_do_not_know_is_heard(text: str) -> None:
    assert unsure(text)


@pytest.mark.parametrize("text", [
    "是", "对，很紧急", "yes", "不是", "no", "不知道谁家的狗一直在叫 吵死了",
    "the smoke is getting thicker, I don't know what to do now"])
def test_a_yes_a_no_or_a_whole_report_is_no_hedge(text: str) -> None:
    assert not unsure(text)


@pytest.mark.parametrize("text", ["要不要关总阀", "会不会有危险啊", "电闸在哪", "我该怎么办",
                                  "is that dangerous?", "what should i do", "should I unplug it?"])
def test_questions_of_safety(text: str) -> None:
    assert asks_what_to_do(text)


@pytest.mark.parametrize("text", ["5号楼", "已经灭了", "the fire brigade is here"])
def test_news_is_no_question_of_safety(text: str) -> None:
    assert not asks_what_to_do(text)


def test_what_follows_a_hedge() -> None:
    assert after_hedge("不知道 一直滴滴响") == "一直滴滴响"
    assert after_hedge("idk, no smoke i think") == "no smoke i think"
    assert after_hedge("不确定") == ""
