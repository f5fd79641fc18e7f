"""Phone and ID numbers are masked for other readers; nothing else a message says is touched."""

from __future__ import annotations

import pytest

from store.masking import mask_sensitive, mask_values


@pytest.mark.parametrize(("said", "shown"), [
    ("13812345678", "138****5678"),
    ("我的电话13812345678，随时打", "我的电话138****5678，随时打"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("call me on 19912345678 please", "call me on 199****5678 please"),
    ("15012345678/18698765432", "150****5678/186****5432"),
    ("010-12345678", "010-****5678"),
    ("0755 8888 9999", "0755 ****9999"),
    ("(021)62345678", "(021)****5678"),
    ("座机：（010）6234 5678", "座机：（010）****5678"),
    ("电话 8888 1234", "电话 ****1234"),
    ("phone: 62345678", "phone: ****5678"),
    ("身份证110101199003071234", "身份证1101**********1234"),
    ("ID 11010119900307123X", "ID 1101**********123X"),
    ("id 44030420011231002x ok", "id 4403**********002x ok"),
])
def test_a_number_is_masked_down_to_its_last_digits(said: str, shown: str) -> None:
    assert mask_sensitive(said) == shown


@pytest.mark.parametrize("said", [
    "BX-20261203-0001 还没人来", "工单TS-20261207-0042怎么样了", "2026-12-03 10:00",
    "2026年12月3日", "3-2-501漏水", "3号楼2单元501室", "我们一共3人", "报名12个人",
    "水费128.50元", "12345", "20261203", "门禁密码 123456", "flat 1403, block 9",
    "invoice 1381234567890123", "订单号 138123456789", "10:30-11:45", "邮编100101",
    "", "没有数字", "138****5678",
])
def test_what_is_not_a_phone_or_id_number_stays(said: str) -> None:
    assert mask_sensitive(said) == said


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_sensitive("王阿姨 13812345678，身份证110101199003071234，座机010-62345678")
    assert mask_sensitive(once) == once
    assert "5678" in once and "12345678" not in once and "19900307" not in once


def test_response_values_are_masked_text_by_text() -> None:
    values = {"ticket": "BX-20261207-0001", "phone": "13912340001", "count": 3,
              "report": "漏水了，打13812345678", "reporter": "王阿姨", "grid_member": None}
    assert mask_values(values) == {
        "ticket": "BX-20261207-0001", "phone": "139****0001", "count": 3,
        "report": "漏水了，打138****5678", "reporter": "王阿姨", "grid_member": None}
