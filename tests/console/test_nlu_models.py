"""Training data and models in the console, over real HTTP on SQLite and PostgreSQL: the
corrections export, retraining in the background, the comparison, activation and rollback
seen through /model/parse, a swap under load, and who may do it."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.conversation import ConversationService
from bot.nlu_swap import ActiveModelWatcher, SwappableParser
from bot.rest import create_app
from bot.settings import Settings
from nlu.pipeline import NluPipeline
from nlu.registry import version_path
from nlu.trainingdata import Span, load_file
from store import audit, nlu_models
from store.corrections import correct
from store.database import transaction
from store.models import (
    Direction,
    ModelStatus,
    ModelVersion,
    Person,
    Question,
    TranscriptMessage,
)
from tests.bot.test_dialogues import NOW
from tests.bot.test_rest import serving
from tests.console.conftest import Login

RASA = Path(os.environ.get("LINLI_RASA_ENV", "/tmp/rasa39env"))


@pytest.fixture
def parser(pipeline: NluPipeline, settings: Settings, service: ConversationService,
           tmp_path: Path) -> SwappableParser:
    """The parser as `linli serve` wires it: swappable, following the database."""
    holder = SwappableParser(pipeline)
    ActiveModelWatcher(holder, service.sessions, tmp_path / "home", settings.nlu_paths)
    return holder


@pytest.fixture
def base_url(service: ConversationService, parser: SwappableParser,
             console_accounts: dict[str, str]) -> Iterator[str]:
    with serving(create_app(service, parser)) as url:
        yield url


def corrected(service: ConversationService, text: str, intent: str,
              entities: list[dict[str, Any]] | None = None) -> int:
    """A resident's message in the transcript, corrected by an operator."""
    with transaction(service.sessions) as session:
        message = TranscriptMessage(channel="rest", chat_id="r1", sender="r1",
                                    direction=Direction.IN, text=text, at=NOW,
                                    parse={"intent": {"name": "out_of_scope",
                                                      "confidence": 0.3}, "entities": []})
        session.add(message)
        session.flush()
        correct(session, message, intent, entities or [], "anna_op", NOW)
        return message.id


def parse(base_url: str, text: str) -> str:
    reply = httpx.post(f"{base_url}/model/parse", json={"text": text}, timeout=30)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["intent"]["name"])


def finished(client: httpx.Client, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + 600
    while True:
        state = client.get(f"/api/nlu/jobs/{job}").json()
        if state["status"] != "training" or time.monotonic() > deadline:
            return dict(state)
        time.sleep(0.5)


def test_corrections_export_reads_back_as_training_data(
        service: ConversationService, login: Login, tmp_path: Path) -> None:
    corrected(service, "12号楼3单元的灯一闪一闪晃眼睛", "report_repair",
              [{"entity": "building", "value": "12", "start": 0, "end": 4},
               {"entity": "unit", "value": "3", "start": 4, "end": 7},
               {"entity": "category", "value": "lighting", "start": None, "end": None}])
    corrected(service, "can u guys do a movie night in the yard", "make_suggestion")
    later = corrected(service, "在吗", "out_of_scope")
    with transaction(service.sessions) as session:  # the latest correction counts
        message = session.get(TranscriptMessage, later)
        assert message is not None
        correct(session, message, "greet", [], "anna_op", NOW)
    corrected(service, "看这个 [链接](http) 有奖", "out_of_scope")  # reads as an annotation

    reply = login("anna_op").get("/api/nlu/corrections.yml")

    assert reply.status_code == 200
    assert reply.headers["x-skipped-examples"] == "1"
    exported = tmp_path / "corrections.yml"
    exported.write_text(reply.text, encoding="utf-8")
    examples = {e.text: e for e in load_file(exported).examples}
    assert set(examples) == {"12号楼3单元的灯一闪一闪晃眼睛",
                             "can u guys do a movie night in the yard", "在吗"}
    lamp = examples["12号楼3单元的灯一闪一闪晃眼睛"]
    assert lamp.intent == "report_repair" and lamp.category == "lighting"
    assert lamp.spans == (Span("building", 0, 4, "12"), Span("unit", 4, 7, "3"))
    assert examples["在吗"].intent == "greet"
    if (RASA / "venv" / "bin" / "rasa").exists():
        _rasa_validates(exported, tmp_path)


def _rasa_validates(exported: Path, tmp_path: Path) -> None:
    """Rasa 3.6 reads the export (when the Rasa environment of tools/ is installed)."""
    project = tmp_path / "rasa"
    (project / "data").mkdir(parents=True)
    (project / "data" / "corrections.yml").write_bytes(exported.read_bytes())
    config = Path(__file__).resolve().parents[2] / "config"
    for name in ("domain.yml", "config.yml"):
        (project / name).write_bytes((config / name).read_bytes())
    environment = dict(os.environ, LD_LIBRARY_PATH=f"{RASA}/root/usr/lib/x86_64-linux-gnu:"
                       f"{RASA}/root/lib/x86_64-linux-gnu", PYTHONHOME=f"{RASA}/root/usr",
                       SQLALCHEMY_SILENCE_UBER_WARNING="1")
    result = subprocess.run([str(RASA / "venv" / "bin" / "rasa"), "data", "validate",
                             "--data", "data", "--domain", "domain.yml", "--config",
                             "config.yml"], cwd=project, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_retrain_compare_activate_swap_and_roll_back(
        service: ConversationService, login: Login, base_url: str,
        parser: SwappableParser, pipeline: NluPipeline, settings: Settings,
        tmp_path: Path) -> None:
    text = "物业能不能在小区门口装个快递柜啊"
    before = parse(base_url, text)
    wanted = "ask_faq" if before != "ask_faq" else "make_suggestion"
    corrected(service, text, wanted)
    operator = login("anna_op")

    job = operator.post("/api/nlu/train")
    again = operator.post("/api/nlu/train")

    assert job.status_code == 202
    assert again.status_code == 409  # one job at a time
    version = job.json()["job"]
    state = finished(operator, version)
    assert state["status"] == "ready", state
    assert state["progress"] == 1.0
    report = state["report"]
    assert report["data"]["corrections"] == 1
    changes = report["comparison"]["corrections"]["changed"]
    assert {"text": text, "expected": wanted, "active": before,
            "candidate": wanted} in changes
    assert report["comparison"]["test"]["candidate"]["out_of_scope"]["recall"] is not None
    page = operator.get(f"/nlu/models/{version}")
    assert page.status_code == 200 and text in page.text
    assert parse(base_url, text) == before  # nothing changes until it is activated

    activated = operator.post(f"/api/nlu/models/{version}/activate")

    assert activated.status_code == 200, activated.text
    assert activated.json()["previous"] == "packaged"
    assert parse(base_url, text) == wanted
    listed = operator.get("/api/nlu/models").json()
    assert listed["active"] == version and listed["serving"] == version
    # Another host, which has no folder for it, follows too: the files come from the database.
    other_host = SwappableParser(pipeline)
    ActiveModelWatcher(other_host, service.sessions, tmp_path / "other-host",
                       settings.nlu_paths).refresh()
    assert other_host.version == version and other_host.parse(text)["intent"]["name"] == wanted

    # Swapping back and forth while residents' texts are parsed: not one request fails.
    failures: list[str] = []
    answers: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    reply = client.post(f"{base_url}/model/parse", json={"text": text})
                    if reply.status_code != 200:
                        failures.append(f"{reply.status_code} {reply.text[:200]}")
                    else:
                        answers.add(reply.json()["intent"]["name"])
                except httpx.HTTPError as error:
                    failures.append(repr(error))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        workers = [pool.submit(hammer) for _ in range(4)]
        for target in ("packaged", version, "packaged", version):
            assert operator.post(f"/api/nlu/models/{target}/activate").status_code == 200
        stop.set()
        for worker in workers:
            worker.result()
    assert failures == []
    assert answers == {before, wanted}

    rolled_back = operator.post("/api/nlu/models/packaged/activate")

    assert rolled_back.status_code == 200
    assert parse(base_url, text) == before
    assert parser.version == "packaged"
    with service.sessions() as session:
        done = [(e.action, e.target) for e in audit.recent(session, username="anna_op")]
    assert ("nlu_train", version) in done and ("nlu_activate", "packaged") in done


def test_dashboard_counts_intents_shares_and_faq_hits(
        service: ConversationService, login: Login) -> None:
    said = [(NOW, "report_repair", 0.95), (NOW, "out_of_scope", 0.3), (NOW, "ask_faq", 0.9),
            (NOW, "ask_faq", 0.45), (NOW - dt.timedelta(days=1), "greet", 0.99)]
    with transaction(service.sessions) as session:
        for at, intent, confidence in said:
            session.add(TranscriptMessage(
                channel="rest", chat_id="r2", sender="r2", direction=Direction.IN,
                text="…", at=at, parse={"intent": {"name": intent, "confidence": confidence},
                                       "entities": []}))
        person = session.scalars(select(Person)).first()
        assert person is not None
        session.add(Question(community_id=person.community_id, person_id=person.id,
                             text="广场舞能到几点", created_at=NOW))
    operator = login("anna_op")

    board = operator.get("/api/nlu/dashboard", params={"days": 3}).json()
    page = operator.get("/nlu/dashboard", params={"days": 3})

    assert board["days"][-1] == "2026-11-21"
    assert board["messages"][-2:] == [1, 4]
    assert board["intents"]["ask_faq"][-1] == 2 and board["intents"]["greet"][-2] == 1
    assert board["out_of_scope_share"][-1] == 0.25
    assert board["low_confidence_share"][-1] == 0.5
    assert board["faq_hit_rate"][-1] == 0.5 and board["faq_hit_rate"][0] is None
    assert page.status_code == 200 and page.text.count("<svg") == 2


def test_a_version_that_will_not_load_leaves_the_old_model_serving(
        service: ConversationService, parser: SwappableParser, tmp_path: Path) -> None:
    with transaction(service.sessions) as session:
        session.add(ModelVersion(version="20261121-013000-dead", status=ModelStatus.READY,
                                 created_by="anna_op", created_at=NOW, updated_at=NOW,
                                 progress=1.0, archive=b"not a zip"))
        nlu_models.activate(session, "20261121-013000-dead", NOW)
    watcher = parser.watcher
    assert watcher is not None

    assert watcher.refresh() is False

    assert parser.version == "packaged"
    assert parser.parse("3栋电梯坏了")["intent"]["name"] == "report_repair"
    assert not version_path(tmp_path / "home", "20261121-013000-dead").exists()


def test_pages_follow_the_account_language(login: Login) -> None:
    chinese = login("sun_li").get("/nlu/models")
    english = login("anna_op").get("/nlu/models")
    assert "重新训练" in chinese.text and "Retrain" in english.text


def test_only_operators_manage_models(login: Login, base_url: str) -> None:
    staff = login("zhao_min")
    for method, path in (("GET", "/api/nlu/corrections.yml"), ("POST", "/api/nlu/train"),
                         ("GET", "/api/nlu/models"), ("GET", "/api/nlu/dashboard"),
                         ("POST", "/api/nlu/models/packaged/activate"),
                         ("GET", "/nlu/models")):
        assert staff.request(method, path).status_code == 403, path
    stranger = httpx.post(f"{base_url}/console/api/nlu/train")
    assert stranger.status_code == 401
    operator = login("anna_op")
    del operator.headers["X-CSRF-Token"]
    assert operator.post("/api/nlu/train").status_code == 403  # no CSRF token
    assert operator.get("/api/nlu/models").json()["versions"] == []
