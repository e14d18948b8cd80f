"""Web security as a browser and an attacker meet it: production settings pass
``check --deploy``, responses carry the protective headers and cookie flags, scripts need the
request's CSP nonce, logins are throttled, and forms refuse requests without a CSRF token.

Tests run with DEBUG on (tests/envdefaults.py); what production alone switches on (secure
cookies, HSTS, the HTTPS redirect) is checked in a fresh interpreter with production's
environment, serving real requests through Django's test client."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from relwatch import services
from relwatch.config import database_url

PRODUCTION_HOST = "relwatch.example.org"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)

# Served in a production interpreter; prints what the responses carried as JSON.
PRODUCTION_PROBE = """
import json

import django

django.setup()

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings


def seen(response):
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            name: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
                   "samesite": morsel["samesite"]}
            for name, morsel in response.cookies.items()
        },
    }


# Production serves hashed files that collectstatic writes (minutes for plotly.js); the probe
# renders pages with the plain storage and keeps every other production setting.
plain = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
seen_by_path = {}
with override_settings(STORAGES=plain), transaction.atomic():
    client = Client(HTTP_HOST="%(host)s")
    seen_by_path["http /healthz"] = seen(client.get("/healthz"))
    seen_by_path["http /admin/login/"] = seen(client.get("/admin/login/"))
    seen_by_path["https /healthz"] = seen(client.get("/healthz", secure=True))
    seen_by_path["https /admin/login/"] = seen(client.get("/admin/login/", secure=True))
    get_user_model().objects.create_user("probe", password="%(password)s", is_staff=True)
    seen_by_path["https login"] = seen(
        client.post(
            "/admin/login/?next=/admin/",
            {"username": "probe", "password": "%(password)s"},
            secure=True,
        )
    )
    # Nothing the probe wrote stays behind.
    transaction.set_rollback(True)
print(json.dumps(seen_by_path))
"""


@pytest.fixture
def production_env(db, tmp_path) -> dict[str, str]:
    """Production's environment: DEBUG off, a strong key, a real host name, and this test
    run's database and Redis."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "relwatch.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "RELWATCH_VAR_DIR": str(tmp_path),
    }


def run_in_production(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=services.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production_responses(production_env) -> dict[str, dict]:
    password = secrets.token_urlsafe(24)
    probe = PRODUCTION_PROBE % {"host": PRODUCTION_HOST, "password": password}
    result = run_in_production(production_env, "-c", probe)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def csp_directives(response_headers) -> dict[str, list[str]]:
    policy = response_headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --------------------------------------------------------------------------- production


def test_production_settings_pass_check_deploy_without_a_warning(production_env):
    result = run_in_production(
        production_env, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_production_sends_plain_http_to_https_except_the_health_check(production_responses):
    login = production_responses["http /admin/login/"]
    assert login["status"] == 301
    assert login["headers"]["Location"] == f"https://{PRODUCTION_HOST}/admin/login/"
    # Load balancers probe over plain HTTP inside the network.
    assert production_responses["http /healthz"]["status"] == 200


def test_production_responses_carry_hsts_and_the_protective_headers(production_responses):
    for path in ("https /healthz", "https /admin/login/"):
        headers = production_responses[path]["headers"]
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        ), path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert headers["X-Frame-Options"] == "DENY", path
        script_src = csp_directives(headers)["script-src"]
        assert "'self'" in script_src and "'unsafe-inline'" not in script_src, path


def test_production_cookies_are_secure_and_hidden_from_scripts(production_responses):
    login = production_responses["https login"]
    assert login["status"] == 302, "the probe's login should succeed"
    session = login["cookies"][settings.SESSION_COOKIE_NAME]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    csrf = production_responses["https /admin/login/"]["cookies"][settings.CSRF_COOKIE_NAME]
    assert csrf == {"secure": True, "httponly": True, "samesite": "Lax"}


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/"])
def test_responses_forbid_sniffing_framing_and_leaking_the_referrer(client, db, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    directives = csp_directives(response.headers)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]


def test_every_script_on_a_page_carries_the_nonce_its_policy_allows(client, db):
    first = client.get("/")
    second = client.get("/")

    assert first.status_code == 200
    nonces = []
    for response in (first, second):
        script_src = csp_directives(response.headers)["script-src"]
        allowed = [value for value in script_src if value.startswith("'nonce-")]
        assert len(allowed) == 1, script_src
        nonce = allowed[0].removeprefix("'nonce-").removesuffix("'")
        tags = SCRIPT_TAG.findall(response.content.decode())
        assert tags, "the page loads its scripts"
        for tag in tags:
            # JSON data blocks are never executed; every other script needs the nonce.
            if 'type="application/json"' not in tag:
                assert f'nonce="{nonce}"' in tag, tag
        nonces.append(nonce)
    assert nonces[0] != nonces[1], "a nonce is used once"


def test_the_csrf_cookie_is_not_readable_by_scripts(client, db):
    response = client.get("/admin/login/")

    assert response.cookies[settings.CSRF_COOKIE_NAME]["httponly"]


# --------------------------------------------------------------------------- login throttling


def attempt_login(client: Client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


@pytest.fixture
def victim(db) -> User:
    return User.objects.create_user("victim", password="right-pass-123", is_staff=True)


def test_five_wrong_passwords_lock_the_account_from_that_address(client, victim):
    assert settings.AXES_FAILURE_LIMIT == 5
    refusals = [attempt_login(client, "victim", f"wrong-{n}").status_code for n in range(5)]

    sixth = attempt_login(client, "victim", "right-pass-123")

    # The first four get the form back; the fifth failure reaches the limit and locks.
    assert refusals == [200, 200, 200, 200, 429]
    assert sixth.status_code == 429
    assert b"locked" in sixth.content.lower()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_a_lockout_leaves_other_users_and_other_addresses_alone(client, victim):
    User.objects.create_user("bystander", password="other-pass-123", is_staff=True)
    for n in range(5):
        attempt_login(client, "victim", f"wrong-{n}")

    bystander = attempt_login(client, "bystander", "other-pass-123")
    # Locking by user and address together: an attacker cannot lock an editor out everywhere.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    from_elsewhere = attempt_login(elsewhere, "victim", "right-pass-123")

    assert bystander.status_code == 302
    assert bystander["Location"] == "/admin/"
    assert from_elsewhere.status_code == 302


def test_a_successful_login_resets_the_failure_count(client, victim):
    for n in range(4):
        attempt_login(client, "victim", f"wrong-{n}")
    assert attempt_login(client, "victim", "right-pass-123").status_code == 302
    client.logout()

    for n in range(4):
        assert attempt_login(client, "victim", f"wrong-again-{n}").status_code == 200
    assert attempt_login(client, "victim", "right-pass-123").status_code == 302


# --------------------------------------------------------------------------- CSRF


def test_a_login_post_without_a_csrf_token_is_refused(victim):
    client = Client(enforce_csrf_checks=True)

    response = attempt_login(client, "victim", "right-pass-123")

    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert "_auth_user_id" not in client.session


def test_a_login_post_with_the_forms_csrf_token_is_accepted(victim):
    client = Client(enforce_csrf_checks=True)
    form = client.get("/admin/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.content).group(1)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "victim", "password": "right-pass-123", "csrfmiddlewaretoken": token.decode()},
    )

    assert response.status_code == 302


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_outside_the_api_is_exempt_from_csrf():
    exempt = [
        route
        for route, view in _views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
        # DRF exempts its views from the middleware and checks CSRF itself for session
        # users on unsafe methods (SessionAuthentication.enforce_csrf).
        and not issubclass(getattr(view, "cls", object), APIView)
    ]

    assert exempt == []
