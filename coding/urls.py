"""Pages of the coding app (the editors' review queue), included at the site root."""

from django.urls import path

from coding import views

app_name = "coding"

urlpatterns = [
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/<int:pk>/accept/", views.accept, name="accept"),
    path("suggestions/<int:pk>/reject/", views.reject, name="reject"),
    path("suggestions/<int:pk>/merge/", views.merge, name="merge"),
]
