"""``linli person export|erase`` as staff run them: the real console script on a database
with a resident who reported a problem."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from store.database import make_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import Building, Direction, Person, TicketKind, TranscriptMessage
from store.tickets import Deadlines, open_ticket
from tests.bot.test_cli_report import LINLI, REPO, environment, linli
from tests.demo import load_community

NOW = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    variables = environment(tmp_path)
    engine = make_engine(variables["LINLI_DATABASE_URL"])
    upgrade(engine)
    sessions = session_factory(engine)
    load_community(sessions)
    with transaction(sessions) as session:
        wang = session.scalar(select(Person).where(Person.name == "王阿姨"))
        building = session.scalar(select(Building).where(Building.number == "3"))
        assert wang is not None and building is not None
        open_ticket(session, reporter=wang, kind=TicketKind.REPAIR, category="water",
                    text="厨房水管漏水了，电话13912340001", language="zh", building=building,
                    unit="2", room="501", now=NOW, deadlines=Deadlines(),
                    duplicate_window=dt.timedelta(hours=24))
        session.add(TranscriptMessage(channel="shell", chat_id="wang_aiyi", person_id=wang.id,
                                      direction=Direction.IN, text="厨房水管漏水了", at=NOW))
    engine.dispose()
    return variables


def _rates(env: dict[str, str]) -> dict[str, object]:
    result = linli(env, "report", "rates", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    document.pop("as_of")
    return dict(document)


def test_export_writes_the_residents_data_as_json(env: dict[str, str], tmp_path: Path) -> None:
    shown = linli(env, "person", "export", "wang_aiyi")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["person"]["name"] == "王阿姨"
    assert document["person"]["phone"] == "13912340001"
    assert [t["text"] for t in document["tickets"]] == ["厨房水管漏水了，电话13912340001"]
    assert "王阿姨" in shown.stdout  # Chinese as itself, not \\u escapes
    out = tmp_path / "wang.json"
    written = linli(env, "person", "export", "shell:wang_aiyi", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["person"] == document["person"]
    assert linli(env, "person", "export", "nobody").returncode == 2


def test_erase_asks_first_and_no_keeps_everything(env: dict[str, str]) -> None:
    refused = subprocess.run([str(LINLI), "person", "erase", "wang_aiyi"], env=env,
                             cwd=REPO, input="n\n", capture_output=True, text=True, timeout=120,
                             check=False)
    assert refused.returncode == 2 and "nothing was erased" in refused.stderr
    assert "王阿姨" in refused.stdout  # the question names whom it erases
    assert json.loads(linli(env, "person", "export", "wang_aiyi").stdout)["person"][
        "name"] == "王阿姨"


def test_erase_keeps_the_ticket_in_the_rates_and_is_idempotent(env: dict[str, str]) -> None:
    before = _rates(env)
    assert before["opened"] == 1
    erased = linli(env, "person", "erase", "wang_aiyi", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("person #9: erased name, phone, household, "
                                    "1 chat identities, 1 message texts")
    assert _rates(env) == before
    document = json.loads(linli(env, "person", "export", "9").stdout)
    assert document["person"]["name"] == "居民#9" and document["person"]["phone"] is None
    assert document["identities"] == [] and document["person"]["household"] is None
    assert document["tickets"][0]["text"] == "厨房水管漏水了，电话139****0001"
    again = linli(env, "person", "erase", "9", "--yes")
    assert again.returncode == 0 and "nothing left to erase" in again.stdout

