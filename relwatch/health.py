"""/healthz: is the database up, is the broker up.

The answer names only the kind of failure: the full error (host names, socket paths) goes
to the log, not to an anonymous caller on the internet.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from relwatch.config import cache_location

logger = logging.getLogger(__name__)


def database_up(conn=connection) -> tuple[bool, str]:
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any driver error means "down"
        logger.warning("healthz: database down: %s", exc)
        return False, type(exc).__name__


def broker_up(broker_url: str | None = None) -> tuple[bool, str]:
    client = None
    try:
        client = redis.Redis.from_url(
            cache_location(broker_url or settings.CELERY_BROKER_URL),
            socket_connect_timeout=1,
            socket_timeout=1,
        )
        client.ping()
        return True, "ok"
    except Exception as exc:
        logger.warning("healthz: broker down: %s", exc)
        return False, type(exc).__name__
    finally:
        if client is not None:
            client.close()


@never_cache
def healthz(request):
    """For load balancers and compose healthchecks: anonymous, JSON, never cached."""
    db_ok, db_detail = database_up()
    broker_ok, broker_detail = broker_up()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            "database": {"up": db_ok, "detail": db_detail},
            "broker": {"up": broker_ok, "detail": broker_detail},
        },
        status=200 if healthy else 503,
    )
