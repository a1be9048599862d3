"""NCR and CAPA over the API: open, investigate, dispose on stock, close signed; CAPA closure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PASSWORD, PlantFactory
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.quality.models import Capa, Disposition

pytestmark = pytest.mark.django_db

NCRS = "/api/v1/quality/ncrs/"
CAPAS = "/api/v1/quality/capas/"


@pytest.fixture
def scene(org, admin_user):
    """Ten units of lot L-42 of a supplier's part held in quarantine."""
    with tenancy.use(org, admin_user):
        plant = PlantFactory()
        quarantine = LocationFactory(plant=plant, code="QA", location_type=Location.Type.QUARANTINE)
        item = ItemFactory(tracking="lot")
        lot = LotFactory(item=item, number="L-42")
        inventory.receive(actor=admin_user, item=item, quantity="10", location=quarantine, lot=lot)
        supplier = SupplierFactory()
    return {"plant": plant, "quarantine": quarantine, "item": item, "lot": lot, "supplier": supplier}


def _on_hand(org, scene) -> Decimal:
    with tenancy.use(org):
        row = StockBalance.objects.filter(item=scene["item"], location=scene["quarantine"], lot=scene["lot"]).first()
        return row.on_hand if row else Decimal(0)


def _open(api, scene) -> dict:
    response = api.post(
        NCRS,
        {
            "plant": scene["plant"].pk,
            "item": scene["item"].pk,
            "quantity": "10",
            "source": "receipt",
            "title": "Bore oversize",
            "location": scene["quarantine"].pk,
            "supplier": scene["supplier"].pk,
            "affected": [{"lot": scene["lot"].pk, "quantity": "10"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _to_disposition(api, pk: int) -> None:
    assert api.post(f"{NCRS}{pk}/transition/", {"to_state": "investigating"}, format="json").status_code == 200
    patched = api.patch(
        f"{NCRS}{pk}/",
        {"why_1": "Reamer worn", "cause_category": "machine", "root_cause": "No tool-life limit"},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    moved = api.post(f"{NCRS}{pk}/transition/", {"to_state": "disposition"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "disposition"


def test_ncr_is_opened_disposed_on_stock_and_closed_signed(api, org, scene):
    ncr = _open(api, scene)
    assert ncr["number"].startswith("NCR-") and ncr["status"] == "open"
    assert [(a["lot_number"], a["quantity"]) for a in ncr["affected"]] == [("L-42", "10.000000")]
    # the root cause is needed before the disposition state: 409 with the guard's message
    api.post(f"{NCRS}{ncr['id']}/transition/", {"to_state": "investigating"}, format="json")
    refused = api.post(f"{NCRS}{ncr['id']}/transition/", {"to_state": "disposition"}, format="json")
    assert refused.status_code == 409 and "root cause" in str(refused.json())
    pk = ncr["id"]
    api.patch(f"{NCRS}{pk}/", {"why_1": "Reamer worn", "cause_category": "machine"}, format="json")
    moved = api.post(f"{NCRS}{pk}/transition/", {"to_state": "disposition"}, format="json")
    assert moved.status_code == 200, moved.json()

    scrap = api.post(
        f"{NCRS}{pk}/dispositions/", {"kind": "scrap", "quantity": "3", "lot": scene["lot"].pk}, format="json"
    )
    assert scrap.status_code == 201, scrap.json()
    assert _on_hand(org, scene) == Decimal(7)
    rework = api.post(f"{NCRS}{pk}/dispositions/", {"kind": "rework", "quantity": "7"}, format="json")
    assert rework.status_code == 201
    kinds = [(d["kind"], d["quantity"], bool(d["work_order_number"])) for d in rework.json()["dispositions"]]
    assert kinds == [("scrap", "3.000000", False), ("rework", "7.000000", True)]

    unsigned = api.post(f"{NCRS}{pk}/close/", {}, format="json")
    assert unsigned.status_code == 400 and "signature" in unsigned.json()["errors"]
    wrong = api.post(f"{NCRS}{pk}/close/", {"signature": {"password": "not-mine"}}, format="json")
    assert wrong.status_code == 400
    assert api.get(f"{NCRS}{pk}/").json()["status"] == "disposition"
    closed = api.post(f"{NCRS}{pk}/close/", {"signature": {"password": PASSWORD}}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert len(api.get(f"{NCRS}{pk}/signatures/").json()) == 1

    # a closed NCR is frozen: any edit is a conflict and changes nothing
    edit = api.patch(f"{NCRS}{pk}/", {"root_cause": "Rewritten afterwards"}, format="json")
    assert edit.status_code == 409
    again = api.post(f"{NCRS}{pk}/dispositions/", {"kind": "scrap", "quantity": "1"}, format="json")
    assert again.status_code == 409
    assert api.get(f"{NCRS}{pk}/").json()["root_cause"] == ""


def test_a_disposition_over_the_affected_quantity_is_a_400_and_moves_nothing(api, org, scene):
    pk = _open(api, scene)["id"]
    _to_disposition(api, pk)
    too_many = api.post(
        f"{NCRS}{pk}/dispositions/", {"kind": "scrap", "quantity": "11", "lot": scene["lot"].pk}, format="json"
    )
    assert too_many.status_code == 400
    assert too_many.json()["errors"]["quantity"] == ["Only 10 of 10 are left to dispose."]
    assert _on_hand(org, scene) == Decimal(10)
    with tenancy.use(org):
        assert Disposition.objects.count() == 0


def test_a_use_as_is_concession_is_approved_by_someone_else(api, org, scene):
    from rest_framework.test import APIClient

    from shopfloor.core.tests.factories import member

    pk = _open(api, scene)["id"]
    _to_disposition(api, pk)
    body = api.post(f"{NCRS}{pk}/dispositions/", {"kind": "use_as_is", "quantity": "10"}, format="json").json()
    disposition = body["dispositions"][0]["id"]
    own = api.post(f"{NCRS}{pk}/approve-concession/", {"disposition": disposition}, format="json")
    assert own.status_code == 409
    lead = APIClient()
    lead.force_authenticate(member(org, ["*"], username="quinn"))
    approved = lead.post(f"{NCRS}{pk}/approve-concession/", {"disposition": disposition}, format="json")
    assert approved.status_code == 200
    assert approved.json()["dispositions"][0]["concession_approved_by"] is not None
    unknown = lead.post(f"{NCRS}{pk}/approve-concession/", {"disposition": 999999}, format="json")
    assert unknown.status_code == 400 and "disposition" in unknown.json()["errors"]


def test_an_ncr_keeps_its_item_and_quantity(api, scene):
    pk = _open(api, scene)["id"]
    response = api.patch(f"{NCRS}{pk}/", {"quantity": "12"}, format="json")
    assert response.status_code == 400 and "quantity" in response.json()["errors"]


def test_capa_closes_only_after_an_effective_check(api, org, admin_user, scene):
    ncr = _open(api, scene)
    created = api.post(
        CAPAS,
        {"ncr": ncr["id"], "title": "Tool-life limit on reamers", "owner": admin_user.pk, "due_date": "2027-01-15"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    capa = created.json()
    assert capa["number"].startswith("CAPA-") and capa["source"] == "ncr" and capa["ncr_number"] == ncr["number"]
    url = f"{CAPAS}{capa['id']}/"
    for state in ("in_progress", "verifying"):
        assert api.post(f"{url}transition/", {"to_state": state}, format="json").status_code == 200
    early = api.post(f"{url}transition/", {"to_state": "closed"}, format="json")
    assert early.status_code == 409 and "effectiveness" in str(early.json())
    blank = api.post(f"{url}effectiveness/", {"effective": True, "note": " "}, format="json")
    assert blank.status_code == 400
    api.post(f"{url}effectiveness/", {"effective": False, "note": "Two more oversize bores"}, format="json")
    assert api.post(f"{url}transition/", {"to_state": "closed"}, format="json").status_code == 409
    checked = api.post(f"{url}effectiveness/", {"effective": True, "note": "30 days, none"}, format="json")
    assert checked.status_code == 200 and checked.json()["effective"] is True
    closed = api.post(f"{url}transition/", {"to_state": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]


def test_capa_without_owner_or_finding_is_a_400_and_nothing_is_created(api, org):
    response = api.post(CAPAS, {"source": "audit", "title": "Calibrate", "due_date": "2027-01-15"}, format="json")
    assert response.status_code == 400 and "owner" in response.json()["errors"]
    with tenancy.use(org):
        assert Capa.objects.count() == 0
