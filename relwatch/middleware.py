"""Site-wide request guards."""

from django.http import HttpResponseBadRequest


class RejectNulBytesInCookiesMiddleware:
    """Refuse a cookie holding a NUL byte with 400.

    PostgreSQL text cannot hold NUL: a forged session cookie would otherwise reach the
    session query and fail there, as a 500 on every page. (Query parameters are validated
    by the filtersets and forms of each page, which name the parameter in their message.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
            return HttpResponseBadRequest("A NUL byte is not allowed in a cookie.")
        return self.get_response(request)
