"""Watchlist pages: /watch/ and what hangs off it."""

from django.urls import path

from alerts import views_watch as views

urlpatterns = [
    path("watch/", views.watchlists, name="watchlists"),
    path("watch/this/", views.watch_this, name="watch_this"),
    path("watch/brief/", views.brief_subscription, name="brief_subscription"),
    path("watch/<int:pk>/", views.watchlist, name="watchlist"),
    path("watch/<int:pk>/pause/", views.watchlist_pause, name="watchlist_pause"),
    path("watch/<int:pk>/delete/", views.watchlist_delete, name="watchlist_delete"),
    path("watch/<int:pk>/renew/<slug:what>/", views.watchlist_rotate, name="watchlist_rotate"),
    path("watch/<int:pk>/deliveries/", views.watchlist_deliveries, name="watchlist_deliveries"),
    path("watch/feed/<str:token>/", views.watchlist_feed, name="watchlist_feed"),
]
