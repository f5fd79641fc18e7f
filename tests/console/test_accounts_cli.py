"""``linli console user add/list`` and ``linli demo``'s accounts, in a real subprocess."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from store import accounts
from store.database import make_engine, session_factory
from store.models import AuditEntry
from tests.bot.test_cli import linli


def env_for(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, LINLI_HOME=str(tmp_path),
                LINLI_DATABASE_URL=f"sqlite:///{tmp_path / 'linli.db'}")


def test_user_add_then_list_and_the_password_works(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert linli(env, "demo").returncode == 0
    run = linli(env, "console", "user", "add", "ops2", "--role", "operator", "--role", "staff",
                "--person", "sun_li", "--password-stdin", stdin="a long secret 1\n")
    assert run.returncode == 0, run.stderr
    again = linli(env, "console", "user", "add", "ops2", "--role", "operator",
                  "--password-stdin", stdin="a long secret 1\n")
    assert again.returncode == 2 and "already" in again.stderr
    wrong = linli(env, "console", "user", "add", "x9", "--role", "janitor",
                  "--password-stdin", stdin="a long secret 1\n")
    assert wrong.returncode == 2 and "roles must be among" in wrong.stderr
    listed = linli(env, "console", "user", "list")
    line = next(row for row in listed.stdout.splitlines() if row.startswith("ops2"))
    assert "operator,staff" in line and "孙丽" in line
    sessions = session_factory(make_engine(env["LINLI_DATABASE_URL"]))
    with sessions() as session:
        assert accounts.authenticate(session, "ops2", "a long secret 1") is not None
        assert accounts.authenticate(session, "ops2", "a long secret 2") is None
        user = accounts.by_username(session, "ops2")
        assert user is not None and "a long secret" not in user.password_hash
        assert session.scalar(select(AuditEntry.target).where(
            AuditEntry.action == "account_created", AuditEntry.target == "ops2")) == "ops2"


def test_demo_makes_accounts_and_prints_how_to_log_in(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    run = linli(env, "demo")
    assert run.returncode == 0, run.stderr
    assert "/console/login" in run.stdout
    line = next(row for row in run.stdout.splitlines() if row.strip().startswith("sun_li"))
    password = line.split("password ")[1].strip()
    sessions = session_factory(make_engine(env["LINLI_DATABASE_URL"]))
    with sessions() as session:
        user = accounts.authenticate(session, "sun_li", password)
        assert user is not None and user.role_names == ["operator", "staff"]
    again = linli(env, "demo")
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_the_first_start_says_how_to_log_in_to_the_console(linli_env: dict[str, str],
                                                           tmp_path: Path) -> None:
    env = dict(linli_env, LINLI_DATABASE_URL=f"sqlite:///{tmp_path / 'first.db'}")
    run = linli(env, "shell", stdin="")
    assert run.returncode == 0, run.stderr
    assert "/console/login" in run.stderr
    line = next(row for row in run.stderr.splitlines() if "sun_li" in row)
    password = line.split("password ")[1].strip()
    sessions = session_factory(make_engine(env["LINLI_DATABASE_URL"]))
    with sessions() as session:
        assert accounts.authenticate(session, "sun_li", password) is not None
    again = linli(env, "shell", stdin="")  # the community is there now: said once only
    assert "/console/login" not in again.stderr
