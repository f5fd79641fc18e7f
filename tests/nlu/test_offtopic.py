"""Requests meant for someone else (a phone's assistant, a language tutor, a companion) or for
nobody are out of scope, while the community requests that share their words keep theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import offtopic
from nlu.intents import OUT_OF_SCOPE
from nlu.pipeline import NluPipeline
from nlu.text import clean
from nlu.trainingdata import load

DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"
HELD_OUT = Path(__file__).resolve().parents[2] / "bench" / "data"


@pytest.mark.parametrize(("said", "kind"), [
    ("把客厅空调调到二十六度", "device"), ("卧室的灯关一下", "device"),
    ("switch the desk lamp off", "device"), ("明早六点半叫醒我", "diary"),
    ("半小时后提醒我关火", "diary"), ("set an alarm for 6", "diary"),
    ("wake me up at 6:30", "diary"),
    ("remind me to call the bank tomorrow", "diary"), ("给我闺女打个电话", "call"),
    ("text my wife that i'm running late", "call"), ("放首邓丽君的歌", "media"),
    ("next song", "media"), ("今天星期几", "clock"), ("导航到最近的加油站", "clock"),
    ("早上好用日语怎么说", "language"), ("how do you say 'lift' in french", "language"),
    ("物业费 英文怎么说", "language"), ("你几岁啦", "companion"),
    ("do you ever get tired", "companion"), ("周末好无聊啊", "companion"),
    ("can't sleep, just talk to me", "companion"),
    ("帮我家孩子投一票 谢谢", "nobody"), ("asdfgh", "nobody"), ("[图片]", "nobody"),
    ("哈哈哈哈", "nobody"), ("。。。", "nobody"), ("不好意思 发错群了", "nobody"),
    ("sorry, that was meant for my sister", "nobody"), ("老公 晚上你去接孩子", "nobody"),
    ("顺丰的快递摔坏了 我要投诉", "company"), ("10086人工怎么转", "company"),
    ("my phone carrier double charged me", "company"), ("附近电影院今晚放啥", "leisure"),
    ("any good escape rooms around", "leisure"), ("高铁票退了钱多久到账", "company"),
    ("驾照到期了去哪换", "company"), ("how do i get my train tickets refunded", "company"),
    ("testing 123", "nobody"), ("手机屏幕摔碎了 哪里修", "company"),
    ("my laptop won't turn on", "company"), ("信用卡被盗刷了怎么办", "company"),
    ("今天有啥大新闻", "news"), ("who won the election", "news"),
    ("孩子咳嗽一个礼拜了 吃什么药好", "health"), ("最近老是失眠 有啥办法", "health"),
    ("i've had a fever since yesterday, what should i take", "health"),
    ("should i see a doctor about this rash", "health"), ("高数作业一道题都不会", "study"),
    ("whats 15% of 2380", "study"), ("37乘以48等于多少", "study"),
    ("any tips for the ielts speaking test", "study"),
    ("我心里的灯灭了 谁来修一修", "companion"), ("my heart is broken can you fix it", "companion"),
    ("power bank won't charge, is it the cable", "company"),
    ("粤语 唔该 同 多谢 有咩分别", "language"), ("can you correct my english", "language"),
    ("my laptop keyboard is broken, half the keys don't work", "company"),
    ("我的车发动机故障灯亮了", "company"), ("腰又坏了，在办公室坐了一整天", "health"),
    ("can you check the status of my dhl parcel", "company"),
    ("格力空调显示E5 打售后一直占线", "company"),
    ("my dyson stopped sucking, is it the filter", "company"),
    ("洗碗机报f3 是不是进水阀的问题", "company"),
    ("不好意思 上面那条是发给我闺女的", "nobody"),
    # the home named only as whose line it is: the operator's to fix
    ("我家wifi连不上", "company"), ("家里宽带断了好几天了", "company"),
    ("有线电视没信号了", "company"), ("my home internet has been out since monday", "company"),
])
def test_requests_for_someone_else_are_named(said: str, kind: str) -> None:
    assert offtopic.kind(said) == kind


@pytest.mark.parametrize("said", [
    "楼道灯开关坏了 按了不亮", "the corridor light won't switch on", "空调外机装哪有规定吗",
    "活动开始前提醒我一下", "remind me about the dumpling event", "让网格员给我打个电话",
    "could someone call my grandpa, he doesn't text", "请用英文回复", "reply in english please",
    "BX-20261201-0003 says pending, what does that mean", "群里天天有人发砍一刀链接 管管",
    "what time does the tai chi group meet", "广场舞音响能不能小点声", "8号楼的灯关一下 一直亮着",
    "什么意思 工单怎么还没处理", "燃气表显示欠压是什么意思",
    "给我登记一下周六的书法班", "hello", "wrong number", "烟雾报警器一直滴滴叫",
    "保安上班时间刷抖音", "能不能搞个剧本杀活动", "what time does movie night start",
    "dad fell and can't get up", "can someone talk to me about my ticket", "你是不是傻",
    "can't sleep, the music upstairs is so loud", "要坐高铁回老家 包饺子去不了了",
    "电动车能推上楼充电吗", "电梯年检是哪天", "pls cancel, my flight got moved",
    "can someone phone me, typing too slow", "the ev charger in the garage is broken",
    "我的手机号换了", "property management never answers the phone", "多谢哂 好快手",
    "what if the gas leaks while i'm asleep, would the detector wake me",
    "社区打流感疫苗要带什么", "有没有心理讲座 最近压力好大", "is there a free blood pressure check",
    "头晕恶心 是不是煤气", "小孩作业辅导班还能报名吗", "is the homework club on this week",
    "我的维修单号BX202612020007 现在啥情况", "不用修了 我老伴修好了",
    "router dead, lights dead, send an electrician",
    "i'll have to skip the cleanup, my back is killing me",
    "could volunteers help carry heavy stuff upstairs for elderly residents in the walk-ups?",
    "电梯屏幕显示E2 停在五楼不动了", "刚才发给物业的报修有回复吗", "刚才那条是发给网格员的",
    "the water meter outside my door shows e1, no water",
    "公共区域的wifi连不上", "楼道里的wifi信号不好", "小区宽带什么时候能通", "家里电视墙裂了",
    "the wifi in the community room is down", "我家网格员是谁",
])
def test_community_requests_with_the_same_words_are_not(said: str) -> None:
    assert offtopic.kind(said, place_given="8号楼" in said) is None


def test_no_in_domain_training_or_test_message_is_taken_for_one() -> None:
    """Thousands of residents' requests, held-out ones too, and none is read as a request for
    someone else."""
    examples = load(DATA).examples + load(DATA / "test").examples + load(HELD_OUT).examples
    inside = [e for e in examples if e.intent != OUT_OF_SCOPE]
    assert len(inside) > 3000
    taken = [e.text for e in inside if offtopic.kind(clean(e.text).text, any(
        s.entity in ("building", "unit", "room") for s in e.spans))]
    assert taken == []


@pytest.mark.parametrize("said", [
    "把阳台的灯打开", "十分钟后喊我起床", "call my mum on speaker", "用韩语说谢谢怎么说",
    "你有没有男朋友", "qwerty", "pause",
])
def test_the_parse_sets_them_aside(pipeline: NluPipeline, said: str) -> None:
    assert pipeline.parse(said)["intent"]["name"] == OUT_OF_SCOPE


def test_an_emergency_is_never_set_aside_for_one() -> None:
    ranking = [("report_emergency", 0.9), ("out_of_scope", 0.05)]
    assert offtopic.guard("救命 把灯关了也没用 烟越来越大", ranking)[0][0] == "report_emergency"
