"""How the cost of matching one new event against the watchlists grows with their number.

Watchlists as analysts make them, drawn at random over a gazetteer of 1,000 actors: two in
three follow timeline filters naming one to three actors (some with kinds or categories), one
in five an actor page, one in ten a pair (rolled up or not), and one in fifty no actor at all
(a kind or a category of every actor). The same published meeting of three actors is matched
against 100 of them and against 10,000 (the same 100 and 9,900 more); each run inserts its
notifications (``ON CONFLICT DO NOTHING``), which are cleared, untimed, before the next.

Prints ``alert_match_scaling`` (the time with 10,000 watchlists over the time with 100; the
target is at most 2.0: matching must not loop over every watchlist), the absolute times and
how many watchlists the event matched in each case. Needs DATABASE_URL and REDIS_URL (a bench
database of its own is made).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import report, setup_django, vacuum_analyze  # noqa: E402

SMALL, LARGE = 100, 10_000
ACTORS = 1000
RUNS = 15
SEED = 20231026
KINDS = ["meeting", "statement", "allegation", "action"]
CATEGORIES = ["CONSULT", "ACCUSE", "THREATEN", "AID", "ASSAULT", "DEMAND"]


def build_watchlists(count: int, actors: list, owner, rng: random.Random, start: int) -> list:
    from alerts.models import Watchlist

    rows = []
    for number in range(start, start + count):
        roll = rng.random()
        fields: dict = {"owner": owner, "name": f"Watchlist {number}", "saved_url": "/timeline/"}
        if roll < 0.02:
            fields.update(scope="timeline", kinds=[rng.choice(KINDS)])
        elif roll < 0.12:
            low, high = sorted(rng.sample(actors, 2), key=lambda actor: actor.pk)
            fields.update(scope="pair", pair_low=low, pair_high=high, rollup=rng.random() < 0.5)
        elif roll < 0.32:
            fields.update(scope="actor", actor_ids=[rng.choice(actors).pk])
        else:
            chosen = rng.sample(actors, rng.choice((1, 1, 2, 3)))
            fields.update(
                scope="timeline",
                actor_ids=sorted(actor.pk for actor in chosen),
                match_all=rng.random() < 0.3,
                kinds=[rng.choice(KINDS)] if rng.random() < 0.3 else [],
                categories=[rng.choice(CATEGORIES)] if rng.random() < 0.2 else [],
            )
        rows.append(Watchlist(**fields))
    return Watchlist.objects.bulk_create(rows, batch_size=2000)


def published_meeting(actors: list):
    from relations.models import Event, Interaction, Meeting, Participant, Source

    meeting = Meeting.objects.create(
        title="Three-way talks", date=dt.date(2026, 11, 20), category="CONSULT", status="draft"
    )
    for actor in actors:
        Participant.objects.create(event=meeting, actor=actor)
    Interaction.objects.create(event=meeting, source=actors[0], target=actors[1])
    Interaction.objects.create(event=meeting, source=actors[1], target=actors[2])
    Source.objects.create(event=meeting, outlet="Example", quote="They met.")
    Event.objects.filter(pk=meeting.pk).update(status="published")
    return meeting


def main() -> None:
    setup_django("alerts")
    from django.contrib.auth.models import User
    from django.db import transaction

    from alerts import triggers
    from alerts.models import Notification, Publication
    from bench.common import interleaved_medians
    from relations.models import Actor

    rng = random.Random(SEED)
    owner = User.objects.create_user("bench-owner", email="bench@example.org")
    actors = Actor.objects.bulk_create(
        [Actor(name=f"Actor {n}", slug=f"actor-{n}", kind="state") for n in range(ACTORS)]
    )
    event = published_meeting(actors[:3])

    def match() -> int:
        with transaction.atomic():
            return len(triggers.notify_new_event(event.pk))

    def reset() -> None:
        Notification.objects.all().delete()
        Publication.objects.all().delete()

    build_watchlists(SMALL, actors, owner, rng, 0)
    vacuum_analyze("alerts_watchlist")
    reset()
    small_matches = match()
    small = interleaved_medians([("small", match, reset)], runs=RUNS)["small"]

    build_watchlists(LARGE - SMALL, actors, owner, rng, SMALL)
    vacuum_analyze("alerts_watchlist")
    reset()
    large_matches = match()
    large = interleaved_medians([("large", match, reset)], runs=RUNS)["large"]

    report("alert_match_scaling", large / small)
    report("alert_match_ms_100", small * 1000)
    report("alert_match_ms_10000", large * 1000)
    report("alert_matches_100", small_matches)
    report("alert_matches_10000", large_matches)


if __name__ == "__main__":
    main()
