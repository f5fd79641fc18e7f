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


@pytest.fixture
def console_accounts(service: ConversationService) -> dict[str, str]:  # noqa: F811
    with transaction(service.sessions) as session:
        for name, (roles, person) in ACCOUNTS.items():
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
