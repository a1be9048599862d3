"""Request id, body size limit, session timeouts and tenancy, for web and API alike."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import tenancy

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Every response carries X-Request-ID: the caller's (if sane) or a new one; logs and audit use it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs 4xx/5xx responses after the middleware chain has
        # returned, and those lines must carry the id too. `request_finished` clears it.
        tenancy.set_request_id(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def clear_request_id(**kwargs: Any) -> None:
    """Connected to `request_finished`, so nothing after a request carries its id."""
    tenancy.set_request_id("")


request_finished.connect(clear_request_id, dispatch_uid="shopfloor.clear_request_id")


def error_response(status: int, title: str, detail: str, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    """The one error shape of the API, for errors raised outside DRF."""
    slug = title.lower().replace(" ", "-")
    return JsonResponse(
        {
            "type": f"https://shopfloor.dev/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "errors": errors or {},
        },
        status=status,
        content_type="application/problem+json",
    )


# Room for the multipart boundaries, part headers and small fields beside an uploaded file.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


def body_limit(request: HttpRequest) -> int:
    """SHOPFLOOR_MAX_REQUEST_BODY; for a multipart upload to a path of SHOPFLOOR_UPLOAD_LIMITS,
    that path's own file limit plus the form envelope instead (the service checks the file's
    exact size)."""
    limit = int(settings.SHOPFLOOR_MAX_REQUEST_BODY)
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        for pattern, setting_name in getattr(settings, "SHOPFLOOR_UPLOAD_LIMITS", {}).items():
            if re.match(pattern, request.path_info):
                return int(getattr(settings, setting_name)) + UPLOAD_ENVELOPE_BYTES
    return limit


class BodySizeLimitMiddleware:
    """Refuse bodies over their limit (`body_limit`) before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            detail = f"The request body is {length} bytes; the limit is {limit} bytes."
            if request.path.startswith("/api/"):
                return error_response(400, "Request body too large", detail)
            return HttpResponse(detail, status=400, content_type="text/plain")
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Web sessions end after 30 minutes idle and 12 hours in all, whatever the activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get("_sf_auth_at", now)
            seen = request.session.get("_sf_seen_at", now)
            if now - seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
            else:
                request.session.setdefault("_sf_auth_at", started)
                # Writing at most once a minute keeps the idle clock without a save per request.
                if now - seen >= 60 or "_sf_seen_at" not in request.session:
                    request.session["_sf_seen_at"] = now
        return self.get_response(request)


def organization_for_request(request: HttpRequest, user: Any) -> Any:
    """The organization a request acts in: header, then the session's choice, then the default.

    Chosen among the user's active memberships in active organizations, which
    `access.memberships_of` reads once per request (with the roles and plants the permission
    checks of the same request need); a platform administrator may pick any active organization.
    """
    from . import access
    from .models import Organization

    if not getattr(user, "is_authenticated", False):
        return None
    organizations = access.organizations_of(user)
    wanted = request.headers.get("X-Organization") or (
        request.session.get("organization") if hasattr(request, "session") else None
    )
    if wanted:
        wanted = str(wanted)
        match = next((org for org in organizations if org.slug == wanted), None) or next(
            (org for org in organizations if wanted.isdigit() and org.pk == int(wanted)), None
        )
        if match is None and user.is_superuser:
            everyone = Organization.objects.filter(is_active=True)
            match = everyone.filter(slug=wanted).first() or (
                everyone.filter(pk=wanted).first() if wanted.isdigit() else None
            )
        if match is not None:
            return match
    if user.default_organization_id:
        default = next((org for org in organizations if org.pk == user.default_organization_id), None)
        if default is not None:
            return default
    return organizations[0] if organizations else None


class TenancyMiddleware:
    """Put the organization, plant and user of a web request into context.

    API requests authenticate inside DRF (tokens, JWT); the API base view activates tenancy
    itself once it knows the user, through the same `organization_for_request`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        organization = organization_for_request(request, user) if user is not None else None
        plant = None
        if organization is not None and hasattr(request, "session"):
            from .models import Plant

            plant_id = request.session.get("plant")
            if plant_id:
                plant = Plant.objects.unscoped().filter(pk=plant_id, organization=organization).first()
        request.organization = organization  # type: ignore[attr-defined]
        request.plant = plant  # type: ignore[attr-defined]
        tokens = tenancy.activate(organization, user, plant)
        try:
            return self.get_response(request)
        finally:
            tenancy.deactivate(tokens)
