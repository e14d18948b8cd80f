"""Who may do what: every admin and dashboard URL walked as each role.

Roles: anonymous; analysts (group ``analysts``, staff); editors (group ``editors``, staff);
admins (superusers). No separate ``admins`` group is needed: managing users, groups, the
beat schedule and the login-lockout records is what superusers alone do.

The policy, written here independently of ``ingest.roles`` so that a drift in either shows:

- anonymous readers read the published dashboard, the API and the exports, and are sent to
  the login page by every admin URL;
- analysts read everything editors curate in the admin (actors, aliases, affiliations,
  events of every kind, feeds, the fetch log, articles) and change nothing: add, change
  (POST), delete and the history "revert" form answer 403. They see no draft anywhere: not
  on the dashboard, the API and the exports, and not in the admin either, whose lists,
  pages, histories, autocompletes and links to events show them what the dashboard does
  (relations.visibility; see the draft tests at the end);
- editors curate: they add and change actors and events, add, change and delete aliases,
  affiliations and (through the event forms) participants, interactions and sources, add and
  change feeds (including disabling and re-enabling them), and triage articles. They delete
  no actor, event or feed (a deletion cascades into the curated record and the article
  archive); that, like users and groups, is for admins.
- Feeds have no per-feed security setting. What is security-sensitive about a feed, the
  address it may be fetched from, is checked by ``validate_feed_url`` for everybody (admins
  included), and the switch that allows private addresses, ``RELWATCH_ALLOW_PRIVATE_FEEDS``,
  lives in the environment, out of any web user's reach. So editors keep add/change/disable
  on feeds, and deleting a feed is an admin's.
- Superusers may do everything each admin offers at all (the fetch log is read-only, articles
  come only from feeds, events are added and deleted through their kind's admin).

Admin URLs are generated from ``admin.site._registry`` and each model admin's own URL
patterns, so a newly registered model (or a custom admin view) is walked automatically; it
only needs a sample object in ``sample_objects`` (the walk says so when one is missing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from ingest.models import Article, Feed, FetchLog
from relations.analytics import rebuild_dyad_days
from relations.models import Action, Alias, Cue, Event, Meeting
from relations.search import refresh_search_vectors
from relwatch.caching import bump_data_version
from tests.coding.review_support import make_story
from tests.dashboard.world import World, build_world
from tests.factories import (
    ActionFactory,
    ArticleFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)
from tests.security.conftest import ROLES

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
READ = frozenset({VIEW})
ALL = frozenset({VIEW, ADD, CHANGE, DELETE})
CURATED_MODELS = (
    "relations.actor",
    "relations.alias",
    "relations.affiliation",
    "relations.event",
    "relations.meeting",
    "relations.statement",
    "relations.allegation",
    "relations.action",
    "ingest.feed",
    "ingest.fetchlog",
    "ingest.article",
    "relations.cue",
    "coding.story",
    "coding.suggestion",
)
EDITORS_MAY: dict[str, frozenset[str]] = {
    "relations.actor": frozenset({VIEW, ADD, CHANGE}),
    "relations.alias": frozenset({VIEW, ADD, CHANGE, DELETE}),
    "relations.affiliation": frozenset({VIEW, ADD, CHANGE, DELETE}),
    "relations.event": frozenset({VIEW, ADD, CHANGE}),
    "relations.meeting": frozenset({VIEW, ADD, CHANGE}),
    "relations.statement": frozenset({VIEW, ADD, CHANGE}),
    "relations.allegation": frozenset({VIEW, ADD, CHANGE}),
    "relations.action": frozenset({VIEW, ADD, CHANGE}),
    "ingest.feed": frozenset({VIEW, ADD, CHANGE}),
    "ingest.fetchlog": READ,
    "ingest.article": frozenset({VIEW, CHANGE}),
    "relations.cue": ALL,
    "coding.story": frozenset({VIEW, CHANGE}),
    "coding.suggestion": READ,
}


def policy(role: str, label: str) -> frozenset[str]:
    """What ``role`` may do to ``label``'s rows by policy, before what the admin offers."""
    if role == "admin":
        return ALL
    if role == "editor":
        return EDITORS_MAY.get(label, frozenset())
    if role == "analyst":
        return READ if label in CURATED_MODELS else frozenset()
    return frozenset()


# --- the world: one object of every registered model ----------------------------------------


def sample_objects(world: World) -> dict[str, object]:
    """One row per registered model, keyed by its label; a new model needs one here."""
    interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    fetch_log = FetchLog.objects.filter(feed=world.feed).first()
    article = Article.objects.filter(feed=world.feed).first()
    story = make_story(world.russia, world.hamas)
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    access = {
        "user_agent": "test",
        "ip_address": "192.0.2.1",
        "username": "someone",
        "http_accept": "*/*",
        "path_info": "/admin/login/",
    }
    return {
        "auth.group": Group.objects.get(name="analysts"),
        "auth.user": User.objects.create_user("walked-user", password="walked-pass-123"),
        "django_celery_beat.periodictask": PeriodicTask.objects.create(
            name="walked task", task="ingest.tasks.poll_due_feeds", interval=interval
        ),
        "django_celery_beat.clockedschedule": ClockedSchedule.objects.create(
            clocked_time=timezone.now()
        ),
        "django_celery_beat.crontabschedule": CrontabSchedule.objects.create(minute="7"),
        "django_celery_beat.solarschedule": SolarSchedule.objects.create(
            event="sunrise", latitude=55.75, longitude=37.62
        ),
        "django_celery_beat.intervalschedule": interval,
        "axes.accessattempt": AccessAttempt.objects.create(
            **access, get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**access),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**access),
        "relations.actor": world.russia,
        "relations.alias": Alias.objects.filter(actor=world.russia).first(),
        "relations.affiliation": world.lavrov.affiliations.first(),
        "relations.event": Event.objects.get(pk=world.meeting.pk),
        "relations.meeting": world.meeting,
        "relations.statement": world.praise,
        "relations.allegation": world.allegation,
        "relations.action": _sample_action(world),
        "ingest.feed": world.feed,
        "ingest.fetchlog": fetch_log,
        "ingest.article": article,
        "relations.cue": Cue.objects.create(category="ACCUSE", language="en", phrase="rebuke"),
        "coding.story": story,
        "coding.suggestion": story.suggestions.first(),
    }


def _sample_action(world: World) -> Action:
    action = ActionFactory(
        title="Walked strike", status=Event.Status.DRAFT, means=Action.Means.ROCKET_FIRE
    )
    SourceFactory(event=action, quote="Rockets were fired.")
    action.status = Event.Status.PUBLISHED
    action.save()
    return action


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def samples(world) -> dict[str, object]:
    return sample_objects(world)


# --- the admin walk ---------------------------------------------------------------------------


# The article inbox's POST-only views (ingest.admin.ArticleAdmin.get_urls), which need the
# change permission on articles.
TRIAGE_KINDS = ("dismiss", "restore", "undo")


@dataclass(frozen=True)
class AdminURL:
    label: str  # the model's label, or "" for the site's own pages
    kind: str  # changelist, add, change, delete, history, revert, password, index, ...
    url: str
    obj: object | None = None


def _offered(model_admin, kind: str, obj) -> set[str]:
    """What the model admin offers a superuser at all: its own has_*_permission."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    offered = set()
    if model_admin.has_view_permission(request, obj):
        offered.add(VIEW)
    if model_admin.has_add_permission(request):
        offered.add(ADD)
    if model_admin.has_change_permission(request, obj):
        offered.add(CHANGE)
    if model_admin.has_delete_permission(request, obj):
        offered.add(DELETE)
    return offered


def admin_urls(samples: dict[str, object]) -> list[AdminURL]:
    urls = [
        AdminURL("", "index", reverse("admin:index")),
        AdminURL("", "password_change", reverse("admin:password_change")),
    ]
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        urls.append(AdminURL(app_label, "app_list", reverse("admin:app_list", args=[app_label])))
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        assert label in samples, f"{label} is registered in the admin: add a sample object"
        obj = samples[label]
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for pattern in model_admin.get_urls():
            if pattern.name is None:
                continue  # the bare "<id>/" redirect to the change page
            kind = pattern.name.removeprefix(info.split(":", 1)[1] + "_")
            if kind in ("changelist", "add"):
                urls.append(AdminURL(label, kind, reverse(f"{info}_{kind}"), obj))
            elif kind in ("change", "delete", "history", "password_change", "dismiss", "restore"):
                urls.append(AdminURL(label, kind, reverse(f"{info}_{kind}", args=[obj.pk]), obj))
            elif kind == "undo":  # undoing a dismissal of articles
                urls.append(AdminURL(label, kind, reverse(f"{info}_{kind}"), obj))
            elif kind == "simple_history":
                version = model.history.filter(id=obj.pk).order_by("history_id").first()
                url = reverse(f"{info}_{kind}", args=[obj.pk, version.history_id])
                urls.append(AdminURL(label, "revert", url, obj))
            else:
                raise AssertionError(f"{pattern.name}: say which roles may open this admin view")
    return urls


def _may(role: str, url: AdminURL) -> frozenset[str]:
    """The policy for the role, within what the model's admin offers at all."""
    model_admin = next(
        a for m, a in admin.site._registry.items() if m._meta.label_lower == url.label
    )
    return policy(role, url.label) & _offered(model_admin, url.kind, url.obj)


def _app_permitted(role: str, app_label: str) -> bool:
    return any(
        policy(role, model._meta.label_lower)
        for model in admin.site._registry
        if model._meta.app_label == app_label
    )


def expected_get(role: str, url: AdminURL) -> int:
    if role == "anonymous":
        return 302
    if url.kind in ("index", "password_change") and not url.label:
        return 200
    if url.kind in TRIAGE_KINDS:
        return 405  # POST only: following a link changes nothing
    if url.kind == "app_list":
        return 200 if _app_permitted(role, url.label) else 404
    may = _may(role, url)
    reads = bool(may & {VIEW, CHANGE})
    if url.kind in ("changelist", "history", "revert"):
        return 200 if reads else 403
    if url.kind == "change":
        if url.label == "relations.event" and reads:
            return 302  # the all-events list sends each event to its kind's own admin
        return 200 if reads else 403
    if url.kind == "add":
        return 200 if ADD in may else 403
    if url.kind == "delete":
        return 200 if DELETE in may else 403
    if url.kind == "password_change":
        return 200 if CHANGE in may else 403
    raise AssertionError(url)


def _walk(role_clients, urls, expected, method="get", data=None) -> list[str]:
    wrong = []
    for role in ROLES:
        client = role_clients[role]
        for url in urls:
            want = expected(role, url)
            if want is None:
                continue
            response = getattr(client, method)(url.url, data or {})
            got = response.status_code
            if got != want:
                wrong.append(f"{role:9} {method.upper():4} {url.url} -> {got}, expected {want}")
            elif got == 302 and role == "anonymous":
                assert response["Location"].startswith(reverse("admin:login")), url.url
    return wrong


def test_every_admin_url_answers_each_role_as_the_policy_says(role_clients, samples):
    wrong = _walk(role_clients, admin_urls(samples), expected_get)
    assert not wrong, "\n".join(wrong)


def expected_refused_post(role: str, url: AdminURL) -> int | None:
    """The status of a POST that the role may not make (None: the role may, not posted)."""
    if not url.label or url.kind not in (
        "add",
        "change",
        "delete",
        "revert",
        "password_change",
        *TRIAGE_KINDS,
    ):
        return None
    if role == "anonymous":
        return 302
    may = _may(role, url)
    needed = {"add": ADD, "delete": DELETE}.get(url.kind, CHANGE)
    if needed in may:
        return None
    if url.label == "relations.event" and url.kind == "change" and may & {VIEW}:
        return 302  # a redirect to the kind's own admin, where the POST would be checked
    return 403


def test_no_role_can_post_what_it_may_not_do(role_clients, samples):
    """Add, change, delete and revert POSTs are refused before any form is read."""
    urls = admin_urls(samples)
    before = {label: type(obj).objects.filter(pk=obj.pk).count() for label, obj in samples.items()}
    wrong = _walk(role_clients, urls, expected_refused_post, method="post", data={"post": "yes"})
    assert not wrong, "\n".join(wrong)
    after = {label: type(obj).objects.filter(pk=obj.pk).count() for label, obj in samples.items()}
    assert after == before


def test_the_walk_covers_every_registered_model(samples):
    walked = {url.label for url in admin_urls(samples) if url.kind == "changelist"}
    assert walked == {model._meta.label_lower for model in admin.site._registry}
    assert {"auth.user", "auth.group", "relations.meeting", "ingest.feed"} <= walked


# --- what editors and analysts actually do ---------------------------------------------------


def _revert_form_data(client, url: str) -> dict:
    """The history form's own fields with their current values: a valid POST."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def test_an_analyst_cannot_publish_a_draft_through_the_history_revert_form(
    role_clients, world, editor
):
    """simple_history's revert form saves on POST for anyone who may view the history."""
    draft = Meeting.objects.get(pk=world.draft.pk)
    version = draft.history.order_by("-history_id").first()
    url = reverse("admin:relations_meeting_simple_history", args=[draft.pk, version.history_id])
    data = _revert_form_data(role_clients["editor"], url)
    data["status"] = Event.Status.PUBLISHED
    data["title"] = "Published by an analyst"

    response = role_clients["analyst"].post(url, data)

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == Event.Status.DRAFT
    assert draft.title == "Unpublished draft meeting"


def test_an_editor_can_revert_an_event_from_its_history(role_clients, world):
    meeting = Meeting.objects.get(pk=world.meeting.pk)
    version = meeting.history.order_by("history_id").first()
    url = reverse("admin:relations_meeting_simple_history", args=[meeting.pk, version.history_id])
    data = _revert_form_data(role_clients["editor"], url)
    data["title"] = "Reverted by an editor"

    response = role_clients["editor"].post(url, data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Reverted by an editor"


def _action(client, model: str, action: str, *pks: int):
    url = reverse(f"admin:{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks]})


def test_only_editors_and_admins_publish_drafts(role_clients, world):
    SourceFactory(event=world.draft)
    _action(role_clients["analyst"], "relations_event", "publish_selected", world.draft.pk)
    world.draft.refresh_from_db()
    assert world.draft.status == Event.Status.DRAFT

    response = _action(
        role_clients["editor"], "relations_event", "publish_selected", world.draft.pk
    )

    assert response.status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.status == Event.Status.PUBLISHED


def test_editors_disable_feeds_and_analysts_cannot(role_clients, world):
    _action(role_clients["analyst"], "ingest_feed", "disable", world.feed.pk)
    world.feed.refresh_from_db()
    assert world.feed.active

    _action(role_clients["editor"], "ingest_feed", "disable", world.feed.pk)

    world.feed.refresh_from_db()
    assert not world.feed.active
    assert world.feed.status == Feed.Status.DISABLED


def test_editors_delete_aliases_but_only_admins_delete_feeds(role_clients, world):
    alias = Alias.objects.filter(actor=world.russia).first()
    delete_alias = reverse("admin:relations_alias_delete", args=[alias.pk])
    assert role_clients["analyst"].post(delete_alias, {"post": "yes"}).status_code == 403
    assert role_clients["editor"].post(delete_alias, {"post": "yes"}).status_code == 302
    assert not Alias.objects.filter(pk=alias.pk).exists()

    delete_feed = reverse("admin:ingest_feed_delete", args=[world.failing_feed.pk])
    assert role_clients["editor"].post(delete_feed, {"post": "yes"}).status_code == 403
    assert role_clients["admin"].post(delete_feed, {"post": "yes"}).status_code == 302
    assert not Feed.objects.filter(pk=world.failing_feed.pk).exists()


def test_editors_cannot_make_themselves_admins(role_clients, editor):
    url = reverse("admin:auth_user_change", args=[editor.pk])
    response = role_clients["editor"].post(
        url, {"username": editor.username, "is_superuser": "on", "is_staff": "on"}
    )
    assert response.status_code == 403
    editor.refresh_from_db()
    assert not editor.is_superuser


# --- the dashboard walk -----------------------------------------------------------------------


def dashboard_urls(world: World) -> dict[str, dict[str, int]]:
    """Every dashboard, API and export URL with the status each role gets."""
    everyone = dict.fromkeys(ROLES, 200)
    editors_only = {"anonymous": 404, "analyst": 404, "editor": 200, "admin": 200}
    article = Article.objects.filter(feed=world.feed).first()
    return {
        "/": everyone,
        "/timeline/": everyone,
        "/relations/": everyone,
        "/relations/russia/hamas/": everyone,
        "/relations/russia/no-such-actor/": dict.fromkeys(ROLES, 404),
        "/actors/": everyone,
        "/actors/russia/": everyone,
        "/actors/no-such-actor/": dict.fromkeys(ROLES, 404),
        f"/events/{world.meeting.pk}/": everyone,
        f"/events/{world.draft.pk}/": editors_only,
        "/events/999999/": dict.fromkeys(ROLES, 404),
        "/articles/": everyone,
        "/feeds/": everyone,
        "/healthz": everyone,
        "/api/actors/": everyone,
        "/api/actors/russia/": everyone,
        "/api/events/": everyone,
        f"/api/events/{world.meeting.pk}/": everyone,
        f"/api/events/{world.draft.pk}/": editors_only,
        "/api/articles/": everyone,
        f"/api/articles/{article.pk}/": everyone,
        "/api/feeds/": everyone,
        f"/api/feeds/{world.feed.pk}/": everyone,
        "/api/dyads/?a=russia&b=hamas": everyone,
        "/api/graph/": everyone,
        "/api/schema/": everyone,
        "/export/events.csv": everyone,
        "/events.atom": everyone,
    }


def test_every_dashboard_url_answers_each_role(role_clients, world):
    wrong = []
    for url, by_role in dashboard_urls(world).items():
        for role, want in by_role.items():
            got = role_clients[role].get(url).status_code
            if got != want:
                wrong.append(f"{role:9} GET {url} -> {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_the_api_is_read_only_for_every_role(role_clients, world):
    targets = ["/api/events/", f"/api/events/{world.meeting.pk}/", "/api/actors/russia/"]
    for method in ("post", "put", "patch", "delete"):
        for role in ROLES:
            for url in targets:
                response = getattr(role_clients[role], method)(
                    url, {"title": "Changed", "status": "draft"}, content_type="application/json"
                )
                assert response.status_code in (403, 405), f"{role} {method} {url}"
    world.meeting.refresh_from_db()
    assert world.meeting.title == "Hamas delegation received in Moscow"
    assert world.meeting.status == Event.Status.PUBLISHED


def test_with_login_required_anonymous_readers_are_turned_away(role_clients, world, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True
    for url in ("/", "/timeline/", f"/events/{world.meeting.pk}/", "/events.atom"):
        response = role_clients["anonymous"].get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(settings.LOGIN_URL), url
        assert role_clients["analyst"].get(url).status_code == 200, url
    response = role_clients["anonymous"].get("/export/events.csv")
    assert response.status_code == 302
    for url in ("/api/events/", "/api/graph/", "/api/schema/"):
        assert role_clients["anonymous"].get(url).status_code == 403, url
        assert role_clients["analyst"].get(url).status_code == 200, url


# --- drafts never leak ------------------------------------------------------------------------

DRAFT_TITLE = "Zqxv secret draft summit"
# Every string of the draft a page could show; the bare marker "Zqxv" is also searched for,
# and a search box echoes it back.
DRAFT_STRINGS = (DRAFT_TITLE, "Zqxv summary", "Zqxvgrad", "Zqxv Wire", "Zqxv quote")


@pytest.fixture
def secret_draft(world) -> Event:
    """A draft wired to everything a page could show it through: participants, a scored
    interaction, a source, a linked article, a published statement answering it and a
    published allegation it answers."""
    draft = MeetingFactory(
        title=DRAFT_TITLE,
        summary="Zqxv summary",
        date=dt.date(2023, 10, 27),
        city="Zqxvgrad",
        category="ASSAULT",
    )
    ParticipantFactory(event=draft, actor=world.russia, role="host")
    ParticipantFactory(event=draft, actor=world.hamas, role="guest")
    InteractionFactory(event=draft, source=world.russia, target=world.hamas, score=-9.3)
    SourceFactory(event=draft, outlet="Zqxv Wire", quote="Zqxv quote")
    ArticleFactory(feed=world.feed, title="Article about the summit", event=draft)
    answer = StatementFactory(
        title="Published answer",
        status=Event.Status.PUBLISHED,
        speaker=world.israel,
        responding_to=draft,
    )
    ParticipantFactory(event=answer, actor=world.israel, role="speaker")
    SourceFactory(event=answer)
    world.allegation.responses.add(draft)
    rebuild_dyad_days()
    refresh_search_vectors()
    return draft


def draft_surfaces(world: World, draft: Event) -> list[str]:
    answer = Event.objects.get(title="Published answer")
    return [
        "/",
        "/timeline/",
        "/timeline/?q=Zqxv",
        "/timeline/?status=draft",
        "/timeline/?actor=russia&actor=hamas&match=all",
        "/relations/",
        "/relations/russia/hamas/",
        "/relations/russia/hamas/?bucket=month&period=2023-10-01",
        "/actors/russia/",
        "/actors/hamas/",
        f"/events/{answer.pk}/",
        f"/events/{world.allegation.pk}/",
        "/articles/",
        "/api/events/",
        "/api/events/?q=Zqxv",
        "/api/events/?status=draft",
        f"/api/events/{answer.pk}/",
        f"/api/events/{world.allegation.pk}/",
        "/api/dyads/?a=russia&b=hamas",
        "/api/graph/",
        "/export/events.csv",
        "/export/events.csv?status=draft",
        "/events.atom",
        "/events.atom?actor=russia",
        "/events.atom?a=russia&b=hamas",
    ]


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("role", ["anonymous", "analyst"])
def test_a_draft_never_leaks_to_readers(role_clients, world, secret_draft, role):
    client = role_clients[role]
    for url in draft_surfaces(world, secret_draft):
        response = client.get(url)
        assert response.status_code == 200, url
        body = _body(response)
        for text in DRAFT_STRINGS:
            assert text not in body, f"{role} sees the draft's {text!r} on {url}"
        assert f"/events/{secret_draft.pk}/" not in body, f"{role} gets a link to it on {url}"
    assert client.get(f"/events/{secret_draft.pk}/").status_code == 404
    assert client.get(f"/api/events/{secret_draft.pk}/").status_code == 404


def _graph_and_dyads(client) -> tuple[dict, dict]:
    graph = client.get("/api/graph/").json()
    dyads = client.get("/api/dyads/?a=russia&b=hamas&bucket=month").json()
    return graph, dyads


def _committed() -> None:
    """What a commit does after an editor's change: derived rows rebuilt, caches renewed."""
    rebuild_dyad_days()
    bump_data_version()


def test_a_drafts_interaction_is_not_counted_until_it_is_published(role_clients, world):
    before_graph, before_dyads = _graph_and_dyads(role_clients["anonymous"])
    draft = MeetingFactory(title=DRAFT_TITLE, date=dt.date(2023, 10, 27), category="ASSAULT")
    InteractionFactory(event=draft, source=world.russia, target=world.hamas, score=-9.3)
    _committed()

    for role in ROLES:
        assert _graph_and_dyads(role_clients[role]) == (before_graph, before_dyads), role

    SourceFactory(event=draft)
    draft.status = Event.Status.PUBLISHED
    draft.save()
    _committed()
    # The same comparisons see it once published: the checks above can fail.
    graph, dyads = _graph_and_dyads(role_clients["anonymous"])
    assert graph != before_graph
    assert dyads != before_dyads


def test_editors_see_drafts_where_drafts_are_meant_for_them(role_clients, world, secret_draft):
    client = role_clients["editor"]
    for url in (
        "/timeline/",
        "/timeline/?status=draft",
        f"/events/{secret_draft.pk}/",
        "/api/events/?status=draft",
        f"/api/events/{secret_draft.pk}/",
        "/export/events.csv?status=draft",
        "/articles/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert DRAFT_TITLE in _body(response), url
    # The Atom feed is for subscribers: published events only, whoever fetches it.
    assert DRAFT_TITLE not in _body(client.get("/events.atom"))


# --- drafts in the admin (issue 10, point 11) --------------------------------------------------


def _autocomplete(app_label: str, model_name: str, field_name: str, term: str = "") -> str:
    query = f"app_label={app_label}&model_name={model_name}&field_name={field_name}&term={term}"
    return f"{reverse('admin:autocomplete')}?{query}"


def draft_admin_surfaces(world: World, draft: Event) -> list[str]:
    """Besides every admin URL of the walk: the draft's own pages in each admin that could
    open it, the lists filtered to drafts or searched for it, the autocompletes of every link
    to an event, and the pages of what links to it (an article, a statement answering it, an
    allegation it answers)."""
    article = Article.objects.get(event=draft)
    answer = Event.objects.get(title="Published answer")
    urls = [
        reverse("admin:relations_event_changelist") + "?status__exact=draft",
        reverse("admin:relations_event_changelist") + "?q=Zqxv",
        reverse("admin:ingest_article_changelist") + "?q=summit",
        reverse("admin:ingest_article_change", args=[article.pk]),
        reverse("admin:relations_statement_change", args=[answer.pk]),
        reverse("admin:relations_statement_history", args=[answer.pk]),
        reverse("admin:relations_allegation_change", args=[world.allegation.pk]),
        reverse("admin:relations_allegation_history", args=[world.allegation.pk]),
        _autocomplete("ingest", "article", "event", "Zqxv"),
        _autocomplete("ingest", "article", "event"),
        _autocomplete("relations", "statement", "responding_to", "Zqxv"),
        _autocomplete("relations", "allegation", "responses", "Zqxv"),
    ]
    for kind in ("event", "meeting", "statement", "allegation", "action"):
        changelist = reverse(f"admin:relations_{kind}_changelist")
        urls += [changelist, f"{changelist}?status__exact=draft", f"{changelist}?q=Zqxv"]
        urls += [
            reverse(f"admin:relations_{kind}_change", args=[draft.pk]),
            reverse(f"admin:relations_{kind}_history", args=[draft.pk]),
        ]
    version = Meeting.history.filter(id=draft.pk).order_by("history_id").first()
    urls.append(reverse("admin:relations_meeting_simple_history", args=[draft.pk, version.pk]))
    return urls


def test_an_analyst_sees_no_draft_anywhere_in_the_admin(role_clients, world, secret_draft):
    """The walk: every admin URL an analyst can reach, and every URL that could show the draft,
    followed through redirects; not one names it."""
    samples = sample_objects(world)
    client = role_clients["analyst"]
    urls = [url.url for url in admin_urls(samples) if url.kind not in TRIAGE_KINDS]
    urls += draft_admin_surfaces(world, secret_draft)
    reached = 0
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403, 404), f"{url} -> {response.status_code}"
        reached += response.status_code == 200
        body = _body(response)
        for text in DRAFT_STRINGS:
            assert text not in body, f"the analyst sees the draft's {text!r} on {url}"
        draft_page = f"/{secret_draft.pk}/change/"
        assert not any(
            f"relations/{kind}{draft_page}" in body
            for kind in ("event", "meeting", "statement", "allegation", "action")
        ), f"the analyst gets a link to the draft on {url}"
    assert reached > 40
    # The published answer and the allegation stay readable, without their draft links.
    answer = Event.objects.get(title="Published answer")
    page = client.get(reverse("admin:relations_statement_change", args=[answer.pk]))
    assert page.status_code == 200 and "Published answer" in _body(page)


def test_an_editor_still_finds_the_draft_in_the_admin(role_clients, world, secret_draft):
    client = role_clients["editor"]
    for url in (
        reverse("admin:relations_event_changelist") + "?status__exact=draft",
        reverse("admin:relations_meeting_change", args=[secret_draft.pk]),
        reverse("admin:relations_meeting_history", args=[secret_draft.pk]),
        reverse("admin:ingest_article_change", args=[Article.objects.get(event=secret_draft).pk]),
        _autocomplete("ingest", "article", "event", "Zqxv"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert DRAFT_TITLE in _body(response), url
