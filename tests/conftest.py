import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from pytest_httpserver import HTTPServer

from relations.models import Actor
from relwatch import services
from relwatch.caching import bump_data_version
from tests.factories import ActorFactory


@pytest.fixture(autouse=True)
def fresh_derived_caches():
    """Each test sees its own data: derived answers (graph, counts) are cached in Redis under
    the data version, which only a commit bumps, and a test's data is never committed."""
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
