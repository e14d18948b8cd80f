from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from rest_framework.permissions import SAFE_METHODS, BasePermission


def login_required_for(request) -> bool:
    """Whether ``request`` must log in first: pages, downloads and the API are public unless
    DASHBOARD_LOGIN_REQUIRED, and then only for signed-in readers. The one place this rule is
    written; the page decorator and the API permission below both ask it."""
    if not settings.DASHBOARD_LOGIN_REQUIRED:
        return False
    user = getattr(request, "user", None)
    return not (user and user.is_authenticated)


def login_required_if_configured(view):
    """Anonymous readers of a page or download go to the login page when a login is required."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if login_required_for(request):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


class ReadOnlyUnlessConfigured(BasePermission):
    """The API is read-only; anonymous reads are allowed unless DASHBOARD_LOGIN_REQUIRED."""

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        return not login_required_for(request)
