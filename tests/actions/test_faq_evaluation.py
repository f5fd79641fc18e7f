"""The FAQ figures as a user sees them in `linli nlu evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot.test_cli import linli


def test_nlu_evaluate_reports_the_faq_too(linli_env: dict[str, str], tmp_path: Path) -> None:
    run = linli(linli_env, "nlu", "evaluate", "--data", "nlu/data/test/en.yml", "--json",
                "--report-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    faq = json.loads(run.stdout)["faq"]
    assert set(faq["top1"]) == {"zh", "en"}
    assert faq["top1"]["zh"]["asked"] >= 3 * 84  # three paraphrases for each of the 84 entries
    assert 0.9 <= faq["no_answer"]["recall"] <= 1.0
    assert faq["no_answer"]["negatives"] >= 40
    text = linli(linli_env, "nlu", "evaluate", "--data", "nlu/data/test/en.yml",
                 "--report-dir", str(tmp_path))
    assert "FAQ top-1 zh: 0." in text.stdout and "FAQ no answer: recall" in text.stdout
