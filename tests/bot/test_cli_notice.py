"""``linli notice`` as staff run it from a terminal: create, list, confirm, cancel."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.bot.test_cli_report import environment, linli


def test_notices_from_the_command_line(tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert linli(env, "demo").returncode == 0

    weekly = linli(env, "notice", "create", "--to", "grid:G2", "--when", "每周一早上8点",
                   "--zh", "周一早上8点前把可回收垃圾放到楼下", "--en", "Recyclables out by 8am")
    assert weekly.returncode == 0, weekly.stderr
    assert weekly.stdout.splitlines() == [
        "notice #1: grid:G2, 2 recipients, every Monday 08:00, scheduled",
        "readers: residents 2; G2 2; English 1 · Chinese 1"]  # the console's preview

    # A community that asks before notifying more than 5 people.
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", config)
    policy = (config / "schedule.yml").read_text(encoding="utf-8")
    (config / "schedule.yml").write_text(policy.replace("confirm_above: 50", "confirm_above: 5"),
                                         encoding="utf-8")
    env["LINLI_CONFIG_DIR"] = str(config)
    everyone = linli(env, "notice", "create", "--to", "all", "--when", "now", "--zh", "今晚停电")
    assert everyone.returncode == 0
    assert "notice #2: all, 14 recipients, now, to_confirm" in everyone.stdout
    assert "linli notice confirm 2" in everyone.stdout
    assert linli(env, "notice", "confirm", "2").stdout.strip() == "notice #2: scheduled"

    listed = linli(env, "notice", "list").stdout.splitlines()
    assert listed[0].split()[:5] == ["#1", "scheduled", "grid:G2", "0", "8"]
    assert "next" in listed[0] and "可回收垃圾" in listed[0]
    assert listed[1].split()[:4] == ["#2", "scheduled", "all", "once"]

    assert linli(env, "notice", "cancel", "1").stdout.strip() == "notice #1: cancelled"
    again = linli(env, "notice", "cancel", "1")
    assert again.returncode == 2 and "notice 1 is cancelled" in again.stderr

    for args, message in ((("--to", "grid:X", "--zh", "hi"), "no grid X"),
                          (("--to", "all", "--when", "昨天早上8点", "--zh", "hi"), "already past"),
                          (("--to", "all", "--en", " "), "at least one language"),
                          (("--to", "street", "--zh", "hi"), "unknown audience")):
        failed = linli(env, "notice", "create", *args)
        assert failed.returncode == 2 and message in failed.stderr, failed.stderr
        assert "Traceback" not in failed.stderr

    night = linli(env, "notice", "create", "--to", "grid:G2", "--when", "明天23点", "--zh", "停水")
    assert "warning: Quiet hours (22:00–07:00): residents get it at " in night.stdout
    assert night.stdout.rstrip().endswith("07:00, not before.")
