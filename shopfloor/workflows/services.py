"""The workflow engine: the only code that changes a workflow-managed status.

`transition(obj, to_state, actor, ...)` checks the definition, the actor's permission (per
plant), guards, comment, approvals and signature, then records a TransitionRecord, an audit
event and a domain event, atomically. The record's row is locked first, so two users firing the
same transition at once get one success and one 409.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from shopfloor.core import access, audit, events, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Organization, Role

from .models import (
    Approval,
    ApprovalRequest,
    ChangeRequest,
    Signature,
    TransitionRecord,
    WorkflowDefinition,
    WorkflowState,
    WorkflowTransition,
    touch_definitions,
)
from .registry import DEFAULTS, GUARDS, DefinitionSpec, effects_for

# --- Definitions ------------------------------------------------------------------------------


def _install(spec: DefinitionSpec, organization: Organization) -> WorkflowDefinition:
    definition = WorkflowDefinition.objects.create(
        organization=organization, model=spec.model, name=spec.name, description=spec.description
    )
    states = {}
    for position, s in enumerate(spec.states):
        states[s.key] = WorkflowState.objects.create(
            organization=organization,
            definition=definition,
            key=s.key,
            label=s.label,
            is_initial=s.initial,
            is_final=s.final,
            colour=s.colour,
            position=position,
        )
    for position, t in enumerate(spec.transitions):
        role = Role.objects.filter(name=t.approver_role).first() if t.approver_role else None
        WorkflowTransition.objects.create(
            organization=organization,
            definition=definition,
            source=states[t.source],
            target=states[t.target],
            label=t.label,
            permission=t.permission,
            guards=list(t.guards),
            approvals_required=t.approvals,
            approver_role=role,
            exclude_creator=t.exclude_creator,
            signature_required=t.signature,
            signature_meaning=t.meaning,
            comment_required=t.comment,
            position=position,
        )
    return definition


@transaction.atomic
def install_defaults(organization: Organization) -> list[WorkflowDefinition]:
    """Give an organization every default definition it does not have yet (idempotent)."""
    installed = []
    with tenancy.use(organization):
        have = set(WorkflowDefinition.objects.values_list("model", flat=True))
        for model, spec in sorted(DEFAULTS.items()):
            if model not in have:
                definition = _install(spec, organization)
                audit.record(
                    None,
                    definition,
                    action="create",
                    reason="default workflow installed",
                    changes={"model": [None, model]},
                )
                installed.append(definition)
    return installed


def definition_for(model: type[models.Model] | models.Model) -> WorkflowDefinition:
    label = model._meta.label_lower
    definition = WorkflowDefinition.objects.filter(model=label).first()
    if definition is None and label in DEFAULTS:
        install_defaults(tenancy.require_organization())
        definition = WorkflowDefinition.objects.filter(model=label).first()
    if definition is None:
        raise Conflict(f"There is no workflow for {model._meta.verbose_name}.")
    return definition


# --- The shape of a definition, cached per process --------------------------------------------
#
# Every transition needs the definition's states and the transition between two of them: read
# from the database, that was three queries per transition (twice the transition when it might
# sign). They change only when an administrator edits the workflow, so each process keeps them
# per definition, stamped with the definition's `updated_at`, which any save or delete of one of
# its states or transitions moves (`_definition_changed`, in the edit's own transaction). A
# transition reads the definition row anyway (definition_for): a stamp that differs from the
# cached one, from this process or any other, reads the shape again. Bulk `update()`,
# `bulk_create()` and `bulk_update()` of states or transitions send no signals: their queryset
# (models.DefinitionPartQuerySet) moves the stamp itself. Only raw SQL would bypass it.


@dataclass(frozen=True)
class _Shape:
    states: frozenset[str]
    transitions: dict[tuple[str, str], WorkflowTransition]  # (source key, target key) -> with source, target


_SHAPES: dict[int, tuple[Any, _Shape]] = {}  # definition pk -> (its updated_at when read, shape)


def _shape(definition: WorkflowDefinition) -> _Shape:
    """The states and transitions of `definition` as of its `updated_at` (see above)."""
    cached = _SHAPES.get(definition.pk)
    if cached is not None and cached[0] == definition.updated_at:
        return cached[1]
    states = frozenset(WorkflowState.objects.filter(definition=definition).values_list("key", flat=True))
    transitions = {
        (t.source.key, t.target.key): t
        for t in WorkflowTransition.objects.filter(definition=definition).select_related("source", "target")
    }
    shape = _Shape(states, transitions)
    _SHAPES[definition.pk] = (definition.updated_at, shape)
    return shape


def _transition_between(definition: WorkflowDefinition, current: str, to_state: str) -> WorkflowTransition | None:
    """The transition from `current` to `to_state`: a copy of the cached one (with its source and
    target), so a caller's lazy reads (approver role) or changes stay its own."""
    t = _shape(definition).transitions.get((current, to_state))
    return copy.copy(t) if t is not None else None


def _definition_changed(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """A state or transition was saved or deleted: move its definition's stamp (cached shapes of
    it, in every process, are read again on their next use)."""
    touch_definitions([instance.definition_id])


for _model in (WorkflowState, WorkflowTransition):
    post_save.connect(_definition_changed, sender=_model, dispatch_uid=f"workflows.shape.save.{_model.__name__}")
    post_delete.connect(_definition_changed, sender=_model, dispatch_uid=f"workflows.shape.delete.{_model.__name__}")


def definition_problems(definition: WorkflowDefinition) -> tuple[list[str], list[str]]:
    """What is wrong with a definition, as (errors, warnings).

    Errors make the definition unusable (no single initial state, leaving a final state, an
    unknown guard or permission) and are refused on every edit. Warnings (a state nothing
    reaches yet, no final state yet) are normal halfway through an edit, when a state has been
    added before the transitions to it; they are shown on the definition until resolved.
    """
    states = list(definition.states.all())
    transitions = list(definition.transitions.all())  # the API prefetches source and target
    errors: list[str] = []
    warnings: list[str] = []
    initials = [s for s in states if s.is_initial]
    if len(initials) != 1:
        errors.append(f"Exactly one initial state is needed (found {len(initials)}).")
    for t in transitions:
        if t.source.is_final:
            errors.append(f"'{t.label}' leaves the final state '{t.source.label}'.")
        for name in t.guards or []:
            if name not in GUARDS:
                errors.append(f"'{t.label}' uses the unknown guard '{name}'.")
        if t.permission and t.permission not in access.all_permissions():
            errors.append(f"'{t.label}' needs the unknown permission '{t.permission}'.")
        if t.approvals_required and t.approvals_required > 20:
            errors.append(f"'{t.label}' asks for more than 20 approvals.")
    if initials:
        seen = {initials[0].pk}
        queue = deque([initials[0].pk])
        while queue:
            current = queue.popleft()
            for t in transitions:
                if t.source_id == current and t.target_id not in seen:
                    seen.add(t.target_id)
                    queue.append(t.target_id)
        for s in states:
            if s.pk not in seen:
                warnings.append(f"The state '{s.label}' cannot be reached from '{initials[0].label}'.")
    if not any(s.is_final for s in states):
        warnings.append("At least one final state is needed.")
    return errors, warnings


def validation_errors(definition: WorkflowDefinition) -> list[str]:
    """Every problem of a definition, errors first (what the definition editor lists)."""
    errors, warnings = definition_problems(definition)
    return errors + warnings


def initial_state(model: type[models.Model]) -> str:
    state = definition_for(model).states.filter(is_initial=True).first()
    if state is None:
        raise Conflict(f"The workflow of {model._meta.verbose_name} has no initial state.")
    return state.key


# --- Signatures -------------------------------------------------------------------------------

UNSIGNED_FIELDS = {"status"}


def record_hash(obj: models.Model) -> str:
    """A hash of the record's content (not its workflow status), to bind signatures to it."""
    state = {k: v for k, v in audit.snapshot(obj).items() if k not in UNSIGNED_FIELDS}
    body = json.dumps(
        {"type": obj._meta.label_lower, "id": obj.pk, "state": state},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class SignatureInput:
    """What the signer types: password (re-authentication), a TOTP code when they have an
    authenticator, and the meaning they sign with."""

    password: str
    meaning: str = ""
    totp: str = ""
    request: Any = None  # the HTTP request, so that failed attempts count toward the lockout
    verified_for: int | None = field(default=None, repr=False)  # set by reauthenticate()


def _login_request(signature: SignatureInput) -> Any:
    request = signature.request
    if request is None:
        # Signing outside an HTTP request (a task, the shell): still through the lockout backend.
        from django.http import HttpRequest

        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        request.path = "/workflows/sign"
    return getattr(request, "_request", request)  # DRF wraps Django's request


def totp_devices(user: Any) -> list[Any]:
    """The user's confirmed authenticator devices (django-otp TOTP)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return list(TOTPDevice.objects.filter(user=user, confirmed=True))


def reauthenticate(actor: Any, signature: SignatureInput | None) -> None:
    """Prove the signer is the logged-in user: TOTP code (if they have one), then password.

    Called before the transaction that signs, never inside it: a failed attempt is written by
    django-axes and must survive the refusal to count toward the lockout. The code is checked
    first so that a correct password cannot reset the failures of wrong codes.
    """
    if signature is None or not signature.password:
        raise ValidationError(
            {"signature.password": ["This step needs your electronic signature: enter your password."]}
        )
    request = _login_request(signature)
    devices = totp_devices(actor)
    if devices:
        code = (signature.totp or "").strip()
        if not code:
            raise ValidationError({"signature.totp": ["Enter the code from your authenticator app."]})
        if not any(device.verify_token(code) for device in devices):
            user_login_failed.send(sender=__name__, credentials={"username": actor.get_username()}, request=request)
            raise ValidationError({"signature.totp": ["The code is not correct; nothing was signed."]})
    user = authenticate(request, username=actor.get_username(), password=signature.password)
    if user is None or user.pk != actor.pk:
        raise ValidationError({"signature.password": ["The password is not correct; nothing was signed."]})
    signature.verified_for = actor.pk


def _sign(obj: models.Model, actor: Any, signature: SignatureInput | None, meaning: str) -> Signature:
    if signature is None or signature.verified_for != actor.pk:
        # The record moved to a step that needs a signature after the caller checked: ask again.
        raise Conflict("This step needs your electronic signature; sign again.", code="signature")
    chosen = meaning or signature.meaning
    if not chosen:
        raise ValidationError({"signature.meaning": ["Say what the signature means (e.g. Approved)."]})
    sig = Signature.objects.create(
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        signer=actor,
        printed_name=actor.get_full_name() or actor.get_username(),
        meaning=chosen[:40],
        signed_at=timezone.now(),
        record_hash=record_hash(obj),
    )
    audit.record(
        actor, obj, action="sign", changes={"meaning": [None, sig.meaning]}, reason=f"signed as {sig.printed_name}"
    )
    return sig


def signature_is_valid(signature: Signature, obj: models.Model | None = None) -> bool:
    """True while the record is as it was when signed."""
    if obj is None:
        from django.apps import apps

        model = apps.get_model(signature.object_type)
        obj = model._default_manager.filter(pk=signature.object_id).first()
        if obj is None:
            return False
    return record_hash(obj) == signature.record_hash


def signature_validity(signatures: list[Signature]) -> dict[int, bool]:
    """Validity of many signatures with one query per kind of record (for lists)."""
    from django.apps import apps

    by_type: dict[str, set[str]] = {}
    for sig in signatures:
        by_type.setdefault(sig.object_type, set()).add(sig.object_id)
    hashes: dict[tuple[str, str], str] = {}
    for label, ids in by_type.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        for obj in model._default_manager.filter(pk__in=ids):
            hashes[(label, str(obj.pk))] = record_hash(obj)
    return {sig.pk: hashes.get((sig.object_type, sig.object_id)) == sig.record_hash for sig in signatures}


def signatures_of(obj: models.Model) -> list[tuple[Signature, bool]]:
    sigs = Signature.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related("signer")
    current = record_hash(obj)
    return [(s, s.record_hash == current) for s in sigs]


# --- Available transitions and the transition itself ------------------------------------------


@dataclass
class Option:
    """One transition as the UI and API present it: may the user do it now, and if not, why."""

    transition: WorkflowTransition
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    pending_request: ApprovalRequest | None = None

    @property
    def to_state(self) -> str:
        return self.transition.target.key


def _required_permission(obj: models.Model, t: WorkflowTransition) -> str:
    return t.permission or access.model_perm(type(obj), "change")


def _plant_of(obj: models.Model) -> Any:
    return getattr(obj, "plant", None) if hasattr(obj, "plant_id") else None


def _guard_reasons(obj: models.Model, actor: Any, t: WorkflowTransition) -> list[str]:
    reasons = []
    for name in t.guards or []:
        spec = GUARDS.get(name)
        if spec is None:
            reasons.append(f"The guard '{name}' is not known to this installation.")
            continue
        reason = spec.func(obj, actor)
        if reason:
            reasons.append(reason)
    return reasons


def _pending_request(obj: models.Model, t: WorkflowTransition) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), transition=t, status=ApprovalRequest.Status.PENDING
    ).first()


def available_transitions(obj: models.Model, user: Any) -> list[Option]:
    definition = definition_for(obj)
    current = obj.status
    options = []
    for t in definition.transitions.select_related("source", "target").filter(source__key=current):
        reasons = []
        perm = _required_permission(obj, t)
        if not access.has_perm(user, perm, plant=_plant_of(obj)):
            reasons.append(f"You need the permission '{perm}'.")
        reasons += _guard_reasons(obj, user, t)
        pending = _pending_request(obj, t) if t.approvals_required else None
        if pending is not None:
            reasons.append("Waiting for approvals.")
        options.append(Option(t, allowed=not reasons, reasons=reasons, pending_request=pending))
    return options


@dataclass
class TransitionResult:
    obj: models.Model
    record: TransitionRecord | None = None
    approval_request: ApprovalRequest | None = None

    @property
    def done(self) -> bool:
        return self.record is not None


def _lock(obj: models.Model) -> models.Model:
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def _find(definition: WorkflowDefinition, current: str, to_state: str) -> WorkflowTransition:
    if to_state not in _shape(definition).states:
        raise ValidationError({"to_state": [f"'{to_state}' is not a state of this workflow."]})
    t = _transition_between(definition, current, to_state)
    if t is None:
        raise Conflict(f"The record is '{current}'; it cannot move to '{to_state}' from there.")
    return t


def transition(
    obj: models.Model, to_state: str, actor: Any, comment: str = "", signature: SignatureInput | None = None
) -> TransitionResult:
    """Move `obj` to `to_state`, or open an approval request when the transition needs approvals."""
    definition = definition_for(obj)
    if _needs_signature_now(obj, to_state, definition):
        reauthenticate(actor, signature)
    return _transition(obj, to_state, actor, comment, signature, definition)


@transaction.atomic
def transition_by_rule(obj: models.Model, to_state: str, actor: Any, comment: str) -> TransitionResult:
    """A transition a business rule makes, not a person's choice (quality holding a work order
    whose in-process inspection failed, and releasing it once the NCR is dispositioned).

    The actor who triggered the rule may not hold the transition's own permission (an
    inspector cannot hold orders by hand), so it is not asked; the guards still apply, and
    the transition is recorded, audited and announced under that actor with `comment` as the
    reason. A transition that needs approvals or a signature is never made by a rule.
    """
    definition = definition_for(obj)
    locked = _lock(obj)
    t = _find(definition, locked.status, to_state)
    if t.approvals_required or t.signature_required:
        raise Conflict(f"'{t.label}' needs an approval or a signature: a rule cannot make it.", code="rule")
    reasons = _guard_reasons(locked, actor, t)
    if reasons:
        raise Conflict(" ".join(reasons), code="guard")
    record = _apply(locked, t, actor, comment, None)
    _refresh(obj, locked)
    return TransitionResult(obj, record=record)


def _needs_signature_now(obj: models.Model, to_state: str, definition: WorkflowDefinition) -> bool:
    """Whether the step from the record's current state signs (read before locking; rechecked).

    The current state is read only when some transition into `to_state` signs at all: most
    workflows never sign, and a terminal moves job cards and reservations all day."""
    signing = (
        t.signature_required and not t.approvals_required
        for (_, target), t in _shape(definition).transitions.items()
        if target == to_state
    )
    if not any(signing):
        return False
    current = type(obj)._default_manager.filter(pk=obj.pk).values_list("status", flat=True).first()
    t = _transition_between(definition, current, to_state)
    return bool(t is not None and t.signature_required and not t.approvals_required)


@transaction.atomic
def _transition(
    obj: models.Model,
    to_state: str,
    actor: Any,
    comment: str,
    signature: SignatureInput | None,
    definition: WorkflowDefinition,
) -> TransitionResult:
    locked = _lock(obj)
    current = locked.status
    t = _find(definition, current, to_state)
    access.require(actor, _required_permission(locked, t), plant=_plant_of(locked))
    if t.comment_required and not comment.strip():
        raise ValidationError({"comment": [f"'{t.label}' needs a comment."]})
    reasons = _guard_reasons(locked, actor, t)
    if reasons:
        raise Conflict(" ".join(reasons), code="guard")
    if t.approvals_required:
        return TransitionResult(locked, approval_request=_open_request(locked, t, actor, comment))
    sig = _sign(locked, actor, signature, t.signature_meaning) if t.signature_required else None
    record = _apply(locked, t, actor, comment, sig)
    _refresh(obj, locked)
    return TransitionResult(obj, record=record)


def _refresh(original: models.Model, locked: models.Model) -> None:
    for f in original._meta.concrete_fields:
        setattr(original, f.attname, getattr(locked, f.attname))


def _apply(
    obj: models.Model, t: WorkflowTransition, actor: Any, comment: str, sig: Signature | None
) -> TransitionRecord:
    before = obj.status
    for effect in effects_for(obj._meta.label_lower, t.target.key):
        effect(obj, actor)
    obj.status = t.target.key
    obj.save(update_fields=["status", "updated_at"] if hasattr(obj, "updated_at") else ["status"])
    record = TransitionRecord.objects.create(
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        transition=t,
        from_state=before,
        to_state=t.target.key,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        comment=comment,
        signature=sig,
    )
    audit.record(actor, obj, action="transition", changes={"status": [before, t.target.key]}, reason=comment)
    events.emit(
        f"{obj._meta.label_lower}.transitioned",
        {"id": obj.pk, "from": before, "to": t.target.key, "transition": t.label, "actor": getattr(actor, "pk", None)},
    )
    return record


# --- Approvals --------------------------------------------------------------------------------


def eligible_approvers(obj: models.Model, t: WorkflowTransition) -> list[Any]:
    """Members who may approve: holders of the approver role (else of the transition's permission)."""
    from shopfloor.core.models import Membership

    memberships = Membership.objects.filter(is_active=True).select_related("user").prefetch_related("roles", "plants")
    if t.approver_role_id:
        memberships = memberships.filter(roles=t.approver_role_id)
    perm = _required_permission(obj, t)
    people = []
    for m in memberships:
        if not access.has_perm(m.user, perm, plant=_plant_of(obj)):
            continue
        if t.exclude_creator and getattr(obj, "created_by_id", None) == m.user_id:
            continue
        people.append(m.user)
    return people


def _open_request(obj: models.Model, t: WorkflowTransition, actor: Any, comment: str) -> ApprovalRequest:
    if _pending_request(obj, t) is not None:
        raise Conflict("Approval for this step has already been requested.")
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                transition=t,
                requested_by=actor,
                comment=comment,
            )
    except IntegrityError:
        raise Conflict("Approval for this step has already been requested.") from None
    audit.record(actor, request, action="create", changes={"transition": [None, t.label]}, reason=comment)
    events.emit(
        "workflows.approval.requested",
        {
            "id": request.pk,
            "object_type": request.object_type,
            "object_id": request.object_id,
            "transition": t.label,
            "approvers": [u.pk for u in eligible_approvers(obj, t)],
        },
    )
    return request


def _target_of(request: ApprovalRequest) -> models.Model:
    from django.apps import apps

    model = apps.get_model(request.object_type)
    obj = model._default_manager.filter(pk=request.object_id).first()
    if obj is None:
        raise Conflict("The record of this approval no longer exists.")
    return obj


def decide(
    request: ApprovalRequest, actor: Any, approve: bool, comment: str = "", signature: SignatureInput | None = None
) -> ApprovalRequest:
    """Approve or reject. A rejection ends the request; the last approval runs the transition."""
    if approve and request.transition.signature_required:
        reauthenticate(actor, signature)
    return _decide(request, actor, approve, comment, signature)


@transaction.atomic
def _decide(
    request: ApprovalRequest, actor: Any, approve: bool, comment: str, signature: SignatureInput | None
) -> ApprovalRequest:
    # of=("self",): the joined transition and state are workflow definition rows every request of
    # that step shares; locking them too made every decision on that step wait for the others.
    request = (
        ApprovalRequest.objects.select_for_update(of=("self",)).select_related("transition__target").get(pk=request.pk)
    )
    if request.status != ApprovalRequest.Status.PENDING:
        raise Conflict(f"This approval request is already {request.get_status_display().lower()}.")
    obj = _lock(_target_of(request))
    t = request.transition
    if obj.status != t.source.key:
        raise Conflict(f"The record moved on to '{obj.status}'; this request no longer applies.")
    if actor.pk not in {u.pk for u in eligible_approvers(obj, t)}:
        raise PermissionDenied("You are not among the approvers of this step.")
    if Approval.objects.filter(request=request, approver=actor).exists():
        raise Conflict("You have already decided on this request.")
    if not approve and not comment.strip():
        raise ValidationError({"comment": ["Say why you reject it."]})
    sig = _sign(obj, actor, signature, t.signature_meaning) if approve and t.signature_required else None
    Approval.objects.create(
        request=request,
        approver=actor,
        comment=comment,
        signature=sig,
        decision=Approval.Decision.APPROVE if approve else Approval.Decision.REJECT,
    )
    audit.record(
        actor,
        request,
        action="action",
        changes={"decision": [None, "approve" if approve else "reject"]},
        reason=comment,
    )
    events.emit(
        "workflows.approval.decided",
        {
            "id": request.pk,
            "approve": approve,
            "approver": actor.pk,
            "requested_by": request.requested_by_id,
            "object_type": request.object_type,
            "object_id": request.object_id,
        },
    )
    if not approve:
        request.status = ApprovalRequest.Status.REJECTED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at", "updated_at"])
        return request
    approvals = Approval.objects.filter(request=request, decision=Approval.Decision.APPROVE).count()
    if approvals >= t.approvals_required:
        request.status = ApprovalRequest.Status.APPROVED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at", "updated_at"])
        _apply(obj, t, actor, comment or f"approved by {approvals}", sig)
    return request


# --- Immutability of signed and closed records ------------------------------------------------


def edit_refusal(obj: models.Model) -> str | None:
    """Why an ordinary edit of `obj` is refused (closed or signed), or None."""
    label = obj._meta.label_lower
    if label not in DEFAULTS and not WorkflowDefinition.objects.filter(model=label).exists():
        return None
    status = getattr(obj, "status", None)
    state = WorkflowState.objects.filter(definition__model=label, key=status).first() if status else None
    if state is not None and state.is_final:
        return f"The record is {state.label.lower()}: closed records cannot be changed."
    # Signed content is frozen until the workflow sends the record back to its initial state
    # (rework), where editing is the point and the old signatures then show as invalid.
    if (state is None or not state.is_initial) and Signature.objects.filter(
        object_type=label, object_id=str(obj.pk)
    ).exists():
        return "The record carries electronic signatures: it cannot be changed in this state."
    return None


def ensure_editable(obj: models.Model) -> None:
    reason = edit_refusal(obj)
    if reason:
        raise Conflict(reason, code="locked")


# --- Change requests: the engine's first real user ---------------------------------------------


@transaction.atomic
def create_change_request(*, actor: Any, title: str, description: str = "", owner: Any = None) -> ChangeRequest:
    """Open a change request in the initial state of its workflow, numbered CR-000001."""
    access.require(actor, "workflows.add_changerequest")
    from shopfloor.core import numbering

    request = ChangeRequest(
        organization=tenancy.require_organization(),
        created_by=actor,
        title=title,
        description=description,
        owner=owner or actor,
        status=initial_state(ChangeRequest),
        number=numbering.next_number("change_request"),
    )
    request.full_clean()
    request.save()
    audit.record(actor, request, action="create", changes=audit.diff({}, audit.snapshot(request)))
    events.emit("workflows.changerequest.created", {"id": request.pk, "number": request.number})
    return request


@transaction.atomic
def update_change_request(*, actor: Any, change_request: ChangeRequest, data: dict[str, Any]) -> ChangeRequest:
    from shopfloor.core import services as core_services

    return core_services.update_object(actor=actor, obj=change_request, data=data)


# --- Editing definitions ----------------------------------------------------------------------


def _records_in_state(state: WorkflowState) -> int:
    from django.apps import apps

    try:
        model = apps.get_model(state.definition.model)
    except (LookupError, ValueError):
        return 0
    return model._default_manager.filter(status=state.key).count()


def _check_definition(definition: WorkflowDefinition) -> None:
    errors, _warnings = definition_problems(definition)
    if errors:
        raise ValidationError({"__all__": errors})


@transaction.atomic
def save_state(
    *, actor: Any, definition: WorkflowDefinition, data: dict[str, Any], state: WorkflowState | None = None
) -> WorkflowState:
    """Add or change a state; the definition must stay valid and no record may be stranded."""
    access.require(actor, "workflows.change_workflowdefinition")
    from shopfloor.core import services as core_services

    if state is not None and "key" in data and data["key"] != state.key and _records_in_state(state):
        raise Conflict(f"Records are in '{state.key}': its key cannot change.")
    data = {**data, "definition": definition}
    if state is None:
        state = core_services.create_object(
            actor=actor, model=WorkflowState, data=data, perm="workflows.change_workflowdefinition"
        )
    else:
        state = core_services.update_object(
            actor=actor, obj=state, data=data, perm="workflows.change_workflowdefinition"
        )
    _check_definition(definition)
    return state


@transaction.atomic
def delete_state(*, actor: Any, state: WorkflowState) -> None:
    """Remove a state no record is in; its transitions go with it."""
    access.require(actor, "workflows.change_workflowdefinition")
    from shopfloor.core import services as core_services

    count = _records_in_state(state)
    if count:
        raise Conflict(f"{count} record(s) are in '{state.key}': move them before removing the state.")
    definition = state.definition
    for t in WorkflowTransition.objects.filter(Q(source=state) | Q(target=state)):
        core_services.delete_object(actor=actor, obj=t, perm="workflows.change_workflowdefinition")
    core_services.delete_object(actor=actor, obj=state, perm="workflows.change_workflowdefinition")
    _check_definition(definition)


@transaction.atomic
def save_transition(
    *,
    actor: Any,
    definition: WorkflowDefinition,
    data: dict[str, Any],
    transition_obj: WorkflowTransition | None = None,
) -> WorkflowTransition:
    access.require(actor, "workflows.change_workflowdefinition")
    from shopfloor.core import services as core_services

    for end in ("source", "target"):
        state = data.get(end)
        if state is not None and state.definition_id != definition.pk:
            raise ValidationError({end: ["That state belongs to another workflow."]})
    data = {**data, "definition": definition}
    if transition_obj is None:
        t = core_services.create_object(
            actor=actor, model=WorkflowTransition, data=data, perm="workflows.change_workflowdefinition"
        )
    else:
        t = core_services.update_object(
            actor=actor, obj=transition_obj, data=data, perm="workflows.change_workflowdefinition"
        )
    _check_definition(definition)
    return t


@transaction.atomic
def delete_transition(*, actor: Any, transition_obj: WorkflowTransition) -> None:
    access.require(actor, "workflows.change_workflowdefinition")
    from shopfloor.core import services as core_services

    if ApprovalRequest.objects.filter(transition=transition_obj, status=ApprovalRequest.Status.PENDING).exists():
        raise Conflict("Approvals are pending on this transition: decide them first.")
    definition = transition_obj.definition
    core_services.delete_object(actor=actor, obj=transition_obj, perm="workflows.change_workflowdefinition")
    _check_definition(definition)
