from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOnlyUnlessConfigured(BasePermission):
    """The API is read-only; anonymous reads are allowed unless DASHBOARD_LOGIN_REQUIRED."""

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        if settings.DASHBOARD_LOGIN_REQUIRED:
            return bool(request.user and request.user.is_authenticated)
        return True
