"""Authentication: personal API tokens, session auth for the API, login auditing, lockout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import audit, tenancy


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token sf_<prefix>_<secret>`; the token fixes the organization."""

    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        from .services import authenticate_token

        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(f"{self.keyword} "):
            return None
        token = authenticate_token(header[len(self.keyword) + 1 :])
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The web session, with DRF's CSRF check (htmx and fetch send the token)."""


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes personal API tokens."""

    target_class = "shopfloor.core.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token sf_<prefix>_<secret>`: a personal API token; it fixes the organization.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "shopfloor.core.auth.CsrfSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """What a locked-out login sees: 429 with the error shape on the API, a page on the web."""
    from django.shortcuts import render

    from .middleware import error_response

    detail = "Too many failed logins: this account or address is locked for a while."
    path = getattr(request, "path", "")
    if path.startswith("/api/"):
        return error_response(429, "Locked out", detail)
    return render(request, "web/locked_out.html", {"detail": detail}, status=429)


# Login and logout are security events, recorded in the audit trail of the user's organization.
# A signal is the only hook Django offers for logins from every path (web form, admin, JWT).
@receiver(user_logged_in)
def _audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Only a session login (django.contrib.auth.login) starts the session clocks; a JWT login must
    # not create a session.
    if request is not None and hasattr(request, "session") and SESSION_KEY in request.session:
        import time

        request.session["_sf_auth_at"] = int(time.time())
        request.session["_sf_seen_at"] = int(time.time())
    audit.record(user, user, action="login", organization=_organization_of(user), object_repr=user.username)


@receiver(user_logged_out)
def _audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    audit.record(user, user, action="logout", organization=_organization_of(user), object_repr=user.username)


def _organization_of(user: Any) -> Any:
    """Whose audit trail a login belongs to: the organization in context, the default, the first."""
    from .models import Membership

    if tenancy.current_organization() is not None:
        return tenancy.current_organization()
    if user.default_organization_id is not None:
        return user.default_organization
    membership = (
        Membership.objects.unscoped()
        .filter(user=user, is_active=True, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__name")
        .first()
    )
    return membership.organization if membership is not None else None
