"""Who may call the HTTP API, over real HTTP: Rasa's ``?token=`` and Bearer JWT conventions,
and /metrics and /openapi.json kept to the server itself or a credential."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.auth import Access, warn_if_open
from bot.conversation import ConversationService
from bot.limits import networks
from bot.rest import create_app
from nlu.pipeline import NluPipeline
from store.models import Direction, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import free_port, serving

REPO = Path(__file__).resolve().parents[2]

TOKEN = "s3cret-token"
JWT_KEY = "a-key-long-enough-for-hs256-signatures!"
REST = "/webhooks/rest/webhook"
#: uvicorn believes X-Forwarded-For from loopback: a real way to come from elsewhere.
FROM_AFAR = {"X-Forwarded-For": "203.0.113.9"}


def bearer(claims: dict[str, object], key: str = JWT_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='HS256')}"}


@pytest.fixture
def app(service: ConversationService, pipeline: NluPipeline) -> FastAPI:  # noqa: F811
    return create_app(service, pipeline, access=Access(token=TOKEN, jwt_secret=JWT_KEY))


@pytest.fixture
def url(app: FastAPI) -> Iterator[str]:
    with serving(app) as base:
        yield base


def inbound(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.channel == "rest",
            TranscriptMessage.direction == Direction.IN)) or 0


def test_the_rest_channel_needs_the_token(url: str, sessions: sessionmaker[Session]) -> None:
    body = {"sender": "wang", "message": "3栋停电了"}
    missing = httpx.post(url + REST, json=body)
    wrong = httpx.post(url + REST, json=body, params={"token": TOKEN + "x"})
    for refused in (missing, wrong):
        assert refused.status_code == 401 and "token" in refused.json()["message"]
    assert inbound(sessions) == 0
    accepted = httpx.post(url + REST, json=body, params={"token": TOKEN})
    assert accepted.status_code == 200 and "BX-" in accepted.json()[0]["text"]
    assert inbound(sessions) == 1


def test_a_stranger_learns_nothing_from_a_malformed_body(url: str) -> None:
    assert httpx.post(url + REST, json={"message": "no sender"}).status_code == 401


def test_a_jwt_speaks_only_for_its_sender(url: str, sessions: sessionmaker[Session]) -> None:
    body = {"sender": "wang", "message": "我的工单怎么样了"}
    own = httpx.post(url + REST, json=body, headers=bearer({"sender_id": "wang"}))
    assert own.status_code == 200 and own.json()[0]["recipient_id"] == "wang"
    other = httpx.post(url + REST, json=body, headers=bearer({"sender_id": "li"}))
    assert other.status_code == 403 and "sender_id" in other.json()["message"]
    nobody = httpx.post(url + REST, json={**body, "sender": "None"}, headers=bearer({}))
    assert nobody.status_code == 403
    forged = httpx.post(url + REST, json=body,
                        headers=bearer({"sender_id": "wang"}, key="not-the-key" * 4))
    assert forged.status_code == 401 and forged.headers["WWW-Authenticate"] == "Bearer"
    assert inbound(sessions) == 1


def test_a_numeric_sender_matches_its_jwt(url: str) -> None:
    reply = httpx.post(url + REST, json={"sender": 42, "message": "hi"},
                       headers=bearer({"sender_id": "42"}))
    assert reply.status_code == 200


def test_model_parse_takes_the_token_or_any_valid_jwt(url: str) -> None:
    body = {"text": "3栋电梯坏了"}
    assert httpx.post(f"{url}/model/parse", json=body).status_code == 401
    assert httpx.post(f"{url}/model/parse", json=body, params={"token": TOKEN}).json()[
        "intent"]["name"] == "report_repair"
    assert httpx.post(f"{url}/model/parse", json=body,
                      headers=bearer({"sender_id": "anyone"})).status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/openapi.json"])
def test_inspection_answers_loopback_and_a_credential(url: str, path: str) -> None:
    assert httpx.get(url + path).status_code == 200
    assert httpx.get(url + path, headers=FROM_AFAR).status_code == 403
    assert httpx.get(url + path, headers=FROM_AFAR, params={"token": "guess"}).status_code == 403
    assert httpx.get(url + path, headers=FROM_AFAR, params={"token": TOKEN}).status_code == 200
    assert httpx.get(url + path, headers={**FROM_AFAR, **bearer({"sender_id": "x"})}
                     ).status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/openapi.json"])
def test_an_open_service_still_keeps_inspection_to_loopback(
        service: ConversationService, pipeline: NluPipeline, path: str) -> None:  # noqa: F811
    """No credentials configured: the API is open, but not the service's insides. Checked at
    the ASGI level too, with a client address no socket on this machine can have."""
    app = create_app(service, pipeline, access=Access())

    async def get(client: tuple[str, int]) -> int:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://linli") as http:
            return (await http.get(path)).status_code

    assert asyncio.run(get(("198.51.100.7", 40000))) == 403
    assert asyncio.run(get(("127.0.0.1", 40000))) == 200
    assert asyncio.run(get(("::1", 40000))) == 200


def test_trusted_addresses_are_a_setting(service: ConversationService,  # noqa: F811
                                         pipeline: NluPipeline) -> None:
    app = create_app(service, pipeline, access=Access(trusted=networks("10.1.0.0/16")))
    with serving(app) as base:
        assert httpx.get(f"{base}/metrics").status_code == 403  # loopback is no longer trusted
        assert httpx.get(f"{base}/metrics",
                         headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200


def test_an_open_service_on_a_public_address_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.auth"):
        assert warn_if_open(Access(), "0.0.0.0")
        assert not warn_if_open(Access(), "127.0.0.1")
        assert not warn_if_open(Access(), "localhost")
        assert not warn_if_open(Access(token=TOKEN), "0.0.0.0")
    [warning] = caplog.records
    assert "LINLI_AUTH_TOKEN" in warning.getMessage() and "0.0.0.0" in warning.getMessage()


def serve(home: Path, env: dict[str, str], host: str) -> tuple[subprocess.Popen[bytes], str]:
    """`linli serve` on ``host`` and a free port; returns it once it answers."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", host,
                               "--port", str(port)], cwd=REPO,
                              env=dict(os.environ, LINLI_HOME=str(home), **env),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        assert server.poll() is None and time.time() < deadline, "linli serve did not start"
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            return server, url
        except httpx.TransportError:
            time.sleep(0.2)


def stop(server: subprocess.Popen[bytes]) -> str:
    server.terminate()
    return server.communicate(timeout=20)[0].decode()


def test_the_credentials_come_from_the_environment(
        service: ConversationService, pipeline: NluPipeline,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_AUTH_TOKEN", TOKEN)
    app = create_app(service, pipeline)  # as `linli serve` makes it: from the settings

    async def post(**params: str) -> int:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://linli") as http:
            return (await http.post(REST, json={"sender": "env", "message": "你好"},
                                    params=params)).status_code

    assert asyncio.run(post()) == 401
    assert asyncio.run(post(token=TOKEN)) == 200


def test_linli_serve_warns_when_open_beyond_loopback(linli_home: Path, pipeline: NluPipeline,
                                                     tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "nlu").symlink_to(linli_home / "models" / "nlu")  # trained once
    server, _url = serve(home, {}, "0.0.0.0")
    output = stop(server)
    assert "0.0.0.0 with no LINLI_AUTH_TOKEN or LINLI_JWT_SECRET" in output, output


@pytest.mark.parametrize("method", ["none", "XX512"])
def test_a_jwt_method_that_cannot_check_signatures_is_refused_at_start(method: str) -> None:
    with pytest.raises(ValueError, match="LINLI_JWT_METHOD"):
        Access(jwt_secret=JWT_KEY, jwt_method=method)
