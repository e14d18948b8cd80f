"""Issue 10, point 16: a login whose ``next`` is refused lands on the dashboard.

Django refuses a ``next`` on another host (an open redirect) and then sends the user to
LOGIN_REDIRECT_URL, by default /accounts/profile/, a 404 here. The admin's login is the
site's only login view (the dashboard has none of its own).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.views import LoginView
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.urls import reverse

REFUSED_NEXTS = ["https://evil.example/", "//evil.example/path", "javascript:alert(1)"]


@pytest.fixture
def credentials(analyst):
    return {"username": analyst.username, "password": "analyst-pass-123"}


@pytest.mark.parametrize("refused", REFUSED_NEXTS)
def test_a_login_with_a_refused_next_lands_on_the_dashboard(client, credentials, refused):
    response = client.post(
        f"{reverse('admin:login')}?next={refused}", {**credentials, "next": refused}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:overview")
    assert client.get(response["Location"]).status_code == 200


def test_a_login_without_next_lands_on_the_dashboard(client, credentials):
    # The admin's own form always sends a next (the admin index); a plain LoginView, which
    # any other login form would use, falls back to the setting.
    response = LoginView.as_view()(_login_request(client, credentials))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:overview")


def _login_request(client, credentials):
    request = RequestFactory().post("/login/", credentials)
    request.session = SessionStore()
    request._dont_enforce_csrf_checks = True
    return request


def test_a_login_with_a_local_next_still_goes_there(client, credentials):
    response = client.post(
        f"{reverse('admin:login')}?next=/timeline/", {**credentials, "next": "/timeline/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/timeline/"
