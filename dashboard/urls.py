from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("timeline/", views.timeline, name="timeline"),
    path("relations/", views.relations, name="relations"),
    path("relations/<slug:a>/<slug:b>/", views.pair, name="pair"),
    path("actors/", views.actors, name="actors"),
    path("actors/<slug:slug>/", views.actor, name="actor"),
    path("events/<int:pk>/", views.event, name="event"),
    path("articles/", views.articles, name="articles"),
    path("feeds/", views.feeds, name="feeds"),
    path("methodology/", views.methodology, name="methodology"),
    path("favicon.ico", views.favicon, name="favicon"),
]
