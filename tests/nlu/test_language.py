import pytest

from nlu.language import LanguageDetector
from nlu.text import clean


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(("text", "language"), [
    # one-word and short messages never flip language
    ("hi", "en"), ("ok", "en"), ("no", "en"), ("help", "en"), ("thx", "en"), ("Hola", "en"),
    ("好", "zh"), ("嗯", "zh"), ("在吗", "zh"), ("3栋", "zh"),
    # mixed scripts: Chinese with English words is Chinese; an English sentence with one
    # Chinese word is English
    ("3栋的lift又坏了", "zh"), ("物业 service 太差", "zh"), ("thx 辛苦啦", "zh"),
    ("我的wifi password忘了 怎么reset", "zh"),
    ("the 物业 did not fix it again", "en"), ("the 电梯 in block 5 is broken again", "en"),
    # typo-ridden English stays English
    ("the elevatr in my bldg is brokn agn", "en"),
    # no letters at all: undetermined, not a guess
    ("👍", "und"), ("3-2-501", "und"), ("", "und"), ("???", "und"),
    # other languages by script
    ("エレベーターが故障しています", "ja"), ("電気が止まりました、助けてください", "ja"),
    ("엘리베이터가 고장났어요", "ko"), ("གློག་མེད་འདུག", "bo"), ("ئۆيدە سۇ يوق", "ug"),
    ("ᠤᠰᠤ ᠪᠠᠢᠬᠤ ᠦᠭᠡᠢ", "mn"), ("Лифт не работает уже два дня", "ru"),
    ("المصعد معطل منذ يومين", "ar"),
    # other Latin-script languages on longer text
    ("Bonjour, l'ascenseur est en panne depuis hier", "fr"),
    ("Der Aufzug ist schon wieder kaputt", "de"),
    ("¿A qué hora abre la oficina del comité?", "es"),
    ("Thang máy bị hỏng rồi", "vi"),
])
def test_detects(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.detect(clean(text).text) == language


def test_is_deterministic(detector: LanguageDetector) -> None:
    text = clean("Der Aufzug ist schon wieder kaputt").text
    assert {detector.detect(text) for _ in range(20)} == {"de"}
