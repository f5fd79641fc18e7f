"""``linli serve --workers 2``: both workers take their share of the connections, a worker
killed with SIGKILL is replaced while the other keeps answering, and stopping the server stops
every worker."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.common import free_port
from tests.faults.harness import REPO, WEBHOOK, Server

#: Kept-alive client connections opened at once, as a proxy or a busy client pool opens them.
CONNECTIONS = 40


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _workers(server: Server) -> list[int]:
    """The server's worker processes: its children that listen on the server's port."""
    assert server.process is not None
    return [pid for pid in _children(server.process.pid) if _sockets(pid, "0A")]


def _tcp_sockets() -> Iterator[tuple[int, str, str]]:
    """Every TCP socket on the machine: (local port, state, inode) from /proc/net/tcp{,6};
    state 0A is listening, 01 established."""
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        with table.open() as lines:
            next(lines)
            for fields in map(str.split, lines):
                yield int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]


def _sockets(pid: int, state: str, port: int | None = None) -> set[str]:
    """Inodes of ``pid``'s TCP sockets in ``state`` whose local port is ``port`` (any when
    None)."""
    try:
        inodes = {str(fd.readlink()).removeprefix("socket:[").removesuffix("]")
                  for fd in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:
        return set()
    return {inode for local_port, found, inode in _tcp_sockets()
            if found == state and inode in inodes and port in (None, local_port)}


def _listening_anywhere() -> set[str]:
    """Inodes of every listening TCP socket on the machine, whoever holds it."""
    return {inode for _port, state, inode in _tcp_sockets() if state == "0A"}


def _post(connection: http.client.HTTPConnection, sender: str, text: str,
          message_id: str) -> int:
    connection.request("POST", WEBHOOK, json.dumps(
        {"sender": sender, "message": text, "message_id": message_id}),
        {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response.status


@pytest.fixture
def two_workers(fault_home: Path) -> Iterator[Server]:
    server = Server(fault_home, args=["--workers", "2"])
    server.start()
    deadline = time.monotonic() + 60
    while len(_workers(server)) < 2:  # /healthz answers once the first worker is up
        assert time.monotonic() < deadline, "the second worker did not start"
        time.sleep(0.2)
    yield server
    server.stop()


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="Linux and BSD only")
def test_connections_opened_at_once_end_up_shared_evenly(two_workers: Server) -> None:
    """The kernel splits them at random (one worker taking nearly all is what a shared socket
    did); then a worker over its share closes one now and then, after answering on it, until
    the two hold 20 each. Every request is answered."""
    connections = [http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=60)
                   for _ in range(CONNECTIONS)]
    for connection in connections:
        connection.connect()
    splits = []
    deadline = time.monotonic() + 30
    for turn in itertools.count():
        for index, connection in enumerate(connections):  # one closed is opened again
            assert _post(connection, f"pool-{turn}-{index}", "你好", "1") == 200
        held = Counter({pid: len(_sockets(pid, "01", two_workers.port))
                        for pid in _workers(two_workers)})
        splits.append(sorted(held.values()))
        if sorted(held.values()) == [20, 20] or time.monotonic() > deadline:
            break
    for connection in connections:
        connection.close()
    assert splits[-1] == [20, 20], splits


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="Linux and BSD only")
def test_a_killed_worker_is_replaced_and_the_other_answers_meanwhile(
        two_workers: Server) -> None:
    first, second = _workers(two_workers)
    listening = _sockets(first, "0A")
    os.kill(first, signal.SIGKILL)
    # Connections that reached the killed worker's queue before its socket closed are reset
    # with it, as a request in its hands is lost: clients send again, with the same id. From
    # then on the kernel gives every new connection to the listening socket left.
    deadline = time.monotonic() + 30
    while listening & _listening_anywhere():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answered = 0
    for turn in range(20):  # new connections: the survivor's socket takes them all
        connection = http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=60)
        answered += _post(connection, "survivor", "你好", f"survivor-{turn}") == 200
        connection.close()
    assert answered == 20
    deadline = time.monotonic() + 60
    while len(workers := _workers(two_workers)) < 2 or first in workers:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)
    assert second in workers
    two_workers.stop()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_a_taken_port_is_a_clear_error(fault_home: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--port", str(port), "--workers", "2"],
            cwd=REPO, env=dict(os.environ, LINLI_HOME=str(fault_home)),
            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
