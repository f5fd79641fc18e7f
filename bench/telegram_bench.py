"""Telegram delivery benchmark: a broadcast-sized outbox (private chats plus a group) delivered
through the real python-telegram-bot stack to the local Bot API emulator, which enforces
Telegram's limits (30 messages/s, 1/s per private chat, 20/min per group).

    python bench/telegram_bench.py            # 10,000 private chats + 40 group messages
    python bench/telegram_bench.py --quick    # 1,000 + 10, under a minute

Prints achieved messages/s against the 30/s limit, 429s, lost and duplicated messages.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the emulator lives with the tests

from sqlalchemy import func, select  # noqa: E402

from bot.delivery import DeliveryWorker  # noqa: E402
from bot.telegram import RateLimiter, TelegramChannel, build_application  # noqa: E402
from store.database import make_engine, session_factory, transaction  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import ChatIdentity, Community, OutboxMessage, OutboxStatus, Person  # noqa: E402
from store.outbox import enqueue  # noqa: E402
from tests.telegram.emulator import Emulator  # noqa: E402

GROUP = -100777


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def deliver(emulator: Emulator, database: Path, chats: int, group: int) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        community = Community(code="bench", name="bench")
        session.add(community)
        session.flush()
        people = [Person(community_id=community.id, name=f"resident {i}") for i in range(chats)]
        session.add_all(people)
        session.flush()
        session.add_all(ChatIdentity(person_id=p.id, channel="telegram",
                                     external_id=str(100000 + i)) for i, p in enumerate(people))
        board = Person(community_id=community.id, name="community group")
        session.add(board)
        session.flush()
        session.add(ChatIdentity(person_id=board.id, channel="telegram", external_id=str(GROUP)))
        session.flush()
        now = utcnow()
        for person in people:
            enqueue(session, person=person, text="📢 明天上午9点至11点停水，请提前储水。",
                    key=f"notice:1:{person.id}", now=now)
        for i in range(group):
            enqueue(session, person=board, text=f"📢 通知 {i + 1}", key=f"group:{i}", now=now)
    application = build_application(emulator.token, emulator.base_url)
    await application.initialize()
    channel = TelegramChannel(application, sessions, RateLimiter(), utcnow)
    worker = DeliveryWorker(sessions, {"telegram": channel}, utcnow, batch=2000,
                            concurrency=256)
    started = time.monotonic()
    total = chats + group
    while len(emulator.sent) < total and time.monotonic() - started < 3600:
        await worker.run_once()
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    await application.shutdown()
    private_sent = [s for s in emulator.sent if s.chat_id > 0]
    per_chat = Counter(s.chat_id for s in private_sent)
    with sessions() as session:
        pending = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status != OutboxStatus.SENT)) or 0
    private_elapsed = (max(s.at for s in private_sent) - min(s.at for s in private_sent)
                       if private_sent else 0.0)
    return {"messages": total, "seconds": elapsed,
            "private_rate": len(private_sent) / private_elapsed if private_elapsed else 0.0,
            "rate_limited": emulator.rate_limited,
            "lost": pending, "duplicated": sum(n - 1 for n in per_chat.values() if n > 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 chats + 10 group messages")
    parser.add_argument("--chats", type=int)
    args = parser.parse_args()
    chats = args.chats or (1000 if args.quick else 10_000)
    group = 10 if args.quick else 40
    emulator = Emulator(enforce_limits=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(deliver(emulator, Path(tmp) / "bench.db", chats, group))
    finally:
        emulator.stop()
    print(f"Telegram delivery benchmark {time.strftime('%Y-%m-%d')}: {chats} private chats + "
          f"{group} group messages, emulator enforcing Telegram's limits\n")
    print("| messages | seconds | private msg/s (limit 30) | of limit | 429s | lost | duplicated |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {result['messages']:.0f} | {result['seconds']:.1f} | {result['private_rate']:.1f} "
          f"| {result['private_rate'] / 30:.1%} | {result['rate_limited']:.0f} | "
          f"{result['lost']:.0f} | {result['duplicated']:.0f} |")


if __name__ == "__main__":
    main()
