from django.core.management import call_command

from ingest.models import Article, Mention
from relations.models import Actor, Allegation, Event, Interaction, Meeting, Statement


def test_it_streams_every_kind_with_parts_and_leaves_sequences_usable(db):
    call_command("generate_synthetic", actors=20, events=300, articles=500, feeds=3, seed=7)

    assert Actor.objects.filter(slug__startswith="synthetic-").count() == 20
    assert Event.objects.count() == 300
    assert Meeting.objects.exists() and Statement.objects.exists() and Allegation.objects.exists()
    assert not Event.objects.filter(participants__isnull=True).exists()
    assert not Event.objects.filter(sources__isnull=True).exists()
    scores = Interaction.objects.values_list("score", flat=True)
    assert all(-10 <= score <= 10 for score in scores)
    assert Article.objects.count() == 500
    assert Mention.objects.count() >= 500
    # COPY chose the ids; the sequences must have been moved past them.
    Actor.objects.create(name="After", slug="after", kind="state")


def test_activity_follows_a_power_law_over_actors(db):
    call_command("generate_synthetic", actors=50, events=2000, articles=0, feeds=1, seed=3)
    per_actor = sorted(
        (Interaction.objects.filter(source=actor).count() for actor in Actor.objects.all()),
        reverse=True,
    )
    # The busiest actor is far busier than the median one.
    assert per_actor[0] > 5 * per_actor[len(per_actor) // 2]


def test_the_same_seed_gives_the_same_data(db):
    def snapshot():
        return list(Event.objects.order_by("id").values_list("kind", "date", "category"))

    call_command("generate_synthetic", actors=5, events=50, articles=10, feeds=1, seed=11)
    first = snapshot()
    Event.objects.all().delete()
    Article.objects.all().delete()
    Actor.objects.filter(slug__startswith="synthetic-").delete()
    call_command("generate_synthetic", actors=5, events=50, articles=10, feeds=1, seed=11)
    assert snapshot() == first


def test_derived_data_is_current_after_a_bulk_load(db):
    from relations.analytics import relations_graph
    from relations.search import search_events

    call_command("generate_synthetic", actors=10, events=200, articles=0, feeds=1, seed=5)
    graph = relations_graph(since=None, until=None, rollup=False)
    assert graph["edges"], "per-day dyad scores were not rebuilt after COPY"
    published = Event.objects.filter(status="published")
    assert search_events(published, "condemns").exists()
