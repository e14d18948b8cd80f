import pytest


@pytest.fixture
def private_allowed(settings):
    """The loopback test server is a private address; let the guard through to it."""
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True
    return settings
