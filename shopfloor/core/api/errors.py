"""One error shape everywhere: {"type", "title", "status", "detail", "errors": {field: [messages]}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import Conflict
from ..tenancy import NoTenant

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
}


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "lines.0.quantity": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key) if key not in ("non_field_errors", "__all__") else "__all__"
            full = f"{prefix}.{name}" if prefix and name != "__all__" else (prefix or name)
            for k, v in flatten(value, full).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "__all__", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    for k, v in flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                        out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "__all__", []).append(str(detail))
    return out


def problem(
    status_code: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    title = title or TITLES.get(status_code, "Error")
    response = Response(
        {
            "type": f"https://shopfloor.dev/problems/{title.lower().replace(' ', '-')}",
            "title": title,
            "status": status_code,
            "detail": detail,
            "errors": errors or {},
        },
        status=status_code,
        headers=headers,
    )
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        errors = flatten(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
        return problem(400, _summary(errors), errors)
    if isinstance(exc, Conflict):
        return problem(409, exc.message)
    if isinstance(exc, Http404):
        return problem(404, "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, NoTenant):
        return problem(403, "You are not a member of any active organization.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        return problem(400, _summary(errors), errors, headers=headers)
    if isinstance(exc, exceptions.ParseError):
        return problem(400, str(exc.detail), {}, title="Malformed request", headers=headers)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = response.status_code
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Token realm="api"')
    return problem(code, str(detail), headers=headers)


def _summary(errors: dict[str, list[str]]) -> str:
    if not errors:
        return "The request is not valid."
    field, messages = next(iter(errors.items()))
    first = messages[0] if messages else "invalid"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{field}: {first}{more}" if field != "__all__" else f"{first}{more}"


# --- Django's error views, for requests that never reach a DRF view (unknown paths, crashes) ------


def _api_or(page_view: Any, status_code: int, detail: str) -> Any:
    def view(request: Any, exception: Any = None) -> Any:
        from ..middleware import error_response

        if request.path.startswith("/api/"):
            return error_response(status_code, TITLES.get(status_code, "Server error"), detail)
        return page_view(request, exception) if status_code != 500 else page_view(request)

    return view


bad_request = _api_or(defaults.bad_request, 400, "The request could not be understood.")
permission_denied = _api_or(defaults.permission_denied, 403, "You do not have permission to do this.")
page_not_found = _api_or(defaults.page_not_found, 404, "There is no API endpoint at this address.")
server_error = _api_or(defaults.server_error, 500, "Something went wrong on our side; it has been logged.")
