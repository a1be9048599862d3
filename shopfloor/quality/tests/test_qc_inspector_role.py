"""The shipped QC Inspector role grants what the quality flows check, and no more: an inspector
fails an in-process inspection (the order goes on hold), works the NCR and scraps the work in
progress at the operation (the hold is released), and decides receiving inspections, which
move stock out of or into quarantine. Opening work orders (rework, repair) stays production's."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import access, tenancy
from shopfloor.core.models import Role
from shopfloor.core.services import install_role_templates
from shopfloor.core.tests.factories import MembershipFactory, UserFactory
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.production import services as production_services
from shopfloor.production.tests.factories import released_order
from shopfloor.purchasing import services as purchasing_services
from shopfloor.purchasing.tests.factories import sent_order
from shopfloor.quality.models import Inspection, InspectionPlan, Ncr
from shopfloor.quality.services import inspection as services
from shopfloor.quality.services import ncr as ncr_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def qc_inspector(org):
    """A member whose only role is the organization's installed QC Inspector."""
    with tenancy.use(org):
        role = next(r for r in install_role_templates(org) if r.template == "QC Inspector")
        user = UserFactory(username="quinn")
        MembershipFactory(organization=org, user=user, roles=[role])
    return user


def _plan(actor, item, context, **data):
    plan = services.create_plan(actor=actor, item=item, context=context, data={"sample_size": 2, **data})
    services.add_characteristic(actor=actor, plan=plan, data={"name": "Visual", "kind": "attribute"})
    return services.release_plan(actor=actor, plan=plan)


def _decide(inspector, inspection, *values):
    ch = inspection.plan.characteristics.get()
    entries = [{"characteristic": ch.pk, "sample": i, "value": v} for i, v in enumerate(values, start=1)]
    services.record_measurements(actor=inspector, inspection=inspection, entries=entries)
    return services.complete_inspection(actor=inspector, inspection=inspection)


def _to_disposition(inspector, ncr):
    ncr_services.transition_ncr(actor=inspector, ncr=ncr, to_state="investigating")
    ncr_services.update_ncr(actor=inspector, ncr=ncr, data={"cause_category": "method", "why_1": "Burr left"})
    ncr_services.transition_ncr(actor=inspector, ncr=ncr, to_state="disposition")


def test_a_qc_inspector_fails_an_in_process_inspection_holds_the_order_and_scraps_the_wip(
    tenant, admin_user, qc_inspector, django_capture_on_commit_callbacks
):
    wo = released_order(quantity=4, operations=2)
    first, second = wo.operations.order_by("sequence")
    _plan(admin_user, wo.item, InspectionPlan.Context.IN_PROCESS, operation_sequence=first.sequence)
    production_services.start_operation(actor=admin_user, operation=first)
    with django_capture_on_commit_callbacks(execute=True):
        production_services.complete_operation(actor=admin_user, operation=first, good_quantity=4)

    done = _decide(qc_inspector, Inspection.objects.get(work_order=wo), "pass", "fail")
    ncr = Ncr.objects.get(number=done.ncr_number)
    wo.refresh_from_db()
    assert (done.status, wo.status, ncr.work_order_held) == ("failed", "on_hold", True)

    _to_disposition(qc_inspector, ncr)
    assert "rework" not in ncr_services.disposition_kinds(actor=qc_inspector, ncr=ncr)
    assert "scrap" in ncr_services.disposition_kinds(actor=qc_inspector, ncr=ncr)
    with pytest.raises(PermissionDenied):  # a rework opens a work order: production's right
        ncr_services.add_disposition(actor=qc_inspector, ncr=ncr, data={"kind": "rework", "quantity": "1"})
    ncr_services.add_disposition(actor=qc_inspector, ncr=ncr, data={"kind": "scrap", "quantity": "4"})
    first.refresh_from_db()
    wo.refresh_from_db()
    ncr.refresh_from_db()
    assert (first.good_quantity, first.scrap_quantity) == (Decimal(0), Decimal(4))
    assert (wo.status, ncr.work_order_held) == ("in_progress", False)


def test_a_qc_inspector_decides_receiving_inspections_that_move_stock(
    tenant, admin_user, qc_inspector, django_capture_on_commit_callbacks
):
    good, bad = (ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none") for _ in range(2))
    for item in (good, bad):
        _plan(admin_user, item, InspectionPlan.Context.RECEIVING)
    order = sent_order(lines=[{"item": i, "quantity": Decimal("5"), "unit_price": Decimal("1")} for i in (good, bad)])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing_services.receive(
            actor=admin_user,
            order=order,
            lines=[{"order_line": line.pk, "quantity": "5"} for line in order.lines.all()],
        )

    passed = _decide(qc_inspector, Inspection.objects.get(item=good), "pass", "pass")
    assert passed.location.location_type == Location.Type.RECEIVING  # released from quarantine
    failed = _decide(qc_inspector, Inspection.objects.get(item=bad), "fail", "pass")
    ncr = Ncr.objects.get(number=failed.ncr_number)
    _to_disposition(qc_inspector, ncr)
    ncr_services.add_disposition(actor=qc_inspector, ncr=ncr, data={"kind": "scrap", "quantity": "5"})
    assert StockBalance.objects.get(item=bad, location=failed.location).on_hand == Decimal(0)


def test_the_role_grants_only_what_those_flows_check(org):
    granted = access.expand(access.ROLE_TEMPLATES["QC Inspector"]["permissions"])
    assert {"production.change_operation", "inventory.add_stockmove"} <= granted
    for wider in ("production.add_workorder", "production.change_workorder", "inventory.reverse_stockmove"):
        assert wider not in granted


def test_the_migration_grants_the_new_permissions_to_installed_qc_inspector_roles(org):
    migration = import_module("shopfloor.quality.migrations.0005_qc_inspector_permissions")
    old = ["*.view_*", "quality.*", *access.PERSONAL_PERMISSIONS]
    with tenancy.use(org):
        shipped = Role.objects.create(name="QC Inspector", template="QC Inspector", permissions=old)
        extended = Role.objects.create(name="QC Lead", template="QC Inspector", permissions=[*old, "sales.add_x"])
        trimmed = Role.objects.create(name="Gauge clerk", template="QC Inspector", permissions=["quality.view_*"])
    migration.forwards(apps, None)
    with tenancy.use(org):
        for role in (shipped, extended, trimmed):
            role.refresh_from_db()
    assert shipped.permissions == [*old, *migration.ADDED]
    assert extended.permissions == [*old, "sales.add_x", *migration.ADDED]
    assert trimmed.permissions == ["quality.view_*"]  # an administrator's own cut is left alone
