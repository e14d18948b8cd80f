"""Schemathesis against the OpenAPI schema at /api/schema/: whatever it sends, no 500.

The schema is read from the real WSGI application and every generated request goes through
it in-process, against the test database holding a small world (published events of each
kind, a draft, feeds and articles) so that filters, look-ups and pagination do real work.
The events operations run once more as an editor, who sees drafts. Examples are bounded
so the run stays well inside CI's time.
"""

from __future__ import annotations

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from relwatch.wsgi import application
from tests.dashboard.world import build_world

EXAMPLES_PER_OPERATION = 25

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def fuzz_world(db, in_process_wsgi):
    return build_world()


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_the_api_never_answers_with_a_server_error(case, fuzz_world):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])


@schema.include(path_regex="^/api/events/").parametrize()
@FUZZ_SETTINGS
def test_the_events_api_never_answers_an_editor_with_a_server_error(
    case, fuzz_world, client, editor
):
    """Editors' requests take the paths that show drafts."""
    client.force_login(editor)
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    response = case.call(cookies=cookies)
    case.validate_response(response, checks=[not_a_server_error])


@pytest.mark.parametrize("credentials", [b"a\x00b:password", b"\xff\xfe:x", b"no-colon"])
def test_malformed_basic_credentials_are_refused_not_a_server_error(client, db, credentials):
    """Schemathesis found it: a NUL byte in a Basic user name reached axes's database write."""
    header = "Basic " + base64.b64encode(credentials).decode()
    response = client.get("/api/actors/", HTTP_AUTHORIZATION=header)
    assert response.status_code in (401, 403)
    assert "detail" in response.json()
