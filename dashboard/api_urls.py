"""JSON API and exports, routed at the site root (see relwatch/urls.py)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from dashboard import api, exports
from relwatch.permissions import ReadOnlyUnlessConfigured

router = SimpleRouter()
router.register("actors", api.ActorViewSet, basename="api-actor")
router.register("events", api.EventViewSet, basename="api-event")
router.register("articles", api.ArticleViewSet, basename="api-article")
router.register("feeds", api.FeedViewSet, basename="api-feed")
router.register("suggestions", api.SuggestionViewSet, basename="api-suggestion")
router.register("stories", api.StoryViewSet, basename="api-story")

urlpatterns = [
    path("api/", include(router.urls)),
    path("api/dyads/", api.DyadView.as_view(), name="api-dyads"),
    path("api/graph/", api.GraphView.as_view(), name="api-graph"),
    path(
        "api/schema/",
        SpectacularJSONAPIView.as_view(
            authentication_classes=api.AUTHENTICATION,
            permission_classes=[ReadOnlyUnlessConfigured],
        ),
        name="api-schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema",
            template_name="dashboard/api_docs.html",
            authentication_classes=api.AUTHENTICATION,
            permission_classes=[ReadOnlyUnlessConfigured],
        ),
        name="api-docs",
    ),
    path("export/events.csv", exports.events_csv, name="export-events-csv"),
    path("events.atom", exports.events_atom, name="events-atom"),
]
