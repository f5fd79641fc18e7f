"""Logging in to the console over HTTP: sessions, wrong passwords, CSRF, roles, the audit log."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store import accounts
from store.database import transaction
from store.models import AuditEntry
from tests.console.conftest import PASSWORD, Login


def test_login_gives_a_session_with_roles_and_a_csrf_token(base_url: str) -> None:
    with httpx.Client(base_url=f"{base_url}/console") as client:
        reply = client.post("/login", data={"username": "sun_li", "password": PASSWORD})
        assert reply.status_code == 303
        assert reply.headers["location"] == "/console/messages"
        cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        session = client.get("/api/session").json()
    assert session["user"] == "sun_li"
    assert session["roles"] == ["operator", "staff"]
    assert len(session["csrf"]) >= 20


def test_a_wrong_password_is_401_and_audited(base_url: str,
                                              sessions_of: sessionmaker[Session]) -> None:
    reply = httpx.post(f"{base_url}/console/login",
                       data={"username": "sun_li", "password": "wrong password"})
    assert reply.status_code == 401
    assert "linli_console" not in reply.headers.get("set-cookie", "")
    unknown = httpx.post(f"{base_url}/console/login",
                         data={"username": "nobody", "password": PASSWORD})
    assert unknown.status_code == 401
    with sessions_of() as session:
        failed = session.scalars(select(AuditEntry.username).where(
            AuditEntry.action == "login_failed")).all()
    assert sorted(failed) == ["nobody", "sun_li"]


def test_without_a_session_the_api_is_401_and_pages_go_to_the_login(base_url: str) -> None:
    assert httpx.get(f"{base_url}/console/api/session").status_code == 401
    assert httpx.get(f"{base_url}/console/api/messages").status_code == 401
    assert httpx.get(f"{base_url}/console/api/no/such/thing").status_code == 401
    page = httpx.get(f"{base_url}/console/messages?q=x")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/login?next=/console/messages")
    forged = httpx.get(f"{base_url}/console/api/session",
                       cookies={"linli_console": "eyJ1IjoxLCJjIjoieCJ9.forged.sig"})
    assert forged.status_code == 401


def test_login_attempts_are_rate_limited(base_url: str) -> None:
    codes = [httpx.post(f"{base_url}/console/login",
                        data={"username": "zhao_min", "password": "guess"}).status_code
             for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    # Another account from the same address still gets its own tries.
    assert httpx.post(f"{base_url}/console/login",
                      data={"username": "sun_li", "password": PASSWORD}).status_code == 303


def test_logout_ends_the_session(login: Login) -> None:
    client = login("sun_li")
    assert client.post("/logout").status_code == 303
    assert client.get("/api/session").status_code == 401


def test_a_new_password_ends_the_old_sessions(login: Login,
                                              sessions_of: sessionmaker[Session]) -> None:
    client = login("sun_li")
    assert client.get("/api/session").status_code == 200
    with transaction(sessions_of) as session:
        user = accounts.by_username(session, "sun_li")
        assert user is not None
        accounts.set_password(user, "another long password")
    assert client.get("/api/session").status_code == 401
