"""The console served over real HTTP by the whole app (as ``linli serve`` mounts it), with
accounts for each role, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService
from bot.rest import create_app
from nlu.pipeline import NluPipeline
from store import accounts
from store.database import transaction
from store.privacy import find_person
from tests.bot.test_dialogues import (
    NOW,
    service,  # noqa: F401 — the wired service fixture
)
from tests.bot.test_rest import serving

PASSWORD = "correct horse battery"
#: username → (roles, demo person key)
ACCOUNTS = {"sun_li": (("operator", "staff"), "sun_li"), "zhao_min": (("staff",), "zhao_min"),
            "anna_op": (("operator",), None), "admin_a": (("admin",), None)}


#: Each account's argon2 hash of PASSWORD, made once per run: a hash costs a fifth of a second
#: of CPU on purpose, and every console test on both databases makes these four accounts.
_HASHES: dict[str, str] = {}


@pytest.fixture
def console_accounts(service: ConversationService,  # noqa: F811
                     monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    with transaction(service.sessions) as session:
        for name, (roles, person) in ACCOUNTS.items():
            if name not in _HASHES:
                _HASHES[name] = accounts.hash_password(PASSWORD)
            with monkeypatch.context() as patch:
                patch.setattr(accounts, "hash_password", lambda _password, h=_HASHES[name]: h)
                accounts.add_user(session, name, PASSWORD, roles, NOW,
                                  person=find_person(session, person) if person else None,
                                  language="en" if name == "anna_op" else None)
    return {name: PASSWORD for name in ACCOUNTS}


@pytest.fixture
def base_url(service: ConversationService, pipeline: NluPipeline,  # noqa: F811
             console_accounts: dict[str, str]) -> Iterator[str]:
    with serving(create_app(service, pipeline)) as url:
        yield url


@pytest.fixture
def sessions_of(service: ConversationService) -> sessionmaker[Session]:  # noqa: F811
    return service.sessions


Login = Callable[[str], httpx.Client]


@pytest.fixture
def login(base_url: str) -> Iterator[Login]:
    """A logged-in client for an account, with its CSRF token sent on every request."""
    clients: list[httpx.Client] = []

    def as_user(username: str, password: str = PASSWORD) -> httpx.Client:
        client = httpx.Client(base_url=f"{base_url}/console", timeout=30)
        clients.append(client)
        reply = client.post("/login", data={"username": username, "password": password})
        assert reply.status_code == 303, reply.text
        csrf = client.get("/api/session").json()["csrf"]
        client.headers["X-CSRF-Token"] = csrf
        return client

    yield as_user
    for client in clients:
        client.close()
