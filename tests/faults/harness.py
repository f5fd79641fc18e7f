"""Fault injection against a real ``linli serve``: the server is killed with SIGKILL and
restarted, its PostgreSQL is stopped and started, while a burst of residents talks to it over
Rasa's REST channel as a real client would (retrying an unacknowledged message, with the same
id, until the server answers). Used by tests/faults and bench/fault_bench.py.

What "answered exactly once" means here, from the outside:
- every message reports a problem in its own flat (``12号楼3单元1007室…``), so its answer — the
  ticket reply, ``单号 BX-…（12号楼3单元1007 …`` — says which message it answers;
- a message is acknowledged when the server gave HTTP 200 for it: either its answer or
  "saved for later" (the database was down);
- its answer is *delivered* when the sender received it in any HTTP reply (its own, a retry's,
  or a later message's, which carries what waited in the chat's outbox), or when it still waits
  in the chat's outbox; it must be delivered exactly once, to that sender and no other, and
  be queued in the outbox at most once (never piled onto other late answers);
- the database must hold exactly one ticket for that flat, and the transcript exactly one
  inbound row for the message and one outbound row carrying its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, func, select

from bench.common import free_port
from store.models import Building, Direction, OutboxMessage, OutboxStatus, Ticket, TranscriptMessage

REPO = Path(__file__).resolve().parents[2]
WEBHOOK = "/webhooks/rest/webhook"
#: The ticket reply names the flat it is for: 单号 BX-20261203-0001（12号楼3单元1007 · 用水）
ANSWER = re.compile(r"单号\s*[A-Z]{2}-\d{8}-\d{4}（(?P<building>\d+)号楼(?P<unit>\d+)单元"
                    r"(?P<room>\d+)")
SAVED = "消息已保存"  # utter_saved_for_later: the database is down, the answer comes later
FOLLOW_UP = "谢谢"  # what a sender writes to collect what waits for it (no ticket, no question)

Address = tuple[str, str, str]  # building, unit, room


def report(index: int) -> tuple[str, Address]:
    """The ``index``-th distinct problem: a leaking pipe in a flat of its own (a flat's
    bathroom is never joined to another flat's ticket)."""
    building, unit = str(1 + index % 15), str(1 + index // 15 % 3)
    room = str(1001 + index)
    return f"{building}号楼{unit}单元{room}室卫生间水管漏了", (building, unit, room)


def answered_addresses(text: str) -> list[Address]:
    return [(m["building"], m["unit"], m["room"]) for m in ANSWER.finditer(text)]


class Server:
    """``linli serve`` as a child process on a fixed port, killed and restarted at will."""

    def __init__(self, home: Path, database_url: str | None = None,
                 env: dict[str, str] | None = None, args: Iterable[str] = ()) -> None:
        self.home = home
        self.args = list(args)  # more of `linli serve`'s options (--workers 2)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # A lapsed claim is answered by the next sweep; 3 s instead of 30 keeps the tests short.
        self.env = dict(os.environ, LINLI_HOME=str(home), LINLI_CLAIM_LEASE_SECONDS="3",
                        **(env or {}))
        if database_url:
            self.env["LINLI_DATABASE_URL"] = database_url
        self.database_url = database_url or f"sqlite:///{home / 'linli.db'}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    @staticmethod
    def home_with_model(home: Path, model: Path) -> Path:
        """A fresh LINLI_HOME that uses an already trained model (training takes seconds)."""
        (home / "models").mkdir(parents=True, exist_ok=True)
        (home / "models" / "nlu").symlink_to(model)
        return home

    def start(self, timeout: float = 120) -> None:
        """Start the server and wait until /healthz answers."""
        self.starts += 1
        log = (self.home / f"serve-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(self.port), *self.args],
            cwd=REPO,
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"linli serve exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("linli serve did not become healthy:\n" + self.log_tail())
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing, as a crash or the OOM killer."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.kills += 1
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        logs = sorted(self.home.glob("serve-*.log"), key=lambda p: p.stat().st_mtime)
        if not logs:
            return ""
        text = logs[-1].read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def tracebacks(self) -> int:
        """Tracebacks the server logged over all its runs."""
        return sum(p.read_text(encoding="utf-8", errors="replace").count("Traceback")
                   for p in self.home.glob("serve-*.log"))


def postgres_binaries() -> Path | None:
    """Debian's newest PostgreSQL server binaries (/usr/lib/postgresql/N/bin), if installed."""
    found = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if d.parent.name.isdigit()
             and (d / "initdb").exists() and (d / "pg_ctl").exists()]
    return max(found, key=lambda d: int(d.parent.name), default=None)


class ThrowawayPostgres:
    """A PostgreSQL instance of our own (never the shared server), to stop and start.

    initdb refuses to run as root, so as root the server runs as the ``postgres`` user; its
    directory is a fresh one under the system temp folder because pytest's own (0700, root)
    cannot be entered by that user. The socket lives in the data directory; auth is trust."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="linli-pg-"))
        self.data = self.root / "data"
        self.as_owner: list[str] = []
        try:
            if os.geteuid() == 0:
                self.as_owner = ["runuser", "-u", "postgres", "--"]
                shutil.chown(self.root, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C", "--no-sync")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_owner, str(self.binaries / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        # fsync off: the faults here hit Linli, not the machine; PostgreSQL stops cleanly.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "postgres.log"), "-w",
                  "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c full_page_writes=off -c max_connections=100",
                  "start")

    def stop(self) -> None:
        """A fast shutdown: sessions are cut off, as when the database host goes away."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Message:
    sender: str
    text: str
    address: Address
    message_id: str | None
    acknowledged: bool = False
    saved_for_later: bool = False
    reply: str = ""  # what the acknowledging response said (for the audit's report)


@dataclass
class Ledger:
    """What the client sent and everything it got back."""

    messages: list[Message] = field(default_factory=list)
    received: dict[str, list[str]] = field(default_factory=dict)  # sender → every reply text
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    acknowledged: int = 0


class Client:
    """A Rasa REST client: one sender's messages in order; a message the server did not
    acknowledge (connection refused or cut, timeout, 5xx, 429) is sent again unchanged, with
    the same id, until it is."""

    def __init__(self, base_url: str, ledger: Ledger, give_up_after: float = 180) -> None:
        self.url = base_url + WEBHOOK
        self.ledger = ledger
        self.give_up_after = give_up_after
        self.counters: Counter[str] = Counter()

    def next_id(self, sender: str) -> str:
        # Counting 1, 2, 3 per sender, as simple clients do: ids repeat across senders.
        self.counters[sender] += 1
        return str(self.counters[sender])

    async def send(self, http: httpx.AsyncClient, sender: str, text: str,
                   message_id: str | None) -> list[dict[str, object]] | None:
        body: dict[str, object] = {"sender": sender, "message": text}
        if message_id is not None:
            body["message_id"] = message_id
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            try:
                response = await http.post(self.url, json=body)
            except httpx.TransportError:
                self.ledger.transport_errors += 1
                await asyncio.sleep(0.25)
                continue
            self.ledger.statuses[response.status_code] += 1
            if response.status_code == 200:
                replies: list[dict[str, object]] = response.json()
                self.ledger.received.setdefault(sender, []).extend(
                    str(reply.get("text", "")) for reply in replies)
                return replies
            if response.status_code != 429 and response.status_code < 500:
                return None  # refused: sending it again would not help
            await asyncio.sleep(0.5)
        return None

    async def deliver(self, http: httpx.AsyncClient, message: Message) -> None:
        self.ledger.messages.append(message)
        replies = await self.send(http, message.sender, message.text, message.message_id)
        if replies is not None:
            message.acknowledged = True
            message.reply = " / ".join(str(r.get("text", "")) for r in replies)
            message.saved_for_later = SAVED in message.reply
            self.ledger.acknowledged += 1

    async def follow_up(self, http: httpx.AsyncClient, sender: str, with_ids: bool) -> None:
        await self.send(http, sender, FOLLOW_UP, self.next_id(sender) if with_ids else None)


@dataclass(frozen=True)
class Sender:
    name: str
    reports: list[tuple[str, Address]]  # distinct flats, sent in this order
    with_ids: bool  # sends message ids (1, 2, 3 …); most Rasa REST clients send none

    def then(self, other: Sender) -> Sender:
        return Sender(self.name, self.reports + other.reports, self.with_ids)


def plan(prefix: str, senders: int, per_sender: int, first: int = 0,
         without_ids: Iterable[int] = ()) -> list[Sender]:
    """``senders`` senders with ``per_sender`` reports each, numbered from ``first``."""
    no_ids = set(without_ids)
    return [Sender(f"{prefix}{s}", [report(first + s * per_sender + k)
                                    for k in range(per_sender)], s not in no_ids)
            for s in range(senders)]


async def burst(client: Client, http: httpx.AsyncClient, senders: list[Sender]) -> None:
    """Every sender sends its reports one after another; senders run concurrently."""
    async def one(sender: Sender) -> None:
        for text, address in sender.reports:
            await client.deliver(http, Message(
                sender.name, text, address,
                client.next_id(sender.name) if sender.with_ids else None))

    await asyncio.gather(*(one(sender) for sender in senders))


async def collect(client: Client, http: httpx.AsyncClient, senders: list[Sender],
                  patience: float, settle: float) -> None:
    """Senders whose answers have not all arrived write again every two seconds (what waits
    in their outbox comes with the reply) for up to ``patience`` seconds; then, after
    ``settle`` seconds, every sender writes once more, so that an answer delivered twice
    shows."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        missing = [s for s in senders
                   if not _all_received(client.ledger, s.name, [a for _, a in s.reports])]
        if not missing:
            break
        await asyncio.gather(*(client.follow_up(http, s.name, s.with_ids) for s in missing))
        await asyncio.sleep(2)
    await asyncio.sleep(settle)
    await asyncio.gather(*(client.follow_up(http, s.name, s.with_ids) for s in senders))


def _all_received(ledger: Ledger, sender: str, addresses: list[Address]) -> bool:
    got = {a for text in ledger.received.get(sender, []) for a in answered_addresses(text)}
    return all(a in got for a in addresses)


@dataclass
class Outcome:
    """The audit of one run: client's view and the database's, message by message."""

    sent: int = 0
    acknowledged: int = 0
    saved_for_later: int = 0
    saved_then_answered: int = 0  # of those saved for later, answered afterwards
    kills: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, answer never delivered
    duplicated: list[str] = field(default_factory=list)  # answer delivered more than once
    misdelivered: list[str] = field(default_factory=list)  # another sender's answer
    unacknowledged: list[str] = field(default_factory=list)  # no 200 however often sent
    ticket_problems: list[str] = field(default_factory=list)  # not exactly one ticket
    transcript_problems: list[str] = field(default_factory=list)
    server_errors: dict[int, int] = field(default_factory=dict)  # 5xx status → count
    setup_problems: list[str] = field(default_factory=list)  # the fault did not happen as meant
    notes: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        lines = [f"{len(items)} {name}: {', '.join(items[:8])}"
                 for name, items in (("lost", self.lost), ("duplicated", self.duplicated),
                                     ("misdelivered", self.misdelivered),
                                     ("unacknowledged", self.unacknowledged),
                                     ("ticket problems", self.ticket_problems),
                                     ("transcript problems", self.transcript_problems))
                 if items]
        if self.server_errors:
            lines.append(f"HTTP 5xx: {self.server_errors}")
        return lines + self.setup_problems

    def summary(self) -> str:
        return (f"{self.sent} sent, {self.acknowledged} acknowledged "
                f"({self.saved_for_later} saved for later), {len(self.lost)} lost, "
                f"{len(self.duplicated)} duplicated, {len(self.ticket_problems)} ticket "
                f"problems, {sum(self.server_errors.values())} × 5xx, {self.kills} kills")


def audit(ledger: Ledger, database_url: str, kills: int = 0) -> Outcome:
    """Check every message of ``ledger`` against what the client got and the database holds."""
    engine = create_engine(database_url)
    try:
        tickets, outbound, inbound, waiting, queued = _database_view(engine)
    finally:
        engine.dispose()
    outcome = Outcome(sent=len(ledger.messages), kills=kills,
                      server_errors={s: n for s, n in ledger.statuses.items() if s >= 500})
    own: dict[str, set[Address]] = {}
    for message in ledger.messages:
        own.setdefault(message.sender, set()).add(message.address)
    delivered: Counter[tuple[str, Address]] = Counter()
    for sender, texts in ledger.received.items():
        for text in texts:
            for address in answered_addresses(text):
                delivered[sender, address] += 1
                if address not in own.get(sender, set()):
                    outcome.misdelivered.append(f"{sender} got {'-'.join(address)}")
    for message in ledger.messages:
        name = f"{message.sender}#{message.message_id or '-'} {'-'.join(message.address)}"
        if not message.acknowledged:
            outcome.unacknowledged.append(name)
            continue
        outcome.acknowledged += 1
        outcome.saved_for_later += message.saved_for_later
        copies = delivered[message.sender, message.address] + \
            waiting[message.sender, message.address]
        outcome.saved_then_answered += message.saved_for_later and copies > 0
        numbers = tickets.get(message.address, [])
        if copies == 0:
            # what the sender was told about the flat's ticket instead, if anything
            told = [text for text in ledger.received.get(message.sender, [])
                    if any(number in text for number in numbers)]
            outcome.lost.append(f"{name} (acknowledged with {message.reply[:60]!r}; told "
                                f"{told[0][:60] if told else 'nothing'!r} of its ticket)")
        elif copies > 1:
            outcome.duplicated.append(f"{name} ×{copies}")
        elif queued[message.sender, message.address] > 1:  # piled onto other late answers
            outcome.duplicated.append(
                f"{name} queued ×{queued[message.sender, message.address]}")
        if len(numbers) != 1:
            outcome.ticket_problems.append(f"{name}: {len(numbers)} tickets")
        if inbound[message.text] != 1 or outbound[message.address] != 1:
            outcome.transcript_problems.append(
                f"{name}: {inbound[message.text]} in, {outbound[message.address]} answers")
    return outcome


def _database_view(engine: Engine) -> tuple[dict[Address, list[str]], Counter[Address],
                                            Counter[str],
                                            Counter[tuple[str, Address]],
                                            Counter[tuple[str, Address]]]:
    """Ticket numbers per flat, answers per flat in the transcript, inbound rows per text, answers
    still waiting in each REST chat's outbox, and answers ever queued there."""
    with engine.connect() as connection:
        tickets: dict[Address, list[str]] = {}
        for building, unit, room, number in connection.execute(
                select(Building.number, Ticket.unit, Ticket.room, Ticket.number)
                .join(Building, Ticket.building_id == Building.id)):
            tickets.setdefault((building, unit or "", room or ""), []).append(number)
        outbound: Counter[Address] = Counter(
            address for (text,) in connection.execute(
                select(TranscriptMessage.text).where(TranscriptMessage.channel == "rest",
                                                     TranscriptMessage.direction ==
                                                     Direction.OUT))
            for address in answered_addresses(text))
        inbound: Counter[str] = Counter(
            text for (text,) in connection.execute(
                select(TranscriptMessage.text).where(TranscriptMessage.channel == "rest",
                                                     TranscriptMessage.direction ==
                                                     Direction.IN)))
        waiting: Counter[tuple[str, Address]] = Counter()
        queued: Counter[tuple[str, Address]] = Counter()
        for chat, text, status in connection.execute(
                select(OutboxMessage.chat_id, OutboxMessage.text, OutboxMessage.status)
                .where(OutboxMessage.channel == "rest")):
            for address in answered_addresses(text):
                queued[chat, address] += 1
                waiting[chat, address] += status == OutboxStatus.PENDING
    return tickets, outbound, inbound, waiting, queued


def inbound_rows(database_url: str) -> Callable[[], int]:
    """A cheap counter of the REST messages stored so far (to time a kill into a replay)."""
    engine = create_engine(database_url)

    def count() -> int:
        with engine.connect() as connection:
            return int(connection.scalar(
                select(func.count()).select_from(TranscriptMessage).where(
                    TranscriptMessage.channel == "rest",
                    TranscriptMessage.direction == Direction.IN)) or 0)

    return count


async def _when(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)
    return True


def _http(senders: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=senders + 4))


async def _restart(server: Server) -> None:
    server.kill()
    await asyncio.to_thread(server.start)


async def kills_during_a_burst(server: Server, seed: int, kills: int = 2, senders: int = 30,
                               per_sender: int = 5) -> Outcome:
    """SIGKILL the server ``kills`` times at random points of a burst (after a random number
    of acknowledged messages, then a random few milliseconds), restarting it each time; the
    clients retry what was not acknowledged."""
    rng = random.Random(seed)
    total = senders * per_sender
    thresholds = sorted(rng.sample(range(total // 10, total * 8 // 10), kills))
    ledger = Ledger()
    client = Client(server.base_url, ledger)
    who = plan(f"k{seed}-", senders, per_sender)

    async def killer() -> None:
        for threshold in thresholds:
            while ledger.acknowledged < threshold:
                await asyncio.sleep(0.01)
            await asyncio.sleep(rng.uniform(0, 0.05))
            await _restart(server)

    async with _http(senders) as http:
        await asyncio.gather(burst(client, http, who), killer())
        await collect(client, http, who, patience=10, settle=1)
    return audit(ledger, server.database_url, kills=len(thresholds))


async def database_outage(server: Server, postgres: ThrowawayPostgres, senders: int = 20,
                          per_sender: int = 3) -> Outcome:
    """PostgreSQL stops in the middle of a burst and comes back: what arrived meanwhile is
    saved for later and answered once it is back (the server replays every 5 s). Half the
    senders send no message ids, as most Rasa REST clients."""
    ledger = Ledger()
    client = Client(server.base_url, ledger)
    half = range(0, senders, 2)
    before = plan("o-", senders, 1, without_ids=half)
    during = plan("o-", senders, per_sender, first=senders, without_ids=half)
    after = plan("o-", senders, 1, first=senders * (per_sender + 1), without_ids=half)
    async with _http(senders) as http:
        await burst(client, http, before)
        await asyncio.to_thread(postgres.stop)
        try:
            await burst(client, http, during)
        finally:
            await asyncio.to_thread(postgres.start)
        await burst(client, http, after)
        everyone = [b.then(d).then(a) for b, d, a in zip(before, during, after, strict=True)]
        await collect(client, http, everyone, patience=20, settle=6)
    outcome = audit(ledger, server.database_url)
    outcome.notes.append(f"{outcome.saved_for_later} of {senders * per_sender} messages sent "
                         "during the outage were saved for later")
    if not outcome.saved_for_later:
        outcome.setup_problems.append("no message was saved for later: no outage was seen")
    return outcome


async def crash_during_replay(server: Server, postgres: ThrowawayPostgres, senders: int = 30,
                              per_sender: int = 5) -> Outcome:
    """Messages saved for later during an outage; the database comes back and the server is
    killed a quarter of the way into the replay, then restarted: each message must still be
    answered, once."""
    ledger = Ledger()
    client = Client(server.base_url, ledger)
    who = plan("r-", senders, per_sender, without_ids=range(0, senders, 2))
    total = senders * per_sender
    stored = inbound_rows(server.database_url)
    async with _http(senders) as http:
        await asyncio.to_thread(postgres.stop)
        try:
            await burst(client, http, who)
        finally:
            await asyncio.to_thread(postgres.start)
        in_replay = await _when(lambda: stored() >= total // 4, timeout=30)
        at_kill = stored()
        await _restart(server)
        # The message in mid-turn at the kill is stored and claimed: the restarted server
        # answers it once the claim's lease (3 s here) has lapsed, at its next sweep (every 5 s).
        await collect(client, http, who, patience=50, settle=6)
    outcome = audit(ledger, server.database_url, kills=1)
    outcome.notes.append(f"killed with {at_kill} of {outcome.saved_for_later} spooled "
                         "messages stored")
    if not in_replay or at_kill >= outcome.saved_for_later:
        outcome.setup_problems.append(f"the kill did not land inside the replay ({at_kill} of "
                                      f"{outcome.saved_for_later} spooled messages stored)")
    return outcome
