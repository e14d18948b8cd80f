"""Two processes refreshing the derived tables at once (an editor's save and the review of a
story, say) for days of one month: the second waits for the first, so neither fails on
PairMonth's unique key and the month's totals are summed from both days."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from relations import analytics
from relations.models import Event, PairMonth
from tests.factories import ActorFactory, InteractionFactory, MeetingFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, SECOND = dt.date(2024, 5, 3), dt.date(2024, 5, 20)


def test_two_refreshes_of_one_month_wait_for_each_other():
    russia, hamas = ActorFactory(slug="russia"), ActorFactory(slug="hamas")
    for day, score in ((FIRST, 2.0), (SECOND, -5.0)):
        talks = MeetingFactory(status=Event.Status.PUBLISHED, date=day)
        InteractionFactory(event=talks, source=russia, target=hamas, score=score)
    PairMonth.objects.all().delete()

    first_refreshed = threading.Event()
    failures: list[BaseException] = []

    def refresh(day: dt.date, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                analytics.refresh_dyad_days([day])
                if hold:
                    first_refreshed.set()
                    # Keep the transaction open while the other refresh starts.
                    threading.Event().wait(1.0)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            first_refreshed.set()
            connection.close()

    first = threading.Thread(target=refresh, args=(FIRST,), kwargs={"hold": True})
    first.start()
    assert first_refreshed.wait(10)
    second = threading.Thread(target=refresh, args=(SECOND,), kwargs={"hold": False})
    second.start()
    first.join(20)
    second.join(20)

    assert failures == []
    low, high = sorted((russia.pk, hamas.pk))
    assert list(PairMonth.objects.values_list("low_id", "high_id", "month", "net", "events")) == [
        (low, high, dt.date(2024, 5, 1), -3.0, 2)
    ]
