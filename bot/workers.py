"""``linli serve --workers N``: N server processes on one port, each with a listening socket of
its own (``SO_REUSEPORT``), so that the kernel spreads new connections evenly over them.

uvicorn's own workers share one listening socket, and whichever wakes first accepts every
connection waiting: a burst of clients opening kept-alive connections (a proxy, a load test)
lands mostly on one worker, which then does most of the work while the other idles for as
long as the connections last — measured, 64 % and 36 % of the messages, and no more
throughput from two workers than from one. A socket per worker has the kernel choose by
each connection's addresses instead.

The kernel's choice is by a hash, so it is even only on average: 20 kept-alive clients were
seen split 12 to 8, and once the lighter worker's clients had what they asked for it idled
while the other still worked (41 % and 59 % of the CPU, a fifth of the throughput lost).
So a worker that holds more than its share of the connections (:class:`FairShare`) closes
one now and then after answering on it: the client connects again, and the kernel places
the new connection afresh, until the shares are even.

A worker that dies is started again; SIGINT or SIGTERM stops them all. Connections waiting in
a dying worker's queue are reset with it, as the requests in its hands are lost: clients send
again (with the same message id, so nothing is answered twice) and reach a live worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Callable, MutableSequence
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: Seconds between looks at whether every worker is alive.
_WATCH = 0.5
#: Seconds a worker has to stop before it is killed.
_GRACE = 30.0


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def _socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def _listener(host: str, port: int) -> socket.socket:
    sock = _socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _check_free(host: str, port: int) -> None:
    """Fail now if the port is taken — by another program, or by another Linli, which a
    socket with SO_REUSEPORT would otherwise share it with."""
    with _socket(host) as probe:
        probe.bind((host, port))  # OSError (address in use) goes to the caller


class FairShare:
    """ASGI middleware for worker ``index`` of several: while it holds more than its share of
    the open connections (``shares`` holds each worker's count, in memory they all see), the
    answer to a request says ``Connection: close``, at most once per ``interval`` seconds so
    that the counts settle in between. The request is answered in full; only the connection
    ends, and the client's next one may land on another worker."""

    def __init__(self, app: ASGIApp, index: int, shares: MutableSequence[int],
                 interval: float = 0.1) -> None:
        self.app, self.index, self.shares, self.interval = app, index, shares, interval
        #: How many connections this worker holds now (the server's, once it exists).
        self.held: Callable[[], int] = lambda: 0
        self._last = float("-inf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._over_share():
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
            await send(message)

        await self.app(scope, receive, closing)

    def _over_share(self) -> bool:
        mine = self.shares[self.index] = self.held()
        fair = -(-sum(self.shares) // len(self.shares))  # rounded up: no closing at 11 to 10
        now = time.monotonic()
        if mine <= fair or now - self._last < self.interval:
            return False
        self._last = now
        return True


def _worker(host: str, port: int, keep_alive: int, index: int,
            shares: MutableSequence[int]) -> None:
    """One worker process: the app wired from the settings, on a socket of its own."""
    from bot.rest import app_from_settings

    fair = FairShare(app_from_settings(), index, shares)
    config = uvicorn.Config(fair, host=host, port=port, log_level="warning",
                            access_log=False, timeout_keep_alive=keep_alive)
    server = uvicorn.Server(config)
    fair.held = lambda: len(server.server_state.connections)
    server.run(sockets=[_listener(host, port)])


def serve_workers(host: str, port: int, count: int, keep_alive: int) -> None:
    """Run ``count`` workers until SIGINT or SIGTERM, starting again any that dies."""
    _check_free(host, port)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    shares = context.Array("i", count, lock=False)  # connections each worker holds

    def start(index: int) -> BaseProcess:
        shares[index] = 0
        process = context.Process(target=_worker,
                                  args=(host, port, keep_alive, index, shares),
                                  name="linli-worker")
        process.start()
        return process

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, on_signal)
                for number in (signal.SIGINT, signal.SIGTERM)}
    workers = [start(index) for index in range(count)]
    try:
        while not stop.wait(_WATCH):
            for index, worker in enumerate(workers):
                if not worker.is_alive():
                    log.warning("worker %s ended (exit code %s): starting another",
                                worker.pid, worker.exitcode)
                    workers[index] = start(index)
    finally:
        for worker in workers:
            worker.terminate()  # SIGTERM: uvicorn finishes the requests in hand
        for worker in workers:
            worker.join(_GRACE)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for number, handler in previous.items():
            signal.signal(number, handler)
