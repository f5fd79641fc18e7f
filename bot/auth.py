"""Who may call the HTTP API, by Rasa's conventions.

- ``LINLI_AUTH_TOKEN``: the REST channel and ``/model/parse`` need ``?token=…`` (Rasa's
  ``--auth-token``).
- ``LINLI_JWT_SECRET`` (and ``LINLI_JWT_METHOD``): they accept ``Authorization: Bearer <JWT>``;
  on the REST channel its ``sender_id`` claim must name the sender (Rasa's ``--jwt-secret``).

With neither set the service is open, which suits local development; ``linli serve`` warns when
it listens beyond loopback like that. ``/metrics`` and ``/openapi.json`` answer trusted
addresses (loopback by default) and, from anywhere else, only a request with a credential.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from bot.limits import Network, networks, within

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from bot.settings import Settings

log = logging.getLogger(__name__)

#: Paths that tell an outsider how Linli is built or how busy it is.
PRIVATE_PATHS = frozenset({"/metrics", "/openapi.json"})
LOOPBACK = "127.0.0.0/8,::1"


class RefusedError(Exception):
    """A request without the credential it needs (401) or for someone else (403)."""

    def __init__(self, status: int, message: str, bearer: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.bearer = bearer

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.bearer and self.status == 401 else {}
        error = "unauthorized" if self.status == 401 else "forbidden"
        return JSONResponse({"error": error, "message": self.message},
                            status_code=self.status, headers=headers)


@dataclass(frozen=True)
class Credential:
    """What a request proved: the token, a JWT's claims, or nothing (an open service)."""

    token: bool = False
    claims: dict[str, Any] | None = None


@dataclass(frozen=True)
class Access:
    """The API's credentials; with none configured every request passes."""

    token: str | None = None
    jwt_secret: str | None = None
    jwt_method: str = "HS256"
    trusted: tuple[Network, ...] = networks(LOOPBACK)

    def __post_init__(self) -> None:
        # Found at start-up, not by the first resident's message (a 500 then).
        if self.jwt_secret:
            try:
                usable = self.jwt_method.lower() != "none" and \
                    jwt.get_algorithm_by_name(self.jwt_method) is not None
            except NotImplementedError:
                usable = False
            if not usable:
                raise ValueError(f"LINLI_JWT_METHOD {self.jwt_method!r} cannot check "
                                 "signatures here: use HS256 (or install cryptography for "
                                 "RS256 and the like)")

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        return cls(token=settings.auth_token.get_secret_value() if settings.auth_token else None,
                   jwt_secret=settings.jwt_secret.get_secret_value()
                   if settings.jwt_secret else None,
                   jwt_method=settings.jwt_method,
                   trusted=networks(settings.trusted_addresses))

    @property
    def open(self) -> bool:
        return not self.token and not self.jwt_secret

    def check(self, query: QueryParams | dict[str, str], authorization: str | None) -> Credential:
        """The credential a request brings; :class:`RefusedError` (401) when one is needed
        and it brings none that holds."""
        if self.open:
            return Credential()
        given = query.get("token")
        if self.token and given is not None and hmac.compare_digest(
                given.encode(), self.token.encode()):
            return Credential(token=True)
        if self.jwt_secret and authorization:
            scheme, _, encoded = authorization.partition(" ")
            if scheme.lower() == "bearer" and encoded.strip():
                try:
                    claims = jwt.decode(encoded.strip(), self.jwt_secret,
                                        algorithms=[self.jwt_method])
                except jwt.PyJWTError as error:
                    raise RefusedError(401, f"the bearer token was refused: {error}",
                                       bearer=True) from None
                return Credential(claims=claims)
        wanted = " or ".join(filter(None, ["?token=…" if self.token else "",
                                           "Authorization: Bearer <JWT>"
                                           if self.jwt_secret else ""]))
        raise RefusedError(401, f"this endpoint needs {wanted}", bearer=bool(self.jwt_secret))

    @staticmethod
    def for_sender(credential: Credential, sender: str) -> None:
        """A JWT speaks only for the sender its ``sender_id`` claim names (403 otherwise);
        the shared token speaks for any sender."""
        if credential.claims is None:
            return
        named = credential.claims.get("sender_id")
        if named is None or str(named) != sender:
            raise RefusedError(403, "the bearer token's sender_id is not this message's sender")

    def may_inspect(self, address: str | None, query: QueryParams | dict[str, str],
                    authorization: str | None) -> bool:
        """Whether a client may read ``/metrics`` and ``/openapi.json``: from a trusted
        address, or with a credential (never merely because the service is open)."""
        if within(address, self.trusted):
            return True
        if self.open:
            return False
        try:
            self.check(query, authorization)
        except RefusedError:
            return False
        return True


class PrivatePaths:
    """ASGI middleware: :data:`PRIVATE_PATHS` answer 403 unless :meth:`Access.may_inspect`."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PRIVATE_PATHS:
            client = scope.get("client")
            headers = dict(scope.get("headers") or [])
            authorization = headers.get(b"authorization", b"").decode("latin-1") or None
            query = QueryParams(scope.get("query_string", b""))
            if not self.access.may_inspect(client[0] if client else None, query,
                                           authorization):
                response = JSONResponse({"error": "forbidden", "message": "only from the "
                                         "server itself or with a credential"},
                                        status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def warn_if_open(access: Access, host: str) -> bool:
    """Log a warning when the API is open and listens beyond loopback; True if it did."""
    if not access.open or within(host, networks(LOOPBACK)) or host == "localhost":
        return False
    log.warning("Linli listens on %s with no LINLI_AUTH_TOKEN or LINLI_JWT_SECRET: anyone "
                "who reaches it can speak for any resident. Set one of them in production.",
                host)
    return True
