from nlu.text import clean


def test_folds_width_and_case_and_keeps_offsets() -> None:
    raw = "３栋\u200bＬift  坏了"
    cleaned = clean(raw)
    assert cleaned.text == "3栋lift 坏了"
    start = cleaned.text.index("lift")
    assert raw[slice(*cleaned.span(start, start + 4))] == "Ｌift"


def test_control_and_invisible_characters_are_dropped() -> None:
    assert clean("\x00\x07hi\u202e\ufeff\tthere\r\n").text == "hi there"


def test_whitespace_only_is_empty() -> None:
    assert clean(" \n\t\u3000 ").text == ""


def test_limit_truncates_clean_text() -> None:
    assert len(clean("啊" * 10_000, limit=1000).text) == 1000
