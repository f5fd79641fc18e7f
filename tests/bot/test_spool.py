"""The spool on disk: what is spooled stays until acknowledged, whatever happens in between."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from bot.conversation import Incoming
from bot.spool import Spool


def _messages(count: int) -> list[Incoming]:
    return [Incoming("rest", f"u{i}", f"u{i}", f"第{i}条", message_id=None if i % 2 else f"m{i}",
                     attachments=("photo-a",) if i == 0 else ())
            for i in range(count)]


def test_a_crash_after_take_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "inbox.jsonl"
    spool = Spool(path)
    ids = [spool.append(message) for message in _messages(200)]
    assert len(set(ids)) == 200  # every entry has its own spool id, message id or not

    taken = spool.take()
    # the process dies here, mid-replay, before acknowledging anything
    restarted = Spool(path)
    again = restarted.take()
    assert [entry.spool_id for entry in again] == ids == [entry.spool_id for entry in taken]
    assert [entry.incoming for entry in again] == _messages(200)


def test_only_acknowledged_entries_leave(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "inbox.jsonl")
    ids = [spool.append(message) for message in _messages(5)]
    spool.ack(ids[:3])
    assert [entry.spool_id for entry in Spool(spool.path).take()] == ids[3:]
    spool.ack(ids[3:])
    assert len(spool) == 0 and spool.take() == []
    assert not spool.path.exists()


def test_appends_during_a_replay_stay(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "inbox.jsonl")
    first = spool.append(Incoming("rest", "a", "a", "一"))
    taken = spool.take()
    late = spool.append(Incoming("rest", "b", "b", "二"))  # arrives while the replay runs
    spool.ack([entry.spool_id for entry in taken])
    assert [entry.spool_id for entry in spool.take()] == [late] and first != late


def test_lines_from_before_spool_ids_keep_one_id(tmp_path: Path) -> None:
    path = tmp_path / "inbox.jsonl"
    old: dict[str, object] = {"channel": "rest", "chat_id": "u", "sender": "u", "text": "停电了",
           "message_id": None, "display_name": None, "attachments": []}
    path.write_text(json.dumps(old, ensure_ascii=False) + "\n", encoding="utf-8")
    spool = Spool(path)
    [entry] = spool.take()
    assert entry.incoming.text == "停电了"
    assert [e.spool_id for e in Spool(path).take()] == [entry.spool_id]
    spool.ack([entry.spool_id])
    assert len(spool) == 0


def test_a_write_cut_short_by_a_crash_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "inbox.jsonl")
    kept = spool.append(Incoming("rest", "a", "a", "一"))
    with spool.path.open("a", encoding="utf-8") as file:
        file.write('{"spool_id": "x", "channel": "re')  # killed in the middle of a write
    assert [entry.spool_id for entry in spool.take()] == [kept]


def _try_replaying(path: Path, queue: multiprocessing.Queue[bool]) -> None:
    with Spool(path).replaying() as mine:
        queue.put(mine)


def test_one_process_replays_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "inbox.jsonl"
    queue: multiprocessing.Queue[bool] = multiprocessing.Queue()
    with Spool(path).replaying() as mine:
        assert mine
        other = multiprocessing.Process(target=_try_replaying, args=(path, queue))
        other.start()
        other.join(timeout=30)
        assert queue.get(timeout=5) is False  # another worker: not now
        with Spool(path).replaying() as also_mine:  # nor another task of this process
            assert not also_mine
    other = multiprocessing.Process(target=_try_replaying, args=(path, queue))
    other.start()
    other.join(timeout=30)
    assert queue.get(timeout=5) is True  # released: the next replay may run


def _append_many(path: Path, worker: int) -> None:
    spool = Spool(path)
    for i in range(50):
        spool.append(Incoming("rest", f"w{worker}", f"w{worker}", f"{i}"))


def test_workers_sharing_a_spool_lose_no_line(tmp_path: Path) -> None:
    path = tmp_path / "inbox.jsonl"
    spool = Spool(path)
    spool.append(Incoming("rest", "first", "first", "0"))
    workers = [multiprocessing.Process(target=_append_many, args=(path, w)) for w in range(3)]
    for worker in workers:
        worker.start()
    taken = spool.take()
    spool.ack([taken[0].spool_id])  # a replay rewrites the file while others append
    for worker in workers:
        worker.join(timeout=60)
    left = spool.take()
    assert len(left) == 150 and {e.incoming.sender for e in left} == {"w0", "w1", "w2"}
