import pytest

from nlu.numerals import chinese_to_int, to_digits


@pytest.mark.parametrize(("text", "value"), [
    ("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("两百零一", 201),
    ("五零一", 501), ("一二零二", 1202), ("〇", 0), ("12", 12),
])
def test_chinese_numerals(text: str, value: int) -> None:
    assert chinese_to_int(text) == value


@pytest.mark.parametrize("text", ["", "三号", "abc", "12a"])
def test_not_numerals(text: str) -> None:
    assert chinese_to_int(text) is None


def test_to_digits_strips() -> None:
    assert to_digits(" 十五 ") == "15"
