"""Language identification: script rules first, langdetect (seeded) only where they cannot decide.

langdetect alone is unreliable on short chat text — it calls "ok" Slovenian and short Chinese
Korean — so every decision that a writing system can settle is settled by the script.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SUPPORTED = ("zh", "en")
UNDETERMINED = "und"

#: A Han character (CJK ideographs, extensions and compatibility forms included).
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_TIBETAN = re.compile(r"[\u0f00-\u0fff]")
_MONGOLIAN = re.compile(r"[\u1800-\u18af]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Letters Uyghur writes and Arabic, Persian and Urdu do not (ې ۆ ۇ ۈ ۋ ە).
_UYGHUR = re.compile(r"[\u06d0\u06c6\u06c7\u06c8\u06cb\u06d5]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Cyrillic alphabets told apart by their own letters; langdetect confuses them on short text.
_CYRILLIC_LETTERS = (("kk", re.compile(r"[әғқңұһ]")), ("uk", re.compile(r"[іїєґ]")),
                     ("mn", re.compile(r"[өү]")))
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_OTHER_LETTER = re.compile(r"[^\W\d_a-z]")

# Words residents type in English chats that langdetect mislabels when they stand alone.
_ENGLISH_WORDS = frozenset("""
a about after again all am an and any anyone are as asap at back bad be been bldg block blk
broken but by bye can cancel cant can't chinese come could day did do does don't done down
english flat fix fixed for from get go good got had has have hello help here hey hi how i if
in is it its it's just know let lift light lights like lol me mine my need no nope not now of
off oh ok okay on one or our out please pls plz power problem really room see should so some
sorry still stop sure thank thanks that the them there they this thx to today tomorrow too ty
up us very wait want was water we well what when where which who why will with work working
yeah yep yes yet you your
""".split())  # noqa: SIM905 — a word list reads best as text


# Latin words Chinese chats are full of ("ok", "no", "hi"): a message of these alone tells
# nothing about the language its writer reads.
_SHARED_WORDS = frozenset("""
ok okay k kk no yes yep nope yeah hi hello hey bye byebye thx thanks ty lol haha hh hmm emm oh
oops sorry nice good
""".split())  # noqa: SIM905 — a word list reads best as text


def says_no_language(text: str) -> bool:
    """Whether ``text`` (cleaned) is only words typed in Chinese and English chats alike."""
    words = _LATIN_WORD.findall(text)
    return bool(words) and all(w in _SHARED_WORDS for w in words) and not HAN.search(text) \
        and not _OTHER_LETTER.search(_LATIN_WORD.sub(" ", text))


# Languages langdetect may answer with once the script rules have not decided: those a Chinese
# city community plausibly hears. Fewer candidates, fewer confusions (Catalan for Spanish,
# Macedonian for Russian).
_LANGDETECT_CANDIDATES = ("en", "fr", "de", "es", "pt", "it", "nl", "pl", "tr", "ar", "fa", "ur",
                          "vi", "th", "id", "tl", "hi", "ne", "bn", "sw", "so")


class LanguageDetector:
    """Tells zh, en, another ISO 639-1 code, or ``und`` for text without letters."""

    def __init__(self, english_vocabulary: Iterable[str] = ()) -> None:
        self._english = _ENGLISH_WORDS | {w.lower() for w in english_vocabulary}
        self._factory_lock = threading.Lock()
        self._factory: Any = None

    def warm_up(self) -> None:
        """Load langdetect's profiles now rather than on the first unusual message."""
        self._detector_factory()

    def _detector_factory(self) -> Any:
        with self._factory_lock:
            if self._factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                factory = DetectorFactory()
                factory.load_json_profile([
                    (Path(PROFILES_DIRECTORY) / code).read_text(encoding="utf-8")
                    for code in _LANGDETECT_CANDIDATES])
                factory.set_seed(0)  # langdetect is random by default; a parse must not be
                self._factory = factory
            return self._factory

    def detect(self, text: str) -> str:
        """Language of ``text``, which should already be cleaned (lower-case, NFKC)."""
        if HAN.search(text):
            if _KANA.search(text):
                return "ja"
            han = len(HAN.findall(text))
            if len(_HANGUL.findall(text)) > han:
                return "ko"
            # An English sentence with a Chinese word in it ("the 物业 never answers") is English.
            words = _LATIN_WORD.findall(text)
            known = sum(1 for w in words if w in self._english)
            if len(words) >= 3 and len(words) > 2 * han and known * 2 >= len(words):
                return "en"
            return "zh"
        for pattern, code in ((_KANA, "ja"), (_HANGUL, "ko"), (_TIBETAN, "bo"),
                              (_MONGOLIAN, "mn")):
            if pattern.search(text):
                return code
        if _CYRILLIC.search(text):
            return next((code for code, letters in _CYRILLIC_LETTERS if letters.search(text)), "ru")
        if _ARABIC.search(text):
            return "ug" if _UYGHUR.search(text) else self._langdetect(text, default="ar")
        words = _LATIN_WORD.findall(text)
        other_letters = _OTHER_LETTER.search(_LATIN_WORD.sub(" ", text))
        if not words and not other_letters:
            return UNDETERMINED
        if words and not other_letters:
            known = sum(1 for w in words if w in self._english)
            # Short Latin text and text made mostly of English words is English; langdetect
            # only gets to overrule on longer text it is sure about.
            if len(words) < 4 or known * 2 >= len(words):
                return "en"
            return self._langdetect(text, default="en", min_probability=0.8)
        return self._langdetect(text, default=UNDETERMINED)

    def _langdetect(self, text: str, default: str, min_probability: float = 0.5) -> str:
        from langdetect.lang_detect_exception import LangDetectException

        try:
            detector = self._detector_factory().create()
            detector.append(text)
            ranked = detector.get_probabilities()
        except LangDetectException:
            return default
        if not ranked or ranked[0].prob < min_probability:
            return default
        code: str = ranked[0].lang
        return code
