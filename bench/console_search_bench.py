"""Console search benchmark (issue 12): the operators' transcript search, paging, filters,
a conversation's timeline and the review queue, over real HTTP, with 1,000,000 transcript
rows on PostgreSQL.

    .venv/bin/python -m bench.console_search_bench [--rows 1000000] [--repeat 30]

The rows are written by one INSERT … SELECT generate_series (half residents' messages with a
parse, half replies, 20,000 chats, one message every 15 seconds); the console app alone is
served by uvicorn on a free port and each measure is the p50/p95 of ``--repeat`` requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import threading
import time
from collections.abc import Callable

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from bench.common import free_port, percentile, postgres_schema
from console.app import create_console
from store import accounts
from store.database import make_engine, session_factory, transaction
from store.migrate import upgrade

PASSWORD = "bench password 1"
_TEXTS = ["3栋电梯又坏了", "楼道灯不亮", "物业电话多少", "你好", "谢谢", "今天天气怎么样",
          "12号楼1单元302下水道堵了", "我要报名包饺子活动", "my lift is broken again",
          "楼下装修太吵了", "停车位被占了", "电话13812345678联系我", "灭火器过期了",
          "查一下我的工单", "想找个人工", "hello", "垃圾没人收", "家里停水了", "建议多装路灯",
          "嗯"]
_INTENTS = ["report_repair", "report_repair", "ask_faq", "greet", "thank", "out_of_scope",
            "report_repair", "event_signup", "report_repair", "file_complaint",
            "file_complaint", "register_household", "report_emergency", "ticket_status",
            "request_human", "greet", "file_complaint", "report_repair", "make_suggestion",
            "out_of_scope"]


def fill(engine_url: str, rows: int) -> None:
    texts = "ARRAY[" + ",".join("'" + t.replace("'", "''") + "'" for t in _TEXTS) + "]"
    intents = "ARRAY[" + ",".join(f"'{i}'" for i in _INTENTS) + "]"
    engine = make_engine(engine_url)
    with engine.begin() as connection:
        connection.execute(text(f"""
            INSERT INTO transcript (channel, chat_id, sender, direction, text, language, parse,
                                    answered, at)
            SELECT 'telegram', 'chat' || (g / 2 % 20000), 'u' || (g / 2 % 20000),
                   CASE WHEN g % 2 = 0 THEN 'in' ELSE 'out' END,
                   CASE WHEN g % 2 = 0 THEN ({texts})[1 + (g / 2) % 20] ELSE '好的，已收到' END,
                   'zh',
                   CASE WHEN g % 2 = 0 THEN json_build_object(
                       'intent', json_build_object('name', ({intents})[1 + (g / 2) % 20],
                                                   'confidence', ((g * 7919) % 1000) / 1000.0),
                       'entities', '[]'::json,
                       'intent_ranking', json_build_array(
                           json_build_object('name', ({intents})[1 + (g / 2) % 20],
                                             'confidence', ((g * 7919) % 1000) / 1000.0),
                           json_build_object('name', 'out_of_scope',
                                             'confidence', ((g * 31) % 300) / 1000.0)))
                   END,
                   true, timestamptz '2026-06-01 00:00+00' + g * interval '15 seconds'
            FROM generate_series(1::bigint, :rows) AS g"""), {"rows": rows})
        connection.execute(text("ANALYZE transcript"))
    engine.dispose()


def timed(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    reply = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    assert reply.status_code == 200, reply.text[:200]
    return elapsed


def measure(name: str, repeat: int, run: Callable[[int], float]) -> dict[str, float]:
    times = [run(i) for i in range(repeat)]
    result = {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1)}
    print(f"{name:<34} p50 {result['p50_ms']:>7.1f} ms   p95 {result['p95_ms']:>7.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with postgres_schema() as url:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        fill(url, args.rows)
        print(f"{args.rows:,} transcript rows written in {time.perf_counter() - started:.0f} s")
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            accounts.add_user(session, "bench_op", PASSWORD, ["operator"],
                              dt.datetime.now(dt.UTC))
        app = FastAPI()  # mounted as `linli serve` mounts it
        app.mount("/console", create_console(sessions, lambda: dt.datetime.now(dt.UTC),
                                             b"k" * 32))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}/console"
        results: dict[str, dict[str, float]] = {}
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.post("/login", data={"username": "bench_op",
                                               "password": PASSWORD}).status_code == 303
            rng = random.Random(7)
            cursors: list[str] = []
            page = client.get("/api/messages").json()
            while len(cursors) < args.repeat and page["next"]:
                cursors.append(page["next"])
                page = client.get("/api/messages", params={"next": page["next"]}).json()
            searches = {
                "first page": {},
                "next pages (keyset)": None,
                "text q=电梯": {"q": "电梯"},
                "text q=灭火器 (1 in 20)": {"q": "灭火器"},
                "text q, no match (worst case)": {"q": "没有这句话"},
                "text q, no match, 2 characters": {"q": "火锅"},  # too short for trigrams
                "intent=request_human": {"intent": "request_human"},
                "max_confidence=0.3": {"max_confidence": "0.3"},
                "low confidence + intent": {"low_confidence": "1", "intent": "ask_faq"},
                "unanswered": {"unanswered": "1"},
                "a week (since/until)": {"since": "2026-07-01", "until": "2026-07-07"},
                "channel+language+in": {"channel": "telegram", "language": "zh",
                                        "direction": "in"},
            }
            for name, params in searches.items():
                if params is None:
                    results[name] = measure(name, len(cursors), lambda i: timed(
                        client, "/api/messages", {"next": cursors[i]}))
                    continue
                chosen = params
                results[name] = measure(name, args.repeat,
                                        lambda _i, chosen=chosen: timed(  # type: ignore[misc]
                                            client, "/api/messages", chosen))
            ids = [rng.randrange(1, args.rows, 2) + 1 for _ in range(args.repeat)]
            results["open a conversation"] = measure(
                "open a conversation", args.repeat,
                lambda i: timed(client, f"/api/messages/{ids[i]}"))
            results["review queue"] = measure("review queue", max(5, args.repeat // 3),
                                              lambda _i: timed(client, "/api/review"))
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
    print(json.dumps({"rows": args.rows, "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
