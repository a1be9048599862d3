"""Token endpoints: JWT obtain/refresh, throttled; lockout by django-axes applies to them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from .errors import exception_handler


class _AuthEndpoint:
    permission_classes: list[Any] = []
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_exception_handler(self) -> Any:
        return exception_handler


class JwtObtainView(_AuthEndpoint, jwt_views.TokenObtainPairView):
    """Exchange username and password for an access and a refresh token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        finally:
            # simplejwt authenticates with DRF's request, so django-axes flags that wrapper; its
            # middleware, which turns a lockout into the 429 response, reads the Django request.
            for name in ("axes_locked_out", "axes_credentials"):
                if name in request.__dict__:
                    setattr(request._request, name, request.__dict__[name])
        # A JWT login is a login: axes resets the failure count, the audit trail records it.
        user_logged_in.send(sender=type(serializer.user), request=request, user=serializer.user)
        return Response(serializer.validated_data, status=status.HTTP_200_OK)


class JwtRefreshView(_AuthEndpoint, jwt_views.TokenRefreshView):
    """Exchange a refresh token for a new access token."""
