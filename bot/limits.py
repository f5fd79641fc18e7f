"""Rate limits at the HTTP edge: per sender, per client address, and new people per address.

The counts live in this process's memory (token buckets and an hour's list of newcomers per
address): each ``linli serve`` worker keeps its own, so with N workers a client may get up to N
times the configured rate. That is enough to keep one client from drowning the service or
filling the database with made-up residents; it is not an accounting system.

A refused message is not stored: the client is told to retry (HTTP 429 with ``Retry-After``)
and the resident sees a polite line in Chinese and English.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings
    from flows.runner import FlowRunner

Clock = Callable[[], float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Forget state for keys no one has used in a while, every this many checks.
_PRUNE_EVERY = 1024
HOUR = 3600.0


class TokenBucket:
    """``per_minute`` events per key and minute, allowed as a burst and refilled evenly;
    0 means no limit."""

    def __init__(self, per_minute: int, clock: Clock = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key → (tokens, at)
        self._checks = 0

    def take(self, key: Hashable) -> float:
        """Spend one token of ``key``'s bucket: 0.0 if allowed, else the seconds to wait."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        self._checks += 1
        if self._checks % _PRUNE_EVERY == 0:
            self._prune(now)
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.refill
        self._buckets[key] = (tokens - 1.0, now)
        return 0.0

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled: a fresh one is the same."""
        full = [key for key, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.refill >= self.capacity]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class NewcomerCap:
    """At most ``per_hour`` senders Linli has not met, per client address and hour; 0 means
    no cap. A newcomer admitted once stays admitted for the hour (its retries are free)."""

    def __init__(self, per_hour: int, clock: Clock = time.monotonic) -> None:
        self.per_hour = per_hour
        self.clock = clock
        self._admitted: dict[str, dict[str, float]] = {}  # address → {sender: first seen}
        self._checks = 0

    def admit(self, address: str, sender: str) -> float:
        """Count ``sender`` as new from ``address``: 0.0 if allowed, else the seconds until
        the oldest newcomer of the hour leaves room."""
        if self.per_hour <= 0:
            return 0.0
        now = self.clock()
        self._checks += 1
        if self._checks % _PRUNE_EVERY == 0:
            for other in list(self._admitted):
                self._recent(other, now)
        admitted = self._recent(address, now)
        if sender in admitted:
            return 0.0
        if len(admitted) >= self.per_hour:
            return min(admitted.values()) + HOUR - now
        self._admitted.setdefault(address, admitted)[sender] = now
        return 0.0

    def _recent(self, address: str, now: float) -> dict[str, float]:
        """The address's newcomers of the last hour; older ones are forgotten."""
        admitted = {sender: at for sender, at in self._admitted.get(address, {}).items()
                    if now - at < HOUR}
        if admitted:
            self._admitted[address] = admitted
        else:
            self._admitted.pop(address, None)
        return admitted


def networks(spec: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (``127.0.0.0/8,::1,10.0.0.5``), as
    LINLI_TRUSTED_ADDRESSES gives them."""
    found = []
    for part in filter(None, (part.strip() for part in spec.split(","))):
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"LINLI_TRUSTED_ADDRESSES: {part!r} is neither an address nor "
                             "a network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)") from None
    return tuple(found)


def within(address: str | None, trusted: tuple[Network, ...]) -> bool:
    """Whether a client address is one of ``trusted``; an unknown or non-IP one never is."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def polite(runner: FlowRunner, response: str) -> str:
    """A refusal in Chinese, then English: said before Linli knows who is asking, and
    without a database query while someone floods it."""
    return "\n".join(runner.say(response, {"language": language}).text
                     for language in ("zh", "en"))


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


@dataclass(frozen=True)
class Wait:
    """A message that must wait: how long, and the response (config/domain.yml) saying so."""

    seconds: float
    response: str


@dataclass
class Limits:
    """The edge's limits. Addresses in ``trusted`` (loopback by default: the operator's own
    machine, benchmarks, a reverse proxy that forwards the client's address) skip the
    per-address limit and the newcomer cap, never the per-sender limit."""

    per_sender: TokenBucket
    per_address: TokenBucket
    newcomers: NewcomerCap
    trusted: tuple[Network, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.monotonic) -> Limits:
        return cls(TokenBucket(settings.rate_per_sender, clock),
                   TokenBucket(settings.rate_per_address, clock),
                   NewcomerCap(settings.new_people_per_address, clock),
                   networks(settings.trusted_addresses))

    def is_trusted(self, address: str | None) -> bool:
        return within(address, self.trusted)

    def message(self, address: str | None, sender: Hashable) -> float:
        """One message from ``sender`` at ``address``: 0.0 if it may pass, else seconds to
        wait. The address is charged first, so a refused sender still costs its address."""
        if not self.is_trusted(address):
            wait = self.per_address.take(address)
            if wait:
                return wait
        return self.per_sender.take(sender)

    async def admit(self, address: str | None, channel: str, sender: str,
                    knows: Callable[[str, str], bool], vouched: bool = False) -> Wait | None:
        """Whether a message from ``sender`` on ``channel`` at ``address`` may pass now, or
        how long it must wait. ``knows`` asks the database whether Linli has met the sender
        (only when the newcomer cap could refuse); a sender ``vouched`` for by the operator
        (a JWT) never counts as a newcomer."""
        if wait := self.message(address, (channel, sender)):
            return Wait(wait, "utter_slow_down")
        if vouched or self.newcomers.per_hour <= 0 or self.is_trusted(address):
            return None
        if await asyncio.to_thread(knows, channel, sender):
            return None
        if wait := self.newcomer(address, sender):
            return Wait(wait, "utter_too_many_newcomers")
        return None

    def request(self, address: str | None) -> float:
        """One request that speaks for no sender (``/model/parse``, a page's upload)."""
        return 0.0 if self.is_trusted(address) else self.per_address.take(address)

    def newcomer(self, address: str | None, sender: str) -> float:
        """A sender Linli has not met yet, from ``address``: 0.0 if it may become a person."""
        return 0.0 if self.is_trusted(address) else self.newcomers.admit(address or "", sender)
