import shutil
import tempfile
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from pytest_httpserver import HTTPServer

from relations.models import Actor
from relwatch import services
from relwatch.caching import bump_data_version, end_request_memo
from relwatch.config import cache_location, database_url
from tests.factories import ActorFactory

# Celery processes against any services (tests/faults); start_worker below points them at this
# run's database and queue.
from tests.faults.conftest import start_celery  # noqa: F401
from tests.faults.services import CeleryProcess, django_env


@pytest.fixture(autouse=True)
def fresh_derived_caches():
    """Each test sees its own data: derived answers (graph, counts) are cached in Redis under
    the data version, which only a commit bumps, and a test's data is never committed.

    Each test also starts outside a web request: a response the test client never closes
    (a file followed to, as the favicon's; the API fuzzer's calls) never sends
    request_finished, and its request memo would otherwise keep the versions and newest ids
    it read for every later test of the process."""
    end_request_memo()
    bump_data_version()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit refreshes of the writes inside the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# Three actors of the core triangle, for the admin, editor and triage tests.
@pytest.fixture
def russia(db) -> Actor:
    return ActorFactory(name="Russia", slug="russia")


@pytest.fixture
def hamas(db) -> Actor:
    return ActorFactory(name="Hamas", slug="hamas", kind=Actor.Kind.ARMED_GROUP)


@pytest.fixture
def israel(db) -> Actor:
    return ActorFactory(name="Israel", slug="israel")


@pytest.fixture
def feed_server():
    """A feed server for worker processes (the fault and worker tests)."""
    # Threaded: a request held open (a slow feed) must not block the others.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def broker():
    """This run's Celery queue (a Redis list), emptied before and after."""
    client = redis.Redis.from_url(cache_location(settings.CELERY_BROKER_URL))
    keys = ("celery", "unacked", "unacked_index", "unacked_mutex")
    client.delete(*keys)
    yield client
    client.delete(*keys)


@pytest.fixture
def worker_env(transactional_db, broker):
    """The environment of a Celery process that a test starts: this run's database (whatever
    server it is on, the embedded one included; committed data, hence ``transactional_db``)
    and its emptied queue. Call it with a settings module (such as
    ``tests.alerts.worker_settings``) and variables to add."""

    def env(settings_module: str | None = None, **extra: str) -> dict[str, str]:
        if settings_module:
            extra["DJANGO_SETTINGS_MODULE"] = settings_module
        return django_env(
            database_url(connection.settings_dict), settings.CELERY_BROKER_URL, **extra
        )

    return env


@pytest.fixture
def start_worker(worker_env, start_celery):  # noqa: F811 (the fixture imported above)
    """Start a real Celery worker, or a beat with ``beat=True``, on this run's database and
    queue: ``start_worker(*options, settings_module=..., VARIABLE="value")``. The worker uses
    the solo pool, so a SIGKILL stops the task itself and not just a parent whose child would
    carry on. All are stopped at teardown, before the database is flushed."""

    def start(
        *options: str, beat: bool = False, settings_module: str | None = None, **env: str
    ) -> CeleryProcess:
        environment = worker_env(settings_module, **env)
        if beat:
            return start_celery("beat", environment, *options)
        return start_celery("worker", environment, "--pool=solo", *options)

    return start


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("edna", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def analyst(db) -> User:
    user = User.objects.create_user("anna", password="analyst-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="analysts"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def var():
    """A var dir of its own for the embedded services, outside pytest's tmp_path: pytest
    resets /tmp/pytest-of-<user> to mode 0700 whenever any session starts, which would lock
    out the `pgserver` user that PostgreSQL runs as under root."""
    base = Path(tempfile.mkdtemp(prefix="relwatch-test-"))
    yield base / "var"
    services.stop_embedded_redis(base / "var")
    services.stop_embedded_database(base / "var")
    shutil.rmtree(base, ignore_errors=True)
