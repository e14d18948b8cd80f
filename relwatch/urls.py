from django.contrib import admin
from django.urls import include, path

from relwatch.health import healthz

admin.site.site_header = "Relwatch editors"
admin.site.site_title = "Relwatch"
admin.site.index_title = "Curate actors, events, feeds and articles"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("dashboard.api_urls")),
    path("", include("dashboard.urls")),
    path("", include("coding.urls")),
    path("", include("alerts.urls")),
]
