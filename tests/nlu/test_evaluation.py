"""What `linli nlu evaluate` tells a newcomer: out-of-scope and emergency precision and recall,
calibration with its reliability chart, several data sets at once, and cross-validation on the
training data by default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from nlu.evaluation import calibration, score
from nlu.trainingdata import Example

REPO = Path(__file__).resolve().parents[2]


def _result(text: str, intent: str, confidence: float) -> dict[str, Any]:
    return {"text": text, "language": "zh", "entities": [],
            "intent": {"name": intent, "confidence": confidence}}


def _scored(rows: list[tuple[str, str, float]],
            sources: list[str] | None = None) -> dict[str, Any]:
    """Score (gold, predicted, confidence) rows."""
    examples = [Example(f"m{i}", gold) for i, (gold, _, _) in enumerate(rows)]
    results = [_result(f"m{i}", guess, p) for i, (_, guess, p) in enumerate(rows)]
    return score(examples, results, sources)


def test_a_model_right_as_often_as_it_is_sure_has_no_calibration_error() -> None:
    rows = [("greet", "greet", 0.8)] * 8 + [("greet", "thank", 0.8)] * 2
    report = _scored(rows)
    assert report["calibration"]["ece"] == 0.0
    middle = report["calibration"]["bins"][8]
    assert (middle["examples"], middle["accuracy"], middle["confidence"]) == (10, 0.8, 0.8)


def test_a_sure_model_that_is_always_wrong_has_a_large_calibration_error() -> None:
    examples = [Example("a", "greet"), Example("b", "thank")]
    results = [_result("a", "thank", 0.95), _result("b", "greet", 1.0)]
    figures = calibration(examples, results)
    assert figures["ece"] == 0.975
    assert figures["bins"][9]["examples"] == 2  # a confidence of 1.0 is in the last bin


def test_out_of_scope_precision_and_recall() -> None:
    rows = ([("out_of_scope", "out_of_scope", 0.9)] * 3 + [("out_of_scope", "ask_faq", 0.95)]
            + [("ask_faq", "out_of_scope", 0.4)] + [("ask_faq", "ask_faq", 0.9)] * 5)
    oos = _scored(rows)["out_of_scope"]
    assert (oos["precision"], oos["recall"], oos["support"], oos["predicted"]) == \
        (0.75, 0.75, 4, 4)


def test_emergency_figures_count_false_alarms_and_misses() -> None:
    rows = ([("report_emergency", "report_emergency", 0.99)] * 4
            + [("report_emergency", "report_repair", 0.7)]
            + [("ask_faq", "report_emergency", 0.9)] + [("ask_faq", "ask_faq", 0.9)] * 9)
    emergency = _scored(rows)["emergency"]
    assert (emergency["precision"], emergency["recall"]) == (0.8, 0.8)
    assert (emergency["missed"], emergency["false_alarms"], emergency["others"]) == (1, 1, 10)
    assert emergency["false_alarm_rate"] == 0.1


def test_each_data_set_is_scored_on_its_own_as_well() -> None:
    rows = [("out_of_scope", "out_of_scope", 0.9), ("out_of_scope", "ask_faq", 0.9),
            ("ask_faq", "ask_faq", 0.9), ("ask_faq", "report_emergency", 0.9)]
    report = _scored(rows, ["ood.yml", "ood.yml", "hazard.yml", "hazard.yml"])
    assert report["by_source"]["ood.yml"]["out_of_scope"]["recall"] == 0.5
    assert report["by_source"]["hazard.yml"]["emergency"]["false_alarms"] == 1
    assert report["by_source"]["hazard.yml"]["examples"] == 2


def _linli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)


def test_evaluate_several_files_reports_the_new_figures_and_a_reliability_chart(
        linli_env: dict[str, str], tmp_path: Path) -> None:
    run = _linli(linli_env, "nlu", "evaluate", "--data", "nlu/data/test/en.yml",
                 "nlu/data/test/other.yml", "--report-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "out-of-scope: precision" in run.stdout
    assert "emergency: precision" in run.stdout
    assert "calibration: ECE" in run.stdout
    assert "nlu/data/test/other.yml:" in run.stdout  # each file on its own line too
    chart = tmp_path / "reliability.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["examples"] == sum(f["examples"] for f in report["by_source"].values())
    assert 0.0 <= report["calibration"]["ece"] <= 1.0


def test_cross_validation_defaults_to_the_training_data(linli_env: dict[str, str],
                                                        tmp_path: Path) -> None:
    run = _linli(linli_env, "nlu", "evaluate", "--cross-validation", "--folds", "2", "--json",
                 "--report-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [Path(p).resolve() for p in report["data"]] == [REPO / "nlu" / "data"]
    assert report["examples"] > 3000  # the training data, not the 771 of the test split
    # A model trained on the whole training data reads held-out parts of it well; the 0.51
    # a newcomer once saw came from cross-validating on the small test split.
    assert report["intent"]["macro_f1"] >= 0.75
