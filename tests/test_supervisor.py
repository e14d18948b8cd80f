"""`make run` end to end: the supervisor with DATABASE_URL and REDIS_URL unset, so the
embedded services start, as on a fresh machine; then the second start on the same data."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from relwatch import services, supervisor
from tests.ingest.feedbodies import RSS_TYPE, stories

CREDENTIALS = re.compile(r"user name: (?P<user>\S+)\s+password:\s+(?P<password>\S+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Run:
    """One `python -m relwatch.supervisor` in its own session, its output in a file."""

    def __init__(self, var: Path, port: int, log: Path):
        self.var, self.port, self.log = var, port, log
        env = {
            name: value
            for name, value in os.environ.items()
            # The acceptance path: nothing configured, as after a fresh clone.
            if name not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
        }
        env.update(
            RELWATCH_VAR_DIR=str(var),
            RELWATCH_PORT=str(port),
            WEB_CONCURRENCY="2",
            PYTHONUNBUFFERED="1",
        )
        self.output = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "relwatch.supervisor"],
            cwd=services.BASE_DIR,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def text(self) -> str:
        return self.log.read_text()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_serving(self, timeout: float = 300) -> None:
        # A first start migrates, loads the seeds and collects static files: on a busy
        # 2-core machine that has taken over three minutes.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"supervisor exited with {self.process.returncode}:\n{self.text}")
            # Not listening yet (or mid-start) is an HTTP error: poll again.
            with contextlib.suppress(httpx.HTTPError):
                login = httpx.get(self.url("/admin/login/"), timeout=5)
                health = httpx.get(self.url("/healthz"), timeout=5)
                if login.status_code == 200 and health.status_code == 200:
                    body = health.json()
                    assert body["database"]["up"] and body["broker"]["up"]
                    return
            time.sleep(0.5)
        pytest.fail(f"not serving after {timeout}s:\n{self.text}")

    def wait_for_exit(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"supervisor still running {timeout}s after the signal:\n{self.text}")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for process in processes_of(self.var):
            process.kill()
        self.output.close()


def processes_of(var: Path) -> list[psutil.Process]:
    """Every process started for this var dir: they inherit RELWATCH_VAR_DIR, and
    PostgreSQL and Redis (which overwrite their environment with a process title) name
    their data directory on their command line."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid == os.getpid():
                continue
            if process.environ().get("RELWATCH_VAR_DIR") == str(var) or str(var) in " ".join(
                process.cmdline()
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def family(run: Run) -> list[psutil.Process]:
    """The supervisor, its children and grandchildren, PostgreSQL and Redis."""
    members = [psutil.Process(run.process.pid)]
    members += members[0].children(recursive=True)
    for pid in (services.embedded_database_pid(run.var), services.embedded_redis_pid(run.var)):
        assert pid is not None
        postmaster = psutil.Process(pid)
        members += [postmaster, *postmaster.children(recursive=True)]
    return members


def log_in(run: Run, user: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=run.url(""), timeout=10) as browser:
        form = browser.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        browser.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": user, "password": password},
            headers={"Referer": run.url("/admin/login/")},
        )
        return browser.get("/admin/")


def still_running(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{process.pid} {' '.join(process.cmdline())}")
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.mark.slow
def test_make_run_serves_with_embedded_services_and_stops_cleanly_keeping_the_data(var, tmp_path):
    port = free_port()

    first = Run(var, port, tmp_path / "first.log")
    try:
        first.wait_until_serving()
        credentials = CREDENTIALS.search(first.text)
        assert credentials, first.text
        assert f"http://127.0.0.1:{port}/admin/" in first.text
        started = family(first)
        assert len(started) >= 6  # supervisor, web (+workers), worker, beat, postgres, redis

        first.process.send_signal(signal.SIGINT)

        assert first.wait_for_exit(30) == 0
        assert still_running(started) == []
        assert still_running(processes_of(var)) == []
        assert "embedded PostgreSQL stopped" in first.text
    finally:
        first.close()

    second = Run(var, port, tmp_path / "second.log")
    try:
        second.wait_until_serving()
        # The same account, shown only the first time, still works: the data was kept.
        assert CREDENTIALS.search(second.text) is None
        admin = log_in(second, credentials["user"], credentials["password"])
        assert admin.status_code == 200
        assert "Log out" in admin.text or "logout" in admin.text
        started = family(second)

        # A child that dies on its own takes the whole group down, with a message.
        beat = next(p for p in started if "beat" in p.cmdline())
        beat.kill()

        assert second.wait_for_exit(30) != 0
        assert "the beat process exited unexpectedly" in second.text
        assert still_running(started) == []
        assert still_running(processes_of(var)) == []
    finally:
        second.close()


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    var = tmp_path / "var"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(os.environ, RELWATCH_VAR_DIR=str(var), RELWATCH_PORT=str(port))
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)

        result = subprocess.run(
            [sys.executable, "-m", "relwatch.supervisor"],
            cwd=services.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stdout
    assert "RELWATCH_PORT" in result.stdout
    assert not services.pg_dir(var).exists()


def test_children_get_one_secret_key_and_cookie_flags_fit_for_loopback_http(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", *supervisor.LOOPBACK_HTTP_DEFAULTS):
        monkeypatch.delenv(name, raising=False)

    supervisor.configure_environment(tmp_path)

    assert os.environ["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert os.environ["SECURE_SSL_REDIRECT"] == "false"
    assert os.environ["SESSION_COOKIE_SECURE"] == "false"
    assert os.environ["CSRF_COOKIE_SECURE"] == "false"


def test_settings_given_by_the_operator_win_over_the_loopback_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "operator-key-" + "o" * 40)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")

    supervisor.configure_environment(tmp_path)

    assert os.environ["SECRET_KEY"] == "operator-key-" + "o" * 40
    assert os.environ["SESSION_COOKIE_SECURE"] == "true"
    assert not (tmp_path / "secret_key").exists()


def test_the_worker_runs_at_a_lower_cpu_priority_than_the_web_server(capsys):
    children = {child.name: child for child in supervisor.child_commands("127.0.0.1", 8000, 3)}
    assert children["worker"].niceness == supervisor.WORKER_NICENESS > 0
    assert children["web"].niceness == 0 and children["beat"].niceness == 0

    probe = supervisor.Child(
        "probe", [sys.executable, "-c", "import os; print(os.nice(0))"], niceness=10
    )
    probe.start(dict(os.environ))
    assert probe.process.wait(30) == 0
    probe.reader.join(10)
    assert f"probe    | {os.nice(0) + 10}" in capsys.readouterr().out


def test_exec_runs_a_command_with_the_services_and_stops_what_it_started(var):
    probe = (
        "import os, psycopg2, redis; from relwatch.config import cache_location;"
        "psycopg2.connect(os.environ['DATABASE_URL']).close();"
        "redis.Redis.from_url(cache_location(os.environ['REDIS_URL'])).ping();"
        "raise SystemExit(7)"
    )

    result = run_exec(var, sys.executable, "-c", probe)

    assert result.returncode == 7, result.stdout + result.stderr
    assert services.embedded_database_pid(var) is None
    assert services.embedded_redis_pid(var) is None


def run_exec(var: Path, *command: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, RELWATCH_VAR_DIR=str(var))
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "relwatch.supervisor", "exec", "--", *command],
        cwd=services.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_exec_leaves_running_the_services_another_live_process_owns(var):
    services.embedded_database_url(var)
    services.embedded_redis_url(var)
    (var / "services.owner").write_text(f"{os.getpid()}\n")  # as `make run` would

    result = run_exec(var, "true")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"embedded services are run by process {os.getpid()}" in result.stdout
    assert services.embedded_database_pid(var) is not None
    assert services.embedded_redis_pid(var) is not None


def test_exec_adopts_and_stops_services_whose_owner_died(var):
    services.embedded_database_url(var)
    services.embedded_redis_url(var)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (var / "services.owner").write_text(f"{gone.pid}\n")

    result = run_exec(var, "true")

    assert result.returncode == 0, result.stdout + result.stderr
    assert services.embedded_database_pid(var) is None
    assert services.embedded_redis_pid(var) is None
    assert not (var / "services.owner").exists()


@pytest.mark.slow
def test_exec_runs_the_readme_commands_without_a_secret_key(var, httpserver):
    """What the README tells an operator next to a stopped `make run`: migrate, add_feed and
    ingest through `supervisor exec`, with DEBUG off and no SECRET_KEY exported."""
    manage = [sys.executable, "manage.py"]
    env = {"DEBUG": "false", "RELWATCH_ALLOW_PRIVATE_FEEDS": "true"}
    unset = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    env_without_key = {name: value for name, value in os.environ.items() if name not in unset}
    httpserver.expect_request("/feed.xml").respond_with_data(stories(2), content_type=RSS_TYPE)
    httpserver.expect_request("/broken.xml").respond_with_data("oops", status=500)

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "relwatch.supervisor", "exec", "--", *manage, *args],
            cwd=services.BASE_DIR,
            env={**env_without_key, "RELWATCH_VAR_DIR": str(var), **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    run("migrate", "--no-input")
    added = run("add_feed", httpserver.url_for("/feed.xml"), "--title", "Loopback news")
    assert re.search(r"Added feed #\d+: http://\S+/feed.xml — Loopback news", added.stdout)
    run("add_feed", httpserver.url_for("/broken.xml"))
    ingested = run("ingest", "--all")

    assert "feeds: 2, new: 2," in ingested.stdout
    assert re.search(r"failed: feed #\d+ http://\S+/broken.xml: error: HTTP 500", ingested.stdout)
    assert (var / "secret_key").exists()
