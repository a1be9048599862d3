"""NCRs and CAPA through their services, on a real database and the real stock ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, Notification, OutboxEvent
from shopfloor.core.tests.factories import PASSWORD, PlantFactory, member
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.production.models import WorkOrder
from shopfloor.quality.models import Capa, Disposition, Ncr
from shopfloor.quality.services import ncr as services
from shopfloor.workflows.services import SignatureInput

pytestmark = pytest.mark.django_db

D = Decimal


def on_hand(item, location, lot=None) -> Decimal:
    row = StockBalance.objects.filter(item=item, location=location, lot=lot).first()
    return row.on_hand if row else D(0)


@pytest.fixture
def scene(tenant, admin_user):
    """Ten units of a lot-tracked part held in quarantine, from a supplier."""
    plant = PlantFactory()
    quarantine = LocationFactory(plant=plant, code="QA", location_type=Location.Type.QUARANTINE)
    item = ItemFactory(tracking="lot")
    lot = LotFactory(item=item, number="L-42")
    inventory.receive(actor=admin_user, item=item, quantity="10", location=quarantine, lot=lot)
    supplier = SupplierFactory()
    return {"plant": plant, "quarantine": quarantine, "item": item, "lot": lot, "supplier": supplier}


def _open(actor, scene, quantity="10", **extra) -> Ncr:
    data = {
        "plant": scene["plant"],
        "item": scene["item"],
        "quantity": quantity,
        "source": "receipt",
        "title": "Bore oversize",
        "location": scene["quarantine"],
        "supplier": scene["supplier"],
        "affected": [{"lot": scene["lot"], "quantity": quantity}],
    }
    data.update(extra)
    return services.open_ncr(actor=actor, data=data)


def _to_disposition(actor, ncr) -> Ncr:
    services.transition_ncr(actor=actor, ncr=ncr, to_state="investigating")
    services.update_ncr(
        actor=actor,
        ncr=ncr,
        data={"why_1": "Reamer worn", "cause_category": "machine", "root_cause": "No tool-life limit on the reamer"},
    )
    return services.transition_ncr(actor=actor, ncr=ncr, to_state="disposition")


def test_open_ncr_numbers_it_records_affected_lots_audit_and_event(scene, admin_user):
    ncr = _open(admin_user, scene)
    assert ncr.number.startswith("NCR-")
    assert ncr.status == "open"
    assert [(a.lot.number, a.quantity) for a in ncr.affected.all()] == [("L-42", D(10))]
    assert AuditEvent.objects.filter(object_type="quality.ncr", object_id=str(ncr.pk), action="create").exists()
    assert OutboxEvent.objects.filter(event_type="quality.ncr.opened", payload__number=ncr.number).exists()


def test_open_ncr_refuses_affected_lots_that_do_not_add_up(scene, admin_user):
    with pytest.raises(ValidationError) as exc:
        _open(admin_user, scene, quantity="10", affected=[{"lot": scene["lot"], "quantity": "4"}])
    assert "affected" in exc.value.message_dict
    assert Ncr.objects.count() == 0


def test_disposition_needs_a_root_cause_first(scene, admin_user):
    ncr = _open(admin_user, scene)
    services.transition_ncr(actor=admin_user, ncr=ncr, to_state="investigating")
    with pytest.raises(Conflict, match="root cause"):
        services.transition_ncr(actor=admin_user, ncr=ncr, to_state="disposition")


def test_split_dispositions_move_stock_and_open_a_rework_order(scene, admin_user):
    ncr = _to_disposition(admin_user, _open(admin_user, scene))
    scrap = services.add_disposition(
        actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "3", "lot": scene["lot"]}
    )
    rtv = services.add_disposition(
        actor=admin_user, ncr=ncr, data={"kind": "return_to_supplier", "quantity": "2", "lot": scene["lot"]}
    )
    rework = services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "rework", "quantity": "5"})
    assert on_hand(scene["item"], scene["quarantine"], scene["lot"]) == D(5)
    assert scrap.stock_move.to_location.location_type == Location.Type.SCRAP
    assert rtv.stock_move.to_location.location_type == Location.Type.SUPPLIER
    assert rework.work_order.kind == WorkOrder.Kind.REPAIR
    assert rework.work_order.quantity == D(5)
    assert services.disposed_quantity(ncr) == D(10)
    assert services.supplier_ncr_counts() == {scene["supplier"].pk: 1}


def test_a_disposition_over_the_affected_quantity_is_refused_and_moves_nothing(scene, admin_user):
    ncr = _to_disposition(admin_user, _open(admin_user, scene))
    services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "8", "lot": scene["lot"]})
    with pytest.raises(ValidationError) as exc:
        services.add_disposition(
            actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "3", "lot": scene["lot"]}
        )
    assert exc.value.message_dict["quantity"] == ["Only 2 of 10 are left to dispose."]
    assert on_hand(scene["item"], scene["quarantine"], scene["lot"]) == D(2)
    assert Disposition.objects.count() == 1


def test_use_as_is_needs_a_concession_from_someone_else(scene, admin_user, org):
    ncr = _to_disposition(admin_user, _open(admin_user, scene))
    disposition = services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "use_as_is", "quantity": "10"})
    with pytest.raises(Conflict, match="concession"):
        services.transition_ncr(
            actor=admin_user, ncr=ncr, to_state="closed", signature=SignatureInput(password=PASSWORD)
        )
    with pytest.raises(Conflict, match="someone other"):
        services.approve_concession(actor=admin_user, disposition=disposition)
    quality_lead = member(org, ["*"], username="quinn")
    with tenancy.use(org, quality_lead):
        services.approve_concession(actor=quality_lead, disposition=disposition)
    disposition.refresh_from_db()
    assert disposition.concession_approved_by == quality_lead


def test_closing_is_signed_and_a_closed_ncr_is_frozen(scene, admin_user):
    ncr = _to_disposition(admin_user, _open(admin_user, scene))
    services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "10", "lot": scene["lot"]})
    with pytest.raises(ValidationError):
        services.transition_ncr(
            actor=admin_user, ncr=ncr, to_state="closed", signature=SignatureInput(password="not-my-password")
        )
    ncr.refresh_from_db()
    assert ncr.status == "disposition"
    ncr = services.transition_ncr(
        actor=admin_user, ncr=ncr, to_state="closed", signature=SignatureInput(password=PASSWORD)
    )
    assert ncr.status == "closed" and ncr.closed_at is not None
    with pytest.raises(Conflict, match="closed"):
        services.update_ncr(actor=admin_user, ncr=ncr, data={"root_cause": "Rewritten afterwards"})
    ncr.refresh_from_db()
    assert ncr.root_cause == "No tool-life limit on the reamer"


def test_capa_closes_only_after_an_effective_check_and_reminds_its_owner(scene, admin_user):
    ncr = _open(admin_user, scene)
    today = timezone.localdate()
    capa = services.create_capa(
        actor=admin_user,
        data={"ncr": ncr, "title": "Tool-life limit on reamers", "owner": admin_user, "due_date": today},
    )
    assert capa.number.startswith("CAPA-") and capa.source == Capa.Source.NCR
    services.transition_capa(actor=admin_user, capa=capa, to_state="in_progress")
    services.transition_capa(actor=admin_user, capa=capa, to_state="verifying")
    with pytest.raises(Conflict, match="effectiveness"):
        services.transition_capa(actor=admin_user, capa=capa, to_state="closed")
    services.record_effectiveness(actor=admin_user, capa=capa, effective=False, note="Two more oversize bores")
    with pytest.raises(Conflict, match="not effective"):
        services.transition_capa(actor=admin_user, capa=capa, to_state="closed")
    before = Notification.objects.filter(recipient=admin_user).count()
    assert services.send_capa_reminders(today=today) == 1
    assert services.send_capa_reminders(today=today) == 0  # once a day
    assert services.send_capa_reminders(today=today + timedelta(days=1)) == 1
    assert Notification.objects.filter(recipient=admin_user).count() == before + 2
    services.record_effectiveness(actor=admin_user, capa=capa, effective=True, note="30 days, no oversize bore")
    capa = services.transition_capa(actor=admin_user, capa=capa, to_state="closed")
    assert capa.status == "closed" and capa.closed_at is not None


def test_capa_from_an_audit_needs_the_finding(tenant, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.create_capa(
            actor=admin_user,
            data={"source": "audit", "title": "Calibrate gauges", "owner": admin_user, "due_date": "2027-01-31"},
        )
    assert "audit_reference" in exc.value.message_dict
    assert Capa.objects.count() == 0


def test_an_ncr_on_a_receipt_line_takes_the_receipt_supplier(tenant, admin_user):
    from shopfloor.purchasing.tests.factories import ReceiptLineFactory

    line = ReceiptLineFactory()
    ncr = services.open_ncr(
        actor=admin_user,
        data={
            "plant": line.receipt.plant,
            "item": line.item,
            "quantity": "1",
            "source": "receipt",
            "title": "Wrong thread",
            "receipt_line": line,
        },
    )
    assert ncr.supplier == line.receipt.supplier
