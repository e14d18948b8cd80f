"""Issue 10, point 14: the API's throttles are on.

Rates come from API_THROTTLE_ANON and API_THROTTLE_USER (tests/test_settings.py reads them
from the environment; tests/envdefaults.py sets them high for the rest of the suite). Here a
low rate makes the request past it a 429 that says when to come back.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

RATE = 3


@pytest.fixture
def low_rates(monkeypatch):
    # DRF copies the rates onto the class when it is imported, so a changed setting would
    # not reach it; the rate is what is lowered, the counting (in Redis) is the real one.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": f"{RATE}/min", "user": f"{2 * RATE}/min"}
    )


def _address() -> str:
    # A fresh address each run: the counts live in Redis for a minute, across test runs.
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


def _clear(address: str, user_pk: int | None = None) -> None:
    cache.delete(f"throttle_anon_{address}")
    if user_pk is not None:
        cache.delete(f"throttle_user_{user_pk}")


def test_the_api_answers_429_with_retry_after_past_the_anonymous_rate(client, db, low_rates):
    address = _address()
    _clear(address)
    statuses = [client.get("/api/actors/", REMOTE_ADDR=address).status_code for _ in range(RATE)]
    assert statuses == [200] * RATE
    refused = client.get("/api/events/", REMOTE_ADDR=address)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()
    # Another address has its own count.
    other = _address()
    _clear(other)
    assert client.get("/api/actors/", REMOTE_ADDR=other).status_code == 200


def test_a_forwarded_for_header_does_not_buy_a_fresh_quota(client, db, low_rates):
    address = _address()
    _clear(address)
    for number in range(RATE):
        client.get("/api/actors/", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")
    refused = client.get("/api/actors/", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert refused.status_code == 429


def test_signed_in_users_are_counted_per_user_at_their_own_rate(client, analyst, low_rates):
    address = _address()
    _clear(address, analyst.pk)
    client.force_login(analyst)
    statuses = [
        client.get("/api/actors/", REMOTE_ADDR=address).status_code for _ in range(2 * RATE)
    ]
    assert statuses == [200] * (2 * RATE)
    refused = client.get("/api/actors/", REMOTE_ADDR=address)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
