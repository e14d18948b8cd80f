"""``make run``: the whole of Relwatch in one supervised foreground process.

    python -m relwatch.supervisor            # serve: web + Celery worker + Celery beat
    python -m relwatch.supervisor exec -- CMD  # run CMD with the same services (make test)

Starts what is missing (the embedded PostgreSQL when DATABASE_URL is unset, the embedded
Redis when REDIS_URL is unset), exports their URLs so every child uses the same ones,
prepares the database (migrate, seeds into an empty database, the first editor account),
then runs gunicorn, a Celery worker and Celery beat as one group. Ctrl-C or SIGTERM stops
every child (terminate, wait, kill) and then the embedded services; if a child dies on its
own, everything stops and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from relwatch import services
from relwatch.env import envint, envstr

# Serving plain http on loopback: a browser would drop "Secure" cookies and the SSL
# redirect would point at a port nothing listens on. Set them explicitly to override.
LOOPBACK_HTTP_DEFAULTS = {
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}

# Run before a child's real command: ask the kernel to SIGTERM the child when the
# supervisor dies (even by SIGKILL), so no orphan keeps the port or the database busy.
# Linux only; prctl(PR_SET_PDEATHSIG=1) survives the exec.
_PARENT_DEATH_LAUNCHER = (
    "import ctypes, os, signal, sys;"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM);"
    "os.getppid() == int(sys.argv[1]) or sys.exit(1);"
    "os.execvp(sys.argv[2], sys.argv[2:])"
)


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while the supervisor was preparing."""


class StartupFailed(Exception):
    """Something the group needs could not be started; the message says what."""


def say(message: str) -> None:
    with _output_lock:
        sys.stdout.write(f"relwatch | {message}\n")
        sys.stdout.flush()


_output_lock = threading.Lock()


# --- the embedded services -------------------------------------------------------------


@dataclass
class Services:
    """The embedded services this process uses, and whether it is the one to stop them.

    The first process to need them owns them (its pid in ``var/services.owner``) and stops
    them on its way out; a process that finds them owned by another live process (`make
    test` while `make run` serves) only uses them. Services left behind by a process that
    died are adopted by the next one.
    """

    var: Path
    database: bool = False
    redis: bool = False
    owner: bool = False

    @property
    def owner_file(self) -> Path:
        return self.var / "services.owner"

    def start_missing(self) -> None:
        need_database, need_redis = not envstr("DATABASE_URL"), not envstr("REDIS_URL")
        if not (need_database or need_redis):
            return
        self.var.mkdir(parents=True, exist_ok=True)
        self.owner = self._claim()
        # The flags go up first: an interrupted start still gets stopped.
        if need_database:
            started = time.monotonic()
            self.database = True
            os.environ["DATABASE_URL"] = services.embedded_database_url(self.var)
            # The server's own pg_dump / pg_restore / psql first: a system one may be older.
            bin_dir = str(services.postgres_bin_dir())
            os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
            say(
                f"embedded PostgreSQL up in {time.monotonic() - started:.1f}s "
                f"(data: {services.pg_dir(self.var)})"
            )
        if need_redis:
            self.redis = True
            os.environ["REDIS_URL"] = services.embedded_redis_url(self.var)
            say(f"embedded Redis up (socket: {services.redis_socket(self.var)})")
        if self.owner:
            services.publish_urls(
                self.var,
                {
                    name: os.environ[name]
                    for name, embedded in (
                        ("DATABASE_URL", need_database),
                        ("REDIS_URL", need_redis),
                    )
                    if embedded
                },
            )

    def _claim(self) -> bool:
        try:
            holder = int(self.owner_file.read_text().strip())
        except (OSError, ValueError):
            holder = None
        if holder is not None and holder != os.getpid() and services.pid_alive(holder):
            say(f"embedded services are run by process {holder}; using them")
            return False
        self.owner_file.write_text(f"{os.getpid()}\n")
        return True

    def stop(self) -> None:
        if not self.owner or not (self.database or self.redis):
            return
        services.unpublish_urls(self.var)
        if self.redis:
            services.stop_embedded_redis(self.var)
            self.redis = False
            say("embedded Redis stopped")
        if self.database:
            services.stop_embedded_database(self.var)
            self.database = False
            say("embedded PostgreSQL stopped")
        with contextlib.suppress(OSError):
            self.owner_file.unlink()
        self.owner = False


# --- children --------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    argv: list[str]
    # Added to the process's niceness (lower CPU priority); inherited by its children.
    niceness: int = 0
    # Added to the environment the supervisor hands every child.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        argv = self.argv
        if sys.platform.startswith("linux"):
            argv = [sys.executable, "-c", _PARENT_DEATH_LAUNCHER, str(os.getpid()), *argv]
        # Its own process group: the terminal's Ctrl-C reaches the supervisor only, which
        # then stops the children in order, and a kill of the group reaches grandchildren
        # (gunicorn workers, Celery pool processes).
        self.process = subprocess.Popen(
            argv,
            env={**env, **self.env},
            cwd=services.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=(lambda: os.nice(self.niceness)) if self.niceness else None,
        )
        self.reader = threading.Thread(target=self._relay_output, daemon=True)
        self.reader.start()

    def _relay_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        prefix = f"{self.name:<8} | "
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with _output_lock:
                sys.stdout.write(prefix + line + "\n")
                sys.stdout.flush()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signum)

    def kill_group(self) -> None:
        """SIGKILL whatever is left in the child's process group (orphaned grandchildren)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


WORKER_NICENESS = 10
GUNICORN_CONFIG = Path(__file__).resolve().parent / "gunicorn.conf.py"


def child_commands(host: str, port: int, web_workers: int) -> list[Child]:
    python = sys.executable
    return [
        Child(
            "web",
            [python, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "relwatch.wsgi:application"],
            env={"GUNICORN_BIND": f"{host}:{port}", "WEB_CONCURRENCY": str(web_workers)},
        ),
        Child(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "relwatch",
                "worker",
                "--loglevel",
                "INFO",
                "--hostname",
                "relwatch@%h",
                # One worker on one machine: nothing to synchronise with at start-up.
                "--without-mingle",
                "--without-gossip",
            ],
            # Web and worker share the machine's cores: a burst of feeds to parse must not
            # take the web workers' CPU (make load runs its worker so too).
            niceness=WORKER_NICENESS,
        ),
        Child(
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "relwatch",
                "beat",
                "--loglevel",
                "INFO",
            ],
        ),
    ]


# --- preparing the database --------------------------------------------------------------


def prepare_database() -> None:
    """Migrate, load the seeds into an empty database and create the first editor, in this
    process (one Django start-up instead of one per step); meanwhile collect static files
    in a subprocess when they changed."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relwatch.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    django.setup()
    collecting = None
    fingerprint = static_fingerprint()
    marker = Path(settings.STATIC_ROOT) / ".relwatch-sources"
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    # Whitenoise's manifest storage (DEBUG off) serves only what collectstatic hashed.
    # Compressing plotly.js takes a while, so it runs beside the migrations, and only when
    # a source file changed since the last run.
    if not settings.DEBUG and not (
        manifest.exists() and marker.exists() and marker.read_text() == fingerprint
    ):
        say("collecting static files")
        collecting = subprocess.Popen(
            [sys.executable, str(services.BASE_DIR / "manage.py"), "collectstatic"]
            + ["--no-input", "--verbosity", "0"],
            cwd=services.BASE_DIR,
            process_group=0,
        )
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            say(f"applying {len(plan)} migration(s)")
            call_command("migrate", interactive=False, verbosity=0)

        from relations.models import Actor

        if not Actor.objects.exists():
            say("empty database: loading the seeds (with sample articles)")
            try:
                call_command("load_seeds", "--with-samples")
            except Exception as exc:  # a broken seed file must not keep the site down
                say(f"WARNING: load_seeds failed, the dashboard starts empty: {exc}")

        call_command("create_first_editor")
        connections.close_all()
        if collecting is not None:
            if collecting.wait() != 0:
                raise StartupFailed("collectstatic failed (see above)")
            marker.write_text(fingerprint)
    finally:
        if collecting is not None and collecting.poll() is None:
            collecting.kill()
            collecting.wait()


def static_fingerprint() -> str:
    """A digest of every static source file's path, size and modification time."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(ignore_patterns=[]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


# --- the supervisor --------------------------------------------------------------------


class Supervisor:
    def __init__(self, host: str, port: int, web_workers: int, stop_timeout: float):
        self.host = host
        self.port = port
        self.stop_timeout = stop_timeout
        self.services = Services(services.var_dir())
        self.children = child_commands(host, port, web_workers)
        self.preparing = True
        self.stop_requested: str | None = None
        self.started = time.monotonic()

    def _on_signal(self, signum: int, frame) -> None:
        name = signal.Signals(signum).name
        if self.stop_requested:
            # A second Ctrl-C: do not wait for graceful shutdowns any more.
            self.stop_timeout = 0
            return
        self.stop_requested = name
        if self.preparing:
            raise Interrupted(name)

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        try:
            self._check_port_free()
            self.services.start_missing()
            configure_environment(self.services.var)
            say(mail_notice(self.services.var))
            prepare_database()
            self.preparing = False
            if self.stop_requested:
                raise Interrupted(self.stop_requested)
            return self._serve()
        except Interrupted as exc:
            say(f"{exc}: stopping")
            return 0
        except StartupFailed as exc:
            say(f"ERROR: {exc}")
            return 1
        finally:
            self.preparing = False
            self._stop_children()
            self.services.stop()

    def _serve(self) -> int:
        # Unbuffered: each child's log reaches the terminal as it happens, not in blocks.
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for child in self.children:
            child.start(env)
        say("starting web, worker and beat")
        ready = warned = False
        started = time.monotonic()
        while not self.stop_requested:
            dead = self._dead_child()
            if dead is not None:
                say(
                    f"ERROR: the {dead.name} process exited unexpectedly "
                    f"(status {dead.exit_code()}); stopping everything"
                )
                return 1
            if not ready and self._answers("/healthz"):
                ready = True
                self._announce()
            elif not ready and not warned and time.monotonic() - started > 60:
                warned = True
                say("WARNING: /healthz has not answered 200 for a minute; see the log above")
            time.sleep(0.25 if not ready else 0.5)
        say(f"{self.stop_requested}: stopping")
        return 0

    def _dead_child(self) -> Child | None:
        return next((c for c in self.children if c.exit_code() is not None), None)

    def _answers(self, path: str) -> bool:
        url = f"http://{_url_host(self.host)}:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _announce(self) -> None:
        base = f"http://{_url_host(self.host)}:{self.port}"
        say(f"ready, {time.monotonic() - self.started:.1f}s after start")
        say(f"  dashboard  {base}/")
        say(f"  admin      {base}/admin/")
        say(f"  health     {base}/healthz")
        say("press Ctrl-C to stop")

    def _stop_children(self) -> None:
        running = [c for c in self.children if c.exit_code() is None and c.process]
        if running:
            say("stopping web, worker and beat")
        # SIGTERM: gunicorn finishes its requests, the Celery worker its current tasks
        # (late acks re-deliver anything it cannot finish), beat just exits.
        for child in running:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while any(c.exit_code() is None for c in running) and time.monotonic() < deadline:
            time.sleep(0.1)
        for child in self.children:
            if child.exit_code() is None and child.process:
                say(f"{child.name} did not stop in {self.stop_timeout:.0f}s: killing it")
            child.kill_group()
        for child in self.children:
            if child.reader is not None:
                child.reader.join(timeout=2)

    def _check_port_free(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise StartupFailed(
                    f"cannot listen on {self.host}:{self.port} ({exc.strerror}); "
                    "stop what uses it or set RELWATCH_PORT / RELWATCH_HOST"
                ) from None


def configure_environment(var: Path) -> None:
    """The environment every child inherits: one secret key, loopback-http cookie flags."""
    use_generated_secret_key(var)
    for name, value in LOOPBACK_HTTP_DEFAULTS.items():
        if not envstr(name):
            os.environ[name] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relwatch.settings")


def mail_notice(var: Path) -> str:
    """Where alert mails go: the SMTP server named by EMAIL_HOST, or files under var/mail/
    (settings.EMAIL_FILE_PATH) when none is set."""
    host = envstr("EMAIL_HOST")
    if host:
        return f"mail: alerts are sent through {host}:{envstr('EMAIL_PORT', '25')}"
    return (
        f"mail: EMAIL_HOST is not set, so alert mails are written to {var / 'mail'}/ "
        "instead of being sent"
    )


def use_generated_secret_key(var: Path) -> None:
    """SECRET_KEY, when unset, is the key `make run` keeps under var/: commands run through
    `exec` sign sessions and tokens as the served site does, without the operator's help."""
    from relwatch.config import generated_secret_key

    if not envstr("SECRET_KEY"):
        os.environ["SECRET_KEY"] = generated_secret_key(var / "secret_key")


def _port(value: int) -> int:
    if value > 65535:
        raise ImproperlyConfigured(f"RELWATCH_PORT={value} is not a TCP port (1-65535).")
    return value


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


# --- exec: a command with the services ---------------------------------------------------


def run_with_services(command: list[str]) -> int:
    """Run ``command`` with DATABASE_URL and REDIS_URL pointing at running services,
    starting the embedded ones when unset and stopping them afterwards."""
    started = Services(services.var_dir())
    process: subprocess.Popen | None = None

    def forward(signum, frame):
        # The terminal's Ctrl-C reaches the command directly (same process group); a
        # SIGTERM sent to the supervisor alone is passed on.
        if process is not None and signum != signal.SIGINT:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    try:
        started.start_missing()
        use_generated_secret_key(started.var)
        process = subprocess.Popen(command)
        return process.wait()
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        started.stop()


# --- entry point -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m relwatch.supervisor",
        description="Serve Relwatch (web, Celery worker and beat) with the services it needs.",
    )
    sub = parser.add_subparsers(dest="action")
    sub.add_parser("run", help="serve Relwatch until Ctrl-C (the default)")
    exec_parser = sub.add_parser("exec", help="run a command with the services up")
    exec_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.action == "exec":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("exec needs a command, e.g. exec -- pytest")
        return run_with_services(command)

    try:
        supervisor = Supervisor(
            host=envstr("RELWATCH_HOST", "127.0.0.1"),
            port=_port(envint("RELWATCH_PORT", 8000, minimum=1)),
            web_workers=envint("WEB_CONCURRENCY", 3, minimum=1),
            stop_timeout=envint("RELWATCH_STOP_TIMEOUT", 20, minimum=0),
        )
        return supervisor.run()
    except ImproperlyConfigured as exc:
        say(f"ERROR: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
