"""Pages of the coding app (the editors' review queue), included at the site root."""

from django.urls import path  # noqa: F401

app_name = "coding"

urlpatterns: list = []
