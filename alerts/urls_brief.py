"""The monthly brief: /brief/, /brief/YYYY-MM/ and /api/brief/YYYY-MM/.

Any text up to the slash reaches the views, which answer a malformed or impossible month
with a 404 that says why."""

from django.urls import path

from alerts import api_brief, views_brief

urlpatterns: list = [
    path("brief/", views_brief.latest_brief, name="brief"),
    path("brief/<str:month>/", views_brief.month_brief, name="brief-month"),
    path("api/brief/<str:month>/", api_brief.BriefView.as_view(), name="api-brief"),
]
