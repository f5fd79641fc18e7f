from pathlib import Path

import pytest

from nlu.features import Analyzer, CueFeaturizer, Vectorizer


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    return Analyzer(tmp_path_factory.mktemp("cache"))


def test_community_words_stay_whole(analyzer: Analyzer) -> None:
    assert "网格员" in analyzer.words("找一下网格员")
    assert "门禁卡" in analyzer.words("门禁卡刷不开")


def test_numbers_become_shapes_and_emoji_are_kept(analyzer: Analyzer) -> None:
    assert analyzer.words("lift 501 dead 👍") == ["lift", "<num3>", "dead", "👍"]


def test_features_carry_entities_and_cues(analyzer: Analyzer) -> None:
    features = analyzer.features("3栋停水", ["building"], ["cue_broken"])
    assert {"e=building", "l=cue_broken", "c=停水"} <= set(features)


def test_cues_match_whole_latin_words_and_chinese_substrings(tmp_path: Path) -> None:
    cues = CueFeaturizer({"cue_bye": ["bye", "拜拜"], "cue_no": ["no"]})
    assert cues("ok bye") == ["cue_bye"]
    assert cues("byebye123") == []
    assert cues("好的拜拜啦") == ["cue_bye"]
    assert cues("nobody came") == []


def test_vectorizer_is_l2_normalised_and_ignores_unknown_features() -> None:
    vectorizer = Vectorizer.fit([["a", "b"], ["a", "c"]])
    index, weights = vectorizer.transform_one(["a", "b", "b", "zzz"])
    assert len(index) == 2
    assert abs(float((weights ** 2).sum()) - 1.0) < 1e-6
    assert weights[list(index).index(vectorizer.vocabulary["b"])] > weights[
        list(index).index(vectorizer.vocabulary["a"])]
