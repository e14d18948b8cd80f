"""/healthz: is the database up, is the broker up."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from relwatch.config import cache_location


def database_up() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any driver error means "down", reported as text
        return False, f"{type(exc).__name__}: {exc}".strip()[:300]


def broker_up() -> tuple[bool, str]:
    try:
        client = redis.Redis.from_url(
            cache_location(settings.CELERY_BROKER_URL),
            socket_connect_timeout=1,
            socket_timeout=1,
        )
        client.ping()
        return True, "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}".strip()[:300]


@never_cache
def healthz(request):
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
