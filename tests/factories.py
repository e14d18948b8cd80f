"""factory_boy factories for the domain and ingest models, shared by every test module.

Defaults make a valid, unpublished row with unique names; pass what a test cares about.
An actor is looked up by slug first, so ``ActorFactory(slug="russia")`` twice is one actor.
"""

import datetime as dt

import factory
from django.utils import timezone
from django.utils.text import slugify

from ingest.models import Article, Feed, FetchLog, Mention
from relations.models import (
    Action,
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Event,
    Interaction,
    Meeting,
    Participant,
    Source,
    Statement,
)


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Actor {n}")
    slug = factory.LazyAttribute(lambda actor: slugify(actor.name))
    kind = Actor.Kind.STATE


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alias

    actor = factory.SubFactory(ActorFactory)
    text = factory.Sequence(lambda n: f"Alias {n}")
    language = "en"


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    actor = factory.SubFactory(ActorFactory, kind=Actor.Kind.PERSON)
    parent = factory.SubFactory(ActorFactory)
    role = "Member"


class _EventFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Event {n}")
    summary = ""
    date = dt.date(2023, 10, 26)
    status = Event.Status.DRAFT


class MeetingFactory(_EventFactory):
    class Meta:
        model = Meeting

    category = "CONSULT"
    format = Meeting.Format.HOSTED


class StatementFactory(_EventFactory):
    class Meta:
        model = Statement

    category = "ACCUSE"
    speaker = factory.SubFactory(ActorFactory)
    quote = "We condemn this."


class AllegationFactory(_EventFactory):
    class Meta:
        model = Allegation

    category = "ACCUSE"
    claimant = factory.SubFactory(ActorFactory)
    accused = factory.SubFactory(ActorFactory)
    claim = "It armed them."


class ActionFactory(_EventFactory):
    class Meta:
        model = Action

    category = "ASSAULT"
    means = Action.Means.STRIKE


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    event = factory.SubFactory(MeetingFactory)
    actor = factory.SubFactory(ActorFactory)
    role = Participant.Role.PARTICIPANT


class InteractionFactory(factory.django.DjangoModelFactory):
    """Leave ``score`` out to get the event category's default."""

    class Meta:
        model = Interaction

    event = factory.SubFactory(MeetingFactory)
    source = factory.SubFactory(ActorFactory)
    target = factory.SubFactory(ActorFactory)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    event = factory.SubFactory(MeetingFactory)
    url = factory.Sequence(lambda n: f"https://news.example.com/story-{n}")
    outlet = "Example News"
    title = factory.Sequence(lambda n: f"Story {n}")
    published_at = factory.LazyFunction(timezone.now)
    quote = "They met in Moscow."


class FeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feed

    url = factory.Sequence(lambda n: f"https://feeds{n}.example.com/rss.xml")
    title = factory.Sequence(lambda n: f"Feed {n}")
    language = "en"


class FetchLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FetchLog

    feed = factory.SubFactory(FeedFactory)
    http_status = 200
    outcome = FetchLog.Outcome.NEW


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    feed = factory.SubFactory(FeedFactory)
    guid = factory.Sequence(lambda n: f"urn:example:article:{n}")
    url = factory.Sequence(lambda n: f"https://news.example.com/article-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    summary = "Officials met in Moscow. They discussed the hostages."
    published_at = factory.LazyFunction(timezone.now)
    language = "en"
    content_hash = factory.Sequence(lambda n: f"{n:064x}")


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mention

    article = factory.SubFactory(ArticleFactory)
    actor = factory.SubFactory(ActorFactory)
    count = 1
    alias = factory.LazyAttribute(lambda mention: mention.actor.name)
