import factory
from django.utils import timezone

from shopfloor.core import numbering
from shopfloor.core.tests.factories import TenantFactory, UserFactory
from shopfloor.workflows.models import (
    Approval,
    ApprovalRequest,
    ChangeRequest,
    Signature,
    TransitionRecord,
    WorkflowDefinition,
    WorkflowState,
    WorkflowTransition,
)


class ChangeRequestFactory(TenantFactory):
    class Meta:
        model = ChangeRequest

    # From the numbering service, as the real thing: a sequence of its own would clash with the
    # numbers the service issues to change requests created later in the same test.
    number = factory.LazyFunction(lambda: numbering.next_number("change_request"))
    title = factory.Sequence(lambda n: f"Change {n}")
    description = "Replace the worn gauge ring on the bit breaker."
    owner = factory.SubFactory(UserFactory)
    status = "draft"


class WorkflowDefinitionFactory(TenantFactory):
    """A small valid definition for an arbitrary model label (a -> b)."""

    class Meta:
        model = WorkflowDefinition
        skip_postgeneration_save = True

    model = factory.Sequence(lambda n: f"workflows.test{n}")
    name = factory.Sequence(lambda n: f"Workflow {n}")

    @factory.post_generation
    def with_states(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            a = WorkflowState.objects.create(
                organization=obj.organization, definition=obj, key="open", label="Open", is_initial=True
            )
            b = WorkflowState.objects.create(
                organization=obj.organization, definition=obj, key="done", label="Done", is_final=True, position=1
            )
            WorkflowTransition.objects.create(
                organization=obj.organization, definition=obj, source=a, target=b, label="Finish"
            )


class WorkflowStateFactory(TenantFactory):
    class Meta:
        model = WorkflowState

    definition = factory.SubFactory(WorkflowDefinitionFactory, organization=factory.SelfAttribute("..organization"))
    key = factory.Sequence(lambda n: f"state_{n}")
    label = factory.Sequence(lambda n: f"State {n}")


class WorkflowTransitionFactory(TenantFactory):
    class Meta:
        model = WorkflowTransition

    definition = factory.SubFactory(WorkflowDefinitionFactory, organization=factory.SelfAttribute("..organization"))
    source = factory.LazyAttribute(lambda t: t.definition.states.get(key="open"))
    target = factory.LazyAttribute(lambda t: t.definition.states.get(key="done"))
    label = "Again"


class TransitionRecordFactory(TenantFactory):
    class Meta:
        model = TransitionRecord

    object_type = "workflows.changerequest"
    object_id = "1"
    from_state = "draft"
    to_state = "submitted"


class SignatureFactory(TenantFactory):
    class Meta:
        model = Signature

    object_type = "workflows.changerequest"
    object_id = "1"
    signer = factory.SubFactory(UserFactory)
    printed_name = "Test Signer"
    meaning = "Reviewed"
    signed_at = factory.LazyFunction(timezone.now)
    record_hash = "0" * 64


class ApprovalRequestFactory(TenantFactory):
    class Meta:
        model = ApprovalRequest

    object_type = "workflows.changerequest"
    object_id = factory.Sequence(lambda n: str(n + 1))
    transition = factory.LazyAttribute(
        lambda r: WorkflowDefinitionFactory(organization=r.organization).transitions.get(label="Finish")
    )
    requested_by = factory.SubFactory(UserFactory)


class ApprovalFactory(TenantFactory):
    class Meta:
        model = Approval

    request = factory.SubFactory(ApprovalRequestFactory, organization=factory.SelfAttribute("..organization"))
    approver = factory.SubFactory(UserFactory)
    decision = Approval.Decision.APPROVE
