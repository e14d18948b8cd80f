import pytest
from django.contrib.auth.models import Group, User

from tests.alerts.support import SmtpServer


@pytest.fixture
def owner(db) -> User:
    user = User.objects.create_user(
        "olga", email="olga@example.org", password="owner-pass-123", is_staff=True
    )
    # get_or_create: a transactional test starts from empty tables (no migrated groups).
    user.groups.add(Group.objects.get_or_create(name="analysts")[0])
    return user


@pytest.fixture
def stranger(db) -> User:
    user = User.objects.create_user(
        "sam", email="sam@example.org", password="stranger-pass-123", is_staff=True
    )
    # get_or_create: a transactional test starts from empty tables (no migrated groups).
    user.groups.add(Group.objects.get_or_create(name="analysts")[0])
    return user


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and Django's mail pointed at it."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    settings.ALERTS_RETRY_SECONDS = 0
    settings.ALERTS_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def private_allowed(settings):
    """The loopback test receiver is a private address; let the guard through to it."""
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True
    return settings


# --- for the tests with worker and beat processes ---------------------------------------


@pytest.fixture
def mailbox():
    """A real SMTP server for worker processes (which read EMAIL_* from ``env``)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(worker_env, mailbox):
    """The environment of a worker or beat (``start_celery(kind, env, ...)``): this run's
    database and queue (``worker_env``), the mailbox, and retries half a second apart
    (tests.alerts.worker_settings)."""
    return worker_env(
        "tests.alerts.worker_settings", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(mailbox.port)
    )
