"""``linli nlu models``, ``linli nlu activate`` and ``linli nlu rollback`` as an operator runs
them on the server: the versions the console trained, the pointer every worker follows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from store.database import make_engine, session_factory, transaction
from store.models import AuditEntry, ModelStatus, ModelVersion
from store.nlu_models import active_version
from tests.bot.test_cli_report import environment, linli

OLD, NEW = "20261201-090000-aaaa", "20261202-090000-bbbb"


def _report(accuracy: float, examples: int, corrections: int) -> dict[str, object]:
    return {"data": {"examples": examples, "corrections": corrections},
            "evaluation": {"intent": {"accuracy": accuracy, "macro_f1": accuracy - 0.01,
                                      "per_intent": {"out_of_scope": {"precision": 0.95,
                                                                      "recall": 0.9}}}}}


def _trained(home: Path) -> str:
    """Two versions the console trained: OLD serving, NEW ready; the database's URL."""
    url = f"sqlite:///{home / 'report.db'}"
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with transaction(session_factory(make_engine(url))) as session:
        session.add(ModelVersion(version=OLD, status=ModelStatus.ACTIVE, created_at=at,
                                 created_by="sun_li", updated_at=at, activated_at=at,
                                 fingerprint="f00dfeed1234abcd", progress=1.0,
                                 report=_report(0.941, 10260, 12)))
        session.add(ModelVersion(version=NEW, status=ModelStatus.READY,
                                 created_at=at + dt.timedelta(days=1), created_by="sun_li",
                                 updated_at=at, fingerprint="beefcafe5678", progress=1.0,
                                 report=_report(0.957, 10300, 52)))
    return url


def _active(url: str) -> str | None:
    with session_factory(make_engine(url))() as session:
        return active_version(session)


def test_versions_are_listed_activated_and_rolled_back(tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert linli(env, "db", "upgrade").returncode == 0
    url = _trained(tmp_path)

    listed = linli(env, "nlu", "models")

    assert listed.returncode == 0, listed.stderr
    new_line, old_line = listed.stdout.splitlines()[1:3]
    assert new_line.split()[:2] == [NEW, "ready"] and "beefcafe5678" in new_line
    assert "0.957" in new_line and "10300" in new_line and "0.950/0.900" in new_line
    assert old_line.startswith("* " + OLD) and "active" in old_line
    as_json = json.loads(linli(env, "nlu", "models", "--json").stdout)
    assert [(v["version"], v["status"], v["fingerprint"]) for v in as_json] == [
        (NEW, "ready", "beefcafe5678"), (OLD, "active", "f00dfeed1234abcd")]

    activated = linli(env, "nlu", "activate", NEW)

    assert activated.stdout.strip() == f"active: {NEW} (was {OLD})"
    assert _active(url) == NEW
    back = linli(env, "nlu", "rollback")
    assert back.stdout.strip() == f"active: {OLD} (was {NEW})"
    assert _active(url) == OLD
    packaged = linli(env, "nlu", "activate", "packaged")
    assert packaged.stdout.strip() == f"active: packaged (was {OLD})"
    assert _active(url) is None
    assert "* packaged" in linli(env, "nlu", "models").stdout
    with session_factory(make_engine(url))() as session:
        audited = session.execute(select(AuditEntry.username, AuditEntry.action,
                                         AuditEntry.target).order_by(AuditEntry.id)).all()
    assert audited == [("cli", "nlu_activate", NEW), ("cli", "nlu_activate", OLD),
                       ("cli", "nlu_activate", "packaged")]


def test_a_wrong_version_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert linli(env, "db", "upgrade").returncode == 0
    url = _trained(tmp_path)

    for args, message in ((("activate", "20261203-090000-cccc"), "no trained version"),
                          (("activate", "../../etc"), "is not a model version")):
        refused = linli(env, "nlu", *args)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert _active(url) == OLD


def test_rollback_with_nothing_before_says_so(tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert linli(env, "db", "upgrade").returncode == 0

    nothing = linli(env, "nlu", "rollback")

    assert nothing.returncode == 2 and "nothing to roll back to" in nothing.stderr
    assert "no version trained yet" in linli(env, "nlu", "models").stdout
