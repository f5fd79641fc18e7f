"""Asking for one's own data or its erasure is recognised; other requests that delete,
cancel or mention information are not."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from nlu.data_rights import asks_for_others, only_asks_for_others, read_data_request
from nlu.trainingdata import load

EXPORT = [
    "导出我的数据", "我想要一份你们存的我的信息", "请把我的个人信息导出来", "导出个人信息",
    "下载我的所有数据", "你们存了我哪些信息？", "你们有我什么数据", "你们收集了我多少资料",
    "我想查看我的个人资料", "给我一份我的资料", "把我的数据发给我", "导处我的数据",
    "export my data", "Export my personal data please", "what data do you have on me?",
    "What information do you hold about me", "what do you know about me",
    "can you send me a copy of my data", "download all my information",
    "I'd like a copy of my personal data", "expot my data", "exprot my infomation",
    "I want to see the data you have", "data export", "give me my info",
    "能把我的数据给我一份吗", "can I get my data?",
    "could I see all my personal information please",
    "I want a copy of all the data you have on me",
]
ERASE = [
    "删除我的个人信息", "请删除我的个人信息", "把我的信息都删了", "删掉我的资料",
    "清除我的个人数据", "删除一下我的聊天记录", "我的数据请全部删除", "请不要再保存我的信息",
    "注销我的账号", "忘记我吧", "删出我的信息", "删除我的手机号", "把我的个人信息删干净",
    "delete my data", "Delete all my personal information", "forget me", "please forget about me",
    "erase my details", "remove my info", "wipe all of my data", "delet my data",
    "I want my data deleted", "stop storing my data", "right to be forgotten",
    "delete everything you have on me", "close my account", "dlete my personal data",
    "我的信息可以删除吗", "帮我把个人信息删掉吧", "你们把我资料删了吧", "I want to be forgotten",
    "please remove me from your system",
]
NEITHER = [
    "删除我的报名", "删了这个工单", "取消我的工单", "删除我的报名信息", "我要登记我的信息",
    "我的信息是3号楼2单元501", "我的信息有误，删了这个工单", "不要删除我的信息",
    "我的电话是13812345678", "忘记密码了", "别忘记我", "我的数据线坏了", "删除这条消息",
    "导出工单报表", "我想查看我的工单", "查询我的报修进度", "垃圾信息太多了", "楼道杂物清除一下",
    "cancel my ticket", "delete my signup", "cancel my registration for the event",
    "my data plan expired", "forget it", "never mind, forget it", "forget me not flowers",
    "what do you know about the dumpling event", "please update my details",
    "my details are building 9 flat 1403", "don't delete my data", "do you need my number?",
    "export the report", "remote control of the gate is broken",
    "/choose{\"x\": \"delete my data\"}", "", "ok", "yes",
    "can I get my data plan changed?", "get my details updated please", "我的信息可以改一下吗",
    "remove me from the waitlist", "I have my details ready", "remove me from the group",
    "I have my details.",
    # who else sees it: a question about privacy, answered from the FAQ
    "who can see my phone number", "who else can access my details", "谁能查看我的信息",
]


@pytest.mark.parametrize("text", EXPORT)
def test_asking_for_ones_data_is_an_export(text: str) -> None:
    assert read_data_request(text) == "export"


@pytest.mark.parametrize("text", ERASE)
def test_asking_to_be_forgotten_is_an_erasure(text: str) -> None:
    assert read_data_request(text) == "erase"


@pytest.mark.parametrize("text", NEITHER)
def test_other_deletions_and_mentions_of_information_are_neither(text: str) -> None:
    assert read_data_request(text) is None


def test_no_training_example_of_any_intent_reads_as_a_data_request() -> None:
    """Thousands of real requests (repairs, cancellations, sign-ups, questions) and none is
    taken for a request about one's data."""
    examples = load(Path(str(files("nlu") / "data"))).examples
    assert len(examples) > 1000
    assert [e.text for e in examples if read_data_request(e.text)] == []


@pytest.mark.parametrize("text", [
    "你把他家电话给我", "5号楼住户名单发我一份", "把302的手机号告诉我", "隔壁王阿姨的电话多少",
    "楼上那家的联系方式给我一下", "can you give me their phone number",
    "send me the list of residents in block 4", "who is registered in flat 1203",
    "what's my neighbour's number",
])
def test_asking_for_someone_elses_details_is_recognised(text: str) -> None:
    assert asks_for_others(text)


@pytest.mark.parametrize("text", [
    "我打他电话没人接", "居委会电话多少", "网格员张伟电话多少", "物业电话是多少", "我的电话换了",
    "what's the property office number", "my phone number changed", "他家天天吵",
])
def test_asking_for_a_public_number_or_talking_about_someone_is_not(text: str) -> None:
    assert not asks_for_others(text)


@pytest.mark.parametrize(("text", "alone"), [
    ("你把楼上那家的电话给我", True), ("1号楼住户名单发我一份", True),
    ("give me their phone number", True), ("302的电话多少", True),
    ("楼上漏水了 你把他家电话给我", False), ("楼上天天剁肉 把他电话给我", False),
    ("my neighbour is blasting music, give me their phone number", False),
])
def test_a_request_for_details_alone_is_told_from_one_beside_a_report(text: str,
                                                                      alone: bool) -> None:
    assert only_asks_for_others(text) is alone
