"""What the benchmark scripts share: ports, percentiles, starting a server and waiting for it."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def answers(url: str) -> bool:
    """True once a GET of ``url`` succeeds."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_server(command: list[str], cwd: Path, env: dict[str, str],
                 ready: Callable[[str], bool], timeout: float = 300
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``command`` ("{port}" in it becomes a free port) and wait until ``ready(base)``;
    returns the process and its base URL."""
    port = free_port()
    server = subprocess.Popen([part.replace("{port}", str(port)) for part in command],
                              cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while not ready(base):
        if time.time() > deadline or server.poll() is not None:
            server.terminate()
            raise RuntimeError(f"{command[0]} did not start")
        time.sleep(0.5)
    return server, base


#: The shared PostgreSQL server; each run works in a schema of its own.
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the shared server for one run, dropped afterwards; yields the URL."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
