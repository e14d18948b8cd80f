from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("actors/<slug:slug>/", views.actor, name="actor"),
    path("events/<int:pk>/", views.event, name="event"),
]
