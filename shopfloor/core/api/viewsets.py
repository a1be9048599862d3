"""`TenantModelViewSet`: tenancy, permissions, error shape, idempotency and pagination in one base.

A resource is then a few declarative lines: queryset from a selector, serializer, filters, and
`perform_*` hooks that call services. Register it in the app's `api.py` with `router.register`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import mixins, viewsets
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from .. import access, services, tenancy
from ..middleware import organization_for_request
from ..models import IdempotencyKey
from .errors import problem


class _Replay(APIException):
    """Carries a stored response for an idempotent retry out of `initial()`."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def _fingerprint(request: Request) -> str:
    """SHA-256 of what a POST asks for, to tell a retry from another request under the same key.

    A multipart body is fingerprinted from its parsed fields and each file's content hashed in
    chunks: Django refuses to hold a body over DATA_UPLOAD_MAX_MEMORY_SIZE in memory (`.body`
    raises), and an upload path may take far more than that (SHOPFLOOR_UPLOAD_LIMITS).
    """
    head = request.method.encode() + request.path.encode() + b"\n"
    meta = request._request.META
    if not meta.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return hashlib.sha256(head + (request._request.body if meta.get("CONTENT_LENGTH") else b"")).hexdigest()
    digest = hashlib.sha256(head)
    data = request.data
    for name in sorted(data.keys()):
        for value in data.getlist(name) if hasattr(data, "getlist") else [data[name]]:
            digest.update(f"{len(name)}:{name}".encode())
            if isinstance(value, UploadedFile):
                digest.update(f"file {len(value.name or '')}:{value.name} {value.size}:".encode())
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)  # the view reads it again from the start
            else:
                text = str(value).encode()
                digest.update(f"{len(text)}:".encode() + text)
    return digest.hexdigest()


class TenantAPIMixin:
    """Activates the caller's organization once DRF knows who the caller is, and keeps a
    plant-bound resource to the caller's plants.

    `plant_field` is the lookup from the viewset's model to its plant (`"plant"`,
    `"work_order__plant"`, `"location__plant"`); when set, lists and every detail route (actions
    included, through `get_object`) see only the plants the caller's membership is limited to:
    another plant's row is a 404, like another organization's. None: not plant-bound.
    """

    plant_field: str | None = None

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()  # type: ignore[misc]
        if self.plant_field is None:
            return queryset
        user = getattr(getattr(self, "request", None), "user", None)
        return access.at_user_plants(queryset, user, self.plant_field)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Authentication happens lazily in DRF; resolve it now so tenancy is set for the whole
        # request, including permission checks and querysets.
        user = request.user
        auth = request.auth
        from ..models import ApiToken

        organization = (
            auth.organization if isinstance(auth, ApiToken) else organization_for_request(request._request, user)
        )
        wanted = request.headers.get("X-Organization", "")
        if (
            wanted
            and not isinstance(auth, ApiToken)
            and user.is_authenticated
            and (organization is None or wanted not in (organization.slug, str(organization.pk)))
        ):
            # Acting silently in another organization than the one asked for would write to the wrong tenant.
            raise PermissionDenied(f"You are not a member of the organization '{wanted[:50]}'.")
        self._tenancy_tokens = tenancy.activate(organization, user)
        request._request.organization = organization
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_start(request)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_finish(request, response)
        tokens = getattr(self, "_tenancy_tokens", None)
        if tokens is not None:
            tenancy.deactivate(tokens)
            self._tenancy_tokens = None
        return response

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    # --- Idempotency-Key on POST: same key, same response, one write ---------------------------

    def _idempotency_start(self, request: Request) -> None:
        self._idem: IdempotencyKey | None = None
        key = request.headers.get("Idempotency-Key", "")
        if request.method != "POST" or not key:
            return
        if len(key) > 255:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        digest = _fingerprint(request)
        cutoff = timezone.now() - settings.SHOPFLOOR_IDEMPOTENCY_TTL
        existing = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if existing is not None and existing.created_at < cutoff:
            existing.delete()
            existing = None
        if existing is not None:
            raise _Replay(self._replay(existing, digest))
        try:
            with transaction.atomic():
                self._idem = IdempotencyKey.objects.create(
                    user=request.user, key=key, method=request.method, path=request.path[:500], request_hash=digest
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            raise _Replay(
                self._replay(existing, digest)
                if existing
                else problem(409, "A request with this Idempotency-Key is in progress.")
            ) from None

    def _replay(self, existing: IdempotencyKey, digest: str) -> Response:
        if existing.request_hash != digest:
            return problem(409, "This Idempotency-Key was used for a different request.")
        if existing.response_status is None:
            return problem(409, "A request with this Idempotency-Key is still in progress.")
        response = Response(existing.response_body, status=existing.response_status)
        response["Idempotent-Replayed"] = "true"
        return response

    def _idempotency_finish(self, request: Request, response: Response) -> None:
        idem = getattr(self, "_idem", None)
        if idem is None:
            return
        self._idem = None
        if response.status_code >= 500:
            IdempotencyKey.objects.unscoped().filter(pk=idem.pk).delete()  # let the client retry
            return
        data = response.data if hasattr(response, "data") else None
        IdempotencyKey.objects.unscoped().filter(pk=idem.pk).update(
            response_status=response.status_code, response_body=json.loads(json.dumps(data, default=str))
        )


class TenantModelViewSet(TenantAPIMixin, viewsets.ModelViewSet):
    """CRUD over a tenant model through the generic (or a resource's own) services."""

    ordering = ["-id"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_object(
            actor=self.request.user, model=serializer.Meta.model, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_object(
            actor=self.request.user, obj=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_object(actor=self.request.user, obj=instance)


class TenantReadOnlyViewSet(TenantAPIMixin, viewsets.ReadOnlyModelViewSet):
    ordering = ["-id"]


class TenantCreateListRetrieveViewSet(
    TenantAPIMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    ordering = ["-id"]
