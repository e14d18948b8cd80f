"""The JSON API's shared building blocks: how a client authenticates, how the schema tells
it so, the error responses every endpoint documents, and the view every endpoint starts
from. The dashboard's endpoints (dashboard.api) and the monthly brief's (alerts.api_brief)
both build on these, so neither app imports the other's API for them.

Permission (read-only, and the login rule) and the rate limits come from settings
(REST_FRAMEWORK: relwatch.permissions, relwatch.throttling), the same for every view.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.authentication import BasicScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.views import APIView

BAD_REQUEST = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="A parameter is invalid: each offending parameter maps to its messages.",
)
NOT_FOUND = OpenApiResponse(response=OpenApiTypes.OBJECT, description="No such object.")
FORBIDDEN = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Wrong credentials, or a login is required (DASHBOARD_LOGIN_REQUIRED).",
)


class StrictBasicAuthentication(BasicAuthentication):
    """HTTP Basic for scripts, refusing credentials PostgreSQL cannot even look up."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise AuthenticationFailed("Invalid username/password.")
        return super().authenticate_credentials(userid, password, request)


class StrictBasicScheme(BasicScheme):
    target_class = "relwatch.api.StrictBasicAuthentication"


class ApiSchema(AutoSchema):
    """Says that reading needs no credentials unless DASHBOARD_LOGIN_REQUIRED is on."""

    def get_auth(self):
        auths = super().get_auth()
        if not settings.DASHBOARD_LOGIN_REQUIRED and {} not in auths:
            auths.append({})
        return auths


AUTHENTICATION = [SessionAuthentication, StrictBasicAuthentication]


class ApiView(APIView):
    """An endpoint that is not a list of models: the API's authentication and schema."""

    authentication_classes = AUTHENTICATION
    schema = ApiSchema()
