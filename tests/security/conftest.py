"""Fixtures for the security tests: a client per role, and the WSGI app served in-process."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

ROLES = ("anonymous", "analyst", "editor", "admin")


@pytest.fixture
def role_clients(analyst, editor, admin_user) -> dict[str, Client]:
    """One logged-in client per role; ``anonymous`` is logged out."""
    clients = {"anonymous": Client()}
    for role, user in (("analyst", analyst), ("editor", editor), ("admin", admin_user)):
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


@pytest.fixture
def in_process_wsgi():
    """Let the real WSGI handler serve requests inside the test's transaction.

    Django closes the database connection at the end of every request; inside the test's
    transaction that would drop its data. Django's own test client unhooks the same signal."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
