"""The ``linli`` command as a user runs it, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def linli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_parse_stdin_gives_one_json_line_per_input_line_in_order(linli_env: dict[str, str]) -> None:
    messages = ["3栋电梯又坏了", "", "hi", "算我一个", "<b>3-2-501</b>", "😀"]
    run = linli(linli_env, "nlu", "parse", stdin="\n".join(messages) + "\n")
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["text"] for r in results] == messages
    assert results[0]["intent"]["name"] == "report_repair"
    assert results[2]["language"] == "en"


def test_parse_one_text_argument(linli_env: dict[str, str]) -> None:
    run = linli(linli_env, "nlu", "parse", "Building 4 apt 1202 no water")
    result = json.loads(run.stdout)
    values = {e["entity"]: e["value"] for e in result["entities"]}
    assert values["building"] == "4" and values["room"] == "1202"


def test_evaluate_json_reports_scores_and_writes_a_plot(linli_env: dict[str, str],
                                                        tmp_path: Path) -> None:
    run = linli(linli_env, "nlu", "evaluate", "--data", "nlu/data/test/en.yml", "--json",
                "--report-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["examples"] > 300
    assert 0.8 < report["intent"]["accuracy"] <= 1.0
    assert set(report["intent"]["per_intent"]["report_repair"]) == {"precision", "recall", "f1",
                                                                     "support"}
    png = Path(report["confusion_png"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "report.json").read_text())["examples"] == report["examples"]


def test_evaluate_missing_data_is_a_clear_error(linli_env: dict[str, str]) -> None:
    run = linli(linli_env, "nlu", "evaluate", "--data", "no/such/file.yml")
    assert run.returncode == 2
    assert "no/such/file.yml" in run.stderr and "Traceback" not in run.stderr


def test_train_shows_progress(linli_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(linli_env, LINLI_HOME=str(tmp_path))
    run = linli(env, "nlu", "train")
    assert run.returncode == 0, run.stderr
    assert "cross-validation" in run.stderr and "model saved" in run.stderr
    # not "out-of-scope threshold 0.00", which read as out-of-scope detection switched off
    assert "out of scope: a class learnt from" in run.stderr
    assert (tmp_path / "models" / "nlu" / "model.npz").exists()


def test_shell_chats_as_a_demo_person(linli_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(linli_env, LINLI_HOME=str(tmp_path))
    run = linli(env, "shell", "--as", "wang_aiyi", stdin="你好\n家里停水了\n")
    assert run.returncode == 0, run.stderr
    assert "邻里小助手" in run.stdout
    assert "BX-" in run.stdout and "张伟" in run.stdout  # her grid member, from her household
    grid_member = linli(env, "shell", "--as", "zhang_wei", stdin="你好\n")
    assert "【新工单】" in grid_member.stdout


def test_demo_loads_the_demo_community_and_can_run_again(linli_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    env = dict(linli_env, LINLI_HOME=str(tmp_path))
    for _ in range(2):
        run = linli(env, "demo")
        assert run.returncode == 0, run.stderr
        assert "3 grids, 15 buildings" in run.stdout
    assert (tmp_path / "linli.db").exists()


def test_bad_community_file_is_a_clear_error(linli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "community.yml"
    bad.write_text("grids: []\n", encoding="utf-8")
    run = linli(dict(linli_env, LINLI_HOME=str(tmp_path)), "community", "import", str(bad))
    assert run.returncode == 2
    assert "community" in run.stderr and "Traceback" not in run.stderr
