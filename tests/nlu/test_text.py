from nlu.text import clean, rewrite


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


def test_rewrite_keeps_offsets_into_the_original() -> None:
    raw = "俺家冇水了 咋整"
    cleaned = clean(raw)
    start = cleaned.text.index("咋整")
    rewritten = rewrite(cleaned, [(start, start + 2, "怎么办")])
    assert rewritten.text == "俺家冇水了 怎么办"
    new_start = rewritten.text.index("怎么办")
    assert raw[slice(*rewritten.span(new_start, new_start + 3))] == "咋整"


def test_dropping_a_word_collapses_the_spaces_around_it() -> None:
    cleaned = clean("喂 那个 有人吗")
    start = cleaned.text.index("那个")
    assert rewrite(cleaned, [(start, start + 2, "")]).text == "喂 有人吗"


def test_emoji_skin_tones_and_presentation_selectors_are_dropped() -> None:
    assert clean("👍🏽 ok\ufe0f").text == "👍 ok"
