"""What every console route needs, built once by :func:`console.app.create_console`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from bot.limits import TokenBucket

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


class Parser(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A link in the console's top menu, shown to accounts with one of ``roles``."""

    path: str  # inside the console: "/tickets"
    label: str  # a key of the message catalogue (console/i18n.py)
    roles: tuple[str, ...]


@dataclass(slots=True)
class ConsoleContext:
    """The database, the clock, the NLU in use and the console's own parts."""

    sessions: sessionmaker[Session]
    clock: Callable[[], dt.datetime]
    key: bytes  # signs the console's session cookies; never the web chat's key itself
    nlu: Parser | None = None
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES)))
    # Login attempts per (username, address) and per address, per minute.
    login_limit: TokenBucket = field(default_factory=lambda: TokenBucket(5))
    address_limit: TokenBucket = field(default_factory=lambda: TokenBucket(30))
    secure_cookies: bool = False  # set behind HTTPS
    # Feature routers add their pages here (``ctx.menu.append(MenuItem(...))``).
    menu: list[MenuItem] = field(default_factory=list)

    def now(self) -> dt.datetime:
        return self.clock()

    @property
    def out_of_scope_threshold(self) -> float:
        """The NLU model's own threshold, when the parser in use has one."""
        model = getattr(self.nlu, "model", None)
        return float(getattr(model, "out_of_scope_threshold", 0.0) or 0.0)
