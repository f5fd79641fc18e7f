"""Emergencies that are real (issue 11): every danger happening now is found, however it is
phrased, and hazard words in a question, a memory, a supposition, a fear, an all-clear or a
joke raise no alarm. Scored on the held-out sets in bench/data, never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import danger
from nlu.pipeline import NluPipeline
from nlu.text import clean
from nlu.trainingdata import Example, load, load_file

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = REPO / "bench" / "data"
EMERGENCY = "report_emergency"
#: flows/runner.py alerts without asking from this confidence up.
ALERT = 0.85


def held_out(name: str) -> list[Example]:
    return load_file(HELD_OUT / name).examples


def test_every_held_out_emergency_is_found(pipeline: NluPipeline) -> None:
    examples = held_out("emergencies.yml")
    assert len(examples) >= 100 and {e.intent for e in examples} == {EMERGENCY}
    missed = [(e.text, pipeline.parse(e.text)["intent"]["name"]) for e in examples
              if pipeline.parse(e.text)["intent"]["name"] != EMERGENCY]
    assert missed == []


def test_harmless_hazard_words_raise_at_most_one_false_alarm_in_a_hundred(
        pipeline: NluPipeline) -> None:
    examples = held_out("hazard_harmless.yml")
    assert len(examples) >= 300 and EMERGENCY not in {e.intent for e in examples}
    flagged = [e.text for e in examples if pipeline.parse(e.text)["intent"]["name"] == EMERGENCY]
    assert len(flagged) <= len(examples) // 100, flagged


def test_the_held_out_sets_are_not_in_the_training_data() -> None:
    training = {clean(e.text).text for e in load(REPO / "nlu" / "data").examples}
    copied = [e.text for name in ("emergencies.yml", "hazard_harmless.yml")
              for e in held_out(name) if clean(e.text).text in training]
    assert copied == []


@pytest.mark.parametrize("text", ["着火了怎么办", "煤气报警器谁装", "万一漏气了怎么办",
                                  "what do i do if there's a fire", "著火了怎麼辦",
                                  "电梯困人了咋整"])
def test_a_safety_question_is_a_question(pipeline: NluPipeline, text: str) -> None:
    assert pipeline.parse(text)["intent"]["name"] == "ask_faq"


@pytest.mark.parametrize("text", [
    "上个月那次煤气泄漏", "if there was ever a fire", "气得我要爆炸了", "this deal is fire",
    "我快被热死了", "好怕着火", "没有煤气味了", "no smoke now, false alarm",
    "救命 这鬼天气热得要命", "燃气灶打不着火 是不是欠费没气了", "the stove won't light"])
def test_hazard_words_not_about_danger_now_are_no_emergency(pipeline: NluPipeline,
                                                            text: str) -> None:
    assert pipeline.parse(text)["intent"]["name"] != EMERGENCY


@pytest.mark.parametrize("text", [
    "煤气味好大怎么办 快来人", "我家厨房着火了怎么办 火越来越大", "电梯里困人了",
    "对门老太太好几天没出门了 敲门也不应", "配电箱被水泡了在冒火花",
    "my neighbour hasn't been seen for days and isn't answering the door",
    "someone collapsed in the lobby", "there's smoke coming out of the bin room",
    "煤氣味好大 快來人", "电梯卡住了 我在里面出不来 咋整"])
def test_danger_now_is_an_emergency_even_with_a_question_in_it(pipeline: NluPipeline,
                                                               text: str) -> None:
    assert pipeline.parse(text)["intent"]["name"] == EMERGENCY


@pytest.mark.parametrize("text", ["3号楼电梯坏了，困在里面出不来", "3号楼电梯坏了我困在里面",
                                  "8栋电梯停了 我们卡在中间了"])
def test_trapped_in_a_broken_lift_said_in_two_clauses_alerts_at_once(pipeline: NluPipeline,
                                                                     text: str) -> None:
    """Whoever writes "困在里面" after "电梯坏了" is the one inside: no question first."""
    intent = pipeline.parse(text)["intent"]
    assert intent["name"] == EMERGENCY and intent["confidence"] >= ALERT


@pytest.mark.parametrize("text", ["3号楼电梯坏了,困在里面出不来", "8栋电梯停了 我们卡在中间了",
                                  "lift stopped between floors, we're stuck inside"])
def test_someone_in_a_stopped_lift_alerts_whichever_reading_came_first(text: str) -> None:
    """The classifier may read it half a repair; the words say someone is inside now."""
    hesitant = [("report_repair", 0.51), (EMERGENCY, 0.48), ("ask_faq", 0.01)]
    lifted = danger.guard(clean(text).text, hesitant, place_given=True)
    assert lifted[0][0] == EMERGENCY and lifted[0][1] >= ALERT


@pytest.mark.parametrize("text", ["电梯坏了好几天了 怕困在里面", "电梯门打不开 车子开不出来",
                                  "3号楼电梯坏了 快递送不上来"])
def test_a_broken_lift_no_one_is_inside_is_no_emergency(pipeline: NluPipeline,
                                                        text: str) -> None:
    assert pipeline.parse(text)["intent"]["name"] != EMERGENCY


# --- the guard on its own, on rankings as the classifier gives them --------------------------

SURE_EMERGENCY = [(EMERGENCY, 0.97), ("ask_faq", 0.02), ("out_of_scope", 0.01)]


@pytest.mark.parametrize("text", ["上个月那次煤气泄漏", "万一着火了", "好怕着火", "没有煤气味了",
                                  "气得我要爆炸了", "着火了怎么办", "last month's gas leak",
                                  "false alarm, it was toast", "i'm scared of fires",
                                  "老人摔倒了能不能扶", "没人困在里面", "电梯里没人被关着",
                                  "碎玻璃还在地上 小孩容易扎到",
                                  "the handrail is loose, someone could fall",
                                  "im trapped in the most boring meeting send help lol",
                                  "this bug in my code is killing me", "电梯困人演练几点开始呀",
                                  "what time is the fire drill", "股市又崩了 我血压都上来了",
                                  "考试考砸了，感觉天都塌了",
                                  "有小孩在玩消防栓，被我拦下来了，没出事",
                                  "我没被困住，就是门锁有点涩",
                                  "my heart exploded when she said it",
                                  "my team's project is on fire, in a good way",
                                  "i'm trapped in a meeting that won't end, send help",
                                  "救命，这个表格也太难填了（开玩笑的）",
                                  "刚看了个纪录片讲高层火灾 原来着火了不能坐电梯",
                                  "炒辣椒呛得满屋烟 开了窗已经散完了",
                                  "不好意思 刚才说的烟味是我弄错了 是楼下烧烤",
                                  "she burned her hand a little on the pan, she's perfectly "
                                  "fine now",
                                  "that curry was a fireworks in my mouth situation",
                                  "卡在那个鬼会议里出不来 救命"])
def test_a_message_about_no_danger_now_loses_the_emergency_reading(text: str) -> None:
    ranking = danger.guard(clean(text).text, SURE_EMERGENCY)
    assert ranking[0][0] == "ask_faq"
    assert ranking[0][1] == pytest.approx(0.99 * 2 / 3)  # the odds among the others are kept
    assert (EMERGENCY, danger._DEMOTED) in ranking


@pytest.mark.parametrize("text", ["着火了怎么办 快来人", "煤气味好大 怎么办",
                                  "上次修的管子又漏了 还在喷", "smoke everywhere what do i do",
                                  "my kitchen is burning what should i do", "我爸突然倒了 怎么办",
                                  "grandma fell and cant get up what do i do",
                                  "煤气还在漏 容易爆炸", "停电了 我妈在用呼吸机 马上要没电了",
                                  "power's out and dad is on a ventilator, battery is dying",
                                  "厨房烟太大了散不出去 老人一直咳",
                                  "开窗了烟还是散不掉 柜子里还在冒烟"])
def test_a_danger_going_on_keeps_the_emergency_reading(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


@pytest.mark.parametrize("text", ["电梯突然停了人在里面该按哪个键",
                                  "what should you do if the lift suddenly stops"])
def test_how_to_act_if_something_suddenly_happens_is_a_question(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY)[0][0] == "ask_faq"


@pytest.mark.parametrize("text", ["the elevtor is stuck on floor 5", "电梯卡在5楼 里面没人",
                                  "lift stuck at level 2, nobody in it",
                                  "lift in block 3 stuck between floors no one inside, not moving",
                                  "电梯卡在两层中间一直不动了 里面没人"])
def test_a_lift_stuck_at_a_floor_with_no_one_inside_is_no_emergency(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY)[0][0] != EMERGENCY


@pytest.mark.parametrize("text", ["the lift is stuck on the 3rd floor and my son is in it",
                                  "电梯卡在5楼了 我在里面出不来", "elevator stuck on floor 12 help",
                                  "电梯突然停了我在里面怎么办", "电梯卡住了 没人管 我在里面"])
def test_someone_in_a_stuck_lift_keeps_the_emergency_reading(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


def test_the_known_lift_misses_parse_as_a_question_and_a_repair(pipeline: NluPipeline) -> None:
    assert pipeline.parse("电梯突然停了人在里面该按哪个键")["intent"]["name"] == "ask_faq"
    assert pipeline.parse("the elevtor is stuck on floor 5")["intent"]["name"] == "report_repair"


def test_a_place_in_a_question_keeps_the_emergency_reading() -> None:
    assert danger.guard("着火了怎么办", SURE_EMERGENCY, place_given=True) == SURE_EMERGENCY
    # but not in a memory: the place says where it happened, not that it is happening
    assert danger.guard("去年3号楼着火了", SURE_EMERGENCY, place_given=True)[0][0] == "ask_faq"


def test_a_plainly_stated_danger_is_lifted_but_asked_about_first() -> None:
    hesitant = [("report_repair", 0.84), ("ask_faq", 0.07), ("ticket_status", 0.04),
                (EMERGENCY, 0.02)]
    lifted = danger.guard("stuck in the lift, pressed the alarm forever, nobody comes", hesitant)
    assert lifted[0] == (EMERGENCY, 0.84)  # below 0.85: the resident is asked first
    assert ("report_repair", 0.02) in lifted
    # a very unsure reading is lifted far enough not to be dropped as out of scope
    unsure = [("event_signup", 0.29), (EMERGENCY, 0.24), ("file_complaint", 0.13),
              ("goodbye", 0.12), ("greet", 0.1), ("out_of_scope", 0.07), ("report_repair", 0.05)]
    lifted = danger.guard("whole family has headaches and nausea, gas heater was on all night",
                          unsure)
    assert lifted[0] == (EMERGENCY, 0.5)
    assert [name for name, _ in lifted[1:]] == ["event_signup", "file_complaint", "goodbye",
                                                "greet", "out_of_scope", "report_repair"]
    assert sum(p for _, p in lifted) == pytest.approx(1.0)
    # the same words asked about, or a ranking without the emergency near the top: unchanged
    assert danger.guard("what if i get stuck in the lift", hesitant) == hesitant
    far = [("report_repair", 0.9), ("a", 0.04), ("b", 0.03), ("c", 0.01), ("d", 0.01),
           (EMERGENCY, 0.01)]
    assert danger.guard("stuck in the lift", far) == far


@pytest.mark.parametrize("text", ["楼下一直在吵", "隔壁还在放音乐 吵死了 都一点了",
                                  "the neighbours are still shouting", "楼上一直在闹 越来越吵",
                                  "dog next door is still barking, getting louder"])
def test_noise_going_on_is_a_complaint_not_an_emergency(text: str) -> None:
    ranking = danger.guard(clean(text).text, [*SURE_EMERGENCY, ("file_complaint", 0.005)])
    assert ranking[0] == ("file_complaint", 0.97)
    assert (EMERGENCY, 0.005) in ranking


@pytest.mark.parametrize("text", ["楼下一直在吵 好像有人喊救命", "隔壁吵得厉害 还在砸东西",
                                  "next door still shouting and now she's screaming for help",
                                  "guy downstairs yelling he'll stab someone"])
def test_noise_with_violence_or_a_cry_for_help_stays_an_emergency(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


def test_ongoing_noise_never_reaches_the_emergency_intent(pipeline: NluPipeline) -> None:
    for text in ("楼下一直在吵", "楼上一直在吵 吵了一晚上", "the neighbours are still shouting"):
        assert pipeline.parse(text)["intent"]["name"] == "file_complaint", text


def test_a_danger_going_on_in_words_the_classifier_never_met_is_not_set_aside() -> None:
    unsure = [("out_of_scope", 0.55), (EMERGENCY, 0.44), ("event_cancel", 0.01)]
    lifted = danger.guard(clean("我外婆突然抽搐 叫不醒").text, unsure)
    assert lifted[0] == (EMERGENCY, 0.55)  # asked about before anyone is alerted
    # a question or a faint emergency reading is not lifted
    assert danger.guard(clean("抽搐了怎么办").text, unsure) == unsure
    faint = [("out_of_scope", 0.85), (EMERGENCY, 0.1), ("greet", 0.05)]
    assert danger.guard(clean("我还在加班").text, faint) == faint


HESITANT = [("file_complaint", 0.35), ("ask_faq", 0.2), (EMERGENCY, 0.15),
            ("report_repair", 0.1), ("out_of_scope", 0.1), ("greet", 0.1)]


@pytest.mark.parametrize("text", [
    "家中老人独居，近两天电话一直无人接听，担心出事，请社区上门查看。",
    "我妈一个人住 从昨天到现在手机一直关机",
    "My grandma lives alone and nobody has been able to reach her since yesterday",
    "the old man next door hasn't answered his door for two days, I'm worried"])
def test_someone_alone_not_heard_from_for_days_is_an_emergency_asked_about_first(
        text: str) -> None:
    assert danger.guard(clean(text).text, HESITANT)[0] == (EMERGENCY, 0.5)
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY  # worry or not


@pytest.mark.parametrize("text", [
    "如果独居老人几天联系不上 该找谁", "上个月我妈两天没接电话 吓死我了",
    "我爸电话打不通好几天了 后来找到了 没事了", "物业电话打了两天都没人接",
    "my landlord hasn't replied for days", "联系不上快递员 两天了"])
def test_no_answer_in_a_supposition_a_memory_or_from_a_business_is_no_emergency(
        text: str) -> None:
    assert danger.guard(clean(text).text, HESITANT) == HESITANT


@pytest.mark.parametrize("text", [
    "某地一居民楼发生火灾 所幸无人员伤亡", "网传隔壁区化工厂爆炸了",
    "Local man pulls dog from burning flat", "breaking: gas explosion at a restaurant in chengdu",
    "firefighters battle blaze at riverside warehouse"])
def test_a_news_item_pasted_into_a_group_is_no_emergency(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY)[0][0] != EMERGENCY


@pytest.mark.parametrize("text", ["记者都来了 火还在烧 快来人",
                                  "firefighters are here but it's still burning, help!"])
def test_a_danger_still_going_on_stays_an_emergency_whoever_is_there(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


@pytest.mark.parametrize("text", [
    "the novel im reading has a guy trapped in a burning lift, so tense",
    "小说里女主被困在火场里了 太虐了", "in the game my whole base blew up lol",
    "电视剧里那个主角煤气中毒了 哭死"])
def test_a_danger_in_a_story_is_no_emergency(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY)[0][0] != EMERGENCY


@pytest.mark.parametrize("text", ["刚才在看电影 突然闻到一股煤气味",
                                  "i was watching a movie and now there's smoke in the hall"])
def test_what_the_resident_was_doing_does_not_make_a_danger_a_story(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


@pytest.mark.parametrize("text", ["厨房着火了 还好没人受伤", "bike shed on fire, nobody hurt",
                                  "楼道里煤气味很重 人都没事",
                                  "lift stuck, nobody inside, but there's smoke coming out of it"])
def test_no_one_hurt_does_not_put_out_a_fire(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


@pytest.mark.parametrize("text", ["电梯卡了一下 没人被困", "he slipped on the stairs, nobody hurt"])
def test_no_one_hurt_or_stuck_clears_a_danger_to_people(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY)[0][0] != EMERGENCY


@pytest.mark.parametrize("text", ["2号楼大门口有个大坑", "the road by the gate has a huge hole",
                                  "窗户玻璃碎了", "8"])
def test_an_emergency_reading_with_no_sign_of_danger_is_asked_about_first(text: str) -> None:
    ranking = danger.guard(clean(text).text, SURE_EMERGENCY)
    assert ranking[0][0] == EMERGENCY and ranking[0][1] < ALERT


@pytest.mark.parametrize("text", ["有人晕倒了", "楼道里全是烟", "my mum has stopped breathing",
                                  "she's in labour, contractions 3 mins apart"])
def test_an_emergency_reading_with_a_sign_of_danger_keeps_its_confidence(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY) == SURE_EMERGENCY


REPAIR_FIRST = [("report_repair", 0.6), (EMERGENCY, 0.3), ("ask_faq", 0.1)]


@pytest.mark.parametrize("text", [
    "电梯停在7楼不动了 里面有个孕妇 按铃没人应",  # "没人应": nobody answers, not nobody inside
    "lift jammed on the way up with me and my dad inside, the alarm does nothing",
    "我家宝宝把一颗磁力珠吞下去了 咋办",  # "what do I do" with a danger of one's own
    "strong gas smell in my kitchen, what should i do"])
def test_a_danger_of_ones_own_is_lifted_even_with_what_do_i_do(text: str) -> None:
    assert danger.guard(clean(text).text, REPAIR_FIRST)[0][0] == EMERGENCY


@pytest.mark.parametrize("text", [
    "被困在电梯里怎么办",  # the same words as a general question stay one
    "heard a rumour someone got trapped in the lift yesterday",
    "that loose railing is an accident waiting to happen"])
def test_a_general_question_a_rumour_or_a_risk_is_not_lifted(text: str) -> None:
    assert danger.guard(clean(text).text, REPAIR_FIRST)[0][0] != EMERGENCY


@pytest.mark.parametrize(("text", "unwell"), [
    ("我和老伴都头晕恶心", True), ("she fainted in the lift", True), ("燃气表那边有嘶嘶声", False),
    ("上个月我晕倒过一次", False), ("the smoke alarm keeps beeping", False)])
def test_someone_unwell_now(text: str, unwell: bool) -> None:
    assert danger.someone_unwell(clean(text).text) is unwell


@pytest.mark.parametrize("text", ["燃气灶点不着 厨房一股煤气味", "the stove won't light and i "
                                  "can smell gas in the kitchen"])
def test_a_smell_of_gas_beside_a_repair_is_asked_about_as_an_emergency(text: str) -> None:
    ranking = danger.guard(clean(text).text, [("report_repair", 0.72), (EMERGENCY, 0.27),
                                              ("ask_faq", 0.01)])
    assert ranking[0] == (EMERGENCY, 0.72)  # first, and below the alert threshold: asked


@pytest.mark.parametrize(("text", "away"), [
    ("my mum's flat in another district smells strongly of gas", True),
    ("我妈住别的区 她家厨房冒烟了", True),
    ("隔壁小区着火了 好大的烟", True),
    ("地铁站着火了 好多烟", True),
    ("a factory in the industrial zone releases black smoke every night", True),
    ("a man collapsed at the bus stop outside our gate", False),
    ("某区一小区发生火灾 所幸无人员伤亡", False),  # a headline: nothing to call about
    ("我家厨房冒烟了", False),
    ("another district had a fire last year", False),
    ("火车站那边着火了 好多烟", True),
    # a train, a hotpot, a temper: words that only look like fire
    ("市政府能不能在火车站多加几班公交", False),
    ("火车站人太多了", False),
    ("朋友家楼下那家火锅店排队排到马路上", False),
])
def test_a_danger_at_another_place_is_told_apart(text: str, away: bool) -> None:
    assert danger.away_now(clean(text).text) is away


def test_a_break_in_going_on_is_stated_danger_now() -> None:
    ranking = danger.guard(clean("有陌生人正在撬我们楼的单元门，现在还在").text,
                           [(EMERGENCY, 0.8), ("file_complaint", 0.15), ("ask_faq", 0.05)])
    assert ranking[0] == (EMERGENCY, 0.9)  # an alert, not a question first


@pytest.mark.parametrize("text", ["我们楼天台边上坐着一个人，看着像要跳",
                                  "有人站在楼顶边上好像要跳"])
def test_someone_about_to_jump_is_stated_danger_now(text: str) -> None:
    ranking = danger.guard(clean(text).text,
                           [(EMERGENCY, 0.63), ("file_complaint", 0.3), ("ask_faq", 0.07)])
    assert ranking[0] == (EMERGENCY, 0.9)


@pytest.mark.parametrize("text", ["隔壁有人喊救命 我过去看了 是电视的声音 没事",
                                  "楼上一直喊救命 物业上去核实过了没事 是孩子闹着玩"])
def test_a_cry_for_help_found_harmless_is_asked_about_not_alerted_on(text: str) -> None:
    ranking = danger.guard(clean(text).text, SURE_EMERGENCY)
    assert ranking[0][0] == EMERGENCY and ranking[0][1] < 0.85


@pytest.mark.parametrize("text", ["火灭了 但是柜子里还在冒烟 快来人",
                                  "人出来了 可是我爸还在里面 快来",
                                  "smoke is gone but now i smell gas, help"])
def test_an_all_clear_followed_by_but_keeps_the_alert(text: str) -> None:
    assert danger.guard(clean(text).text, SURE_EMERGENCY)[0] == SURE_EMERGENCY[0]
