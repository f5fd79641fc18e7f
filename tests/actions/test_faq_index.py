"""FAQ retrieval on the demo FAQ: the question asked is the one answered, in the words residents
type, and a question nothing in the FAQ answers gets no answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.faq_evaluation import ParaphraseSet, evaluate
from actions.faq_index import FaqIndex, stem
from nlu.text import clean

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.load(CONFIG / "faq.yml")


@pytest.fixture(scope="module")
def paraphrases() -> ParaphraseSet:
    return ParaphraseSet.load(CONFIG / "faq_paraphrases.yml")


def answer(index: FaqIndex, question: str) -> str | None:
    found = index.best(question)
    return found[0].id if found else None


def test_drop_off_times_are_not_answered_with_the_sorting_categories(index: FaqIndex) -> None:
    # Both seen in the field (issue 9): the first got the categories, the second no answer.
    assert answer(index, "垃圾分类几点投放") == "waste_drop_off_times"
    assert answer(index, "When can I put out the kitchen waste?") == "waste_drop_off_times"
    # The neighbouring question still gets the categories.
    assert answer(index, "垃圾分类怎么分啊") == "waste_sorting"
    assert answer(index, "batteries which bin") == "waste_sorting"


def test_paraphrases_get_the_right_answer_and_nothing_fits_gets_none(
        index: FaqIndex, paraphrases: ParaphraseSet) -> None:
    """The quality bar of issue 9 on the whole paraphrase set; bench/faq_bench.py prints the
    figures and the misses."""
    report = evaluate(index.best, paraphrases)
    misses = "\n".join(f"{text} → {answered} (want {expected})"
                       for text, expected, answered in report.misses)
    assert report.accuracy("zh") >= 0.90, misses
    assert report.accuracy("en") >= 0.90, misses
    assert report.no_answer_recall >= 0.90, misses


@pytest.mark.parametrize("question", [
    "欢乐谷几点开门", "what time does disneyland open",  # a theme park's opening hours
    # Card top-up fees; in English ("a top-up fee for my bus card") the senior card's free
    # buses still answer: a known miss, see docs/benchmarks.md.
    "公交卡充值收手续费吗", "地铁卡充值要手续费吗",
    "如家酒店地址在哪", "what's the hotel address",
    "明天天气怎么样", "will it rain tomorrow",
    "", "？？？", "😀", "12345",
])
def test_questions_from_other_domains_get_no_answer(index: FaqIndex, question: str) -> None:
    assert answer(index, question) is None


@pytest.mark.parametrize(("question", "entry"), [
    ("老年卡咋办啊", "elderly_card_apply"),  # colloquial
    ("居委几点开门呀", "office_hours"),
    ("拉圾几点扔", "waste_drop_off_times"),  # a typo residents make
    ("我家老头子下个月满八十了 那个高龄补贴要上哪儿登记啊", "senior_allowance_claim"),  # rambling
    ("老年卡 how to apply", "elderly_card_apply"),  # mixed scripts
    ("垃圾 what time 扔", "waste_drop_off_times"),
    ("what time can I put the rubbish out", "waste_drop_off_times"),  # put/putting, bin/bins
    ("where are e-bikes charged", "ebike_charging"),
    ("recyling bins colours", "waste_sorting"),  # a typo
    ("what time is garbage collected", "waste_drop_off_times"),  # collected, not put out
    ("when do they pick up the trash", "waste_drop_off_times"),
    ("垃圾什么时候收走", "waste_drop_off_times"),
    ("where do I collect my parcel", "parcel_station"),  # and a parcel is still a parcel
])
def test_residents_own_words_find_the_entry(index: FaqIndex, question: str, entry: str) -> None:
    assert answer(index, question) == entry


def test_english_word_forms_read_alike() -> None:
    assert stem("putting") == stem("put")
    assert stem("bins") == stem("bin")
    assert stem("batteries") == stem("battery")
    assert stem("charged") == stem("charging") == stem("charge")
    assert stem("where's") == stem("where")  # "where's the office" asks where


def test_the_paraphrase_set_is_written_apart_from_the_faq(paraphrases: ParaphraseSet) -> None:
    faq = yaml.safe_load((CONFIG / "faq.yml").read_text(encoding="utf-8"))["faq"]

    def plain(text: str) -> str:
        return clean(text).text.replace(" ", "").rstrip("?？")

    questions = {plain(q) for entry in faq for qs in entry["questions"].values() for q in qs}
    copied = [q for _, _, q in paraphrases.answerable if plain(q) in questions]
    copied += [q for _, q in paraphrases.unanswerable if plain(q) in questions]
    assert copied == []
    per_entry = {(entry["id"], language): 0 for entry in faq for language in ("zh", "en")}
    for language, entry_id, _ in paraphrases.answerable:
        per_entry[entry_id, language] += 1  # an id the FAQ doesn't have fails here
    assert min(per_entry.values()) >= 3
    languages = [language for language, _ in paraphrases.unanswerable]
    assert len(languages) >= 40 and set(languages) == {"zh", "en"}


def test_an_edited_faq_is_taken_up_by_loading_it_again(tmp_path: Path, index: FaqIndex) -> None:
    assert answer(index, "小区游泳池几点开门") is None
    data = yaml.safe_load((CONFIG / "faq.yml").read_text(encoding="utf-8"))
    data["faq"].append({"id": "swimming_pool",
                        "questions": {"zh": ["游泳池几点开门", "小区游泳池开放时间"],
                                      "en": ["when is the swimming pool open"]},
                        "answer": {"zh": "游泳池每天 9:00–21:00 开放。",
                                   "en": "The pool is open 9:00–21:00 every day."}})
    edited = tmp_path / "faq.yml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert answer(FaqIndex.load(edited), "小区游泳池几点开门") == "swimming_pool"
