"""API of workflows: definitions (editable, validated), change requests with their transitions,
approvals and signatures. `WorkflowActionsMixin` gives any later resource with a workflow the
same `transitions/`, `transition/`, `history/` and `signatures/` routes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shopfloor.core import access
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet
from shopfloor.core.models import User

from . import services
from .models import (
    ApprovalRequest,
    ChangeRequest,
    Signature,
    TransitionRecord,
    WorkflowDefinition,
    WorkflowState,
    WorkflowTransition,
)

# --- Serializers ------------------------------------------------------------------------------


class SignatureInputSerializer(StrictSerializerMixin, serializers.Serializer):
    password = serializers.CharField(max_length=200, write_only=True, style={"input_type": "password"})
    meaning = serializers.CharField(max_length=40, required=False, allow_blank=True)
    totp = serializers.RegexField(
        r"^\d{6,8}$",
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The code of the signer's authenticator app, when they have one.",
    )


class TransitionRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    to_state = serializers.CharField(max_length=40)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    signature = SignatureInputSerializer(required=False)


class DecisionSerializer(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    signature = SignatureInputSerializer(required=False)


class OptionSerializer(serializers.Serializer):
    to_state = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    approvals_required = serializers.IntegerField()
    signature_required = serializers.BooleanField()
    signature_meaning = serializers.CharField()
    comment_required = serializers.BooleanField()
    pending_approval_request = serializers.IntegerField(allow_null=True)


def _option(o: services.Option) -> dict[str, Any]:
    t = o.transition
    return {
        "to_state": t.target.key,
        "label": t.label,
        "allowed": o.allowed,
        "reasons": o.reasons,
        "approvals_required": t.approvals_required,
        "signature_required": t.signature_required,
        "signature_meaning": t.signature_meaning,
        "comment_required": t.comment_required,
        "pending_approval_request": o.pending_request.pk if o.pending_request else None,
    }


class TransitionRecordSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TransitionRecord
        fields = [
            "id",
            "object_type",
            "object_id",
            "from_state",
            "to_state",
            "actor",
            "actor_name",
            "comment",
            "signature",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj: TransitionRecord) -> str:
        return obj.actor.display_name if obj.actor else "system"


class SignatureSerializer(serializers.ModelSerializer):
    valid = serializers.SerializerMethodField(help_text="False when the record changed after signing.")

    class Meta:
        model = Signature
        fields = [
            "id",
            "object_type",
            "object_id",
            "signer",
            "printed_name",
            "meaning",
            "signed_at",
            "record_hash",
            "valid",
        ]
        read_only_fields = fields

    def get_valid(self, obj: Signature) -> bool:
        validity = self.context.get("validity")
        if validity is not None and obj.pk in validity:
            return validity[obj.pk]
        return services.signature_is_valid(obj)


class WorkflowStateSerializer(TenantModelSerializer):
    definition = serializers.PrimaryKeyRelatedField(queryset=WorkflowDefinition.objects.all())

    class Meta:
        model = WorkflowState
        fields = ["id", "definition", "key", "label", "is_initial", "is_final", "colour", "position"]


class WorkflowTransitionSerializer(TenantModelSerializer):
    definition = serializers.PrimaryKeyRelatedField(queryset=WorkflowDefinition.objects.all())
    source = serializers.PrimaryKeyRelatedField(queryset=WorkflowState.objects.all())
    target = serializers.PrimaryKeyRelatedField(queryset=WorkflowState.objects.all())
    guards = serializers.ListField(child=serializers.CharField(max_length=80), required=False)

    class Meta:
        model = WorkflowTransition
        fields = [
            "id",
            "definition",
            "source",
            "target",
            "label",
            "permission",
            "guards",
            "approvals_required",
            "approver_role",
            "exclude_creator",
            "signature_required",
            "signature_meaning",
            "comment_required",
            "position",
        ]


class WorkflowDefinitionSerializer(TenantModelSerializer):
    states = WorkflowStateSerializer(many=True, read_only=True)
    transitions = WorkflowTransitionSerializer(many=True, read_only=True)
    problems = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowDefinition
        fields = ["id", "model", "name", "description", "states", "transitions", "problems", "updated_at"]
        read_only_fields = ["model"]

    def get_problems(self, obj: WorkflowDefinition) -> list[str]:
        return services.validation_errors(obj)


class ChangeRequestSerializer(TenantModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)

    class Meta:
        model = ChangeRequest
        fields = ["id", "number", "title", "description", "owner", "status", "created_by", "created_at", "updated_at"]
        read_only_fields = ["number", "status", "created_by"]


class ApprovalSerializer(serializers.Serializer):
    approver = serializers.IntegerField(source="approver_id")
    decision = serializers.CharField()
    comment = serializers.CharField()
    signature = serializers.IntegerField(source="signature_id", allow_null=True)
    created_at = serializers.DateTimeField()


class ApprovalRequestSerializer(serializers.ModelSerializer):
    transition_label = serializers.CharField(source="transition.label", read_only=True)
    approvals_required = serializers.IntegerField(source="transition.approvals_required", read_only=True)
    decisions = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "object_type",
            "object_id",
            "transition",
            "transition_label",
            "approvals_required",
            "requested_by",
            "status",
            "comment",
            "decisions",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


def _signature(data: dict[str, Any] | None, request: Any) -> services.SignatureInput | None:
    if not data:
        return None
    return services.SignatureInput(
        password=data.get("password", ""), meaning=data.get("meaning", ""), totp=data.get("totp", ""), request=request
    )


# --- A mixin for every resource whose model has a workflow -------------------------------------


class WorkflowActionsMixin:
    """Adds `transitions/` (GET), `transition/` (POST), `history/` and `signatures/` to a viewset."""

    @extend_schema(responses={200: OptionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None, filter_backends=[])
    def transitions(self, request: Any, pk: Any = None) -> Response:
        """What the caller may do with the record now, and why not for the rest."""
        obj = self.get_object()  # type: ignore[attr-defined]
        return Response([_option(o) for o in services.available_transitions(obj, request.user)])

    @extend_schema(
        request=TransitionRequestSerializer,
        responses={
            200: inline_serializer(
                "TransitionDone", {"status": serializers.CharField(), "record": TransitionRecordSerializer()}
            ),
            202: ApprovalRequestSerializer,
        },
    )
    @action(detail=True, methods=["post"], url_path="transition")
    def transition(self, request: Any, pk: Any = None) -> Response:
        """Fire a transition; 202 with the approval request when it needs approvals first."""
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.transition(
            self.get_object(),
            data["to_state"],
            request.user,  # type: ignore[attr-defined]
            comment=data.get("comment", ""),
            signature=_signature(data.get("signature"), request),
        )
        if result.approval_request is not None:
            return Response(ApprovalRequestSerializer(result.approval_request).data, status=status.HTTP_202_ACCEPTED)
        return Response({"status": result.obj.status, "record": TransitionRecordSerializer(result.record).data})

    @extend_schema(responses={200: TransitionRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history", pagination_class=None, filter_backends=[])
    def history(self, request: Any, pk: Any = None) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        records = TransitionRecord.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).select_related("actor")
        return Response(TransitionRecordSerializer(records, many=True).data)

    @extend_schema(responses={200: SignatureSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="signatures", pagination_class=None, filter_backends=[])
    def signatures(self, request: Any, pk: Any = None) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        rows = []
        for sig, valid in services.signatures_of(obj):
            data = SignatureSerializer(sig).data
            data["valid"] = valid
            rows.append(data)
        return Response(rows)

    def required_permission(self, request: Any) -> str | None:
        # The engine checks each transition's own permission; reading the options needs view.
        if getattr(self, "action", None) in ("transition",):
            return access.model_perm(self.queryset.model, "view")  # type: ignore[attr-defined]
        return None


# --- Viewsets ---------------------------------------------------------------------------------


class ChangeRequestViewSet(WorkflowActionsMixin, TenantModelViewSet):
    queryset = ChangeRequest.objects.select_related("owner")
    serializer_class = ChangeRequestSerializer
    search_fields = ["number", "title"]
    ordering_fields = ["id", "number", "created_at"]
    filterset_fields = ["status", "owner"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_change_request(
            actor=self.request.user,
            title=data["title"],
            description=data.get("description", ""),
            owner=data.get("owner"),
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_change_request(
            actor=self.request.user, change_request=serializer.instance, data=dict(serializer.validated_data)
        )


class ApprovalRequestViewSet(TenantReadOnlyViewSet):
    """Approval requests; `?awaiting_me=true` lists those the caller may still decide."""

    queryset = ApprovalRequest.objects.select_related("transition").prefetch_related("decisions")
    serializer_class = ApprovalRequestSerializer
    filterset_fields = ["status", "object_type", "object_id"]
    ordering_fields = ["id", "created_at"]

    def _decide(self, request: Any, approve: bool) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        decided = services.decide(
            self.get_object(),
            request.user,
            approve=approve,
            comment=data.get("comment", ""),
            signature=_signature(data.get("signature"), request),
        )
        return Response(ApprovalRequestSerializer(ApprovalRequest.objects.get(pk=decided.pk)).data)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Any, pk: Any = None) -> Response:
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Any, pk: Any = None) -> Response:
        return self._decide(request, approve=False)

    def required_permission(self, request: Any) -> str | None:
        # Deciding is checked by the engine (approver role or the transition's permission).
        if getattr(self, "action", None) in ("approve", "reject"):
            return "workflows.view_approvalrequest"
        return None


class WorkflowDefinitionViewSet(TenantModelViewSet):
    """Workflow definitions: one per model, installed from defaults, editable by administrators."""

    queryset = WorkflowDefinition.objects.prefetch_related("states", "transitions__source", "transitions__target")
    serializer_class = WorkflowDefinitionSerializer
    filterset_fields = ["model"]
    ordering_fields = ["model", "id"]
    http_method_names = ["get", "patch", "put", "head", "options"]


class WorkflowStateViewSet(TenantModelViewSet):
    queryset = WorkflowState.objects.select_related("definition")
    serializer_class = WorkflowStateSerializer
    filterset_fields = ["definition"]
    ordering_fields = ["position", "id"]

    def required_permission(self, request: Any) -> str:
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        return "workflows.view_workflowdefinition" if safe else "workflows.change_workflowdefinition"

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.save_state(actor=self.request.user, definition=data.pop("definition"), data=data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        definition = data.pop("definition", serializer.instance.definition)
        serializer.instance = services.save_state(
            actor=self.request.user, definition=definition, data=data, state=serializer.instance
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_state(actor=self.request.user, state=instance)


class WorkflowTransitionViewSet(TenantModelViewSet):
    queryset = WorkflowTransition.objects.select_related("definition", "source", "target")
    serializer_class = WorkflowTransitionSerializer
    filterset_fields = ["definition"]
    ordering_fields = ["position", "id"]

    def required_permission(self, request: Any) -> str:
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        return "workflows.view_workflowdefinition" if safe else "workflows.change_workflowdefinition"

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.save_transition(
            actor=self.request.user, definition=data.pop("definition"), data=data
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        definition = data.pop("definition", serializer.instance.definition)
        serializer.instance = services.save_transition(
            actor=self.request.user, definition=definition, data=data, transition_obj=serializer.instance
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_transition(actor=self.request.user, transition_obj=instance)


class TransitionRecordViewSet(TenantReadOnlyViewSet):
    queryset = TransitionRecord.objects.select_related("actor")
    serializer_class = TransitionRecordSerializer
    filterset_fields = ["object_type", "object_id", "to_state"]
    ordering_fields = ["id", "created_at"]


class SignatureViewSet(TenantReadOnlyViewSet):
    """Electronic signatures with their validity (false once the signed record changed)."""

    queryset = Signature.objects.all()
    serializer_class = SignatureSerializer
    filterset_fields = ["object_type", "object_id", "signer"]
    ordering_fields = ["id", "signed_at"]

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = list(page or [])
        context = {**self.get_serializer_context(), "validity": services.signature_validity(rows)}
        return self.get_paginated_response(SignatureSerializer(rows, many=True, context=context).data)


router.register("workflows/definitions", WorkflowDefinitionViewSet, basename="workflowdefinition")
router.register("workflows/states", WorkflowStateViewSet, basename="workflowstate")
router.register("workflows/transitions", WorkflowTransitionViewSet, basename="workflowtransition")
router.register("workflows/change-requests", ChangeRequestViewSet, basename="changerequest")
router.register("workflows/approval-requests", ApprovalRequestViewSet, basename="approvalrequest")
router.register("workflows/transition-records", TransitionRecordViewSet, basename="transitionrecord")
router.register("workflows/signatures", SignatureViewSet, basename="signature")
