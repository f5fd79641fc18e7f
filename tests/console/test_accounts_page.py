"""The accounts page as an admin uses it, by plain forms over real HTTP on SQLite and
PostgreSQL: an account added there can log in, roles, passwords and the disabled state change
at once, each change is audited, and nobody but an admin gets in."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.models import AuditEntry
from tests.console.conftest import PASSWORD, Login

NEW_PASSWORD = "a brand new password"


def form_client(login: Login, username: str) -> tuple[httpx.Client, str]:
    """A logged-in browser without script: the CSRF token travels in the form."""
    client = login(username)
    csrf = client.headers.pop("X-CSRF-Token")
    return client, csrf


def can_log_in(base_url: str, username: str, password: str) -> bool:
    reply = httpx.post(f"{base_url}/console/login",
                       data={"username": username, "password": password})
    return reply.status_code == 303


def audited(sessions: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    with sessions() as session:
        return [(e.username, e.action, e.target) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_((
                "account_created", "account_roles", "password_set", "account_disabled",
                "account_enabled"))).order_by(AuditEntry.id))]


def test_an_admin_adds_an_account_that_can_then_log_in(
        base_url: str, login: Login, sessions_of: sessionmaker[Session]) -> None:
    admin, csrf = form_client(login, "admin_a")
    page = admin.get("/accounts")
    assert page.status_code == 200 and 'id="account-sun_li"' in page.text
    assert 'name="csrf" value="' + csrf + '"' in page.text
    made = admin.post("/accounts", data={
        "csrf": csrf, "username": "Wang_Fang", "roles": ["grid_member", "staff"],
        "person": "wang_fang", "language": "en", "password": PASSWORD})
    assert made.status_code == 303
    assert made.headers["location"] == "/console/accounts?m=created&u=wang_fang"
    shown = admin.get(made.headers["location"].removeprefix("/console")).text
    assert "Account wang_fang created" in shown or "已创建账号 wang_fang" in shown
    listed = {a["username"]: a for a in admin.get(
        "/api/accounts", headers={"X-CSRF-Token": csrf}).json()["accounts"]}
    assert listed["wang_fang"]["roles"] == ["grid_member", "staff"]
    assert listed["wang_fang"]["language"] == "en"
    assert listed["wang_fang"]["person"]["name"] == "王芳"
    assert can_log_in(base_url, "wang_fang", PASSWORD)
    assert audited(sessions_of) == [("admin_a", "account_created", "wang_fang")]


def test_a_bad_account_is_refused_with_the_reason_and_nothing_written(
        base_url: str, login: Login, sessions_of: sessionmaker[Session]) -> None:
    admin, csrf = form_client(login, "admin_a")
    cases = [({"username": "x", "roles": ["staff"]}, "用户名为 2–60 个字符"),
             ({"username": "newbie", "roles": []}, "至少选一个角色"),
             ({"username": "newbie", "roles": ["staff"], "password": "short"}, "密码至少 8 个字符"),
             ({"username": "zhao_min", "roles": ["staff"]}, "已有同名账号"),
             ({"username": "newbie", "roles": ["staff"], "person": "nobody"}, "没有这个人员")]
    for fields, reason in cases:
        reply = admin.post("/accounts", data={"csrf": csrf, "password": PASSWORD, **fields})
        assert reply.status_code == 422, fields
        assert reason in reply.text, fields
        assert 'value="' + str(fields["username"]) + '"' in reply.text  # the form is kept
    assert audited(sessions_of) == []
    assert not can_log_in(base_url, "newbie", PASSWORD)


def test_roles_password_and_state_change_at_once_and_are_audited(
        base_url: str, login: Login, sessions_of: sessionmaker[Session]) -> None:
    admin, csrf = form_client(login, "admin_a")
    staff = login("zhao_min")
    assert staff.get("/api/rates").status_code == 200
    assert admin.post("/accounts/zhao_min/roles",
                      data={"csrf": csrf, "roles": ["operator"]}).status_code == 303
    assert staff.get("/api/rates").status_code == 403  # the next request already knows
    assert staff.get("/api/messages").status_code == 200
    reset = admin.post("/accounts/zhao_min/password",
                       data={"csrf": csrf, "password": NEW_PASSWORD})
    assert reset.status_code == 303
    assert staff.get("/api/session").status_code == 401  # the old session is over
    assert not can_log_in(base_url, "zhao_min", PASSWORD)
    assert can_log_in(base_url, "zhao_min", NEW_PASSWORD)
    assert admin.post("/accounts/zhao_min/state",
                      data={"csrf": csrf, "disabled": "true"}).status_code == 303
    assert not can_log_in(base_url, "zhao_min", NEW_PASSWORD)
    page = admin.get("/accounts").text
    row = re.search(r'<tr id="account-zhao_min" class="muted">.*?</tr>', page, re.S)
    assert row and "已停用" in row.group(0)
    assert admin.post("/accounts/zhao_min/state",
                      data={"csrf": csrf, "disabled": "false"}).status_code == 303
    assert can_log_in(base_url, "zhao_min", NEW_PASSWORD)
    assert audited(sessions_of) == [("admin_a", "account_roles", "zhao_min"),
                                    ("admin_a", "password_set", "zhao_min"),
                                    ("admin_a", "account_disabled", "zhao_min"),
                                    ("admin_a", "account_enabled", "zhao_min")]
    with sessions_of() as session:
        roles = session.scalar(select(AuditEntry.details).where(
            AuditEntry.action == "account_roles"))
    assert roles == {"from": ["staff"], "to": ["operator"]}
    assert "<td>admin_a</td><td>停用</td><td>zhao_min</td>" in page  # the history, in words


def test_the_last_admin_cannot_lock_everyone_out(login: Login,
                                                 sessions_of: sessionmaker[Session]) -> None:
    admin, csrf = form_client(login, "admin_a")
    for path, data in (("/accounts/admin_a/roles", {"roles": ["staff"]}),
                       ("/accounts/admin_a/state", {"disabled": "true"})):
        reply = admin.post(path, data={"csrf": csrf, **data})
        assert reply.status_code == 422 and "最后一个启用的管理员" in reply.text
    assert admin.get("/accounts").status_code == 200
    assert audited(sessions_of) == []


def test_only_admins_and_only_with_the_token(base_url: str, login: Login,
                                             sessions_of: sessionmaker[Session]) -> None:
    staff, csrf = form_client(login, "sun_li")
    assert staff.get("/accounts").status_code == 403
    assert staff.get("/api/accounts").status_code == 403
    assert staff.post("/accounts", data={"csrf": csrf, "username": "sneaky", "roles": ["admin"],
                                         "password": PASSWORD}).status_code == 403
    admin, admin_csrf = form_client(login, "admin_a")
    forged = admin.post("/accounts", data={"csrf": "forged", "username": "sneaky",
                                           "roles": ["admin"], "password": PASSWORD})
    assert forged.status_code == 403
    assert admin.post("/accounts/sun_li/state", data={"disabled": "true"}).status_code == 403
    assert not can_log_in(base_url, "sneaky", PASSWORD)
    stranger = httpx.get(f"{base_url}/console/accounts")
    assert stranger.status_code == 303 and "/console/login" in stranger.headers["location"]
    assert httpx.get(f"{base_url}/console/api/accounts").status_code == 401
    with sessions_of() as session:
        refused = session.scalars(select(AuditEntry.username).where(
            AuditEntry.action == "refused")).all()
    assert sorted(refused) == ["admin_a", "admin_a", "sun_li", "sun_li", "sun_li"]
    assert 'href="/console/accounts"' in admin.get("/home").text
    assert admin_csrf
