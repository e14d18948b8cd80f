"""The after-commit hooks with a real worker: an editor's change of an allegation's evidence
status and the deletion of a watched actor reach the watchlists through the queue alone."""

from __future__ import annotations

import pytest

from alerts.forms import create_watchlist
from alerts.models import Notification
from relations.models import Allegation
from tests.alerts.support import publish_event
from tests.factories import ActorFactory, AllegationFactory
from tests.faults.services import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_evidence_change_and_a_deleted_actor_reach_the_watchlists_through_the_queue(
    start_celery,
    env,
    owner,
    israel,
    hamas,  # noqa: F811
):
    watched = create_watchlist(owner, "/timeline/?actor=hamas")
    doomed = ActorFactory(name="Wagner Group", slug="wagner-group")
    orphan = create_watchlist(owner, "/actors/wagner-group/")
    worker = start_celery("worker", env, "--pool=solo")
    allegation = publish_event(
        israel, hamas, factory=AllegationFactory, claimant=israel, accused=hamas, category="ACCUSE"
    )
    wait_for(
        lambda: Notification.objects.filter(trigger="event").exists(),
        f"the publication to be told:\n{worker.output()}",
    )

    allegation.evidence_status = Allegation.EvidenceStatus.CORROBORATED
    allegation.save()
    doomed.delete()

    wait_for(
        lambda: Notification.objects.filter(trigger="evidence", watchlist=watched).exists(),
        f"the evidence change to be told:\n{worker.output()}",
    )
    [change] = Notification.objects.filter(trigger="evidence")
    assert change.title.startswith("Evidence unverified → corroborated")
    wait_for(lambda: orphan.refresh_from_db() or orphan.paused, "the orphan to be paused")
    assert "wagner-group" in orphan.paused_reason
